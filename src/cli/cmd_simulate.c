/*
 * `maestro simulate`: predict what a change does to a service from a traffic
 * trace and the change's deltas (model/cf.c), record the prediction, and later
 * record the real outcome and report how far off the predictions were.
 *
 *   maestro simulate --trace FILE [--delta ROUTE:latency=x1.1,...] [--deltas FILE]
 *                    [--commit REV]
 *   maestro simulate outcome --id ID --trace ACTUAL [--commit REV]
 *   maestro simulate accuracy
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "pipeline/simulate.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/utf8.h"

#define DELTAS_FILE_MAX (4u << 20)

enum action { PREDICT = 0, OUTCOME, ACCURACY };

struct sim_args {
	enum action action;
	const char *trace, *deltas_file, *state, *repo_path, *commit;
	mc_trace_options topt;
	mc_cf_deltas deltas;
	mc_cf_options cf;
	int64_t id;
	int no_record;
	size_t spec_count;            /* --delta options given */
	enum mc_format format;
};

static int parse_number(const char *arg, double *out, double min, double max)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_u64(const char *arg, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (!*arg || *arg == '-')
		return -1;
	v = strtoull(arg, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int load_deltas_file(struct sim_args *a)
{
	char *text = NULL;
	size_t len = 0;
	struct json_object *doc = NULL;
	int rc = mc_fs_read_file(&text, &len, a->deltas_file, DELTAS_FILE_MAX);

	if (!rc)
		rc = mc_json_parse(&doc, text, len, DELTAS_FILE_MAX, a->deltas_file);
	if (!rc)
		rc = mc_cf_deltas_add_json(&a->deltas, doc);
	if (rc && mc_error_code() == MC_EINVAL)
		mc_error_wrap(rc, "%s", a->deltas_file);
	json_object_put(doc);
	free(text);
	return rc;
}

/* ---- text output ---- */

static void print_route_name(const char *route)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_utf8_escape_invalid(&sb, route, strlen(route));
	fputs(mc_strbuf_str(&sb), stdout);
	mc_strbuf_release(&sb);
}

static void print_metric(const char *name, const mc_cf_metric *m, double scale, const char *unit,
			 int digits, double confidence)
{
	printf("  %-13s %.*f%s -> %.*f%s  (%+.*f, %g%% CI %+.*f..%+.*f)\n", name, digits,
	       m->base * scale, unit, digits, m->predicted * scale, unit, digits, m->delta * scale,
	       confidence * 100, digits, m->delta_ci.lo * scale, digits, m->delta_ci.hi * scale);
}

static void print_route(const mc_cf_route_result *r, double confidence)
{
	static const char *const names[3] = { "p50 latency", "p95 latency", "p99 latency" };
	int j;
	if (!strcmp(r->route, MC_CF_ALL))
		fputs("all routes", stdout);
	else
		print_route_name(r->route);
	printf(": %" PRIu64 " requests, %" PRIu64 " errors, %zu latency samples\n", r->count,
	       r->errors, r->sampled);
	for (j = 0; j < 3; j++)
		print_metric(names[j], &r->latency[j], 1, " ms", 2, confidence);
	print_metric("error rate", &r->error_rate, 100, " %", 3, confidence);
	print_metric("cost/request", &r->cost, 1, " USD", 6, confidence);
}

static void print_prediction(const struct sim_args *a, const mc_cf_result *r, size_t nrecords)
{
	size_t i;
	printf("trace %s: %zu requests on %zu routes; predicted under the deltas, with %g%% "
	       "bootstrap intervals of the change (%u resamples)\n\n", a->trace, nrecords,
	       r->nroutes, r->confidence * 100, r->resamples);
	print_route(&r->overall, r->confidence);
	for (i = 0; i < r->nroutes; i++) {
		putchar('\n');
		print_route(&r->routes[i], r->confidence);
	}
}

/* ---- evidence ---- */

/* Open the evidence target (--commit, else HEAD when in a repository); --no-record
 * leaves it closed. */
static int open_evidence(const struct sim_args *a, mc_simulate_evidence *ev)
{
	memset(ev, 0, sizeof *ev);
	if (a->no_record)
		return 0;
	return mc_simulate_evidence_open(ev, a->repo_path, a->commit);
}

/* Record predicate about the commit; a note for people on stderr. */
static int record_evidence(mc_simulate_evidence *ev, struct json_object *predicate,
			   const char *what)
{
	char *note = NULL;
	int appended = 0, rc;

	if (!ev->repo)
		return 0;
	rc = mc_simulate_evidence_record(&note, &appended, ev, predicate, what);
	if (!rc && note)
		fprintf(stderr, "maestro simulate: %s\n", note);
	free(note);
	return rc;
}

/* --deltas and --delta together: the options were given last, so they name it. */
static const char *deltas_origin(const struct sim_args *a)
{
	return a->deltas_file && !a->spec_count ? MC_SIMULATE_FROM_FILE : MC_SIMULATE_FROM_CLI;
}

/* ---- predict ---- */

static int record_prediction(const struct sim_args *a, const mc_cf_result *r, int64_t *id,
			     char **where)
{
	mc_store *store = NULL;
	int rc = mc_simulate_open_store(&store, where, a->state, a->repo_path);
	if (!rc)
		rc = mc_simulate_record(id, store, a->trace, &a->deltas, r, (int64_t)time(NULL));
	mc_store_close(store);
	return rc;
}

/* Record the prediction as signed evidence about the commit: quietly skipped without a
 * key unless --commit asked for it. */
static int prediction_evidence(const struct sim_args *a, mc_simulate_evidence *ev,
			       const mc_simulate_trace *t, const mc_cf_result *r, int64_t id)
{
	struct json_object *p;
	int rc;

	if (!ev->repo || (!ev->will_sign && !a->commit))
		return 0;
	p = mc_simulate_prediction_predicate(t, deltas_origin(a), &a->deltas, r, id, time(NULL));
	rc = record_evidence(ev, p, "prediction");
	json_object_put(p);
	return rc;
}

static int run_predict(struct sim_args *a)
{
	mc_cf *cf = NULL;
	mc_cf_result r;
	mc_simulate_trace t;
	mc_simulate_evidence ev;
	int64_t id = 0;
	char *where = NULL;
	int rc, recorded = 0;

	if (a->deltas_file && (rc = load_deltas_file(a)) != 0)
		return mc_cli_fail("simulate", rc);
	if ((rc = open_evidence(a, &ev)) != 0)
		return mc_cli_fail("simulate", rc);
	rc = mc_simulate_read_trace(&cf, &t, a->trace, &a->topt, a->cf.seed, ev.will_sign);
	if (!rc) {
		rc = mc_cf_predict(&r, cf, &a->deltas, &a->cf);
		mc_cf_free(cf);
	}
	if (rc)
		goto out;
	if (!a->no_record) {
		rc = record_prediction(a, &r, &id, &where);
		if (rc == MC_ENOTFOUND && !a->state) {
			fprintf(stderr, "maestro simulate: prediction not recorded: %s\n",
				mc_error_message());
			rc = 0;
		} else if (!rc) {
			recorded = 1;
		}
	}
	if (!rc)
		rc = prediction_evidence(a, &ev, &t, &r, recorded ? id : 0);
	if (rc) {
		mc_cf_result_free(&r);
		goto out;
	}
	if (a->format == MC_FORMAT_JSON) {
		struct json_object *doc = mc_cf_result_to_json(&r);
		mc_json_set_string(doc, "trace", a->trace);
		mc_json_set_int(doc, "records", (long long)t.records);
		if (t.digested)
			mc_json_set_string(doc, "trace_sha256", t.sha256);
		json_object_object_add(doc, "deltas", mc_cf_deltas_to_json(&a->deltas));
		if (recorded)
			mc_json_set_int(doc, "id", id);
		printf("%s\n", mc_json_dump(doc, 1));
		json_object_put(doc);
	} else {
		print_prediction(a, &r, t.records);
		if (recorded)
			printf("\nprediction %" PRId64 " recorded in %s; when real traffic is in: "
			       "maestro simulate outcome --id %" PRId64 " --trace FILE\n", id, where, id);
	}
	mc_cf_result_free(&r);
out:
	mc_simulate_trace_free(&t);
	mc_simulate_evidence_close(&ev);
	free(where);
	return rc ? mc_cli_fail("simulate", rc) : MC_EXIT_OK;
}

/* ---- outcome ---- */

static void print_comparisons(const struct sim_args *a, const mc_simulate_comparison *c, size_t n)
{
	size_t i;
	if (a->format == MC_FORMAT_JSON) {
		struct json_object *doc = json_object_new_object(), *routes = json_object_new_array();
		mc_json_set_int(doc, "id", a->id);
		mc_json_set_string(doc, "trace", a->trace);
		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object();
			mc_strbuf name = MC_STRBUF_INIT;
			mc_utf8_escape_invalid(&name, c[i].route, strlen(c[i].route));
			mc_json_set_string(o, "route", mc_strbuf_str(&name));
			mc_strbuf_release(&name);
			mc_json_set_int(o, "predicted_requests", c[i].predicted_requests);
			mc_json_set_int(o, "actual_requests", c[i].actual_requests);
			mc_json_set_double(o, "predicted_p50_ms", c[i].predicted[0]);
			mc_json_set_double(o, "actual_p50_ms", c[i].actual[0]);
			mc_json_set_double(o, "p50_error", c[i].error[0]);
			mc_json_set_double(o, "predicted_p95_ms", c[i].predicted[1]);
			mc_json_set_double(o, "actual_p95_ms", c[i].actual[1]);
			mc_json_set_double(o, "p95_error", c[i].error[1]);
			mc_json_set_double(o, "predicted_p99_ms", c[i].predicted[2]);
			mc_json_set_double(o, "actual_p99_ms", c[i].actual[2]);
			mc_json_set_double(o, "p99_error", c[i].error[2]);
			mc_json_set_double(o, "predicted_error_rate", c[i].predicted_error_rate);
			mc_json_set_double(o, "actual_error_rate", c[i].actual_error_rate);
			mc_json_set_double(o, "predicted_cost_usd_per_request", c[i].predicted_cost);
			mc_json_set_double(o, "actual_cost_usd_per_request", c[i].actual_cost);
			json_object_array_add(routes, o);
		}
		json_object_object_add(doc, "routes", routes);
		printf("%s\n", mc_json_dump(doc, 1));
		json_object_put(doc);
		return;
	}
	printf("outcome of prediction %" PRId64 " from %s (p50 error = |predicted - actual| / "
	       "actual):\n", a->id, a->trace);
	for (i = 0; i < n; i++) {
		fputs("  ", stdout);
		if (!strcmp(c[i].route, MC_CF_ALL))
			fputs("all routes", stdout);
		else
			print_route_name(c[i].route);
		printf(": p50 predicted %.2f ms, actual %.2f ms, error %.1f %%; p99 error %.1f %%; "
		       "error rate predicted %.3f %%, actual %.3f %%\n", c[i].predicted[0],
		       c[i].actual[0], c[i].error[0] * 100, c[i].error[2] * 100,
		       c[i].predicted_error_rate * 100, c[i].actual_error_rate * 100);
	}
	if (!n)
		printf("  no route of the prediction appears in this trace\n");
}

