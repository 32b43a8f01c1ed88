/*
 * `maestro portfolio`: the work items maestro has reviewed, ranked by
 * expected value, with every value component and the cost in every budget
 * dimension visible (text table, CSV with a header row, or a JSON array), and
 * `maestro portfolio close ID` to take an item out of the portfolio.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "pipeline/portfolio.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

enum output { OUT_TEXT, OUT_JSON, OUT_CSV };

#define MAX_REPOS 256

struct options {
	const char *repo_path;          /* the first -C, "." when none */
	const char *repos[MAX_REPOS];   /* every -C: one listing across repositories */
	size_t nrepos;
	size_t top;          /* 0: all */
	int all;             /* closed items too */
	enum output format;
};

/* The columns of a listing: the union of the items' component and cost names, each
 * in the order first met (items from reviews all carry the same ones). */
struct columns {
	const char **components, **costs;
	size_t ncomponents, ncosts;
};

static void add_name(const char ***list, size_t *n, const char *name)
{
	size_t i;
	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i], name))
			return;
	(*list)[(*n)++] = name;
}

static void collect_columns(struct columns *c, const mc_portfolio_item *items, size_t n)
{
	size_t i, j, ncomp = 0, ncost = 0;
	for (i = 0; i < n; i++) {
		ncomp += items[i].ncomponents;
		ncost += items[i].ncosts;
	}
	c->components = mc_xcalloc(ncomp + 1, sizeof *c->components);
	c->costs = mc_xcalloc(ncost + 1, sizeof *c->costs);
	c->ncomponents = c->ncosts = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < items[i].ncomponents; j++)
			add_name(&c->components, &c->ncomponents, items[i].components[j].name);
		for (j = 0; j < items[i].ncosts; j++)
			add_name(&c->costs, &c->ncosts, items[i].costs[j].name);
	}
}

static double component(const mc_portfolio_item *it, const char *name)
{
	size_t i;
	for (i = 0; i < it->ncomponents; i++)
		if (!strcmp(it->components[i].name, name))
			return it->components[i].amount;
	return 0;
}

/* ---- text ------------------------------------------------------------------------------- */

/* Wide enough for the header (less prefix, which is printed before it) and for
 * amounts up to a million with cents. */
static int column_width(const char *name, int prefix)
{
	int w = (int)strlen(name);
	return w + prefix < 10 ? 10 - prefix : w;
}

static void print_text(const mc_portfolio_item *items, size_t n, const struct columns *c, int all)
{
	size_t i, j;

	if (!n) {
		printf("no %swork items (maestro review adds the change it reviews)\n",
		       all ? "" : "open ");
		return;
	}
	/* Components are dollars; budget columns are in their dimension's unit, and are
	 * headed budget:NAME so that the ci budget (minutes) is not read as the ci
	 * component (dollars). */
	printf("%4s  %-24s %10s %10s", "RANK", "ID", "EV_USD", "VALUE_USD");
	for (j = 0; j < c->ncomponents; j++)
		printf(" %*s", column_width(c->components[j], 0), c->components[j]);
	for (j = 0; j < c->ncosts; j++)
		printf(" %*s%s", column_width(c->costs[j], 7) + 7 - (int)strlen(c->costs[j]),
		       "budget:", c->costs[j]);
	printf(" %6s %4s %-6s  %s\n", "RISK", "PRIO", "STATE", "TITLE");
	for (i = 0; i < n; i++) {
		const mc_portfolio_item *it = &items[i];
		printf("%4zu  %-24s %10.2f %10.2f", i + 1, it->id, it->expected_value_usd,
		       it->value_usd);
		for (j = 0; j < c->ncomponents; j++)
			printf(" %*.2f", column_width(c->components[j], 0),
			       component(it, c->components[j]));
		for (j = 0; j < c->ncosts; j++)
			printf(" %*.2f", column_width(c->costs[j], 7) + 7,
			       mc_portfolio_cost(it, c->costs[j]));
		printf(" %6.3f %4d %-6s  %s\n", it->risk, it->priority, it->open ? "open" : "closed",
		       it->title);
	}
	printf("\nEV_USD = value less the cost components; components in USD; budget:usd is LLM "
	       "dollars, budget:ci CI minutes\n");
}

/* ---- CSV (RFC 4180: fields with a comma, quote or line break are quoted) ----------------- */

