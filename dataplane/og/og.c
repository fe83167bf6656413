/* Order gateway: see og.h. */
#include "dataplane/og/og.h"
#include "dataplane/og/og_journal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/journal/jr_reader.h"
#include "common/orion_time.h"
#include "dataplane/journal/jr_writer.h"
#include "dataplane/me/me_book.h"
#include "dataplane/me/risk.h"
#include "fix/fix_app.h"
#include "fix/fix_codec.h"
#include "fix/fix_config.h"
#include "fix/fix_session.h"
#include "fix/fix_store.h"

#define PRE_BUF 4096          /* bytes buffered before a connection's Logon is routed */
#define OUT_BUF (256u << 10)  /* per-session bytes the peer has not read yet */
#define RD_BUF (64u << 10)
#define EV_BATCH 64
#define MAX_ACCOUNTS 1024
#define ACCT_NAME 16
#define TIMER_NS 50000000ull  /* session timers every 50 ms */

enum { CONN_FREE = 0, CONN_PRELOGON, CONN_BOUND };



struct og_conn {
	int fd;
	int state;
	int sess;                 /* CONN_BOUND: session index */
	uint32_t pre_len;
	uint64_t t_open;
	char *pre;                /* PRE_BUF bytes */
};

struct og_sess {
	struct og *g;
	struct fix_session *fs;
	struct fix_store *st;
	int conn;                 /* -1 when not connected */
	uint32_t id;
	uint32_t out_off, out_len;
	char *out;                /* OUT_BUF bytes */
	int want_out;             /* EPOLLOUT registered */
	uint32_t account;         /* default account id: the session index */
	uint64_t hold_seq;        /* power-safe mode: out bytes wait until this journal seq is durable */
	int dirty;                /* on g->dirty: bytes to write at the end of the poll turn */
};

/* ClOrdIDs by (session, ClOrdID): 41 lookups for live orders, and duplicate
 * detection over live orders plus the most recent finished ones (a FIFO of
 * max_orders/2 finished ids; older ones are forgotten, so memory stays
 * bounded however many orders a day brings). Open addressing, linear
 * probing, backward-shift deletion. */
struct cl_ent {
	uint64_t order_id;        /* 0 = empty */
	uint32_t sess;
	uint32_t hash;
	uint8_t key[ME_CLORDID_LEN];
	uint32_t done;            /* 0 live; else 1 + its slot in the finished FIFO */
};

struct cl_done {
	uint64_t order_id;
	uint32_t sess;
	uint8_t key[ME_CLORDID_LEN];
	struct me_order_info info;   /* final state, for OrderStatusRequest */
	int64_t cum_notional;
};

struct acct_ent {
	char name[ACCT_NAME];
	uint32_t id;              /* 0 = empty slot (ids for names start at 64) */
};

struct og {
	struct og_stats st;
	struct og_cfg cfg;
	struct fix_config fc;
	struct og_sess *sess;
	unsigned n_sess;
	uint32_t *dirty;          /* sessions with bytes gathered this turn */
	unsigned n_dirty;
	struct og_conn *conns;
	int lfd, epfd;
	struct me_engine *me;
	struct risk *risk;
	uint64_t now;             /* time of the poll in progress */
	uint64_t next_timer;
	uint64_t boot_s;          /* prefix of ExecID / OrderID: unique across restarts */
	uint64_t exec_seq;
	uint64_t mc_seq;
	int64_t *cum_notional;    /* by order pool slot, for AvgPx */
	struct og_position *pos;  /* [account * n_instruments + instrument] */
	struct cl_ent *cl;
	uint32_t cl_mask;
	struct cl_done *done;     /* FIFO of finished ids still in cl */
	uint32_t done_cap, done_head, done_n;
	struct acct_ent accts[2 * MAX_ACCOUNTS];
	uint32_t next_acct;
	int (*tick_fn)(void *ctx, const struct md_tick *t);
	void *tick_ctx;
	struct jr_writer *jw;
	struct og_io io;
	int replaying;            /* replay: state only, no reports */
	uint64_t cur_jseq;        /* journal seq of the request being processed */
	uint64_t checksum;
	size_t cp_hold_len;       /* a control-plane record the journal refused, retried first */
	uint8_t cp_buf[OG_CP_REC_MAX];
	struct fix_msg pre_msg;   /* a pre-logon connection's first message */
	char rd[RD_BUF];
};

static const char *const g_close_names[OG_CLOSE__COUNT] = {
	"peer", "session", "too_many", "prelogon_timeout", "prelogon_garbled",
	"unknown_session", "session_busy", "outbuf_full",
};
static const char *const g_err_names[OG_ERR__COUNT] = {
	"decode", "clordid_too_long", "duplicate_clordid", "unknown_symbol", "unsupported",
	"unknown_order", "accounts_full", "unsupported_msgtype", "journal", "downstream_busy",
};
const char *og_close_name(enum og_close c) { return (unsigned)c < OG_CLOSE__COUNT ? g_close_names[c] : "?"; }
const char *og_app_err_name(enum og_app_err e) { return (unsigned)e < OG_ERR__COUNT ? g_err_names[e] : "?"; }

/* ---- ClOrdID table ------------------------------------------------------- */

