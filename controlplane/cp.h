/* Control plane server: HTTP(S) + WebSocket on one libwebsockets event loop
 * thread ("cp"). REST API under /api/v1, WebSocket streams at /api/v1/ws,
 * the browser workstation's static files at /, /metrics, /healthz, /readyz.
 *
 * Model
 *  - oriond's main lcore thread is the single producer: it hands ticks, engine
 *    events and feed events to cp_publish_*(), which copy them into cp's own
 *    preallocated single-producer/single-consumer queues and return at once
 *    (no lock, no syscall, no allocation). Market data never fills up: each
 *    (source, instrument) has one slot holding its latest tick (latest value
 *    wins); order events and feed events go through bounded rings, a full ring
 *    is a counted drop (-ENOBUFS).
 *  - The cp thread drains those queues every millisecond, keeps the order and
 *    trade view of every API user (and of every FIX order, for the tenant's
 *    ADMIN/RISK users), and fans market data out to WebSocket clients,
 *    conflated per client (default 10 Hz). Orders and risk commands go back
 *    through the hooks (send_order, send_risk_cmd), which must not block.
 *  - Identity: users and tenants come from the configuration ([tenant NAME],
 *    [user NAME]); a user is API order session OG_API_SESSION_BASE + slot
 *    (slot = the user's dense index, < OG_API_MAX_USERS). Passwords are
 *    argon2id hashes; tokens are HMAC-SHA256 signed, expire after token_ttl
 *    and are revoked when the user is disabled, changes password or logs out.
 *
 * REST (JSON bodies; errors {code, message, field} with 400 / 401 / 403 / 404 /
 * 405 / 409 / 413 / 429 / 503; every call but login needs
 * "Authorization: Bearer TOKEN"):
 *   POST /api/v1/auth/login {tenant?, username, password}   -> {token, expiresAt, expiresIn, user}
 *   POST /api/v1/auth/logout                                -> 204 (revokes the user's tokens)
 *   GET  /api/v1/me                                         -> {user}
 *   GET  /api/v1/instruments                                -> entitled instruments (tick, lot)
 *   GET  /api/v1/market/snapshot[?instrumentId=SYM]         -> {instruments:[md entry]}
 *   POST /api/v1/orders  (header Idempotency-Key optional)  -> 202 {id, clientOrderId, status:"PENDING_NEW"}
 *        {instrumentId, side BUY|SELL, type LIMIT|MARKET, timeInForce DAY|GTC|IOC|FOK,
 *         quantity, price ("150.25" or number, LIMIT only), postOnly?, clientOrderId?}
 *   POST /api/v1/orders/{id}/cancel                         -> 202 {id, requestId, status, pendingAction}
 *   POST /api/v1/orders/{id}/amend {quantity?, price?}      -> 202
 *   GET  /api/v1/orders[?status=open|all&limit=N], /api/v1/orders/{id}
 *   GET  /api/v1/trades[?limit=N], /api/v1/trades/{id}
 *   GET  /api/v1/admin/instruments | users | fix-sessions | limits | flags
 *   POST /api/v1/admin/users, PATCH /api/v1/admin/users/{name}
 *   PUT  /api/v1/admin/limits, POST /api/v1/admin/kill, PUT /api/v1/admin/flags
 *   PUT  /api/v1/admin/instruments/{symbol} {"state":"OPEN|HALTED|CLOSED"} (PLATFORM;
 *        a risk command: journaled, replayed; CLOSED expires the DAY orders)
 * Order ids: "A<corr>" for API orders (the engine's ClOrdID of the order),
 * "E<engine order id>" for FIX orders.
 *
 * WebSocket /api/v1/ws (token in "Authorization: Bearer", ?token=, or a first
 * message {"op":"AUTH","token":T}); client ops:
 *   {"op":"SUBSCRIBE","instrumentIds":[..],"streams":["orders","trades"]}
 *   {"op":"UNSUBSCRIBE", same}  {"op":"PING"}  {"op":"AUTH","token":T}
 * Server messages, each with a per-connection "seq" (1, 2, ...): welcome, ack,
 * error, md.snapshot, md (conflated updates), orders.snapshot, order,
 * trades.snapshot, trade, notification, heartbeat, pong, bye (reason).
 *
 * Persistence (the journal is the source of truth; controlplane/cp_jrec.h)
 *  - With a `journal` hook (oriond with [journal] and FIX order entry), every
 *    audit entry, every user created or changed at run time (its full state),
 *    every feature flag set, every Idempotency-Key of an API order and the
 *    reservations of correlation ids are records of the order journal
 *    (OG_JR_CP), written by the order lcore, its only writer. At start-up
 *    the journal's replay hands them back through cp_restore(), between
 *    cp_create() and cp_start(). audit_log, when set, gets a copy of every
 *    audit line; otherwise the journal alone holds them (`orionctl journal
 *    dump`, Kafka topic <env>.audit.events.v1).
 *  - Without it, as before: audit lines to audit_log (or stderr), users,
 *    flags and idempotency keys in memory only (lost at a restart).
 *  - The hook never blocks: when the channel is full, records wait in a
 *    bounded backlog (CP_JR_BACKLOG records, in order) retried every drain
 *    (1 ms); past that they are dropped. Counted in
 *    orion_cp_journal_records_total{result="sent|backlog|dropped"}.
 *  - Idempotency across a crash: a new API order with an Idempotency-Key
 *    builds its 202 response first and pushes the IDEM record (key, request
 *    hash, response) straight into the channel (after any backlog; refused
 *    with 503 BUSY when that is not possible) BEFORE it sends the order to
 *    the order lcore, which appends every waiting cp record before it
 *    journals an API request (dataplane/og/og.h). So a journaled API order
 *    always has its key journaled before it; if sending the order then
 *    fails, a record that forgets the key follows (only 202 answers are
 *    journaled: an error answer to a key is cached in memory only, and a
 *    retry after a restart runs the request again). Correlation ids are
 *    reserved in blocks (CORR records, same rule), so "A<corr>" ids issued
 *    after a restart never repeat one issued before, whatever the clock did.
 *
 * Threads
 *  - cp_cfg_defaults(), cp_config_key(), cp_cfg_validate(), cp_create(),
 *    cp_restore(), cp_start(), cp_stop(), cp_destroy(): one control thread
 *    (oriond main).
 *  - cp_publish_tick(), cp_publish_order_event(), cp_publish_md_event(),
 *    cp_event_room(): ONE producer thread (the main lcore), never blocking.
 *  - cp_set_ready(), cp_foreach_counter(): any thread.
 *  - Every hook runs on the cp thread.
 */
