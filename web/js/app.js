// Orion workstation: login, then one screen of panels fed by the REST API and
// the session's WebSocket. The token lives in memory and in sessionStorage
// (this tab only); preferences in localStorage per tenant/user.

import { $, $$, el, focusFirst, fmtQty, fmtPx, decimalsOf } from './util.js';
import * as P from './proto.js';
import { Api } from './api.js';
import { Stream } from './stream.js';
import { Prefs } from './prefs.js';
import { MarketWatch } from './market.js';
import { OrderTicket, OrdersBlotter } from './orders.js';
import { TradesBlotter } from './trades.js';
import { Notifications } from './notify.js';
import { AdminPanel } from './admin.js';

const SESSION_KEY = 'orion.session';
const TRADING_ROLES = new Set(['TRADER', 'SALES']);

const api = new Api();
let session = null; // {token, expiresAt, user, tenant, username}
let ui = null;      // the logged-in screen's parts

// ---------------------------------------------------------------- login

function showLogin(message = '') {
  $('#app-view').hidden = true;
  $('#login-view').hidden = false;
  $('#login-error').textContent = message;
  $('#login-password').value = '';
  ($('#login-username').value ? $('#login-password') : $('#login-username')).focus();
}

async function onLogin(e) {
  e.preventDefault();
  const tenant = $('#login-tenant').value.trim();
  const username = $('#login-username').value.trim();
  const password = $('#login-password').value;
  if (!username || !password) {
    $('#login-error').textContent = 'Username and password are required.';
    return;
  }
  $('#login-submit').disabled = true;
  $('#login-error').textContent = '';
  try {
    const r = await api.login(tenant, username, password);
    if (!r || !r.token) throw new Error('the server sent no token');
    const user = r.user || {};
    startSession({
      token: r.token,
      expiresAt: P.time(r.expiresAt) ?? (r.expiresIn ? Date.now() + r.expiresIn * 1000 : null),
      user,
      tenant: user.tenant || tenant || 'default',
      username: user.username || user.name || username,
    });
  } catch (err) {
    $('#login-error').textContent = err.status === 401 || err.status === 403
      ? 'Wrong tenant, username or password.' : `Login failed: ${err.message}`;
    $('#login-password').select();
  } finally {
    $('#login-submit').disabled = false;
  }
}

function roleOf(user) {
  const r = user.role ?? (Array.isArray(user.roles) ? user.roles[0] : user.roles) ?? '';
  return String(r).toUpperCase();
}

function startSession(s) {
  session = s;
  try { sessionStorage.setItem(SESSION_KEY, JSON.stringify(s)); } catch { /* storage disabled */ }
  api.token = s.token;
  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  buildUi();
}

async function logout(message = '', tellServer = true) {
  // Close our WebSocket first, then revoke the token on the server.
  teardownUi();
  if (tellServer && api.token) await api.logout();
  session = null;
  api.token = null;
  try { sessionStorage.removeItem(SESSION_KEY); } catch { /* storage disabled */ }
  showLogin(message);
}

api.onUnauthorized = (msg) => {
  if (session) logout(`Your session ended${msg ? `: ${msg}` : ''}. Please log in again.`, false);
};

// ---------------------------------------------------------------- screen

