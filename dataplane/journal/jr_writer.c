/* Journal writer: syscall-free appends into mapped segments, with a background
 * part for segment creation, flushing and retention. See jr_writer.h.
 *
 * Segment slots and their owners (state transitions are release stores,
 * state reads acquire loads):
 *   FREE   --bg-->     READY   file created, renamed into place, mapped, pre-faulted
 *   READY  --writer--> ACTIVE  first_seq stored in the mapped header
 *   ACTIVE --writer--> FULL    end_off and last_seq final
 *   FULL   --bg-->     FREE    flushed, unmapped, moved to the retention list
 * A slot's fd/base/index/size are written by bg while FREE and only read by
 * others after they saw READY/ACTIVE/FULL.
 */
#include "dataplane/journal/jr_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NSLOTS (2u * JR_MAX_SPARES + 2u)
#define PAGE 4096u

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

enum slot_state { SL_FREE = 0, SL_READY, SL_ACTIVE, SL_FULL };

struct seg_slot {
	_Atomic uint32_t state;
	int fd;
	uint8_t *base;
	uint64_t index;
	uint64_t size;
	uint64_t first_seq;           /* writer, at activation */
	_Atomic uint64_t end_off;     /* writer: bytes used */
	_Atomic uint64_t last_seq;    /* writer: final when FULL */
	uint64_t flushed_off;         /* bg only */
};

/* A used segment no longer mapped (left by the writer, or found at open). */
struct closed_seg {
	uint64_t index;
	uint64_t last_seq;
	uint64_t size;
};

struct jr_writer {
	/* Writer thread (hot). */
	alignas(64) uint8_t *base;    /* current segment mapping */
	uint64_t off;                 /* next record offset */
	uint64_t size;                /* current segment size */
	uint64_t next_seq;
	struct seg_slot *cur;
	uint32_t max_payload;
	uint32_t rsv_len;
	int rsv_open;
	_Atomic uint64_t hot_ctr[JR_C_SEG_CREATED];   /* writer-owned counters */

	/* Published by the writer. */
	alignas(64) _Atomic uint64_t committed_seq;
	/* Published by bg. */
	alignas(64) _Atomic uint64_t durable_seq;
	_Atomic int bg_errno;         /* last creation failure (0: none) */
	_Atomic uint64_t bg_ctr[JR_C__COUNT];         /* bg-owned counters (>= JR_C_SEG_CREATED) */
	/* Set by the consumer. */
	alignas(64) _Atomic uint64_t exported_seq;

	/* Slots: see the file comment. */
	alignas(64) struct seg_slot slots[NSLOTS];

	/* bg only. */
	uint64_t next_create;         /* index of the next segment to create */
	struct closed_seg *closed;    /* oldest first, from closed[closed_head] */
	size_t closed_head, closed_n, closed_cap;

	/* Configuration and control. */
	struct jr_writer_opts o;
	char dir[JR_PATH_MAX];
	int dirfd;
	int lockfd;
	pthread_t thr;
	int thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* wakes bg (sync request, stop) */
	pthread_cond_t done_cv;       /* wakes jr_writer_sync() callers */
	uint64_t sync_req, sync_done; /* under mu */
	int sync_rc;                  /* under mu: result of the last step */
	int stop;                     /* under mu */
};

static const char *const g_jr_ctr_names[JR_C__COUNT] = {
	[JR_C_APPENDS] = "appends",
	[JR_C_BYTES] = "bytes",
	[JR_C_ROTATIONS] = "rotations",
	[JR_C_REJ_NOT_READY] = "rej_not_ready",
	[JR_C_REJ_NOSPC] = "rej_nospc",
	[JR_C_REJ_TOO_BIG] = "rej_too_big",
	[JR_C_REJ_MISUSE] = "rej_misuse",
	[JR_C_SEG_CREATED] = "seg_created",
	[JR_C_SEG_CREATE_FAIL] = "seg_create_fail",
	[JR_C_SEG_DELETED] = "seg_deleted",
	[JR_C_FLUSHES] = "flushes",
	[JR_C_FLUSH_FAIL] = "flush_fail",
};

