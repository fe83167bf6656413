/* Benchmark: ITCH 5.0 decode + order book + tick on one core.
 *
 * Preloads a simulated session (feeds/sim) as MoldUDP64-style message blocks
 * (2-byte big-endian length + message) in memory, then times three passes
 * over the same bytes:
 *   walk   : read length and type, touch first and last byte (memory baseline)
 *   decode : itch5_decode() only
 *   book   : itch5_decode() + md_book_apply() + copy of each tick to a ring
 *   book+pf: same, a burst of 64 decoded first and md_book_prefetch()ed
 * Each pass is timed in batches of 64 messages (rdtsc) and reports msgs/s,
 * ns/msg and the per-batch ns/msg median / p99 / p99.9.
 *
 * Usage: bench_md_book [--messages N] [--instruments N] [--seed N] [--reps N]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/orion_hist.h"
#include "common/orion_tick.h"
#include "common/orion_time.h"
#include "dataplane/book/md_book.h"
#include "feeds/itch5.h"
#include "feeds/sim/itch_sim.h"

#define BATCH 64u
#define RING 1024u /* stand-in for the tick ring */

struct opts {
	uint64_t messages;
	uint32_t instruments;
	uint64_t seed;
	uint32_t reps;
};

struct stream {
	uint8_t *buf;
	size_t len;
	uint64_t msgs;
	uint32_t max_orders_per_inst;
};

struct result {
	const char *name;
	uint64_t best_tsc;   /* fastest full pass */
	struct orion_hist h; /* per-batch ps/msg over all reps */
	uint64_t sink;
};

enum mode { M_WALK, M_DECODE, M_BOOK, M_BOOK_PF, M__COUNT };
static const char *const mode_names[M__COUNT] = { "walk", "decode", "decode+book", "decode+book+pf" };

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	o->messages = 4000000;
	o->instruments = 500;
	o->seed = 1;
	o->reps = 3;
	for (int i = 1; i < argc; i += 2) {
		uint64_t v;
		if (i + 1 >= argc || parse_u64(argv[i + 1], &v) != 0)
			return -EINVAL;
		if (strcmp(argv[i], "--messages") == 0 && v >= 1000)
			o->messages = v;
		else if (strcmp(argv[i], "--instruments") == 0 && v >= 1 && v <= 65534)
			o->instruments = (uint32_t)v;
		else if (strcmp(argv[i], "--seed") == 0)
			o->seed = v;
		else if (strcmp(argv[i], "--reps") == 0 && v >= 1 && v <= 100)
			o->reps = (uint32_t)v;
		else
			return -EINVAL;
	}
	return 0;
}

static int build_stream(const struct opts *o, struct stream *st)
{
	struct itch_sim_cfg cfg;
	itch_sim_cfg_default(&cfg);
	cfg.seed = o->seed;
	cfg.n_instruments = o->instruments;
	cfg.n_messages = o->messages;
	if (cfg.n_messages < itch_sim_fixed_msgs(&cfg))
		cfg.n_messages = itch_sim_fixed_msgs(&cfg);
	struct itch_sim *sim;
	int rc = itch_sim_create(&cfg, &sim);
	if (rc != 0)
		return rc;
	size_t cap = cfg.n_messages * (2 + ITCH5_MAX_MSG_LEN);
	st->buf = malloc(cap);
	if (st->buf == NULL) {
		itch_sim_destroy(sim);
		return -ENOMEM;
	}
	st->len = 0;
	st->msgs = 0;
	st->max_orders_per_inst = cfg.max_orders_per_instrument;
	for (;;) {
		int n = itch_sim_next_encoded(sim, st->buf + st->len + 2, cap - st->len - 2);
		if (n <= 0) {
			rc = n;
			break;
		}
		st->buf[st->len] = (uint8_t)(n >> 8);
		st->buf[st->len + 1] = (uint8_t)n;
		st->len += 2 + (size_t)n;
		st->msgs++;
	}
	itch_sim_destroy(sim);
	return rc;
}

