// Forms from the node's OpenAPI document (GET /openapi.json, generated from
// the commands' and queries' declared contracts): one input per field, the
// value typed as its schema says before it is sent. The server checks the
// contract; the form only helps write it.
import {openApi, problemView, resolve} from './api.js';
import {fill, h, notice} from './dom.js';

// The commands (POST /commands/<type>) or queries (GET /queries/<name>) the
// document lists: [{name, summary, scope, operation}].
export function operations(document, prefix, method) {
  const found = [];
  for (const [path, item] of Object.entries(document.paths || {})) {
    if (!path.startsWith(prefix) || path.includes('{') || !item[method]) continue;
    const operation = item[method];
    found.push({name: path.slice(prefix.length), summary: operation.summary || '',
                scope: operation['x-duet-scope'] || '', operation});
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

// One labelled input for a field. Scalars are text inputs; arrays and
// objects are JSON in a textarea, started from the example when there is one.
export function fieldInput(idPrefix, name, schema, required, example) {
  const id = `${idPrefix}-${name}`;
  const structured = schema.type === 'array' || schema.type === 'object';
  const hint = [schema.type, schema.description, required ? 'required' : 'optional']
                   .filter(Boolean).join(' · ');
  const input = structured ?
      h('textarea', {id, name, rows: 4, 'aria-describedby': `${id}-hint`},
        example === undefined ? '' : JSON.stringify(example, null, 1)) :
      h('input', {id, name, type: 'text', 'aria-describedby': `${id}-hint`,
                  inputmode: schema.type === 'integer' || schema.type === 'number' ? 'numeric' : null,
                  placeholder: example === undefined ? null : String(example)});
  input.dataset.kind = schema.type || 'string';
  return h('div', {class: 'field'}, h('label', {for: id}, name, required ? ' *' : ''), input,
           h('small', {id: `${id}-hint`, class: 'muted'}, hint));
}

// The value an input holds, typed by its schema: undefined when empty; a
// number for integer and number fields that parse; JSON for structured
// ones (the text itself when it does not parse, so the server names the field).
export function fieldValue(input) {
  const text = input.value.trim();
  if (text === '') return undefined;
  switch (input.dataset.kind) {
    case 'integer':
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'array':
    case 'object':
      try { return JSON.parse(text); } catch { return text; }
    default:
      return text;
  }
}

// The request body schema of a command operation, resolved.
export function bodySchema(document, operation) {
  const media = operation.requestBody && operation.requestBody.content &&
      operation.requestBody.content['application/json'];
  return media ? {schema: resolve(document, media.schema) || {}, example: media.example || {}} :
                 {schema: {}, example: {}};
}

// A query operation's own parameters (the shared min_position, timeout_ms
// and If-None-Match are left to the page).
export function queryParameters(document, operation) {
  return (operation.parameters || [])
      .filter((p) => !p.$ref)
      .map((p) => resolve(document, p))
      .filter((p) => p && p.in === 'query');
}

// The commands and queries pages alike: a side list of the node's operations
// under `prefix` and the form `makeForm(document, operation)` for the one
// selected (else the first); `emptyText` when the node has none.
export function renderOperationPage(main, selected, {prefix, method, label, emptyText, makeForm}) {
  const body = h('div', {class: 'split'});
  main.append(body);
  (async () => {
    const doc = await openApi();
    if (!doc.ok) {
      fill(body, problemView(doc.problem));
      return;
    }
    const all = operations(doc.body, prefix, method);
    if (all.length === 0) {
      fill(body, notice('info', emptyText));
      return;
    }
    const current = all.find((o) => o.name === selected) || all[0];
    const list = h('nav', {'aria-label': label, class: 'side'},
                   h('ul', {}, all.map((o) => h('li', {},
                       h('a', {href: `#${prefix}${encodeURIComponent(o.name)}`,
                               'aria-current': o === current ? 'page' : null}, o.name)))));
    fill(body, list, h('section', {class: 'grow'}, makeForm(doc.body, current)));
  })();
  return null;
}
