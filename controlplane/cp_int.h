/* Control plane internals shared by cp.c (life cycle, queues, audit,
 * metrics), cp_api.c (REST), cp_ws.c (WebSocket) and cp_http.c (the lws
 * protocol). Not a public header.
 *
 * Ownership: everything below "cp thread state" is read and written by the
 * cp thread only (after cp_start); the queues have one producer (main lcore)
 * and one consumer (cp thread); counters are relaxed atomics (racy reads by
 * any thread are fine).
 */
#ifndef ORION_CONTROLPLANE_CP_INT_H
#define ORION_CONTROLPLANE_CP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <libwebsockets.h>

#include "controlplane/cp.h"
#include "controlplane/cp_auth.h"
#include "controlplane/cp_conflate.h"
#include "controlplane/cp_json.h"
#include "controlplane/cp_limit.h"
#include "controlplane/cp_map.h"
#include "controlplane/cp_orders.h"

/* ---- counters ---------------------------------------------------------- */
#define CP_COUNTERS(X)                                                                                           \
	X(TICKS_IN, "orion_cp_ticks_total", "result=\"in\"")                                                       \
	X(TICKS_OTHER_STREAM, "orion_cp_ticks_total", "result=\"other_stream\"")                                   \
	X(TICKS_NO_SLOT, "orion_cp_ticks_total", "result=\"no_slot\"")                                             \
	X(EVENTS_IN, "orion_cp_order_events_total", "result=\"in\"")                                               \
	X(EVENTS_DROPPED, "orion_cp_order_events_total", "result=\"ring_full\"")                                   \
	X(MDEV_IN, "orion_cp_feed_events_total", "result=\"in\"")                                                  \
	X(MDEV_DROPPED, "orion_cp_feed_events_total", "result=\"ring_full\"")                                      \
	X(HTTP_2XX, "orion_cp_http_responses_total", "class=\"2xx\"")                                              \
	X(HTTP_4XX, "orion_cp_http_responses_total", "class=\"4xx\"")                                              \
	X(HTTP_5XX, "orion_cp_http_responses_total", "class=\"5xx\"")                                              \
	X(HTTP_413, "orion_cp_http_rejects_total", "reason=\"too_large\"")                                         \
	X(HTTP_429, "orion_cp_http_rejects_total", "reason=\"rate_limited\"")                                      \
	X(HTTP_401, "orion_cp_http_rejects_total", "reason=\"unauthorized\"")                                      \
	X(HTTP_403, "orion_cp_http_rejects_total", "reason=\"forbidden\"")                                         \
	X(LOGIN_OK, "orion_cp_logins_total", "result=\"ok\"")                                                      \
	X(LOGIN_FAIL, "orion_cp_logins_total", "result=\"failed\"")                                                \
	X(ORDERS_SENT, "orion_cp_api_orders_total", "result=\"sent\"")                                             \
	X(ORDERS_REFUSED, "orion_cp_api_orders_total", "result=\"invalid\"")                                       \
	X(ORDERS_BUSY, "orion_cp_api_orders_total", "result=\"ring_full\"")                                        \
	X(CANCELS_SENT, "orion_cp_api_cancels_total", "kind=\"cancel\"")                                           \
	X(AMENDS_SENT, "orion_cp_api_cancels_total", "kind=\"amend\"")                                             \
	X(IDEM_REPLAY, "orion_cp_idempotency_total", "result=\"replayed\"")                                        \
	X(IDEM_CONFLICT, "orion_cp_idempotency_total", "result=\"conflict\"")                                      \
	X(RISK_CMDS, "orion_cp_risk_cmds_total", "result=\"sent\"")                                                \
	X(RISK_CMDS_FAIL, "orion_cp_risk_cmds_total", "result=\"failed\"")                                         \
	X(WS_ACCEPTED, "orion_cp_ws_connections_total", "result=\"accepted\"")                                     \
	X(WS_REFUSED, "orion_cp_ws_connections_total", "result=\"refused\"")                                       \
	X(WS_MSGS, "orion_cp_ws_messages_total", "dir=\"out\"")                                                    \
	X(WS_MSGS_IN, "orion_cp_ws_messages_total", "dir=\"in\"")                                                  \
	X(WS_BYTES, "orion_cp_ws_bytes_total", "dir=\"out\"")                                                      \
	X(WS_MD_MSGS, "orion_cp_ws_md_messages_total", NULL)                                                       \
	X(WS_MD_BUILT_SET, "orion_cp_ws_md_frames_built_total", "for=\"set\"")                                   \
	X(WS_MD_BUILT_OWN, "orion_cp_ws_md_frames_built_total", "for=\"client\"")                                \
	X(WS_CFLT_UP, "orion_cp_ws_conflation_changes_total", "dir=\"up\"")                                        \
	X(WS_CFLT_DOWN, "orion_cp_ws_conflation_changes_total", "dir=\"down\"")                                    \
	X(WS_DROP_STALLED, "orion_cp_ws_disconnects_total", "reason=\"slow_consumer\"")                            \
	X(WS_DROP_QUEUE, "orion_cp_ws_disconnects_total", "reason=\"queue_full\"")                                 \
	X(WS_DROP_AUTH, "orion_cp_ws_disconnects_total", "reason=\"unauthorized\"")                                \
	X(WS_DROP_REVOKED, "orion_cp_ws_disconnects_total", "reason=\"revoked\"")                                  \
	X(WS_DROP_PROTO, "orion_cp_ws_disconnects_total", "reason=\"protocol\"")                                   \
	X(WS_DROP_PEER, "orion_cp_ws_disconnects_total", "reason=\"peer\"")                                      \
	X(WS_DROP_SHUTDOWN, "orion_cp_ws_disconnects_total", "reason=\"shutdown\"")