static inline size_t blk_len(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static struct md_book_config book_cfg(const struct opts *o, const struct stream *st)
{
	struct md_book_config c = {
		.source = 1,
		.max_instruments = o->instruments,
		.max_orders = o->instruments * st->max_orders_per_inst + 1024,
		.max_levels_per_side = 4096,
		.max_levels = o->instruments * 512,
	};
	return c;
}

/* One timed pass. Returns total TSC ticks; batch ps/msg go into h. */
static uint64_t run_pass(enum mode mode, const struct stream *st, struct md_books *b,
			 struct orion_hist *h, uint64_t *sink, uint64_t *ticks)
{
	static struct md_tick ring[RING];
	uint32_t rhead = 0;
	const uint8_t *p = st->buf, *end = st->buf + st->len;
	uint64_t acc = 0, seq = 0, nt = 0;
	struct itch5_msg burst[BATCH];
	const uint64_t t_start = orion_tsc();
	uint64_t t0 = t_start;
	while (p < end) {
		unsigned n = 0;
		uint64_t recv = orion_tsc_to_ns(t0);
		switch (mode) {
		case M_WALK:
			for (; n < BATCH && p < end; n++) {
				size_t l = blk_len(p);
				acc += p[2] + p[1 + l];
				p += 2 + l;
			}
			break;
		case M_DECODE:
			for (; n < BATCH && p < end; n++) {
				size_t l = blk_len(p);
				struct itch5_msg m;
				if (itch5_decode(p + 2, l, &m) == ITCH5_OK)
					acc += m.type + m.timestamp;
				p += 2 + l;
			}
			break;
		case M_BOOK:
			for (; n < BATCH && p < end; n++) {
				size_t l = blk_len(p);
				struct itch5_msg m;
				if (itch5_decode(p + 2, l, &m) == ITCH5_OK &&
				    (md_book_apply(b, &m, recv, ++seq, &ring[rhead]) & MD_BOOK_EV_TICK)) {
					rhead = (rhead + 1) & (RING - 1);
					nt++;
				}
				p += 2 + l;
			}
			break;
		case M_BOOK_PF: {
			/* burst: decode and prefetch all, then apply all */
			for (; n < BATCH && p < end; n++) {
				size_t l = blk_len(p);
				if (itch5_decode(p + 2, l, &burst[n]) != ITCH5_OK)
					burst[n].type = 0;
				else
					md_book_prefetch(b, &burst[n]);
				p += 2 + l;
			}
			for (unsigned i = 0; i < n; i++) {
				if (burst[i].type == 0)
					continue;
				if (md_book_apply(b, &burst[i], recv, ++seq, &ring[rhead]) & MD_BOOK_EV_TICK) {
					rhead = (rhead + 1) & (RING - 1);
					nt++;
				}
			}
			break;
		}
		default:
			break;
		}
		uint64_t t1 = orion_tsc();
		orion_hist_add(h, orion_tsc_to_ns((t1 - t0) * 1000) / n);
		t0 = t1;
	}
	uint64_t total = orion_tsc() - t_start;
	*sink += acc + ring[(rhead - 1) & (RING - 1)].seqno;
	*ticks = nt;
	return total;
}

static void cpu_model(char *out, size_t cap)
{
	snprintf(out, cap, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) == 0) {
			char *c = strchr(line, ':');
			if (c != NULL) {
				c += 1 + (c[1] == ' ');
				c[strcspn(c, "\n")] = '\0';
				snprintf(out, cap, "%s", c);
			}
			break;
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: %s [--messages N>=1000] [--instruments 1..65534] [--seed N] [--reps 1..100]\n",
			argv[0]);
		return 2;
	}
	if (orion_time_init(20) != 0) {
		fprintf(stderr, "TSC calibration failed\n");
		return 1;
	}
	struct stream st;
	uint64_t g0 = orion_monotonic_ns();
	int rc = build_stream(&o, &st);
	if (rc != 0) {
		fprintf(stderr, "stream generation failed: %s\n", strerror(-rc));
		return 1;
	}
	uint64_t g1 = orion_monotonic_ns();
	char cpu[128];
	cpu_model(cpu, sizeof(cpu));
	printf("bench_md_book: messages=%" PRIu64 " instruments=%u seed=%" PRIu64 " reps=%u batch=%u\n",
	       st.msgs, o.instruments, o.seed, o.reps, BATCH);
	printf("machine: cpu=\"%s\" tsc_hz=%" PRIu64 "\n", cpu, g_orion_clock.tsc_hz);
	printf("stream: %zu bytes (%.1f B/msg) generated in %.2f s\n", st.len, (double)st.len / (double)st.msgs,
	       (double)(g1 - g0) / 1e9);

	struct md_book_config cfg = book_cfg(&o, &st);
	size_t memsz = md_book_mem_size(&cfg);
	void *mem = aligned_alloc(64, memsz);
	if (mem == NULL) {
		fprintf(stderr, "book memory (%zu bytes): out of memory\n", memsz);
		free(st.buf);
		return 1;
	}
	printf("book: max_orders=%u max_levels=%u per_side=%u memory=%.1f MiB\n", cfg.max_orders,
	       cfg.max_levels, cfg.max_levels_per_side, (double)memsz / (1 << 20));

	static struct result res[M__COUNT];
	struct md_books *b = NULL;
	uint64_t sink = 0, ticks = 0;
	struct md_book_stats bs;
	memset(&bs, 0, sizeof(bs));
	for (unsigned m = 0; m < M__COUNT; m++) {
		res[m].name = mode_names[m];
		res[m].best_tsc = UINT64_MAX;
		orion_hist_reset(&res[m].h);
	}
	for (uint32_t r = 0; r < o.reps; r++) {
		for (unsigned m = 0; m < M__COUNT; m++) {
			if (md_book_init(&b, mem, memsz, &cfg) != 0) {
				fprintf(stderr, "md_book_init failed\n");
				return 1;
			}
			uint64_t t = run_pass((enum mode)m, &st, b, &res[m].h, &sink, &ticks);
			if (t < res[m].best_tsc)
				res[m].best_tsc = t;
			if (m == M_BOOK)
				md_book_stats(b, &bs);
		}
	}
	double base_ns = 0;
	printf("%-15s %12s %9s %9s %9s %9s %8s\n", "pass", "msgs/s", "ns/msg", "p50", "p99", "p99.9", "x_walk");
	for (unsigned m = 0; m < M__COUNT; m++) {
		double ns = (double)orion_tsc_to_ns(res[m].best_tsc) / (double)st.msgs;
		if (m == M_WALK)
			base_ns = ns;
		printf("%-15s %12.0f %9.2f %9.2f %9.2f %9.2f %8.1f\n", res[m].name, 1e9 / ns, ns,
		       (double)orion_hist_pct(&res[m].h, 50) / 1000.0, (double)orion_hist_pct(&res[m].h, 99) / 1000.0,
		       (double)orion_hist_pct(&res[m].h, 99.9) / 1000.0, base_ns > 0 ? ns / base_ns : 0.0);
	}
	printf("(p50/p99/p99.9: per batch of %u messages, ns per message; msgs/s and ns/msg: best of %u passes)\n",
	       BATCH, o.reps);
	printf("book: ticks=%" PRIu64 " (%.2f per msg) orders_live=%u orders_hwm=%u levels=%u instruments=%u ignored=%" PRIu64
	       " broken=%" PRIu64 "\n",
	       bs.ticks, (double)bs.ticks / (double)st.msgs, bs.orders, bs.orders_hwm, bs.levels, bs.instruments,
	       bs.ignored, bs.broken_trades);
	uint64_t errs = 0;
	for (unsigned e = 0; e < MD_BOOK_ERR__COUNT; e++) {
		errs += bs.err[e];
		if (bs.err[e])
			printf("book error %s=%" PRIu64 "\n", md_book_err_name((enum md_book_err)e), bs.err[e]);
	}
	printf("book errors total=%" PRIu64 " (sink %" PRIu64 ", last ticks %" PRIu64 ")\n", errs, sink & 0xff, ticks);
	free(mem);
	free(st.buf);
	return errs == 0 ? 0 : 1;
}
