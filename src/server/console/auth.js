// Token: the bearer token the console sends, kept in sessionStorage (this
// tab only). With no tokens configured the server is open and none is needed.
import {get, setToken, token} from './api.js';
import {fill, h} from './dom.js';

// What each page needs, probed with a harmless GET per scope.
const kProbes = [
  {scope: 'query', path: '/events?limit=1', pages: 'Streams, Live tail, Queries'},
  {scope: 'admin', path: '/projections', pages: 'Overview numbers, Projections'},
];

export function render(main) {
  const input = h('input', {id: 'token', type: 'password', autocomplete: 'off', value: token(),
                            'aria-describedby': 'token-help'});
  const result = h('div', {id: 'token-result', 'aria-live': 'polite'});
  async function check() {
    const rows = [];
    for (const probe of kProbes) {
      const answer = await get(probe.path);
      rows.push(h('li', {}, `${probe.scope}: `,
                  answer.ok ? 'allowed' : answer.status === 401 ? 'a token is required' :
                  answer.status === 403 ? 'not allowed for this token' : `error ${answer.status}`,
                  ` (${probe.pages})`));
    }
    fill(result, h('p', {}, 'This token may use:'), h('ul', {}, rows),
         h('p', {class: 'muted'},
           'Commands need the command scope; a command form says so when it is refused.'));
  }
  const form = h('form', {class: 'stack', onsubmit: (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    check();
  }},
  h('label', {for: 'token'}, 'Bearer token'), input,
  h('p', {id: 'token-help', class: 'muted'},
    'Stored for this tab only (sessionStorage) and sent as Authorization: Bearer on every request.'),
  h('div', {class: 'row'}, h('button', {type: 'submit'}, 'Save and check'),
    h('button', {type: 'button', onclick: () => { input.value = ''; setToken(''); check(); }},
      'Forget token')));
  main.append(form, result);
  check();
  return null;
}

