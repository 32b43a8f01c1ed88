/*
 * Portfolio tables and queries (portfolio.h; schema in db.c, migrations 2 and 3).
 * The portfolio is small (open work, not history) and written once per
 * review, so statements are prepared per call; every write that touches more
 * than one row runs in one transaction.
 */
#include "adapters/store/portfolio.h"

#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

static char *column_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return mc_xstrdup(s ? s : "");
}

static void copy_oid(char out[41], sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	size_t len = s ? strlen(s) : 0;
	if (len > 40)
		len = 40;
	memcpy(out, s ? s : "", len);
	out[len] = '\0';
}

static int check_id(const char *id)
{
	if (!id || !*id)
		return mc_error_set(MC_EINVAL, "a work item needs a non-empty id");
	if (strlen(id) > MC_PORTFOLIO_ID_MAX)
		return mc_error_set(MC_EINVAL, "work item id longer than %d bytes", MC_PORTFOLIO_ID_MAX);
	return 0;
}

static int check_item(const mc_portfolio_item *item)
{
	size_t i;
	int rc = check_id(item->id);
	if (rc)
		return rc;
	if (!isfinite(item->value_usd) || !isfinite(item->expected_value_usd) ||
	    !isfinite(item->risk))
		return mc_error_set(MC_EINVAL, "work item '%s': value, expected value and risk must "
				    "be finite numbers", item->id);
	for (i = 0; i < item->ncomponents; i++)
		if (!isfinite(item->components[i].amount))
			return mc_error_set(MC_EINVAL, "work item '%s': component %s is not a finite "
					    "number", item->id, item->components[i].name);
	for (i = 0; i < item->ncosts; i++)
		if (!isfinite(item->costs[i].amount) || item->costs[i].amount < 0)
			return mc_error_set(MC_EINVAL, "work item '%s': cost in %s must be a finite "
					    "number >= 0", item->id, item->costs[i].name);
	return 0;
}

/* The item row: new items take the given priority and state, existing ones keep their
 * priority and are opened again. */
static int upsert_row(mc_store *store, const mc_portfolio_item *item)
{
	sqlite3_stmt *st;
	int rc = mc_store_prepare(store, &st,
				  "INSERT INTO pf_item(id, title, head, base, repository, value_usd,"
				  " expected_value_usd, risk, priority, state, updated_at)"
				  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
				  " ON CONFLICT(id) DO UPDATE SET title = excluded.title, head = excluded.head,"
				  " base = excluded.base, repository = excluded.repository,"
				  " value_usd = excluded.value_usd,"
				  " expected_value_usd = excluded.expected_value_usd, risk = excluded.risk,"
				  " state = 'open', updated_at = excluded.updated_at",
				  "preparing to store a work item");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, item->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, item->title ? item->title : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, item->head, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, item->base, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, item->repository ? item->repository : "", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, item->value_usd);
	sqlite3_bind_double(st, 7, item->expected_value_usd);
	sqlite3_bind_double(st, 8, item->risk);
	sqlite3_bind_int(st, 9, item->priority);
	sqlite3_bind_text(st, 10, item->open ? "open" : "closed", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, item->updated_at);
	return mc_store_step_done(store, st, "storing a work item");
}

/* Replace the rows of one child table (pf_component or pf_cost) for an item. */
static int replace_amounts(mc_store *store, const char *id, const char *delete_sql,
			   const char *insert_sql, const mc_portfolio_amount *list, size_t n,
			   const char *what)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((rc = mc_store_prepare(store, &st, delete_sql, what)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = mc_store_step_done(store, st, what)) != 0 ||
	    (rc = mc_store_prepare(store, &st, insert_sql, what)) != 0)
		return rc;
	for (i = 0; i < n && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, list[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, list[i].amount);
		if (list[i].kind)
			sqlite3_bind_text(st, 4, list[i].kind, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = mc_store_fail(store, what);
	}
	sqlite3_finalize(st);
	return rc;
}

