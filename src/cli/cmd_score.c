/*
 * `maestro score calibrate`: how well the value model's predictions track what
 * work items actually delivered (recorded with `maestro value record`), and
 * value weights refitted to the records, as a config snippet to paste.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/calibrate.h"
#include "pipeline/config_at.h"
#include "pipeline/portfolio.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

/* The sprint's bar for both correlations. */
#define CALIBRATE_BAR 0.7
/* Fewer pairs give no correlation (calibrate.h). */
#define CALIBRATE_MIN_PAIRS 3

/* A value weight: the card component it prices and its key under "value" in the config. */
struct weight {
	const char *component, *key;
	double current, suggested;
	int observed; /* some item has the component with a non-zero weight: the fit sets it */
};

#define NWEIGHTS 4

static void weights_from_config(struct weight w[NWEIGHTS], const mc_config *cfg)
{
	static const char *const components[NWEIGHTS] = { "defects_avoided", "flake_reduction",
							  "latency_saved", "revenue_proxy" };
	static const char *const keys[NWEIGHTS] = { "defect_usd", "flake_usd", "latency_ms_usd",
						    "revenue_weight" };
	const double current[NWEIGHTS] = { cfg->value_defect_usd, cfg->value_flake_usd,
					   cfg->value_latency_ms_usd, cfg->value_revenue_weight };
	size_t j;
	for (j = 0; j < NWEIGHTS; j++) {
		w[j].component = components[j];
		w[j].key = keys[j];
		w[j].current = w[j].suggested = current[j];
		w[j].observed = 0;
	}
}

static double component_usd(const mc_portfolio_outcome *o, const char *name)
{
	size_t i;
	for (i = 0; i < o->ncomponents; i++)
		if (!strcmp(o->components[i].name, name))
			return o->components[i].amount;
	return 0;
}

struct calibration {
	size_t n;
	double pearson, spearman, r2;
	struct weight w[NWEIGHTS];
};

/*
 * Refit: a component's dollars divided by its current weight are the underlying
 * count (defects fixed, flakes fixed, milliseconds saved, declared revenue), so
 * realized = sum_j count_j * weight_j is a least-squares problem in the weights. A
 * weight that is 0 now, or whose count is 0 on every item, cannot be estimated:
 * it keeps its current value. This assumes the items were reviewed under the
 * weights configured now.
 */
static int refit(struct calibration *c, const mc_portfolio_outcome *o, size_t n)
{
	size_t cols[NWEIGHTS], k = 0, i, j;
	double *a, *y, fitted[NWEIGHTS];
	int rc = 0;

	for (j = 0; j < NWEIGHTS; j++) {
		if (c->w[j].current > 0)
			for (i = 0; i < n && !c->w[j].observed; i++)
				c->w[j].observed = component_usd(&o[i], c->w[j].component) != 0;
		if (c->w[j].observed)
			cols[k++] = j;
	}
	c->r2 = NAN;
	if (k == 0)
		return 0;
	a = mc_xcalloc(n * k, sizeof *a);
	y = mc_xcalloc(n, sizeof *y);
	for (i = 0; i < n; i++) {
		y[i] = o[i].realized_usd;
		for (j = 0; j < k; j++)
			a[i * k + j] = component_usd(&o[i], c->w[cols[j]].component) /
				       c->w[cols[j]].current;
	}
	rc = mc_calibrate_nnls(fitted, &c->r2, a, y, n, k);
	for (j = 0; j < k && !rc; j++)
		c->w[cols[j]].suggested = fitted[j];
	free(a);
	free(y);
	return rc;
}

static int calibrate(struct calibration *c, const mc_portfolio_outcome *o, size_t n)
{
	double *predicted = mc_xcalloc(n, sizeof *predicted), *realized = mc_xcalloc(n, sizeof *realized);
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		predicted[i] = o[i].predicted_usd;
		realized[i] = o[i].realized_usd;
	}
	c->n = n;
	c->pearson = mc_calibrate_pearson(predicted, realized, n);
	c->spearman = mc_calibrate_spearman(predicted, realized, n);
	rc = refit(c, o, n);
	free(predicted);
	free(realized);
	return rc;
}

