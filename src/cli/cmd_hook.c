/*
 * `maestro hook pre-push`: what the installed pre-push hook runs. git passes
 * one line per pushed ref on stdin ("<local ref> <local sha> <remote ref>
 * <remote sha>"); each new commit range is reviewed, and the push is blocked
 * (exit 1) only when a policy gate says no. Maestro's own trouble (a broken
 * config, a missing default branch) is reported and lets the push through: a
 * hook must not hold people's work hostage to a tool problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pipeline/review.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"

/* A pushed ref line is four fields of at most a ref name's length. */
#define MAX_LINE 4096
#define MAX_REFS 1000
#define ZERO_OID "0000000000000000000000000000000000000000"

struct pushed_ref {
	char local_ref[1024], local_oid[65], remote_ref[1024], remote_oid[65];
};

/* 1 parsed, 0 malformed. Object ids are 40 (SHA-1) or 64 (SHA-256) hex digits. */
static int parse_line(struct pushed_ref *p, const char *line)
{
	return sscanf(line, "%1023s %64[0-9a-f] %1023s %64[0-9a-f]", p->local_ref, p->local_oid,
		      p->remote_ref, p->remote_oid) == 4;
}

static int is_zero(const char *oid)
{
	return strspn(oid, "0") == strlen(oid);
}

/* The range a pushed ref adds: from what the remote has, when we know that
 * commit, else against the default branch (a new branch, or a remote tip we
 * never fetched). */
static void choose_range(mc_review_options *opt, mc_strbuf *spec, const struct pushed_ref *p,
			 int remote_known)
{
	mc_strbuf_reset(spec);
	opt->range = NULL;
	opt->head = p->local_oid;
	if (remote_known) {
		mc_strbuf_printf(spec, "%s..%s", p->remote_oid, p->local_oid);
		opt->range = spec->buf;
		opt->head = NULL;
	}
}

static void print_verdict(const struct pushed_ref *p, const mc_review *r)
{
	struct json_object *decision = mc_json_get(r->card, "decision");
	struct json_object *blocking = mc_json_get(decision, "blocking");
	struct json_object *risk = mc_json_get(r->card, "risk");
	struct json_object *roi = mc_json_get(r->card, "roi");
	size_t i;

	fprintf(stderr, "maestro: %s: %s (risk %.0f %%, expected value $%.2f)\n", p->local_ref,
		r->passed ? "pass" : "blocked by policy", 100 * mc_json_get_double(risk, "probability", 0),
		mc_json_get_double(roi, "expected_value_usd", 0));
	for (i = 0; blocking && i < json_object_array_length(blocking); i++)
		fprintf(stderr, "maestro:   %s\n",
			json_object_get_string(json_object_array_get_idx(blocking, i)));
}

/* Review one pushed ref: 1 blocked, 0 passed or nothing to review. */
static int review_ref(const struct pushed_ref *p)
{
	mc_review_options opt = { 0 };
	mc_strbuf spec = MC_STRBUF_INIT;
	mc_review r;
	int rc, blocked = 0;

	if (is_zero(p->local_oid) || !strncmp(p->local_ref, "refs/tags/", 10) ||
	    !strcmp(p->local_oid, p->remote_oid))
		return 0;
	/* A push reviews only what the remote lacks: not a whole change, so it does not
	 * stand for the branch in the portfolio (a review of the branch does). */
	opt.no_portfolio = 1;
	choose_range(&opt, &spec, p, !is_zero(p->remote_oid));
	rc = mc_review_run(&r, &opt);
	if (rc == MC_EINVAL && opt.range) { /* the remote tip is not here: review the branch */
		choose_range(&opt, &spec, p, 0);
		rc = mc_review_run(&r, &opt);
	}
	if (rc == MC_EEMPTY) {
		rc = 0; /* nothing new: the commits are already on the default branch */
	} else if (rc) {
		fprintf(stderr, "maestro: %s: not reviewed, push allowed: %s\n", p->local_ref,
			mc_error_message());
		rc = 0;
	} else {
		print_verdict(p, &r);
		blocked = !r.passed;
		mc_review_free(&r);
	}
	mc_strbuf_release(&spec);
	return blocked;
}

static int pre_push(void)
{
	char line[MAX_LINE];
	size_t refs = 0;
	int blocked = 0;

	while (fgets(line, sizeof line, stdin)) {
		struct pushed_ref p;
		if (!strchr(line, '\n') && !feof(stdin))
			return mc_cli_usage("hook", "pre-push: an input line is longer than %d bytes",
					    MAX_LINE);
		if (++refs > MAX_REFS)
			return mc_cli_usage("hook", "pre-push: more than %d refs", MAX_REFS);
		if (!parse_line(&p, line))
			return mc_cli_usage("hook", "pre-push: expected '<local ref> <local sha> "
					    "<remote ref> <remote sha>', got '%.80s'", line);
		blocked |= review_ref(&p);
	}
	if (blocked)
		fprintf(stderr, "maestro: push blocked; fix the above, or bypass with "
				"git push --no-verify\n");
	return blocked ? MC_EXIT_GATE : MC_EXIT_OK;
}

static int run_hook(int argc, char **argv)
{
	if (argc < 2)
		return mc_cli_usage("hook", "expected the hook's name: pre-push");
	if (strcmp(argv[1], "pre-push"))
		return mc_cli_usage("hook", "unknown hook '%s' (maestro has: pre-push)", argv[1]);
	if (argc > 4)
		return mc_cli_usage("hook", "pre-push takes at most REMOTE and URL");
	return pre_push();
}

const struct mc_command mc_cmd_hook = {
	"hook", "run a git hook's job (called by the installed hooks)",
	"usage: maestro hook pre-push [REMOTE [URL]] < refs\n\n"
	"What the hooks installed by `maestro hooks install` run; git supplies the\n"
	"arguments and input. pre-push reads git's lines '<local ref> <local sha>\n"
	"<remote ref> <remote sha>' and reviews each pushed branch: the commits the\n"
	"remote does not have yet, or for a new branch its commits since it left the\n"
	"default branch. Deleted refs and tags are not reviewed. It exits 1, blocking\n"
	"the push, only when a policy gate says no, and prints the reasons. When a\n"
	"range cannot be reviewed (no default branch, a bad config) it says why and\n"
	"lets the push through.\n",
	run_hook,
};
