/* Unit tests: journal format, writer, recovery/verifier, reader and tool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/journal/jr_format.h"
#include "common/journal/jr_reader.h"
#include "common/journal/jr_tool.h"
#include "dataplane/journal/jr_writer.h"

#define SMALL_SEG JR_SEG_MIN_SIZE   /* 16 KiB: rotations after ~100 records */

struct fx {
	char dir[64];
};

/* ---- helpers ---------------------------------------------------------- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/orion-jr-test-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static uint64_t g_rng;

static uint64_t rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return g_rng;
}

/* Deterministic payload for seq: len and bytes derived from seq. */
static uint32_t make_payload(uint64_t seq, uint8_t *buf, uint32_t max)
{
	uint32_t len = (uint32_t)((seq * 37u) % (max + 1u));
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 131u + i * 7u);
	return len;
}

static struct jr_writer *open_w(const char *dir, uint64_t seg, enum jr_bg_mode bg, struct jr_diag *d)
{
	struct jr_writer_opts o = {
		.dir = dir, .segment_size = seg, .spares = 1, .bg = bg, .no_prefault = 1,
	};
	struct jr_writer *w = NULL;
	int rc = jr_writer_open(&w, &o, d);
	assert_int_equal(rc, 0);
	assert_non_null(w);
	return w;
}

/* Append, stepping bg (manual mode) when the next segment is not ready. */
static int64_t append_step(struct jr_writer *w, uint16_t type, const void *p, uint32_t len, uint64_t ts)
{
	int64_t s = jr_append(w, type, p, len, ts);
	if (s == -EAGAIN) {
		assert_int_equal(jr_writer_bg_step(w), 0);
		s = jr_append(w, type, p, len, ts);
	}
	return s;
}

/* Append n deterministic records (seq-derived payloads, up to max bytes). */
static void append_n(struct jr_writer *w, uint64_t n, uint32_t max)
{
	uint8_t buf[512];
	for (uint64_t i = 0; i < n; i++) {
		uint64_t seq = jr_committed_seq(w) + 1;
		uint32_t len = make_payload(seq, buf, max);
		int64_t s = append_step(w, (uint16_t)(seq % 7), buf, len, 1000 + seq);
		assert_int_equal(s, (int64_t)seq);
	}
}

/* Read everything with a reader and check each record's content. Returns count. */
static uint64_t read_all_check(const char *dir, uint64_t from, uint32_t max)
{
	struct jr_reader *r;
	assert_int_equal(jr_reader_open(&r, dir, from), 0);
	struct jr_rec rec;
	uint8_t buf[512];
	uint64_t n = 0, expect = from ? from : 1;
	int rc;
	while ((rc = jr_reader_next(r, JR_SEQ_ALL, &rec)) == 1) {
		assert_int_equal(rec.seq, expect);
		uint32_t len = make_payload(rec.seq, buf, max);
		assert_int_equal(rec.len, len);
		assert_int_equal(rec.type, rec.seq % 7);
		assert_int_equal(rec.ts_ns, 1000 + rec.seq);
		assert_memory_equal(rec.payload, buf, len);
		expect++;
		n++;
	}
	assert_int_equal(rc, 0);
	jr_reader_close(r);
	return n;
}

static void seg_file(char *buf, size_t n, const char *dir, uint64_t index)
{
	char name[JR_SEG_NAME_LEN + 1];
	jr_seg_name(name, index);
	snprintf(buf, n, "%s/%s", dir, name);
}