int mc_portfolio_upsert(mc_store *store, const mc_portfolio_item *item)
{
	int rc = check_item(item);
	if (rc)
		return rc;
	if ((rc = mc_store_begin(store)) != 0)
		return mc_error_wrap(rc, "storing work item '%s'", item->id);
	if ((rc = upsert_row(store, item)) == 0)
		rc = replace_amounts(store, item->id, "DELETE FROM pf_component WHERE item_id = ?1",
				     "INSERT INTO pf_component(item_id, name, usd, kind)"
				     " VALUES (?1, ?2, ?3, ?4)",
				     item->components, item->ncomponents, "storing value components");
	if (rc == 0)
		rc = replace_amounts(store, item->id, "DELETE FROM pf_cost WHERE item_id = ?1",
				     "INSERT INTO pf_cost(item_id, dimension, amount) VALUES (?1, ?2, ?3)",
				     item->costs, item->ncosts, "storing costs");
	if (rc == 0)
		rc = mc_store_commit(store);
	if (rc) {
		mc_store_rollback(store);
		return mc_error_wrap(rc, "storing work item '%s'", item->id);
	}
	return 0;
}

static int load_amounts(mc_portfolio_amount **out, size_t *n, mc_store *store, const char *id,
			const char *sql, int with_kind)
{
	mc_portfolio_amount *list = NULL;
	size_t count = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc = mc_store_prepare(store, &st, sql, "reading a work item");

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mc_xgrow((void **)&list, &alloc, count + 1, sizeof *list);
		list[count].name = column_text(st, 0);
		list[count].amount = sqlite3_column_double(st, 1);
		list[count].kind = with_kind ? column_text(st, 2) : NULL;
		count++;
	}
	rc = rc == SQLITE_DONE ? 0 : mc_store_fail(store, "reading a work item");
	sqlite3_finalize(st);
	*out = list;
	*n = count;
	return rc;
}

#define ITEM_COLUMNS "id, title, head, base, repository, value_usd, expected_value_usd, risk," \
		     " priority, state, updated_at"

/* An item from a row of ITEM_COLUMNS, with its components and costs. */
static int read_item(mc_portfolio_item *it, mc_store *store, sqlite3_stmt *st)
{
	int rc;

	memset(it, 0, sizeof *it);
	it->id = column_text(st, 0);
	it->title = column_text(st, 1);
	copy_oid(it->head, st, 2);
	copy_oid(it->base, st, 3);
	it->repository = column_text(st, 4);
	it->value_usd = sqlite3_column_double(st, 5);
	it->expected_value_usd = sqlite3_column_double(st, 6);
	it->risk = sqlite3_column_double(st, 7);
	it->priority = sqlite3_column_int(st, 8);
	it->open = !strcmp((const char *)sqlite3_column_text(st, 9), "open");
	it->updated_at = sqlite3_column_int64(st, 10);
	/* Value components first, then costs, each by name: a stable order for listings. */
	rc = load_amounts(&it->components, &it->ncomponents, store, it->id,
			  "SELECT name, usd, kind FROM pf_component WHERE item_id = ?1"
			  " ORDER BY kind = 'cost', name", 1);
	if (rc == 0)
		rc = load_amounts(&it->costs, &it->ncosts, store, it->id,
				  "SELECT dimension, amount FROM pf_cost WHERE item_id = ?1"
				  " ORDER BY dimension", 0);
	return rc;
}

int mc_portfolio_list(mc_portfolio_item **out, size_t *n, mc_store *store, int include_closed,
		      size_t limit)
{
	mc_portfolio_item *items = NULL;
	size_t count = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc, step;

	*out = NULL;
	*n = 0;
	rc = mc_store_prepare(store, &st,
			      "SELECT " ITEM_COLUMNS " FROM pf_item WHERE ?1 OR state = 'open'"
			      " ORDER BY expected_value_usd DESC, id LIMIT ?2",
			      "listing the portfolio");
	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, include_closed != 0);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		mc_xgrow((void **)&items, &alloc, count + 1, sizeof *items);
		rc = read_item(&items[count++], store, st);
	}
	if (!rc && step != SQLITE_DONE)
		rc = mc_store_fail(store, "listing the portfolio");
	sqlite3_finalize(st);
	if (rc) {
		mc_portfolio_items_free(items, count);
		return rc;
	}
	*out = items;
	*n = count;
	return 0;
}

