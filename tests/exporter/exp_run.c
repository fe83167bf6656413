/* exp_run: integration driver for the Kafka exporter against a real broker.
 *
 *   exp_run CONFIG JOURNAL_DIR ORDERS IDS_OUT [TIMEOUT_S]
 *
 * Reads [kafka] from CONFIG (exp_config_key, as oriond does), writes ORDERS
 * orders' worth of order-path records (NEW, ACCEPTED, every 3rd a TRADE,
 * every 5th a CANCEL + CANCELED, a session logon) into a new journal in
 * JOURNAL_DIR with the real writer, exports them, waits until everything is
 * delivered (exported seq = committed seq) and writes the expected
 * "<topic> <event_id>" lines to IDS_OUT. Prints the counters at the end.
 * Exit 0 when everything was delivered within TIMEOUT_S (default 60).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/orion_ini.h"
#include "controlplane/exp_map.h"
#include "controlplane/exporter.h"
#include "dataplane/journal/jr_writer.h"
#include "dataplane/og/og_journal.h"

static uint64_t committed(void *ctx)
{
	return jr_committed_seq(ctx);
}

static void exported(void *ctx, uint64_t seq)
{
	jr_set_exported(ctx, seq);
}

static void print_ctr(void *arg, const char *name, const char *label, uint64_t v)
{
	(void)arg;
	if (v)
		printf("  %s%s%s%s %" PRIu64 "\n", name, label ? "{" : "", label ? label : "", label ? "}" : "", v);
}

static int append(struct jr_writer *w, uint16_t type, const void *p, uint32_t len, uint64_t ts)
{
	return jr_append(w, type, p, len, ts) > 0 ? 0 : -1;
}

static struct me_order_info info(uint64_t oid, unsigned i)
{
	struct me_order_info o = { .order_id = oid, .price = (int64_t)(100 + i % 5) * ORION_PX_SCALE, .qty = 100,
				   .leaves = 100, .instrument_id = i % 4, .session_id = i % 2, .tenant_id = 1,
				   .side = (uint8_t)(1 + i % 2), .type = ME_LIMIT };
	snprintf((char *)o.cl_ord_id, sizeof(o.cl_ord_id), "ORD%u", i);
	return o;
}

static int generate(struct jr_writer *w, unsigned n)
{
	uint64_t eseq = 0, ts = 1700000000000000000ull;
	struct og_jr_session s = { .sess = 0, .kind = OG_SESS_LOGON, .in_seq = 1, .out_seq = 1 };
	snprintf(s.target_comp_id, sizeof(s.target_comp_id), "BUYSIDE");
	if (append(w, OG_JR_SESSION, &s, sizeof(s), ts))
		return -1;
	for (unsigned i = 0; i < n; i++, ts += 1000) {
		struct og_jr_new nr = { .h = { .sess = i % 2 } };
		struct me_event ev = { .type = ME_EV_ACCEPTED, .instrument_id = i % 4, .seq = ++eseq, .ts_ns = ts };
		ev.u.order = info(1 + i, i);
		if (append(w, OG_JR_NEW, &nr, sizeof(nr), ts) || append(w, OG_JR_EVENT, &ev, sizeof(ev), ts))
			return -1;
		if (i % 3 == 2) {
			struct me_event t = { .type = ME_EV_TRADE, .instrument_id = i % 4, .seq = ++eseq, .ts_ns = ts };
			t.u.trade.trade_id = 1 + i;
			t.u.trade.price = 100 * ORION_PX_SCALE;
			t.u.trade.qty = 5;
			t.u.trade.aggressor_side = ME_BUY;
			t.u.trade.maker = info(i, i - 1);
			t.u.trade.taker = info(1 + i, i);
			if (append(w, OG_JR_EVENT, &t, sizeof(t), ts))
				return -1;
		}
		if (i % 5 == 4) {
			struct og_jr_cancel cr = { .h = { .sess = i % 2 } };
			struct me_event c = { .type = ME_EV_CANCELED, .instrument_id = i % 4, .seq = ++eseq, .ts_ns = ts };
			c.u.canceled.order = info(1 + i, i);
			c.u.canceled.canceled_qty = 95;
			if (append(w, OG_JR_CANCEL, &cr, sizeof(cr), ts) || append(w, OG_JR_EVENT, &c, sizeof(c), ts))
				return -1;
		}
	}
	return 0;
}

static int write_ids(const char *dir, const char *env, uint64_t last, const char *path)
{
	static uint8_t buf[EXP_MAP_BUF];
	struct exp_msg m[EXP_MAX_MSGS];
	struct exp_map_state ms = { .producer = "x" };
	struct jr_reader *r;
	struct jr_rec rec;
	enum exp_skip skip;
	FILE *f = fopen(path, "w");
	if (!f || jr_reader_open(&r, dir, 0) != 0) {
		if (f)
			fclose(f);
		return -1;
	}
	while (jr_reader_next(r, last, &rec) == 1) {
		int n = exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip);
		for (int k = 0; k < n; k++) {
			if (n > 1)
				fprintf(f, "%s.%s.v1 %" PRIu64 ".%d\n", env, exp_stream_name(m[k].stream), rec.seq, k + 1);
			else
				fprintf(f, "%s.%s.v1 %" PRIu64 "\n", env, exp_stream_name(m[k].stream), rec.seq);
		}
	}
	jr_reader_close(r);
	return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: exp_run CONFIG JOURNAL_DIR ORDERS IDS_OUT [TIMEOUT_S]\n");
		return 2;
	}
	unsigned orders = (unsigned)strtoul(argv[3], NULL, 10);
	unsigned timeout_s = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 60;
	struct orion_ini ini;
	struct exp_cfg cfg;
	exp_cfg_defaults(&cfg);
	int rc = orion_ini_load(&ini, argv[1]);
	for (size_t i = 0; !rc && i < ini.n && !ini.err[0]; i++) {
		if (!strcmp(ini.e[i].kind, "kafka") && !ini.e[i].name[0])
			exp_config_key(&ini, &ini.e[i], &cfg);
		else
			orion_ini_fail(&ini, &ini.e[i], "unknown section [%s]", ini.e[i].kind);
	}
	if (rc || ini.err[0]) {
		fprintf(stderr, "exp_run: config: %s\n", ini.err);
		orion_ini_free(&ini);
		return 2;
	}
	orion_ini_free(&ini);
	if (!cfg.enabled) {
		printf("exp_run: no [kafka] section: Kafka export is off\n");
		return 2;
	}

	struct jr_writer *w;
	struct jr_writer_opts o = { .dir = argv[2], .segment_size = 4u << 20, .no_prefault = 1 };
	if ((rc = jr_writer_open(&w, &o, NULL)) != 0) {
		fprintf(stderr, "exp_run: journal %s: %s\n", argv[2], strerror(-rc));
		return 1;
	}
	char err[512];
	struct exp *x = exp_create(&cfg, argv[2], committed, exported, w, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "exp_run: %s\n", err);
		jr_writer_close(w);
		return 1;
	}
	if (exp_start(x) != 0 || generate(w, orders) != 0) {
		fprintf(stderr, "exp_run: start or journal append failed\n");
		exp_destroy(x);
		jr_writer_close(w);
		return 1;
	}
	uint64_t last = jr_committed_seq(w);
	time_t deadline = time(NULL) + (time_t)timeout_s;
	while (exp_exported_seq(x) < last && time(NULL) < deadline)
		usleep(20000);
	int ok = exp_exported_seq(x) >= last;
	int src = exp_stop(x);
	printf("exp_run: %u orders, %" PRIu64 " journal records, exported up to %" PRIu64 " (%s), stop %s\n", orders,
	       last, exp_exported_seq(x), ok ? "all delivered" : "TIMEOUT", src ? "timed out" : "ok");
	exp_foreach_counter(x, print_ctr, NULL);
	exp_destroy(x);
	if (write_ids(argv[2], cfg.env, last, argv[4]) != 0) {
		fprintf(stderr, "exp_run: cannot write %s\n", argv[4]);
		ok = 0;
	}
	jr_writer_close(w);
	return ok ? 0 : 1;
}
