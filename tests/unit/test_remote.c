/* Tests for moving one ref between repositories (adapters/git/remote.h) over local paths and
 * file:// URLs: fast-forward pushes and fetches, refused non-fast-forward pushes, a remote
 * that rewrote its history, missing refs, redaction of URL credentials, network timeouts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/git/remote.h"
#include "adapters/git/repo.h"
#include "testutil.h"
#include "util/error.h"

#define REF "refs/notes/maestro"

#ifdef __SANITIZE_ADDRESS__
/* Leaks inside libgit2 1.5.1's ssh transport on every connection, none of them ours: the
 * known_hosts collection it loads is never freed (libssh2_knownhost_init), nor are the
 * HOME and path strings of load_known_hosts (git_str_clear does not free). The only named
 * frame of the latter is the public entry point, which only a full unwind reaches (libgit2
 * has no frame pointers). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libssh2_knownhost_init\nleak:git_remote_connect_ext\n";
}
#endif

/* A work tree with a few commits, a second one, and an empty bare repository. */
typedef struct world {
	char *tmp, *local, *other, *bare, *bare_url;
	char *c1, *c2; /* c1 <- c2 on the local repository's main */
	mc_repo *local_repo, *other_repo;
} world;

static char *join(const char *a, const char *b)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s%s", a, b), 0);
	return p;
}

static void world_make(world *w)
{
	memset(w, 0, sizeof *w);
	w->tmp = mc_test_tmpdir();
	w->local = join(w->tmp, "/local");
	w->other = join(w->tmp, "/other");
	w->bare = join(w->tmp, "/bare.git");
	w->bare_url = join("file://", w->bare);
	mc_test_write(w->local, "a.txt", "one\n");
	mc_test_git_init(w->local, "main");
	w->c1 = mc_test_commit(w->local, "first");
	mc_test_write(w->local, "a.txt", "two\n");
	w->c2 = mc_test_commit(w->local, "second");
	mc_test_write(w->other, "README", "other\n");
	mc_test_git_init(w->other, "main");
	mc_test_git(w->tmp, "init", "-q", "--bare", w->bare, NULL);
	ck_assert_int_eq(mc_repo_open(&w->local_repo, w->local), 0);
	ck_assert_int_eq(mc_repo_open(&w->other_repo, w->other), 0);
}

static void world_free(world *w)
{
	mc_repo_free(w->local_repo);
	mc_repo_free(w->other_repo);
	mc_test_rmtree(w->tmp);
	free(w->tmp);
	free(w->local);
	free(w->other);
	free(w->bare);
	free(w->bare_url);
	free(w->c1);
	free(w->c2);
}

/* The id ref names in the repository at dir, or "" when there is none. */
static char *ref_at(const char *dir, const char *ref)
{
	return mc_test_git_out(dir, "for-each-ref", "--format=%(objectname)", ref, NULL);
}

static void check_push_fetch(const char *remote_of_bare, world *w)
{
	char tip[41], *id;

	mc_test_git(w->local, "update-ref", REF, w->c1, NULL);
	ck_assert_msg(mc_remote_push_ref(w->local_repo, remote_of_bare, REF, NULL) == 0, "%s",
		      mc_error_message());
	id = ref_at(w->bare, REF);
	ck_assert_str_eq(id, w->c1);
	free(id);

	ck_assert_msg(mc_remote_fetch_ref(tip, w->other_repo, remote_of_bare, REF,
					  "refs/notes/remotes/bare/maestro", NULL) == 0,
		      "%s", mc_error_message());
	ck_assert_str_eq(tip, w->c1);
	id = ref_at(w->other, "refs/notes/remotes/bare/maestro");
	ck_assert_str_eq(id, w->c1);
	free(id);

	/* A fast-forward both ways. */
	mc_test_git(w->local, "update-ref", REF, w->c2, NULL);
	ck_assert_msg(mc_remote_push_ref(w->local_repo, remote_of_bare, REF, NULL) == 0, "%s",
		      mc_error_message());
	id = ref_at(w->bare, REF);
	ck_assert_str_eq(id, w->c2);
	free(id);
	ck_assert_msg(mc_remote_fetch_ref(tip, w->other_repo, remote_of_bare, REF,
					  "refs/notes/remotes/bare/maestro", NULL) == 0,
		      "%s", mc_error_message());
	ck_assert_str_eq(tip, w->c2);
	id = ref_at(w->other, "refs/notes/remotes/bare/maestro");
	ck_assert_str_eq(id, w->c2);
	free(id);
	/* Fetching an unchanged tip again is fine. */
	ck_assert_int_eq(mc_remote_fetch_ref(tip, w->other_repo, remote_of_bare, REF,
					     "refs/notes/remotes/bare/maestro", NULL), 0);
	ck_assert_str_eq(tip, w->c2);
}

