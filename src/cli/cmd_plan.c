/*
 * `maestro plan`: the budgeted planner (model/knapsack.h) on a given list of
 * items (--items FILE.json, schemas/plan-items.schema.json, with one --budget
 * per dimension) or on OR-Library multidimensional knapsack instances
 * (--orlib FILE), so anyone can check the planner against public optima.
 *
 * Every plan is printed beside the reference greedy of the same problem, run
 * in the same process: the sprint plan's rule value / (usd + 0.01 + ci / 30)
 * when the budgets are usd and ci, otherwise OR-Library's p / sum_i a_i / b_i.
 * Planning the live portfolio (open PRs from the forge) is not built yet.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/dataset/orlib.h"
#include "cli/cli.h"
#include "model/knapsack.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonschema.h"

#define ITEMS_SCHEMA "schemas/plan-items.schema.json"
#define ITEMS_MAX_BYTES ((size_t)256 << 20)
#define NOT_BUILT "planning the live portfolio (open pull requests and issues from the forge) " \
	"is not built yet"

struct options {
	const char *items, *orlib;
	size_t instance;          /* 1-based; 0 = every instance */
	char *budget_name[MC_KNAPSACK_MAX_DIMS];
	double budget[MC_KNAPSACK_MAX_DIMS];
	size_t nbudgets;
	enum mc_format format;
	mc_knapsack_options solve;
};

/* A number that is all of arg (no trailing text), finite and >= 0. */
static int parse_amount(const char *arg, double *out)
{
	char *end;
	if (!*arg || !((*arg >= '0' && *arg <= '9') || *arg == '.'))
		return -1;
	*out = strtod(arg, &end);
	return !*end && isfinite(*out) && *out >= 0 ? 0 : -1;
}

/* "name=amount" into the next budget slot. */
static int parse_budget(struct options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t i;
	if (!eq || eq == arg)
		return mc_cli_usage("plan", "--budget wants NAME=AMOUNT (usd=100), not '%s'", arg);
	if (o->nbudgets == MC_KNAPSACK_MAX_DIMS)
		return mc_cli_usage("plan", "at most %d --budget dimensions", MC_KNAPSACK_MAX_DIMS);
	if (parse_amount(eq + 1, &o->budget[o->nbudgets]))
		return mc_cli_usage("plan", "--budget %.*s: the amount must be a number >= 0, not '%s'",
				    (int)(eq - arg), arg, eq + 1);
	for (i = 0; i < o->nbudgets; i++)
		if (strlen(o->budget_name[i]) == (size_t)(eq - arg) &&
		    !strncmp(o->budget_name[i], arg, (size_t)(eq - arg)))
			return mc_cli_usage("plan", "--budget %s is given twice", o->budget_name[i]);
	o->budget_name[o->nbudgets++] = strndup(arg, (size_t)(eq - arg));
	return 0;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "items", required_argument, NULL, 'i' },
		{ "orlib", required_argument, NULL, 'o' },
		{ "instance", required_argument, NULL, 'k' },
		{ "budget", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'F' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "node-limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': o->items = optarg; break;
		case 'o': o->orlib = optarg; break;
		case 'k':
			if (parse_amount(optarg, &v) || v < 1 || v != floor(v) || v > 1e9)
				return mc_cli_usage("plan", "--instance must be a whole number >= 1, not '%s'",
						    optarg);
			o->instance = (size_t)v;
			break;
		case 'b':
			if ((rc = parse_budget(o, optarg)) != 0)
				return rc;
			break;
		case 'F':
			if (mc_cli_parse_format(optarg, &o->format))
				return mc_cli_usage("plan", "%s", mc_error_message());
			break;
		case 't':
			if (parse_amount(optarg, &o->solve.time_limit))
				return mc_cli_usage("plan", "--time-limit must be seconds >= 0 (0: none), "
						    "not '%s'", optarg);
			break;
		case 'n':
			if (parse_amount(optarg, &v) || v != floor(v) || v > 1e15)
				return mc_cli_usage("plan", "--node-limit must be a whole number >= 0 "
						    "(0: none), not '%s'", optarg);
			o->solve.node_limit = (size_t)v;
			break;
		default: return mc_cli_usage("plan", "unknown option");
		}
	}
	if (optind != argc)
		return mc_cli_usage("plan", "unexpected argument '%s'", argv[optind]);
	if (!o->items && !o->orlib) {
		fprintf(stderr, "maestro plan: %s; plan a given list with --items FILE.json "
			"--budget NAME=AMOUNT ..., or OR-Library instances with --orlib FILE\n",
			NOT_BUILT);
		return MC_EXIT_USAGE;
	}
	if (o->items && o->orlib)
		return mc_cli_usage("plan", "give --items or --orlib, not both");
	if (o->items && !o->nbudgets)
		return mc_cli_usage("plan", "--items needs at least one --budget NAME=AMOUNT");
	if (o->orlib && o->nbudgets)
		return mc_cli_usage("plan", "--orlib files carry their own budgets; drop --budget");
	if (o->items && o->instance)
		return mc_cli_usage("plan", "--instance goes with --orlib");
	return 0;
}