static uint32_t cl_hash(uint32_t sess, const uint8_t *k)
{
	uint64_t h = 0xcbf29ce484222325ull ^ sess;
	for (unsigned i = 0; i < ME_CLORDID_LEN; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static struct cl_ent *cl_find(struct og *g, uint32_t sess, const uint8_t *k)
{
	uint32_t h = cl_hash(sess, k);
	for (uint32_t i = h & g->cl_mask, n = 0; n <= g->cl_mask; i = (i + 1) & g->cl_mask, n++) {
		struct cl_ent *e = &g->cl[i];
		if (!e->order_id)
			return NULL;
		if (e->hash == h && e->sess == sess && !memcmp(e->key, k, ME_CLORDID_LEN))
			return e;
	}
	return NULL;
}

static void cl_insert(struct og *g, uint32_t sess, const uint8_t *k, uint64_t order_id)
{
	uint32_t h = cl_hash(sess, k);
	/* Sized at twice the order pool: a free slot always exists. */
	for (uint32_t i = h & g->cl_mask, n = 0; n <= g->cl_mask; i = (i + 1) & g->cl_mask, n++) {
		struct cl_ent *e = &g->cl[i];
		if (!e->order_id || (e->hash == h && e->sess == sess && !memcmp(e->key, k, ME_CLORDID_LEN))) {
			e->order_id = order_id;
			e->sess = sess;
			e->hash = h;
			e->done = 0;
			memcpy(e->key, k, ME_CLORDID_LEN);
			return;
		}
	}
}

static void cl_erase(struct og *g, struct cl_ent *e)
{
	uint32_t i = (uint32_t)(e - g->cl), j = i;
	for (uint32_t n = 0; n <= g->cl_mask; n++) {
		j = (j + 1) & g->cl_mask;
		struct cl_ent *f = &g->cl[j];
		if (!f->order_id)
			break;
		uint32_t home = f->hash & g->cl_mask;
		/* Move f back to i when i lies cyclically in [home, j). */
		if (((j - home) & g->cl_mask) >= ((j - i) & g->cl_mask)) {
			g->cl[i] = *f;
			i = j;
		}
	}
	g->cl[i].order_id = 0;
}

/* The order behind (sess, k) finished: keep the id for duplicate checks, in
 * FIFO order, forgetting the oldest finished id when the FIFO is full. */
static void cl_finish(struct og *g, uint32_t sess, const uint8_t *k, const struct me_order_info *o)
{
	struct cl_ent *e = cl_find(g, sess, k);
	if (!e || e->order_id != o->order_id || e->done)
		return;
	if (g->done_n == g->done_cap) {
		struct cl_done *old = &g->done[g->done_head];
		struct cl_ent *x = cl_find(g, old->sess, old->key);
		if (x && x->done && x->order_id == old->order_id)
			cl_erase(g, x);
		g->done_head = (g->done_head + 1) % g->done_cap;
		g->done_n--;
		e = cl_find(g, sess, k); /* the erase may have moved it */
	}
	uint32_t slot = (g->done_head + g->done_n) % g->done_cap;
	struct cl_done *d = &g->done[slot];
	d->order_id = o->order_id;
	d->sess = sess;
	memcpy(d->key, k, ME_CLORDID_LEN);
	d->info = *o;
	d->cum_notional = g->cum_notional[ME_ORDER_SLOT(o->order_id) % me_capacity(g->me)];
	e->done = slot + 1;
	g->done_n++;
}

/* ---- helpers ------------------------------------------------------------- */

static struct fix_str fstr(const char *p, size_t n) { return (struct fix_str){ p, (uint32_t)n }; }

static size_t clordid_len(const uint8_t *k)
{
	size_t n = 0;
	while (n < ME_CLORDID_LEN && k[n])
		n++;
	return n;
}

static int pack_clordid(struct fix_str s, uint8_t out[ME_CLORDID_LEN])
{
	if (s.len == 0 || s.len > ME_CLORDID_LEN)
		return -1;
	memset(out, 0, ME_CLORDID_LEN);
	memcpy(out, s.p, s.len);
	return 0;
}

/* OrderID (37): the engine's order id, which replay reproduces. */
static struct fix_str order_id_str(uint64_t id, char *buf)
{
	return fstr(buf, fix_fmt_uint(buf, id));
}

/* ExecID (17): the engine event sequence (replay reproduces it), with a
 * suffix for the second report of a trade; gateway rejects, which are not
 * journaled, use "R<boot second>.<n>". */
static struct fix_str exec_id_str(uint64_t ev_seq, int k, char *buf)
{
	size_t l = fix_fmt_uint(buf, ev_seq);
	if (k) {
		buf[l++] = '.';
		buf[l++] = (char)('0' + k);
	}
	return fstr(buf, l);
}

static struct fix_str gw_exec_id(struct og *g, char *buf)
{
	size_t l = 0;
	buf[l++] = 'R';
	l += fix_fmt_uint(buf + l, g->boot_s);
	buf[l++] = '.';
	l += fix_fmt_uint(buf + l, ++g->exec_seq);
	return fstr(buf, l);
}

static int parse_order_id(struct fix_str s, uint64_t *id)
{
	return fix_parse_uint(s.p, s.len, id);
}

static int find_symbol(const struct og *g, struct fix_str s)
{
	for (uint32_t i = 0; i < g->cfg.n_instruments; i++)
		if (strlen(g->cfg.instruments[i].symbol) == s.len && !memcmp(g->cfg.instruments[i].symbol, s.p, s.len))
			return (int)i;
	return -1;
}

/* Account name (FIX 1) → dense id. With commit 0 the id a new name would
 * get is returned without recording it: the assignment is committed only
 * once the order's journal record is written, so replay, which sees only
 * journaled orders, assigns the same ids in the same order. */
static int account_id(struct og *g, const struct og_sess *ss, struct fix_str a, uint32_t *out, int commit)
{
	if (!a.p) {
		*out = ss->account;
		return 0;
	}
	if (a.len >= ACCT_NAME)
		return -1;
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < a.len; i++)
		h = (h ^ (uint8_t)a.p[i]) * 16777619u;
	for (uint32_t i = h % (2 * MAX_ACCOUNTS), n = 0; n < 2 * MAX_ACCOUNTS; i = (i + 1) % (2 * MAX_ACCOUNTS), n++) {
		struct acct_ent *e = &g->accts[i];
		if (!e->id) {
			if (g->next_acct >= OG_FIX_NAMED_ACCOUNT_MAX)
				return -1;
			*out = g->next_acct;
			if (commit) {
				memcpy(e->name, a.p, a.len);
				e->name[a.len] = '\0';
				e->id = g->next_acct++;
			}
			return 0;
		}
		if (strlen(e->name) == a.len && !memcmp(e->name, a.p, a.len)) {
			*out = e->id;
			return 0;
		}
	}
	return -1;
}

static char ord_status(const struct me_order_info *o)
{
	if (o->leaves == 0)
		return o->cum >= o->qty ? '2' : '4';
	return o->cum ? '1' : '0';
}

static int rej_reason_103(unsigned r)
{
	switch (r) {
	case ME_REJ_UNKNOWN_INSTRUMENT: return 1;
	case ME_REJ_INSTRUMENT_HALTED:
	case ME_REJ_INSTRUMENT_CLOSED: return 2;
	case ME_REJ_RISK_MAX_QTY:
	case ME_REJ_RISK_MAX_NOTIONAL:
	case ME_REJ_RISK_CREDIT:
	case ME_REJ_RISK_SESSION_OPEN_ORDERS:
	case ME_REJ_RISK_ACCOUNT_OPEN_ORDERS: return 3;
	case ME_REJ_PRICE_BAND:
	case ME_REJ_RISK_PRICE_COLLAR:
	case ME_REJ_PRICE_OUT_OF_RANGE:
	case ME_REJ_TICK_SIZE: return 99;
	default: return 99;
	}
}

/* Fill the common part of a report about order o, for engine event ev_seq. */
static void report_base(struct og *g, struct fix_exec_report *er, const struct me_order_info *o, char *oid,
			char *eid, uint64_t ev_seq, int k)
{
	memset(er, 0, sizeof(*er));
	er->order_id = o->order_id ? order_id_str(o->order_id, oid) : fstr("NONE", 4);
	er->exec_id = ev_seq ? exec_id_str(ev_seq, k, eid) : gw_exec_id(g, eid);
	er->cl_ord_id = fstr((const char *)o->cl_ord_id, clordid_len(o->cl_ord_id));
	const char *sym = o->instrument_id < g->cfg.n_instruments ? g->cfg.instruments[o->instrument_id].symbol : "?";
	er->symbol = fstr(sym, strlen(sym));
	er->side = (char)('0' + o->side);
	er->ord_type = (char)('0' + o->type);
	er->tif = (char)('0' + o->tif);
	er->ord_rej_reason = -1;
	er->order_qty = o->qty;
	er->leaves_qty = o->leaves;
	er->cum_qty = o->cum;
	er->price = o->type == ME_LIMIT ? o->price : ORION_PX_NONE;
	int64_t cn = o->order_id ? g->cum_notional[ME_ORDER_SLOT(o->order_id) % me_capacity(g->me)] : 0;
	er->avg_px = o->cum ? cn / (int64_t)o->cum : 0;
	er->last_px = ORION_PX_NONE;
	er->transact_time_ns = g->now;
}

static struct fix_session *session_of(struct og *g, uint32_t sid)
{
	return sid < g->n_sess ? g->sess[sid].fs : NULL;
}

static void send_report(struct og *g, uint32_t sid, const struct fix_exec_report *er)
{
	if (g->replaying)
		return;
	struct fix_session *fs = session_of(g, sid);
	if (fs && fix_send_exec_report(fs, er, g->now) >= 0)
		g->st.reports_out++;
}

/* ---- journal --------------------------------------------------------------- */

static struct og_jr_head jr_head(const struct og_sess *ss)
{
	return (struct og_jr_head){ .sess = ss->id, .out_seq = fix_session_next_sender_seq(ss->fs) };
}

/* Append a request before it runs. Returns 0, or -1 when the journal cannot
 * take it (the caller rejects the request: back-pressure, never a stall). */
static int journal(struct og *g, uint16_t type, const void *rec, uint32_t len)
{
	g->cur_jseq = 0;
	if (!g->jw)
		return 0;
	int64_t seq = jr_append(g->jw, type, rec, len, g->now);
	if (seq < 0) {
		g->st.journal_rejects++;
		return -1;
	}
	g->cur_jseq = (uint64_t)seq;
	g->st.journal_appends++;
	return 0;
}

/* ---- engine events → FIX ------------------------------------------------- */

static void on_me_event(void *ctx, const struct me_event *ev)
{
	struct og *g = ctx;
	struct fix_exec_report er;
	char oid[48], eid[48];
	/* FNV-1a over the event record: the replay's state fingerprint. */
	const uint8_t *b = (const uint8_t *)ev;
	for (size_t i = 0; i < sizeof(*ev); i++)
		g->checksum = (g->checksum ^ b[i]) * 0x100000001b3ull;
	if (!g->replaying) {
		/* Outbox: the event goes to the journal (for export) and to the
		 * control plane's ring (live views). */
		if (g->jw && jr_append(g->jw, OG_JR_EVENT, ev, sizeof(*ev), ev->ts_ns) < 0)
			g->st.events_unjournaled++;
		if (g->io.event) {
			if (g->io.event(g->io.ctx, ev) == 0)
				g->st.events_out++;
			else
				g->st.events_dropped++;
		}
	}
	switch (ev->type) {
	case ME_EV_ACCEPTED: {
		const struct me_order_info *o = &ev->u.order;
		g->cum_notional[ME_ORDER_SLOT(o->order_id) % me_capacity(g->me)] = 0;
		cl_insert(g, o->session_id, o->cl_ord_id, o->order_id);
		report_base(g, &er, o, oid, eid, ev->seq, 0);
		er.exec_type = '0';
		er.ord_status = '0';
		send_report(g, o->session_id, &er);
		break;
	}
	case ME_EV_REJECTED: {
		const struct me_order_info *o = &ev->u.order;
		report_base(g, &er, o, oid, eid, ev->seq, 0);
		er.exec_type = '8';
		er.ord_status = '8';
		er.leaves_qty = 0;
		er.ord_rej_reason = rej_reason_103(ev->reason);
		const char *t = me_reject_text(ev->reason);
		er.text = fstr(t, strlen(t));
		send_report(g, o->session_id, &er);
		break;
	}
	case ME_EV_TRADE: {
		const struct me_order_info *sides[2] = { &ev->u.trade.maker, &ev->u.trade.taker };
		for (int i = 0; i < 2; i++) {
			const struct me_order_info *o = sides[i];
			int64_t *cn = &g->cum_notional[ME_ORDER_SLOT(o->order_id) % me_capacity(g->me)];
			int64_t value = ev->u.trade.price * (int64_t)ev->u.trade.qty;
			*cn += value;
			if (o->account_id < MAX_ACCOUNTS && o->instrument_id < g->cfg.n_instruments) {
				struct og_position *p = &g->pos[(size_t)o->account_id * g->cfg.n_instruments + o->instrument_id];
				if (o->side == ME_BUY) {
					p->net_qty += ev->u.trade.qty;
					p->cost += value;
					p->bought += ev->u.trade.qty;
				} else {
					p->net_qty -= ev->u.trade.qty;
					p->cost -= value;
					p->sold += ev->u.trade.qty;
				}
			}
			report_base(g, &er, o, oid, eid, ev->seq, i);
			er.exec_type = 'F';
			er.ord_status = o->leaves ? '1' : '2';
			er.last_px = ev->u.trade.price;
			er.last_qty = ev->u.trade.qty;
			send_report(g, o->session_id, &er);
			if (!o->leaves)
				cl_finish(g, o->session_id, o->cl_ord_id, o);
		}
		break;
	}
	case ME_EV_CANCELED: {
		const struct me_order_info *o = &ev->u.canceled.order;
		report_base(g, &er, o, oid, eid, ev->seq, 0);
		er.exec_type = '4';
		er.ord_status = '4';
		if (ev->u.canceled.req_cl_ord_id[0]) {
			er.orig_cl_ord_id = er.cl_ord_id;
			er.cl_ord_id = fstr((const char *)ev->u.canceled.req_cl_ord_id,
					    clordid_len(ev->u.canceled.req_cl_ord_id));
		}
		const char *t = me_cxl_reason_name(ev->reason);
		er.text = fstr(t, strlen(t));
		send_report(g, o->session_id, &er);
		cl_finish(g, o->session_id, o->cl_ord_id, o);
		break;
	}
	case ME_EV_REPLACED: {
		const struct me_order_info *o = &ev->u.replaced.order;
		cl_finish(g, o->session_id, ev->u.replaced.orig_cl_ord_id, o);
		cl_insert(g, o->session_id, o->cl_ord_id, o->order_id);
		report_base(g, &er, o, oid, eid, ev->seq, 0);
		er.exec_type = '5';
		er.ord_status = ord_status(o);
		er.orig_cl_ord_id = fstr((const char *)ev->u.replaced.orig_cl_ord_id,
					 clordid_len(ev->u.replaced.orig_cl_ord_id));
		send_report(g, o->session_id, &er);
		break;
	}
	case ME_EV_CANCEL_REJECTED: {
		struct fix_session *fs = session_of(g, ev->u.cxl_rej.session_id);
		if (!fs || g->replaying)
			break;
		struct me_order_info o;
		char st = '8';
		struct fix_str orig = fstr(NULL, 0), order = fstr("NONE", 4);
		if (ev->u.cxl_rej.order_id && me_get_order(g->me, ev->u.cxl_rej.order_id, &o) == 0) {
			st = ord_status(&o);
			orig = fstr((const char *)o.cl_ord_id, clordid_len(o.cl_ord_id));
			order = order_id_str(o.order_id, oid);
		}
		const uint8_t *k = ev->u.cxl_rej.cl_ord_id;
		int reason = ev->reason == ME_REJ_UNKNOWN_ORDER || ev->reason == ME_REJ_NOT_OWNER ? 1 : 99;
		if (fix_send_cancel_reject(fs, order, fstr((const char *)k, clordid_len(k)), orig, st,
					   ev->u.cxl_rej.is_replace ? '2' : '1', reason, me_reject_text(ev->reason),
					   g->now) >= 0)
			g->st.reports_out++;
		break;
	}
	default:
		break;
	}
}

static void on_me_tick(void *ctx, const struct md_tick *t)
{
	struct og *g = ctx;
	if (g->tick_fn)
		g->tick_fn(g->tick_ctx, t);
}

/* ---- application messages ------------------------------------------------ */

static void reject_new(struct og *g, struct og_sess *ss, const struct fix_order *o, enum og_app_err why,
		       int reason103, const char *text)
{
	g->st.app_err[why]++;
	char eid[48];
	struct fix_exec_report er;
	memset(&er, 0, sizeof(er));
	er.order_id = fstr("NONE", 4);
	er.exec_id = gw_exec_id(g, eid);
	er.cl_ord_id = o->cl_ord_id.p ? o->cl_ord_id : fstr("NONE", 4);
	er.symbol = o->symbol.p ? o->symbol : fstr("?", 1);
	er.side = o->side ? o->side : '1';
	er.exec_type = '8';
	er.ord_status = '8';
	er.ord_rej_reason = reason103;
	er.order_qty = o->qty > 0 ? o->qty : -1;
	er.price = ORION_PX_NONE;
	er.last_px = ORION_PX_NONE;
	er.text = fstr(text, strlen(text));
	er.transact_time_ns = g->now;
	if (fix_send_exec_report(ss->fs, &er, g->now) >= 0)
		g->st.reports_out++;
}

static void cancel_reject(struct og *g, struct og_sess *ss, struct fix_str cl, struct fix_str orig, char to,
			  int reason, const char *text)
{
	if (fix_send_cancel_reject(ss->fs, fstr("NONE", 4), cl, orig, '8', to, reason, text, g->now) >= 0)
		g->st.reports_out++;
}

static int has_exec_inst(const struct fix_msg *m, char c)
{
	const struct fix_field *f = fix_msg_get(m, 18);
	return f && memchr(f->val, c, f->len) != NULL;
}

/* Resolve the live order a cancel/replace/status names (41, else 37). */
static uint64_t resolve_order(struct og *g, struct og_sess *ss, struct fix_str orig, struct fix_str order_id)
{
	uint8_t k[ME_CLORDID_LEN];
	if (orig.p && pack_clordid(orig, k) == 0) {
		struct cl_ent *e = cl_find(g, ss->id, k);
		if (e && !e->done)
			return e->order_id;
	}
	uint64_t id;
	if (order_id.p && parse_order_id(order_id, &id) == 0)
		return id;
	return 0;
}

static void on_new_order(struct og *g, struct og_sess *ss, const struct fix_msg *m)
{
	struct fix_order o;
	struct fix_app_error e;
	g->st.orders_in++;
	if (fix_decode_order(m, &o, &e) != 0) {
		reject_new(g, ss, &o, OG_ERR_DECODE, 99, e.text ? e.text : "invalid order");
		return;
	}
	struct me_new_order req;
	memset(&req, 0, sizeof(req));
	if (pack_clordid(o.cl_ord_id, req.cl_ord_id) != 0) {
		reject_new(g, ss, &o, OG_ERR_CLORDID_TOO_LONG, 99, "ClOrdID longer than 20 bytes");
		return;
	}
	if (cl_find(g, ss->id, req.cl_ord_id)) {
		reject_new(g, ss, &o, OG_ERR_DUP_CLORDID, 6, "duplicate ClOrdID");
		return;
	}
	int inst = find_symbol(g, o.symbol);
	if (inst < 0) {
		reject_new(g, ss, &o, OG_ERR_UNKNOWN_SYMBOL, 1, "unknown symbol");
		return;
	}
	if ((o.side != '1' && o.side != '2') || (o.ord_type != '1' && o.ord_type != '2') ||
	    (o.tif != '0' && o.tif != '1' && o.tif != '3' && o.tif != '4') || o.qty > UINT32_MAX) {
		reject_new(g, ss, &o, OG_ERR_UNSUPPORTED, 99,
			   "unsupported side, order type (1, 2), time in force (0, 1, 3, 4) or quantity");
		return;
	}
	if (account_id(g, ss, o.account, &req.account_id, 0) != 0) {
		reject_new(g, ss, &o, OG_ERR_ACCOUNTS_FULL, 99, "unknown account (table full or name too long)");
		return;
	}
	req.instrument_id = (uint32_t)inst;
	req.session_id = ss->id;
	req.tenant_id = fix_session_config(ss->fs)->tenant;
	req.price = o.ord_type == '2' ? o.price : 0;
	req.qty = (uint32_t)o.qty;
	req.side = (uint8_t)(o.side - '0');
	req.type = (uint8_t)(o.ord_type - '0');
	req.tif = (uint8_t)(o.tif - '0');
	req.flags = has_exec_inst(m, '6') ? ME_OF_POST_ONLY : 0;
	req.stp = g->cfg.risk.stp;
	if (g->io.event_room && g->io.event_room(g->io.ctx) < OG_EVENT_ROOM_MIN) {
		reject_new(g, ss, &o, OG_ERR_DOWNSTREAM_BUSY, 99, "downstream busy, order not accepted");
		return;
	}
	struct og_jr_new rec = { .h = jr_head(ss), .req = req };
	if (o.account.p)
		memcpy(rec.account, o.account.p, o.account.len); /* < ACCT_NAME, checked by account_id() */
	if (journal(g, OG_JR_NEW, &rec, sizeof(rec)) != 0) {
		reject_new(g, ss, &o, OG_ERR_JOURNAL, 99, "journal unavailable, order not accepted");
		return;
	}
	account_id(g, ss, o.account, &req.account_id, 1);
	risk_new_order(g->risk, &req, g->now);
}

static void on_cancel(struct og *g, struct og_sess *ss, const struct fix_msg *m)
{
	struct fix_cancel c;
	struct fix_app_error e;
	g->st.cancels_in++;
	if (fix_decode_cancel(m, &c, &e) != 0) {
		g->st.app_err[OG_ERR_DECODE]++;
		cancel_reject(g, ss, c.cl_ord_id, c.orig_cl_ord_id, '1', 99, e.text ? e.text : "invalid cancel");
		return;
	}
	struct me_cancel_req req;
	memset(&req, 0, sizeof(req));
	if (pack_clordid(c.cl_ord_id, req.cl_ord_id) != 0) {
		g->st.app_err[OG_ERR_CLORDID_TOO_LONG]++;
		cancel_reject(g, ss, c.cl_ord_id, c.orig_cl_ord_id, '1', 99, "ClOrdID longer than 20 bytes");
		return;
	}
	req.order_id = resolve_order(g, ss, c.orig_cl_ord_id, c.order_id);
	req.session_id = ss->id;
	if (!req.order_id) {
		g->st.app_err[OG_ERR_UNKNOWN_ORDER]++;
		cancel_reject(g, ss, c.cl_ord_id, c.orig_cl_ord_id, '1', 1, "unknown order");
		return;
	}
	struct og_jr_cancel rec = { .h = jr_head(ss), .req = req };
	if (journal(g, OG_JR_CANCEL, &rec, sizeof(rec)) != 0) {
		g->st.app_err[OG_ERR_JOURNAL]++;
		cancel_reject(g, ss, c.cl_ord_id, c.orig_cl_ord_id, '1', 99, "journal unavailable");
		return;
	}
	risk_cancel(g->risk, &req, g->now);
}

static void on_replace(struct og *g, struct og_sess *ss, const struct fix_msg *m)
{
	struct fix_order o;
	struct fix_app_error e;
	g->st.replaces_in++;
	if (fix_decode_order(m, &o, &e) != 0) {
		g->st.app_err[OG_ERR_DECODE]++;
		cancel_reject(g, ss, o.cl_ord_id, o.orig_cl_ord_id, '2', 99, e.text ? e.text : "invalid replace");
		return;
	}
	struct me_replace_req req;
	memset(&req, 0, sizeof(req));
	if (pack_clordid(o.cl_ord_id, req.cl_ord_id) != 0 || o.qty > UINT32_MAX) {
		g->st.app_err[OG_ERR_CLORDID_TOO_LONG]++;
		cancel_reject(g, ss, o.cl_ord_id, o.orig_cl_ord_id, '2', 99, "ClOrdID longer than 20 bytes");
		return;
	}
	if (cl_find(g, ss->id, req.cl_ord_id)) {
		g->st.app_err[OG_ERR_DUP_CLORDID]++;
		cancel_reject(g, ss, o.cl_ord_id, o.orig_cl_ord_id, '2', 6, "duplicate ClOrdID");
		return;
	}
	req.order_id = resolve_order(g, ss, o.orig_cl_ord_id, o.order_id);
	req.session_id = ss->id;
	if (!req.order_id) {
		g->st.app_err[OG_ERR_UNKNOWN_ORDER]++;
		cancel_reject(g, ss, o.cl_ord_id, o.orig_cl_ord_id, '2', 1, "unknown order");
		return;
	}
	struct me_order_info cur;
	req.qty = (uint32_t)o.qty;
	req.price = o.price;
	if (req.price == ORION_PX_NONE && me_get_order(g->me, req.order_id, &cur) == 0)
		req.price = cur.price;
	struct og_jr_replace rec = { .h = jr_head(ss), .req = req };
	if (journal(g, OG_JR_REPLACE, &rec, sizeof(rec)) != 0) {
		g->st.app_err[OG_ERR_JOURNAL]++;
		cancel_reject(g, ss, o.cl_ord_id, o.orig_cl_ord_id, '2', 99, "journal unavailable");
		return;
	}
	risk_replace(g->risk, &req, g->now);
}

static void on_status(struct og *g, struct og_sess *ss, const struct fix_msg *m)
{
	g->st.status_in++;
	const struct fix_field *f11 = fix_msg_get(m, 11), *f37 = fix_msg_get(m, 37), *f55 = fix_msg_get(m, 55),
			       *f54 = fix_msg_get(m, 54);
	struct fix_str cl = f11 ? fstr(f11->val, f11->len) : fstr(NULL, 0);
	uint64_t id = resolve_order(g, ss, cl, f37 ? fstr(f37->val, f37->len) : fstr(NULL, 0));
	struct me_order_info o;
	struct fix_exec_report er;
	char oid[48], eid[48];
	if (id && me_get_order(g->me, id, &o) == 0 && o.session_id == ss->id) {
		report_base(g, &er, &o, oid, eid, 0, 0);
		er.exec_type = 'I';
		er.ord_status = ord_status(&o);
		if (fix_send_exec_report(ss->fs, &er, g->now) >= 0)
			g->st.reports_out++;
		return;
	}
	/* A finished order still in the FIFO: its final state. */
	uint8_t k[ME_CLORDID_LEN];
	struct cl_ent *e = cl.p && pack_clordid(cl, k) == 0 ? cl_find(g, ss->id, k) : NULL;
	if (e && e->done) {
		const struct cl_done *d = &g->done[e->done - 1];
		report_base(g, &er, &d->info, oid, eid, 0, 0);
		er.avg_px = d->info.cum ? d->cum_notional / (int64_t)d->info.cum : 0;
		er.exec_type = 'I';
		er.ord_status = d->info.cum >= d->info.qty ? '2' : '4';
		er.leaves_qty = 0;
		if (fix_send_exec_report(ss->fs, &er, g->now) >= 0)
			g->st.reports_out++;
		return;
	}
	g->st.app_err[OG_ERR_UNKNOWN_ORDER]++;
	memset(&er, 0, sizeof(er));
	er.order_id = f37 ? fstr(f37->val, f37->len) : fstr("NONE", 4);
	er.exec_id = gw_exec_id(g, eid);
	er.cl_ord_id = cl.p ? cl : fstr("NONE", 4);
	er.symbol = f55 ? fstr(f55->val, f55->len) : fstr("?", 1);
	er.side = f54 && f54->len ? f54->val[0] : '1';
	er.exec_type = 'I';
	er.ord_status = '8';
	er.ord_rej_reason = -1;
	er.order_qty = -1;
	er.price = ORION_PX_NONE;
	er.last_px = ORION_PX_NONE;
	er.text = fstr("unknown order", 13);
	er.transact_time_ns = g->now;
	if (fix_send_exec_report(ss->fs, &er, g->now) >= 0)
		g->st.reports_out++;
}

/* Run a journaled mass cancel and answer it (unless replaying). */
static void exec_mass(struct og *g, struct og_sess *ss, const struct og_jr_mass *r)
{
	uint32_t n = 0;
	me_mass_cancel(g->me, &r->mc, g->now, &n);
	if (!r->report || g->replaying)
		return;
	struct fix_builder b;
	char id[32];
	if (fix_session_begin(ss->fs, &b, "r", g->now) != 0)
		return;
	if (r->cl_ord_id[0])
		fix_build_str(&b, 11, r->cl_ord_id, strlen(r->cl_ord_id));
	id[0] = 'M';
	size_t l = 1 + fix_fmt_uint(id + 1, g->cur_jseq ? g->cur_jseq : ++g->mc_seq);
	fix_build_str(&b, 37, id, l);
	fix_build_char(&b, 530, r->type);
	fix_build_char(&b, 531, r->type);
	fix_build_uint(&b, 533, n);
	if (fix_session_commit(ss->fs, &b) >= 0)
		g->st.reports_out++;
}

static void on_mass_cancel(struct og *g, struct og_sess *ss, const struct fix_msg *m)
{
	g->st.mass_cancels_in++;
	const struct fix_field *f11 = fix_msg_get(m, 11), *f530 = fix_msg_get(m, 530), *f55 = fix_msg_get(m, 55);
	char type = f530 && f530->len == 1 ? f530->val[0] : 0;
	struct og_jr_mass rec = { .h = jr_head(ss), .report = 1, .type = type ? type : '7',
				  .mc = { .match = ME_MC_SESSION, .session_id = ss->id, .reason = ME_CXL_MASS } };
	if (f11 && f11->len <= ME_CLORDID_LEN)
		memcpy(rec.cl_ord_id, f11->val, f11->len);
	int rej = -1;
	if (type == '1') {
		int inst = f55 ? find_symbol(g, fstr(f55->val, f55->len)) : -1;
		if (inst < 0)
			rej = 1; /* unknown security */
		rec.mc.match |= ME_MC_INSTRUMENT;
		rec.mc.instrument_id = (uint32_t)(inst < 0 ? 0 : inst);
	} else if (type != '7') {
		rej = 99; /* only by security (1) and all orders (7) */
	}
	if (rej < 0 && journal(g, OG_JR_MASS, &rec, sizeof(rec)) != 0)
		rej = 99;
	if (rej < 0) {
		exec_mass(g, ss, &rec);
		return;
	}
	g->st.app_err[rej == 1 ? OG_ERR_UNKNOWN_SYMBOL : OG_ERR_UNSUPPORTED]++;
	struct fix_builder b;
	char id[48];
	if (fix_session_begin(ss->fs, &b, "r", g->now) != 0)
		return;
	if (f11)
		fix_build_str(&b, 11, f11->val, f11->len);
	struct fix_str mid = gw_exec_id(g, id);
	fix_build_str(&b, 37, mid.p, mid.len);
	fix_build_char(&b, 530, type ? type : '7');
	fix_build_char(&b, 531, '0');
	fix_build_int(&b, 532, rej);
	fix_build_uint(&b, 533, 0);
	if (fix_session_commit(ss->fs, &b) >= 0)
		g->st.reports_out++;
}

static void deliver_app(void *ctx, struct fix_session *s, const struct fix_msg *m)
{
	struct og_sess *ss = ctx;
	struct og *g = ss->g;
	(void)s;
	if (m->msgtype_len == 1) {
		switch (m->msgtype[0]) {
		case 'D': on_new_order(g, ss, m); return;
		case 'F': on_cancel(g, ss, m); return;
		case 'G': on_replace(g, ss, m); return;
		case 'H': on_status(g, ss, m); return;
		case 'q': on_mass_cancel(g, ss, m); return;
		default: break;
		}
	}
	g->st.app_err[OG_ERR_UNSUPPORTED_MSG]++;
	fix_session_send_business_reject(ss->fs, m, FIX_BRR_UNSUPPORTED_MSGTYPE, "unsupported message type", g->now);
}

/* Every application message ends here: later sends (heartbeats, admin
 * replies) are not tied to its journal record. */
static void on_deliver(void *ctx, struct fix_session *s, const struct fix_msg *m)
{
	struct og_sess *ss = ctx;
	deliver_app(ctx, s, m);
	ss->g->cur_jseq = 0;
}

/* ---- transport ----------------------------------------------------------- */

static void conn_close(struct og *g, int ci, enum og_close why)
{
	struct og_conn *c = &g->conns[ci];
	if (c->state == CONN_FREE)
		return;
	if (c->state == CONN_BOUND) {
		struct og_sess *ss = &g->sess[c->sess];
		ss->conn = -1;
		ss->out_len = ss->out_off = 0;
		ss->want_out = 0;
	}
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = CONN_FREE;
	c->fd = -1;
	c->pre_len = 0;
	g->st.closed[why]++;
	g->st.open_conns--;
}

static void want_out(struct og *g, struct og_sess *ss, int on)
{
	if (ss->want_out == on || ss->conn < 0)
		return;
	struct og_conn *c = &g->conns[ss->conn];
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)ss->conn };
	epoll_ctl(g->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	ss->want_out = on;
}

