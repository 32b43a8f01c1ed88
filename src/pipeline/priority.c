/* Priority overrides (priority.h): validate, record the evidence, then store. The
 * evidence comes first so that a key that cannot sign leaves nothing changed. */
#include "pipeline/priority.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/store/portfolio.h"
#include "pipeline/config_at.h"
#include "pipeline/evidence.h"
#include "pipeline/portfolio.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/time.h"

static const char *const action_names[] = { "raise", "drop", "set" };

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int check_change(const mc_priority_change *c)
{
	if (blank(c->reason))
		return mc_error_set(MC_EINVAL, "a reason is required for every priority override");
	if (strlen(c->reason) > MC_PRIORITY_REASON_MAX)
		return mc_error_set(MC_EINVAL, "the reason is longer than %d bytes",
				    MC_PRIORITY_REASON_MAX);
	return 0;
}

static int new_priority(int *after, const mc_priority_change *c, int before)
{
	*after = c->action == MC_PRIORITY_RAISE ? before + 1
		 : c->action == MC_PRIORITY_DROP ? before - 1 : c->value;
	if (*after < MC_PRIORITY_MIN || *after > MC_PRIORITY_MAX)
		return mc_error_set(MC_EINVAL, "priority %d is outside %d..%d", *after,
				    MC_PRIORITY_MIN, MC_PRIORITY_MAX);
	return 0;
}

/* git's user.name <user.email>, as far as they are set. */
static char *git_identity(mc_repo *repo)
{
	char *name = NULL, *email = NULL;
	mc_strbuf sb = MC_STRBUF_INIT;
	mc_repo_config_string(&name, repo, "user.name");
	mc_repo_config_string(&email, repo, "user.email");
	if (name && email)
		mc_strbuf_printf(&sb, "%s <%s>", name, email);
	else
		mc_strbuf_puts(&sb, name ? name : email ? email : "unknown");
	free(name);
	free(email);
	return mc_strbuf_detach(&sb);
}

static struct json_object *override_predicate(const mc_priority_change *c, const char *who,
					      time_t now, int before, int after)
{
	struct json_object *p = json_object_new_object();
	char at[MC_TIME_ISO_LEN];
	mc_time_iso8601(at, now, -1);
	mc_json_set_string(p, "who", who);
	mc_json_set_string(p, "at", at);
	mc_json_set_string(p, "action", action_names[c->action]);
	mc_json_set_string(p, "reason", c->reason);
	mc_json_set_int(p, "before", before);
	mc_json_set_int(p, "after", after);
	mc_json_set_string(p, "change", c->id);
	return p;
}

/* Record the override about the item's head commit when a key is configured. */
static int record(mc_priority_result *out, mc_repo *repo, const mc_portfolio_item *item,
		  struct json_object *predicate, const char *config_rev)
{
	mc_config_origin origin = { 0 };
	mc_config cfg;
	int rc;

	/* An item without a commit (a forge issue in a mirror that has fetched no base yet)
	 * has nothing to attach a record to: the override is kept in the portfolio only. */
	if (!item->head[0]) {
		out->note = mc_xstrdup("not recorded as evidence: the work item has no commit "
				       "to attach the record to");
		return 0;
	}
	if ((rc = mc_config_at(&cfg, &origin, repo, config_rev ? config_rev : "HEAD")) != 0)
		return rc;
	rc = mc_evidence_record_as_configured(&out->note, &out->recorded, repo, &cfg, MC_EV_OVERRIDE,
					      item->repository ? item->repository : "repository",
					      item->head, predicate, "override");
	mc_config_free(&cfg);
	mc_config_origin_free(&origin);
	return rc;
}

int mc_priority_override(mc_priority_result *out, const mc_priority_change *c)
{
	mc_portfolio_item item;
	struct json_object *predicate = NULL;
	mc_repo *repo = NULL;
	mc_store *store = NULL;
	char *who = NULL;
	time_t now = c->at ? c->at : time(NULL);
	int rc, have_item = 0, stored_before, seen = 0;

	memset(out, 0, sizeof *out);
	memset(&item, 0, sizeof item);
	if ((rc = check_change(c)) != 0 ||
	    (rc = mc_repo_open(&repo, c->repo_path ? c->repo_path : ".")) != 0)
		goto out;
	rc = mc_portfolio_open_store(&store, c->repo_path ? c->repo_path : ".", 0);
	if (rc == MC_ENOTFOUND)
		rc = mc_error_set(MC_ENOTFOUND, "no work item '%s': nothing reviewed here yet", c->id);
	if (rc || (rc = mc_portfolio_get(&item, store, c->id)) != 0)
		goto out;
	have_item = 1;
	out->before = out->after = item.priority;
	if (c->source && (rc = mc_portfolio_override_seen(store, c->id, c->source)) != 0) {
		out->repeated = rc > 0;
		rc = rc > 0 ? 0 : rc;
		goto out;
	}
	if ((rc = new_priority(&out->after, c, item.priority)) != 0)
		goto out;
	who = c->who ? mc_xstrdup(c->who) : git_identity(repo);
	predicate = override_predicate(c, who, now, out->before, out->after);
	if ((rc = record(out, repo, &item, predicate, c->config_rev)) != 0)
		goto out;
	rc = mc_portfolio_set_priority_from(store, c->id, out->after, who, c->reason, (int64_t)now,
					    c->source, &stored_before, &seen);
	out->repeated = seen;
out:
	if (predicate)
		json_object_put(predicate);
	if (have_item)
		mc_portfolio_item_free(&item);
	free(who);
	mc_store_close(store);
	mc_repo_free(repo);
	if (rc)
		mc_priority_result_free(out);
	return rc;
}

void mc_priority_result_free(mc_priority_result *result)
{
	free(result->note);
	result->note = NULL;
}
