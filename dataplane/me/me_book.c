/* Matching engine: price-indexed levels, bitmap best-price search, pooled
 * orders with intrusive FIFO links. See me_book.h for the contract. */
#include "dataplane/me/me_book.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/me/me_bitmap.h"

#define NIL UINT32_MAX
#define MC_PUBLIC (ME_MC_SESSION | ME_MC_ACCOUNT | ME_MC_TENANT | ME_MC_INSTRUMENT | ME_MC_SIDE)
#define MC_DAY_ONLY (1u << 31) /* internal: expiry walk at close */

struct me_level {
	uint32_t head, tail;      /* pool slots, NIL when empty */
	uint64_t qty;             /* sum of leaves */
};
static_assert(sizeof(struct me_level) == 16, "4 levels per cache line");

/* Hot part of an order: one cache line. The client order id lives in a
 * parallel array (e->clid) touched only when an event is built. */
struct me_order {
	uint64_t id;              /* 0 = free slot */
	int64_t price;
	uint32_t next, prev;      /* level FIFO; next links the free list */
	uint32_t lvl;             /* grid index */
	uint32_t instr;
	uint32_t qty, leaves, cum;
	uint32_t session, account, tenant;
	uint8_t side, type, tif, flags;
	uint8_t stp, resting;
	uint8_t pad_[2];
};
static_assert(sizeof(struct me_order) == 64, "one cache line per order");

struct me_instr {
	struct me_level *lv;
	struct me_bm bm[2];       /* [0] bids, [1] asks */
	uint32_t best[2];         /* best bid / ask grid index, NIL when empty */
	int64_t px_min, tick;
	uint32_t n_levels, lot;
	int64_t ref_px;
	uint32_t band_ticks;
	uint8_t state;
	int64_t last_px;
	uint32_t last_qty;
	uint32_t tick_seq;
	char symbol[ORION_SYMBOL_LEN];
	void *mem;
};

struct me_engine {
	struct me_order *ord;
	uint8_t (*clid)[ME_CLORDID_LEN];
	struct me_instr *in;
	uint32_t n_instr, max_instr, max_orders;
	uint32_t free_head;
	uint64_t serial, ev_seq, trade_seq;
	uint8_t stp_default;
	struct me_sink sink;
	struct me_stats st;
};

struct l1 {
	uint32_t b, a;
	uint64_t bq, aq;
};

/* ---- pool ------------------------------------------------------------- */

static inline struct me_order *lookup(const struct me_engine *e, uint64_t id, uint32_t *slot)
{
	uint32_t s = ME_ORDER_SLOT(id);
	if (id == 0 || s >= e->max_orders || e->ord[s].id != id)
		return NULL;
	*slot = s;
	return &e->ord[s];
}

static inline void free_order(struct me_engine *e, uint32_t slot)
{
	struct me_order *o = &e->ord[slot];
	o->id = 0;
	o->resting = 0;
	o->next = e->free_head;
	e->free_head = slot;
	e->st.orders_live--;
}

/* ---- events ----------------------------------------------------------- */

static inline void fill_info(const struct me_engine *e, const struct me_order *o, uint32_t slot,
	struct me_order_info *oi)
{
	oi->order_id = o->id;
	oi->price = o->price;
	oi->qty = o->qty;
	oi->leaves = o->leaves;
	oi->cum = o->cum;
	oi->instrument_id = o->instr;
	oi->session_id = o->session;
	oi->account_id = o->account;
	oi->tenant_id = o->tenant;
	oi->side = o->side;
	oi->type = o->type;
	oi->tif = o->tif;
	oi->flags = o->flags;
	oi->stp = o->stp;
	memcpy(oi->cl_ord_id, e->clid[slot], ME_CLORDID_LEN);
}

static inline void emit(struct me_engine *e, struct me_event *ev, uint16_t type, uint16_t reason,
	uint32_t instr, uint64_t now)
{
	ev->type = type;
	ev->reason = reason;
	ev->instrument_id = instr;
	ev->seq = ++e->ev_seq;
	ev->ts_ns = now;
	e->st.events++;
	e->sink.on_event(e->sink.ctx, ev);
}

static inline uint32_t sat32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

static inline int64_t lvl_px(const struct me_instr *in, uint32_t idx)
{
	return in->px_min + (int64_t)idx * in->tick;
}

