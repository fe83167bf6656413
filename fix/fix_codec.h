/* FIX tag=value codec: framing, zero-copy parsing, value parsers/formatters and
 * a builder that serializes into a caller buffer.
 *
 * Pure C: byte spans in, views and bytes out. No allocation, no I/O, no stdio.
 * Every function may be called from any thread; all state lives in the
 * caller's structs (a struct fix_msg or fix_builder is used by one thread at a
 * time).
 *
 * Wire form: 8=FIX.4.4<SOH>9=<len><SOH>35=...<SOH>...10=ccc<SOH>
 *   BodyLength (9) counts the bytes after the SOH that ends field 9 up to and
 *   including the SOH before "10=". CheckSum (10) is the sum of every byte
 *   before "10=" modulo 256, written as three digits.
 *
 * Prices are signed fixed-point integers with ORION_PX_SCALE (1e-8) units per
 * currency unit (common/orion_tick.h); floating point is never used.
 * Timestamps are nanoseconds since the Unix epoch (UTC).
 */
#ifndef ORION_FIX_CODEC_H
#define ORION_FIX_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/orion_tick.h"

#define FIX_SOH '\001'
/* Most fields one parsed message may hold (header + body + trailer). */
#define FIX_MAX_FIELDS 192
/* Longest BeginString value accepted by the framer. */
#define FIX_MAX_BEGIN_STRING 16
/* Largest tag number the parser accepts (FIX tags are positive int32). */
#define FIX_MAX_TAG 2147483647u

/* Why bytes were rejected by fix_frame()/fix_parse() or a value parser.
 * Indexes per-reason counter arrays; keep fix_err_name() in step. */
enum fix_err {
	FIX_OK = 0,
	FIX_ERR_BAD_BEGIN,        /* stream does not start with 8=<value><SOH> */
	FIX_ERR_BAD_BODY_LEN_FIELD, /* field 2 is not 9=<digits><SOH> */
	FIX_ERR_TOO_BIG,          /* message larger than the allowed maximum */
	FIX_ERR_BAD_BODY_LEN,     /* "10=" not where BodyLength says */
	FIX_ERR_BAD_CHECKSUM_FIELD, /* trailer is not 10=ddd<SOH> */
	FIX_ERR_BAD_CHECKSUM,     /* checksum value does not match */
	FIX_ERR_MSGTYPE_NOT_THIRD,/* 35 is not the third field */
	FIX_ERR_BAD_TAG,          /* tag not digits, zero, leading zero or too big */
	FIX_ERR_NO_EQUALS,        /* field without '=' before SOH */
	FIX_ERR_EMPTY_VALUE,      /* tag=<SOH> */
	FIX_ERR_TOO_MANY_FIELDS,  /* more than FIX_MAX_FIELDS */
	FIX_ERR_BAD_VALUE,        /* value does not match the requested type */
	FIX_ERR_OVERFLOW,         /* numeric value out of range */
	FIX_ERR__COUNT
};

/* Stable short name of an error (for logs and metrics); never NULL. */
const char *fix_err_name(enum fix_err e);

/* ---- framing ------------------------------------------------------------ */

enum fix_frame_rc {
	FIX_FRAME_MSG = 0,   /* a complete, checksum-valid message: out->len bytes */
	FIX_FRAME_NEED_MORE, /* buffer holds a prefix of a message; read more */
	FIX_FRAME_GARBLED,   /* drop out->len bytes (> 0), reason in out->err */
};

struct fix_frame {
	size_t len;          /* message length, or bytes to skip when garbled */
	enum fix_err err;    /* FIX_OK, or why the bytes were garbled */
	uint32_t body_len;   /* BodyLength value (FIX_FRAME_MSG only) */
};

/* Find one message at the start of buf[0..len).
 * max_msg: largest message accepted (whole message, 8= to trailing SOH);
 * a message that would be longer is garbled (skipped up to the next "8=").
 * Validates BeginString presence, BodyLength position and CheckSum.
 * Garbled input is skipped up to the next "<SOH>8=" (or the whole buffer when
 * none), so the caller makes progress by dropping out->len bytes.
 * Returns enum fix_frame_rc. Never reads outside buf[0..len). */
enum fix_frame_rc fix_frame(const char *buf, size_t len, size_t max_msg, struct fix_frame *out);

/* Checksum of n bytes (sum mod 256). */
uint32_t fix_checksum(const char *p, size_t n);

