// Sparklines with uPlot (web/vendor/, put there by tests/web/setup.sh). When
// the vendor file is missing the workstation runs without charts.

const POINTS = 120;

let loading = null;
let color = '#1f5fbf';

export function loadCharts() {
  if (!loading) {
    loading = import('../vendor/uPlot.esm.js')
      .then((m) => {
        const link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = new URL('../vendor/uPlot.min.css', import.meta.url).href;
        document.head.append(link);
        return m.default;
      })
      .catch(() => null);
  }
  return loading;
}

// Re-read the theme's chart color (after a theme switch).
export function refreshChartColor() {
  const c = getComputedStyle(document.documentElement).getPropertyValue('--chart').trim();
  if (c) color = c;
}

// The last POINTS mid prices of one instrument, drawn into `host`.
export class Sparkline {
  constructor(uPlot, host, width = 120, height = 28) {
    this.xs = [];
    this.ys = [];
    this.dirty = false;
    this.plot = new uPlot({
      width,
      height,
      pxAlign: false,
      cursor: { show: false },
      select: { show: false },
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: () => color, width: 1.25, points: { show: false } }],
    }, [[], []], host);
  }

  push(t, v) {
    if (!Number.isFinite(v)) return;
    this.xs.push(t);
    this.ys.push(v);
    if (this.xs.length > POINTS) { this.xs.shift(); this.ys.shift(); }
    this.dirty = true;
  }

  draw(force = false) {
    if (!this.dirty && !force) return;
    this.dirty = false;
    this.plot.setData([this.xs.slice(), this.ys.slice()]);
  }

  destroy() {
    this.plot.destroy();
  }
}
