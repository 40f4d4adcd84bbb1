// Overview: the node's role, version and health (GET /health), and live
// numbers from GET /metrics (scope admin): head, append rate, fsync latency,
// projection lag, and on a query node its follower's state.
import {get, isAccessProblem, metric, parseMetrics, problemView} from './api.js';
import {format, LineChart} from './chart.js';
import {fill, h, notice} from './dom.js';

const kPollMs = 2000;

function stat(label, id) {
  return h('div', {class: 'stat'}, h('span', {class: 'stat-label'}, label),
           h('span', {class: 'stat-value', id}, '–'));
}

// Counter and histogram deltas between two scrapes, per second.
function rates(previous, current, seconds) {
  const delta = (name) => {
    const before = metric(previous, name);
    const after = metric(current, name);
    return before === undefined || after === undefined ? undefined : Math.max(0, after - before);
  };
  const appended = delta('duet_store_appended_events_total');
  const fsyncSum = delta('duet_fsync_seconds_sum');
  const fsyncCount = delta('duet_fsync_seconds_count');
  return {
    appendRate: appended === undefined ? undefined : appended / seconds,
    fsyncMs: fsyncCount ? (fsyncSum / fsyncCount) * 1000 : (fsyncCount === 0 ? 0 : undefined),
  };
}

export function render(main) {
  const health = h('div', {id: 'health'});
  const stats = h('div', {class: 'stats'}, stat('Role', 'stat-role'), stat('Version', 'stat-version'),
                  stat('Status', 'stat-status'), stat('Head position', 'stat-head'),
                  stat('Append rate (events/s)', 'stat-append-rate'),
                  stat('fsync mean (ms)', 'stat-fsync'), stat('Follower', 'stat-follower'));
  const appendChart = new LineChart('Append rate', 'events/s');
  const fsyncChart = new LineChart('fsync latency (mean per interval)', 'ms');
  const lagChart = new LineChart('Projection lag', 'events');
  const metricsState = h('div', {id: 'metrics-state'});
  main.append(health, stats, metricsState,
              h('div', {class: 'charts'}, appendChart.element, fsyncChart.element,
                lagChart.element));
  const set = (id, value) => { document.getElementById(id).textContent = value; };

  let previous = null;
  let previousAt = 0;
  let timer = null;
  let stopped = false;

  async function poll() {
    const probe = await get('/health');
    if (stopped) return;
    if (probe.body && typeof probe.body === 'object') {
      set('stat-role', probe.body.role);
      set('stat-version', probe.body.version);
      set('stat-status', probe.body.status);
      fill(health, probe.ok ? null : notice('error', `Unhealthy: ${probe.body.detail || probe.body.status}`));
    } else {
      fill(health, problemView(probe.problem));
    }
    const scraped = await get('/metrics');
    if (stopped) return;
    if (!scraped.ok) {
      fill(metricsState, isAccessProblem(scraped) ?
          notice('warn', 'Live numbers come from /metrics, which needs a token with the admin scope.') :
          problemView(scraped.problem));
    } else {
      fill(metricsState);
      const samples = parseMetrics(scraped.body);
      const now = performance.now();
      set('stat-head', format(metric(samples, 'duet_log_head_position') ?? NaN));
      const connected = metric(samples, 'duet_follower_connected');
      set('stat-follower', connected === undefined ? 'n/a (not a query node)' :
          `${connected ? 'connected' : 'disconnected'}, ${format(metric(samples, 'duet_follower_lag_events') ?? NaN)} behind`);
      if (previous) {
        const {appendRate, fsyncMs} = rates(previous, samples, (now - previousAt) / 1000);
        set('stat-append-rate', appendRate === undefined ? 'no appends here' : format(appendRate));
        set('stat-fsync', fsyncMs === undefined ? 'no fsync here' : format(fsyncMs));
        if (appendRate !== undefined) appendChart.push({events: appendRate});
        if (fsyncMs !== undefined) fsyncChart.push({fsync: fsyncMs});
      }
      const lags = {};
      for (const sample of samples) {
        if (sample.name === 'duet_projection_lag_events') lags[sample.labels.projection] = sample.value;
      }
      lagChart.push(lags);
      previous = samples;
      previousAt = now;
    }
    timer = setTimeout(poll, kPollMs);
  }
  poll();
  return () => { stopped = true; clearTimeout(timer); };
}
