/* Time helpers: UTC ISO 8601 formatting and a monotonic clock for measurements. */
#ifndef MC_UTIL_TIME_H
#define MC_UTIL_TIME_H
#include <time.h>

#define MC_TIME_ISO_LEN 32

/* "2026-11-25T06:17:19Z", or with millis >= 0 "2026-11-25T06:17:19.123Z". */
void mc_time_iso8601(char out[MC_TIME_ISO_LEN], time_t t, int millis);
/* "2026-11-25T06:17:19Z", with optional fractional seconds and a Z or ±HH:MM offset,
 * as unix seconds; -1 when s is not that shape. */
int mc_time_parse_rfc3339(time_t *out, const char *s);
/* Seconds on the monotonic clock, for durations. */
double mc_time_monotonic(void);

#endif