static void flush_out(struct og *g, struct og_sess *ss);

/* Outbound bytes are gathered per session and written once per poll turn
 * (og_poll flushes the sessions marked dirty): one send() carries every
 * report of a burst instead of one syscall per report. */
static int sess_send(void *ctx, const char *data, size_t len)
{
	struct og_sess *ss = ctx;
	struct og *g = ss->g;
	if (ss->conn < 0)
		return -ENOTCONN;
	/* Power-safe mode: nothing about a request leaves before the journal
	 * holding it is flushed (group commit: og_poll releases held bytes). */
	if (g->cfg.journal.power_safe && g->jw && g->cur_jseq > jr_durable_seq(g->jw)) {
		if (g->cur_jseq > ss->hold_seq)
			ss->hold_seq = g->cur_jseq;
		g->st.held_for_durability++;
	}
	if (ss->out_off + ss->out_len + len > OUT_BUF) {
		flush_out(g, ss);
		if (ss->conn < 0)
			return -EPIPE;
		memmove(ss->out, ss->out + ss->out_off, ss->out_len);
		ss->out_off = 0;
		if (ss->out_len + len > OUT_BUF)
			return -ENOBUFS; /* the session disconnects: the peer stopped reading */
	}
	memcpy(ss->out + ss->out_off + ss->out_len, data, len);
	ss->out_len += (uint32_t)len;
	if (!ss->dirty) {
		ss->dirty = 1;
		g->dirty[g->n_dirty++] = ss->id;
	}
	return 0;
}

