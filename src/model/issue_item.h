/*
 * A forge issue as a work item of the portfolio, pure (no I/O): its id, the
 * signals its labels and body declare, and its value and costs under the same
 * value configuration a review uses (model/signals.h, model/score.h).
 *
 * The id is "owner/name!N". A pull request's is "owner/name#N", and GitHub and
 * Gitea number issues and pull requests in one sequence, so the numbers never
 * collide; the different mark still matters because people, the CLI and agents'
 * offers name items by id alone, and "#N" has always meant a pull request to
 * Maestro (and the forge's own "#N" links either). "!" is not allowed in an
 * owner or repository name, so the id parses back unambiguously.
 *
 * Trailers: an issue has no commits, so its body is read as trailers are: every
 * line "Key: value" whose key signals knows (Maestro-Value:, Maestro-LLM-USD:,
 * Maestro-CI-Minutes:, Fixes:, Maestro-Flake-Fixed:, ...) counts, wherever it is
 * in the body, except inside fenced code blocks (``` or ~~~), where examples live.
 * Unknown keys are ordinary prose and are ignored.
 *
 * Risk: an issue has no diff, so the risk model has nothing to predict from; its
 * risk is 0, and the work item says so (MC_ISSUE_RISK_NOTE). Costs are the review's:
 * cost.llm_usd and cost.ci_minutes unless Maestro-LLM-USD: / Maestro-CI-Minutes:
 * trailers in the body declare them.
 */
#ifndef MC_MODEL_ISSUE_ITEM_H
#define MC_MODEL_ISSUE_ITEM_H
#include <stddef.h>
#include <stdint.h>

#include "model/config.h"
#include "model/score.h"
#include "model/signals.h"

#define MC_ISSUE_RISK_NOTE "an issue has no diff: risk 0 (no risk model applies)"
/* Trailer lines read from one body at most; the rest are ignored with a warning. */
#define MC_ISSUE_MAX_TRAILERS 64

/* "owner/name!N" (free() it). */
char *mc_issue_item_id(const char *repository, int64_t number);

/* Split an issue item id into its repository (free() it) and number: 0, or MC_EINVAL
 * when id is not "owner/name!N" with N positive. */
int mc_issue_item_parse_id(char **repository, int64_t *number, const char *id);

/* Add the trailers found in body (see above) to s; source names the issue in the
 * signals' sources and warnings ("issue owner/name!3"). Returns how many were ours. */
size_t mc_issue_add_body_trailers(mc_signals *s, const char *body, const char *source);

/* The signals of an issue: its labels (source "label on <source>") and body trailers. */
void mc_issue_signals(mc_signals *s, const char *const *labels, size_t nlabels, const char *body,
		      const char *source);

/* The issue's score under cfg: value components and costs as a review computes them
 * (mc_score_compute_value), risk 0. Free with mc_score_free. */
void mc_issue_score(mc_score *out, const mc_config *cfg, const mc_signals *signals);

#endif
