/* Control plane authentication: tokens (HMAC-SHA256) and argon2id passwords. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/cp.h"
#include "controlplane/cp_auth.h"

static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";

static void token__sign_then_verify__returns_claims(void **st)
{
	(void)st;
	struct cp_claims c = { .user = 7, .gen = 3, .exp_s = 2000000000ull, .nonce = 0xabcdef }, out;
	char tok[200];
	int n = cp_token_sign(key, sizeof(key), &c, tok, sizeof(tok));
	assert_true(n > 0);
	assert_int_equal(strlen(tok), (size_t)n);
	assert_int_equal(cp_token_verify(key, sizeof(key), tok, (size_t)n, 1900000000ull, &out), 0);
	assert_int_equal(out.user, 7);
	assert_int_equal(out.gen, 3);
	assert_int_equal(out.exp_s, 2000000000ull);
	assert_int_equal(out.nonce, 0xabcdef);
}

static void token__past_expiry__is_expired(void **st)
{
	(void)st;
	struct cp_claims c = { .user = 1, .gen = 1, .exp_s = 1000 }, out;
	char tok[200];
	int n = cp_token_sign(key, sizeof(key), &c, tok, sizeof(tok));
	assert_int_equal(cp_token_verify(key, sizeof(key), tok, (size_t)n, 999, &out), 0);
	assert_int_equal(cp_token_verify(key, sizeof(key), tok, (size_t)n, 1000, &out), -ETIMEDOUT);
}

static void token__any_flipped_byte__is_rejected(void **st)
{
	(void)st;
	struct cp_claims c = { .user = 1, .gen = 1, .exp_s = 5000 }, out;
	char tok[200];
	int n = cp_token_sign(key, sizeof(key), &c, tok, sizeof(tok));
	for (int i = 0; i < n; i++) {
		char t2[200];
		memcpy(t2, tok, (size_t)n + 1);
		t2[i] = t2[i] == 'A' ? 'B' : 'A';
		if (!memcmp(t2, tok, (size_t)n))
			continue;
		assert_int_equal(cp_token_verify(key, sizeof(key), t2, (size_t)n, 10, &out), -EBADMSG);
	}
}

static void token__other_key__is_rejected(void **st)
{
	(void)st;
	uint8_t k2[32];
	memcpy(k2, key, 32);
	k2[0] ^= 1;
	struct cp_claims c = { .user = 1, .gen = 1, .exp_s = 5000 }, out;
	char tok[200];
	int n = cp_token_sign(key, sizeof(key), &c, tok, sizeof(tok));
	assert_int_equal(cp_token_verify(k2, sizeof(k2), tok, (size_t)n, 10, &out), -EBADMSG);
}

static void token__garbage__is_rejected(void **st)
{
	(void)st;
	struct cp_claims out;
	const char *bad[] = { "", "abc", "....", "a.b", "dGVzdA.dGVzdA", "v1.1.1.1.1" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cp_token_verify(key, sizeof(key), bad[i], strlen(bad[i]), 10, &out), -EBADMSG);
}

static void token__small_buffer__enospc(void **st)
{
	(void)st;
	struct cp_claims c = { .user = 1, .gen = 1, .exp_s = 5000 };
	char tok[40];
	assert_int_equal(cp_token_sign(key, sizeof(key), &c, tok, sizeof(tok)), -ENOSPC);
}

static void b64url__round_trip__all_lengths(void **st)
{
	(void)st;
	uint8_t src[40], back[40];
	char enc[64];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(src); n++) {
		size_t e = cp_b64url_encode(src, n, enc);
		assert_int_equal(e, (n * 4 + 2) / 3);
		assert_null(strpbrk(enc, "+/="));
		assert_int_equal(cp_b64url_decode(enc, e, back, sizeof(back)), (int)n);
		assert_memory_equal(src, back, n);
	}
	assert_int_equal(cp_b64url_decode("a", 1, back, sizeof(back)), -EINVAL);
	assert_int_equal(cp_b64url_decode("a+bc", 4, back, sizeof(back)), -EINVAL);
}

static void password__hash_then_verify__matches_only_the_password(void **st)
{
	(void)st;
	char h[CP_HASH_LEN];
	assert_int_equal(cp_hash_password("correct horse", 1, 64, h, sizeof(h)), 0);
	assert_true(!strncmp(h, "$argon2id$", 10));
	assert_int_equal(cp_password_verify(h, "correct horse", 13), 0);
	assert_int_equal(cp_password_verify(h, "correct horsE", 13), -EACCES);
	assert_int_equal(cp_password_verify(h, "", 0), -EACCES);
	char h2[CP_HASH_LEN];
	assert_int_equal(cp_hash_password("correct horse", 1, 64, h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2); /* salted */
}

static void password__not_argon2id__einval(void **st)
{
	(void)st;
	assert_int_equal(cp_password_verify("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x", 1), -EINVAL);
	assert_int_equal(cp_password_verify("$argon2id$garbage", "x", 1), -EINVAL);
	assert_int_equal(cp_password_verify("plain", "plain", 5), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token__sign_then_verify__returns_claims),
		cmocka_unit_test(token__past_expiry__is_expired),
		cmocka_unit_test(token__any_flipped_byte__is_rejected),
		cmocka_unit_test(token__other_key__is_rejected),
		cmocka_unit_test(token__garbage__is_rejected),
		cmocka_unit_test(token__small_buffer__enospc),
		cmocka_unit_test(b64url__round_trip__all_lengths),
		cmocka_unit_test(password__hash_then_verify__matches_only_the_password),
		cmocka_unit_test(password__not_argon2id__einval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