/* ---- parsing ------------------------------------------------------------ */

/* A field view: val points into the caller's buffer (not NUL-terminated). */
struct fix_field {
	uint32_t tag;
	uint32_t len;
	const char *val;
};

/* A parsed message: views into the buffer given to fix_parse(), valid as
 * long as that buffer is. f[0] is 8, f[1] is 9, f[2] is 35, f[nfields-1]
 * is 10 (guaranteed by a successful fix_parse()). */
struct fix_msg {
	const char *buf;      /* start of the message (the '8') */
	uint32_t len;         /* whole message length */
	uint16_t nfields;
	uint16_t msgtype_len; /* 1 or 2 for FIX 4.4 types, up to 8 accepted */
	const char *msgtype;  /* view of the 35 value */
	uint32_t err_tag;     /* tag at fault when fix_parse() fails (0 unknown) */
	struct fix_field f[FIX_MAX_FIELDS];
};

/* Split a framed message (as returned by fix_frame) into fields.
 * Checks: every field is <digits>=<value><SOH> with a positive tag without
 * leading zeros, non-empty values, 8/9/35 first in that order, 10 last,
 * at most FIX_MAX_FIELDS fields. Does not re-check BodyLength/CheckSum.
 * Returns 0, or -EBADMSG with m->err_tag set and *err (may be NULL) the
 * reason. O(len), no allocation. */
int fix_parse(struct fix_msg *m, const char *buf, size_t len, enum fix_err *err);

/* Index of the first field with this tag at or after index 'from', or -1. */
int fix_msg_find_from(const struct fix_msg *m, uint32_t tag, unsigned from);
static inline int fix_msg_find(const struct fix_msg *m, uint32_t tag)
{
	return fix_msg_find_from(m, tag, 0);
}
/* Pointer to the first field with this tag, or NULL. */
const struct fix_field *fix_msg_get(const struct fix_msg *m, uint32_t tag);

/* True when the message type equals the NUL-terminated string t. */
bool fix_msg_is(const struct fix_msg *m, const char *t);

/* ---- value parsers: 0, or -EINVAL (format) / -ERANGE (overflow) ---------- */

/* Unsigned decimal, 1..19 digits, no sign. */
int fix_parse_uint(const char *p, size_t len, uint64_t *out);
/* Signed decimal: optional '-', 1..19 digits. */
int fix_parse_int(const char *p, size_t len, int64_t *out);
/* Decimal to fixed point at ORION_PX_SCALE: [-]digits[.digits]. Fractional
 * digits beyond 8 are accepted only when they are zeros (no silent rounding).
 * Range: |value| < 92233720368. */
int fix_parse_price(const char *p, size_t len, int64_t *out);
/* Quantity in whole units: digits, optionally ".0...0". Negative refused. */
int fix_parse_qty(const char *p, size_t len, int64_t *out);
/* Any FIX decimal ("float" types): [-]digits[.digits] or [-].digits. */
bool fix_is_decimal(const char *p, size_t len);
/* Boolean: Y or N. */
int fix_parse_bool(const char *p, size_t len, bool *out);
/* UTCTimestamp YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss] to epoch ns.
 * Seconds may be 60 (leap second; counted as :59 + 1 s). Years 1970..2262. */
int fix_parse_timestamp(const char *p, size_t len, uint64_t *out_ns);
/* LocalMktDate / UTCDateOnly YYYYMMDD, validated, returned as days since
 * 1970-01-01. */
int fix_parse_date(const char *p, size_t len, int64_t *out_days);

/* ---- value formatters: return bytes written (no NUL) ---------------------- */

/* Writes 17 (digits 0), 21, 24 or 27 bytes; digits must be 0, 3, 6 or 9
 * (anything else is treated as 3). dst must hold 27 bytes. */
size_t fix_fmt_timestamp(char *dst, uint64_t ns, unsigned digits);
/* Price at ORION_PX_SCALE, shortest form ("101.25", "-0.5", "7"); dst must
 * hold 32 bytes. */
size_t fix_fmt_price(char *dst, int64_t px);
/* Signed integer; dst must hold 20 bytes. */
size_t fix_fmt_int(char *dst, int64_t v);
/* Unsigned integer; dst must hold 20 bytes. */
size_t fix_fmt_uint(char *dst, uint64_t v);

/* ---- repeating groups ---------------------------------------------------- */

