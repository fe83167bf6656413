/* INI configuration files (libinih underneath) with line numbers, so that every
 * error names file, line and key. Start-up only: allocates, uses stdio.
 *
 * A file is read whole into a list of entries in file order. Sections may
 * carry a name: "[feed nasdaq]" has kind "feed" and name "nasdaq". Callers walk
 * the entries, validate each key with the typed getters below and reject any
 * key they do not know with orion_ini_unknown(); the first error is kept in
 * ini->err and every getter after it returns -EINVAL.
 */
#ifndef ORION_COMMON_INI_H
#define ORION_COMMON_INI_H

#include <stddef.h>
#include <stdint.h>

struct orion_ini_entry {
	char *kind;    /* section kind: "feed" in "[feed nasdaq]" */
	char *name;    /* section name: "nasdaq", or "" */
	char *key;
	char *value;
	unsigned line;
};

struct orion_ini {
	char path[256];
	struct orion_ini_entry *e;
	size_t n, cap;
	char err[1024];  /* first error: "FILE:LINE: key 'K' in [S]: reason" */
};

/* Parse path. Returns 0, -ENOENT/-EACCES when unreadable, -EINVAL on a syntax
 * error (ini->err says where). Free with orion_ini_free() in every case. */
int orion_ini_load(struct orion_ini *ini, const char *path);
/* Same from a string (tests); label stands in for the file name. */
int orion_ini_load_string(struct orion_ini *ini, const char *label, const char *text);
void orion_ini_free(struct orion_ini *ini);

/* Record an error for entry e (keeps the first). Returns -EINVAL. */
int orion_ini_fail(struct orion_ini *ini, const struct orion_ini_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "unknown key" error. Returns -EINVAL. */
int orion_ini_unknown(struct orion_ini *ini, const struct orion_ini_entry *e);

/* Typed getters: parse e->value, check range, store in *out. Return 0 or -EINVAL
 * (error recorded). Integers accept decimal and 0x hex; sizes accept K/M/G
 * suffixes (powers of 1024); durations accept ns/us/ms/s suffixes (default unit
 * given by the caller, result in ns); booleans accept true/false/yes/no/on/off/1/0
 * (and Y/N, as in QuickFIX files). */
int orion_ini_u64(struct orion_ini *ini, const struct orion_ini_entry *e, uint64_t min, uint64_t max, uint64_t *out);
int orion_ini_u32(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t min, uint32_t max, uint32_t *out);
int orion_ini_size(struct orion_ini *ini, const struct orion_ini_entry *e, uint64_t min, uint64_t max, uint64_t *out);
int orion_ini_duration_ns(struct orion_ini *ini, const struct orion_ini_entry *e, const char *default_unit,
			  uint64_t min_ns, uint64_t max_ns, uint64_t *out);
int orion_ini_bool(struct orion_ini *ini, const struct orion_ini_entry *e, int *out);
/* Copy a string of 1..cap-1 bytes. */
int orion_ini_str(struct orion_ini *ini, const struct orion_ini_entry *e, char *out, size_t cap);
/* One of the NULL-terminated choices; *out = its index. */
int orion_ini_enum(struct orion_ini *ini, const struct orion_ini_entry *e, const char *const *choices, int *out);
/* Non-negative decimal ("150", "0.01") to fixed point with 10^digits units
 * per 1 (digits <= 9); more fractional digits than that are an error, never
 * rounded. Range-checked in fixed-point units. */
int orion_ini_decimal(struct orion_ini *ini, const struct orion_ini_entry *e, unsigned digits, int64_t min,
		      int64_t max, int64_t *out);
/* "a.b.c.d:port" (IPv4, network order out) */
int orion_ini_ipv4_port(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t *ip_be, uint16_t *port);
int orion_ini_ipv4(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t *ip_be);
/* "aa:bb:cc:dd:ee:ff" */
int orion_ini_mac(struct orion_ini *ini, const struct orion_ini_entry *e, uint8_t mac[6]);

#endif
