/* MoldUDP64 codec: see moldudp64.h for the contract. */
#include "feeds/moldudp64.h"

#include <errno.h>
#include <string.h>

#define OFF_SEQ 10
#define OFF_COUNT 18

_Static_assert(MOLD_HDR_LEN == MOLD_SESSION_LEN + 8 + 2, "session + seq + count");
_Static_assert(MOLD_REREQ_LEN == MOLD_HDR_LEN, "re-request has the header layout");

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

static inline void st16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void st64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, sizeof(v));
}

static void put_header(uint8_t *buf, const char session[MOLD_SESSION_LEN], uint64_t seq,
		       uint16_t count)
{
	memcpy(buf, session, MOLD_SESSION_LEN);
	st64(buf + OFF_SEQ, seq);
	st16(buf + OFF_COUNT, count);
}

const char *mold_err_name(enum mold_err e)
{
	switch (e) {
	case MOLD_OK: return "ok";
	case MOLD_ERR_SHORT_HEADER: return "short_header";
	case MOLD_ERR_TRUNCATED_LEN: return "truncated_len";
	case MOLD_ERR_LEN_OVERRUN: return "len_overrun";
	case MOLD_ERR_ZERO_LEN: return "zero_len";
	case MOLD_ERR_COUNT_MISMATCH: return "count_mismatch";
	case MOLD_ERR_EOS_WITH_DATA: return "eos_with_data";
	case MOLD_ERR__COUNT: break;
	}
	return "invalid";
}

enum mold_err mold_decode(const uint8_t *buf, size_t len, struct mold_packet *out)
{
	if (len < MOLD_HDR_LEN)
		return MOLD_ERR_SHORT_HEADER;

	const uint16_t count = ld16(buf + OFF_COUNT);
	const uint8_t *p = buf + MOLD_HDR_LEN;
	size_t left = len - MOLD_HDR_LEN;

	if (count == MOLD_COUNT_END_OF_SESSION) {
		if (left != 0)
			return MOLD_ERR_EOS_WITH_DATA;
	} else {
		/* At most 65534 iterations, and each consumes at least 3 bytes. */
		for (uint16_t i = 0; i < count; i++) {
			if (left == 0)
				return MOLD_ERR_COUNT_MISMATCH;
			if (left < 2)
				return MOLD_ERR_TRUNCATED_LEN;
			const size_t mlen = ld16(p);
			if (mlen == 0)
				return MOLD_ERR_ZERO_LEN;
			if (mlen > left - 2)
				return MOLD_ERR_LEN_OVERRUN;
			p += 2 + mlen;
			left -= 2 + mlen;
		}
		if (left != 0)
			return MOLD_ERR_COUNT_MISMATCH;
	}

	memcpy(out->session, buf, MOLD_SESSION_LEN);
	out->seq = ld64(buf + OFF_SEQ);
	out->count = count;
	out->blocks = buf + MOLD_HDR_LEN;
	out->blocks_len = len - MOLD_HDR_LEN;
	return MOLD_OK;
}

void mold_iter_init(struct mold_iter *it, const struct mold_packet *pkt)
{
	it->p = pkt->blocks;
	it->end = pkt->blocks + pkt->blocks_len;
	it->left = mold_msg_count(pkt);
}

int mold_iter_next(struct mold_iter *it, const uint8_t **msg, uint16_t *msg_len)
{
	if (it->left == 0)
		return 0;
	/* mold_decode() already proved these; kept so that a hand-made
	 * mold_packet cannot make the iterator read past its end. */
	if (it->end - it->p < 2) {
		it->left = 0;
		return 0;
	}
	const uint16_t n = ld16(it->p);
	if ((size_t)(it->end - it->p) - 2 < n) {
		it->left = 0;
		return 0;
	}
	*msg = it->p + 2;
	*msg_len = n;
	it->p += 2 + (size_t)n;
	it->left--;
	return 1;
}

enum mold_err mold_rereq_decode(const uint8_t *buf, size_t len, struct mold_rereq *out)
{
	if (len < MOLD_REREQ_LEN)
		return MOLD_ERR_SHORT_HEADER;
	if (len != MOLD_REREQ_LEN)
		return MOLD_ERR_COUNT_MISMATCH;
	memcpy(out->session, buf, MOLD_SESSION_LEN);
	out->seq = ld64(buf + OFF_SEQ);
	out->count = ld16(buf + OFF_COUNT);
	return MOLD_OK;
}

int mold_rereq_encode(uint8_t *buf, size_t cap, const struct mold_rereq *rq)
{
	if (cap < MOLD_REREQ_LEN)
		return -ENOSPC;
	put_header(buf, rq->session, rq->seq, rq->count);
	return MOLD_REREQ_LEN;
}

void mold_builder_init(struct mold_builder *b, uint8_t *buf, size_t cap,
		       const char session[MOLD_SESSION_LEN], uint64_t seq)
{
	b->buf = buf;
	b->count = 0;
	if (cap < MOLD_HDR_LEN) {
		b->cap = 0;
		b->len = 0;
		return;
	}
	b->cap = cap;
	b->len = MOLD_HDR_LEN;
	put_header(buf, session, seq, 0);
}

int mold_builder_add(struct mold_builder *b, const void *msg, size_t len)
{
	if (len == 0 || len > UINT16_MAX)
		return -EINVAL;
	if (b->len < MOLD_HDR_LEN || b->count >= MOLD_COUNT_END_OF_SESSION - 1 ||
	    b->cap - b->len < 2 + len)
		return -ENOSPC;
	st16(b->buf + b->len, (uint16_t)len);
	memcpy(b->buf + b->len + 2, msg, len);
	b->len += 2 + len;
	b->count++;
	return 0;
}

size_t mold_builder_finish(struct mold_builder *b)
{
	if (b->len < MOLD_HDR_LEN)
		return 0;
	st16(b->buf + OFF_COUNT, b->count);
	return b->len;
}

int mold_encode_heartbeat(uint8_t *buf, size_t cap, const char session[MOLD_SESSION_LEN],
			  uint64_t next_seq)
{
	if (cap < MOLD_HDR_LEN)
		return -ENOSPC;
	put_header(buf, session, next_seq, MOLD_COUNT_HEARTBEAT);
	return MOLD_HDR_LEN;
}

int mold_encode_end_of_session(uint8_t *buf, size_t cap, const char session[MOLD_SESSION_LEN],
			       uint64_t next_seq)
{
	if (cap < MOLD_HDR_LEN)
		return -ENOSPC;
	put_header(buf, session, next_seq, MOLD_COUNT_END_OF_SESSION);
	return MOLD_HDR_LEN;
}
