/* Kafka exporter: the journal's outbox, published to Kafka (librdkafka) as
 * protobuf envelopes (proto/orion/v1/envelope.proto), plus market data.
 *
 * Model
 *  - One exporter thread tails the order-path journal from the exported
 *    checkpoint (jr_reader_open / jr_reader_next with the writer's committed
 *    sequence as limit), maps each record to 0..EXP_MAX_MSGS envelopes and
 *    produces them to <env>.<domain>.<stream>.v1 topics, keyed per entity so
 *    Kafka keeps their order per key (order id, trade id, instrument,
 *    session). Event ids are deterministic from the journal position.
 *  - The exported position advances only over records whose every message
 *    has a successful delivery report (lowest undelivered sequence). It is
 *    checkpointed to a small file (written to a temporary name, fsynced,
 *    renamed) and handed to the journal's retention through set_exported.
 *    Restart resumes after the checkpoint: duplicates are possible (consumers
 *    dedupe on Envelope.event_id), loss is not.
 *  - A failed delivery (permanent error, or a timeout when message.timeout.ms
 *    is finite) stops production, waits for every report in flight, then
 *    rewinds the reader to the lowest undelivered record and produces again
 *    from there, after a back-off (per-key order is restored, the records
 *    after the failure are sent twice). A fatal producer error (idempotence)
 *    rebuilds the producer, then rewinds the same way.
 *  - Bounded memory: at most inflight_max journal records are in flight and
 *    librdkafka's queue holds at most queue_max_messages; when either is full
 *    the exporter stops reading the journal (the journal holds the backlog)
 *    and the lag (committed - exported) grows. Nothing waits on the caller's
 *    side.
 *  - Market data is not journaled: exp_publish_tick() / exp_publish_feed_event()
 *    put records into a bounded single-producer/single-consumer queue that the
 *    exporter thread drains; a full queue is a counted drop. Ticks go out
 *    raw, conflated or not at all ([kafka] market_data); ticks never take the
 *    journal's room in librdkafka's queue (above half of it they are dropped,
 *    counted).
 *
 * Threads
 *  - exp_config_key(), exp_cfg_defaults(), exp_create(), exp_start(),
 *    exp_stop(), exp_destroy(): one control thread (start-up / shutdown).
 *  - exp_publish_tick(), exp_publish_feed_event(): ONE producer thread (the
 *    main lcore), never blocking, no syscall, no allocation.
 *  - exp_foreach_counter(), exp_exported_seq(), exp_get_stats(): any thread
 *    (values racy, each one atomic).
 *  - committed_seq and set_exported callbacks run on the exporter thread.
 */
#ifndef ORION_CONTROLPLANE_EXPORTER_H
#define ORION_CONTROLPLANE_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/orion_ini.h"
#include "common/orion_tick.h"

#define EXP_MAX_MSGS 4          /* envelopes one journal record may give */
#define EXP_RDKAFKA_MAX 32      /* rdkafka.<name> passthrough entries */

enum exp_md_mode {
	EXP_MD_CONFLATED = 0,   /* ticks flagged MD_TF_SNAPSHOT only (default) */
	EXP_MD_RAW = 1,         /* every raw change (ticks without MD_TF_SNAPSHOT) */
	EXP_MD_OFF = 2,         /* no market data */
};

/* Configuration, section [kafka] of oriond's file. Start from
 * exp_cfg_defaults(); exp_config_key() fills it key by key. */
struct exp_cfg {
	int enabled;                      /* 1 once any [kafka] key was seen */
	char brokers[512];                /* bootstrap.servers, required when enabled */
	char env[32];                     /* topic prefix; default "dev" */
	char client_id[64];               /* client.id and Envelope.producer; default "orion" */
	char acks[8];                     /* "all" (default), "1", "0" */
	int idempotence;                  /* -1: on unless api_version_request is off (default) */
	char compression[16];             /* none (default), gzip, snappy, lz4, zstd */
	int linger_ms;                    /* -1: librdkafka's default; default 5 */
	uint32_t batch_size;              /* bytes per partition batch; 0: librdkafka's default */
	char security_protocol[16];       /* plaintext, ssl, sasl_plaintext, sasl_ssl; "" default */
	char sasl_mechanism[32];
	char sasl_username[128];
	char sasl_password[128];
	char ssl_ca_location[256];
	enum exp_md_mode market_data;
	char checkpoint[256];             /* "" : <journal_dir>/kafka.checkpoint */
	uint32_t queue_max_messages;      /* librdkafka queue bound; default 100000 */
	int api_version_request;          /* -1 default (librdkafka: on), 0, 1 */
	char broker_version_fallback[16]; /* e.g. "0.9.0.1" for old brokers */
	uint32_t inflight_max;            /* journal records in flight; power of two; default 65536 */
	uint32_t md_queue;                /* market-data queue slots; power of two; default 16384 */
	uint32_t checkpoint_interval_ms;  /* default 100 */
	uint32_t stop_timeout_ms;         /* exp_stop waits this long for deliveries; default 5000 */
	uint32_t retry_backoff_ms;        /* before a rewind; default 200 (doubles to 5 s) */
	unsigned n_rdkafka;
	struct {
		char name[64];
		char value[256];
	} rdkafka[EXP_RDKAFKA_MAX];       /* rdkafka.<name> = value, applied last */
};

void exp_cfg_defaults(struct exp_cfg *cfg);

