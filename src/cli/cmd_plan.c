/*
 * `maestro plan`: the budgeted planner (model/knapsack.h) on a given list of
 * items (--items FILE.json, schemas/plan-items.schema.json, with one --budget
 * per dimension) or on OR-Library multidimensional knapsack instances
 * (--orlib FILE), so anyone can check the planner against public optima.
 *
 * Every plan is printed beside the reference greedy of the same problem, run
 * in the same process: the sprint plan's rule value / (usd + 0.01 + ci / 30)
 * when the budgets are usd and ci, otherwise OR-Library's p / sum_i a_i / b_i.
 *
 * With --train NAME:DIM=AMOUNT,... (repeatable, instead of --budget) the items
 * are scheduled into release trains in order (model/train.h): per train the
 * value, items, budget used and idle, and the reason for each item left out.
 * With neither --items nor --orlib it plans the repository's portfolio
 * (pipeline/portfolio.h: every change reviewed here, or the forge's pull requests
 * and issues in the daemon's mirrors), under --budget or in --train release trains;
 * several -C plan across repositories.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/dataset/orlib.h"
#include "cli/cli.h"
#include "model/knapsack.h"
#include "model/train.h"
#include "pipeline/portfolio.h"
#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/strbuf.h"

#define MC_PLAN_MAX_REPOS 256
#define ITEMS_SCHEMA "schemas/plan-items.schema.json"
#define ITEMS_MAX_BYTES ((size_t)256 << 20)
#define IDLE_GOAL 0.05 /* issue 5: under 5 % of a train's budget idle when the backlog allows */

/* One --train: its name and a budget per dimension, in the order of options.train_dim. */
struct train_window {
	char *name;
	double budget[MC_KNAPSACK_MAX_DIMS];
};

struct options {
	const char *items, *orlib;
	const char *dirs[MC_PLAN_MAX_REPOS]; /* the repositories whose portfolios are planned */
	size_t ndirs;
	size_t instance;          /* 1-based; 0 = every instance */
	char *budget_name[MC_KNAPSACK_MAX_DIMS];
	double budget[MC_KNAPSACK_MAX_DIMS];
	size_t nbudgets;
	char *train_dim[MC_KNAPSACK_MAX_DIMS]; /* the dimensions, as the first --train names them */
	size_t ntrain_dims;
	struct train_window *trains;
	size_t ntrains;
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

static long find_name(char *const *names, size_t n, const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], name, len))
			return (long)i;
	return -1;
}

/* One "dim=amount" of a --train: a dimension of the first train (the first defines them). */
static int parse_train_budget(struct options *o, struct train_window *w, unsigned char *given,
			      const char *part, size_t len)
{
	const char *eq = memchr(part, '=', len);
	char *amount;
	size_t nlen;
	long d;
	int bad;
	if (len == 0)
		return mc_cli_usage("plan", "--train %s: an empty budget (two commas, or one at the "
				    "end)", w->name);
	if (!eq || eq == part)
		return mc_cli_usage("plan", "--train %s: each budget is DIM=AMOUNT (usd=100), not '%.*s'",
				    w->name, (int)len, part);
	nlen = (size_t)(eq - part);
	d = find_name(o->train_dim, o->ntrain_dims, part, nlen);
	if (d < 0 && o->ntrains > 0)
		return mc_cli_usage("plan", "--train %s: '%.*s' is not a dimension of the first "
				    "train; every train needs the same dimensions", w->name,
				    (int)nlen, part);
	if (d < 0) {
		if (o->ntrain_dims == MC_KNAPSACK_MAX_DIMS)
			return mc_cli_usage("plan", "at most %d budget dimensions", MC_KNAPSACK_MAX_DIMS);
		d = (long)o->ntrain_dims;
		o->train_dim[o->ntrain_dims++] = mc_xstrndup(part, nlen);
	}
	if (given[d])
		return mc_cli_usage("plan", "--train %s: budget '%s' is given twice", w->name,
				    o->train_dim[d]);
	given[d] = 1;
	amount = mc_xstrndup(eq + 1, len - nlen - 1);
	bad = parse_amount(amount, &w->budget[d]);
	if (bad)
		mc_cli_usage("plan", "--train %s: budget '%s' must be a number >= 0, not '%s'",
			     w->name, o->train_dim[d], amount);
	free(amount);
	return bad ? MC_EXIT_USAGE : 0;
}