static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void print_csv(const mc_portfolio_item *items, size_t n, const struct columns *c)
{
	size_t i, j;

	fputs("rank,id,title,expected_value_usd,value_usd", stdout);
	for (j = 0; j < c->ncomponents; j++) {
		fputs(",component.", stdout);
		csv_field(c->components[j]);
	}
	for (j = 0; j < c->ncosts; j++) {
		fputs(",cost.", stdout);
		csv_field(c->costs[j]);
	}
	fputs(",risk,priority,state,repository,head,base,updated_at\r\n", stdout);
	for (i = 0; i < n; i++) {
		const mc_portfolio_item *it = &items[i];
		printf("%zu,", i + 1);
		csv_field(it->id);
		putchar(',');
		csv_field(it->title);
		printf(",%.4f,%.4f", it->expected_value_usd, it->value_usd);
		for (j = 0; j < c->ncomponents; j++)
			printf(",%.4f", component(it, c->components[j]));
		for (j = 0; j < c->ncosts; j++)
			printf(",%.4f", mc_portfolio_cost(it, c->costs[j]));
		printf(",%.6f,%d,%s,", it->risk, it->priority, it->open ? "open" : "closed");
		csv_field(it->repository);
		printf(",%s,%s,%lld\r\n", it->head, it->base, (long long)it->updated_at);
	}
}

/* ---- JSON ------------------------------------------------------------------------------- */

static struct json_object *item_json(const mc_portfolio_item *it, size_t rank)
{
	struct json_object *o = json_object_new_object(), *comps = json_object_new_array();
	struct json_object *costs = json_object_new_object();
	size_t j;

	mc_json_set_int(o, "rank", (long long)rank);
	mc_json_set_string(o, "id", it->id);
	mc_json_set_string(o, "title", it->title);
	mc_json_set_string(o, "repository", it->repository);
	mc_json_set_string(o, "head", it->head);
	mc_json_set_string(o, "base", it->base);
	mc_json_set_double(o, "expected_value_usd", it->expected_value_usd);
	mc_json_set_double(o, "value_usd", it->value_usd);
	for (j = 0; j < it->ncomponents; j++) {
		struct json_object *c = json_object_new_object();
		mc_json_set_string(c, "name", it->components[j].name);
		mc_json_set_string(c, "kind", it->components[j].kind);
		mc_json_set_double(c, "usd", it->components[j].amount);
		json_object_array_add(comps, c);
	}
	json_object_object_add(o, "components", comps);
	for (j = 0; j < it->ncosts; j++)
		mc_json_set_double(costs, it->costs[j].name, it->costs[j].amount);
	json_object_object_add(o, "costs", costs);
	mc_json_set_double(o, "risk", it->risk);
	mc_json_set_int(o, "priority", it->priority);
	mc_json_set_double(o, "weight", mc_portfolio_weight(it->priority));
	mc_json_set_string(o, "state", it->open ? "open" : "closed");
	mc_json_set_int(o, "updated_at", (long long)it->updated_at);
	return o;
}

static void print_json(const mc_portfolio_item *items, size_t n)
{
	struct json_object *list = json_object_new_array();
	size_t i;
	for (i = 0; i < n; i++)
		json_object_array_add(list, item_json(&items[i], i + 1));
	printf("%s\n", mc_json_dump(list, 1));
	json_object_put(list);
}

/* ---- commands --------------------------------------------------------------------------- */

/* The listing's order (maestro's store ranks the same way): expected value, highest
 * first, then id. */
