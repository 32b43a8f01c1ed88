/*
 * libFuzzer target: arbitrary bytes as the commit trailers and labels of a
 * change, the text a pull request's author controls, followed all the way to
 * the Decision Card: signals → score → policy → card document → Markdown.
 * Nothing may crash, leak or trip a sanitizer; the card must always validate
 * against schemas/decision-card.schema.json and always render.
 * Input: lines "Key: value" (trailers) or "label:NAME" (labels).
 * Built and run by tests/fuzz/run (not part of CTest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/card.h"
#include "model/config.h"
#include "model/policy.h"
#include "model/risk.h"
#include "model/score.h"
#include "model/signals.h"
#include "util/embedded.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/strbuf.h"
#include "util/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static struct json_object *card_schema(void)
{
	static struct json_object *schema;
	if (!schema) {
		const char *text = mc_embedded_get("schemas/decision-card.schema.json", NULL);
		if (!text || mc_json_parse(&schema, text, strlen(text), strlen(text), "schema"))
			abort();
	}
	return schema;
}

static void add_line(mc_signals *signals, char *line)
{
	char *colon = strchr(line, ':');
	if (!colon)
		return;
	*colon = '\0';
	if (!strcmp(line, "label"))
		mc_signals_add_label(signals, colon + 1, "fuzz");
	else
		mc_signals_add_trailer(signals, line, colon + 1 + (colon[1] == ' '), COMMIT,
				       "author@example.com");
}

static void check_card(const mc_config *cfg, const mc_signals *signals)
{
	mc_change_features features = { { 0 } };
	mc_card_file file = { "src/a.c", NULL, 'M', 3, 1, 0 };
	const char *commits[] = { COMMIT };
	const char *paths[] = { "src/a.c" };
	mc_policy_input pin = { 0 };
	mc_card_input in = { 0 };
	mc_score score;
	mc_verdict verdict;
	mc_strbuf md = MC_STRBUF_INIT;
	struct json_object *card;

	mc_score_compute(&score, cfg, signals, &features, mc_risk_default());
	pin.risk = score.risk;
	pin.paths = paths;
	pin.npaths = 1;
	pin.approvals = score.approvals;
	pin.llm_usd = score.llm_usd;
	pin.ci_minutes = score.ci_minutes;
	mc_policy_evaluate(&verdict, cfg, &pin);
	in.repository = "fuzz";
	in.range = "main..HEAD";
	in.base = in.head = in.merge_base = COMMIT;
	in.commits = commits;
	in.ncommits = 1;
	in.author = "author@example.com";
	in.features = &features;
	in.files = &file;
	in.nfiles = 1;
	in.score = &score;
	in.verdict = &verdict;
	in.max_risk = cfg->policy_max_risk;
	in.signals = signals;
	in.config_source = "defaults";
	in.tool_version = "fuzz";
	in.generated_at = 0;
	card = mc_card_build(&in);
	if (mc_jsonschema_validate(card_schema(), card, "card") != 0)
		abort(); /* whatever a trailer says, the card stays valid */
	if (mc_template_render(&md, mc_embedded_get("templates/decision-card.md", NULL), card) != 0)
		abort();
	mc_strbuf_release(&md);
	json_object_put(card);
	mc_verdict_free(&verdict);
	mc_score_free(&score);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	mc_signals signals = { 0 };
	mc_config cfg;

	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		add_line(&signals, line);
	mc_config_defaults(&cfg);
	check_card(&cfg, &signals);
	mc_config_free(&cfg);
	mc_signals_free(&signals);
	free(text);
	return 0;
}
