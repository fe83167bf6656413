/* libFuzzer target: dataplane/arb/md_arb.
 *
 * The input is a small config followed by a script of operations: raw bytes
 * as a packet, well-formed data packets / heartbeats / end-of-session near the
 * expected sequence (so the fuzzer reaches gaps, overlaps and recoveries
 * without having to guess sessions), and clock advances with polls, all on
 * lines A, B and R with a fake clock.
 *
 * Invariants (trap on violation):
 *   - delivered sequences are strictly increasing and contiguous, except that
 *     a GAP_UNRECOVERABLE(from, to) skips exactly from..to, and SESSION_NEW(s)
 *     restarts at s;
 *   - GAP_OPEN / GAP_FILLED / GAP_UNRECOVERABLE alternate properly and match
 *     md_arb_in_gap(); nothing is held outside a gap;
 *   - a re-request asks for the next expected sequence, 1..max_rereq_count;
 *   - the hold window stays within its packet and byte limits;
 *   - per line, with nothing held: messages = delivered + duplicates + discarded;
 *   - stats.delivered equals the number of deliver calls.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/arb/md_arb.h"
#include "feeds/moldudp64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const char g_sess[2][MOLD_SESSION_LEN] = {
	{ 'F', 'U', 'Z', 'Z', 'S', 'E', 'S', 'S', '0', '1' },
	{ 'F', 'U', 'Z', 'Z', 'S', 'E', 'S', 'S', '0', '2' },
};

struct checker {
	const struct md_arb_config *cfg;
	uint64_t expected;  /* next sequence to be delivered */
	int expected_known;
	int gap_open;
	uint64_t deliveries;
};

static void on_deliver(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len, unsigned flags)
{
	struct checker *c = ctx;
	(void)flags;
	CHECK(msg != NULL && len > 0);
	if (c->expected_known)
		CHECK(seq == c->expected);
	c->expected = seq + 1;
	c->expected_known = 1;
	c->deliveries++;
}

static int on_rerequest(void *ctx, const uint8_t *pkt, size_t len)
{
	struct checker *c = ctx;
	struct mold_rereq rq;
	CHECK(mold_rereq_decode(pkt, len, &rq) == MOLD_OK);
	CHECK(c->gap_open);
	CHECK(rq.count >= 1 && rq.count <= c->cfg->max_rereq_count);
	if (c->expected_known)
		CHECK(rq.seq == c->expected);
	return (rq.seq & 7) == 7 ? -1 : 0; /* sometimes the sender refuses */
}

static void on_event(void *ctx, enum md_arb_event ev, uint64_t from, uint64_t to)
{
	struct checker *c = ctx;
	CHECK(from <= to);
	switch (ev) {
	case MD_ARB_EV_GAP_OPEN:
		CHECK(!c->gap_open);
		if (c->expected_known)
			CHECK(from == c->expected);
		c->gap_open = 1;
		break;
	case MD_ARB_EV_GAP_FILLED:
		CHECK(c->gap_open);
		c->gap_open = 0;
		if (c->expected_known)
			CHECK(to + 1 == c->expected);
		break;
	case MD_ARB_EV_GAP_UNRECOVERABLE:
		CHECK(c->gap_open);
		c->gap_open = 0;
		if (c->expected_known)
			CHECK(from == c->expected);
		c->expected = to + 1;
		c->expected_known = 1;
		break;
	case MD_ARB_EV_SESSION_NEW:
		CHECK(!c->gap_open);
		c->expected = from;
		c->expected_known = 1;
		break;
	case MD_ARB_EV_STALE:
	case MD_ARB_EV_STALE_CLEARED:
	case MD_ARB_EV_SESSION_END:
		break;
	case MD_ARB_EV__COUNT:
		CHECK(0);
	}
}

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t take(struct reader *r)
{
	if (r->left == 0)
		return 0;
	r->left--;
	return *r->p++;
}

