/* NASDAQ ITCH 5.0 session simulator, MoldUDP64 packetizer and re-request
 * history ring.
 *
 * The simulator produces, in time order, the messages of one trading session
 * over n_instruments (stock locates 1..n_instruments):
 *
 *   preamble  S 'O' | R x N | H 'T' x N | S 'S' | S 'Q'
 *   body      A/F adds near the touch of a random-walk mid (per-instrument
 *             volatility regimes), E/C executions of the oldest order at the
 *             best price, X partial cancels, D deletes, U replaces, P
 *             non-displayed trades, Q crosses, B broken trades, I NOII, and
 *             halts: H 'H' ... I (cross 'H') | Q (cross 'H') | H 'T'
 *   closing   I (cross 'C') | Q (cross 'C') per instrument | S 'M' | S 'E' | S 'C'
 *
 * Guarantees: every E/C/X/D/U names an order that is live at that point and
 * never takes more shares than it has left; the book of each instrument is
 * never crossed (best bid < best ask); a halted instrument only sees X/D until
 * it resumes; timestamps (ns since midnight) strictly increase (they saturate
 * at 23:59:59.999999999 in an endless session); the stream is a
 * pure function of the configuration (same cfg, same bytes; integer arithmetic
 * only). All memory is allocated in itch_sim_create(); itch_sim_next() never
 * allocates and does no I/O.
 *
 * Threads: a struct itch_sim / itch_sim_pktz / itch_sim_hist belongs to one
 * thread at a time; different objects may be used from different threads.
 */
#ifndef ORION_FEEDS_SIM_ITCH_SIM_H
#define ORION_FEEDS_SIM_ITCH_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "feeds/itch5.h"
#include "feeds/moldudp64.h"

/* ---------------------------------------------------------------------------
 * Simulator
 * ------------------------------------------------------------------------- */

#define ITCH_SIM_MAX_INSTRUMENTS 65535u /* stock locate is 16 bits */
#define ITCH_SIM_N_REGIMES 3            /* calm, normal, volatile */
#define ITCH_SIM_MAX_ORDERS_PER_INSTRUMENT 65536u

/* Body event kinds; index of itch_sim_cfg.mix. */
enum itch_sim_event {
	ITCH_SIM_EV_ADD = 0,     /* 'A' */
	ITCH_SIM_EV_ADD_MPID,    /* 'F' */
	ITCH_SIM_EV_EXEC,        /* 'E' */
	ITCH_SIM_EV_EXEC_PRICE,  /* 'C' */
	ITCH_SIM_EV_CANCEL,      /* 'X' */
	ITCH_SIM_EV_DELETE,      /* 'D' */
	ITCH_SIM_EV_REPLACE,     /* 'U' */
	ITCH_SIM_EV_TRADE,       /* 'P' */
	ITCH_SIM_EV_CROSS,       /* 'Q' (intraday cross, type 'I') */
	ITCH_SIM_EV_BROKEN,      /* 'B' */
	ITCH_SIM_EV_NOII,        /* 'I' */
	ITCH_SIM_EV__COUNT
};

/* One volatility regime. Each body event of an instrument moves its mid with
 * probability move_ppm / 1e6, by 1..max_step_ticks ticks up or down; the gap to
 * the next message is drawn around mean_gap_ns while the instrument of the
 * current event is in this regime. */
struct itch_sim_regime {
	uint32_t move_ppm;
	uint32_t max_step_ticks;
	uint32_t mean_gap_ns;
};