static void patch(const char *path, uint64_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* Location of record seq (segment index and offset), through a reader. */
static void locate(const char *dir, uint64_t seq, uint64_t *index, uint64_t *off)
{
	struct jr_reader *r;
	struct jr_rec rec;
	assert_int_equal(jr_reader_open(&r, dir, seq), 0);
	assert_int_equal(jr_reader_next(r, JR_SEQ_ALL, &rec), 1);
	assert_int_equal(rec.seq, seq);
	*index = rec.seg_index;
	*off = rec.off;
	jr_reader_close(r);
}

static int file_exists(const char *dir, uint64_t index)
{
	char p[256];
	seg_file(p, sizeof(p), dir, index);
	return access(p, F_OK) == 0;
}

/* ---- CRC -------------------------------------------------------------- */

static void crc32c__known_vector_and_random__hw_equals_table(void **state)
{
	(void)state;
	assert_int_equal(jr_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(jr_crc32c_sw(0, "123456789", 9), 0xE3069283u);
	uint8_t buf[300];
	g_rng = 42;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	for (unsigned off = 0; off < 8; off++)
		for (unsigned len = 0; len < 200; len += 13) {
			uint32_t a = jr_crc32c(0, buf + off, len), b = jr_crc32c_sw(0, buf + off, len);
			assert_int_equal(a, b);
			uint32_t chained = jr_crc32c(jr_crc32c(0, buf + off, len / 3), buf + off + len / 3, len - len / 3);
			assert_int_equal(chained, a);
		}
}

static void format__seg_name__round_trips(void **state)
{
	(void)state;
	char name[JR_SEG_NAME_LEN + 1];
	uint64_t idx = 0;
	jr_seg_name(name, 0x1234abcdull);
	assert_string_equal(name, "seg-000000001234abcd.jrn");
	assert_int_equal(jr_seg_parse_name(name, &idx), 0);
	assert_int_equal(idx, 0x1234abcdull);
	assert_int_equal(jr_seg_parse_name("seg-000000001234ABCD.jrn", &idx), -EINVAL);
	assert_int_equal(jr_seg_parse_name(".seg-000000001234abcd.jrn.tmp", &idx), -EINVAL);
}

/* ---- writer + reader --------------------------------------------------- */

static void journal__append_then_read__returns_same_records(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, 1 << 20, JR_BG_MANUAL, NULL);
	append_n(w, 100, 200);
	assert_int_equal(jr_committed_seq(w), 100);
	uint64_t c[JR_C__COUNT];
	jr_writer_counters(w, c);
	assert_int_equal(c[JR_C_APPENDS], 100);
	assert_int_equal(c[JR_C_ROTATIONS], 0);
	assert_int_equal(read_all_check(f->dir, 0, 200), 100);
	assert_int_equal(jr_writer_close(w), 0);

	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	assert_int_equal(d.segments, 1);
	assert_int_equal(d.records, 100);
	assert_int_equal(d.first_seq, 1);
	assert_int_equal(d.last_seq, 100);
	assert_int_equal(d.torn, 0);
	assert_int_equal(d.spares, 0);
	assert_int_equal(read_all_check(f->dir, 40, 200), 61);
}

static void journal__small_segments__rotate_and_read_across(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, NULL);
	append_n(w, 2000, 200);
	uint64_t c[JR_C__COUNT];
	jr_writer_counters(w, c);
	assert_true(c[JR_C_ROTATIONS] >= 10);
	assert_int_equal(jr_writer_close(w), 0);

	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	assert_int_equal(d.segments, c[JR_C_ROTATIONS] + 1);
	assert_int_equal(d.last_seq, 2000);
	assert_int_equal(read_all_check(f->dir, 0, 200), 2000);
	/* start in the middle of a later segment */
	assert_int_equal(read_all_check(f->dir, 1234, 200), 2000 - 1233);
}

