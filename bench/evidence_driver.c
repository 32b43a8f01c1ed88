/*
 * bench/evidence_driver: the parts of bench/evidence that need maestro's library
 * (libmaestro_core.a) rather than its command line. Each action prints one line of
 * "key=value" pairs for the script to read; times are wall-clock seconds.
 *
 *   append DIR GNUPGHOME FPR RECORDS COMMITS
 *       RECORDS distinct override records, one mc_evidence_record call each, spread
 *       over the newest COMMITS commits of DIR; where recording spent its time
 *       (mc_evidence_get_stats).
 *   fill DIR GNUPGHOME FPR RECORDS BATCH
 *       RECORDS more records over every commit of DIR with mc_evidence_record_many,
 *       BATCH per notes commit.
 *   verify DIR GNUPGHOME FPR THREADS
 *       mc_evidence_verify of everything, with THREADS gpg contexts (1: serial).
 *   sign-commits DIR GNUPGHOME FPR N OUT
 *       N distinct commits signed by FPR (gpgsig header, as git commit -S makes) in
 *       DIR, their ids written to OUT: the baseline's `git verify-commit` loop checks
 *       them. Signed on several threads, one gpg context each.
 */
#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/git/repo.h"
#include "adapters/sign/gpg.h"
#include "model/config.h"
#include "pipeline/evidence.h"
#include "util/error.h"
#include "util/json.h"

#define MAX_SIGNERS 16

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "evidence_driver: %s: %s\n", what, mc_error_message());
	exit(1);
}

static size_t count_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v <= 0) {
		fprintf(stderr, "evidence_driver: '%s' is not a positive count\n", s);
		exit(2);
	}
	return (size_t)v;
}

/* The ids of HEAD's first-parent history, newest first, at most max. */
static char **commits_of(mc_repo *repo, size_t max, size_t *n)
{
	git_revwalk *walk = NULL;
	git_oid id;
	char **out = calloc(max, sizeof *out);

	*n = 0;
	if (git_revwalk_new(&walk, mc_repo_git(repo)) != 0 || git_revwalk_push_head(walk) != 0) {
		fprintf(stderr, "evidence_driver: cannot walk HEAD\n");
		exit(1);
	}
	while (*n < max && git_revwalk_next(&id, walk) == 0) {
		out[*n] = malloc(GIT_OID_HEXSZ + 1);
		git_oid_tostr(out[(*n)++], GIT_OID_HEXSZ + 1, &id);
	}
	git_revwalk_free(walk);
	return out;
}

static mc_evidence *open_evidence(mc_repo *repo, mc_config *cfg, const char *home,
				  const char *fpr, unsigned threads)
{
	mc_evidence_options opt = { 0 };
	mc_evidence *ev = NULL;
	opt.gnupghome = home;
	opt.signing_key = fpr;
	opt.pins = (const char *const[]){ fpr };
	opt.npins = 1;
	opt.threads = threads;
	mc_config_defaults(cfg);
	if (mc_evidence_open(&ev, repo, cfg, &opt, 1) != 0)
		die("opening the evidence store");
	return ev;
}

/* A distinct, valid override predicate for record number i. */
static struct json_object *predicate(size_t i)
{
	struct json_object *o = NULL;
	char text[256];
	snprintf(text, sizeof text,
		 "{\"who\":\"@bench\",\"at\":\"2026-11-25T08:00:00Z\",\"action\":\"set\","
		 "\"reason\":\"bench record %zu\",\"before\":%zu,\"after\":%zu}", i, i, i + 1);
	if (mc_json_parse(&o, text, strlen(text), strlen(text), "predicate") != 0)
		die("building a predicate");
	return o;
}

static int cmd_append(mc_repo *repo, const char *home, const char *fpr, size_t records,
		      size_t ncommits)
{
	mc_config cfg;
	mc_evidence *ev = open_evidence(repo, &cfg, home, fpr, 0);
	size_t n, i, written = 0;
	char **commits = commits_of(repo, ncommits, &n);
	const mc_evidence_stats *st;
	double t0, total;

	if (n < ncommits) {
		fprintf(stderr, "evidence_driver: only %zu commits\n", n);
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < records; i++) {
		struct json_object *p = predicate(i);
		int appended = 0;
		if (mc_evidence_record(&appended, ev, MC_EV_OVERRIDE, "bench", commits[i % n], p) != 0)
			die("recording");
		written += (size_t)appended;
		json_object_put(p);
	}
	total = now_s() - t0;
	st = mc_evidence_get_stats(ev);
	printf("records=%zu seconds=%.3f check=%.3f dedup=%.3f envelope_sign=%.3f notes=%.3f "
	       "commit_sign=%.3f envelopes=%lu commits=%lu\n", written, total, st->check_s,
	       st->dedup_s, st->envelope_sign_s, st->notes_s, st->commit_sign_s, st->envelopes,
	       st->commits);
	for (i = 0; i < n; i++)
		free(commits[i]);
	free(commits);
	mc_evidence_close(ev);
	mc_config_free(&cfg);
	return written == records ? 0 : 1;
}

static int cmd_fill(mc_repo *repo, const char *home, const char *fpr, size_t records,
		    size_t batch)
{
	mc_config cfg;
	mc_evidence *ev = open_evidence(repo, &cfg, home, fpr, 0);
	size_t n, i, done, written = 0;
	char **commits = commits_of(repo, (size_t)1 << 20, &n);
	mc_evidence_item *items = calloc(batch, sizeof *items);
	double t0 = now_s();

	for (done = 0; done < records; done += batch) {
		size_t k = records - done < batch ? records - done : batch;
		int appended = 0;
		for (i = 0; i < k; i++) {
			/* numbered after any append run's records, so all are distinct */
			items[i].kind = MC_EV_OVERRIDE;
			items[i].commit = commits[(done + i) % n];
			items[i].predicate = predicate(1000000 + done + i);
		}
		if (mc_evidence_record_many(&appended, ev, "bench", items, k) != 0)
			die("recording a batch");
		written += (size_t)appended;
		for (i = 0; i < k; i++)
			json_object_put(items[i].predicate);
	}
	printf("records=%zu seconds=%.3f\n", written, now_s() - t0);
	for (i = 0; i < n; i++)
		free(commits[i]);
	free(commits);
	free(items);
	mc_evidence_close(ev);
	mc_config_free(&cfg);
	return written == records ? 0 : 1;
}

