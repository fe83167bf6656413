/* FIX tag=value codec (see fix_codec.h). */
#include "fix/fix_codec.h"

#include <errno.h>
#include <string.h>

static const char *const g_fix_err_names[FIX_ERR__COUNT] = {
	[FIX_OK] = "ok",
	[FIX_ERR_BAD_BEGIN] = "bad_begin_string",
	[FIX_ERR_BAD_BODY_LEN_FIELD] = "bad_body_length_field",
	[FIX_ERR_TOO_BIG] = "too_big",
	[FIX_ERR_BAD_BODY_LEN] = "bad_body_length",
	[FIX_ERR_BAD_CHECKSUM_FIELD] = "bad_checksum_field",
	[FIX_ERR_BAD_CHECKSUM] = "bad_checksum",
	[FIX_ERR_MSGTYPE_NOT_THIRD] = "msgtype_not_third",
	[FIX_ERR_BAD_TAG] = "bad_tag",
	[FIX_ERR_NO_EQUALS] = "no_equals",
	[FIX_ERR_EMPTY_VALUE] = "empty_value",
	[FIX_ERR_TOO_MANY_FIELDS] = "too_many_fields",
	[FIX_ERR_BAD_VALUE] = "bad_value",
	[FIX_ERR_OVERFLOW] = "overflow",
};

const char *fix_err_name(enum fix_err e)
{
	if ((unsigned)e >= FIX_ERR__COUNT)
		return "unknown";
	return g_fix_err_names[e];
}

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* ---- framing ------------------------------------------------------------ */

uint32_t fix_checksum(const char *p, size_t n)
{
	/* SWAR: add bytes in 16-bit lanes, flushing before a lane can overflow
	 * (each word adds at most 2 * 255 per lane; 64 words stay < 65536). */
	uint64_t total = 0;
	size_t i = 0;
	while (n - i >= 8) {
		uint64_t acc = 0;
		size_t words = (n - i) / 8;
		if (words > 64)
			words = 64;
		for (size_t k = 0; k < words; k++, i += 8) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			acc += (w & 0x00ff00ff00ff00ffull) + ((w >> 8) & 0x00ff00ff00ff00ffull);
		}
		total += (acc & 0xffff) + ((acc >> 16) & 0xffff) + ((acc >> 32) & 0xffff) + (acc >> 48);
	}
	for (; i < n; i++)
		total += (unsigned char)p[i];
	return (uint32_t)(total & 0xff);
}

/* Bytes to drop from a garbled buffer: up to the next "8=FIX" after offset 0,
 * or everything except a tail that could be the start of one. */
static size_t garbled_skip(const char *buf, size_t len)
{
	if (len <= 1)
		return len;
	const char *hit = memmem(buf + 1, len - 1, "8=FIX", 5);
	if (hit)
		return (size_t)(hit - buf);
	/* keep a tail that is a proper prefix of "8=FIX" */
	for (size_t keep = 4; keep > 0; keep--) {
		if (keep < len && memcmp(buf + len - keep, "8=FIX", keep) == 0)
			return len - keep;
	}
	return len;
}

static enum fix_frame_rc garbled(const char *buf, size_t len, enum fix_err e, struct fix_frame *out)
{
	out->err = e;
	out->len = garbled_skip(buf, len);
	out->body_len = 0;
	return FIX_FRAME_GARBLED;
}