/* "NAME:dim=amount,dim=amount" into the next train; every train names the same dimensions. */
static int parse_train(struct options *o, const char *arg)
{
	const char *colon = strchr(arg, ':'), *part, *end;
	unsigned char given[MC_KNAPSACK_MAX_DIMS] = { 0 };
	struct train_window *w;
	size_t i;
	int rc;
	if (!colon || colon == arg || !colon[1])
		return mc_cli_usage("plan", "--train wants NAME:DIM=AMOUNT,... (May:usd=100,ci=3000), "
				    "not '%s'", arg);
	for (i = 0; i < o->ntrains; i++)
		if (strlen(o->trains[i].name) == (size_t)(colon - arg) &&
		    !strncmp(o->trains[i].name, arg, (size_t)(colon - arg)))
			return mc_cli_usage("plan", "--train %s is given twice", o->trains[i].name);
	if (o->ntrains == MC_TRAIN_MAX_WINDOWS)
		return mc_cli_usage("plan", "at most %d --train windows", MC_TRAIN_MAX_WINDOWS);
	o->trains = mc_xrealloc(o->trains, (o->ntrains + 1) * sizeof *o->trains);
	w = &o->trains[o->ntrains];
	memset(w, 0, sizeof *w);
	w->name = mc_xstrndup(arg, (size_t)(colon - arg));
	for (part = colon + 1; ; part = end + 1) {
		end = strchr(part, ',');
		if (!end)
			end = part + strlen(part);
		if ((rc = parse_train_budget(o, w, given, part, (size_t)(end - part))) != 0) {
			free(w->name);
			return rc;
		}
		if (!*end)
			break;
	}
	for (i = 0; i < o->ntrain_dims; i++)
		if (!given[i]) {
			mc_cli_usage("plan", "--train %s has no '%s' budget; every train needs the same "
				     "dimensions", w->name, o->train_dim[i]);
			free(w->name);
			return MC_EXIT_USAGE;
		}
	o->ntrains++;
	return 0;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "items", required_argument, NULL, 'i' },
		{ "orlib", required_argument, NULL, 'o' },
		{ "instance", required_argument, NULL, 'k' },
		{ "budget", required_argument, NULL, 'b' },
		{ "train", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'F' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "node-limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			if (o->ndirs == MC_PLAN_MAX_REPOS)
				return mc_cli_usage("plan", "-C: at most %d repositories",
						    MC_PLAN_MAX_REPOS);
			o->dirs[o->ndirs++] = optarg;
			break;
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
		case 'T':
			if ((rc = parse_train(o, optarg)) != 0)
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
	if (!o->items && !o->orlib && !o->nbudgets && !o->ntrains)
		return mc_cli_usage("plan", "give --budget usd=N --budget ci=M (or --train "
				    "NAME:DIM=AMOUNT,...) to plan this repository's portfolio (maestro "
				    "portfolio; -C DIR, repeatable, for others), --items FILE.json to "
				    "plan a given list, or --orlib FILE");
	if (o->ndirs && (o->items || o->orlib))
		return mc_cli_usage("plan", "-C plans a repository's portfolio; drop --items/--orlib");
	if (o->items && o->orlib)
		return mc_cli_usage("plan", "give --items or --orlib, not both");
	if (o->nbudgets && o->ntrains)
		return mc_cli_usage("plan", "give --budget (one plan) or --train (release trains), "
				    "not both");
	if (o->orlib && o->ntrains)
		return mc_cli_usage("plan", "--train goes with --items");
	if (o->items && !o->nbudgets && !o->ntrains)
		return mc_cli_usage("plan", "--items needs at least one --budget NAME=AMOUNT, or "
				    "--train NAME:DIM=AMOUNT,... for release trains");
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

/* One validated item of the document, its costs in the order of the dimensions given. */
struct item_in {
	const char *id, *pinned;
	double value, weight;
	int has_weight;
	double costs[MC_KNAPSACK_MAX_DIMS];
};

static int read_item(struct item_in *in, struct json_object *it, size_t index, const char *path,
		     char *const *dims, size_t ndims, int trains)
{
	struct json_object *c = mc_json_get(it, "costs");
	memset(in, 0, sizeof *in);
	in->id = mc_json_get_string(it, "id", "");
	in->pinned = mc_json_get_string(it, "pinned", NULL);
	in->value = mc_json_get_double(it, "value", 0);
	in->has_weight = mc_json_get(it, "weight") != NULL;
	in->weight = mc_json_get_double(it, "weight", 1);
	if (c) {
		json_object_object_foreach(c, name, amount) {
			long d = find_name(dims, ndims, name, strlen(name));
			if (d < 0 && trains)
				return mc_error_set(MC_EINVAL, "%s: /items/%zu ('%s'): cost '%s' has no "
						    "budget in the --train windows (add %s=AMOUNT "
						    "to each)", path, index, in->id, name, name);
			if (d < 0)
				return mc_error_set(MC_EINVAL, "%s: /items/%zu ('%s'): cost '%s' has no "
						    "--budget %s=AMOUNT", path, index, in->id, name,
						    name);
			in->costs[d] = json_object_get_double(amount);
		}
	}
	return 0;
}

static enum mc_knapsack_pin pin_of(const struct item_in *in)
{
	return !in->pinned ? MC_KNAPSACK_FREE
	       : !strcmp(in->pinned, "in") ? MC_KNAPSACK_PIN_IN : MC_KNAPSACK_PIN_OUT;
}

/* One validated item into k (its costs must all name a --budget dimension). */
static int add_item(mc_knapsack *k, struct json_object *it, size_t index, const struct options *o)
{
	struct item_in in;
	size_t at;
	int rc = read_item(&in, it, index, o->items, o->budget_name, o->nbudgets, 0);
	if (rc)
		return rc;
	if ((rc = mc_knapsack_add_item(k, &at, in.id, in.value, in.costs)) != 0)
		return mc_error_wrap(rc, "%s: /items/%zu", o->items, index);
	mc_knapsack_pin(k, at, pin_of(&in));
	if (in.has_weight && (rc = mc_knapsack_set_weight(k, at, in.weight)) != 0)
		return mc_error_wrap(rc, "%s: /items/%zu", o->items, index);
	return 0;
}

/* One validated item into the trains (its costs must all name a --train dimension). */
static int add_train_item(mc_train *t, struct json_object *it, size_t index,
			  const struct options *o)
{
	struct item_in in;
	size_t at;
	int rc = read_item(&in, it, index, o->items, o->train_dim, o->ntrain_dims, 1);
	if (rc)
		return rc;
	if ((rc = mc_train_add_item(t, &at, in.id, in.value, in.costs)) != 0)
		return mc_error_wrap(rc, "%s: /items/%zu", o->items, index);
	mc_train_pin(t, at, pin_of(&in));
	if (in.has_weight && (rc = mc_train_set_weight(t, at, in.weight)) != 0)
		return mc_error_wrap(rc, "%s: /items/%zu", o->items, index);
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
			rc = add_item(k, json_object_array_get_idx(items, i), i, o);
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

/* ---- --train ------------------------------------------------------------------------------ */

static struct json_object *budget_use_json(const mc_train *t, const double *budget,
					   const double *used, const double *idle,
					   const double *share)
{
	struct json_object *use = json_object_new_object();
	size_t i;
	for (i = 0; i < mc_train_dims(t); i++) {
		struct json_object *d = json_object_new_object();
		mc_json_set_double(d, "budget", budget[i]);
		mc_json_set_double(d, "used", used[i]);
		mc_json_set_double(d, "idle", idle[i]);
		mc_json_set_double(d, "idle_share", share[i]);
		json_object_object_add(use, mc_train_dim_name(t, i), d);
	}
	return use;
}

/* The ids of items[0..n-1]; only the pinned-in ones if pinned_only. */
static struct json_object *ids_json(const mc_train *t, const size_t *items, size_t n,
				    int pinned_only)
{
	struct json_object *a = json_object_new_array();
	size_t k;
	for (k = 0; k < n; k++)
		if (!pinned_only || mc_train_item_pin(t, items[k]) == MC_KNAPSACK_PIN_IN)
			json_object_array_add(a, json_object_new_string(mc_train_item_id(t, items[k])));
	return a;
}

static struct json_object *scheduled_json(const mc_train *t, const mc_train_scheduled *s)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "name", mc_train_window_name(t, s->window));
	mc_json_set_int(o, "position", (long long)s->window + 1);
	mc_json_set_double(o, "value", s->value);
	mc_json_set_double(o, "objective", s->objective);
	json_object_object_add(o, "items", ids_json(t, s->items, s->nitems, 0));
	json_object_object_add(o, "pinned_in", ids_json(t, s->items, s->nitems, 1));
	json_object_object_add(o, "budget_use",
			       budget_use_json(t, s->budget, s->used, s->idle, s->idle_share));
	mc_json_set_double(o, "upper_bound", s->upper_bound);
	mc_json_set_double(o, "gap", s->gap);
	mc_json_set_bool(o, "proven_optimal", s->proven_optimal);
	mc_json_set_string(o, "method", s->method);
	mc_json_set_int(o, "candidates", (long long)s->candidates);
	return o;
}