/* NaN (zero variance) does not meet the bar. */
static const char *verdict(double r)
{
	return r >= CALIBRATE_BAR ? "PASS" : "BELOW";
}

/* Six significant digits: enough for a weight, and no 350.00000000000006 in a config. */
static double rounded(double v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%.6g", v);
	return strtod(buf, NULL);
}

static struct json_object *value_snippet(const struct calibration *c)
{
	struct json_object *value = json_object_new_object();
	size_t j;
	for (j = 0; j < NWEIGHTS; j++)
		mc_json_set_double(value, c->w[j].key, rounded(c->w[j].suggested));
	return value;
}

/* A correlation for the text report: n/a when undefined. */
static void print_correlation(const char *name, double r)
{
	if (isfinite(r))
		printf("  %-9s %6.3f  %s (bar >= %.2f)\n", name, r, verdict(r), CALIBRATE_BAR);
	else
		printf("  %-9s %6s  %s (bar >= %.2f; undefined: no variance)\n", name, "n/a",
		       verdict(r), CALIBRATE_BAR);
}

static void print_text(const struct calibration *c, const char *config_source)
{
	struct json_object *value = value_snippet(c);
	size_t j;

	printf("calibration over %zu work items with a realized value\n", c->n);
	print_correlation("Pearson", c->pearson);
	print_correlation("Spearman", c->spearman);
	printf("\nvalue weights (current: %s), refit by non-negative least squares", config_source);
	if (isfinite(c->r2))
		printf(", R^2 %.3f\n", c->r2);
	else
		printf(", R^2 n/a\n");
	printf("  %-16s %12s %12s\n", "weight", "current", "suggested");
	for (j = 0; j < NWEIGHTS; j++)
		printf("  %-16s %12.4f %12.4f%s\n", c->w[j].key, c->w[j].current, c->w[j].suggested,
		       c->w[j].observed ? "" : "  (not observed: kept)");
	printf("\nto use the suggested weights, put this in .maestro/config.json:\n"
	       "\"value\": %s\n", mc_json_dump(value, 0));
	json_object_put(value);
}

static void print_json(const struct calibration *c, const char *config_source)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	struct json_object *config = json_object_new_object();
	size_t j;

	mc_json_set_int(o, "n", (long long)c->n);
	mc_json_set_double(o, "pearson", c->pearson);
	mc_json_set_double(o, "spearman", c->spearman);
	json_object_object_add(o, "bar", json_object_new_double_s(CALIBRATE_BAR, "0.7"));
	mc_json_set_string(o, "pearson_verdict", verdict(c->pearson));
	mc_json_set_string(o, "spearman_verdict", verdict(c->spearman));
	mc_json_set_double(o, "r2", c->r2);
	mc_json_set_string(o, "config_source", config_source);
	for (j = 0; j < NWEIGHTS; j++) {
		struct json_object *w = json_object_new_object();
		mc_json_set_string(w, "key", c->w[j].key);
		mc_json_set_string(w, "component", c->w[j].component);
		mc_json_set_double(w, "current", c->w[j].current);
		mc_json_set_double(w, "suggested", c->w[j].suggested);
		mc_json_set_bool(w, "observed", c->w[j].observed);
		json_object_array_add(list, w);
	}
	json_object_object_add(o, "weights", list);
	json_object_object_add(config, "value", value_snippet(c));
	json_object_object_add(o, "config", config);
	printf("%s\n", mc_json_dump(o, 1));
	json_object_put(o);
}

