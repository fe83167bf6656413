/* Orion journal: on-disk format (version 1).
 *
 * The journal is the source of truth: every state-changing event is appended
 * to it before its effect is visible outside. It is a directory holding a
 * set of segment files, written append-only through a shared memory mapping.
 *
 * Directory
 *   seg-<index>.jrn   one segment; <index> is 16 lower-case hex digits, the
 *                     segment index (0, 1, 2, ...). Indexes of the segments
 *                     present are consecutive; retention deletes the oldest,
 *                     so the first index may be above 0.
 *   .seg-<index>.jrn.tmp   a segment being created by the writer's background
 *                     thread; renamed to its final name once complete, so a
 *                     reader never sees a half-created segment. Stale ones are
 *                     removed when a writer opens the directory.
 *   .lock             flock()ed by the single writer (ignored by readers).
 *   Any other name is ignored.
 *
 * Segment file (size fixed at creation, a multiple of 4096, JR_SEG_MIN_SIZE..
 * JR_SEG_MAX_SIZE; created with ftruncate+fallocate, so unwritten bytes read 0)
 *   [0, 64)            struct jr_seg_hdr, little-endian (see below)
 *   [64, ...)          records, back to back, each starting 8-byte aligned
 *   [end, size)        zero bytes up to the end of the file
 *
 *   A segment whose header has first_seq == 0 and whose first record slot is
 *   all zero is a "spare": pre-created and not yet used by the writer. Spares
 *   may only follow the last used segment; readers skip them.
 *
 * Record (struct jr_rec_hdr, then the payload, then 0..7 zero bytes so that the
 * next record is 8-byte aligned; total JR_REC_SIZE(len) bytes)
 *   crc     CRC32C (see jr_crc32c.h) of header bytes [4, 32) followed by the
 *           len payload bytes (padding excluded)
 *   len     payload length in bytes (0 allowed)
 *   type    event type, defined by the producer (the journal does not
 *           interpret it)
 *   flags   producer-defined bits (not interpreted by the journal)
 *   tag     JR_REC_TAG, tells a record from zeroed or random bytes
 *   seq     global sequence: starts at 1 in a new journal, +1 per record,
 *           no gaps, continuing across segments (segment N+1's first_seq is
 *           segment N's last seq + 1)
 *   ts_ns   timestamp in ns, supplied by the producer (wall clock by
 *           convention, not checked for monotonicity)
 *
 * The data of a segment ends at the first record slot whose 32 header bytes
 * are all zero, or where fewer than 32 bytes remain. A record slot that is not
 * zero and not a valid record (bad tag, length beyond the end of the file,
 * CRC mismatch, unexpected seq) ends the valid data too; what that means
 * (torn tail vs damage) is decided by the verifier, see jr_reader.h.
 */
#ifndef ORION_COMMON_JOURNAL_FORMAT_H
#define ORION_COMMON_JOURNAL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/journal/jr_crc32c.h"

#define JR_SEG_MAGIC 0x4E524A4E4F49524Full   /* "ORIONJRN" little-endian */
#define JR_VERSION 1u
#define JR_REC_TAG 0x4345524Au                /* "JREC" little-endian */

/* Largest valid sequence (sequences are returned as int64_t). A segment whose
 * first_seq is above it is invalid, so sequences never wrap. */
#define JR_SEQ_MAX ((uint64_t)INT64_MAX)

#define JR_SEG_HDR_SIZE 64u
#define JR_REC_HDR_SIZE 32u
#define JR_ALIGN 8u
#define JR_SEG_MIN_SIZE (16u * 1024u)
#define JR_SEG_MAX_SIZE (1ull << 40)
#define JR_SEG_DEFAULT_SIZE (64ull << 20)

/* Total bytes a record with a payload of len bytes occupies. */
#define JR_REC_SIZE(len) (((uint64_t)JR_REC_HDR_SIZE + (uint64_t)(len) + (JR_ALIGN - 1)) & ~(uint64_t)(JR_ALIGN - 1))
/* Largest payload a segment of seg_size bytes can hold. */
#define JR_MAX_PAYLOAD(seg_size) ((uint64_t)(seg_size) - JR_SEG_HDR_SIZE - JR_REC_HDR_SIZE)

/* Segment file header. Everything but first_seq is written when the file is
 * created, and covered by hdr_crc. first_seq is stored once (an aligned 8-byte
 * store) by the writer when it starts using the segment, which is why it sits
 * outside the CRC: a concurrent reader sees 0 or the value, never a header
 * with a stale CRC. It is checked instead against the segment's first record
 * and the previous segment's last record. */
