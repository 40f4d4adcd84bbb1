// Commands: a form per registered command, generated from its contract in
// /openapi.json; the answer (or the problem) shown readably, with links to
// the events it appended.
import {post, problemView, resolve, setLastPosition} from './api.js';
import {bodySchema, fieldInput, fieldValue, renderOperationPage} from './contract.js';
import {fill, h, jsonBlock} from './dom.js';

// crypto.randomUUID exists only in secure contexts (https, localhost).
function newCommandId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function answerView(answer) {
  const links = (answer.streams || [{stream: answer.stream, version: answer.version}])
      .filter((s) => s.stream)
      .map((s) => h('li', {}, h('a', {href: `#/stream/${encodeURIComponent(s.stream)}/${s.version}`},
                                `${s.stream} at version ${s.version}`)));
  return h('div', {class: 'notice info', id: 'command-answer', role: 'status'},
           h('strong', {}, answer.duplicate ? 'Already done (same Idempotency-Key)' : 'Accepted and durable'),
           h('p', {}, 'Commit position ',
             h('a', {href: `#/event/${answer.position}`, id: 'command-position'}, String(answer.position)),
             ' (queries can wait for it: "wait for my last write").'),
           links.length ? h('ul', {}, links) : null, jsonBlock(answer));
}

function commandForm(document, command) {
  const {schema, example} = bodySchema(document, command.operation);
  const required = new Set(schema.required || []);
  const inputs = [];
  const fields = Object.entries(schema.properties || {}).map(([name, property]) => {
    const field = fieldInput('command', name, resolve(document, property) || {}, required.has(name), example[name]);
    inputs.push(field.querySelector('input, textarea'));
    return field;
  });
  const result = h('div', {id: 'command-result', 'aria-live': 'polite'});
  const form = h('form', {class: 'stack', id: 'command-form', 'data-command': command.name,
                          onsubmit: async (event) => {
    event.preventDefault();
    const body = {};
    for (const input of inputs) {
      const value = fieldValue(input);
      if (value !== undefined) body[input.name] = value;
    }
    fill(result, h('p', {class: 'muted'}, 'Sending…'));
    const answer = await post(`/commands/${encodeURIComponent(command.name)}`, body,
                              {extraHeaders: {'Idempotency-Key': newCommandId()}});
    if (answer.ok) setLastPosition(answer.body.position);
    fill(result, answer.ok ? answerView(answer.body) : problemView(answer.problem));
  }},
  h('h3', {}, command.name), h('p', {class: 'muted'}, command.summary,
                               command.scope ? ` Needs the ${command.scope} scope.` : ''),
  fields, h('button', {type: 'submit', id: 'command-send'}, `Send ${command.name}`));
  return [form, result];
}

export function render(main, [selected]) {
  return renderOperationPage(main, selected, {
    prefix: '/commands/', method: 'post', label: 'Commands',
    emptyText: 'This node takes no commands (a query node sends them to its command node).',
    makeForm: commandForm,
  });
}