/* Parse one key of section [kafka] (the caller dispatches e->kind "kafka" with
 * an empty e->name here). Keys: brokers, env, client_id, acks,
 * idempotence, compression, linger_ms, batch_size, security_protocol,
 * sasl_mechanism, sasl_username, sasl_password, ssl_ca_location, market_data
 * (conflated|raw|off), checkpoint, queue_max_messages, api_version_request,
 * broker_version_fallback, inflight_max, md_queue, checkpoint_interval,
 * stop_timeout, retry_backoff, rdkafka.<name>.
 * Returns 0 or -EINVAL (error recorded in ini->err). Start-up thread. */
int exp_config_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct exp_cfg *cfg);

/* The writer's committed sequence (jr_committed_seq), and the exported
 * position for retention (jr_set_exported). Both called on the exporter
 * thread; must not block. committed_seq may be NULL: the journal is read to
 * its last complete record (no live writer). set_exported may be NULL. */
typedef uint64_t (*exp_committed_fn)(void *ctx);
typedef void (*exp_exported_fn)(void *ctx, uint64_t seq);

struct exp;

/* Create the exporter (producer configured, checkpoint read, nothing sent
 * yet). journal_dir: the order-path journal, NULL for market data only.
 * Returns NULL with errno (EINVAL: bad configuration, e.g. no brokers or a
 * librdkafka property refused; EBADMSG: unreadable checkpoint; ENOMEM) and a
 * message in err. Control thread. */
struct exp *exp_create(const struct exp_cfg *cfg, const char *journal_dir, exp_committed_fn committed_seq,
		       exp_exported_fn set_exported, void *ctx, char *err, size_t errlen);

/* Start the exporter thread. Returns 0, -EALREADY, or -errno of
 * pthread_create. Control thread. */
int exp_start(struct exp *x);

/* Stop: stop reading, wait up to stop_timeout_ms for the delivery reports of
 * what is in flight, write the checkpoint, join the thread. Undelivered
 * records are simply exported again by the next run. Returns 0 or -ETIMEDOUT
 * (some messages were still undelivered). Control thread. */
int exp_stop(struct exp *x);

/* Free (stops first if running). NULL accepted. Control thread. */
void exp_destroy(struct exp *x);

/* Queue one tick for export (filtered by market_data: conflated takes ticks
 * flagged MD_TF_SNAPSHOT, raw takes the others). Returns 0 (queued, or
 * filtered out), -ENOBUFS (queue full: counted drop). The tick is copied.
 * One producer thread; never blocks. */
int exp_publish_tick(struct exp *x, const struct md_tick *t);

/* Feed quality events (Stale, Gap on marketdata.ticks). */
enum exp_feed_ev {
	EXP_FEED_STALE = 1,
	EXP_FEED_STALE_CLEARED,
	EXP_FEED_GAP_OPEN,
	EXP_FEED_GAP_FILLED,
	EXP_FEED_GAP_UNRECOVERABLE,
};
/* Same queue and rules as exp_publish_tick (not filtered unless market_data
 * is off). Returns 0 or -ENOBUFS. */
int exp_publish_feed_event(struct exp *x, uint16_t source, enum exp_feed_ev kind, uint64_t seq_from,
			   uint64_t seq_to, uint64_t time_ns);

/* Market-data mode in force (lets the caller skip the rings it need not feed). */
enum exp_md_mode exp_market_data(const struct exp *x);

struct exp_stats {
	uint64_t read_seq;        /* next journal sequence to read */
	uint64_t exported_seq;    /* everything <= it delivered */
	uint64_t checkpoint_seq;  /* last checkpoint written */
	uint64_t committed_seq;   /* writer's committed sequence, last seen */
	uint64_t lag;             /* committed - exported */
	uint64_t inflight;        /* journal records produced, not all delivered */
	uint64_t queue_depth;     /* librdkafka queue (messages + requests) */
	uint64_t queue_depth_max; /* highest queue_depth seen */
	uint64_t delivered;       /* journal messages delivered */
	uint64_t delivery_errors; /* failed delivery reports (all reasons) */
	uint64_t rewinds;         /* re-productions from the lowest undelivered record */
	uint64_t md_delivered, md_dropped;
	uint64_t bad_records;     /* journal records skipped (unknown type, bad length) */
};
/* Snapshot. Any thread. */
void exp_get_stats(const struct exp *x, struct exp_stats *st);

/* Everything up to this sequence is delivered. Any thread. */
uint64_t exp_exported_seq(const struct exp *x);

/* Visit every counter as (metric family, labels or NULL, value) for
 * Prometheus: kafka_delivered_total{stream}, kafka_delivery_errors_total{reason},
 * kafka_produce_errors_total{reason}, kafka_records_total{result},
 * kafka_md_total{result}, kafka_rewinds_total, kafka_resent_total,
 * kafka_producer_restarts_total, kafka_checkpoints_total{result},
 * kafka_lag_records, kafka_exported_seq, kafka_read_seq,
 * kafka_queue_depth, kafka_inflight_records. Any thread. */
void exp_foreach_counter(const struct exp *x, void (*fn)(void *arg, const char *name, const char *label, uint64_t v),
			 void *arg);

/* `orionctl decode`: read exported Envelopes (4-byte big-endian length +
 * bytes per message, as `kcat -f '%R%s'` writes; or one message per file with
 * --single) and print one JSON object per message. Returns the exit code
 * (0 ok, 1 malformed input, 2 usage). argv[0] is "decode". */
int exp_decode_main(int argc, char **argv);

#endif
