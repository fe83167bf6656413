/* INI loading with line numbers over libinih (Debian's libinih-dev): inih does
 * the lexing; we count lines through its stream reader so that every entry and
 * every error carries its line. */
#include "common/orion_ini.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	FILE *f;              /* file source, or */
	const char *s;        /* string source */
	unsigned line;
};

struct load_ctx {
	struct orion_ini *ini;
	struct reader *rd;
	int oom;
};

static char *reader_gets(char *buf, int size, void *stream)
{
	struct reader *r = stream;
	char *out;
	if (r->f) {
		out = fgets(buf, size, r->f);
	} else {
		if (*r->s == '\0')
			return NULL;
		int i = 0;
		while (i < size - 1 && r->s[0] != '\0') {
			buf[i++] = *r->s;
			if (*r->s++ == '\n')
				break;
		}
		buf[i] = '\0';
		out = buf;
	}
	if (out)
		r->line++;
	return out;
}

static void split_section(const char *section, char **kind, char **name)
{
	const char *sp = strchr(section, ' ');
	if (!sp) {
		*kind = strdup(section);
		*name = strdup("");
		return;
	}
	*kind = strndup(section, (size_t)(sp - section));
	while (*sp == ' ')
		sp++;
	*name = strdup(sp);
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct load_ctx *c = user;
	struct orion_ini *ini = c->ini;
	if (ini->n == ini->cap) {
		size_t ncap = ini->cap ? ini->cap * 2 : 64;
		void *p = realloc(ini->e, ncap * sizeof(*ini->e));
		if (!p) {
			c->oom = 1;
			return 0;
		}
		ini->e = p;
		ini->cap = ncap;
	}
	struct orion_ini_entry *e = &ini->e[ini->n];
	memset(e, 0, sizeof(*e));
	split_section(section, &e->kind, &e->name);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = c->rd->line;
	ini->n++;
	if (!e->kind || !e->name || !e->key || !e->value) {
		c->oom = 1;
		return 0;
	}
	return 1;
}

static int load(struct orion_ini *ini, const char *label, struct reader *rd)
{
	struct load_ctx c = { .ini = ini, .rd = rd };
	ini_allow_multiline = false; /* one entry, one line: keeps line numbers exact */
	snprintf(ini->path, sizeof(ini->path), "%s", label);
	int rc = ini_parse_stream(reader_gets, rd, on_entry, &c);
	if (c.oom)
		return -ENOMEM;
	if (rc > 0) {
		snprintf(ini->err, sizeof(ini->err), "%s:%d: syntax error (expected [section] or key = value)",
			 label, rc);
		return -EINVAL;
	}
	if (rc < 0) {
		snprintf(ini->err, sizeof(ini->err), "%s: cannot parse", label);
		return -EIO;
	}
	return 0;
}

int orion_ini_load(struct orion_ini *ini, const char *path)
{
	memset(ini, 0, sizeof(*ini));
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(ini->err, sizeof(ini->err), "%s: %s", path, strerror(e));
		return -e;
	}
	struct reader rd = { .f = f };
	int rc = load(ini, path, &rd);
	fclose(f);
	return rc;
}

int orion_ini_load_string(struct orion_ini *ini, const char *label, const char *text)
{
	memset(ini, 0, sizeof(*ini));
	struct reader rd = { .s = text };
	return load(ini, label, &rd);
}

void orion_ini_free(struct orion_ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->e[i].kind);
		free(ini->e[i].name);
		free(ini->e[i].key);
		free(ini->e[i].value);
	}
	free(ini->e);
	ini->e = NULL;
	ini->n = ini->cap = 0;
}

int orion_ini_fail(struct orion_ini *ini, const struct orion_ini_entry *e, const char *fmt, ...)
{
	if (ini->err[0] != '\0')
		return -EINVAL;
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (e)
		snprintf(ini->err, sizeof(ini->err), "%s:%u: key '%s' in [%s%s%s]: %s", ini->path, e->line,
			 e->key, e->kind, e->name[0] ? " " : "", e->name, why);
	else
		snprintf(ini->err, sizeof(ini->err), "%s: %s", ini->path, why);
	return -EINVAL;
}

int orion_ini_unknown(struct orion_ini *ini, const struct orion_ini_entry *e)
{
	return orion_ini_fail(ini, e, "unknown key");
}

static int parse_u64(const char *s, uint64_t *out, const char **end)
{
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	char *ep;
	unsigned long long v = strtoull(s, &ep, 0);
	if (errno)
		return -ERANGE;
	*out = v;
	*end = ep;
	return 0;
}

static int in_range(struct orion_ini *ini, const struct orion_ini_entry *e, uint64_t v, uint64_t min, uint64_t max)
{
	if (v < min || v > max)
		return orion_ini_fail(ini, e, "value %llu out of range [%llu, %llu]", (unsigned long long)v,
				      (unsigned long long)min, (unsigned long long)max);
	return 0;
}

int orion_ini_u64(struct orion_ini *ini, const struct orion_ini_entry *e, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	const char *end;
	if (parse_u64(e->value, &v, &end) || *end != '\0')
		return orion_ini_fail(ini, e, "'%s' is not an unsigned integer", e->value);
	if (in_range(ini, e, v, min, max))
		return -EINVAL;
	*out = v;
	return 0;
}

