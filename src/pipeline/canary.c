/*
 * The shadow canary's runner (canary.h): two checkouts, a build in each, N
 * interleaved rounds of the run command, samples and a record of what ran.
 * The sandbox sees only the checkout it runs in; Maestro writes the sample
 * files itself, outside both checkouts.
 */
#include "pipeline/canary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/git/repo.h"
#include "adapters/git/worktree.h"
#include "adapters/proc/sandbox.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/utf8.h"

#define STDERR_TAIL 2048
#define GRACE_S 2.0
#define MAX_LINE 65536

static const char *const side_names[] = { "base", "head" };

/* ---- samples ---- */

static int valid_metric_name(const char *name)
{
	size_t i, n = strlen(name);
	if (n == 0 || n > MC_CANARY_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == ':' || c == '/' || c == '-'))
			return 0;
	}
	return 1;
}

/* The numeric members of one line's object, or NULL when it has none. */
static struct json_object *sample_of_line(const char *line, size_t len)
{
	struct json_object *doc = NULL, *sample;
	size_t kept = 0;
	if (len == 0 || len > MAX_LINE || mc_json_parse(&doc, line, len, MAX_LINE, "metrics line")) {
		mc_error_clear();
		return NULL;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return NULL;
	}
	sample = json_object_new_object();
	json_object_object_foreach(doc, key, value) {
		double d;
		if (kept == MC_CANARY_MAX_METRICS || !valid_metric_name(key) ||
		    !(json_object_is_type(value, json_type_int) ||
		      json_object_is_type(value, json_type_double)))
			continue;
		d = json_object_get_double(value);
		if (!isfinite(d))
			continue;
		json_object_object_add(sample, key, json_object_new_double(d));
		kept++;
	}
	json_object_put(doc);
	if (!kept) {
		json_object_put(sample);
		return NULL;
	}
	return sample;
}

size_t mc_canary_parse_samples(struct json_object *samples, const char *out, size_t len,
			       int truncated, size_t *ignored)
{
	size_t start = 0, added = 0;
	while (start < len) {
		const char *nl = memchr(out + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - out) : len;
		size_t l = end - start;
		struct json_object *sample;
		if (l && out[start + l - 1] == '\r')
			l--;
		if (!nl && truncated) { /* cut by the limit: not a line */
			(*ignored)++;
			break;
		}
		if (l == 0) {
			start = end + 1;
			continue;
		}
		if ((sample = sample_of_line(out + start, l))) {
			json_object_array_add(samples, sample);
			added++;
		} else {
			(*ignored)++;
		}
		start = end + 1;
	}
	return added;
}

/* ---- one step ---- */

struct run {
	const mc_canary_options *opt;
	mc_canary_result *r;
	mc_repo *repo;
	mc_worktree wt[2];
	mc_sandbox_opts sandbox[2];
	size_t steps_alloc;
};

static mc_canary_step *new_step(struct run *run, enum mc_canary_side side, int round)
{
	mc_canary_result *r = run->r;
	mc_canary_step *s;
	mc_xgrow((void **)&r->steps, &run->steps_alloc, r->nsteps + 1, sizeof *r->steps);
	s = &r->steps[r->nsteps++];
	memset(s, 0, sizeof *s);
	s->side = side;
	s->round = round;
	return s;
}

static void record_outcome(mc_canary_step *s, const mc_sandbox_result *res,
			   const mc_sandbox_opts *sb)
{
	mc_strbuf how = MC_STRBUF_INIT;
	size_t tail = res->err.len > STDERR_TAIL ? STDERR_TAIL : res->err.len;
	s->exited = res->exited;
	s->exit_code = res->exit_code;
	s->signal = res->signal;
	s->timed_out = res->timed_out;
	s->wall_s = res->wall_s;
	s->cpu_s = res->cpu_s;
	s->peak_rss_kb = res->max_rss_kb;
	s->out_dropped = res->out_dropped;
	s->err_dropped = res->err_dropped;
	mc_sandbox_describe(&how, res, sb);
	s->status = mc_strbuf_detach(&how);
	/* stderr is bytes; the record is JSON: keep invalid bytes as \xHH, drop NULs. */
	{
		mc_strbuf t = MC_STRBUF_INIT;
		size_t i;
		for (i = res->err.len - tail; i < res->err.len; i++)
			if (res->err.buf[i])
				mc_strbuf_putc(&how, res->err.buf[i]);
		mc_utf8_escape_invalid(&t, mc_strbuf_str(&how), how.len);
		mc_strbuf_release(&how);
		s->stderr_tail = mc_strbuf_detach(&t);
	}
}

