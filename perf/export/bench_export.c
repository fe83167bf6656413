/* bench_export: Kafka exporter throughput and append → delivery latency.
 *
 * Phase 1 (throughput): COUNT engine events (ME_EV_ACCEPTED, one Envelope
 * each, ~230 bytes) are appended to a fresh journal, then the exporter is
 * started and timed until every one is confirmed by a delivery report (the
 * exported sequence reaches the last record): the sustained export rate.
 * Phase 2 (latency): a pacer appends events at RATE/s while the exporter
 * tails; for every record the time from its append to the moment the
 * exported sequence passes it (all of its messages acknowledged, i.e. it
 * could be checkpointed) goes into a histogram (common/orion_hist.h).
 *
 * Target: librdkafka's in-process mock cluster (3 brokers, 4 partitions per
 * topic), or a real broker with --brokers (the topics are auto-created or
 * must exist; old brokers: --old-broker sets api.version.request=false and
 * broker.version.fallback=0.9.0.1).
 *
 * usage: bench_export [--count N] [--rate R] [--lat-seconds S] [--linger MS]
 *                     [--compression C] [--brokers B] [--old-broker] [--dir D]
 * Defaults: 1000000 events, 50000/s for 2 s, linger 5 ms (the exporter's
 * default), no compression, /tmp. The journal is removed at the end.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/orion_hist.h"
#include "common/orion_time.h"
#include "controlplane/exp_map.h"
#include "controlplane/exporter.h"
#include "dataplane/journal/jr_writer.h"
#include "dataplane/og/og_journal.h"

struct params {
	uint64_t count;
	uint64_t rate;
	double lat_seconds;
	int linger;
	const char *compression;
	const char *brokers;
	int old_broker;
	const char *dir;
};

static uint64_t committed(void *ctx)
{
	return jr_committed_seq(ctx);
}

static void exported(void *ctx, uint64_t seq)
{
	jr_set_exported(ctx, seq);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_export [--count N] [--rate R] [--lat-seconds S] [--linger MS] [--compression C]\n"
			"                    [--brokers B] [--old-broker] [--dir D]\n");
}

static void machine(void)
{
	char line[256], model[256] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			if (c) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = '\0';
			}
			break;
		}
	if (f)
		fclose(f);
	struct utsname u;
	uname(&u);
	printf("machine: %s, %ld online cpus, kernel %s, librdkafka %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       u.release, rd_kafka_version_str());
}

static void event(struct me_event *ev, uint64_t i, uint64_t ts)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = ME_EV_ACCEPTED;
	ev->instrument_id = (uint32_t)(i % 64);
	ev->seq = i + 1;
	ev->ts_ns = ts;
	ev->u.order.order_id = i + 1;
	ev->u.order.price = (int64_t)(100 + i % 50) * ORION_PX_SCALE;
	ev->u.order.qty = 100;
	ev->u.order.leaves = 100;
	ev->u.order.instrument_id = ev->instrument_id;
	ev->u.order.session_id = (uint32_t)(i % 8);
	ev->u.order.account_id = (uint32_t)(i % 100);
	ev->u.order.tenant_id = 1;
	ev->u.order.side = (uint8_t)(1 + i % 2);
	ev->u.order.type = ME_LIMIT;
	snprintf((char *)ev->u.order.cl_ord_id, sizeof(ev->u.order.cl_ord_id), "CL%" PRIu64, i);
}

static struct exp *start_exp(const struct params *p, const char *brokers, const char *jdir, struct jr_writer *w,
			     uint32_t queue_max)
{
	struct exp_cfg c;
	char err[512];
	exp_cfg_defaults(&c);
	c.enabled = 1;
	snprintf(c.brokers, sizeof(c.brokers), "%s", brokers);
	snprintf(c.env, sizeof(c.env), "bench");
	snprintf(c.compression, sizeof(c.compression), "%s", p->compression);
	c.linger_ms = p->linger;
	c.queue_max_messages = queue_max;
	c.inflight_max = 1u << 20;
	c.market_data = EXP_MD_OFF;
	c.checkpoint_interval_ms = 100;
	c.stop_timeout_ms = 10000;
	if (p->old_broker) {
		c.api_version_request = 0;
		snprintf(c.broker_version_fallback, sizeof(c.broker_version_fallback), "0.9.0.1");
	}
	snprintf(c.rdkafka[0].name, sizeof(c.rdkafka[0].name), "log_level");
	snprintf(c.rdkafka[0].value, sizeof(c.rdkafka[0].value), "3");
	c.n_rdkafka = 1;
	struct exp *x = exp_create(&c, jdir, committed, exported, w, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "bench_export: %s\n", err);
		return NULL;
	}
	if (exp_start(x) != 0) {
		exp_destroy(x);
		return NULL;
	}
	return x;
}

int main(int argc, char **argv)
{
	struct params p = { .count = 1000000, .rate = 50000, .lat_seconds = 2.0, .linger = 5, .compression = "none",
			    .dir = "/tmp" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--old-broker")) {
			p.old_broker = 1;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		if (!strcmp(a, "--count"))
			p.count = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--rate"))
			p.rate = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--lat-seconds"))
			p.lat_seconds = strtod(v, NULL);
		else if (!strcmp(a, "--linger"))
			p.linger = atoi(v);
		else if (!strcmp(a, "--compression"))
			p.compression = v;
		else if (!strcmp(a, "--brokers"))
			p.brokers = v;
		else if (!strcmp(a, "--dir"))
			p.dir = v;
		else {
			usage();
			return 2;
		}
		i++;
	}
	if (!p.count || !p.rate || p.lat_seconds <= 0) {
		usage();
		return 2;
	}
	if (orion_time_init(20) != 0) {
		fprintf(stderr, "bench_export: TSC calibration failed\n");
		return 1;
	}
	machine();

	rd_kafka_t *mrk = NULL;
	rd_kafka_mock_cluster_t *mc = NULL;
	char brokers[512];
	if (p.brokers) {
		snprintf(brokers, sizeof(brokers), "%s", p.brokers);
	} else {
		char err[256];
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
		mrk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
		mc = mrk ? rd_kafka_mock_cluster_new(mrk, 3) : NULL;
		if (!mc) {
			fprintf(stderr, "bench_export: cannot create the mock cluster\n");
			return 1;
		}
		for (unsigned s = 0; s < EXP_S__COUNT; s++) {
			char t[96];
			snprintf(t, sizeof(t), "bench.%s.v1", exp_stream_name((enum exp_stream)s));
			rd_kafka_mock_topic_create(mc, t, 4, 3);
		}
		snprintf(brokers, sizeof(brokers), "%s", rd_kafka_mock_cluster_bootstraps(mc));
	}
	printf("target: %s (%s), event: OrderAccepted envelope per journal record, linger %d ms, compression %s, "
	       "acks all, idempotence %s\n",
	       p.brokers ? p.brokers : "librdkafka mock cluster, 3 brokers, 4 partitions/topic",
	       p.brokers ? "real broker" : "in-process", p.linger, p.compression, p.old_broker ? "off" : "on");

	int rc = 1;
	char root[256], jdir[300];
	snprintf(root, sizeof(root), "%s/orion-bench-export-XXXXXX", p.dir);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	struct orion_hist *h = calloc(1, sizeof(*h));
	uint64_t *t_app = NULL;
	struct exp *x = NULL;
	struct jr_writer *w = NULL;
	struct me_event ev;

	/* ---- phase 1: throughput ---- */
	snprintf(jdir, sizeof(jdir), "%s/j1", root);
	struct jr_writer_opts o = { .dir = jdir, .segment_size = 64u << 20, .retain_without_export = 1, .no_prefault = 1 };
	if (!h || jr_writer_open(&w, &o, NULL) != 0) {
		fprintf(stderr, "bench_export: journal %s\n", jdir);
		goto out;
	}
	uint64_t ts = orion_realtime_ns();
	for (uint64_t i = 0; i < p.count; i++) {
		event(&ev, i, ts);
		while (jr_append(w, OG_JR_EVENT, &ev, sizeof(ev), ts) == -EAGAIN)
			usleep(100); /* next segment not ready yet */
	}
	uint64_t last = jr_committed_seq(w);
	uint64_t t0 = orion_monotonic_ns();
	if (!(x = start_exp(&p, brokers, jdir, w, 1000000)))
		goto out;
	while (exp_exported_seq(x) < last)
		usleep(1000);
	uint64_t t1 = orion_monotonic_ns();
	struct exp_stats st;
	exp_get_stats(x, &st);
	double secs = (double)(t1 - t0) / 1e9;
	printf("throughput: %" PRIu64 " events delivered in %.3f s = %.0f events/s (delivery errors %" PRIu64
	       ", rewinds %" PRIu64 ", queue max %" PRIu64 ")\n",
	       st.delivered, secs, (double)st.delivered / secs, st.delivery_errors, st.rewinds, st.queue_depth_max);
	exp_destroy(x);
	x = NULL;
	jr_writer_close(w);
	w = NULL;

	/* ---- phase 2: latency at a paced rate ---- */
	uint64_t n = (uint64_t)((double)p.rate * p.lat_seconds);
	snprintf(jdir, sizeof(jdir), "%s/j2", root);
	o.dir = jdir;
	t_app = calloc(n + 2, sizeof(*t_app));
	if (!t_app || jr_writer_open(&w, &o, NULL) != 0)
		goto out;
	if (!(x = start_exp(&p, brokers, jdir, w, 1000000)))
		goto out;
	usleep(300000); /* connections and metadata */
	orion_hist_reset(h);
	uint64_t period = orion_ns_to_tsc(1000000000ull / p.rate), next_t = orion_tsc(), seen = 0, appended = 0;
	uint64_t deadline = orion_monotonic_ns() + (uint64_t)(p.lat_seconds * 1e9) + 30000000000ull;
	while (seen < n && orion_monotonic_ns() < deadline) {
		uint64_t now = orion_tsc();
		int work = 0;
		while (appended < n && now >= next_t) {
			event(&ev, appended, ts);
			int64_t s = jr_append(w, OG_JR_EVENT, &ev, sizeof(ev), ts);
			if (s <= 0)
				break;
			t_app[s] = orion_tsc();
			appended++;
			next_t += period;
			work = 1;
		}
		uint64_t e = exp_exported_seq(x), tnow = orion_tsc();
		for (; seen < e && seen < n; seen++) {
			orion_hist_add(h, orion_tsc_to_ns(tnow - t_app[seen + 1]));
			work = 1;
		}
		if (!work)
			usleep(20);
	}
	printf("latency: %" PRIu64 " events at %" PRIu64 "/s, append -> delivery confirmed (exported seq passes it):\n",
	       seen, p.rate);
	orion_hist_print(stdout, "  append_to_delivery", h, "ns");
	rc = seen == n ? 0 : 1;
	if (rc)
		printf("latency phase incomplete: %" PRIu64 " of %" PRIu64 " confirmed\n", seen, n);
out:
	exp_destroy(x);
	jr_writer_close(w);
	free(t_app);
	free(h);
	if (mc)
		rd_kafka_mock_cluster_destroy(mc);
	if (mrk)
		rd_kafka_destroy(mrk);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
