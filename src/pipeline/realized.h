/*
 * Realized value from a metrics system: `maestro value import FILE.jsonl` reads
 * one JSON object a line (schemas/realized-value.schema.json: an item id and
 * either the dollars it delivered or those dollars by component) and records
 * each as that item's latest realized value (adapters/store/portfolio.h), for
 * `maestro score calibrate`. All or nothing: every line is checked (JSON, the
 * schema, finite numbers, exactly one of usd and components, the item exists)
 * before anything is stored, and the lines are stored in one transaction.
 */
#ifndef MC_PIPELINE_REALIZED_H
#define MC_PIPELINE_REALIZED_H
#include <stddef.h>
#include <stdint.h>

#include "adapters/store/portfolio.h"

#define MC_REALIZED_MAX_BYTES (16 * 1024 * 1024)
#define MC_REALIZED_MAX_LINE (64 * 1024)
#define MC_REALIZED_MAX_RECORDS 100000

typedef struct mc_realized_record {
	char *id;
	double usd;      /* usd, or the sum of the components */
	char *note;      /* the line's note, else the components in words, else "" */
	size_t line;     /* where it was, for errors */
} mc_realized_record;

/*
 * Parse text (origin names it in errors: "metrics.jsonl:3: /usd: expected number,
 * got string"). Blank lines are skipped. MC_EINVAL for a bad line, MC_ELIMIT for
 * too many bytes, a line too long or too many records. Free with mc_realized_free.
 */
int mc_realized_parse(mc_realized_record **out, size_t *n, const char *text, size_t len,
		      const char *origin);
void mc_realized_free(mc_realized_record *records, size_t n);

/* Record them all in one transaction; MC_ENOTFOUND names the first unknown item and
 * its line (nothing is recorded). */
int mc_realized_store(mc_store *store, const mc_realized_record *records, size_t n,
		      const char *origin, int64_t now);

#endif
