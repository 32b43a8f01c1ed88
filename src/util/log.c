/* JSON-lines logger on stderr (log.h). */
#include "util/log.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/time.h"

static enum mc_log_level current_level = MC_LOG_WARN;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void mc_log_set_level(enum mc_log_level level) { current_level = level; }

void mc_log_init_from_env(void)
{
	const char *v = getenv("MAESTRO_LOG");
	size_t i;
	if (!v)
		return;
	for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (!strcmp(v, level_names[i]))
			current_level = (enum mc_log_level)i;
}

int mc_log_enabled(enum mc_log_level level) { return level <= current_level; }

void mc_log(enum mc_log_level level, const char *event, ...)
{
	struct json_object *o;
	struct timespec ts;
	char when[MC_TIME_ISO_LEN];
	const char *k, *v;
	va_list ap;

	if (!mc_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	mc_time_iso8601(when, ts.tv_sec, (int)(ts.tv_nsec / 1000000));
	o = json_object_new_object();
	json_object_object_add(o, "ts", json_object_new_string(when));
	json_object_object_add(o, "level", json_object_new_string(level_names[level]));
	json_object_object_add(o, "event", json_object_new_string(event));
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		/* A field never replaces the line's own ts, level or event: readers find
		 * lines by their event name. */
		if (!strcmp(k, "ts") || !strcmp(k, "level") || !strcmp(k, "event")) {
			char renamed[32];
			snprintf(renamed, sizeof renamed, "field_%s", k);
			json_object_object_add(o, renamed, json_object_new_string(v ? v : ""));
			continue;
		}
		json_object_object_add(o, k, json_object_new_string(v ? v : ""));
	}
	va_end(ap);
	fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}