struct itch_sim_cfg {
	uint64_t seed;              /* every random draw derives from it */
	uint32_t n_instruments;     /* 1..ITCH_SIM_MAX_INSTRUMENTS */
	/* Total messages of the session, preamble and closing included (so the
	 * body has n_messages - itch_sim_fixed_msgs(cfg) messages); must be >=
	 * itch_sim_fixed_msgs(cfg). 0 = unbounded: the body runs until
	 * itch_sim_end() is called. */
	uint64_t n_messages;
	/* Resting order capacity per instrument, 4..65536. An add finding n
	 * orders resting becomes a delete with probability n / capacity, so
	 * books hover well below it (a fraction of it, set by the mix). */
	uint32_t max_orders_per_instrument;
	uint64_t start_ns;          /* timestamp of S 'O' (ns since midnight) */
	uint64_t open_ns;           /* timestamp of S 'Q'; body starts after it; >= start_ns */
	uint32_t tick;              /* price increment in Price(4) units (100 = $0.01), >= 1 */
	uint32_t min_price_ticks;   /* initial mids are drawn in [min, max] ticks */
	uint32_t max_price_ticks;
	uint32_t spread_ticks;      /* quoted spread adds aim at, >= 1 */
	uint32_t depth_ticks;       /* adds land 0..depth_ticks behind the touch (geometric) */
	uint32_t odd_lot_ppm;       /* share of adds below one round lot (100) */
	struct itch_sim_regime regimes[ITCH_SIM_N_REGIMES];
	uint32_t regime_switch_ppm; /* per event of an instrument: chance to switch regime */
	uint32_t mix[ITCH_SIM_EV__COUNT]; /* relative weights of body events; sum > 0 */
	uint32_t full_exec_ppm;     /* E/C that take all remaining shares */
	uint32_t halt_ppm;          /* per body message: chance to halt one instrument */
	uint32_t halt_msgs;         /* body messages an instrument stays halted, >= 1 */
	uint32_t max_halted;        /* instruments halted at once, 0..64 (0 = never halt) */
	int real_tickers;           /* nonzero: first instruments named AAPL, MSFT, ... */
};

/* Fill cfg with defaults: seed 1, 16 instruments, 100000 messages, 1024 orders
 * per instrument, S 'O' at 03:00, open at 09:30, tick $0.01, prices $10-$500,
 * spread 1 tick, depth 10 ticks, a mix that comes out near A 34% D 33% U 14%
 * E 7% X 5% F 4% P 1.5% I 0.9% C 0.5% (books ~100 orders per instrument),
 * halt_ppm 20, halt_msgs 500, max_halted 2, SIMnnnn tickers. */
void itch_sim_cfg_default(struct itch_sim_cfg *cfg);

/* Messages outside the body: preamble 2N+3 plus closing 2N+3. */
uint64_t itch_sim_fixed_msgs(const struct itch_sim_cfg *cfg);

/* Validate a configuration. Returns 0 or -EINVAL. */
int itch_sim_cfg_check(const struct itch_sim_cfg *cfg);

struct itch_sim; /* opaque */

/* Allocate and start a session (about 24 bytes x n_instruments x
 * max_orders_per_instrument, plus 40 bytes per instrument; untouched pages
 * stay virtual). The cfg is copied. Returns 0 with *out set,
 * -EINVAL for a bad cfg, -ENOMEM. Destroy with itch_sim_destroy(). */
int itch_sim_create(const struct itch_sim_cfg *cfg, struct itch_sim **out);
void itch_sim_destroy(struct itch_sim *s); /* NULL is fine */

/* Produce the next message of the session into *out (all fields set,
 * tracking 0, stock_locate 0 for S and B). Returns 1 with a message, 0
 * once the session is over (after S 'C'; stays 0). No allocation, no I/O;
 * about 120 ns per message with the defaults. */
int itch_sim_next(struct itch_sim *s, struct itch5_msg *out);

/* Same, encoded on the wire: returns the message length (1..ITCH5_MAX_MSG_LEN),
 * 0 at the end of the session, -ENOSPC (nothing consumed) when
 * cap < ITCH5_MAX_MSG_LEN. */
int itch_sim_next_encoded(struct itch_sim *s, uint8_t *buf, size_t cap);

/* Ask the session to close: any halted instrument is resumed, then the closing
 * sequence follows. Needed to finish an unbounded session; with n_messages
 * set it closes early. Idempotent. */
void itch_sim_end(struct itch_sim *s);

/* The 8-byte space-padded symbol of a locate (1..n_instruments), or NULL. */
const char *itch_sim_symbol(const struct itch_sim *s, uint16_t locate);

struct itch_sim_stats {
	uint64_t msgs;            /* messages produced */
	uint64_t by_type[256];    /* indexed by the type byte */
	uint64_t live_orders;     /* resting orders now, all instruments */
	uint64_t halts;           /* halts started */
	uint64_t add_fallbacks;   /* events turned into an add (book empty) */
	uint64_t delete_fallbacks;/* adds turned into a delete (crowded book) */
};
void itch_sim_get_stats(const struct itch_sim *s, struct itch_sim_stats *out);

/* ---------------------------------------------------------------------------
 * MoldUDP64 packetizer: encoded ITCH messages in, downstream packets out.
 * ------------------------------------------------------------------------- */

#define ITCH_SIM_PKT_MAX 8972u /* 9000-byte jumbo MTU - IPv4 - UDP */

/* A finished packet. data points into the packetizer (double buffered) and
 * stays valid until the next push/flush call that returns 1. */
