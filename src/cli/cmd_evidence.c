/*
 * `maestro evidence show|verify|push|fetch|keygen`: the signed evidence in
 * refs/notes/maestro, for people and for auditors (docs/AUDITOR.md shows how to
 * check the same evidence with git and gpg alone).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/git/range.h"
#include "adapters/sign/gpg.h"
#include "cli/cli.h"
#include "pipeline/config_at.h"
#include "pipeline/evidence.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

#define MAX_PINS 64

struct args {
	const char *dir;
	const char *gnupghome;
	const char *signing_key;
	const char *pins[MAX_PINS];
	size_t npins;
	int all;
	enum mc_format format;
	mc_remote_options remote;
	const char *name;
	unsigned expire_days;
};

static int parse_args(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gnupghome", required_argument, NULL, 'g' },
		{ "signing-key", required_argument, NULL, 'k' },
		{ "pin", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ "ssh-key", required_argument, NULL, 's' },
		{ "known-hosts", required_argument, NULL, 'h' },
		{ "name", required_argument, NULL, 'n' },
		{ "expire-days", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long days;
	int c;

	memset(a, 0, sizeof *a);
	a->dir = ".";
	a->name = "Maestro Bot <maestro@localhost>";
	a->expire_days = 730;
	optind = 0;
	while ((c = getopt_long(argc, argv, "C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C': a->dir = optarg; break;
		case 'g': a->gnupghome = optarg; break;
		case 'k': a->signing_key = optarg; break;
		case 'p':
			if (a->npins == MAX_PINS)
				return mc_cli_usage("evidence", "more than %d --pin", MAX_PINS);
			a->pins[a->npins++] = optarg;
			break;
		case 'a': a->all = 1; break;
		case 'F':
			if (mc_cli_parse_format(optarg, &a->format))
				return mc_cli_usage("evidence", "%s", mc_error_message());
			break;
		case 's': a->remote.ssh_key = optarg; break;
		case 'h': a->remote.known_hosts = optarg; break;
		case 'n': a->name = optarg; break;
		case 'e':
			days = strtol(optarg, &end, 10);
			if (*end || end == optarg || days < 0 || days > 36500)
				return mc_cli_usage("evidence", "--expire-days takes 0 to 36500, not '%s'",
						    optarg);
			a->expire_days = (unsigned)days;
			break;
		default: return mc_cli_usage("evidence", "unknown option");
		}
	}
	return 0;
}

/* The repository, its configuration at HEAD (for the pins) and the evidence store. */
struct session {
	mc_repo *repo;
	mc_config cfg;
	int have_cfg;
	mc_evidence *ev;
};

/* How a session needs the signing key. */
enum signing { VERIFY_ONLY, SIGN_IF_CONFIGURED };

static int open_session(struct session *s, const struct args *a, enum signing signing)
{
	mc_config_origin origin = { 0 };
	mc_evidence_options opt = { 0 };
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = mc_repo_open(&s->repo, a->dir)) != 0)
		return rc;
	if (mc_repo_check_head(s->repo) == 0) {
		if ((rc = mc_config_at(&s->cfg, &origin, s->repo, "HEAD")) != 0)
			return rc;
	} else {
		mc_config_defaults(&s->cfg);
	}
	s->have_cfg = 1;
	mc_config_origin_free(&origin);
	opt.gnupghome = a->gnupghome;
	opt.signing_key = a->signing_key;
	opt.pins = a->pins;
	opt.npins = a->npins;
	if (signing == SIGN_IF_CONFIGURED) {
		rc = mc_evidence_open(&s->ev, s->repo, &s->cfg, &opt, 1);
		if (rc != MC_EENV) /* no usable key: verification alone still works */
			return rc;
	}
	return mc_evidence_open(&s->ev, s->repo, &s->cfg, &opt, 0);
}

static void close_session(struct session *s)
{
	mc_evidence_close(s->ev);
	if (s->have_cfg)
		mc_config_free(&s->cfg);
	mc_repo_free(s->repo);
}

static void print_entry_text(const mc_evidence_entry *e)
{
	struct json_object *pred = e->statement ? mc_json_get(e->statement, "predicate") : NULL;
	const char *type = e->statement ? mc_json_get_string(e->statement, "predicateType", "?") : "?";
	int kind = mc_evidence_kind_of(type);
	printf("record %d: %s, %s\n", e->line, kind >= 0 ? mc_evidence_kind_name(kind) : type,
	       e->verified ? "verified" : "DOES NOT VERIFY");
	if (e->verified)
		printf("  signed by %s\n", e->signer);
	else
		printf("  problem: %s\n", e->problem ? e->problem : "?");
	if (pred)
		printf("%s\n", mc_json_dump(pred, 1));
}

