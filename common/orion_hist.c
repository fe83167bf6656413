#include "common/orion_hist.h"

#include <string.h>

static unsigned bucket_of(uint64_t v)
{
	if (v < ORION_HIST_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);          /* >= SUB_BITS */
	unsigned shift = msb - ORION_HIST_SUB_BITS;
	unsigned sub = (unsigned)(v >> shift) & (ORION_HIST_SUB - 1);
	return (shift + 1) * ORION_HIST_SUB + sub;
}

static uint64_t bucket_hi(unsigned idx)
{
	unsigned grp = idx / ORION_HIST_SUB, sub = idx % ORION_HIST_SUB;
	if (grp == 0)
		return sub;
	unsigned shift = grp - 1;
	uint64_t lo = ((uint64_t)(ORION_HIST_SUB + sub)) << shift;
	return lo + ((1ull << shift) - 1);
}

void orion_hist_reset(struct orion_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void orion_hist_add(struct orion_hist *h, uint64_t v)
{
	h->b[bucket_of(v)]++;
	h->count++;
	h->sum += (long double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void orion_hist_merge(struct orion_hist *dst, const struct orion_hist *src)
{
	for (unsigned i = 0; i < ORION_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t orion_hist_pct(const struct orion_hist *h, double p)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = (uint64_t)((p / 100.0) * (double)h->count + 0.5);
	if (rank == 0)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (unsigned i = 0; i < ORION_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t hi = bucket_hi(i);
			return hi > h->max ? h->max : hi;
		}
	}
	return h->max;
}

double orion_hist_mean(const struct orion_hist *h)
{
	return h->count ? (double)(h->sum / (long double)h->count) : 0.0;
}

void orion_hist_print(FILE *f, const char *name, const struct orion_hist *h, const char *unit)
{
	fprintf(f, "%s n=%llu min=%llu p50=%llu p99=%llu p99.9=%llu max=%llu mean=%.1f %s\n", name,
		(unsigned long long)h->count, (unsigned long long)(h->count ? h->min : 0),
		(unsigned long long)orion_hist_pct(h, 50), (unsigned long long)orion_hist_pct(h, 99),
		(unsigned long long)orion_hist_pct(h, 99.9), (unsigned long long)h->max,
		orion_hist_mean(h), unit);
}
