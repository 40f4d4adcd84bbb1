// The console's shell: hash routing (#/<page>/<argument>), one page module
// per route. A page's render(main, args) returns a function that stops what
// it started (timers, feeds) when the user leaves it.
import {get} from './api.js';
import {fill, h} from './dom.js';
import * as auth from './auth.js';
import * as commands from './commands.js';
import * as overview from './overview.js';
import * as projections from './projections.js';
import * as queries from './queries.js';
import * as streams from './streams.js';
import * as tail from './tail.js';

const kPages = {
  overview: {module: overview, title: 'Overview'},
  streams: {module: streams, title: 'Streams'},
  stream: {module: streams, title: 'Stream', nav: 'streams', render: streams.renderStream},
  event: {module: streams, title: 'Event', nav: 'streams', render: streams.renderEvent},
  related: {module: streams, title: 'Related events', nav: 'streams', render: streams.renderRelated},
  tail: {module: tail, title: 'Live tail'},
  projections: {module: projections, title: 'Projections'},
  commands: {module: commands, title: 'Commands'},
  queries: {module: queries, title: 'Queries'},
  auth: {module: auth, title: 'Token'},
};

let stopPage = null;

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name, ...rest] = hash.split('/');
  // Own keys only: "#/constructor" must not find Object's.
  const pageName = Object.hasOwn(kPages, name) ? name : 'overview';
  const page = kPages[pageName];
  const args = rest.map((part) => decodeURIComponent(part));
  if (stopPage) stopPage();
  stopPage = null;
  for (const link of document.querySelectorAll('nav a[data-page]')) {
    const current = link.dataset.page === (page.nav || pageName);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${page.title} · Duet console`;
  const main = document.getElementById('main');
  fill(main, h('h2', {id: 'page-title'}, page.title));
  main.dataset.page = pageName;
  const render = page.render || page.module.render;
  stopPage = render(main, args) || null;
  // Keyboard and screen-reader users land on the new page, not the old link.
  if (document.activeElement && document.activeElement.closest('nav')) main.focus();
}

async function labelNode() {
  const health = await get('/health');
  const label = document.getElementById('node-label');
  if (health.body && typeof health.body === 'object') {
    label.textContent = `role ${health.body.role} · ${health.body.version}`;
  }
}

window.addEventListener('hashchange', route);
route();
labelNode();
