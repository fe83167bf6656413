/* orionctl: the operator command line. Each subcommand lives with its module
 * and is dispatched from here; exit codes 0 ok, 1 failure/damage, 2 usage.
 *
 * `orionctl journal` is the generic journal tool (common/journal/jr_tool.h)
 * with the order path's record decoder (dataplane/og/og_journal.h), so that
 * dump prints ClOrdIDs, sides, prices, engine events and FIX logons rather
 * than hex, and the control plane's records (controlplane/cp_jrec.h: audit
 * entries, users without their hashes, flags, idempotency keys). The REST subcommands (status, sessions, kill, limits,
 * instruments, users) live in ctl_cmd.c (dataplane/journal/ctl.h). */
#include <stdio.h>
#include <string.h>

#include "controlplane/cp.h"
#include "controlplane/cp_jrec.h"
#include "controlplane/exporter.h"
#include "common/journal/jr_tool.h"
#include "dataplane/journal/ctl.h"
#include "dataplane/og/og_journal.h"

#define PX_DIGITS 8 /* ORION_PX_SCALE = 1e8 */

static const char *og_name(uint16_t t)
{
	const char *n = og_jr_type_name(t);
	return strcmp(n, "?") ? n : NULL;
}

static const char *side_name(uint8_t s)
{
	return s == ME_BUY ? "buy" : s == ME_SELL ? "sell" : "?";
}

static const char *ord_type_name(uint8_t t)
{
	return t == ME_LIMIT ? "limit" : t == ME_MARKET ? "market" : "?";
}

static const char *tif_name(uint8_t t)
{
	switch (t) {
	case ME_DAY: return "day";
	case ME_GTC: return "gtc";
	case ME_IOC: return "ioc";
	case ME_FOK: return "fok";
	default: return "?";
	}
}

static const char *ev_name(uint16_t t)
{
	switch (t) {
	case ME_EV_ACCEPTED: return "accepted";
	case ME_EV_REJECTED: return "rejected";
	case ME_EV_TRADE: return "trade";
	case ME_EV_CANCELED: return "canceled";
	case ME_EV_REPLACED: return "replaced";
	case ME_EV_CANCEL_REJECTED: return "cancel_rejected";
	default: return "?";
	}
}

static const char *risk_cmd_name(uint16_t t)
{
	switch (t) {
	case RISK_CMD_ACCOUNT_LIMITS: return "account_limits";
	case RISK_CMD_SESSION_LIMITS: return "session_limits";
	case RISK_CMD_COLLAR: return "collar";
	case RISK_CMD_REF_PRICE: return "ref_price";
	case RISK_CMD_KILL: return "kill";
	case RISK_CMD_INSTR_STATE: return "instrument_state";
	default: return "?";
	}
}

static const char *scope_name(uint8_t s)
{
	switch (s) {
	case RISK_SCOPE_GLOBAL: return "global";
	case RISK_SCOPE_TENANT: return "tenant";
	case RISK_SCOPE_SESSION: return "session";
	case RISK_SCOPE_ACCOUNT: return "account";
	default: return "?";
	}
}

static void put_cstr(struct jr_tool_out *o, const char *key, const char *v)
{
	jr_tool_put_str(o, key, v, strlen(v));
}

static void put_head(struct jr_tool_out *o, const struct og_jr_head *h)
{
	if (h->sess == UINT32_MAX)
		put_cstr(o, "sess", "control");
	else
		jr_tool_put_u64(o, "sess", h->sess);
	jr_tool_put_u64(o, "out_seq", h->out_seq);
}

/* One order as in engine events; pfx names the side of a trade ("" else). */
static void put_order(struct jr_tool_out *o, const char *pfx, const struct me_order_info *oi)
{
	char k[32];
#define K(name) (snprintf(k, sizeof(k), "%s%s", pfx, name), k)
	jr_tool_put_u64(o, K("order_id"), oi->order_id);
	jr_tool_put_str(o, K("clordid"), oi->cl_ord_id, ME_CLORDID_LEN);
	put_cstr(o, K("side"), side_name(oi->side));
	jr_tool_put_u64(o, K("qty"), oi->qty);
	if (oi->type == ME_LIMIT)
		jr_tool_put_dec(o, K("price"), oi->price, PX_DIGITS);
	jr_tool_put_u64(o, K("leaves"), oi->leaves);
	jr_tool_put_u64(o, K("cum"), oi->cum);
	jr_tool_put_u64(o, K("session"), oi->session_id);
	jr_tool_put_u64(o, K("account"), oi->account_id);
	if (!*pfx) {
		put_cstr(o, "ord_type", ord_type_name(oi->type));
		put_cstr(o, "tif", tif_name(oi->tif));
		jr_tool_put_u64(o, "instrument", oi->instrument_id);
	}
#undef K
}

