// Time-series charts with uPlot (served from its WebJar). A chart's element carries data-points, the number of
// points drawn, so that tests and people can tell it is moving.
import uPlot from '/webjars/uplot/1.6.30/dist/uPlot.esm.js';
import { h, fill } from './dom.js';

const COLORS = ['#1f5fa8', '#c2410c', '#15803d', '#7c3aed', '#be185d', '#0e7490'];

function width(el) {
  return Math.max(320, (el.clientWidth || el.parentElement?.clientWidth || 640) - 8);
}

/**
 * A live line chart: one series per path, points appended as they come, the last `keep` points shown.
 * series: [{label, unit}]
 */
export function liveChart(el, { keep = 300, height = 240 } = {}) {
  let plot = null;
  let series = [];
  let xs = [];
  let ys = [];
  let count = 0;
  el.classList.add('chart');
  el.dataset.points = '0';
  const placeholder = h('div', { class: 'empty' }, 'Observe a resource to see its values arrive here.');
  fill(el, placeholder);

  function build() {
    if (plot) plot.destroy();
    plot = new uPlot({
      width: width(el), height,
      scales: { x: { time: true } },
      series: [{}, ...series.map((s, i) => ({ label: s.unit ? `${s.label} (${s.unit})` : s.label, stroke: COLORS[i % COLORS.length],
        width: 1.5, spanGaps: true, points: { show: true, size: 4 } }))],
      axes: [{}, {}],
    }, [xs, ...ys], el);
  }

  function resize() {
    if (plot) plot.setSize({ width: width(el), height });
  }
  window.addEventListener('resize', resize);

  return {
    /** Adds a series if new; answers its index. */
    series(key, label, unit) {
      let index = series.findIndex(s => s.key === key);
      if (index < 0) {
        series.push({ key, label, unit });
        ys.push(xs.map(() => null));
        index = series.length - 1;
        fill(el);
        build();
      }
      return index;
    },
    label(key) {
      const found = series.find(s => s.key === key);
      return found ? found.label : null;
    },
    push(key, time, value) {
      const index = series.findIndex(s => s.key === key);
      if (index < 0 || typeof value !== 'number') return;
      xs.push(time);
      ys.forEach((column, i) => column.push(i === index ? value : null));
      if (xs.length > keep) {
        xs = xs.slice(-keep);
        ys = ys.map(column => column.slice(-keep));
      }
      count++;
      el.dataset.points = String(count);
      plot.setData([xs, ...ys]);
    },
    destroy() {
      window.removeEventListener('resize', resize);
      if (plot) plot.destroy();
    },
  };
}

/** A history chart of buckets (min, avg, max) or raw points. */
export function historyChart(el, { from, to, label, unit, xs, avg, min, max, height = 240 }) {
  el.classList.add('chart');
  fill(el);
  el.dataset.points = String(xs.length);
  const name = unit ? `${label} (${unit})` : label;
  const series = [{}, { label: min ? name + ' avg' : name, stroke: COLORS[0], width: 1.5, spanGaps: false, points: { show: xs.length < 60 } }];
  const data = [xs, avg];
  if (min && max) {
    series.push({ label: 'min', stroke: '#93c5fd', width: 1, dash: [4, 3] }, { label: 'max', stroke: '#93c5fd', width: 1, dash: [4, 3] });
    data.push(min, max);
  }
  // The x axis spans the time range asked for, however few buckets have values.
  const plot = new uPlot({ width: width(el), height, scales: { x: { time: true, range: from && to ? () => [from, to] : undefined } }, series }, data, el);
  const resize = () => plot.setSize({ width: width(el), height });
  window.addEventListener('resize', resize);
  return { destroy() { window.removeEventListener('resize', resize); plot.destroy(); } };
}