int mc_portfolio_get(mc_portfolio_item *out, mc_store *store, const char *id)
{
	sqlite3_stmt *st;
	int rc, step;

	memset(out, 0, sizeof *out);
	if ((rc = check_id(id)) != 0 ||
	    (rc = mc_store_prepare(store, &st, "SELECT " ITEM_COLUMNS " FROM pf_item WHERE id = ?1",
				   "reading a work item")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = read_item(out, store, st);
	else if (step == SQLITE_DONE)
		rc = mc_error_set(MC_ENOTFOUND, "no work item '%s' in the portfolio", id);
	else
		rc = mc_store_fail(store, "reading a work item");
	sqlite3_finalize(st);
	if (rc)
		mc_portfolio_item_free(out);
	return rc;
}

int mc_portfolio_close(mc_store *store, const char *id, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_id(id)) != 0 ||
	    (rc = mc_store_prepare(store, &st,
				   "UPDATE pf_item SET updated_at = CASE state WHEN 'open' THEN ?2"
				   " ELSE updated_at END, state = 'closed' WHERE id = ?1",
				   "closing a work item")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = mc_store_step_done(store, st, "closing a work item")) != 0)
		return rc;
	if (sqlite3_changes(mc_store_sqlite(store)) == 0)
		return mc_error_set(MC_ENOTFOUND, "no work item '%s' in the portfolio", id);
	return 0;
}