#ifndef ORION_CONTROLPLANE_CP_H
#define ORION_CONTROLPLANE_CP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/orion_ini.h"
#include "common/orion_tick.h"
#include "dataplane/me/me_types.h"
#include "dataplane/me/risk.h"
#include "dataplane/og/og.h"

#define CP_MAX_USERS OG_API_MAX_USERS /* user slots, configured + added at run time */
#define CP_MAX_TENANTS 64             /* tenant ids 0..63 (risk max_tenants) */
#define CP_MAX_ACCOUNTS 1024          /* account ids 0..1023 (risk max_accounts) */
#define CP_NAME_LEN 32                /* user / tenant names, with the NUL */
#define CP_MAX_ENTITLED 64            /* instruments listed per user */
#define CP_HASH_LEN 192               /* encoded argon2id hash, with the NUL */
#define CP_MAX_FLAGS 32
#define CP_PATH_LEN 256

enum cp_role {
	CP_ROLE_TRADER = 0,  /* trades, sees own orders / trades */
	CP_ROLE_SALES,       /* same as TRADER */
	CP_ROLE_RISK,        /* sees the tenant's orders; limits, kill switch for the tenant */
	CP_ROLE_ANALYST,     /* market data and own (read-only) views */
	CP_ROLE_ADMIN,       /* the tenant's users; sees the tenant; kill switch for the tenant */
	CP_ROLE_PLATFORM,    /* every tenant, global kill switch, flags, collars */
	CP_ROLE__COUNT
};
const char *cp_role_name(unsigned role);
/* Role index of a name (upper case, as in the config), -1 if none. */
int cp_role_parse(const char *s);