static struct json_object *left_out_json(const mc_train *t, const mc_train_left_out *x)
{
	struct json_object *o = json_object_new_object();
	size_t w;
	mc_json_set_string(o, "id", mc_train_item_id(t, x->item));
	mc_json_set_string(o, "reason", mc_train_reason_name(x->why));
	mc_json_set_string(o, "text", x->text);
	if (x->why == MC_TRAIN_TOO_LARGE || x->why == MC_TRAIN_CROWDED_OUT) {
		mc_json_set_string(o, "dimension", mc_train_dim_name(t, x->dim));
		mc_json_set_double(o, "needs", x->need);
		mc_json_set_double(o, x->why == MC_TRAIN_TOO_LARGE ? "largest_budget" : "left",
				   x->have);
	}
	if (x->why == MC_TRAIN_CROWDED_OUT) {
		mc_json_set_string(o, "train", mc_train_window_name(t, x->train));
		json_object_object_add(o, "displaced_by",
				       ids_json(t, x->displaced_by, x->ndisplaced_by, 0));
	}
	if (x->why == MC_TRAIN_NO_SINGLE_FIT) {
		struct json_object *small = json_object_new_object();
		for (w = 0; w < mc_train_windows(t); w++)
			mc_json_set_string(small, mc_train_window_name(t, w),
					   mc_train_dim_name(t, x->train_dim[w]));
		json_object_object_add(o, "too_small_in", small);
	}
	return o;
}

