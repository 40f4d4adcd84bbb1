// Streams and events: find a stream by name or category prefix, read it page
// by page, an event's detail with links to the events it relates to.
import {get, problemView, withQuery} from './api.js';
import {fill, h, jsonBlock, notice, table} from './dom.js';

const kPageSize = 20;
// A prefix search and a related-events search read at most this many log
// pages (GET /events examines up to 10 000 events per page).
const kMaxScanPages = 5;

const streamLink = (name) => h('a', {href: `#/stream/${encodeURIComponent(name)}`}, name);
const eventLink = (position) => h('a', {href: `#/event/${position}`}, String(position));

// Reads the log with `filter` from position 1, calling onEvent per event,
// until the head or kMaxScanPages pages. Returns null or the failed result.
async function scanLog(filter, onEvent) {
  let from = 1;
  for (let page = 0; page < kMaxScanPages; ++page) {
    const result = await get(withQuery('/events', {...filter, from, limit: 1000}));
    if (!result.ok) return result;
    for (const event of result.body.events) onEvent(event);
    if (result.body.scanned_to >= result.body.head) return null;
    from = result.body.scanned_to + 1;
  }
  return null;
}

export function render(main) {
  const input = h('input', {id: 'stream-search', type: 'search', required: true,
                            placeholder: 'account-alice or account', 'aria-describedby': 'search-help'});
  const results = h('div', {id: 'stream-results', 'aria-live': 'polite'});
  const form = h('form', {class: 'row', role: 'search', onsubmit: async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    fill(results, h('p', {class: 'muted'}, 'Searching…'));
    const names = new Map();  // stream -> events seen
    const category = text.includes('-') ? text.slice(0, text.indexOf('-')) : text;
    const failed = await scanLog({category}, (e) => {
      if (e.stream.startsWith(text)) names.set(e.stream, (names.get(e.stream) || 0) + 1);
    });
    if (failed) {
      fill(results, problemView(failed.problem));
      return;
    }
    fill(results, names.size === 0 ?
        notice('info', `No stream starts with "${text}".`) :
        table([...names].sort().map(([name, count]) => ({stream: streamLink(name), events: count})),
              {id: 'stream-table'}));
  }},
  h('label', {for: 'stream-search'}, 'Stream name or prefix'), input,
  h('button', {type: 'submit'}, 'Find'));
  main.append(form,
              h('p', {id: 'search-help', class: 'muted'},
                'Streams are found by their category (the part of the name before the first "-") ',
                'and then by prefix; open one to read it page by page.'),
              results);
  return null;
}

// #/stream/<name>/<from version>
export function renderStream(main, [name = '', fromText = '0']) {
  const from = Math.max(0, Number(fromText) || 0);
  const body = h('div', {id: 'stream-events'});
  main.append(h('p', {}, 'Stream ', h('code', {}, name)), body);
  (async () => {
    const result = await get(withQuery(`/streams/${encodeURIComponent(name)}`,
                                       {from, limit: kPageSize, direction: 'forward'}));
    if (!result.ok) {
      fill(body, problemView(result.problem));
      return;
    }
    const events = result.body.events;
    const base = `#/stream/${encodeURIComponent(name)}`;
    const pager = h('nav', {class: 'row pager', 'aria-label': 'Pages of the stream'},
                    from > 0 ? h('a', {href: `${base}/${Math.max(0, from - kPageSize)}`, id: 'page-back'},
                                 '← Earlier') : null,
                    h('span', {class: 'muted'},
                      events.length ? `versions ${from}–${from + events.length - 1}` : 'no events here'),
                    events.length === kPageSize ?
                        h('a', {href: `${base}/${from + kPageSize}`, id: 'page-forward'}, 'Later →') : null);
    fill(body, pager,
         table(events.map((e) => ({version: e.version, position: eventLink(e.position), type: e.type,
                                   time: new Date(e.timestamp_us / 1000).toISOString()}))));
  })();
  return null;
}

// The correlation and causation ids of an event's metadata, whatever their
// spelling in the domain's metadata.
function relations(metadata) {
  const found = [];
  if (!metadata || typeof metadata !== 'object') return found;
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value === 'string' && /correlation|causation/i.test(key)) found.push([key, value]);
  }
  return found;
}

// #/event/<position>
export function renderEvent(main, [positionText = '']) {
  const position = Number(positionText);
  const body = h('div', {id: 'event-detail'});
  main.append(body);
  (async () => {
    if (!Number.isInteger(position) || position < 1) {
      fill(body, notice('error', `"${positionText}" is not a position.`));
      return;
    }
    const result = await get(withQuery('/events', {from: position, limit: 1}));
    if (!result.ok) {
      fill(body, problemView(result.problem));
      return;
    }
    const event = result.body.events[0];
    if (!event || event.position !== position) {
      fill(body, notice('warn', `There is no event at position ${position}.`));
      return;
    }
    const links = relations(event.metadata).map(([key, id]) =>
        h('li', {}, `${key}: `, h('a', {href: `#/related/${encodeURIComponent(id)}`}, id)));
    fill(body,
         h('dl', {class: 'facts'},
           h('dt', {}, 'Type'), h('dd', {}, event.type),
           h('dt', {}, 'Stream'), h('dd', {}, streamLink(event.stream), ` version ${event.version}`),
           h('dt', {}, 'Position'), h('dd', {}, String(event.position)),
           h('dt', {}, 'Time'), h('dd', {}, new Date(event.timestamp_us / 1000).toISOString()),
           h('dt', {}, 'Id'), h('dd', {}, h('code', {}, event.id))),
         h('nav', {class: 'row pager', 'aria-label': 'Neighbouring events'},
           position > 1 ? h('a', {href: `#/event/${position - 1}`}, '← Previous in the log') : null,
           position < result.body.head ? h('a', {href: `#/event/${position + 1}`}, 'Next in the log →') : null),
         h('h3', {}, 'Data'), jsonBlock(event.data, {id: 'event-data'}),
         h('h3', {}, 'Metadata'), jsonBlock(event.metadata),
         h('h3', {}, 'Related'),
         links.length ? h('ul', {id: 'event-related'}, links) :
                        h('p', {class: 'muted'}, 'No correlation or causation id.'));
  })();
  return null;
}

// #/related/<id>: every event whose id, or a metadata value, is `id` (the
// events of one correlation, or the one that caused another).
export function renderRelated(main, [id = '']) {
  const body = h('div', {id: 'related-events'}, h('p', {class: 'muted'}, 'Scanning the log…'));
  main.append(h('p', {}, 'Events related to ', h('code', {}, id)), body);
  (async () => {
    const rows = [];
    const failed = await scanLog({}, (e) => {
      const inMetadata = e.metadata && typeof e.metadata === 'object' &&
          Object.values(e.metadata).includes(id);
      if (e.id === id || inMetadata) {
        rows.push({position: eventLink(e.position), stream: streamLink(e.stream), type: e.type,
                   relation: e.id === id ? 'this event' : 'shares the id'});
      }
    });
    if (failed) fill(body, problemView(failed.problem));
    else fill(body, rows.length ? table(rows) : notice('info', 'No event in the scanned log has this id.'));
  })();
  return null;
}