static void add_own_sample(struct json_object *samples, const mc_sandbox_result *res)
{
	struct json_object *own = json_object_new_object();
	/* Microseconds are below what either clock resolves here. */
	json_object_object_add(own, MC_CANARY_WALL_MS,
			       json_object_new_double(round(res->wall_s * 1e6) / 1e3));
	json_object_object_add(own, MC_CANARY_CPU_MS,
			       json_object_new_double(round(res->cpu_s * 1e6) / 1e3));
	json_object_object_add(own, MC_CANARY_PEAK_RSS_KB, json_object_new_int64(res->max_rss_kb));
	json_object_array_add(samples, own);
}

static void log_step(const mc_canary_step *s, const mc_string_list *argv)
{
	char round[16], wall[32];
	if (!mc_log_enabled(MC_LOG_INFO))
		return;
	snprintf(round, sizeof round, "%d", s->round);
	snprintf(wall, sizeof wall, "%.3f", s->wall_s);
	mc_log(MC_LOG_INFO, "canary.step", "side", side_names[s->side], "round", round,
	       "command", argv->items[0], "status", s->status, "wall_s", wall, NULL);
}

/* Run one command (the build when round is 0) on one side. 0 when it ran (r->failed is
 * set if it did not succeed); an error when it could not be started. */
static int run_step(struct run *run, enum mc_canary_side side, int round)
{
	mc_canary_result *r = run->r;
	const mc_string_list *cmd = round ? &r->cfg.canary.run : &r->cfg.canary.build;
	const mc_sandbox_opts *sb = &run->sandbox[side];
	mc_sandbox_result res;
	mc_canary_step *s;
	char **argv = mc_xcalloc(cmd->n + 1, sizeof *argv);
	size_t i;
	int rc;

	for (i = 0; i < cmd->n; i++)
		argv[i] = cmd->items[i];
	rc = mc_sandbox_run(&res, (const char *const *)argv, sb);
	free(argv);
	if (rc) {
		mc_sandbox_result_free(&res);
		return mc_error_wrap(rc, "canary %s of %s", round ? "run" : "build", side_names[side]);
	}
	s = new_step(run, side, round);
	record_outcome(s, &res, sb);
	if (!res.isolated)
		r->isolated = 0;
	if (round && mc_sandbox_ok(&res)) {
		s->samples = mc_canary_parse_samples(r->samples[side], res.out.buf, res.out.len,
						     res.out_dropped > 0, &s->ignored_lines);
		add_own_sample(r->samples[side], &res);
		s->samples++;
	}
	log_step(s, cmd);
	if (!mc_sandbox_ok(&res))
		r->failed = s;
	mc_sandbox_result_free(&res);
	return 0;
}

/* ---- setup ---- */

static int resolve_range(struct run *run)
{
	mc_canary_result *r = run->r;
	char *default_branch = NULL;
	int rc;
	if (!run->opt->range) {
		if ((rc = mc_repo_check_head(run->repo)))
			return rc;
		rc = mc_repo_default_branch(&default_branch, run->repo);
		if (rc == MC_ENOTFOUND)
			return mc_error_set(MC_EINVAL, "no default branch (no origin/HEAD, main or "
					    "master); name the change as BASE..HEAD");
		if (rc)
			return rc;
		/* review.default_branch on the detected branch overrides it, as in review */
		if ((rc = mc_config_at(&r->cfg, &r->config, run->repo, default_branch)) == 0 &&
		    r->cfg.review_default_branch) {
			free(default_branch);
			default_branch = mc_xstrdup(r->cfg.review_default_branch);
		}
		mc_config_free(&r->cfg);
		mc_config_origin_free(&r->config);
		if (rc) {
			free(default_branch);
			return rc;
		}
	}
	rc = mc_range_resolve(&r->range, run->repo, run->opt->range, default_branch);
	free(default_branch);
	return rc;
}

static int load_settings(struct run *run)
{
	mc_canary_result *r = run->r;
	int rc = mc_config_at(&r->cfg, &r->config, run->repo, r->range.base);
	if (rc)
		return rc;
	if (r->cfg.canary.run.n == 0)
		return mc_error_set(MC_ENOTFOUND,
				    "no canary configured: canary.run is empty in %s (docs/CONFIG.md)",
				    r->config.source);
	if (run->opt->rounds < 0 || run->opt->rounds > 100)
		return mc_error_set(MC_EINVAL, "rounds: %d is not within 1..100", run->opt->rounds);
	r->rounds = run->opt->rounds ? run->opt->rounds : r->cfg.canary.rounds;
	return 0;
}

