/* Order gateway: FIX 4.4 acceptor sessions on kernel TCP sockets, busy-polled
 * by one dataplane lcore (no thread per connection), feeding pre-trade risk and
 * the matching engine, and answering with ExecutionReports, run to completion.
 *
 *   epoll (timeout 0) → recv → fix_session (framing, session protocol,
 *   dictionary) → decode D/F/G/H/q → risk → me → events → ExecutionReport /
 *   OrderCancelReject / OrderMassCancelReport → send (non-blocking; the rest
 *   buffered and flushed on EPOLLOUT)
 *
 * Threading: og_create/og_destroy on the main lcore at start-up/shutdown;
 * og_poll and every other call on the order lcore only. The stats may be read
 * racily by the main lcore for metrics.
 *
 * The socket calls here are non-blocking (the kernel TCP stack is this
 * gateway's transport, as the design asks); nothing else on the order lcore
 * makes a syscall, allocates or locks.
 */
#ifndef ORION_DATAPLANE_OG_H
#define ORION_DATAPLANE_OG_H

#include <stddef.h>
#include <assert.h>
#include <stdint.h>

#include "common/orion_tick.h"
#include "dataplane/me/me_types.h"
#include "dataplane/me/risk.h"

#define OG_MAX_INSTRUMENTS 1024

struct og_instrument_cfg {
	char symbol[ORION_SYMBOL_LEN + 1]; /* NUL-terminated, up to 8 characters */
	int64_t tick, ref_px, px_min, px_max; /* ORION_PX_SCALE units */
	uint32_t lot;
	uint32_t band_bps;                /* price band around ref_px, basis points; 0 = off */
};

struct og_risk_cfg {
	uint32_t max_order_qty, max_open_orders_session, max_open_orders_account;
	int64_t max_notional;             /* per order, ORION_PX_SCALE units; 0 = off */
	int64_t credit_limit;             /* gross open notional per account; 0 = off */
	uint32_t collar_bps;
	uint32_t rate_per_s, burst;
	uint8_t stp;                      /* enum me_stp for every order */
};

struct og_journal_cfg {
	char dir[256];                    /* empty: no journal (orders do not survive a restart) */
	int power_safe;                   /* acknowledge only after the journal is flushed */
	uint64_t segment_size;
	uint32_t flush_interval_us;
};

/* Where og_create's replay hands each OG_JR_CP record (og_journal.h), in
 * journal order: rec is the payload (1..OG_CP_REC_MAX bytes, valid during
 * the call only), seq and ts_ns the record's journal sequence and time.
 * Called on og_create's thread, before og_create returns; must not call
 * back into og. */
typedef void (*og_cp_sink_fn)(void *ctx, const void *rec, size_t len, uint64_t seq, uint64_t ts_ns);

struct og_cfg {
	uint32_t listen_ip_be;
	uint16_t listen_port;
	char sessions_path[256];          /* QuickFIX-layout session file (fix/fix_config.h) */
	uint32_t max_connections;
	uint32_t max_orders;
	uint64_t prelogon_timeout_ns;     /* connection without a Logon is closed after this */
	struct og_instrument_cfg instruments[OG_MAX_INSTRUMENTS];
	uint32_t n_instruments;
	struct og_risk_cfg risk;
	struct og_journal_cfg journal;
	og_cp_sink_fn cp_sink;            /* NULL: control-plane records are skipped at replay */
	void *cp_sink_ctx;
};

/* Reasons a connection was closed by the gateway itself (sessions have their
 * own counters); keep og_close_name() in step. */
enum og_close {
	OG_CLOSE_PEER = 0,       /* peer closed / reset */
	OG_CLOSE_SESSION,        /* the FIX session ended it */
	OG_CLOSE_TOO_MANY,       /* over max_connections */
	OG_CLOSE_PRELOGON_TIMEOUT,
	OG_CLOSE_PRELOGON_GARBLED, /* first message unframeable or oversized */
	OG_CLOSE_UNKNOWN_SESSION,  /* Logon CompIDs match no configured session */
	OG_CLOSE_SESSION_BUSY,     /* the session is already connected */
	OG_CLOSE_OUTBUF_FULL,      /* the peer does not read its reports */
	OG_CLOSE__COUNT
};
const char *og_close_name(enum og_close c);

/* Application-level rejects counted by the gateway (before risk/engine). */
enum og_app_err {
	OG_ERR_DECODE = 0,        /* fix_decode_order/cancel failed */
	OG_ERR_CLORDID_TOO_LONG,  /* ClOrdID over 20 bytes */
	OG_ERR_DUP_CLORDID,
	OG_ERR_UNKNOWN_SYMBOL,
	OG_ERR_UNSUPPORTED,       /* ord type / TIF / side we do not take */
	OG_ERR_UNKNOWN_ORDER,     /* cancel/replace/status of no live order */
	OG_ERR_ACCOUNTS_FULL,
	OG_ERR_UNSUPPORTED_MSG,   /* BusinessMessageReject for a message type */
	OG_ERR_JOURNAL,           /* journal could not take the request (back-pressure) */
	OG_ERR_DOWNSTREAM_BUSY,   /* event ring to the control plane full (back-pressure) */
	OG_ERR__COUNT
};
const char *og_app_err_name(enum og_app_err e);

