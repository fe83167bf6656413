/* bench_jr: journal append latency and throughput on one thread, with the
 * background flusher running, against a same-run baseline (memcpy of the same
 * record into a preallocated buffer).
 *
 * Per payload size (64 and 256 bytes): warm-up, a latency pass (rdtsc around
 * every call, histogram in TSC ticks, reported in ns) and a throughput pass
 * (no per-call timing). The journal directory is created under --dir and
 * removed at the end; retention keeps at most 3 segments on disk.
 *
 * usage: bench_jr [--dir DIR] [--count N] [--seg-mib M] [--flush-us U] [--power] [--no-prefault]
 * Defaults: /tmp, 1000000 appends per pass, 64 MiB segments, 1000 us, PROCESS.
 * Disk written: about 2 * count * (record size) per payload size (~0.8 GB at
 * the defaults).
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/orion_hist.h"
#include "common/orion_time.h"
#include "dataplane/journal/jr_writer.h"

#define BASELINE_BYTES (64u << 20)

struct params {
	const char *dir;
	uint64_t count;
	uint64_t seg_mib;
	uint32_t flush_us;
	int power;
	int no_prefault;
};

struct result {
	struct orion_hist h;          /* TSC ticks per call */
	double mev_s;                 /* throughput pass, million events/s */
	uint64_t retries;             /* -EAGAIN retried (journal only) */
	long minflt;                  /* minor page faults during the latency pass */
	uint64_t ctr[JR_C__COUNT];
};

static struct result g_res[2][2];     /* [payload size][0 journal, 1 memcpy] */

static uint8_t g_src[4096] __attribute__((aligned(64)));

static long minflt_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);   /* this thread only, not bg's prefaulting */
	return ru.ru_minflt;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline int64_t append_retry(struct jr_writer *w, const void *p, uint32_t len, uint64_t ts, uint64_t *retries)
{
	int64_t s;
	while ((s = jr_append(w, 1, p, len, ts)) == -EAGAIN)
		(*retries)++;
	return s;
}

static int run_journal(const struct params *pp, uint32_t len, struct result *r)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/bench-jr-%d-%u", pp->dir, (int)getpid(), len);
	struct jr_writer_opts o = {
		.dir = dir, .segment_size = pp->seg_mib << 20, .spares = 2, .flush_interval_us = pp->flush_us,
		.durability = pp->power ? JR_DUR_POWER : JR_DUR_PROCESS, .retain_segments = 3,
		.retain_without_export = 1, .no_prefault = pp->no_prefault,
	};
	struct jr_writer *w;
	int rc = jr_writer_open(&w, &o, NULL);
	if (rc) {
		fprintf(stderr, "bench_jr: jr_writer_open(%s): %s\n", dir, strerror(-rc));
		return rc;
	}
	uint64_t ts = orion_now_ns();
	for (uint64_t i = 0; i < 20000; i++)
		if (append_retry(w, g_src + (i & 1023), len, ts, &r->retries) < 0)
			goto fail;

	orion_hist_reset(&r->h);
	long f0 = minflt_now();
	for (uint64_t i = 0; i < pp->count; i++) {
		const uint8_t *p = g_src + (i & 1023);
		uint64_t t0 = orion_tsc();
		int64_t s = jr_append(w, 1, p, len, ts);
		uint64_t t1 = orion_tsc();
		if (s == -EAGAIN) {
			r->retries++;
			i--;
			continue;
		}
		if (s < 0)
			goto fail;
		orion_hist_add(&r->h, t1 - t0);
	}
	r->minflt = minflt_now() - f0;

	uint64_t m0 = orion_monotonic_ns();
	for (uint64_t i = 0; i < pp->count; i++)
		if (append_retry(w, g_src + (i & 1023), len, ts, &r->retries) < 0)
			goto fail;
	uint64_t m1 = orion_monotonic_ns();
	r->mev_s = (double)pp->count * 1e3 / (double)(m1 - m0);
	jr_writer_counters(w, r->ctr);
	rc = jr_writer_close(w);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
fail:
	fprintf(stderr, "bench_jr: append failed\n");
	jr_writer_close(w);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return -EIO;
}

/* Baseline: the same record bytes memcpy'd into a preallocated buffer. */
__attribute__((noinline)) static void copy_rec(uint8_t *dst, const void *src, uint32_t len)
{
	memcpy(dst, src, len);
}

static int run_memcpy(const struct params *pp, uint32_t len, struct result *r)
{
	uint8_t *buf = aligned_alloc(4096, BASELINE_BYTES);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0x5a, BASELINE_BYTES);   /* fault every page in now */
	__asm__ volatile("" : : "r"(buf) : "memory");   /* keep the memset (not a dead store) */
	uint64_t rec = JR_REC_SIZE(len), off = 0;
	for (uint64_t i = 0; i < 20000; i++) {
		copy_rec(buf + off, g_src + (i & 1023), len);
		off = off + rec + rec > BASELINE_BYTES ? 0 : off + rec;
	}
	orion_hist_reset(&r->h);
	long f0 = minflt_now();
	for (uint64_t i = 0; i < pp->count; i++) {
		uint64_t t0 = orion_tsc();
		copy_rec(buf + off, g_src + (i & 1023), len);
		uint64_t t1 = orion_tsc();
		off = off + rec + rec > BASELINE_BYTES ? 0 : off + rec;
		orion_hist_add(&r->h, t1 - t0);
	}
	r->minflt = minflt_now() - f0;
	uint64_t m0 = orion_monotonic_ns();
	for (uint64_t i = 0; i < pp->count; i++) {
		copy_rec(buf + off, g_src + (i & 1023), len);
		off = off + rec + rec > BASELINE_BYTES ? 0 : off + rec;
	}
	uint64_t m1 = orion_monotonic_ns();
	r->mev_s = (double)pp->count * 1e3 / (double)(m1 - m0);
	free(buf);
	return 0;
}