static void put_event(struct jr_tool_out *o, const struct me_event *ev)
{
	put_cstr(o, "ev", ev_name(ev->type));
	jr_tool_put_u64(o, "ev_seq", ev->seq);
	switch (ev->type) {
	case ME_EV_ACCEPTED:
		put_order(o, "", &ev->u.order);
		break;
	case ME_EV_REJECTED:
		put_cstr(o, "reason", me_reject_name(ev->reason));
		put_order(o, "", &ev->u.order);
		break;
	case ME_EV_TRADE:
		jr_tool_put_u64(o, "trade_id", ev->u.trade.trade_id);
		jr_tool_put_dec(o, "price", ev->u.trade.price, PX_DIGITS);
		jr_tool_put_u64(o, "qty", ev->u.trade.qty);
		put_cstr(o, "aggressor", side_name(ev->u.trade.aggressor_side));
		jr_tool_put_u64(o, "instrument", ev->instrument_id);
		put_order(o, "maker_", &ev->u.trade.maker);
		put_order(o, "taker_", &ev->u.trade.taker);
		break;
	case ME_EV_CANCELED:
		put_cstr(o, "reason", me_cxl_reason_name(ev->reason));
		jr_tool_put_u64(o, "canceled_qty", ev->u.canceled.canceled_qty);
		jr_tool_put_str(o, "req_clordid", ev->u.canceled.req_cl_ord_id, ME_CLORDID_LEN);
		put_order(o, "", &ev->u.canceled.order);
		break;
	case ME_EV_REPLACED:
		jr_tool_put_str(o, "orig_clordid", ev->u.replaced.orig_cl_ord_id, ME_CLORDID_LEN);
		jr_tool_put_dec(o, "old_price", ev->u.replaced.old_price, PX_DIGITS);
		jr_tool_put_u64(o, "old_qty", ev->u.replaced.old_qty);
		jr_tool_put_u64(o, "priority_kept", ev->u.replaced.priority_kept);
		put_order(o, "", &ev->u.replaced.order);
		break;
	case ME_EV_CANCEL_REJECTED:
		put_cstr(o, "reason", me_reject_name(ev->reason));
		jr_tool_put_u64(o, "order_id", ev->u.cxl_rej.order_id);
		jr_tool_put_str(o, "clordid", ev->u.cxl_rej.cl_ord_id, ME_CLORDID_LEN);
		jr_tool_put_u64(o, "session", ev->u.cxl_rej.session_id);
		put_cstr(o, "request", ev->u.cxl_rej.is_replace ? "replace" : "cancel");
		break;
	default:
		jr_tool_put_u64(o, "ev_type", ev->type);
		break;
	}
}

static void put_risk_cmd(struct jr_tool_out *o, const struct risk_cmd *c)
{
	put_cstr(o, "cmd", risk_cmd_name(c->type));
	if (c->id == RISK_ID_ALL)
		put_cstr(o, "id", "all");
	else
		jr_tool_put_u64(o, "id", c->id);
	switch (c->type) {
	case RISK_CMD_INSTR_STATE:
		put_cstr(o, "state", c->u.state == ME_ST_OPEN ? "open" : c->u.state == ME_ST_HALTED ? "halted" :
				     c->u.state == ME_ST_CLOSED ? "closed" : "?");
		break;
	case RISK_CMD_KILL:
		put_cstr(o, "scope", scope_name(c->scope));
		put_cstr(o, "kill", c->flags & RISK_CMDF_ON ? "on" : "off");
		jr_tool_put_u64(o, "cancel", !!(c->flags & RISK_CMDF_CANCEL));
		break;
	case RISK_CMD_ACCOUNT_LIMITS:
		jr_tool_put_u64(o, "max_order_qty", c->u.account.max_order_qty);
		jr_tool_put_u64(o, "max_open_orders", c->u.account.max_open_orders);
		jr_tool_put_dec(o, "max_order_notional", c->u.account.max_order_notional, PX_DIGITS);
		jr_tool_put_dec(o, "credit_limit", c->u.account.credit_limit, PX_DIGITS);
		break;
	case RISK_CMD_SESSION_LIMITS:
		jr_tool_put_u64(o, "max_open_orders", c->u.session.max_open_orders);
		jr_tool_put_u64(o, "rate_per_s", c->u.session.rate_per_s);
		jr_tool_put_u64(o, "burst", c->u.session.burst);
		break;
	case RISK_CMD_COLLAR:
		jr_tool_put_u64(o, "collar_bps", c->u.collar_bps);
		break;
	case RISK_CMD_REF_PRICE:
		if (c->u.ref_px == ORION_PX_NONE)
			put_cstr(o, "ref_px", "none");
		else
			jr_tool_put_dec(o, "ref_px", c->u.ref_px, PX_DIGITS);
		break;
	default:
		break;
	}
}