/* The realized-value records, or MC_EINVAL when there are too few to calibrate. */
static int load_outcomes(mc_portfolio_outcome **o, size_t *n, const char *dir)
{
	mc_store *store = NULL;
	int rc = mc_portfolio_open_store(&store, dir, 0);

	*o = NULL;
	*n = 0;
	if (rc == 0)
		rc = mc_portfolio_outcomes(o, n, store);
	else if (rc == MC_ENOTFOUND)
		rc = 0; /* nothing reviewed: no pairs */
	mc_store_close(store);
	if (rc == 0 && *n < CALIBRATE_MIN_PAIRS)
		rc = mc_error_set(MC_EINVAL, "calibration needs at least %d work items with a realized "
				  "value, there %s %zu (maestro value record ID --usd N)",
				  CALIBRATE_MIN_PAIRS, *n == 1 ? "is" : "are", *n);
	return rc;
}

static int run_calibrate(const char *dir, enum mc_format format)
{
	struct calibration c = { 0 };
	mc_config_origin origin = { 0 };
	mc_portfolio_outcome *o = NULL;
	mc_repo *repo = NULL;
	mc_config cfg;
	size_t n = 0;
	int rc = load_outcomes(&o, &n, dir), have_cfg = 0;

	if (rc == 0 && (rc = mc_repo_open(&repo, dir)) == 0 &&
	    (rc = mc_config_at(&cfg, &origin, repo, "HEAD")) == 0)
		have_cfg = 1;
	if (rc == 0) {
		weights_from_config(c.w, &cfg);
		rc = calibrate(&c, o, n);
	}
	if (rc == 0 && format == MC_FORMAT_JSON)
		print_json(&c, origin.source);
	else if (rc == 0)
		print_text(&c, origin.source);
	if (have_cfg)
		mc_config_free(&cfg);
	mc_config_origin_free(&origin);
	mc_repo_free(repo);
	mc_portfolio_outcomes_free(o, n);
	return rc ? mc_cli_fail("score", rc) : MC_EXIT_OK;
}

static int run_score(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	enum mc_format format = MC_FORMAT_TEXT;
	const char *dir = ".";
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': dir = optarg; break;
		case 'F':
			if (mc_cli_parse_format(optarg, &format))
				return mc_cli_usage("score", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("score", "unknown option");
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "calibrate"))
		return mc_cli_usage("score", "expected: calibrate");
	return run_calibrate(dir, format);
}

const struct mc_command mc_cmd_score = {
	"score", "compare predicted with realized value and refit the value weights",
	"usage: maestro score calibrate [--format text|json] [-C DIR]\n\n"
	"Sets the value each reviewed work item was predicted to deliver (its\n"
	"value_usd: the sum of its value components) beside the value recorded for it\n"
	"with maestro value record (the latest record of each item), and prints:\n\n"
	"  - n, the number of items with a realized value (at least 3 are needed);\n"
	"  - Pearson's correlation between predicted and realized dollars, and\n"
	"    Spearman's (the same on ranks, ties sharing their average rank), each\n"
	"    with PASS when it is at least 0.70 (the bar) and BELOW otherwise; a\n"
	"    correlation is undefined (n/a, BELOW) when every prediction or every\n"
	"    realized value is the same;\n"
	"  - the value weights refitted to the records, beside the current ones\n"
	"    (.maestro/config.json at HEAD, or the defaults), and a \"value\" snippet\n"
	"    with the suggested weights to paste into .maestro/config.json.\n\n"
	"The refit: each value component divided by its current weight is the count\n"
	"it was priced from (defects fixed, flaky tests fixed, milliseconds of latency\n"
	"saved, declared revenue), so realized = sum of count x weight is a linear\n"
	"model of the weights. They are fitted by non-negative least squares without\n"
	"an intercept (exact: every subset of the weights is tried, the best fit with\n"
	"no negative weight wins), and R^2 = 1 - residual / total sum of squares says\n"
	"how much of the realized value the fit explains (it can be negative). A\n"
	"weight that is 0 now, or whose count is 0 on every item, cannot be estimated\n"
	"and keeps its current value. The refit assumes the items were reviewed under\n"
	"the weights configured now.\n\n"
	"  --format FORMAT  text or json\n"
	"  -C DIR           the repository (default: the current directory)\n",
	run_score,
};