enum fix_frame_rc fix_frame(const char *buf, size_t len, size_t max_msg, struct fix_frame *out)
{
	out->len = 0;
	out->err = FIX_OK;
	out->body_len = 0;
	if (len == 0)
		return FIX_FRAME_NEED_MORE;
	/* "8=" */
	if (buf[0] != '8' || (len >= 2 && buf[1] != '='))
		return garbled(buf, len, FIX_ERR_BAD_BEGIN, out);
	size_t i = 2;
	size_t lim = 2 + FIX_MAX_BEGIN_STRING + 1;
	while (i < len && i < lim && buf[i] != FIX_SOH)
		i++;
	if (i >= len)
		return len < lim ? FIX_FRAME_NEED_MORE : garbled(buf, len, FIX_ERR_BAD_BEGIN, out);
	if (buf[i] != FIX_SOH || i == 2)
		return garbled(buf, len, FIX_ERR_BAD_BEGIN, out);
	i++;
	/* "9=<digits><SOH>" */
	if (i < len && buf[i] != '9')
		return garbled(buf, len, FIX_ERR_BAD_BODY_LEN_FIELD, out);
	if (i + 1 < len && buf[i + 1] != '=')
		return garbled(buf, len, FIX_ERR_BAD_BODY_LEN_FIELD, out);
	i += 2;
	uint64_t body = 0;
	size_t d0 = i;
	while (i < len && is_digit(buf[i])) {
		if (i - d0 >= 9)
			return garbled(buf, len, FIX_ERR_TOO_BIG, out);
		body = body * 10 + (uint64_t)(buf[i] - '0');
		i++;
	}
	if (i >= len)
		return FIX_FRAME_NEED_MORE;
	if (buf[i] != FIX_SOH || i == d0 || (buf[d0] == '0' && i - d0 > 1) || body == 0)
		return garbled(buf, len, FIX_ERR_BAD_BODY_LEN_FIELD, out);
	i++;
	size_t body_start = i;
	size_t total = body_start + body + 7;
	if (total > max_msg)
		return garbled(buf, len, FIX_ERR_TOO_BIG, out);
	if (len < total)
		return FIX_FRAME_NEED_MORE;
	const char *t = buf + body_start + body;
	if (t[-1] != FIX_SOH || t[0] != '1' || t[1] != '0' || t[2] != '=')
		return garbled(buf, len, FIX_ERR_BAD_BODY_LEN, out);
	if (!is_digit(t[3]) || !is_digit(t[4]) || !is_digit(t[5]) || t[6] != FIX_SOH) {
		out->err = FIX_ERR_BAD_CHECKSUM_FIELD;
		out->len = total;
		return FIX_FRAME_GARBLED;
	}
	uint32_t want = (uint32_t)(t[3] - '0') * 100 + (uint32_t)(t[4] - '0') * 10 + (uint32_t)(t[5] - '0');
	if (want != fix_checksum(buf, (size_t)(t - buf))) {
		out->err = FIX_ERR_BAD_CHECKSUM;
		out->len = total;
		return FIX_FRAME_GARBLED;
	}
	out->len = total;
	out->body_len = (uint32_t)body;
	return FIX_FRAME_MSG;
}

/* ---- parsing ------------------------------------------------------------ */