static void emit_tick(struct me_engine *e, struct me_instr *in, bool traded, uint64_t now)
{
	if (!e->sink.on_tick)
		return;
	struct md_tick t;
	memset(&t, 0, sizeof t);
	t.recv_ns = now;
	t.exch_ts_ns = now;
	t.feed_seq = e->ev_seq;
	t.bid_px = t.ask_px = t.mid_px = ORION_PX_NONE;
	if (in->best[0] != NIL) {
		t.bid_px = lvl_px(in, in->best[0]);
		t.bid_sz = sat32(in->lv[in->best[0]].qty);
	}
	if (in->best[1] != NIL) {
		t.ask_px = lvl_px(in, in->best[1]);
		t.ask_sz = sat32(in->lv[in->best[1]].qty);
	}
	if (in->best[0] != NIL && in->best[1] != NIL)
		t.mid_px = t.bid_px + (t.ask_px - t.bid_px) / 2;
	t.last_px = in->last_px;
	t.last_sz = in->last_qty;
	t.instrument_id = (uint32_t)(in - e->in);
	memcpy(t.symbol, in->symbol, ORION_SYMBOL_LEN);
	t.source = MD_SOURCE_VENUE;
	t.flags = (uint16_t)((traded ? MD_TF_TRADE : 0) | (in->state != ME_ST_OPEN ? MD_TF_HALTED : 0));
	t.seqno = ++in->tick_seq;
	e->st.ticks++;
	e->sink.on_tick(e->sink.ctx, &t);
}

static inline void l1_snap(const struct me_instr *in, struct l1 *s)
{
	s->b = in->best[0];
	s->a = in->best[1];
	s->bq = s->b != NIL ? in->lv[s->b].qty : 0;
	s->aq = s->a != NIL ? in->lv[s->a].qty : 0;
}

static inline void tick_if_changed(struct me_engine *e, struct me_instr *in, const struct l1 *s,
	bool traded, uint64_t now)
{
	if (traded || s->b != in->best[0] || s->a != in->best[1] ||
		(s->b != NIL && s->bq != in->lv[s->b].qty) || (s->a != NIL && s->aq != in->lv[s->a].qty))
		emit_tick(e, in, traded, now);
}

/* ---- levels ----------------------------------------------------------- */

static inline void level_push(struct me_engine *e, struct me_instr *in, struct me_order *o, uint32_t slot)
{
	uint32_t li = o->lvl;
	unsigned si = o->side - 1u;
	struct me_level *l = &in->lv[li];
	o->next = NIL;
	o->prev = l->tail;
	if (l->tail == NIL) {
		l->head = slot;
		me_bm_set(&in->bm[si], li);
		uint32_t b = in->best[si];
		if (b == NIL || (si == 0 ? li > b : li < b))
			in->best[si] = li;
	} else {
		e->ord[l->tail].next = slot;
	}
	l->tail = slot;
	l->qty += o->leaves;
	o->resting = 1;
}

static inline void level_remove(struct me_engine *e, struct me_instr *in, struct me_order *o)
{
	uint32_t li = o->lvl;
	unsigned si = o->side - 1u;
	struct me_level *l = &in->lv[li];
	if (o->prev != NIL)
		e->ord[o->prev].next = o->next;
	else
		l->head = o->next;
	if (o->next != NIL)
		e->ord[o->next].prev = o->prev;
	else
		l->tail = o->prev;
	l->qty -= o->leaves;
	o->resting = 0;
	if (l->head == NIL) {
		me_bm_clear(&in->bm[si], li);
		if (in->best[si] == li) {
			if (si == 0)
				in->best[0] = li == 0 ? NIL : me_bm_prev(&in->bm[0], li - 1);
			else
				in->best[1] = me_bm_next(&in->bm[1], li + 1);
		}
	}
}

/* Remove a non-resting or resting order with a CANCELED event and free it. */
static void cancel_order(struct me_engine *e, struct me_instr *in, struct me_order *o, uint32_t slot,
	unsigned reason, const uint8_t *req_clid, uint64_t now)
{
	if (o->resting)
		level_remove(e, in, o);
	struct me_event ev;
	memset(&ev, 0, sizeof ev);
	ev.u.canceled.canceled_qty = o->leaves;
	o->leaves = 0;
	fill_info(e, o, slot, &ev.u.canceled.order);
	if (req_clid)
		memcpy(ev.u.canceled.req_cl_ord_id, req_clid, ME_CLORDID_LEN);
	e->st.cancels[reason]++;
	emit(e, &ev, ME_EV_CANCELED, (uint16_t)reason, o->instr, now);
	free_order(e, slot);
}

/* ---- matching --------------------------------------------------------- */