/* ---- output ------------------------------------------------------------------------------- */

static struct json_object *plan_json(const mc_knapsack *k, const mc_knapsack_result *r)
{
	struct json_object *o = json_object_new_object(), *chosen = json_object_new_array();
	struct json_object *use = json_object_new_object(), *excl = json_object_new_array();
	size_t i;
	mc_json_set_string(o, "method", r->method);
	mc_json_set_double(o, "objective", r->objective);
	mc_json_set_double(o, "value", r->value);
	mc_json_set_double(o, "upper_bound", r->upper_bound);
	mc_json_set_double(o, "gap", r->gap);
	mc_json_set_bool(o, "proven_optimal", r->proven_optimal);
	mc_json_set_string(o, "stopped_by", mc_knapsack_stop_name(r->stop));
	mc_json_set_int(o, "nodes", (long long)r->nodes);
	mc_json_set_int(o, "core_items", (long long)r->core);
	mc_json_set_double(o, "seconds", r->seconds);
	for (i = 0; i < r->nchosen; i++)
		json_object_array_add(chosen,
				      json_object_new_string(mc_knapsack_item_id(k, r->chosen[i])));
	json_object_object_add(o, "chosen", chosen);
	for (i = 0; i < r->ndims; i++) {
		struct json_object *d = json_object_new_object();
		mc_json_set_double(d, "used", r->used[i]);
		mc_json_set_double(d, "budget", mc_knapsack_budget(k, i));
		json_object_object_add(use, mc_knapsack_dim_name(k, i), d);
	}
	json_object_object_add(o, "budget_use", use);
	for (i = 0; i < r->nexcluded; i++) {
		struct json_object *e = json_object_new_object();
		const mc_knapsack_excluded *x = &r->excluded[i];
		mc_json_set_string(e, "id", mc_knapsack_item_id(k, x->item));
		mc_json_set_string(e, "reason", mc_knapsack_exclusion_name(x->why));
		if (x->why != MC_KNAPSACK_EXCL_PINNED_OUT)
			mc_json_set_string(e, "dimension", mc_knapsack_dim_name(k, x->dim));
		json_object_array_add(excl, e);
	}
	json_object_object_add(o, "left_out", excl);
	return o;
}

