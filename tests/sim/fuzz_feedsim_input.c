/* libFuzzer target for the hostile inputs of orion-feedsim: captured frames
 * (replay / inspect), option text (drop lists, endpoints, sessions) and
 * re-requests answered from the history ring.
 * First byte selects the parser; the rest is its input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "feeds/sim/feedsim_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct itch_sim_hist *g_hist;

static void fuzz_frame(int dlt, const uint8_t *p, size_t n)
{
	struct fs_udp_view u;
	struct mold_packet mp;

	if (fs_parse_frame(dlt, p, n, &u) != FS_SKIP_NONE)
		return;
	/* the view must lie inside the frame */
	if (u.payload < p || u.payload + u.len > p + n)
		__builtin_trap();
	if (mold_decode(u.payload, u.len, &mp) == MOLD_OK) {
		struct mold_iter it;
		const uint8_t *m;
		uint16_t len;
		struct itch5_msg msg;

		mold_iter_init(&it, &mp);
		while (mold_iter_next(&it, &m, &len))
			(void)itch5_decode(m, len, &msg);
	}
}

static void fuzz_text(const uint8_t *p, size_t n)
{
	char s[256];
	struct fs_ranges r;
	struct fs_endpoint ep;
	char sess[MOLD_SESSION_LEN];
	uint64_t v;
	double d;

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, p, n);
	s[n] = 0;
	if (fs_parse_ranges(s, &r) == 0) {
		if (r.n == 0 || r.n > FS_MAX_RANGES)
			__builtin_trap();
		for (unsigned i = 0; i < r.n; i++)
			if (r.lo[i] > r.hi[i] || !fs_ranges_hit(&r, r.lo[i], r.lo[i]))
				__builtin_trap();
	}
	(void)fs_parse_endpoint(s, &ep);
	(void)fs_parse_session(s, sess);
	(void)fs_parse_u64(s, 1, 65535, &v);
	(void)fs_parse_double(s, 0, 1000, &d);
}

static void fuzz_rereq(const uint8_t *p, size_t n)
{
	struct mold_rereq rq;
	uint8_t out[ITCH_SIM_PKT_MAX];
	uint16_t served;
	int len;

	if (!g_hist) {
		uint8_t msg[ITCH5_MAX_MSG_LEN];
		if (itch_sim_hist_create(64, &g_hist))
			return;
		for (uint64_t q = 1; q <= 100; q++) {
			memset(msg, (int)q, sizeof(msg));
			itch_sim_hist_put(g_hist, q, msg, 1 + q % ITCH5_MAX_MSG_LEN);
		}
	}
	if (mold_rereq_decode(p, n, &rq) != MOLD_OK)
		return;
	len = itch_sim_hist_answer(g_hist, rq.session, rq.seq, rq.count, out, sizeof(out),
				   MOLD_MAX_PAYLOAD, 65534, &served);
	if (len > 0) {
		struct mold_packet mp;
		if (len > MOLD_MAX_PAYLOAD || mold_decode(out, (size_t)len, &mp) != MOLD_OK ||
		    mp.count != served || served == 0 || served > rq.count)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = { 0, 1, 12, 101, 108, 113, 228, 147 };

	if (size < 1)
		return 0;
	switch (data[0] % 10) {
	case 8:
		fuzz_text(data + 1, size - 1);
		break;
	case 9:
		fuzz_rereq(data + 1, size - 1);
		break;
	default:
		fuzz_frame(dlts[data[0] % 8], data + 1, size - 1);
		break;
	}
	return 0;
}
