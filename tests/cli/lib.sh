# Helpers shared by the CLI tests (sourced). Each test gets a scratch directory
# removed on exit, git identities of its own, and no user or system git config.
set -euo pipefail
MAESTRO=${MAESTRO:?MAESTRO (the maestro binary) is not set}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/maestro-cli.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export HOME=$scratch GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
# No background auto-gc: it repacks objects while a later command (clone) copies them.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=gc.auto GIT_CONFIG_VALUE_0=0
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# new_repo DIR: an empty repository on branch main with one commit.
new_repo() {
	git init -q -b main "$1"
	echo "# demo" >"$1/README.md"
	git -C "$1" add README.md
	git -C "$1" commit -q -m "Initial commit"
}

# commit_all DIR MESSAGE: commit everything in the work tree.
commit_all() {
	git -C "$1" add -A
	git -C "$1" commit -q -m "$2"
}

# expect_exit CODE DESCRIPTION CMD...: run CMD, check its status, keep its output
# in $out (stdout) and $err (stderr).
expect_exit() {
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
	out=$(cat "$scratch/out")
	err=$(cat "$scratch/err")
	if [ "$rc" -ne "$want" ]; then
		fail "$what: exit $rc, expected $want; stderr: $err"
		return 1
	fi
	pass "$what"
}

# expect_one_line WHAT PATTERN: stderr is exactly one line matching PATTERN (grep -E).
expect_one_line() {
	local lines
	lines=$(printf '%s\n' "$err" | grep -c . || true)
	if [ "$lines" -ne 1 ] || ! printf '%s\n' "$err" | grep -Eq -- "$2"; then
		fail "$1: expected one line matching '$2', got: $err"
	fi
}

# wait_listen PID STATE_DIR LOG: until the daemon PID has written its address to
# STATE_DIR/listen, 30 s at most; else the test fails with the end of its LOG.
wait_listen() {
	for _ in $(seq 300); do
		[ -s "$2/listen" ] && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	fail "the daemon did not start: $(tail -n 5 "$3")"
	finish
}

# show_logs_if_failed STATUS LOG...: in an exit trap (STATUS is $? there), after a
# failed check or an aborted script, the end of each log without its per-request
# "http" lines, so that a CI log says what the daemon and the fake forge did.
show_logs_if_failed() {
	local status=$1 f
	shift
	[ "$status" -ne 0 ] || [ "$failures" -ne 0 ] || return 0
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "--- the end of $(basename "$f"):" >&2
		grep -v '"http' "$f" | tail -n 20 >&2 || true
	done
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed" >&2
		exit 1
	fi
	echo "all checks passed"
}