static void print_plan_text(const mc_knapsack *k, const mc_knapsack_result *r,
			    const mc_knapsack_result *ref, int list_ids)
{
	size_t i;
	printf("plan: %zu of %zu items, value %.10g", r->nchosen, mc_knapsack_items(k), r->value);
	if (r->objective != r->value)
		printf(" (weighted objective %.10g)", r->objective);
	printf("\n");
	for (i = 0; i < r->ndims; i++) {
		double b = mc_knapsack_budget(k, i);
		printf("  budget %-12s %.10g of %.10g", mc_knapsack_dim_name(k, i), r->used[i], b);
		if (b > 0)
			printf(" (%.1f %%)", 100 * r->used[i] / b);
		printf("\n");
	}
	printf("  upper bound %.10g, gap %.4f %%, %s\n", r->upper_bound, 100 * r->gap,
	       r->proven_optimal ? "proven optimal"
				 : r->stop == MC_KNAPSACK_DONE ? "not proven optimal"
							       : "not proven optimal (stopped: see below)");
	printf("  time %.4f s (%s, %zu nodes, core of %zu items, %s)\n", r->seconds, r->method,
	       r->nodes, r->core, mc_knapsack_stop_name(r->stop));
	printf("  reference %s: objective %.10g, gap %.4f %%, time %.4f s\n", ref->method,
	       ref->objective, 100 * ref->gap, ref->seconds);
	if (list_ids) {
		printf("chosen:");
		for (i = 0; i < r->nchosen; i++)
			printf(" %s", mc_knapsack_item_id(k, r->chosen[i]));
		printf("\n");
		for (i = 0; i < r->nexcluded; i++) {
			const mc_knapsack_excluded *x = &r->excluded[i];
			printf("left out: %s (%s", mc_knapsack_item_id(k, x->item),
			       mc_knapsack_exclusion_name(x->why));
			if (x->why != MC_KNAPSACK_EXCL_PINNED_OUT)
				printf(": %s", mc_knapsack_dim_name(k, x->dim));
			printf(")\n");
		}
	}
}

/* Solve k and its reference greedy; text goes to stdout now, JSON into *json. */
static int plan_one(const mc_knapsack *k, const struct options *o, int list_ids,
		    struct json_object **json)
{
	mc_knapsack_result r, ref;
	long usd = mc_knapsack_find_dim(k, "usd"), ci = mc_knapsack_find_dim(k, "ci");
	int rc = mc_knapsack_solve(&r, k, &o->solve);
	if (rc)
		return rc;
	if (usd >= 0 && ci >= 0)
		rc = mc_knapsack_greedy_sprint(&ref, k, (size_t)usd, (size_t)ci);
	else
		rc = mc_knapsack_greedy_ratio(&ref, k);
	if (rc) {
		mc_knapsack_result_free(&r);
		return rc;
	}
	if (json) {
		*json = json_object_new_object();
		json_object_object_add(*json, "plan", plan_json(k, &r));
		json_object_object_add(*json, "reference", plan_json(k, &ref));
	} else {
		print_plan_text(k, &r, &ref, list_ids);
	}
	mc_knapsack_result_free(&r);
	mc_knapsack_result_free(&ref);
	return 0;
}

/* ---- --items ------------------------------------------------------------------------------ */

static int load_items_doc(struct json_object **doc, const char *path)
{
	struct json_object *schema = NULL;
	const char *stext;
	char *text;
	size_t len, slen;
	int rc;
	*doc = NULL;
	if ((rc = mc_fs_read_file(&text, &len, path, ITEMS_MAX_BYTES)) != 0)
		return rc;
	rc = mc_json_parse(doc, text, len, ITEMS_MAX_BYTES, path);
	free(text);
	if (rc)
		return rc;
	stext = mc_embedded_get(ITEMS_SCHEMA, &slen);
	if (!stext)
		return mc_error_set(MC_EINTERNAL, "%s is not embedded in this build", ITEMS_SCHEMA);
	if ((rc = mc_json_parse(&schema, stext, slen, slen, ITEMS_SCHEMA)) != 0)
		return mc_error_recode(MC_EINTERNAL);
	rc = mc_jsonschema_validate(schema, *doc, path);
	json_object_put(schema);
	return rc;
}

