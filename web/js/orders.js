// Order ticket and live orders blotter (cancel, amend). Orders are keyed by
// the engine order id once known, before that by the correlation id the
// server gave the request; events merge into what is known.

import { $, el, clear, fmtPx, fmtQty, fmtTime, uuid, decimalsOf } from './util.js';
import * as P from './proto.js';

export class OrderTicket {
  constructor({ api, market, orders, notify }) {
    this.api = api;
    this.market = market;
    this.orders = orders;
    this.notify = notify;
    this.form = $('#ticket-form');
    this.pendingKey = null; // Idempotency-Key of the request being sent
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    // A changed order is a new order: it gets a new Idempotency-Key.
    this.form.addEventListener('input', () => { this.pendingKey = null; });
    this.form.addEventListener('change', () => { this.pendingKey = null; });
    $('#t-type').addEventListener('change', () => this.syncType());
    $('#t-instrument').addEventListener('change', () => this.instrumentChanged());
    this.quoteTimer = setInterval(() => this.showQuote(), 500);
    this.syncType();
  }

  destroy() { clearInterval(this.quoteTimer); }

  // Roles that may not trade see the ticket disabled, with the reason.
  setEnabled(on, role) {
    for (const c of this.form.elements) c.disabled = !on;
    if (on) this.syncType();
    $('#ticket-error').textContent = on ? '' : `Your role (${role || 'none'}) cannot place orders.`;
  }

  setInstruments(list) {
    const sel = $('#t-instrument');
    const prev = sel.value;
    clear(sel);
    for (const i of [...list].filter((x) => x.tradable).sort((a, b) => a.symbol.localeCompare(b.symbol))) {
      sel.append(el('option', { value: i.symbol, text: i.symbol }));
    }
    if (prev && [...sel.options].some((o) => o.value === prev)) sel.value = prev;
    this.instrumentChanged();
  }

  // Load an instrument (from the market watch) and put the cursor on quantity.
  load(inst) {
    $('#t-instrument').value = inst.symbol;
    this.instrumentChanged(true);
    $('#t-qty').focus();
  }

  current() {
    return this.market.instrumentOf($('#t-instrument').value);
  }

  instrumentChanged(fillPrice = false) {
    const inst = this.current();
    if (!inst) return;
    $('#t-price').step = String(inst.tick);
    $('#t-qty').step = String(inst.lot);
    $('#t-qty').min = String(inst.lot);
    const q = this.market.quoteOf(inst.symbol);
    if ((fillPrice || !$('#t-price').value) && q) {
      const side = this.side();
      const px = side === 'BUY' ? (q.ask ?? q.mid ?? q.last) : (q.bid ?? q.mid ?? q.last);
      if (px != null) $('#t-price').value = px.toFixed(inst.decimals ?? decimalsOf(inst.tick));
    }
    this.showQuote();
  }

  side() { return this.form.querySelector('input[name="side"]:checked').value; }

  syncType() {
    const market = $('#t-type').value === 'MARKET';
    $('#t-price').disabled = market;
    $('#t-price').required = !market;
    if (market && ['DAY', 'GTC'].includes($('#t-tif').value)) $('#t-tif').value = 'IOC';
  }

  showQuote() {
    const inst = this.current();
    const q = inst && this.market.quoteOf(inst.symbol);
    const dp = inst?.decimals ?? 2;
    // First quote of the instrument: offer its price as the limit.
    if (q && !$('#t-price').value && document.activeElement !== $('#t-price')) {
      const px = this.side() === 'BUY' ? (q.ask ?? q.mid ?? q.last) : (q.bid ?? q.mid ?? q.last);
      if (px != null) $('#t-price').value = px.toFixed(dp);
    }
    $('#t-quote').textContent = q ? `Bid ${fmtPx(q.bid, dp)} · Ask ${fmtPx(q.ask, dp)} · Last ${fmtPx(q.last, dp)}` : '';
  }

  validate() {
    const inst = this.current();
    if (!inst) return { field: 't-instrument', msg: 'Choose an instrument.' };
    const qty = Number($('#t-qty').value);
    if (!Number.isInteger(qty) || qty <= 0) return { field: 't-qty', msg: 'Quantity must be a positive whole number.' };
    if (qty % inst.lot !== 0) return { field: 't-qty', msg: `Quantity must be a multiple of the lot (${inst.lot}).` };
    const type = $('#t-type').value;
    let price = null;
    if (type === 'LIMIT') {
      price = Number($('#t-price').value);
      if (!$('#t-price').value || !Number.isFinite(price) || price <= 0) return { field: 't-price', msg: 'Enter a positive limit price.' };
      const ticks = price / inst.tick;
      if (Math.abs(ticks - Math.round(ticks)) > 1e-6) return { field: 't-price', msg: `Price must be a multiple of the tick (${inst.tick}).` };
    }
    return { inst, qty, type, price };
  }