struct og_stats {
	uint64_t accepted_conns, open_conns;
	uint64_t closed[OG_CLOSE__COUNT];
	uint64_t app_err[OG_ERR__COUNT];
	uint64_t orders_in, cancels_in, replaces_in, status_in, mass_cancels_in;
	uint64_t reports_out, send_partial, send_calls, bytes_in, bytes_out;
	uint64_t polls, epoll_events;
	uint64_t journal_appends, journal_rejects;   /* order-path records; rejects = back-pressure */
	uint64_t replayed, replay_tail_resent;       /* start-up replay */
	uint64_t held_for_durability;                /* sends deferred until the journal was flushed */
	uint64_t events_out, events_dropped, events_unjournaled;
	uint64_t cmds_applied, cmds_rejected;        /* control commands (invalid or journal full) */
	uint64_t api_in, api_invalid;                /* API order requests */
	uint64_t cp_journaled;                       /* control-plane records appended (OG_JR_CP) */
	uint64_t cp_held;                            /* appends that failed: the record waits, retried */
	uint64_t cp_unjournaled;                     /* records taken without a journal (discarded) */
	uint64_t cp_invalid;                         /* records of length 0 or > OG_CP_REC_MAX (dropped) */
	uint64_t cp_replayed;                        /* OG_JR_CP records handed to cp_sink at start-up */
	uint64_t api_cp_blocked;                     /* API requests rejected: cp records could not go first */
};

struct og;

/* Build the gateway: loads the session file, opens every session's message
 * store, creates the engine, risk and instruments, opens the journal (torn
 * tail truncated and reported; damage before the tail refuses start-up),
 * replays it to rebuild books, orders, risk usage and ClOrdIDs, and listens.
 * Main lcore at start-up. Returns NULL with err filled.
 *
 * The journal is written ahead: every request that reaches risk (new,
 * cancel, replace, mass cancel) is appended before it is processed, with the
 * time it is processed at, so replay through the same deterministic engine
 * gives the same state, ids and ExecIDs. Reports are not journaled: the FIX
 * message store keeps what was sent. A request whose reports never reached
 * the store (a crash between the append and the reports) is processed again
 * with its reports sent, so an order in the journal is always acknowledged.
 * Control-plane records (OG_JR_CP) are not og's: the replay hands each to
 * cfg->cp_sink, in journal order, and rebuilds nothing from them. */
struct og *og_create(const struct og_cfg *cfg, char *err, size_t errlen);
void og_destroy(struct og *g);

/* One turn: accept, read, run sessions, flush, timers. Returns the work done
 * (messages handled + connections changed), 0 when idle. Order lcore. */
unsigned og_poll(struct og *g, uint64_t now_ns);

/* Links to the control plane (all optional; set before the lcore runs; all
 * called on the order lcore, never blocking):
 *   event       every engine event (orders, trades, cancels, rejects); returns
 *               0 or -ENOBUFS (counted, the event is still journaled);
 *   event_room  free slots downstream: below OG_EVENT_ROOM_MIN, new orders are
 *               rejected ("downstream busy") instead of stalling the lcore;
 *   next_cmd    the next control command (limits, kill switch) or 0 when none:
 *               journaled, then applied;
 *   next_cp     the next control-plane record (OG_JR_CP payload) copied into
 *               buf (cap = OG_CP_REC_MAX): its length, 0 when none; consumed
 *               by the call;
 *   cp_count    how many control-plane records wait in the channel now.
 * Control-plane records are appended as OG_JR_CP, at most OG_CP_PER_TURN per
 * og_poll turn; a record the journal cannot take (back-pressure) is held by
 * og and retried first next time, so none is lost or reordered.
 *
 * Ordering with API orders: before journaling each API request taken from
 * next_api, og first appends every control-plane record that was in the
 * channel when the request was taken (cp_count after the dequeue, so at
 * least every record pushed before the request was pushed; bounded by the
 * channel's size). A producer that pushes a record (e.g. the idempotency
 * key of an order) to the cp channel before it pushes the request to the API
 * ring therefore finds the record ahead of the request in the journal. When
 * those records cannot all be appended, the request is rejected (journal
 * back-pressure, api_cp_blocked) rather than journaled ahead of them. */
#define OG_EVENT_ROOM_MIN 64
#define OG_CP_PER_TURN 64

/* Orders from the control plane's API: the same journal, risk and engine as
 * FIX orders. A user of the API is risk session OG_API_SESSION_BASE + user;
 * the events of its orders carry that session id and cl_ord_id "A<corr>". */
#define OG_API_MAX_USERS 256
/* Account ids (risk): FIX sessions' default accounts are 0..63 (the session
 * index), FIX Account (1) names get 64..767, and an API user without an
 * explicit account gets OG_API_ACCOUNT_BASE + its user slot, so the three
 * never share risk usage or an account kill switch by accident. */
