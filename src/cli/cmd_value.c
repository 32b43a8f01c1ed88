/*
 * `maestro value record ID --usd N`: record what a work item of the portfolio
 * actually delivered, in dollars, so that `maestro score calibrate` can set
 * predicted value beside realized value. Records accumulate; the latest counts.
 * `maestro value import FILE.jsonl` records many at once from a metrics export
 * (pipeline/realized.h).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "pipeline/portfolio.h"
#include "pipeline/realized.h"
#include "util/fs.h"
#include "util/error.h"
#include "util/json.h"

struct record {
	const char *repo_path, *id, *note;
	double usd;
	int usd_given;
	enum mc_format format;
};

/* A finite number of dollars, negative allowed (a change that hurt). */
static int parse_usd(const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static void print_recorded(const struct record *r, const mc_portfolio_item *item, int64_t now)
{
	if (r->format == MC_FORMAT_JSON) {
		struct json_object *o = json_object_new_object();
		mc_json_set_string(o, "id", r->id);
		mc_json_set_double(o, "realized_usd", r->usd);
		mc_json_set_double(o, "predicted_value_usd", item->value_usd);
		mc_json_set_string(o, "note", r->note ? r->note : "");
		mc_json_set_int(o, "recorded_at", (long long)now);
		printf("%s\n", mc_json_dump(o, 1));
		json_object_put(o);
		return;
	}
	printf("recorded %s: realized %.2f USD (predicted %.2f USD)\n", r->id, r->usd,
	       item->value_usd);
}

static int record_value(const struct record *r)
{
	mc_portfolio_item item = { 0 };
	mc_store *store = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc = mc_portfolio_open_store(&store, r->repo_path, 0);

	/* No store yet means nothing was reviewed: the item is unknown. */
	if (rc == MC_ENOTFOUND)
		rc = mc_error_set(MC_ENOTFOUND, "no work item '%s' in the portfolio", r->id);
	else if (rc == 0 && (rc = mc_portfolio_get(&item, store, r->id)) == 0)
		rc = mc_portfolio_record_realized(store, r->id, r->usd, r->note, now);
	mc_store_close(store);
	if (rc == 0)
		print_recorded(r, &item, now);
	mc_portfolio_item_free(&item);
	return rc ? mc_cli_fail("value", rc) : MC_EXIT_OK;
}

static int import_values(const struct record *r, const char *path)
{
	mc_realized_record *records = NULL;
	mc_store *store = NULL;
	char *text = NULL;
	size_t len = 0, n = 0, i;
	int64_t now = (int64_t)time(NULL);
	int rc = mc_fs_read_file(&text, &len, path, MC_REALIZED_MAX_BYTES);

	if (rc == 0)
		rc = mc_realized_parse(&records, &n, text, len, path);
	if (rc == 0) {
		rc = mc_portfolio_open_store(&store, r->repo_path, 0);
		if (rc == MC_ENOTFOUND)
			rc = mc_error_set(MC_ENOTFOUND, "%s:%zu: no work item '%s' in the portfolio "
					  "(nothing reviewed yet)", path, records[0].line, records[0].id);
	}
	if (rc == 0)
		rc = mc_realized_store(store, records, n, path, now);
	mc_store_close(store);
	if (rc == 0 && r->format == MC_FORMAT_JSON) {
		struct json_object *o = json_object_new_object(), *list = json_object_new_array();
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_new_object();
			mc_json_set_string(e, "id", records[i].id);
			mc_json_set_double(e, "realized_usd", records[i].usd);
			mc_json_set_string(e, "note", records[i].note ? records[i].note : "");
			json_object_array_add(list, e);
		}
		mc_json_set_int(o, "imported", (long long)n);
		mc_json_set_int(o, "recorded_at", (long long)now);
		json_object_object_add(o, "records", list);
		printf("%s\n", mc_json_dump(o, 1));
		json_object_put(o);
	} else if (rc == 0) {
		printf("imported %zu realized value(s) from %s\n", n, path);
	}
	mc_realized_free(records, n);
	free(text);
	return rc ? mc_cli_fail("value", rc) : MC_EXIT_OK;
}

static int run_value(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "usd", required_argument, NULL, 'u' },
		{ "note", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct record r = { 0 };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': r.repo_path = optarg; break;
		case 'n': r.note = optarg; break;
		case 'u':
			if (parse_usd(optarg, &r.usd))
				return mc_cli_usage("value", "--usd must be a finite number of dollars, "
						    "not '%s'", optarg);
			r.usd_given = 1;
			break;
		case 'F':
			if (mc_cli_parse_format(optarg, &r.format))
				return mc_cli_usage("value", "%s", mc_error_message());
			break;
		default: return mc_cli_usage("value", "unknown option");
		}
	}
	if (optind < argc && !strcmp(argv[optind], "import")) {
		if (argc - optind != 2)
			return mc_cli_usage("value", "import wants exactly one FILE.jsonl");
		if (r.usd_given || r.note)
			return mc_cli_usage("value", "import takes the amounts and notes from the file");
		return import_values(&r, argv[optind + 1]);
	}
	if (optind == argc || strcmp(argv[optind], "record"))
		return mc_cli_usage("value", "expected: record ID --usd N, or import FILE.jsonl");
	if (argc - optind != 2)
		return mc_cli_usage("value", "record wants exactly one work item id");
	if (!r.usd_given)
		return mc_cli_usage("value", "record needs --usd N (the dollars the item delivered)");
	r.id = argv[optind + 1];
	return record_value(&r);
}

const struct mc_command mc_cmd_value = {
	"value", "record the value a work item actually delivered",
	"usage: maestro value record ID --usd N [--note TEXT] [--format text|json] [-C DIR]\n"
	"       maestro value import FILE.jsonl [--format text|json] [-C DIR]\n\n"
	"Records what a work item of the portfolio (see maestro portfolio) actually\n"
	"delivered, in US dollars, beside the value its review predicted. N may be\n"
	"negative (a change that hurt) but must be a finite number. An item may be\n"
	"recorded again; the latest record counts. maestro score calibrate compares\n"
	"the recorded values with the predicted ones.\n\n"
	"import reads realized values from a metrics export, one JSON object a line\n"
	"(schemas/realized-value.schema.json):\n"
	"  {\"id\": \"feature-x\", \"usd\": 1200, \"note\": \"Q3 revenue dashboard\"}\n"
	"  {\"id\": \"fix-y\", \"components\": {\"defects_avoided\": 800, \"latency_saved\": 150}}\n"
	"usd is the total; components are summed (and listed in the note when the line\n"
	"has none); give one of the two. Every line is checked first (JSON, fields,\n"
	"finite numbers, the item is in the portfolio) and the file is recorded in one\n"
	"transaction: an error names FILE:LINE and nothing is recorded. At most 16 MiB,\n"
	"64 KiB a line, 100,000 records; blank lines are skipped.\n\n"
	"  --usd N          the realized value in dollars\n"
	"  --note TEXT      where the figure comes from (kept with the record)\n"
	"  --format FORMAT  text or json\n"
	"  -C DIR           the repository (default: the current directory)\n",
	run_value,
};
