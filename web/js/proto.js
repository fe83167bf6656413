// The wire format of the control plane's /api/v1 (REST + WebSocket) mapped to
// the workstation's own records. Every field the server sends goes through
// here, so the rest of the app sees one shape:
//
//   instrument   {symbol, engineId, tick, lot, tradable, decimals, assetClass, refPrice}
//   quote        {symbol, source, bid, bidSize, ask, askSize, mid, last,
//                 lastSize, flags{stale,gap,crossed,halted,late}, seqno, ts}
//   order        {orderId, exchangeOrderId, correlationId, clientOrderId,
//                 symbol, side, type, tif, qty, filled, leaves, price,
//                 avgPrice, status, pending (CANCEL|AMEND|''), reason, rev, ts}
//   trade        {tradeId, orderId, correlationId, symbol, side, qty, price,
//                 notional, liquidity, ts}
//   notification {level, kind, text, correlationId, ts}
//
// Prices on the wire are decimal numbers (or decimal strings) in currency
// units; integers in ORION_PX_SCALE (1e-8) units are accepted where a field
// name says so (`...E8`, `..._px`).

const PX_SCALE = 1e8;

const first = (o, ...keys) => {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
};

function num(v) {
  if (v === undefined || v === null || v === '' || v === '-') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

// A price from a record: decimal fields first, then 1e-8 fixed point fields.
function price(o, names) {
  for (const n of names) {
    if (o[n] !== undefined && o[n] !== null) return num(o[n]);
  }
  for (const n of names) {
    for (const k of [`${n}E8`, `${n}_e8`, `${n}_px`, `${n}Px`]) {
      if (o[k] !== undefined && o[k] !== null) {
        const v = num(o[k]);
        return v === null || v === -9223372036854775808 ? null : v / PX_SCALE;
      }
    }
  }
  return null;
}

// Timestamps: ISO text, or epoch seconds / ms / µs / ns (by magnitude).
export function time(v) {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string' && !/^\d+(\.\d+)?$/.test(v)) {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : null;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) return null;
  if (n > 1e17) return n / 1e6;
  if (n > 1e14) return n / 1e3;
  if (n > 1e11) return n;
  return n * 1000;
}

const FLAG_NAMES = ['stale', 'gap', 'crossed', 'halted', 'late'];
const FLAG_BITS = { stale: 1, gap: 2, crossed: 4, halted: 8, late: 16 }; // common/orion_tick.h
const FLAG_LETTERS = { S: 'stale', G: 'gap', X: 'crossed', H: 'halted', L: 'late' }; // tick log letters

// Quality flags as a bit mask, a list of names, letters ("SG") or an object.
export function flags(f, rec = {}) {
  const out = { stale: false, gap: false, crossed: false, halted: false, late: false };
  if (typeof f === 'number') {
    for (const k of FLAG_NAMES) out[k] = (f & FLAG_BITS[k]) !== 0;
  } else if (Array.isArray(f)) {
    for (const s of f) {
      const k = String(s).toLowerCase();
      if (k in out) out[k] = true;
    }
  } else if (typeof f === 'string') {
    if (/^[SGXHLNT]*$/.test(f)) {
      for (const c of f) if (FLAG_LETTERS[c]) out[FLAG_LETTERS[c]] = true;
    } else {
      for (const s of f.split(/[\s,|]+/)) {
        const k = s.toLowerCase();
        if (k in out) out[k] = true;
      }
    }
  } else if (f && typeof f === 'object') {
    for (const k of FLAG_NAMES) out[k] = !!f[k];
  }
  for (const k of FLAG_NAMES) if (rec[k] === true) out[k] = true;
  return out;
}

const SIDES = { 1: 'BUY', 2: 'SELL', B: 'BUY', S: 'SELL', BUY: 'BUY', SELL: 'SELL', BID: 'BUY', ASK: 'SELL' };
export function side(v) {
  if (v === undefined || v === null) return null;
  return SIDES[String(v).toUpperCase()] || String(v).toUpperCase();
}

const TYPES = { 1: 'MARKET', 2: 'LIMIT', MARKET: 'MARKET', LIMIT: 'LIMIT' };
const TIFS = { 0: 'DAY', 1: 'GTC', 3: 'IOC', 4: 'FOK', DAY: 'DAY', GTC: 'GTC', IOC: 'IOC', FOK: 'FOK' };
const up = (v) => (v === undefined || v === null ? null : String(v).toUpperCase());

// Order states; engine event names (ME_EV_*) map onto them.
const STATUS = {
  PENDING: 'PENDING_NEW', PENDING_NEW: 'PENDING_NEW', SENT: 'PENDING_NEW',
  NEW: 'NEW', ACCEPTED: 'NEW', ACK: 'NEW', REPLACED: 'NEW', AMENDED: 'NEW',
  PARTIAL: 'PARTIALLY_FILLED', PARTIALLY_FILLED: 'PARTIALLY_FILLED', PARTIALLYFILLED: 'PARTIALLY_FILLED',
  FILLED: 'FILLED', TRADE: null, FILL: null,
  CANCELED: 'CANCELED', CANCELLED: 'CANCELED', EXPIRED: 'EXPIRED',
  REJECTED: 'REJECTED', CANCEL_REJECTED: null,
};
export const LIVE_STATUSES = new Set(['PENDING_NEW', 'NEW', 'PARTIALLY_FILLED']);

// Instruments are named by symbol on the API (instrumentId = "AAPL"); the
// engine's numeric id, when given, is kept as engineId.
const symOf = (o) => {
  const s = first(o, 'symbol', 'instrumentId', 'instrument', 'name');
  return typeof s === 'string' && s.trim() ? s.trim() : null;
};

export function instrument(o) {
  const tick = num(first(o, 'tick', 'tickSize', 'tick_size')) ?? (num(first(o, 'tickE8', 'tick_px')) ?? 0) / PX_SCALE;
  return {
    symbol: symOf(o) ?? '',
    engineId: num(first(o, 'id', 'engineId', 'engine_id')),
    tick: tick > 0 ? tick : 0.01,
    lot: num(first(o, 'lot', 'lotSize', 'lot_size')) || 1,
    tradable: o.tradable !== false,
    assetClass: first(o, 'assetClass', 'asset_class') ?? '',
    refPrice: price(o, ['refPrice', 'ref_price', 'referencePrice']),
  };
}

// `has` names the fields the message carried: an increment that leaves a
// field out keeps its previous value, an explicit null clears it.
const QUOTE_KEYS = {
  bid: ['bid', 'bidPrice', 'bid_price', 'bidE8', 'bid_px', 'bidPx'],
  ask: ['ask', 'askPrice', 'ask_price', 'offer', 'askE8', 'ask_px', 'askPx'],
  mid: ['mid', 'midPrice', 'mid_price', 'midE8', 'mid_px', 'midPx'],
  last: ['last', 'lastPrice', 'last_price', 'lastE8', 'last_px', 'lastPx'],
  bidSize: ['bidSize', 'bidSz', 'bid_sz', 'bidQty'],
  askSize: ['askSize', 'askSz', 'ask_sz', 'askQty'],
  lastSize: ['lastSize', 'lastSz', 'last_sz', 'lastQty'],
};

export function quote(o) {
  const has = new Set();
  for (const [k, names] of Object.entries(QUOTE_KEYS)) if (names.some((n) => n in o)) has.add(k);
  return {
    has,
    symbol: symOf(o),
    source: num(first(o, 'source', 'feed')),
    bid: price(o, ['bid', 'bidPrice', 'bid_price']),
    bidSize: num(first(o, 'bidSize', 'bidSz', 'bid_sz', 'bidQty')),
    ask: price(o, ['ask', 'askPrice', 'ask_price', 'offer']),
    askSize: num(first(o, 'askSize', 'askSz', 'ask_sz', 'askQty')),
    mid: price(o, ['mid', 'midPrice', 'mid_price']),
    last: price(o, ['last', 'lastPrice', 'last_price']),
    lastSize: num(first(o, 'lastSize', 'lastSz', 'last_sz', 'lastQty')),
    flags: flags(first(o, 'flags', 'quality'), o),
    seqno: num(first(o, 'seqno', 'seqNo')),
    ts: time(first(o, 'ts', 'time', 'timestamp')),
  };
}

// One order record (the server sends the whole record on every change) or
// a partial one (an API answer). Absent fields stay absent so that it merges
// into what is known of the order. API orders are named "A<corr>": that id is
// the request's correlation id all the way through the engine and journal.
export function order(o) {
  const r = {};
  const set = (k, v) => { if (v !== undefined && v !== null) r[k] = v; };
  const id = first(o, 'id', 'orderId', 'order_id');
  if (id !== undefined && String(id) !== '0') r.orderId = String(id);
  set('exchangeOrderId', first(o, 'exchangeOrderId', 'exchange_order_id'));
  if (r.exchangeOrderId !== undefined) r.exchangeOrderId = String(r.exchangeOrderId);
  const corr = first(o, 'correlationId', 'correlation_id', 'corr');
  if (corr !== undefined) r.correlationId = String(corr);
  else if (r.orderId && /^A\d+$/.test(r.orderId)) r.correlationId = r.orderId;
  set('clientOrderId', first(o, 'clientOrderId', 'client_order_id', 'clOrdId'));
  set('symbol', symOf(o));
  set('user', first(o, 'user', 'username'));
  set('side', side(o.side));
  set('type', TYPES[up(first(o, 'type', 'ordType', 'ord_type', 'orderType'))]);
  set('tif', TIFS[up(first(o, 'timeInForce', 'tif', 'time_in_force'))]);
  set('qty', num(first(o, 'quantity', 'qty', 'orderQty')));
  set('filled', num(first(o, 'filledQuantity', 'filled', 'filledQty', 'cumQty', 'cum_qty')));
  set('leaves', num(first(o, 'leavesQuantity', 'leaves', 'leavesQty', 'leaves_qty')));
  set('price', price(o, ['price', 'limitPrice']));
  set('avgPrice', price(o, ['avgPrice', 'avgPx']));
  const ev = up(first(o, 'status', 'state', 'ordStatus', 'event', 'execType'));
  if (ev !== null) {
    r.event = ev;
    if (STATUS[ev]) r.status = STATUS[ev];
  }
  if ('pendingAction' in o) r.pending = o.pendingAction ? String(o.pendingAction).toUpperCase() : '';
  if ('reason' in o) r.reason = o.reason === null ? '' : String(o.reason);
  else set('reason', first(o, 'text', 'rejectReason'));
  set('rev', num(o.rev));
  set('ts', time(first(o, 'createdAt', 'ts', 'time', 'timestamp', 'transactTime')));
  set('updatedAt', time(first(o, 'updatedAt')));
  return r;
}

export function trade(o) {
  const orderId = first(o, 'orderId', 'order_id');
  const corr = first(o, 'correlationId', 'correlation_id', 'corr');
  const t = {
    tradeId: String(first(o, 'id', 'tradeId', 'trade_id', 'execId') ?? ''),
    orderId: orderId !== undefined ? String(orderId) : '',
    correlationId: corr !== undefined ? String(corr) : /^A\d+$/.test(String(orderId ?? '')) ? String(orderId) : '',
    symbol: symOf(o) ?? '',
    side: side(o.side) ?? '',
    qty: num(first(o, 'quantity', 'qty', 'lastQty', 'fillQty')),
    price: price(o, ['price', 'lastPx', 'fillPrice']),
    liquidity: String(first(o, 'liquidity') ?? ''),
    ts: time(first(o, 'time', 'ts', 'timestamp', 'tradeTime', 'transactTime')),
  };
  t.notional = t.qty !== null && t.price !== null ? t.qty * t.price : null;
  return t;
}

export function notification(o) {
  const kind = up(first(o, 'kind', 'code', 'category', 'event', 'type')) ?? 'INFO';
  let level = (first(o, 'level', 'severity') ?? '').toString().toLowerCase();
  if (!['error', 'warn', 'info'].includes(level)) {
    level = /REJECT|KILL|BREACH|ERROR|DISCONNECT/.test(kind) ? 'error' : /GAP|STALE|LIMIT|WARN/.test(kind) ? 'warn' : 'info';
  }
  // Whatever the server's level, an engaged kill switch or a reject stands out.
  if (level === 'info' && /KILL_SWITCH_ON|REJECT/.test(kind)) level = 'error';
  return {
    level,
    kind,
    text: String(first(o, 'message', 'text', 'reason', 'detail') ?? kind),
    correlationId: String(first(o, 'correlationId', 'correlation_id', 'corr', 'clOrdId') ?? ''),
    ts: time(first(o, 'ts', 'time', 'timestamp')) ?? Date.now(),
  };
}

// A list out of a REST answer: the array itself or the first array member
// among the usual envelope names.
export function list(resp, ...names) {
  if (Array.isArray(resp)) return resp;
  if (!resp || typeof resp !== 'object') return [];
  for (const n of [...names, 'items', 'data', 'results']) if (Array.isArray(resp[n])) return resp[n];
  return [];
}

// The kind of a WebSocket message, upper case ("SNAPSHOT", "TICK", ...).
export function msgType(m) {
  return String(first(m, 'type', 'op', 'kind', 'channel', 'stream') ?? '').toUpperCase();
}

// The columns of an "md" increment's arrays, as the welcome message
// announces them (mdFields); the default is the server's current list.
export const MD_FIELDS = ['instrumentId', 'source', 'bid', 'bidSize', 'ask', 'askSize', 'last', 'lastSize',
  'flags', 'seqno', 'recvNs', 'ver'];

// One md row: an array (increments) becomes the object form (snapshots).
export function mdRow(row, fields = MD_FIELDS) {
  if (!Array.isArray(row)) return row;
  const o = {};
  fields.forEach((k, i) => { o[k] = row[i]; });
  return o;
}

// The records a WebSocket message carries (payload array, single payload, or
// the message itself).
export function msgItems(m, ...names) {
  for (const n of [...names, 'data', 'payload', 'items']) {
    const v = m[n];
    if (Array.isArray(v)) return v;
    if (v && typeof v === 'object') return [v];
  }
  return [m];
}