/* OG_JR_CP: the control plane's records (controlplane/cp_jrec.h). Password
 * hashes are not printed. */
static int cp_decode(struct jr_tool_out *o, const void *p, uint32_t len)
{
	int kind = cp_jr_check(p, len);
	if (kind < 0)
		return -1;
	put_cstr(o, "kind", cp_jr_kind_name((unsigned)kind));
	switch (kind) {
	case CP_JR_AUDIT: {
		struct cp_jr_audit a;
		memcpy(&a, p, sizeof(a));
		jr_tool_put_str(o, "event", a.event, sizeof(a.event));
		if (a.flags & CP_JR_AUDIT_USER) {
			jr_tool_put_str(o, "user", a.user, sizeof(a.user));
			jr_tool_put_str(o, "tenant", a.tenant, sizeof(a.tenant));
		}
		jr_tool_put_str(o, "peer", a.peer, sizeof(a.peer));
		put_cstr(o, "ok", a.flags & CP_JR_AUDIT_OK ? "true" : "false");
		jr_tool_put_u64(o, "wall_ns", a.wall_ns);
		jr_tool_put_str(o, "detail", (const char *)p + sizeof(a), a.detail_len);
		return 0;
	}
	case CP_JR_USER: {
		struct cp_jr_user u;
		memcpy(&u, p, sizeof(u));
		jr_tool_put_str(o, "user", u.name, sizeof(u.name));
		jr_tool_put_str(o, "tenant", u.tenant_name, sizeof(u.tenant_name));
		put_cstr(o, "role", cp_role_name(u.role));
		jr_tool_put_u64(o, "slot", u.slot);
		jr_tool_put_u64(o, "account", u.account);
		jr_tool_put_u64(o, "disabled", u.disabled);
		jr_tool_put_u64(o, "gen", u.gen);
		if (u.max_notional)
			jr_tool_put_dec(o, "max_notional", u.max_notional, PX_DIGITS);
		char ins[CP_JR_ENTITLED * CP_JR_SYM + 1];
		size_t n = 0;
		if (u.all_instruments)
			ins[n++] = '*';
		for (unsigned i = 0; !u.all_instruments && i < u.n_instruments; i++) {
			size_t l = strnlen(u.instruments[i], CP_JR_SYM);
			if (i)
				ins[n++] = ',';
			memcpy(ins + n, u.instruments[i], l);
			n += l;
		}
		jr_tool_put_str(o, "instruments", ins, n);
		return 0;
	}
	case CP_JR_FLAG: {
		struct cp_jr_flag f;
		memcpy(&f, p, sizeof(f));
		jr_tool_put_str(o, "flag", f.name, sizeof(f.name));
		put_cstr(o, "on", f.on ? "true" : "false");
		return 0;
	}
	case CP_JR_IDEM: {
		struct cp_jr_idem i;
		memcpy(&i, p, sizeof(i));
		jr_tool_put_str(o, "user", i.user_name, sizeof(i.user_name));
		jr_tool_put_str(o, "key", i.key, sizeof(i.key));
		if (i.flags & CP_JR_IDEM_FORGET) {
			put_cstr(o, "forget", "true");
		} else {
			jr_tool_put_u64(o, "status", (uint64_t)(uint32_t)i.status);
			jr_tool_put_str(o, "body", (const char *)p + sizeof(i), i.body_len);
		}
		if (i.corr)
			jr_tool_put_u64(o, "corr", i.corr);
		jr_tool_put_u64(o, "wall_ns", i.wall_ns);
		return 0;
	}
	case CP_JR_CORR: {
		struct cp_jr_corr c;
		memcpy(&c, p, sizeof(c));
		jr_tool_put_u64(o, "next", c.next);
		return 0;
	}
	default:
		return -1;
	}
}

