// Administration (ADMIN, RISK, PLATFORM): kill switches, limits, FIX
// sessions, users, instruments. The server authorizes every call; the panel
// only leaves out what the role cannot do:
//   kill switch        ADMIN, RISK, PLATFORM (global: PLATFORM)
//   limits             read: ADMIN, RISK, PLATFORM; change: RISK, PLATFORM
//                      (collars and reference prices: PLATFORM)
//   users              read: ADMIN, RISK, PLATFORM; change: ADMIN, PLATFORM
//   FIX sessions       read: ADMIN, RISK, PLATFORM; kill by number: PLATFORM
//   instruments        ADMIN, RISK, PLATFORM

import { $, $$, el, clear } from './util.js';
import * as P from './proto.js';

const TABS = ['kill', 'limits', 'sessions', 'users', 'instruments'];
const ADMIN_ROLES = new Set(['ADMIN', 'RISK', 'PLATFORM']);

// Limit fields per scope: [API key, label, kind (int | money | text)].
const LIMIT_FIELDS = {
  user: [['maxNotional', 'Max notional / order', 'money']],
  account: [['maxOrderQty', 'Max order qty', 'int'], ['maxOpenOrders', 'Max open orders', 'int'],
    ['maxNotional', 'Max notional / order', 'money'], ['creditLimit', 'Credit limit', 'money']],
  session: [['maxOpenOrders', 'Max open orders', 'int'], ['ratePerSec', 'Orders / s', 'int'], ['burst', 'Burst', 'int']],
  collar: [['bps', 'Collar (bps)', 'int']],
  refPrice: [['price', 'Reference price', 'money']],
};
// Where the scope's target goes: [label, API key, kind].
const LIMIT_TARGET = {
  user: ['User', 'user', 'text'],
  account: ['Account', 'account', 'int'],
  session: ['User', 'user', 'text'],
  collar: ['Instrument (* = all)', 'instrumentId', 'text'],
  refPrice: ['Instrument', 'instrumentId', 'text'],
};
const KILL_TARGET = {
  global: null,
  tenant: ['Tenant', 'tenant', 'text', 'yours'],
  session: ['User', 'user', 'text', 'username'],
  account: ['Account', 'account', 'int', 'number'],
};