static void journal__next_segment_not_ready__eagain_counted(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, NULL);
	uint8_t buf[256] = { 0 };
	int64_t s;
	/* Segment 0 active, segment 1 ready (1 spare): the second rotation has no
	 * ready segment until bg runs. */
	while ((s = jr_append(w, 1, buf, sizeof(buf), 1)) > 0)
		;
	assert_int_equal(s, -EAGAIN);
	uint64_t c[JR_C__COUNT];
	jr_writer_counters(w, c);
	assert_int_equal(c[JR_C_ROTATIONS], 1);
	assert_int_equal(c[JR_C_REJ_NOT_READY], 1);
	uint64_t before = jr_committed_seq(w);
	assert_int_equal(jr_writer_bg_step(w), 0);
	s = jr_append(w, 1, buf, sizeof(buf), 1);
	assert_int_equal(s, (int64_t)before + 1);
	assert_int_equal(jr_append(w, 1, buf, jr_writer_max_payload(w) + 1, 1), -EMSGSIZE);
	jr_writer_counters(w, c);
	assert_int_equal(c[JR_C_REJ_TOO_BIG], 1);
	assert_int_equal(jr_writer_close(w), 0);
}

static void journal__reserve_commit__zero_copy_and_misuse_rejected(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, 1 << 20, JR_BG_MANUAL, NULL);
	void *p = NULL;
	assert_int_equal(jr_commit(w, 1, 0, 0, 0), -EINVAL);
	assert_int_equal(jr_reserve(w, 200, &p), 0);
	assert_int_equal(((uintptr_t)p) % 8, 0);
	memset(p, 0xAB, 200);
	assert_int_equal(jr_reserve(w, 10, &p), -EBUSY);
	assert_int_equal(jr_append(w, 1, "x", 1, 0), -EBUSY);
	assert_int_equal(jr_commit(w, 9, 0, 201, 5), -EINVAL);
	assert_int_equal(jr_commit(w, 9, 0x42, 50, 5), 1);
	assert_int_equal(jr_reserve(w, 300, &p), 0);
	memset(p, 0xCD, 300);
	jr_abort(w);
	assert_int_equal(jr_append(w, 3, "hello", 5, 6), 2);
	uint64_t c[JR_C__COUNT];
	jr_writer_counters(w, c);
	assert_int_equal(c[JR_C_REJ_MISUSE], 4);
	assert_int_equal(jr_writer_close(w), 0);

	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);   /* no junk left by commit/abort */
	assert_int_equal(d.records, 2);
	assert_int_equal(d.torn, 0);
	struct jr_reader *r;
	struct jr_rec rec;
	uint8_t ab[50];
	memset(ab, 0xAB, sizeof(ab));
	assert_int_equal(jr_reader_open(&r, f->dir, 0), 0);
	assert_int_equal(jr_reader_next(r, JR_SEQ_ALL, &rec), 1);
	assert_int_equal(rec.type, 9);
	assert_int_equal(rec.flags, 0x42);
	assert_int_equal(rec.len, 50);
	assert_memory_equal(rec.payload, ab, 50);
	assert_int_equal(jr_reader_next(r, JR_SEQ_ALL, &rec), 1);
	assert_int_equal(rec.seq, 2);
	assert_memory_equal(rec.payload, "hello", 5);
	assert_int_equal(jr_reader_next(r, JR_SEQ_ALL, &rec), 0);
	jr_reader_close(r);
}

static void journal__tail_reader__follows_live_writer_across_rotation(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, NULL);
	struct jr_reader *r;
	struct jr_rec rec;
	assert_int_equal(jr_reader_open(&r, f->dir, 1), 0);
	assert_int_equal(jr_reader_next(r, jr_committed_seq(w), &rec), 0);   /* nothing yet */
	uint64_t got = 0;
	uint8_t buf[512];
	for (int round = 0; round < 30; round++) {
		append_n(w, 37, 200);
		int rc;
		while ((rc = jr_reader_next(r, jr_committed_seq(w), &rec)) == 1) {
			got++;
			assert_int_equal(rec.seq, got);
			uint32_t len = make_payload(rec.seq, buf, 200);
			assert_int_equal(rec.len, len);
			assert_memory_equal(rec.payload, buf, len);
		}
		assert_int_equal(rc, 0);
		assert_int_equal(got, jr_committed_seq(w));
	}
	uint64_t c[JR_C__COUNT];
	jr_writer_counters(w, c);
	assert_true(c[JR_C_ROTATIONS] >= 5);
	jr_reader_close(r);
	assert_int_equal(jr_writer_close(w), 0);
}