struct cp_tenant_cfg {
	char name[CP_NAME_LEN];
	uint32_t id;                 /* < CP_MAX_TENANTS, unique */
	int id_set;
};

struct cp_user_cfg {
	char name[CP_NAME_LEN];
	char tenant[CP_NAME_LEN];    /* "" : tenant "default" (id 0) */
	char password_hash[CP_HASH_LEN]; /* $argon2id$... */
	uint8_t role;                /* enum cp_role; default TRADER */
	uint8_t disabled;
	uint8_t all_instruments;     /* instruments = * */
	uint8_t role_set;
	uint32_t account;            /* risk account id of the user's orders; default 0 */
	int64_t max_notional;        /* per order, price x qty in 1e-8 units; 0 = no limit */
	unsigned n_instruments;
	char instruments[CP_MAX_ENTITLED][ORION_SYMBOL_LEN + 1];
};

enum cp_md_mode {
	CP_MD_CONFLATED = 0,         /* use ticks published with conflated = 1 (default) */
	CP_MD_RAW = 1,               /* use raw ticks (conflated = 0); cp conflates itself */
};

/* Sections [cp], [tenant NAME], [user NAME]. Start from cp_cfg_defaults(). */
struct cp_cfg {
	int enabled;                 /* 1 once a [cp] key was seen */
	uint32_t listen_ip_be;       /* listen = a.b.c.d:port (port 0: any free port, see cp_port()) */
	uint16_t listen_port;
	int listen_set;
	char web_root[CP_PATH_LEN];  /* static files; "" : none */
	char tls_cert[CP_PATH_LEN];  /* both or neither: HTTPS / WSS */
	char tls_key[CP_PATH_LEN];
	char token_secret_file[CP_PATH_LEN]; /* >= 32 bytes; "" : random at start */
	char audit_log[CP_PATH_LEN]; /* JSON lines, appended; "": stderr without a journal, none with one */
	uint64_t token_ttl_ns;       /* default 15 min */
	uint64_t conflate_interval_ns; /* WS market data, default 100 ms */
	uint64_t heartbeat_ns;       /* WS heartbeat, default 5 s */
	uint64_t ws_stall_timeout_ns;/* a client not reading this long is dropped, default 10 s */
	uint32_t ws_max_queue;       /* bytes queued per WS client before it is dropped, default 1 MiB */
	uint32_t ws_max_clients;     /* default 1024 */
	uint32_t ws_per_user;        /* connections per user, default 8 */
	uint32_t ws_sndbuf;          /* SO_SNDBUF of WS sockets, 0 = kernel default */
	uint32_t rate_limit_per_s;   /* REST calls per user per second, default 50 */
	uint32_t rate_limit_burst;   /* default 2 x rate */
	uint32_t max_body;           /* request body bytes, default 64 KiB (413 above) */
	uint32_t max_orders;         /* order view size (oldest finished evicted), default 65536 */
	uint32_t max_trades;         /* trade view size, default 65536 */
	uint32_t md_max_instruments; /* (source, instrument) slots, default 4096 */
	uint32_t event_queue;        /* engine event ring, power of two, default 65536 */
	uint32_t idem_max;           /* idempotency keys kept (24 h), default 65536 */
	int metrics;                 /* serve /metrics, default on */
	enum cp_md_mode market_data;
	unsigned n_tenants;
	struct cp_tenant_cfg tenants[CP_MAX_TENANTS];
	unsigned n_users;
	struct cp_user_cfg users[CP_MAX_USERS];
	unsigned n_flags;
	struct {
		char name[CP_NAME_LEN];
		int on;
	} flags[CP_MAX_FLAGS];       /* flag.NAME = bool */
};

void cp_cfg_defaults(struct cp_cfg *c);