static void check_state(const struct md_arb *arb, const struct checker *c)
{
	const struct md_arb_stats *st = md_arb_stats(arb);
	CHECK(st->held_now <= c->cfg->max_held_pkts);
	CHECK(st->held_bytes_now <= c->cfg->max_held_bytes);
	CHECK(md_arb_in_gap(arb) == c->gap_open);
	if (!c->gap_open)
		CHECK(st->held_now == 0);
	CHECK(st->delivered == c->deliveries);
	if (st->held_now == 0) {
		for (unsigned l = 0; l < MD_ARB_LINE__COUNT; l++) {
			const struct md_arb_line_stats *ls = &st->line[l];
			CHECK(ls->messages == ls->delivered + ls->dup_messages + ls->discarded);
		}
	}
	if (c->expected_known && md_arb_next_seq(arb))
		CHECK(md_arb_next_seq(arb) == c->expected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(64) uint8_t mem[1 << 20];
	struct reader r = { data, size };
	struct md_arb_config cfg;
	struct checker c;
	struct md_arb *arb;

	md_arb_config_default(&cfg);
	const uint8_t c0 = take(&r), c1 = take(&r), c2 = take(&r);
	cfg.max_held_pkts = 1 + (c0 & 7);
	cfg.max_held_bytes = 64 + 64u * (c0 >> 3);
	cfg.max_pkt_len = 64 + 16u * (c1 & 31);
	cfg.max_retries = (c1 >> 5) & 3;
	cfg.max_rereq_count = 1 + (c2 & 7);
	cfg.adopt_new_session = (c2 >> 3) & 1;
	cfg.initial_seq = (c2 >> 4) & 1;
	cfg.max_seq_jump = (c2 & 0x20) ? 40 : 0;
	cfg.gap_wait_ns = 1000;
	cfg.rerequest_timeout_ns = 5000;
	cfg.stale_ns = 50000;
	cfg.deliver = on_deliver;
	cfg.rerequest = (c2 & 0x40) ? NULL : on_rerequest;
	cfg.event = on_event;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	cfg.ctx = &c;
	CHECK(md_arb_footprint(&cfg) <= sizeof(mem));
	CHECK(md_arb_init(mem, sizeof(mem), &cfg, &arb) == 0);

	uint64_t now = 1000000;
	uint8_t pkt[2048];
	for (unsigned steps = 0; r.left && steps < 4096; steps++) {
		const uint8_t op = take(&r);
		const enum md_arb_line line = (enum md_arb_line)((op >> 3) % 3);
		const uint64_t next = md_arb_next_seq(arb);
		const uint64_t base = next; /* sequences below are near the expected one */
		switch (op & 7) {
		case 0: { /* raw bytes */
			size_t n = take(&r);
			if (n > r.left)
				n = r.left;
			md_arb_rx(arb, line, r.p, n, now);
			r.p += n;
			r.left -= n;
			break;
		}
		case 1:
		case 2:
		case 3:
		case 4: { /* data packet */
			const uint8_t a = take(&r), b = take(&r);
			const int64_t d = (int64_t)(a & 15) - 4; /* next - 4 .. next + 11 */
			const uint64_t seq = (d < 0 && base < (uint64_t)-d) ? 1 : base + (uint64_t)d;
			const unsigned nmsg = 1 + (a >> 4 & 3);
			struct mold_builder mb;
			uint8_t msg[300];
			mold_builder_init(&mb, pkt, sizeof(pkt), g_sess[(a >> 6) & (b & 1)], seq ? seq : 1);
			for (unsigned i = 0; i < nmsg; i++) {
				const size_t ml = 1 + (size_t)((b >> 1) * (i + 1)) % 300;
				memset(msg, (int)(seq + i), ml);
				if (mold_builder_add(&mb, msg, ml) < 0)
					break;
			}
			md_arb_rx(arb, line, pkt, mold_builder_finish(&mb), now);
			break;
		}
		case 5: { /* heartbeat or end of session */
			const uint8_t a = take(&r);
			const uint64_t seq = base + (a & 15);
			const char *s = g_sess[(a >> 6) & 1];
			const int n = (a & 0x20) ? mold_encode_end_of_session(pkt, sizeof(pkt), s, seq)
						 : mold_encode_heartbeat(pkt, sizeof(pkt), s, seq);
			CHECK(n == MOLD_HDR_LEN);
			md_arb_rx(arb, line, pkt, (size_t)n, now);
			break;
		}
		case 6: /* let time pass */
			now += 200u * take(&r);
			md_arb_poll(arb, now);
			break;
		default: /* short step */
			now += 100;
			md_arb_poll(arb, now);
			break;
		}
		check_state(arb, &c);
	}
	/* Run the timers out: every gap must close (filled or given up). */
	for (unsigned i = 0; i < 256 && md_arb_in_gap(arb); i++) {
		now += cfg.rerequest_timeout_ns;
		md_arb_poll(arb, now);
		check_state(arb, &c);
	}
	CHECK(!md_arb_in_gap(arb));
	CHECK(md_arb_stats(arb)->held_now == 0);
	return 0;
}
