/* Journal records and market data → protobuf Envelopes (see exp_map.h and
 * proto/README.md for ids, topics and keys). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "controlplane/cp_jrec.h"
#include "controlplane/exp_map.h"
#include "dataplane/og/og_journal.h"
#include "orion/v1/envelope.pb-c.h"

static const char *const g_stream_names[EXP_S__COUNT] = {
	[EXP_S_TICKS] = "marketdata.ticks", [EXP_S_ORDERS] = "oms.orders",
	[EXP_S_TRADES] = "execution.trades", [EXP_S_RISK] = "risk.alerts",
	[EXP_S_SESSION] = "session.events", [EXP_S_ADMIN] = "admin.changes",
	[EXP_S_AUDIT] = "audit.events",
};

const char *exp_stream_name(enum exp_stream s)
{
	return (unsigned)s < EXP_S__COUNT ? g_stream_names[s] : "?";
}

/* Printable ASCII copy of a fixed-size, zero-padded byte field (protobuf
 * strings must be UTF-8; anything else becomes '?'). */
static char *text_of(char *dst, size_t cap, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t k = 0;
	for (size_t i = 0; i < n && s[i] && k + 1 < cap; i++)
		dst[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	dst[k] = '\0';
	return dst;
}

/* Decimal of v into dst (>= 21 bytes), NUL-terminated; returns the length.
 * (The hot path formats several ids per event; snprintf costs more.) */
static size_t fmt_u64(char *dst, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	dst[n] = '\0';
	return n;
}

/* Builder for the messages of one record. */
struct out {
	uint8_t *buf;
	size_t cap, used;
	struct exp_msg *msgs;
	int n, of;        /* messages written; total the record gives */
	uint64_t jseq;    /* journal sequence (0: market data) */
	int err;
};

/* Envelope common fields, set by the caller; emit() fills event_id, type,
 * version, entity_id (= key) and packs. */
static void emit(struct out *o, Orion__V1__Envelope *env, enum exp_stream stream, const char *type,
		 const char *key, uint64_t time_ns)
{
	char id[64];
	if (o->err)
		return;
	if (o->n >= EXP_MAX_MSGS) {
		o->err = -ENOSPC;
		return;
	}
	struct exp_msg *m = &o->msgs[o->n];
	if (!env->event_id) {
		size_t k = fmt_u64(id, o->jseq);
		if (o->of > 1) {
			id[k++] = '.';
			fmt_u64(id + k, (uint64_t)o->n + 1);
		}
		env->event_id = id;
	}
	env->type = (char *)type;
	env->has_version = 1;
	env->version = 1;
	env->has_time_ns = 1;
	env->time_ns = time_ns;
	size_t kl = strnlen(key, sizeof(m->key) - 1);
	memcpy(m->key, key, kl);
	m->key[kl] = '\0';
	env->entity_id = m->key;
	if (o->jseq) {
		env->has_journal_seq = 1;
		env->journal_seq = o->jseq;
	}
	size_t need = protobuf_c_message_get_packed_size(&env->base);
	if (need > o->cap - o->used) {
		o->err = -ENOSPC;
		return;
	}
	m->val = o->buf + o->used;
	m->len = (uint32_t)protobuf_c_message_pack(&env->base, o->buf + o->used);
	m->key_len = (uint32_t)kl;
	m->stream = stream;
	m->time_ns = time_ns;
	o->used += m->len;
	o->n++;
	env->event_id = NULL;
}

/* ---- orders -------------------------------------------------------------- */

struct order_buf {
	Orion__V1__Order o;
	char cl[ME_CLORDID_LEN + 1];
};

static void order_of(struct order_buf *b, const struct me_order_info *in)
{
	Orion__V1__Order o = ORION__V1__ORDER__INIT;
	o.has_order_id = 1, o.order_id = in->order_id;
	o.cl_ord_id = text_of(b->cl, sizeof(b->cl), in->cl_ord_id, ME_CLORDID_LEN);
	o.has_instrument_id = 1, o.instrument_id = in->instrument_id;
	o.has_session_id = 1, o.session_id = in->session_id;
	o.has_account_id = 1, o.account_id = in->account_id;
	o.has_tenant_id = 1, o.tenant_id = in->tenant_id;
	o.has_side = 1, o.side = (Orion__V1__Side)(in->side <= 2 ? in->side : 0);
	o.has_ord_type = 1, o.ord_type = (Orion__V1__OrdType)(in->type <= 2 ? in->type : 0);
	o.has_tif = 1, o.tif = (Orion__V1__TimeInForce)in->tif;
	o.has_post_only = 1, o.post_only = (in->flags & ME_OF_POST_ONLY) != 0;
	if (in->type != ME_MARKET && in->price != ORION_PX_NONE)
		o.has_price_e8 = 1, o.price_e8 = in->price;
	o.has_qty = 1, o.qty = in->qty;
	o.has_leaves_qty = 1, o.leaves_qty = in->leaves;
	o.has_cum_qty = 1, o.cum_qty = in->cum;
	o.has_stp = 1, o.stp = in->stp;
	b->o = o;
}

/* Key of an order: its id, or "s<session>:<cl_ord_id>" before it has one. */
static void order_key(char *key, size_t cap, uint64_t order_id, uint32_t session, const uint8_t *cl)
{
	char c[ME_CLORDID_LEN + 1];
	if (order_id && cap >= 21)
		fmt_u64(key, order_id);
	else
		snprintf(key, cap, "s%u:%s", session, text_of(c, sizeof(c), cl, ME_CLORDID_LEN));
}

/* Envelope fields shared by the order events of one engine event. */
static void order_env(Orion__V1__Envelope *env, const struct exp_map_state *st, const struct me_order_info *o,
		      const struct me_event *ev, char *tenant, char *cause, char *corr)
{
	fmt_u64(tenant, o->tenant_id);
	env->producer = (char *)st->producer;
	env->tenant = tenant;
	env->correlation_id = text_of(corr, ME_CLORDID_LEN + 1, o->cl_ord_id, ME_CLORDID_LEN);
	if (st->cause_seq) {
		fmt_u64(cause, st->cause_seq);
		env->causation_id = cause;
	}
	env->entity_type = "order";
	env->has_entity_seq = 1;
	env->entity_seq = ev->seq;
}

static int is_risk_reject(unsigned reason)
{
	return reason >= ME_REJ_RISK_UNKNOWN_ID && reason < ME_REJ__COUNT;
}

static int map_event(struct out *o, const struct exp_map_state *st, const struct me_event *ev, enum exp_skip *skip)
{
	Orion__V1__Envelope env = ORION__V1__ENVELOPE__INIT;
	char key[EXP_KEY_MAX], tenant[24], cause[24], corr[ME_CLORDID_LEN + 1], tmp[ME_CLORDID_LEN + 1];
	struct order_buf ob, ob2;

	switch (ev->type) {
	case ME_EV_ACCEPTED: {
		Orion__V1__OrderAccepted p = ORION__V1__ORDER_ACCEPTED__INIT;
		o->of = 1;
		order_of(&ob, &ev->u.order);
		p.order = &ob.o;
		order_env(&env, st, &ev->u.order, ev, tenant, cause, corr);
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_ORDER_ACCEPTED;
		env.order_accepted = &p;
		order_key(key, sizeof(key), ev->u.order.order_id, ev->u.order.session_id, ev->u.order.cl_ord_id);
		emit(o, &env, EXP_S_ORDERS, "OrderAccepted", key, ev->ts_ns);
		break;
	}
	case ME_EV_REJECTED: {
		Orion__V1__OrderRejected p = ORION__V1__ORDER_REJECTED__INIT;
		int risk = is_risk_reject(ev->reason);
		o->of = risk ? 2 : 1;
		order_of(&ob, &ev->u.order);
		p.order = &ob.o;
		p.has_reason_code = 1, p.reason_code = ev->reason;
		p.reason = (char *)me_reject_name(ev->reason);
		p.text = (char *)me_reject_text(ev->reason);
		order_env(&env, st, &ev->u.order, ev, tenant, cause, corr);
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_ORDER_REJECTED;
		env.order_rejected = &p;
		order_key(key, sizeof(key), ev->u.order.order_id, ev->u.order.session_id, ev->u.order.cl_ord_id);
		emit(o, &env, EXP_S_ORDERS, "OrderRejected", key, ev->ts_ns);
		if (risk) {
			Orion__V1__RiskReject r = ORION__V1__RISK_REJECT__INIT;
			r.order = &ob.o;
			r.has_reason_code = 1, r.reason_code = ev->reason;
			r.reason = p.reason;
			r.text = p.text;
			env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_RISK_REJECT;
			env.risk_reject = &r;
			env.entity_type = "session";
			snprintf(key, sizeof(key), "session.%u", ev->u.order.session_id);
			emit(o, &env, EXP_S_RISK, "RiskReject", key, ev->ts_ns);
		}
		break;
	}
	case ME_EV_TRADE: {
		Orion__V1__OrderFilled f = ORION__V1__ORDER_FILLED__INIT;
		Orion__V1__Trade t = ORION__V1__TRADE__INIT;
		const struct me_order_info *side[2] = { &ev->u.trade.maker, &ev->u.trade.taker };
		o->of = 3;
		f.has_trade_id = 1, f.trade_id = ev->u.trade.trade_id;
		f.has_fill_price_e8 = 1, f.fill_price_e8 = ev->u.trade.price;
		f.has_fill_qty = 1, f.fill_qty = ev->u.trade.qty;
		f.has_aggressor = 1;
		for (int k = 0; k < 2; k++) {
			Orion__V1__Envelope e2 = ORION__V1__ENVELOPE__INIT;
			order_of(&ob, side[k]);
			f.order = &ob.o;
			f.aggressor = k == 1;
			order_env(&e2, st, side[k], ev, tenant, cause, corr);
			e2.payload_case = ORION__V1__ENVELOPE__PAYLOAD_ORDER_FILLED;
			e2.order_filled = &f;
			order_key(key, sizeof(key), side[k]->order_id, side[k]->session_id, side[k]->cl_ord_id);
			emit(o, &e2, EXP_S_ORDERS, "OrderFilled", key, ev->ts_ns);
		}
		order_of(&ob, &ev->u.trade.maker);
		order_of(&ob2, &ev->u.trade.taker);
		t.has_trade_id = 1, t.trade_id = ev->u.trade.trade_id;
		t.has_instrument_id = 1, t.instrument_id = ev->instrument_id;
		t.has_price_e8 = 1, t.price_e8 = ev->u.trade.price;
		t.has_qty = 1, t.qty = ev->u.trade.qty;
		t.has_aggressor_side = 1;
		t.aggressor_side = (Orion__V1__Side)(ev->u.trade.aggressor_side <= 2 ? ev->u.trade.aggressor_side : 0);
		t.maker = &ob.o;
		t.taker = &ob2.o;
		order_env(&env, st, &ev->u.trade.taker, ev, tenant, cause, corr);
		env.tenant = NULL; /* the two sides may belong to different tenants */
		env.entity_type = "trade";
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_TRADE;
		env.trade = &t;
		snprintf(key, sizeof(key), "%" PRIu64, ev->u.trade.trade_id);
		emit(o, &env, EXP_S_TRADES, "Trade", key, ev->ts_ns);
		break;
	}
	case ME_EV_CANCELED: {
		Orion__V1__OrderCanceled p = ORION__V1__ORDER_CANCELED__INIT;
		o->of = 1;
		order_of(&ob, &ev->u.canceled.order);
		p.order = &ob.o;
		p.has_canceled_qty = 1, p.canceled_qty = ev->u.canceled.canceled_qty;
		p.reason = (char *)me_cxl_reason_name(ev->reason);
		p.request_cl_ord_id = text_of(tmp, sizeof(tmp), ev->u.canceled.req_cl_ord_id, ME_CLORDID_LEN);
		order_env(&env, st, &ev->u.canceled.order, ev, tenant, cause, corr);
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_ORDER_CANCELED;
		env.order_canceled = &p;
		order_key(key, sizeof(key), ev->u.canceled.order.order_id, ev->u.canceled.order.session_id,
			  ev->u.canceled.order.cl_ord_id);
		emit(o, &env, EXP_S_ORDERS, "OrderCanceled", key, ev->ts_ns);
		break;
	}
	case ME_EV_REPLACED: {
		Orion__V1__OrderReplaced p = ORION__V1__ORDER_REPLACED__INIT;
		o->of = 1;
		order_of(&ob, &ev->u.replaced.order);
		p.order = &ob.o;
		if (ev->u.replaced.old_price != ORION_PX_NONE)
			p.has_old_price_e8 = 1, p.old_price_e8 = ev->u.replaced.old_price;
		p.has_old_qty = 1, p.old_qty = ev->u.replaced.old_qty;
		p.has_priority_kept = 1, p.priority_kept = ev->u.replaced.priority_kept != 0;
		p.orig_cl_ord_id = text_of(tmp, sizeof(tmp), ev->u.replaced.orig_cl_ord_id, ME_CLORDID_LEN);
		order_env(&env, st, &ev->u.replaced.order, ev, tenant, cause, corr);
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_ORDER_REPLACED;
		env.order_replaced = &p;
		order_key(key, sizeof(key), ev->u.replaced.order.order_id, ev->u.replaced.order.session_id,
			  ev->u.replaced.order.cl_ord_id);
		emit(o, &env, EXP_S_ORDERS, "OrderReplaced", key, ev->ts_ns);
		break;
	}
	case ME_EV_CANCEL_REJECTED: {
		Orion__V1__CancelRejected p = ORION__V1__CANCEL_REJECTED__INIT;
		o->of = 1;
		p.has_order_id = 1, p.order_id = ev->u.cxl_rej.order_id;
		p.has_session_id = 1, p.session_id = ev->u.cxl_rej.session_id;
		p.has_is_replace = 1, p.is_replace = ev->u.cxl_rej.is_replace != 0;
		p.cl_ord_id = text_of(tmp, sizeof(tmp), ev->u.cxl_rej.cl_ord_id, ME_CLORDID_LEN);
		p.has_reason_code = 1, p.reason_code = ev->reason;
		p.reason = (char *)me_reject_name(ev->reason);
		env.producer = (char *)st->producer;
		env.correlation_id = p.cl_ord_id;
		if (st->cause_seq) {
			snprintf(cause, sizeof(cause), "%" PRIu64, st->cause_seq);
			env.causation_id = cause;
		}
		env.entity_type = "order";
		env.has_entity_seq = 1, env.entity_seq = ev->seq;
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_CANCEL_REJECTED;
		env.cancel_rejected = &p;
		order_key(key, sizeof(key), ev->u.cxl_rej.order_id, ev->u.cxl_rej.session_id, ev->u.cxl_rej.cl_ord_id);
		emit(o, &env, EXP_S_ORDERS, "CancelRejected", key, ev->ts_ns);
		break;
	}
	default:
		*skip = EXP_SKIP_UNKNOWN_EVENT;
		return 0;
	}
	return o->err ? o->err : o->n;
}

/* ---- session, risk, config ------------------------------------------------ */

static int map_session(struct out *o, const struct exp_map_state *st, const struct jr_rec *rec, enum exp_skip *skip)
{
	const struct og_jr_session *s = rec->payload;
	Orion__V1__Envelope env = ORION__V1__ENVELOPE__INIT;
	char key[EXP_KEY_MAX], comp[65];
	text_of(comp, sizeof(comp), s->target_comp_id, sizeof(s->target_comp_id));
	snprintf(key, sizeof(key), "session.%u", s->sess);
	env.producer = (char *)st->producer;
	env.correlation_id = key;
	env.entity_type = "session";
	env.has_entity_seq = 1, env.entity_seq = rec->seq;
	o->of = 1;
	if (s->kind == OG_SESS_LOGON) {
		Orion__V1__SessionLogon p = ORION__V1__SESSION_LOGON__INIT;
		p.has_session_id = 1, p.session_id = s->sess;
		p.target_comp_id = comp;
		p.has_next_in_seq = 1, p.next_in_seq = s->in_seq;
		p.has_next_out_seq = 1, p.next_out_seq = s->out_seq;
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_SESSION_LOGON;
		env.session_logon = &p;
		emit(o, &env, EXP_S_SESSION, "SessionLogon", key, rec->ts_ns);
	} else if (s->kind == OG_SESS_LOGOUT) {
		Orion__V1__SessionLogout p = ORION__V1__SESSION_LOGOUT__INIT;
		p.has_session_id = 1, p.session_id = s->sess;
		p.target_comp_id = comp;
		p.has_next_in_seq = 1, p.next_in_seq = s->in_seq;
		p.has_next_out_seq = 1, p.next_out_seq = s->out_seq;
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_SESSION_LOGOUT;
		env.session_logout = &p;
		emit(o, &env, EXP_S_SESSION, "SessionLogout", key, rec->ts_ns);
	} else {
		*skip = EXP_SKIP_UNKNOWN_EVENT;
		return 0;
	}
	return o->err ? o->err : o->n;
}

static const char *scope_name(unsigned s)
{
	static const char *const n[] = { "global", "tenant", "session", "account" };
	return s < 4 ? n[s] : "scope?";
}

static int map_risk_cmd(struct out *o, const struct exp_map_state *st, const struct jr_rec *rec)
{
	const struct og_jr_risk_cmd *rc = rec->payload;
	const struct risk_cmd *c = &rc->cmd;
	Orion__V1__Envelope env = ORION__V1__ENVELOPE__INIT;
	Orion__V1__KillSwitch ks = ORION__V1__KILL_SWITCH__INIT;
	Orion__V1__LimitsChanged lc = ORION__V1__LIMITS_CHANGED__INIT;
	Orion__V1__AdminChange ac = ORION__V1__ADMIN_CHANGE__INIT;
	char key[32], obj[EXP_KEY_MAX], id[16], detail[256];
	unsigned scope;
	const char *type;

	if (c->id == RISK_ID_ALL)
		snprintf(id, sizeof(id), "all");
	else
		snprintf(id, sizeof(id), "%u", c->id);
	switch (c->type) {
	case RISK_CMD_KILL: scope = c->scope; break;
	case RISK_CMD_ACCOUNT_LIMITS: scope = RISK_SCOPE_ACCOUNT; break;
	case RISK_CMD_SESSION_LIMITS: scope = RISK_SCOPE_SESSION; break;
	default: scope = 4; break; /* instrument */
	}
	if (scope == RISK_SCOPE_GLOBAL)
		snprintf(key, sizeof(key), "global");
	else
		snprintf(key, sizeof(key), "%s.%s", scope == 4 ? "instrument" : scope_name(scope), id);

	env.producer = (char *)st->producer;
	env.entity_type = "limit";
	env.has_entity_seq = 1, env.entity_seq = rec->seq;
	o->of = 2;
	if (c->type == RISK_CMD_KILL) {
		ks.has_scope = 1, ks.scope = (Orion__V1__RiskScope)(scope < 4 ? scope : 0);
		ks.has_id = 1, ks.id = c->id;
		ks.has_engaged = 1, ks.engaged = (c->flags & RISK_CMDF_ON) != 0;
		ks.has_cancel_resting = 1, ks.cancel_resting = (c->flags & RISK_CMDF_CANCEL) != 0;
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_KILL_SWITCH;
		env.kill_switch = &ks;
		type = "KillSwitch";
		snprintf(detail, sizeof(detail), "kill %s %s%s", key, ks.engaged ? "on" : "off",
			 ks.cancel_resting ? " cancel" : "");
	} else {
		lc.has_scope = 1, lc.scope = (Orion__V1__RiskScope)scope;
		lc.has_id = 1, lc.id = c->id;
		lc.has_what = 1;
		switch (c->type) {
		case RISK_CMD_ACCOUNT_LIMITS:
			lc.what = ORION__V1__LIMITS_CHANGED__WHAT__ACCOUNT_LIMITS;
			lc.has_max_order_qty = 1, lc.max_order_qty = c->u.account.max_order_qty;
			lc.has_max_open_orders = 1, lc.max_open_orders = c->u.account.max_open_orders;
			lc.has_max_order_notional_e8 = 1, lc.max_order_notional_e8 = c->u.account.max_order_notional;
			lc.has_credit_limit_e8 = 1, lc.credit_limit_e8 = c->u.account.credit_limit;
			snprintf(detail, sizeof(detail),
				 "account_limits %s max_order_qty=%u max_open_orders=%u max_order_notional=%" PRId64
				 " credit_limit=%" PRId64, key, lc.max_order_qty, lc.max_open_orders,
				 lc.max_order_notional_e8, lc.credit_limit_e8);
			break;
		case RISK_CMD_SESSION_LIMITS:
			lc.what = ORION__V1__LIMITS_CHANGED__WHAT__SESSION_LIMITS;
			lc.has_max_open_orders = 1, lc.max_open_orders = c->u.session.max_open_orders;
			lc.has_rate_per_s = 1, lc.rate_per_s = c->u.session.rate_per_s;
			lc.has_burst = 1, lc.burst = c->u.session.burst;
			snprintf(detail, sizeof(detail), "session_limits %s max_open_orders=%u rate_per_s=%u burst=%u",
				 key, lc.max_open_orders, lc.rate_per_s, lc.burst);
			break;
		case RISK_CMD_COLLAR:
			lc.what = ORION__V1__LIMITS_CHANGED__WHAT__COLLAR;
			lc.has_collar_bps = 1, lc.collar_bps = c->u.collar_bps;
			snprintf(detail, sizeof(detail), "collar %s bps=%u", key, lc.collar_bps);
			break;
		case RISK_CMD_REF_PRICE:
			lc.what = ORION__V1__LIMITS_CHANGED__WHAT__REF_PRICE;
			if (c->u.ref_px != ORION_PX_NONE)
				lc.has_ref_price_e8 = 1, lc.ref_price_e8 = c->u.ref_px;
			snprintf(detail, sizeof(detail), "ref_price %s px=%" PRId64, key, c->u.ref_px);
			break;
		case RISK_CMD_INSTR_STATE:
			lc.what = ORION__V1__LIMITS_CHANGED__WHAT__INSTRUMENT_STATE;
			lc.has_instrument_state = 1, lc.instrument_state = c->u.state;
			snprintf(detail, sizeof(detail), "instrument_state %s state=%u", key, c->u.state);
			break;
		default:
			lc.what = ORION__V1__LIMITS_CHANGED__WHAT__WHAT_UNSPECIFIED;
			snprintf(detail, sizeof(detail), "risk command type %u %s", c->type, key);
			break;
		}
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_LIMITS_CHANGED;
		env.limits_changed = &lc;
		type = "LimitsChanged";
	}
	emit(o, &env, EXP_S_RISK, type, key, rec->ts_ns);

	Orion__V1__Envelope e2 = ORION__V1__ENVELOPE__INIT;
	snprintf(obj, sizeof(obj), "risk.%s", key);
	ac.kind = "risk_cmd";
	ac.object = obj;
	ac.actor = rc->h.sess == UINT32_MAX ? "control_plane" : "session";
	ac.detail = detail;
	e2.producer = (char *)st->producer;
	e2.entity_type = "admin";
	e2.has_entity_seq = 1, e2.entity_seq = rec->seq;
	e2.payload_case = ORION__V1__ENVELOPE__PAYLOAD_ADMIN_CHANGE;
	e2.admin_change = &ac;
	emit(o, &e2, EXP_S_ADMIN, "AdminChange", obj, rec->ts_ns);
	return o->err ? o->err : o->n;
}

static int map_config(struct out *o, const struct exp_map_state *st, const struct jr_rec *rec)
{
	char text[OG_JR_CONFIG_MAX + 1];
	Orion__V1__Envelope env = ORION__V1__ENVELOPE__INIT;
	Orion__V1__AdminChange ac = ORION__V1__ADMIN_CHANGE__INIT;
	const uint8_t *p = rec->payload;
	size_t n = rec->len < OG_JR_CONFIG_MAX ? rec->len : OG_JR_CONFIG_MAX;
	for (size_t i = 0; i < n; i++)
		text[i] = (p[i] == '\n' || p[i] == '\t' || (p[i] >= 0x20 && p[i] < 0x7f)) ? (char)p[i] : '?';
	text[n] = '\0';
	ac.kind = "journal_config";
	ac.object = "appliance";
	ac.actor = "config";
	ac.detail = text;
	env.producer = (char *)st->producer;
	env.entity_type = "admin";
	env.has_entity_seq = 1, env.entity_seq = rec->seq;
	env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_ADMIN_CHANGE;
	env.admin_change = &ac;
	o->of = 1;
	emit(o, &env, EXP_S_ADMIN, "AdminChange", "appliance", rec->ts_ns);
	return o->err ? o->err : o->n;
}

/* A control-plane record: its AUDIT entries go to audit.events; its state
 * records (users with password hashes, flags, idempotency keys, id
 * reservations) are the control plane's own and are not exported. */
static int map_cp(struct out *o, const struct exp_map_state *st, const struct jr_rec *rec, enum exp_skip *skip)
{
	int kind = cp_jr_check(rec->payload, rec->len);
	if (kind < 0) {
		*skip = EXP_SKIP_BAD_LENGTH;
		return 0;
	}
	if (kind != CP_JR_AUDIT) {
		*skip = EXP_SKIP_REQUEST;
		return 0;
	}
	struct cp_jr_audit a;
	memcpy(&a, rec->payload, sizeof(a));
	char event[CP_JR_NAME + 1], user[CP_JR_NAME + 1], tenant[CP_JR_NAME + 1], peer[sizeof(a.peer) + 1];
	char detail[CP_JR_AUDIT_DETAIL_MAX + 1], key[EXP_KEY_MAX];
	Orion__V1__Envelope env = ORION__V1__ENVELOPE__INIT;
	Orion__V1__AuditEvent ae = ORION__V1__AUDIT_EVENT__INIT;
	ae.event = text_of(event, sizeof(event), a.event, sizeof(a.event));
	if (a.flags & CP_JR_AUDIT_USER) {
		ae.user = text_of(user, sizeof(user), a.user, sizeof(a.user));
		ae.tenant = text_of(tenant, sizeof(tenant), a.tenant, sizeof(a.tenant));
		snprintf(key, sizeof(key), "%.23s.%.23s", tenant, user); /* EXP_KEY_MAX */
		env.tenant = tenant;
	} else {
		snprintf(key, sizeof(key), "anonymous");
	}
	ae.peer = text_of(peer, sizeof(peer), a.peer, sizeof(a.peer));
	ae.has_ok = 1, ae.ok = (a.flags & CP_JR_AUDIT_OK) != 0;
	ae.detail = text_of(detail, sizeof(detail), (const uint8_t *)rec->payload + sizeof(a), a.detail_len);
	env.producer = (char *)st->producer;
	env.entity_type = "actor";
	env.has_entity_seq = 1, env.entity_seq = rec->seq;
	env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_AUDIT_EVENT;
	env.audit_event = &ae;
	o->of = 1;
	emit(o, &env, EXP_S_AUDIT, "AuditEvent", key, a.wall_ns ? a.wall_ns : rec->ts_ns);
	return o->err ? o->err : o->n;
}

int exp_map_record(struct exp_map_state *st, const struct jr_rec *rec, uint8_t *buf, size_t cap,
		   struct exp_msg out[EXP_MAX_MSGS], enum exp_skip *skip)
{
	struct out o = { .buf = buf, .cap = cap, .msgs = out, .jseq = rec->seq };
	*skip = EXP_SKIP_NONE;
	switch (rec->type) {
	case OG_JR_NEW:
	case OG_JR_CANCEL:
	case OG_JR_REPLACE:
	case OG_JR_MASS:
		st->cause_seq = rec->seq;
		*skip = EXP_SKIP_REQUEST;
		return 0;
	case OG_JR_RISK_CMD:
		if (rec->len != sizeof(struct og_jr_risk_cmd))
			break;
		st->cause_seq = rec->seq;
		return map_risk_cmd(&o, st, rec);
	case OG_JR_EVENT:
		if (rec->len != sizeof(struct me_event))
			break;
		return map_event(&o, st, rec->payload, skip);
	case OG_JR_SESSION:
		if (rec->len != sizeof(struct og_jr_session))
			break;
		return map_session(&o, st, rec, skip);
	case OG_JR_CONFIG:
		return map_config(&o, st, rec);
	case OG_JR_CP:
		return map_cp(&o, st, rec, skip);
	default:
		*skip = EXP_SKIP_UNKNOWN_TYPE;
		return 0;
	}
	*skip = EXP_SKIP_BAD_LENGTH;
	return 0;
}

/* ---- market data ----------------------------------------------------------- */

int exp_map_tick(const char *producer, uint64_t run, const struct md_tick *t, uint8_t *buf, size_t cap,
		 struct exp_msg *out)
{
	Orion__V1__Envelope env = ORION__V1__ENVELOPE__INIT;
	Orion__V1__Tick p = ORION__V1__TICK__INIT;
	char key[EXP_KEY_MAX], id[64], sym[ORION_SYMBOL_LEN + 1];
	struct out o = { .buf = buf, .cap = cap, .msgs = out, .of = 1 };
	text_of(sym, sizeof(sym), t->symbol, ORION_SYMBOL_LEN);
	for (int i = (int)strlen(sym) - 1; i >= 0 && sym[i] == ' '; i--)
		sym[i] = '\0';
	p.has_source = 1, p.source = t->source;
	p.has_instrument_id = 1, p.instrument_id = t->instrument_id;
	p.symbol = sym;
	p.has_seqno = 1, p.seqno = t->seqno;
	p.has_feed_seq = 1, p.feed_seq = t->feed_seq;
	p.has_recv_ns = 1, p.recv_ns = t->recv_ns;
	p.has_exch_ts_ns = 1, p.exch_ts_ns = t->exch_ts_ns;
	if (t->bid_px != ORION_PX_NONE)
		p.has_bid_px_e8 = 1, p.bid_px_e8 = t->bid_px;
	p.has_bid_sz = 1, p.bid_sz = t->bid_sz;
	if (t->ask_px != ORION_PX_NONE)
		p.has_ask_px_e8 = 1, p.ask_px_e8 = t->ask_px;
	p.has_ask_sz = 1, p.ask_sz = t->ask_sz;
	if (t->mid_px != ORION_PX_NONE)
		p.has_mid_px_e8 = 1, p.mid_px_e8 = t->mid_px;
	if (t->last_px != ORION_PX_NONE)
		p.has_last_px_e8 = 1, p.last_px_e8 = t->last_px;
	p.has_last_sz = 1, p.last_sz = t->last_sz;
	p.has_flags = 1, p.flags = t->flags;
	p.has_conflated = 1, p.conflated = (t->flags & MD_TF_SNAPSHOT) != 0;
	p.has_stale = 1, p.stale = (t->flags & MD_TF_STALE) != 0;
	p.has_gap = 1, p.gap = (t->flags & MD_TF_GAP) != 0;
	p.has_crossed = 1, p.crossed = (t->flags & MD_TF_CROSSED) != 0;
	p.has_halted = 1, p.halted = (t->flags & MD_TF_HALTED) != 0;
	p.has_late = 1, p.late = (t->flags & MD_TF_LATE) != 0;
	p.has_trade = 1, p.trade = (t->flags & MD_TF_TRADE) != 0;
	snprintf(key, sizeof(key), "%u.%u", t->source, t->instrument_id);
	snprintf(id, sizeof(id), "%u.%u.%llu.%u", t->source, t->instrument_id, (unsigned long long)run, t->seqno);
	env.event_id = id;
	env.producer = (char *)producer;
	env.entity_type = "instrument";
	env.has_entity_seq = 1, env.entity_seq = t->seqno;
	env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_TICK;
	env.tick = &p;
	emit(&o, &env, EXP_S_TICKS, "Tick", key, t->recv_ns);
	return o.err ? o.err : o.n;
}

int exp_map_feed_event(const char *producer, uint16_t source, enum exp_feed_ev kind, uint64_t seq_from,
		       uint64_t seq_to, uint64_t time_ns, uint8_t *buf, size_t cap, struct exp_msg *out)
{
	Orion__V1__Envelope env = ORION__V1__ENVELOPE__INIT;
	Orion__V1__Stale s = ORION__V1__STALE__INIT;
	Orion__V1__Gap g = ORION__V1__GAP__INIT;
	char key[EXP_KEY_MAX], id[80];
	struct out o = { .buf = buf, .cap = cap, .msgs = out, .of = 1 };
	const char *type;
	snprintf(key, sizeof(key), "%u", source);
	env.producer = (char *)producer;
	env.entity_type = "feed";
	switch (kind) {
	case EXP_FEED_STALE:
	case EXP_FEED_STALE_CLEARED:
		s.has_source = 1, s.source = source;
		s.has_stale = 1, s.stale = kind == EXP_FEED_STALE;
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_STALE;
		env.stale = &s;
		type = "Stale";
		snprintf(id, sizeof(id), "%u.stale.%" PRIu64, source, time_ns);
		break;
	case EXP_FEED_GAP_OPEN:
	case EXP_FEED_GAP_FILLED:
	case EXP_FEED_GAP_UNRECOVERABLE:
		g.has_source = 1, g.source = source;
		g.has_state = 1;
		g.state = kind == EXP_FEED_GAP_OPEN     ? ORION__V1__GAP__STATE__GAP_STATE_OPEN
			  : kind == EXP_FEED_GAP_FILLED ? ORION__V1__GAP__STATE__GAP_STATE_FILLED
							: ORION__V1__GAP__STATE__GAP_STATE_UNRECOVERABLE;
		g.has_seq_from = 1, g.seq_from = seq_from;
		g.has_seq_to = 1, g.seq_to = seq_to;
		env.payload_case = ORION__V1__ENVELOPE__PAYLOAD_GAP;
		env.gap = &g;
		type = "Gap";
		snprintf(id, sizeof(id), "%u.gap.%" PRIu64 "-%" PRIu64 ".%d", source, seq_from, seq_to, (int)g.state);
		break;
	default:
		return -EINVAL;
	}
	env.event_id = id;
	emit(&o, &env, EXP_S_TICKS, type, key, time_ns);
	return o.err ? o.err : o.n;
}
