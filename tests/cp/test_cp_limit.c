/* Control plane rate limiter (token bucket) and idempotency cache. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/cp_limit.h"

#define S 1000000000ull

static void bucket__burst_then_limited__refills_at_rate(void **st)
{
	(void)st;
	struct cp_bucket b;
	uint64_t t = 5 * S, retry = 0;
	cp_bucket_init(&b, 3, t);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cp_bucket_take(&b, 10, 3, t, &retry), 1);
	assert_int_equal(cp_bucket_take(&b, 10, 3, t, &retry), 0);
	assert_int_equal(retry, S / 10); /* one token at 10/s */
	assert_int_equal(cp_bucket_take(&b, 10, 3, t + S / 10 - 1, &retry), 0);
	assert_int_equal(retry, 1);
	assert_int_equal(cp_bucket_take(&b, 10, 3, t + S / 10, &retry), 1);
	/* a long pause refills to the burst, not beyond */
	t += 100 * S;
	for (int i = 0; i < 3; i++)
		assert_int_equal(cp_bucket_take(&b, 10, 3, t, NULL), 1);
	assert_int_equal(cp_bucket_take(&b, 10, 3, t, NULL), 0);
}

static void bucket__clock_backwards__refills_nothing(void **st)
{
	(void)st;
	struct cp_bucket b;
	cp_bucket_init(&b, 1, 10 * S);
	assert_int_equal(cp_bucket_take(&b, 1, 1, 10 * S, NULL), 1);
	assert_int_equal(cp_bucket_take(&b, 1, 1, 5 * S, NULL), 0);
	assert_int_equal(cp_bucket_take(&b, 1, 1, 11 * S, NULL), 1);
}

static void bucket__sustained_rate__allows_exactly_rate_per_second(void **st)
{
	(void)st;
	struct cp_bucket b;
	cp_bucket_init(&b, 1, 0);
	unsigned ok = 0;
	for (uint64_t t = 0; t < 10 * S; t += S / 1000) /* 1000 tries per second for 10 s */
		ok += (unsigned)cp_bucket_take(&b, 50, 1, t, NULL);
	assert_in_range(ok, 499, 501);
}

static const uint8_t h1[32] = { 1 }, h2[32] = { 2 };

static void idem__same_key_same_hash__replays_first_response(void **st)
{
	(void)st;
	struct cp_idem *c = cp_idem_create(8, 100);
	int status;
	const char *body;
	size_t len;
	assert_int_equal(cp_idem_get(c, 1, "k1", h1, 0, &status, &body, &len), CP_IDEM_MISS);
	assert_int_equal(cp_idem_put(c, 1, "k1", h1, 0, 202, "{\"id\":\"A1\"}", 11), 0);
	assert_int_equal(cp_idem_get(c, 1, "k1", h1, 50, &status, &body, &len), CP_IDEM_HIT);
	assert_int_equal(status, 202);
	assert_int_equal(len, 11);
	assert_memory_equal(body, "{\"id\":\"A1\"}", 11);
	cp_idem_destroy(c);
}

static void idem__same_key_other_body__conflict(void **st)
{
	(void)st;
	struct cp_idem *c = cp_idem_create(8, 100);
	int status;
	const char *body;
	size_t len;
	cp_idem_put(c, 1, "k1", h1, 0, 202, "x", 1);
	assert_int_equal(cp_idem_get(c, 1, "k1", h2, 1, &status, &body, &len), CP_IDEM_CONFLICT);
	cp_idem_destroy(c);
}

static void idem__keys_are_per_user(void **st)
{
	(void)st;
	struct cp_idem *c = cp_idem_create(8, 100);
	int status;
	const char *body;
	size_t len;
	cp_idem_put(c, 1, "k1", h1, 0, 202, "x", 1);
	assert_int_equal(cp_idem_get(c, 2, "k1", h2, 1, &status, &body, &len), CP_IDEM_MISS);
	cp_idem_destroy(c);
}

static void idem__after_ttl__miss(void **st)
{
	(void)st;
	struct cp_idem *c = cp_idem_create(8, 100);
	int status;
	const char *body;
	size_t len;
	cp_idem_put(c, 1, "k1", h1, 10, 202, "x", 1);
	assert_int_equal(cp_idem_get(c, 1, "k1", h1, 109, &status, &body, &len), CP_IDEM_HIT);
	assert_int_equal(cp_idem_get(c, 1, "k1", h1, 110, &status, &body, &len), CP_IDEM_MISS);
	/* a new request with the expired key is remembered again */
	cp_idem_put(c, 1, "k1", h2, 110, 400, "y", 1);
	assert_int_equal(cp_idem_get(c, 1, "k1", h2, 111, &status, &body, &len), CP_IDEM_HIT);
	assert_int_equal(status, 400);
	cp_idem_destroy(c);
}

static void idem__full__evicts_oldest_first(void **st)
{
	(void)st;
	struct cp_idem *c = cp_idem_create(4, 1000);
	int status;
	const char *body;
	size_t len;
	char k[8];
	for (int i = 0; i < 6; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(cp_idem_put(c, 1, k, h1, (uint64_t)i, 200 + i, "b", 1), 0);
	}
	assert_int_equal(cp_idem_count(c), 4);
	assert_int_equal(cp_idem_get(c, 1, "k0", h1, 10, &status, &body, &len), CP_IDEM_MISS);
	assert_int_equal(cp_idem_get(c, 1, "k1", h1, 10, &status, &body, &len), CP_IDEM_MISS);
	for (int i = 2; i < 6; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(cp_idem_get(c, 1, k, h1, 10, &status, &body, &len), CP_IDEM_HIT);
		assert_int_equal(status, 200 + i);
	}
	cp_idem_destroy(c);
}

static void idem__key_syntax(void **st)
{
	(void)st;
	char long_key[80];
	memset(long_key, 'a', sizeof(long_key));
	long_key[65] = 0;
	assert_true(cp_idem_key_ok("abc-123_XYZ"));
	assert_false(cp_idem_key_ok(""));
	assert_false(cp_idem_key_ok("has space"));
	assert_false(cp_idem_key_ok(long_key));
	long_key[64] = 0;
	assert_true(cp_idem_key_ok(long_key));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bucket__burst_then_limited__refills_at_rate),
		cmocka_unit_test(bucket__clock_backwards__refills_nothing),
		cmocka_unit_test(bucket__sustained_rate__allows_exactly_rate_per_second),
		cmocka_unit_test(idem__same_key_same_hash__replays_first_response),
		cmocka_unit_test(idem__same_key_other_body__conflict),
		cmocka_unit_test(idem__keys_are_per_user),
		cmocka_unit_test(idem__after_ttl__miss),
		cmocka_unit_test(idem__full__evicts_oldest_first),
		cmocka_unit_test(idem__key_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
