/* Unit tests: Kafka exporter (controlplane/exporter.h) — record mapping,
 * configuration, market-data queue, and end-to-end runs against librdkafka's
 * in-process mock cluster (3 brokers): a journal written by the real writer,
 * the exporter tailing it, a consumer reading everything back.
 *
 * The runs are bounded by deadlines (a few seconds each); record contents are
 * generated deterministically.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/orion_ini.h"
#include "controlplane/exp_map.h"
#include "controlplane/exporter.h"
#include "dataplane/journal/jr_writer.h"
#include "dataplane/og/og_journal.h"
#include "orion/v1/envelope.pb-c.h"

#define ENV "t"
#define PRODUCE_API 0   /* Kafka ApiKey of ProduceRequest */

/* ---- fixture ----------------------------------------------------------- */

struct fx {
	char dir[64];
	struct jr_writer *w;
	rd_kafka_t *mrk;                 /* hosts the mock cluster */
	rd_kafka_mock_cluster_t *mc;
	char brokers[256];
	uint64_t exported_cb;            /* last set_exported value */
	unsigned n_orders;               /* generator position */
	uint64_t next_oid;
	uint64_t eseq;                   /* engine event sequence */
	struct exp *x;                   /* the exporter under test (teardown frees it) */
};

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t committed_fn(void *ctx)
{
	struct fx *f = ctx;
	return jr_committed_seq(f->w);
}

static void exported_fn(void *ctx, uint64_t seq)
{
	struct fx *f = ctx;
	__atomic_store_n(&f->exported_cb, seq, __ATOMIC_RELAXED);
	jr_set_exported(f->w, seq);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/orion-exp-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	char jdir[96];
	snprintf(jdir, sizeof(jdir), "%s/journal", f->dir);
	struct jr_writer_opts o = { .dir = jdir, .segment_size = 1u << 20, .no_prefault = 1 };
	if (jr_writer_open(&f->w, &o, NULL) != 0)
		return -1;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	f->mrk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!f->mrk)
		return -1;
	f->mc = rd_kafka_mock_cluster_new(f->mrk, 3);
	if (!f->mc)
		return -1;
	snprintf(f->brokers, sizeof(f->brokers), "%s", rd_kafka_mock_cluster_bootstraps(f->mc));
	for (unsigned s = 0; s < EXP_S__COUNT; s++) {
		char t[96];
		snprintf(t, sizeof(t), ENV ".%s.v1", exp_stream_name((enum exp_stream)s));
		rd_kafka_mock_topic_create(f->mc, t, 4, 3);
	}
	f->next_oid = 1000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	exp_destroy(f->x); /* first: its thread uses the writer */
	jr_writer_close(f->w);
	rd_kafka_mock_cluster_destroy(f->mc);
	rd_kafka_destroy(f->mrk);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void cfg_for(struct fx *f, struct exp_cfg *c)
{
	exp_cfg_defaults(c);
	c->enabled = 1;
	snprintf(c->brokers, sizeof(c->brokers), "%s", f->brokers);
	snprintf(c->env, sizeof(c->env), ENV);
	snprintf(c->checkpoint, sizeof(c->checkpoint), "%s/kafka.ckpt", f->dir);
	c->linger_ms = 2;
	c->checkpoint_interval_ms = 10;
	c->retry_backoff_ms = 20;
	c->stop_timeout_ms = 3000;
	snprintf(c->rdkafka[0].name, sizeof(c->rdkafka[0].name), "reconnect.backoff.max.ms");
	snprintf(c->rdkafka[0].value, sizeof(c->rdkafka[0].value), "200");
	snprintf(c->rdkafka[1].name, sizeof(c->rdkafka[1].name), "log_level");
	snprintf(c->rdkafka[1].value, sizeof(c->rdkafka[1].value), "0");
	c->n_rdkafka = 2;
}

static void drop_exp(struct fx *f)
{
	exp_destroy(f->x);
	f->x = NULL;
}

static struct exp *make_exp(struct fx *f, const struct exp_cfg *c)
{
	char err[512], jdir[96];
	snprintf(jdir, sizeof(jdir), "%s/journal", f->dir);
	struct exp *x = exp_create(c, jdir, committed_fn, exported_fn, f, err, sizeof(err));
	if (!x)
		fprintf(stderr, "exp_create: %s\n", err);
	assert_non_null(x);
	f->x = x;
	return x;
}

/* ---- journal generator -------------------------------------------------- */

static void put_rec(struct fx *f, uint16_t type, const void *p, uint32_t len, uint64_t ts)
{
	int64_t s = jr_append(f->w, type, p, len, ts);
	assert_true(s > 0);
}

static struct me_order_info order_info(uint64_t oid, unsigned i)
{
	struct me_order_info o = { .order_id = oid, .price = (int64_t)(100 + i % 7) * ORION_PX_SCALE, .qty = 100,
				   .leaves = 100, .instrument_id = i % 4, .session_id = i % 3, .account_id = i % 5,
				   .tenant_id = 1, .side = (uint8_t)(1 + i % 2), .type = ME_LIMIT, .tif = ME_DAY };
	snprintf((char *)o.cl_ord_id, sizeof(o.cl_ord_id), "C%u", i);
	return o;
}

/* Append the records of n more orders: NEW + ACCEPTED, and every few orders a
 * trade, a cancel, a replace, a risk reject, a session logon/logout and a
 * kill switch command. */
