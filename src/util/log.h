/*
 * Structured logging: one JSON object per line on stderr, as DESIGN.md asks.
 * Level comes from MAESTRO_LOG (error|warn|info|debug; default warn for the
 * CLI so that normal output stays clean). Never pass secrets as fields.
 */
#ifndef MC_UTIL_LOG_H
#define MC_UTIL_LOG_H

enum mc_log_level { MC_LOG_ERROR = 0, MC_LOG_WARN, MC_LOG_INFO, MC_LOG_DEBUG };

void mc_log_set_level(enum mc_log_level level);
/* Reads MAESTRO_LOG; an unknown value keeps the current level. */
void mc_log_init_from_env(void);
int mc_log_enabled(enum mc_log_level level);
/*
 * Log an event with string fields given as key, value pairs ending in NULL:
 *   mc_log(MC_LOG_INFO, "review.done", "range", "a..b", "ms", "12", NULL);
 */
void mc_log(enum mc_log_level level, const char *event, ...) __attribute__((sentinel));

#endif
