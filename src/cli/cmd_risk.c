/*
 * `maestro risk fit`: fit the risk model (model/risk.h) on the jit defect
 * CSVs, measure it honestly, and write out what it learned.
 *
 * For each project the commits are ordered by time, the model is trained on
 * the oldest part and tested on the newest (a random split would let the
 * future leak into training), and it is compared with LApredict, the same
 * logistic regression on lines added alone. Then the model Maestro ships is
 * fitted on every commit of every project pooled, and can be written as
 * src/model/risk_defaults.c (--write-defaults) and described in docs/RISK.md
 * (--write-doc). Both outputs hold no timing and no date of generation, so
 * running the command again on the same data rewrites them byte for byte.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/dataset/jit_csv.h"
#include "cli/cli.h"
#include "model/features.h"
#include "model/risk.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/time.h"

#define MAX_DATA 16
#define DEFAULT_SPLIT 0.8
#define DEFAULTS_PATH "src/model/risk_defaults.c"
#define DOC_PATH "docs/RISK.md"

static const char *const default_files[] = { "openstack_k_feature.csv", "qt_k_feature.csv" };
#define NDEFAULT_FILES (sizeof default_files / sizeof default_files[0])

struct figures {
	double auc, brier, seconds;
};

struct project {
	const char *path;
	char *name;           /* file name without _k_feature.csv, safe for C and Markdown */
	char *file;           /* the file's base name, made safe the same way */
	mc_jit_csv data;
	mc_change_features *x;
	size_t positives;
	size_t train, test;   /* rows in each part of the time-ordered split */
	long long train_from, train_to, test_from, test_to; /* first and last commit times */
	double test_rate, base_rate_brier;
	struct figures model, baseline;
};

struct run {
	struct project p[MAX_DATA];
	size_t np;
	int default_data;     /* no --data: the reference files were found by themselves */
	double split, lambda;
	mc_risk_model pooled;
	size_t pooled_positives;
	double pooled_seconds;
	mc_strbuf source;     /* pooled.source points here */
};

static int feature_slot(const char *column)
{
	return mc_feature_by_name(column);
}

static const char *slot_name(int slot)
{
	/* The CSV spells entropy "entrophy"; name the column as the file would. */
	return slot == MC_F_ENTROPY ? "entrophy" : mc_feature_name((enum mc_feature)slot);
}

static const mc_jit_csv_schema kamei_schema = { MC_FEATURE_COUNT, feature_slot, slot_name };