static void gen(struct fx *f, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned i = f->n_orders++;
		uint64_t ts = 1700000000000000000ull + i * 1000ull;
		uint64_t oid = f->next_oid++;
		struct og_jr_new nr = { .h = { .sess = i % 3 } };
		nr.req.instrument_id = i % 4;
		nr.req.qty = 100;
		put_rec(f, OG_JR_NEW, &nr, sizeof(nr), ts);
		struct me_event ev = { .type = ME_EV_ACCEPTED, .instrument_id = i % 4, .seq = ++f->eseq, .ts_ns = ts };
		ev.u.order = order_info(oid, i);
		put_rec(f, OG_JR_EVENT, &ev, sizeof(ev), ts);
		if (i % 3 == 2) {
			struct me_event t = { .type = ME_EV_TRADE, .instrument_id = i % 4, .seq = ++f->eseq, .ts_ns = ts };
			t.u.trade.trade_id = 5000 + i;
			t.u.trade.price = 100 * ORION_PX_SCALE;
			t.u.trade.qty = 10;
			t.u.trade.aggressor_side = ME_BUY;
			t.u.trade.maker = order_info(oid - 1, i - 1);
			t.u.trade.taker = order_info(oid, i);
			put_rec(f, OG_JR_EVENT, &t, sizeof(t), ts);
		}
		if (i % 5 == 4) {
			struct og_jr_cancel cr = { .h = { .sess = i % 3 } };
			cr.req.order_id = oid;
			put_rec(f, OG_JR_CANCEL, &cr, sizeof(cr), ts);
			struct me_event c = { .type = ME_EV_CANCELED, .instrument_id = i % 4, .seq = ++f->eseq, .ts_ns = ts };
			c.u.canceled.order = order_info(oid, i);
			c.u.canceled.canceled_qty = 90;
			put_rec(f, OG_JR_EVENT, &c, sizeof(c), ts);
		}
		if (i % 7 == 6) {
			struct og_jr_replace rr = { .h = { .sess = i % 3 } };
			put_rec(f, OG_JR_REPLACE, &rr, sizeof(rr), ts);
			struct me_event r = { .type = ME_EV_REPLACED, .instrument_id = i % 4, .seq = ++f->eseq, .ts_ns = ts };
			r.u.replaced.order = order_info(oid, i);
			r.u.replaced.old_price = 99 * ORION_PX_SCALE;
			r.u.replaced.old_qty = 50;
			put_rec(f, OG_JR_EVENT, &r, sizeof(r), ts);
		}
		if (i % 11 == 10) {
			struct me_event r = { .type = ME_EV_REJECTED, .reason = ME_REJ_RISK_MAX_QTY, .instrument_id = i % 4,
					      .seq = ++f->eseq, .ts_ns = ts };
			r.u.order = order_info(0, i);
			put_rec(f, OG_JR_EVENT, &r, sizeof(r), ts);
		}
		if (i % 13 == 12) {
			struct og_jr_session s = { .sess = i % 3, .kind = (i / 13) % 2 ? OG_SESS_LOGOUT : OG_SESS_LOGON,
						   .in_seq = i, .out_seq = i + 1 };
			snprintf(s.target_comp_id, sizeof(s.target_comp_id), "CLIENT%u", i % 3);
			put_rec(f, OG_JR_SESSION, &s, sizeof(s), ts);
		}
		if (i % 50 == 49) {
			struct og_jr_risk_cmd rc = { .h = { .sess = UINT32_MAX } };
			rc.cmd.type = RISK_CMD_KILL;
			rc.cmd.scope = RISK_SCOPE_ACCOUNT;
			rc.cmd.id = i % 5;
			rc.cmd.flags = (i / 50) % 2 ? 0 : RISK_CMDF_ON;
			put_rec(f, OG_JR_RISK_CMD, &rc, sizeof(rc), ts);
		}
	}
}

/* ---- expected messages and the consumer ---------------------------------- */

/* Messages the journal should give, indexed by seq * EXP_MAX_MSGS + (n - 1). */
struct expect {
	uint64_t last_seq;
	uint8_t *want;           /* 1 + stream */
	uint32_t *seen;          /* times consumed */
	uint64_t total;
};

static void expect_build(struct fx *f, struct expect *e)
{
	char jdir[96];
	snprintf(jdir, sizeof(jdir), "%s/journal", f->dir);
	e->last_seq = jr_committed_seq(f->w);
	e->want = calloc((e->last_seq + 1) * EXP_MAX_MSGS, 1);
	e->seen = calloc((e->last_seq + 1) * EXP_MAX_MSGS, sizeof(uint32_t));
	e->total = 0;
	assert_non_null(e->want);
	assert_non_null(e->seen);
	struct jr_reader *r;
	assert_int_equal(jr_reader_open(&r, jdir, 0), 0);
	struct exp_map_state ms = { .producer = "orion" };
	static uint8_t buf[EXP_MAP_BUF];
	struct exp_msg m[EXP_MAX_MSGS];
	struct jr_rec rec;
	enum exp_skip skip;
	while (jr_reader_next(r, e->last_seq, &rec) == 1) {
		int n = exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip);
		assert_true(n >= 0);
		for (int k = 0; k < n; k++) {
			e->want[rec.seq * EXP_MAX_MSGS + (uint64_t)k] = (uint8_t)(1 + m[k].stream);
			e->total++;
		}
	}
	jr_reader_close(r);
}

static void expect_free(struct expect *e)
{
	free(e->want);
	free(e->seen);
}

/* Per-key order: the (seq, n) of the last first-occurrence (or of the last
 * occurrence) seen for each key. Small open-addressing table. */
#define KEYS 8192
struct keyord {
	char key[KEYS][64];
	uint64_t last[KEYS];
	uint64_t violations;
};