static void journal__writer_reopen__continues_sequence(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, NULL);
	append_n(w, 250, 200);
	assert_int_equal(jr_writer_close(w), 0);

	struct jr_diag d;
	w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, &d);
	assert_int_equal(d.last_seq, 250);
	assert_int_equal(d.torn, 0);
	assert_int_equal(jr_committed_seq(w), 250);
	assert_int_equal(jr_durable_seq(w), 250);
	append_n(w, 250, 200);
	assert_int_equal(jr_committed_seq(w), 500);
	/* a second writer on the same directory is refused */
	struct jr_writer_opts o = { .dir = f->dir, .segment_size = SMALL_SEG, .bg = JR_BG_MANUAL };
	struct jr_writer *w2 = NULL;
	assert_int_equal(jr_writer_open(&w2, &o, NULL), -EBUSY);
	assert_int_equal(jr_writer_close(w), 0);

	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	assert_int_equal(d.records, 500);
	assert_int_equal(read_all_check(f->dir, 0, 200), 500);
}

/* Write a torn record after the last one of the last segment. */
static void write_torn(const char *dir, int kind, uint64_t *torn_off, uint64_t *seq_after)
{
	struct jr_diag d;
	assert_int_equal(jr_verify(dir, 0, &d, NULL), 0);
	char path[256];
	seg_file(path, sizeof(path), dir, d.last_index);
	uint8_t rec[JR_REC_HDR_SIZE + 100];
	struct jr_rec_hdr h = { .len = 100, .type = 1, .tag = JR_REC_TAG, .seq = d.last_seq + 1, .ts_ns = 7 };
	memset(rec + JR_REC_HDR_SIZE, 0x5A, 100);
	h.crc = jr_rec_crc(&h, rec + JR_REC_HDR_SIZE);
	if (kind == 2)
		h.len = 1u << 30;     /* length beyond the end of the segment */
	memcpy(rec, &h, sizeof(h));
	size_t n = kind == 0 ? JR_REC_HDR_SIZE + 40   /* cut inside the payload: CRC mismatch */
		 : kind == 1 ? 12                     /* header cut short: rest reads zero */
		 : sizeof(rec);
	assert_true(d.end_off + sizeof(rec) <= SMALL_SEG);   /* room for the torn record */
	patch(path, d.end_off, rec, n);
	*torn_off = d.end_off;
	*seq_after = d.last_seq + 1;
}

static void journal__torn_tail__truncated_reported_and_writer_continues(void **state)
{
	struct fx *f = *state;
	for (int kind = 0; kind < 3; kind++) {
		char sub[128];
		snprintf(sub, sizeof(sub), "%s/k%d", f->dir, kind);
		struct jr_writer *w = open_w(sub, SMALL_SEG, JR_BG_MANUAL, NULL);
		append_n(w, 150, 200);
		assert_int_equal(jr_writer_close(w), 0);
		uint64_t torn_off, next;
		write_torn(sub, kind, &torn_off, &next);

		struct jr_diag d;
		assert_int_equal(jr_verify(sub, 0, &d, NULL), 0);   /* read-only: reported, not changed */
		assert_int_equal(d.torn, 1);
		assert_int_equal(d.repaired, 0);
		assert_int_equal(d.torn_off, torn_off);
		assert_true(d.torn_bytes > 0);
		assert_non_null(strstr(d.torn_file, ".jrn"));
		assert_int_equal(d.last_seq, 150);
		assert_int_equal(jr_tool_main(3, (char *[]){ "journal", "verify", sub, NULL }), JR_TOOL_OK);

		w = open_w(sub, SMALL_SEG, JR_BG_MANUAL, &d);
		assert_int_equal(d.torn, 1);
		assert_int_equal(d.repaired, 1);
		assert_int_equal(d.torn_off, torn_off);
		assert_int_equal(jr_append(w, 1, "abc", 3, 1), (int64_t)next);
		assert_int_equal(jr_writer_close(w), 0);

		assert_int_equal(jr_verify(sub, 0, &d, NULL), 0);
		assert_int_equal(d.torn, 0);
		assert_int_equal(d.records, 151);
	}
}