/* Keep [A-Za-z0-9._-] and turn anything else into '_': names go into C comments and Markdown. */
static char *safe_name(const char *s, size_t len)
{
	char *out = mc_xstrndup(s, len);
	char *p;
	for (p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			*p = '_';
	return out;
}

static void name_project(struct project *p)
{
	const char *base = strrchr(p->path, '/'), *suffix;
	size_t len;
	base = base ? base + 1 : p->path;
	len = strlen(base);
	p->file = safe_name(base, len);
	suffix = strstr(base, "_k_feature.csv");
	if (!suffix)
		suffix = strstr(base, ".csv");
	if (suffix && suffix != base)
		len = (size_t)(suffix - base);
	p->name = safe_name(base, len);
}

/* The directory holding both reference files, or NULL with the places tried in *tried. */
static char *find_default_data(mc_strbuf *tried)
{
	const char *shared = getenv("MAESTRO_SHARED_DATA"), *source = getenv("MAESTRO_SOURCE_DIR");
	mc_strbuf dirs[3] = { MC_STRBUF_INIT, MC_STRBUF_INIT, MC_STRBUF_INIT };
	char *found = NULL;
	size_t i, j, n = 0;

	if (shared && *shared)
		mc_strbuf_printf(&dirs[n++], "%s/jit", shared);
	if (source && *source)
		mc_strbuf_printf(&dirs[n++], "%s/../shared/data/jit", source);
	mc_strbuf_puts(&dirs[n++], "../shared/data/jit");
	for (i = 0; i < n && !found; i++) {
		int all = 1;
		for (j = 0; j < NDEFAULT_FILES && all; j++) {
			mc_strbuf f = MC_STRBUF_INIT;
			mc_strbuf_printf(&f, "%s/%s", dirs[i].buf, default_files[j]);
			all = mc_fs_exists(f.buf);
			mc_strbuf_release(&f);
		}
		if (all)
			found = mc_strbuf_detach(&dirs[i]);
		else
			mc_strbuf_printf(tried, "%s%s", tried->len ? ", " : "", dirs[i].buf);
	}
	for (i = 0; i < n; i++)
		mc_strbuf_release(&dirs[i]);
	return found;
}

static int load_project(struct project *p)
{
	size_t i;
	int f, rc = mc_jit_csv_read(&p->data, p->path, &kamei_schema, 0);
	if (rc)
		return rc;
	if (p->data.rows == 0)
		return mc_error_set(MC_EINVAL, "%s: no rows after the header", p->path);
	p->x = mc_xmalloc(sizeof *p->x * p->data.rows);
	for (i = 0; i < p->data.rows; i++) {
		for (f = 0; f < MC_FEATURE_COUNT; f++)
			p->x[i].v[f] = p->data.x[i * MC_FEATURE_COUNT + (size_t)f];
		p->positives += p->data.bug[i];
	}
	return 0;
}

struct dated {
	long long date;
	size_t row;
};

/* Oldest first; rows with the same time keep their file order. */
static int by_date(const void *a, const void *b)
{
	const struct dated *x = a, *y = b;
	if (x->date != y->date)
		return (x->date > y->date) - (x->date < y->date);
	return (x->row > y->row) - (x->row < y->row);
}

/* Fit on (x, y) with the mask and score the test rows into figures. */
static int fit_and_test(struct figures *out, const mc_change_features *x, const unsigned char *y,
			size_t train, size_t test, double lambda, unsigned mask)
{
	mc_risk_fit_options opt;
	mc_risk_model m;
	double start, *p;
	size_t i;
	int rc;

	mc_risk_fit_options_init(&opt);
	opt.lambda = lambda;
	opt.feature_mask = mask;
	start = mc_time_monotonic();
	rc = mc_risk_fit(&m, x, y, train, &opt);
	out->seconds = mc_time_monotonic() - start;
	if (rc)
		return rc;
	p = mc_xmalloc(sizeof *p * test);
	for (i = 0; i < test; i++)
		p[i] = mc_risk_predict(&m, &x[train + i], NULL);
	out->auc = mc_risk_auc(p, y + train, test);
	out->brier = mc_risk_brier(p, y + train, test);
	free(p);
	return 0;
}

/* Time-ordered split of one project; model and la-only baseline figures on the newest part. */
static int evaluate(struct project *p, double split, double lambda)
{
	size_t n = p->data.rows, i, train_pos = 0, test_pos = 0;
	struct dated *order = mc_xmalloc(sizeof *order * n);
	mc_change_features *x = mc_xmalloc(sizeof *x * n);
	unsigned char *y = mc_xmalloc(n);
	double base = 0;
	int rc;

	for (i = 0; i < n; i++) {
		order[i].date = p->data.date[i];
		order[i].row = i;
	}
	qsort(order, n, sizeof *order, by_date);
	for (i = 0; i < n; i++) {
		x[i] = p->x[order[i].row];
		y[i] = p->data.bug[order[i].row];
	}
	p->train = (size_t)floor(split * (double)n);
	p->test = n - p->train;
	if (p->train == 0 || p->test == 0) {
		rc = mc_error_set(MC_EINVAL, "%s: %zu commits cannot be split %g/%g", p->name, n, split,
				  1 - split);
		goto out;
	}
	p->train_from = order[0].date;
	p->train_to = order[p->train - 1].date;
	p->test_from = order[p->train].date;
	p->test_to = order[n - 1].date;
	for (i = 0; i < n; i++) {
		if (i < p->train)
			train_pos += y[i];
		else
			test_pos += y[i];
	}
	p->test_rate = (double)test_pos / (double)p->test;
	/* The Brier score of always answering the training defect rate: the floor to beat. */
	base = (double)train_pos / (double)p->train;
	p->base_rate_brier = p->test_rate * (1 - base) * (1 - base) + (1 - p->test_rate) * base * base;
	rc = fit_and_test(&p->model, x, y, p->train, p->test, lambda, MC_RISK_ALL_FEATURES);
	if (!rc)
		rc = fit_and_test(&p->baseline, x, y, p->train, p->test, lambda, 1u << MC_F_LA);
	if (rc)
		mc_error_wrap(rc, "%s", p->name);
out:
	free(order);
	free(x);
	free(y);
	return rc;
}

/* The shipped model: every row of every project, in the order the files were given. */
static int fit_pooled(struct run *r)
{
	size_t total = 0, at = 0, i;
	mc_change_features *x;
	unsigned char *y;
	mc_risk_fit_options opt;
	double start;
	int rc;

	for (i = 0; i < r->np; i++) {
		total += r->p[i].data.rows;
		r->pooled_positives += r->p[i].positives;
	}
	x = mc_xmalloc(sizeof *x * total);
	y = mc_xmalloc(total);
	for (i = 0; i < r->np; i++) {
		memcpy(x + at, r->p[i].x, sizeof *x * r->p[i].data.rows);
		memcpy(y + at, r->p[i].data.bug, r->p[i].data.rows);
		at += r->p[i].data.rows;
	}
	mc_risk_fit_options_init(&opt);
	opt.lambda = r->lambda;
	start = mc_time_monotonic();
	rc = mc_risk_fit(&r->pooled, x, y, total, &opt);
	r->pooled_seconds = mc_time_monotonic() - start;
	free(x);
	free(y);
	if (rc)
		return mc_error_wrap(rc, "pooled model");
	mc_strbuf_puts(&r->source, "logistic regression fitted by `maestro risk fit` on all ");
	mc_strbuf_printf(&r->source, "%zu commits of ", total);
	for (i = 0; i < r->np; i++)
		mc_strbuf_printf(&r->source, "%s%s", i ? " + " : "", r->p[i].name);
	mc_strbuf_printf(&r->source, " (jit defect data of Zeng et al., ISSTA 2021), lambda %g",
			 r->lambda);
	r->pooled.source = r->source.buf;
	return 0;
}

/* The options that change the fitted model, as they would be typed. */
static void command_line(mc_strbuf *out, const struct run *r, const char *write_option,
			 const char *write_path)
{
	size_t i;
	mc_strbuf_puts(out, "maestro risk fit");
	if (!r->default_data)
		for (i = 0; i < r->np; i++)
			mc_strbuf_printf(out, " --data %s", r->p[i].file);
	if (r->lambda != MC_RISK_DEFAULT_LAMBDA)
		mc_strbuf_printf(out, " --lambda %.17g", r->lambda);
	if (r->split != DEFAULT_SPLIT && !strcmp(write_option, "--write-doc"))
		mc_strbuf_printf(out, " --split %.17g", r->split);
	mc_strbuf_printf(out, " %s %s", write_option, write_path);
}

static void c_array(mc_strbuf *out, const char *field, const double *v)
{
	int f;
	mc_strbuf_printf(out, "\t.%s = {\n", field);
	for (f = 0; f < MC_FEATURE_COUNT; f++)
		mc_strbuf_printf(out, "\t\t%.17g, /* %s */\n", v[f], mc_feature_name((enum mc_feature)f));
	mc_strbuf_puts(out, "\t},\n");
}

static void render_defaults(mc_strbuf *out, const struct run *r)
{
	const mc_risk_model *m = &r->pooled;
	size_t i;

	mc_strbuf_puts(out, "/*\n * GENERATED by `");
	command_line(out, r, "--write-defaults", DEFAULTS_PATH);
	mc_strbuf_puts(out, "`\n"
		       " * from the repository root; do not edit by hand. Running the command again on\n"
		       " * the same data rewrites this file byte for byte.\n *\n"
		       " * The risk model Maestro uses when the configuration names no other: logistic\n"
		       " * regression on the 14 Kamei change features (model/risk.h), fitted on every\n"
		       " * commit of these files, pooled in this order:\n");
	for (i = 0; i < r->np; i++)
		mc_strbuf_printf(out, " *   %s: %zu commits, %zu defect-inducing, sha256 %s\n",
				 r->p[i].file, r->p[i].data.rows, r->p[i].positives,
				 r->p[i].data.sha256);
	mc_strbuf_printf(out, " * %zu commits in all, L2 penalty lambda = %.17g.\n"
			 " * How well this kind of model predicts, on a time-ordered split: docs/RISK.md.\n"
			 " */\n#include \"model/risk.h\"\n\nstatic const mc_risk_model default_model = {\n",
			 m->rows, m->lambda);
	c_array(out, "mean", m->mean);
	c_array(out, "std", m->std);
	c_array(out, "coef", m->coef);
	mc_strbuf_printf(out, "\t.intercept = %.17g,\n\t.lambda = %.17g,\n\t.rows = %zu,\n",
			 m->intercept, m->lambda, m->rows);
	mc_strbuf_printf(out, "\t.source = \"%s\",\n};\n\n", m->source);
	mc_strbuf_puts(out, "const mc_risk_model *mc_risk_default(void)\n{\n\treturn &default_model;\n}\n");
}

static const char *iso_day(long long t, char buf[MC_TIME_ISO_LEN])
{
	mc_time_iso8601(buf, (time_t)t, -1);
	buf[10] = '\0';
	return buf;
}

static void doc_figures(mc_strbuf *out, const struct run *r)
{
	char a[MC_TIME_ISO_LEN], b[MC_TIME_ISO_LEN], c[MC_TIME_ISO_LEN], d[MC_TIME_ISO_LEN];
	size_t i;

	mc_strbuf_printf(out, "| project | commits | trained on (oldest %.0f %%) | tested on (newest %.0f %%) "
			 "| defects in test | AUC model | AUC la-only | Brier model | Brier la-only "
			 "| Brier base rate |\n|---|---:|---|---|---:|---:|---:|---:|---:|---:|\n",
			 r->split * 100, (1 - r->split) * 100);
	for (i = 0; i < r->np; i++) {
		const struct project *p = &r->p[i];
		mc_strbuf_printf(out, "| %s | %zu | %zu, %s .. %s | %zu, %s .. %s | %.1f %% | %.3f | %.3f "
				 "| %.4f | %.4f | %.4f |\n",
				 p->name, p->data.rows, p->train, iso_day(p->train_from, a),
				 iso_day(p->train_to, b), p->test, iso_day(p->test_from, c),
				 iso_day(p->test_to, d), p->test_rate * 100, p->model.auc,
				 p->baseline.auc, p->model.brier, p->baseline.brier, p->base_rate_brier);
	}
	mc_strbuf_puts(out, "\nThe days are the UTC dates of the first and last commit of each part; the\n"
		       "training part ends where the test part begins (commits with the same\n"
		       "timestamp stay in file order). AUC is the probability that a random\n"
		       "defect-inducing commit of the test part scores above a random clean one (ties\n"
		       "count half); the Brier score is the mean squared error of the probability, and\n"
		       "the base-rate column is the Brier score of always answering the training\n"
		       "part's defect rate, the floor any useful model must beat. Lower is better.\n\n");
	for (i = 0; i < r->np; i++) {
		const struct project *p = &r->p[i];
		mc_strbuf_printf(out, "- %s: the full model's AUC is %.3f %s than the la-only baseline's "
				 "(%.3f vs %.3f); its Brier score is %.4f %s (%.4f vs %.4f).\n",
				 p->name, fabs(p->model.auc - p->baseline.auc),
				 p->model.auc >= p->baseline.auc ? "higher" : "lower", p->model.auc,
				 p->baseline.auc, fabs(p->model.brier - p->baseline.brier),
				 p->model.brier <= p->baseline.brier ? "lower (better)" : "higher (worse)",
				 p->model.brier, p->baseline.brier);
	}
}

static void doc_coefficients(mc_strbuf *out, const mc_risk_model *m)
{
	int f;
	mc_strbuf_puts(out, "| feature | meaning | mean of log1p | std of log1p | coefficient |\n"
		       "|---|---|---:|---:|---:|\n");
	for (f = 0; f < MC_FEATURE_COUNT; f++)
		mc_strbuf_printf(out, "| %s | %s | %.4f | %.4f | %+.4f |\n",
				 mc_feature_name((enum mc_feature)f),
				 mc_feature_description((enum mc_feature)f), m->mean[f], m->std[f],
				 m->coef[f]);
	mc_strbuf_printf(out, "| (intercept) | logit at the training mean | | | %+.4f |\n\n",
			 m->intercept);
}

static void doc_data(mc_strbuf *out, const struct run *r)
{
	size_t i;
	mc_strbuf_puts(out, "| file | commits | defect-inducing | SHA-256 |\n|---|---:|---:|---|\n");
	for (i = 0; i < r->np; i++)
		mc_strbuf_printf(out, "| %s | %zu | %zu (%.1f %%) | `%s` |\n", r->p[i].file,
				 r->p[i].data.rows, r->p[i].positives,
				 100.0 * (double)r->p[i].positives / (double)r->p[i].data.rows,
				 r->p[i].data.sha256);
}

static void render_doc(mc_strbuf *out, const struct run *r)
{
	const mc_risk_model *m = &r->pooled;

	mc_strbuf_puts(out, "# The risk model\n\n<!-- GENERATED by `");
	command_line(out, r, "--write-doc", DOC_PATH);
	mc_strbuf_puts(out, "`; do not edit by hand. -->\n\n"
		"Maestro's risk score is the probability that a change induces a defect, from a\n"
		"logistic regression over the 14 change features of Kamei et al. (\"A large-scale\n"
		"empirical study of just-in-time quality assurance\", IEEE TSE 39(6), 2013). The\n"
		"Decision Card shows the probability and the features that pushed it most.\n\n"
		"## The model\n\n"
		"Each feature x enters as z = (log1p(max(x, 0)) − mean) / std, with mean and std\n"
		"taken over the training commits: the log tames the heavy tails of sizes and\n"
		"counts, as Kamei et al. do, and standardising lets one L2 penalty treat every\n"
		"feature alike and makes each coefficient read as logit per standard deviation.\n"
		"risk = 1 / (1 + exp(−(intercept + Σ coef·z))). A feature's contribution on the\n"
		"Decision Card is its coef·z: how far it moves the logit from the training mean.\n\n");
	mc_strbuf_printf(out,
		"The coefficients are fitted by Newton's method (IRLS) on the mean log-loss plus\n"
		"λ/2·|coef|² with λ = %g (the intercept is not penalised), in a fixed order with\n"
		"no randomness, so the same data gives the same model bit for bit.\n"
		"The code: `src/model/risk.c`; the shipped model: `src/model/risk_defaults.c`.\n\n",
		r->lambda);
	mc_strbuf_puts(out, "## The data\n\n"
		"The commit-level defect data of Zeng et al., \"Deep Just-in-Time Defect Prediction:\n"
		"How Far Are We?\" (ISSTA 2021): for each commit of two projects, its Kamei\n"
		"features and a label from the SZZ algorithm (1 = a later bug fix blamed lines this\n"
		"commit added).\n\n");
	doc_data(out, r);
	mc_strbuf_printf(out, "\n## How well it predicts\n\n"
		"Each project on its own: commits sorted by time, the model fitted on the oldest\n"
		"%.0f %% and scored on the newest %.0f %%. A random split would let the model learn\n"
		"from commits made after the ones it is tested on and overstate the result. The\n"
		"baseline is LApredict, the same regression on lines added alone, which Zeng et al.\n"
		"found competitive with deep models. For scale, they report AUCs of roughly\n"
		"0.75–0.83 for good models on these projects.\n\n",
		r->split * 100, (1 - r->split) * 100);
	doc_figures(out, r);
	mc_strbuf_printf(out, "\n## The shipped model\n\n"
		"Fitted on all %zu commits of the projects above pooled (%zu defect-inducing,\n"
		"%.1f %%), so it has seen both projects' habits; the figures above come from the\n"
		"per-project time-ordered splits, not from this fit.\n\n",
		m->rows, r->pooled_positives, 100.0 * (double)r->pooled_positives / (double)m->rows);
	doc_coefficients(out, m);
	mc_strbuf_puts(out, "Coefficients are on the standardised log scale, so their sizes compare\n"
		"directly; features are correlated (la with nf and entropy, nuc with ndev, exp with\n"
		"rexp and sexp), so a single coefficient is not that feature's effect on its own.\n\n"
		"## Reproduce\n\n```sh\nscripts/build                         # prints the build directory\n"
		"build/maestro risk fit               # the table above, on ../shared/data/jit\n"
		"build/maestro risk fit --format json\n"
		"build/maestro risk fit --write-defaults src/model/risk_defaults.c --write-doc docs/RISK.md\n"
		"bench/risk-fit                       # the same figures side by side, with fit times\n```\n\n"
		"The data is found under `$MAESTRO_SHARED_DATA/jit`, `$MAESTRO_SOURCE_DIR/../shared/data/jit`\n"
		"or `../shared/data/jit`; `--data FILE` (repeatable) reads other files of the same\n"
		"layout. The unit test `tests/unit/test_risk.c` refits on the reference data and\n"
		"checks that the result equals `mc_risk_default()` exactly.\n\n"
		"## Limitations\n\n"
		"- **Label noise.** SZZ labels are heuristic: it blames the lines a later fix\n"
		"  touched, so some defect-inducing commits are missed and some clean ones blamed\n"
		"  (refactorings, whitespace, fixes that add code elsewhere). Figures measured on\n"
		"  these labels inherit that noise.\n"
		"- **Projects differ.** The defect rate, the size of a typical change and how much\n"
		"  experience matters are different in each project; a model pooled over two\n"
		"  projects is a prior, not a calibrated probability for a third. Read the risk as\n"
		"  a ranking first, and fit on your own history when you have labels for it.\n"
		"- **Time.** Both projects' history ends years ago; habits and tooling change, and\n"
		"  the per-project figures show how much a model fitted on the past loses on the\n"
		"  future even within one project.\n"
		"- **Feature extraction.** Maestro computes the features of a live change itself\n"
		"  (the facts stage); where its definitions differ from the tooling that produced\n"
		"  the data, the coefficients apply to slightly different quantities.\n"
		"- **Linear on the log scale.** No interactions and no non-linear terms; what a\n"
		"  logistic regression cannot express, this model does not know.\n");
}

static void json_figures(struct json_object *o, const char *key, const struct figures *f)
{
	struct json_object *x = json_object_new_object();
	mc_json_set_double(x, "auc", f->auc);
	mc_json_set_double(x, "brier", f->brier);
	mc_json_set_double(x, "fit_seconds", f->seconds);
	json_object_object_add(o, key, x);
}

static void print_json(const struct run *r)
{
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
	struct json_object *dm = json_object_new_object(), *feats = json_object_new_array();
	size_t i;
	int f;

	mc_json_set_double(doc, "split", r->split);
	mc_json_set_double(doc, "lambda", r->lambda);
	for (i = 0; i < r->np; i++) {
		const struct project *p = &r->p[i];
		struct json_object *o = json_object_new_object();
		mc_json_set_string(o, "name", p->name);
		mc_json_set_string(o, "file", p->path);
		mc_json_set_string(o, "sha256", p->data.sha256);
		mc_json_set_int(o, "rows", (long long)p->data.rows);
		mc_json_set_int(o, "defects", (long long)p->positives);
		mc_json_set_int(o, "train_rows", (long long)p->train);
		mc_json_set_int(o, "test_rows", (long long)p->test);
		mc_json_set_int(o, "test_from", p->test_from);
		mc_json_set_double(o, "test_defect_rate", p->test_rate);
		json_figures(o, "model", &p->model);
		json_figures(o, "baseline_la", &p->baseline);
		mc_json_set_double(o, "base_rate_brier", p->base_rate_brier);
		json_object_array_add(list, o);
	}
	json_object_object_add(doc, "projects", list);
	mc_json_set_string(dm, "source", r->pooled.source);
	mc_json_set_int(dm, "rows", (long long)r->pooled.rows);
	mc_json_set_int(dm, "defects", (long long)r->pooled_positives);
	mc_json_set_double(dm, "fit_seconds", r->pooled_seconds);
	mc_json_set_double(dm, "intercept", r->pooled.intercept);
	for (f = 0; f < MC_FEATURE_COUNT; f++) {
		struct json_object *o = json_object_new_object();
		mc_json_set_string(o, "name", mc_feature_name((enum mc_feature)f));
		mc_json_set_double(o, "mean", r->pooled.mean[f]);
		mc_json_set_double(o, "std", r->pooled.std[f]);
		mc_json_set_double(o, "coef", r->pooled.coef[f]);
		json_object_array_add(feats, o);
	}
	json_object_object_add(dm, "features", feats);
	json_object_object_add(doc, "default_model", dm);
	printf("%s\n", mc_json_dump(doc, 1));
	json_object_put(doc);
}

static void print_text(const struct run *r)
{
	size_t i;
	int f;

	printf("Time-ordered split: each project trains on its oldest %.0f %% of commits and is\n"
	       "tested on the newest %.0f %%. Baseline: the same regression on lines added only.\n\n",
	       r->split * 100, (1 - r->split) * 100);
	printf("%-12s %8s %6s %8s %9s %9s %9s %9s %9s %9s\n", "project", "commits", "test",
	       "defect%", "AUC", "AUC la", "Brier", "Brier la", "Brier base", "fit ms");
	for (i = 0; i < r->np; i++) {
		const struct project *p = &r->p[i];
		printf("%-12s %8zu %6zu %8.1f %9.3f %9.3f %9.4f %9.4f %9.4f %9.1f\n", p->name,
		       p->data.rows, p->test, p->test_rate * 100, p->model.auc, p->baseline.auc,
		       p->model.brier, p->baseline.brier, p->base_rate_brier, p->model.seconds * 1000);
	}
	printf("\nDefault model: %s.\nFitted on all %zu commits pooled in %.1f ms.\n\n",
	       r->pooled.source, r->pooled.rows, r->pooled_seconds * 1000);
	printf("%-10s %10s %10s %10s\n", "feature", "coef", "mean", "std");
	for (f = 0; f < MC_FEATURE_COUNT; f++)
		printf("%-10s %+10.4f %10.4f %10.4f\n", mc_feature_name((enum mc_feature)f),
		       r->pooled.coef[f], r->pooled.mean[f], r->pooled.std[f]);
	printf("%-10s %+10.4f\n", "intercept", r->pooled.intercept);
}

static int write_output(const char *path, const struct run *r,
			void (*render)(mc_strbuf *, const struct run *))
{
	mc_strbuf sb = MC_STRBUF_INIT;
	int rc;
	render(&sb, r);
	rc = mc_fs_write_file(path, sb.buf, sb.len, 0644);
	mc_strbuf_release(&sb);
	return rc;
}

/* A number that is all of arg (no trailing text), finite. */
static int parse_number(const char *arg, double *out)
{
	char *end;
	*out = strtod(arg, &end);
	return *arg && !*end && isfinite(*out) ? 0 : -1;
}

struct options {
	const char *data[MAX_DATA];
	size_t ndata;
	double split, lambda;
	const char *write_defaults, *write_doc;
	enum mc_format format;
};

static int parse_options(struct options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "split", required_argument, NULL, 's' },
		{ "lambda", required_argument, NULL, 'l' },
		{ "write-defaults", required_argument, NULL, 'w' },
		{ "write-doc", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (o->ndata == MAX_DATA)
				return mc_cli_usage("risk", "at most %d --data files", MAX_DATA);
			o->data[o->ndata++] = optarg;
			break;
		case 's':
			if (parse_number(optarg, &o->split) || !(o->split > 0 && o->split < 1))
				return mc_cli_usage("risk", "--split must be a number between 0 and 1 "
						    "(exclusive), not '%s'", optarg);
			break;
		case 'l':
			if (parse_number(optarg, &o->lambda) || o->lambda < 0)
				return mc_cli_usage("risk", "--lambda must be a number >= 0, not '%s'",
						    optarg);
			break;
		case 'w': o->write_defaults = optarg; break;
		case 'D': o->write_doc = optarg; break;
		case 'F':
			if (mc_cli_parse_format(optarg, &o->format))
				return mc_cli_usage("risk", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("risk", "unknown option");
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "fit"))
		return mc_cli_usage("risk", "expected the action 'fit'");
	return 0;
}