enum cp_ctr {
#define CP_X(id, name, label) CP_C_##id,
	CP_COUNTERS(CP_X)
#undef CP_X
	CP_C__COUNT
};

/* ---- producer -> cp thread queues --------------------------------------- */
struct cp_spsc {
	_Alignas(64) _Atomic uint64_t head;  /* producer */
	_Alignas(64) _Atomic uint64_t tail;  /* consumer */
	uint32_t mask, esz;
	uint8_t *buf;
};

/* Latest tick per (source, instrument): a seqlocked slot each, and a ring
 * of slot indexes that became dirty (each slot at most once in it). */
struct cp_mdslot {
	_Atomic uint32_t seq;                /* odd while the producer writes */
	_Atomic uint32_t dirty;
	struct md_tick t;
};

struct cp_mdev {
	uint64_t from, to, wall_ns;
	uint16_t source;
	char event[24];
};

/* ---- cp thread state --------------------------------------------------- */
struct cp_user {
	int used;
	char name[CP_NAME_LEN];
	char hash[CP_HASH_LEN];
	uint32_t tenant, account, gen;
	uint8_t role, disabled, all_instruments;
	unsigned n_instruments;
	char instruments[CP_MAX_ENTITLED][ORION_SYMBOL_LEN + 1];
	int64_t max_notional;
	struct cp_bucket rate, login_rate;
	struct cp_ws *ws_head;               /* this user's connections */
	unsigned n_ws;
};

/* One market-data entry per (source, instrument), index = its slot. */
struct cp_md {
	struct md_tick t;
	uint64_t ver;                        /* global md version of its last change */
	uint64_t frag_ver;                   /* version frag was built for */
	uint32_t sym;                        /* symbol index */
	uint32_t next_same_sym;              /* UINT32_MAX = end */
	char *frag;                          /* JSON object of the entry */
	size_t frag_len;
	char *afrag;                         /* JSON array of the entry (WS "md" updates) */
	size_t afrag_len;
	uint64_t afrag_ver;
	int used;
};

struct cp_sym {
	char name[ORION_SYMBOL_LEN + 1];
	uint32_t first;                      /* first md entry, UINT32_MAX = none */
	struct cp_wsgrp **groups;            /* subscription sets holding this symbol */
	unsigned n_groups, cap_groups;
};

