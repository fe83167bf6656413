// Market watch: watchlists (create / rename / reorder / delete, per user),
// streaming quotes with quality flags and a sparkline per instrument.

import { $, el, clear, fmtPx, fmtQty, fmtAge, decimalsOf } from './util.js';
import { loadCharts, Sparkline, refreshChartColor } from './chart.js';

const FLAG_ORDER = ['stale', 'gap', 'crossed', 'halted', 'late'];
const FLAG_TEXT = { stale: 'STALE', gap: 'GAP', crossed: 'CROSSED', halted: 'HALTED', late: 'LATE' };
const HISTORY = 120;
const VENUE_SOURCE = 65535; // MD_SOURCE_VENUE (common/orion_tick.h)

export class MarketWatch {
  constructor({ prefs, onSelect, onSubscriptions, prompt, notify }) {
    this.prefs = prefs;
    this.onSelect = onSelect;           // (instrument) -> void
    this.onSubscriptions = onSubscriptions; // (ids[]) -> void
    this.prompt = prompt;               // async (title, label, value) -> string|null
    this.notify = notify;
    this.instruments = new Map();       // symbol -> instrument
    this.sources = new Map();           // symbol -> Map(source -> quote)
    this.quotes = new Map();            // symbol -> {q (the shown source), rx, prevMid, prevLast}
    this.history = new Map();           // symbol -> {xs, ys}
    this.rows = new Map();              // symbol -> {tr, cells, spark}
    this.dirty = new Set();
    this.live = false;
    this.uPlot = null;
    this.tbody = $('#watch-table tbody');
    this.frame = 0;
    this.bind();
    loadCharts().then((u) => {
      this.uPlot = u;
      if (u) { refreshChartColor(); this.render(); }
    });
    this.ageTimer = setInterval(() => this.tickAges(), 500);
  }

  destroy() {
    clearInterval(this.ageTimer);
    for (const r of this.rows.values()) r.spark?.destroy();
    this.rows.clear();
  }

  bind() {
    $('#wl-select').addEventListener('change', (e) => { this.prefs.setActive(e.target.value); this.render(); });
    $('#wl-new').addEventListener('click', async () => {
      const name = await this.prompt('New watchlist', 'Name', '');
      if (name) { this.prefs.createList(name); this.render(); }
    });
    $('#wl-rename').addEventListener('click', async () => {
      const w = this.prefs.activeList;
      if (!w) return;
      const name = await this.prompt('Rename watchlist', 'Name', w.name);
      if (name) { this.prefs.renameList(w.id, name); this.renderLists(); }
    });
    $('#wl-left').addEventListener('click', () => this.moveList(-1));
    $('#wl-right').addEventListener('click', () => this.moveList(1));
    $('#wl-delete').addEventListener('click', () => {
      const w = this.prefs.activeList;
      if (!w) return;
      if (window.confirm(`Delete watchlist "${w.name}"?`)) { this.prefs.deleteList(w.id); this.render(); }
    });
    $('#wl-add').addEventListener('click', () => {
      const sym = $('#wl-add-select').value;
      let w = this.prefs.activeList;
      if (!sym) return;
      if (!w) w = this.prefs.createList('Default');
      this.prefs.addSymbol(w.id, sym);
      this.render();
    });
    this.tbody.addEventListener('keydown', (e) => this.rowKey(e));
    this.tbody.addEventListener('click', (e) => {
      const tr = e.target.closest('tr');
      if (tr && !e.target.closest('button')) this.select(tr.dataset.symbol);
    });
  }

  moveList(delta) {
    const w = this.prefs.activeList;
    if (w && this.prefs.moveList(w.id, delta)) this.renderLists();
  }

  setInstruments(list) {
    this.instruments.clear();
    for (const i of list) {
      if (!i.symbol) continue;
      i.decimals = decimalsOf(i.tick);
      this.instruments.set(i.symbol, i);
    }
    this.prefs.ensureDefault(list.map((i) => i.symbol));
    const add = $('#wl-add-select');
    clear(add);
    for (const i of [...list].sort((a, b) => a.symbol.localeCompare(b.symbol))) {
      add.append(el('option', { value: i.symbol, text: i.symbol }));
    }
    this.render();
  }

  instrumentOf(symbol) {
    return this.instruments.get(symbol) || null;
  }

  setLive(live) {
    if (this.live === live) return;
    this.live = live;
    for (const id of this.rows.keys()) this.fill(id);
  }

  // Active watchlist's symbols that the user may see, in order.
  activeSymbols() {
    const w = this.prefs.activeList;
    if (!w) return [];
    return w.symbols.filter((s) => this.instruments.has(s));
  }