  async submit() {
    const err = $('#ticket-error');
    err.textContent = '';
    for (const i of this.form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
    const v = this.validate();
    if (v.msg) {
      err.textContent = v.msg;
      const f = $(`#${v.field}`);
      f.setAttribute('aria-invalid', 'true');
      f.focus();
      return;
    }
    // The API's order body (strict: these keys only). Price as decimal text.
    const req = {
      instrumentId: v.inst.symbol,
      side: this.side(),
      type: v.type,
      timeInForce: $('#t-tif').value,
      quantity: v.qty,
    };
    if (v.price !== null) req.price = v.price.toFixed(v.inst.decimals ?? decimalsOf(v.inst.tick));
    // One key per order the user places; a retry of the same send reuses it.
    // It doubles as the client order id the server echoes.
    const key = this.pendingKey || (this.pendingKey = uuid());
    req.clientOrderId = key;
    const btn = $('#t-submit');
    btn.disabled = true;
    $('#ticket-result').textContent = 'Sending…';
    try {
      const resp = await this.api.placeOrder(req, key);
      this.pendingKey = null;
      const o = P.order(resp?.order || resp || {});
      const rec = this.orders.upsert({
        symbol: req.instrumentId, side: req.side, type: req.type, tif: req.timeInForce, qty: req.quantity,
        price: v.price, status: 'PENDING_NEW', ts: Date.now(), filled: 0, ...o,
      });
      $('#ticket-result').textContent = `Sent ${req.side} ${fmtQty(req.quantity)} ${req.instrumentId}` +
        (rec.correlationId ? ` — correlation ${rec.correlationId}` : '') +
        (rec.orderId && rec.orderId !== rec.correlationId ? `, order ${rec.orderId}` : '');
      if (rec.status === 'REJECTED') this.notify.reject(rec);
    } catch (e) {
      if (e.status !== 0) this.pendingKey = null;
      $('#ticket-result').textContent = '';
      err.textContent = `Order refused: ${e.message}${e.code ? ` (${e.code})` : ''}`;
      if (e.field) {
        const map = { quantity: 't-qty', price: 't-price', instrumentId: 't-instrument', timeInForce: 't-tif', type: 't-type' };
        $(`#${map[e.field] || 't-qty'}`)?.setAttribute('aria-invalid', 'true');
      }
      this.notify.add({ level: 'error', kind: 'ORDER_REFUSED', text: `Order refused: ${e.message}`, ts: Date.now() });
    } finally {
      btn.disabled = false;
    }
  }
}

export class OrdersBlotter {
  constructor({ api, market, notify, amendDialog, canTrade }) {
    this.api = api;
    this.canTrade = canTrade; // roles that may not trade see no cancel / amend
    this.market = market;
    this.notify = notify;
    this.amendDialog = amendDialog;
    this.byKey = new Map();   // key -> order
    this.corrKey = new Map(); // correlationId -> key
    this.tbody = $('#orders-table tbody');
    this.frame = 0;
    $('#orders-live-only').addEventListener('change', () => this.render());
  }

  clear() {
    this.byKey.clear();
    this.corrKey.clear();
    this.render();
  }

  // Merge an order record (or part of one); returns the merged order.
  upsert(o) {
    let key = null;
    if (o.orderId && this.byKey.has(o.orderId)) key = o.orderId;
    else if (o.correlationId && this.corrKey.has(o.correlationId)) key = this.corrKey.get(o.correlationId);
    const prev = key ? this.byKey.get(key) : null;
    // A record older than the one shown (a REST reload racing the stream).
    if (prev && o.rev != null && prev.rev != null && o.rev < prev.rev) return prev;
    const merged = { ...(prev || {}) };
    for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && k !== 'event') merged[k] = v;
    // Our own POST answer (PENDING_NEW) never takes back what the stream said.
    if (o.status === 'PENDING_NEW' && prev?.status && prev.status !== 'PENDING_NEW') merged.status = prev.status;
    if (!P.LIVE_STATUSES.has(merged.status)) merged.pending = '';
    merged.ts = merged.ts || Date.now();
    const newKey = merged.orderId || (merged.correlationId ? `c:${merged.correlationId}` : `u:${uuid()}`);
    if (key && key !== newKey) this.byKey.delete(key);
    this.byKey.set(newKey, merged);
    if (merged.correlationId) this.corrKey.set(merged.correlationId, newKey);
    this.schedule();
    return merged;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  render() {
    const liveOnly = $('#orders-live-only').checked;
    const focusKey = document.activeElement?.closest?.('#orders-table tr')?.dataset.key;
    const focusAct = document.activeElement?.dataset?.act;
    clear(this.tbody);
    const rows = [...this.byKey.entries()]
      .filter(([, o]) => !liveOnly || P.LIVE_STATUSES.has(o.status))
      .sort((a, b) => (b[1].ts || 0) - (a[1].ts || 0));
    for (const [key, o] of rows) this.tbody.append(this.row(key, o));
    $('#orders-empty').hidden = rows.length > 0;
    if (focusKey) {
      const tr = this.tbody.querySelector(`tr[data-key="${CSS.escape(focusKey)}"]`);
      (tr?.querySelector(`[data-act="${focusAct}"]:not([disabled])`) || tr)?.focus();
    }
  }