/* Parse one entry of [cp] (keys: listen, web_root, tls_cert, tls_key,
 * token_ttl, token_secret_file, audit_log, conflate_interval, heartbeat,
 * ws_stall_timeout, ws_max_queue, ws_max_clients, ws_per_user, ws_sndbuf,
 * rate_limit_per_s, rate_limit_burst, max_body, max_orders, max_trades,
 * md_max_instruments, event_queue, idem_max, metrics, market_data
 * (conflated|raw), flag.NAME), [tenant NAME] (id) or [user NAME] (tenant,
 * role, password_hash, instruments = SYM,SYM... | *, max_notional (decimal
 * currency units), account, disabled). The caller dispatches e->kind "cp",
 * "tenant" and "user" here. Returns 0 or -EINVAL (ini->err). Start-up. */
int cp_config_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct cp_cfg *c);

/* Cross-key checks (listen set, TLS pair, tenants of users exist, hashes are
 * argon2id, ids unique). 0 or -EINVAL with a message in err. cp_create()
 * runs it too. */
int cp_cfg_validate(const struct cp_cfg *c, char *err, size_t errlen);

/* A tradable instrument, as the venue knows it. */
struct cp_instrument {
	char symbol[ORION_SYMBOL_LEN + 1]; /* NUL-terminated, no padding */
	uint32_t id;                 /* engine instrument id */
	int64_t tick;                /* price increment, ORION_PX_SCALE units (> 0) */
	uint32_t lot;                /* quantity increment (>= 1) */
	uint8_t state;               /* enum me_instr_state at cp_start; then as set over REST */
};

/* A FIX session for GET /admin/fix-sessions. */
struct cp_fix_session {
	char name[64];               /* "SENDER->TARGET" */
	uint32_t id;                 /* risk session id */
	uint32_t tenant;
	int connected;
	uint64_t in_seq, out_seq;
};

/* Provided by oriond; every hook runs on the cp thread (except `instruments`,
 * called once by cp_start on its caller's thread) and must not block. */
struct cp_hooks {
	void *ctx;
	/* Extra Prometheus text appended to /metrics (may be NULL). */
	void (*write_metrics)(void *ctx, FILE *f);
	/* Risk command to the order lcore: 0, -ENOBUFS (ring full), -ENOTSUP. */
	int (*send_risk_cmd)(void *ctx, const struct risk_cmd *cmd);
	/* API order request to the order lcore: 0, -ENOBUFS, -ENOTSUP. */
	int (*send_order)(void *ctx, const struct og_api_req *req);
	/* Tradable instruments: fills out[0..max-1], returns how many. Called
	 * once, by cp_start. May be NULL (no trading). */
	unsigned (*instruments)(void *ctx, struct cp_instrument *out, unsigned max);
	/* FIX sessions (may be NULL: empty list). */
	unsigned (*fix_sessions)(void *ctx, struct cp_fix_session *out, unsigned max);
	/* One control-plane record (controlplane/cp_jrec.h, len <= CP_JR_MAX)
	 * into the channel to the order lcore, which journals it: 0, -ENOBUFS
	 * (channel full). Copies the record. NULL: no journal (see Persistence).
	 * Also called by cp_create on the control thread (its start-up audit
	 * entries), before the cp thread exists. */
	int (*journal)(void *ctx, const void *rec, size_t len);
};

#define CP_JR_BACKLOG 1024            /* records waiting for room in the journal channel */
#define CP_CORR_BLOCK 4096            /* correlation ids reserved per CORR record */

struct cp;

/* Validate the configuration, read the token secret, open the audit log and
 * allocate every queue and table. Nothing listens yet. Returns NULL with errno
 * (EINVAL, ENOENT, ENOMEM) and a message in err. Control thread. `hooks` is
 * copied. */
struct cp *cp_create(const struct cp_cfg *cfg, const struct cp_hooks *hooks, char *err, size_t errlen);

/* Start-up restore from the journal (the OG_JR_CP records, in journal
 * order; oriond passes this as og_cfg.cp_sink before og_create): control
 * thread, after cp_create, before cp_start. The configuration is the base:
 *  - USER: replaces the configured user of that name (so a password, role,
 *    disable or limit changed over REST outlives a restart), or adds it in
 *    its old slot (the first free slot if a configured user now holds it;
 *    logged). Skipped with a log line when its tenant no longer exists, its
 *    role is unknown, or its hash is not argon2id; a configured user keeps
 *    its configured slot. A user removed from the configuration but created
 *    or changed at run time comes back: disable it over REST to retire it.
 *  - FLAG: overrides the configured value (or adds the flag).
 *  - IDEM: back in the idempotency cache when still within its 24 h TTL
 *    (by its wall time), for the user of that name; FORGET removes it.
 *  - CORR: new correlation ids start above every reservation.
 *  - AUDIT: nothing to rebuild (counted).
 * Returns 0 applied, 1 skipped (stale, not applicable), -EINVAL malformed
 * (skipped). Never fails start-up. Counts in cp_restore_stats(). */