/* A subscription set shared by WebSocket clients (cp_ws.c): its market
 * data frame is built once per conflation interval for all of them. */
struct cp_wsgrp {
	struct cp_wsgrp *next, *prev;        /* every set */
	struct cp_wsgrp *next_dirty;         /* sets with unsent changes */
	uint64_t hash;
	uint32_t *syms;                      /* sorted symbol indexes */
	unsigned n_syms;
	struct cp_ws *members;               /* via cp_ws.gnext / gprev */
	unsigned n_members;
	uint64_t sent_ver;                   /* changes up to this md version are framed */
	uint64_t next_due_ns;                /* no frame before (monotonic) */
	int dirty;
};

/* Shared, reference-counted message body: the JSON text after the leading
 * '{' and the "seq" member, e.g. `"type":"heartbeat","time":1}`. */
struct cp_body {
	uint32_t refs;
	size_t len;
	char data[];
};

struct cp_qmsg {
	struct cp_qmsg *next;
	struct cp_body *b;
};

struct cp_ws {
	struct cp_ws *next, *prev;           /* every connection */
	struct cp_ws *unext, *uprev;         /* the user's connections */
	struct cp_ws *wnext, *wprev;         /* order/trade watchers with tenant/platform view */
	struct lws *wsi;
	struct cp *cp;
	int authed, watcher;
	uint32_t user, gen;
	uint64_t token_exp_s;
	uint64_t seq;
	uint64_t connected_ns;
	unsigned streams;                    /* enum cp_ws_stream */
	uint32_t *subs;                      /* symbol indexes, unsorted */
	unsigned n_subs, cap_subs;
	uint64_t md_ver_sent;
	struct cp_wsgrp *grp;                /* its subscription set, NULL without one */
	struct cp_ws *gnext, *gprev;
	struct cp_body *md_body;             /* the set's frame, not yet written */
	uint64_t md_body_ver;                /* md_ver_sent once it is */
	int md_due;
	int want_write;
	uint64_t want_since;
	struct cp_cflt cflt;
	struct cp_qmsg *qh, *qt;
	size_t q_bytes;
	int closing;                         /* 1: send bye + close frame; 2: killed */
	uint16_t close_code;
	char close_reason[96];
	char *rx;
	size_t rx_len;
	char peer[48];
};

struct cp_risk_log {
	struct risk_cmd cmd;
	uint64_t wall_ns;
	char by[CP_NAME_LEN];
	int used;
};
#define CP_RISK_LOG 256

struct cp {
	struct cp_cfg cfg;
	struct cp_hooks hooks;

	/* producer side */
	struct cp_mdslot *slots;
	uint32_t n_slots_cap;
	_Atomic uint32_t n_slots;            /* published slots */
	struct cp_u64map slot_of;            /* producer only: (source << 32 | instrument) + 1 -> slot */
	struct cp_spsc dirty;                /* uint32 slot indexes */
	struct cp_spsc evq;                  /* struct me_event */
	struct cp_spsc mdevq;                /* struct cp_mdev */

	_Atomic uint64_t ctr[CP_C__COUNT];
	_Atomic int ready;
	_Atomic int stop;
	_Atomic uint16_t port;
	int running;
	pthread_t thr;
	pthread_mutex_t start_mu;
	pthread_cond_t start_cv;
	int start_state;                     /* 0 starting, 1 up, -errno failed */
	char last_error[256];

