// The one WebSocket of a session (/api/v1/ws), multiplexing market data and
// the user's orders, trades and notifications.
//
// - Reconnects by itself with exponential backoff (0.5 s doubling to 15 s,
//   ±20 % jitter; reset once a connection has delivered a message) and
//   resubscribes everything on each new connection.
// - Checks the server's per-connection sequence numbers: a jump means
//   messages were lost, so it subscribes again to get fresh snapshots and
//   tells the app (event "gap") to reload orders and trades.
// - A silent connection (no message for `idleMs`, though we PING) is closed
//   and reconnected.
//
// Events (EventTarget): "state" {state, attempt, delayMs, reason},
// "message" {msg}, "open" {reconnect}, "gap" {expected, got}, "unauthorized" {reason}.

const BASE_DELAY = 500;
const MAX_DELAY = 15000;
const PING_MS = 5000;
const IDLE_MS = 16000;
// Close codes that mean "do not come back with this token".
const AUTH_CLOSE = new Set([1008, 4001, 4002, 4003, 4401, 4403]); // 4001 auth, 4002 token expired

export class Stream extends EventTarget {
  constructor(url, token) {
    super();
    this.url = url;
    this.token = token;
    this.ws = null;
    this.wanted = new Set(); // instrument ids (symbols) to keep subscribed
    this.streams = ['orders', 'trades']; // the user's own streams, always on
    this.lastSeq = null;
    this.attempt = 0;
    this.everOpened = false;
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastRx = 0;
    this.stats = { connects: 0, gaps: 0, messages: 0, resubscribes: 0 };
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) {
      this.ws.onclose = null;
      try { this.ws.close(1000, 'logout'); } catch { /* already closed */ }
      this.ws = null;
    }
    this.emit('state', { state: 'offline', reason: 'stopped' });
  }

  // Make the subscribed set equal to `ids`.
  setSubscriptions(ids) {
    const next = new Set(ids.filter((x) => x !== null && x !== undefined));
    const add = [...next].filter((x) => !this.wanted.has(x));
    const del = [...this.wanted].filter((x) => !next.has(x));
    this.wanted = next;
    if (del.length) this.send({ op: 'UNSUBSCRIBE', instrumentIds: del });
    if (add.length) this.send({ op: 'SUBSCRIBE', instrumentIds: add });
  }

  // Ask again for everything: the server answers with fresh snapshots.
  resubscribe() {
    this.stats.resubscribes++;
    this.subscribeAll();
  }

  subscribeAll() {
    const m = { op: 'SUBSCRIBE', streams: this.streams };
    if (this.wanted.size) m.instrumentIds = [...this.wanted];
    this.send(m);
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  connect() {
    if (this.stopped) return;
    const loc = window.location;
    const abs = this.url.startsWith('ws') ? this.url
      : `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${this.url}`;
    const url = `${abs}${abs.includes('?') ? '&' : '?'}token=${encodeURIComponent(this.token)}`;
    this.emit('state', { state: this.everOpened ? 'reconnecting' : 'connecting', attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      this.scheduleRetry(`cannot open: ${e.message}`);
      return;
    }
    this.ws = ws;
    this.lastSeq = null;
    let delivered = false;
    ws.onopen = () => {
      this.stats.connects++;
      const reconnect = this.everOpened;
      this.everOpened = true;
      this.lastRx = Date.now();
      this.subscribeAll();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.keepalive(), PING_MS);
      this.emit('state', { state: 'live' });
      this.emit('open', { reconnect });
    };
    ws.onmessage = (ev) => {
      this.lastRx = Date.now();
      if (!delivered) { delivered = true; this.attempt = 0; }
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (!msg || typeof msg !== 'object') return;
      this.stats.messages++;
      this.checkSeq(msg);
      this.emit('message', { msg });
    };
    ws.onerror = () => { /* onclose follows */ };
    ws.onclose = (ev) => {
      clearInterval(this.pingTimer);
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (AUTH_CLOSE.has(ev.code)) {
        this.stopped = true;
        this.emit('state', { state: 'offline', reason: ev.reason || 'not authorized' });
        this.emit('unauthorized', { reason: ev.reason || 'session ended' });
        return;
      }
      this.scheduleRetry(ev.reason || `closed (${ev.code})`);
    };
  }

  checkSeq(msg) {
    const seq = typeof msg.seq === 'number' ? msg.seq : null;
    if (seq === null) return;
    if (this.lastSeq !== null && seq !== this.lastSeq + 1 && seq > this.lastSeq) {
      this.stats.gaps++;
      this.emit('gap', { expected: this.lastSeq + 1, got: seq });
      this.resubscribe();
    }
    if (this.lastSeq === null || seq > this.lastSeq) this.lastSeq = seq;
  }

  keepalive() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastRx > IDLE_MS) {
      // Half-open or stuck: drop it, onclose schedules the reconnect.
      try { this.ws.close(4000, 'idle'); } catch { /* closing */ }
      return;
    }
    this.send({ op: 'PING' });
  }

  scheduleRetry(reason) {
    clearTimeout(this.retryTimer);
    const base = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempt);
    const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt++;
    this.emit('state', { state: 'reconnecting', attempt: this.attempt, delayMs, reason });
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }
}