function cellText(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(cellText).join(', ');
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${cellText(x)}`).join(' ');
  return String(v);
}

// A table from records: the union of their keys as columns, plus an optional
// actions column built by `actions(record)`.
function fillTable(table, records, actions) {
  const thead = table.querySelector('thead');
  const tbody = table.querySelector('tbody');
  clear(thead);
  clear(tbody);
  const cols = [];
  for (const r of records.slice(0, 50)) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const hr = el('tr');
  for (const c of cols) hr.append(el('th', { scope: 'col', text: c }));
  if (actions) hr.append(el('th', { scope: 'col' }, el('span', { class: 'sr-only', text: 'Actions' })));
  thead.append(hr);
  for (const r of records) {
    const tr = el('tr');
    for (const c of cols) tr.append(el('td', { text: cellText(r[c]) }));
    if (actions) tr.append(el('td', {}, actions(r)));
    tbody.append(tr);
  }
  if (!records.length) tbody.append(el('tr', {}, el('td', { class: 'muted', text: 'None.' })));
}

function parseValue(kind, text, label) {
  const t = text.trim();
  if (kind === 'int') {
    if (!/^\d+$/.test(t)) throw new Error(`${label} must be a whole number`);
    return Number(t);
  }
  if (kind === 'money') {
    if (!/^\d+(\.\d{1,8})?$/.test(t)) throw new Error(`${label} must be a decimal ≥ 0 (at most 8 decimals)`);
    return t; // decimal text: the server keeps it exact
  }
  if (!t) throw new Error(`${label} is required`);
  return t;
}

export class AdminPanel {
  constructor({ api, notify }) {
    this.api = api;
    this.notify = notify;
    this.role = '';
    this.tabs = [];
    this.current = 'kill';
    this.bind();
  }

  can(what) {
    const r = this.role;
    switch (what) {
      case 'killGlobal': case 'sessionByNumber': case 'collar': return r === 'PLATFORM';
      case 'limitsEdit': return r === 'RISK' || r === 'PLATFORM';
      case 'usersEdit': return r === 'ADMIN' || r === 'PLATFORM';
      default: return ADMIN_ROLES.has(r);
    }
  }

  bind() {
    for (const t of $$('#panel-admin [role="tab"]')) {
      t.addEventListener('click', () => this.show(t.id.slice(4), true));
      t.addEventListener('keydown', (e) => {
        const vis = this.tabs;
        const i = vis.indexOf(t.id.slice(4));
        let j = null;
        if (e.key === 'ArrowRight') j = (i + 1) % vis.length;
        else if (e.key === 'ArrowLeft') j = (i - 1 + vis.length) % vis.length;
        else if (e.key === 'Home') j = 0;
        else if (e.key === 'End') j = vis.length - 1;
        if (j !== null) { e.preventDefault(); this.show(vis[j], true); }
      });
    }
    $('#admin-refresh').addEventListener('click', () => this.load(this.current));
    $('#kill-scope').addEventListener('change', () => this.syncKillScope());
    $('#kill-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.kill(e.submitter?.value === 'on');
    });
    $('#lim-scope').addEventListener('change', () => this.syncLimitScope());
    $('#limits-form').addEventListener('submit', (e) => { e.preventDefault(); this.putLimits(); });
    $('#user-form').addEventListener('submit', (e) => { e.preventDefault(); this.createUser(); });
  }

  // Show the panel for this role (hidden for roles without admin rights).
  setRole(role) {
    this.role = role;
    const on = ADMIN_ROLES.has(role);
    this.tabs = on ? TABS : [];
    $('#panel-admin').hidden = !on;
    if (!on) return;
    for (const o of $$('#kill-scope option')) o.hidden = o.value === 'global' && !this.can('killGlobal');
    for (const o of $$('#lim-scope option')) o.hidden = o.dataset.platform === '1' && !this.can('collar');
    $('#limits-form').hidden = !this.can('limitsEdit');
    $('#user-form').hidden = !this.can('usersEdit');
    if (!this.can('killGlobal') && $('#kill-scope').value === 'global') $('#kill-scope').value = 'tenant';
    this.syncKillScope();
    this.syncLimitScope();
    this.show(this.tabs[0], false);
  }

  syncKillScope() {
    const t = KILL_TARGET[$('#kill-scope').value];
    $('#kill-id').disabled = !t;
    $('#kill-id-label').textContent = t ? t[0] : 'Target';
    $('#kill-id').placeholder = t ? t[3] : '—';
    if (!t) $('#kill-id').value = '';
  }

  syncLimitScope() {
    const scope = $('#lim-scope').value;
    $('#lim-target-label').textContent = LIMIT_TARGET[scope][0];
    const box = $('#lim-fields');
    clear(box);
    for (const [key, label, kind] of LIMIT_FIELDS[scope]) {
      const id = `lim-f-${key}`;
      box.append(el('label', { for: id, text: label }),
        el('input', { id, size: '10', inputmode: kind === 'int' ? 'numeric' : 'decimal', autocomplete: 'off', dataset: { key, kind, label } }));
    }
  }

  show(name, focus) {
    this.current = name;
    for (const t of $$('#panel-admin [role="tab"]')) {
      const on = t.id === `tab-${name}`;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      if (on && focus) t.focus();
      $(`#${t.getAttribute('aria-controls')}`).hidden = !on;
    }
    this.load(name);
  }

  error(e) {
    $('#admin-error').textContent = e ? `${e.message}${e.code ? ` (${e.code})` : ''}` : '';
  }

  async load(name) {
    this.error(null);
    try {
      if (name === 'limits') {
        const r = await this.api.limits();
        fillTable($('#limits-users-table'), P.list(r, 'users'));
        fillTable($('#limits-table'), P.list(r, 'commands').map((c) => ({ ...(c.command || {}), by: c.by, time: c.time ? new Date(c.time).toISOString() : undefined })));
      } else if (name === 'sessions') {
        const byNumber = this.can('sessionByNumber');
        fillTable($('#sessions-table'), P.list(await this.api.fixSessions(), 'sessions'), byNumber ? (s) => {
          const id = s.session ?? s.id;
          return el('span', { class: 'row-actions' },
            el('button', { type: 'button', class: 'btn small danger', text: 'Kill', 'aria-label': `Kill switch on for session ${s.name ?? id}`,
              on: { click: () => this.sendKill(true, { scope: 'session', session: id }, `session ${s.name ?? id}`) } }),
            el('button', { type: 'button', class: 'btn small', text: 'Release', 'aria-label': `Kill switch off for session ${s.name ?? id}`,
              on: { click: () => this.sendKill(false, { scope: 'session', session: id }, `session ${s.name ?? id}`) } }));
        } : null);
      } else if (name === 'users') {
        const edit = this.can('usersEdit');
        fillTable($('#users-table'), P.list(await this.api.users(), 'users'), edit ? (u) => {
          const disabled = !!u.disabled;
          return el('button', { type: 'button', class: `btn small${disabled ? '' : ' danger'}`, text: disabled ? 'Enable' : 'Disable',
            'aria-label': `${disabled ? 'Enable' : 'Disable'} user ${u.username}`,
            on: { click: () => this.setDisabled(u.username, !disabled) } });
        } : null);
      } else if (name === 'instruments') {
        fillTable($('#instruments-table'), P.list(await this.api.adminInstruments(), 'instruments'));
      }
    } catch (e) {
      this.error(e);
    }
  }

  kill(on) {
    this.error(null);
    const scope = $('#kill-scope').value;
    const body = { scope };
    const t = KILL_TARGET[scope];
    let what = scope;
    if (t) {
      const v = $('#kill-id').value.trim();
      if (v || scope !== 'tenant') {
        try { body[t[1]] = parseValue(t[2], v, t[0]); } catch (e) { this.error(e); $('#kill-id').focus(); return; }
        what = `${scope} ${v}`;
      }
    }
    return this.sendKill(on, body, what);
  }

  async sendKill(on, body, what) {
    this.error(null);
    try {
      await this.api.killSwitch({ ...body, on, cancel: on && $('#kill-cancel').checked });
      $('#kill-state').textContent = `Kill switch ${on ? 'ON' : 'OFF'}: ${what}`;
      $('#kill-state').classList.toggle('kill-active', on);
    } catch (e) {
      this.error(e);
    }
  }

  async putLimits() {
    this.error(null);
    const scope = $('#lim-scope').value;
    const body = { scope };
    try {
      const [label, key, kind] = LIMIT_TARGET[scope];
      body[key] = parseValue(kind, $('#lim-target').value, label);
      let n = 0;
      for (const i of $$('#lim-fields input')) {
        if (!i.value.trim()) continue;
        body[i.dataset.key] = parseValue(i.dataset.kind, i.value, i.dataset.label);
        n++;
      }
      if (!n) throw new Error('enter at least one limit');
    } catch (e) {
      this.error(e);
      return;
    }
    try {
      await this.api.putLimits(body);
      this.notify.add({ level: 'info', kind: 'LIMITS', text: `Limits sent: ${cellText(body)}`, ts: Date.now() });
      await this.load('limits');
    } catch (e) {
      this.error(e);
    }
  }

  async createUser() {
    this.error(null);
    const u = { username: $('#nu-name').value.trim(), password: $('#nu-password').value, role: $('#nu-role').value };
    try {
      if (!/^[A-Za-z0-9_.-]{1,31}$/.test(u.username)) throw new Error('username: 1..31 of A-Z a-z 0-9 _ . -');
      if (!u.password) throw new Error('a password is required');
      if ($('#nu-tenant').value.trim()) u.tenant = $('#nu-tenant').value.trim();
      if ($('#nu-account').value.trim()) u.account = parseValue('int', $('#nu-account').value, 'Account');
      if ($('#nu-notional').value.trim()) u.maxNotional = parseValue('money', $('#nu-notional').value, 'Max notional');
      const ins = $('#nu-instruments').value.trim();
      if (ins) u.instruments = ins === '*' ? '*' : ins.split(/[\s,]+/).filter(Boolean);
    } catch (e) {
      this.error(e);
      return;
    }
    try {
      await this.api.createUser(u);
      $('#nu-password').value = '';
      $('#nu-name').value = '';
      this.notify.add({ level: 'info', kind: 'USER', text: `User ${u.username} (${u.role}) created`, ts: Date.now() });
      await this.load('users');
    } catch (e) {
      this.error(e);
    }
  }

  async setDisabled(name, disabled) {
    try {
      await this.api.setUserDisabled(name, disabled);
      await this.load('users');
    } catch (e) {
      this.error(e);
    }
  }
}
