/* Exporter internals: journal records and market data → encoded Envelopes.
 * Pure functions over caller buffers (no I/O, no allocation), shared by the
 * exporter thread, the tests and the benchmark. Not a public interface of the
 * control plane: use exporter.h.
 */
#ifndef ORION_CONTROLPLANE_EXP_MAP_H
#define ORION_CONTROLPLANE_EXP_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/journal/jr_reader.h"
#include "common/orion_tick.h"
#include "controlplane/exporter.h"

enum exp_stream {
	EXP_S_TICKS = 0,   /* marketdata.ticks */
	EXP_S_ORDERS,      /* oms.orders */
	EXP_S_TRADES,      /* execution.trades */
	EXP_S_RISK,        /* risk.alerts */
	EXP_S_SESSION,     /* session.events */
	EXP_S_ADMIN,       /* admin.changes */
	EXP_S_AUDIT,       /* audit.events: the control plane's audit trail */
	EXP_S__COUNT
};

/* "<domain>.<stream>" of a stream, e.g. "oms.orders". */
const char *exp_stream_name(enum exp_stream s);

#define EXP_KEY_MAX 48
/* Room for the encoded messages of one record (the largest is the journal
 * configuration text, up to OG_JR_CONFIG_MAX bytes). */
#define EXP_MAP_BUF (16u * 1024u)

struct exp_msg {
	enum exp_stream stream;
	uint32_t key_len;
	uint32_t len;
	uint64_t time_ns;
	char key[EXP_KEY_MAX];
	const uint8_t *val;       /* into the caller's buffer */
};

/* Why a record gave no message although it was not a request. */
enum exp_skip {
	EXP_SKIP_NONE = 0,
	EXP_SKIP_REQUEST,         /* a request: its effects come as events */
	EXP_SKIP_UNKNOWN_TYPE,
	EXP_SKIP_BAD_LENGTH,
	EXP_SKIP_UNKNOWN_EVENT,
};

/* Mapping state carried from record to record: the last request's sequence
 * (the causation of the events that follow it). */
struct exp_map_state {
	const char *producer;
	uint64_t cause_seq;
};

/* Map one journal record. Writes up to EXP_MAX_MSGS envelopes into buf (cap
 * >= EXP_MAP_BUF) and describes them in out. Returns the number of messages
 * (0: nothing to export, *skip says why), or -ENOSPC when buf is too small.
 * Updates st->cause_seq for request records. */
int exp_map_record(struct exp_map_state *st, const struct jr_rec *rec, uint8_t *buf, size_t cap,
		   struct exp_msg out[EXP_MAX_MSGS], enum exp_skip *skip);

/* One tick → one envelope. run identifies the process that made the tick
 * (md_tick.seqno restarts with the process), so the event id
 * "<source>.<instrument>.<run>.<seqno>" stays unique across restarts.
 * Returns 1 or -ENOSPC. */
int exp_map_tick(const char *producer, uint64_t run, const struct md_tick *t, uint8_t *buf, size_t cap,
		 struct exp_msg *out);

/* One feed event → one envelope. Returns 1, -EINVAL (unknown kind), -ENOSPC. */
int exp_map_feed_event(const char *producer, uint16_t source, enum exp_feed_ev kind, uint64_t seq_from,
		       uint64_t seq_to, uint64_t time_ns, uint8_t *buf, size_t cap, struct exp_msg *out);

/* `orionctl decode` on one input: framed (4-byte big-endian length + bytes per
 * message) or, with single, the whole input as one message. Prints JSON lines
 * to out, errors to stderr naming `name`. Returns 0, or 1 on malformed input. */
int exp_decode_stream(FILE *in, const char *name, FILE *out, int single);

#endif