const char *jr_ctr_name(enum jr_ctr c)
{
	return (unsigned)c < JR_C__COUNT ? g_jr_ctr_names[c] : "?";
}

/* Single-writer counter add: a plain load and store, no locked instruction. */
static inline void ctr_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- writer thread (hot path) ----------------------------------------- */

/* Switch to the next segment. Cold: once per segment. */
__attribute__((noinline, cold)) static int rotate(struct jr_writer *w)
{
	struct seg_slot *cur = w->cur, *nx = NULL;
	for (unsigned i = 0; i < NSLOTS; i++) {
		struct seg_slot *s = &w->slots[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) == SL_READY && s->index == cur->index + 1) {
			nx = s;
			break;
		}
	}
	if (!nx) {
		if (atomic_load_explicit(&w->bg_errno, memory_order_relaxed) == ENOSPC) {
			ctr_add(&w->hot_ctr[JR_C_REJ_NOSPC], 1);
			return -ENOSPC;
		}
		ctr_add(&w->hot_ctr[JR_C_REJ_NOT_READY], 1);
		return -EAGAIN;
	}
	atomic_store_explicit(&cur->last_seq, w->next_seq - 1, memory_order_relaxed);
	atomic_store_explicit(&cur->end_off, w->off, memory_order_relaxed);
	atomic_store_explicit(&cur->state, SL_FULL, memory_order_release);

	struct jr_seg_hdr *h = (struct jr_seg_hdr *)nx->base;
	__atomic_store_n(&h->first_seq, w->next_seq, __ATOMIC_RELEASE);
	nx->first_seq = w->next_seq;
	atomic_store_explicit(&nx->last_seq, w->next_seq - 1, memory_order_relaxed);
	atomic_store_explicit(&nx->end_off, JR_SEG_HDR_SIZE, memory_order_relaxed);
	atomic_store_explicit(&nx->state, SL_ACTIVE, memory_order_release);
	w->cur = nx;
	w->base = nx->base;
	w->size = nx->size;
	w->off = JR_SEG_HDR_SIZE;
	ctr_add(&w->hot_ctr[JR_C_ROTATIONS], 1);
	return 0;
}

/* Make room for a record of total bytes; 0 or -errno. */
static inline int make_room(struct jr_writer *w, uint32_t len, uint64_t total)
{
	if (unlikely(len > w->max_payload)) {
		ctr_add(&w->hot_ctr[JR_C_REJ_TOO_BIG], 1);
		return -EMSGSIZE;
	}
	if (unlikely(w->rsv_open)) {
		ctr_add(&w->hot_ctr[JR_C_REJ_MISUSE], 1);
		return -EBUSY;
	}
	if (unlikely(w->off + total > w->size))
		return rotate(w);
	return 0;
}

/* Header, publish, count. The payload is already in place. */
static inline int64_t finish(struct jr_writer *w, uint8_t *rec, uint16_t type, uint16_t flags, uint32_t len,
			     uint64_t ts_ns, const void *payload_src, uint64_t total)
{
	struct jr_rec_hdr h = {
		.len = len, .type = type, .flags = flags, .tag = JR_REC_TAG, .seq = w->next_seq, .ts_ns = ts_ns,
	};
	h.crc = jr_rec_crc(&h, payload_src);
	memcpy(rec, &h, sizeof(h));
	uint64_t seq = w->next_seq++;
	w->off += total;
	atomic_store_explicit(&w->cur->end_off, w->off, memory_order_release);
	atomic_store_explicit(&w->committed_seq, seq, memory_order_release);
	ctr_add(&w->hot_ctr[JR_C_APPENDS], 1);
	ctr_add(&w->hot_ctr[JR_C_BYTES], total);
	return (int64_t)seq;
}

