/* Orion journal writer: appends records to a memory-mapped, segmented,
 * append-only journal (format: common/journal/jr_format.h) without a syscall.
 *
 * Model
 *  - One writer per journal directory (enforced with flock on dir/.lock, also
 *    across processes). Appends go into the current segment's shared mapping:
 *    a record is in the page cache once jr_append() returns, so it survives a
 *    kill -9 of the process (PROCESS durability).
 *  - A background part ("bg": a pthread, or the caller in JR_BG_MANUAL mode)
 *    keeps `spares` segments created (ftruncate+fallocate, header written,
 *    renamed into place, mapped and pre-faulted) ahead of the writer, msyncs
 *    (MS_SYNC) what was appended every flush_interval_us and then publishes the
 *    durable sequence, unmaps segments the writer has left once flushed, and
 *    applies retention.
 *  - Rotation: when a record does not fit, the writer switches to the next
 *    ready segment (writing its first_seq into the mapped header). If bg has
 *    not made it ready yet, the append fails with -EAGAIN (-ENOSPC when bg's
 *    last creation failed with ENOSPC); nothing waits. Counted; the caller
 *    decides back-pressure (e.g. reject the order).
 *  - Durability for acknowledgements: jr_ack_seq() is the highest sequence the
 *    caller may acknowledge externally: the committed sequence in
 *    JR_DUR_PROCESS mode, the durable (flushed) sequence in JR_DUR_POWER mode
 *    (group commit: hold acknowledgements until jr_ack_seq() >= their seq).
 *  - Retention (bg): while the used segments exceed retain_segments or
 *    retain_bytes, delete the oldest one, but only when all its records are
 *    durable and (unless retain_without_export) at or below the exported
 *    checkpoint set by the consumer with jr_set_exported(). The segment being
 *    written is never deleted.
 *  - Opening an existing directory runs recovery first (jr_verify with
 *    JR_VERIFY_REPAIR: a torn tail is zeroed and reported in the jr_diag; any
 *    damage fails the open with -EBADMSG) and continues after the last valid
 *    record, with the next sequence.
 *
 * Threads
 *  - jr_writer_open(), jr_writer_close(): one control thread, outside the
 *    writer's loop (they allocate, create files and start/stop the thread).
 *  - jr_append(), jr_reserve(), jr_commit(), jr_abort(): the single writer
 *    thread (a dataplane lcore) only. No syscall, lock, allocation or stdio.
 *  - jr_committed_seq(), jr_durable_seq(), jr_ack_seq(), jr_set_exported(),
 *    jr_writer_counters(), jr_writer_max_payload(): any thread, lock-free.
 *  - jr_writer_sync(): any thread but a dataplane lcore (it blocks).
 *  - jr_writer_bg_step(): JR_BG_MANUAL mode only, from one thread at a time
 *    (may be the writer's thread; tests use that to step deterministically).
 */
#ifndef ORION_DATAPLANE_JOURNAL_WRITER_H
#define ORION_DATAPLANE_JOURNAL_WRITER_H

#include <stdint.h>

#include "common/journal/jr_format.h"
#include "common/journal/jr_reader.h"

#define JR_MAX_SPARES 4u

enum jr_durability {
	JR_DUR_PROCESS = 0,   /* acknowledge once appended (survives kill -9) */
	JR_DUR_POWER = 1,     /* acknowledge once flushed (survives power loss) */
};

enum jr_bg_mode {
	JR_BG_THREAD = 0,     /* a pthread does the background work */
	JR_BG_MANUAL = 1,     /* the caller calls jr_writer_bg_step() */
};

struct jr_writer_opts {
	const char *dir;              /* journal directory; created (one level) if absent */
	uint64_t segment_size;        /* bytes, multiple of 4096, JR_SEG_MIN_SIZE..JR_SEG_MAX_SIZE; 0: 64 MiB */
	uint32_t spares;              /* segments kept ready ahead, 1..JR_MAX_SPARES; 0: 2 */
	uint32_t flush_interval_us;   /* bg period: flush, spares, retention; 0: 1000 */
	enum jr_durability durability;
	uint32_t retain_segments;     /* keep at most this many used segments; 0: no limit */
	uint64_t retain_bytes;        /* keep at most this many bytes of used segments; 0: no limit */
	int retain_without_export;    /* 1: retention does not wait for jr_set_exported() */
	int no_prefault;              /* 1: do not pre-fault spare segments' pages */
	enum jr_bg_mode bg;
};