static struct json_object *trains_json(const mc_train *t, const mc_train_result *r,
				       const char *path)
{
	struct json_object *o = json_object_new_object(), *dims = json_object_new_array();
	struct json_object *trains = json_object_new_array(), *left = json_object_new_array();
	size_t i;
	mc_json_set_string(o, "items", path);
	for (i = 0; i < r->ndims; i++)
		json_object_array_add(dims, json_object_new_string(mc_train_dim_name(t, i)));
	json_object_object_add(o, "dimensions", dims);
	mc_json_set_double(o, "value", r->value);
	mc_json_set_double(o, "objective", r->objective);
	json_object_object_add(o, "budget_use",
			       budget_use_json(t, r->budget, r->used, r->idle, r->idle_share));
	mc_json_set_double(o, "idle_goal", IDLE_GOAL);
	mc_json_set_bool(o, "backlog_exhausted", r->backlog_exhausted);
	mc_json_set_double(o, "seconds", r->seconds);
	for (i = 0; i < r->ntrains; i++)
		json_object_array_add(trains, scheduled_json(t, &r->trains[i]));
	json_object_object_add(o, "trains", trains);
	for (i = 0; i < r->nleft_out; i++)
		json_object_array_add(left, left_out_json(t, &r->left_out[i]));
	json_object_object_add(o, "left_out", left);
	return o;
}

/* The budget table of a train or of all trains: one row per dimension. */
static void print_budget_table(const mc_train *t, const double *budget, const double *used,
			       const double *idle, const double *share)
{
	size_t i;
	printf("  %-12s %14s %14s %14s %7s\n", "budget", "used", "of", "idle", "idle %");
	for (i = 0; i < mc_train_dims(t); i++)
		printf("  %-12s %14.10g %14.10g %14.10g %7.1f%s\n", mc_train_dim_name(t, i), used[i],
		       budget[i], idle[i], 100 * share[i], share[i] >= IDLE_GOAL ? "  over 5 %" : "");
}