#define OG_FIX_NAMED_ACCOUNT_MAX 768
#define OG_API_ACCOUNT_BASE 768
#define OG_MAX_TENANTS 64
#define OG_API_SESSION_BASE 1024u /* above any FIX session index */
enum og_api_kind { OG_API_NEW = 1, OG_API_CANCEL = 2, OG_API_AMEND = 3 };
struct og_api_req {
	uint8_t kind;             /* enum og_api_kind */
	uint8_t side;             /* FIX 54: 1 buy, 2 sell (NEW) */
	uint8_t ord_type;         /* FIX 40: 1 market, 2 limit (NEW) */
	uint8_t tif;              /* FIX 59: 0 day, 1 GTC, 3 IOC, 4 FOK (NEW) */
	uint8_t post_only;        /* NEW */
	uint8_t pad_[3];
	uint32_t user;            /* 0 .. OG_API_MAX_USERS-1 */
	uint32_t tenant;          /* < risk max_tenants (0 = default tenant) */
	uint32_t account;         /* < 1024 (risk max_accounts) */
	uint32_t instrument;      /* engine instrument id */
	uint32_t qty;             /* NEW: quantity; AMEND: new total quantity */
	uint32_t pad2_;
	int64_t price;            /* NEW (limit) / AMEND: ORION_PX_SCALE units */
	uint64_t order_id;        /* CANCEL / AMEND: engine order id */
	uint64_t corr;            /* control plane correlation id -> cl_ord_id "A<corr>" */
	uint8_t reserved_[48];
};
static_assert(sizeof(struct og_api_req) == 104, "og_api_req is a ring record");
struct og_io {
	int (*event)(void *ctx, const struct me_event *ev);
	unsigned (*event_room)(void *ctx);
	int (*next_cmd)(void *ctx, struct risk_cmd *cmd);
	int (*next_api)(void *ctx, struct og_api_req *req);  /* API orders, 0 when none */
	size_t (*next_cp)(void *ctx, void *buf, size_t cap); /* control-plane records, 0 when none */
	unsigned (*cp_count)(void *ctx);                     /* records waiting (may be NULL: 0) */
	void *ctx;
};
struct risk_cmd;
void og_set_io(struct og *g, const struct og_io *io);
/* Append up to max waiting control-plane records (io.next_cp) to the
 * journal now, at time now_ns; returns how many were taken. Order lcore, or
 * the main lcore once the order lcore has stopped (oriond's shutdown, so
 * that records queued last are not lost). */
unsigned og_drain_cp(struct og *g, unsigned max, uint64_t now_ns);

/* Where the engine's book ticks go (optional; set before the lcore runs). */
void og_set_tick_sink(struct og *g, int (*fn)(void *ctx, const struct md_tick *t), void *ctx);

const struct og_stats *og_stats(const struct og *g);
/* Position of an account in an instrument, from the venue's fills: net
 * quantity (buys minus sells) and the money paid for it (buys add price x
 * qty, sells subtract; ORION_PX_SCALE units). Rebuilt by the journal replay
 * like everything else. Order lcore (or before it runs). 0 or -EINVAL. */
struct og_position {
	int64_t net_qty;
	int64_t cost;          /* signed: what buying the net quantity cost so far */
	uint64_t bought, sold; /* quantities */
};
int og_position(const struct og *g, uint32_t account, uint32_t instrument, struct og_position *out);

/* Hand the current top of every venue book to the tick sink (after a
 * replay, quiet books would otherwise show nothing until they next change).
 * Main lcore, before the order lcore runs. */
void og_publish_tops(struct og *g, uint64_t now_ns);
/* An instrument's trading state (enum me_instr_state), or -EINVAL. Main
 * lcore, before the order lcore runs (after the replay). */
int og_instrument_state(const struct og *g, uint32_t instrument);
/* Hand every live order (after a replay) to io.event as an ME_EV_ACCEPTED
 * carrying its current state (seq 0: a snapshot, not an engine event), so
 * the control plane's views know the orders they did not see being placed.
 * Main lcore, after og_set_io, before the order lcore runs. Returns how many
 * went out (a full ring drops the rest; counted in events_dropped). */
unsigned og_publish_live_orders(struct og *g);
/* The order journal's writer (NULL without [journal]): the exporter tails it
 * (jr_committed_seq, jr_set_exported are safe from any thread). */
struct jr_writer *og_journal_writer(const struct og *g);

/* FIX sessions for monitoring: index, CompIDs, connected, next in/out
 * sequence numbers. Any thread: the values are read racily (monotonic
 * counters and a flag), fine for display, never for decisions. */
struct og_session_info {
	uint32_t id;
	uint32_t tenant;
	char sender[64], target[64];
	int connected;
	uint64_t in_seq, out_seq;
};
unsigned og_sessions(const struct og *g, struct og_session_info *out, unsigned max);
/* Running hash of every engine event since the start of the journal: equal
 * after a replay and after the live run that wrote the journal. */
uint64_t og_state_checksum(const struct og *g);
/* Visit every counter (gateway, sessions summed, engine, risk) as
 * (metric family, labels or NULL, value). Main lcore; values racy. */
void og_foreach_counter(const struct og *g, void (*fn)(void *arg, const char *name, const char *label, uint64_t v),
			void *arg);

#endif
