// Projections: state, checkpoint, lag and rate of each (GET /projections,
// scope admin), a rebuild with a live progress bar, rate and ETA, the
// determinism check (POST .../verify) and the parked events with a retry.
import {get, isAccessProblem, post, problemView} from './api.js';
import {fill, h, notice} from './dom.js';

const kPollMs = 1000;
const kKeysShown = 5;  // differing keys named in a failed verify; the rest are counted

function projectionPath(name, rest) { return `/projections/${encodeURIComponent(name)}/${rest}`; }

function verifyView(name, report) {
  if (report.matches) {
    return notice('info', h('strong', {class: 'verify-matches'}, `${name}: matches`),
                  ` — a replay to position ${report.position} gives the same read model `,
                  `(${report.entries} entr${report.entries === 1 ? 'y' : 'ies'}, digest ${report.live_digest}).`);
  }
  const keys = report.differing_keys;
  const more = keys.length > kKeysShown ? ` and ${keys.length - kKeysShown} more` : '';
  return notice('warn', h('strong', {class: 'verify-differs'},
                          `${name}: ${keys.length} differing key${keys.length === 1 ? '' : 's'}`),
                ` — a replay to position ${report.position} gives another read model: `,
                keys.slice(0, kKeysShown).map((key, i) => [i ? ', ' : '', h('code', {}, key)]),
                more, '. The projection reads something besides its events.');
}

function parkedView(name, listed, onRetry) {
  const {parked, total} = listed;
  const shown = total > parked.length ? ` (the oldest ${parked.length} shown)` : '';
  return h('div', {class: 'parked-projection', 'data-parked': name},
           h('h3', {}, `${name}: ${total} parked${shown}`),
           h('div', {class: 'table-wrap'}, h('table', {},
             h('thead', {}, h('tr', {}, ['Position', 'Stream', 'Type', 'Error']
                                            .map((c) => h('th', {scope: 'col'}, c)))),
             h('tbody', {}, parked.map((e) => h('tr', {},
               h('td', {}, h('a', {href: `#/event/${e.position}`}, String(e.position))),
               h('td', {}, e.stream), h('td', {}, e.type), h('td', {}, e.error)))))),
           h('button', {type: 'button', class: 'retry', 'data-name': name, onclick: onRetry},
             `Retry ${name}'s parked events`));
}

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
  const verifyResult = h('div', {id: 'verify-result', 'aria-live': 'polite'});
  const parkedBody = h('div', {id: 'parked-list'});
  const parkedSection = h('section', {id: 'parked-events', hidden: true},
                          h('h2', {}, 'Parked events'), parkedBody);
  main.append(message, body, verifyResult, parkedSection);
  const watched = new Set();  // projections this page started a rebuild of
  const verifying = new Set();  // projections whose verify has not answered yet
  const parkedCounts = new Map();  // name -> parked count the parked list was read at
  const parkedViews = new Map();  // name -> its part of the parked section
  let timer = null;
  let stopped = false;

  async function rebuild(name) {
    watched.add(name);
    const result = await post(projectionPath(name, 'rebuild'));
    fill(message, result.ok ? notice('info', `Rebuild of ${name} started.`) : problemView(result.problem));
    refresh(false);
  }

  // The check replays the whole history, so its answer can take a while; the
  // button stays disabled until it comes.
  async function verify(name) {
    verifying.add(name);
    fill(verifyResult, notice('info', `Verifying ${name}: replaying its events…`));
    refresh(false);
    const result = await post(projectionPath(name, 'verify'));
    verifying.delete(name);
    if (stopped) return;
    fill(verifyResult, result.ok ? verifyView(name, result.body) : problemView(result.problem));
    refresh(false);
  }

  async function retryParked(name) {
    const result = await post(projectionPath(name, 'parked/retry'));
    if (stopped) return;
    fill(message, result.ok ?
        notice('info', `Retried the parked events of ${name}: ${result.body.remaining} still parked.`) :
        problemView(result.problem));
    parkedCounts.delete(name);  // read its list again even if the count did not change
    refresh(false);
  }

  async function loadParked(name) {
    const result = await get(projectionPath(name, 'parked'));
    // Dropped when the page left, or when the count fell to 0 meanwhile.
    if (stopped || !(parkedCounts.get(name) > 0)) return;
    parkedViews.set(name, result.ok ? parkedView(name, result.body, () => retryParked(name)) :
                                      problemView(result.problem));
    showParked();
  }

  function showParked() {
    parkedSection.hidden = false;
    const views = [...parkedViews.values()];
    fill(parkedBody, views.length ? views : h('p', {class: 'muted', id: 'parked-none'},
        'No projection has parked events (a projection whose failure policy is park sets aside ',
        'the events it cannot apply; they are listed here).'));
  }

  // The parked lists are read again only when a projection's parked count
  // changes, not on every poll.
  function updateParked(projections) {
    for (const p of projections) {
      if (parkedCounts.get(p.name) === p.parked) continue;
      parkedCounts.set(p.name, p.parked);
      if (p.parked > 0) {
        loadParked(p.name);
      } else {
        parkedViews.delete(p.name);
      }
    }
    showParked();
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
            rebuildCell(p, watched)),
          h('td', {}, h('button', {type: 'button', class: 'verify', 'data-name': p.name,
                                   disabled: verifying.has(p.name), onclick: () => verify(p.name)},
                        verifying.has(p.name) ? 'Verifying…' : 'Verify'))));
      // The table is redrawn each second: keep the keyboard focus on its button.
      const active = document.activeElement;
      const focused = active && body.contains(active) && active.dataset.name ?
          `button.${active.classList[0]}[data-name="${CSS.escape(active.dataset.name)}"]` :
          undefined;
      fill(body, h('div', {class: 'table-wrap'}, h('table', {},
          h('thead', {}, h('tr', {}, ['Projection', 'Version', 'Store', 'State', 'Checkpoint',
                                      'Lag (events)', 'Lag (s)', 'Rate (ev/s)', 'Parked', 'Rebuild',
                                      'Determinism']
                                         .map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, rows))));
      if (focused) body.querySelector(focused)?.focus();
      updateParked(result.body.projections);
    }
    if (again) timer = setTimeout(refresh, kPollMs);
  }
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