static int cmd_verify(mc_repo *repo, const char *home, const char *fpr, unsigned threads)
{
	mc_config cfg;
	mc_evidence *ev = open_evidence(repo, &cfg, home, fpr, threads);
	mc_evidence_report r;
	double t0 = now_s();

	if (mc_evidence_verify(&r, ev, NULL, 0) != 0)
		die("verifying");
	printf("records=%u commits=%u notes_commits=%u seconds=%.3f\n", r.records, r.targets,
	       r.notes_commits, now_s() - t0);
	mc_evidence_close(ev);
	mc_config_free(&cfg);
	return 0;
}

/* ---- signed commits for git's own loop ---- */

struct signing {
	const char *home, *fpr;
	git_buf *bufs;
	char **sigs;
	size_t n, next;
	int failed;
};

static void *sign_worker(void *arg)
{
	struct signing *s = arg;
	mc_gpg_options opt = { s->home, s->fpr };
	mc_gpg *g = NULL;
	size_t i, len;

	if (mc_gpg_open(&g, &opt) != 0) {
		fprintf(stderr, "evidence_driver: %s\n", mc_error_message());
		__atomic_store_n(&s->failed, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	while ((i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED)) < s->n) {
		if (mc_gpg_sign(g, s->bufs[i].ptr, s->bufs[i].size, 1, &s->sigs[i], &len) != 0) {
			fprintf(stderr, "evidence_driver: %s\n", mc_error_message());
			__atomic_store_n(&s->failed, 1, __ATOMIC_RELAXED);
			break;
		}
		while (len > 0 && s->sigs[i][len - 1] == '\n') /* as git writes the header */
			s->sigs[i][--len] = '\0';
	}
	mc_gpg_free(g);
	return NULL;
}

static int cmd_sign_commits(mc_repo *repo, const char *home, const char *fpr, size_t n,
			    const char *out_path)
{
	git_repository *git = mc_repo_git(repo);
	struct signing s = { home, fpr, calloc(n, sizeof(git_buf)), calloc(n, sizeof(char *)), n,
			     0, 0 };
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_signature *who = NULL;
	git_oid tree_id, id;
	pthread_t tids[MAX_SIGNERS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i, nthreads = cpus > 0 ? (size_t)(2 * cpus) : 2;
	FILE *out = fopen(out_path, "w");
	double t0 = now_s();

	if (!out || git_treebuilder_new(&tb, git, NULL) != 0 ||
	    git_treebuilder_write(&tree_id, tb) != 0 || git_tree_lookup(&tree, git, &tree_id) != 0 ||
	    git_signature_now(&who, "Bench", "bench@example.com") != 0) {
		fprintf(stderr, "evidence_driver: preparing commits failed\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		char message[64];
		snprintf(message, sizeof message, "bench signed commit %zu\n", i);
		if (git_commit_create_buffer(&s.bufs[i], git, who, who, NULL, message, tree, 0,
					     NULL) != 0)
			return 1;
	}
	if (nthreads > MAX_SIGNERS)
		nthreads = MAX_SIGNERS;
	for (i = 0; i < nthreads; i++)
		pthread_create(&tids[i], NULL, sign_worker, &s);
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < n && !s.failed; i++) {
		if (git_commit_create_with_signature(&id, git, s.bufs[i].ptr, s.sigs[i], NULL) != 0)
			return 1;
		fprintf(out, "%s\n", git_oid_tostr_s(&id));
	}
	fclose(out);
	printf("commits=%zu seconds=%.3f\n", s.failed ? 0 : n, now_s() - t0);
	for (i = 0; i < n; i++) {
		git_buf_dispose(&s.bufs[i]);
		free(s.sigs[i]);
	}
	free(s.bufs);
	free(s.sigs);
	git_signature_free(who);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	return s.failed;
}

int main(int argc, char **argv)
{
	mc_repo *repo = NULL;
	int rc;

	if (argc < 5) {
		fprintf(stderr, "usage: evidence_driver append|fill|verify|sign-commits DIR GNUPGHOME "
				"FPR ...\n");
		return 2;
	}
	git_libgit2_init();
	if (mc_repo_open(&repo, argv[2]) != 0)
		die(argv[2]);
	if (!strcmp(argv[1], "append") && argc == 7)
		rc = cmd_append(repo, argv[3], argv[4], count_arg(argv[5]), count_arg(argv[6]));
	else if (!strcmp(argv[1], "fill") && argc == 7)
		rc = cmd_fill(repo, argv[3], argv[4], count_arg(argv[5]), count_arg(argv[6]));
	else if (!strcmp(argv[1], "verify") && argc == 6)
		rc = cmd_verify(repo, argv[3], argv[4], (unsigned)count_arg(argv[5]));
	else if (!strcmp(argv[1], "sign-commits") && argc == 7)
		rc = cmd_sign_commits(repo, argv[3], argv[4], count_arg(argv[5]), argv[6]);
	else {
		fprintf(stderr, "evidence_driver: bad arguments for '%s'\n", argv[1]);
		rc = 2;
	}
	mc_repo_free(repo);
	git_libgit2_shutdown();
	return rc;
}
