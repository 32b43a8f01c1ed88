/*
 * The counterfactual engine (cf.h): accumulation with reservoir samples,
 * deltas, and the bootstrap. The hot path is mc_cf_add (one hash lookup, a few
 * additions and one comparison per record: Algorithm L draws random numbers only
 * when a record enters a reservoir, O(k log(n/k)) times in all). The bootstrap
 * never sorts a resample: the reservoir is sorted once, a resample is a vector of
 * multiplicities drawn over it, and quantiles are read by walking the cumulative
 * counts, O(k) per resample.
 */
#include "model/cf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsonschema.h"
#include "util/strbuf.h"
#include "util/utf8.h"

#define TABLE_SIZE 4096 /* a power of two, more than twice MC_CF_MAX_ROUTES + 1 */

static const double quantile_p[3] = { 0.50, 0.95, 0.99 };
static const char *const quantile_name[3] = { "p50", "p95", "p99" };

/* ---- the PRNG: xoshiro256** seeded by splitmix64 ---- */

typedef struct rng {
	uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
	int i;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in the open interval (0, 1). */
static double rng_open01(rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static size_t rng_below(rng *r, size_t n)
{
	return (size_t)(rng_open01(r) * (double)n);
}

/* A standard normal deviate (Box-Muller; one of the pair is enough here). */
static double rng_normal(rng *r)
{
	return sqrt(-2.0 * log(rng_open01(r))) * cos(6.283185307179586 * rng_open01(r));
}

/* ---- Algorithm L (Li 1994): which records enter a reservoir of k ---- */

typedef struct reservoir_state {
	uint64_t seen;   /* records offered so far */
	uint64_t next;   /* index of the next record to enter once the reservoir is full */
	double w;
} reservoir_state;

static void reservoir_advance(reservoir_state *st, rng *r, size_t k)
{
	double skip = floor(log(rng_open01(r)) / log1p(-st->w));
	st->next += (skip > 1e18 ? (uint64_t)1e18 : (uint64_t)skip) + 1;
	st->w *= exp(log(rng_open01(r)) / (double)k);
}

/* The slot for record number st->seen (then counted), or -1 when it is not kept. */
static long reservoir_offer(reservoir_state *st, rng *r, size_t k)
{
	uint64_t i = st->seen++;
	if (i < k) {
		if (i + 1 == k) {
			st->w = exp(log(rng_open01(r)) / (double)k);
			st->next = i;
			reservoir_advance(st, r, k);
		}
		return (long)i;
	}
	if (i != st->next)
		return -1;
	{
		long slot = (long)rng_below(r, k);
		reservoir_advance(st, r, k);
		return slot;
	}
}

/* ---- accumulation ---- */

struct sample {
	double latency;
	float cost;
	unsigned char error;
};

struct overall_sample {
	double latency;
	uint32_t route;
};

struct route {
	char *name;
	size_t len;
	uint64_t hash;
	uint64_t count, errors;
	double cost_sum, cost_sq;
	struct sample *s;
	size_t ns, cap;
	reservoir_state st;
};

struct mc_cf {
	struct route *routes;
	size_t nroutes;
	uint32_t table[TABLE_SIZE]; /* route index + 1, 0 = empty */
	struct overall_sample *all;
	size_t nall;
	reservoir_state st;
	rng r;
};

void mc_cf_new(mc_cf **out, uint64_t seed)
{
	mc_cf *cf = mc_xcalloc(1, sizeof *cf);
	cf->routes = mc_xcalloc(MC_CF_MAX_ROUTES + 1, sizeof *cf->routes);
	cf->all = mc_xmalloc(MC_CF_OVERALL_RESERVOIR * sizeof *cf->all);
	rng_seed(&cf->r, seed);
	*out = cf;
}

void mc_cf_free(mc_cf *cf)
{
	size_t i;
	if (!cf)
		return;
	for (i = 0; i < cf->nroutes; i++) {
		free(cf->routes[i].name);
		free(cf->routes[i].s);
	}
	free(cf->routes);
	free(cf->all);
	free(cf);
}

uint64_t mc_cf_count(const mc_cf *cf)
{
	return cf->st.seen;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* The route's index; new routes beyond the limit (or too long) go to the other bucket. */
static uint32_t route_index(mc_cf *cf, const char *name, size_t len, int may_fold)
{
	uint64_t h;
	size_t slot;
	struct route *rt;

	if (len > MC_CF_MAX_ROUTE_LEN)
		return route_index(cf, MC_CF_OTHER_ROUTE, sizeof MC_CF_OTHER_ROUTE - 1, 0);
	h = fnv1a(name, len);
	for (slot = h & (TABLE_SIZE - 1); cf->table[slot]; slot = (slot + 1) & (TABLE_SIZE - 1)) {
		rt = &cf->routes[cf->table[slot] - 1];
		if (rt->hash == h && rt->len == len && !memcmp(rt->name, name, len))
			return cf->table[slot] - 1;
	}
	if (may_fold && cf->nroutes >= MC_CF_MAX_ROUTES)
		return route_index(cf, MC_CF_OTHER_ROUTE, sizeof MC_CF_OTHER_ROUTE - 1, 0);
	rt = &cf->routes[cf->nroutes];
	rt->name = mc_xstrndup(name, len);
	rt->len = len;
	rt->hash = h;
	cf->table[slot] = (uint32_t)++cf->nroutes;
	return (uint32_t)(cf->nroutes - 1);
}

void mc_cf_add(mc_cf *cf, const char *route, size_t route_len, double latency_ms, int status,
	       double cost_usd)
{
	uint32_t idx = route_index(cf, route, route_len, 1);
	struct route *rt = &cf->routes[idx];
	int error = status >= 500;
	long slot;

	rt->count++;
	rt->errors += (uint64_t)error;
	rt->cost_sum += cost_usd;
	rt->cost_sq += cost_usd * cost_usd;
	if ((slot = reservoir_offer(&rt->st, &cf->r, MC_CF_RESERVOIR)) >= 0) {
		if ((size_t)slot >= rt->cap)
			mc_xgrow((void **)&rt->s, &rt->cap, (size_t)slot + 1, sizeof *rt->s);
		rt->s[slot] = (struct sample){ latency_ms, (float)cost_usd, (unsigned char)error };
		if ((size_t)slot >= rt->ns)
			rt->ns = (size_t)slot + 1;
	}
	if ((slot = reservoir_offer(&cf->st, &cf->r, MC_CF_OVERALL_RESERVOIR)) >= 0) {
		cf->all[slot] = (struct overall_sample){ latency_ms, idx };
		if ((size_t)slot >= cf->nall)
			cf->nall = (size_t)slot + 1;
	}
}

/* ---- deltas ---- */

static mc_cf_delta *delta_for(mc_cf_deltas *d, const char *route, size_t len)
{
	size_t i;
	for (i = 0; i < d->n; i++)
		if (strlen(d->v[i].route) == len && !memcmp(d->v[i].route, route, len))
			return &d->v[i];
	if (d->n >= MC_CF_MAX_DELTAS)
		return NULL;
	d->v = mc_xrealloc(d->v, (d->n + 1) * sizeof *d->v);
	memset(&d->v[d->n], 0, sizeof *d->v);
	d->v[d->n].route = mc_xstrndup(route, len);
	return &d->v[d->n++];
}

static const mc_cf_delta *delta_find(const mc_cf_deltas *d, const char *route, size_t len)
{
	size_t i;
	if (!d)
		return NULL;
	for (i = 0; i < d->n; i++)
		if (strlen(d->v[i].route) == len && !memcmp(d->v[i].route, route, len))
			return &d->v[i];
	return NULL;
}

void mc_cf_deltas_free(mc_cf_deltas *d)
{
	size_t i;
	for (i = 0; i < d->n; i++)
		free(d->v[i].route);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* "x1.1" / "*1.1" (a factor), "+0.01" / "-0.01" (an addition); plain "1.1" is a
 * factor where only factors make sense (latency). */
static int parse_change(const char *text, size_t len, int factor_only, enum mc_cf_op *op,
			double *value)
{
	char buf[64], *end;
	double v;
	const char *num = text;

	if (!len || len >= sizeof buf)
		return -1;
	if (*text == 'x' || *text == '*') {
		*op = MC_CF_MUL;
		num++;
		len--;
	} else if (*text == '+' || *text == '-') {
		if (factor_only)
			return -1;
		*op = MC_CF_ADD;
	} else if (factor_only) {
		*op = MC_CF_MUL;
	} else {
		return -1;
	}
	memcpy(buf, num, len);
	buf[len] = '\0';
	v = strtod(buf, &end);
	if (end == buf || *end || !isfinite(v))
		return -1;
	if (*op == MC_CF_MUL && (v <= 0 || v > 1000))
		return -1;
	if (*op == MC_CF_ADD && fabs(v) > 1e6)
		return -1;
	*value = v;
	return 0;
}

/* The change to the error rate (errors) or to the cost per request. */
static void set_change(mc_cf_delta *dl, int errors, enum mc_cf_op op, double v)
{
	if (errors) {
		dl->errors_op = op;
		dl->errors = v;
	} else {
		dl->cost_op = op;
		dl->cost = v;
	}
}

static int apply_spec_key(mc_cf_delta *dl, const char *key, size_t klen, const char *val,
			  size_t vlen, const char *spec)
{
	enum mc_cf_op op;
	double v;
	int q = -1;

	if (klen == 7 && !memcmp(key, "latency", 7))
		q = 3;
	else if (klen == 3 && !memcmp(key, "p50", 3))
		q = MC_CF_P50;
	else if (klen == 3 && !memcmp(key, "p95", 3))
		q = MC_CF_P95;
	else if (klen == 3 && !memcmp(key, "p99", 3))
		q = MC_CF_P99;
	if (q >= 0) {
		int i;
		if (parse_change(val, vlen, 1, &op, &v))
			return mc_error_set(MC_EINVAL, "delta '%s': %.*s wants a factor such as x1.10 "
					    "(greater than 0, at most 1000)", spec, (int)klen, key);
		for (i = 0; i < 3; i++)
			if (q == 3 || q == i) {
				dl->latency[i] = v;
				dl->latency_set[i] = 1;
			}
		return 0;
	}
	if ((klen == 6 && !memcmp(key, "errors", 6)) || (klen == 4 && !memcmp(key, "cost", 4))) {
		int errors = klen == 6;
		if (parse_change(val, vlen, 0, &op, &v))
			return mc_error_set(MC_EINVAL, "delta '%s': %.*s wants xF (a factor) or +A / -A "
					    "(an addition), such as %s", spec, (int)klen, key,
					    errors ? "+0.01" : "x0.9");
		set_change(dl, errors, op, v);
		return 0;
	}
	return mc_error_set(MC_EINVAL, "delta '%s': unknown key '%.*s' (known: latency, p50, p95, "
			    "p99, errors, cost)", spec, (int)klen, key);
}

int mc_cf_deltas_add_spec(mc_cf_deltas *d, const char *spec)
{
	const char *colon = strrchr(spec, ':'), *p;
	mc_cf_delta *dl;

	if (!colon || colon == spec || !colon[1])
		return mc_error_set(MC_EINVAL, "delta '%s': expected ROUTE:KEY=VALUE[,KEY=VALUE...] "
				    "(ROUTE * for every route)", spec);
	if ((size_t)(colon - spec) > MC_CF_MAX_ROUTE_LEN)
		return mc_error_set(MC_EINVAL, "delta '%.40s...': route longer than %d bytes", spec,
				    MC_CF_MAX_ROUTE_LEN);
	if (!(dl = delta_for(d, spec, (size_t)(colon - spec))))
		return mc_error_set(MC_ELIMIT, "more than %d routes with deltas", MC_CF_MAX_DELTAS);
	for (p = colon + 1;;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		int rc;
		if (!eq || eq == p)
			return mc_error_set(MC_EINVAL, "delta '%s': expected KEY=VALUE, got '%.*s'", spec,
					    (int)(end - p), p);
		if ((rc = apply_spec_key(dl, p, (size_t)(eq - p), eq + 1, (size_t)(end - eq - 1),
					 spec)) != 0)
			return rc;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void json_change(mc_cf_delta *dl, struct json_object *c, int errors)
{
	struct json_object *add = mc_json_get(c, "add");
	enum mc_cf_op op = add ? MC_CF_ADD : MC_CF_MUL;
	double v = add ? json_object_get_double(add) : mc_json_get_double(c, "factor", 1);
	set_change(dl, errors, op, v);
}

static void json_delta(mc_cf_delta *dl, struct json_object *o)
{
	struct json_object *v;
	int i;
	if ((v = mc_json_get(o, "latency")))
		for (i = 0; i < 3; i++) {
			dl->latency[i] = json_object_get_double(v);
			dl->latency_set[i] = 1;
		}
	for (i = 0; i < 3; i++)
		if ((v = mc_json_get(o, quantile_name[i]))) {
			dl->latency[i] = json_object_get_double(v);
			dl->latency_set[i] = 1;
		}
	if ((v = mc_json_get(o, "errors")))
		json_change(dl, v, 1);
	if ((v = mc_json_get(o, "cost")))
		json_change(dl, v, 0);
}

int mc_cf_deltas_add_json(mc_cf_deltas *d, struct json_object *doc)
{
	static const char schema_name[] = "schemas/cf-deltas.schema.json";
	const char *text = mc_embedded_get(schema_name, NULL);
	struct json_object *schema = NULL, *routes, *def;
	int rc;

	if (!text || mc_json_parse(&schema, text, strlen(text), strlen(text), schema_name))
		return mc_error_set(MC_EINTERNAL, "the embedded %s does not parse", schema_name);
	rc = mc_jsonschema_validate(schema, doc, "deltas");
	json_object_put(schema);
	if (rc)
		return rc;
	if ((def = mc_json_get(doc, "default")))
		json_delta(delta_for(d, MC_CF_ALL, 1), def);
	if ((routes = mc_json_get(doc, "routes"))) {
		json_object_object_foreach(routes, key, val) {
			mc_cf_delta *dl;
			if (!*key || strlen(key) > MC_CF_MAX_ROUTE_LEN)
				return mc_error_set(MC_EINVAL, "deltas: /routes: a route is empty or longer "
						    "than %d bytes", MC_CF_MAX_ROUTE_LEN);
			if (!(dl = delta_for(d, key, strlen(key))))
				return mc_error_set(MC_ELIMIT, "deltas: /routes: more than %d routes",
						    MC_CF_MAX_DELTAS);
			json_delta(dl, val);
		}
	}
	return 0;
}

static struct json_object *change_json(enum mc_cf_op op, double v)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_double(o, op == MC_CF_ADD ? "add" : "factor", v);
	return o;
}

static struct json_object *delta_json(const mc_cf_delta *dl)
{
	struct json_object *o = json_object_new_object();
	int i;
	if (dl->latency_set[0] && dl->latency_set[1] && dl->latency_set[2] &&
	    dl->latency[0] == dl->latency[1] && dl->latency[1] == dl->latency[2])
		mc_json_set_double(o, "latency", dl->latency[0]);
	else
		for (i = 0; i < 3; i++)
			if (dl->latency_set[i])
				mc_json_set_double(o, quantile_name[i], dl->latency[i]);
	if (dl->errors_op)
		json_object_object_add(o, "errors", change_json(dl->errors_op, dl->errors));
	if (dl->cost_op)
		json_object_object_add(o, "cost", change_json(dl->cost_op, dl->cost));
	return o;
}

struct json_object *mc_cf_deltas_to_json(const mc_cf_deltas *d)
{
	struct json_object *doc = json_object_new_object(), *routes = json_object_new_object();
	size_t i;
	for (i = 0; i < d->n; i++) {
		if (!strcmp(d->v[i].route, MC_CF_ALL))
			json_object_object_add(doc, "default", delta_json(&d->v[i]));
		else
			json_object_object_add(routes, d->v[i].route, delta_json(&d->v[i]));
	}
	json_object_object_add(doc, "routes", routes);
	return doc;
}

/* ---- prediction ---- */

/* A route's deltas with the default's filling what the route leaves unset. */
typedef struct resolved {
	double latency[3];
	enum mc_cf_op errors_op, cost_op;
	double errors, cost;
} resolved;

static void resolve(resolved *out, const mc_cf_deltas *d, const char *route, size_t len)
{
	const mc_cf_delta *own = delta_find(d, route, len), *def = delta_find(d, MC_CF_ALL, 1);
	const mc_cf_delta *from[2] = { own, def };
	int i, k;

	memset(out, 0, sizeof *out);
	for (i = 0; i < 3; i++)
		out->latency[i] = 1;
	for (k = 1; k >= 0; k--) { /* the default first, then the route's own over it */
		const mc_cf_delta *dl = from[k];
		if (!dl)
			continue;
		for (i = 0; i < 3; i++)
			if (dl->latency_set[i])
				out->latency[i] = dl->latency[i];
		if (dl->errors_op) {
			out->errors_op = dl->errors_op;
			out->errors = dl->errors;
		}
		if (dl->cost_op) {
			out->cost_op = dl->cost_op;
			out->cost = dl->cost;
		}
	}
}

static double apply_errors(const resolved *rv, double p)
{
	double v = rv->errors_op == MC_CF_ADD ? p + rv->errors
		   : rv->errors_op == MC_CF_MUL ? p * rv->errors : p;
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

static double apply_cost(const resolved *rv, double c)
{
	double v = rv->cost_op == MC_CF_ADD ? c + rv->cost : rv->cost_op == MC_CF_MUL ? c * rv->cost : c;
	return v < 0 ? 0 : v;
}

/* The latency factor at quantile q: p50's below 0.5, p99's above 0.99, linear between. */
static double factor_at(const resolved *rv, double q)
{
	const double *f = rv->latency;
	if (q <= 0.5)
		return f[0];
	if (q <= 0.95)
		return f[0] + (f[1] - f[0]) * (q - 0.5) / 0.45;
	if (q <= 0.99)
		return f[1] + (f[2] - f[1]) * (q - 0.95) / 0.04;
	return f[2];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_sample(const void *a, const void *b)
{
	return cmp_double(&((const struct sample *)a)->latency, &((const struct sample *)b)->latency);
}

/* Quantile p of sorted[0..n) by linear interpolation between order statistics
 * (Hyndman and Fan's type 7, numpy's default). */
static double quantile_sorted(const double *sorted, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)h;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/*
 * The three quantiles of a resample given as multiplicities counts[] over values
 * visited in increasing order (values[order[i]], or values[i] when order is NULL);
 * m is the resample's size.
 */
static void quantiles_from_counts(double out[3], const double *values, const uint32_t *order,
				  const uint32_t *counts, size_t n, size_t m)
{
	size_t want[6], i, seen = 0;
	double got[6];
	int next = 0, j;

	for (j = 0; j < 3; j++) {
		double h = (double)(m - 1) * quantile_p[j];
		want[2 * j] = (size_t)h;
		want[2 * j + 1] = want[2 * j] + 1 < m ? want[2 * j] + 1 : want[2 * j];
	}
	for (i = 0; i < n && next < 6; i++) {
		size_t idx = order ? order[i] : i;
		seen += counts[idx];
		while (next < 6 && want[next] < seen)
			got[next++] = values[idx];
	}
	for (j = 0; j < 3; j++) {
		double h = (double)(m - 1) * quantile_p[j];
		out[j] = got[2 * j] + (h - (double)want[2 * j]) * (got[2 * j + 1] - got[2 * j]);
	}
}

static void draw_counts(uint32_t *counts, size_t n, rng *r)
{
	size_t i;
	memset(counts, 0, n * sizeof *counts);
	for (i = 0; i < n; i++)
		counts[rng_below(r, n)]++;
}

/* Percentile interval of values[0..n) (sorted in place). */
static mc_cf_interval interval_of(double *values, size_t n, double confidence)
{
	mc_cf_interval ci;
	qsort(values, n, sizeof *values, cmp_double);
	ci.lo = quantile_sorted(values, n, (1 - confidence) / 2);
	ci.hi = quantile_sorted(values, n, 1 - (1 - confidence) / 2);
	return ci;
}

/* Bootstrap draws of one metric: base and predicted per resample. */
typedef struct draws {
	double *base, *pred, *tmp;
} draws;

static void draws_init(draws *d, unsigned b)
{
	d->base = mc_xcalloc(b, sizeof *d->base);
	d->pred = mc_xcalloc(b, sizeof *d->pred);
	d->tmp = mc_xcalloc(b, sizeof *d->tmp);
}

static void draws_free(draws *d)
{
	free(d->base);
	free(d->pred);
	free(d->tmp);
}

/* Fill m's intervals from its draws (m's point values already set). */
static void metric_finish(mc_cf_metric *m, const draws *d, unsigned b, double confidence)
{
	unsigned i;
	m->delta = m->predicted - m->base;
	memcpy(d->tmp, d->base, b * sizeof *d->tmp);
	m->base_ci = interval_of(d->tmp, b, confidence);
	memcpy(d->tmp, d->pred, b * sizeof *d->tmp);
	m->predicted_ci = interval_of(d->tmp, b, confidence);
	for (i = 0; i < b; i++)
		d->tmp[i] = d->pred[i] - d->base[i];
	m->delta_ci = interval_of(d->tmp, b, confidence);
}

/* Work shared by the routes of one prediction. */
struct predict {
	const mc_cf *cf;
	const mc_cf_deltas *d;
	unsigned b;
	double confidence;
	rng r;
	uint32_t *counts;       /* MC_CF_OVERALL_RESERVOIR multiplicities */
	double *sorted;         /* a route's sorted latencies */
	struct sample *samples; /* a route's reservoir, sorted */
	draws lat[3], err, cost;
	double *all_err_base, *all_err_pred, *all_cost_base, *all_cost_pred; /* sums over routes */
	double **route_sorted;  /* each route's sorted latencies, for the overall transform */
	resolved *rv;           /* each route's deltas */
};

static void route_point_values(mc_cf_route_result *out, const struct route *rt, const double *sorted,
			       const resolved *rv)
{
	double p = (double)rt->errors / (double)rt->count, c = rt->cost_sum / (double)rt->count;
	int j;
	for (j = 0; j < 3; j++) {
		out->latency[j].base = quantile_sorted(sorted, rt->ns, quantile_p[j]);
		out->latency[j].predicted = out->latency[j].base * rv->latency[j];
	}
	out->error_rate.base = p;
	out->error_rate.predicted = apply_errors(rv, p);
	out->cost.base = c;
	out->cost.predicted = apply_cost(rv, c);
}

/* One route: point values, its bootstrap, and its share of the overall sums. */
static void predict_route(struct predict *w, mc_cf_route_result *out, size_t idx)
{
	const struct route *rt = &w->cf->routes[idx];
	const resolved *rv = &w->rv[idx];
	double n = (double)rt->count, p = (double)rt->errors / n, c = rt->cost_sum / n;
	double cost_var = rt->cost_sq / n - c * c, q[3];
	int exact = rt->ns == rt->count, j;
	size_t i;
	unsigned b;

	memcpy(w->samples, rt->s, rt->ns * sizeof *rt->s);
	qsort(w->samples, rt->ns, sizeof *w->samples, cmp_sample);
	for (i = 0; i < rt->ns; i++)
		w->sorted[i] = w->samples[i].latency;
	w->route_sorted[idx] = mc_xmalloc(rt->ns * sizeof(double));
	memcpy(w->route_sorted[idx], w->sorted, rt->ns * sizeof(double));

	out->route = mc_xstrndup(rt->name, rt->len);
	out->count = rt->count;
	out->errors = rt->errors;
	out->sampled = rt->ns;
	route_point_values(out, rt, w->sorted, rv);
	if (cost_var < 0)
		cost_var = 0;
	for (b = 0; b < w->b; b++) {
		double pe, ce;
		draw_counts(w->counts, rt->ns, &w->r);
		quantiles_from_counts(q, w->sorted, NULL, w->counts, rt->ns, rt->ns);
		for (j = 0; j < 3; j++) {
			w->lat[j].base[b] = q[j];
			w->lat[j].pred[b] = q[j] * rv->latency[j];
		}
		if (exact) {
			double e = 0, cs = 0;
			for (i = 0; i < rt->ns; i++) {
				e += w->counts[i] * (double)w->samples[i].error;
				cs += w->counts[i] * (double)w->samples[i].cost;
			}
			pe = e / n;
			ce = cs / n;
		} else {
			pe = p + sqrt(p * (1 - p) / n) * rng_normal(&w->r);
			ce = c + sqrt(cost_var / n) * rng_normal(&w->r);
			pe = pe < 0 ? 0 : pe > 1 ? 1 : pe;
			ce = ce < 0 ? 0 : ce;
		}
		w->err.base[b] = pe;
		w->err.pred[b] = apply_errors(rv, pe);
		w->cost.base[b] = ce;
		w->cost.pred[b] = apply_cost(rv, ce);
		w->all_err_base[b] += n * pe;
		w->all_err_pred[b] += n * w->err.pred[b];
		w->all_cost_base[b] += n * ce;
		w->all_cost_pred[b] += n * w->cost.pred[b];
	}
	for (j = 0; j < 3; j++)
		metric_finish(&out->latency[j], &w->lat[j], w->b, w->confidence);
	metric_finish(&out->error_rate, &w->err, w->b, w->confidence);
	metric_finish(&out->cost, &w->cost, w->b, w->confidence);
}

/* Where x falls in sorted[0..n), as a quantile in [0, 1] (ties: their middle). */
static double quantile_of(const double *sorted, size_t n, double x)
{
	size_t lo = 0, hi = n, first, last;
	if (n < 2)
		return 0.5;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sorted[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sorted[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	last = lo ? lo - 1 : 0;
	if (last < first)
		last = first;
	return ((double)first + (double)last) / 2 / (double)(n - 1);
}

static int cmp_by_value(const void *a, const void *b, void *values)
{
	const double *v = values;
	return cmp_double(&v[*(const uint32_t *)a], &v[*(const uint32_t *)b]);
}

/* The overall latency: the overall reservoir, each sample moved by its route's deltas. */
static void predict_overall_latency(struct predict *w, mc_cf_route_result *out)
{
	const mc_cf *cf = w->cf;
	size_t n = cf->nall, i;
	double *base = mc_xmalloc(n * sizeof *base), *moved = mc_xmalloc(n * sizeof *moved);
	uint32_t *base_order = mc_xmalloc(n * sizeof *base_order);
	uint32_t *moved_order = mc_xmalloc(n * sizeof *moved_order);
	double q[3];
	unsigned b;
	int j;

	for (i = 0; i < n; i++) {
		const struct overall_sample *s = &cf->all[i];
		const struct route *rt = &cf->routes[s->route];
		double at = quantile_of(w->route_sorted[s->route], rt->ns, s->latency);
		base[i] = s->latency;
		moved[i] = s->latency * factor_at(&w->rv[s->route], at);
		base_order[i] = moved_order[i] = (uint32_t)i;
	}
	qsort_r(base_order, n, sizeof *base_order, cmp_by_value, base);
	qsort_r(moved_order, n, sizeof *moved_order, cmp_by_value, moved);
	for (j = 0; j < 3; j++) {
		double *tmp = mc_xmalloc(n * sizeof *tmp);
		for (i = 0; i < n; i++)
			tmp[i] = base[base_order[i]];
		out->latency[j].base = quantile_sorted(tmp, n, quantile_p[j]);
		for (i = 0; i < n; i++)
			tmp[i] = moved[moved_order[i]];
		out->latency[j].predicted = quantile_sorted(tmp, n, quantile_p[j]);
		free(tmp);
	}
	for (b = 0; b < w->b; b++) {
		draw_counts(w->counts, n, &w->r);
		quantiles_from_counts(q, base, base_order, w->counts, n, n);
		for (j = 0; j < 3; j++)
			w->lat[j].base[b] = q[j];
		quantiles_from_counts(q, moved, moved_order, w->counts, n, n);
		for (j = 0; j < 3; j++)
			w->lat[j].pred[b] = q[j];
	}
	for (j = 0; j < 3; j++)
		metric_finish(&out->latency[j], &w->lat[j], w->b, w->confidence);
	out->sampled = n;
	free(base);
	free(moved);
	free(base_order);
	free(moved_order);
}

static void predict_overall_sums(struct predict *w, mc_cf_route_result *out,
				 const mc_cf_result *res)
{
	double n = (double)mc_cf_count(w->cf), err_pred = 0, cost_base = 0, cost_pred = 0;
	uint64_t errors = 0;
	size_t i;
	unsigned b;

	for (i = 0; i < res->nroutes; i++) {
		const mc_cf_route_result *r = &res->routes[i];
		errors += r->errors;
		err_pred += (double)r->count * r->error_rate.predicted;
		cost_base += (double)r->count * r->cost.base;
		cost_pred += (double)r->count * r->cost.predicted;
	}
	out->count = mc_cf_count(w->cf);
	out->errors = errors;
	out->error_rate.base = (double)errors / n;
	out->error_rate.predicted = err_pred / n;
	out->cost.base = cost_base / n;
	out->cost.predicted = cost_pred / n;
	for (b = 0; b < w->b; b++) {
		w->err.base[b] = w->all_err_base[b] / n;
		w->err.pred[b] = w->all_err_pred[b] / n;
		w->cost.base[b] = w->all_cost_base[b] / n;
		w->cost.pred[b] = w->all_cost_pred[b] / n;
	}
	metric_finish(&out->error_rate, &w->err, w->b, w->confidence);
	metric_finish(&out->cost, &w->cost, w->b, w->confidence);
}

/* Total cost = cost per request x requests, intervals scaled alike. */
static void set_cost_total(mc_cf_route_result *r)
{
	double n = (double)r->count;
	mc_cf_metric *t = &r->cost_total;
	const mc_cf_metric *c = &r->cost;
	t->base = c->base * n;
	t->predicted = c->predicted * n;
	t->delta = c->delta * n;
	t->base_ci = (mc_cf_interval){ c->base_ci.lo * n, c->base_ci.hi * n };
	t->predicted_ci = (mc_cf_interval){ c->predicted_ci.lo * n, c->predicted_ci.hi * n };
	t->delta_ci = (mc_cf_interval){ c->delta_ci.lo * n, c->delta_ci.hi * n };
}

static int cmp_route_name(const void *a, const void *b, void *cf)
{
	const struct route *x = &((const mc_cf *)cf)->routes[*(const uint32_t *)a];
	const struct route *y = &((const mc_cf *)cf)->routes[*(const uint32_t *)b];
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void predict_free(struct predict *w, size_t nroutes)
{
	size_t i;
	int j;
	free(w->counts);
	free(w->sorted);
	free(w->samples);
	for (j = 0; j < 3; j++)
		draws_free(&w->lat[j]);
	draws_free(&w->err);
	draws_free(&w->cost);
	free(w->all_err_base);
	free(w->all_err_pred);
	free(w->all_cost_base);
	free(w->all_cost_pred);
	for (i = 0; i < nroutes; i++)
		free(w->route_sorted[i]);
	free(w->route_sorted);
	free(w->rv);
}

int mc_cf_predict(mc_cf_result *out, const mc_cf *cf, const mc_cf_deltas *d,
		  const mc_cf_options *opt)
{
	struct predict w;
	uint32_t *order;
	size_t i;
	int j;

	memset(out, 0, sizeof *out);
	if (!mc_cf_count(cf))
		return mc_error_set(MC_EEMPTY, "the trace holds no requests");
	memset(&w, 0, sizeof w);
	w.cf = cf;
	w.d = d;
	w.b = opt && opt->resamples ? opt->resamples : MC_CF_DEFAULT_RESAMPLES;
	if (w.b > MC_CF_MAX_RESAMPLES)
		return mc_error_set(MC_ELIMIT, "at most %d bootstrap resamples", MC_CF_MAX_RESAMPLES);
	w.confidence = opt && opt->confidence > 0 ? opt->confidence : 0.95;
	if (w.confidence >= 1)
		return mc_error_set(MC_EINVAL, "confidence must be between 0 and 1");
	rng_seed(&w.r, opt ? opt->seed : 0);
	w.counts = mc_xmalloc(MC_CF_OVERALL_RESERVOIR * sizeof *w.counts);
	w.sorted = mc_xmalloc(MC_CF_RESERVOIR * sizeof *w.sorted);
	w.samples = mc_xmalloc(MC_CF_RESERVOIR * sizeof *w.samples);
	for (j = 0; j < 3; j++)
		draws_init(&w.lat[j], w.b);
	draws_init(&w.err, w.b);
	draws_init(&w.cost, w.b);
	w.all_err_base = mc_xcalloc(w.b, sizeof(double));
	w.all_err_pred = mc_xcalloc(w.b, sizeof(double));
	w.all_cost_base = mc_xcalloc(w.b, sizeof(double));
	w.all_cost_pred = mc_xcalloc(w.b, sizeof(double));
	w.route_sorted = mc_xcalloc(cf->nroutes, sizeof *w.route_sorted);
	w.rv = mc_xcalloc(cf->nroutes, sizeof *w.rv);

	order = mc_xmalloc(cf->nroutes * sizeof *order);
	for (i = 0; i < cf->nroutes; i++) {
		order[i] = (uint32_t)i;
		resolve(&w.rv[i], d, cf->routes[i].name, cf->routes[i].len);
	}
	qsort_r(order, cf->nroutes, sizeof *order, cmp_route_name, (void *)cf);

	out->routes = mc_xcalloc(cf->nroutes, sizeof *out->routes);
	out->nroutes = cf->nroutes;
	for (i = 0; i < cf->nroutes; i++) {
		predict_route(&w, &out->routes[i], order[i]);
		set_cost_total(&out->routes[i]);
	}
	out->overall.route = mc_xstrdup(MC_CF_ALL);
	predict_overall_latency(&w, &out->overall);
	predict_overall_sums(&w, &out->overall, out);
	set_cost_total(&out->overall);
	out->resamples = w.b;
	out->confidence = w.confidence;
	out->seed = opt ? opt->seed : 0;
	free(order);
	predict_free(&w, cf->nroutes);
	return 0;
}

void mc_cf_result_free(mc_cf_result *r)
{
	size_t i;
	for (i = 0; i < r->nroutes; i++)
		free(r->routes[i].route);
	free(r->routes);
	free(r->overall.route);
	memset(r, 0, sizeof *r);
}

const mc_cf_route_result *mc_cf_result_route(const mc_cf_result *r, const char *route)
{
	size_t i;
	if (!strcmp(route, MC_CF_ALL))
		return &r->overall;
	for (i = 0; i < r->nroutes; i++)
		if (!strcmp(r->routes[i].route, route))
			return &r->routes[i];
	return NULL;
}

double mc_cf_relative_error(double predicted, double actual)
{
	if (actual == 0)
		return predicted == 0 ? 0 : NAN;
	return fabs(predicted - actual) / fabs(actual);
}

static struct json_object *pair(mc_cf_interval ci)
{
	struct json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_double(ci.lo));
	json_object_array_add(a, json_object_new_double(ci.hi));
	return a;
}

static struct json_object *metric_json(const mc_cf_metric *m)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_double(o, "base", m->base);
	mc_json_set_double(o, "predicted", m->predicted);
	mc_json_set_double(o, "delta", m->delta);
	json_object_object_add(o, "base_ci", pair(m->base_ci));
	json_object_object_add(o, "predicted_ci", pair(m->predicted_ci));
	json_object_object_add(o, "delta_ci", pair(m->delta_ci));
	return o;
}

static struct json_object *route_json(const mc_cf_route_result *r)
{
	struct json_object *o = json_object_new_object(), *lat = json_object_new_object();
	mc_strbuf name = MC_STRBUF_INIT;
	int j;

	mc_utf8_escape_invalid(&name, r->route, strlen(r->route));
	mc_json_set_string(o, "route", mc_strbuf_str(&name));
	mc_strbuf_release(&name);
	mc_json_set_int(o, "requests", (long long)r->count);
	mc_json_set_int(o, "errors", (long long)r->errors);
	mc_json_set_int(o, "sampled", (long long)r->sampled);
	for (j = 0; j < 3; j++)
		json_object_object_add(lat, quantile_name[j], metric_json(&r->latency[j]));
	json_object_object_add(o, "latency_ms", lat);
	json_object_object_add(o, "error_rate", metric_json(&r->error_rate));
	json_object_object_add(o, "cost_usd_per_request", metric_json(&r->cost));
	json_object_object_add(o, "cost_usd_total", metric_json(&r->cost_total));
	return o;
}

struct json_object *mc_cf_result_to_json(const mc_cf_result *r)
{
	struct json_object *o = json_object_new_object(), *routes = json_object_new_array();
	size_t i;

	mc_json_set_int(o, "resamples", r->resamples);
	mc_json_set_double(o, "confidence", r->confidence);
	mc_json_set_int(o, "seed", (long long)r->seed);
	json_object_object_add(o, "overall", route_json(&r->overall));
	for (i = 0; i < r->nroutes; i++)
		json_object_array_add(routes, route_json(&r->routes[i]));
	json_object_object_add(o, "routes", routes);
	return o;
}
