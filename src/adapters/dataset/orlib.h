/*
 * Reader of OR-Library's multidimensional knapsack files (mknap1.txt,
 * mknapcb*.txt; ../shared/data/mknap/file-format.txt): whitespace-separated
 * numbers that wrap freely across lines,
 *
 *   K
 *   then K times:  n m opt   p[1..n]   a[1][1..n] ... a[m][1..n]   b[1..m]
 *
 * where opt is the optimum or 0 when unknown. The text is untrusted: numbers
 * must be plain decimals (no "nan", "inf", hex), values and costs >= 0,
 * sizes under the limits below, and every error says "<what>:<line>: ..."
 * with the line of the offending number. Sizes are checked against the
 * numbers that can still follow before anything is allocated, so a short
 * hostile file cannot ask for a huge allocation.
 */
#ifndef MC_ADAPTERS_DATASET_ORLIB_H
#define MC_ADAPTERS_DATASET_ORLIB_H
#include <stddef.h>

#define MC_ORLIB_MAX_BYTES ((size_t)64 << 20)
#define MC_ORLIB_MAX_INSTANCES 10000
#define MC_ORLIB_MAX_ITEMS 1000000
#define MC_ORLIB_MAX_DIMS 64

typedef struct mc_orlib_instance {
	size_t n, m;
	double opt;     /* as the header says: 0 when unknown */
	double *p;      /* n values */
	double *a;      /* m rows of n costs, row-major: a[i * n + j] */
	double *b;      /* m budgets */
	size_t line;    /* line of the instance's header, for messages */
} mc_orlib_instance;

typedef struct mc_orlib_file {
	mc_orlib_instance *inst;
	size_t count;
} mc_orlib_file;

/* Parse len bytes of text (need not be NUL-terminated). what names it in errors.
 * MC_EINVAL or MC_ELIMIT with a located message; on error *out is empty. */
int mc_orlib_parse(mc_orlib_file *out, const char *text, size_t len, const char *what);
/* Read and parse a file of at most MC_ORLIB_MAX_BYTES (MC_ENOTFOUND, MC_EIO, MC_ELIMIT too). */
int mc_orlib_read(mc_orlib_file *out, const char *path);
void mc_orlib_free(mc_orlib_file *f);

#endif
