/* Unit tests for the Decision Card document and its Markdown rendering. */
#include <stdio.h>
#include <string.h>

#include "model/card.h"
#include "testutil.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/template.h"

#define OID_A "1111111111111111111111111111111111111111"
#define OID_B "2222222222222222222222222222222222222222"
#define OID_C "3333333333333333333333333333333333333333"

struct fixture {
	mc_config cfg;
	mc_signals signals;
	mc_change_features features;
	mc_risk_model model;
	mc_score score;
	mc_verdict verdict;
	mc_card_file files[20];
	const char *commits[2];
	mc_card_input in;
};

static void fixture_init(struct fixture *f, size_t nfiles, const char *config_blob)
{
	static char *protected_arr[] = { "src/auth/**" };
	const char *paths[20];
	mc_policy_input pin;
	size_t i;

	memset(f, 0, sizeof *f);
	mc_config_defaults(&f->cfg);
	mc_signals_add_trailer(&f->signals, "Fixes", "#7 <script>", "1111111111", "a@x");
	mc_signals_add_trailer(&f->signals, "Maestro-Value", "oops", "1111111111", "a@x");
	mc_signals_add_label(&f->signals, "needs|review", "--label");
	f->model.std[MC_F_LA] = 1;
	f->model.coef[MC_F_LA] = 0.8;
	f->model.std[MC_F_NF] = 1;
	f->model.coef[MC_F_NF] = -0.2;
	f->model.source = "unit test model";
	f->features.v[MC_F_LA] = 120;
	f->features.v[MC_F_NF] = (double)nfiles;
	mc_score_compute(&f->score, &f->cfg, &f->signals, &f->features, &f->model);
	for (i = 0; i < nfiles; i++) {
		f->files[i].path = i == 0 ? "src/auth/a file | with [md].c" : "src/x.c";
		f->files[i].status = i == 1 ? 'R' : 'M';
		f->files[i].old_path = i == 1 ? "src/old.c" : NULL;
		f->files[i].added = (unsigned)(10 * i);
		f->files[i].deleted = 1;
		paths[i] = f->files[i].path;
	}
	f->cfg.policy_protected_paths.items = protected_arr;
	f->cfg.policy_protected_paths.n = 1;
	memset(&pin, 0, sizeof pin);
	pin.risk = f->score.risk;
	pin.paths = paths;
	pin.npaths = nfiles;
	mc_policy_evaluate(&f->verdict, &f->cfg, &pin);
	f->cfg.policy_protected_paths.items = NULL;
	f->cfg.policy_protected_paths.n = 0;
	f->commits[0] = OID_A;
	f->commits[1] = OID_B;
	f->in.repository = "demo";
	f->in.range = "main..topic";
	f->in.base = OID_C;
	f->in.head = OID_B;
	f->in.merge_base = OID_C;
	f->in.commits = f->commits;
	f->in.ncommits = 2;
	f->in.author = "a@x";
	f->in.features = &f->features;
	f->in.files = f->files;
	f->in.nfiles = nfiles;
	f->in.score = &f->score;
	f->in.verdict = &f->verdict;
	f->in.max_risk = f->cfg.policy_max_risk;
	f->in.signals = &f->signals;
	f->in.config_source = config_blob ? OID_C ":.maestro/config.json" : "defaults";
	f->in.config_blob = config_blob;
	f->in.tool_version = "0.0.0-test";
	f->in.generated_at = 1764000000;
}

static void fixture_free(struct fixture *f)
{
	mc_score_free(&f->score);
	mc_verdict_free(&f->verdict);
	mc_signals_free(&f->signals);
	mc_config_free(&f->cfg);
}

static struct json_object *schema(void)
{
	const char *text = mc_embedded_get("schemas/decision-card.schema.json", NULL);
	ck_assert_ptr_nonnull(text);
	return json_tokener_parse(text);
}

START_TEST(card_validates_against_its_schema)
{
	struct fixture f;
	struct json_object *card, *s = schema();
	size_t nfiles[] = { 0, 3, 20 };
	size_t i;
	for (i = 0; i < 3; i++) {
		fixture_init(&f, nfiles[i], i == 1 ? OID_A : NULL);
		card = mc_card_build(&f.in);
		ck_assert_msg(mc_jsonschema_validate(s, card, "card") == 0, "%s", mc_error_message());
		json_object_put(card);
		fixture_free(&f);
	}
	json_object_put(s);
}
END_TEST

START_TEST(card_lists_largest_files_and_counts_the_rest)
{
	struct fixture f;
	struct json_object *card, *change, *top;
	fixture_init(&f, 20, NULL);
	card = mc_card_build(&f.in);
	change = mc_json_get(card, "change");
	top = mc_json_get(change, "top_files");
	ck_assert_uint_eq(json_object_array_length(top), MC_CARD_MAX_FILES);
	ck_assert_int_eq(mc_json_get_int(change, "more_files", -1), 20 - MC_CARD_MAX_FILES);
	ck_assert_int_eq(mc_json_get_int(json_object_array_get_idx(top, 0), "added", -1), 190);
	ck_assert_str_eq(mc_json_get_string(mc_json_get(card, "decision"), "verdict", ""), "fail");
	json_object_put(card);
	fixture_free(&f);
}
END_TEST