static int outcome_evidence(const struct sim_args *a, mc_simulate_evidence *ev,
			    const mc_simulate_trace *t, const mc_simulate_comparison *c, size_t n)
{
	struct json_object *p;
	int rc;

	if (!ev->repo || (!ev->will_sign && !a->commit))
		return 0;
	p = mc_simulate_outcome_predicate(t, a->id, c, n, time(NULL));
	rc = record_evidence(ev, p, "outcome");
	json_object_put(p);
	return rc;
}

static int run_outcome(struct sim_args *a)
{
	mc_cf *cf = NULL;
	mc_cf_result r;
	mc_store *store = NULL;
	mc_simulate_comparison *cmp = NULL;
	mc_simulate_trace t;
	mc_simulate_evidence ev;
	size_t n = 0;
	int rc;

	memset(&t, 0, sizeof t);
	if ((rc = mc_simulate_open_store(&store, NULL, a->state, a->repo_path)) != 0)
		return mc_cli_fail("simulate", rc == MC_ENOTFOUND ? mc_error_recode(MC_EENV) : rc);
	if ((rc = open_evidence(a, &ev)) != 0) {
		mc_store_close(store);
		return mc_cli_fail("simulate", rc);
	}
	if ((rc = mc_simulate_read_trace(&cf, &t, a->trace, &a->topt, a->cf.seed,
					 ev.will_sign)) == 0) {
		rc = mc_cf_predict(&r, cf, NULL, &a->cf);
		mc_cf_free(cf);
		if (!rc) {
			rc = mc_simulate_outcome(&cmp, &n, store, a->id, a->trace, &r,
						 (int64_t)time(NULL));
			mc_cf_result_free(&r);
		}
	}
	mc_store_close(store);
	if (!rc)
		rc = outcome_evidence(a, &ev, &t, cmp, n);
	mc_simulate_trace_free(&t);
	mc_simulate_evidence_close(&ev);
	if (rc) {
		mc_simulate_comparisons_free(cmp, n);
		return mc_cli_fail("simulate", rc);
	}
	print_comparisons(a, cmp, n);
	mc_simulate_comparisons_free(cmp, n);
	return MC_EXIT_OK;
}

