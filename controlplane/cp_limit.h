/* Control plane: per-user request rate limiter (token bucket) and the
 * Idempotency-Key cache of POST /orders. Pure data structures with the time
 * passed in; used by the cp thread only.
 */
#ifndef ORION_CONTROLPLANE_CP_LIMIT_H
#define ORION_CONTROLPLANE_CP_LIMIT_H

#include <stddef.h>
#include <stdint.h>

/* Token bucket: `rate` tokens per second, at most `burst`. Tokens are kept in
 * nano-token units so that no rounding is lost between calls. */
struct cp_bucket {
	uint64_t tokens_n;            /* tokens x 1e9 */
	uint64_t last_ns;
};
/* Start full at now_ns. */
void cp_bucket_init(struct cp_bucket *b, uint32_t burst, uint64_t now_ns);
/* Take one token: 1 when allowed, 0 when limited (then *retry_ns says how
 * long until one token is back; may be NULL). A clock going backwards
 * refills nothing. */
int cp_bucket_take(struct cp_bucket *b, uint32_t rate, uint32_t burst, uint64_t now_ns, uint64_t *retry_ns);

/* Idempotency cache: (user, key) -> (hash of method+path+body, status,
 * response body), kept ttl_ns, at most `max` entries (the oldest is evicted
 * first). */
#define CP_IDEM_KEY_MAX 64            /* key bytes: printable ASCII, 1..64 */
struct cp_idem;
struct cp_idem *cp_idem_create(uint32_t max, uint64_t ttl_ns);
void cp_idem_destroy(struct cp_idem *c);
/* Is key well formed (1..64 printable ASCII characters, no spaces)? */
int cp_idem_key_ok(const char *key);

enum cp_idem_result { CP_IDEM_MISS = 0, CP_IDEM_HIT = 1, CP_IDEM_CONFLICT = 2 };
/* Look up (user, key). HIT: same request hash; status, body and len are the
 * first response (valid until the next cp_idem_put). CONFLICT: the key was
 * used with another request. MISS: absent or expired. */
enum cp_idem_result cp_idem_get(struct cp_idem *c, uint32_t user, const char *key, const uint8_t hash[32],
				uint64_t now_ns, int *status, const char **body, size_t *len);
/* Remember a response (the body is copied). 0 or -ENOMEM. */
int cp_idem_put(struct cp_idem *c, uint32_t user, const char *key, const uint8_t hash[32], uint64_t now_ns,
		int status, const char *body, size_t len);
/* Forget (user, key) (every entry of it). Returns how many were removed. */
unsigned cp_idem_forget(struct cp_idem *c, uint32_t user, const char *key);
uint32_t cp_idem_count(const struct cp_idem *c);

#endif
