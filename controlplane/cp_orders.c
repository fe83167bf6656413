/* Order and trade view from engine events. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/cp_map.h"
#include "controlplane/cp_orders.h"
#include "dataplane/og/og.h"

struct cp_orders {
	uint32_t max_orders, max_trades;
	uint64_t o_head, t_head;     /* records written (next slot = head % max) */
	struct cp_order *o;
	struct cp_trade *t;
	struct cp_u64map by_corr, by_oid;
	struct cp_orders_stats st;
};

static const char *const status_names[CP_OS__COUNT] = { "PENDING_NEW", "NEW",      "PARTIALLY_FILLED",
							 "FILLED",      "CANCELED", "REJECTED" };

const char *cp_ord_status_name(unsigned s)
{
	return s < CP_OS__COUNT ? status_names[s] : "UNKNOWN";
}

struct cp_orders *cp_orders_create(uint32_t max_orders, uint32_t max_trades)
{
	if (!max_orders || !max_trades) {
		errno = EINVAL;
		return NULL;
	}
	struct cp_orders *s = calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->max_orders = max_orders;
	s->max_trades = max_trades;
	s->o = calloc(max_orders, sizeof(*s->o));
	s->t = calloc(max_trades, sizeof(*s->t));
	if (!s->o || !s->t || cp_map_init(&s->by_corr, max_orders) || cp_map_init(&s->by_oid, max_orders))
		goto oom;
	return s;
oom:
	cp_orders_destroy(s);
	errno = ENOMEM;
	return NULL;
}

void cp_orders_destroy(struct cp_orders *s)
{
	if (!s)
		return;
	free(s->o);
	free(s->t);
	cp_map_free(&s->by_corr);
	cp_map_free(&s->by_oid);
	free(s);
}

int cp_order_is_live(const struct cp_order *o)
{
	return o->status == CP_OS_PENDING_NEW || o->status == CP_OS_NEW || o->status == CP_OS_PARTIALLY_FILLED;
}

static void forget(struct cp_orders *s, struct cp_order *o)
{
	uint32_t idx = (uint32_t)(o - s->o);
	uint32_t *v;
	if (o->corr && (v = cp_map_get(&s->by_corr, o->corr)) && *v == idx)
		cp_map_del(&s->by_corr, o->corr);
	if (o->order_id && (v = cp_map_get(&s->by_oid, o->order_id)) && *v == idx)
		cp_map_del(&s->by_oid, o->order_id);
	o->used = 0;
}

/* A free slot: the oldest, skipping (a bounded number of) live orders. */
static struct cp_order *take_slot(struct cp_orders *s)
{
	for (unsigned n = 0; n < 64 && n < s->max_orders; n++) {
		struct cp_order *o = &s->o[(s->o_head + n) % s->max_orders];
		if (o->used && cp_order_is_live(o))
			continue;
		if (o->used) {
			forget(s, o);
			s->st.evicted_orders++;
		}
		if (n) { /* keep the live ones where they are: swap the slot we take to the head position */
			struct cp_order *h = &s->o[s->o_head % s->max_orders];
			struct cp_order tmp = *h;
			uint32_t hi = (uint32_t)(h - s->o), oi = (uint32_t)(o - s->o);
			*h = *o;
			*o = tmp;
			if (o->corr)
				cp_map_put(&s->by_corr, o->corr, oi);
			if (o->order_id)
				cp_map_put(&s->by_oid, o->order_id, oi);
			o = &s->o[hi];
		}
		s->o_head++;
		memset(o, 0, sizeof(*o));
		o->used = 1;
		return o;
	}
	return NULL;
}

struct cp_order *cp_orders_by_corr(struct cp_orders *s, uint64_t corr)
{
	uint32_t *v = cp_map_get(&s->by_corr, corr);
	return v ? &s->o[*v] : NULL;
}

struct cp_order *cp_orders_by_oid(struct cp_orders *s, uint64_t order_id)
{
	uint32_t *v = cp_map_get(&s->by_oid, order_id);
	return v ? &s->o[*v] : NULL;
}