/* Resolve the files to read into r (the reference pair when none was named). */
static int choose_data(struct run *r, const struct options *o, char **dir_out)
{
	size_t i;

	*dir_out = NULL;
	if (o->ndata) {
		for (i = 0; i < o->ndata; i++)
			r->p[i].path = o->data[i];
		r->np = o->ndata;
		return 0;
	}
	mc_strbuf tried = MC_STRBUF_INIT;
	char *dir = find_default_data(&tried);
	if (!dir) {
		fprintf(stderr, "maestro risk: the reference data (%s and %s) is not in %s; set "
			"MAESTRO_SHARED_DATA to the directory holding jit/ or pass --data FILE\n",
			default_files[0], default_files[1], tried.buf);
		mc_strbuf_release(&tried);
		return MC_EXIT_ENV;
	}
	mc_strbuf_release(&tried);
	*dir_out = dir;
	r->default_data = 1;
	r->np = NDEFAULT_FILES;
	return 0;
}

static int run_fit(struct run *r, const struct options *o, const char *dir)
{
	mc_strbuf paths[MAX_DATA];
	size_t i;
	int rc = 0;

	for (i = 0; i < r->np; i++) {
		mc_strbuf init = MC_STRBUF_INIT;
		paths[i] = init;
		if (dir) {
			mc_strbuf_printf(&paths[i], "%s/%s", dir, default_files[i]);
			r->p[i].path = paths[i].buf;
		}
		name_project(&r->p[i]);
		if (!rc && (rc = load_project(&r->p[i])) == MC_ENOTFOUND)
			rc = MC_EENV; /* the data is absent: the environment, not the usage */
		if (!rc)
			rc = evaluate(&r->p[i], r->split, r->lambda);
	}
	if (!rc)
		rc = fit_pooled(r);
	if (!rc && o->write_defaults)
		rc = write_output(o->write_defaults, r, render_defaults);
	if (!rc && o->write_doc)
		rc = write_output(o->write_doc, r, render_doc);
	if (!rc) {
		if (o->format == MC_FORMAT_JSON)
			print_json(r);
		else
			print_text(r);
	}
	for (i = 0; i < r->np; i++) {
		mc_strbuf_release(&paths[i]);
		r->p[i].path = NULL;
	}
	return rc ? mc_cli_fail("risk", rc) : MC_EXIT_OK;
}