static uint64_t *key_slot(struct keyord *ko, const char *k)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = k; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	for (unsigned i = 0; i < KEYS; i++) {
		unsigned j = (unsigned)((h + i) % KEYS);
		if (!ko->key[j][0]) {
			snprintf(ko->key[j], sizeof(ko->key[j]), "%s", k);
			ko->last[j] = 0;
			return &ko->last[j];
		}
		if (!strcmp(ko->key[j], k))
			return &ko->last[j];
	}
	fail_msg("key table full");
	return NULL;
}

struct consumed {
	uint64_t msgs, dups, unexpected, bad;
	struct keyord *first;    /* order of first occurrences */
	struct keyord *lastocc;  /* order of all occurrences, duplicates restarting the key */
};

static int parse_id(const char *id, uint64_t *seq, unsigned *n)
{
	char *end;
	*seq = strtoull(id, &end, 10);
	*n = 1;
	if (*end == '.')
		*n = (unsigned)strtoul(end + 1, &end, 10);
	return *end == '\0' && *n >= 1 && *n <= EXP_MAX_MSGS ? 0 : -1;
}

static rd_kafka_t *consumer_new(struct fx *f)
{
	char err[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", f->brokers, err, sizeof(err));
	rd_kafka_conf_set(c, "group.id", "test", err, sizeof(err));
	rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err));
	rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err));
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	assert_non_null(rk);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(EXP_S__COUNT * 4);
	for (unsigned s = 1; s < EXP_S__COUNT; s++) {
		char t[96];
		snprintf(t, sizeof(t), ENV ".%s.v1", exp_stream_name((enum exp_stream)s));
		for (int p = 0; p < 4; p++)
			rd_kafka_topic_partition_list_add(l, t, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	}
	assert_int_equal(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	return rk;
}

/* Consume until every expected message was seen or timeout_ms passed. */
static void consume_all(struct fx *f, struct expect *e, struct consumed *cs, unsigned timeout_ms)
{
	rd_kafka_t *rk = consumer_new(f);
	uint64_t unique = 0, deadline = now_ms() + timeout_ms;
	for (uint64_t i = 0; i < (e->last_seq + 1) * EXP_MAX_MSGS; i++)
		if (e->want[i] && e->seen[i])
			unique++;
	while (unique < e->total && now_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		cs->msgs++;
		Orion__V1__Envelope *env = orion__v1__envelope__unpack(NULL, m->len, m->payload);
		uint64_t seq;
		unsigned n;
		if (!env || !env->event_id || parse_id(env->event_id, &seq, &n) != 0 || seq > e->last_seq) {
			cs->bad++;
		} else {
			uint64_t idx = seq * EXP_MAX_MSGS + n - 1;
			char kk[160];
			snprintf(kk, sizeof(kk), "%s/%.*s", rd_kafka_topic_name(m->rkt), (int)m->key_len,
				 (const char *)m->key);
			if (!e->want[idx] || strcmp(env->entity_id, kk + strlen(rd_kafka_topic_name(m->rkt)) + 1) ||
			    !env->has_journal_seq || env->journal_seq != seq) {
				cs->unexpected++;
			} else {
				uint64_t pos = idx + 1;
				if (e->seen[idx]++) {
					cs->dups++;
				} else {
					unique++;
					uint64_t *l = key_slot(cs->first, kk);
					if (*l > pos)
						cs->first->violations++;
					*l = pos;
				}
				/* Last occurrences: a resend restarts from an earlier
				 * position; what follows it must be in order again, so
				 * only the final pass over a key is checked at the end. */
				uint64_t *l2 = key_slot(cs->lastocc, kk);
				*l2 = pos;
			}
		}
		if (env)
			orion__v1__envelope__free_unpacked(env, NULL);
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

static uint64_t missing(const struct expect *e)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < (e->last_seq + 1) * EXP_MAX_MSGS; i++)
		if (e->want[i] && !e->seen[i])
			n++;
	return n;
}

static int wait_exported(struct exp *x, uint64_t seq, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	while (exp_exported_seq(x) < seq) {
		if (now_ms() > deadline)
			return -1;
		usleep(5000);
	}
	return 0;
}

static uint64_t read_ckpt(struct fx *f)
{
	char p[128], text[128];
	snprintf(p, sizeof(p), "%s/kafka.ckpt", f->dir);
	FILE *fp = fopen(p, "r");
	if (!fp)
		return 0;
	size_t n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	unsigned long long s = 0, c = 0;
	int v = 0;
	if (sscanf(text, "orion-kafka-checkpoint %d\nseq %llu\ncause %llu", &v, &s, &c) != 3)
		return UINT64_MAX;
	return s;
}

static struct consumed *consumed_new(void)
{
	struct consumed *cs = calloc(1, sizeof(*cs));
	assert_non_null(cs);
	cs->first = calloc(1, sizeof(*cs->first));
	cs->lastocc = calloc(1, sizeof(*cs->lastocc));
	assert_non_null(cs->first);
	assert_non_null(cs->lastocc);
	return cs;
}

static void consumed_free(struct consumed *cs)
{
	free(cs->first);
	free(cs->lastocc);
	free(cs);
}

/* ---- mapping -------------------------------------------------------------- */

static Orion__V1__Envelope *unpack(const struct exp_msg *m)
{
	Orion__V1__Envelope *e = orion__v1__envelope__unpack(NULL, m->len, m->val);
	assert_non_null(e);
	return e;
}

static void exporter__map_accepted__one_order_message_caused_by_the_request(void **state)
{
	(void)state;
	static uint8_t buf[EXP_MAP_BUF];
	struct exp_msg m[EXP_MAX_MSGS];
	struct exp_map_state ms = { .producer = "box1" };
	enum exp_skip skip;
	struct og_jr_new nr = { 0 };
	struct jr_rec rec = { .seq = 41, .ts_ns = 5, .type = OG_JR_NEW, .len = sizeof(nr), .payload = &nr };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 0);
	assert_int_equal(skip, EXP_SKIP_REQUEST);
	assert_int_equal(ms.cause_seq, 41);

	struct me_event ev = { .type = ME_EV_ACCEPTED, .seq = 9, .ts_ns = 123456789 };
	ev.u.order = order_info(777, 3);
	ev.u.order.tenant_id = 4;
	rec = (struct jr_rec){ .seq = 42, .ts_ns = 123456789, .type = OG_JR_EVENT, .len = sizeof(ev), .payload = &ev };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 1);
	assert_int_equal(m[0].stream, EXP_S_ORDERS);
	assert_string_equal(m[0].key, "777");
	Orion__V1__Envelope *e = unpack(&m[0]);
	assert_string_equal(e->event_id, "42");
	assert_string_equal(e->type, "OrderAccepted");
	assert_int_equal(e->version, 1);
	assert_int_equal(e->time_ns, 123456789);
	assert_string_equal(e->producer, "box1");
	assert_string_equal(e->tenant, "4");
	assert_string_equal(e->causation_id, "41");
	assert_string_equal(e->correlation_id, "C3");
	assert_string_equal(e->entity_type, "order");
	assert_string_equal(e->entity_id, "777");
	assert_int_equal(e->entity_seq, 9);
	assert_int_equal(e->journal_seq, 42);
	assert_int_equal(e->payload_case, ORION__V1__ENVELOPE__PAYLOAD_ORDER_ACCEPTED);
	assert_int_equal(e->order_accepted->order->order_id, 777);
	assert_true(e->order_accepted->order->has_price_e8);
	assert_int_equal(e->order_accepted->order->price_e8, 103 * ORION_PX_SCALE);
	assert_int_equal(e->order_accepted->order->side, ORION__V1__SIDE__SIDE_SELL);
	orion__v1__envelope__free_unpacked(e, NULL);
}

