/* Time helpers: UTC ISO 8601 formatting and a monotonic clock for measurements. */
#ifndef MC_UTIL_TIME_H
#define MC_UTIL_TIME_H
#include <time.h>

#define MC_TIME_ISO_LEN 32

/* "2026-11-25T06:17:19Z", or with millis >= 0 "2026-11-25T06:17:19.123Z". */
void mc_time_iso8601(char out[MC_TIME_ISO_LEN], time_t t, int millis);
/* Seconds on the monotonic clock, for durations. */
double mc_time_monotonic(void);

#endif
