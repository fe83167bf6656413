/* Memory-mapped FIX message store (see fix_store.h).
 *
 * File layout (native endian, one host):
 *   [0, 4096)             struct store_hdr
 *   [4096, 4096 + idx)    struct store_slot[max_msgs], slot = seq % max_msgs
 *   [data_off, +data)     circular byte area; a message never wraps: when it
 *                         does not fit before the end, the writer skips to the
 *                         start. Positions are absolute (monotonic) byte
 *                         offsets; a message at absolute position a with
 *                         length n is intact iff a >= head - data_bytes.
 */
#include "fix/fix_store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_MAGIC "ORFIXST1"
#define STORE_VERSION 1u
#define STORE_HDR_BYTES 4096u
#define STORE_MAX_MSGS (16u << 20)
#define STORE_MIN_DATA 4096ull
#define STORE_MAX_DATA (16ull << 30)

struct store_hdr {
	char magic[8];
	uint32_t version;
	uint32_t max_msgs;
	uint64_t data_bytes;
	uint64_t next_sender;
	uint64_t next_target;
	uint64_t creation_ns;
	uint64_t head;        /* absolute position of the next write */
};
_Static_assert(sizeof(struct store_hdr) <= STORE_HDR_BYTES, "header fits its page");

struct store_slot {
	uint64_t seq;  /* 0 = empty */
	uint64_t pos;  /* absolute position */
	uint32_t len;
	uint32_t pad_;
};
_Static_assert(sizeof(struct store_slot) == 24, "slot layout is part of the file format");

struct mmap_store {
	struct fix_store base;   /* first: fix_store * <-> mmap_store * */
	int fd;                  /* -1 for anonymous */
	size_t map_len;
	struct store_hdr *hdr;
	struct store_slot *slots;
	char *data;
};

static inline struct mmap_store *ms(struct fix_store *st)
{
	return (struct mmap_store *)st;
}

static size_t idx_bytes(uint32_t max_msgs)
{
	size_t b = (size_t)max_msgs * sizeof(struct store_slot);
	return (b + 4095u) & ~(size_t)4095u;
}

static uint64_t st_next_sender(struct fix_store *st)
{
	return ms(st)->hdr->next_sender;
}

static uint64_t st_next_target(struct fix_store *st)
{
	return ms(st)->hdr->next_target;
}

static void st_set_next_sender(struct fix_store *st, uint64_t seq)
{
	ms(st)->hdr->next_sender = seq;
}

static void st_set_next_target(struct fix_store *st, uint64_t seq)
{
	ms(st)->hdr->next_target = seq;
}

static int st_put(struct fix_store *st, uint64_t seq, const void *msg, size_t len)
{
	struct mmap_store *s = ms(st);
	struct store_hdr *h = s->hdr;
	if (seq == 0)
		return -EINVAL;
	if (len == 0 || len > h->data_bytes || len > UINT32_MAX)
		return -EMSGSIZE;
	uint64_t off = h->head % h->data_bytes;
	if (off + len > h->data_bytes)
		h->head += h->data_bytes - off; /* skip the tail, start at 0 */
	uint64_t pos = h->head;
	memcpy(s->data + pos % h->data_bytes, msg, len);
	struct store_slot *sl = &s->slots[seq % h->max_msgs];
	/* Slot is invalid while being rewritten; a kill between the stores
	 * leaves it empty, never pointing at the wrong bytes. */
	__atomic_store_n(&sl->seq, 0, __ATOMIC_RELEASE);
	sl->pos = pos;
	sl->len = (uint32_t)len;
	__atomic_store_n(&h->head, pos + len, __ATOMIC_RELEASE);
	__atomic_store_n(&sl->seq, seq, __ATOMIC_RELEASE);
	return 0;
}

static int st_get(struct fix_store *st, uint64_t seq, const char **msg, size_t *len)
{
	struct mmap_store *s = ms(st);
	const struct store_hdr *h = s->hdr;
	if (seq == 0)
		return -ENOENT;
	const struct store_slot *sl = &s->slots[seq % h->max_msgs];
	if (sl->seq != seq || sl->len == 0 || sl->len > h->data_bytes)
		return -ENOENT;
	/* intact: written before head and not overwritten since */
	if (sl->pos + sl->len > h->head || h->head - sl->pos > h->data_bytes)
		return -ENOENT;
	if (sl->pos % h->data_bytes + sl->len > h->data_bytes)
		return -ENOENT; /* cannot happen unless the file was tampered with */
	*msg = s->data + sl->pos % h->data_bytes;
	*len = sl->len;
	return 0;
}