static void flush_out(struct og *g, struct og_sess *ss)
{
	if (ss->conn < 0 || !ss->out_len)
		return;
	if (ss->hold_seq && g->jw && ss->hold_seq > jr_durable_seq(g->jw))
		return; /* power-safe: not durable yet */
	ss->hold_seq = 0;
	g->st.send_calls++;
	ssize_t w = send(g->conns[ss->conn].fd, ss->out + ss->out_off, ss->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			int ci = ss->conn;
			fix_session_on_disconnect(ss->fs, g->now);
			conn_close(g, ci, OG_CLOSE_PEER);
		}
		return;
	}
	g->st.bytes_out += (uint64_t)w;
	ss->out_off += (uint32_t)w;
	ss->out_len -= (uint32_t)w;
	if (ss->out_len)
		g->st.send_partial++;
	if (!ss->out_len) {
		ss->out_off = 0;
		want_out(g, ss, 0);
	}
}

static void sess_disconnect(void *ctx, struct fix_session *s, enum fix_disc_reason r, const char *text)
{
	struct og_sess *ss = ctx;
	(void)s;
	(void)r;
	(void)text;
	if (ss->conn >= 0) {
		flush_out(ss->g, ss); /* best effort: the Logout we just sent */
		if (ss->conn >= 0)
			conn_close(ss->g, ss->conn, OG_CLOSE_SESSION);
	}
}