/* One validated item into k (its costs must all name a --budget dimension). */
static int add_item(mc_knapsack *k, struct json_object *it, size_t index, const char *path)
{
	double costs[MC_KNAPSACK_MAX_DIMS] = { 0 };
	const char *id = mc_json_get_string(it, "id", "");
	const char *pinned = mc_json_get_string(it, "pinned", NULL);
	struct json_object *c = mc_json_get(it, "costs");
	size_t at;
	int rc;
	if (c) {
		json_object_object_foreach(c, name, amount) {
			long d = mc_knapsack_find_dim(k, name);
			if (d < 0)
				return mc_error_set(MC_EINVAL, "%s: /items/%zu ('%s'): cost '%s' has no "
						    "--budget %s=AMOUNT", path, index, id, name, name);
			costs[d] = json_object_get_double(amount);
		}
	}
	if ((rc = mc_knapsack_add_item(k, &at, id, mc_json_get_double(it, "value", 0), costs)) != 0)
		return mc_error_wrap(rc, "%s: /items/%zu", path, index);
	if (pinned)
		mc_knapsack_pin(k, at, !strcmp(pinned, "in") ? MC_KNAPSACK_PIN_IN : MC_KNAPSACK_PIN_OUT);
	if (mc_json_get(it, "weight") &&
	    (rc = mc_knapsack_set_weight(k, at, mc_json_get_double(it, "weight", 1))) != 0)
		return mc_error_wrap(rc, "%s: /items/%zu", path, index);
	return 0;
}

static int plan_items(const struct options *o)
{
	struct json_object *doc = NULL, *items, *out = NULL;
	mc_knapsack *k = NULL;
	size_t i, n;
	int rc = load_items_doc(&doc, o->items);
	if (!rc)
		rc = mc_knapsack_new(&k, o->nbudgets, (const char *const *)o->budget_name);
	for (i = 0; !rc && i < o->nbudgets; i++)
		rc = mc_knapsack_set_budget(k, i, o->budget[i]);
	if (!rc) {
		items = mc_json_get(doc, "items");
		n = json_object_array_length(items);
		for (i = 0; !rc && i < n; i++)
			rc = add_item(k, json_object_array_get_idx(items, i), i, o->items);
	}
	if (!rc)
		rc = plan_one(k, o, 1, o->format == MC_FORMAT_JSON ? &out : NULL);
	if (!rc && out) {
		mc_json_set_string(out, "items", o->items);
		printf("%s\n", mc_json_dump(out, 1));
	}
	json_object_put(out);
	json_object_put(doc);
	mc_knapsack_free(k);
	return rc ? mc_cli_fail("plan", rc) : MC_EXIT_OK;
}

/* ---- --orlib ------------------------------------------------------------------------------ */

static int problem_from_orlib(mc_knapsack **out, const mc_orlib_instance *in)
{
	char names[MC_ORLIB_MAX_DIMS][24], id[24];
	const char *np[MC_ORLIB_MAX_DIMS];
	double costs[MC_ORLIB_MAX_DIMS];
	size_t i, j;
	int rc;
	for (i = 0; i < in->m; i++) {
		snprintf(names[i], sizeof names[i], "b%zu", i + 1);
		np[i] = names[i];
	}
	if ((rc = mc_knapsack_new(out, in->m, np)) != 0)
		return rc;
	for (i = 0; i < in->m && !rc; i++)
		rc = mc_knapsack_set_budget(*out, i, in->b[i]);
	for (j = 0; j < in->n && !rc; j++) {
		for (i = 0; i < in->m; i++)
			costs[i] = in->a[i * in->n + j];
		snprintf(id, sizeof id, "%zu", j + 1);
		rc = mc_knapsack_add_item(*out, NULL, id, in->p[j], costs);
	}
	if (rc) {
		mc_knapsack_free(*out);
		*out = NULL;
	}
	return rc;
}

