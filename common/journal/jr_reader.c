/* Journal verification, recovery and reading. See jr_reader.h for the rules. */
#include "common/journal/jr_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_MAP_LEN 4096u

/* ---- small helpers ---------------------------------------------------- */

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void seg_path(char *buf, size_t n, const char *dir, uint64_t index)
{
	char name[JR_SEG_NAME_LEN + 1];
	jr_seg_name(name, index);
	if (snprintf(buf, n, "%s/%s", dir, name) >= (int)n)
		buf[0] = '\0';   /* callers bound dir's length first */
}

__attribute__((format(printf, 4, 5)))
static int diag_err(struct jr_diag *d, const char *file, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	snprintf(d->err_file, sizeof(d->err_file), "%s", file);
	d->err_off = off;
	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int diag_io(struct jr_diag *d, const char *file, const char *what, int e)
{
	snprintf(d->err_file, sizeof(d->err_file), "%s", file);
	d->err_off = 0;
	snprintf(d->err, sizeof(d->err), "%s: %s", what, strerror(e));
	return -e;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted indexes of the segment files in dir (*out malloc'ed, may be NULL when
 * *n == 0). With repair, stale ".seg-*.tmp" files are unlinked. */
static int list_segments(const char *dir, int repair, uint64_t **out, size_t *n, struct jr_diag *d)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return diag_io(d, dir, "opendir", errno);
	uint64_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		uint64_t idx;
		if (jr_seg_parse_name(de->d_name, &idx) == 0) {
			if (cnt == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				uint64_t *nv = realloc(v, ncap * sizeof(*nv));
				if (!nv) {
					rc = diag_io(d, dir, "realloc", ENOMEM);
					break;
				}
				v = nv;
				cap = ncap;
			}
			v[cnt++] = idx;
		} else if (repair && strncmp(de->d_name, ".seg-", 5) == 0) {
			size_t l = strlen(de->d_name);
			if (l > 4 && strcmp(de->d_name + l - 4, ".tmp") == 0)
				unlinkat(dirfd(dp), de->d_name, 0);
		}
	}
	closedir(dp);
	if (rc) {
		free(v);
		return rc;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*out = v;
	*n = cnt;
	return 0;
}

/* Read a segment's header and first record slot through a shared mapping, so
 * first_seq is read with one 8-byte load even while a writer sets it. */
static int read_head(int fd, struct jr_seg_hdr *h, uint8_t slot[JR_REC_HDR_SIZE])
{
	void *p = mmap(NULL, HDR_MAP_LEN, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(h, p, sizeof(*h));
	h->first_seq = __atomic_load_n(&((const struct jr_seg_hdr *)p)->first_seq, __ATOMIC_ACQUIRE);
	memcpy(slot, (const uint8_t *)p + JR_SEG_HDR_SIZE, JR_REC_HDR_SIZE);
	munmap(p, HDR_MAP_LEN);
	return 0;
}

enum seg_kind { SEG_USED, SEG_SPARE, SEG_BAD };

struct seg_class {
	uint64_t index;
	uint64_t size;
	enum seg_kind kind;
	const char *why;          /* SEG_BAD: reason */
	struct jr_seg_hdr h;
};

/* Classify one segment file from its header and first record slot. */
static int classify(const char *path, uint64_t index, struct seg_class *c)
{
	memset(c, 0, sizeof(*c));
	c->index = index;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	c->size = (uint64_t)st.st_size;
	if (c->size < HDR_MAP_LEN) {
		close(fd);
		c->kind = SEG_BAD;
		c->why = "segment file shorter than 4096 bytes";
		return 0;
	}
	uint8_t slot[JR_REC_HDR_SIZE];
	int rc = read_head(fd, &c->h, slot);
	close(fd);
	if (rc)
		return rc;
	int zero_slot = all_zero(slot, sizeof(slot));
	const struct jr_seg_hdr *h = &c->h;
	c->kind = SEG_BAD;
	if (all_zero(h, sizeof(*h))) {
		if (zero_slot)
			c->kind = SEG_SPARE;
		else
			c->why = "zero segment header before records";
	} else if ((c->why = jr_seg_hdr_check(h)) != NULL) {
		/* reason set */
	} else if (h->seg_index != index) {
		c->why = "segment index in header does not match the file name";
	} else if (h->seg_size != c->size) {
		c->why = "segment size in header does not match the file size";
	} else if (c->size % 4096 || c->size < JR_SEG_MIN_SIZE || c->size > JR_SEG_MAX_SIZE) {
		c->why = "segment size out of range or not a multiple of 4096";
	} else if (h->first_seq > JR_SEQ_MAX) {
		c->why = "segment first_seq out of range";
	} else if (h->first_seq == 0) {
		if (zero_slot)
			c->kind = SEG_SPARE;
		else
			c->why = "records in a segment whose first_seq is 0";
	} else {
		c->kind = SEG_USED;
	}
	return 0;
}

/* Classify every listed segment; check index continuity and that spares only
 * trail. On success *last_used is the position of the last used segment, or
 * -1 when there is none. */
static int classify_all(const char *dir, const uint64_t *idx, size_t n, struct seg_class *cls,
			long *last_used, struct jr_diag *d)
{
	char path[JR_PATH_MAX];
	*last_used = -1;
	for (size_t i = 0; i < n; i++) {
		seg_path(path, sizeof(path), dir, idx[i]);
		if (i > 0 && idx[i] != idx[i - 1] + 1) {
			seg_path(path, sizeof(path), dir, idx[i - 1] + 1);
			return diag_err(d, path, 0, "missing segment (index %llu absent, %llu present)",
					(unsigned long long)(idx[i - 1] + 1), (unsigned long long)idx[i]);
		}
		int rc = classify(path, idx[i], &cls[i]);
		if (rc)
			return diag_io(d, path, "open segment", -rc);
		if (cls[i].kind == SEG_BAD)
			return diag_err(d, path, 0, "%s", cls[i].why);
		if (cls[i].kind == SEG_USED)
			*last_used = (long)i;
	}
	for (long i = 0; i < *last_used; i++)
		if (cls[i].kind == SEG_SPARE) {
			seg_path(path, sizeof(path), dir, idx[i]);
			return diag_err(d, path, 0, "unused (spare) segment before a used one");
		}
	return 0;
}

/* First offset in [from, size) holding a non-zero 8-byte word, or size. Both
 * bounds are multiples of 8. */
static uint64_t first_nonzero(const uint8_t *base, uint64_t from, uint64_t size)
{
	uint64_t off = from;
	while (off < size && (off & 63)) {
		uint64_t w;
		memcpy(&w, base + off, 8);
		if (w)
			return off;
		off += 8;
	}
	while (off + 64 <= size) {
		uint64_t w[8], acc = 0;
		memcpy(w, base + off, 64);
		for (int k = 0; k < 8; k++)
			acc |= w[k];
		if (acc)
			break;
		off += 64;
	}
	while (off < size) {
		uint64_t w;
		memcpy(&w, base + off, 8);
		if (w)
			return off;
		off += 8;
	}
	return size;
}

/* End (exclusive) of the last non-zero 8-byte word in [from, size), or from. */
static uint64_t last_nonzero_end(const uint8_t *base, uint64_t from, uint64_t size)
{
	uint64_t off = size;
	while (off > from) {
		uint64_t w;
		memcpy(&w, base + off - 8, 8);
		if (w)
			return off;
		off -= 8;
	}
	return from;
}

/* A well-formed record with seq >= min_seq anywhere in [from, size)? Returns
 * its offset or 0 (0 is never a record offset). */
static uint64_t find_later_record(const uint8_t *base, uint64_t from, uint64_t size, uint64_t min_seq,
				  uint64_t *seq)
{
	for (uint64_t off = from; off + JR_REC_HDR_SIZE <= size; off += JR_ALIGN) {
		uint32_t tag;
		memcpy(&tag, base + off + offsetof(struct jr_rec_hdr, tag), 4);
		if (tag != JR_REC_TAG)
			continue;
		struct jr_rec_hdr h;
		if (jr_slot_check(base, size, off, &h) == JR_SLOT_OK && h.seq >= min_seq) {
			*seq = h.seq;
			return off;
		}
	}
	return 0;
}

/* Zero the non-zero 8-byte words of [from, to) and msync that range. */
static void zero_range(uint8_t *base, uint64_t from, uint64_t to)
{
	for (uint64_t off = from; off < to; off += 8) {
		uint64_t w;
		memcpy(&w, base + off, 8);
		if (w)
			memset(base + off, 0, 8);
	}
	uint64_t pg = from & ~(uint64_t)4095;
	msync(base + pg, to - pg, MS_SYNC);
}

/* ---- jr_verify ------------------------------------------------------- */

struct walk {
	const char *path;
	const struct seg_class *c;
	int is_last;
	int repair;
	uint64_t expected;        /* next seq expected */
	struct jr_diag *d;
	const struct jr_visit *v;
};

static int walk_segment(struct walk *wk)
{
	struct jr_diag *d = wk->d;
	const struct seg_class *c = wk->c;
	int fd = open(wk->path, (wk->repair && wk->is_last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return diag_io(d, wk->path, "open segment", errno);
	int prot = PROT_READ | (wk->repair && wk->is_last ? PROT_WRITE : 0);
	uint8_t *base = mmap(NULL, c->size, prot, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED)
		return diag_io(d, wk->path, "mmap segment", e);

	int rc = 0;
	uint64_t off = JR_SEG_HDR_SIZE, size = c->size, first = c->h.first_seq;
	enum jr_slot s;
	struct jr_rec_hdr h;
	for (;;) {
		s = jr_slot_check(base, size, off, &h);
		if (s != JR_SLOT_OK)
			break;
		if (h.seq != wk->expected) {
			rc = diag_err(d, wk->path, off, "sequence %llu where %llu was expected",
				      (unsigned long long)h.seq, (unsigned long long)wk->expected);
			goto out;
		}
		if (wk->v && wk->v->on_record) {
			struct jr_rec r = {
				.seq = h.seq, .ts_ns = h.ts_ns, .type = h.type, .flags = h.flags, .len = h.len,
				.payload = base + off + JR_REC_HDR_SIZE, .seg_index = c->index, .off = off,
			};
			rc = wk->v->on_record(wk->v->ctx, &r);
			if (rc)
				goto out;
		}
		uint64_t rs = JR_REC_SIZE(h.len);
		d->records++;
		d->bytes += rs;
		d->last_seq = h.seq;
		wk->expected++;
		off += rs;
	}

	uint64_t nz = first_nonzero(base, off, size);
	if (nz < size) {
		uint64_t later_seq = 0;
		uint64_t later = find_later_record(base, off, size, wk->expected, &later_seq);
		const char *why = s == JR_SLOT_END ? "zeroed record header" : jr_slot_name(s);
		if (later) {
			rc = diag_err(d, wk->path, off, "%s, followed by a valid record (seq %llu at offset %llu)",
				      why, (unsigned long long)later_seq, (unsigned long long)later);
			goto out;
		}
		if (!wk->is_last) {
			rc = diag_err(d, wk->path, off,
				      "%s: non-zero bytes after the last record of a non-final segment", why);
			goto out;
		}
		d->torn = 1;
		d->torn_off = off;
		d->torn_bytes = last_nonzero_end(base, off, size) - off;
		d->torn_reason = s == JR_SLOT_END ? "non-zero bytes after a zero record header" : jr_slot_name(s);
		snprintf(d->torn_file, sizeof(d->torn_file), "%s", wk->path);
		if (wk->repair) {
			zero_range(base, off, off + d->torn_bytes);
			d->repaired = 1;
		}
	}
	if (wk->is_last)
		d->end_off = off;
	if (wk->v && wk->v->on_segment) {
		struct jr_seg_info si = {
			.index = c->index, .first_seq = first, .last_seq = wk->expected - 1, .size = size,
			.end_off = off, .create_ns = c->h.create_ns,
		};
		rc = wk->v->on_segment(wk->v->ctx, &si);
	}
out:
	munmap(base, size);
	return rc;
}

int jr_verify(const char *dir, unsigned flags, struct jr_diag *d, const struct jr_visit *v)
{
	memset(d, 0, sizeof(*d));
	if (strlen(dir) >= JR_PATH_MAX - JR_SEG_NAME_LEN - 2) {
		snprintf(d->err, sizeof(d->err), "directory path too long");
		return -ENAMETOOLONG;
	}
	int repair = (flags & JR_VERIFY_REPAIR) != 0;
	uint64_t *idx = NULL;
	size_t n = 0;
	int rc = list_segments(dir, repair, &idx, &n, d);
	if (rc)
		return rc;
	struct seg_class *cls = NULL;
	if (n) {
		cls = calloc(n, sizeof(*cls));
		if (!cls) {
			free(idx);
			return diag_io(d, dir, "calloc", ENOMEM);
		}
	}
	long last_used = -1;
	rc = classify_all(dir, idx, n, cls, &last_used, d);
	if (rc)
		goto out;

	char path[JR_PATH_MAX];
	uint64_t expected = 0;
	for (long i = 0; i <= last_used; i++) {
		const struct seg_class *c = &cls[i];
		seg_path(path, sizeof(path), dir, c->index);
		if (i == 0) {
			d->first_index = c->index;
			d->first_seq = c->h.first_seq;
			d->last_seq = c->h.first_seq - 1;
			expected = c->h.first_seq;
		} else if (c->h.first_seq != expected) {
			rc = diag_err(d, path, 0, "sequence gap between segments: previous ends at %llu, this starts at %llu",
				      (unsigned long long)(expected - 1), (unsigned long long)c->h.first_seq);
			goto out;
		}
		struct walk wk = {
			.path = path, .c = c, .is_last = i == last_used, .repair = repair,
			.expected = expected, .d = d, .v = v,
		};
		rc = walk_segment(&wk);
		if (rc)
			goto out;
		expected = wk.expected;
		d->segments++;
		d->last_index = c->index;
	}
	for (size_t i = (size_t)(last_used + 1); i < n; i++) {
		d->spares++;
		if (repair) {
			seg_path(path, sizeof(path), dir, idx[i]);
			unlink(path);
		}
	}
out:
	free(cls);
	free(idx);
	return rc;
}

/* ---- reader ---------------------------------------------------------- */

struct jr_reader {
	char dir[JR_PATH_MAX];
	uint8_t *base;            /* read-only mapping of the current segment */
	uint64_t size;
	uint64_t seg_index;
	uint64_t off;             /* next record slot */
	uint64_t next_seq;
	char err[JR_PATH_MAX + 300];
};

__attribute__((format(printf, 3, 4)))
static int rd_err(struct jr_reader *r, uint64_t off, const char *fmt, ...)
{
	char path[JR_PATH_MAX], msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seg_path(path, sizeof(path), r->dir, r->seg_index);
	snprintf(r->err, sizeof(r->err), "%s:%llu: %s", path, (unsigned long long)off, msg);
	return -EBADMSG;
}

/* Map segment index (used, with a valid header) as the current one.
 * Returns 0, 1 when it is absent or a spare, -EBADMSG or -errno. *h gets its header. */
static int rd_map(struct jr_reader *r, uint64_t index, struct jr_seg_hdr *h)
{
	char path[JR_PATH_MAX];
	struct seg_class c;
	seg_path(path, sizeof(path), r->dir, index);
	int rc = classify(path, index, &c);
	if (rc == -ENOENT)
		return 1;
	if (rc)
		return rc;
	if (c.kind == SEG_SPARE)
		return 1;
	if (c.kind == SEG_BAD) {
		snprintf(r->err, sizeof(r->err), "%s:0: %s", path, c.why);
		return -EBADMSG;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint8_t *base = mmap(NULL, c.size, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED)
		return -e;
	if (r->base)
		munmap(r->base, r->size);
	r->base = base;
	r->size = c.size;
	r->seg_index = index;
	r->off = JR_SEG_HDR_SIZE;
	*h = c.h;
	return 0;
}

/* Step over one record that must exist in the current segment. 1 ok, 0 none. */
static int rd_step(struct jr_reader *r, struct jr_rec *rec)
{
	struct jr_rec_hdr h;
	enum jr_slot s = jr_slot_check(r->base, r->size, r->off, &h);
	if (s == JR_SLOT_END)
		return 0;
	if (s != JR_SLOT_OK)
		return rd_err(r, r->off, "%s (expected seq %llu)", jr_slot_name(s), (unsigned long long)r->next_seq);
	if (h.seq != r->next_seq)
		return rd_err(r, r->off, "sequence %llu where %llu was expected", (unsigned long long)h.seq,
			      (unsigned long long)r->next_seq);
	if (rec) {
		rec->seq = h.seq;
		rec->ts_ns = h.ts_ns;
		rec->type = h.type;
		rec->flags = h.flags;
		rec->len = h.len;
		rec->payload = r->base + r->off + JR_REC_HDR_SIZE;
		rec->seg_index = r->seg_index;
		rec->off = r->off;
	}
	r->off += JR_REC_SIZE(h.len);
	r->next_seq++;
	return 1;
}

int jr_reader_open(struct jr_reader **out, const char *dir, uint64_t from_seq)
{
	struct jr_diag d;
	uint64_t *idx = NULL;
	size_t n = 0;
	*out = NULL;
	if (strlen(dir) >= JR_PATH_MAX - JR_SEG_NAME_LEN - 2)
		return -ENAMETOOLONG;
	int rc = list_segments(dir, 0, &idx, &n, &d);
	if (rc)
		return rc;
	if (n == 0) {
		free(idx);
		return -ENOENT;
	}
	struct jr_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		free(idx);
		return -ENOMEM;
	}
	snprintf(r->dir, sizeof(r->dir), "%s", dir);

	/* The segment to start in: the last used one whose first_seq <= from_seq. */
	char path[JR_PATH_MAX];
	long pick = -1;
	uint64_t oldest = 0;
	for (size_t i = 0; i < n; i++) {
		struct seg_class c;
		seg_path(path, sizeof(path), dir, idx[i]);
		rc = classify(path, idx[i], &c);
		if (rc)
			goto fail;
		if (c.kind == SEG_SPARE)
			break;
		if (c.kind == SEG_BAD) {
			snprintf(r->err, sizeof(r->err), "%s:0: %s", path, c.why);
			rc = -EBADMSG;
			goto fail;
		}
		if (pick < 0) {
			oldest = c.h.first_seq;
			if (from_seq == 0)
				from_seq = oldest;
		}
		if (c.h.first_seq <= from_seq)
			pick = (long)i;
		else
			break;
	}
	if (pick < 0 || from_seq < oldest) {
		rc = -ERANGE;
		goto fail;
	}
	struct jr_seg_hdr h;
	rc = rd_map(r, idx[pick], &h);
	if (rc == 1)
		rc = -ERANGE;
	if (rc)
		goto fail;
	r->next_seq = h.first_seq;
	while (r->next_seq < from_seq) {
		rc = rd_step(r, NULL);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			rc = -ERANGE;
			goto fail;
		}
	}
	free(idx);
	*out = r;
	return 0;
fail:
	free(idx);
	jr_reader_close(r);
	return rc;
}

int jr_reader_next(struct jr_reader *r, uint64_t limit, struct jr_rec *rec)
{
	if (r->next_seq > limit)
		return 0;
	int rc = rd_step(r, rec);
	if (rc != 0)
		return rc;
	/* End of this segment's data: the record may be in the next segment. */
	struct jr_seg_hdr h;
	uint64_t cur = r->seg_index, end = r->off;
	rc = rd_map(r, cur + 1, &h);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (limit == JR_SEQ_ALL)
			return 0;
		return rd_err(r, end, "record %llu is committed but not found (end of data, no next segment)",
			      (unsigned long long)r->next_seq);
	}
	if (h.first_seq != r->next_seq)
		return rd_err(r, 0, "sequence gap between segments: previous ends at %llu, this starts at %llu",
			      (unsigned long long)(r->next_seq - 1), (unsigned long long)h.first_seq);
	rc = rd_step(r, rec);
	if (rc == 0) {
		if (limit == JR_SEQ_ALL)
			return 0;
		return rd_err(r, r->off, "record %llu is committed but not found", (unsigned long long)r->next_seq);
	}
	return rc;
}

uint64_t jr_reader_next_seq(const struct jr_reader *r)
{
	return r->next_seq;
}

const char *jr_reader_err(const struct jr_reader *r)
{
	return r->err;
}

void jr_reader_close(struct jr_reader *r)
{
	if (!r)
		return;
	if (r->base)
		munmap(r->base, r->size);
	free(r);
}