static void exporter__map_trade__fills_for_both_sides_and_a_trade(void **state)
{
	(void)state;
	static uint8_t buf[EXP_MAP_BUF];
	struct exp_msg m[EXP_MAX_MSGS];
	struct exp_map_state ms = { .producer = "p" };
	enum exp_skip skip;
	struct me_event ev = { .type = ME_EV_TRADE, .instrument_id = 2, .seq = 10, .ts_ns = 1 };
	ev.u.trade.trade_id = 88;
	ev.u.trade.price = 101 * ORION_PX_SCALE;
	ev.u.trade.qty = 7;
	ev.u.trade.aggressor_side = ME_SELL;
	ev.u.trade.maker = order_info(500, 1);
	ev.u.trade.taker = order_info(501, 2);
	struct jr_rec rec = { .seq = 77, .type = OG_JR_EVENT, .len = sizeof(ev), .payload = &ev };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 3);
	const char *keys[3] = { "500", "501", "88" };
	const char *ids[3] = { "77.1", "77.2", "77.3" };
	enum exp_stream streams[3] = { EXP_S_ORDERS, EXP_S_ORDERS, EXP_S_TRADES };
	for (int k = 0; k < 3; k++) {
		assert_string_equal(m[k].key, keys[k]);
		assert_int_equal(m[k].stream, streams[k]);
		Orion__V1__Envelope *e = unpack(&m[k]);
		assert_string_equal(e->event_id, ids[k]);
		if (k < 2) {
			assert_int_equal(e->payload_case, ORION__V1__ENVELOPE__PAYLOAD_ORDER_FILLED);
			assert_int_equal(e->order_filled->trade_id, 88);
			assert_int_equal(e->order_filled->fill_qty, 7);
			assert_int_equal(e->order_filled->aggressor, k == 1);
		} else {
			assert_int_equal(e->payload_case, ORION__V1__ENVELOPE__PAYLOAD_TRADE);
			assert_int_equal(e->trade->maker->order_id, 500);
			assert_int_equal(e->trade->taker->order_id, 501);
			assert_int_equal(e->trade->aggressor_side, ORION__V1__SIDE__SIDE_SELL);
			assert_int_equal(e->trade->price_e8, 101 * ORION_PX_SCALE);
			assert_string_equal(e->entity_type, "trade");
		}
		orion__v1__envelope__free_unpacked(e, NULL);
	}
}

