/*
 * Reader of the just-in-time defect prediction CSVs (Kamei change features
 * with an SZZ label, the layout of ../shared/data/jit/<project>_k_feature.csv):
 *
 *   ,_id,date,bug,__,ns,nd,nf,entrophy,la,ld,lt,fix,ndev,age,nuc,exp,rexp,sexp
 *
 * Columns are found by their header name, so their order does not matter and
 * columns nobody asked for (the index, `_id`, `__`) are skipped. `date` (unix
 * seconds, an integer) and `bug` (0 or 1) are required; which other columns
 * are features, and in which slot they land, the caller says through a
 * schema, so this adapter does not depend on the model's feature list.
 *
 * The file is untrusted: it is streamed line by line under a byte limit and a
 * line-length limit (MC_JIT_CSV_MAX_LINE bytes, not counting the LF or CR LF
 * that ends it: both endings read alike), fields are plain (no quoting), and a
 * bad row stops the read with "path:line:column: ..." naming the column. The
 * SHA-256 of the bytes read is returned so a fitted model can name the exact
 * data it saw.
 */
#ifndef MC_ADAPTERS_DATASET_JIT_CSV_H
#define MC_ADAPTERS_DATASET_JIT_CSV_H
#include <stddef.h>

#define MC_JIT_CSV_MAX_BYTES ((size_t)256 << 20)
#define MC_JIT_CSV_MAX_LINE 4096

typedef struct mc_jit_csv_schema {
	size_t nfeatures;
	/* Slot (0 .. nfeatures - 1) of a header column, or -1 when it is not a feature. */
	int (*feature_slot)(const char *column);
	/* Name of a slot, for the error about a missing column (may be NULL). */
	const char *(*slot_name)(int slot);
} mc_jit_csv_schema;

typedef struct mc_jit_csv {
	double *x;          /* rows x nfeatures, row-major, finite */
	unsigned char *bug; /* 1 = defect-inducing */
	long long *date;    /* commit time, unix seconds */
	size_t rows;
	size_t nfeatures;
	char sha256[65];    /* lowercase hex digest of the file */
} mc_jit_csv;

/*
 * Read the whole file. max_bytes 0 means MC_JIT_CSV_MAX_BYTES. Errors:
 * MC_ENOTFOUND (no file), MC_EIO, MC_ELIMIT (file or a line too long),
 * MC_EINVAL (bad header or row). On error *out is empty and needs no free.
 */
int mc_jit_csv_read(mc_jit_csv *out, const char *path, const mc_jit_csv_schema *schema,
		    size_t max_bytes);
void mc_jit_csv_free(mc_jit_csv *data);

#endif
