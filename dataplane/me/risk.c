/* Pre-trade risk: limits, token buckets, credit usage tracked from engine
 * events, kill switches. See risk.h for the contract. */
#include "dataplane/me/risk.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_TOKEN 1000000000ull
#define UNTRACKED INT64_MIN

struct risk_acct {
	struct risk_account_limits lim;
	int64_t used;            /* gross open notional */
	uint32_t open;
	uint8_t kill;
};

struct risk_sess {
	struct risk_session_limits lim;
	uint64_t tokens;         /* in 1e-9 token units */
	uint64_t last_ns;
	uint32_t open;
	uint8_t kill;
};

/* Per engine pool slot: the price the order is valued at and the notional
 * still reserved against its account. px == UNTRACKED: not an order we track. */
struct risk_slot {
	int64_t px;
	int64_t res;
};

struct risk {
	struct risk_config cfg;
	struct risk_acct *acct;
	struct risk_sess *sess;
	uint8_t *tenant_kill;
	int64_t *ref_px;
	uint32_t *collar_bps;
	struct risk_slot *slot;
	uint32_t n_slots;
	uint8_t kill_global;
	int64_t pending_px;      /* valuation of the market order being submitted */
	uint64_t last_now;
	struct me_engine *me;
	struct me_sink fwd;
	struct risk_stats st;
};

static inline int64_t notional(int64_t px, uint32_t qty)
{
	__int128 v = (__int128)px * qty;
	if (v > INT64_MAX)
		return INT64_MAX;
	if (v < -INT64_MAX)
		return -INT64_MAX;
	return (int64_t)v;
}

static inline int64_t sat_add(int64_t a, int64_t b)
{
	int64_t s;
	if (__builtin_add_overflow(a, b, &s))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return s;
}

/* ---- engine event tracking ------------------------------------------- */

static inline struct risk_slot *tracked(struct risk *r, uint64_t order_id)
{
	uint32_t s = ME_ORDER_SLOT(order_id);
	if (s >= r->n_slots || r->slot[s].px == UNTRACKED)
		return NULL;
	return &r->slot[s];
}

static void order_done(struct risk *r, const struct me_order_info *oi, struct risk_slot *sl)
{
	r->acct[oi->account_id].used -= sl->res;
	r->acct[oi->account_id].open--;
	r->sess[oi->session_id].open--;
	sl->res = 0;
	sl->px = UNTRACKED;
}

static void on_accept(struct risk *r, const struct me_order_info *oi)
{
	uint32_t s = ME_ORDER_SLOT(oi->order_id);
	if (s >= r->n_slots || oi->account_id >= r->cfg.max_accounts || oi->session_id >= r->cfg.max_sessions)
		return;
	int64_t px = oi->price;
	if (oi->type == ME_MARKET) {
		px = r->pending_px;
		if (px == ORION_PX_NONE && oi->instrument_id < r->cfg.max_instruments)
			px = r->ref_px[oi->instrument_id];
		if (px == ORION_PX_NONE)
			px = 0;
	}
	struct risk_slot *sl = &r->slot[s];
	sl->px = px;
	sl->res = notional(px, oi->leaves);
	r->acct[oi->account_id].used = sat_add(r->acct[oi->account_id].used, sl->res);
	r->acct[oi->account_id].open++;
	r->sess[oi->session_id].open++;
}

static void on_fill(struct risk *r, const struct me_order_info *oi, uint32_t qty)
{
	struct risk_slot *sl = tracked(r, oi->order_id);
	if (!sl)
		return;
	if (oi->leaves == 0) {
		order_done(r, oi, sl);
		return;
	}
	int64_t d = notional(sl->px, qty);
	if (d > sl->res)
		d = sl->res;
	sl->res -= d;
	r->acct[oi->account_id].used -= d;
}