int fix_parse(struct fix_msg *m, const char *buf, size_t len, enum fix_err *err)
{
	enum fix_err e = FIX_OK;
	const char *p = buf, *end = buf + len;
	unsigned n = 0;

	m->buf = buf;
	m->len = (uint32_t)len;
	m->nfields = 0;
	m->msgtype = NULL;
	m->msgtype_len = 0;
	m->err_tag = 0;
	if (len == 0 || len > UINT32_MAX) {
		e = FIX_ERR_BAD_BEGIN;
		goto fail;
	}
	while (p < end) {
		if (n == FIX_MAX_FIELDS) {
			e = FIX_ERR_TOO_MANY_FIELDS;
			goto fail;
		}
		/* tag: [1-9][0-9]{0,9} */
		if (*p < '1' || *p > '9') {
			e = FIX_ERR_BAD_TAG;
			goto fail;
		}
		uint64_t tag = 0;
		const char *t0 = p;
		while (p < end && is_digit(*p) && p - t0 < 11) {
			tag = tag * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (p >= end || *p != '=') {
			e = (p < end && *p == FIX_SOH) ? FIX_ERR_NO_EQUALS : FIX_ERR_BAD_TAG;
			goto fail;
		}
		if (tag > FIX_MAX_TAG) {
			e = FIX_ERR_BAD_TAG;
			goto fail;
		}
		p++;
		const char *v = p;
		while (p < end && *p != FIX_SOH)
			p++;
		if (p >= end) {
			m->err_tag = (uint32_t)tag;
			e = FIX_ERR_NO_EQUALS;
			goto fail;
		}
		if (p == v) {
			m->err_tag = (uint32_t)tag;
			e = FIX_ERR_EMPTY_VALUE;
			goto fail;
		}
		m->f[n].tag = (uint32_t)tag;
		m->f[n].len = (uint32_t)(p - v);
		m->f[n].val = v;
		n++;
		p++;
	}
	m->nfields = (uint16_t)n;
	if (n < 4 || m->f[0].tag != 8 || m->f[1].tag != 9) {
		e = FIX_ERR_BAD_BEGIN;
		goto fail;
	}
	if (m->f[2].tag != 35 || m->f[2].len > 8) {
		m->err_tag = 35;
		e = FIX_ERR_MSGTYPE_NOT_THIRD;
		goto fail;
	}
	if (m->f[n - 1].tag != 10) {
		m->err_tag = 10;
		e = FIX_ERR_BAD_CHECKSUM_FIELD;
		goto fail;
	}
	m->msgtype = m->f[2].val;
	m->msgtype_len = (uint16_t)m->f[2].len;
	if (err)
		*err = FIX_OK;
	return 0;
fail:
	m->nfields = (uint16_t)n;
	if (err)
		*err = e;
	return -EBADMSG;
}

int fix_msg_find_from(const struct fix_msg *m, uint32_t tag, unsigned from)
{
	for (unsigned i = from; i < m->nfields; i++)
		if (m->f[i].tag == tag)
			return (int)i;
	return -1;
}

const struct fix_field *fix_msg_get(const struct fix_msg *m, uint32_t tag)
{
	int i = fix_msg_find_from(m, tag, 0);
	return i < 0 ? NULL : &m->f[i];
}

bool fix_msg_is(const struct fix_msg *m, const char *t)
{
	size_t n = strlen(t);
	return n == m->msgtype_len && memcmp(m->msgtype, t, n) == 0;
}

/* ---- value parsers ------------------------------------------------------ */

int fix_parse_uint(const char *p, size_t len, uint64_t *out)
{
	if (len == 0 || len > 20)
		return -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)(p[i] - '0');
		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int fix_parse_int(const char *p, size_t len, int64_t *out)
{
	bool neg = len > 0 && p[0] == '-';
	uint64_t u;
	int rc = fix_parse_uint(p + neg, len - neg, &u);
	if (rc)
		return rc;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*out = (int64_t)(0 - u);
	} else {
		if (u > (uint64_t)INT64_MAX)
			return -ERANGE;
		*out = (int64_t)u;
	}
	return 0;
}

bool fix_is_decimal(const char *p, size_t len)
{
	size_t i = 0, digits = 0;
	if (len && p[0] == '-')
		i++;
	while (i < len && is_digit(p[i])) {
		i++;
		digits++;
	}
	if (i < len && p[i] == '.') {
		i++;
		while (i < len && is_digit(p[i])) {
			i++;
			digits++;
		}
	}
	return i == len && digits > 0;
}

