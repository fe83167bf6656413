/* Typed application messages (see fix_app.h). */
#include "fix/fix_app.h"

#include <errno.h>
#include <string.h>

#include "fix/fix_dict.h"

static int app_err(struct fix_app_error *e, uint32_t tag, int reason, const char *text)
{
	if (e) {
		e->tag = tag;
		e->reason = reason;
		e->text = text;
	}
	return -EINVAL;
}

static inline struct fix_str view(const struct fix_field *f)
{
	return (struct fix_str){ f->val, f->len };
}

int fix_decode_order(const struct fix_msg *m, struct fix_order *o, struct fix_app_error *e)
{
	memset(o, 0, sizeof(*o));
	o->tif = '0';
	o->price = ORION_PX_NONE;
	o->stop_px = ORION_PX_NONE;
	o->qty = -1;
	bool have_tt = false;
	for (unsigned i = 3; i + 1 < m->nfields; i++) {
		const struct fix_field *f = &m->f[i];
		switch (f->tag) {
		case 1: o->account = view(f); break;
		case 11: o->cl_ord_id = view(f); break;
		case 34:
			if (fix_parse_uint(f->val, f->len, &o->seq))
				return app_err(e, 34, FIX_BRR_OTHER, "bad MsgSeqNum");
			break;
		case 37: o->order_id = view(f); break;
		case 38:
			if (fix_parse_qty(f->val, f->len, &o->qty) || o->qty <= 0)
				return app_err(e, 38, FIX_BRR_OTHER, "OrderQty must be a positive whole number");
			break;
		case 40: o->ord_type = f->len == 1 ? f->val[0] : 0; break;
		case 41: o->orig_cl_ord_id = view(f); break;
		case 44:
			if (fix_parse_price(f->val, f->len, &o->price) || o->price <= 0)
				return app_err(e, 44, FIX_BRR_OTHER, "bad Price");
			break;
		case 54: o->side = f->len == 1 ? f->val[0] : 0; break;
		case 55: o->symbol = view(f); break;
		case 59: o->tif = f->len == 1 ? f->val[0] : 0; break;
		case 60:
			if (fix_parse_timestamp(f->val, f->len, &o->transact_time_ns))
				return app_err(e, 60, FIX_BRR_OTHER, "bad TransactTime");
			have_tt = true;
			break;
		case 99:
			if (fix_parse_price(f->val, f->len, &o->stop_px) || o->stop_px <= 0)
				return app_err(e, 99, FIX_BRR_OTHER, "bad StopPx");
			break;
		default: break;
		}
	}
	if (!o->cl_ord_id.p)
		return app_err(e, 11, FIX_BRR_COND_REQUIRED_MISSING, "ClOrdID missing");
	if (!o->symbol.p)
		return app_err(e, 55, FIX_BRR_COND_REQUIRED_MISSING, "Symbol missing");
	if (!o->side)
		return app_err(e, 54, FIX_BRR_COND_REQUIRED_MISSING, "Side missing");
	if (!o->ord_type)
		return app_err(e, 40, FIX_BRR_COND_REQUIRED_MISSING, "OrdType missing");
	if (o->qty < 0)
		return app_err(e, 38, FIX_BRR_COND_REQUIRED_MISSING, "OrderQty missing");
	if (!have_tt)
		return app_err(e, 60, FIX_BRR_COND_REQUIRED_MISSING, "TransactTime missing");
	if ((o->ord_type == '2' || o->ord_type == '4') && o->price == ORION_PX_NONE)
		return app_err(e, 44, FIX_BRR_COND_REQUIRED_MISSING, "Price required for this OrdType");
	if ((o->ord_type == '3' || o->ord_type == '4') && o->stop_px == ORION_PX_NONE)
		return app_err(e, 99, FIX_BRR_COND_REQUIRED_MISSING, "StopPx required for this OrdType");
	if (fix_msg_is(m, "G") && !o->orig_cl_ord_id.p)
		return app_err(e, 41, FIX_BRR_COND_REQUIRED_MISSING, "OrigClOrdID missing");
	return 0;
}