static void sandbox_options(struct run *run, enum mc_canary_side side)
{
	const mc_canary_limits *l = &run->r->cfg.canary.limits;
	mc_sandbox_opts *sb = &run->sandbox[side];
	memset(sb, 0, sizeof *sb);
	sb->workdir = run->wt[side].path;
	sb->allow_no_isolation = run->opt->allow_no_isolation;
	sb->limits.cpu_s = (unsigned)l->cpu_s;
	sb->limits.memory_mb = (unsigned)l->memory_mb;
	sb->limits.processes = (unsigned)l->processes;
	sb->limits.file_mb = (unsigned)l->file_mb;
	sb->limits.output_bytes = (size_t)l->output_kb * 1024;
	sb->limits.timeout_s = run->r->cfg.canary.timeout_s;
	sb->limits.grace_s = GRACE_S;
}

static int checkouts(struct run *run)
{
	const char *revs[2] = { run->r->range.base, run->r->range.head };
	int side, rc;
	for (side = 0; side < 2; side++) {
		if ((rc = mc_worktree_checkout(&run->wt[side], run->repo, revs[side], NULL,
					       side == MC_CANARY_BASE ? "canary-base" : "canary-head")))
			return rc;
		sandbox_options(run, (enum mc_canary_side)side);
		if ((rc = mc_sandbox_give_dir(run->wt[side].path, &run->sandbox[side])))
			return rc;
	}
	return 0;
}

static int output_paths(struct run *run)
{
	mc_canary_result *r = run->r;
	mc_strbuf sb = MC_STRBUF_INIT;
	int rc;
	if (run->opt->out_dir)
		mc_strbuf_puts(&sb, run->opt->out_dir);
	else
		mc_strbuf_printf(&sb, "%smaestro/canary/%.12s-%.12s", mc_repo_commondir(run->repo),
				 r->range.base, r->range.head);
	r->out_dir = mc_strbuf_detach(&sb);
	if ((rc = mc_fs_mkdirs(r->out_dir, 0755)))
		return rc;
	mc_strbuf_printf(&sb, "%s/BASE.jsonl", r->out_dir);
	r->base_path = mc_strbuf_detach(&sb);
	mc_strbuf_printf(&sb, "%s/HEAD.jsonl", r->out_dir);
	r->head_path = mc_strbuf_detach(&sb);
	mc_strbuf_printf(&sb, "%s/canary.json", r->out_dir);
	r->record_path = mc_strbuf_detach(&sb);
	return 0;
}

static int write_jsonl(const char *path, struct json_object *samples)
{
	mc_strbuf sb = MC_STRBUF_INIT;
	size_t i;
	int rc;
	for (i = 0; i < json_object_array_length(samples); i++) {
		mc_strbuf_puts(&sb, json_object_to_json_string_ext(json_object_array_get_idx(samples, i),
								   JSON_C_TO_STRING_PLAIN));
		mc_strbuf_putc(&sb, '\n');
	}
	rc = mc_fs_write_file(path, sb.buf ? sb.buf : "", sb.len, 0644);
	mc_strbuf_release(&sb);
	return rc;
}

static int write_outputs(struct run *run)
{
	mc_canary_result *r = run->r;
	struct json_object *record;
	const char *text;
	int rc;
	if ((rc = write_jsonl(r->base_path, r->samples[MC_CANARY_BASE])) ||
	    (rc = write_jsonl(r->head_path, r->samples[MC_CANARY_HEAD])))
		return rc;
	record = mc_canary_record(r);
	text = mc_json_dump(record, 1);
	rc = mc_fs_write_file(r->record_path, text, strlen(text), 0644);
	json_object_put(record);
	return rc;
}

/* Builds, then the rounds interleaved; stops at the first command that fails. */
static int run_all(struct run *run)
{
	mc_canary_result *r = run->r;
	int side, round, rc;
	if (r->cfg.canary.build.n)
		for (side = 0; side < 2 && !r->failed; side++)
			if ((rc = run_step(run, (enum mc_canary_side)side, 0)))
				return rc;
	for (round = 1; round <= r->rounds && !r->failed; round++)
		for (side = 0; side < 2 && !r->failed; side++)
			if ((rc = run_step(run, (enum mc_canary_side)side, round)))
				return rc;
	return 0;
}

int mc_canary_run(mc_canary_result *out, const mc_canary_options *opt)
{
	struct run run;
	int rc, cleanup_rc = 0, side;

	memset(out, 0, sizeof *out);
	memset(&run, 0, sizeof run);
	run.opt = opt;
	run.r = out;
	out->isolated = 1;
	out->samples[0] = json_object_new_array();
	out->samples[1] = json_object_new_array();
	if ((rc = mc_repo_open(&run.repo, opt->repo_path ? opt->repo_path : ".")))
		return rc;
	if (!(rc = resolve_range(&run)) && !(rc = load_settings(&run)) &&
	    !(rc = output_paths(&run)) && !(rc = checkouts(&run)) && !(rc = run_all(&run)))
		rc = write_outputs(&run);
	for (side = 0; side < 2; side++) {
		int c = mc_worktree_remove(&run.wt[side]);
		if (c && !cleanup_rc)
			cleanup_rc = c;
	}
	mc_repo_free(run.repo);
	return rc ? rc : cleanup_rc;
}