int64_t jr_append(struct jr_writer *w, uint16_t type, const void *payload, uint32_t len, uint64_t ts_ns)
{
	uint64_t total = JR_REC_SIZE(len);
	int rc = make_room(w, len, total);
	if (unlikely(rc))
		return rc;
	uint8_t *rec = w->base + w->off;
	/* Zero the last word first: it holds the padding (the payload copy
	 * overwrites the part that is payload). */
	memset(rec + total - 8, 0, 8);
	if (len)
		memcpy(rec + JR_REC_HDR_SIZE, payload, len);
	return finish(w, rec, type, 0, len, ts_ns, rec + JR_REC_HDR_SIZE, total);
}

int jr_reserve(struct jr_writer *w, uint32_t max_len, void **payload)
{
	int rc = make_room(w, max_len, JR_REC_SIZE(max_len));
	if (unlikely(rc))
		return rc;
	w->rsv_open = 1;
	w->rsv_len = max_len;
	*payload = w->base + w->off + JR_REC_HDR_SIZE;
	return 0;
}

int64_t jr_commit(struct jr_writer *w, uint16_t type, uint16_t flags, uint32_t len, uint64_t ts_ns)
{
	if (unlikely(!w->rsv_open || len > w->rsv_len)) {
		ctr_add(&w->hot_ctr[JR_C_REJ_MISUSE], 1);
		return -EINVAL;
	}
	uint8_t *rec = w->base + w->off;
	uint64_t total = JR_REC_SIZE(len), reserved = JR_REC_SIZE(w->rsv_len);
	memset(rec + JR_REC_HDR_SIZE + len, 0, reserved - JR_REC_HDR_SIZE - len);
	w->rsv_open = 0;
	return finish(w, rec, type, flags, len, ts_ns, rec + JR_REC_HDR_SIZE, total);
}

void jr_abort(struct jr_writer *w)
{
	if (!w->rsv_open)
		return;
	memset(w->base + w->off + JR_REC_HDR_SIZE, 0, JR_REC_SIZE(w->rsv_len) - JR_REC_HDR_SIZE);
	w->rsv_open = 0;
}

/* ---- any thread ------------------------------------------------------- */

uint64_t jr_committed_seq(const struct jr_writer *w)
{
	return atomic_load_explicit(&((struct jr_writer *)w)->committed_seq, memory_order_acquire);
}

uint64_t jr_durable_seq(const struct jr_writer *w)
{
	return atomic_load_explicit(&((struct jr_writer *)w)->durable_seq, memory_order_acquire);
}

uint64_t jr_ack_seq(const struct jr_writer *w)
{
	return w->o.durability == JR_DUR_POWER ? jr_durable_seq(w) : jr_committed_seq(w);
}

void jr_set_exported(struct jr_writer *w, uint64_t seq)
{
	uint64_t cur = atomic_load_explicit(&w->exported_seq, memory_order_relaxed);
	while (cur < seq &&
	       !atomic_compare_exchange_weak_explicit(&w->exported_seq, &cur, seq, memory_order_release,
						      memory_order_relaxed))
		;
}

void jr_writer_counters(const struct jr_writer *w, uint64_t out[JR_C__COUNT])
{
	struct jr_writer *m = (struct jr_writer *)w;
	for (unsigned i = 0; i < JR_C__COUNT; i++)
		out[i] = i < JR_C_SEG_CREATED ? atomic_load_explicit(&m->hot_ctr[i], memory_order_relaxed)
					      : atomic_load_explicit(&m->bg_ctr[i], memory_order_relaxed);
}

uint32_t jr_writer_max_payload(const struct jr_writer *w)
{
	return w->max_payload;
}

/* ---- background ------------------------------------------------------- */

static void prefault(uint8_t *base, uint64_t from, uint64_t size)
{
	/* Write each page once (same value) so the writer takes no page fault. */
	volatile uint8_t *p = base;
	for (uint64_t off = from & ~(uint64_t)(PAGE - 1); off < size; off += PAGE)
		p[off] = p[off];
}

/* Create segment index into slot s (FREE, owned by the caller) and map it.
 * The slot is left with fd/base/index/size set; state untouched. */