	/* cp thread state */
	struct lws_context *lws;
	lws_sorted_usec_list_t sul_drain, sul_cflt, sul_hb;
	uint8_t secret[CP_SECRET_MAX];
	size_t secret_len;
	FILE *audit;
	int audit_owned;
	struct cp_user users[CP_MAX_USERS];
	char tenant_names[CP_MAX_TENANTS][CP_NAME_LEN];
	struct cp_instrument *instr;
	unsigned n_instr;
	struct cp_orders *orders;
	struct cp_idem *idem;
	uint64_t next_corr;
	struct cp_md *md;
	struct cp_sym *syms;
	uint32_t n_syms;
	struct cp_u64map sym_of;             /* packed symbol -> symbol index + 1 */
	uint64_t md_ver;
	struct cp_ws *ws_head, *watch_head;
	unsigned n_ws;
	struct cp_wsgrp *grp_head, *grp_dirty;
	unsigned n_grps;
	uint64_t cflt_tick_no, last_cflt_ns;
	struct cp_cflt_cfg cflt_cfg;
	struct cp_buf scratch;
	unsigned char *wbuf;                 /* LWS_PRE + message being written */
	size_t wbuf_cap;
	struct {
		char name[CP_NAME_LEN];
		int on;
	} flags[CP_MAX_FLAGS];
	unsigned n_flags;
	struct cp_risk_log risk_log[CP_RISK_LOG];

	/* journal-backed state (cp.c): records to the order journal through
	 * hooks.journal, the backlog when its channel is full, the restore
	 * counts and the correlation id reservation. cp thread after cp_start
	 * (control thread before); jr_ctr are relaxed atomics. */
	int jr_on;                           /* hooks.journal set */
	uint8_t *jr_bl;                      /* CP_JR_BACKLOG x CP_JR_MAX bytes, a ring */
	uint32_t jr_bl_len[CP_JR_BACKLOG];
	uint32_t jr_bl_head, jr_bl_n;
	_Atomic uint64_t jr_ctr[3];          /* enum cp_jr_result */
	uint64_t corr_reserved;              /* ids below it are covered by a journaled CORR */
	struct cp_restore_stats rst;
};

/* cp.c: journal records (cp thread; cp_create's thread before cp_start). */
enum cp_jr_result { CP_JRR_SENT = 0, CP_JRR_BACKLOG, CP_JRR_DROPPED };
/* Queue a record in order: into the channel, or the backlog when the channel
 * is full or the backlog not empty. 0, or -ENOBUFS (backlog full: dropped,
 * counted). No-op (0) without a journal. */
int cp_jr_emit(struct cp *cp, const void *rec, size_t len);
/* Into the channel now, behind the backlog (flushed first), or not at all:
 * 0, or -ENOBUFS (nothing queued). For records that must be journaled before
 * what the caller sends next. 0 without a journal. */
int cp_jr_emit_now(struct cp *cp, const void *rec, size_t len);
/* Retry the backlog (the drain timer). */
void cp_jr_flush(struct cp *cp);
/* USER record of a slot's current state / FLAG record (via cp_jr_emit). */
void cp_jr_user(struct cp *cp, uint32_t slot);
void cp_jr_flag(struct cp *cp, const char *name, int on);
/* The next correlation id, journaling a CORR reservation first when the
 * reserved block is used up: 0, or -ENOBUFS (no id handed out). */
int cp_next_corr(struct cp *cp, uint64_t *corr);
/* IDEM record: the key's first response (forget = 0; straight into the
 * channel, cp_jr_emit_now) or the key forgotten (forget = 1; cp_jr_emit).
 * 0, -ENOBUFS, -EMSGSIZE (body too large to journal). */
int cp_jr_idem(struct cp *cp, uint32_t user, const char *key, const uint8_t hash[32], int status, const char *body,
	       size_t body_len, uint64_t corr, uint64_t wall_ns, int forget);

static inline void cp_count(struct cp *cp, enum cp_ctr c, uint64_t n)
{
	atomic_fetch_add_explicit(&cp->ctr[c], n, memory_order_relaxed);
}

/* Clocks (cp thread): monotonic for intervals, wall for what users read. */
uint64_t cp_mono_ns(void);
uint64_t cp_wall_ns(void);

/* cp.c */
void cp_audit(struct cp *cp, const char *event, const struct cp_user *u, const char *peer, int ok, const char *fmt,
	      ...) __attribute__((format(printf, 6, 7)));