function buildUi() {
  const prefs = new Prefs(session.tenant, session.username);
  const role = roleOf(session.user);
  const notify = new Notifications();
  const parts = { prefs, notify, timers: [], kills: new Map() };
  ui = parts;

  applyTheme(prefs.theme);
  applyLayout(prefs.layout);
  for (const p of $$('.panel')) setCollapsed(p, prefs.isCollapsed(p.dataset.panel));

  const badge = $('#user-badge');
  badge.replaceChildren(el('b', { text: session.username }), ` @ ${session.tenant} · ${role || 'no role'}`);

  parts.market = new MarketWatch({
    prefs,
    notify,
    prompt: promptDialog,
    onSelect: (inst) => parts.ticket.load(inst),
    onSubscriptions: (syms) => parts.stream?.setSubscriptions(syms),
  });
  parts.orders = new OrdersBlotter({ api, market: parts.market, notify, amendDialog, canTrade: TRADING_ROLES.has(role) });
  parts.ticket = new OrderTicket({ api, market: parts.market, orders: parts.orders, notify });
  parts.ticket.setEnabled(TRADING_ROLES.has(role), role);
  parts.trades = new TradesBlotter({ market: parts.market });
  parts.admin = new AdminPanel({ api, notify });
  parts.admin.setRole(role);

  const stream = new Stream('/api/v1/ws', session.token);
  parts.stream = stream;
  stream.addEventListener('state', (e) => showConnState(e.detail));
  stream.addEventListener('message', (e) => onMessage(e.detail.msg));
  stream.addEventListener('open', (e) => { if (e.detail.reconnect) reloadBlotters(); });
  stream.addEventListener('gap', (e) => {
    notify.add({ level: 'warn', kind: 'WS_GAP', text: `Stream sequence gap (expected ${e.detail.expected}, got ${e.detail.got}): resubscribed for fresh snapshots`, ts: Date.now() });
    reloadBlotters();
  });
  stream.addEventListener('unauthorized', (e) => logout(`Your session ended: ${e.detail.reason}. Please log in again.`, false));

  if (session.expiresAt) {
    const left = session.expiresAt - Date.now();
    if (left <= 0) { logout('Your session expired. Please log in again.', false); return; }
    parts.timers.push(setTimeout(() => logout('Your session expired. Please log in again.', false), Math.min(left, 2 ** 31 - 1)));
  }

  loadInstruments().then(() => {
    if (ui !== parts) return;
    stream.setSubscriptions(parts.market.activeSymbols());
    stream.start();
    reloadBlotters();
  });
  $('#main').focus({ preventScroll: true });
}

function teardownUi() {
  if (!ui) return;
  $('#kill-banner').hidden = true;
  ui.stream?.stop();
  ui.market?.destroy();
  ui.ticket?.destroy();
  for (const t of ui.timers) clearTimeout(t);
  ui.orders?.clear();
  ui.trades?.clear();
  ui.notify?.clearAll();
  ui = null;
}

async function loadInstruments() {
  const parts = ui;
  try {
    const list = P.list(await api.instruments(), 'instruments').map(P.instrument).filter((i) => i.symbol);
    if (ui !== parts) return;
    for (const i of list) i.decimals = decimalsOf(i.tick);
    parts.market.setInstruments(list);
    parts.ticket.setInstruments(list);
  } catch (e) {
    if (ui === parts) parts.notify.add({ level: 'error', kind: 'LOAD', text: `Cannot load instruments: ${e.message}`, ts: Date.now() });
  }
}

async function reloadBlotters() {
  const parts = ui;
  try {
    const [orders, trades] = await Promise.all([api.orders(), api.trades()]);
    if (ui !== parts) return;
    for (const o of P.list(orders, 'orders')) parts.orders.upsert(P.order(o));
    for (const t of P.list(trades, 'trades')) parts.trades.add(P.trade(t));
  } catch (e) {
    if (ui === parts && e.status !== 401) parts.notify.add({ level: 'warn', kind: 'LOAD', text: `Cannot load orders/trades: ${e.message}`, ts: Date.now() });
  }
}

function showConnState(d) {
  const box = $('#conn-state');
  box.dataset.state = d.state;
  let text = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' }[d.state] || d.state;
  if (d.state === 'reconnecting') {
    text = d.delayMs !== undefined ? `Reconnecting in ${(d.delayMs / 1000).toFixed(1)} s (attempt ${d.attempt})` : 'Reconnecting…';
  }
  $('#conn-text').textContent = text;
  box.title = d.reason ? `last disconnect: ${d.reason}` : '';
  ui?.market.setLive(d.state === 'live');
}

// ---------------------------------------------------------------- stream

let mdFields = P.MD_FIELDS;