static void journal__crc_damage_mid_segment__fails_with_ebadmsg(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, 1 << 20, JR_BG_MANUAL, NULL);
	append_n(w, 50, 200);
	assert_int_equal(jr_writer_close(w), 0);
	uint64_t idx, off;
	locate(f->dir, 10, &idx, &off);
	char path[256];
	seg_file(path, sizeof(path), f->dir, idx);
	uint8_t x = 0xFF;
	patch(path, off + JR_REC_HDR_SIZE + 1, &x, 1);   /* record 10 has a payload (370 % 201 = 169 bytes) */

	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), -EBADMSG);
	assert_int_equal(d.err_off, off);
	assert_string_equal(d.err_file, path);
	assert_non_null(strstr(d.err, "CRC"));
	assert_non_null(strstr(d.err, "followed by a valid record"));
	assert_int_equal(d.last_seq, 9);

	struct jr_writer_opts o = { .dir = f->dir, .segment_size = 1 << 20, .bg = JR_BG_MANUAL };
	assert_int_equal(jr_writer_open(&w, &o, &d), -EBADMSG);
	assert_null(w);
	assert_int_equal(d.err_off, off);

	struct jr_reader *r;
	struct jr_rec rec;
	assert_int_equal(jr_reader_open(&r, f->dir, 0), 0);
	int rc;
	uint64_t n = 0;
	while ((rc = jr_reader_next(r, JR_SEQ_ALL, &rec)) == 1)
		n++;
	assert_int_equal(rc, -EBADMSG);
	assert_int_equal(n, 9);
	assert_non_null(strstr(jr_reader_err(r), "CRC"));
	jr_reader_close(r);
	assert_int_equal(jr_tool_main(3, (char *[]){ "journal", "verify", f->dir, NULL }), JR_TOOL_DAMAGE);
}

static void journal__zeroed_record_followed_by_valid__fails(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, 1 << 20, JR_BG_MANUAL, NULL);
	append_n(w, 50, 200);
	assert_int_equal(jr_writer_close(w), 0);
	uint64_t idx, off;
	locate(f->dir, 20, &idx, &off);
	char path[256];
	seg_file(path, sizeof(path), f->dir, idx);
	uint8_t z[JR_REC_HDR_SIZE] = { 0 };
	patch(path, off, z, sizeof(z));
	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), -EBADMSG);
	assert_int_equal(d.err_off, off);
	assert_non_null(strstr(d.err, "zeroed record header"));
}

static void journal__seq_gap_between_segments__fails(void **state)
{
	struct fx *f = *state;
	struct jr_writer *w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, NULL);
	append_n(w, 400, 200);
	assert_int_equal(jr_writer_close(w), 0);
	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	assert_true(d.segments >= 3);

	/* first_seq of segment 2 moved forward: a gap */
	char path[256];
	seg_file(path, sizeof(path), f->dir, 2);
	struct jr_seg_hdr h;
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	close(fd);
	uint64_t orig = h.first_seq, moved = orig + 5;
	patch(path, offsetof(struct jr_seg_hdr, first_seq), &moved, 8);
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), -EBADMSG);
	assert_string_equal(d.err_file, path);
	assert_non_null(strstr(d.err, "sequence gap between segments"));
	struct jr_reader *r;
	assert_int_equal(jr_reader_open(&r, f->dir, 0), 0);
	struct jr_rec rec;
	int rc;
	while ((rc = jr_reader_next(r, JR_SEQ_ALL, &rec)) == 1)
		;
	assert_int_equal(rc, -EBADMSG);
	assert_non_null(strstr(jr_reader_err(r), "sequence gap"));
	jr_reader_close(r);
	patch(path, offsetof(struct jr_seg_hdr, first_seq), &orig, 8);
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);

	/* a missing middle segment */
	char moved_path[300];
	snprintf(moved_path, sizeof(moved_path), "%s/elsewhere", f->dir);
	seg_file(path, sizeof(path), f->dir, 1);
	assert_int_equal(rename(path, moved_path), 0);
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), -EBADMSG);
	assert_non_null(strstr(d.err, "missing segment"));
	assert_int_equal(rename(moved_path, path), 0);

	/* a bad header (corrupted index field) */
	uint64_t bad = 77;
	seg_file(path, sizeof(path), f->dir, 1);
	patch(path, offsetof(struct jr_seg_hdr, seg_index), &bad, 8);
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), -EBADMSG);
	assert_string_equal(d.err_file, path);
	assert_int_equal(d.err_off, 0);
	assert_non_null(strstr(d.err, "header CRC"));
}