struct cp_order *cp_orders_add(struct cp_orders *s, uint64_t corr, uint32_t user, uint32_t session, uint32_t tenant,
			       uint32_t account, const struct cp_order_req *req, uint32_t instrument, uint64_t now_ns)
{
	if (!corr || cp_orders_by_corr(s, corr)) {
		errno = EEXIST;
		return NULL;
	}
	struct cp_order *o = take_slot(s);
	if (!o) {
		errno = EBUSY;
		return NULL;
	}
	o->corr = corr;
	o->user = user;
	o->session = session;
	o->tenant = tenant;
	o->account = account;
	o->instrument = instrument;
	o->side = req->side;
	o->type = req->type;
	o->tif = req->tif;
	o->post_only = req->post_only;
	o->qty = req->qty;
	o->leaves = req->qty;
	o->price = req->type == ME_LIMIT ? req->price : 0;
	o->status = CP_OS_PENDING_NEW;
	o->created_ns = o->updated_ns = now_ns;
	memcpy(o->symbol, req->symbol, sizeof(o->symbol));
	memcpy(o->client_id, req->client_id, sizeof(o->client_id));
	cp_map_put(&s->by_corr, corr, (uint32_t)(o - s->o));
	s->st.api_orders++;
	return o;
}

void cp_orders_drop(struct cp_orders *s, struct cp_order *o)
{
	forget(s, o);
}