static int cmd_show(const struct args *a, const char *rev)
{
	struct session s;
	mc_evidence_entry *entries = NULL;
	size_t n = 0, i;
	int rc, bad = 0;

	if ((rc = open_session(&s, a, VERIFY_ONLY)) == 0 && (rc = mc_evidence_show(&entries, &n, s.ev, rev)) == 0) {
		struct json_object *list = json_object_new_array();
		for (i = 0; i < n; i++) {
			bad |= !entries[i].verified;
			if (a->format == MC_FORMAT_JSON) {
				struct json_object *o = json_object_new_object();
				mc_json_set_int(o, "line", entries[i].line);
				mc_json_set_bool(o, "verified", entries[i].verified);
				mc_json_set_string(o, "signer", entries[i].verified ? entries[i].signer : NULL);
				mc_json_set_string(o, "problem", entries[i].problem);
				json_object_object_add(o, "statement", entries[i].statement
						       ? json_object_get(entries[i].statement) : NULL);
				json_object_array_add(list, o);
			} else {
				print_entry_text(&entries[i]);
			}
		}
		if (a->format == MC_FORMAT_JSON)
			printf("%s\n", mc_json_dump(list, 1));
		else if (!n)
			printf("no evidence for %s\n", rev);
		json_object_put(list);
	}
	mc_evidence_entries_free(entries, n);
	close_session(&s);
	if (rc)
		return mc_cli_fail("evidence", rc);
	return bad ? MC_EXIT_GATE : MC_EXIT_OK;
}

/* The commits of a range, as targets to verify. */
static int range_targets(char ***out, size_t *n, mc_repo *repo, const char *spec)
{
	mc_range range;
	mc_commit_info *commits = NULL;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mc_range_resolve(&range, repo, spec, NULL)) != 0)
		return rc;
	if ((rc = mc_range_commits(&commits, n, repo, &range)) == 0) {
		*out = mc_xcalloc(*n ? *n : 1, sizeof **out);
		for (i = 0; i < *n; i++)
			(*out)[i] = mc_xstrdup(commits[i].oid);
	}
	mc_commit_info_free(commits, *n);
	mc_range_free(&range);
	return rc;
}

static int cmd_verify(const struct args *a, const char *spec)
{
	struct session s;
	mc_evidence_report report;
	char **targets = NULL;
	size_t ntargets = 0, i;
	int rc;

	if ((rc = open_session(&s, a, VERIFY_ONLY)) == 0 && spec)
		rc = range_targets(&targets, &ntargets, s.repo, spec);
	if (rc == 0)
		rc = mc_evidence_verify(&report, s.ev, spec ? (const char *const *)targets : NULL,
					ntargets);
	if (rc == 0) {
		if (a->format == MC_FORMAT_JSON)
			printf("{\"verified\": true, \"notes_commits\": %u, \"commits\": %u, "
			       "\"records\": %u}\n", report.notes_commits, report.targets, report.records);
		else
			printf("verified: %u record(s) on %u commit(s), %u signed notes commit(s)\n",
			       report.records, report.targets, report.notes_commits);
	}
	for (i = 0; i < ntargets; i++)
		free(targets[i]);
	free(targets);
	close_session(&s);
	return rc ? mc_cli_fail("evidence verify", rc) : MC_EXIT_OK;
}

static int cmd_sync(const struct args *a, const char *action, const char *remote)
{
	struct session s;
	int rc, result = 0;
	static const char *const outcome[] = { "already up to date", "fast-forwarded",
					       "merged line by line (signed merge commit)" };

	/* A fetch may need a signed merge commit: sign when a key is configured; without
	 * one, fast-forwards still work. */
	rc = open_session(&s, a, !strcmp(action, "fetch") ? SIGN_IF_CONFIGURED : VERIFY_ONLY);
	if (rc == 0 && !strcmp(action, "push")) {
		if ((rc = mc_evidence_push(s.ev, remote, &a->remote)) == 0)
			printf("pushed %s to %s\n", "refs/notes/maestro", remote);
	} else if (rc == 0 && (rc = mc_evidence_fetch(&result, s.ev, remote, &a->remote)) == 0) {
		printf("fetched evidence from %s: %s\n", remote, outcome[result]);
	}
	close_session(&s);
	return rc ? mc_cli_fail("evidence", rc) : MC_EXIT_OK;
}