static void journal_session(struct og_sess *ss, uint32_t kind)
{
	struct og *g = ss->g;
	if (!g->jw)
		return;
	struct og_jr_session r = { .sess = ss->id, .kind = kind,
				   .in_seq = fix_session_next_target_seq(ss->fs),
				   .out_seq = fix_session_next_sender_seq(ss->fs) };
	snprintf(r.target_comp_id, sizeof(r.target_comp_id), "%s", fix_session_config(ss->fs)->target_comp_id);
	if (jr_append(g->jw, OG_JR_SESSION, &r, sizeof(r), g->now) < 0)
		g->st.events_unjournaled++;
}

static void sess_on_logon(void *ctx, struct fix_session *s)
{
	(void)s;
	journal_session(ctx, OG_SESS_LOGON);
}

static void sess_on_logout(void *ctx, struct fix_session *s)
{
	struct og_sess *ss = ctx;
	journal_session(ss, OG_SESS_LOGOUT);
	if (fix_session_config(s)->cancel_on_disconnect) {
		struct og_jr_mass rec = { .h = jr_head(ss), .type = '7',
					  .mc = { .match = ME_MC_SESSION, .session_id = ss->id, .reason = ME_CXL_MASS } };
		if (journal(ss->g, OG_JR_MASS, &rec, sizeof(rec)) == 0)
			exec_mass(ss->g, ss, &rec);
	}
}

static const struct fix_session_ops g_sess_ops = {
	.send = sess_send,
	.deliver = on_deliver,
	.disconnect = sess_disconnect,
	.on_logout = sess_on_logout,
	.on_logon = sess_on_logon,
};

/* Route a pre-logon connection once its first message is complete: find the
 * session by the Logon's CompIDs (their 49 = our target, their 56 = our
 * sender) and hand the connection and the bytes to it. The session itself
 * then checks everything else (first message must be a Logon, credentials,
 * sequence numbers) and answers as the specification asks. */
static void route_prelogon(struct og *g, int ci)
{
	struct og_conn *c = &g->conns[ci];
	struct fix_frame fr;
	enum fix_frame_rc rc = fix_frame(c->pre, c->pre_len, PRE_BUF, &fr);
	if (rc == FIX_FRAME_NEED_MORE) {
		if (c->pre_len >= PRE_BUF)
			conn_close(g, ci, OG_CLOSE_PRELOGON_GARBLED);
		return;
	}
	struct fix_msg *m = &g->pre_msg;
	if (rc != FIX_FRAME_MSG || fix_parse(m, c->pre, fr.len, NULL) != 0) {
		conn_close(g, ci, OG_CLOSE_PRELOGON_GARBLED);
		return;
	}
	const struct fix_field *s49 = fix_msg_get(m, 49), *s56 = fix_msg_get(m, 56);
	int found = -1;
	for (unsigned i = 0; s49 && s56 && i < g->n_sess; i++) {
		const struct fix_session_cfg *sc = fix_session_config(g->sess[i].fs);
		if (strlen(sc->target_comp_id) == s49->len && !memcmp(sc->target_comp_id, s49->val, s49->len) &&
		    strlen(sc->sender_comp_id) == s56->len && !memcmp(sc->sender_comp_id, s56->val, s56->len)) {
			found = (int)i;
			break;
		}
	}
	if (found < 0) {
		conn_close(g, ci, OG_CLOSE_UNKNOWN_SESSION);
		return;
	}
	struct og_sess *ss = &g->sess[found];
	if (ss->conn >= 0) {
		conn_close(g, ci, OG_CLOSE_SESSION_BUSY);
		return;
	}
	c->state = CONN_BOUND;
	c->sess = found;
	ss->conn = ci;
	ss->out_len = ss->out_off = 0;
	ss->want_out = 0;
	fix_session_on_connect(ss->fs, g->now);
	uint32_t n = c->pre_len;
	c->pre_len = 0;
	if (fix_session_on_bytes(ss->fs, c->pre, n, g->now) == -ENOTCONN && ss->conn == ci)
		conn_close(g, ci, OG_CLOSE_SESSION);
}

static void on_readable(struct og *g, int ci)
{
	struct og_conn *c = &g->conns[ci];
	for (int k = 0; k < 4 && c->state != CONN_FREE; k++) {
		char *dst = c->state == CONN_PRELOGON ? c->pre + c->pre_len : g->rd;
		size_t cap = c->state == CONN_PRELOGON ? PRE_BUF - c->pre_len : RD_BUF;
		if (cap == 0) {
			conn_close(g, ci, OG_CLOSE_PRELOGON_GARBLED);
			return;
		}
		ssize_t r = recv(c->fd, dst, cap, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			if (c->state == CONN_BOUND)
				fix_session_on_disconnect(g->sess[c->sess].fs, g->now);
			conn_close(g, ci, OG_CLOSE_PEER);
			return;
		}
		if (r < 0)
			return;
		g->st.bytes_in += (uint64_t)r;
		if (c->state == CONN_PRELOGON) {
			c->pre_len += (uint32_t)r;
			route_prelogon(g, ci);
		} else {
			struct og_sess *ss = &g->sess[c->sess];
			if (fix_session_on_bytes(ss->fs, g->rd, (size_t)r, g->now) == -ENOTCONN && ss->conn == ci)
				conn_close(g, ci, OG_CLOSE_SESSION);
		}
		if ((size_t)r < cap)
			return;
	}
}

static void accept_new(struct og *g)
{
	for (int k = 0; k < 64; k++) {
		int fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		int ci = -1;
		for (uint32_t i = 0; i < g->cfg.max_connections; i++)
			if (g->conns[i].state == CONN_FREE) {
				ci = (int)i;
				break;
			}
		g->st.accepted_conns++;
		if (ci < 0) {
			close(fd);
			g->st.closed[OG_CLOSE_TOO_MANY]++;
			continue;
		}
		struct og_conn *c = &g->conns[ci];
		c->fd = fd;
		c->state = CONN_PRELOGON;
		c->pre_len = 0;
		c->t_open = g->now;
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)ci };
		epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev);
		g->st.open_conns++;
	}
}

static int is_api_session(uint32_t sid)
{
	return sid >= OG_API_SESSION_BASE && sid < OG_API_SESSION_BASE + OG_API_MAX_USERS;
}

static void api_clordid(uint64_t corr, uint8_t out[ME_CLORDID_LEN])
{
	memset(out, 0, ME_CLORDID_LEN);
	out[0] = 'A';
	fix_fmt_uint((char *)out + 1, corr); /* at most 20 digits: fits with the 'A' */
}

/* ---- control-plane records (OG_JR_CP) ----------------------------------- */

/* Append one control-plane record: the held one first, else the next from
 * the channel. Returns 1 when one was taken (appended, or dropped as
 * invalid / for want of a journal), 0 when none waits, -1 when the journal
 * refused it (it stays held, in order, for the next try). */
static int cp_take_one(struct og *g)
{
	size_t len = g->cp_hold_len;
	if (!len) {
		if (!g->io.next_cp)
			return 0;
		len = g->io.next_cp(g->io.ctx, g->cp_buf, sizeof(g->cp_buf));
		if (!len)
			return 0;
		if (len > OG_CP_REC_MAX) {
			g->st.cp_invalid++;
			return 1;
		}
	}
	if (!g->jw) {
		g->cp_hold_len = 0;
		g->st.cp_unjournaled++;
		return 1;
	}
	if (jr_append(g->jw, OG_JR_CP, g->cp_buf, (uint32_t)len, g->now) < 0) {
		g->cp_hold_len = len;
		g->st.cp_held++;
		return -1;
	}
	g->cp_hold_len = 0;
	g->st.cp_journaled++;
	return 1;
}

/* Append up to max records; 0 when done or the channel is empty, -1 when
 * the journal refused one. */
static int cp_drain(struct og *g, unsigned max)
{
	for (unsigned k = 0; k < max; k++) {
		int r = cp_take_one(g);
		if (r <= 0)
			return r;
	}
	return 0;
}

/* Before an API request is journaled: append every control-plane record that
 * was waiting when the request was taken (its idempotency key, pushed
 * before it). 0, or -1 when some could not be appended. */
static int cp_before_api(struct og *g)
{
	if (!g->io.next_cp)
		return 0;
	unsigned n = (g->cp_hold_len ? 1u : 0u) + (g->io.cp_count ? g->io.cp_count(g->io.ctx) : 4096u);
	if (cp_drain(g, n) != 0)
		return -1;
	return 0;
}

/* One request from the control plane's API: validated, journaled, then the
 * same risk and engine path as a FIX order. Its outcome comes back as engine
 * events (session OG_API_SESSION_BASE + user). */
static void on_api(struct og *g, const struct og_api_req *a)
{
	struct og_jr_head h = { .sess = OG_API_SESSION_BASE + a->user };
	g->st.api_in++;
	int blocked = cp_before_api(g) != 0; /* its cp records could not go first: refuse it */
	if (blocked)
		g->st.api_cp_blocked++;
	if (a->kind == OG_API_NEW) {
		struct og_jr_new rec = { .h = h };
		struct me_new_order *req = &rec.req;
		req->instrument_id = a->instrument;
		req->session_id = h.sess;
		req->account_id = a->account;
		req->tenant_id = a->tenant;
		req->price = a->ord_type == ME_LIMIT ? a->price : 0;
		req->qty = a->qty;
		req->side = a->side;
		req->type = a->ord_type;
		req->tif = a->tif;
		req->flags = a->post_only ? ME_OF_POST_ONLY : 0;
		req->stp = g->cfg.risk.stp;
		api_clordid(a->corr, req->cl_ord_id);
		if (a->user >= OG_API_MAX_USERS) {
			g->st.api_invalid++;
			return; /* no session to answer: counted */
		}
		if (cl_find(g, h.sess, req->cl_ord_id)) {
			g->st.app_err[OG_ERR_DUP_CLORDID]++;
			me_emit_reject(g->me, req, ME_REJ_INVALID_FLAGS, g->now);
			return;
		}
		if (blocked || (g->io.event_room && g->io.event_room(g->io.ctx) < OG_EVENT_ROOM_MIN) ||
		    journal(g, OG_JR_NEW, &rec, sizeof(rec)) != 0) {
			g->st.app_err[OG_ERR_JOURNAL]++;
			me_emit_reject(g->me, req, ME_REJ_POOL_EXHAUSTED, g->now);
			return;
		}
		risk_new_order(g->risk, req, g->now);
		return;
	}
	if (a->user >= OG_API_MAX_USERS || (a->kind != OG_API_CANCEL && a->kind != OG_API_AMEND)) {
		g->st.api_invalid++;
		return;
	}
	if (a->kind == OG_API_CANCEL) {
		struct og_jr_cancel rec = { .h = h, .req = { .order_id = a->order_id, .session_id = h.sess } };
		api_clordid(a->corr, rec.req.cl_ord_id);
		if (blocked || journal(g, OG_JR_CANCEL, &rec, sizeof(rec)) != 0) {
			me_emit_cancel_reject(g->me, a->order_id, h.sess, rec.req.cl_ord_id, false, ME_REJ_POOL_EXHAUSTED,
					      g->now);
			return;
		}
		risk_cancel(g->risk, &rec.req, g->now);
		return;
	}
	struct og_jr_replace rec = { .h = h, .req = { .order_id = a->order_id, .session_id = h.sess, .qty = a->qty,
						      .price = a->price } };
	api_clordid(a->corr, rec.req.cl_ord_id);
	if (blocked || journal(g, OG_JR_REPLACE, &rec, sizeof(rec)) != 0) {
		me_emit_cancel_reject(g->me, a->order_id, h.sess, rec.req.cl_ord_id, true, ME_REJ_POOL_EXHAUSTED, g->now);
		return;
	}
	risk_replace(g->risk, &rec.req, g->now);
}