START_TEST(push_and_fetch_by_local_path)
{
	world w;
	world_make(&w);
	check_push_fetch(w.bare, &w);
	world_free(&w);
}
END_TEST

START_TEST(push_and_fetch_by_file_url)
{
	world w;
	world_make(&w);
	check_push_fetch(w.bare_url, &w);
	world_free(&w);
}
END_TEST

START_TEST(push_and_fetch_by_configured_remote_name)
{
	world w;
	char *name;
	world_make(&w);
	mc_test_git(w.local, "remote", "add", "origin", w.bare, NULL);
	mc_test_git(w.other, "remote", "add", "origin", w.bare_url, NULL);
	check_push_fetch("origin", &w);
	name = mc_remote_tracking_name("origin");
	ck_assert_str_eq(name, "origin");
	free(name);
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, "no-such-remote", REF, NULL), MC_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "no-such-remote"));
	world_free(&w);
}
END_TEST

/* git config key url.<base>.<variable> (free() it). */
static char *url_key(const char *base, const char *variable)
{
	char *key;
	ck_assert_int_ge(asprintf(&key, "url.%s.%s", base, variable), 0);
	return key;
}

START_TEST(urls_are_rewritten_like_git_does)
{
	world w;
	char *id, *dead, *push_base, *fetch_base, *key, tip[41];
	world_make(&w);

	/* "ev:" alone would lead nowhere; the longer prefixes lead to the bare repository:
	 * pushInsteadOf "ev:b" for pushes, insteadOf "ev:bar" for everything else. */
	dead = url_key("file:///nonexistent/", "insteadOf");
	mc_test_git(w.local, "config", dead, "ev:", NULL);
	push_base = join(w.bare_url, "-unused");
	push_base[strlen(w.bare_url) - strlen("are.git")] = '\0'; /* file://.../b */
	key = url_key(push_base, "pushInsteadOf");
	mc_test_git(w.local, "config", key, "ev:b", NULL);
	free(key);
	fetch_base = join(w.bare_url, "");
	fetch_base[strlen(w.bare_url) - strlen("e.git")] = '\0'; /* file://.../bar */
	key = url_key(fetch_base, "insteadOf");
	mc_test_git(w.local, "config", key, "ev:bar", NULL);
	free(key);

	mc_test_git(w.local, "update-ref", REF, w.c1, NULL);
	ck_assert_msg(mc_remote_push_ref(w.local_repo, "ev:bare.git", REF, NULL) == 0, "%s",
		      mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, w.c1);
	free(id);
	ck_assert_msg(mc_remote_fetch_ref(tip, w.local_repo, "ev:bare.git", REF,
					  "refs/notes/remotes/ev/maestro", NULL) == 0,
		      "%s", mc_error_message());
	ck_assert_str_eq(tip, w.c1);

	/* Without the longer rules "ev:" wins, and nothing is there. */
	mc_test_git(w.local, "config", "--unset", key = url_key(fetch_base, "insteadOf"), NULL);
	free(key);
	ck_assert_int_lt(mc_remote_fetch_ref(tip, w.local_repo, "ev:bare.git", REF,
					     "refs/notes/remotes/ev/maestro", NULL), 0);
	ck_assert_msg(strstr(mc_error_message(), "nonexistent"), "%s", mc_error_message());
	free(dead);
	free(push_base);
	free(fetch_base);
	world_free(&w);
}
END_TEST

START_TEST(non_fast_forward_push_is_refused)
{
	world w;
	char *x, *id, tip[41], *tree, *merge;
	world_make(&w);

	/* Someone else's evidence reaches the remote first. */
	x = mc_test_commit(w.other, "other's evidence");
	mc_test_git(w.other, "update-ref", REF, x, NULL);
	ck_assert_msg(mc_remote_push_ref(w.other_repo, w.bare_url, REF, NULL) == 0, "%s",
		      mc_error_message());

	/* Pushing ours without having fetched: the remote's tip is not even known here. */
	mc_test_git(w.local, "update-ref", REF, w.c2, NULL);
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.bare_url, REF, NULL), MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), "the remote has evidence this repository does not; "
					       "fetch first"), "%s", mc_error_message());
	ck_assert_ptr_nonnull(strstr(mc_error_message(), x));
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, x);
	free(id);

	/* Fetched but not merged: the objects are here, the push is still no fast-forward. */
	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.local_repo, w.bare, REF,
					     "refs/notes/remotes/bare/maestro", NULL), 0);
	ck_assert_str_eq(tip, x);
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.bare, REF, NULL), MC_EVERIFY);
	ck_assert_msg(strstr(mc_error_message(), "does not contain"), "%s", mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, x);
	free(id);

	/* After merging both histories the push goes through. */
	tree = join(w.c2, "^{tree}");
	merge = mc_test_git_out(w.local, "commit-tree", tree, "-p", w.c2, "-p", x, "-m", "merge",
				NULL);
	mc_test_git(w.local, "update-ref", REF, merge, NULL);
	ck_assert_msg(mc_remote_push_ref(w.local_repo, w.bare, REF, NULL) == 0, "%s",
		      mc_error_message());
	id = ref_at(w.bare, REF);
	ck_assert_str_eq(id, merge);
	free(id);
	free(tree);
	free(merge);
	free(x);
	world_free(&w);
}
END_TEST