static void print_ids(const char *label, const mc_train *t, const size_t *items, size_t n)
{
	size_t k;
	printf("  %s:", label);
	for (k = 0; k < n; k++)
		printf(" %s", mc_train_item_id(t, items[k]));
	printf("%s\n", n ? "" : " nothing");
}

static void print_trains_text(const mc_train *t, const mc_train_result *r)
{
	size_t w, i, shipped = mc_train_items(t) - r->nleft_out;
	int over_goal = 0;
	printf("release trains: %zu train(s), %zu of %zu items ship, value %.10g", r->ntrains, shipped,
	       mc_train_items(t), r->value);
	if (r->objective != r->value)
		printf(" (weighted objective %.10g)", r->objective);
	printf("\n");
	for (w = 0; w < r->ntrains; w++) {
		const mc_train_scheduled *s = &r->trains[w];
		printf("\ntrain %s (%zu of %zu): %zu item(s)", mc_train_window_name(t, w), w + 1,
		       r->ntrains, s->nitems);
		if (s->npinned)
			printf(", %zu pinned in", s->npinned);
		printf(", value %.10g", s->value);
		if (s->objective != s->value)
			printf(" (weighted %.10g)", s->objective);
		if (s->proven_optimal)
			printf(", proven best over the %zu item(s) left\n", s->candidates);
		else
			printf(", gap to the bound %.4f %% (%s)\n", 100 * s->gap, s->method);
		print_budget_table(t, s->budget, s->used, s->idle, s->idle_share);
		print_ids("ships", t, s->items, s->nitems);
	}
	printf("\nall trains:\n");
	print_budget_table(t, r->budget, r->used, r->idle, r->idle_share);
	for (i = 0; i < r->ndims; i++)
		if (r->idle_share[i] >= IDLE_GOAL)
			over_goal = 1;
	if (over_goal)
		printf("  idle is over the 5 %% goal %s\n",
		       r->backlog_exhausted ? "because the backlog ran out: every item not held ships"
					    : "and nothing left out fits what the trains have left");
	for (i = 0; i < r->nleft_out; i++)
		printf("left out: %s: %s\n", mc_train_item_id(t, r->left_out[i].item),
		       r->left_out[i].text);
}

/* The open items of the portfolios of the repositories (several -C: across them) as
 * train items. A repository with nothing reviewed adds nothing. */
static int add_portfolio_train_items(mc_train *t, const struct options *o)
{
	static const char *const here[] = { "." };
	const char *const *dirs = o->ndirs ? o->dirs : here;
	size_t ndirs = o->ndirs ? o->ndirs : 1, i, n, total = 0, stores = 0;
	int rc = 0;

	for (i = 0; !rc && i < ndirs; i++) {
		mc_store *store = NULL;
		rc = mc_portfolio_open_store(&store, dirs[i], 0);
		if (rc == MC_ENOTFOUND) {
			mc_error_clear();
			rc = 0;
			continue;
		}
		stores++;
		if (!rc && (rc = mc_portfolio_train_items(t, store, &n)) != 0)
			rc = mc_error_wrap(rc, "%s", dirs[i]);
		total += rc ? 0 : n;
		mc_store_close(store);
	}
	if (!rc && stores == 0)
		rc = mc_error_set(MC_EEMPTY, "nothing reviewed here yet: the portfolio is empty "
				  "(maestro review adds each change to it)");
	else if (!rc && total == 0)
		rc = mc_error_set(MC_EEMPTY, "the portfolio has no open items: review some changes "
				  "first (maestro review, then maestro portfolio)");
	return rc;
}