/* Journal and apply up to max risk commands from the control plane (and the
 * local admin endpoint). A command the cp thread queued before an API
 * request is visible once that request has been dequeued (release / acquire
 * on both rings), so draining here before each request keeps their order. */
#define OG_CMDS_BEFORE_API 1024u /* the command ring's size */
static void apply_cmds(struct og *g, unsigned max)
{
	if (!g->io.next_cmd)
		return;
	struct og_jr_risk_cmd rc = { .h = { .sess = UINT32_MAX } };
	for (unsigned k = 0; k < max && g->io.next_cmd(g->io.ctx, &rc.cmd); k++) {
		if (journal(g, OG_JR_RISK_CMD, &rc, sizeof(rc)) != 0 || risk_apply_cmd(g->risk, &rc.cmd) != 0)
			g->st.cmds_rejected++;
		else
			g->st.cmds_applied++;
	}
	g->cur_jseq = 0;
}

unsigned og_poll(struct og *g, uint64_t now_ns)
{
	struct epoll_event evs[EV_BATCH];
	g->now = now_ns;
	g->st.polls++;
	int n = epoll_wait(g->epfd, evs, EV_BATCH, 0);
	for (int i = 0; i < n; i++) {
		uint32_t id = evs[i].data.u32;
		if (id == UINT32_MAX) {
			accept_new(g);
			continue;
		}
		struct og_conn *c = &g->conns[id];
		if (c->state == CONN_FREE)
			continue;
		if ((evs[i].events & EPOLLOUT) && c->state == CONN_BOUND)
			flush_out(g, &g->sess[c->sess]);
		if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			on_readable(g, (int)id);
	}
	if (n > 0)
		g->st.epoll_events += (uint64_t)n;
	/* Write what this turn produced: one send() per session. */
	for (unsigned i = 0; i < g->n_dirty; i++) {
		struct og_sess *ss = &g->sess[g->dirty[i]];
		ss->dirty = 0;
		flush_out(g, ss);
		if (ss->out_len && !ss->hold_seq)
			want_out(g, ss, 1); /* the socket is full: finish on EPOLLOUT */
	}
	g->n_dirty = 0;
	if (g->cfg.journal.power_safe && g->jw) {
		uint64_t durable = jr_durable_seq(g->jw);
		for (unsigned i = 0; i < g->n_sess; i++) {
			struct og_sess *ss = &g->sess[i];
			if (ss->hold_seq && ss->hold_seq <= durable && ss->out_len) {
				flush_out(g, ss);
				if (ss->out_len)
					want_out(g, ss, 1);
			}
		}
	}
	if (g->io.next_cp)
		cp_drain(g, OG_CP_PER_TURN);
	apply_cmds(g, 16);
	if (g->io.next_api) {
		struct og_api_req a;
		for (int k = 0; k < 32 && g->io.next_api(g->io.ctx, &a); k++) {
			/* commands the control plane queued before this request (a
			 * kill switch released, then an order) are applied first */
			apply_cmds(g, OG_CMDS_BEFORE_API);
			on_api(g, &a);
		}
		g->cur_jseq = 0;
	}
	if (now_ns >= g->next_timer) {
		g->next_timer = now_ns + TIMER_NS;
		for (unsigned i = 0; i < g->n_sess; i++)
			fix_session_on_timer(g->sess[i].fs, now_ns);
		for (uint32_t i = 0; i < g->cfg.max_connections; i++)
			if (g->conns[i].state == CONN_PRELOGON && now_ns - g->conns[i].t_open > g->cfg.prelogon_timeout_ns)
				conn_close(g, (int)i, OG_CLOSE_PRELOGON_TIMEOUT);
	}
	return n > 0 ? (unsigned)n : 0;
}

/* ---- set-up -------------------------------------------------------------- */

void og_set_io(struct og *g, const struct og_io *io) { g->io = *io; }

unsigned og_drain_cp(struct og *g, unsigned max, uint64_t now_ns)
{
	unsigned n = 0;
	g->now = now_ns;
	while (n < max && cp_take_one(g) > 0)
		n++;
	return n;
}

void og_set_tick_sink(struct og *g, int (*fn)(void *ctx, const struct md_tick *t), void *ctx)
{
	g->tick_fn = fn;
	g->tick_ctx = ctx;
}

const struct og_stats *og_stats(const struct og *g) { return &g->st; }

static int listen_on(struct og *g, char *err, size_t errlen)
{
	g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->lfd < 0)
		return snprintf(err, errlen, "socket: %s", strerror(errno)), -1;
	int one = 1;
	setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(g->cfg.listen_port),
				 .sin_addr.s_addr = g->cfg.listen_ip_be };
	if (bind(g->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(g->lfd, 1024) != 0)
		return snprintf(err, errlen, "listen on port %u: %s", g->cfg.listen_port, strerror(errno)), -1;
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g->epfd < 0)
		return snprintf(err, errlen, "epoll: %s", strerror(errno)), -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->lfd, &ev);
	return 0;
}

static int make_engine(struct og *g, char *err, size_t errlen)
{
	struct me_config mc = { .max_orders = g->cfg.max_orders,
				.max_instruments = g->cfg.n_instruments ? g->cfg.n_instruments : 1,
				.stp_default = ME_STP_NONE,
				.sink = { .on_event = on_me_event, .on_tick = on_me_tick, .ctx = g } };
	g->me = me_create(&mc);
	if (!g->me)
		return snprintf(err, errlen, "matching engine: %s", strerror(errno)), -1;
	for (uint32_t i = 0; i < g->cfg.n_instruments; i++) {
		const struct og_instrument_cfg *ic = &g->cfg.instruments[i];
		struct me_instrument_cfg c;
		memset(&c, 0, sizeof(c));
		memset(c.symbol, ' ', sizeof(c.symbol));
		memcpy(c.symbol, ic->symbol, strlen(ic->symbol));
		c.tick_size = ic->tick;
		c.px_min = ic->px_min;
		c.px_max = ic->px_max;
		c.lot_size = ic->lot;
		c.ref_px = ic->ref_px;
		c.band_ticks = ic->band_bps ? (uint32_t)((__int128)ic->ref_px * ic->band_bps / 10000 / ic->tick) : 0;
		c.state = ME_ST_OPEN;
		uint32_t id;
		int rc = me_add_instrument(g->me, &c, &id);
		if (rc)
			return snprintf(err, errlen, "instrument %s: %s (price grid %lld..%lld step %lld too large?)",
					ic->symbol, strerror(-rc), (long long)c.px_min, (long long)c.px_max,
					(long long)c.tick_size), -1;
	}
	const struct og_risk_cfg *rc = &g->cfg.risk;
	struct risk_config r = {
		.max_sessions = OG_API_SESSION_BASE + OG_API_MAX_USERS, /* FIX sessions below, API users above */
		.max_accounts = MAX_ACCOUNTS,
		.max_tenants = OG_MAX_TENANTS,
		.max_instruments = g->cfg.n_instruments ? g->cfg.n_instruments : 1,
		.account_default = { .max_order_qty = rc->max_order_qty, .max_open_orders = rc->max_open_orders_account,
				     .max_order_notional = rc->max_notional, .credit_limit = rc->credit_limit },
		.session_default = { .max_open_orders = rc->max_open_orders_session, .rate_per_s = rc->rate_per_s,
				     .burst = rc->burst ? rc->burst : (rc->rate_per_s ? rc->rate_per_s : 1) },
		.collar_bps = rc->collar_bps,
	};
	g->risk = risk_create(&r, g->me);
	if (!g->risk)
		return snprintf(err, errlen, "risk: %s", strerror(errno)), -1;
	for (uint32_t i = 0; i < g->cfg.n_instruments; i++) {
		struct risk_cmd cmd = { .type = RISK_CMD_REF_PRICE, .id = i, .u.ref_px = g->cfg.instruments[i].ref_px };
		risk_apply_cmd(g->risk, &cmd);
	}
	return 0;
}

/* The configuration a journal was written under: replaying it under another
 * session or instrument set (or order pool) would assign its ids to the wrong
 * counterparties, so start-up refuses it. */
static int config_text(const struct og *g, char *buf, size_t cap)
{
	size_t l = (size_t)snprintf(buf, cap, "orion-og v1 max_orders=%u sessions=", g->cfg.max_orders);
	for (unsigned i = 0; i < g->n_sess && l < cap; i++)
		l += (size_t)snprintf(buf + l, cap - l, "%s%s", i ? "," : "", g->fc.sessions[i].target_comp_id);
	l += (size_t)snprintf(buf + l < buf + cap ? buf + l : buf, l < cap ? cap - l : 0, " instruments=");
	for (uint32_t i = 0; i < g->cfg.n_instruments && l < cap; i++)
		l += (size_t)snprintf(buf + l, cap - l, "%s%s", i ? "," : "", g->cfg.instruments[i].symbol);
	return l < cap ? (int)l : -1;
}

