/* Kafka exporter: journal tail → Envelopes → librdkafka, checkpoint after
 * delivery (model and threads in exporter.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/journal/jr_reader.h"
#include "controlplane/exp_map.h"
#include "controlplane/exporter.h"

#define JR_BUDGET 2048          /* journal records per loop turn */
#define MD_BUDGET 1024          /* market-data records per loop turn */
#define REOPEN_NS 100000000ull  /* journal reader retry period */
#define BACKOFF_MAX_MS 5000u
#define REASONS_MAX 32
#define MD_TIMEOUT_MS "30000"   /* a tick older than this is worthless */

/* Single-writer counters read by other threads. */
static inline void add(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}
static inline void put(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline uint64_t get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Counts by librdkafka error code (filled in on first use). */
struct reasons {
	int code[REASONS_MAX];
	uint64_t n[REASONS_MAX];
	uint32_t used;
	uint64_t other;
};

static void reason_add(struct reasons *r, int code)
{
	uint32_t used = __atomic_load_n(&r->used, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < used; i++)
		if (r->code[i] == code) {
			add(&r->n[i], 1);
			return;
		}
	if (used < REASONS_MAX) {
		r->code[used] = code;
		r->n[used] = 1;
		__atomic_store_n(&r->used, used + 1, __ATOMIC_RELEASE);
		return;
	}
	add(&r->other, 1);
}

/* One journal record in the in-flight window. */
struct slot {
	uint64_t cause_before;   /* mapping state before this record (for a rewind) */
	uint8_t pending;         /* messages not yet reported */
	uint8_t failed;          /* a message of it failed: re-produce from here */
};

enum md_kind { MD_TICK = 0 };
struct md_item {
	uint32_t kind;           /* MD_TICK or enum exp_feed_ev */
	uint16_t source;
	uint16_t pad_;
	uint64_t seq_from, seq_to, time_ns;
	struct md_tick tick;
};

enum rec_result { RR_EXPORTED, RR_REQUEST, RR_UNKNOWN_TYPE, RR_BAD_LENGTH, RR_UNKNOWN_EVENT, RR__COUNT };
static const char *const g_rr_names[RR__COUNT] = { "exported", "request", "unknown_type", "bad_length",
						   "unknown_event" };

struct ctr {
	uint64_t delivered[EXP_S__COUNT];
	uint64_t produced, records[RR__COUNT];
	uint64_t rewinds, resent, restarts, stale_reports;
	uint64_t ckpt_ok, ckpt_err, read_err, journal_gap, ckpt_ahead;
	uint64_t stall_window, stall_queue;
	uint64_t md_delivered, md_failed, md_backlog, md_produce_fail;
	uint64_t rd_retries;     /* librdkafka's own retries (statistics) */
	/* gauges */
	uint64_t read_seq, exported_seq, ckpt_seq, committed_seq, queue_depth, queue_depth_max, inflight;
	struct reasons dr_err, produce_err, client_err;
};

struct exp {
	struct exp_cfg cfg;
	uint64_t run_id;          /* start time (ns): tick ids stay unique across restarts */
	char dir[JR_PATH_MAX];
	int have_journal;
	char ckpt_path[300], ckpt_tmp[310], ckpt_dir[300];
	exp_committed_fn committed;
	exp_exported_fn set_exported;
	void *ctx;

	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt[EXP_S__COUNT];
	char topic[EXP_S__COUNT][96];

	pthread_t th;
	int started;
	int stop;                /* atomic */
	int fatal;               /* set by error_cb (exporter thread) */
	int stop_rc;

	/* journal tail (exporter thread) */
	struct jr_reader *rd;
	uint64_t reopen_at;
	uint64_t next, low;      /* next seq to read; lowest not fully delivered */
	struct slot *win;
	uint32_t wmask;
	struct exp_map_state ms;
	int cur_n, cur_k;        /* messages of record next-1 not produced yet: cur_k..cur_n-1 */
	struct exp_msg cur[EXP_MAX_MSGS];
	int rewind;
	uint64_t rewind_at;
	uint32_t backoff_ms;
	uint64_t last_ckpt_ns;
	uint64_t ckpt_cause;

	/* market data: SPSC queue (producer: exp_publish_*, consumer: thread) */
	struct md_item *mdq;
	uint32_t mdmask;
	uint64_t md_tail __attribute__((aligned(64)));  /* producer */
	uint64_t md_queued, md_filtered, md_full;      /* producer-owned counters */
	uint64_t md_head __attribute__((aligned(64)));  /* consumer */

	struct ctr c;
	uint8_t buf[EXP_MAP_BUF];
	uint8_t mdbuf[1024];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- checkpoint ---------------------------------------------------------- */

/* File format (text): "orion-kafka-checkpoint 1\nseq <n>\ncause <n>\n". */
static int ckpt_read(struct exp *x, uint64_t *seq, uint64_t *cause, char *err, size_t errlen)
{
	char text[256];
	*seq = 0;
	*cause = 0;
	int fd = open(x->ckpt_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		snprintf(err, errlen, "checkpoint %s: %s", x->ckpt_path, strerror(e));
		return -e;
	}
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		int e = errno;
		snprintf(err, errlen, "checkpoint %s: %s", x->ckpt_path, strerror(e));
		return -e;
	}
	text[n] = '\0';
	unsigned long long s, c;
	int v;
	if (sscanf(text, "orion-kafka-checkpoint %d\nseq %llu\ncause %llu\n", &v, &s, &c) != 3 || v != 1 ||
	    s > JR_SEQ_MAX || c > s) {
		snprintf(err, errlen, "checkpoint %s: not an orion-kafka-checkpoint 1 file (remove it to export "
			 "the whole journal again)", x->ckpt_path);
		return -EBADMSG;
	}
	*seq = s;
	*cause = c;
	return 0;
}

static int ckpt_write(struct exp *x, uint64_t seq, uint64_t cause)
{
	char text[128];
	int len = snprintf(text, sizeof(text), "orion-kafka-checkpoint 1\nseq %" PRIu64 "\ncause %" PRIu64 "\n", seq,
			   cause);
	int fd = open(x->ckpt_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (write(fd, text, (size_t)len) != len || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(x->ckpt_tmp, x->ckpt_path) != 0)
		rc = -errno;
	if (!rc) {
		int dfd = open(x->ckpt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return rc;
}

static uint64_t cause_at(const struct exp *x, uint64_t seq)
{
	return seq < x->next ? x->win[seq & x->wmask].cause_before : x->ms.cause_seq;
}

static void checkpoint(struct exp *x, uint64_t now, int force)
{
	if (!x->have_journal || !x->low)
		return;
	uint64_t seq = x->low - 1;
	if (seq == get(&x->c.ckpt_seq) && !force)
		return;
	if (!force && now - x->last_ckpt_ns < (uint64_t)x->cfg.checkpoint_interval_ms * 1000000ull)
		return;
	x->last_ckpt_ns = now;
	uint64_t cause = cause_at(x, x->low);
	if (cause > seq)
		cause = 0;
	if (ckpt_write(x, seq, cause) != 0) {
		add(&x->c.ckpt_err, 1);
		return;
	}
	add(&x->c.ckpt_ok, 1);
	put(&x->c.ckpt_seq, seq);
	if (x->set_exported)
		x->set_exported(x->ctx, seq);
}

/* ---- librdkafka ---------------------------------------------------------- */

static void advance(struct exp *x)
{
	uint64_t low = x->low;
	while (low < x->next) {
		const struct slot *s = &x->win[low & x->wmask];
		if (s->pending || s->failed)
			break;
		low++;
	}
	if (low != x->low) {
		x->low = low;
		put(&x->c.exported_seq, low - 1);
	}
}

static void request_rewind(struct exp *x)
{
	if (x->rewind)
		return;
	x->rewind = 1;
	x->rewind_at = mono_ns() + (uint64_t)x->backoff_ms * 1000000ull;
	x->backoff_ms = x->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : x->backoff_ms * 2;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	struct exp *x = opaque;
	uintptr_t op = (uintptr_t)m->_private;
	uint64_t seq = op >> 3;
	unsigned stream = (unsigned)(op & 7);
	if (m->err)
		reason_add(&x->c.dr_err, m->err);
	if (!seq) { /* market data: best effort */
		add(m->err ? &x->c.md_failed : &x->c.md_delivered, 1);
		return;
	}
	if (seq < x->low || seq >= x->next || !x->win[seq & x->wmask].pending) {
		add(&x->c.stale_reports, 1);
		return;
	}
	struct slot *s = &x->win[seq & x->wmask];
	s->pending--;
	if (m->err) {
		s->failed = 1;
		request_rewind(x);
	} else {
		if (stream < EXP_S__COUNT)
			add(&x->c.delivered[stream], 1);
		x->backoff_ms = x->cfg.retry_backoff_ms;
	}
	advance(x);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)reason;
	struct exp *x = opaque;
	reason_add(&x->c.client_err, err);
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		x->fatal = 1;
}

/* Sum of the brokers' "txretries" in a statistics document. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	(void)rk;
	(void)len;
	struct exp *x = opaque;
	uint64_t sum = 0;
	for (const char *p = json; (p = strstr(p, "\"txretries\":")) != NULL;) {
		p += 12;
		sum += strtoull(p, NULL, 10);
	}
	put(&x->c.rd_retries, sum);
	return 0;
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err, size_t errlen)
{
	char e[256];
	if (rd_kafka_conf_set(conf, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "kafka: %s = %s: %s", k, v, e);
		return -EINVAL;
	}
	return 0;
}

static int producer_new(struct exp *x, char *err, size_t errlen)
{
	const struct exp_cfg *c = &x->cfg;
	char num[32];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int idem = c->idempotence >= 0 ? c->idempotence : c->api_version_request != 0;
	int rc = set(conf, "bootstrap.servers", c->brokers, err, errlen);
	rc = rc ? rc : set(conf, "client.id", c->client_id, err, errlen);
	rc = rc ? rc : set(conf, "acks", c->acks, err, errlen);
	rc = rc ? rc : set(conf, "enable.idempotence", idem ? "true" : "false", err, errlen);
	/* Without idempotence, one request in flight keeps retries in order. */
	rc = rc ? rc : set(conf, "max.in.flight.requests.per.connection", idem ? "5" : "1", err, errlen);
	rc = rc ? rc : set(conf, "compression.codec", c->compression, err, errlen);
	rc = rc ? rc : set(conf, "partitioner", "murmur2_random", err, errlen);
	/* The journal holds the backlog: keep retrying rather than expire. */
	rc = rc ? rc : set(conf, "message.timeout.ms", "0", err, errlen);
	rc = rc ? rc : set(conf, "queue.buffering.max.kbytes", "65536", err, errlen);
	rc = rc ? rc : set(conf, "statistics.interval.ms", "1000", err, errlen);
	snprintf(num, sizeof(num), "%u", c->queue_max_messages);
	rc = rc ? rc : set(conf, "queue.buffering.max.messages", num, err, errlen);
	if (!rc && c->linger_ms >= 0) {
		snprintf(num, sizeof(num), "%d", c->linger_ms);
		rc = set(conf, "linger.ms", num, err, errlen);
	}
	if (!rc && c->batch_size) {
		snprintf(num, sizeof(num), "%u", c->batch_size);
		rc = set(conf, "batch.size", num, err, errlen);
	}
	if (!rc && c->security_protocol[0])
		rc = set(conf, "security.protocol", c->security_protocol, err, errlen);
	if (!rc && c->sasl_mechanism[0])
		rc = set(conf, "sasl.mechanisms", c->sasl_mechanism, err, errlen);
	if (!rc && c->sasl_username[0])
		rc = set(conf, "sasl.username", c->sasl_username, err, errlen);
	if (!rc && c->sasl_password[0])
		rc = set(conf, "sasl.password", c->sasl_password, err, errlen);
	if (!rc && c->ssl_ca_location[0])
		rc = set(conf, "ssl.ca.location", c->ssl_ca_location, err, errlen);
	if (!rc && c->api_version_request >= 0)
		rc = set(conf, "api.version.request", c->api_version_request ? "true" : "false", err, errlen);
	if (!rc && c->broker_version_fallback[0])
		rc = set(conf, "broker.version.fallback", c->broker_version_fallback, err, errlen);
	for (unsigned i = 0; !rc && i < c->n_rdkafka; i++)
		rc = set(conf, c->rdkafka[i].name, c->rdkafka[i].value, err, errlen);
	if (rc) {
		rd_kafka_conf_destroy(conf);
		return rc;
	}
	rd_kafka_conf_set_opaque(conf, x);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_stats_cb(conf, stats_cb);
	char e[512];
	x->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
	if (!x->rk) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "kafka: %s", e);
		return -EINVAL;
	}
	for (unsigned s = 0; s < EXP_S__COUNT; s++) {
		rd_kafka_topic_conf_t *tc = rd_kafka_default_topic_conf_dup(x->rk);
		if (s == EXP_S_TICKS && tc)
			rd_kafka_topic_conf_set(tc, "message.timeout.ms", MD_TIMEOUT_MS, e, sizeof(e));
		x->rkt[s] = rd_kafka_topic_new(x->rk, x->topic[s], tc);
		if (!x->rkt[s]) {
			snprintf(err, errlen, "kafka: topic %s: %s", x->topic[s], rd_kafka_err2str(rd_kafka_last_error()));
			return -EINVAL;
		}
	}
	return 0;
}