static inline bool within(unsigned opp, uint32_t b, int64_t lim)
{
	return opp == 1 ? (int64_t)b <= lim : (int64_t)b >= lim;
}

static inline uint32_t next_level(const struct me_instr *in, unsigned opp, uint32_t b)
{
	if (opp == 1)
		return me_bm_next(&in->bm[1], b + 1);
	return b == 0 ? NIL : me_bm_prev(&in->bm[0], b - 1);
}

/* Can incoming o be filled completely within lim, honouring its STP mode? */
static bool fok_fillable(const struct me_engine *e, const struct me_instr *in, const struct me_order *o,
	int64_t lim)
{
	unsigned opp = o->side == ME_BUY ? 1 : 0;
	uint64_t need = o->leaves, got = 0;
	bool stp_on = o->stp != ME_STP_NONE;
	for (uint32_t b = in->best[opp]; b != NIL && within(opp, b, lim); b = next_level(in, opp, b)) {
		const struct me_level *l = &in->lv[b];
		if (!stp_on) {
			got += l->qty;
		} else {
			for (uint32_t s = l->head; s != NIL; s = e->ord[s].next) {
				const struct me_order *m = &e->ord[s];
				if (m->account == o->account) {
					if (o->stp == ME_STP_CANCEL_RESTING)
						continue;
					return got >= need;
				}
				got += m->leaves;
				if (got >= need)
					return true;
			}
		}
		if (got >= need)
			return true;
	}
	return got >= need;
}

/* Match incoming o (not resting) against the other side down/up to lim.
 * Returns true when self-trade prevention ended the incoming order. */
static bool match(struct me_engine *e, struct me_instr *in, struct me_order *o, uint32_t oslot, int64_t lim,
	uint64_t now, bool *traded)
{
	unsigned opp = o->side == ME_BUY ? 1 : 0;
	bool stp_on = o->stp != ME_STP_NONE;
	while (o->leaves) {
		uint32_t b = in->best[opp];
		if (b == NIL || !within(opp, b, lim))
			break;
		struct me_level *l = &in->lv[b];
		uint32_t ms = l->head;
		struct me_order *m = &e->ord[ms];
		if (stp_on && m->account == o->account) {
			if (o->stp == ME_STP_CANCEL_INCOMING)
				return true;
			cancel_order(e, in, m, ms, ME_CXL_STP, NULL, now);
			if (o->stp == ME_STP_CANCEL_BOTH)
				return true;
			continue;
		}
		uint32_t q = o->leaves < m->leaves ? o->leaves : m->leaves;
		o->leaves -= q;
		o->cum += q;
		m->leaves -= q;
		m->cum += q;
		l->qty -= q;
		in->last_px = m->price;
		in->last_qty = q;
		*traded = true;

		struct me_event ev;
		memset(&ev, 0, sizeof ev);
		ev.u.trade.trade_id = ++e->trade_seq;
		ev.u.trade.price = m->price;
		ev.u.trade.qty = q;
		ev.u.trade.aggressor_side = o->side;
		fill_info(e, m, ms, &ev.u.trade.maker);
		fill_info(e, o, oslot, &ev.u.trade.taker);
		e->st.trades++;
		emit(e, &ev, ME_EV_TRADE, 0, o->instr, now);
		if (m->leaves == 0) {
			level_remove(e, in, m);
			free_order(e, ms);
		}
	}
	return false;
}

/* ---- validation ------------------------------------------------------- */

static unsigned check_price(const struct me_instr *in, int64_t px, uint32_t *idx)
{
	if (px < in->px_min)
		return ME_REJ_PRICE_OUT_OF_RANGE;
	/* px_min is a multiple of the tick, so one division checks both */
	int64_t off = px - in->px_min, q = off / in->tick;
	if (q * in->tick != off)
		return ME_REJ_TICK_SIZE;
	if (q >= (int64_t)in->n_levels)
		return ME_REJ_PRICE_OUT_OF_RANGE;
	if (in->band_ticks && in->ref_px != ORION_PX_NONE) {
		__int128 d = (__int128)px - in->ref_px, w = (__int128)in->band_ticks * in->tick;
		if (d > w || d < -w)
			return ME_REJ_PRICE_BAND;
	}
	*idx = (uint32_t)q;
	return ME_REJ_NONE;
}

/* Deepest grid index a market order may reach: the band edge when a band is
 * set, else the end of the grid. May lie outside the grid (nothing eligible). */