static void replay_one(struct og *g, const struct jr_rec *rec)
{
	const struct og_jr_head *h = rec->payload;
	struct og_sess *ss = h->sess < g->n_sess ? &g->sess[h->sess] : NULL;
	g->now = rec->ts_ns;
	g->cur_jseq = rec->seq;
	switch (rec->type) {
	case OG_JR_NEW: {
		const struct og_jr_new *r = rec->payload;
		uint32_t acct;
		size_t al = strnlen(r->account, sizeof(r->account));
		if (ss)
			account_id(g, ss, al ? fstr(r->account, al) : fstr(NULL, 0), &acct, 1); /* rebuild the table */
		risk_new_order(g->risk, &r->req, g->now);
		break;
	}
	case OG_JR_CANCEL:
		risk_cancel(g->risk, &((const struct og_jr_cancel *)rec->payload)->req, g->now);
		break;
	case OG_JR_REPLACE:
		risk_replace(g->risk, &((const struct og_jr_replace *)rec->payload)->req, g->now);
		break;
	case OG_JR_MASS:
		exec_mass(g, ss, rec->payload);
		break;
	case OG_JR_RISK_CMD:
		risk_apply_cmd(g->risk, &((const struct og_jr_risk_cmd *)rec->payload)->cmd);
		break;
	default:
		break;
	}
	g->st.replayed++;
}

static uint32_t rec_min_len(uint16_t type)
{
	switch (type) {
	case OG_JR_NEW: return sizeof(struct og_jr_new);
	case OG_JR_CANCEL: return sizeof(struct og_jr_cancel);
	case OG_JR_REPLACE: return sizeof(struct og_jr_replace);
	case OG_JR_MASS: return sizeof(struct og_jr_mass);
	case OG_JR_RISK_CMD: return sizeof(struct og_jr_risk_cmd);
	default: return 0;
	}
}

/* Rebuild state from the journal. Every request but the last ran to the end
 * before the next one was appended, so it is replayed silently. The last one
 * may have been cut short by a crash: when its session's store shows that no
 * report was committed after it, it runs with its reports sent. */
static int replay(struct og *g, char *err, size_t errlen)
{
	char want[OG_JR_CONFIG_MAX];
	int wl = config_text(g, want, sizeof(want));
	if (wl < 0)
		return snprintf(err, errlen, "journal: configuration text too long"), -1;
	uint64_t last = jr_committed_seq(g->jw);
	if (last == 0) { /* a new journal */
		g->now = orion_realtime_ns();
		if (jr_append(g->jw, OG_JR_CONFIG, want, (uint32_t)wl, g->now) < 0)
			return snprintf(err, errlen, "journal %s: cannot write", g->cfg.journal.dir), -1;
		return 0;
	}
	struct jr_reader *r;
	int rc = jr_reader_open(&r, g->cfg.journal.dir, 0);
	if (rc)
		return snprintf(err, errlen, "journal %s: %s", g->cfg.journal.dir, strerror(-rc)), -1;
	static struct {
		struct jr_rec rec;
		uint8_t buf[512];
	} pend;
	int have_pend = 0, first = 1;
	struct jr_rec rec;
	g->replaying = 1;
	while ((rc = jr_reader_next(r, last, &rec)) == 1) {
		if (first) {
			first = 0;
			if (rec.type != OG_JR_CONFIG || rec.len != (uint32_t)wl || memcmp(rec.payload, want, (size_t)wl)) {
				snprintf(err, errlen,
					 "journal %s was written under another configuration (sessions, instruments or "
					 "max_orders differ): move it away to start a new one; it has \"%.*s\"",
					 g->cfg.journal.dir, rec.type == OG_JR_CONFIG ? (int)rec.len : 0,
					 (const char *)rec.payload);
				jr_reader_close(r);
				return -1;
			}
			continue;
		}
		if (rec.type == OG_JR_EVENT || rec.type == OG_JR_SESSION)
			continue; /* outbox records: outputs, rebuilt by the replay itself */
		if (rec.type == OG_JR_CP) {
			/* the control plane's: handed over in journal order, never a request of ours */
			if (!rec.len || rec.len > OG_CP_REC_MAX) {
				g->st.cp_invalid++;
				continue;
			}
			if (g->cfg.cp_sink)
				g->cfg.cp_sink(g->cfg.cp_sink_ctx, rec.payload, rec.len, rec.seq, rec.ts_ns);
			g->st.cp_replayed++;
			continue;
		}
		uint32_t need = rec_min_len(rec.type);
		uint32_t sess = need ? ((const struct og_jr_head *)rec.payload)->sess : 0;
		if (!need || rec.len != need ||
		    (sess >= g->n_sess && !is_api_session(sess) && !(rec.type == OG_JR_RISK_CMD && sess == UINT32_MAX))) {
			snprintf(err, errlen, "journal %s: record %llu: unknown type 0x%x or bad length %u",
				 g->cfg.journal.dir, (unsigned long long)rec.seq, rec.type, rec.len);
			jr_reader_close(r);
			return -1;
		}
		if (have_pend)
			replay_one(g, &pend.rec);
		pend.rec = rec;
		memcpy(pend.buf, rec.payload, rec.len);
		pend.rec.payload = pend.buf;
		have_pend = 1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "journal: %s", jr_reader_err(r));
		jr_reader_close(r);
		return -1;
	}
	jr_reader_close(r);
	if (have_pend) {
		const struct og_jr_head *h = pend.rec.payload;
		if (h->sess < g->n_sess && fix_session_next_sender_seq(g->sess[h->sess].fs) == h->out_seq) {
			g->replaying = 0; /* its reports were never committed: send them now */
			g->st.replay_tail_resent++;
		}
		replay_one(g, &pend.rec);
	}
	g->replaying = 0;
	g->cur_jseq = 0;
	return 0;
}

static int open_journal(struct og *g, char *err, size_t errlen)
{
	if (!g->cfg.journal.dir[0])
		return 0;
	struct jr_writer_opts o = {
		.dir = g->cfg.journal.dir,
		.segment_size = g->cfg.journal.segment_size,
		.flush_interval_us = g->cfg.journal.flush_interval_us,
		.durability = g->cfg.journal.power_safe ? JR_DUR_POWER : JR_DUR_PROCESS,
		.retain_without_export = 0,
		.bg = JR_BG_THREAD,
	};
	struct jr_diag d;
	memset(&d, 0, sizeof(d));
	int rc = jr_writer_open(&g->jw, &o, &d);
	if (rc) {
		if (rc == -EBADMSG)
			snprintf(err, errlen, "journal damaged before its tail, refusing to start: %s at offset %llu: %s",
				 d.err_file, (unsigned long long)d.err_off, d.err);
		else
			snprintf(err, errlen, "journal %s: %s (%s)", g->cfg.journal.dir, strerror(-rc), d.err);
		return -1;
	}
	if (d.torn)
		fprintf(stderr, "oriond: journal: torn record at the tail truncated: %s offset %llu (%llu bytes, %s)\n",
			d.torn_file, (unsigned long long)d.torn_off, (unsigned long long)d.torn_bytes,
			d.torn_reason ? d.torn_reason : "?");
	if (replay(g, err, errlen) != 0)
		return -1;
	printf("oriond: journal %s: %llu records, %llu requests replayed (%llu re-sent), state checksum %016llx\n",
	       g->cfg.journal.dir, (unsigned long long)jr_committed_seq(g->jw), (unsigned long long)g->st.replayed,
	       (unsigned long long)g->st.replay_tail_resent, (unsigned long long)g->checksum);
	return 0;
}

uint64_t og_state_checksum(const struct og *g) { return g->checksum; }

struct jr_writer *og_journal_writer(const struct og *g) { return g->jw; }

int og_position(const struct og *g, uint32_t account, uint32_t instrument, struct og_position *out)
{
	if (account >= MAX_ACCOUNTS || instrument >= g->cfg.n_instruments)
		return -EINVAL;
	*out = g->pos[(size_t)account * g->cfg.n_instruments + instrument];
	return 0;
}

unsigned og_publish_live_orders(struct og *g)
{
	unsigned n = 0;
	for (uint32_t i = 0; g->io.event && i <= g->cl_mask; i++) {
		const struct cl_ent *e = &g->cl[i];
		struct me_order_info o;
		if (!e->order_id || e->done || me_get_order(g->me, e->order_id, &o) != 0)
			continue;
		struct me_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = ME_EV_ACCEPTED;
		ev.instrument_id = o.instrument_id;
		ev.ts_ns = g->now;
		ev.u.order = o;
		if (g->io.event(g->io.ctx, &ev) == 0)
			n++;
		else
			g->st.events_dropped++;
	}
	return n;
}

int og_instrument_state(const struct og *g, uint32_t instrument)
{
	struct me_top top;
	if (!g || me_top(g->me, instrument, &top) != 0)
		return -EINVAL;
	return top.state;
}

void og_publish_tops(struct og *g, uint64_t now_ns)
{
	for (uint32_t i = 0; g->tick_fn && i < g->cfg.n_instruments; i++) {
		struct me_top top;
		if (me_top(g->me, i, &top) != 0)
			continue;
		struct md_tick t;
		memset(&t, 0, sizeof(t));
		t.recv_ns = now_ns;
		t.instrument_id = i;
		memset(t.symbol, ' ', sizeof(t.symbol));
		memcpy(t.symbol, g->cfg.instruments[i].symbol, strlen(g->cfg.instruments[i].symbol));
		t.source = MD_SOURCE_VENUE;
		t.bid_px = top.bid_px;
		t.ask_px = top.ask_px;
		t.bid_sz = top.bid_qty > UINT32_MAX ? UINT32_MAX : (uint32_t)top.bid_qty;
		t.ask_sz = top.ask_qty > UINT32_MAX ? UINT32_MAX : (uint32_t)top.ask_qty;
		t.mid_px = top.bid_px != ORION_PX_NONE && top.ask_px != ORION_PX_NONE ? (top.bid_px + top.ask_px) / 2
										      : ORION_PX_NONE;
		t.last_px = top.last_px;
		t.last_sz = top.last_qty;
		if (top.state != ME_ST_OPEN)
			t.flags |= MD_TF_HALTED;
		if (t.bid_px != ORION_PX_NONE && t.ask_px != ORION_PX_NONE && t.bid_px >= t.ask_px)
			t.flags |= MD_TF_CROSSED;
		g->tick_fn(g->tick_ctx, &t);
	}
}

unsigned og_sessions(const struct og *g, struct og_session_info *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < g->n_sess && n < max; i++, n++) {
		const struct fix_session_cfg *c = fix_session_config(g->sess[i].fs);
		out[n].id = i;
		out[n].tenant = c->tenant;
		snprintf(out[n].sender, sizeof(out[n].sender), "%s", c->sender_comp_id);
		snprintf(out[n].target, sizeof(out[n].target), "%s", c->target_comp_id);
		out[n].connected = fix_session_state(g->sess[i].fs) == FIX_SS_ACTIVE;
		out[n].in_seq = fix_session_next_target_seq(g->sess[i].fs);
		out[n].out_seq = fix_session_next_sender_seq(g->sess[i].fs);
	}
	return n;
}

