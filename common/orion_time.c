#include "common/orion_time.h"

#include <errno.h>
#include <time.h>

struct orion_clock g_orion_clock = { .tsc_hz = 1000000000ull, .mult = 1ull << 32 };

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t orion_realtime_ns(void) { return clock_ns(CLOCK_REALTIME); }
uint64_t orion_monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

int orion_time_init(unsigned calib_ms)
{
	if (calib_ms == 0)
		calib_ms = 10;
	uint64_t m0 = orion_monotonic_ns(), t0 = orion_tsc();
	uint64_t target = m0 + (uint64_t)calib_ms * 1000000ull, m1;
	do {
		m1 = orion_monotonic_ns();
	} while (m1 < target);
	uint64_t t1 = orion_tsc();
	if (t1 <= t0)
		return -EIO;
	uint64_t hz = (uint64_t)(((unsigned __int128)(t1 - t0) * 1000000000ull) / (m1 - m0));
	if (hz == 0)
		return -EIO;
	g_orion_clock.tsc_hz = hz;
	g_orion_clock.mult = (uint64_t)(((unsigned __int128)1000000000ull << 32) / hz);
	g_orion_clock.tsc0 = orion_tsc();
	g_orion_clock.ns0 = orion_realtime_ns();
	return 0;
}