function onMessage(m) {
  if (!ui) return;
  const type = P.msgType(m);
  switch (type) {
    case 'MD.SNAPSHOT':
    case 'MD':
    case 'TICK':
    case 'QUOTE':
      for (const q of P.msgItems(m, 'updates', 'instruments', 'quotes')) ui.market.update(P.quote(P.mdRow(q, mdFields)));
      break;
    case 'ORDERS.SNAPSHOT':
      for (const o of P.msgItems(m, 'orders')) ui.orders.upsert(P.order(o));
      break;
    case 'ORDER':
      for (const raw of P.msgItems(m, 'order')) onOrder(P.order(raw));
      break;
    case 'TRADES.SNAPSHOT':
      for (const t of P.msgItems(m, 'trades')) ui.trades.add(P.trade(t));
      break;
    case 'TRADE':
      for (const raw of P.msgItems(m, 'trade')) onTrade(P.trade(raw));
      break;
    case 'NOTIFICATION':
      for (const raw of P.msgItems(m, 'notification')) {
        const n = P.notification(raw);
        ui.notify.add(n);
        if (n.kind === 'KILL_SWITCH_ON' || n.kind === 'KILL_SWITCH_OFF') showKill(n);
      }
      break;
    case 'ERROR':
      ui.notify.add({ level: 'error', kind: 'SERVER', text: `Server: ${m.message || m.code || 'error'}`, ts: Date.now() });
      break;
    case 'BYE':
      ui.notify.add({ level: 'warn', kind: 'DISCONNECT', text: `Disconnected by the server: ${m.reason || 'no reason'}`, ts: Date.now() });
      break;
    case 'WELCOME':
      if (Array.isArray(m.mdFields)) mdFields = m.mdFields;
      break;
    default: // ack, heartbeat, pong
      break;
  }
}

// The kill switch banner follows the server's KILL_SWITCH_ON / _OFF notices
// (one per scope; the banner stays while any is on).
function showKill(n) {
  // "kill switch engaged (tenant 0), resting orders canceled by admin"
  const key = /\((\w+ \d+)\)/.exec(n.text)?.[1] ?? n.text;
  if (n.kind === 'KILL_SWITCH_ON') ui.kills.set(key, n.text);
  else ui.kills.delete(key);
  const b = $('#kill-banner');
  b.hidden = ui.kills.size === 0;
  b.title = [...ui.kills.values()].join('\n');
}

function onOrder(o) {
  const prev = o.orderId ? ui.orders.byKey.get(o.orderId) : null;
  const merged = ui.orders.upsert(o);
  if (o.status === 'REJECTED' && prev?.status !== 'REJECTED') ui.notify.reject(merged);
  if (o.event === 'CANCEL_REJECTED') {
    ui.notify.add({ level: 'warn', kind: 'CANCEL_REJECTED', text: `Cancel/amend of ${merged.orderId || ''} refused${o.reason ? `: ${o.reason}` : ''}`, correlationId: merged.correlationId, ts: Date.now() });
  }
}

function onTrade(t) {
  if (!ui.trades.add(t)) return;
  const dp = ui.market.instrumentOf(t.symbol)?.decimals ?? 2;
  ui.notify.add({ level: 'info', kind: 'FILL', text: `${t.side === 'SELL' ? 'Sold' : 'Bought'} ${fmtQty(t.qty)} ${t.symbol} @ ${fmtPx(t.price, dp)}`, correlationId: t.correlationId, ts: Date.now() });
}

// ---------------------------------------------------------------- theme, layout, panels

function applyTheme(t) {
  document.documentElement.dataset.theme = t;
  const dark = t === 'dark';
  $('#theme-toggle').setAttribute('aria-pressed', dark ? 'true' : 'false');
  $('#theme-toggle').textContent = dark ? 'Light theme' : 'Dark theme';
  ui?.market?.themeChanged();
}

function applyLayout(l) {
  $('#main').dataset.layout = l;
  $('#layout-select').value = l;
}

function setCollapsed(panel, c) {
  panel.classList.toggle('collapsed', c);
  const b = panel.querySelector('.collapse-btn');
  b.setAttribute('aria-expanded', c ? 'false' : 'true');
  b.textContent = c ? '▸' : '▾';
  b.title = c ? 'Expand panel' : 'Collapse panel';
}

$('#theme-toggle').addEventListener('click', () => {
  if (!ui) return;
  ui.prefs.theme = ui.prefs.theme === 'dark' ? 'light' : 'dark';
  applyTheme(ui.prefs.theme);
});
$('#layout-select').addEventListener('change', (e) => {
  if (!ui) return;
  ui.prefs.layout = e.target.value;
  applyLayout(ui.prefs.layout);
});
for (const b of $$('.collapse-btn')) {
  b.addEventListener('click', () => {
    const panel = b.closest('.panel');
    const c = !panel.classList.contains('collapsed');
    setCollapsed(panel, c);
    ui?.prefs.setCollapsed(panel.dataset.panel, c);
  });
}
$('#logout-btn').addEventListener('click', () => logout('You are logged out.'));
$('#login-form').addEventListener('submit', onLogin);