  renderLists() {
    const sel = $('#wl-select');
    clear(sel);
    const active = this.prefs.activeList;
    for (const w of this.prefs.watchlists) {
      sel.append(el('option', { value: w.id, text: w.name, selected: active && w.id === active.id }));
    }
    const none = !active;
    for (const b of ['#wl-rename', '#wl-delete', '#wl-left', '#wl-right']) $(b).disabled = none;
  }

  render() {
    this.renderLists();
    const focused = document.activeElement?.closest?.('#watch-table tr')?.dataset.symbol;
    for (const r of this.rows.values()) r.spark?.destroy();
    this.rows.clear();
    clear(this.tbody);
    const syms = this.activeSymbols();
    for (const sym of syms) this.tbody.append(this.makeRow(this.instruments.get(sym)));
    $('#watch-empty').hidden = syms.length > 0;
    this.onSubscriptions(syms);
    if (focused) this.rows.get(focused)?.tr.focus();
  }

  makeRow(inst) {
    const id = inst.symbol;
    const cells = {};
    const td = (k, cls = 'num') => (cells[k] = el('td', { class: cls }));
    const tr = el('tr', { tabindex: '0', dataset: { symbol: inst.symbol } });
    cells.sym = el('th', { scope: 'row', class: 'sym', text: inst.symbol });
    tr.append(cells.sym, td('bid'), td('ask'), td('mid'), td('spread'), td('last'), td('age'), td('flags', 'flags'), td('chart', 'chart'));
    const mk = (label, text, fn) => el('button', { type: 'button', class: 'btn icon small', 'aria-label': `${label} ${inst.symbol}`,
      title: label, text, on: { click: fn } });
    const w = this.prefs.activeList;
    const actions = el('span', { class: 'row-actions' },
      mk('Move up', '↑', () => { if (this.prefs.moveSymbol(w.id, inst.symbol, -1)) this.render(); }),
      mk('Move down', '↓', () => { if (this.prefs.moveSymbol(w.id, inst.symbol, 1)) this.render(); }),
      mk('Remove', '✕', () => { this.prefs.removeSymbol(w.id, inst.symbol); this.render(); }));
    tr.append(el('td', {}, actions));
    const row = { tr, cells, spark: null };
    if (this.uPlot) {
      const host = el('div', { class: 'spark', role: 'img', 'aria-label': `${inst.symbol} mid price, last ${HISTORY} updates` });
      cells.chart.append(host);
      row.spark = new Sparkline(this.uPlot, host);
      const h = this.history.get(id);
      if (h) for (let i = 0; i < h.xs.length; i++) row.spark.push(h.xs[i], h.ys[i]);
      row.spark.draw(true);
    } else {
      cells.chart.append(el('span', { class: 'muted', text: '—', title: 'charts unavailable' }));
    }
    this.rows.set(id, row);
    this.fill(id);
    return tr;
  }