static int64_t market_limit(const struct me_instr *in, unsigned si)
{
	if (in->band_ticks && in->ref_px != ORION_PX_NONE) {
		__int128 w = (__int128)in->band_ticks * in->tick;
		__int128 off = (si == 0 ? in->ref_px + w : in->ref_px - w) - in->px_min;
		/* floor division for the lower edge; clamp to just outside the grid */
		__int128 q = off >= 0 ? off / in->tick : -((-off + in->tick - 1) / in->tick);
		if (q < -1)
			return -1;
		if (q > (__int128)in->n_levels)
			return in->n_levels;
		return (int64_t)q;
	}
	return si == 0 ? (int64_t)in->n_levels - 1 : 0;
}

static inline bool crosses(const struct me_instr *in, unsigned si, int64_t lim)
{
	unsigned opp = 1 - si;
	uint32_t b = in->best[opp];
	return b != NIL && within(opp, b, lim);
}

/* ---- order entry ------------------------------------------------------ */

void me_emit_reject(struct me_engine *e, const struct me_new_order *r, unsigned reason, uint64_t now)
{
	struct me_event ev;
	memset(&ev, 0, sizeof ev);
	struct me_order_info *oi = &ev.u.order;
	oi->price = r->type == ME_MARKET ? 0 : r->price;
	oi->qty = r->qty;
	oi->instrument_id = r->instrument_id;
	oi->session_id = r->session_id;
	oi->account_id = r->account_id;
	oi->tenant_id = r->tenant_id;
	oi->side = r->side;
	oi->type = r->type;
	oi->tif = r->tif;
	oi->flags = r->flags;
	oi->stp = r->stp;
	memcpy(oi->cl_ord_id, r->cl_ord_id, ME_CLORDID_LEN);
	emit(e, &ev, ME_EV_REJECTED, (uint16_t)reason, r->instrument_id, now);
}

void me_emit_cancel_reject(struct me_engine *e, uint64_t order_id, uint32_t session_id,
	const uint8_t *cl_ord_id, bool is_replace, unsigned reason, uint64_t now)
{
	struct me_event ev;
	memset(&ev, 0, sizeof ev);
	ev.u.cxl_rej.order_id = order_id;
	ev.u.cxl_rej.session_id = session_id;
	ev.u.cxl_rej.is_replace = is_replace;
	if (cl_ord_id)
		memcpy(ev.u.cxl_rej.cl_ord_id, cl_ord_id, ME_CLORDID_LEN);
	uint32_t slot, instr = UINT32_MAX;
	const struct me_order *o = lookup(e, order_id, &slot);
	if (o)
		instr = o->instr;
	emit(e, &ev, ME_EV_CANCEL_REJECTED, (uint16_t)reason, instr, now);
}

static unsigned state_reject(uint8_t state)
{
	return state == ME_ST_HALTED ? ME_REJ_INSTRUMENT_HALTED : ME_REJ_INSTRUMENT_CLOSED;
}