static void journal__retention__deletes_only_exported_and_flushed(void **state)
{
	struct fx *f = *state;
	struct jr_writer_opts o = {
		.dir = f->dir, .segment_size = SMALL_SEG, .spares = 1, .bg = JR_BG_MANUAL, .no_prefault = 1,
		.retain_segments = 2,
	};
	struct jr_writer *w;
	assert_int_equal(jr_writer_open(&w, &o, NULL), 0);
	append_n(w, 800, 200);      /* ~7 segments */
	assert_int_equal(jr_writer_bg_step(w), 0);
	uint64_t c[JR_C__COUNT];
	jr_writer_counters(w, c);
	uint64_t used = c[JR_C_ROTATIONS] + 1;
	assert_true(used >= 5);
	assert_int_equal(c[JR_C_SEG_DELETED], 0);       /* nothing exported yet */
	for (uint64_t i = 0; i < used; i++)
		assert_true(file_exists(f->dir, i));

	/* export up to the middle of segment 2: segments 0 and 1 may go */
	uint64_t idx, off;
	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	struct jr_reader *r;
	assert_int_equal(jr_reader_open(&r, f->dir, 0), 0);
	struct jr_rec rec;
	uint64_t exported = 0;
	while (jr_reader_next(r, JR_SEQ_ALL, &rec) == 1)
		if (rec.seg_index == 2) {
			exported = rec.seq + 3;
			break;
		}
	jr_reader_close(r);
	assert_true(exported > 0);
	locate(f->dir, exported, &idx, &off);
	assert_int_equal(idx, 2);
	jr_set_exported(w, exported);
	assert_true(file_exists(f->dir, 0));            /* only bg deletes */
	assert_int_equal(jr_writer_bg_step(w), 0);
	assert_false(file_exists(f->dir, 0));
	assert_false(file_exists(f->dir, 1));
	assert_true(file_exists(f->dir, 2));            /* holds records above the checkpoint */
	jr_set_exported(w, 1);                          /* never moves backwards */
	jr_writer_counters(w, c);
	assert_int_equal(c[JR_C_SEG_DELETED], 2);

	jr_set_exported(w, jr_committed_seq(w));
	assert_int_equal(jr_writer_bg_step(w), 0);
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	assert_int_equal(d.segments, 2);                /* the active one and one closed */
	assert_int_equal(d.last_seq, 800);
	assert_true(d.first_seq > exported);
	struct jr_reader *r2 = NULL;
	assert_int_equal(jr_reader_open(&r2, f->dir, 1), -ERANGE);
	assert_int_equal(jr_writer_close(w), 0);

	/* reopen keeps working after retention (first index above 0) */
	w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, &d);
	assert_int_equal(jr_append(w, 1, "z", 1, 1), 801);
	assert_int_equal(jr_writer_close(w), 0);
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	assert_int_equal(d.last_seq, 801);
}