static int plan_orlib(const struct options *o)
{
	mc_orlib_file f;
	struct json_object *all = NULL, *list = NULL;
	size_t i, first = 0, last;
	int rc = mc_orlib_read(&f, o->orlib);
	if (rc)
		return mc_cli_fail("plan", rc);
	last = f.count;
	if (o->instance) {
		if (o->instance > f.count) {
			size_t count = f.count;
			mc_orlib_free(&f);
			return mc_cli_usage("plan", "--instance %zu: %s holds %zu instance(s)",
					    o->instance, o->orlib, count);
		}
		first = o->instance - 1;
		last = o->instance;
	}
	if (o->format == MC_FORMAT_JSON) {
		all = json_object_new_object();
		list = json_object_new_array();
		mc_json_set_string(all, "orlib", o->orlib);
		json_object_object_add(all, "instances", list);
	}
	for (i = first; i < last && !rc; i++) {
		const mc_orlib_instance *in = &f.inst[i];
		struct json_object *one = NULL;
		mc_knapsack *k;
		if ((rc = problem_from_orlib(&k, in)) != 0) {
			mc_error_wrap(rc, "%s: instance %zu", o->orlib, i + 1);
			break;
		}
		if (!list)
			printf("%sinstance %zu: n %zu, m %zu, optimum in the file %.10g%s\n",
			       i > first ? "\n" : "", i + 1, in->n, in->m, in->opt,
			       in->opt == 0 ? " (unknown)" : "");
		rc = plan_one(k, o, o->instance != 0, list ? &one : NULL);
		if (!rc && one) {
			mc_json_set_int(one, "instance", (long long)(i + 1));
			mc_json_set_int(one, "n", (long long)in->n);
			mc_json_set_int(one, "m", (long long)in->m);
			mc_json_set_double(one, "opt", in->opt);
			json_object_array_add(list, one);
		}
		mc_knapsack_free(k);
	}
	if (!rc && all)
		printf("%s\n", mc_json_dump(all, 1));
	json_object_put(all);
	mc_orlib_free(&f);
	return rc ? mc_cli_fail("plan", rc) : MC_EXIT_OK;
}

static int run_plan(int argc, char **argv)
{
	struct options o;
	size_t i;
	int rc;
	memset(&o, 0, sizeof o);
	mc_knapsack_options_init(&o.solve);
	rc = parse_options(&o, argc, argv);
	if (!rc)
		rc = o.items ? plan_items(&o) : plan_orlib(&o);
	for (i = 0; i < o.nbudgets; i++)
		free(o.budget_name[i]);
	return rc;
}

const struct mc_command mc_cmd_plan = {
	"plan", "choose the most valuable items that fit the budgets (knapsack planner)",
	"usage: maestro plan --items FILE.json --budget NAME=AMOUNT [--budget ...]\n"
	"                    [--format text|json] [--time-limit SECONDS] [--node-limit N]\n"
	"       maestro plan --orlib FILE [--instance K] [--format text|json] [...]\n\n"
	"Chooses the items with the largest total value whose costs fit every budget\n"
	"(0/1 multidimensional knapsack): LP bound, greedy and local search, then branch\n"
	"and bound, which proves the plan optimal when it finishes. Prints the value, the\n"
	"chosen ids, the budget use, an upper bound on the best value and the gap to it,\n"
	"whether the plan is proven optimal, and the time, beside the reference greedy\n"
	"(the sprint plan's value / (usd + 0.01 + ci / 30) when the budgets are usd and\n"
	"ci, otherwise value / sum of cost / budget).\n\n"
	"  --items FILE.json   items to plan (schemas/plan-items.schema.json): id, value,\n"
	"                      costs {dimension: amount}, pinned \"in\" (must ship) or \"out\"\n"
	"                      (hold), weight (a priority override multiplying the value)\n"
	"  --budget NAME=AMOUNT  one per cost dimension (usd=200 --budget ci=3000)\n"
	"  --orlib FILE        OR-Library mknap instances (e.g. ../shared/data/mknap/mknap1.txt)\n"
	"  --instance K        only the K-th instance of the file (default: all)\n"
	"  --time-limit SECONDS  branch-and-bound time (default 0.95; 0: none)\n"
	"  --node-limit N      branch-and-bound nodes (default 0: none)\n"
	"  --format text|json\n\n"
	"Not built yet: `maestro plan` with neither --items nor --orlib, which would plan\n"
	"the live portfolio (open pull requests and issues from the forge), and the\n"
	"release train.\n",
	run_plan,
};