int me_new_order(struct me_engine *e, const struct me_new_order *r, uint64_t now)
{
	if (!e || !r)
		return -EINVAL;
	unsigned rej = ME_REJ_NONE;
	struct me_instr *in = NULL;
	uint32_t idx = 0;
	int64_t lim = 0;
	uint8_t stp = r->stp == ME_STP_DEFAULT ? e->stp_default : r->stp;
	bool post = (r->flags & ME_OF_POST_ONLY) != 0;

	if (r->instrument_id >= e->n_instr) {
		rej = ME_REJ_UNKNOWN_INSTRUMENT;
		goto reject;
	}
	in = &e->in[r->instrument_id];
	if (r->side != ME_BUY && r->side != ME_SELL)
		rej = ME_REJ_INVALID_SIDE;
	else if (r->type != ME_LIMIT && r->type != ME_MARKET)
		rej = ME_REJ_INVALID_TYPE;
	else if (r->tif != ME_DAY && r->tif != ME_GTC && r->tif != ME_IOC && r->tif != ME_FOK)
		rej = ME_REJ_INVALID_TIF;
	else if ((r->flags & ~ME_OF__ALL) ||
		(post && (r->type == ME_MARKET || r->tif == ME_IOC || r->tif == ME_FOK)))
		rej = ME_REJ_INVALID_FLAGS;
	else if (stp > ME_STP_CANCEL_BOTH)
		rej = ME_REJ_INVALID_STP;
	else if (r->qty == 0)
		rej = ME_REJ_INVALID_QTY;
	else if (r->qty % in->lot)
		rej = ME_REJ_LOT_SIZE;
	else if (in->state != ME_ST_OPEN)
		rej = state_reject(in->state);
	if (rej)
		goto reject;

	unsigned si = r->side - 1u;
	if (r->type == ME_LIMIT) {
		rej = check_price(in, r->price, &idx);
		if (rej)
			goto reject;
		lim = idx;
		if (post && crosses(in, si, lim)) {
			rej = ME_REJ_POST_ONLY_WOULD_CROSS;
			goto reject;
		}
	} else {
		lim = market_limit(in, si);
		if (in->best[1 - si] == NIL) {
			rej = ME_REJ_NO_LIQUIDITY;
			goto reject;
		}
	}
	if (e->free_head == NIL) {
		rej = ME_REJ_POOL_EXHAUSTED;
		goto reject;
	}

	uint32_t slot = e->free_head;
	struct me_order *o = &e->ord[slot];
	e->free_head = o->next;
	e->st.orders_live++;
	/* 32-bit serial, never 0, so an id is never 0 and a reused slot gets a new id */
	e->serial = (e->serial + 1) & 0xffffffffu;
	if (e->serial == 0)
		e->serial = 1;
	o->id = (e->serial << 32) | slot;
	o->price = r->type == ME_LIMIT ? r->price : 0;
	o->lvl = idx;
	o->instr = r->instrument_id;
	o->qty = r->qty;
	o->leaves = r->qty;
	o->cum = 0;
	o->session = r->session_id;
	o->account = r->account_id;
	o->tenant = r->tenant_id;
	o->side = r->side;
	o->type = r->type;
	o->tif = r->tif;
	o->flags = r->flags;
	o->stp = stp;
	o->resting = 0;
	memcpy(e->clid[slot], r->cl_ord_id, ME_CLORDID_LEN);

	struct me_event ev;
	memset(&ev, 0, sizeof ev);
	fill_info(e, o, slot, &ev.u.order);
	e->st.accepted++;
	emit(e, &ev, ME_EV_ACCEPTED, 0, o->instr, now);

	if (r->tif == ME_FOK && !fok_fillable(e, in, o, lim)) {
		cancel_order(e, in, o, slot, ME_CXL_FOK, NULL, now);
		return 0;
	}
	struct l1 s;
	l1_snap(in, &s);
	bool traded = false, stp_end = false;
	if (crosses(in, si, lim))
		stp_end = match(e, in, o, slot, lim, now, &traded);
	if (o->leaves == 0)
		free_order(e, slot);
	else if (stp_end)
		cancel_order(e, in, o, slot, ME_CXL_STP, NULL, now);
	else if (r->type == ME_MARKET || r->tif == ME_IOC || r->tif == ME_FOK)
		cancel_order(e, in, o, slot, ME_CXL_IOC, NULL, now);
	else
		level_push(e, in, o, slot);
	tick_if_changed(e, in, &s, traded, now);
	return 0;

reject:
	e->st.rejects[rej]++;
	me_emit_reject(e, r, rej, now);
	return (int)rej;
}

int me_cancel(struct me_engine *e, const struct me_cancel_req *r, uint64_t now)
{
	if (!e || !r)
		return -EINVAL;
	uint32_t slot;
	unsigned rej = ME_REJ_NONE;
	struct me_order *o = lookup(e, r->order_id, &slot);
	if (!o || !o->resting)
		rej = ME_REJ_UNKNOWN_ORDER;
	else if (r->session_id != ME_SESSION_ANY && r->session_id != o->session)
		rej = ME_REJ_NOT_OWNER;
	if (rej) {
		e->st.rejects[rej]++;
		me_emit_cancel_reject(e, r->order_id, r->session_id, r->cl_ord_id, false, rej, now);
		return (int)rej;
	}
	struct me_instr *in = &e->in[o->instr];
	struct l1 s;
	l1_snap(in, &s);
	cancel_order(e, in, o, slot, ME_CXL_USER, r->cl_ord_id, now);
	tick_if_changed(e, in, &s, false, now);
	return 0;
}

