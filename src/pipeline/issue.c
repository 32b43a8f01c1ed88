/* A forge issue's work item refreshed or closed; see issue.h. */
#include "pipeline/issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/git/repo.h"
#include "adapters/store/portfolio.h"
#include "model/issue_item.h"
#include "pipeline/config_at.h"
#include "pipeline/portfolio.h"
#include "pipeline/pr.h"
#include "pipeline/repo_store.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/log.h"
#include "util/strbuf.h"

/* Where the repository's configuration is read for an issue, in this order: the default
 * branch the forge named (fetched with a pull request), else main or master if a
 * review fetched them as a base. */
static const char *const config_refs[] = { MC_PR_DEFAULT_BRANCH_REF, "refs/maestro/base/main",
					    "refs/maestro/base/master" };

/* The repository's configuration for an issue: at the first fetched base ref, else
 * the defaults (rev ""). */
static int issue_config(mc_config *cfg, mc_issue_result *out, mc_repo *repo)
{
	mc_config_origin origin = { 0 };
	int rc;

	for (size_t i = 0; i < sizeof config_refs / sizeof config_refs[0]; i++) {
		if (mc_repo_resolve(out->config_rev, repo, config_refs[i]) != 0) {
			mc_error_clear();
			continue;
		}
		if ((rc = mc_config_at(cfg, &origin, repo, out->config_rev)) != 0)
			return rc;
		out->config_source = origin.source;
		return 0;
	}
	out->config_rev[0] = '\0';
	mc_config_defaults(cfg);
	out->config_source = mc_xstrdup("defaults");
	return 0;
}

/* The score's components as the portfolio keeps them (names as on the card). */
static void components_of(mc_portfolio_amount comps[MC_VALUE_COUNT + MC_COST_COUNT],
			  const mc_score *sc)
{
	size_t k = 0;
	for (int i = 0; i < MC_VALUE_COUNT; i++)
		comps[k++] = (mc_portfolio_amount){ (char *)sc->value[i].name, (char *)"value",
						    sc->value[i].usd };
	for (int i = 0; i < MC_COST_COUNT; i++)
		comps[k++] = (mc_portfolio_amount){ (char *)sc->cost[i].name, (char *)"cost",
						    sc->cost[i].usd };
}

static int store_item(mc_issue_result *out, const mc_issue_options *opt, mc_repo *repo,
		      const mc_forge_issue *issue, const mc_config *cfg)
{
	mc_signals signals = { 0 };
	mc_score sc;
	mc_portfolio_amount comps[MC_VALUE_COUNT + MC_COST_COUNT], costs[2];
	mc_portfolio_item item = { 0 };
	mc_store *store = NULL;
	mc_strbuf source = MC_STRBUF_INIT;
	int rc;

	mc_strbuf_printf(&source, "issue %s", out->item_id);
	mc_issue_signals(&signals, (const char *const *)issue->labels, issue->nlabels, issue->body,
			 source.buf);
	if (issue->body_cut)
		mc_signals_warn(&signals, "the body of %s is longer than %d bytes: trailers after "
				"that were not read", source.buf, MC_FORGE_ISSUE_BODY_MAX);
	for (size_t i = 0; i < signals.warnings.n; i++)
		mc_log(MC_LOG_WARN, "issue.signal", "item", out->item_id, "warning",
		       signals.warnings.items[i], NULL);
	mc_issue_score(&sc, cfg, &signals);
	components_of(comps, &sc);
	costs[0] = (mc_portfolio_amount){ (char *)MC_PORTFOLIO_DIM_CI, NULL, sc.ci_minutes };
	costs[1] = (mc_portfolio_amount){ (char *)MC_PORTFOLIO_DIM_USD, NULL, sc.llm_usd };
	item.id = out->item_id;
	item.title = issue->title ? issue->title : "";
	item.repository = (char *)opt->repo;
	snprintf(item.head, sizeof item.head, "%s", out->config_rev);
	snprintf(item.base, sizeof item.base, "%s", out->config_rev);
	item.components = comps;
	item.ncomponents = MC_VALUE_COUNT + MC_COST_COUNT;
	item.costs = costs;
	item.ncosts = 2;
	item.value_usd = sc.value_usd;
	item.expected_value_usd = sc.expected_value_usd;
	item.risk = sc.risk;
	item.open = 1;
	item.updated_at = (int64_t)(opt->now ? opt->now : time(NULL));
	out->value_usd = sc.value_usd;
	out->expected_value_usd = sc.expected_value_usd;
	out->llm_usd = sc.llm_usd;
	out->ci_minutes = sc.ci_minutes;
	if ((rc = mc_repo_store_open(&store, NULL, repo)) == 0)
		rc = mc_portfolio_upsert(store, &item);
	mc_store_close(store);
	mc_score_free(&sc);
	mc_signals_free(&signals);
	mc_strbuf_release(&source);
	return rc;
}

/* A closed issue closes its item; one never stored needs nothing. */
static int close_item(mc_issue_result *out, const mc_issue_options *opt)
{
	mc_store *store = NULL;
	int rc;

	out->closed = 1;
	rc = access(out->mirror, F_OK) == 0 ? mc_portfolio_open_store(&store, out->mirror, 0)
					    : MC_ENOTFOUND;
	if (rc == 0)
		rc = mc_portfolio_close(store, out->item_id,
					(int64_t)(opt->now ? opt->now : time(NULL)));
	if (rc == MC_ENOTFOUND) {
		mc_error_clear();
		rc = 0;
	}
	mc_store_close(store);
	return rc;
}

int mc_issue_refresh_from(mc_issue_result *out, const mc_issue_options *opt,
			  const mc_forge_issue *issue)
{
	mc_repo *repo = NULL;
	mc_config cfg;
	int rc;

	memset(out, 0, sizeof *out);
	if (!opt->mirror_dir)
		return mc_error_set(MC_EINVAL, "no directory for repository mirrors");
	if ((rc = mc_pr_mirror_path(&out->mirror, opt->mirror_dir, opt->repo)) != 0)
		return rc;
	out->item_id = mc_issue_item_id(opt->repo, issue->number);
	if (strcmp(issue->state ? issue->state : "", "open") != 0) {
		rc = close_item(out, opt);
	} else if ((rc = mc_repo_open_bare(&repo, out->mirror)) == 0 &&
		   (rc = issue_config(&cfg, out, repo)) == 0) {
		rc = store_item(out, opt, repo, issue, &cfg);
		mc_config_free(&cfg);
	}
	mc_repo_free(repo);
	if (rc != 0) {
		rc = mc_error_wrap(rc, "issue %s!%lld", opt->repo, (long long)issue->number);
		mc_issue_result_free(out);
	}
	return rc;
}

int mc_issue_refresh(mc_issue_result *out, const mc_issue_options *opt)
{
	mc_forge_issue issue;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = mc_forge_get_issue(opt->forge, &issue, opt->repo, opt->number)) != 0)
		return rc;
	rc = mc_issue_refresh_from(out, opt, &issue);
	mc_forge_issue_clear(&issue);
	return rc;
}

void mc_issue_result_free(mc_issue_result *result)
{
	free(result->item_id);
	free(result->mirror);
	free(result->config_source);
	memset(result, 0, sizeof *result);
}
