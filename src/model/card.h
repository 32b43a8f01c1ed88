/*
 * The Decision Card's data: one JSON document (schemas/decision-card.schema.json)
 * that both the Markdown card (templates/decision-card.md) and the evidence
 * record render from, so the two can never disagree. Sections of stages that
 * have not run are absent from the document, never filled with guesses.
 */
#ifndef MC_MODEL_CARD_H
#define MC_MODEL_CARD_H
#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "model/canary.h"
#include "model/features.h"
#include "model/policy.h"
#include "model/score.h"
#include "model/signals.h"

/* The value of the card's "schema" field; bump it when the document changes shape. */
#define MC_CARD_SCHEMA_ID "maestro.decision-card/v1"

/* How many files and commit ids the card lists before it summarises. */
#define MC_CARD_MAX_FILES 15
#define MC_CARD_MAX_COMMITS 100

typedef struct mc_card_file {
	const char *path;
	const char *old_path;  /* renames; NULL otherwise */
	char status;           /* 'A', 'M', 'D', 'R', 'C', 'T' */
	unsigned added, deleted;
	int binary;
} mc_card_file;

typedef struct mc_card_input {
	const char *repository;        /* a name for people: the work tree's directory or owner/name */
	const char *range;             /* as the user gave it, or the default described */
	const char *base, *head, *merge_base;
	const char *const *commits;    /* commit ids in the range, oldest first */
	size_t ncommits;
	int merge_only;
	const char *author;            /* the head commit's author email */
	const mc_change_features *features;
	const mc_card_file *files;
	size_t nfiles;
	const mc_score *score;
	const mc_verdict *verdict;
	double max_risk;               /* policy.max_risk, for the risk level shown */
	const mc_signals *signals;     /* labels shown and warnings */
	const char *config_source;     /* "defaults" or "<commit>:.maestro/config.json" */
	const char *config_blob;       /* git blob id of the config, NULL for defaults */
	const char *tool_version;
	time_t generated_at;
	const mc_canary_judgement *canary; /* the shadow canary's judgement; NULL: not run */
} mc_card_input;

/* Build the card document. The caller owns the result (json_object_put). */
struct json_object *mc_card_build(const mc_card_input *in);

#endif