int me_replace(struct me_engine *e, const struct me_replace_req *r, uint64_t now)
{
	if (!e || !r)
		return -EINVAL;
	uint32_t slot, idx = 0;
	unsigned rej = ME_REJ_NONE;
	struct me_instr *in = NULL;
	struct me_order *o = lookup(e, r->order_id, &slot);
	if (!o || !o->resting) {
		rej = ME_REJ_UNKNOWN_ORDER;
		goto reject;
	}
	in = &e->in[o->instr];
	if (r->session_id != ME_SESSION_ANY && r->session_id != o->session)
		rej = ME_REJ_NOT_OWNER;
	else if (in->state != ME_ST_OPEN)
		rej = state_reject(in->state);
	else if (r->qty == 0)
		rej = ME_REJ_INVALID_QTY;
	else if (r->qty % in->lot)
		rej = ME_REJ_LOT_SIZE;
	else if (r->qty <= o->cum)
		rej = ME_REJ_REPLACE_QTY_TOO_LOW;
	else
		rej = check_price(in, r->price, &idx);
	if (rej)
		goto reject;

	unsigned si = o->side - 1u;
	uint32_t new_leaves = r->qty - o->cum;
	bool keep = idx == o->lvl && new_leaves <= o->leaves;
	if (!keep && (o->flags & ME_OF_POST_ONLY) && crosses(in, si, idx)) {
		rej = ME_REJ_POST_ONLY_WOULD_CROSS;
		goto reject;
	}

	struct l1 s;
	l1_snap(in, &s);
	struct me_event ev;
	memset(&ev, 0, sizeof ev);
	ev.u.replaced.old_price = o->price;
	ev.u.replaced.old_qty = o->qty;
	ev.u.replaced.priority_kept = keep;
	memcpy(ev.u.replaced.orig_cl_ord_id, e->clid[slot], ME_CLORDID_LEN);
	memcpy(e->clid[slot], r->cl_ord_id, ME_CLORDID_LEN);
	if (keep) {
		in->lv[idx].qty -= o->leaves - new_leaves;
		o->leaves = new_leaves;
		o->qty = r->qty;
	} else {
		level_remove(e, in, o);
		o->price = r->price;
		o->lvl = idx;
		o->qty = r->qty;
		o->leaves = new_leaves;
	}
	fill_info(e, o, slot, &ev.u.replaced.order);
	e->st.replaced++;
	emit(e, &ev, ME_EV_REPLACED, 0, o->instr, now);

	bool traded = false;
	if (!keep) {
		bool stp_end = false;
		if (crosses(in, si, idx))
			stp_end = match(e, in, o, slot, idx, now, &traded);
		if (o->leaves == 0)
			free_order(e, slot);
		else if (stp_end)
			cancel_order(e, in, o, slot, ME_CXL_STP, NULL, now);
		else
			level_push(e, in, o, slot);
	}
	tick_if_changed(e, in, &s, traded, now);
	return 0;

reject:
	e->st.rejects[rej]++;
	me_emit_cancel_reject(e, r->order_id, r->session_id, r->cl_ord_id, true, rej, now);
	return (int)rej;
}

/* ---- mass cancel / administration ------------------------------------ */

static inline bool mc_match(const struct me_mass_cancel *mc, uint32_t match, const struct me_order *o)
{
	if ((match & ME_MC_SESSION) && o->session != mc->session_id)
		return false;
	if ((match & ME_MC_ACCOUNT) && o->account != mc->account_id)
		return false;
	if ((match & ME_MC_TENANT) && o->tenant != mc->tenant_id)
		return false;
	if ((match & MC_DAY_ONLY) && o->tif != ME_DAY)
		return false;
	return true;
}

static uint32_t mc_instr(struct me_engine *e, struct me_instr *in, const struct me_mass_cancel *mc,
	uint32_t match, unsigned reason, uint64_t now)
{
	struct l1 s;
	l1_snap(in, &s);
	uint32_t n = 0;
	for (unsigned si = 0; si < 2; si++) {
		if ((match & ME_MC_SIDE) && mc->side != si + 1)
			continue;
		for (uint32_t b = me_bm_next(&in->bm[si], 0); b != NIL; b = me_bm_next(&in->bm[si], b + 1)) {
			uint32_t sl = in->lv[b].head;
			while (sl != NIL) {
				struct me_order *o = &e->ord[sl];
				uint32_t nx = o->next;
				if (mc_match(mc, match, o)) {
					cancel_order(e, in, o, sl, reason, NULL, now);
					n++;
				}
				sl = nx;
			}
		}
	}
	if (n)
		tick_if_changed(e, in, &s, false, now);
	return n;
}

