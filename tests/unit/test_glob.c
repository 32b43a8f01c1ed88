/* Unit tests for util/glob: wildcard semantics, anchoring, classes, escapes, linear time. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util/glob.h"

#define MATCH(p, s) ck_assert_msg(mc_glob_match(p, s) == 1, "'%s' should match '%s'", p, s)
#define NO_MATCH(p, s) ck_assert_msg(mc_glob_match(p, s) == 0, "'%s' should not match '%s'", p, s)

START_TEST(star_stays_within_a_segment)
{
	MATCH("src/*.c", "src/main.c");
	MATCH("src/*.c", "src/.c");
	NO_MATCH("src/*.c", "src/sub/main.c");
	NO_MATCH("src/*.c", "src/main.h");
	MATCH("src/*", "src/x");
	NO_MATCH("src/*", "src/x/y");
	MATCH("a*b*c", "abc");
	MATCH("a*b*c", "axxbyyc");
	NO_MATCH("a*b*c", "axxbyy");
}
END_TEST

START_TEST(globstar_crosses_segments)
{
	MATCH("src/**", "src/a");
	MATCH("src/**", "src/a/b/c.c");
	NO_MATCH("src/**", "src");
	NO_MATCH("src/**", "srcx/a");
	MATCH("src/**/*.c", "src/a.c");
	MATCH("src/**/*.c", "src/x/y/a.c");
	NO_MATCH("src/**/*.c", "src/x/y/a.h");
	MATCH("**/test_*.c", "test_a.c");
	MATCH("**/test_*.c", "tests/unit/test_a.c");
	MATCH("a/**/b", "a/b");
	MATCH("a/**/b", "a/x/b");
	MATCH("a/**/b", "a/x/y/z/b");
	NO_MATCH("a/**/b", "a/xb");
	NO_MATCH("a/**/b", "ab");
	/* "**" inside a segment is a run that may cross '/' */
	MATCH("src/**.c", "src/a/b.c");
	MATCH("**", "anything/at/all");
}
END_TEST

START_TEST(question_mark_and_classes)
{
	MATCH("file?.txt", "file1.txt");
	NO_MATCH("file?.txt", "file10.txt");
	NO_MATCH("a?b", "a/b");
	MATCH("[abc].c", "b.c");
	NO_MATCH("[abc].c", "d.c");
	MATCH("v[0-9].txt", "v7.txt");
	NO_MATCH("v[0-9].txt", "vx.txt");
	MATCH("[!x]y", "ay");
	NO_MATCH("[!x]y", "xy");
	MATCH("[^x]y", "zy");
	NO_MATCH("a[!x]b", "a/b");
	MATCH("[]]", "]");
	MATCH("[a-]", "-");
	MATCH("[\\]x]", "]");
	/* an unterminated class is a literal '[' */
	MATCH("a[b", "a[b");
	NO_MATCH("a[b", "ab");
}
END_TEST

START_TEST(backslash_escapes)
{
	MATCH("\\*.c", "*.c");
	NO_MATCH("\\*.c", "a.c");
	MATCH("what\\?", "what?");
	NO_MATCH("what\\?", "whatx");
	MATCH("\\[x]", "[x]");
	MATCH("end\\", "end\\");
}
END_TEST

START_TEST(basename_patterns_match_at_any_depth)
{
	MATCH("*.pem", "key.pem");
	MATCH("*.pem", "certs/dev/key.pem");
	NO_MATCH("*.pem", "certs.pem/readme");
	MATCH("Makefile", "Makefile");
	MATCH("Makefile", "sub/dir/Makefile");
	NO_MATCH("Makefile", "sub/Makefile.am");
	NO_MATCH("Makefile", "xMakefile");
}
END_TEST

START_TEST(anchoring)
{
	MATCH("/Makefile", "Makefile");
	NO_MATCH("/Makefile", "sub/Makefile");
	MATCH("/src/*.c", "src/a.c");
	NO_MATCH("/src/*.c", "lib/src/a.c");
	/* a '/' in the middle anchors too, as in .gitignore */
	NO_MATCH("src/*.c", "lib/src/a.c");
	/* a leading '/' on the path is tolerated */
	MATCH("src/*.c", "/src/a.c");
}
END_TEST

START_TEST(directory_patterns)
{
	MATCH("docs/", "docs/a.md");
	MATCH("docs/", "docs/x/y.md");
	MATCH("docs/", "sub/docs/a.md");
	NO_MATCH("docs/", "docs");
	NO_MATCH("docs/", "mydocs/a.md");
	MATCH("/docs/", "docs/a.md");
	NO_MATCH("/docs/", "sub/docs/a.md");
	MATCH(".github/workflows/", ".github/workflows/ci.yml");
	NO_MATCH(".github/workflows/", "x/.github/workflows/ci.yml");
}
END_TEST

START_TEST(empty_inputs)
{
	NO_MATCH("", "a");
	NO_MATCH("*", "");
	ck_assert_int_eq(mc_glob_match(NULL, "a"), 0);
	ck_assert_int_eq(mc_glob_match("a", NULL), 0);
}
END_TEST

START_TEST(pathological_patterns_finish_fast)
{
	/* A backtracking matcher needs ~n^7 steps here; the NFA needs n * 15. */
	size_t n = 100000;
	char *s = malloc(n + 1);
	memset(s, 'a', n);
	s[n] = '\0';
	NO_MATCH("a*a*a*a*a*a*a*b", s);
	NO_MATCH("**a**a**a**a**a**a**a**b", s);
	s[n - 1] = 'b';
	MATCH("a*a*a*a*a*a*a*b", s);
	/* a deep path against many globstars */
	for (size_t i = 1; i < n; i += 2)
		s[i] = '/';
	s[n - 1] = 'z';
	NO_MATCH("**/**/**/**/**/**/**/**/b", s);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("glob");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, star_stays_within_a_segment);
	tcase_add_test(tc, globstar_crosses_segments);
	tcase_add_test(tc, question_mark_and_classes);
	tcase_add_test(tc, backslash_escapes);
	tcase_add_test(tc, basename_patterns_match_at_any_depth);
	tcase_add_test(tc, anchoring);
	tcase_add_test(tc, directory_patterns);
	tcase_add_test(tc, empty_inputs);
	tcase_add_test(tc, pathological_patterns_finish_fast);
	suite_add_tcase(s, tc);
	return mc_test_run(s);
}