int cp_restore(struct cp *cp, const void *rec, size_t len, uint64_t ts_ns);

struct cp_restore_stats {
	uint64_t records, audit, users, flags, idem, idem_expired, forgotten, corr, skipped, invalid;
};
const struct cp_restore_stats *cp_restore_stats(const struct cp *cp);
/* 1 when a journal hook was given to cp_create (state is journaled). */
int cp_journaled(const struct cp *cp);
/* At shutdown, after cp_stop: push the backlog into the channel as far as
 * it takes it. Returns the records still waiting. Control thread. */
unsigned cp_journal_flush(struct cp *cp);

/* Start the cp thread: it creates the lws context (binds the listener, loads
 * TLS) and returns once listening. 0, -EALREADY, -EADDRINUSE / -EINVAL (the
 * listener or TLS could not be set up; cp_last_error() says why), or -errno
 * of pthread_create. Control thread. */
int cp_start(struct cp *cp);
const char *cp_last_error(const struct cp *cp);

/* The TCP port listened on (useful with port 0), 0 before cp_start. */
uint16_t cp_port(const struct cp *cp);

/* Stop serving (clients are closed) and join the thread. Control thread. */
void cp_stop(struct cp *cp);
/* Free (stops first if running). NULL accepted. Control thread. */
void cp_destroy(struct cp *cp);

/* /readyz answers 200 once set to 1 (dataplane running), 503 otherwise. Any thread. */
void cp_set_ready(struct cp *cp, int ready);

/* Producer side (ONE thread: oriond's main lcore). Each copies its input and
 * returns at once. */
/* Latest tick of (t->source, t->instrument_id). Ticks of the other stream
 * than market_data selects are ignored (counted). 0, or -ENOSPC when every
 * instrument slot is taken (counted). */
int cp_publish_tick(struct cp *cp, const struct md_tick *t, int conflated);
/* An engine event (API or FIX order). 0 or -ENOBUFS (ring full: counted). */
int cp_publish_order_event(struct cp *cp, const struct me_event *ev);
/* A feed event ("gap_open", "gap_filled", "gap_unrecoverable", "stale",
 * "stale_cleared", "session_end"; up to 23 bytes). 0 or -ENOBUFS. */
int cp_publish_md_event(struct cp *cp, uint16_t source, const char *event, uint64_t from, uint64_t to);
/* Free slots in the event ring (for og_io.event_room). Producer thread. */
unsigned cp_event_room(const struct cp *cp);

/* Visit every counter as (metric family, labels or NULL, value). Any thread,
 * values racy. */
void cp_foreach_counter(const struct cp *cp, void (*fn)(void *arg, const char *name, const char *label, uint64_t v),
			void *arg);

/* Encode an argon2id hash of password (t_cost passes, m_cost KiB, 1 lane) for
 * [user] password_hash. 0 or -EINVAL / -ENOMEM. Any thread. */
int cp_hash_password(const char *password, uint32_t t_cost, uint32_t m_cost_kib, char *out, size_t outlen);

/* `orion-passwd`-style command: reads the password from stdin (first line)
 * or argv ("--password P", for scripts), prints the hash. Options: -t N, -m KiB.
 * Returns the exit code (0, 1 error, 2 usage). */
int cp_passwd_main(int argc, char **argv);

/* Value of argument name in a URL query string ("a=1&b=x%20y"), URL-decoded
 * and NUL-terminated into out (truncated to outlen - 1). 0 or -ENOENT. Any
 * thread. */
int cp_query_arg(const char *query, const char *name, char *out, size_t outlen);

#endif