/* A repeating group found in a parsed message: 'count' entries; entry i spans
 * fields [first[i], first[i+1]) (the last one ends at 'end'). */
#define FIX_MAX_GROUP_ENTRIES 64
struct fix_group {
	uint32_t count;
	uint16_t end;                          /* one past the last field of the group */
	uint16_t first[FIX_MAX_GROUP_ENTRIES]; /* index of each entry's delimiter field */
};

/* Open the group whose NumInGroup field is at index count_idx of m.
 * delim: first tag of every entry; members[n_members]: the tags an entry may
 * hold (delim included or not; nested groups' tags must be listed too).
 * The group ends at the first field that is not a member.
 * Returns 0; -EINVAL bad count value or count > FIX_MAX_GROUP_ENTRIES;
 * -EPROTO an entry does not start with delim (*bad_tag set: SessionRejectReason
 * 15); -ERANGE count differs from the entries found (reason 16).
 * bad_tag may be NULL. */
int fix_group_open(const struct fix_msg *m, unsigned count_idx, uint32_t delim,
		   const uint32_t *members, unsigned n_members, struct fix_group *g,
		   uint32_t *bad_tag);

/* Index of 'tag' inside entry i of g, or -1. */
int fix_group_find(const struct fix_msg *m, const struct fix_group *g, unsigned i, uint32_t tag);

/* ---- builder ------------------------------------------------------------- */

/* Optional cache of the formatted "YYYYMMDD-HH:MM:SS" of the last whole
 * second, for writers that stamp many messages per second. Zero it (or use
 * FIX_TS_CACHE_INIT) before first use; one writer thread per cache. */
struct fix_ts_cache {
	uint64_t sec;  /* epoch second of txt, UINT64_MAX = empty */
	char txt[17];
};
#define FIX_TS_CACHE_INIT { UINT64_MAX, { 0 } }

/* fix_fmt_timestamp() through a cache (same output). */
size_t fix_fmt_timestamp_cached(struct fix_ts_cache *c, char *dst, uint64_t ns, unsigned digits);

/* Room reserved before the body for "8=<begin>\x019=<len>\x01". */
#define FIX_BUILDER_HDR_RESERVE 40

/* Serializes one message into a caller buffer. The body is written from
 * buf + FIX_BUILDER_HDR_RESERVE; fix_build_finish() writes 8= and 9= right in
 * front of it and appends 10=, so the message starts at *out (inside buf)
 * without any memmove. Errors are sticky: the first failing add sets err and
 * later calls do nothing; fix_build_finish() reports it. */
struct fix_builder {
	char *buf;
	size_t cap;
	size_t pos;            /* next write offset */
	const char *begin;     /* BeginString value (not copied; must outlive finish) */
	uint8_t begin_len;
	int err;               /* 0 or -ENOSPC / -EINVAL */
	struct fix_ts_cache *ts_cache; /* NULL after fix_build_begin(); may be set */
};

/* Start a message of type msgtype (NUL-terminated, 1..8 chars).
 * begin_string: e.g. "FIX.4.4" (<= FIX_MAX_BEGIN_STRING chars, not copied). */
void fix_build_begin(struct fix_builder *b, char *buf, size_t cap, const char *begin_string,
		     const char *msgtype);
void fix_build_str(struct fix_builder *b, uint32_t tag, const char *v, size_t len);
/* NUL-terminated value. */
void fix_build_cstr(struct fix_builder *b, uint32_t tag, const char *v);
void fix_build_char(struct fix_builder *b, uint32_t tag, char c);
void fix_build_int(struct fix_builder *b, uint32_t tag, int64_t v);
void fix_build_uint(struct fix_builder *b, uint32_t tag, uint64_t v);
void fix_build_price(struct fix_builder *b, uint32_t tag, int64_t px);
void fix_build_bool(struct fix_builder *b, uint32_t tag, bool v);
/* digits: 0, 3 (default), 6 or 9 fractional digits. */
void fix_build_timestamp(struct fix_builder *b, uint32_t tag, uint64_t ns, unsigned digits);
/* Finish: writes 8, 9 in front and 10 at the end. Returns the message length
 * (> 0) with *out pointing at its first byte inside buf, or the sticky error
 * (-ENOSPC buffer too small, -EINVAL bad value such as an SOH inside a value). */
int fix_build_finish(struct fix_builder *b, const char **out);

#endif