int fix_parse_price(const char *p, size_t len, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (len && p[0] == '-') {
		neg = true;
		i = 1;
	}
	uint64_t ip = 0;
	size_t idig = 0;
	for (; i < len && is_digit(p[i]); i++, idig++) {
		if (idig >= 11)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(p[i] - '0');
	}
	uint64_t fp = 0;
	size_t fdig = 0;
	if (i < len && p[i] == '.') {
		i++;
		for (; i < len && is_digit(p[i]); i++, fdig++) {
			if (fdig < 8)
				fp = fp * 10 + (uint64_t)(p[i] - '0');
			else if (p[i] != '0')
				return -ERANGE; /* would lose precision */
		}
	}
	if (i != len || idig + fdig == 0)
		return -EINVAL;
	static const uint64_t pow10[9] = { 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1 };
	if (fdig < 8)
		fp *= pow10[fdig];
	if (ip > (uint64_t)INT64_MAX / (uint64_t)ORION_PX_SCALE)
		return -ERANGE;
	uint64_t v = ip * (uint64_t)ORION_PX_SCALE + fp;
	if (v > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int fix_parse_qty(const char *p, size_t len, int64_t *out)
{
	size_t n = 0;
	while (n < len && p[n] != '.')
		n++;
	if (n < len) {
		if (n + 1 == len && n == 0)
			return -EINVAL;
		for (size_t i = n + 1; i < len; i++) {
			if (!is_digit(p[i]))
				return -EINVAL;
			if (p[i] != '0')
				return -ERANGE; /* fractional quantity */
		}
	}
	uint64_t u;
	int rc = fix_parse_uint(p, n, &u);
	if (rc)
		return rc;
	if (u > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = (int64_t)u;
	return 0;
}

int fix_parse_bool(const char *p, size_t len, bool *out)
{
	if (len != 1 || (p[0] != 'Y' && p[0] != 'N'))
		return -EINVAL;
	*out = p[0] == 'Y';
	return 0;
}

static inline unsigned dig2(const char *p)
{
	return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return false;
	return true;
}

static inline bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days before the first of each month in a common year. */
static const uint16_t g_cum_days[13] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 };

/* Leap years in [1, y). */
static inline int64_t leaps_before(int64_t y)
{
	y -= 1;
	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to the first of January of year y (y >= 1970). */
static inline int64_t days_to_year(int64_t y)
{
	return (y - 1970) * 365 + leaps_before(y) - leaps_before(1970);
}

static int parse_ymd(const char *p, int64_t *days)
{
	if (!all_digits(p, 8))
		return -EINVAL;
	unsigned y = dig2(p) * 100 + dig2(p + 2), mo = dig2(p + 4), d = dig2(p + 6);
	if (y < 1970 || y > 2262 || mo < 1 || mo > 12 || d < 1)
		return -EINVAL;
	unsigned mdays = (unsigned)(g_cum_days[mo] - g_cum_days[mo - 1]) + (mo == 2 && is_leap(y));
	if (d > mdays)
		return -EINVAL;
	*days = days_to_year(y) + g_cum_days[mo - 1] + (mo > 2 && is_leap(y)) + (d - 1);
	return 0;
}

int fix_parse_date(const char *p, size_t len, int64_t *out_days)
{
	if (len != 8)
		return -EINVAL;
	return parse_ymd(p, out_days);
}

int fix_parse_timestamp(const char *p, size_t len, uint64_t *out_ns)
{
	/* YYYYMMDD-HH:MM:SS */
	if (len < 17 || p[8] != '-' || p[11] != ':' || p[14] != ':')
		return -EINVAL;
	int64_t days;
	if (parse_ymd(p, &days))
		return -EINVAL;
	if (!is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[12]) || !is_digit(p[13]) ||
	    !is_digit(p[15]) || !is_digit(p[16]))
		return -EINVAL;
	unsigned hh = dig2(p + 9), mm = dig2(p + 12), ss = dig2(p + 15);
	if (hh > 23 || mm > 59 || ss > 60)
		return -EINVAL;
	uint64_t frac = 0;
	if (len > 17) {
		size_t nd = len - 18;
		if (p[17] != '.' || nd == 0 || nd > 9 || !all_digits(p + 18, nd))
			return -EINVAL;
		for (size_t i = 0; i < 9; i++)
			frac = frac * 10 + (i < nd ? (uint64_t)(p[18 + i] - '0') : 0);
	}
	uint64_t secs = (uint64_t)days * 86400u + hh * 3600u + mm * 60u + ss;
	if (secs > UINT64_MAX / 1000000000u - 1)
		return -ERANGE;
	*out_ns = secs * 1000000000u + frac;
	return 0;
}

/* ---- formatters ---------------------------------------------------------- */

static const char g_digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static inline void put2(char *d, unsigned v)
{
	memcpy(d, g_digit_pairs + 2 * v, 2);
}

/* Write exactly n digits of v (zero padded). */
static inline void put_fixed(char *d, uint64_t v, unsigned n)
{
	while (n >= 2) {
		n -= 2;
		put2(d + n, (unsigned)(v % 100));
		v /= 100;
	}
	if (n)
		d[0] = (char)('0' + v % 10);
}

static inline unsigned count_digits(uint64_t v)
{
	unsigned n = 1;
	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

size_t fix_fmt_uint(char *dst, uint64_t v)
{
	unsigned n = count_digits(v);
	char *p = dst + n;
	while (v >= 100) {
		p -= 2;
		put2(p, (unsigned)(v % 100));
		v /= 100;
	}
	if (v >= 10)
		put2(p - 2, (unsigned)v);
	else
		p[-1] = (char)('0' + v);
	return n;
}

size_t fix_fmt_int(char *dst, int64_t v)
{
	if (v < 0) {
		dst[0] = '-';
		return 1 + fix_fmt_uint(dst + 1, 0 - (uint64_t)v);
	}
	return fix_fmt_uint(dst, (uint64_t)v);
}

size_t fix_fmt_price(char *dst, int64_t px)
{
	size_t n = 0;
	uint64_t u = (uint64_t)px;
	if (px < 0) {
		dst[n++] = '-';
		u = 0 - u;
	}
	uint64_t ip = u / (uint64_t)ORION_PX_SCALE, fp = u % (uint64_t)ORION_PX_SCALE;
	n += fix_fmt_uint(dst + n, ip);
	if (fp) {
		unsigned nd = 8;
		while (fp % 10 == 0) {
			fp /= 10;
			nd--;
		}
		dst[n++] = '.';
		put_fixed(dst + n, fp, nd);
		n += nd;
	}
	return n;
}

size_t fix_fmt_timestamp(char *dst, uint64_t ns, unsigned digits)
{
	if (digits != 0 && digits != 6 && digits != 9)
		digits = 3;
	uint64_t secs = ns / 1000000000u, frac = ns % 1000000000u;
	int64_t days = (int64_t)(secs / 86400u);
	unsigned sod = (unsigned)(secs % 86400u);
	int64_t y = 1970 + days / 366;
	while (days_to_year(y + 1) <= days)
		y++;
	unsigned doy = (unsigned)(days - days_to_year(y));
	bool leap = is_leap((unsigned)y);
	unsigned mo = 1;
	while (mo < 12 && doy >= (unsigned)g_cum_days[mo] + (leap && mo >= 2))
		mo++;
	unsigned d = doy - g_cum_days[mo - 1] - (leap && mo > 2) + 1;
	put_fixed(dst, (uint64_t)y, 4);
	put2(dst + 4, mo);
	put2(dst + 6, d);
	dst[8] = '-';
	put2(dst + 9, sod / 3600);
	dst[11] = ':';
	put2(dst + 12, sod / 60 % 60);
	dst[14] = ':';
	put2(dst + 15, sod % 60);
	if (!digits)
		return 17;
	dst[17] = '.';
	static const uint32_t div[10] = { 1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1 };
	put_fixed(dst + 18, frac / div[digits], digits);
	return 18 + digits;
}

size_t fix_fmt_timestamp_cached(struct fix_ts_cache *c, char *dst, uint64_t ns, unsigned digits)
{
	uint64_t sec = ns / 1000000000u;
	if (c->sec != sec) {
		char tmp[32];
		fix_fmt_timestamp(tmp, sec * 1000000000u, 0);
		memcpy(c->txt, tmp, 17);
		c->sec = sec;
	}
	if (digits != 0 && digits != 6 && digits != 9)
		digits = 3;
	memcpy(dst, c->txt, 17);
	if (!digits)
		return 17;
	static const uint32_t div[10] = { 1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1 };
	dst[17] = '.';
	put_fixed(dst + 18, (ns % 1000000000u) / div[digits], digits);
	return 18 + digits;
}

/* ---- repeating groups ---------------------------------------------------- */

static bool is_member(uint32_t tag, uint32_t delim, const uint32_t *members, unsigned n)
{
	if (tag == delim)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (members[i] == tag)
			return true;
	return false;
}

int fix_group_open(const struct fix_msg *m, unsigned count_idx, uint32_t delim,
		   const uint32_t *members, unsigned n_members, struct fix_group *g,
		   uint32_t *bad_tag)
{
	uint64_t cnt;
	if (count_idx >= m->nfields)
		return -EINVAL;
	const struct fix_field *cf = &m->f[count_idx];
	if (fix_parse_uint(cf->val, cf->len, &cnt) || cnt > FIX_MAX_GROUP_ENTRIES)
		return -EINVAL;
	g->count = (uint32_t)cnt;
	unsigned i = count_idx + 1, found = 0;
	/* the trailer (10) is never a member */
	unsigned last = m->nfields ? m->nfields - 1u : 0;
	if (cnt > 0 && i < last && m->f[i].tag != delim &&
	    is_member(m->f[i].tag, delim, members, n_members)) {
		if (bad_tag)
			*bad_tag = m->f[i].tag;
		return -EPROTO;
	}
	while (i < last && is_member(m->f[i].tag, delim, members, n_members)) {
		if (m->f[i].tag == delim) {
			if (found == FIX_MAX_GROUP_ENTRIES || found == cnt) {
				if (bad_tag)
					*bad_tag = cf->tag;
				return -ERANGE;
			}
			g->first[found++] = (uint16_t)i;
		}
		i++;
	}
	g->end = (uint16_t)i;
	if (found != cnt) {
		if (bad_tag)
			*bad_tag = cf->tag;
		return -ERANGE;
	}
	return 0;
}

int fix_group_find(const struct fix_msg *m, const struct fix_group *g, unsigned i, uint32_t tag)
{
	if (i >= g->count)
		return -1;
	unsigned b = g->first[i], e = i + 1 < g->count ? g->first[i + 1] : g->end;
	for (unsigned k = b; k < e; k++)
		if (m->f[k].tag == tag)
			return (int)k;
	return -1;
}

/* ---- builder ------------------------------------------------------------- */

static inline bool room(struct fix_builder *b, size_t n)
{
	if (b->err)
		return false;
	if (b->pos + n + 7 > b->cap) { /* keep room for the trailer */
		b->err = -ENOSPC;
		return false;
	}
	return true;
}

static inline void put_tag(struct fix_builder *b, uint32_t tag)
{
	b->pos += fix_fmt_uint(b->buf + b->pos, tag);
	b->buf[b->pos++] = '=';
}

void fix_build_begin(struct fix_builder *b, char *buf, size_t cap, const char *begin_string,
		     const char *msgtype)
{
	b->buf = buf;
	b->cap = cap;
	b->pos = FIX_BUILDER_HDR_RESERVE;
	b->begin = begin_string;
	b->err = 0;
	b->ts_cache = NULL;
	size_t bl = strnlen(begin_string, FIX_MAX_BEGIN_STRING + 1);
	b->begin_len = (uint8_t)bl;
	if (bl == 0 || bl > FIX_MAX_BEGIN_STRING || cap >= 10000000) {
		b->err = -EINVAL;
		return;
	}
	if (cap < FIX_BUILDER_HDR_RESERVE) {
		b->err = -ENOSPC;
		return;
	}
	size_t tl = strnlen(msgtype, 9);
	if (tl == 0 || tl > 8) {
		b->err = -EINVAL;
		return;
	}
	fix_build_str(b, 35, msgtype, tl);
}

void fix_build_str(struct fix_builder *b, uint32_t tag, const char *v, size_t len)
{
	if (!room(b, 12 + len))
		return;
	if (len == 0 || memchr(v, FIX_SOH, len)) {
		b->err = -EINVAL;
		return;
	}
	put_tag(b, tag);
	memcpy(b->buf + b->pos, v, len);
	b->pos += len;
	b->buf[b->pos++] = FIX_SOH;
}

void fix_build_cstr(struct fix_builder *b, uint32_t tag, const char *v)
{
	fix_build_str(b, tag, v, strlen(v));
}

void fix_build_char(struct fix_builder *b, uint32_t tag, char c)
{
	fix_build_str(b, tag, &c, 1);
}

void fix_build_int(struct fix_builder *b, uint32_t tag, int64_t v)
{
	if (!room(b, 12 + 21))
		return;
	put_tag(b, tag);
	b->pos += fix_fmt_int(b->buf + b->pos, v);
	b->buf[b->pos++] = FIX_SOH;
}

void fix_build_uint(struct fix_builder *b, uint32_t tag, uint64_t v)
{
	if (!room(b, 12 + 21))
		return;
	put_tag(b, tag);
	b->pos += fix_fmt_uint(b->buf + b->pos, v);
	b->buf[b->pos++] = FIX_SOH;
}

void fix_build_price(struct fix_builder *b, uint32_t tag, int64_t px)
{
	if (!room(b, 12 + 32))
		return;
	put_tag(b, tag);
	b->pos += fix_fmt_price(b->buf + b->pos, px);
	b->buf[b->pos++] = FIX_SOH;
}

void fix_build_bool(struct fix_builder *b, uint32_t tag, bool v)
{
	fix_build_char(b, tag, v ? 'Y' : 'N');
}

void fix_build_timestamp(struct fix_builder *b, uint32_t tag, uint64_t ns, unsigned digits)
{
	if (!room(b, 12 + 28))
		return;
	put_tag(b, tag);
	if (b->ts_cache)
		b->pos += fix_fmt_timestamp_cached(b->ts_cache, b->buf + b->pos, ns, digits);
	else
		b->pos += fix_fmt_timestamp(b->buf + b->pos, ns, digits);
	b->buf[b->pos++] = FIX_SOH;
}

int fix_build_finish(struct fix_builder *b, const char **out)
{
	if (b->err)
		return b->err;
	if (b->pos + 7 > b->cap)
		return b->err = -ENOSPC;
	size_t body = b->pos - FIX_BUILDER_HDR_RESERVE;
	char lenbuf[20];
	size_t ll = fix_fmt_uint(lenbuf, body);
	size_t hl = 2 + b->begin_len + 1 + 2 + ll + 1;
	char *h = b->buf + FIX_BUILDER_HDR_RESERVE - hl;
	memcpy(h, "8=", 2);
	memcpy(h + 2, b->begin, b->begin_len);
	h[2 + b->begin_len] = FIX_SOH;
	memcpy(h + 3 + b->begin_len, "9=", 2);
	memcpy(h + 5 + b->begin_len, lenbuf, ll);
	h[5 + b->begin_len + ll] = FIX_SOH;
	uint32_t cs = fix_checksum(h, (size_t)(b->buf + b->pos - h));
	char *t = b->buf + b->pos;
	memcpy(t, "10=", 3);
	t[3] = (char)('0' + cs / 100);
	t[4] = (char)('0' + cs / 10 % 10);
	t[5] = (char)('0' + cs % 10);
	t[6] = FIX_SOH;
	b->pos += 7;
	*out = h;
	return (int)(b->buf + b->pos - h);
}