/* ---- accuracy ---- */

static int run_accuracy(struct sim_args *a)
{
	mc_store *store = NULL;
	mc_simulate_accuracy acc;
	int rc;

	if ((rc = mc_simulate_open_store(&store, NULL, a->state, a->repo_path)) != 0)
		return mc_cli_fail("simulate", rc == MC_ENOTFOUND ? mc_error_recode(MC_EENV) : rc);
	rc = mc_simulate_accuracy_of(&acc, store);
	mc_store_close(store);
	if (rc)
		return mc_cli_fail("simulate", rc);
	if (a->format == MC_FORMAT_JSON) {
		struct json_object *doc = json_object_new_object();
		mc_json_set_int(doc, "predictions", acc.predictions);
		mc_json_set_int(doc, "with_outcome", (long long)acc.with_outcome);
		mc_json_set_int(doc, "route_comparisons", (long long)acc.routes);
		if (acc.routes) {
			mc_json_set_double(doc, "p50_error_median", acc.p50_median);
			mc_json_set_double(doc, "p50_error_mean", acc.p50_mean);
			mc_json_set_double(doc, "p50_error_max", acc.p50_max);
			mc_json_set_bool(doc, "meets_bar", acc.meets_bar);
		}
		if (isfinite(acc.overall_p50_mean))
			mc_json_set_double(doc, "overall_p50_error_mean", acc.overall_p50_mean);
		mc_json_set_double(doc, "bar", MC_SIMULATE_P50_BAR);
		printf("%s\n", mc_json_dump(doc, 1));
		json_object_put(doc);
		return MC_EXIT_OK;
	}
	printf("%" PRId64 " predictions recorded, %zu with an outcome\n", acc.predictions,
	       acc.with_outcome);
	if (!acc.routes) {
		printf("no outcome yet: maestro simulate outcome --id ID --trace FILE records one\n");
		return MC_EXIT_OK;
	}
	printf("p50 prediction error over %zu routes: mean %.1f %%, median %.1f %%, worst %.1f %% "
	       "(bar: mean < %.0f %%: %s)\n", acc.routes, acc.p50_mean * 100, acc.p50_median * 100,
	       acc.p50_max * 100, MC_SIMULATE_P50_BAR * 100, acc.meets_bar ? "met" : "not met");
	if (isfinite(acc.overall_p50_mean))
		printf("p50 prediction error of whole traces: mean %.1f %%\n",
		       acc.overall_p50_mean * 100);
	return MC_EXIT_OK;
}

