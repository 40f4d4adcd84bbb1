// A small line chart in SVG for the overview's live numbers: one series per
// name, the last `capacity` samples, scaled to the largest value shown.
import {h} from './dom.js';

const kSvg = 'http://www.w3.org/2000/svg';
const kWidth = 300;
const kHeight = 80;

function svg(tag, attributes = {}) {
  const element = document.createElementNS(kSvg, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

export class LineChart {
  constructor(title, unit, capacity = 30) {
    this.unit = unit;
    this.capacity = capacity;
    this.series = new Map();  // name -> values
    this.plot = svg('svg', {viewBox: `0 0 ${kWidth} ${kHeight}`, class: 'chart', role: 'img',
                            'aria-label': title, preserveAspectRatio: 'none'});
    this.legend = h('ul', {class: 'legend'});
    this.scale = h('span', {class: 'muted scale'});
    this.element = h('figure', {class: 'chart-box'}, h('figcaption', {}, title, ' ', this.scale),
                     this.plot, this.legend);
  }

  // Adds one sample per series name; a series missing from `values` repeats nothing.
  push(values) {
    for (const [name, value] of Object.entries(values)) {
      if (!this.series.has(name)) this.series.set(name, []);
      const list = this.series.get(name);
      list.push(Number.isFinite(value) ? value : 0);
      if (list.length > this.capacity) list.shift();
    }
    this.draw();
  }

  draw() {
    this.plot.replaceChildren();
    this.legend.replaceChildren();
    let max = 0;
    for (const list of this.series.values()) max = Math.max(max, ...list);
    const top = max > 0 ? max * 1.1 : 1;
    this.scale.textContent = `(top: ${format(top)} ${this.unit})`;
    let index = 0;
    for (const [name, list] of this.series) {
      const step = kWidth / Math.max(1, this.capacity - 1);
      const offset = (this.capacity - list.length) * step;
      const points = list.map((v, i) =>
          `${(offset + i * step).toFixed(1)},${(kHeight - (v / top) * (kHeight - 4) - 2).toFixed(1)}`);
      this.plot.append(svg('polyline', {points: points.join(' '), class: `series s${index % 6}`}));
      const last = list.length ? list[list.length - 1] : 0;
      this.legend.append(h('li', {class: `s${index % 6}`}, `${name}: ${format(last)} ${this.unit}`));
      ++index;
    }
  }
}

export function format(value) {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value.toPrecision(3);
}