int orion_ini_u32(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc = orion_ini_u64(ini, e, min, max, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int orion_ini_size(struct orion_ini *ini, const struct orion_ini_entry *e, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v, mul = 1;
	const char *end;
	if (parse_u64(e->value, &v, &end))
		return orion_ini_fail(ini, e, "'%s' is not a size", e->value);
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mul = 1ull << 10; end++; break;
	case 'M': mul = 1ull << 20; end++; break;
	case 'G': mul = 1ull << 30; end++; break;
	default: return orion_ini_fail(ini, e, "'%s' is not a size (suffix K, M or G)", e->value);
	}
	if (*end != '\0' || (v && mul > UINT64_MAX / v))
		return orion_ini_fail(ini, e, "'%s' is not a size (suffix K, M or G)", e->value);
	v *= mul;
	if (in_range(ini, e, v, min, max))
		return -EINVAL;
	*out = v;
	return 0;
}

static uint64_t unit_ns(const char *u)
{
	if (!strcmp(u, "ns")) return 1;
	if (!strcmp(u, "us")) return 1000;
	if (!strcmp(u, "ms")) return 1000000;
	if (!strcmp(u, "s")) return 1000000000;
	return 0;
}

int orion_ini_duration_ns(struct orion_ini *ini, const struct orion_ini_entry *e, const char *default_unit,
			  uint64_t min_ns, uint64_t max_ns, uint64_t *out)
{
	uint64_t v;
	const char *end;
	if (parse_u64(e->value, &v, &end))
		return orion_ini_fail(ini, e, "'%s' is not a duration", e->value);
	uint64_t mul = unit_ns(*end ? end : default_unit);
	if (mul == 0)
		return orion_ini_fail(ini, e, "'%s' is not a duration (units ns, us, ms, s)", e->value);
	if (v && mul > UINT64_MAX / v)
		return orion_ini_fail(ini, e, "'%s' is too large", e->value);
	v *= mul;
	if (v < min_ns || v > max_ns)
		return orion_ini_fail(ini, e, "duration %s out of range [%lluns, %lluns]", e->value,
				      (unsigned long long)min_ns, (unsigned long long)max_ns);
	*out = v;
	return 0;
}

int orion_ini_bool(struct orion_ini *ini, const struct orion_ini_entry *e, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "y" };
	static const char *const no[] = { "false", "no", "off", "0", "n" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(e->value, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(e->value, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return orion_ini_fail(ini, e, "'%s' is not a boolean (true/false)", e->value);
}

int orion_ini_str(struct orion_ini *ini, const struct orion_ini_entry *e, char *out, size_t cap)
{
	size_t n = strlen(e->value);
	if (n == 0)
		return orion_ini_fail(ini, e, "empty value");
	if (n >= cap)
		return orion_ini_fail(ini, e, "value longer than %zu bytes", cap - 1);
	memcpy(out, e->value, n + 1);
	return 0;
}

int orion_ini_enum(struct orion_ini *ini, const struct orion_ini_entry *e, const char *const *choices, int *out)
{
	char list[256] = "";
	for (int i = 0; choices[i]; i++) {
		if (!strcmp(e->value, choices[i])) {
			*out = i;
			return 0;
		}
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", choices[i]);
	}
	return orion_ini_fail(ini, e, "'%s' is not one of: %s", e->value, list);
}

int orion_ini_decimal(struct orion_ini *ini, const struct orion_ini_entry *e, unsigned digits, int64_t min,
		      int64_t max, int64_t *out)
{
	const char *p = e->value;
	int64_t v = 0;
	unsigned frac = 0;
	int seen_dot = 0, any = 0;
	for (; *p; p++) {
		if (*p == '.' && !seen_dot) {
			seen_dot = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			return orion_ini_fail(ini, e, "'%s' is not a decimal number", e->value);
		if (seen_dot && ++frac > digits)
			return orion_ini_fail(ini, e, "'%s' has more than %u decimals", e->value, digits);
		if (v > (INT64_MAX - 9) / 10)
			return orion_ini_fail(ini, e, "'%s' is too large", e->value);
		v = v * 10 + (*p - '0');
		any = 1;
	}
	if (!any)
		return orion_ini_fail(ini, e, "'%s' is not a decimal number", e->value);
	for (; frac < digits; frac++) {
		if (v > INT64_MAX / 10)
			return orion_ini_fail(ini, e, "'%s' is too large", e->value);
		v *= 10;
	}
	if (v < min || v > max)
		return orion_ini_fail(ini, e, "'%s' out of range", e->value);
	*out = v;
	return 0;
}

int orion_ini_ipv4(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t *ip_be)
{
	struct in_addr a;
	if (inet_pton(AF_INET, e->value, &a) != 1)
		return orion_ini_fail(ini, e, "'%s' is not an IPv4 address", e->value);
	*ip_be = a.s_addr;
	return 0;
}

int orion_ini_ipv4_port(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t *ip_be, uint16_t *port)
{
	char host[64];
	const char *colon = strrchr(e->value, ':');
	if (!colon || (size_t)(colon - e->value) >= sizeof(host))
		return orion_ini_fail(ini, e, "'%s' is not IPv4:port", e->value);
	memcpy(host, e->value, (size_t)(colon - e->value));
	host[colon - e->value] = '\0';
	struct in_addr a;
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (inet_pton(AF_INET, host, &a) != 1 || *end != '\0' || colon[1] == '\0' || errno || p == 0 || p > 65535)
		return orion_ini_fail(ini, e, "'%s' is not IPv4:port", e->value);
	*ip_be = a.s_addr;
	*port = (uint16_t)p;
	return 0;
}

int orion_ini_mac(struct orion_ini *ini, const struct orion_ini_entry *e, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(e->value, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return orion_ini_fail(ini, e, "'%s' is not a MAC address", e->value);
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return orion_ini_fail(ini, e, "'%s' is not a MAC address", e->value);
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}
