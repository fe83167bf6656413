/* MoldUDP64 packetizer over mold_builder, double buffered so a finished
 * packet survives while the next one is being filled. */
#include "feeds/sim/itch_sim.h"

#include <errno.h>
#include <string.h>

int itch_sim_pktz_init(struct itch_sim_pktz *p, const char session[MOLD_SESSION_LEN],
		       uint64_t first_seq, size_t max_payload, uint16_t max_msgs)
{
	if (!p || !session || first_seq < 1 || max_msgs < 1 || max_msgs > 65534 ||
	    max_payload < MOLD_HDR_LEN + 2 + ITCH5_MAX_MSG_LEN || max_payload > ITCH_SIM_PKT_MAX)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	memcpy(p->session, session, MOLD_SESSION_LEN);
	p->next_seq = first_seq;
	p->max_payload = max_payload;
	p->max_msgs = max_msgs;
	p->cur = 0;
	mold_builder_init(&p->b, p->buf[0], max_payload, p->session, first_seq);
	return 0;
}

/* Close the open packet into *ready and open the next one in the other buffer. */
static void finish(struct itch_sim_pktz *p, struct itch_sim_pkt *ready)
{
	uint16_t count = p->b.count;

	ready->len = mold_builder_finish(&p->b);
	ready->data = p->buf[p->cur];
	ready->count = count;
	ready->seq = p->next_seq - count;
	p->cur ^= 1u;
	mold_builder_init(&p->b, p->buf[p->cur], p->max_payload, p->session, p->next_seq);
}

int itch_sim_pktz_push(struct itch_sim_pktz *p, const void *msg, size_t len,
		       struct itch_sim_pkt *ready)
{
	int out = 0;

	if (len < 1 || len > p->max_payload - MOLD_HDR_LEN - 2)
		return -EINVAL;
	if (p->b.count >= p->max_msgs) {
		finish(p, ready);
		out = 1;
	}
	if (mold_builder_add(&p->b, msg, len) != 0) {
		/* count < max_msgs here unless out; a non-empty packet is full */
		if (out || p->b.count == 0)
			return -EINVAL; /* cannot happen: an empty packet takes len */
		finish(p, ready);
		out = 1;
		if (mold_builder_add(&p->b, msg, len) != 0)
			return -EINVAL;
	}
	p->next_seq++;
	return out;
}

int itch_sim_pktz_push_msg(struct itch_sim_pktz *p, const struct itch5_msg *msg,
			   struct itch_sim_pkt *ready)
{
	uint8_t tmp[ITCH5_MAX_MSG_LEN];
	int n = itch5_encode(tmp, sizeof(tmp), msg);

	if (n < 0)
		return n;
	return itch_sim_pktz_push(p, tmp, (size_t)n, ready);
}

int itch_sim_pktz_flush(struct itch_sim_pktz *p, struct itch_sim_pkt *ready)
{
	if (p->b.count == 0)
		return 0;
	finish(p, ready);
	return 1;
}

int itch_sim_pktz_full(const struct itch_sim_pktz *p)
{
	return p->b.count >= p->max_msgs;
}

uint16_t itch_sim_pktz_pending(const struct itch_sim_pktz *p)
{
	return p->b.count;
}

int itch_sim_pktz_heartbeat(const struct itch_sim_pktz *p, uint8_t *buf, size_t cap)
{
	return mold_encode_heartbeat(buf, cap, p->session, p->next_seq);
}

int itch_sim_pktz_end_of_session(const struct itch_sim_pktz *p, uint8_t *buf, size_t cap)
{
	return mold_encode_end_of_session(buf, cap, p->session, p->next_seq);
}