int fix_decode_cancel(const struct fix_msg *m, struct fix_cancel *c, struct fix_app_error *e)
{
	memset(c, 0, sizeof(*c));
	bool have_tt = false;
	for (unsigned i = 3; i + 1 < m->nfields; i++) {
		const struct fix_field *f = &m->f[i];
		switch (f->tag) {
		case 1: c->account = view(f); break;
		case 11: c->cl_ord_id = view(f); break;
		case 34:
			if (fix_parse_uint(f->val, f->len, &c->seq))
				return app_err(e, 34, FIX_BRR_OTHER, "bad MsgSeqNum");
			break;
		case 37: c->order_id = view(f); break;
		case 41: c->orig_cl_ord_id = view(f); break;
		case 54: c->side = f->len == 1 ? f->val[0] : 0; break;
		case 55: c->symbol = view(f); break;
		case 60:
			if (fix_parse_timestamp(f->val, f->len, &c->transact_time_ns))
				return app_err(e, 60, FIX_BRR_OTHER, "bad TransactTime");
			have_tt = true;
			break;
		default: break;
		}
	}
	if (!c->cl_ord_id.p)
		return app_err(e, 11, FIX_BRR_COND_REQUIRED_MISSING, "ClOrdID missing");
	if (!c->orig_cl_ord_id.p)
		return app_err(e, 41, FIX_BRR_COND_REQUIRED_MISSING, "OrigClOrdID missing");
	if (!c->symbol.p)
		return app_err(e, 55, FIX_BRR_COND_REQUIRED_MISSING, "Symbol missing");
	if (!c->side)
		return app_err(e, 54, FIX_BRR_COND_REQUIRED_MISSING, "Side missing");
	if (!have_tt)
		return app_err(e, 60, FIX_BRR_COND_REQUIRED_MISSING, "TransactTime missing");
	return 0;
}

static void put_str(struct fix_builder *b, uint32_t tag, struct fix_str v)
{
	if (v.p && v.len)
		fix_build_str(b, tag, v.p, v.len);
}

int fix_send_exec_report(struct fix_session *s, const struct fix_exec_report *er, uint64_t now)
{
	struct fix_builder b;
	int rc = fix_session_begin(s, &b, "8", now);
	if (rc)
		return rc;
	put_str(&b, 37, er->order_id);
	put_str(&b, 17, er->exec_id);
	put_str(&b, 11, er->cl_ord_id);
	put_str(&b, 41, er->orig_cl_ord_id);
	put_str(&b, 1, er->account);
	fix_build_char(&b, 150, er->exec_type);
	fix_build_char(&b, 39, er->ord_status);
	put_str(&b, 55, er->symbol);
	fix_build_char(&b, 54, er->side);
	if (er->ord_type)
		fix_build_char(&b, 40, er->ord_type);
	if (er->tif)
		fix_build_char(&b, 59, er->tif);
	if (er->order_qty >= 0)
		fix_build_int(&b, 38, er->order_qty);
	if (er->price != ORION_PX_NONE)
		fix_build_price(&b, 44, er->price);
	if (er->last_qty > 0)
		fix_build_int(&b, 32, er->last_qty);
	if (er->last_px != ORION_PX_NONE)
		fix_build_price(&b, 31, er->last_px);
	fix_build_int(&b, 151, er->leaves_qty);
	fix_build_int(&b, 14, er->cum_qty);
	fix_build_price(&b, 6, er->avg_px == ORION_PX_NONE ? 0 : er->avg_px);
	if (er->ord_rej_reason >= 0)
		fix_build_int(&b, 103, er->ord_rej_reason);
	if (er->transact_time_ns)
		fix_build_timestamp(&b, 60, er->transact_time_ns, fix_session_config(s)->timestamp_digits);
	put_str(&b, 58, er->text);
	return fix_session_commit(s, &b);
}

int fix_send_cancel_reject(struct fix_session *s, struct fix_str order_id, struct fix_str cl_ord_id,
			   struct fix_str orig_cl_ord_id, char ord_status, char response_to, int reason,
			   const char *text, uint64_t now)
{
	struct fix_builder b;
	int rc = fix_session_begin(s, &b, "9", now);
	if (rc)
		return rc;
	if (order_id.p && order_id.len)
		put_str(&b, 37, order_id);
	else
		fix_build_str(&b, 37, "NONE", 4); /* OrderID is required; FIX uses NONE when unknown */
	put_str(&b, 11, cl_ord_id);
	put_str(&b, 41, orig_cl_ord_id);
	fix_build_char(&b, 39, ord_status);
	fix_build_char(&b, 434, response_to);
	if (reason >= 0)
		fix_build_int(&b, 102, reason);
	if (text && text[0])
		fix_build_cstr(&b, 58, text);
	return fix_session_commit(s, &b);
}
