// REST client for /api/v1. Bearer token in memory; errors thrown as ApiError
// carrying the server's {code, message, field}.

import { uuid } from './util.js';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.field = field || '';
  }
}

export const PATHS = {
  login: '/auth/login',
  me: '/me',
  instruments: '/instruments',
  snapshot: '/market/snapshot',
  orders: '/orders',
  trades: '/trades',
  adminInstruments: '/admin/instruments',
  adminUsers: '/admin/users',
  adminSessions: '/admin/fix-sessions',
  adminLimits: '/admin/limits',
  adminKill: '/admin/kill',
  logout: '/auth/logout',
};

export class Api {
  constructor(base = '/api/v1') {
    this.base = base;
    this.token = null;
    this.onUnauthorized = null; // called once per 401 on an authenticated call
  }

  async req(method, path, body, headers = {}) {
    const h = { Accept: 'application/json', ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    let resp;
    try {
      resp = await fetch(this.base + path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', `network error: ${e.message}`);
    }
    const text = await resp.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = { message: text.slice(0, 200) }; }
    }
    if (!resp.ok) {
      const err = (data && (data.error && typeof data.error === 'object' ? data.error : data)) || {};
      if (resp.status === 401 && this.token && this.onUnauthorized) this.onUnauthorized(err.message);
      throw new ApiError(resp.status, err.code, err.message || resp.statusText, err.field);
    }
    return data;
  }

  get(path) { return this.req('GET', path); }

  login(tenant, username, password) {
    const body = { username, password };
    if (tenant) body.tenant = tenant;
    return this.req('POST', PATHS.login, body);
  }

  me() { return this.get(PATHS.me); }

  // Revokes the user's tokens on the server; failures do not matter here.
  async logout() {
    try { await this.req('POST', PATHS.logout); } catch { /* token already invalid */ }
  }

  // Instruments the user may see; admins' list when the plain one is absent.
  async instruments() {
    try {
      return await this.get(PATHS.instruments);
    } catch (e) {
      if (e.status === 404 || e.status === 405) return this.get(PATHS.adminInstruments);
      throw e;
    }
  }

  snapshot(instrumentId) {
    return this.get(`${PATHS.snapshot}?instrumentId=${encodeURIComponent(instrumentId)}`);
  }

  // A network failure is retried once with the same Idempotency-Key: the
  // server answers a repeat with the first order instead of placing another.
  async placeOrder(order, key = uuid()) {
    try {
      return await this.req('POST', PATHS.orders, order, { 'Idempotency-Key': key });
    } catch (e) {
      if (e.status !== 0) throw e;
      await new Promise((r) => setTimeout(r, 400));
      return this.req('POST', PATHS.orders, order, { 'Idempotency-Key': key });
    }
  }

  cancelOrder(orderId) {
    return this.req('POST', `${PATHS.orders}/${encodeURIComponent(orderId)}/cancel`, {}, { 'Idempotency-Key': uuid() });
  }

  // qty: new total quantity; price: decimal text (either may be undefined).
  amendOrder(orderId, qty, price) {
    const body = {};
    if (qty !== undefined) body.quantity = qty;
    if (price !== undefined) body.price = price;
    return this.req('POST', `${PATHS.orders}/${encodeURIComponent(orderId)}/amend`, body,
      { 'Idempotency-Key': uuid() });
  }

  orders() { return this.get(PATHS.orders); }
  trades() { return this.get(PATHS.trades); }

  adminInstruments() { return this.get(PATHS.adminInstruments); }
  users() { return this.get(PATHS.adminUsers); }
  createUser(u) { return this.req('POST', PATHS.adminUsers, u); }
  setUserDisabled(name, disabled) {
    return this.req('PATCH', `${PATHS.adminUsers}/${encodeURIComponent(name)}`, { disabled });
  }
  fixSessions() { return this.get(PATHS.adminSessions); }
  limits() { return this.get(PATHS.adminLimits); }
  // {scope: user|account|session|collar|refPrice, target key, limit keys...}
  putLimits(body) { return this.req('PUT', PATHS.adminLimits, body); }
  // {scope: global|tenant|session|account, tenant?|user?|session?|account?, on, cancel}
  killSwitch(body) { return this.req('POST', PATHS.adminKill, body); }
}