static int og_decode(struct jr_tool_out *o, uint16_t type, const void *p, uint32_t len)
{
	switch (type) {
	case OG_JR_CONFIG:
		jr_tool_put_str(o, "config", p, len);
		return 0;
	case OG_JR_NEW: {
		const struct og_jr_new *r = p;
		if (len != sizeof(*r))
			return -1;
		put_head(o, &r->h);
		jr_tool_put_str(o, "clordid", r->req.cl_ord_id, ME_CLORDID_LEN);
		put_cstr(o, "side", side_name(r->req.side));
		jr_tool_put_u64(o, "qty", r->req.qty);
		if (r->req.type == ME_LIMIT)
			jr_tool_put_dec(o, "price", r->req.price, PX_DIGITS);
		put_cstr(o, "ord_type", ord_type_name(r->req.type));
		put_cstr(o, "tif", tif_name(r->req.tif));
		jr_tool_put_u64(o, "instrument", r->req.instrument_id);
		jr_tool_put_u64(o, "session", r->req.session_id);
		jr_tool_put_u64(o, "account", r->req.account_id);
		if (r->account[0])
			jr_tool_put_str(o, "account_name", r->account, sizeof(r->account));
		if (r->req.flags & ME_OF_POST_ONLY)
			jr_tool_put_u64(o, "post_only", 1);
		jr_tool_put_u64(o, "stp", r->req.stp);
		return 0;
	}
	case OG_JR_CANCEL: {
		const struct og_jr_cancel *r = p;
		if (len != sizeof(*r))
			return -1;
		put_head(o, &r->h);
		jr_tool_put_u64(o, "order_id", r->req.order_id);
		jr_tool_put_str(o, "clordid", r->req.cl_ord_id, ME_CLORDID_LEN);
		jr_tool_put_u64(o, "session", r->req.session_id);
		return 0;
	}
	case OG_JR_REPLACE: {
		const struct og_jr_replace *r = p;
		if (len != sizeof(*r))
			return -1;
		put_head(o, &r->h);
		jr_tool_put_u64(o, "order_id", r->req.order_id);
		jr_tool_put_str(o, "clordid", r->req.cl_ord_id, ME_CLORDID_LEN);
		jr_tool_put_u64(o, "qty", r->req.qty);
		jr_tool_put_dec(o, "price", r->req.price, PX_DIGITS);
		jr_tool_put_u64(o, "session", r->req.session_id);
		return 0;
	}
	case OG_JR_MASS: {
		const struct og_jr_mass *r = p;
		if (len != sizeof(*r))
			return -1;
		put_head(o, &r->h);
		jr_tool_put_str(o, "clordid", r->cl_ord_id, sizeof(r->cl_ord_id));
		jr_tool_put_str(o, "request_type", &r->type, 1);
		jr_tool_put_u64(o, "match", r->mc.match);
		if (r->mc.match & ME_MC_SESSION)
			jr_tool_put_u64(o, "session", r->mc.session_id);
		if (r->mc.match & ME_MC_ACCOUNT)
			jr_tool_put_u64(o, "account", r->mc.account_id);
		if (r->mc.match & ME_MC_TENANT)
			jr_tool_put_u64(o, "tenant", r->mc.tenant_id);
		if (r->mc.match & ME_MC_INSTRUMENT)
			jr_tool_put_u64(o, "instrument", r->mc.instrument_id);
		if (r->mc.match & ME_MC_SIDE)
			put_cstr(o, "side", side_name(r->mc.side));
		put_cstr(o, "reason", me_cxl_reason_name(r->mc.reason));
		jr_tool_put_u64(o, "report", r->report);
		return 0;
	}
	case OG_JR_RISK_CMD: {
		const struct og_jr_risk_cmd *r = p;
		if (len != sizeof(*r))
			return -1;
		put_head(o, &r->h);
		put_risk_cmd(o, &r->cmd);
		return 0;
	}
	case OG_JR_EVENT:
		if (len != sizeof(struct me_event))
			return -1;
		put_event(o, p);
		return 0;
	case OG_JR_CP:
		return cp_decode(o, p, len);
	case OG_JR_SESSION: {
		const struct og_jr_session *r = p;
		if (len != sizeof(*r))
			return -1;
		jr_tool_put_u64(o, "sess", r->sess);
		put_cstr(o, "kind", r->kind == OG_SESS_LOGON ? "logon" : r->kind == OG_SESS_LOGOUT ? "logout" : "?");
		jr_tool_put_str(o, "comp_id", r->target_comp_id, sizeof(r->target_comp_id));
		jr_tool_put_u64(o, "in_seq", r->in_seq);
		jr_tool_put_u64(o, "out_seq", r->out_seq);
		return 0;
	}
	default:
		return -1;
	}
}

static const struct jr_tool_decoder g_og_decoder = { .type_name = og_name, .decode = og_decode };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orionctl <command> ...\n"
		"commands:\n"
		"  journal dump|verify|stats ...   inspect a journal directory (orionctl journal help);\n"
		"                                  dump decodes the order path's records and the control\n"
		"                                  plane's (audit trail, users, flags, idempotency keys;\n"
		"                                  never password hashes); --json: one object per line\n"
		"  decode [--single] [FILE...]     print exported Kafka messages (orion.v1 envelopes) as\n"
		"                                  JSON lines, e.g. kcat -C -b B -t T -f '%%R%%s' | orionctl decode\n"
		"  passwd [--password P]           print an argon2id hash for a [user] password_hash\n");
	ctl_usage(f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "journal"))
		return jr_tool_main_dec(argc - 1, argv + 1, &g_og_decoder);
	if (!strcmp(argv[1], "decode"))
		return exp_decode_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "passwd"))
		return cp_passwd_main(argc - 1, argv + 1);
	if (ctl_is_command(argv[1]))
		return ctl_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "orionctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
