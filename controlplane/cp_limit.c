/* Token bucket and idempotency cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/cp_limit.h"

#define NANO 1000000000ull

void cp_bucket_init(struct cp_bucket *b, uint32_t burst, uint64_t now_ns)
{
	b->tokens_n = (uint64_t)burst * NANO;
	b->last_ns = now_ns;
}

int cp_bucket_take(struct cp_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_ns, uint64_t *retry_ns)
{
	uint64_t cap = (uint64_t)(burst ? burst : 1) * NANO;
	if (rate == 0)
		rate = 1;
	if (now_ns > b->last_ns) {
		uint64_t dt = now_ns - b->last_ns;
		uint64_t full = cap / rate + 1; /* ns to refill from empty */
		if (dt > full)
			dt = full;
		b->tokens_n += dt * rate;
		if (b->tokens_n > cap)
			b->tokens_n = cap;
		b->last_ns = now_ns;
	}
	if (b->tokens_n >= NANO) {
		b->tokens_n -= NANO;
		return 1;
	}
	if (retry_ns)
		*retry_ns = (NANO - b->tokens_n + rate - 1) / rate;
	return 0;
}

struct idem_ent {
	uint32_t used, next;       /* next: chain in the bucket, UINT32_MAX = end */
	uint32_t user, bucket;
	uint64_t ts;
	int status;
	uint8_t hash[32];
	char key[CP_IDEM_KEY_MAX + 1];
	char *body;
	size_t len;
};

struct cp_idem {
	uint32_t max, nb, head, count;
	uint64_t ttl;
	uint32_t *buckets;
	struct idem_ent *e;
};

struct cp_idem *cp_idem_create(uint32_t max, uint64_t ttl_ns)
{
	if (!max)
		return NULL;
	struct cp_idem *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->max = max;
	c->ttl = ttl_ns;
	c->nb = 16;
	while (c->nb < max)
		c->nb <<= 1;
	c->buckets = malloc(sizeof(uint32_t) * c->nb);
	c->e = calloc(max, sizeof(*c->e));
	if (!c->buckets || !c->e) {
		cp_idem_destroy(c);
		return NULL;
	}
	memset(c->buckets, 0xff, sizeof(uint32_t) * c->nb);
	return c;
}

void cp_idem_destroy(struct cp_idem *c)
{
	if (!c)
		return;
	if (c->e)
		for (uint32_t i = 0; i < c->max; i++)
			free(c->e[i].body);
	free(c->e);
	free(c->buckets);
	free(c);
}

int cp_idem_key_ok(const char *key)
{
	size_t n = 0;
	for (; key[n]; n++)
		if (key[n] < 0x21 || key[n] > 0x7e || n >= CP_IDEM_KEY_MAX)
			return 0;
	return n > 0;
}

static uint32_t hash_key(uint32_t user, const char *key)
{
	uint64_t h = 1469598103934665603ull ^ user; /* FNV-1a */
	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

enum cp_idem_result cp_idem_get(struct cp_idem *c, uint32_t user, const char *key, const uint8_t hash[32],
				uint64_t now_ns, int *status, const char **body, size_t *len)
{
	uint32_t b = hash_key(user, key) & (c->nb - 1);
	for (uint32_t i = c->buckets[b]; i != UINT32_MAX; i = c->e[i].next) {
		struct idem_ent *e = &c->e[i];
		if (e->user != user || strcmp(e->key, key))
			continue;
		if (now_ns - e->ts >= c->ttl)
			return CP_IDEM_MISS; /* the newest entry of this key is first: older ones are older */
		if (memcmp(e->hash, hash, 32))
			return CP_IDEM_CONFLICT;
		*status = e->status;
		*body = e->body;
		*len = e->len;
		return CP_IDEM_HIT;
	}
	return CP_IDEM_MISS;
}

static void unlink_ent(struct cp_idem *c, uint32_t idx)
{
	struct idem_ent *e = &c->e[idx];
	uint32_t *pp = &c->buckets[e->bucket];
	for (uint32_t guard = 0; *pp != UINT32_MAX && guard <= c->max; guard++) {
		if (*pp == idx) {
			*pp = e->next;
			break;
		}
		pp = &c->e[*pp].next;
	}
	free(e->body);
	e->body = NULL;
	e->used = 0;
	c->count--;
}

int cp_idem_put(struct cp_idem *c, uint32_t user, const char *key, const uint8_t hash[32], uint64_t now_ns,
		int status, const char *body, size_t len)
{
	if (!cp_idem_key_ok(key))
		return -EINVAL;
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, body, len);
	copy[len] = 0;
	uint32_t idx = c->head;
	c->head = (c->head + 1) % c->max;
	if (c->e[idx].used)
		unlink_ent(c, idx);
	struct idem_ent *e = &c->e[idx];
	e->used = 1;
	e->user = user;
	e->ts = now_ns;
	e->status = status;
	memcpy(e->hash, hash, 32);
	strcpy(e->key, key); /* length checked by cp_idem_key_ok */
	e->body = copy;
	e->len = len;
	e->bucket = hash_key(user, key) & (c->nb - 1);
	e->next = c->buckets[e->bucket];
	c->buckets[e->bucket] = idx;
	c->count++;
	return 0;
}

unsigned cp_idem_forget(struct cp_idem *c, uint32_t user, const char *key)
{
	unsigned n = 0;
	uint32_t b = hash_key(user, key) & (c->nb - 1);
	for (uint32_t i = c->buckets[b], guard = 0; i != UINT32_MAX && guard <= c->max; guard++) {
		uint32_t next = c->e[i].next;
		if (c->e[i].user == user && !strcmp(c->e[i].key, key)) {
			unlink_ent(c, i);
			n++;
		}
		i = next;
	}
	return n;
}

uint32_t cp_idem_count(const struct cp_idem *c)
{
	return c->count;
}
