/* The Kamei change features (features.h): names, descriptions, and the size and
 * diffusion features measured from a change's files. */
#include "model/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/path.h"

static const struct {
	const char *name;
	const char *description;
} feature_info[MC_FEATURE_COUNT] = {
	[MC_F_NS] = { "ns", "subsystems touched" },
	[MC_F_ND] = { "nd", "directories touched" },
	[MC_F_NF] = { "nf", "files touched" },
	[MC_F_ENTROPY] = { "entropy", "spread of the change over files" },
	[MC_F_LA] = { "la", "lines added" },
	[MC_F_LD] = { "ld", "lines deleted" },
	[MC_F_LT] = { "lt", "lines in touched files before the change" },
	[MC_F_FIX] = { "fix", "the change fixes a defect" },
	[MC_F_NDEV] = { "ndev", "distinct past developers of the touched files" },
	[MC_F_AGE] = { "age", "mean days since the touched files last changed" },
	[MC_F_NUC] = { "nuc", "prior changes to the touched files" },
	[MC_F_EXP] = { "exp", "author's prior changes" },
	[MC_F_REXP] = { "rexp", "author's recent prior changes" },
	[MC_F_SEXP] = { "sexp", "author's prior changes in these subsystems" },
};

const char *mc_feature_name(enum mc_feature f)
{
	return (unsigned)f < MC_FEATURE_COUNT ? feature_info[f].name : "?";
}

const char *mc_feature_description(enum mc_feature f)
{
	return (unsigned)f < MC_FEATURE_COUNT ? feature_info[f].description : "?";
}

int mc_feature_by_name(const char *name)
{
	int i;
	if (!strcmp(name, "entrophy"))
		return MC_F_ENTROPY;
	for (i = 0; i < MC_FEATURE_COUNT; i++)
		if (!strcmp(name, feature_info[i].name))
			return i;
	return -1;
}

/* A prefix of a path: its directory or its subsystem. */
struct prefix {
	const char *s;
	size_t len;
};

static int by_prefix(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Distinct prefixes: sorting makes equal ones adjacent (n can be 100,000 files). */
static size_t count_distinct(struct prefix *p, size_t n)
{
	size_t i, distinct = n ? 1 : 0;
	qsort(p, n, sizeof *p, by_prefix);
	for (i = 1; i < n; i++)
		distinct += by_prefix(&p[i - 1], &p[i]) != 0;
	return distinct;
}

/* Subsystems (len_of = mc_path_subsystem_len) or directories (mc_path_dir_len). A root
 * file's prefix is the empty string, which counts as one more distinct place. */
static size_t distinct_places(const mc_feature_file *files, size_t n, size_t (*len_of)(const char *))
{
	struct prefix *p = mc_xmalloc(sizeof *p * (n ? n : 1));
	size_t i, distinct;
	for (i = 0; i < n; i++) {
		p[i].s = files[i].path;
		p[i].len = len_of(files[i].path);
	}
	distinct = count_distinct(p, n);
	free(p);
	return distinct;
}

/* -sum p log2 p over the files' shares of the changed lines; 0 when nothing changed. */
static double change_entropy(const mc_feature_file *files, size_t n, double total)
{
	double h = 0;
	size_t i;
	if (total <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		double share = (double)(files[i].added + files[i].deleted) / total;
		if (share > 0)
			h -= share * log2(share);
	}
	return h;
}

void mc_features_measure_files(mc_change_features *out, const mc_feature_file *files, size_t n)
{
	double la = 0, ld = 0, lt = 0;
	size_t i;
	for (i = 0; i < n; i++) {
		la += (double)files[i].added;
		ld += (double)files[i].deleted;
		lt += (double)files[i].lt;
	}
	out->v[MC_F_NS] = (double)distinct_places(files, n, mc_path_subsystem_len);
	out->v[MC_F_ND] = (double)distinct_places(files, n, mc_path_dir_len);
	out->v[MC_F_NF] = (double)n;
	out->v[MC_F_ENTROPY] = change_entropy(files, n, la + ld);
	out->v[MC_F_LA] = la;
	out->v[MC_F_LD] = ld;
	out->v[MC_F_LT] = lt;
}