static int by_rank(const void *a, const void *b)
{
	const mc_portfolio_item *x = a, *y = b;

	if (x->expected_value_usd != y->expected_value_usd)
		return x->expected_value_usd > y->expected_value_usd ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Append the items of the portfolio in dir (none when nothing was reviewed there). */
static int gather(mc_portfolio_item **items, size_t *n, const struct options *o, const char *dir)
{
	mc_portfolio_item *more = NULL;
	mc_store *store = NULL;
	size_t m = 0;
	int rc = mc_portfolio_open_store(&store, dir, 0);

	/* Nothing reviewed yet is an empty portfolio, not an error. */
	if (rc == MC_ENOTFOUND) {
		mc_error_clear();
		return 0;
	}
	if (rc == 0)
		rc = mc_portfolio_list(&more, &m, store, o->all, o->top);
	mc_store_close(store);
	if (rc)
		return mc_error_wrap(rc, "%s", dir);
	*items = mc_xrealloc(*items, (*n + m + 1) * sizeof **items);
	memcpy(*items + *n, more, m * sizeof *more);
	*n += m;
	free(more);
	return 0;
}

static int list_items(const struct options *o)
{
	mc_portfolio_item *items = NULL;
	struct columns cols = { 0 };
	size_t n = 0;
	int rc = 0;

	if (o->nrepos <= 1)
		rc = gather(&items, &n, o, o->repo_path);
	for (size_t i = 0; o->nrepos > 1 && !rc && i < o->nrepos; i++)
		rc = gather(&items, &n, o, o->repos[i]);
	if (rc) {
		mc_portfolio_items_free(items, n);
		return mc_cli_fail("portfolio", rc);
	}
	if (o->nrepos > 1) {
		qsort(items, n, sizeof *items, by_rank);
		for (; o->top && n > o->top; n--)
			mc_portfolio_item_free(&items[n - 1]);
	}
	collect_columns(&cols, items, n);
	if (o->format == OUT_JSON)
		print_json(items, n);
	else if (o->format == OUT_CSV)
		print_csv(items, n, &cols);
	else
		print_text(items, n, &cols, o->all);
	free(cols.components);
	free(cols.costs);
	mc_portfolio_items_free(items, n);
	return MC_EXIT_OK;
}

static int close_item(const struct options *o, const char *id)
{
	mc_store *store = NULL;
	int rc = mc_portfolio_open_store(&store, o->repo_path, 0);

	if (rc == MC_ENOTFOUND)
		rc = mc_error_set(MC_ENOTFOUND, "no work item '%s' in the portfolio", id);
	else if (rc == 0)
		rc = mc_portfolio_close(store, id, (int64_t)time(NULL));
	mc_store_close(store);
	if (rc)
		return mc_cli_fail("portfolio", rc);
	printf("closed %s\n", id);
	return MC_EXIT_OK;
}

static int parse_top(const char *arg, size_t *out)
{
	char *end;
	unsigned long long v;
	if (!*arg || *arg < '0' || *arg > '9')
		return -1;
	v = strtoull(arg, &end, 10);
	if (*end || v == 0 || v > 1000000000ULL)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_output(const char *arg, enum output *out)
{
	if (!strcmp(arg, "text"))
		*out = OUT_TEXT;
	else if (!strcmp(arg, "json"))
		*out = OUT_JSON;
	else if (!strcmp(arg, "csv"))
		*out = OUT_CSV;
	else
		return -1;
	return 0;
}

static int run_portfolio(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "top", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { 0 };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			if (o.nrepos == MAX_REPOS)
				return mc_cli_usage("portfolio", "-C: at most %d repositories", MAX_REPOS);
			o.repos[o.nrepos++] = optarg;
			o.repo_path = o.repos[0];
			break;
		case 'a': o.all = 1; break;
		case 't':
			if (parse_top(optarg, &o.top))
				return mc_cli_usage("portfolio", "--top must be a whole number >= 1, not '%s'",
						    optarg);
			break;
		case 'F':
			if (parse_output(optarg, &o.format))
				return mc_cli_usage("portfolio", "--format must be text, json or csv, not '%s'",
						    optarg);
			break;
		default: return mc_cli_usage("portfolio", "unknown option");
		}
	}
	if (!o.repo_path)
		o.repo_path = ".";
	if (optind == argc)
		return list_items(&o);
	if (o.nrepos > 1)
		return mc_cli_usage("portfolio", "close takes one repository (-C DIR)");
	if (!strcmp(argv[optind], "close")) {
		if (argc - optind != 2)
			return mc_cli_usage("portfolio", "close wants exactly one work item id");
		return close_item(&o, argv[optind + 1]);
	}
	return mc_cli_usage("portfolio", "unknown subcommand '%s' (only 'close ID')", argv[optind]);
}

const struct mc_command mc_cmd_portfolio = {
	"portfolio", "list the reviewed work items ranked by expected value",
	"usage: maestro portfolio [--top N] [--all] [--format text|json|csv] [-C DIR]\n"
	"       maestro portfolio close ID [-C DIR]\n\n"
	"Lists the portfolio: every change maestro review has reviewed in this\n"
	"repository, as a work item ranked by expected value (highest first, ties by\n"
	"id), with each value component (USD), the cost in each budget dimension\n"
	"(usd: LLM dollars, ci: CI minutes), the risk, the priority and the head\n"
	"commit's summary. Each review refreshes its item; a change is known by the\n"
	"branch its head side names (main..feature is 'feature'), else by its head\n"
	"commit. The portfolio lives beside the history cache, in\n"
	"<common git dir>/maestro/cache.db; review --no-cache leaves it alone.\n\n"
	"  --top N          only the N highest-ranked items\n"
	"  --all            closed items too\n"
	"  --format FORMAT  text (a table), csv (with a header row) or json (an array)\n"
	"  -C DIR           the repository (default: the current directory); repeat to\n"
	"                   list several repositories as one portfolio, ranked together\n\n"
	"  close ID         close an item: it leaves the listing and plans (a later\n"
	"                   review of it opens it again)\n",
	run_portfolio,
};