static void on_event(void *ctx, const struct me_event *ev)
{
	struct risk *r = ctx;
	struct risk_slot *sl;
	switch (ev->type) {
	case ME_EV_ACCEPTED:
		on_accept(r, &ev->u.order);
		break;
	case ME_EV_TRADE:
		on_fill(r, &ev->u.trade.maker, ev->u.trade.qty);
		on_fill(r, &ev->u.trade.taker, ev->u.trade.qty);
		if (ev->instrument_id < r->cfg.max_instruments)
			r->ref_px[ev->instrument_id] = ev->u.trade.price;
		break;
	case ME_EV_CANCELED:
		sl = tracked(r, ev->u.canceled.order.order_id);
		if (sl)
			order_done(r, &ev->u.canceled.order, sl);
		break;
	case ME_EV_REPLACED:
		sl = tracked(r, ev->u.replaced.order.order_id);
		if (sl) {
			const struct me_order_info *oi = &ev->u.replaced.order;
			int64_t res = notional(oi->price, oi->leaves);
			r->acct[oi->account_id].used = sat_add(r->acct[oi->account_id].used, res - sl->res);
			sl->px = oi->price;
			sl->res = res;
		}
		break;
	default:
		break;
	}
	r->fwd.on_event(r->fwd.ctx, ev);
}

static void on_tick(void *ctx, const struct md_tick *t)
{
	struct risk *r = ctx;
	if (r->fwd.on_tick)
		r->fwd.on_tick(r->fwd.ctx, t);
}

/* ---- checks ------------------------------------------------------------ */

static bool take_token(struct risk_sess *s, uint64_t now)
{
	if (s->lim.rate_per_s == 0)
		return true;
	uint64_t cap = (uint64_t)s->lim.burst * NS_PER_TOKEN;
	if (now > s->last_ns) {
		uint64_t dt = now - s->last_ns;
		uint64_t room = cap - s->tokens;       /* tokens <= cap always */
		if (dt >= room / s->lim.rate_per_s + 1)
			s->tokens = cap;
		else
			s->tokens += dt * s->lim.rate_per_s; /* < room: no overflow */
		if (s->tokens > cap)
			s->tokens = cap;
		s->last_ns = now;
	}
	if (s->tokens < NS_PER_TOKEN)
		return false;
	s->tokens -= NS_PER_TOKEN;
	return true;
}

static unsigned check_kill(const struct risk *r, uint32_t tenant, const struct risk_sess *s,
	const struct risk_acct *a)
{
	if (r->kill_global)
		return ME_REJ_RISK_KILL_GLOBAL;
	if (r->tenant_kill[tenant])
		return ME_REJ_RISK_KILL_TENANT;
	if (s->kill)
		return ME_REJ_RISK_KILL_SESSION;
	if (a->kill)
		return ME_REJ_RISK_KILL_ACCOUNT;
	return ME_REJ_NONE;
}

static bool outside_collar(const struct risk *r, uint32_t instr, int64_t px)
{
	uint32_t bps = r->collar_bps[instr];
	int64_t ref = r->ref_px[instr];
	if (bps == 0 || ref == ORION_PX_NONE)
		return false;
	__int128 d = (__int128)px - ref;
	if (d < 0)
		d = -d;
	return d * 10000 > (__int128)ref * bps;
}

