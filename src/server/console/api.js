// The console's only way to the server: the public HTTP API, same origin.
// The bearer token lives in sessionStorage, so it leaves with the tab.
import {h} from './dom.js';

const kTokenKey = 'duet.token';
const kLastPositionKey = 'duet.lastPosition';

export function token() { return sessionStorage.getItem(kTokenKey) || ''; }
export function setToken(value) {
  if (value) sessionStorage.setItem(kTokenKey, value);
  else sessionStorage.removeItem(kTokenKey);
}

// The position of the last command this tab sent: what "wait for my last
// write" passes as min_position.
export function lastPosition() { return Number(sessionStorage.getItem(kLastPositionKey) || 0); }
export function setLastPosition(position) {
  sessionStorage.setItem(kLastPositionKey, String(position));
}

function headers(extra = {}) {
  const all = {Accept: 'application/json', ...extra};
  if (token()) all.Authorization = `Bearer ${token()}`;
  return all;
}

// {ok, status, body (parsed JSON or text), problem (the problem document of
// a failure, or a made-up one when the server could not be reached)}.
export async function call(method, path, {body, signal, extraHeaders} = {}) {
  const init = {method, headers: headers(extraHeaders), signal};
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return {ok: false, status: 0, body: null,
            problem: {title: 'Unreachable', detail: `the server did not answer: ${error.message}`,
                      code: 'unreachable', status: 0}};
  }
  const type = response.headers.get('Content-Type') || '';
  const text = await response.text();
  let parsed = text;
  if (type.includes('json') && text) {
    try { parsed = JSON.parse(text); } catch { parsed = text; }
  }
  const result = {ok: response.ok, status: response.status, body: parsed, problem: null};
  if (!response.ok) {
    result.problem = typeof parsed === 'object' && parsed !== null ?
        parsed : {title: response.statusText, detail: String(text), status: response.status};
  }
  return result;
}

export const get = (path, options) => call('GET', path, options);
export const post = (path, body, options = {}) => call('POST', path, {...options, body});

// Builds "path?a=1&b=2" from the non-empty values of `params`.
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// A problem document shown readably; 401 and 403 say what to do about them.
export function problemView(problem) {
  const hint = problem.status === 401 ?
      h('p', {}, 'This server requires a token: set one on the ', h('a', {href: '#/auth'}, 'Token'),
        ' page.') :
      problem.status === 403 ?
      h('p', {}, 'Your token does not have the scope this page needs (',
        problem.detail || 'forbidden', ').') :
      null;
  return h('div', {class: 'notice error problem', role: 'alert'},
           h('strong', {}, `${problem.status || ''} ${problem.title || 'Error'}`),
           problem.code ? h('code', {class: 'code'}, problem.code) : null,
           problem.subject ? h('span', {}, ` (subject: ${problem.subject})`) : null,
           h('p', {}, problem.detail || ''), hint);
}

// True when a failure means "the token may not do this": the page says so
// instead of failing.
export function isAccessProblem(result) { return result.status === 401 || result.status === 403; }

// Reads a Server-Sent Events response with fetch (EventSource cannot send an
// Authorization header). Calls onMessage({event, id, data}) per message
// until `signal` aborts. Resolves when the stream ends; rejects on a
// refusal with the call() result as `error.result`.
export async function readEventStream(path, signal, onMessage) {
  const response = await fetch(path, {headers: headers({Accept: 'text/event-stream'}), signal});
  if (!response.ok) {
    const text = await response.text();
    let problem;
    try { problem = JSON.parse(text); } catch { problem = {title: response.statusText, detail: text}; }
    problem.status = response.status;
    const error = new Error(problem.detail || 'refused');
    error.result = {ok: false, status: response.status, problem};
    throw error;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message = {event: 'message', id: null, data: ''};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const field = line.slice(0, colon);
        const text = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') message.event = text;
        else if (field === 'id') message.id = text;
        else if (field === 'data') message.data += (message.data ? '\n' : '') + text;
      }
      onMessage(message);
    }
  }
}

// Prometheus text (GET /metrics) as [{name, labels, value}], comments dropped.
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    if (match[3]) {
      for (const pair of match[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[pair[1]] = pair[2].replace(/\\(.)/g, '$1');
      }
    }
    samples.push({name: match[1], labels, value: Number(match[4])});
  }
  return samples;
}

// The value of the first sample named `name` whose labels include `labels`.
export function metric(samples, name, labels = {}) {
  const found = samples.find((s) => s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found ? found.value : undefined;
}

// The node's OpenAPI document, fetched once per page load: the commands and
// queries it serves, with their contracts and scopes.
let openApiPromise = null;
export function openApi() {
  if (!openApiPromise) {
    openApiPromise = get('/openapi.json').then((result) => {
      if (!result.ok) openApiPromise = null;
      return result;
    });
  }
  return openApiPromise;
}

// Resolves a local "$ref" ("#/components/...") in `document`.
export function resolve(document, value) {
  let current = value;
  while (current && current.$ref && current.$ref.startsWith('#/')) {
    current = current.$ref.slice(2).split('/').reduce((node, key) => node && node[key], document);
  }
  return current;
}