static void journal__power_mode__durable_seq_advances_after_flush(void **state)
{
	struct fx *f = *state;
	char sub[128];
	/* stepped: nothing durable until bg flushes */
	snprintf(sub, sizeof(sub), "%s/manual", f->dir);
	struct jr_writer_opts o = {
		.dir = sub, .segment_size = SMALL_SEG, .bg = JR_BG_MANUAL, .durability = JR_DUR_POWER,
		.no_prefault = 1,
	};
	struct jr_writer *w;
	assert_int_equal(jr_writer_open(&w, &o, NULL), 0);
	append_n(w, 10, 100);
	assert_int_equal(jr_committed_seq(w), 10);
	assert_int_equal(jr_durable_seq(w), 0);
	assert_int_equal(jr_ack_seq(w), 0);
	assert_int_equal(jr_writer_bg_step(w), 0);
	assert_int_equal(jr_durable_seq(w), 10);
	assert_int_equal(jr_ack_seq(w), 10);
	uint64_t c[JR_C__COUNT];
	jr_writer_counters(w, c);
	assert_true(c[JR_C_FLUSHES] >= 1);
	assert_int_equal(jr_writer_close(w), 0);

	/* threaded: the flusher advances it by itself; sync waits for it */
	snprintf(sub, sizeof(sub), "%s/thread", f->dir);
	o.dir = sub;
	o.bg = JR_BG_THREAD;
	o.flush_interval_us = 2000;
	assert_int_equal(jr_writer_open(&w, &o, NULL), 0);
	append_n(w, 20, 100);   /* stays within the first segment */
	uint64_t target = jr_committed_seq(w);
	for (int i = 0; i < 2000 && jr_durable_seq(w) < target; i++)
		usleep(1000);
	assert_int_equal(jr_durable_seq(w), target);
	append_n(w, 5, 100);
	assert_int_equal(jr_writer_sync(w), 0);
	assert_int_equal(jr_ack_seq(w), jr_committed_seq(w));
	assert_int_equal(jr_writer_close(w), 0);

	/* process mode acknowledges at once */
	snprintf(sub, sizeof(sub), "%s/process", f->dir);
	o.dir = sub;
	o.bg = JR_BG_MANUAL;
	o.durability = JR_DUR_PROCESS;
	assert_int_equal(jr_writer_open(&w, &o, NULL), 0);
	append_n(w, 3, 100);
	assert_int_equal(jr_ack_seq(w), 3);
	assert_int_equal(jr_writer_close(w), 0);
}

/* Replay: rebuild a small state (last payload hash per type, running hash of
 * everything) from the journal. */
struct replay_state {
	uint64_t per_type[16];
	uint64_t all;
	uint64_t n;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void apply(struct replay_state *s, uint64_t seq, uint16_t type, const void *p, uint32_t len, uint64_t ts)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, p, len);
	s->per_type[type % 16] ^= h + seq;
	s->all = fnv(s->all, &seq, sizeof(seq));
	s->all = fnv(s->all, &type, sizeof(type));
	s->all = fnv(s->all, &ts, sizeof(ts));
	s->all = fnv(s->all, &h, sizeof(h));
	s->n++;
}