START_TEST(markdown_escapes_untrusted_text_and_shows_reasons)
{
	struct fixture f;
	struct json_object *card;
	mc_strbuf md = MC_STRBUF_INIT;
	fixture_init(&f, 3, OID_A);
	card = mc_card_build(&f.in);
	ck_assert_int_eq(mc_template_render(&md, mc_embedded_get("templates/decision-card.md", NULL),
					    card), 0);
	ck_assert(strncmp(md.buf, "<!-- maestro:decision-card -->", 30) == 0);
	ck_assert(strstr(md.buf, "⛔ blocked") != NULL);
	ck_assert(strstr(md.buf, "touches protected paths") != NULL);
	ck_assert(strstr(md.buf, "a file \\| with \\[md\\].c") != NULL);  /* no table break */
	ck_assert(strstr(md.buf, "&lt;script&gt;") != NULL);             /* no raw HTML */
	ck_assert(strstr(md.buf, "<script>") == NULL);
	ck_assert(strstr(md.buf, "ignored Maestro-Value") != NULL);      /* warnings shown */
	ck_assert(strstr(md.buf, "(from src/old.c)") != NULL);
	ck_assert(strstr(md.buf, "unit test model") != NULL);
	ck_assert(strstr(md.buf, "{{") == NULL);
	mc_strbuf_release(&md);
	json_object_put(card);
	fixture_free(&f);
}
END_TEST

/* A judgement with a High latency (critical), a passing metric and a NoData one. */
static void judge_samples(mc_canary_judgement *j)
{
	static double base[12], slow[12], flat[12];
	static mc_canary_metric ms[3];
	mc_canary_series series[3];
	mc_config cfg;
	int i;
	for (i = 0; i < 12; i++) {
		base[i] = flat[i] = 100 + (i % 5);
		slow[i] = 125 + (i % 4);
	}
	mc_config_defaults(&cfg);
	memset(ms, 0, sizeof ms);
	ms[0] = (mc_canary_metric){ "latency_ms", MC_CANARY_INCREASE, 0.05, 1, 1, NULL, MC_CANARY_NODATA_IGNORE };
	ms[1] = (mc_canary_metric){ "rss_kb", MC_CANARY_INCREASE, 0.05, 0, 1, NULL, MC_CANARY_NODATA_IGNORE };
	ms[2] = (mc_canary_metric){ "errors", MC_CANARY_INCREASE, 0.05, 0, 1, NULL, MC_CANARY_NODATA_IGNORE };
	cfg.canary.metrics = ms;
	cfg.canary.nmetrics = 3;
	series[0] = (mc_canary_series){ "latency_ms", base, 12, slow, 12 };
	series[1] = (mc_canary_series){ "rss_kb", base, 12, flat, 12 };
	series[2] = (mc_canary_series){ "errors", base, 2, flat, 0 };
	ck_assert_int_eq(mc_canary_judge(j, &cfg.canary, series, 3), 0);
	cfg.canary.metrics = NULL; /* static: not the config's to free */
	cfg.canary.nmetrics = 0;
	mc_config_free(&cfg);
}

START_TEST(card_shows_the_canary_when_given)
{
	struct fixture f;
	struct json_object *card, *s = schema(), *canary;
	mc_canary_judgement j;
	mc_strbuf md = MC_STRBUF_INIT;
	fixture_init(&f, 3, OID_A);
	card = mc_card_build(&f.in);
	ck_assert_ptr_null(mc_json_get(card, "canary")); /* not run: absent */
	json_object_put(card);
	judge_samples(&j);
	f.in.canary = &j;
	card = mc_card_build(&f.in);
	ck_assert_msg(mc_jsonschema_validate(s, card, "card") == 0, "%s", mc_error_message());
	canary = mc_json_get(card, "canary");
	ck_assert_str_eq(mc_json_get_string(canary, "verdict", ""), "fail");
	ck_assert_str_eq(mc_json_get_string(json_object_array_get_idx(mc_json_get(canary, "metrics"), 0),
					    "class", ""), "High");
	ck_assert_int_eq(mc_template_render(&md, mc_embedded_get("templates/decision-card.md", NULL),
					    card), 0);
	ck_assert_msg(strstr(md.buf, "#### Shadow canary: fail, score 0") != NULL, "%s", md.buf);
	ck_assert(strstr(md.buf, "critical metric latency\\_ms is High") != NULL);
	ck_assert_msg(strstr(md.buf, "| latency\\_ms (critical) | High | 102 | 126 | 24.6 % |") != NULL, "%s", md.buf);
	ck_assert(strstr(md.buf, "| errors | NoData (ignored) |") != NULL);
	ck_assert(strstr(md.buf, "{{") == NULL);
	mc_strbuf_release(&md);
	json_object_put(card);
	mc_canary_judgement_free(&j);
	fixture_free(&f);
	json_object_put(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("card");
	TCase *tc = tcase_create("card");
	tcase_add_test(tc, card_validates_against_its_schema);
	tcase_add_test(tc, card_lists_largest_files_and_counts_the_rest);
	tcase_add_test(tc, markdown_escapes_untrusted_text_and_shows_reasons);
	tcase_add_test(tc, card_shows_the_canary_when_given);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
