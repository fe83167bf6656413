/* Bounded history of sent messages for the MoldUDP64 re-request server:
 * fixed slots indexed by sequence modulo capacity. */
#include "feeds/sim/itch_sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HIST_MAX_CAP (1ull << 26)

struct hist_slot {
	uint8_t len;
	uint8_t data[ITCH5_MAX_MSG_LEN];
};

struct itch_sim_hist {
	uint64_t cap;
	uint64_t first; /* oldest held sequence */
	uint64_t end;   /* one past the newest; first == end when empty */
	struct hist_slot *slots;
};

int itch_sim_hist_create(uint64_t cap, struct itch_sim_hist **out)
{
	struct itch_sim_hist *h;

	if (cap < 1 || cap > HIST_MAX_CAP || !out)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->slots = calloc(cap, sizeof(*h->slots));
	if (!h->slots) {
		free(h);
		return -ENOMEM;
	}
	h->cap = cap;
	*out = h;
	return 0;
}

void itch_sim_hist_destroy(struct itch_sim_hist *h)
{
	if (!h)
		return;
	free(h->slots);
	free(h);
}

int itch_sim_hist_put(struct itch_sim_hist *h, uint64_t seq, const void *msg, size_t len)
{
	struct hist_slot *sl;

	if (len < 1 || len > ITCH5_MAX_MSG_LEN || seq < 1)
		return -EINVAL;
	if (h->end == 0) {
		h->first = seq;
		h->end = seq;
	} else if (seq != h->end) {
		return -EDOM;
	}
	sl = &h->slots[seq % h->cap];
	sl->len = (uint8_t)len;
	memcpy(sl->data, msg, len);
	h->end = seq + 1;
	if (h->end - h->first > h->cap)
		h->first = h->end - h->cap;
	return 0;
}

void itch_sim_hist_range(const struct itch_sim_hist *h, uint64_t *first, uint64_t *end)
{
	*first = h->first;
	*end = h->end;
}

int itch_sim_hist_answer(const struct itch_sim_hist *h, const char session[MOLD_SESSION_LEN],
			 uint64_t seq, uint16_t count, uint8_t *buf, size_t cap,
			 size_t max_payload, uint16_t max_msgs, uint16_t *served)
{
	struct mold_builder b;
	uint64_t last;
	size_t limit = cap < max_payload ? cap : max_payload;

	*served = 0;
	if (limit < MOLD_HDR_LEN + 2 + ITCH5_MAX_MSG_LEN || max_msgs < 1)
		return -EINVAL;
	if (count == 0 || count == MOLD_COUNT_END_OF_SESSION || seq < h->first || seq >= h->end)
		return -ERANGE;
	last = seq + count;
	if (last > h->end)
		last = h->end;
	mold_builder_init(&b, buf, limit, session, seq);
	for (uint64_t q = seq; q < last && b.count < max_msgs; q++) {
		const struct hist_slot *sl = &h->slots[q % h->cap];
		if (mold_builder_add(&b, sl->data, sl->len) != 0)
			break;
	}
	*served = b.count;
	return (int)mold_builder_finish(&b);
}