static void generate(const char *dir, uint64_t seed, struct replay_state *src)
{
	struct jr_writer *w = open_w(dir, SMALL_SEG, JR_BG_MANUAL, NULL);
	uint8_t buf[300];
	g_rng = seed;
	memset(src, 0, sizeof(*src));
	for (int i = 0; i < 3000; i++) {
		uint16_t type = (uint16_t)(rnd() % 16);
		uint32_t len = (uint32_t)(rnd() % sizeof(buf));
		for (uint32_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rnd();
		uint64_t ts = 1700000000000000000ull + (uint64_t)i * 1000;
		int64_t seq = append_step(w, type, buf, len, ts);
		assert_true(seq > 0);
		apply(src, (uint64_t)seq, type, buf, len, ts);
	}
	assert_int_equal(jr_writer_close(w), 0);
}

static int replay_rec(void *ctx, const struct jr_rec *r)
{
	apply(ctx, r->seq, r->type, r->payload, r->len, r->ts_ns);
	return 0;
}

static void journal__replay__deterministic_checksum(void **state)
{
	struct fx *f = *state;
	char a[128], b[128];
	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(b, sizeof(b), "%s/b", f->dir);
	struct replay_state src_a, src_b, via_reader = { 0 }, via_verify = { 0 }, again = { 0 };
	generate(a, 0x5eed, &src_a);
	generate(b, 0x5eed, &src_b);
	assert_memory_equal(&src_a, &src_b, sizeof(src_a));

	struct jr_reader *r;
	struct jr_rec rec;
	assert_int_equal(jr_reader_open(&r, a, 0), 0);
	while (jr_reader_next(r, JR_SEQ_ALL, &rec) == 1)
		apply(&via_reader, rec.seq, rec.type, rec.payload, rec.len, rec.ts_ns);
	jr_reader_close(r);
	struct jr_diag d;
	struct jr_visit v = { .on_record = replay_rec, .ctx = &via_verify };
	assert_int_equal(jr_verify(b, 0, &d, &v), 0);
	v.ctx = &again;
	assert_int_equal(jr_verify(a, 0, &d, &v), 0);

	assert_int_equal(via_reader.n, 3000);
	assert_memory_equal(&via_reader, &src_a, sizeof(src_a));
	assert_memory_equal(&via_verify, &src_a, sizeof(src_a));
	assert_memory_equal(&again, &via_reader, sizeof(again));
}

static void journal__empty_or_missing_dir__verify_and_tool_codes(void **state)
{
	struct fx *f = *state;
	struct jr_diag d;
	assert_int_equal(jr_verify(f->dir, 0, &d, NULL), 0);
	assert_int_equal(d.segments, 0);
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/nope", f->dir);
	assert_int_equal(jr_verify(missing, 0, &d, NULL), -ENOENT);
	assert_int_equal(jr_tool_main(3, (char *[]){ "journal", "verify", missing, NULL }), JR_TOOL_DAMAGE);
	assert_int_equal(jr_tool_main(2, (char *[]){ "journal", "verify", NULL }), JR_TOOL_USAGE);
	assert_int_equal(jr_tool_main(3, (char *[]){ "journal", "bogus", f->dir, NULL }), JR_TOOL_USAGE);
	assert_int_equal(jr_tool_main(4, (char *[]){ "journal", "dump", "--from", f->dir, NULL }), JR_TOOL_USAGE);

	struct jr_writer *w = open_w(f->dir, SMALL_SEG, JR_BG_MANUAL, NULL);
	append_n(w, 300, 100);
	assert_int_equal(jr_writer_close(w), 0);
	assert_int_equal(jr_tool_main(3, (char *[]){ "journal", "stats", f->dir, NULL }), JR_TOOL_OK);
	assert_int_equal(jr_tool_main(7, (char *[]){ "journal", "dump", "--from", "295", "--limit", "3", f->dir,
						    NULL }), JR_TOOL_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32c__known_vector_and_random__hw_equals_table),
		cmocka_unit_test(format__seg_name__round_trips),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(journal__append_then_read__returns_same_records),
		T(journal__small_segments__rotate_and_read_across),
		T(journal__next_segment_not_ready__eagain_counted),
		T(journal__reserve_commit__zero_copy_and_misuse_rejected),
		T(journal__tail_reader__follows_live_writer_across_rotation),
		T(journal__writer_reopen__continues_sequence),
		T(journal__torn_tail__truncated_reported_and_writer_continues),
		T(journal__crc_damage_mid_segment__fails_with_ebadmsg),
		T(journal__zeroed_record_followed_by_valid__fails),
		T(journal__seq_gap_between_segments__fails),
		T(journal__retention__deletes_only_exported_and_flushed),
		T(journal__power_mode__durable_seq_advances_after_flush),
		T(journal__replay__deterministic_checksum),
		T(journal__empty_or_missing_dir__verify_and_tool_codes),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