static int create_segment(struct jr_writer *w, struct seg_slot *s, uint64_t index)
{
	char tmp[JR_SEG_NAME_LEN + 8], name[JR_SEG_NAME_LEN + 1];
	jr_seg_name(name, index);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	uint64_t size = w->o.segment_size;
	int fd = openat(w->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (fallocate(fd, 0, 0, (off_t)size) != 0) {
		rc = -errno;
		if (rc == -EOPNOTSUPP)
			rc = ftruncate(fd, (off_t)size) == 0 ? 0 : -errno;
		if (rc)
			goto fail;
	}
	struct jr_seg_hdr h;
	jr_seg_hdr_init(&h, index, size, realtime_ns());
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		rc = errno ? -errno : -EIO;
		goto fail;
	}
	if (renameat(w->dirfd, tmp, w->dirfd, name) != 0) {
		rc = -errno;
		goto fail;
	}
	fsync(w->dirfd);
	uint8_t *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		unlinkat(w->dirfd, name, 0);
		close(fd);
		return rc;
	}
	if (!w->o.no_prefault)
		prefault(base, 0, size);
	s->fd = fd;
	s->base = base;
	s->index = index;
	s->size = size;
	s->flushed_off = 0;
	return 0;
fail:
	close(fd);
	unlinkat(w->dirfd, tmp, 0);
	return rc;
}

/* Keep `spares` READY segments ahead of the writer. */
static int fill_spares(struct jr_writer *w)
{
	unsigned ready = 0;
	for (unsigned i = 0; i < NSLOTS; i++)
		if (atomic_load_explicit(&w->slots[i].state, memory_order_acquire) == SL_READY)
			ready++;
	while (ready < w->o.spares) {
		struct seg_slot *s = NULL;
		for (unsigned i = 0; i < NSLOTS && !s; i++)
			if (atomic_load_explicit(&w->slots[i].state, memory_order_acquire) == SL_FREE)
				s = &w->slots[i];
		if (!s)
			return 0;     /* all slots busy with segments waiting for a flush */
		int rc = create_segment(w, s, w->next_create);
		if (rc) {
			atomic_store_explicit(&w->bg_errno, -rc, memory_order_relaxed);
			ctr_add(&w->bg_ctr[JR_C_SEG_CREATE_FAIL], 1);
			return rc;
		}
		atomic_store_explicit(&w->bg_errno, 0, memory_order_relaxed);
		ctr_add(&w->bg_ctr[JR_C_SEG_CREATED], 1);
		w->next_create++;
		atomic_store_explicit(&s->state, SL_READY, memory_order_release);
		ready++;
	}
	return 0;
}

