/*
 * Signals: what the people behind a change declared about it, in commit
 * trailers and forge labels, turned into typed amounts that scoring and policy
 * read. Parsing is strict: a malformed value is not guessed at, it becomes a
 * warning that the Decision Card shows, and the review goes on without it.
 *
 * Trailers understood (keys are case-insensitive):
 *   Fixes: <ref>                      one defect fixed per distinct ref
 *   Maestro-Value: <usd>              revenue proxy, in dollars
 *   Maestro-Flake-Fixed: <n>          flaky tests fixed
 *   Maestro-Latency-Saved-Ms: <ms>    latency saved
 *   Maestro-LLM-USD: <usd>            LLM dollars spent on the change (summed)
 *   Maestro-CI-Minutes: <min>         CI minutes one pipeline run takes (largest wins)
 *   Maestro-Label: <label>            a label, for forges (and the local driver) without them
 *   Reviewed-by: / Approved-by: / Acked-by: <Name <email>>   approvals
 */
#ifndef MC_MODEL_SIGNALS_H
#define MC_MODEL_SIGNALS_H
#include <stddef.h>

#include "model/config.h"

enum mc_signal_kind {
	MC_SIG_DEFECT = 0,
	MC_SIG_FLAKE,
	MC_SIG_LATENCY_MS,
	MC_SIG_REVENUE_USD,
	MC_SIG_LLM_USD,
	MC_SIG_CI_MINUTES,
	MC_SIG_LABEL,
	MC_SIG_APPROVAL,
	MC_SIG_KIND_COUNT
};

typedef struct mc_signal {
	enum mc_signal_kind kind;
	double amount;   /* dollars, minutes, ms or a count; 1 for labels and approvals */
	char *ref;       /* Fixes ref, label name or approver email */
	char *source;    /* where it came from: "Fixes: trailer in 1a2b3c4d5e" */
} mc_signal;

typedef struct mc_signals {
	mc_signal *items;
	size_t n, alloc;
	mc_string_list warnings;
	size_t warnings_alloc;
} mc_signals;

/* Largest amount a trailer may declare; beyond it the value is refused. */
#define MC_SIGNAL_MAX_AMOUNT 1e9

/*
 * Interpret one trailer of commit `commit` (an abbreviated id for messages)
 * whose author is author_email. Returns 1 when the key is one of ours (even if
 * its value was refused with a warning), 0 when the trailer is not ours.
 */
int mc_signals_add_trailer(mc_signals *s, const char *key, const char *value, const char *commit,
			   const char *author_email);
/* A forge label (or --label on the command line); source says which. */
void mc_signals_add_label(mc_signals *s, const char *label, const char *source);
void mc_signals_warn(mc_signals *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when a label matching any of names (case-insensitive) is present. */
int mc_signals_has_label(const mc_signals *s, const mc_string_list *names, const mc_signal **which);
void mc_signals_free(mc_signals *s);

#endif
