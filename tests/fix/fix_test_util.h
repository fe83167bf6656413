/* Helpers shared by the FIX unit tests: readable messages written with '|'
 * for SOH, completed with BodyLength and CheckSum. */
#ifndef ORION_TESTS_FIX_TEST_UTIL_H
#define ORION_TESTS_FIX_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "fix/fix_codec.h"

/* Replace '|' by SOH in place. */
static inline void fixt_soh(char *s)
{
	for (; *s; s++)
		if (*s == '|')
			*s = FIX_SOH;
}

/* out = "8=<begin>|9=<len>|" + body + "10=<sum>|", body given with '|'.
 * Returns the message length. */
static inline size_t fixt_msg_v(char *out, size_t cap, const char *begin, const char *body_pipes)
{
	char body[4096];
	size_t bl = strlen(body_pipes);
	if (bl >= sizeof(body))
		return 0;
	memcpy(body, body_pipes, bl + 1);
	fixt_soh(body);
	int n = snprintf(out, cap, "8=%s%c9=%zu%c", begin, FIX_SOH, bl, FIX_SOH);
	if (n < 0 || (size_t)n + bl + 8 > cap)
		return 0;
	memcpy(out + n, body, bl);
	size_t len = (size_t)n + bl;
	unsigned cs = fix_checksum(out, len);
	len += (size_t)snprintf(out + len, cap - len, "10=%03u%c", cs, FIX_SOH);
	return len;
}

static inline size_t fixt_msg(char *out, size_t cap, const char *body_pipes)
{
	return fixt_msg_v(out, cap, "FIX.4.4", body_pipes);
}

/* Copy of a field's value as a C string (static buffer, per call site use). */
static inline const char *fixt_val(const struct fix_msg *m, uint32_t tag, char *buf, size_t cap)
{
	const struct fix_field *f = fix_msg_get(m, tag);
	if (!f || f->len >= cap)
		return NULL;
	memcpy(buf, f->val, f->len);
	buf[f->len] = 0;
	return buf;
}

#endif
