/* Control plane authentication: argon2id password verification and
 * HMAC-SHA256 signed bearer tokens. Pure functions, any thread.
 *
 * Token: base64url(payload) "." base64url(HMAC-SHA256(secret, payload)),
 * payload = "v1.<user slot>.<generation>.<expiry unix s>.<nonce hex>".
 * The generation is the user's revocation counter: disabling a user, a new
 * password or a logout bumps it and every older token stops verifying.
 */
#ifndef ORION_CONTROLPLANE_CP_AUTH_H
#define ORION_CONTROLPLANE_CP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define CP_SECRET_MIN 32          /* token secret bytes, at least */
#define CP_SECRET_MAX 256

struct cp_claims {
	uint32_t user;                /* user slot */
	uint32_t gen;                 /* user's generation when issued */
	uint64_t exp_s;               /* expiry, unix seconds */
	uint64_t nonce;
};

/* Write the token of c into out (NUL-terminated). Returns its length, or
 * -ENOSPC (out too small; 160 bytes always suffice) / -EIO (OpenSSL). */
int cp_token_sign(const uint8_t *key, size_t keylen, const struct cp_claims *c, char *out, size_t outlen);

/* Verify signature and syntax, then expiry against now_s. 0 with *c filled,
 * -EBADMSG (malformed or bad signature), -ETIMEDOUT (expired; *c filled). The
 * caller then checks c->user and c->gen against its user table. */
int cp_token_verify(const uint8_t *key, size_t keylen, const char *tok, size_t len, uint64_t now_s,
		    struct cp_claims *c);

/* Verify password against an encoded argon2id hash. 0 (match), -EACCES
 * (mismatch), -EINVAL (not a valid argon2id encoding). Takes as long as the
 * hash's cost parameters say (tens of ms). */
int cp_password_verify(const char *encoded, const char *password, size_t len);

/* base64url without padding. Encode returns the length written (dst needs
 * 4*ceil(n/3)+1 bytes, NUL added). Decode returns the length or -EINVAL. */
size_t cp_b64url_encode(const uint8_t *src, size_t n, char *dst);
int cp_b64url_decode(const char *src, size_t n, uint8_t *dst, size_t cap);

#endif
