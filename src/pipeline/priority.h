/*
 * Priority overrides: a reviewer raises, drops or sets the priority of a work
 * item in the portfolio, always with a reason. The change is stored with who,
 * when, why, before and after, and recorded as a signed evidence record (an
 * override statement about the item's head commit) when a signing key is
 * configured. The CLI (`maestro priority`) and, later, the slash-commands call
 * this one function.
 */
#ifndef MC_PIPELINE_PRIORITY_H
#define MC_PIPELINE_PRIORITY_H
#include <time.h>

/* Priorities stay within this range; weight in planning is 1 + 0.25 * priority. */
#define MC_PRIORITY_MIN (-3)
#define MC_PRIORITY_MAX 20
#define MC_PRIORITY_REASON_MAX 4096

typedef enum mc_priority_action { MC_PRIORITY_RAISE, MC_PRIORITY_DROP, MC_PRIORITY_SET } mc_priority_action;

typedef struct mc_priority_change {
	const char *repo_path;      /* NULL: "." */
	const char *id;             /* the work item (maestro portfolio) */
	mc_priority_action action;  /* raise and drop move by one */
	int value;                  /* for MC_PRIORITY_SET */
	const char *reason;         /* required, not blank */
	const char *who;            /* NULL: git's user.name <user.email> */
	const char *config_rev;     /* where the configuration is read (evidence settings);
				     * NULL: HEAD. The daemon's mirrors give the PR's base. */
	/* Where the change comes from, e.g. "comment:<id>:<line>:<digest>", or NULL: a
	 * change from a source already applied is not applied again (result.repeated),
	 * and with a fixed `at` its evidence record is identical, so recording it again
	 * after a crash appends nothing. */
	const char *source;
	time_t at;                  /* when; 0: now */
} mc_priority_change;

typedef struct mc_priority_result {
	int before, after;
	int recorded;               /* an override record was appended as evidence */
	int repeated;               /* the source was applied before: nothing changed */
	char *note;                 /* what happened to the evidence, for people */
} mc_priority_result;

/* MC_EINVAL for a blank or over-long reason or a priority out of range, MC_ENOTFOUND
 * for an unknown item, MC_EENV when a configured signing key cannot sign (then nothing
 * changes). */
int mc_priority_override(mc_priority_result *out, const mc_priority_change *change);
void mc_priority_result_free(mc_priority_result *result);

#endif