// Alt+letter jumps to a panel; Escape in the ticket returns to the watch list.
const SHORTCUTS = { w: 'panel-watch', t: 'panel-ticket', o: 'panel-orders', r: 'panel-trades', n: 'panel-notes', a: 'panel-admin' };
for (const [k, id] of Object.entries(SHORTCUTS)) $(`#${id}`).setAttribute('aria-keyshortcuts', `Alt+${k.toUpperCase()}`);
document.addEventListener('keydown', (e) => {
  if (!ui || !e.altKey || e.ctrlKey || e.metaKey) return;
  const id = SHORTCUTS[e.key.toLowerCase()];
  if (!id) return;
  const panel = $(`#${id}`);
  if (panel.hidden) return;
  e.preventDefault();
  if (panel.classList.contains('collapsed')) {
    setCollapsed(panel, false);
    ui.prefs.setCollapsed(panel.dataset.panel, false);
  }
  if (id === 'panel-watch') ($('#watch-table tbody tr') || panel).focus?.();
  if (id !== 'panel-watch' || !$('#watch-table tbody tr')) focusFirst(panel.querySelector('.panel-body'));
});

// ---------------------------------------------------------------- dialogs

function promptDialog(title, label, value) {
  const dlg = $('#prompt-dialog');
  $('#prompt-title').textContent = title;
  $('#prompt-label').textContent = label;
  const input = $('#prompt-input');
  input.value = value;
  return new Promise((resolve) => {
    const done = (v) => {
      dlg.removeEventListener('close', onClose);
      resolve(v);
    };
    const onClose = () => done(dlg.returnValue === 'ok' && input.value.trim() ? input.value.trim() : null);
    dlg.addEventListener('close', onClose);
    $('#prompt-cancel').onclick = () => dlg.close('cancel');
    dlg.returnValue = '';
    dlg.showModal();
    input.select();
  });
}

function amendDialog(order, inst) {
  const dlg = $('#amend-dialog');
  const dp = inst?.decimals ?? 2;
  $('#amend-order').textContent = `${order.orderId} (${order.side} ${order.symbol})`;
  $('#amend-qty').value = order.qty ?? '';
  $('#amend-qty').step = String(inst?.lot ?? 1);
  $('#amend-price').value = order.price != null ? order.price.toFixed(dp) : '';
  $('#amend-price').step = String(inst?.tick ?? 'any');
  $('#amend-error').textContent = '';
  return new Promise((resolve) => {
    const form = $('#amend-form');
    const onSubmit = (e) => {
      const qty = Number($('#amend-qty').value);
      const price = Number($('#amend-price').value);
      let msg = '';
      if (!Number.isInteger(qty) || qty <= 0) msg = 'Quantity must be a positive whole number.';
      else if (!(price > 0)) msg = 'Enter a positive price.';
      else if (inst && Math.abs(price / inst.tick - Math.round(price / inst.tick)) > 1e-6) msg = `Price must be a multiple of the tick (${inst.tick}).`;
      if (msg) {
        e.preventDefault();
        $('#amend-error').textContent = msg;
        return;
      }
      cleanup();
      resolve({
        qty: qty !== order.qty ? qty : undefined,
        price: price !== order.price ? price.toFixed(dp) : undefined,
      });
    };
    const onClose = () => { cleanup(); resolve(null); };
    const cleanup = () => {
      form.removeEventListener('submit', onSubmit);
      dlg.removeEventListener('close', onClose);
    };
    form.addEventListener('submit', onSubmit);
    dlg.addEventListener('close', onClose);
    $('#amend-cancel').onclick = () => dlg.close('cancel');
    dlg.showModal();
    $('#amend-qty').select();
  }).then((r) => (r && r.qty === undefined && r.price === undefined ? null : r));
}

// ---------------------------------------------------------------- start

(function restore() {
  let s = null;
  try { s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null'); } catch { s = null; }
  if (s && typeof s.token === 'string' && s.user && (!s.expiresAt || s.expiresAt > Date.now())) {
    $('#login-tenant').value = s.tenant === 'default' ? '' : s.tenant;
    $('#login-username').value = s.username || '';
    startSession(s);
    // Check the token is still good (revoked, restarted server...).
    api.me().catch(() => { /* onUnauthorized logs out on 401 */ });
  } else {
    showLogin();
  }
})();