static void exporter__map_risk_records__alerts_admin_changes_and_skips(void **state)
{
	(void)state;
	static uint8_t buf[EXP_MAP_BUF];
	struct exp_msg m[EXP_MAX_MSGS];
	struct exp_map_state ms = { .producer = "p" };
	enum exp_skip skip;
	/* a risk reject: order stream keyed by session + ClOrdID, and a risk alert */
	struct me_event ev = { .type = ME_EV_REJECTED, .reason = ME_REJ_RISK_MAX_NOTIONAL, .seq = 3 };
	ev.u.order = order_info(0, 5);
	struct jr_rec rec = { .seq = 9, .type = OG_JR_EVENT, .len = sizeof(ev), .payload = &ev };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 2);
	assert_string_equal(m[0].key, "s2:C5");
	assert_int_equal(m[1].stream, EXP_S_RISK);
	assert_string_equal(m[1].key, "session.2");
	Orion__V1__Envelope *e = unpack(&m[1]);
	assert_int_equal(e->payload_case, ORION__V1__ENVELOPE__PAYLOAD_RISK_REJECT);
	assert_string_equal(e->risk_reject->reason, "RISK_MAX_NOTIONAL");
	assert_string_equal(e->event_id, "9.2");
	orion__v1__envelope__free_unpacked(e, NULL);

	/* an engine reject is not a risk alert */
	ev.reason = ME_REJ_TICK_SIZE;
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 1);

	/* kill switch: risk alert + admin change, and it becomes the causation */
	struct og_jr_risk_cmd rc = { .h = { .sess = UINT32_MAX } };
	rc.cmd.type = RISK_CMD_KILL;
	rc.cmd.scope = RISK_SCOPE_TENANT;
	rc.cmd.id = 3;
	rc.cmd.flags = RISK_CMDF_ON | RISK_CMDF_CANCEL;
	rec = (struct jr_rec){ .seq = 12, .type = OG_JR_RISK_CMD, .len = sizeof(rc), .payload = &rc };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 2);
	assert_int_equal(ms.cause_seq, 12);
	assert_string_equal(m[0].key, "tenant.3");
	assert_int_equal(m[1].stream, EXP_S_ADMIN);
	assert_string_equal(m[1].key, "risk.tenant.3");
	e = unpack(&m[0]);
	assert_int_equal(e->payload_case, ORION__V1__ENVELOPE__PAYLOAD_KILL_SWITCH);
	assert_true(e->kill_switch->engaged);
	assert_true(e->kill_switch->cancel_resting);
	assert_int_equal(e->kill_switch->scope, ORION__V1__RISK_SCOPE__RISK_SCOPE_TENANT);
	orion__v1__envelope__free_unpacked(e, NULL);

	/* session logon */
	struct og_jr_session s = { .sess = 1, .kind = OG_SESS_LOGON, .in_seq = 5, .out_seq = 6 };
	snprintf(s.target_comp_id, sizeof(s.target_comp_id), "BUYSIDE");
	rec = (struct jr_rec){ .seq = 13, .ts_ns = 77, .type = OG_JR_SESSION, .len = sizeof(s), .payload = &s };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 1);
	assert_int_equal(m[0].stream, EXP_S_SESSION);
	assert_string_equal(m[0].key, "session.1");
	e = unpack(&m[0]);
	assert_string_equal(e->session_logon->target_comp_id, "BUYSIDE");
	assert_int_equal(e->session_logon->next_in_seq, 5);
	orion__v1__envelope__free_unpacked(e, NULL);

	/* hostile records: wrong length, unknown type, unknown event */
	rec = (struct jr_rec){ .seq = 14, .type = OG_JR_EVENT, .len = 100, .payload = &ev };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 0);
	assert_int_equal(skip, EXP_SKIP_BAD_LENGTH);
	rec = (struct jr_rec){ .seq = 15, .type = 0x7777, .len = 0, .payload = NULL };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 0);
	assert_int_equal(skip, EXP_SKIP_UNKNOWN_TYPE);
	ev.type = 99;
	rec = (struct jr_rec){ .seq = 16, .type = OG_JR_EVENT, .len = sizeof(ev), .payload = &ev };
	assert_int_equal(exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip), 0);
	assert_int_equal(skip, EXP_SKIP_UNKNOWN_EVENT);
	/* a too-small buffer is an error, not an overflow */
	ev.type = ME_EV_ACCEPTED;
	assert_int_equal(exp_map_record(&ms, &rec, buf, 40, m, &skip), -ENOSPC);
}

static void exporter__map_tick__keyed_by_source_and_instrument(void **state)
{
	(void)state;
	uint8_t buf[1024];
	struct exp_msg m;
	struct md_tick t = { .recv_ns = 99, .bid_px = 10 * ORION_PX_SCALE, .ask_px = ORION_PX_NONE,
			     .mid_px = ORION_PX_NONE, .last_px = ORION_PX_NONE, .bid_sz = 300, .instrument_id = 17,
			     .source = 2, .flags = MD_TF_SNAPSHOT | MD_TF_STALE, .seqno = 55 };
	memcpy(t.symbol, "AAPL    ", 8);
	assert_int_equal(exp_map_tick("p", 1234, &t, buf, sizeof(buf), &m), 1);
	assert_int_equal(m.stream, EXP_S_TICKS);
	assert_string_equal(m.key, "2.17");
	Orion__V1__Envelope *e = unpack(&m);
	assert_string_equal(e->event_id, "2.17.1234.55");
	assert_false(e->has_journal_seq);
	assert_string_equal(e->tick->symbol, "AAPL");
	assert_true(e->tick->has_bid_px_e8);
	assert_false(e->tick->has_ask_px_e8);
	assert_true(e->tick->conflated);
	assert_true(e->tick->stale);
	orion__v1__envelope__free_unpacked(e, NULL);
	assert_int_equal(exp_map_feed_event("p", 3, EXP_FEED_GAP_OPEN, 10, 20, 5, buf, sizeof(buf), &m), 1);
	e = unpack(&m);
	assert_string_equal(e->event_id, "3.gap.10-20.1");
	assert_int_equal(e->gap->state, ORION__V1__GAP__STATE__GAP_STATE_OPEN);
	orion__v1__envelope__free_unpacked(e, NULL);
	assert_int_equal(exp_map_feed_event("p", 3, (enum exp_feed_ev)42, 0, 0, 0, buf, sizeof(buf), &m), -EINVAL);
}

/* ---- configuration ------------------------------------------------------------ */