START_TEST(rewritten_remote_ref_is_refused)
{
	world w;
	char *y, *id, tip[41];
	const char *tracking = "refs/notes/remotes/bare/maestro";
	world_make(&w);

	mc_test_git(w.local, "update-ref", REF, w.c2, NULL);
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.bare, REF, NULL), 0);
	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.other_repo, w.bare_url, REF, tracking, NULL), 0);

	/* A commit beside c2 (parent c1) reaches the bare repository, whose evidence ref is
	 * then forced onto it behind everyone's back. */
	mc_test_git(w.local, "checkout", "-q", "-b", "side", w.c1, NULL);
	y = mc_test_commit(w.local, "rewritten history");
	mc_test_git(w.local, "push", "-q", w.bare, "side", NULL);
	mc_test_git(w.bare, "update-ref", REF, y, NULL);

	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.other_repo, w.bare_url, REF, tracking, NULL),
			 MC_EVERIFY);
	ck_assert_str_eq(tip, y);
	ck_assert_msg(strstr(mc_error_message(), y) && strstr(mc_error_message(), w.c2),
		      "the message names both ids: %s", mc_error_message());
	id = ref_at(w.other, tracking);
	ck_assert_str_eq(id, w.c2);
	free(id);

	/* Rewound to an ancestor is a rewrite too. */
	mc_test_git(w.bare, "update-ref", REF, w.c1, NULL);
	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.other_repo, w.bare_url, REF, tracking, NULL),
			 MC_EVERIFY);
	id = ref_at(w.other, tracking);
	ck_assert_str_eq(id, w.c2);
	free(id);
	free(y);
	world_free(&w);
}
END_TEST

START_TEST(missing_refs_are_not_found)
{
	world w;
	char tip[41] = "x", *id;
	world_make(&w);

	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.other_repo, w.bare, REF,
					     "refs/notes/remotes/bare/maestro", NULL), MC_ENOTFOUND);
	ck_assert_str_eq(tip, "");
	ck_assert_ptr_nonnull(strstr(mc_error_message(), REF));
	id = ref_at(w.other, "refs/notes/remotes/bare/maestro");
	ck_assert_str_eq(id, "");
	free(id);

	/* The remote has other refs, just not this one. */
	mc_test_git(w.local, "push", "-q", w.bare, "main", NULL);
	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.other_repo, w.bare_url, REF,
					     "refs/notes/remotes/bare/maestro", NULL), MC_ENOTFOUND);

	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.bare, REF, NULL), MC_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "no local ref"));
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, w.bare, "maestro", NULL), MC_EINVAL);
	world_free(&w);
}
END_TEST

START_TEST(a_missing_repository_is_an_error)
{
	world w;
	char *missing;
	world_make(&w);
	missing = join(w.tmp, "/nowhere.git");
	mc_test_git(w.local, "update-ref", REF, w.c1, NULL);
	ck_assert_int_lt(mc_remote_push_ref(w.local_repo, missing, REF, NULL), 0);
	ck_assert_ptr_nonnull(strstr(mc_error_message(), "nowhere.git"));
	free(missing);
	world_free(&w);
}
END_TEST

