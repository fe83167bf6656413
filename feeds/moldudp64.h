/* MoldUDP64 downstream and re-request packets (NASDAQ MoldUDP64 1.00).
 *
 * Pure codec: byte spans in, decoded views out. No DPDK, no allocation, no I/O.
 * Every function may be called from any thread; all state is in the caller's
 * structs.
 *
 * Downstream packet:  session(10) seq(8, BE) count(2, BE) { len(2, BE) data[len] } * count
 *   count == 0       heartbeat (seq = next expected sequence)
 *   count == 0xFFFF  end of session (no message blocks)
 * Re-request packet:  session(10) seq(8, BE) requested_count(2, BE)
 */
#ifndef ORION_FEEDS_MOLDUDP64_H
#define ORION_FEEDS_MOLDUDP64_H

#include <stddef.h>
#include <stdint.h>

#define MOLD_SESSION_LEN 10
#define MOLD_HDR_LEN 20
#define MOLD_REREQ_LEN 20
#define MOLD_COUNT_HEARTBEAT 0
#define MOLD_COUNT_END_OF_SESSION 0xFFFF
/* Largest payload we build: fits a standard 1500-byte MTU after IPv4 + UDP. */
#define MOLD_MAX_PAYLOAD 1472

/* Why a packet (or part of it) was rejected. Indexes the counters of
 * struct mold_stats; keep mold_err_name() in step. */
enum mold_err {
	MOLD_OK = 0,
	MOLD_ERR_SHORT_HEADER,   /* fewer than 20 bytes */
	MOLD_ERR_TRUNCATED_LEN,  /* message length field cut by end of packet */
	MOLD_ERR_LEN_OVERRUN,    /* message length runs beyond the packet */
	MOLD_ERR_ZERO_LEN,       /* a message block of length 0 */
	MOLD_ERR_COUNT_MISMATCH, /* fewer blocks than count, or trailing bytes */
	MOLD_ERR_EOS_WITH_DATA,  /* end-of-session packet carrying bytes */
	MOLD_ERR__COUNT
};

const char *mold_err_name(enum mold_err e);

/* Per-reason counters for a consumer of mold_decode() (owned by the calling
 * thread; no atomics). Usage: stats.err[mold_decode(...)]++; err[MOLD_OK]
 * counts accepted packets. */
struct mold_stats {
	uint64_t err[MOLD_ERR__COUNT];
};

/* A decoded downstream header; msgs points into the caller's packet. */
struct mold_packet {
	char session[MOLD_SESSION_LEN]; /* not NUL-terminated */
	uint64_t seq;                   /* sequence number of the first message */
	uint16_t count;                 /* raw count field */
	const uint8_t *blocks;          /* first message block (len field) */
	size_t blocks_len;              /* bytes from blocks to end of packet */
};

static inline int mold_is_heartbeat(const struct mold_packet *p) { return p->count == MOLD_COUNT_HEARTBEAT; }
static inline int mold_is_end_of_session(const struct mold_packet *p) { return p->count == MOLD_COUNT_END_OF_SESSION; }
/* Number of messages carried (0 for heartbeat and end of session). */
static inline uint16_t mold_msg_count(const struct mold_packet *p)
{
	return p->count == MOLD_COUNT_END_OF_SESSION ? 0 : p->count;
}

/* Decode and fully validate a downstream packet: every block length is checked
 * against the packet end and the count, so a later iteration cannot fail.
 * Returns MOLD_OK or the reason. Never reads outside [buf, buf+len). */
enum mold_err mold_decode(const uint8_t *buf, size_t len, struct mold_packet *out);

/* Iterate the message blocks of a packet that mold_decode() accepted.
 * Usage: struct mold_iter it; mold_iter_init(&it, &pkt);
 *        while (mold_iter_next(&it, &msg, &msg_len)) ...
 * Returns 1 with the next message, 0 at the end. */
struct mold_iter {
	const uint8_t *p;
	const uint8_t *end;
	uint16_t left;
};
void mold_iter_init(struct mold_iter *it, const struct mold_packet *pkt);
int mold_iter_next(struct mold_iter *it, const uint8_t **msg, uint16_t *msg_len);

/* Re-request (client → re-request server). */
struct mold_rereq {
	char session[MOLD_SESSION_LEN];
	uint64_t seq;    /* first sequence wanted */
	uint16_t count;  /* number of messages wanted */
};
/* Returns MOLD_OK, MOLD_ERR_SHORT_HEADER, or MOLD_ERR_COUNT_MISMATCH when len != 20. */
enum mold_err mold_rereq_decode(const uint8_t *buf, size_t len, struct mold_rereq *out);
/* Writes MOLD_REREQ_LEN bytes; returns bytes written or -ENOSPC. */
int mold_rereq_encode(uint8_t *buf, size_t cap, const struct mold_rereq *rq);

/* Packet builder (simulator, re-request server, tests, benchmarks). */
struct mold_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t count;
};
/* Start a downstream packet with seq = first message's sequence. The caller
 * keeps ownership of buf, which must outlive the builder. If cap < MOLD_HDR_LEN
 * nothing is written: every add then fails with -ENOSPC and finish returns 0.
 * To bound packets to one datagram pass cap <= MOLD_MAX_PAYLOAD. */
void mold_builder_init(struct mold_builder *b, uint8_t *buf, size_t cap,
		       const char session[MOLD_SESSION_LEN], uint64_t seq);
/* Append one message block. Returns 0, or -ENOSPC when it does not fit or the
 * packet already holds 0xFFFE messages (the packet is left unchanged),
 * -EINVAL for len 0 or > 65535. */
int mold_builder_add(struct mold_builder *b, const void *msg, size_t len);
/* Finish: writes the count; returns the packet length (0 when init got a
 * buffer smaller than the header). A packet with no message is a heartbeat. */
size_t mold_builder_finish(struct mold_builder *b);
/* Heartbeat / end-of-session packets; return length (20) or -ENOSPC. */
int mold_encode_heartbeat(uint8_t *buf, size_t cap, const char session[MOLD_SESSION_LEN], uint64_t next_seq);
int mold_encode_end_of_session(uint8_t *buf, size_t cap, const char session[MOLD_SESSION_LEN], uint64_t next_seq);

#endif
