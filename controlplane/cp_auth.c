/* Passwords (argon2id) and bearer tokens (HMAC-SHA256). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "controlplane/cp.h"
#include "controlplane/cp_auth.h"

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t cp_b64url_encode(const uint8_t *src, size_t n, char *dst)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = b64u[v >> 18];
		dst[o++] = b64u[(v >> 12) & 63];
		dst[o++] = b64u[(v >> 6) & 63];
		dst[o++] = b64u[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)src[i] << 16;
		dst[o++] = b64u[v >> 18];
		dst[o++] = b64u[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = b64u[v >> 18];
		dst[o++] = b64u[(v >> 12) & 63];
		dst[o++] = b64u[(v >> 6) & 63];
	}
	dst[o] = 0;
	return o;
}

static int b64u_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int cp_b64url_decode(const char *src, size_t n, uint8_t *dst, size_t cap)
{
	if (n % 4 == 1)
		return -EINVAL;
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64u_val(src[i]);
		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -EINVAL;
			dst[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* non-canonical trailing bits */
		return -EINVAL;
	return (int)o;
}

static int mac(const uint8_t *key, size_t keylen, const char *msg, size_t n, uint8_t out[32])
{
	unsigned len = 0;
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, n, out, &len) || len != 32)
		return -EIO;
	return 0;
}

int cp_token_sign(const uint8_t *key, size_t keylen, const struct cp_claims *c, char *out, size_t outlen)
{
	char payload[96];
	int pn = snprintf(payload, sizeof(payload), "v1.%" PRIu32 ".%" PRIu32 ".%" PRIu64 ".%016" PRIx64, c->user,
			  c->gen, c->exp_s, c->nonce);
	uint8_t m[32];
	if (pn < 0 || (size_t)pn >= sizeof(payload))
		return -ENOSPC;
	if (mac(key, keylen, payload, (size_t)pn, m))
		return -EIO;
	size_t need = ((size_t)pn + 2) / 3 * 4 + 1 + 44 + 1;
	if (outlen < need)
		return -ENOSPC;
	size_t n = cp_b64url_encode((const uint8_t *)payload, (size_t)pn, out);
	out[n++] = '.';
	n += cp_b64url_encode(m, sizeof(m), out + n);
	return (int)n;
}

/* Strict unsigned decimal field ending at '.' or the end; no sign, no leading
 * zeros beyond "0". */
static int take_u64(const char **p, const char *end, int hex, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	unsigned n = 0;
	while (s < end && *s != '.') {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (hex && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			return -EBADMSG;
		if (n >= (hex ? 16u : 19u))
			return -EBADMSG;
		v = v * (hex ? 16 : 10) + (uint64_t)d;
		n++;
		s++;
	}
	if (!n || (!hex && n > 1 && **p == '0'))
		return -EBADMSG;
	*out = v;
	*p = s < end ? s + 1 : s;
	return 0;
}

int cp_token_verify(const uint8_t *key, size_t keylen, const char *tok, size_t len, uint64_t now_s,
		    struct cp_claims *c)
{
	if (len < 10 || len > 200)
		return -EBADMSG;
	const char *dot = memchr(tok, '.', len);
	if (!dot)
		return -EBADMSG;
	char payload[128];
	int pn = cp_b64url_decode(tok, (size_t)(dot - tok), (uint8_t *)payload, sizeof(payload) - 1);
	uint8_t sig[40], want[32];
	int sn = cp_b64url_decode(dot + 1, len - (size_t)(dot - tok) - 1, sig, sizeof(sig));
	if (pn <= 0 || sn != 32)
		return -EBADMSG;
	if (mac(key, keylen, payload, (size_t)pn, want) || CRYPTO_memcmp(sig, want, 32) != 0)
		return -EBADMSG;
	const char *p = payload, *end = payload + pn;
	if (pn < 3 || memcmp(p, "v1.", 3))
		return -EBADMSG;
	p += 3;
	uint64_t user, gen, exp, nonce;
	if (take_u64(&p, end, 0, &user) || take_u64(&p, end, 0, &gen) || take_u64(&p, end, 0, &exp) ||
	    take_u64(&p, end, 1, &nonce) || p != end || user > UINT32_MAX || gen > UINT32_MAX)
		return -EBADMSG;
	c->user = (uint32_t)user;
	c->gen = (uint32_t)gen;
	c->exp_s = exp;
	c->nonce = nonce;
	return now_s >= exp ? -ETIMEDOUT : 0;
}

int cp_password_verify(const char *encoded, const char *password, size_t len)
{
	if (strncmp(encoded, "$argon2id$", 10))
		return -EINVAL;
	int rc = argon2id_verify(encoded, password, len);
	if (rc == ARGON2_OK)
		return 0;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return -EACCES;
	return -EINVAL;
}

int cp_hash_password(const char *password, uint32_t t_cost, uint32_t m_cost_kib, char *out, size_t outlen)
{
	uint8_t salt[16];
	if (t_cost < 1 || m_cost_kib < 8 || RAND_bytes(salt, sizeof(salt)) != 1)
		return -EINVAL;
	size_t need = argon2_encodedlen(t_cost, m_cost_kib, 1, sizeof(salt), 32, Argon2_id);
	if (need > outlen)
		return -ENOSPC;
	int rc = argon2id_hash_encoded(t_cost, m_cost_kib, 1, password, strlen(password), salt, sizeof(salt), 32, out,
				       outlen);
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return -ENOMEM;
	return rc == ARGON2_OK ? 0 : -EINVAL;
}

int cp_passwd_main(int argc, char **argv)
{
	uint32_t t = 2, m = 19456; /* OWASP's argon2id minimum: 19 MiB, 2 passes */
	const char *pw = NULL;
	char line[1024];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			t = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-m") && i + 1 < argc)
			m = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--password") && i + 1 < argc)
			pw = argv[++i];
		else {
			fprintf(stderr, "usage: %s [-t passes] [-m KiB] [--password P]  (else the first line of stdin)\n",
				argv[0]);
			return 2;
		}
	}
	if (!pw) {
		if (!fgets(line, sizeof(line), stdin)) {
			fprintf(stderr, "%s: no password on stdin\n", argv[0]);
			return 1;
		}
		line[strcspn(line, "\r\n")] = 0;
		pw = line;
	}
	if (!*pw) {
		fprintf(stderr, "%s: empty password\n", argv[0]);
		return 1;
	}
	char out[CP_HASH_LEN];
	int rc = cp_hash_password(pw, t, m, out, sizeof(out));
	OPENSSL_cleanse(line, sizeof(line));
	if (rc) {
		fprintf(stderr, "%s: cannot hash (%s)\n", argv[0], strerror(-rc));
		return 1;
	}
	printf("%s\n", out);
	return 0;
}