static int run_risk(int argc, char **argv)
{
	struct options o = { .split = DEFAULT_SPLIT, .lambda = MC_RISK_DEFAULT_LAMBDA };
	struct run *r;
	char *dir = NULL;
	size_t i;
	int rc;

	if ((rc = parse_options(&o, argc, argv)))
		return rc;
	r = mc_xcalloc(1, sizeof *r);
	r->split = o.split;
	r->lambda = o.lambda;
	rc = choose_data(r, &o, &dir);
	if (!rc)
		rc = run_fit(r, &o, dir);
	for (i = 0; i < r->np; i++) {
		mc_jit_csv_free(&r->p[i].data);
		free(r->p[i].x);
		free(r->p[i].name);
		free(r->p[i].file);
	}
	mc_strbuf_release(&r->source);
	free(r);
	free(dir);
	return rc;
}

const struct mc_command mc_cmd_risk = {
	"risk", "fit and measure the change risk model on defect data",
	"usage: maestro risk fit [--data FILE]... [--split FRACTION] [--lambda L]\n"
	"                        [--write-defaults FILE] [--write-doc FILE]\n"
	"                        [--format text|json]\n\n"
	"Fits the risk model (logistic regression on the 14 Kamei change features, see\n"
	"docs/RISK.md) on commit-level defect data and reports how well it predicts.\n\n"
	"For each data file (one project): commits are sorted by time, the model is\n"
	"fitted on the oldest part and tested on the newest, never on a random split.\n"
	"It prints the test AUC and Brier score of the full model beside the LApredict\n"
	"baseline (the same regression on lines added only) and beside always answering\n"
	"the training defect rate. Then it fits the default model on every commit of\n"
	"every file pooled, in the order given, and prints its coefficients.\n\n"
	"  --data FILE            a CSV with the columns date, bug and the 14 features\n"
	"                         (ns nd nf entrophy la ld lt fix ndev age nuc exp rexp\n"
	"                         sexp), found by header name; repeat for more projects.\n"
	"                         Default: openstack_k_feature.csv and qt_k_feature.csv\n"
	"                         in $MAESTRO_SHARED_DATA/jit,\n"
	"                         $MAESTRO_SOURCE_DIR/../shared/data/jit or\n"
	"                         ../shared/data/jit\n"
	"  --split FRACTION       share of each project's oldest commits to train on\n"
	"                         (default 0.8)\n"
	"  --lambda L             L2 penalty on the mean log-loss (default 0.0001)\n"
	"  --write-defaults FILE  write the pooled model as C source; the shipped one is\n"
	"                         made by `maestro risk fit --write-defaults\n"
	"                         src/model/risk_defaults.c` from the repository root\n"
	"  --write-doc FILE       write the model, data, figures and limitations as\n"
	"                         Markdown (docs/RISK.md)\n"
	"  --format text|json     output format (default text); JSON includes fit times\n\n"
	"Missing data exits 3; a malformed file exits 2 naming file:line:column.\n",
	run_risk,
};
