/* UTC formatting and monotonic time (time.h). */
#include "util/time.h"

#include <stdio.h>
#include <string.h>

void mc_time_iso8601(char out[MC_TIME_ISO_LEN], time_t t, int millis)
{
	struct tm tm;
	size_t n;
	gmtime_r(&t, &tm);
	n = strftime(out, MC_TIME_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	if (millis >= 0 && n + 6 < MC_TIME_ISO_LEN)
		snprintf(out + n, MC_TIME_ISO_LEN - n, ".%03dZ", millis % 1000);
	else if (n + 2 < MC_TIME_ISO_LEN)
		memcpy(out + n, "Z", 2);
}

double mc_time_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