static int parse_args(struct sim_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trace", required_argument, NULL, 't' },
		{ "format-in", required_argument, NULL, 'i' },
		{ "cost-per-request", required_argument, NULL, 'c' },
		{ "delta", required_argument, NULL, 'd' },
		{ "deltas", required_argument, NULL, 'D' },
		{ "resamples", required_argument, NULL, 'B' },
		{ "confidence", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "id", required_argument, NULL, 'I' },
		{ "no-record", no_argument, NULL, 'n' },
		{ "commit", required_argument, NULL, 'R' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	double v;
	uint64_t u;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': a->repo_path = optarg; break;
		case 't': a->trace = optarg; break;
		case 'D': a->deltas_file = optarg; break;
		case 'S': a->state = optarg; break;
		case 'n': a->no_record = 1; break;
		case 'i':
			if (mc_trace_parse_format(optarg, &a->topt.format))
				return mc_cli_usage("simulate", "%s", mc_error_message());
			break;
		case 'c':
			if (parse_number(optarg, &a->topt.cost_per_request_usd, 0, 1e6))
				return mc_cli_usage("simulate", "--cost-per-request wants dollars >= 0, "
						    "not '%s'", optarg);
			break;
		case 'd':
			if (mc_cf_deltas_add_spec(&a->deltas, optarg))
				return mc_cli_usage("simulate", "%s", mc_error_message());
			a->spec_count++;
			break;
		case 'R': a->commit = optarg; break;
		case 'B':
			if (parse_number(optarg, &v, 10, MC_CF_MAX_RESAMPLES) || v != floor(v))
				return mc_cli_usage("simulate", "--resamples wants a whole number from "
						    "10 to %d", MC_CF_MAX_RESAMPLES);
			a->cf.resamples = (unsigned)v;
			break;
		case 'L':
			if (parse_number(optarg, &v, 0.5, 0.999))
				return mc_cli_usage("simulate", "--confidence wants a level from 0.5 "
						    "to 0.999, such as 0.95");
			a->cf.confidence = v;
			break;
		case 's':
			if (parse_u64(optarg, &u))
				return mc_cli_usage("simulate", "--seed wants a whole number >= 0");
			a->cf.seed = u;
			break;
		case 'I':
			if (parse_u64(optarg, &u) || !u || u > INT64_MAX)
				return mc_cli_usage("simulate", "--id wants a prediction id (a number "
						    "> 0), not '%s'", optarg);
			a->id = (int64_t)u;
			break;
		case 'F':
			if (mc_cli_parse_format(optarg, &a->format))
				return mc_cli_usage("simulate", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("simulate", "unknown option");
		}
	}
	if (optind < argc)
		return mc_cli_usage("simulate", "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int check_args(const struct sim_args *a)
{
	if (a->action != ACCURACY && !a->trace)
		return mc_cli_usage("simulate", "--trace FILE is required (JSON Lines, or an access "
				    "log with --format-in nginx)");
	if (a->action == OUTCOME && !a->id)
		return mc_cli_usage("simulate", "outcome needs --id ID (the prediction it is the "
				    "outcome of)");
	if (a->action != PREDICT && (a->deltas.n || a->deltas_file))
		return mc_cli_usage("simulate", "deltas belong to a prediction, not to %s",
				    a->action == OUTCOME ? "an outcome" : "accuracy");
	if (a->action != PREDICT && a->no_record)
		return mc_cli_usage("simulate", "--no-record is for predictions");
	if (a->action == ACCURACY && a->commit)
		return mc_cli_usage("simulate", "--commit is for predictions and outcomes");
	if (a->no_record && a->commit)
		return mc_cli_usage("simulate", "--commit names what to record evidence about: not "
				    "with --no-record");
	if (a->action == PREDICT && a->id)
		return mc_cli_usage("simulate", "--id is for simulate outcome");
	return 0;
}

static int run_simulate(int argc, char **argv)
{
	struct sim_args a;
	int rc;

	memset(&a, 0, sizeof a);
	a.cf.seed = 1;
	if (argc > 1 && !strcmp(argv[1], "outcome"))
		a.action = OUTCOME;
	else if (argc > 1 && !strcmp(argv[1], "accuracy"))
		a.action = ACCURACY;
	if (a.action != PREDICT) {
		argv++;
		argc--;
	}
	rc = parse_args(&a, argc, argv);
	if (!rc)
		rc = check_args(&a);
	if (!rc)
		rc = a.action == PREDICT ? run_predict(&a)
		     : a.action == OUTCOME ? run_outcome(&a) : run_accuracy(&a);
	mc_cf_deltas_free(&a.deltas);
	return rc;
}

const struct mc_command mc_cmd_simulate = {
	"simulate", "predict a change's effect on latency, errors and cost from a traffic trace",
	"usage: maestro simulate --trace FILE [--format-in jsonl|nginx] [--delta SPEC ...]\n"
	"                        [--deltas FILE.json] [--state FILE] [--commit REV] [--no-record]\n"
	"                        [--format text|json]\n"
	"       maestro simulate outcome --id ID --trace ACTUAL [--format-in F] [--state FILE]\n"
	"                        [--commit REV]\n"
	"       maestro simulate accuracy [--state FILE] [--format text|json]\n\n"
	"Reads a traffic trace (streaming, in bounded memory), applies a change's deltas per\n"
	"route and predicts p50/p95/p99 latency, error rate (status >= 500) and cost per\n"
	"route and for all routes, each beside its base value with a bootstrap interval of\n"
	"the change. Quantiles come from a uniform sample of 4096 requests per route (exact\n"
	"below that; about +-0.8 % of the requests around p50 beyond), and the intervals\n"
	"include that sampling error.\n\n"
	"Traces: JSON Lines, one object a line with route (string), latency_ms (number),\n"
	"status (100-599), and optionally ts and cost_usd; other keys are ignored. Or an\n"
	"nginx/Apache access log in the combined format with the request time in seconds\n"
	"appended ($request_time): the route is the path without the query string.\n"
	"FILE - reads standard input. A malformed line stops the run naming file:line and\n"
	"the field.\n\n"
	"Deltas: --delta ROUTE:KEY=VALUE[,KEY=VALUE...] (ROUTE * for every route; a route's\n"
	"keys override *'s). latency=x1.10 multiplies p50, p95 and p99 (or p50=, p95=, p99=\n"
	"one each); errors=+0.01 adds one percentage point to the error rate, errors=x2\n"
	"doubles it; cost=x0.9 or cost=+0.0001 (USD per request). --deltas FILE.json gives\n"
	"them as a document (schemas/cf-deltas.schema.json); --delta options apply on top.\n\n"
	"Each prediction is recorded: in a git repository in its .git/maestro/cache.db, else\n"
	"in --state FILE (without either it is printed only). When real traffic under the\n"
	"change is measured (a canary's or a post-release trace), simulate outcome records\n"
	"it and prints the prediction error per route; simulate accuracy reports the p50\n"
	"prediction error over every recorded outcome (the bar: a mean under 10 %).\n\n"
	"Evidence: in a repository with a signing key (evidence.signing_key or git's\n"
	"user.signingkey) and evidence.record on, a prediction and an outcome are also\n"
	"recorded as signed evidence (kind simulation, schemas/evidence-simulation.schema.json:\n"
	"the trace's SHA-256 and size, the deltas and where they came from, base and\n"
	"predicted figures with their intervals; for an outcome the prediction error)\n"
	"about --commit REV, else HEAD; maestro evidence show/verify read it back.\n"
	"maestro review runs the same prediction for a change when simulate.trace is\n"
	"configured, puts it on the Decision Card and gates it (docs/CONFIG.md).\n\n"
	"  --trace FILE           the trace (for outcome: the one measured under the change)\n"
	"  --format-in FORMAT     jsonl (default) or nginx (also apache)\n"
	"  --cost-per-request USD cost of each request of an access log (default 0)\n"
	"  --delta SPEC           a delta, as above (repeatable)\n"
	"  --deltas FILE          deltas from a JSON document\n"
	"  --resamples N          bootstrap resamples (default 200)\n"
	"  --confidence LEVEL     interval level (default 0.95)\n"
	"  --seed N               seed of the sampling and the bootstrap (default 1)\n"
	"  --state FILE           the SQLite file predictions are kept in\n"
	"  --commit REV           the commit evidence is about (default HEAD; needs a key)\n"
	"  --no-record            predict without recording (neither store nor evidence)\n"
	"  --id ID                (outcome) the prediction the trace is the outcome of\n"
	"  --format FORMAT        text or json\n"
	"  -C DIR                 the repository (default: the current directory)\n",
	run_simulate,
};