static int cmd_keygen(const struct args *a)
{
	char fpr[41];
	int rc = mc_gpg_keygen(fpr, a->gnupghome, a->name, a->expire_days);
	if (rc)
		return mc_cli_fail("evidence keygen", rc);
	if (a->format == MC_FORMAT_JSON) {
		printf("{\"fingerprint\": \"%s\"}\n", fpr);
		return MC_EXIT_OK;
	}
	printf("%s\n\nA signing key without passphrase for %s. To sign evidence with it, put\n"
	       "  \"evidence\": {\"signing_key\": \"%s\"}\n"
	       "in .maestro/config.json (or run git config user.signingkey %s), and give\n"
	       "auditors its public key: gpg --armor --export %s\n", fpr, a->name, fpr, fpr, fpr);
	return MC_EXIT_OK;
}

static int run_evidence(int argc, char **argv)
{
	struct args a;
	const char *action, *operand;
	int rc;

	if ((rc = parse_args(&a, argc, argv)) != 0)
		return rc;
	if (optind >= argc)
		return mc_cli_usage("evidence", "expected an action: show, verify, push, fetch or keygen");
	action = argv[optind++];
	operand = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return mc_cli_usage("evidence", "too many arguments");
	if (!strcmp(action, "show")) {
		if (!operand)
			return mc_cli_usage("evidence", "show needs a revision");
		return cmd_show(&a, operand);
	}
	if (!strcmp(action, "verify")) {
		if (a.all && operand)
			return mc_cli_usage("evidence", "verify takes a range or --all, not both");
		return cmd_verify(&a, operand);
	}
	if (!strcmp(action, "push") || !strcmp(action, "fetch"))
		return cmd_sync(&a, action, operand ? operand : "origin");
	if (!strcmp(action, "keygen")) {
		if (operand)
			return mc_cli_usage("evidence", "keygen takes no operand");
		return cmd_keygen(&a);
	}
	return mc_cli_usage("evidence", "unknown action '%s'", action);
}

const struct mc_command mc_cmd_evidence = {
	"evidence", "show, verify and share the signed evidence in git notes",
	"usage: maestro evidence show REV [--format text|json]\n"
	"       maestro evidence verify [RANGE | --all] [--format text|json]\n"
	"       maestro evidence push [REMOTE] [--ssh-key FILE] [--known-hosts FILE]\n"
	"       maestro evidence fetch [REMOTE] [--ssh-key FILE] [--known-hosts FILE]\n"
	"       maestro evidence keygen [--name 'Name <email>'] [--expire-days N]\n"
	"common: [-C DIR] [--gnupghome DIR] [--pin FINGERPRINT]... [--signing-key FINGERPRINT]\n\n"
	"Every Decision Card (and later every override, hold and contract) is an in-toto\n"
	"statement in a DSSE envelope signed with OpenPGP, one per line in the note of\n"
	"its commit on refs/notes/maestro; every notes commit is signed too.\n\n"
	"show    the records about REV, decoded, each with its verification\n"
	"verify  checks every notes commit's signature, that no notes commit removed a\n"
	"        record, that the ref never moved backwards, and every record's signature\n"
	"        and content; with RANGE only the records of the commits in it. Exit 1\n"
	"        naming the object on the first failure, else a count of what it checked.\n"
	"push    sends refs/notes/maestro to REMOTE (default origin); never forced\n"
	"fetch   fetches REMOTE's evidence into refs/notes/remotes/REMOTE/maestro,\n"
	"        refusing a remote whose evidence history was rewritten, verifies it, and\n"
	"        merges it line by line (the result of git notes merge -s cat_sort_uniq)\n"
	"keygen  makes a signing key without passphrase for a bot and prints its\n"
	"        fingerprint (default expiry 730 days)\n\n"
	"Only signatures by pinned keys count, whatever gpg's trust database says: the\n"
	"pins are evidence.pinned_keys in .maestro/config.json at HEAD plus --pin; with\n"
	"neither, the signing key alone. The signing key is --signing-key, else\n"
	"evidence.signing_key, else git config user.signingkey. GNUPGHOME (or\n"
	"--gnupghome) selects the keyring. How to check everything with plain git and\n"
	"gpg: docs/AUDITOR.md.\n",
	run_evidence,
};
