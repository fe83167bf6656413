// Trades blotter: filter, sort by any column, CSV export.

import { $, $$, el, clear, fmtPx, fmtQty, fmtNum, fmtTime, isoTime, csvField, downloadText } from './util.js';

export class TradesBlotter {
  constructor({ market }) {
    this.market = market;
    this.trades = new Map(); // tradeId:orderId:side -> trade
    this.sortKey = 'time';
    this.sortDir = -1;
    this.filter = '';
    this.tbody = $('#trades-table tbody');
    this.frame = 0;
    $('#trades-filter').addEventListener('input', (e) => { this.filter = e.target.value.trim().toLowerCase(); this.render(); });
    $('#trades-csv').addEventListener('click', () => this.exportCsv());
    for (const th of $$('#trades-table thead th')) {
      th.querySelector('button').addEventListener('click', () => this.sortBy(th.dataset.key));
    }
  }

  clear() {
    this.trades.clear();
    this.render();
  }

  add(t) {
    t.time = t.ts ?? Date.now();
    const key = `${t.tradeId}:${t.orderId}:${t.side}`;
    const isNew = !this.trades.has(key);
    this.trades.set(key, t);
    this.schedule();
    return isNew;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  sortBy(key) {
    if (this.sortKey === key) this.sortDir = -this.sortDir;
    else { this.sortKey = key; this.sortDir = ['time', 'qty', 'price', 'notional'].includes(key) ? -1 : 1; }
    for (const th of $$('#trades-table thead th')) {
      if (th.dataset.key === this.sortKey) th.setAttribute('aria-sort', this.sortDir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    this.render();
  }

  visible() {
    const f = this.filter;
    const rows = [...this.trades.values()].filter((t) => !f ||
      [t.symbol, t.side, t.tradeId, t.orderId, t.correlationId].some((v) => String(v ?? '').toLowerCase().includes(f)));
    const k = this.sortKey;
    const d = this.sortDir;
    rows.sort((a, b) => {
      const x = a[k];
      const y = b[k];
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * d;
      const nx = Number(x);
      const ny = Number(y);
      if (x !== '' && y !== '' && Number.isFinite(nx) && Number.isFinite(ny)) return (nx - ny) * d;
      return String(x ?? '').localeCompare(String(y ?? '')) * d;
    });
    return rows;
  }

  render() {
    clear(this.tbody);
    const rows = this.visible();
    for (const t of rows) {
      const dp = this.market.instrumentOf(t.symbol)?.decimals ?? 2;
      this.tbody.append(el('tr', { dataset: { tradeId: t.tradeId, corr: t.correlationId } },
        el('td', { text: fmtTime(t.time) }),
        el('td', { class: 'mono', text: t.tradeId || '—' }),
        el('td', { class: 'mono', text: t.orderId || '—' }),
        el('td', { class: 'mono corr', text: t.correlationId || '—' }),
        el('td', { text: t.symbol || '—' }),
        el('td', { class: `side-${t.side}`, text: t.side || '—' }),
        el('td', { class: 'num', text: fmtQty(t.qty) }),
        el('td', { class: 'num', text: fmtPx(t.price, dp) }),
        el('td', { class: 'num', text: fmtPx(t.notional, 2) })));
    }
    const total = this.trades.size;
    const qty = rows.reduce((s, t) => s + (t.qty || 0), 0);
    const notional = rows.reduce((s, t) => s + (t.notional || 0), 0);
    $('#trades-summary').textContent = total === 0 ? 'No trades.'
      : `${rows.length} of ${total} trades · quantity ${fmtQty(qty)} · notional ${fmtNum(notional, 2)}`;
  }

  csv() {
    const head = ['time', 'trade_id', 'order_id', 'correlation_id', 'symbol', 'side', 'qty', 'price', 'notional'];
    const lines = [head.join(',')];
    for (const t of this.visible()) {
      lines.push([isoTime(t.time), t.tradeId, t.orderId, t.correlationId, t.symbol, t.side, t.qty, t.price, t.notional]
        .map(csvField).join(','));
    }
    return `${lines.join('\r\n')}\r\n`;
  }

  exportCsv() {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    downloadText(`orion-trades-${stamp}.csv`, this.csv());
  }
}
