/* Log-linear latency histogram (HdrHistogram-style, 2 significant digits).
 * Fixed size, no allocation after init, single writer. Values in ns (or any
 * unit). Relative error of a reported percentile is below 1/ORION_HIST_SUB.
 */
#ifndef ORION_COMMON_HIST_H
#define ORION_COMMON_HIST_H

#include <stdint.h>
#include <stdio.h>

#define ORION_HIST_SUB_BITS 7                  /* 128 linear buckets per power of two */
#define ORION_HIST_SUB (1u << ORION_HIST_SUB_BITS)
#define ORION_HIST_BUCKETS ((64 - ORION_HIST_SUB_BITS + 1) * ORION_HIST_SUB)

struct orion_hist {
	uint64_t count;
	uint64_t min, max;
	long double sum;
	uint64_t b[ORION_HIST_BUCKETS];
};

void orion_hist_reset(struct orion_hist *h);
void orion_hist_add(struct orion_hist *h, uint64_t v);
/* Merge src into dst. */
void orion_hist_merge(struct orion_hist *dst, const struct orion_hist *src);
/* Value at percentile p (0..100]; 0 when empty. Returns the bucket's upper bound. */
uint64_t orion_hist_pct(const struct orion_hist *h, double p);
double orion_hist_mean(const struct orion_hist *h);
/* One line: "name n=.. min=.. p50=.. p99=.. p99.9=.. max=.. mean=.. unit". */
void orion_hist_print(FILE *f, const char *name, const struct orion_hist *h, const char *unit);

#endif
