/* Time: TSC-derived nanoseconds for the hot path, and a calibration done once
 * at start-up on the main thread.
 *
 * orion_time_init() must run once, before any lcore reads the clock. After it,
 * orion_now_ns() is safe from any thread and makes no syscall.
 */
#ifndef ORION_COMMON_TIME_H
#define ORION_COMMON_TIME_H

#include <stdint.h>
#include <x86intrin.h>

struct orion_clock {
	uint64_t tsc_hz;     /* calibrated TSC frequency */
	uint64_t tsc0;       /* TSC at calibration */
	uint64_t ns0;        /* CLOCK_REALTIME ns at calibration */
	uint64_t mult;       /* ns = (tsc - tsc0) * mult >> 32 (for < ~2^32 s spans) */
};
extern struct orion_clock g_orion_clock;

/* Calibrate against CLOCK_MONOTONIC for ~calib_ms milliseconds (10 is plenty).
 * Returns 0 or -errno. Main thread, start-up only. */
int orion_time_init(unsigned calib_ms);

static inline uint64_t orion_tsc(void) { return __rdtsc(); }

/* Wall-clock ns (epoch) derived from the TSC. */
static inline uint64_t orion_now_ns(void)
{
	uint64_t d = __rdtsc() - g_orion_clock.tsc0;
	return g_orion_clock.ns0 + (uint64_t)(((unsigned __int128)d * g_orion_clock.mult) >> 32);
}

/* Convert a TSC delta to ns. */
static inline uint64_t orion_tsc_to_ns(uint64_t dtsc)
{
	return (uint64_t)(((unsigned __int128)dtsc * g_orion_clock.mult) >> 32);
}

/* Convert ns to TSC ticks (for deadlines computed on the hot path). */
static inline uint64_t orion_ns_to_tsc(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * g_orion_clock.tsc_hz) / 1000000000ull);
}

/* Slow clocks for non-hot-path code (syscall through the vDSO). */
uint64_t orion_realtime_ns(void);
uint64_t orion_monotonic_ns(void);

#endif
