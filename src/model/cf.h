/*
 * The counterfactual engine: what a change would do to a service's traffic.
 * Pure (no I/O). Records from a trace (adapters/trace) go into per-route and
 * overall accumulators in bounded memory; a set of deltas (per route, with a
 * default "*" for every route) is applied and p50/p95/p99 latency, error rate and
 * cost are recomputed per route and overall, each with a bootstrap interval.
 *
 * Memory and its price. Exact counts are kept for what is a sum (requests, errors
 * = status >= 500, cost and its square); latency quantiles come from a reservoir
 * sample of MC_CF_RESERVOIR records per route (and MC_CF_OVERALL_RESERVOIR
 * overall), drawn uniformly by Li's Algorithm L with a seeded PRNG, so the same
 * trace and seed give the same numbers. A route with at most that many records is
 * exact. Beyond, a quantile p is estimated from k samples with a rank error of
 * about sqrt(p(1-p)/k): with k = 4096, +-0.78 % of the requests around p50 and
 * +-0.16 % around p99 (one standard deviation). That error is part of the
 * estimator, and the bootstrap over the reservoir measures it: intervals are those
 * of the numbers reported, not of an exact computation.
 *
 * Bootstrap. Latency: B resamples of the route's reservoir (with replacement, same
 * size), percentile interval. Error rate and cost per request: when the reservoir
 * holds every record of the route they are resampled jointly with latency; else
 * their resampled means are drawn from the normal law with the exact mean and
 * variance of the route (the bootstrap distribution of a mean of more than
 * MC_CF_RESERVOIR records is normal to well under the interval's width). Deltas are
 * applied inside every resample, and delta intervals are paired (predicted minus
 * base in the same resample). The overall interval sums the routes' resamples
 * (errors, cost) or resamples the overall reservoir after moving each sample by its
 * route's deltas (latency).
 *
 * Latency deltas are factors on the p50, p95 and p99 of a route; a route's sample
 * at quantile q moves by the factor interpolated linearly in q between them (p50's
 * below 0.5, p99's above 0.99), which gives each route exactly its factors at its
 * own quantiles and gives the overall distribution the mixture of the moved routes.
 */
#ifndef MC_MODEL_CF_H
#define MC_MODEL_CF_H
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define MC_CF_RESERVOIR 4096
#define MC_CF_OVERALL_RESERVOIR 16384
/* Routes kept apart; records of further routes (and of routes longer than
 * MC_CF_MAX_ROUTE_LEN bytes) are counted under MC_CF_OTHER_ROUTE. */
#define MC_CF_MAX_ROUTES 1000
#define MC_CF_MAX_ROUTE_LEN 512
#define MC_CF_OTHER_ROUTE "(other routes)"
/* The overall row's name in results and in the store. */
#define MC_CF_ALL "*"
#define MC_CF_DEFAULT_RESAMPLES 200
#define MC_CF_MAX_RESAMPLES 10000
#define MC_CF_MAX_DELTAS 1000

/* ---- accumulation ---- */

typedef struct mc_cf mc_cf;

void mc_cf_new(mc_cf **out, uint64_t seed);
void mc_cf_free(mc_cf *cf);
/* One request. status >= 500 counts as an error. Inputs are assumed checked
 * (latency and cost finite and >= 0), as the trace readers guarantee. */
void mc_cf_add(mc_cf *cf, const char *route, size_t route_len, double latency_ms, int status,
	       double cost_usd);
uint64_t mc_cf_count(const mc_cf *cf);

/* ---- deltas ---- */

enum mc_cf_op { MC_CF_UNSET = 0, MC_CF_ADD, MC_CF_MUL };

typedef struct mc_cf_delta {
	char *route;               /* a route, or "*": the default for every route */
	double latency[3];         /* factors on p50, p95, p99 */
	int latency_set[3];
	enum mc_cf_op errors_op;   /* error rate: + a (absolute, clamped to [0, 1]) or x f */
	double errors;
	enum mc_cf_op cost_op;     /* cost per request: + USD or x f */
	double cost;
} mc_cf_delta;

typedef struct mc_cf_deltas {
	mc_cf_delta *v;
	size_t n;
} mc_cf_deltas;

/*
 * Add one command-line delta "ROUTE:KEY=VALUE[,KEY=VALUE...]" (the route is what
 * comes before the last ':'; "*" is every route). Keys: latency (all three
 * quantiles), p50, p95, p99 take xF (a factor > 0); errors and cost take xF or +A /
 * -A. A route given twice merges, the later value of a key winning. MC_EINVAL
 * naming the part that is wrong.
 */
int mc_cf_deltas_add_spec(mc_cf_deltas *d, const char *spec);
/* Add the deltas of a document valid against schemas/cf-deltas.schema.json (checked
 * here; MC_EINVAL with the field). */
int mc_cf_deltas_add_json(mc_cf_deltas *d, struct json_object *doc);
/* The deltas as a document of that schema (the caller owns it). */
struct json_object *mc_cf_deltas_to_json(const mc_cf_deltas *d);
void mc_cf_deltas_free(mc_cf_deltas *d);

/* ---- prediction ---- */

typedef struct mc_cf_interval {
	double lo, hi;
} mc_cf_interval;

typedef struct mc_cf_metric {
	double base, predicted, delta;   /* delta = predicted - base */
	mc_cf_interval base_ci, predicted_ci, delta_ci;
} mc_cf_metric;

enum { MC_CF_P50 = 0, MC_CF_P95, MC_CF_P99 };

typedef struct mc_cf_route_result {
	char *route;
	uint64_t count;          /* requests */
	uint64_t errors;         /* of them with status >= 500 */
	size_t sampled;          /* latency samples the quantiles come from */
	mc_cf_metric latency[3]; /* p50, p95, p99 in ms */
	mc_cf_metric error_rate; /* errors / count */
	mc_cf_metric cost;       /* USD per request */
	mc_cf_metric cost_total; /* USD over the trace */
} mc_cf_route_result;

typedef struct mc_cf_options {
	unsigned resamples;      /* 0: MC_CF_DEFAULT_RESAMPLES */
	double confidence;       /* 0: 0.95 */
	uint64_t seed;           /* the bootstrap's PRNG */
} mc_cf_options;

typedef struct mc_cf_result {
	mc_cf_route_result *routes;  /* by route name (bytes), MC_CF_OTHER_ROUTE among them */
	size_t nroutes;
	mc_cf_route_result overall;  /* route MC_CF_ALL */
	unsigned resamples;
	double confidence;
	uint64_t seed;
} mc_cf_result;

/* Predict under deltas (NULL or empty: every predicted value equals its base). An
 * empty accumulator is MC_EEMPTY. */
int mc_cf_predict(mc_cf_result *out, const mc_cf *cf, const mc_cf_deltas *d,
		  const mc_cf_options *opt);
void mc_cf_result_free(mc_cf_result *r);
/* The route's row, or NULL (MC_CF_ALL gives the overall row). */
const mc_cf_route_result *mc_cf_result_route(const mc_cf_result *r, const char *route);
/* The result as a JSON document (the caller owns it). */
struct json_object *mc_cf_result_to_json(const mc_cf_result *r);

/* |predicted - actual| / actual, or NAN when actual is 0 and predicted is not. */
double mc_cf_relative_error(double predicted, double actual);

#endif