struct jr_seg_hdr {
	uint64_t magic;       /* JR_SEG_MAGIC */
	uint16_t version;     /* JR_VERSION */
	uint16_t hdr_size;    /* JR_SEG_HDR_SIZE */
	uint32_t flags;       /* 0 in version 1 */
	uint64_t seg_index;   /* equals the index in the file name */
	uint64_t create_ns;   /* CLOCK_REALTIME ns when the file was created */
	uint64_t seg_size;    /* file size in bytes, equals the file's st_size */
	uint32_t rsvd0;       /* 0 */
	uint32_t hdr_crc;     /* CRC32C of bytes [0, 44) */
	uint64_t first_seq;   /* seq of the first record; 0 = spare (never used) */
	uint64_t rsvd1;       /* 0 */
};

/* Record header; see the file comment for each field. */
struct jr_rec_hdr {
	uint32_t crc;
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t tag;
	uint64_t seq;
	uint64_t ts_ns;
};

_Static_assert(sizeof(struct jr_seg_hdr) == JR_SEG_HDR_SIZE, "segment header layout");
_Static_assert(sizeof(struct jr_rec_hdr) == JR_REC_HDR_SIZE, "record header layout");
_Static_assert(offsetof(struct jr_seg_hdr, hdr_crc) == 44, "hdr_crc covers bytes 0..43");
_Static_assert(offsetof(struct jr_seg_hdr, first_seq) == 48, "first_seq is 8-byte aligned");
_Static_assert(offsetof(struct jr_rec_hdr, len) == 4, "record crc covers bytes 4..31");
_Static_assert(JR_SEG_HDR_SIZE % JR_ALIGN == 0, "records start aligned");

/* CRC of a segment header (bytes [0, 44)). */
static inline uint32_t jr_seg_hdr_crc(const struct jr_seg_hdr *h)
{
	return jr_crc32c(0, h, offsetof(struct jr_seg_hdr, hdr_crc));
}

/* CRC of a record: header bytes [4, 32) then payload[0..h->len). */
static inline uint32_t jr_rec_crc(const struct jr_rec_hdr *h, const void *payload)
{
	uint32_t c = jr_crc32c(0, (const uint8_t *)h + 4, JR_REC_HDR_SIZE - 4);
	return jr_crc32c(c, payload, h->len);
}

/* Outcome of checking one record slot. */
enum jr_slot {
	JR_SLOT_OK = 0,       /* a well-formed record (tag, length, CRC ok) */
	JR_SLOT_END,          /* 32 zero bytes, or fewer than 32 bytes left: no more data */
	JR_SLOT_BAD_TAG,      /* not zero, tag wrong: torn header or garbage */
	JR_SLOT_BAD_LEN,      /* record would extend past the end of the file */
	JR_SLOT_BAD_CRC,      /* CRC mismatch: torn or corrupted payload/header */
	JR_SLOT__COUNT
};

/* Check the record slot at offset off of a segment image seg[0..size).
 * off must be 8-byte aligned and >= JR_SEG_HDR_SIZE. On JR_SLOT_OK, *hdr is a
 * copy of the header and the payload is at seg + off + JR_REC_HDR_SIZE. Reads
 * only seg[off, size). Any thread; no syscall. */
enum jr_slot jr_slot_check(const uint8_t *seg, uint64_t size, uint64_t off, struct jr_rec_hdr *hdr);

/* Static name of a jr_slot value ("ok", "zero", "bad tag", ...). */
const char *jr_slot_name(enum jr_slot s);

/* Check a segment header image: NULL when magic, version, hdr_size, flags,
 * reserved fields and CRC are right; otherwise a static reason string.
 * first_seq, seg_index and seg_size are the caller's to check. */
const char *jr_seg_hdr_check(const struct jr_seg_hdr *h);

/* Fill a header for a new segment (first_seq 0 = spare) including hdr_crc. */
void jr_seg_hdr_init(struct jr_seg_hdr *h, uint64_t index, uint64_t seg_size, uint64_t create_ns);

/* Length of a segment file name, without the NUL ("seg-" + 16 hex + ".jrn"). */
#define JR_SEG_NAME_LEN 24u

/* Write "seg-<index>.jrn" into buf (at least JR_SEG_NAME_LEN + 1 bytes). */
void jr_seg_name(char *buf, uint64_t index);

/* Parse a segment file name; 0 and *index on success, -EINVAL otherwise. */
int jr_seg_parse_name(const char *name, uint64_t *index);

#endif