static void producer_free(struct exp *x)
{
	for (unsigned s = 0; s < EXP_S__COUNT; s++) {
		if (x->rkt[s])
			rd_kafka_topic_destroy(x->rkt[s]);
		x->rkt[s] = NULL;
	}
	if (x->rk)
		rd_kafka_destroy(x->rk);
	x->rk = NULL;
}

/* A fatal error (idempotent producer): drop what is queued, build a new
 * producer, and re-produce from the lowest undelivered record. */
static void producer_restart(struct exp *x)
{
	char err[256];
	rd_kafka_purge(x->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	uint64_t deadline = mono_ns() + 5000000000ull;
	while (rd_kafka_outq_len(x->rk) > 0 && mono_ns() < deadline)
		rd_kafka_poll(x->rk, 10);
	producer_free(x);
	x->fatal = 0;
	add(&x->c.restarts, 1);
	if (producer_new(x, err, sizeof(err)) != 0) {
		/* The configuration was accepted once; retry on the next turn. */
		producer_free(x);
		x->fatal = 1;
		return;
	}
	request_rewind(x);
}

static int produce(struct exp *x, const struct exp_msg *m, uint64_t seq)
{
	uintptr_t op = (uintptr_t)(seq << 3) | (uintptr_t)m->stream;
	rd_kafka_resp_err_t e = rd_kafka_producev(x->rk, RD_KAFKA_V_RKT(x->rkt[m->stream]),
						  RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
						  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						  RD_KAFKA_V_KEY(m->key, m->key_len),
						  RD_KAFKA_V_VALUE((void *)m->val, m->len),
						  RD_KAFKA_V_TIMESTAMP((int64_t)(m->time_ns / 1000000ull)),
						  RD_KAFKA_V_OPAQUE((void *)op), RD_KAFKA_V_END);
	if (e && e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
		reason_add(&x->c.produce_err, e);
	return e;
}

/* ---- journal tail ---------------------------------------------------------- */

/* Produce the rest of the current record. 0 done, -EAGAIN queue full, -EIO
 * failed (rewind requested). */
static int produce_cur(struct exp *x)
{
	uint64_t seq = x->next - 1;
	while (x->cur_k < x->cur_n) {
		int e = produce(x, &x->cur[x->cur_k], seq);
		if (!e) {
			x->cur_k++;
			add(&x->c.produced, 1);
			continue;
		}
		if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			add(&x->c.stall_queue, 1);
			return -EAGAIN;
		}
		struct slot *s = &x->win[seq & x->wmask];
		s->failed = 1;
		s->pending = (uint8_t)(s->pending - (x->cur_n - x->cur_k));
		x->cur_n = x->cur_k = 0;
		request_rewind(x);
		return -EIO;
	}
	x->cur_n = x->cur_k = 0;
	return 0;
}

static int open_reader(struct exp *x, uint64_t now)
{
	if (now < x->reopen_at)
		return -EAGAIN;
	x->reopen_at = now + REOPEN_NS;
	int rc = jr_reader_open(&x->rd, x->dir, x->next);
	if (rc == -ERANGE) {
		/* Before the oldest record kept (retention ran past the
		 * checkpoint: lost already, count it and go on from the oldest),
		 * or beyond the end (wait for the writer). */
		struct jr_reader *r0;
		if (jr_reader_open(&r0, x->dir, 0) != 0)
			return -EAGAIN;
		uint64_t oldest = jr_reader_next_seq(r0);
		if (oldest > x->next) {
			add(&x->c.journal_gap, 1);
			x->rd = r0;
			x->next = x->low = oldest;
			x->ms.cause_seq = 0;
			put(&x->c.exported_seq, oldest - 1);
			return 0;
		}
		jr_reader_close(r0);
		put(&x->c.ckpt_ahead, 1); /* journal behind the checkpoint: replaced? */
		return -EAGAIN;
	}
	if (rc)
		return rc;
	put(&x->c.ckpt_ahead, 0);
	uint64_t first = jr_reader_next_seq(x->rd);
	if (x->next == 0 || x->low == 0) { /* from the oldest record: nothing in flight */
		x->next = x->low = first;
		put(&x->c.exported_seq, first - 1);
	}
	return 0;
}

static unsigned pump_journal(struct exp *x, uint64_t now)
{
	unsigned done = 0;
	if (!x->rd && open_reader(x, now) != 0)
		return 0;
	if (x->cur_n && produce_cur(x) != 0)
		return 0;
	uint64_t limit = x->committed ? x->committed(x->ctx) : JR_SEQ_ALL;
	if (x->committed)
		put(&x->c.committed_seq, limit);
	while (done < JR_BUDGET && !x->rewind) {
		if (x->next - x->low > x->wmask) {
			add(&x->c.stall_window, 1);
			break;
		}
		struct jr_rec rec;
		int rc = jr_reader_next(x->rd, limit, &rec);
		if (rc == 0)
			break;
		if (rc < 0 || rec.seq != x->next) {
			add(&x->c.read_err, 1);
			jr_reader_close(x->rd);
			x->rd = NULL;
			x->reopen_at = now + 10 * REOPEN_NS;
			break;
		}
		struct slot *s = &x->win[rec.seq & x->wmask];
		s->cause_before = x->ms.cause_seq;
		s->failed = 0;
		enum exp_skip skip;
		int n = exp_map_record(&x->ms, &rec, x->buf, sizeof(x->buf), x->cur, &skip);
		if (n < 0) {
			n = 0;
			skip = EXP_SKIP_BAD_LENGTH;
		}
		s->pending = (uint8_t)n;
		x->next = rec.seq + 1;
		put(&x->c.read_seq, x->next);
		done++;
		if (!n) {
			add(&x->c.records[skip == EXP_SKIP_REQUEST ? RR_REQUEST
					  : skip == EXP_SKIP_UNKNOWN_TYPE ? RR_UNKNOWN_TYPE
					  : skip == EXP_SKIP_UNKNOWN_EVENT ? RR_UNKNOWN_EVENT
									  : RR_BAD_LENGTH], 1);
			continue;
		}
		add(&x->c.records[RR_EXPORTED], 1);
		x->cur_n = n;
		x->cur_k = 0;
		if (produce_cur(x) != 0)
			break;
	}
	advance(x);
	return done;
}

/* Re-produce from the lowest undelivered record once every report of what
 * is in flight has arrived and the back-off has passed. */
static void try_rewind(struct exp *x, uint64_t now)
{
	if (x->cur_n) {
		struct slot *s = &x->win[(x->next - 1) & x->wmask];
		s->failed = 1;
		s->pending = (uint8_t)(s->pending - (x->cur_n - x->cur_k));
		x->cur_n = x->cur_k = 0;
	}
	if (rd_kafka_outq_len(x->rk) > 0 || now < x->rewind_at)
		return;
	advance(x);
	for (uint64_t q = x->low; q < x->next; q++)
		x->win[q & x->wmask].failed = 0;
	x->ms.cause_seq = cause_at(x, x->low);
	add(&x->c.rewinds, 1);
	add(&x->c.resent, x->next - x->low);
	jr_reader_close(x->rd);
	x->rd = NULL;
	x->reopen_at = 0;
	x->next = x->low;
	x->rewind = 0;
}

/* ---- market data ----------------------------------------------------------- */

static unsigned pump_md(struct exp *x)
{
	uint64_t head = x->md_head;
	uint64_t tail = __atomic_load_n(&x->md_tail, __ATOMIC_ACQUIRE);
	if (head == tail)
		return 0;
	unsigned done = 0;
	/* Ticks never take the journal's room: above half of the queue, or
	 * while a rewind waits for the queue to drain, they are dropped. */
	int drop = x->rewind || rd_kafka_outq_len(x->rk) >= (int)(x->cfg.queue_max_messages / 2);
	while (head != tail && done < MD_BUDGET) {
		const struct md_item *it = &x->mdq[head & x->mdmask];
		struct exp_msg m;
		int n;
		if (drop) {
			add(&x->c.md_backlog, 1);
		} else {
			if (it->kind == MD_TICK)
				n = exp_map_tick(x->cfg.client_id, x->run_id, &it->tick, x->mdbuf, sizeof(x->mdbuf), &m);
			else
				n = exp_map_feed_event(x->cfg.client_id, it->source, (enum exp_feed_ev)it->kind,
						       it->seq_from, it->seq_to, it->time_ns, x->mdbuf, sizeof(x->mdbuf),
						       &m);
			if (n != 1 || produce(x, &m, 0) != 0)
				add(&x->c.md_produce_fail, 1);
		}
		head++;
		done++;
	}
	__atomic_store_n(&x->md_head, head, __ATOMIC_RELEASE);
	return done;
}

static int md_push(struct exp *x, const struct md_item *it)
{
	uint64_t tail = x->md_tail;
	if (tail - __atomic_load_n(&x->md_head, __ATOMIC_ACQUIRE) > x->mdmask) {
		add(&x->md_full, 1);
		return -ENOBUFS;
	}
	struct md_item *d = &x->mdq[tail & x->mdmask];
	memcpy(d, it, sizeof(*d));
	add(&x->md_queued, 1);
	__atomic_store_n(&x->md_tail, tail + 1, __ATOMIC_RELEASE);
	return 0;
}

int exp_publish_tick(struct exp *x, const struct md_tick *t)
{
	int snap = (t->flags & MD_TF_SNAPSHOT) != 0;
	if (x->cfg.market_data == EXP_MD_OFF || (x->cfg.market_data == EXP_MD_CONFLATED) != snap) {
		add(&x->md_filtered, 1);
		return 0;
	}
	uint64_t tail = x->md_tail;
	if (tail - __atomic_load_n(&x->md_head, __ATOMIC_ACQUIRE) > x->mdmask) {
		add(&x->md_full, 1);
		return -ENOBUFS;
	}
	struct md_item *d = &x->mdq[tail & x->mdmask];
	d->kind = MD_TICK;
	d->tick = *t;
	add(&x->md_queued, 1);
	__atomic_store_n(&x->md_tail, tail + 1, __ATOMIC_RELEASE);
	return 0;
}

int exp_publish_feed_event(struct exp *x, uint16_t source, enum exp_feed_ev kind, uint64_t seq_from,
			   uint64_t seq_to, uint64_t time_ns)
{
	if (x->cfg.market_data == EXP_MD_OFF) {
		add(&x->md_filtered, 1);
		return 0;
	}
	struct md_item it = { .kind = (uint32_t)kind, .source = source, .seq_from = seq_from, .seq_to = seq_to,
			      .time_ns = time_ns };
	return md_push(x, &it);
}

enum exp_md_mode exp_market_data(const struct exp *x)
{
	return x->cfg.market_data;
}

/* ---- thread ---------------------------------------------------------------- */

static void gauges(struct exp *x)
{
	uint64_t q = (uint64_t)rd_kafka_outq_len(x->rk);
	put(&x->c.queue_depth, q);
	if (q > get(&x->c.queue_depth_max))
		put(&x->c.queue_depth_max, q);
	put(&x->c.inflight, x->next - x->low);
}

static void *run(void *arg)
{
	struct exp *x = arg;
	while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE)) {
		unsigned work = 0;
		uint64_t now = mono_ns();
		if (x->fatal) {
			producer_restart(x);
			if (!x->rk) {
				usleep(100000);
				continue;
			}
		}
		rd_kafka_poll(x->rk, 0);
		if (x->have_journal) {
			if (x->rewind)
				try_rewind(x, now);
			else
				work += pump_journal(x, now);
		}
		work += pump_md(x);
		checkpoint(x, now, 0);
		gauges(x);
		if (!work)
			rd_kafka_poll(x->rk, 1);
	}
	/* Stop: first catch up with what the journal and the market-data queue
	 * hold (a clean shutdown exports its last events), bounded by half the
	 * stop timeout; then what was read is waited for, then checkpointed. What
	 * is still left is exported again by the next run. */
	x->stop_rc = 0;
	uint64_t until = mono_ns() + (uint64_t)x->cfg.stop_timeout_ms * 500000ull;
	while (x->rk && !x->fatal && !x->rewind && mono_ns() < until) {
		rd_kafka_poll(x->rk, 0);
		unsigned w = pump_md(x);
		if (x->have_journal)
			w += pump_journal(x, mono_ns());
		int behind = x->have_journal && x->next <= x->committed(x->ctx);
		if (!w && !behind)
			break;
		if (!w)
			rd_kafka_poll(x->rk, 1);
	}
	if (x->rk) {
		x->cur_n = x->cur_k = 0;
		if (rd_kafka_flush(x->rk, (int)x->cfg.stop_timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
			x->stop_rc = -ETIMEDOUT;
		rd_kafka_poll(x->rk, 0);
		gauges(x);
	}
	checkpoint(x, mono_ns(), 1);
	return NULL;
}

/* ---- life cycle -------------------------------------------------------------- */

struct exp *exp_create(const struct exp_cfg *cfg, const char *journal_dir, exp_committed_fn committed_seq,
		       exp_exported_fn set_exported, void *ctx, char *err, size_t errlen)
{
	int rc = -EINVAL;
	if (!cfg->brokers[0]) {
		snprintf(err, errlen, "kafka: [kafka] brokers is required");
		errno = EINVAL;
		return NULL;
	}
	if (!cfg->inflight_max || (cfg->inflight_max & (cfg->inflight_max - 1)) || !cfg->md_queue ||
	    (cfg->md_queue & (cfg->md_queue - 1))) {
		snprintf(err, errlen, "kafka: inflight_max and md_queue must be powers of two");
		errno = EINVAL;
		return NULL;
	}
	if (journal_dir && strlen(journal_dir) >= JR_PATH_MAX - 32) {
		snprintf(err, errlen, "kafka: journal path too long");
		errno = EINVAL;
		return NULL;
	}
	struct exp *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "kafka: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	x->cfg = *cfg;
	{
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		x->run_id = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	}
	x->committed = committed_seq;
	x->set_exported = set_exported;
	x->ctx = ctx;
	x->backoff_ms = cfg->retry_backoff_ms ? cfg->retry_backoff_ms : 200;
	x->ms.producer = x->cfg.client_id;
	x->mdmask = cfg->md_queue - 1;
	x->wmask = cfg->inflight_max - 1;
	x->mdq = calloc(cfg->md_queue, sizeof(*x->mdq));
	x->win = calloc(cfg->inflight_max, sizeof(*x->win));
	if (!x->mdq || !x->win) {
		snprintf(err, errlen, "kafka: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned s = 0; s < EXP_S__COUNT; s++)
		snprintf(x->topic[s], sizeof(x->topic[s]), "%s.%s.v1", cfg->env, exp_stream_name((enum exp_stream)s));
	if (journal_dir) {
		x->have_journal = 1;
		snprintf(x->dir, sizeof(x->dir), "%s", journal_dir);
		if (cfg->checkpoint[0])
			snprintf(x->ckpt_path, sizeof(x->ckpt_path), "%s", cfg->checkpoint);
		else
			snprintf(x->ckpt_path, sizeof(x->ckpt_path), "%s/kafka.checkpoint", journal_dir);
		snprintf(x->ckpt_tmp, sizeof(x->ckpt_tmp), "%s.new", x->ckpt_path);
		snprintf(x->ckpt_dir, sizeof(x->ckpt_dir), "%s", x->ckpt_path);
		char *slash = strrchr(x->ckpt_dir, '/');
		if (slash == x->ckpt_dir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(x->ckpt_dir, sizeof(x->ckpt_dir), ".");
		uint64_t seq, cause;
		if ((rc = ckpt_read(x, &seq, &cause, err, errlen)) != 0)
			goto fail;
		/* Resume after the checkpoint; 0 = from the oldest record kept. */
		x->next = x->low = seq ? seq + 1 : 0;
		x->ms.cause_seq = cause;
		x->c.ckpt_seq = seq;
		x->c.exported_seq = seq;
	}
	if ((rc = producer_new(x, err, errlen)) != 0)
		goto fail;
	return x;
fail:
	producer_free(x);
	free(x->mdq);
	free(x->win);
	free(x);
	errno = -rc;
	return NULL;
}

int exp_start(struct exp *x)
{
	if (x->started)
		return -EALREADY;
	int rc = pthread_create(&x->th, NULL, run, x);
	if (rc)
		return -rc;
	pthread_setname_np(x->th, "orion-kafka");
	x->started = 1;
	return 0;
}

int exp_stop(struct exp *x)
{
	if (x->started != 1)
		return 0;
	__atomic_store_n(&x->stop, 1, __ATOMIC_RELEASE);
	pthread_join(x->th, NULL);
	x->started = 2;
	return x->stop_rc;
}

void exp_destroy(struct exp *x)
{
	if (!x)
		return;
	exp_stop(x);
	jr_reader_close(x->rd);
	producer_free(x);
	free(x->mdq);
	free(x->win);
	free(x);
}

/* ---- observability ------------------------------------------------------------ */

uint64_t exp_exported_seq(const struct exp *x)
{
	return get(&x->c.exported_seq);
}

void exp_get_stats(const struct exp *x, struct exp_stats *st)
{
	const struct ctr *c = &x->c;
	memset(st, 0, sizeof(*st));
	st->read_seq = get(&c->read_seq);
	st->exported_seq = get(&c->exported_seq);
	st->checkpoint_seq = get(&c->ckpt_seq);
	st->committed_seq = get(&c->committed_seq);
	st->lag = st->committed_seq > st->exported_seq ? st->committed_seq - st->exported_seq : 0;
	st->inflight = get(&c->inflight);
	st->queue_depth = get(&c->queue_depth);
	st->queue_depth_max = get(&c->queue_depth_max);
	for (unsigned s = EXP_S_ORDERS; s < EXP_S__COUNT; s++)
		st->delivered += get(&c->delivered[s]);
	uint32_t used = __atomic_load_n(&c->dr_err.used, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < used; i++)
		st->delivery_errors += get(&c->dr_err.n[i]);
	st->delivery_errors += get(&c->dr_err.other);
	st->rewinds = get(&c->rewinds);
	st->md_delivered = get(&c->md_delivered);
	st->md_dropped = get(&x->md_full) + get(&c->md_backlog) + get(&c->md_produce_fail) + get(&c->md_failed);
	st->bad_records = get(&c->records[RR_UNKNOWN_TYPE]) + get(&c->records[RR_BAD_LENGTH]) +
			  get(&c->records[RR_UNKNOWN_EVENT]);
}

static void reasons_each(const struct reasons *r, const char *name,
			 void (*fn)(void *arg, const char *name, const char *label, uint64_t v), void *arg)
{
	char label[96];
	uint32_t used = __atomic_load_n(&r->used, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < used; i++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", rd_kafka_err2name((rd_kafka_resp_err_t)r->code[i]));
		fn(arg, name, label, get(&r->n[i]));
	}
	if (get(&r->other))
		fn(arg, name, "reason=\"other\"", get(&r->other));
}

void exp_foreach_counter(const struct exp *x, void (*fn)(void *arg, const char *name, const char *label, uint64_t v),
			 void *arg)
{
	const struct ctr *c = &x->c;
	char label[96];
	struct exp_stats st;
	exp_get_stats(x, &st);
	for (unsigned s = 0; s < EXP_S__COUNT; s++) {
		snprintf(label, sizeof(label), "stream=\"%s\"", exp_stream_name((enum exp_stream)s));
		fn(arg, "kafka_delivered_total", label, s == EXP_S_TICKS ? get(&c->md_delivered) : get(&c->delivered[s]));
	}
	reasons_each(&c->dr_err, "kafka_delivery_errors_total", fn, arg);
	reasons_each(&c->produce_err, "kafka_produce_errors_total", fn, arg);
	reasons_each(&c->client_err, "kafka_client_errors_total", fn, arg);
	fn(arg, "kafka_produced_total", NULL, get(&c->produced));
	for (unsigned r = 0; r < RR__COUNT; r++) {
		snprintf(label, sizeof(label), "result=\"%s\"", g_rr_names[r]);
		fn(arg, "kafka_records_total", label, get(&c->records[r]));
	}
	fn(arg, "kafka_md_total", "result=\"queued\"", get(&x->md_queued));
	fn(arg, "kafka_md_total", "result=\"filtered\"", get(&x->md_filtered));
	fn(arg, "kafka_md_total", "result=\"dropped_queue_full\"", get(&x->md_full));
	fn(arg, "kafka_md_total", "result=\"dropped_backlog\"", get(&c->md_backlog));
	fn(arg, "kafka_md_total", "result=\"produce_failed\"", get(&c->md_produce_fail));
	fn(arg, "kafka_md_total", "result=\"delivery_failed\"", get(&c->md_failed));
	fn(arg, "kafka_md_total", "result=\"delivered\"", get(&c->md_delivered));
	fn(arg, "kafka_retries_total", NULL, get(&c->rd_retries));
	fn(arg, "kafka_rewinds_total", NULL, get(&c->rewinds));
	fn(arg, "kafka_resent_records_total", NULL, get(&c->resent));
	fn(arg, "kafka_producer_restarts_total", NULL, get(&c->restarts));
	fn(arg, "kafka_stale_reports_total", NULL, get(&c->stale_reports));
	fn(arg, "kafka_stalls_total", "reason=\"window_full\"", get(&c->stall_window));
	fn(arg, "kafka_stalls_total", "reason=\"queue_full\"", get(&c->stall_queue));
	fn(arg, "kafka_checkpoints_total", "result=\"ok\"", get(&c->ckpt_ok));
	fn(arg, "kafka_checkpoints_total", "result=\"error\"", get(&c->ckpt_err));
	fn(arg, "kafka_journal_read_errors_total", NULL, get(&c->read_err));
	fn(arg, "kafka_journal_gaps_total", NULL, get(&c->journal_gap));
	fn(arg, "kafka_checkpoint_ahead_of_journal", NULL, get(&c->ckpt_ahead));
	fn(arg, "kafka_lag_records", NULL, st.lag);
	fn(arg, "kafka_exported_seq", NULL, st.exported_seq);
	fn(arg, "kafka_checkpoint_seq", NULL, st.checkpoint_seq);
	fn(arg, "kafka_read_seq", NULL, st.read_seq);
	fn(arg, "kafka_committed_seq", NULL, st.committed_seq);
	fn(arg, "kafka_queue_depth", NULL, st.queue_depth);
	fn(arg, "kafka_queue_depth_max", NULL, st.queue_depth_max);
	fn(arg, "kafka_inflight_records", NULL, st.inflight);
}
