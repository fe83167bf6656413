/* Prometheus text exposition, read side: the samples of one metric, summed or
 * one by one, and label values. Enough for `orionctl status`; the text comes
 * from the network, so every line is bounded by len and malformed lines are
 * skipped. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/journal/ctl.h"

/* The end of the label block starting after '{' at p (the '}' position), or
 * NULL when the line ends first. Quoted values may hold '}' and escapes. */
static const char *labels_end(const char *p, const char *eol)
{
	int q = 0;
	for (; p < eol; p++) {
		if (q) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				q = 0;
		} else if (*p == '"') {
			q = 1;
		} else if (*p == '}') {
			return p;
		}
	}
	return NULL;
}

unsigned ctl_prom_each(const char *text, size_t len, const char *name, ctl_prom_fn fn, void *arg)
{
	size_t nl = strlen(name);
	unsigned n = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *line = p;
		p = eol + 1;
		if ((size_t)(eol - line) <= nl || memcmp(line, name, nl) || (line[nl] != '{' && line[nl] != ' ' &&
									   line[nl] != '\t'))
			continue;
		const char *lab = NULL, *q = line + nl;
		size_t lab_len = 0;
		if (*q == '{') {
			const char *le = labels_end(q + 1, eol);
			if (!le)
				continue;
			lab = q + 1;
			lab_len = (size_t)(le - lab);
			q = le + 1;
		}
		if (q >= eol || (*q != ' ' && *q != '\t'))
			continue;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		char num[64];
		size_t k = 0;
		while (q < eol && *q != ' ' && *q != '\t' && *q != '\r' && k + 1 < sizeof(num))
			num[k++] = *q++;
		num[k] = 0;
		if (!k)
			continue;
		char *e;
		double v = strtod(num, &e);
		if (*e)
			continue;
		if (fn)
			fn(arg, lab ? lab : "", lab_len, v);
		n++;
	}
	return n;
}

static void add(void *arg, const char *labels, size_t labels_len, double v)
{
	(void)labels;
	(void)labels_len;
	if (!isnan(v))
		*(double *)arg += v;
}

unsigned ctl_prom_sum(const char *text, size_t len, const char *name, double *sum)
{
	*sum = 0;
	return ctl_prom_each(text, len, name, add, sum);
}

int ctl_prom_label(const char *labels, size_t len, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = labels, *end = labels + len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq || eq + 1 >= end || eq[1] != '"')
			return -ENOENT;
		int match = (size_t)(eq - p) == kl && !memcmp(p, key, kl);
		const char *v = eq + 2;
		size_t o = 0;
		int full = 0;
		for (; v < end && *v != '"'; v++) {
			char c = *v;
			if (c == '\\' && v + 1 < end) {
				v++;
				c = *v == 'n' ? '\n' : *v;
			}
			if (match) {
				if (o + 1 >= cap)
					full = 1;
				else
					out[o++] = c;
			}
		}
		if (v >= end)
			return -ENOENT; /* unterminated */
		if (match) {
			if (cap)
				out[o] = 0;
			return full ? -ENOSPC : 0;
		}
		p = v + 1;
	}
	return -ENOENT;
}
