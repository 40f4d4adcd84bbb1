// Small DOM helpers: elements are built with createElement and text nodes,
// never from HTML strings, so data from the log cannot inject markup.

// h('a', {href: '#/x', class: 'y'}, 'text', child...): an element.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) {
      append(element, child);
    } else {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

// Replaces everything inside `element`.
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// Pretty JSON in a <pre>.
export function jsonBlock(value, attributes = {}) {
  return h('pre', {class: 'json', ...attributes}, JSON.stringify(value, null, 2));
}

// A notice box; kind is 'info', 'warn' or 'error'.
export function notice(kind, ...children) {
  return h('div', {class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status'},
           ...children);
}

// A table from rows of objects, columns in first-seen order.
export function table(rows, attributes = {}) {
  const columns = [];
  for (const row of rows) {
    for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  }
  return h('div', {class: 'table-wrap'},
           h('table', attributes,
             h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col'}, c)))),
             h('tbody', {},
               rows.map((row) => h('tr', {}, columns.map((c) => h('td', {}, cell(row[c]))))))));
}

function cell(value) {
  if (value instanceof Node) return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