int me_mass_cancel(struct me_engine *e, const struct me_mass_cancel *mc, uint64_t now, uint32_t *n_canceled)
{
	if (!e || !mc || (mc->match & ~MC_PUBLIC) || mc->reason >= ME_CXL__COUNT)
		return -EINVAL;
	if ((mc->match & ME_MC_INSTRUMENT) && mc->instrument_id >= e->n_instr)
		return -EINVAL;
	uint32_t n = 0;
	if (mc->match & ME_MC_INSTRUMENT) {
		n = mc_instr(e, &e->in[mc->instrument_id], mc, mc->match, mc->reason, now);
	} else {
		for (uint32_t i = 0; i < e->n_instr; i++)
			n += mc_instr(e, &e->in[i], mc, mc->match, mc->reason, now);
	}
	if (n_canceled)
		*n_canceled = n;
	return 0;
}

int me_set_state(struct me_engine *e, uint32_t instrument_id, uint8_t state, uint64_t now)
{
	if (!e || instrument_id >= e->n_instr || state > ME_ST_CLOSED)
		return -EINVAL;
	struct me_instr *in = &e->in[instrument_id];
	uint8_t old = in->state;
	in->state = state;
	if (state == ME_ST_CLOSED) {
		struct me_mass_cancel mc = { .reason = ME_CXL_EXPIRED };
		mc_instr(e, in, &mc, MC_DAY_ONLY, ME_CXL_EXPIRED, now);
	}
	if (old != state)
		emit_tick(e, in, false, now);
	return 0;
}

int me_set_band(struct me_engine *e, uint32_t instrument_id, int64_t ref_px, uint32_t band_ticks)
{
	if (!e || instrument_id >= e->n_instr || (ref_px != ORION_PX_NONE && ref_px <= 0))
		return -EINVAL;
	e->in[instrument_id].ref_px = ref_px;
	e->in[instrument_id].band_ticks = band_ticks;
	return 0;
}

/* ---- queries ---------------------------------------------------------- */

int me_get_order(const struct me_engine *e, uint64_t order_id, struct me_order_info *out)
{
	if (!e || !out)
		return -EINVAL;
	uint32_t slot;
	const struct me_order *o = lookup(e, order_id, &slot);
	if (!o)
		return -ENOENT;
	memset(out, 0, sizeof *out);
	fill_info(e, o, slot, out);
	return 0;
}

int me_top(const struct me_engine *e, uint32_t instrument_id, struct me_top *out)
{
	if (!e || !out || instrument_id >= e->n_instr)
		return -EINVAL;
	const struct me_instr *in = &e->in[instrument_id];
	out->bid_px = in->best[0] != NIL ? lvl_px(in, in->best[0]) : ORION_PX_NONE;
	out->ask_px = in->best[1] != NIL ? lvl_px(in, in->best[1]) : ORION_PX_NONE;
	out->bid_qty = in->best[0] != NIL ? in->lv[in->best[0]].qty : 0;
	out->ask_qty = in->best[1] != NIL ? in->lv[in->best[1]].qty : 0;
	out->last_px = in->last_px;
	out->last_qty = in->last_qty;
	out->state = in->state;
	return 0;
}

const struct me_stats *me_get_stats(const struct me_engine *e) { return &e->st; }
uint32_t me_capacity(const struct me_engine *e) { return e->max_orders; }
uint32_t me_instrument_count(const struct me_engine *e) { return e->n_instr; }

void me_set_sink(struct me_engine *e, const struct me_sink *sink) { e->sink = *sink; }
struct me_sink me_get_sink(const struct me_engine *e) { return e->sink; }

int me_check_book(const struct me_engine *e, uint32_t instrument_id)
{
	if (!e || instrument_id >= e->n_instr)
		return -EINVAL;
	const struct me_instr *in = &e->in[instrument_id];
	uint32_t first[2] = { NIL, NIL }, last[2] = { NIL, NIL };
	for (uint32_t b = 0; b < in->n_levels; b++) {
		const struct me_level *l = &in->lv[b];
		uint64_t sum = 0;
		uint32_t prev = NIL, n = 0;
		int side = -1;
		for (uint32_t s = l->head; s != NIL; s = e->ord[s].next) {
			const struct me_order *o = &e->ord[s];
			if (++n > e->max_orders || o->id == 0 || ME_ORDER_SLOT(o->id) != s || !o->resting ||
				o->prev != prev || o->lvl != b || o->instr != instrument_id || o->leaves == 0 ||
				o->price != lvl_px(in, b) || o->cum + o->leaves > o->qty)
				return -EFAULT;
			if (side >= 0 && side != o->side - 1)
				return -EFAULT;
			side = o->side - 1;
			sum += o->leaves;
			prev = s;
		}
		if (prev != l->tail || sum != l->qty)
			return -EFAULT;
		for (int si = 0; si < 2; si++)
			if (me_bm_test(&in->bm[si], b) != (side == si))
				return -EFAULT;
		if (side >= 0) {
			if (first[side] == NIL)
				first[side] = b;
			last[side] = b;
		}
	}
	if (in->best[0] != last[0] || in->best[1] != first[1])
		return -EFAULT;
	if (in->best[0] != NIL && in->best[1] != NIL && in->best[0] >= in->best[1])
		return -EFAULT;
	return 0;
}