uint64_t cp_corr_of_clordid(const uint8_t cl[ME_CLORDID_LEN])
{
	if (cl[0] != 'A')
		return 0;
	uint64_t v = 0;
	unsigned i = 1, n = 0;
	for (; i < ME_CLORDID_LEN && cl[i]; i++, n++) {
		if (cl[i] < '0' || cl[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(cl[i] - '0');
	}
	return n ? v : 0;
}

static int is_api(uint32_t session)
{
	return session >= OG_API_SESSION_BASE && session < OG_API_SESSION_BASE + OG_API_MAX_USERS;
}

struct cp_order *cp_orders_find(struct cp_orders *s, const char *id)
{
	if ((id[0] != 'A' && id[0] != 'E') || !id[1])
		return NULL;
	uint64_t v = 0;
	for (const char *p = id + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return id[0] == 'A' ? cp_orders_by_corr(s, v) : cp_orders_by_oid(s, v);
}

static void set_from_info(struct cp_order *o, const struct me_order_info *i)
{
	o->qty = i->qty;
	o->leaves = i->leaves;
	o->cum = i->cum;
	if (i->type == ME_LIMIT)
		o->price = i->price;
}

/* The order an event's order info is about; creates FIX (or unknown API)
 * orders on ACCEPTED. */
static struct cp_order *lookup(struct cp_orders *s, const struct me_order_info *i, int create,
			       const struct cp_orders_cb *cb, uint64_t now_ns)
{
	struct cp_order *o = i->order_id ? cp_orders_by_oid(s, i->order_id) : NULL;
	uint64_t corr = is_api(i->session_id) ? cp_corr_of_clordid(i->cl_ord_id) : 0;
	if (!o && corr)
		o = cp_orders_by_corr(s, corr);
	if (o || !create)
		return o;
	if (!(o = take_slot(s)))
		return NULL;
	o->corr = corr;
	o->order_id = i->order_id;
	o->user = is_api(i->session_id) ? i->session_id - OG_API_SESSION_BASE : CP_USER_NONE;
	o->session = i->session_id;
	o->tenant = i->tenant_id;
	o->account = i->account_id;
	o->instrument = i->instrument_id;
	o->side = i->side;
	o->type = i->type;
	o->tif = i->tif;
	o->post_only = (i->flags & ME_OF_POST_ONLY) != 0;
	o->status = CP_OS_PENDING_NEW;
	o->created_ns = now_ns;
	const char *sym = cb && cb->symbol ? cb->symbol(cb->ctx, i->instrument_id) : NULL;
	snprintf(o->symbol, sizeof(o->symbol), "%s", sym ? sym : "?");
	if (!corr) {
		/* a FIX order: keep its ClOrdID as the client id when printable */
		size_t n = 0;
		while (n < ME_CLORDID_LEN && i->cl_ord_id[n] >= 0x21 && i->cl_ord_id[n] <= 0x7e &&
		       i->cl_ord_id[n] != '"' && i->cl_ord_id[n] != '\\')
			n++;
		memcpy(o->client_id, i->cl_ord_id, n < CP_CLIENT_ID_LEN - 1 ? n : CP_CLIENT_ID_LEN - 1);
		s->st.fix_orders++;
	}
	if (corr)
		cp_map_put(&s->by_corr, corr, (uint32_t)(o - s->o));
	cp_map_put(&s->by_oid, o->order_id, (uint32_t)(o - s->o));
	return o;
}

static void changed(struct cp_order *o, const struct me_event *ev, uint64_t now_ns, const struct cp_orders_cb *cb)
{
	o->updated_ns = now_ns;
	o->last_event_seq = ev->seq;
	o->rev++;
	if (cb && cb->order)
		cb->order(cb->ctx, o);
}

static void notice(const struct cp_orders_cb *cb, uint32_t session, uint32_t tenant, const char *code,
		   const char *text)
{
	if (cb && cb->notice)
		cb->notice(cb->ctx, is_api(session) ? session - OG_API_SESSION_BASE : CP_USER_NONE, tenant, code, text);
}

static void add_trade(struct cp_orders *s, const struct me_event *ev, const struct me_order_info *i, int maker,
		      const struct cp_order *o, uint64_t now_ns, const struct cp_orders_cb *cb)
{
	struct cp_trade *t = &s->t[s->t_head % s->max_trades];
	if (t->used)
		s->st.evicted_trades++;
	s->t_head++;
	memset(t, 0, sizeof(*t));
	t->used = 1;
	t->trade_id = ev->u.trade.trade_id;
	t->ts_ns = now_ns;
	t->order_id = i->order_id;
	t->order_corr = o ? o->corr : (is_api(i->session_id) ? cp_corr_of_clordid(i->cl_ord_id) : 0);
	t->price = ev->u.trade.price;
	t->qty = ev->u.trade.qty;
	t->instrument = ev->instrument_id;
	t->session = i->session_id;
	t->tenant = i->tenant_id;
	t->account = i->account_id;
	t->user = is_api(i->session_id) ? i->session_id - OG_API_SESSION_BASE : CP_USER_NONE;
	t->side = i->side;
	t->maker = (uint8_t)maker;
	if (o)
		memcpy(t->symbol, o->symbol, sizeof(t->symbol));
	else {
		const char *sym = cb && cb->symbol ? cb->symbol(cb->ctx, ev->instrument_id) : NULL;
		snprintf(t->symbol, sizeof(t->symbol), "%s", sym ? sym : "?");
	}
	s->st.trades++;
	if (cb && cb->trade)
		cb->trade(cb->ctx, t);
}

static void trade_side(struct cp_orders *s, const struct me_event *ev, const struct me_order_info *i, int maker,
		       uint64_t now_ns, const struct cp_orders_cb *cb)
{
	struct cp_order *o = lookup(s, i, 0, cb, now_ns);
	if (o) {
		set_from_info(o, i);
		o->status = i->leaves ? CP_OS_PARTIALLY_FILLED : CP_OS_FILLED;
		if (!i->leaves)
			o->pending = CP_PEND_NONE;
		o->notional_filled += (double)ev->u.trade.price / (double)ORION_PX_SCALE * ev->u.trade.qty;
	} else {
		s->st.unmatched++;
	}
	add_trade(s, ev, i, maker, o, now_ns, cb);
	if (o)
		changed(o, ev, now_ns, cb);
}

void cp_orders_apply(struct cp_orders *s, const struct me_event *ev, uint64_t now_ns, const struct cp_orders_cb *cb)
{
	struct cp_order *o;
	s->st.events++;
	switch (ev->type) {
	case ME_EV_ACCEPTED: {
		const struct me_order_info *i = &ev->u.order;
		if (!(o = lookup(s, i, 1, cb, now_ns))) {
			s->st.unmatched++;
			return;
		}
		if (!o->order_id) {
			o->order_id = i->order_id;
			cp_map_put(&s->by_oid, o->order_id, (uint32_t)(o - s->o));
		}
		set_from_info(o, i);
		if (o->status == CP_OS_PENDING_NEW)
			o->status = CP_OS_NEW;
		changed(o, ev, now_ns, cb);
		return;
	}
	case ME_EV_REJECTED: {
		const struct me_order_info *i = &ev->u.order;
		o = lookup(s, i, 0, cb, now_ns);
		if (!o) {
			if (is_api(i->session_id))
				s->st.unmatched++;
			notice(cb, i->session_id, i->tenant_id, "ORDER_REJECTED", me_reject_text(ev->reason));
			return;
		}
		o->status = CP_OS_REJECTED;
		o->leaves = 0;
		o->reason = ev->reason;
		changed(o, ev, now_ns, cb);
		notice(cb, i->session_id, i->tenant_id, "ORDER_REJECTED", me_reject_text(ev->reason));
		return;
	}
	case ME_EV_TRADE:
		trade_side(s, ev, &ev->u.trade.maker, 1, now_ns, cb);
		trade_side(s, ev, &ev->u.trade.taker, 0, now_ns, cb);
		return;
	case ME_EV_CANCELED: {
		const struct me_order_info *i = &ev->u.canceled.order;
		if (!(o = lookup(s, i, 0, cb, now_ns))) {
			s->st.unmatched++;
			return;
		}
		set_from_info(o, i);
		o->leaves = 0;
		o->status = CP_OS_CANCELED;
		o->pending = CP_PEND_NONE;
		o->reason = ev->reason;
		o->cxl_reason_set = 1;
		changed(o, ev, now_ns, cb);
		return;
	}
	case ME_EV_REPLACED: {
		const struct me_order_info *i = &ev->u.replaced.order;
		if (!(o = lookup(s, i, 0, cb, now_ns))) {
			s->st.unmatched++;
			return;
		}
		set_from_info(o, i);
		o->status = o->cum ? CP_OS_PARTIALLY_FILLED : CP_OS_NEW;
		o->pending = CP_PEND_NONE;
		changed(o, ev, now_ns, cb);
		return;
	}
	case ME_EV_CANCEL_REJECTED: {
		o = cp_orders_by_oid(s, ev->u.cxl_rej.order_id);
		if (o && o->pending) {
			o->pending = CP_PEND_NONE;
			changed(o, ev, now_ns, cb);
		}
		char text[160];
		snprintf(text, sizeof(text), "%s of order %s%llu refused: %s",
			 ev->u.cxl_rej.is_replace ? "amend" : "cancel", o && o->corr ? "A" : "E",
			 (unsigned long long)(o && o->corr ? o->corr : ev->u.cxl_rej.order_id), me_reject_text(ev->reason));
		notice(cb, ev->u.cxl_rej.session_id, o ? o->tenant : 0,
		       ev->u.cxl_rej.is_replace ? "AMEND_REJECTED" : "CANCEL_REJECTED", text);
		return;
	}
	default:
		s->st.unmatched++;
		return;
	}
}

const struct cp_order *cp_orders_nth(const struct cp_orders *s, uint32_t k)
{
	if (k >= s->max_orders || k >= s->o_head)
		return NULL;
	return &s->o[(s->o_head - 1 - k) % s->max_orders];
}

const struct cp_trade *cp_trades_nth(const struct cp_orders *s, uint32_t k)
{
	if (k >= s->max_trades || k >= s->t_head)
		return NULL;
	return &s->t[(s->t_head - 1 - k) % s->max_trades];
}

void cp_order_id_str(const struct cp_order *o, char *dst)
{
	if (o->corr)
		snprintf(dst, 24, "A%llu", (unsigned long long)o->corr);
	else
		snprintf(dst, 24, "E%llu", (unsigned long long)o->order_id);
}

static const char *side_name(unsigned s)
{
	return s == ME_BUY ? "BUY" : s == ME_SELL ? "SELL" : "?";
}

static const char *tif_name(unsigned t)
{
	switch (t) {
	case ME_DAY:
		return "DAY";
	case ME_GTC:
		return "GTC";
	case ME_IOC:
		return "IOC";
	case ME_FOK:
		return "FOK";
	default:
		return "?";
	}
}

void cp_order_json(struct cp_buf *b, const struct cp_order *o, const char *user_name)
{
	char id[24];
	cp_order_id_str(o, id);
	cp_buf_printf(b, "{\"id\":\"%s\",\"clientOrderId\":", id);
	if (o->client_id[0])
		cp_buf_json_str(b, o->client_id, strlen(o->client_id));
	else
		cp_buf_str(b, "null");
	if (o->order_id)
		cp_buf_printf(b, ",\"exchangeOrderId\":\"%llu\"", (unsigned long long)o->order_id);
	else
		cp_buf_str(b, ",\"exchangeOrderId\":null");
	cp_buf_str(b, ",\"user\":");
	if (user_name)
		cp_buf_json_str(b, user_name, strlen(user_name));
	else
		cp_buf_str(b, "null");
	cp_buf_printf(b, ",\"tenant\":%u,\"account\":%u,\"session\":%u,\"instrumentId\":", o->tenant, o->account,
		      o->session);
	cp_buf_json_str(b, o->symbol, strlen(o->symbol));
	cp_buf_printf(b, ",\"side\":\"%s\",\"type\":\"%s\",\"timeInForce\":\"%s\",\"postOnly\":%s,\"price\":",
		      side_name(o->side), o->type == ME_MARKET ? "MARKET" : "LIMIT", tif_name(o->tif),
		      o->post_only ? "true" : "false");
	cp_buf_json_px(b, o->type == ME_LIMIT ? o->price : ORION_PX_NONE);
	cp_buf_printf(b, ",\"quantity\":%u,\"filledQuantity\":%u,\"leavesQuantity\":%u,\"avgPrice\":", o->qty, o->cum,
		      o->leaves);
	if (o->cum)
		cp_buf_json_px(b, (int64_t)llround(o->notional_filled / o->cum * (double)ORION_PX_SCALE));
	else
		cp_buf_str(b, "null");
	cp_buf_printf(b, ",\"status\":\"%s\",\"pendingAction\":%s,\"reason\":", cp_ord_status_name(o->status),
		      o->pending == CP_PEND_CANCEL ? "\"CANCEL\"" :
		      o->pending == CP_PEND_AMEND  ? "\"AMEND\"" :
						     "null");
	if (o->status == CP_OS_REJECTED) {
		const char *t = me_reject_text(o->reason);
		cp_buf_json_str(b, t, strlen(t));
	} else if (o->status == CP_OS_CANCELED && o->cxl_reason_set) {
		const char *t = me_cxl_reason_name(o->reason);
		cp_buf_json_str(b, t, strlen(t));
	} else {
		cp_buf_str(b, "null");
	}
	cp_buf_printf(b, ",\"createdAt\":%llu,\"updatedAt\":%llu,\"rev\":%u}",
		      (unsigned long long)(o->created_ns / 1000000), (unsigned long long)(o->updated_ns / 1000000),
		      o->rev);
}

void cp_trade_json(struct cp_buf *b, const struct cp_trade *t, const char *user_name)
{
	cp_buf_printf(b, "{\"id\":\"%llu\",\"orderId\":", (unsigned long long)t->trade_id);
	if (t->order_corr)
		cp_buf_printf(b, "\"A%llu\"", (unsigned long long)t->order_corr);
	else
		cp_buf_printf(b, "\"E%llu\"", (unsigned long long)t->order_id);
	cp_buf_str(b, ",\"instrumentId\":");
	cp_buf_json_str(b, t->symbol, strlen(t->symbol));
	cp_buf_printf(b, ",\"side\":\"%s\",\"price\":", side_name(t->side));
	cp_buf_json_px(b, t->price);
	cp_buf_printf(b, ",\"quantity\":%u,\"liquidity\":\"%s\",\"tenant\":%u,\"account\":%u,\"user\":", t->qty,
		      t->maker ? "MAKER" : "TAKER", t->tenant, t->account);
	if (user_name)
		cp_buf_json_str(b, user_name, strlen(user_name));
	else
		cp_buf_str(b, "null");
	cp_buf_printf(b, ",\"time\":%llu}", (unsigned long long)(t->ts_ns / 1000000));
}

const struct cp_orders_stats *cp_orders_stats(const struct cp_orders *s)
{
	return &s->st;
}
