// The "device states over time" chart: stacked areas of device counts per state category,
// drawn as SVG from the samples the dashboard collected.
import { CATEGORIES } from './states.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 220;
const MARGIN = { top: 10, right: 12, bottom: 26, left: 40 };

function svg(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const clock = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 3600 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
};

/** Draws `samples` ([{ at, counts: { succeeded, failed, ... } }]) into `container`. */
export function renderStateChart(container, samples) {
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': 'Device states over time', class: 'chart' });
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const totals = samples.map((s) => CATEGORIES.reduce((sum, c) => sum + (s.counts[c.id] ?? 0), 0));
  const maxTotal = Math.max(1, ...totals);
  const first = samples[0]?.at ?? 0;
  const span = Math.max(1000, (samples.at(-1)?.at ?? 0) - first);
  const x = (at) => MARGIN.left + ((at - first) / span) * plotWidth;
  const y = (count) => MARGIN.top + plotHeight - (count / maxTotal) * plotHeight;

  // Grid and axes: a line at 0, half and the whole fleet; time ticks at fifths.
  for (const value of [0, Math.round(maxTotal / 2), maxTotal]) {
    root.append(svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value), class: 'grid' }));
    root.append(svg('text', { x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'axis' }, String(value)));
  }
  for (let i = 0; i <= 5; i++) {
    const at = first + (span * i) / 5;
    root.append(svg('text', { x: x(at), y: HEIGHT - 8, 'text-anchor': i === 0 ? 'start' : i === 5 ? 'end' : 'middle', class: 'axis' }, clock(at - first)));
  }

  if (samples.length > 0) {
    // One area per category, stacked in CATEGORIES order: its top is the running sum.
    const base = samples.map(() => 0);
    for (const category of CATEGORIES) {
      const top = samples.map((s, i) => base[i] + (s.counts[category.id] ?? 0));
      if (top.some((value, i) => value !== base[i])) {
        const points = samples.length === 1 ? [samples[0], { ...samples[0], at: first + span }] : samples;
        const upper = points.map((s, i) => `${x(s.at).toFixed(1)},${y(top[Math.min(i, top.length - 1)]).toFixed(1)}`);
        const lower = points.map((s, i) => `${x(s.at).toFixed(1)},${y(base[Math.min(i, base.length - 1)]).toFixed(1)}`).reverse();
        root.append(svg('polygon', { points: [...upper, ...lower].join(' '), class: `area ${category.id}` }));
      }
      top.forEach((value, i) => (base[i] = value));
    }
  } else {
    root.append(svg('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'axis' }, 'waiting for data'));
  }
  container.replaceChildren(root);
}

/** The legend under the chart, with the latest count of each category. */
export function renderLegend(container, counts) {
  container.replaceChildren(
    ...CATEGORIES.map((category) => {
      const item = document.createElement('span');
      item.className = 'legend-item';
      const swatch = document.createElement('span');
      swatch.className = `swatch ${category.id}`;
      item.append(swatch, `${category.label} ${counts?.[category.id] ?? 0}`);
      return item;
    }),
  );
}