static void check_redacted(const char *in, const char *want)
{
	char *got = mc_remote_redact(in);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(redaction_of_url_credentials)
{
	check_redacted("https://user:s3cret@example.com/org/ev.git",
		       "https://***@example.com/org/ev.git");
	check_redacted("https://ghp_TOKEN@example.com/x", "https://***@example.com/x");
	check_redacted("fetching from http://a:b@h:8080 failed; again https://c:d@e/f",
		       "fetching from http://***@h:8080 failed; again https://***@e/f");
	check_redacted("https://u:p@ss@host/p", "https://***@host/p");
	check_redacted("ssh://git@example.com:2222/ev.git", "ssh://git@example.com:2222/ev.git");
	check_redacted("ssh://git:pw@example.com/ev.git", "ssh://***@example.com/ev.git");
	check_redacted("git@example.com:org/ev.git", "git@example.com:org/ev.git");
	check_redacted("https://example.com/a@b", "https://example.com/a@b");
	check_redacted("/srv/ev.git", "/srv/ev.git");
	check_redacted("", "");
}
END_TEST

/* A TCP port on 127.0.0.1 nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

START_TEST(errors_never_show_url_credentials)
{
	world w;
	char url[256], tip[41], *name;
	mc_remote_options opt = { .timeout_seconds = 20 };
	world_make(&w);
	mc_test_git(w.local, "update-ref", REF, w.c1, NULL);

	snprintf(url, sizeof url, "https://user:s3cret-token@127.0.0.1:%d/ev.git", closed_port());
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, url, REF, &opt), MC_EIO);
	ck_assert_msg(!strstr(mc_error_message(), "s3cret"), "%s", mc_error_message());
	ck_assert_msg(strstr(mc_error_message(), "https://***@127.0.0.1"), "%s", mc_error_message());
	ck_assert_int_lt(mc_remote_fetch_ref(tip, w.local_repo, url, REF,
					     "refs/notes/remotes/x/maestro", &opt), 0);
	ck_assert_msg(!strstr(mc_error_message(), "s3cret"), "%s", mc_error_message());

	name = mc_remote_tracking_name(url);
	ck_assert_msg(!strstr(name, "s3cret") && !strstr(name, "user"), "%s", name);
	free(name);
	world_free(&w);
}
END_TEST

START_TEST(tracking_names)
{
	static const char *cases[][2] = {
		{ "origin", "origin" },
		{ "https://user:tok@example.com/org/ev.git", "example.com-org-ev" },
		{ "ssh://git@example.com:2222/srv/ev.git/", "example.com-2222-srv-ev" },
		{ "git@example.com:org/ev.git", "example.com-org-ev" },
		{ "/srv/git/../ev.lock", "srv-git-ev-lock" },
		{ "file:///tmp/x/bare.git", "tmp-x-bare" },
		{ "../up", "up" },
		{ "///", "remote" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = mc_remote_tracking_name(cases[i][0]);
		ck_assert_msg(!strcmp(got, cases[i][1]), "%s gave %s, want %s", cases[i][0], got,
			      cases[i][1]);
		free(got);
	}
}
END_TEST

/* A listening socket that never answers: the connection is accepted by the kernel (the
 * backlog) but no server ever speaks. */
static int silent_listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

START_TEST(silent_servers_time_out)
{
	world w;
	char url[256], tip[41];
	int port, s;
	mc_remote_options opt = { .timeout_seconds = 1, .known_hosts = "/dev/null" };
	world_make(&w);
	s = silent_listener(&port);
	mc_test_git(w.local, "update-ref", REF, w.c1, NULL);

	snprintf(url, sizeof url, "ssh://git@127.0.0.1:%d/ev.git", port);
	ck_assert_int_eq(mc_remote_fetch_ref(tip, w.local_repo, url, REF,
					     "refs/notes/remotes/x/maestro", &opt), MC_EIO);
	ck_assert_msg(strstr(mc_error_message(), "timed out"), "%s", mc_error_message());

	snprintf(url, sizeof url, "http://127.0.0.1:%d/ev.git", port);
	ck_assert_int_eq(mc_remote_push_ref(w.local_repo, url, REF, &opt), MC_EIO);
	ck_assert_msg(strstr(mc_error_message(), "timed out"), "%s", mc_error_message());
	close(s);
	world_free(&w);
}
END_TEST

static Suite *remote_suite(void)
{
	Suite *s = suite_create("remote");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, push_and_fetch_by_local_path);
	tcase_add_test(tc, push_and_fetch_by_file_url);
	tcase_add_test(tc, push_and_fetch_by_configured_remote_name);
	tcase_add_test(tc, urls_are_rewritten_like_git_does);
	tcase_add_test(tc, non_fast_forward_push_is_refused);
	tcase_add_test(tc, rewritten_remote_ref_is_refused);
	tcase_add_test(tc, missing_refs_are_not_found);
	tcase_add_test(tc, a_missing_repository_is_an_error);
	tcase_add_test(tc, redaction_of_url_credentials);
	tcase_add_test(tc, errors_never_show_url_credentials);
	tcase_add_test(tc, tracking_names);
	tcase_add_test(tc, silent_servers_time_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mc_test_run(remote_suite());
}