static int blank(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* Inside the caller's transaction: the priority now, then the new one and its record. */
static int override_priority(mc_store *store, const char *id, int priority, const char *who,
			     const char *reason, int64_t now, const char *source, int *before)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = mc_store_prepare(store, &st, "SELECT priority FROM pf_item WHERE id = ?1",
				   "reading a priority")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*before = sqlite3_column_int(st, 0);
	rc = step == SQLITE_ROW ? 0
	     : step == SQLITE_DONE ? mc_error_set(MC_ENOTFOUND, "no work item '%s' in the portfolio", id)
				   : mc_store_fail(store, "reading a priority");
	sqlite3_finalize(st);
	if (rc || (rc = mc_store_prepare(store, &st, "UPDATE pf_item SET priority = ?2 WHERE id = ?1",
					 "setting a priority")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, priority);
	if ((rc = mc_store_step_done(store, st, "setting a priority")) != 0 ||
	    (rc = mc_store_prepare(store, &st,
				   "INSERT INTO pf_priority_override(item_id, who, at, reason,"
				   " before_priority, after_priority, source)"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				   "recording a priority override")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, who && *who ? who : "unknown", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, *before);
	sqlite3_bind_int(st, 6, priority);
	if (source)
		sqlite3_bind_text(st, 7, source, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	return mc_store_step_done(store, st, "recording a priority override");
}

int mc_portfolio_override_seen(mc_store *store, const char *id, const char *source)
{
	sqlite3_stmt *st;
	int rc, step;

	if ((rc = mc_store_prepare(store, &st,
				   "SELECT 1 FROM pf_priority_override WHERE item_id = ?1 AND source = ?2",
				   "reading priority overrides")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0
			  : mc_store_fail(store, "reading priority overrides");
	sqlite3_finalize(st);
	return rc;
}

int mc_portfolio_set_priority(mc_store *store, const char *id, int priority, const char *who,
			      const char *reason, int64_t now, int *before)
{
	return mc_portfolio_set_priority_from(store, id, priority, who, reason, now, NULL, before,
					      NULL);
}

int mc_portfolio_set_priority_from(mc_store *store, const char *id, int priority,
				   const char *who, const char *reason, int64_t now,
				   const char *source, int *before, int *seen)
{
	int old = 0, rc, already = 0;

	if (seen)
		*seen = 0;
	if ((rc = check_id(id)) != 0)
		return rc;
	if (blank(reason))
		return mc_error_set(MC_EINVAL, "a priority override of '%s' needs a reason", id);
	if ((rc = mc_store_begin(store)) != 0)
		return mc_error_wrap(rc, "setting the priority of '%s'", id);
	/* Checked inside the write transaction, so two workers cannot both apply it. */
	if (source && (already = mc_portfolio_override_seen(store, id, source)) < 0)
		rc = already;
	else if (already) {
		if (seen)
			*seen = 1;
		mc_store_rollback(store);
		return 0;
	} else
		rc = override_priority(store, id, priority, who, reason, now, source, &old);
	if (rc == 0)
		rc = mc_store_commit(store);
	if (rc) {
		mc_store_rollback(store);
		return rc;
	}
	if (before)
		*before = old;
	return 0;
}

int mc_portfolio_overrides(mc_portfolio_override **out, size_t *n, mc_store *store,
			   const char *id)
{
	mc_portfolio_override *list = NULL;
	size_t count = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mc_store_prepare(store, &st,
				   "SELECT who, at, reason, before_priority, after_priority"
				   " FROM pf_priority_override WHERE item_id = ?1 ORDER BY id",
				   "reading priority overrides")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mc_xgrow((void **)&list, &alloc, count + 1, sizeof *list);
		list[count].who = column_text(st, 0);
		list[count].at = sqlite3_column_int64(st, 1);
		list[count].reason = column_text(st, 2);
		list[count].before = sqlite3_column_int(st, 3);
		list[count].after = sqlite3_column_int(st, 4);
		count++;
	}
	rc = rc == SQLITE_DONE ? 0 : mc_store_fail(store, "reading priority overrides");
	sqlite3_finalize(st);
	if (rc) {
		mc_portfolio_overrides_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return 0;
}

int mc_portfolio_record_realized(mc_store *store, const char *id, double usd, const char *note,
				 int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = check_id(id)) != 0)
		return rc;
	if (!isfinite(usd))
		return mc_error_set(MC_EINVAL, "the realized value of '%s' must be a finite number", id);
	/* One statement: the row goes in only when the item exists, so there is no window
	 * between checking and inserting. */
	if ((rc = mc_store_prepare(store, &st,
				   "INSERT INTO pf_realized(item_id, usd, note, recorded_at)"
				   " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM pf_item WHERE id = ?1)",
				   "recording a realized value")) != 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, usd);
	sqlite3_bind_text(st, 3, note ? note : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = mc_store_step_done(store, st, "recording a realized value")) != 0)
		return rc;
	if (sqlite3_changes(mc_store_sqlite(store)) == 0)
		return mc_error_set(MC_ENOTFOUND, "no work item '%s' in the portfolio", id);
	return 0;
}

int mc_portfolio_outcomes(mc_portfolio_outcome **out, size_t *n, mc_store *store)
{
	mc_portfolio_outcome *list = NULL;
	size_t count = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc, step;

	*out = NULL;
	*n = 0;
	/* The latest record of each item is the one with the highest id. */
	if ((rc = mc_store_prepare(store, &st,
				   "SELECT i.id, i.value_usd, r.usd, r.recorded_at,"
				   " (SELECT COUNT(*) FROM pf_realized c WHERE c.item_id = i.id)"
				   " FROM pf_item i JOIN pf_realized r ON r.item_id = i.id"
				   " WHERE r.id = (SELECT MAX(l.id) FROM pf_realized l WHERE l.item_id = i.id)"
				   " ORDER BY i.id",
				   "reading realized values")) != 0)
		return rc;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		mc_portfolio_outcome *o;
		mc_xgrow((void **)&list, &alloc, count + 1, sizeof *list);
		o = &list[count++];
		memset(o, 0, sizeof *o);
		o->id = column_text(st, 0);
		o->predicted_usd = sqlite3_column_double(st, 1);
		o->realized_usd = sqlite3_column_double(st, 2);
		o->recorded_at = sqlite3_column_int64(st, 3);
		o->nrecords = (size_t)sqlite3_column_int64(st, 4);
		rc = load_amounts(&o->components, &o->ncomponents, store, o->id,
				  "SELECT name, usd, kind FROM pf_component"
				  " WHERE item_id = ?1 AND kind = 'value' ORDER BY name", 1);
	}
	if (!rc && step != SQLITE_DONE)
		rc = mc_store_fail(store, "reading realized values");
	sqlite3_finalize(st);
	if (rc) {
		mc_portfolio_outcomes_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return 0;
}

double mc_portfolio_cost(const mc_portfolio_item *item, const char *dimension)
{
	size_t i;
	for (i = 0; i < item->ncosts; i++)
		if (!strcmp(item->costs[i].name, dimension))
			return item->costs[i].amount;
	return 0;
}

static void amounts_free(mc_portfolio_amount *list, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].kind);
	}
	free(list);
}

void mc_portfolio_item_free(mc_portfolio_item *item)
{
	if (!item)
		return;
	free(item->id);
	free(item->title);
	free(item->repository);
	amounts_free(item->components, item->ncomponents);
	amounts_free(item->costs, item->ncosts);
	memset(item, 0, sizeof *item);
}

void mc_portfolio_items_free(mc_portfolio_item *items, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		mc_portfolio_item_free(&items[i]);
	free(items);
}

void mc_portfolio_overrides_free(mc_portfolio_override *overrides, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(overrides[i].who);
		free(overrides[i].reason);
	}
	free(overrides);
}

void mc_portfolio_outcomes_free(mc_portfolio_outcome *outcomes, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(outcomes[i].id);
		amounts_free(outcomes[i].components, outcomes[i].ncomponents);
	}
	free(outcomes);
}