static unsigned check_new(struct risk *r, const struct me_new_order *q, uint64_t now, int64_t *px_out)
{
	if (q->session_id >= r->cfg.max_sessions || q->account_id >= r->cfg.max_accounts ||
		q->tenant_id >= r->cfg.max_tenants || q->instrument_id >= r->cfg.max_instruments)
		return ME_REJ_RISK_UNKNOWN_ID;
	struct risk_sess *s = &r->sess[q->session_id];
	struct risk_acct *a = &r->acct[q->account_id];
	unsigned rej = check_kill(r, q->tenant_id, s, a);
	if (rej)
		return rej;
	if (!take_token(s, now))
		return ME_REJ_RISK_RATE;
	if (a->lim.max_order_qty && q->qty > a->lim.max_order_qty)
		return ME_REJ_RISK_MAX_QTY;
	int64_t px = q->price;
	if (q->type == ME_MARKET) {
		px = r->ref_px[q->instrument_id];
		if (px == ORION_PX_NONE) {
			if (a->lim.max_order_notional || a->lim.credit_limit)
				return ME_REJ_RISK_NO_REFERENCE;
			px = 0;
		}
	} else if (outside_collar(r, q->instrument_id, px)) {
		return ME_REJ_RISK_PRICE_COLLAR;
	}
	int64_t n = notional(px, q->qty);
	if (a->lim.max_order_notional && n > a->lim.max_order_notional)
		return ME_REJ_RISK_MAX_NOTIONAL;
	if (s->lim.max_open_orders && s->open >= s->lim.max_open_orders)
		return ME_REJ_RISK_SESSION_OPEN_ORDERS;
	if (a->lim.max_open_orders && a->open >= a->lim.max_open_orders)
		return ME_REJ_RISK_ACCOUNT_OPEN_ORDERS;
	if (a->lim.credit_limit && sat_add(a->used, n) > a->lim.credit_limit)
		return ME_REJ_RISK_CREDIT;
	*px_out = px;
	return ME_REJ_NONE;
}

int risk_new_order(struct risk *r, const struct me_new_order *q, uint64_t now)
{
	if (!r || !q)
		return -EINVAL;
	r->last_now = now;
	r->st.checked++;
	int64_t px = 0;
	unsigned rej = check_new(r, q, now, &px);
	if (rej) {
		r->st.rejects[rej]++;
		me_emit_reject(r->me, q, rej, now);
		return (int)rej;
	}
	r->st.passed++;
	r->pending_px = q->type == ME_MARKET ? px : ORION_PX_NONE;
	int rc = me_new_order(r->me, q, now);
	r->pending_px = ORION_PX_NONE;
	return rc;
}

static unsigned check_replace(struct risk *r, const struct me_replace_req *q, uint64_t now)
{
	struct me_order_info oi;
	if (me_get_order(r->me, q->order_id, &oi) != 0)
		return ME_REJ_NONE; /* the engine reports the unknown order */
	if (oi.session_id >= r->cfg.max_sessions || oi.account_id >= r->cfg.max_accounts ||
		oi.tenant_id >= r->cfg.max_tenants || oi.instrument_id >= r->cfg.max_instruments)
		return ME_REJ_RISK_UNKNOWN_ID;
	struct risk_sess *s = &r->sess[oi.session_id];
	struct risk_acct *a = &r->acct[oi.account_id];
	unsigned rej = check_kill(r, oi.tenant_id, s, a);
	if (rej)
		return rej;
	if (!take_token(s, now))
		return ME_REJ_RISK_RATE;
	if (a->lim.max_order_qty && q->qty > a->lim.max_order_qty)
		return ME_REJ_RISK_MAX_QTY;
	if (outside_collar(r, oi.instrument_id, q->price))
		return ME_REJ_RISK_PRICE_COLLAR;
	if (a->lim.max_order_notional && notional(q->price, q->qty) > a->lim.max_order_notional)
		return ME_REJ_RISK_MAX_NOTIONAL;
	if (a->lim.credit_limit && q->qty > oi.cum) {
		const struct risk_slot *sl = tracked(r, q->order_id);
		int64_t old = sl ? sl->res : 0;
		int64_t after = sat_add(a->used - old, notional(q->price, q->qty - oi.cum));
		if (after > a->lim.credit_limit && after > a->used)
			return ME_REJ_RISK_CREDIT;
	}
	return ME_REJ_NONE;
}

int risk_replace(struct risk *r, const struct me_replace_req *q, uint64_t now)
{
	if (!r || !q)
		return -EINVAL;
	r->last_now = now;
	r->st.checked++;
	unsigned rej = check_replace(r, q, now);
	if (rej) {
		r->st.rejects[rej]++;
		me_emit_cancel_reject(r->me, q->order_id, q->session_id, q->cl_ord_id, true, rej, now);
		return (int)rej;
	}
	r->st.passed++;
	return me_replace(r->me, q, now);
}

