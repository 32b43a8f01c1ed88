/*
 * Evidence records: what Maestro asserts about a commit, as an in-toto
 * Statement v1 (schemas/intoto-statement.schema.json) whose subject is the
 * commit by its git id and whose predicate has a schema per kind. Signing the
 * statement (DSSE) and storing it (git notes) are the adapters' business; this
 * module builds statements, checks decoded ones, and says when two records are
 * the same record. Pure: no I/O.
 */
#ifndef MC_MODEL_EVIDENCE_H
#define MC_MODEL_EVIDENCE_H
#include <json-c/json.h>

#define MC_INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"

enum mc_evidence_kind {
	MC_EV_DECISION_CARD = 0,
	MC_EV_CONTRACT,
	MC_EV_OVERRIDE,
	MC_EV_HOLD,
	MC_EV_PENALTY,
	MC_EV_RELEASE,
	MC_EV_CANARY,
	MC_EV_SIMULATION,     /* a counterfactual prediction or its outcome (maestro simulate) */
	MC_EV_KIND_COUNT
};

/* "decision-card", "contract", … (for people and for `maestro evidence show`). */
const char *mc_evidence_kind_name(enum mc_evidence_kind kind);
/* The predicateType URI of a kind. */
const char *mc_evidence_predicate_type(enum mc_evidence_kind kind);
/* The kind of a predicateType URI, or -1. */
int mc_evidence_kind_of(const char *predicate_type);

/*
 * A statement about commit_oid (40 or 64 hex digits) named subject_name (the
 * repository, for people). Takes ownership of predicate. The caller owns the
 * result. The predicate is not checked here: mc_evidence_check does that.
 */
struct json_object *mc_evidence_statement(enum mc_evidence_kind kind, const char *subject_name,
					  const char *commit_oid, struct json_object *predicate);

/*
 * Check a decoded statement: its shape against the statement schema, its
 * predicate against the schema of its predicateType, and that its subject is
 * annotated_oid (the commit whose note holds it: a record copied onto another
 * commit is not evidence about that commit). MC_EVERIFY with the reason.
 */
int mc_evidence_check(struct json_object *statement, const char *annotated_oid,
		      enum mc_evidence_kind *kind);

/*
 * Whether two statements are the same record: same subject, same predicate type and
 * the same predicate, ignoring when it was generated (a Decision Card rendered
 * twice for the same inputs is one decision). Signatures differ on every signing,
 * so records are compared by statement, never by envelope.
 */
int mc_evidence_same_record(struct json_object *a, struct json_object *b);

#endif
