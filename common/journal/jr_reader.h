/* Orion journal: verification, recovery and reading (format in jr_format.h).
 *
 * jr_verify() checks a whole journal directory, in segment order:
 *  - segment files present have consecutive indexes; headers are valid and
 *    match their file (index, size); spares only at the end;
 *  - records are well-formed (tag, length, CRC) and their sequence numbers are
 *    gapless within and across segments (segment N+1 starts at N's last + 1);
 *  - what follows the last valid record of a segment:
 *      all zero                              -> clean end
 *      non-zero bytes, in the LAST used segment, and no well-formed record
 *      with a later sequence anywhere after  -> TORN TAIL: a write cut short by
 *                                               a crash. Reported in jr_diag
 *                                               (file, offset, bytes, reason);
 *                                               zeroed with JR_VERIFY_REPAIR.
 *      anything else (non-zero bytes in a non-final segment, a bad record
 *      followed by a valid later one, a zeroed record followed by a valid
 *      one)                                  -> DAMAGE: -EBADMSG
 *    Damage is never skipped silently: the caller must stop start-up and
 *    report jr_diag's err_file, err_off and err.
 *
 * jr_reader_*() iterate records from a given sequence, for replay at start-up
 * and for tailing a journal while its writer appends (the exporter): pass the
 * writer's jr_committed_seq() as the limit and the reader returns only
 * records up to it, which the writer published before the limit.
 *
 * Threads: none of these functions may run on a dataplane lcore (they open
 * files, map memory and allocate). Each jr_reader is used by one thread at a
 * time; any number of readers may run beside the single writer.
 */
#ifndef ORION_COMMON_JOURNAL_READER_H
#define ORION_COMMON_JOURNAL_READER_H

#include <stdint.h>

#include "common/journal/jr_format.h"

#define JR_PATH_MAX 512

/* jr_verify flags */
#define JR_VERIFY_REPAIR 0x1u   /* zero a torn tail (and msync it), delete trailing
                                   spare segments and stale .tmp files; needs
                                   write access. Used by jr_writer_open(). */

/* What jr_verify() found. Filled on every return; fields past the point of an
 * error describe what was validated before it. */
struct jr_diag {
	uint32_t segments;        /* used (non-spare) segments */
	uint32_t spares;          /* trailing spare segments (removed with REPAIR) */
	uint64_t first_index;     /* index of the first used segment (segments > 0) */
	uint64_t last_index;      /* index of the last used segment (segments > 0) */
	uint64_t first_seq;       /* first segment's first_seq (segments > 0) */
	uint64_t last_seq;        /* last valid record's seq; first_seq - 1 if none */
	uint64_t records;         /* valid records */
	uint64_t bytes;           /* bytes of valid records (headers + padding included) */
	uint64_t end_off;         /* end of valid data in the last used segment */

	int torn;                 /* 1: torn tail found in the last used segment */
	int repaired;             /* 1: the torn bytes were zeroed (JR_VERIFY_REPAIR) */
	uint64_t torn_off;        /* offset of the torn record (== end_off) */
	uint64_t torn_bytes;      /* bytes from torn_off to the last non-zero byte */
	const char *torn_reason;  /* static string */
	char torn_file[JR_PATH_MAX];

	uint64_t err_off;         /* where the damage is (on -EBADMSG) */
	char err_file[JR_PATH_MAX];
	char err[256];            /* reason, human-readable (on any error) */
};

/* One record as seen by a visitor or a reader. payload points into a
 * read-only mapping of the segment: valid until the next jr_reader_next() /
 * jr_reader_close() call, or until the visitor returns. */
struct jr_rec {
	uint64_t seq;
	uint64_t ts_ns;
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	const void *payload;
	uint64_t seg_index;       /* segment holding the record */
	uint64_t off;             /* offset of its header in that segment */
};

/* One used segment, reported after its records were validated. */
struct jr_seg_info {
	uint64_t index;
	uint64_t first_seq;
	uint64_t last_seq;        /* first_seq - 1 when it holds no record */
	uint64_t size;            /* file size */
	uint64_t end_off;         /* end of valid data */
	uint64_t create_ns;
};

/* Optional visitors called by jr_verify() in order; return 0 to go on or a
 * negative errno to stop verification (jr_verify then returns it). */
struct jr_visit {
	int (*on_record)(void *ctx, const struct jr_rec *rec);
	int (*on_segment)(void *ctx, const struct jr_seg_info *seg);
	void *ctx;
};

/* Verify (and with JR_VERIFY_REPAIR, recover) the journal in dir.
 * An empty directory is a valid, empty journal.
 * Returns 0 (journal usable; d->torn says whether a torn tail was found),
 * -EBADMSG on damage (d->err_file, d->err_off, d->err say where and why),
 * -ENOENT/-EACCES/-ENOMEM/... on I/O errors (d->err says which call),
 * or a visitor's negative return. d must not be NULL; v may be NULL. */
int jr_verify(const char *dir, unsigned flags, struct jr_diag *d, const struct jr_visit *v);

/* Limit for jr_reader_next() meaning "no live writer: read to the end". */
#define JR_SEQ_ALL UINT64_MAX

struct jr_reader;

/* Open a reader on dir positioned at from_seq (0 = the oldest record kept).
 * from_seq may be one past the last record (a tail waiting for more).
 * Returns 0 and *out, -ERANGE when from_seq is not in the journal (deleted by
 * retention, or beyond the end), -EBADMSG on a bad header on the way,
 * -ENOENT when dir has no segment, other -errno on I/O errors. */
int jr_reader_open(struct jr_reader **out, const char *dir, uint64_t from_seq);

/* Next record if its seq <= limit. limit is a seq that the caller knows was
 * committed (jr_committed_seq() of a writer in this process, or d.last_seq of a
 * jr_verify() run), or JR_SEQ_ALL to read whatever is complete.
 * Returns 1 and *rec, 0 when no record <= limit is available (yet), or
 * -EBADMSG when a record the limit promises is missing or malformed, or a
 * sequence breaks (jr_reader_err() tells where); other -errno on I/O errors. */
int jr_reader_next(struct jr_reader *r, uint64_t limit, struct jr_rec *rec);

/* Sequence the next jr_reader_next() will return. */
uint64_t jr_reader_next_seq(const struct jr_reader *r);

/* Last error of r as "file:offset: reason" ("" when none). */
const char *jr_reader_err(const struct jr_reader *r);

/* Close r (NULL accepted). */
void jr_reader_close(struct jr_reader *r);

#endif