void mc_canary_result_free(mc_canary_result *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->nsteps; i++) {
		free(r->steps[i].status);
		free(r->steps[i].stderr_tail);
	}
	free(r->steps);
	mc_range_free(&r->range);
	mc_config_free(&r->cfg);
	mc_config_origin_free(&r->config);
	json_object_put(r->samples[0]);
	json_object_put(r->samples[1]);
	free(r->out_dir);
	free(r->base_path);
	free(r->head_path);
	free(r->record_path);
	memset(r, 0, sizeof *r);
}

/* ---- the record ---- */

static struct json_object *argv_json(const mc_string_list *l)
{
	struct json_object *a = json_object_new_array();
	size_t i;
	for (i = 0; i < l->n; i++)
		json_object_array_add(a, json_object_new_string(l->items[i]));
	return a;
}

static struct json_object *step_json(const mc_canary_step *s)
{
	struct json_object *o = json_object_new_object();
	mc_json_set_string(o, "side", side_names[s->side]);
	mc_json_set_string(o, "command", s->round ? "run" : "build");
	mc_json_set_int(o, "round", s->round);
	mc_json_set_string(o, "status", s->status);
	if (s->exited)
		mc_json_set_int(o, "exit_code", s->exit_code);
	else
		json_object_object_add(o, "exit_code", NULL);
	mc_json_set_int(o, "signal", s->signal);
	mc_json_set_bool(o, "timed_out", s->timed_out);
	mc_json_set_double(o, "wall_ms", round(s->wall_s * 1e6) / 1e3);
	mc_json_set_double(o, "cpu_ms", round(s->cpu_s * 1e6) / 1e3);
	mc_json_set_int(o, "peak_rss_kb", s->peak_rss_kb);
	mc_json_set_int(o, "samples", (long long)s->samples);
	mc_json_set_int(o, "ignored_lines", (long long)s->ignored_lines);
	mc_json_set_int(o, "stdout_dropped_bytes", (long long)s->out_dropped);
	mc_json_set_int(o, "stderr_dropped_bytes", (long long)s->err_dropped);
	return o;
}

struct json_object *mc_canary_record(const mc_canary_result *r)
{
	struct json_object *o = json_object_new_object(), *range = json_object_new_object();
	struct json_object *commands = json_object_new_object(), *limits = json_object_new_object();
	struct json_object *steps = json_object_new_array(), *samples = json_object_new_object();
	size_t i;

	mc_json_set_string(range, "spec", r->range.spec);
	mc_json_set_string(range, "base", r->range.base);
	mc_json_set_string(range, "head", r->range.head);
	json_object_object_add(o, "range", range);
	mc_json_set_string(o, "config", r->config.source);
	json_object_object_add(commands, "build", argv_json(&r->cfg.canary.build));
	json_object_object_add(commands, "run", argv_json(&r->cfg.canary.run));
	json_object_object_add(o, "commands", commands);
	mc_json_set_int(o, "rounds", r->rounds);
	mc_json_set_string(o, "order", "interleaved base, head per round");
	mc_json_set_int(o, "timeout_s", r->cfg.canary.timeout_s);
	mc_json_set_int(limits, "cpu_s", r->cfg.canary.limits.cpu_s);
	mc_json_set_int(limits, "memory_mb", r->cfg.canary.limits.memory_mb);
	mc_json_set_int(limits, "processes", r->cfg.canary.limits.processes);
	mc_json_set_int(limits, "file_mb", r->cfg.canary.limits.file_mb);
	mc_json_set_int(limits, "output_kb", r->cfg.canary.limits.output_kb);
	json_object_object_add(o, "limits", limits);
	mc_json_set_bool(o, "network_isolated", r->isolated);
	for (i = 0; i < r->nsteps; i++)
		json_object_array_add(steps, step_json(&r->steps[i]));
	json_object_object_add(o, "steps", steps);
	mc_json_set_string(samples, "base", r->base_path);
	mc_json_set_string(samples, "head", r->head_path);
	mc_json_set_int(samples, "base_count",
			(long long)json_object_array_length(r->samples[MC_CANARY_BASE]));
	mc_json_set_int(samples, "head_count",
			(long long)json_object_array_length(r->samples[MC_CANARY_HEAD]));
	json_object_object_add(o, "samples", samples);
	if (r->failed) {
		struct json_object *f = step_json(r->failed);
		mc_json_set_string(f, "stderr_tail", r->failed->stderr_tail);
		json_object_object_add(o, "failed", f);
	} else {
		json_object_object_add(o, "failed", NULL);
	}
	return o;
}