struct itch_sim_pkt {
	const uint8_t *data;
	size_t len;
	uint64_t seq;   /* sequence of the first message */
	uint16_t count; /* messages in it */
};

struct itch_sim_pktz {
	char session[MOLD_SESSION_LEN];
	uint64_t next_seq;      /* sequence the next pushed message gets */
	size_t max_payload;     /* UDP payload limit (MTU - 28) */
	uint16_t max_msgs;      /* messages per packet limit */
	unsigned cur;           /* buffer being filled (0/1) */
	struct mold_builder b;
	uint8_t buf[2][ITCH_SIM_PKT_MAX];
};

/* session: 10 bytes, space padded (not NUL-terminated). first_seq >= 1.
 * max_payload: MOLD_HDR_LEN + 2 + ITCH5_MAX_MSG_LEN .. ITCH_SIM_PKT_MAX
 * (use MOLD_MAX_PAYLOAD for a 1500-byte MTU). max_msgs: 1..65534.
 * Returns 0 or -EINVAL. */
int itch_sim_pktz_init(struct itch_sim_pktz *p, const char session[MOLD_SESSION_LEN],
		       uint64_t first_seq, size_t max_payload, uint16_t max_msgs);

/* Append one encoded message of len bytes (1 .. max_payload - MOLD_HDR_LEN - 2).
 * When the open packet cannot take it (bytes or max_msgs), that packet is
 * finished into *ready and msg opens the next one. Sequence numbers continue
 * without gaps across packets.
 * Returns 1 when *ready was filled, 0 when not, -EINVAL for a bad len. */
int itch_sim_pktz_push(struct itch_sim_pktz *p, const void *msg, size_t len,
		       struct itch_sim_pkt *ready);
/* Encode msg and push it. Same returns, plus itch5_encode() errors. */
int itch_sim_pktz_push_msg(struct itch_sim_pktz *p, const struct itch5_msg *msg,
			   struct itch_sim_pkt *ready);
/* Finish the open packet. Returns 1 with *ready filled, 0 if it was empty. */
int itch_sim_pktz_flush(struct itch_sim_pktz *p, struct itch_sim_pkt *ready);
/* Nonzero when the open packet has max_msgs messages (flush it now). */
int itch_sim_pktz_full(const struct itch_sim_pktz *p);
/* Messages in the open packet. */
uint16_t itch_sim_pktz_pending(const struct itch_sim_pktz *p);
/* Heartbeat / end of session with seq = next_seq (flush first). Return 20 or -ENOSPC. */
int itch_sim_pktz_heartbeat(const struct itch_sim_pktz *p, uint8_t *buf, size_t cap);
int itch_sim_pktz_end_of_session(const struct itch_sim_pktz *p, uint8_t *buf, size_t cap);

/* ---------------------------------------------------------------------------
 * Re-request history: the last `cap` messages by sequence number.
 * ------------------------------------------------------------------------- */

struct itch_sim_hist; /* opaque */

/* cap: messages kept, 1..(1 << 26). Returns 0 / -EINVAL / -ENOMEM. */
int itch_sim_hist_create(uint64_t cap, struct itch_sim_hist **out);
void itch_sim_hist_destroy(struct itch_sim_hist *h); /* NULL is fine */
/* Record message seq (must be exactly the previous seq + 1, the first one
 * any >= 1). Returns 0, -EINVAL for len 0 or > ITCH5_MAX_MSG_LEN, -EDOM for a
 * sequence out of order. */
int itch_sim_hist_put(struct itch_sim_hist *h, uint64_t seq, const void *msg, size_t len);
/* Oldest and one-past-newest sequence held ([first, end); empty when equal). */
void itch_sim_hist_range(const struct itch_sim_hist *h, uint64_t *first, uint64_t *end);

/* Answer a re-request for [seq, seq+count) with downstream packets built in
 * buf (cap bytes, <= max_payload bytes each, at most max_msgs messages each):
 * the call writes ONE packet starting at seq and returns its length with
 * *served set to the messages it carries; call again with seq += *served,
 * count -= *served for the rest. Returns -ERANGE (nothing written) when seq is
 * outside the history or count is 0, -EINVAL for bad sizes. The session name
 * is copied into the packet. */
int itch_sim_hist_answer(const struct itch_sim_hist *h, const char session[MOLD_SESSION_LEN],
			 uint64_t seq, uint16_t count, uint8_t *buf, size_t cap,
			 size_t max_payload, uint16_t max_msgs, uint16_t *served);

#endif
