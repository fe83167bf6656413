/* FIX message store: per session, the next sender/target sequence numbers and
 * the messages we sent, by sequence number, for ResendRequest.
 *
 * The session talks to the store only through struct fix_store_ops, so a
 * journal-backed store can replace the file one later.
 *
 * Provided implementation: fix_store_mmap_open(). One file per session,
 * <dir>/<name>.store, memory-mapped (MAP_SHARED): updates are plain stores
 * into the page cache — no syscall on the hot path — and survive kill -9 of
 * the process (not a power loss; no msync). Bounded: at most max_msgs
 * messages and data_bytes bytes are kept; older messages are overwritten and
 * then read back as -ENOENT (the session gap-fills them). Reopening restores
 * the sequence numbers and the kept messages. The file is flock()ed so two
 * processes cannot use the same store. With dir == NULL the store lives in
 * anonymous memory (tests, fuzzing): same behavior, nothing persists.
 *
 * Threading: a store belongs to one session and is used by the thread that
 * drives that session; no internal locking.
 */
#ifndef ORION_FIX_STORE_H
#define ORION_FIX_STORE_H

#include <stddef.h>
#include <stdint.h>

struct fix_store;

struct fix_store_ops {
	/* Next sequence number we will send / we expect to receive (>= 1). */
	uint64_t (*next_sender)(struct fix_store *st);
	uint64_t (*next_target)(struct fix_store *st);
	void (*set_next_sender)(struct fix_store *st, uint64_t seq);
	void (*set_next_target)(struct fix_store *st, uint64_t seq);
	/* Keep a copy of sent message seq (whole wire message). 0, -EMSGSIZE
	 * (larger than the store's data area) or -EINVAL (seq 0). */
	int (*put)(struct fix_store *st, uint64_t seq, const void *msg, size_t len);
	/* Sent message seq: 0 with *msg and *len set (pointer into the store, valid
	 * until the next put/reset/close), or -ENOENT (never stored or evicted). */
	int (*get)(struct fix_store *st, uint64_t seq, const char **msg, size_t *len);
	/* Both sequence numbers back to 1, messages dropped, creation time set. */
	int (*reset)(struct fix_store *st, uint64_t now_ns);
	/* Time of the last reset (or creation), epoch ns. */
	uint64_t (*creation_time)(struct fix_store *st);
	/* Unmap/close and free. */
	void (*close)(struct fix_store *st);
};

struct fix_store {
	const struct fix_store_ops *ops;
};

static inline uint64_t fix_store_next_sender(struct fix_store *st) { return st->ops->next_sender(st); }
static inline uint64_t fix_store_next_target(struct fix_store *st) { return st->ops->next_target(st); }
static inline void fix_store_set_next_sender(struct fix_store *st, uint64_t s) { st->ops->set_next_sender(st, s); }
static inline void fix_store_set_next_target(struct fix_store *st, uint64_t s) { st->ops->set_next_target(st, s); }
static inline int fix_store_put(struct fix_store *st, uint64_t seq, const void *m, size_t len)
{
	return st->ops->put(st, seq, m, len);
}
static inline int fix_store_get(struct fix_store *st, uint64_t seq, const char **m, size_t *len)
{
	return st->ops->get(st, seq, m, len);
}
static inline int fix_store_reset(struct fix_store *st, uint64_t now_ns) { return st->ops->reset(st, now_ns); }
static inline uint64_t fix_store_creation_time(struct fix_store *st) { return st->ops->creation_time(st); }
static inline void fix_store_close(struct fix_store *st)
{
	if (st)
		st->ops->close(st);
}

struct fix_store_cfg {
	const char *dir;     /* directory (must exist); NULL = anonymous memory */
	const char *name;    /* file stem: [A-Za-z0-9._-]{1,128}, e.g. "FIX.4.4-ORION-CLIENT1" */
	uint32_t max_msgs;   /* messages kept for resend (1..16M); 0 = 65536 */
	uint64_t data_bytes; /* bytes kept for resend (4 KiB..16 GiB); 0 = 64 MiB */
	uint64_t now_ns;     /* creation time written into a new store */
};

/* Open or create the store file. A new file gets both sequence numbers at 1.
 * An existing file keeps its own geometry (max_msgs/data_bytes) and state;
 * it is validated (magic, version, sizes, sequence numbers) first.
 * Init-time only (allocates, opens, mmaps, posix_fallocate()s the file so a
 * full disk shows here and not as SIGBUS later).
 * Returns 0 with *out set, or -errno: -EINVAL bad cfg/name, -EBADMSG corrupt
 * file, -EBUSY file locked by another process, -ENOSPC, other open/mmap
 * errors. */
int fix_store_mmap_open(struct fix_store **out, const struct fix_store_cfg *cfg);

#endif