static int st_reset(struct fix_store *st, uint64_t now_ns)
{
	struct mmap_store *s = ms(st);
	memset(s->slots, 0, (size_t)s->hdr->max_msgs * sizeof(struct store_slot));
	s->hdr->next_sender = 1;
	s->hdr->next_target = 1;
	s->hdr->creation_ns = now_ns;
	return 0;
}

static uint64_t st_creation_time(struct fix_store *st)
{
	return ms(st)->hdr->creation_ns;
}

static void st_close(struct fix_store *st)
{
	struct mmap_store *s = ms(st);
	if (s->hdr)
		munmap(s->hdr, s->map_len);
	if (s->fd >= 0)
		close(s->fd); /* drops the flock */
	free(s);
}

static const struct fix_store_ops g_mmap_ops = {
	.next_sender = st_next_sender,
	.next_target = st_next_target,
	.set_next_sender = st_set_next_sender,
	.set_next_target = st_set_next_target,
	.put = st_put,
	.get = st_get,
	.reset = st_reset,
	.creation_time = st_creation_time,
	.close = st_close,
};

static bool name_ok(const char *n)
{
	size_t len = strnlen(n, 129);
	if (len == 0 || len > 128 || n[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static void init_header(struct store_hdr *h, uint32_t max_msgs, uint64_t data_bytes, uint64_t now)
{
	memcpy(h->magic, STORE_MAGIC, 8);
	h->version = STORE_VERSION;
	h->max_msgs = max_msgs;
	h->data_bytes = data_bytes;
	h->next_sender = 1;
	h->next_target = 1;
	h->creation_ns = now;
	h->head = 0;
}

static int map_into(struct mmap_store *s, int fd, size_t len)
{
	int flags = fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	s->hdr = p;
	s->map_len = len;
	return 0;
}

static void set_views(struct mmap_store *s)
{
	s->slots = (struct store_slot *)((char *)s->hdr + STORE_HDR_BYTES);
	s->data = (char *)s->hdr + STORE_HDR_BYTES + idx_bytes(s->hdr->max_msgs);
}

int fix_store_mmap_open(struct fix_store **out, const struct fix_store_cfg *cfg)
{
	uint32_t max_msgs = cfg->max_msgs ? cfg->max_msgs : 65536u;
	uint64_t data_bytes = cfg->data_bytes ? cfg->data_bytes : (64ull << 20);
	int rc;

	*out = NULL;
	if (max_msgs > STORE_MAX_MSGS || data_bytes < STORE_MIN_DATA || data_bytes > STORE_MAX_DATA)
		return -EINVAL;
	if (cfg->dir && (!cfg->name || !name_ok(cfg->name)))
		return -EINVAL;
	struct mmap_store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &g_mmap_ops;
	s->fd = -1;

	if (!cfg->dir) {
		rc = map_into(s, -1, STORE_HDR_BYTES + idx_bytes(max_msgs) + data_bytes);
		if (rc)
			goto fail;
		init_header(s->hdr, max_msgs, data_bytes, cfg->now_ns);
		set_views(s);
		*out = &s->base;
		return 0;
	}

	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s.store", cfg->dir, cfg->name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (s->fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (flock(s->fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	struct stat sb;
	if (fstat(s->fd, &sb)) {
		rc = -errno;
		goto fail;
	}
	if (sb.st_size == 0) {
		size_t len = STORE_HDR_BYTES + idx_bytes(max_msgs) + data_bytes;
		rc = posix_fallocate(s->fd, 0, (off_t)len);
		if (rc) {
			rc = -rc;
			goto fail;
		}
		rc = map_into(s, s->fd, len);
		if (rc)
			goto fail;
		init_header(s->hdr, max_msgs, data_bytes, cfg->now_ns);
		set_views(s);
		*out = &s->base;
		return 0;
	}
	/* existing file: validate the header before trusting any size in it */
	struct store_hdr h;
	if ((size_t)sb.st_size < STORE_HDR_BYTES || pread(s->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		rc = -EBADMSG;
		goto fail;
	}
	if (memcmp(h.magic, STORE_MAGIC, 8) != 0 || h.version != STORE_VERSION || h.max_msgs == 0 ||
	    h.max_msgs > STORE_MAX_MSGS || h.data_bytes < STORE_MIN_DATA || h.data_bytes > STORE_MAX_DATA ||
	    h.next_sender == 0 || h.next_target == 0 ||
	    (uint64_t)sb.st_size != STORE_HDR_BYTES + idx_bytes(h.max_msgs) + h.data_bytes) {
		rc = -EBADMSG;
		goto fail;
	}
	rc = map_into(s, s->fd, (size_t)sb.st_size);
	if (rc)
		goto fail;
	set_views(s);
	*out = &s->base;
	return 0;
fail:
	st_close(&s->base);
	return rc;
}
