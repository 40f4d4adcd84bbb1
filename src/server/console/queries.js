// Queries: a form per registered query from /openapi.json; the answer as a
// table (or JSON), the position it reflects, and "wait for my last write",
// which passes the position of this tab's last command as min_position.
import {get, lastPosition, problemView, withQuery} from './api.js';
import {fieldInput, fieldValue, queryParameters, renderOperationPage} from './contract.js';
import {fill, h, jsonBlock, notice, table} from './dom.js';

// The answer's data as a table when it has a tabular shape: a list of
// objects (or an object holding one), or one flat object.
function dataView(data) {
  if (Array.isArray(data) && data.every((row) => row && typeof row === 'object')) {
    return data.length ? table(data, {id: 'query-table'}) : notice('info', 'No rows.');
  }
  if (data && typeof data === 'object') {
    const list = Object.entries(data).find(([, v]) => Array.isArray(v) && v.every((r) => r && typeof r === 'object'));
    if (list) return [h('h4', {}, list[0]), dataView(list[1])];
    return table(Object.entries(data).map(([field, value]) => ({field, value})), {id: 'query-table'});
  }
  return jsonBlock(data);
}

function queryForm(document, query) {
  const inputs = [];
  const fields = queryParameters(document, query.operation).map((p) => {
    const field = fieldInput('query', p.name, p.schema || {}, Boolean(p.required),
                             p.example ?? (p.schema && p.schema.example));
    inputs.push(field.querySelector('input, textarea'));
    return field;
  });
  const wait = h('input', {type: 'checkbox', id: 'query-wait'});
  const result = h('div', {id: 'query-result', 'aria-live': 'polite'});
  const form = h('form', {class: 'stack', id: 'query-form', 'data-query': query.name,
                          onsubmit: async (event) => {
    event.preventDefault();
    const params = {};
    for (const input of inputs) params[input.name] = fieldValue(input);
    if (wait.checked && lastPosition() > 0) params.min_position = lastPosition();
    fill(result, h('p', {class: 'muted'}, 'Running…'));
    const answer = await get(withQuery(`/queries/${encodeURIComponent(query.name)}`, params));
    if (!answer.ok) {
      fill(result, problemView(answer.problem));
      return;
    }
    fill(result,
         h('p', {id: 'query-position'}, `Reflects position ${answer.body.position}`,
           answer.body.read_model ? ` of read model ${answer.body.read_model}` : '',
           params.min_position ? ` (waited for ${params.min_position})` : ''),
         dataView(answer.body.data),
         h('details', {}, h('summary', {}, 'JSON'), jsonBlock(answer.body, {id: 'query-json'})));
  }},
  h('h3', {}, query.name), h('p', {class: 'muted'}, query.summary,
                             query.scope ? ` Needs the ${query.scope} scope.` : ''),
  fields,
  h('div', {class: 'row'}, wait,
    h('label', {for: 'query-wait'}, 'Wait for my last write',
      h('span', {class: 'muted'}, ` (min_position = ${lastPosition() || 'none yet'})`))),
  h('button', {type: 'submit', id: 'query-run'}, `Run ${query.name}`));
  return [form, result];
}

export function render(main, [selected]) {
  return renderOperationPage(main, selected, {
    prefix: '/queries/', method: 'get', label: 'Queries',
    emptyText: 'This node answers no queries (a command node: ask a query node).',
    makeForm: queryForm,
  });
}
