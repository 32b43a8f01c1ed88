/* Evidence statements (evidence.h): building, checking, and record identity. */
#include "model/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonschema.h"

static const struct {
	const char *name;
	const char *predicate_type;
	const char *schema;
} kinds[MC_EV_KIND_COUNT] = {
	[MC_EV_DECISION_CARD] = { "decision-card",
				  "https://maestro-conductor.dev/evidence/decision-card/v1",
				  "schemas/decision-card.schema.json" },
	[MC_EV_CONTRACT] = { "contract", "https://maestro-conductor.dev/evidence/contract/v1",
			     "schemas/evidence-contract.schema.json" },
	[MC_EV_OVERRIDE] = { "override", "https://maestro-conductor.dev/evidence/override/v1",
			     "schemas/evidence-override.schema.json" },
	[MC_EV_HOLD] = { "hold", "https://maestro-conductor.dev/evidence/hold/v1",
			 "schemas/evidence-hold.schema.json" },
	[MC_EV_PENALTY] = { "penalty", "https://maestro-conductor.dev/evidence/penalty/v1",
			    "schemas/evidence-penalty.schema.json" },
	[MC_EV_RELEASE] = { "release", "https://slsa.dev/provenance/v1",
			    "schemas/evidence-release.schema.json" },
	[MC_EV_CANARY] = { "canary", "https://maestro-conductor.dev/evidence/canary/v1",
			   "schemas/evidence-canary.schema.json" },
	[MC_EV_SIMULATION] = { "simulation",
			       "https://maestro-conductor.dev/evidence/simulation/v1",
			       "schemas/evidence-simulation.schema.json" },
};

#define STATEMENT_SCHEMA "schemas/intoto-statement.schema.json"

const char *mc_evidence_kind_name(enum mc_evidence_kind kind)
{
	return (unsigned)kind < MC_EV_KIND_COUNT ? kinds[kind].name : "?";
}

const char *mc_evidence_predicate_type(enum mc_evidence_kind kind)
{
	return (unsigned)kind < MC_EV_KIND_COUNT ? kinds[kind].predicate_type : "?";
}

int mc_evidence_kind_of(const char *predicate_type)
{
	int i;
	for (i = 0; i < MC_EV_KIND_COUNT; i++)
		if (!strcmp(predicate_type, kinds[i].predicate_type))
			return i;
	return -1;
}

struct json_object *mc_evidence_statement(enum mc_evidence_kind kind, const char *subject_name,
					  const char *commit_oid, struct json_object *predicate)
{
	struct json_object *st = json_object_new_object(), *subjects = json_object_new_array();
	struct json_object *subject = json_object_new_object(), *digest = json_object_new_object();

	mc_json_set_string(digest, "gitCommit", commit_oid);
	mc_json_set_string(subject, "name", subject_name);
	json_object_object_add(subject, "digest", digest);
	json_object_array_add(subjects, subject);
	mc_json_set_string(st, "_type", MC_INTOTO_STATEMENT_TYPE);
	json_object_object_add(st, "subject", subjects);
	mc_json_set_string(st, "predicateType", mc_evidence_predicate_type(kind));
	json_object_object_add(st, "predicate", predicate);
	return st;
}

/* Validate doc against an embedded schema; a failure is evidence that does not verify. */
static int validate(struct json_object *doc, const char *schema_name, const char *what)
{
	const char *text = mc_embedded_get(schema_name, NULL);
	struct json_object *schema = NULL;
	int rc;

	if (!text || mc_json_parse(&schema, text, strlen(text), strlen(text), schema_name))
		return mc_error_set(MC_EINTERNAL, "the embedded %s does not parse", schema_name);
	rc = mc_jsonschema_validate(schema, doc, what);
	json_object_put(schema);
	return rc == MC_EINVAL ? mc_error_recode(MC_EVERIFY) : rc;
}

int mc_evidence_check(struct json_object *statement, const char *annotated_oid,
		      enum mc_evidence_kind *kind)
{
	struct json_object *subject;
	const char *digest;
	int rc, k;

	if ((rc = validate(statement, STATEMENT_SCHEMA, "statement")) != 0)
		return rc;
	k = mc_evidence_kind_of(mc_json_get_string(statement, "predicateType", ""));
	if (k < 0) /* the schema's enum and the table above list the same types */
		return mc_error_set(MC_EINTERNAL, "predicate type not in the kinds table");
	if ((rc = validate(mc_json_get(statement, "predicate"), kinds[k].schema, "predicate")) != 0)
		return rc;
	subject = json_object_array_get_idx(mc_json_get(statement, "subject"), 0);
	digest = mc_json_get_string(mc_json_get(subject, "digest"), "gitCommit", "");
	if (strcmp(digest, annotated_oid))
		return mc_error_set(MC_EVERIFY, "the record is about %.12s but sits in the note of %.12s",
				    digest, annotated_oid);
	if (kind)
		*kind = (enum mc_evidence_kind)k;
	return 0;
}

/* The statement as compact text without the card's generation time. */
static char *identity_text(struct json_object *st)
{
	struct json_object *copy = NULL, *prov;
	char *text;

	if (json_object_deep_copy(st, &copy, NULL) != 0)
		return NULL;
	prov = mc_json_get(mc_json_get(copy, "predicate"), "provenance");
	if (prov && !strcmp(mc_json_get_string(copy, "predicateType", ""),
			    kinds[MC_EV_DECISION_CARD].predicate_type))
		json_object_object_del(prov, "generated_at");
	text = mc_xstrdup(json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN));
	json_object_put(copy);
	return text;
}

int mc_evidence_same_record(struct json_object *a, struct json_object *b)
{
	char *x = identity_text(a), *y = identity_text(b);
	int same = x && y && !strcmp(x, y);
	free(x);
	free(y);
	return same;
}