static void cpu_model(char *buf, size_t n)
{
	snprintf(buf, n, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			if (c) {
				c++;
				while (*c == ' ')
					c++;
				c[strcspn(c, "\n")] = 0;
				snprintf(buf, n, "%s", c);
			}
			break;
		}
	}
	fclose(f);
}

static const char *fs_name(const char *dir)
{
	struct statfs s;
	if (statfs(dir, &s) != 0)
		return "?";
	switch ((unsigned long)s.f_type) {
	case 0xEF53: return "ext4";
	case 0x01021994: return "tmpfs";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x794c7630: return "overlayfs";
	default: return "other";
	}
}

static double ns(uint64_t ticks)
{
	return (double)ticks * 1e9 / (double)g_orion_clock.tsc_hz;
}

static void row(uint32_t len, const char *what, const struct result *r)
{
	const struct orion_hist *h = &r->h;
	printf("%-7u %-8s %8.1f %8.1f %8.1f %9.1f %10.1f %8.1f %10.2f %8ld\n", len, what, ns(orion_hist_pct(h, 50)),
	       ns(orion_hist_pct(h, 99)), ns(orion_hist_pct(h, 99.9)), ns(orion_hist_pct(h, 99.99)), ns(h->max),
	       orion_hist_mean(h) * 1e9 / (double)g_orion_clock.tsc_hz, r->mev_s, r->minflt);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_jr [--dir DIR] [--count N] [--seg-mib M] [--flush-us U] [--power] [--no-prefault]\n");
}

int main(int argc, char **argv)
{
	struct params pp = { .dir = "/tmp", .count = 1000000, .seg_mib = 64, .flush_us = 1000 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--power")) {
			pp.power = 1;
			continue;
		}
		if (!strcmp(a, "--no-prefault")) {
			pp.no_prefault = 1;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		if (!strcmp(a, "--dir"))
			pp.dir = v;
		else if (!strcmp(a, "--count"))
			pp.count = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--seg-mib"))
			pp.seg_mib = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--flush-us"))
			pp.flush_us = (uint32_t)strtoul(v, NULL, 10);
		else {
			usage();
			return 2;
		}
		i++;
	}
	if (pp.count == 0 || pp.count > 20000000 || pp.seg_mib == 0 || pp.seg_mib > 1024) {
		usage();
		return 2;
	}
	if (orion_time_init(20) != 0) {
		fprintf(stderr, "bench_jr: TSC calibration failed\n");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(g_src); i++)
		g_src[i] = (uint8_t)(i * 131u + 7u);

	static const uint32_t sizes[2] = { 64, 256 };
	for (int s = 0; s < 2; s++) {
		if (run_journal(&pp, sizes[s], &g_res[s][0]) != 0)
			return 1;
		if (run_memcpy(&pp, sizes[s], &g_res[s][1]) != 0)
			return 1;
	}

	char cpu[128];
	cpu_model(cpu, sizeof(cpu));
	printf("bench_jr: journal append vs memcpy baseline, 1 writer thread, flusher thread on\n");
	printf("params:  count=%" PRIu64 " per pass, segment=%" PRIu64 " MiB, spares=2, flush=%u us, durability=%s, "
	       "retain=3 segments, prefault %s, crc32c=%s\n",
	       pp.count, pp.seg_mib, pp.flush_us, pp.power ? "POWER" : "PROCESS", pp.no_prefault ? "off" : "on", jr_crc32c_hw() ? "sse4.2" : "table");
	printf("machine: %s, %ld cpus online, TSC %.3f GHz, dir %s (%s)\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
	       (double)g_orion_clock.tsc_hz / 1e9, pp.dir, fs_name(pp.dir));
	printf("latency per call in ns (rdtsc around each call, includes its overhead); Mev/s from an untimed pass;\n"
	       "minflt: page faults taken by the writer thread during the latency pass\n");
	printf("%-7s %-8s %8s %8s %8s %9s %10s %8s %10s %8s\n", "payload", "what", "p50", "p99", "p99.9", "p99.99",
	       "max", "mean", "Mev/s", "minflt");
	for (int s = 0; s < 2; s++) {
		row(sizes[s], "journal", &g_res[s][0]);
		row(sizes[s], "memcpy", &g_res[s][1]);
	}
	for (int s = 0; s < 2; s++) {
		const struct result *j = &g_res[s][0], *m = &g_res[s][1];
		printf("ratio %3u B: p50 %.2fx, p99 %.2fx, throughput %.2fx of memcpy; rotations=%" PRIu64
		       " not_ready_retries=%" PRIu64 " flushes=%" PRIu64 " seg_deleted=%" PRIu64 "\n",
		       sizes[s], ns(orion_hist_pct(&j->h, 50)) / ns(orion_hist_pct(&m->h, 50)),
		       ns(orion_hist_pct(&j->h, 99)) / ns(orion_hist_pct(&m->h, 99)), j->mev_s / m->mev_s,
		       j->ctr[JR_C_ROTATIONS], j->retries, j->ctr[JR_C_FLUSHES], j->ctr[JR_C_SEG_DELETED]);
	}
	double p99_64 = ns(orion_hist_pct(&g_res[0][0].h, 99));
	double p99_256 = ns(orion_hist_pct(&g_res[1][0].h, 99));
	printf("target p99 < 200 ns: %s (64 B %.1f ns, 256 B %.1f ns)\n",
	       p99_64 < 200 && p99_256 < 200 ? "MET" : "MISSED", p99_64, p99_256);
	return 0;
}