static int load_kafka(struct orion_ini *ini, const char *text, struct exp_cfg *c)
{
	exp_cfg_defaults(c);
	int rc = orion_ini_load_string(ini, "test.conf", text);
	for (size_t i = 0; !rc && i < ini->n && !ini->err[0]; i++)
		if (!strcmp(ini->e[i].kind, "kafka"))
			rc = exp_config_key(ini, &ini->e[i], c);
	return rc;
}

static void exporter__config__keys_parsed_and_bad_values_rejected(void **state)
{
	(void)state;
	struct orion_ini ini;
	struct exp_cfg c;
	exp_cfg_defaults(&c);
	assert_int_equal(c.enabled, 0);
	assert_string_equal(c.acks, "all");
	assert_int_equal(c.idempotence, -1);
	assert_int_equal(c.market_data, EXP_MD_CONFLATED);

	assert_int_equal(load_kafka(&ini,
		"[kafka]\nbrokers = a:9092,b:9092\nenv = prod\nclient_id = box7\nacks = 1\nidempotence = false\n"
		"compression = lz4\nlinger_ms = 20\nbatch_size = 256K\nsecurity_protocol = sasl_ssl\n"
		"sasl_mechanism = PLAIN\nsasl_username = u\nsasl_password = p\nssl_ca_location = /etc/ca.pem\n"
		"market_data = raw\ncheckpoint = /var/lib/orion/k.ckpt\nqueue_max_messages = 5000\n"
		"api_version_request = false\nbroker_version_fallback = 0.9.0.1\ninflight_max = 1024\n"
		"checkpoint_interval = 1s\nrdkafka.socket.keepalive.enable = true\n", &c), 0);
	assert_int_equal(c.enabled, 1);
	assert_string_equal(c.brokers, "a:9092,b:9092");
	assert_string_equal(c.env, "prod");
	assert_string_equal(c.acks, "1");
	assert_int_equal(c.idempotence, 0);
	assert_string_equal(c.compression, "lz4");
	assert_int_equal(c.linger_ms, 20);
	assert_int_equal(c.batch_size, 256 * 1024);
	assert_string_equal(c.security_protocol, "sasl_ssl");
	assert_int_equal(c.market_data, EXP_MD_RAW);
	assert_int_equal(c.queue_max_messages, 5000);
	assert_int_equal(c.api_version_request, 0);
	assert_string_equal(c.broker_version_fallback, "0.9.0.1");
	assert_int_equal(c.inflight_max, 1024);
	assert_int_equal(c.checkpoint_interval_ms, 1000);
	assert_int_equal(c.n_rdkafka, 1);
	assert_string_equal(c.rdkafka[0].name, "socket.keepalive.enable");
	assert_string_equal(c.rdkafka[0].value, "true");
	orion_ini_free(&ini);

	const char *bad[] = {
		"[kafka]\nmarket_data = sometimes\n", "[kafka]\nacks = 2\n", "[kafka]\ninflight_max = 1000\n",
		"[kafka]\nenv = a.b\n", "[kafka]\nrdkafka.Bad-Name = 1\n", "[kafka]\nbrokerz = x\n",
		"[kafka]\ncompression = brotli\n", "[kafka]\nbroker_version_fallback = 0.9;rm\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_kafka(&ini, bad[i], &c), -EINVAL);
		assert_true(strstr(ini.err, "test.conf:2") != NULL);
		orion_ini_free(&ini);
	}
}