int risk_cancel(struct risk *r, const struct me_cancel_req *q, uint64_t now)
{
	if (!r || !q)
		return -EINVAL;
	r->last_now = now;
	return me_cancel(r->me, q, now);
}

/* ---- commands ---------------------------------------------------------- */

static void set_session_limits(struct risk_sess *s, const struct risk_session_limits *l)
{
	uint64_t cap = (uint64_t)l->burst * NS_PER_TOKEN;
	if (s->lim.rate_per_s == 0 || s->tokens > cap)
		s->tokens = cap;
	s->lim = *l;
}

static int apply_kill(struct risk *r, const struct risk_cmd *c)
{
	uint8_t on = (c->flags & RISK_CMDF_ON) != 0;
	struct me_mass_cancel mc = { .reason = ME_CXL_KILL };
	switch (c->scope) {
	case RISK_SCOPE_GLOBAL:
		r->kill_global = on;
		break;
	case RISK_SCOPE_TENANT:
		if (c->id >= r->cfg.max_tenants)
			return -EINVAL;
		r->tenant_kill[c->id] = on;
		mc.match = ME_MC_TENANT;
		mc.tenant_id = c->id;
		break;
	case RISK_SCOPE_SESSION:
		if (c->id >= r->cfg.max_sessions)
			return -EINVAL;
		r->sess[c->id].kill = on;
		mc.match = ME_MC_SESSION;
		mc.session_id = c->id;
		break;
	case RISK_SCOPE_ACCOUNT:
		if (c->id >= r->cfg.max_accounts)
			return -EINVAL;
		r->acct[c->id].kill = on;
		mc.match = ME_MC_ACCOUNT;
		mc.account_id = c->id;
		break;
	default:
		return -EINVAL;
	}
	if (on && (c->flags & RISK_CMDF_CANCEL))
		return me_mass_cancel(r->me, &mc, r->last_now, NULL);
	return 0;
}

static int apply(struct risk *r, const struct risk_cmd *c)
{
	bool all = c->id == RISK_ID_ALL;
	switch (c->type) {
	case RISK_CMD_ACCOUNT_LIMITS:
		if (!all && c->id >= r->cfg.max_accounts)
			return -EINVAL;
		if (c->u.account.max_order_notional < 0 || c->u.account.credit_limit < 0)
			return -EINVAL;
		for (uint32_t i = all ? 0 : c->id; i < (all ? r->cfg.max_accounts : c->id + 1); i++)
			r->acct[i].lim = c->u.account;
		return 0;
	case RISK_CMD_SESSION_LIMITS:
		if ((!all && c->id >= r->cfg.max_sessions) || (c->u.session.rate_per_s && c->u.session.burst == 0))
			return -EINVAL;
		for (uint32_t i = all ? 0 : c->id; i < (all ? r->cfg.max_sessions : c->id + 1); i++)
			set_session_limits(&r->sess[i], &c->u.session);
		return 0;
	case RISK_CMD_COLLAR:
		if (!all && c->id >= r->cfg.max_instruments)
			return -EINVAL;
		for (uint32_t i = all ? 0 : c->id; i < (all ? r->cfg.max_instruments : c->id + 1); i++)
			r->collar_bps[i] = c->u.collar_bps;
		return 0;
	case RISK_CMD_REF_PRICE:
		if (c->id >= r->cfg.max_instruments || (c->u.ref_px != ORION_PX_NONE && c->u.ref_px <= 0))
			return -EINVAL;
		r->ref_px[c->id] = c->u.ref_px;
		return 0;
	case RISK_CMD_KILL:
		return apply_kill(r, c);
	case RISK_CMD_INSTR_STATE:
		/* the engine refuses an unknown instrument or state; closing
		 * expires the DAY orders (events stamped like a kill's cancels) */
		return me_set_state(r->me, c->id, c->u.state, r->last_now);
	default:
		return -EINVAL;
	}
}