/* ---- lifecycle -------------------------------------------------------- */

struct me_engine *me_create(const struct me_config *cfg)
{
	if (!cfg || !cfg->sink.on_event || cfg->max_orders == 0 || cfg->max_orders > (1u << 31) ||
		cfg->max_instruments == 0 || cfg->max_instruments > 65535 || cfg->stp_default > ME_STP_CANCEL_BOTH) {
		errno = EINVAL;
		return NULL;
	}
	struct me_engine *e = calloc(1, sizeof *e);
	if (!e)
		goto nomem;
	size_t obytes = (size_t)cfg->max_orders * sizeof(struct me_order);
	e->ord = aligned_alloc(64, obytes);
	e->clid = calloc(cfg->max_orders, ME_CLORDID_LEN);
	e->in = calloc(cfg->max_instruments, sizeof *e->in);
	if (!e->ord || !e->clid || !e->in)
		goto nomem;
	memset(e->ord, 0, obytes);
	for (uint32_t i = 0; i < cfg->max_orders; i++)
		e->ord[i].next = i + 1 < cfg->max_orders ? i + 1 : NIL;
	e->free_head = 0;
	e->max_orders = cfg->max_orders;
	e->max_instr = cfg->max_instruments;
	e->stp_default = cfg->stp_default ? cfg->stp_default : ME_STP_NONE;
	e->sink = cfg->sink;
	return e;
nomem:
	me_destroy(e);
	errno = ENOMEM;
	return NULL;
}

void me_destroy(struct me_engine *e)
{
	if (!e)
		return;
	if (e->in)
		for (uint32_t i = 0; i < e->n_instr; i++)
			free(e->in[i].mem);
	free(e->in);
	free(e->clid);
	free(e->ord);
	free(e);
}

int me_add_instrument(struct me_engine *e, const struct me_instrument_cfg *c, uint32_t *id_out)
{
	if (!e || !c || !id_out || c->tick_size <= 0 || c->lot_size == 0 || c->px_min <= 0 ||
		c->px_max < c->px_min || c->px_min % c->tick_size || c->px_max % c->tick_size ||
		c->state > ME_ST_CLOSED || (c->ref_px != ORION_PX_NONE && c->ref_px <= 0))
		return -EINVAL;
	int64_t n = (c->px_max - c->px_min) / c->tick_size + 1;
	if (n > (int64_t)ME_MAX_LEVELS)
		return -EINVAL;
	if (e->n_instr >= e->max_instr)
		return -ENOSPC;
	struct me_instr *in = &e->in[e->n_instr];
	uint32_t nl = (uint32_t)n, nw = (nl + 63) / 64, ns = (nw + 63) / 64;
	size_t bytes = (size_t)nl * sizeof(struct me_level) + 2 * (size_t)(nw + ns) * sizeof(uint64_t);
	char *mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	if (!mem)
		return -ENOMEM;
	memset(mem, 0, bytes);
	memset(in, 0, sizeof *in);
	in->mem = mem;
	in->lv = (struct me_level *)(void *)mem;
	for (uint32_t i = 0; i < nl; i++)
		in->lv[i].head = in->lv[i].tail = NIL;
	uint64_t *w = (uint64_t *)(void *)(mem + (size_t)nl * sizeof(struct me_level));
	for (int si = 0; si < 2; si++) {
		in->bm[si].w = w;
		w += nw;
		in->bm[si].s = w;
		w += ns;
		in->bm[si].nbits = nl;
		in->bm[si].nw = nw;
		in->bm[si].ns = ns;
	}
	in->best[0] = in->best[1] = NIL;
	in->px_min = c->px_min;
	in->tick = c->tick_size;
	in->n_levels = nl;
	in->lot = c->lot_size;
	in->ref_px = c->ref_px;
	in->band_ticks = c->band_ticks;
	in->state = c->state;
	in->last_px = ORION_PX_NONE;
	memcpy(in->symbol, c->symbol, ORION_SYMBOL_LEN);
	*id_out = e->n_instr++;
	return 0;
}