static void exporter__create__refuses_bad_settings_with_a_reason(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	char err[512];
	exp_cfg_defaults(&c);
	errno = 0;
	assert_null(exp_create(&c, NULL, NULL, NULL, NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "brokers"));
	cfg_for(f, &c);
	snprintf(c.rdkafka[c.n_rdkafka].name, sizeof(c.rdkafka[0].name), "no.such.property");
	snprintf(c.rdkafka[c.n_rdkafka].value, sizeof(c.rdkafka[0].value), "1");
	c.n_rdkafka++;
	assert_null(exp_create(&c, NULL, NULL, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no.such.property"));
	/* a damaged checkpoint stops start-up instead of re-exporting silently */
	cfg_for(f, &c);
	FILE *fp = fopen(c.checkpoint, "w");
	assert_non_null(fp);
	fputs("garbage\n", fp);
	fclose(fp);
	assert_null(exp_create(&c, f->dir, NULL, NULL, NULL, err, sizeof(err)));
	assert_int_equal(errno, EBADMSG);
	remove(c.checkpoint);
}

/* ---- market-data queue ------------------------------------------------------------- */

static void exporter__publish_tick__filtered_by_mode_and_bounded(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	c.md_queue = 64;
	c.market_data = EXP_MD_CONFLATED;
	char err[512];
	struct exp *x = exp_create(&c, NULL, NULL, NULL, NULL, err, sizeof(err));
	assert_non_null(x);
	f->x = x;
	struct md_tick raw = { .source = 1, .instrument_id = 1 }, snap = raw;
	snap.flags = MD_TF_SNAPSHOT;
	assert_int_equal(exp_publish_tick(x, &raw), 0); /* filtered: not conflated */
	int full = 0;
	for (int i = 0; i < 100; i++) {
		snap.seqno = (uint32_t)i;
		if (exp_publish_tick(x, &snap) == -ENOBUFS)
			full++;
	}
	assert_int_equal(full, 100 - 64);
	struct exp_stats st;
	exp_get_stats(x, &st);
	assert_int_equal(st.md_dropped, 36);
	assert_int_equal(exp_market_data(x), EXP_MD_CONFLATED);
	drop_exp(f);
}

static void exporter__ticks__delivered_to_the_ticks_topic(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	c.market_data = EXP_MD_RAW;
	char err[512];
	struct exp *x = exp_create(&c, NULL, NULL, NULL, NULL, err, sizeof(err));
	assert_non_null(x);
	f->x = x;
	assert_int_equal(exp_start(x), 0);
	struct md_tick t = { .source = 1, .instrument_id = 9, .bid_px = ORION_PX_NONE, .ask_px = ORION_PX_NONE,
			     .mid_px = ORION_PX_NONE, .last_px = ORION_PX_NONE };
	for (uint32_t i = 0; i < 500; i++) {
		t.seqno = i;
		assert_int_equal(exp_publish_tick(x, &t), 0);
		if (i % 100 == 99)
			usleep(2000);
	}
	assert_int_equal(exp_publish_feed_event(x, 1, EXP_FEED_STALE, 0, 0, 77), 0);
	struct exp_stats st;
	uint64_t deadline = now_ms() + 10000;
	do {
		usleep(10000);
		exp_get_stats(x, &st);
	} while (st.md_delivered < 501 && now_ms() < deadline);
	assert_int_equal(st.md_delivered, 501);
	assert_int_equal(exp_stop(x), 0);
	drop_exp(f);
}

/* ---- end to end on the mock cluster ------------------------------------------------- */

static void exporter__retriable_errors__no_loss_and_key_order_kept(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	gen(f, 600);
	struct exp *x = make_exp(f, &c);
	/* Leader moves, timeouts and disconnects on produce: librdkafka retries. */
	rd_kafka_mock_push_request_errors(f->mc, PRODUCE_API, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
					  RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
					  RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
					  RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
	rd_kafka_mock_broker_set_rtt(f->mc, 2, 20);
	assert_int_equal(exp_start(x), 0);
	gen(f, 600); /* appended while the exporter tails */
	uint64_t last = jr_committed_seq(f->w);
	assert_int_equal(wait_exported(x, last, 20000), 0);
	assert_int_equal(exp_stop(x), 0);
	struct exp_stats st;
	exp_get_stats(x, &st);
	assert_int_equal(st.exported_seq, last);
	assert_int_equal(st.checkpoint_seq, last);
	assert_int_equal(st.lag, 0);
	assert_int_equal(st.bad_records, 0);
	assert_int_equal(read_ckpt(f), last);
	assert_int_equal(__atomic_load_n(&f->exported_cb, __ATOMIC_RELAXED), last);
	drop_exp(f);

	struct expect e;
	expect_build(f, &e);
	struct consumed *cs = consumed_new();
	consume_all(f, &e, cs, 20000);
	assert_int_equal(missing(&e), 0);
	assert_int_equal(cs->bad, 0);
	assert_int_equal(cs->unexpected, 0);
	assert_int_equal(cs->first->violations, 0);
	assert_int_equal(st.delivered, e.total);
	consumed_free(cs);
	expect_free(&e);
}

static void exporter__broker_outage__bounded_memory_lag_grows_then_catches_up(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	c.inflight_max = 256;
	c.queue_max_messages = 600;
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_down(f->mc, b);
	gen(f, 1500);
	uint64_t last = jr_committed_seq(f->w);
	struct exp *x = make_exp(f, &c);
	assert_int_equal(exp_start(x), 0);
	usleep(1500000);
	struct exp_stats st;
	exp_get_stats(x, &st);
	/* Nothing delivered, nothing checkpointed past the first record (a
	 * request, which gives no message), reading stopped at the window. */
	assert_true(st.exported_seq <= 1);
	assert_true(st.checkpoint_seq <= 1);
	assert_true(read_ckpt(f) <= 1);
	assert_int_equal(st.delivered, 0);
	assert_true(st.inflight <= 256);
	assert_true(st.inflight >= 128); /* it did read up to the window */
	assert_true(st.read_seq <= 2 + 256);
	assert_true(st.queue_depth_max <= 600);
	assert_true(st.lag >= last - 1);
	uint64_t lag_before = st.lag;
	gen(f, 200); /* the writer never waits on the exporter */
	last = jr_committed_seq(f->w);
	usleep(300000);
	exp_get_stats(x, &st);
	assert_true(st.lag > lag_before);
	assert_true(st.inflight <= 256);

	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_up(f->mc, b);
	assert_int_equal(wait_exported(x, last, 30000), 0);
	exp_get_stats(x, &st);
	assert_int_equal(st.lag, 0);
	assert_int_equal(exp_stop(x), 0);
	assert_int_equal(read_ckpt(f), last);
	drop_exp(f);

	struct expect e;
	expect_build(f, &e);
	struct consumed *cs = consumed_new();
	consume_all(f, &e, cs, 20000);
	assert_int_equal(missing(&e), 0);
	assert_int_equal(cs->unexpected, 0);
	assert_int_equal(cs->first->violations, 0);
	consumed_free(cs);
	expect_free(&e);
}

static void exporter__stop_while_brokers_down__bounded_then_next_run_delivers(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	c.stop_timeout_ms = 300;
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_down(f->mc, b);
	gen(f, 100);
	uint64_t last = jr_committed_seq(f->w);
	struct exp *x = make_exp(f, &c);
	assert_int_equal(exp_start(x), 0);
	usleep(300000);
	uint64_t t0 = now_ms();
	assert_int_equal(exp_stop(x), -ETIMEDOUT);
	drop_exp(f);
	assert_true(now_ms() - t0 < 3000);
	assert_true(read_ckpt(f) <= 1);

	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_up(f->mc, b);
	x = make_exp(f, &c);
	assert_int_equal(exp_start(x), 0);
	assert_int_equal(wait_exported(x, last, 20000), 0);
	assert_int_equal(exp_stop(x), 0);
	drop_exp(f);
	assert_int_equal(read_ckpt(f), last);
	struct expect e;
	expect_build(f, &e);
	struct consumed *cs = consumed_new();
	consume_all(f, &e, cs, 20000);
	assert_int_equal(missing(&e), 0);
	consumed_free(cs);
	expect_free(&e);
}

static void exporter__permanent_errors__rewind_resends_without_loss(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	gen(f, 400);
	uint64_t last = jr_committed_seq(f->w);
	/* Errors librdkafka does not retry: the messages fail, the exporter
	 * rewinds to the lowest undelivered record and produces again. */
	rd_kafka_mock_push_request_errors(f->mc, PRODUCE_API, 3, RD_KAFKA_RESP_ERR_INVALID_MSG,
					  RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_INVALID_MSG);
	struct exp *x = make_exp(f, &c);
	assert_int_equal(exp_start(x), 0);
	assert_int_equal(wait_exported(x, last, 30000), 0);
	assert_int_equal(exp_stop(x), 0);
	struct exp_stats st;
	exp_get_stats(x, &st);
	assert_true(st.delivery_errors >= 1);
	assert_true(st.rewinds >= 1);
	assert_int_equal(read_ckpt(f), last);
	drop_exp(f);

	struct expect e;
	expect_build(f, &e);
	struct consumed *cs = consumed_new();
	consume_all(f, &e, cs, 20000);
	assert_int_equal(missing(&e), 0);
	assert_int_equal(cs->unexpected, 0);
	consumed_free(cs);
	expect_free(&e);
}

static void exporter__restart_from_checkpoint__duplicates_but_no_loss(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	gen(f, 300);
	uint64_t mid = jr_committed_seq(f->w);
	struct exp *x = make_exp(f, &c);
	assert_int_equal(exp_start(x), 0);
	assert_int_equal(wait_exported(x, mid, 20000), 0);
	assert_int_equal(exp_stop(x), 0);
	drop_exp(f);
	assert_int_equal(read_ckpt(f), mid);

	/* A crash after delivery but before the checkpoint was written: put back
	 * an older checkpoint. The next run re-sends from there. */
	char p[128];
	snprintf(p, sizeof(p), "%s/kafka.ckpt", f->dir);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "orion-kafka-checkpoint 1\nseq %" PRIu64 "\ncause 0\n", mid / 2);
	fclose(fp);
	gen(f, 300);
	uint64_t last = jr_committed_seq(f->w);
	x = make_exp(f, &c);
	assert_int_equal(exp_exported_seq(x), mid / 2);
	assert_int_equal(exp_start(x), 0);
	assert_int_equal(wait_exported(x, last, 20000), 0);
	assert_int_equal(exp_stop(x), 0);
	struct exp_stats st;
	exp_get_stats(x, &st);
	drop_exp(f);
	assert_int_equal(read_ckpt(f), last);

	struct expect e;
	expect_build(f, &e);
	struct consumed *cs = consumed_new();
	consume_all(f, &e, cs, 20000);
	assert_int_equal(missing(&e), 0);
	assert_int_equal(cs->unexpected, 0);
	assert_true(cs->dups > 0);                /* (mid/2, mid] went out twice */
	/* The second run started at the checkpoint, not at the beginning. */
	uint64_t first_half = 0;
	for (uint64_t s = 1; s <= mid / 2; s++)
		for (unsigned k = 0; k < EXP_MAX_MSGS; k++)
			if (e.seen[s * EXP_MAX_MSGS + k] > 1)
				first_half++;
	assert_int_equal(first_half, 0);
	assert_int_equal(cs->first->violations, 0);
	consumed_free(cs);
	expect_free(&e);
}

static void count_cb(void *arg, const char *name, const char *label, uint64_t v)
{
	(void)label;
	(void)v;
	unsigned *n = arg;
	if (!strncmp(name, "kafka_", 6))
		(*n)++;
}

static void exporter__counters__exposed_for_prometheus(void **state)
{
	struct fx *f = *state;
	struct exp_cfg c;
	cfg_for(f, &c);
	struct exp *x = make_exp(f, &c);
	unsigned n = 0;
	exp_foreach_counter(x, count_cb, &n);
	assert_true(n >= 30);
	drop_exp(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exporter__map_accepted__one_order_message_caused_by_the_request),
		cmocka_unit_test(exporter__map_trade__fills_for_both_sides_and_a_trade),
		cmocka_unit_test(exporter__map_risk_records__alerts_admin_changes_and_skips),
		cmocka_unit_test(exporter__map_tick__keyed_by_source_and_instrument),
		cmocka_unit_test(exporter__config__keys_parsed_and_bad_values_rejected),
		cmocka_unit_test_setup_teardown(exporter__create__refuses_bad_settings_with_a_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(exporter__publish_tick__filtered_by_mode_and_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(exporter__ticks__delivered_to_the_ticks_topic, setup, teardown),
		cmocka_unit_test_setup_teardown(exporter__retriable_errors__no_loss_and_key_order_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(exporter__broker_outage__bounded_memory_lag_grows_then_catches_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(exporter__stop_while_brokers_down__bounded_then_next_run_delivers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(exporter__permanent_errors__rewind_resends_without_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(exporter__restart_from_checkpoint__duplicates_but_no_loss, setup,
						teardown),
		cmocka_unit_test_setup_teardown(exporter__counters__exposed_for_prometheus, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