/* Counters, by reason. Appends rejected are counted under JR_C_REJ_*. */
enum jr_ctr {
	JR_C_APPENDS = 0,       /* records committed */
	JR_C_BYTES,             /* record bytes committed (headers and padding included) */
	JR_C_ROTATIONS,         /* switches to a new segment */
	JR_C_REJ_NOT_READY,     /* -EAGAIN: next segment not ready */
	JR_C_REJ_NOSPC,         /* -ENOSPC: next segment could not be created (disk full) */
	JR_C_REJ_TOO_BIG,       /* -EMSGSIZE: payload larger than jr_writer_max_payload() */
	JR_C_REJ_MISUSE,        /* -EBUSY/-EINVAL: reserve/commit out of order, len > reserved */
	JR_C_SEG_CREATED,       /* segments created by bg */
	JR_C_SEG_CREATE_FAIL,   /* segment creations that failed (retried next period) */
	JR_C_SEG_DELETED,       /* segments deleted by retention */
	JR_C_FLUSHES,           /* msync calls that succeeded */
	JR_C_FLUSH_FAIL,        /* msync calls that failed (durable seq does not advance) */
	JR_C__COUNT
};

/* Static name of a counter ("appends", "rej_not_ready", ...). */
const char *jr_ctr_name(enum jr_ctr c);

struct jr_writer;

/* Open (creating or recovering) the journal in o->dir and start bg.
 * d receives what recovery found (torn tail to log, segments, last seq); may
 * be NULL. Returns 0 and *out, -EINVAL on bad options, -EBUSY when another
 * writer holds the directory, -EBADMSG on damage (see d), -ENOSPC or other
 * -errno when files cannot be created. Control thread. */
int jr_writer_open(struct jr_writer **out, const struct jr_writer_opts *o, struct jr_diag *d);

/* Stop bg, flush everything (msync MS_SYNC), unmap, delete unused spares,
 * release the lock and free w (NULL accepted). Returns 0 or the first -errno
 * met while flushing. Control thread; the writer thread must be done. */
int jr_writer_close(struct jr_writer *w);

/* Append one record. payload may be NULL when len is 0. Returns its sequence
 * (>= 1), or -EAGAIN (next segment not ready), -ENOSPC (next segment could
 * not be created), -EMSGSIZE (len > jr_writer_max_payload()), -EBUSY (a
 * reservation is open). Writer thread only. */
int64_t jr_append(struct jr_writer *w, uint16_t type, const void *payload, uint32_t len, uint64_t ts_ns);

/* Zero-copy: reserve room for a payload of up to max_len bytes and get a
 * pointer into the mapped journal in *payload (8-byte aligned). The caller
 * writes the payload there, then calls jr_commit() or jr_abort(); nothing is
 * visible to readers until jr_commit(). One reservation at a time.
 * Returns 0, -EAGAIN, -ENOSPC, -EMSGSIZE as jr_append, -EBUSY when a
 * reservation is already open. Writer thread only. */
int jr_reserve(struct jr_writer *w, uint32_t max_len, void **payload);

/* Commit the open reservation as a record of len (<= max_len) payload bytes.
 * Bytes the caller wrote past len are zeroed. Returns the sequence, or
 * -EINVAL when no reservation is open or len > max_len. Writer thread only. */
int64_t jr_commit(struct jr_writer *w, uint16_t type, uint16_t flags, uint32_t len, uint64_t ts_ns);

/* Drop the open reservation (its bytes are zeroed). Writer thread only. */
void jr_abort(struct jr_writer *w);

/* Last sequence appended (0 when none ever). Everything up to it is readable
 * by jr_reader_next(limit = this). Any thread. */
uint64_t jr_committed_seq(const struct jr_writer *w);

/* Last sequence known flushed to stable storage. Any thread. */
uint64_t jr_durable_seq(const struct jr_writer *w);

/* Sequence up to which acknowledgements may be released under the configured
 * durability (committed for PROCESS, durable for POWER). Any thread. */
uint64_t jr_ack_seq(const struct jr_writer *w);

/* The consumer (exporter) has delivered everything up to seq; retention may
 * delete segments whose records are all <= seq. Never moves backwards.
 * Any thread. */
void jr_set_exported(struct jr_writer *w, uint64_t seq);

/* Flush now and wait until everything committed before the call is durable.
 * Returns 0, or -EIO when msync failed. Any thread but a dataplane lcore. */
int jr_writer_sync(struct jr_writer *w);

/* JR_BG_MANUAL: do one round of background work (create missing spares,
 * flush, finalize left segments, retention). Returns 0 or the first -errno.
 * -EINVAL in JR_BG_THREAD mode. */
int jr_writer_bg_step(struct jr_writer *w);

/* Snapshot of the counters (indexed by enum jr_ctr). Any thread. */
void jr_writer_counters(const struct jr_writer *w, uint64_t out[JR_C__COUNT]);

/* Largest payload jr_append() accepts (depends on segment_size). Any thread. */
uint32_t jr_writer_max_payload(const struct jr_writer *w);

#endif