int risk_apply_cmd(struct risk *r, const struct risk_cmd *c)
{
	if (!r || !c)
		return -EINVAL;
	int rc = apply(r, c);
	if (rc)
		r->st.cmds_invalid++;
	else
		r->st.cmds_applied++;
	return rc;
}

/* ---- queries / lifecycle -------------------------------------------------- */

int risk_account_usage(const struct risk *r, uint32_t account_id, int64_t *open_notional, uint32_t *open_orders)
{
	if (!r || account_id >= r->cfg.max_accounts)
		return -EINVAL;
	if (open_notional)
		*open_notional = r->acct[account_id].used;
	if (open_orders)
		*open_orders = r->acct[account_id].open;
	return 0;
}

int risk_session_open_orders(const struct risk *r, uint32_t session_id, uint32_t *open_orders)
{
	if (!r || !open_orders || session_id >= r->cfg.max_sessions)
		return -EINVAL;
	*open_orders = r->sess[session_id].open;
	return 0;
}

int64_t risk_ref_price(const struct risk *r, uint32_t instrument_id)
{
	if (!r || instrument_id >= r->cfg.max_instruments)
		return ORION_PX_NONE;
	return r->ref_px[instrument_id];
}

const struct risk_stats *risk_get_stats(const struct risk *r) { return &r->st; }

struct risk *risk_create(const struct risk_config *cfg, struct me_engine *me)
{
	if (!cfg || !me || !cfg->max_sessions || !cfg->max_accounts || !cfg->max_tenants ||
		!cfg->max_instruments || cfg->account_default.max_order_notional < 0 ||
		cfg->account_default.credit_limit < 0 ||
		(cfg->session_default.rate_per_s && cfg->session_default.burst == 0)) {
		errno = EINVAL;
		return NULL;
	}
	struct risk *r = calloc(1, sizeof *r);
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->cfg = *cfg;
	r->n_slots = me_capacity(me);
	r->acct = calloc(cfg->max_accounts, sizeof *r->acct);
	r->sess = calloc(cfg->max_sessions, sizeof *r->sess);
	r->tenant_kill = calloc(cfg->max_tenants, 1);
	r->ref_px = calloc(cfg->max_instruments, sizeof *r->ref_px);
	r->collar_bps = calloc(cfg->max_instruments, sizeof *r->collar_bps);
	r->slot = calloc(r->n_slots, sizeof *r->slot);
	if (!r->acct || !r->sess || !r->tenant_kill || !r->ref_px || !r->collar_bps || !r->slot) {
		r->me = NULL;
		risk_destroy(r);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->max_accounts; i++)
		r->acct[i].lim = cfg->account_default;
	for (uint32_t i = 0; i < cfg->max_sessions; i++) {
		r->sess[i].lim = cfg->session_default;
		r->sess[i].tokens = (uint64_t)cfg->session_default.burst * NS_PER_TOKEN;
	}
	for (uint32_t i = 0; i < cfg->max_instruments; i++) {
		r->ref_px[i] = ORION_PX_NONE;
		r->collar_bps[i] = cfg->collar_bps;
	}
	for (uint32_t i = 0; i < r->n_slots; i++)
		r->slot[i].px = UNTRACKED;
	r->pending_px = ORION_PX_NONE;
	r->me = me;
	r->fwd = me_get_sink(me);
	struct me_sink mine = { .on_event = on_event, .on_tick = r->fwd.on_tick ? on_tick : NULL, .ctx = r };
	me_set_sink(me, &mine);
	return r;
}

void risk_destroy(struct risk *r)
{
	if (!r)
		return;
	if (r->me)
		me_set_sink(r->me, &r->fwd);
	free(r->slot);
	free(r->collar_bps);
	free(r->ref_px);
	free(r->tenant_kill);
	free(r->sess);
	free(r->acct);
	free(r);
}