static int plan_trains(const struct options *o)
{
	struct json_object *doc = NULL, *items;
	mc_train *t = NULL;
	mc_train_result r;
	size_t i, n;
	int rc = o->items ? load_items_doc(&doc, o->items) : 0, planned = 0;
	if (!rc)
		rc = mc_train_new(&t, o->ntrain_dims, (const char *const *)o->train_dim);
	for (i = 0; !rc && i < o->ntrains; i++)
		rc = mc_train_add_window(t, o->trains[i].name, o->trains[i].budget);
	if (!rc && !o->items)
		rc = add_portfolio_train_items(t, o);
	else if (!rc) {
		items = mc_json_get(doc, "items");
		n = json_object_array_length(items);
		for (i = 0; !rc && i < n; i++)
			rc = add_train_item(t, json_object_array_get_idx(items, i), i, o);
	}
	if (!rc && (rc = mc_train_plan(&r, t, &o->solve)) == 0)
		planned = 1;
	if (planned && o->format == MC_FORMAT_JSON) {
		struct json_object *out = trains_json(t, &r, o->items ? o->items : "portfolio");
		printf("%s\n", mc_json_dump(out, 1));
		json_object_put(out);
	} else if (planned) {
		print_trains_text(t, &r);
	}
	if (planned)
		mc_train_result_free(&r);
	json_object_put(doc);
	mc_train_free(t);
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

/* Add the open items of the portfolio in dir to k; *added counts them. A repository
 * with nothing reviewed adds nothing. */
static int add_portfolio(mc_knapsack *k, const char *dir, size_t *added, size_t *stores)
{
	mc_store *store = NULL;
	size_t n = 0;
	int rc = mc_portfolio_open_store(&store, dir, 0);

	if (rc == MC_ENOTFOUND) {
		mc_error_clear();
		return 0;
	}
	if (rc == 0)
		(*stores)++;
	if (rc == 0)
		rc = mc_portfolio_items(k, store, &n);
	if (rc)
		rc = mc_error_wrap(rc, "%s", dir);
	*added += n;
	mc_store_close(store);
	return rc;
}

/* The open items of the portfolios of the repositories (maestro portfolio; several -C
 * plan across repositories), budgets by name. */
static int plan_portfolio(const struct options *o)
{
	static const char *const here[] = { "." };
	const char *const *dirs = o->ndirs ? o->dirs : here;
	size_t ndirs = o->ndirs ? o->ndirs : 1, i, n = 0, stores = 0;
	struct json_object *out = NULL;
	mc_knapsack *k = NULL;
	int rc = mc_knapsack_new(&k, o->nbudgets, (const char *const *)o->budget_name);

	for (i = 0; !rc && i < o->nbudgets; i++)
		rc = mc_knapsack_set_budget(k, i, o->budget[i]);
	for (i = 0; !rc && i < ndirs; i++)
		rc = add_portfolio(k, dirs[i], &n, &stores);
	if (!rc && stores == 0)
		rc = mc_error_set(MC_EEMPTY, "nothing reviewed here yet: the portfolio is empty "
				  "(maestro review adds each change to it)");
	if (!rc && n == 0)
		rc = mc_error_set(MC_EEMPTY, "the portfolio has no open items: review some changes "
				  "first (maestro review, then maestro portfolio)");
	if (!rc)
		rc = plan_one(k, o, 1, o->format == MC_FORMAT_JSON ? &out : NULL);
	if (!rc && out) {
		mc_json_set_string(out, "items", "portfolio");
		printf("%s\n", mc_json_dump(out, 1));
	}
	json_object_put(out);
	mc_knapsack_free(k);
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
		rc = o.ntrains ? plan_trains(&o) : o.items ? plan_items(&o)
			: o.orlib ? plan_orlib(&o) : plan_portfolio(&o);
	for (i = 0; i < o.nbudgets; i++)
		free(o.budget_name[i]);
	for (i = 0; i < o.ntrain_dims; i++)
		free(o.train_dim[i]);
	for (i = 0; i < o.ntrains; i++)
		free(o.trains[i].name);
	free(o.trains);
	return rc;
}

const struct mc_command mc_cmd_plan = {
	"plan", "choose the most valuable items that fit the budgets (knapsack planner)",
	"usage: maestro plan --budget usd=AMOUNT --budget ci=AMOUNT [-C DIR] [...]\n"
	"       maestro plan --items FILE.json --budget NAME=AMOUNT [--budget ...]\n"
	"                    [--format text|json] [--time-limit SECONDS] [--node-limit N]\n"
	"       maestro plan --items FILE.json --train NAME:DIM=AMOUNT,... [--train ...]\n"
	"                    [--format text|json] [--time-limit SECONDS] [--node-limit N]\n"
	"       maestro plan --orlib FILE [--instance K] [--format text|json] [...]\n\n"
	"Chooses the items with the largest total value whose costs fit every budget\n"
	"(0/1 multidimensional knapsack): LP bound, greedy and local search, then branch\n"
	"and bound, which proves the plan optimal when it finishes. Prints the value, the\n"
	"chosen ids, the budget use, an upper bound on the best value and the gap to it,\n"
	"whether the plan is proven optimal, and the time, beside the reference greedy\n"
	"(the sprint plan's value / (usd + 0.01 + ci / 30) when the budgets are usd and\n"
	"ci, otherwise value / sum of cost / budget).\n\n"
	"  (no --items/--orlib)  plans the open items of this repository's portfolio\n"
	"                      (maestro portfolio: every reviewed change, its value, LLM\n"
	"                      dollars as usd and CI minutes as ci, priority as weight)\n"
	"  -C DIR              the repository (default: the current directory); repeat\n"
	"                      to plan across repositories (the daemon keeps a forge's\n"
	"                      in STATE_DIR/repos/OWNER+NAME.git; ids must not repeat)\n"
	"  --items FILE.json   items to plan (schemas/plan-items.schema.json): id, value,\n"
	"                      costs {dimension: amount}, pinned \"in\" (must ship) or \"out\"\n"
	"                      (hold), weight (a priority override multiplying the value)\n"
	"  --budget NAME=AMOUNT  one per cost dimension (usd=200 --budget ci=3000)\n"
	"  --train NAME:DIM=AMOUNT,...  a release train window with its own budgets\n"
	"                      (--train May:usd=100,ci=3000 --train June:usd=80,ci=2000);\n"
	"                      repeat in train order; every train names the same\n"
	"                      dimensions; instead of --budget\n"
	"  --orlib FILE        OR-Library mknap instances (e.g. ../shared/data/mknap/mknap1.txt)\n"
	"  --instance K        only the K-th instance of the file (default: all)\n"
	"  --time-limit SECONDS  branch-and-bound time (default 0.95; 0: none)\n"
	"  --node-limit N      branch-and-bound nodes (default 0: none)\n"
	"  --format text|json\n\n"
	"Release trains (--train): pinned-in items go, in file order, into the first\n"
	"train that still holds them (one that fits no train is an error naming it);\n"
	"then train 1 gets the best plan over all items under its budgets, train 2 the\n"
	"best over what is left under its budgets, and so on; whatever still fits a\n"
	"train's leftover is added. Per train: items, value, budget used, idle and idle\n"
	"share per dimension (the goal is under 5 % idle when the backlog allows), and\n"
	"for every item that ships in no train, why: \"held (pinned out)\", \"larger than\n"
	"any train's usd budget (needs X, largest is Y)\", \"fits no single train: ...\",\n"
	"or \"did not fit: train 'T' had Z usd left after higher-value work (A, B)\".\n"
	"With --format json a release plan is\n"
	"  {\"items\": FILE, \"dimensions\": [DIM...], \"value\", \"objective\",\n"
	"   \"budget_use\": {DIM: {\"budget\", \"used\", \"idle\", \"idle_share\"}} (all trains),\n"
	"   \"idle_goal\": 0.05, \"backlog_exhausted\": every item not held ships, \"seconds\",\n"
	"   \"trains\": [{\"name\", \"position\" (1-based), \"value\", \"objective\",\n"
	"     \"items\": [ID...], \"pinned_in\": [ID...], \"budget_use\" (as above),\n"
	"     \"upper_bound\", \"gap\", \"proven_optimal\", \"method\", \"candidates\"}],\n"
	"   \"left_out\": [{\"id\", \"reason\": \"held\" | \"too large\" | \"fits no single\n"
	"     train\" | \"did not fit\", \"text\", and by reason \"dimension\", \"needs\",\n"
	"     \"largest_budget\" (too large) or \"left\", \"train\", \"displaced_by\": [ID...]\n"
	"     (did not fit; at most 10, highest weighted value first), \"too_small_in\":\n"
	"     {TRAIN: DIM} (fits no single train)}]}\n\n"
	"Without --items or --orlib, --budget or --train plan the open items of the\n"
	"portfolio: every change reviewed here, and on the daemon every pull request and\n"
	"issue of a forge repository (-C STATE_DIR/repos/OWNER+NAME.git, repeatable).\n",
	run_plan,
};
