// Live tail: the event feed (GET /events/live) from the current head on,
// with the feed's own stream / category / types filters.
import {get, problemView, readEventStream, withQuery} from './api.js';
import {fill, h, notice} from './dom.js';

const kMaxRows = 200;

export function render(main) {
  const fields = {
    stream: h('input', {id: 'tail-stream', placeholder: 'account-alice'}),
    category: h('input', {id: 'tail-category', placeholder: 'account'}),
    types: h('input', {id: 'tail-types', placeholder: 'Deposited,Withdrawn'}),
  };
  const state = h('p', {id: 'tail-state', class: 'muted', 'aria-live': 'polite'}, 'Not started.');
  const rows = h('tbody', {id: 'tail-rows'});
  let controller = null;

  async function start() {
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    rows.replaceChildren();
    const head = await get(withQuery('/events', {limit: 1}));
    if (signal.aborted) return;
    if (!head.ok) {
      fill(state, problemView(head.problem));
      return;
    }
    const from = head.body.head + 1;
    const filter = {stream: fields.stream.value.trim(), category: fields.category.value.trim(),
                    types: fields.types.value.trim()};
    fill(state, `Live from position ${from}: waiting for events…`);
    try {
      await readEventStream(withQuery('/events/live', {from, ...filter}), signal, (message) => {
        if (message.event === 'error') fill(state, notice('error', `The feed failed: ${message.data}`));
        if (message.event !== 'event') return;
        const event = JSON.parse(message.data);
        rows.prepend(h('tr', {class: 'tail-row'},
                       h('td', {}, h('a', {href: `#/event/${event.position}`}, String(event.position))),
                       h('td', {}, h('a', {href: `#/stream/${encodeURIComponent(event.stream)}`}, event.stream)),
                       h('td', {class: 'tail-type'}, event.type),
                       h('td', {}, new Date(event.timestamp_us / 1000).toLocaleTimeString())));
        while (rows.children.length > kMaxRows) rows.lastChild.remove();
        fill(state, `Live from position ${from}: ${rows.children.length} event(s) shown.`);
      });
      if (!signal.aborted) fill(state, 'The feed ended (the server is stopping?). Start again to resume.');
    } catch (error) {
      if (error.name === 'AbortError') return;
      fill(state, error.result ? problemView(error.result.problem) : notice('error', error.message));
    }
  }

  const form = h('form', {class: 'filters', onsubmit: (event) => { event.preventDefault(); start(); }},
                 h('label', {for: 'tail-stream'}, 'Stream'), fields.stream,
                 h('label', {for: 'tail-category'}, 'Category'), fields.category,
                 h('label', {for: 'tail-types'}, 'Types'), fields.types,
                 h('button', {type: 'submit'}, 'Apply filters'));
  main.append(form, state,
              h('div', {class: 'table-wrap'},
                h('table', {id: 'tail-table'},
                  h('thead', {}, h('tr', {}, ['Position', 'Stream', 'Type', 'Time'].map(
                      (c) => h('th', {scope: 'col'}, c)))),
                  rows)));
  start();
  return () => { if (controller) controller.abort(); };
}