struct og *og_create(const struct og_cfg *cfg, char *err, size_t errlen)
{
	struct og *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->cfg = *cfg;
	g->lfd = g->epfd = -1;
	g->boot_s = orion_realtime_ns() / 1000000000ull;
	g->checksum = 0xcbf29ce484222325ull;
	g->next_acct = 64 > FIX_CONFIG_MAX_SESSIONS ? 64 : FIX_CONFIG_MAX_SESSIONS;
	if (fix_config_load(cfg->sessions_path, &g->fc, err, errlen) != 0)
		goto fail;
	g->n_sess = g->fc.n_sessions;
	g->sess = calloc(g->n_sess ? g->n_sess : 1, sizeof(*g->sess));
	g->dirty = calloc(g->n_sess ? g->n_sess : 1, sizeof(*g->dirty));
	g->conns = calloc(cfg->max_connections, sizeof(*g->conns));
	/* live (<= max_orders) + finished (<= max_orders / 2) ids at load <= 1/2 */
	uint32_t cap = 1;
	while (cap < 3 * cfg->max_orders)
		cap <<= 1;
	g->cl = calloc(cap, sizeof(*g->cl));
	g->cl_mask = cap - 1;
	g->done_cap = cfg->max_orders / 2 ? cfg->max_orders / 2 : 1;
	g->done = calloc(g->done_cap, sizeof(*g->done));
	g->cum_notional = calloc(cfg->max_orders, sizeof(int64_t));
	g->pos = calloc((size_t)MAX_ACCOUNTS * (cfg->n_instruments ? cfg->n_instruments : 1), sizeof(*g->pos));
	if (!g->sess || !g->dirty || !g->conns || !g->cl || !g->done || !g->cum_notional || !g->pos) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < cfg->max_connections; i++) {
		g->conns[i].fd = -1;
		if (!(g->conns[i].pre = malloc(PRE_BUF))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	for (unsigned i = 0; i < g->n_sess; i++) {
		struct og_sess *ss = &g->sess[i];
		const struct fix_session_cfg *sc = &g->fc.sessions[i];
		char name[200];
		snprintf(name, sizeof(name), "%s-%s-%s", sc->begin_string, sc->sender_comp_id, sc->target_comp_id);
		struct fix_store_cfg stc = { .dir = sc->store_dir[0] ? sc->store_dir : NULL, .name = name,
					     .max_msgs = sc->store_max_msgs, .data_bytes = sc->store_max_bytes,
					     .now_ns = orion_realtime_ns() };
		int rc = fix_store_mmap_open(&ss->st, &stc);
		if (rc) {
			snprintf(err, errlen, "session %s: message store in %s: %s", name,
				 sc->store_dir[0] ? sc->store_dir : "(memory)", strerror(-rc));
			goto fail;
		}
		ss->g = g;
		ss->id = i;
		ss->conn = -1;
		ss->account = i;
		ss->out = malloc(OUT_BUF);
		if (!ss->out || fix_session_create(&ss->fs, sc, ss->st, &g_sess_ops, ss) != 0) {
			snprintf(err, errlen, "session %s: cannot create", name);
			goto fail;
		}
	}
	if (make_engine(g, err, errlen) != 0 || open_journal(g, err, errlen) != 0 || listen_on(g, err, errlen) != 0)
		goto fail;
	return g;
fail:
	og_destroy(g);
	return NULL;
}

void og_destroy(struct og *g)
{
	if (!g)
		return;
	if (g->conns)
		for (uint32_t i = 0; i < g->cfg.max_connections; i++) {
			if (g->conns[i].state != CONN_FREE)
				close(g->conns[i].fd);
			free(g->conns[i].pre);
		}
	if (g->sess)
		for (unsigned i = 0; i < g->n_sess; i++) {
			fix_session_destroy(g->sess[i].fs);
			fix_store_close(g->sess[i].st);
			free(g->sess[i].out);
		}
	if (g->jw)
		jr_writer_close(g->jw);
	if (g->risk)
		risk_destroy(g->risk);
	me_destroy(g->me);
	if (g->lfd >= 0)
		close(g->lfd);
	if (g->epfd >= 0)
		close(g->epfd);
	free(g->sess);
	free(g->dirty);
	free(g->conns);
	free(g->cl);
	free(g->done);
	free(g->cum_notional);
	free(g->pos);
	free(g);
}

void og_foreach_counter(const struct og *g, void (*fn)(void *arg, const char *name, const char *label, uint64_t v),
			void *arg)
{
	char label[96];
	fn(arg, "fix_connections_accepted_total", NULL, g->st.accepted_conns);
	fn(arg, "fix_connections_open", NULL, g->st.open_conns);
	for (unsigned i = 0; i < OG_CLOSE__COUNT; i++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", g_close_names[i]);
		fn(arg, "fix_connections_closed_total", label, g->st.closed[i]);
	}
	for (unsigned i = 0; i < OG_ERR__COUNT; i++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", g_err_names[i]);
		fn(arg, "fix_app_rejects_total", label, g->st.app_err[i]);
	}
	fn(arg, "fix_orders_in_total", "msg=\"D\"", g->st.orders_in);
	fn(arg, "fix_orders_in_total", "msg=\"F\"", g->st.cancels_in);
	fn(arg, "fix_orders_in_total", "msg=\"G\"", g->st.replaces_in);
	fn(arg, "fix_orders_in_total", "msg=\"H\"", g->st.status_in);
	fn(arg, "fix_orders_in_total", "msg=\"q\"", g->st.mass_cancels_in);
	fn(arg, "fix_reports_out_total", NULL, g->st.reports_out);
	fn(arg, "fix_bytes_total", "dir=\"in\"", g->st.bytes_in);
	fn(arg, "fix_bytes_total", "dir=\"out\"", g->st.bytes_out);
	fn(arg, "fix_send_partial_total", NULL, g->st.send_partial);
	fn(arg, "fix_send_calls_total", NULL, g->st.send_calls);
	fn(arg, "journal_appends_total", NULL, g->st.journal_appends);
	fn(arg, "journal_rejects_total", NULL, g->st.journal_rejects);
	fn(arg, "journal_replayed_total", NULL, g->st.replayed);
	fn(arg, "journal_replay_tail_resent_total", NULL, g->st.replay_tail_resent);
	fn(arg, "journal_held_for_durability_total", NULL, g->st.held_for_durability);
	fn(arg, "journal_events_unjournaled_total", NULL, g->st.events_unjournaled);
	fn(arg, "og_events_total", "result=\"out\"", g->st.events_out);
	fn(arg, "og_events_total", "result=\"ring_full\"", g->st.events_dropped);
	fn(arg, "og_api_requests_total", "result=\"in\"", g->st.api_in);
	fn(arg, "og_api_requests_total", "result=\"invalid\"", g->st.api_invalid);
	fn(arg, "og_commands_total", "result=\"applied\"", g->st.cmds_applied);
	fn(arg, "og_commands_total", "result=\"rejected\"", g->st.cmds_rejected);
	fn(arg, "og_cp_records_total", "result=\"journaled\"", g->st.cp_journaled);
	fn(arg, "og_cp_records_total", "result=\"held\"", g->st.cp_held);
	fn(arg, "og_cp_records_total", "result=\"unjournaled\"", g->st.cp_unjournaled);
	fn(arg, "og_cp_records_total", "result=\"invalid\"", g->st.cp_invalid);
	fn(arg, "og_cp_records_total", "result=\"replayed\"", g->st.cp_replayed);
	fn(arg, "og_api_requests_total", "result=\"cp_blocked\"", g->st.api_cp_blocked);
	if (g->jw) {
		uint64_t jc[JR_C__COUNT];
		jr_writer_counters(g->jw, jc);
		for (unsigned k = 0; k < JR_C__COUNT; k++) {
			snprintf(label, sizeof(label), "counter=\"%s\"", jr_ctr_name((enum jr_ctr)k));
			fn(arg, "journal_writer_total", label, jc[k]);
		}
		fn(arg, "journal_committed_seq", NULL, jr_committed_seq(g->jw));
		fn(arg, "journal_durable_seq", NULL, jr_durable_seq(g->jw));
	}
	fn(arg, "state_checksum", NULL, g->checksum);
	uint64_t c[FIX_SC__COUNT] = { 0 }, d[FIX_DR__COUNT] = { 0 };
	for (unsigned i = 0; i < g->n_sess; i++) {
		const struct fix_session_stats *s = fix_session_stats(g->sess[i].fs);
		for (unsigned k = 0; k < FIX_SC__COUNT; k++)
			c[k] += s->c[k];
		for (unsigned k = 0; k < FIX_DR__COUNT; k++)
			d[k] += s->disc[k];
	}
	for (unsigned k = 0; k < FIX_SC__COUNT; k++) {
		snprintf(label, sizeof(label), "counter=\"%s\"", fix_session_counter_name((enum fix_session_counter)k));
		fn(arg, "fix_session_total", label, c[k]);
	}
	for (unsigned k = 0; k < FIX_DR__COUNT; k++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", fix_disc_reason_name((enum fix_disc_reason)k));
		fn(arg, "fix_session_disconnects_total", label, d[k]);
	}
	const struct me_stats *ms = me_get_stats(g->me);
	fn(arg, "me_accepted_total", NULL, ms->accepted);
	fn(arg, "me_trades_total", NULL, ms->trades);
	fn(arg, "me_replaced_total", NULL, ms->replaced);
	fn(arg, "me_orders_live", NULL, ms->orders_live);
	for (unsigned k = 1; k < ME_REJ__COUNT; k++) {
		const struct risk_stats *rs = risk_get_stats(g->risk);
		uint64_t v = ms->rejects[k] + rs->rejects[k];
		if (!v && k > ME_REJ_REPLACE_QTY_TOO_LOW + 0 && k < ME_REJ_RISK_UNKNOWN_ID)
			continue;
		snprintf(label, sizeof(label), "reason=\"%s\"", me_reject_name(k));
		fn(arg, k >= ME_REJ_RISK_UNKNOWN_ID ? "risk_rejects_total" : "me_rejects_total", label, v);
	}
	for (unsigned k = 0; k < ME_CXL__COUNT; k++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", me_cxl_reason_name(k));
		fn(arg, "me_cancels_total", label, ms->cancels[k]);
	}
}
