/*
 * The change features of Kamei et al. (TSE 2013) that describe one change
 * (a commit or a PR's range): size, diffusion, history and experience. The
 * same fourteen features are computed from a repository by the facts stage
 * (src/pipeline/facts.c) and read from ../shared/data/jit/ to fit the risk
 * model, so the names and their order here are the contract between the two.
 */
#ifndef MC_MODEL_FEATURES_H
#define MC_MODEL_FEATURES_H
#include <stddef.h>

enum mc_feature {
	MC_F_NS = 0,   /* subsystems touched (top-level directories) */
	MC_F_ND,       /* directories touched */
	MC_F_NF,       /* files touched */
	MC_F_ENTROPY,  /* spread of changed lines over files: -sum p log2 p */
	MC_F_LA,       /* lines added */
	MC_F_LD,       /* lines deleted */
	MC_F_LT,       /* lines in the touched files before the change */
	MC_F_FIX,      /* 1 when the change fixes a defect */
	MC_F_NDEV,     /* distinct developers who changed the touched files before */
	MC_F_AGE,      /* mean days since the touched files last changed */
	MC_F_NUC,      /* prior changes to the touched files (unique changes) */
	MC_F_EXP,      /* author's prior changes */
	MC_F_REXP,     /* author's prior changes weighted by recency: sum 1/(years ago + 1) */
	MC_F_SEXP,     /* author's prior changes in the subsystems touched */
	MC_FEATURE_COUNT
};

typedef struct mc_change_features {
	double v[MC_FEATURE_COUNT];
} mc_change_features;

/* One changed file, as the size and diffusion features need it. */
typedef struct mc_feature_file {
	const char *path;        /* repository-relative, '/'-separated */
	unsigned long added, deleted;
	unsigned long lt;        /* lines in the file before the change */
} mc_feature_file;

/*
 * The size and diffusion features of a change from its files: ns, nd, nf,
 * entropy, la, ld and lt (the sum over files). The history, experience and fix
 * features are left as they are; the facts stage fills them from history.
 */
void mc_features_measure_files(mc_change_features *out, const mc_feature_file *files, size_t n);

/* Column name in the jit CSV and in JSON output ("ns", "entrophy" is spelled "entropy" here). */
const char *mc_feature_name(enum mc_feature f);
/* Human description for the Decision Card. */
const char *mc_feature_description(enum mc_feature f);
/* Feature index by name (accepts the dataset's "entrophy" spelling), or -1. */
int mc_feature_by_name(const char *name);

#endif
