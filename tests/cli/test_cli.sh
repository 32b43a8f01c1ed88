#!/usr/bin/env bash
# The command line itself: help for every command, --version, the documented
# exit statuses for usage errors.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

expect_exit 0 "maestro help" "$MAESTRO" help
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$out" | awk 'NF && !/Commands:/ {print $1}')
[ -n "$commands" ] || fail "no commands listed"
grep -q "^Exit status:" <<<"$out" || fail "exit statuses are not documented in help"
for c in $commands; do
	expect_exit 0 "maestro help $c" "$MAESTRO" help "$c"
	grep -q "^usage: maestro $c" <<<"$out" || fail "help $c has no usage line"
done
expect_exit 2 "no command" "$MAESTRO"
expect_exit 2 "unknown command" "$MAESTRO" frobnicate
expect_one_line "unknown command" "'frobnicate' is not a maestro command"
expect_exit 2 "help for an unknown command" "$MAESTRO" help frobnicate
expect_exit 0 "--version" "$MAESTRO" --version
grep -Eq '^maestro [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out" || fail "--version prints: $out"
expect_exit 0 "version --format json" "$MAESTRO" version --format json
jq -e '.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")' <<<"$out" >/dev/null || fail "version json: $out"
expect_exit 2 "version --format xml" "$MAESTRO" version --format xml
finish
