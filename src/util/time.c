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

int mc_time_parse_rfc3339(time_t *out, const char *s)
{
	struct tm tm;
	const char *end;
	long offset = 0;

	memset(&tm, 0, sizeof tm);
	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*end == '.')  /* fractional seconds: not needed */
		while (*++end >= '0' && *end <= '9')
			;
	if (strcmp(end, "Z") == 0 || strcmp(end, "z") == 0) {
		offset = 0;
	} else if ((end[0] == '+' || end[0] == '-') && strlen(end) == 6 && end[3] == ':' &&
		   end[1] >= '0' && end[1] <= '9' && end[2] >= '0' && end[2] <= '9' &&
		   end[4] >= '0' && end[4] <= '5' && end[5] >= '0' && end[5] <= '9') {
		offset = ((end[1] - '0') * 10 + (end[2] - '0')) * 3600L +
			 ((end[4] - '0') * 10 + (end[5] - '0')) * 60L;
		if (end[0] == '-')
			offset = -offset;
	} else {
		return -1;
	}
	*out = timegm(&tm) - offset;
	return 0;
}