const char *cp_tenant_name(const struct cp *cp, uint32_t tenant);
int cp_tenant_id(const struct cp *cp, const char *name, uint32_t *id);
const struct cp_instrument *cp_instr_by_symbol(const struct cp *cp, const char *sym);
int cp_user_entitled(const struct cp_user *u, const char *sym);
int cp_user_find(const struct cp *cp, const char *name);
/* May u see an order / trade of (tenant, owner user slot)? */
int cp_can_see(const struct cp_user *u, uint32_t u_slot, uint32_t tenant, uint32_t owner);
/* Market data entry index of a symbol, for the best reference price. */
int64_t cp_ref_price(const struct cp *cp, const char *sym, int side);
void cp_write_metrics(struct cp *cp, FILE *f);
void cp_drain(struct cp *cp);
void cp_md_entry_json(struct cp *cp, struct cp_md *m, struct cp_buf *b);
/* Symbol index of a name, or UINT32_MAX. */
uint32_t cp_sym_find(const struct cp *cp, const char *name);
void cp_risk_log_add(struct cp *cp, const struct risk_cmd *cmd, const char *by);

/* cp_api.c: one REST request. */
enum cp_method { CP_GET = 0, CP_POST, CP_PUT, CP_PATCH, CP_DELETE, CP_OTHER };
struct cp_req {
	int method;
	const char *path;                    /* "/api/v1/orders" (no query) */
	const char *query;                   /* "a=1&b=2" or "" */
	const char *body;
	size_t body_len;
	const char *auth;                    /* Authorization header or "" */
	const char *idem_key;                /* Idempotency-Key or "" */
	const char *peer;
	uint64_t now_ns;                     /* monotonic */
	uint64_t wall_ns;
};
struct cp_resp {
	int status;
	struct cp_buf body;
	char retry_after[24];                /* seconds, for 429 */
	int replayed;                        /* Idempotent-Replayed */
	int close;                           /* close the connection after */
	const char *content_type;
};
void cp_api_handle(struct cp *cp, const struct cp_req *rq, struct cp_resp *rs);
/* Error body {code, message, field}. */
void cp_resp_err(struct cp_resp *rs, int status, const char *code, const char *field, const char *msg);
void cp_resp_cperr(struct cp_resp *rs, const struct cp_err *e);
/* Verify "Bearer T": the user slot, or -1 with rs filled (401). */
int cp_authenticate(struct cp *cp, const char *bearer, size_t len, uint64_t wall_ns, struct cp_err *e,
		    uint64_t *exp_s);
void cp_user_json(struct cp *cp, struct cp_buf *b, const struct cp_user *u);

/* lws per-session data of the one protocol: an HTTP request or a WS client. */
struct cp_http;
struct cp_pss {
	struct cp_http *http;
	struct cp_ws *ws;
};

/* cp_ws.c */
int cp_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
void cp_ws_conflate_tick(struct cp *cp);
void cp_ws_heartbeat(struct cp *cp);
void cp_ws_on_order(struct cp *cp, const struct cp_order *o);
void cp_ws_on_trade(struct cp *cp, const struct cp_trade *t);
void cp_ws_notify_user(struct cp *cp, uint32_t user, const char *code, const char *text);
void cp_ws_notify_all(struct cp *cp, uint32_t tenant_or_all, const char *code, const char *text);
/* Close every connection of a user (disabled / revoked). */
void cp_ws_close_user(struct cp *cp, uint32_t user, const char *reason);
void cp_ws_close_all(struct cp *cp);
/* Market data: symbol `sym` changed (cp_drain, per tick) / send the frames
 * of the subscription sets that are due (end of each cp_drain) / free the
 * sets (cp_destroy). */
void cp_ws_md_touched(struct cp *cp, uint32_t sym);
void cp_ws_md_flush(struct cp *cp);
void cp_ws_free(struct cp *cp);
#define CP_TENANT_ALL UINT32_MAX

/* cp_http.c: the lws context on the cp thread. */
int cp_http_run(struct cp *cp);

#endif