static int closed_push(struct jr_writer *w, uint64_t index, uint64_t last_seq, uint64_t size)
{
	if (w->closed_head + w->closed_n == w->closed_cap) {
		if (w->closed_head > 0) {
			memmove(w->closed, w->closed + w->closed_head, w->closed_n * sizeof(*w->closed));
			w->closed_head = 0;
		} else {
			size_t ncap = w->closed_cap ? w->closed_cap * 2 : 16;
			struct closed_seg *n = realloc(w->closed, ncap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			w->closed = n;
			w->closed_cap = ncap;
		}
	}
	w->closed[w->closed_head + w->closed_n++] = (struct closed_seg){ index, last_seq, size };
	return 0;
}

static void unmap_slot(struct seg_slot *s)
{
	munmap(s->base, s->size);
	close(s->fd);
	s->base = NULL;
	s->fd = -1;
}

/* msync what the writer appended; finalize FULL segments; publish durable. */
static int flush(struct jr_writer *w)
{
	uint64_t target = atomic_load_explicit(&w->committed_seq, memory_order_acquire);
	struct seg_slot *order[NSLOTS];
	unsigned n = 0;
	for (unsigned i = 0; i < NSLOTS; i++) {
		uint32_t st = atomic_load_explicit(&w->slots[i].state, memory_order_acquire);
		if (st == SL_ACTIVE || st == SL_FULL)
			order[n++] = &w->slots[i];
	}
	for (unsigned i = 1; i < n; i++)          /* insertion sort by index, n <= NSLOTS */
		for (unsigned j = i; j > 0 && order[j - 1]->index > order[j]->index; j--) {
			struct seg_slot *t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (unsigned i = 0; i < n; i++) {
		struct seg_slot *s = order[i];
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		uint64_t end = atomic_load_explicit(&s->end_off, memory_order_acquire);
		if (end > s->flushed_off || s->flushed_off == 0) {
			uint64_t from = s->flushed_off & ~(uint64_t)(PAGE - 1);
			if (msync(s->base + from, end - from, MS_SYNC) != 0) {
				ctr_add(&w->bg_ctr[JR_C_FLUSH_FAIL], 1);
				return -EIO;
			}
			ctr_add(&w->bg_ctr[JR_C_FLUSHES], 1);
			s->flushed_off = end;
		}
		if (st == SL_FULL) {
			int rc = closed_push(w, s->index, atomic_load_explicit(&s->last_seq, memory_order_relaxed),
					     s->size);
			if (rc)
				return rc;
			unmap_slot(s);
			atomic_store_explicit(&s->state, SL_FREE, memory_order_release);
		}
	}
	if (target > atomic_load_explicit(&w->durable_seq, memory_order_relaxed))
		atomic_store_explicit(&w->durable_seq, target, memory_order_release);
	return 0;
}

/* Delete the oldest closed segments while over the limits and allowed. */
static void retention(struct jr_writer *w)
{
	if (!w->o.retain_segments && !w->o.retain_bytes)
		return;
	uint64_t durable = atomic_load_explicit(&w->durable_seq, memory_order_acquire);
	uint64_t exported = w->o.retain_without_export ? UINT64_MAX
						       : atomic_load_explicit(&w->exported_seq, memory_order_acquire);
	uint64_t segs = w->closed_n, bytes = 0;
	for (size_t i = 0; i < w->closed_n; i++)
		bytes += w->closed[w->closed_head + i].size;
	for (unsigned i = 0; i < NSLOTS; i++) {
		struct seg_slot *s = &w->slots[i];
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == SL_ACTIVE || st == SL_FULL) {
			segs++;
			bytes += s->size;
		}
	}
	while (w->closed_n > 0 && ((w->o.retain_segments && segs > w->o.retain_segments) ||
				   (w->o.retain_bytes && bytes > w->o.retain_bytes))) {
		struct closed_seg *c = &w->closed[w->closed_head];
		if (c->last_seq > durable || c->last_seq > exported)
			break;
		char name[JR_SEG_NAME_LEN + 1];
		jr_seg_name(name, c->index);
		if (unlinkat(w->dirfd, name, 0) != 0 && errno != ENOENT)
			break;
		ctr_add(&w->bg_ctr[JR_C_SEG_DELETED], 1);
		segs--;
		bytes -= c->size;
		w->closed_head++;
		w->closed_n--;
	}
}

static int bg_step(struct jr_writer *w)
{
	int rc_f = flush(w);
	retention(w);
	int rc_s = fill_spares(w);
	return rc_f ? rc_f : rc_s;
}

int jr_writer_bg_step(struct jr_writer *w)
{
	if (w->o.bg != JR_BG_MANUAL)
		return -EINVAL;
	return bg_step(w);
}

static void *bg_main(void *arg)
{
	struct jr_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		uint64_t req = w->sync_req;
		pthread_mutex_unlock(&w->mu);
		int rc = bg_step(w);
		pthread_mutex_lock(&w->mu);
		if (req != w->sync_done) {
			w->sync_done = req;
			w->sync_rc = rc;
			pthread_cond_broadcast(&w->done_cv);
		}
		if (w->stop || w->sync_req != w->sync_done)
			continue;
		struct timespec dl;
		clock_gettime(CLOCK_MONOTONIC, &dl);
		uint64_t ns = (uint64_t)dl.tv_nsec + (uint64_t)w->o.flush_interval_us * 1000ull;
		dl.tv_sec += (time_t)(ns / 1000000000ull);
		dl.tv_nsec = (long)(ns % 1000000000ull);
		pthread_cond_timedwait(&w->cv, &w->mu, &dl);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int jr_writer_sync(struct jr_writer *w)
{
	if (w->o.bg == JR_BG_MANUAL)
		return bg_step(w) == -EIO ? -EIO : 0;
	pthread_mutex_lock(&w->mu);
	uint64_t my = ++w->sync_req;
	pthread_cond_signal(&w->cv);
	while (w->sync_done < my && !w->stop)
		pthread_cond_wait(&w->done_cv, &w->mu);
	int rc = w->sync_done >= my && w->sync_rc == -EIO ? -EIO : 0;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* ---- open / close ----------------------------------------------------- */

struct open_ctx {
	struct jr_writer *w;
	uint64_t last_first_seq;
	int rc;
};

static int on_recovered_segment(void *ctx, const struct jr_seg_info *si)
{
	struct open_ctx *oc = ctx;
	oc->last_first_seq = si->first_seq;
	return closed_push(oc->w, si->index, si->last_seq, si->size);
}

static int check_opts(const struct jr_writer_opts *in, struct jr_writer_opts *o)
{
	*o = *in;
	if (!o->dir || !o->dir[0] || strlen(o->dir) >= JR_PATH_MAX - JR_SEG_NAME_LEN - 2)
		return -EINVAL;
	if (!o->segment_size)
		o->segment_size = JR_SEG_DEFAULT_SIZE;
	if (!o->spares)
		o->spares = 2;
	if (!o->flush_interval_us)
		o->flush_interval_us = 1000;
	if (o->segment_size % PAGE || o->segment_size < JR_SEG_MIN_SIZE || o->segment_size > JR_SEG_MAX_SIZE ||
	    o->spares > JR_MAX_SPARES || (o->durability != JR_DUR_PROCESS && o->durability != JR_DUR_POWER) ||
	    (o->bg != JR_BG_THREAD && o->bg != JR_BG_MANUAL) || o->flush_interval_us > 60u * 1000000u)
		return -EINVAL;
	return 0;
}

static void free_writer(struct jr_writer *w)
{
	for (unsigned i = 0; i < NSLOTS; i++) {
		struct seg_slot *s = &w->slots[i];
		uint32_t st = atomic_load_explicit(&s->state, memory_order_relaxed);
		if (st == SL_FREE || !s->base)
			continue;
		if (st == SL_READY) {
			char name[JR_SEG_NAME_LEN + 1];
			jr_seg_name(name, s->index);
			unlinkat(w->dirfd, name, 0);
		}
		unmap_slot(s);
	}
	if (w->lockfd >= 0)
		close(w->lockfd);   /* releases the flock */
	if (w->dirfd >= 0)
		close(w->dirfd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->done_cv);
	free(w->closed);
	free(w);
}

/* Map the last recovered segment as the active one. */
static int adopt_last(struct jr_writer *w, const struct jr_diag *d, uint64_t first_seq)
{
	struct seg_slot *s = &w->slots[0];
	char name[JR_SEG_NAME_LEN + 1];
	jr_seg_name(name, d->last_index);
	int fd = openat(w->dirfd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	s->fd = fd;
	s->base = base;
	s->index = d->last_index;
	s->size = (uint64_t)st.st_size;
	s->first_seq = first_seq;
	s->flushed_off = d->end_off;
	atomic_store_explicit(&s->end_off, d->end_off, memory_order_relaxed);
	atomic_store_explicit(&s->last_seq, d->last_seq, memory_order_relaxed);
	atomic_store_explicit(&s->state, SL_ACTIVE, memory_order_release);
	if (!w->o.no_prefault)
		prefault(base, d->end_off, s->size);
	w->cur = s;
	w->base = base;
	w->size = s->size;
	w->off = d->end_off;
	w->next_seq = d->last_seq + 1;
	return 0;
}

/* New journal: create segment 0 and start it at seq 1. */
static int start_fresh(struct jr_writer *w)
{
	struct seg_slot *s = &w->slots[0];
	int rc = create_segment(w, s, 0);
	if (rc)
		return rc;
	struct jr_seg_hdr *h = (struct jr_seg_hdr *)s->base;
	__atomic_store_n(&h->first_seq, 1, __ATOMIC_RELEASE);
	s->first_seq = 1;
	atomic_store_explicit(&s->end_off, JR_SEG_HDR_SIZE, memory_order_relaxed);
	atomic_store_explicit(&s->state, SL_ACTIVE, memory_order_release);
	ctr_add(&w->bg_ctr[JR_C_SEG_CREATED], 1);
	w->cur = s;
	w->base = s->base;
	w->size = s->size;
	w->off = JR_SEG_HDR_SIZE;
	w->next_seq = 1;
	return 0;
}

/* Make the segments found at open durable (a previous process may have left
 * dirty pages behind). */
static int sync_recovered(struct jr_writer *w)
{
	for (size_t i = 0; i < w->closed_n; i++) {
		char name[JR_SEG_NAME_LEN + 1];
		jr_seg_name(name, w->closed[w->closed_head + i].index);
		int fd = openat(w->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		int rc = fdatasync(fd) == 0 ? 0 : -errno;
		close(fd);
		if (rc)
			return rc;
	}
	return msync(w->base, w->size, MS_SYNC) == 0 ? 0 : -errno;
}

int jr_writer_open(struct jr_writer **out, const struct jr_writer_opts *opts, struct jr_diag *diag)
{
	struct jr_diag local;
	struct jr_diag *d = diag ? diag : &local;
	*out = NULL;
	memset(d, 0, sizeof(*d));
	struct jr_writer *w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63);
	if (!w)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	w->dirfd = w->lockfd = -1;
	for (unsigned i = 0; i < NSLOTS; i++)
		w->slots[i].fd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->done_cv, NULL);

	int rc = check_opts(opts, &w->o);
	if (rc)
		goto fail;
	snprintf(w->dir, sizeof(w->dir), "%s", w->o.dir);
	w->o.dir = w->dir;
	uint64_t mp = JR_MAX_PAYLOAD(w->o.segment_size);
	w->max_payload = mp > UINT32_MAX ? UINT32_MAX : (uint32_t)mp;

	if (mkdir(w->dir, 0755) != 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		rc = -errno;
		goto fail;
	}
	w->lockfd = openat(w->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (w->lockfd < 0) {
		rc = -errno;
		goto fail;
	}
	if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}

	struct open_ctx oc = { .w = w };
	struct jr_visit v = { .on_segment = on_recovered_segment, .ctx = &oc };
	rc = jr_verify(w->dir, JR_VERIFY_REPAIR, d, &v);
	if (rc)
		goto fail;
	if (d->segments == 0) {
		rc = start_fresh(w);
	} else {
		w->closed_n--;             /* the last one becomes the active segment */
		rc = adopt_last(w, d, oc.last_first_seq);
		if (!rc)
			rc = sync_recovered(w);
	}
	if (rc)
		goto fail;
	w->next_create = w->cur->index + 1;
	atomic_store_explicit(&w->committed_seq, w->next_seq - 1, memory_order_relaxed);
	atomic_store_explicit(&w->durable_seq, w->next_seq - 1, memory_order_relaxed);
	rc = fill_spares(w);
	if (rc)
		goto fail;
	if (w->o.bg == JR_BG_THREAD) {
		rc = -pthread_create(&w->thr, NULL, bg_main, w);
		if (rc)
			goto fail;
		w->thr_started = 1;
	}
	*out = w;
	return 0;
fail:
	free_writer(w);
	return rc;
}

int jr_writer_close(struct jr_writer *w)
{
	if (!w)
		return 0;
	if (w->thr_started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thr, NULL);
	}
	int rc = flush(w);
	free_writer(w);
	return rc;
}
