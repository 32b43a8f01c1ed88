/* Names and descriptions of the Kamei change features (features.h). */
#include "model/features.h"

#include <string.h>

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
