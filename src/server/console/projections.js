// Projections: state, checkpoint, lag and rate of each (GET /projections,
// scope admin), and a rebuild with a live progress bar, rate and ETA.
import {get, isAccessProblem, post, problemView} from './api.js';
import {fill, h, notice} from './dom.js';

const kPollMs = 1000;

function rebuildCell(entry, watched) {
  if (entry.rebuild) {
    const {position, target, events_per_s: rate, eta_seconds: eta} = entry.rebuild;
    return h('div', {class: 'progress-cell'},
             h('progress', {max: Math.max(1, target), value: position,
                            id: `progress-${entry.name}`, 'aria-label': `rebuild of ${entry.name}`}),
             h('span', {class: 'muted'}, `${position}/${target} · ${Math.round(rate)} ev/s · ETA ${Math.round(eta)} s`));
  }
  if (watched.has(entry.name)) {
    // The entry lost its "rebuild" part: the new read model took over.
    return h('div', {class: 'progress-cell'},
             h('progress', {max: 1, value: 1, id: `progress-${entry.name}`,
                            'aria-label': `rebuild of ${entry.name}`}),
             h('span', {class: 'rebuild-done'}, 'rebuilt'));
  }
  return null;
}

export function render(main) {
  const message = h('div', {id: 'projection-message', 'aria-live': 'polite'});
  const body = h('div', {id: 'projection-table'});
  main.append(message, body,
              h('p', {class: 'muted'},
                'The determinism check (verify) and parked-event retry are command-line ',
                'operations (duet projections verify NAME, duet projections parked NAME --retry); this node\'s ',
                'HTTP API does not offer them, so the console shows the parked count only.'));
  const watched = new Set();  // projections this page started a rebuild of
  let timer = null;
  let stopped = false;

  async function rebuild(name) {
    watched.add(name);
    const result = await post(`/projections/${encodeURIComponent(name)}/rebuild`);
    fill(message, result.ok ? notice('info', `Rebuild of ${name} started.`) : problemView(result.problem));
    refresh(false);
  }

  async function refresh(again = true) {
    const result = await get('/projections');
    if (stopped) return;
    if (!result.ok) {
      // A command node runs no projections: the route is not there (404).
      fill(body, isAccessProblem(result) ?
          notice('warn', 'Projections need a token with the admin scope.') :
          result.status === 404 ?
          notice('info', 'This node runs no projections (role command): see a query node.') :
          problemView(result.problem));
    } else {
      const rows = result.body.projections.map((p) => h('tr', {'data-projection': p.name},
          h('th', {scope: 'row'}, p.name), h('td', {}, String(p.version)), h('td', {}, p.store),
          h('td', {class: `state state-${p.state}`}, p.state, p.error ? ` (${p.error})` : ''),
          h('td', {}, String(p.checkpoint)), h('td', {}, String(p.lag_events)),
          h('td', {}, String(p.lag_seconds)), h('td', {}, String(Math.round(p.events_per_s))),
          h('td', {}, String(p.parked)),
          h('td', {}, h('button', {type: 'button', class: 'rebuild', 'data-name': p.name,
                                   disabled: Boolean(p.rebuild), onclick: () => rebuild(p.name)},
                        'Rebuild'),
            rebuildCell(p, watched))));
      // The table is redrawn each second: keep the keyboard focus on its button.
      const focused = document.activeElement && document.activeElement.dataset ?
          document.activeElement.dataset.name : undefined;
      fill(body, h('div', {class: 'table-wrap'}, h('table', {},
          h('thead', {}, h('tr', {}, ['Projection', 'Version', 'Store', 'State', 'Checkpoint',
                                      'Lag (events)', 'Lag (s)', 'Rate (ev/s)', 'Parked', 'Rebuild']
                                         .map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, rows))));
      if (focused) body.querySelector(`button[data-name="${CSS.escape(focused)}"]`)?.focus();
    }
    if (again) timer = setTimeout(refresh, kPollMs);
  }
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