  row(key, o) {
    const inst = this.market.instrumentOf(o.symbol);
    const dp = inst?.decimals ?? 2;
    const live = P.LIVE_STATUSES.has(o.status);
    const canAct = this.canTrade && live && !!o.orderId && o.status !== 'PENDING_NEW' && !o.pending;
    const status = el('span', { class: `status status-${o.status}`,
      text: `${o.status || '—'}${o.pending ? ` (${o.pending.toLowerCase()} pending)` : ''}` });
    if (o.reason) status.title = o.reason;
    const tr = el('tr', { tabindex: '-1', dataset: { key, orderId: o.orderId || '', corr: o.correlationId || '', status: o.status || '', pending: o.pending || '' } },
      el('td', { text: fmtTime(o.ts) }),
      el('td', { class: 'mono', text: o.exchangeOrderId || (o.correlationId ? '—' : o.orderId) || '—', title: o.orderId ? `API id ${o.orderId}` : '' }),
      el('td', { class: 'mono corr', text: o.correlationId || '—' }),
      el('td', { text: o.user || '—' }),
      el('td', { text: o.symbol || '—' }),
      el('td', { class: `side-${o.side}`, text: o.side || '—' }),
      el('td', { text: o.type || '—' }),
      el('td', { text: o.tif || '—' }),
      el('td', { class: 'num', text: fmtQty(o.qty), dataset: { col: 'qty' } }),
      el('td', { class: 'num', text: fmtQty(o.filled ?? 0) }),
      el('td', { class: 'num', text: o.type === 'MARKET' ? 'MKT' : fmtPx(o.price, dp), dataset: { col: 'price' },
        title: o.avgPrice != null ? `average fill ${fmtPx(o.avgPrice, dp)}` : '' }),
      el('td', {}, status, o.reason && !live ? el('span', { class: 'muted', text: ` ${o.reason}` }) : null));
    const label = `${o.side || ''} ${o.symbol || ''} ${o.orderId || o.correlationId || ''}`.trim();
    tr.append(el('td', {}, el('span', { class: 'row-actions' },
      el('button', { type: 'button', class: 'btn small', text: 'Cancel', disabled: !canAct, dataset: { act: 'cancel' },
        'aria-label': `Cancel order ${label}`, on: { click: () => this.cancel(key) } }),
      el('button', { type: 'button', class: 'btn small', text: 'Amend', disabled: !canAct || o.type === 'MARKET', dataset: { act: 'amend' },
        'aria-label': `Amend order ${label}`, on: { click: () => this.amend(key) } }))));
    return tr;
  }

  async cancel(key) {
    const o = this.byKey.get(key);
    if (!o?.orderId) return;
    try {
      const rev = o.rev;
      const resp = await this.api.cancelOrder(o.orderId);
      // Accepted for sending; the order's own updates settle it. Mark it
      // pending unless the stream has already said more (a newer rev).
      const r = P.order(resp || {});
      if (this.byKey.get(key)?.rev === rev) this.upsert({ orderId: o.orderId, pending: r.pending || 'CANCEL' });
    } catch (e) {
      this.notify.add({ level: 'error', kind: 'CANCEL_REFUSED', text: `Cancel ${o.orderId} refused: ${e.message}`, correlationId: o.correlationId, ts: Date.now() });
    }
  }

  async amend(key) {
    const o = this.byKey.get(key);
    if (!o?.orderId) return;
    const inst = this.market.instrumentOf(o.symbol);
    const res = await this.amendDialog(o, inst);
    if (!res) return;
    try {
      const rev = this.byKey.get(key)?.rev;
      const resp = await this.api.amendOrder(o.orderId, res.qty, res.price);
      const r = P.order(resp || {});
      if (this.byKey.get(key)?.rev === rev) this.upsert({ orderId: o.orderId, pending: r.pending || 'AMEND' });
    } catch (e) {
      this.notify.add({ level: 'error', kind: 'AMEND_REFUSED', text: `Amend ${o.orderId} refused: ${e.message}`, correlationId: o.correlationId, ts: Date.now() });
    }
  }
}