  rowKey(e) {
    const tr = e.target.closest('tr');
    if (!tr || e.target !== tr) return;
    const id = tr.dataset.symbol;
    const w = this.prefs.activeList;
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.select(id); }
    else if (e.key === 'ArrowDown' && e.altKey) { e.preventDefault(); if (this.prefs.moveSymbol(w.id, tr.dataset.symbol, 1)) this.render(); }
    else if (e.key === 'ArrowUp' && e.altKey) { e.preventDefault(); if (this.prefs.moveSymbol(w.id, tr.dataset.symbol, -1)) this.render(); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); tr.nextElementSibling?.focus(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); tr.previousElementSibling?.focus(); }
    else if (e.key === 'Delete') {
      e.preventDefault();
      const next = tr.nextElementSibling || tr.previousElementSibling;
      const nextSym = next?.dataset.symbol;
      this.prefs.removeSymbol(w.id, tr.dataset.symbol);
      this.render();
      if (nextSym) this.rows.get(nextSym)?.tr.focus();
    }
  }

  select(sym) {
    const inst = this.instruments.get(sym);
    if (inst) this.onSelect(inst);
  }

  // A quote (snapshot or increment) arrived. A symbol may be quoted by
  // several sources (feeds 1.., the venue's own book 65535): each is kept,
  // and the row shows the venue while its book has a price (that is where the
  // ticket's orders trade), else the lowest-numbered feed.
  update(q) {
    const id = q.symbol;
    if (!id) return;
    let bySrc = this.sources.get(id);
    if (!bySrc) this.sources.set(id, (bySrc = new Map()));
    const src = q.source ?? 0;
    const cur = bySrc.get(src);
    const merged = cur ? { ...cur } : {};
    for (const k of q.has) merged[k] = q[k];
    if (!q.has.has('mid') && (q.has.has('bid') || q.has.has('ask'))) {
      merged.mid = merged.bid != null && merged.ask != null ? (merged.bid + merged.ask) / 2 : null;
    }
    merged.flags = q.flags;
    merged.symbol = id;
    merged.source = src;
    bySrc.set(src, merged);

    const shown = this.pick(bySrc);
    const prev = this.quotes.get(id);
    this.quotes.set(id, { q: shown, rx: Date.now(), prevMid: prev?.q.mid, prevLast: prev?.q.last });
    if (Number.isFinite(shown.mid) || Number.isFinite(shown.last)) {
      let h = this.history.get(id);
      if (!h) this.history.set(id, (h = { xs: [], ys: [] }));
      const v = Number.isFinite(shown.mid) ? shown.mid : shown.last;
      const t = Date.now() / 1000;
      if (h.ys[h.ys.length - 1] !== v || !h.xs.length) {
        h.xs.push(t); h.ys.push(v);
        if (h.xs.length > HISTORY) { h.xs.shift(); h.ys.shift(); }
        const spark = this.rows.get(id)?.spark;
        if (spark) {
          spark.push(t, v);
          if (spark.xs.length < 4) spark.draw(); // the first points at once, then twice a second
        }
      }
    }
    if (this.rows.has(id)) { this.dirty.add(id); this.schedule(); }
  }

  pick(bySrc) {
    const venue = bySrc.get(VENUE_SOURCE);
    if (venue && (venue.bid != null || venue.ask != null)) return venue;
    const feeds = [...bySrc.keys()].filter((k) => k !== VENUE_SOURCE).sort((a, b) => a - b);
    return feeds.length ? bySrc.get(feeds[0]) : venue;
  }

  quoteOf(id) {
    return this.quotes.get(id)?.q || null;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      for (const id of this.dirty) this.fill(id);
      this.dirty.clear();
    });
  }

  fill(id) {
    const row = this.rows.get(id);
    if (!row) return;
    const inst = this.instruments.get(id);
    const dp = inst?.decimals ?? 2;
    const s = this.quotes.get(id);
    const q = s?.q || {};
    const c = row.cells;
    // Only a new last trade flashes; quotes change too often for that.
    const set = (cell, text, title, flash = false) => {
      if (title !== undefined) cell.title = title;
      if (cell.textContent === text) return;
      const first = cell.textContent === '' || cell.textContent === '—';
      cell.textContent = text;
      if (first || !flash) return;
      // Alternate two identical animations: switching restarts it.
      const a = cell.classList.contains('flash-a');
      cell.classList.toggle('flash-a', !a);
      cell.classList.toggle('flash-b', a);
    };
    set(c.bid, fmtPx(q.bid, dp), q.bidSize != null ? `size ${fmtQty(q.bidSize)}` : '');
    set(c.ask, fmtPx(q.ask, dp), q.askSize != null ? `size ${fmtQty(q.askSize)}` : '');
    set(c.mid, fmtPx(q.mid, dp + 1 > 8 ? 8 : dp + 1));
    set(c.spread, q.bid != null && q.ask != null ? fmtPx(q.ask - q.bid, dp) : '—');
    set(c.last, fmtPx(q.last, dp), q.lastSize != null ? `size ${fmtQty(q.lastSize)}` : '', true);
    for (const [cell, now, prev] of [[c.mid, q.mid, s?.prevMid], [c.last, q.last, s?.prevLast]]) {
      cell.classList.toggle('up', now != null && prev != null && now > prev);
      cell.classList.toggle('down', now != null && prev != null && now < prev);
    }
    const flags = q.flags || {};
    const stale = !!flags.stale || !this.live;
    const names = FLAG_ORDER.filter((k) => flags[k]);
    if (!this.live && !flags.stale) names.unshift('stale');
    const key = names.join(',');
    if (c.flags.dataset.k !== key) {
      c.flags.dataset.k = key;
      clear(c.flags);
      for (const n of names) c.flags.append(el('span', { class: `flag flag-${n}`, text: FLAG_TEXT[n] }));
      c.flags.title = !this.live ? 'not connected: prices are not live' : names.join(', ');
    }
    if (q.source !== undefined) c.sym.title = q.source === VENUE_SOURCE ? 'prices: venue book' : `prices: feed ${q.source}`;
    row.tr.classList.toggle('stale', stale);
    row.tr.dataset.stale = stale ? '1' : '0';
    c.age.textContent = s ? fmtAge(Date.now() - s.rx) : '—';
  }

  tickAges() {
    const now = Date.now();
    for (const [id, row] of this.rows) {
      const s = this.quotes.get(id);
      row.cells.age.textContent = s ? fmtAge(now - s.rx) : '—';
      row.spark?.draw();
    }
  }

  themeChanged() {
    refreshChartColor();
    for (const row of this.rows.values()) row.spark?.draw(true);
  }
}
