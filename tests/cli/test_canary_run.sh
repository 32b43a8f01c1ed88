#!/usr/bin/env bash
# `maestro canary run` on a real repository whose run command is a small shell
# script printing JSON Lines: base against a slower head (samples, interleaving,
# the record, checkouts removed, the judgement: a failing verdict and exit 1), a
# head that changes nothing measured (pass, exit 0), the configuration read from
# the base even when the head rewrites it, no secret in the sandbox's environment,
# a head that fails to build (exit 1 with its stderr), a head that outlives the
# wall clock, a base that fails (exit 3), the canary recorded as signed evidence
# with a key, no canary configured, and bad options. Only lower bounds on time are
# checked.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }
export GNUPGHOME=$(mktemp -d /tmp/mc-gpg.XXXXXX)

# Checkouts go here; the sandbox user must be able to reach them.
tmp=$(mktemp -d /tmp/maestro-canary-test.XXXXXX)
chmod 755 "$tmp"
trap 'gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null; rm -rf "$scratch" "$tmp" "$GNUPGHOME"' EXIT
export TMPDIR=$tmp
export GITHUB_TOKEN=ghp_must_not_leak

repo=$scratch/repo
new_repo "$repo"

# 1. No canary configured.
echo "notes" >"$repo/NOTES.md"
commit_all "$repo" "notes"
expect_exit 2 "no canary config" "$MAESTRO" canary run -C "$repo" HEAD~1..HEAD &&
	expect_one_line "no canary config" "no canary configured: canary.run is empty"

# 2. The base: a build step and a benchmark printing 4 samples per run.
mkdir -p "$repo/.maestro"
cat >"$repo/.maestro/config.json" <<'JSON'
{"canary": {"build": ["sh", "build.sh"], "run": ["sh", "bench.sh", "4"], "rounds": 3,
            "timeout_s": 5, "limits": {"memory_mb": 512, "processes": 64},
            "metrics": [{"name": "latency_ms", "critical": true}, {"name": "errors"}]}}
JSON
cat >"$repo/build.sh" <<'SH'
#!/bin/sh
echo "building in $PWD" >&2
echo built >built.txt
SH
cat >"$repo/bench.sh" <<'SH'
#!/bin/sh
# A benchmark: needs the build's output, prints $1 JSON Lines, and one log line.
[ -f built.txt ] || { echo "not built" >&2; exit 2; }
echo "starting benchmark"
token=0; [ -n "${GITHUB_TOKEN:-}" ] && token=1
lat=10
i=0
while [ "$i" -lt "$1" ]; do
	echo "{\"latency_ms\": $lat, \"errors\": 0, \"token_visible\": $token, \"label\": \"x\"}"
	i=$((i + 1))
done
SH
commit_all "$repo" "canary config and benchmark"
git -C "$repo" checkout -q -b feature
# The head is slower and tries to change the commands that measure it.
sed -i 's/^lat=10$/lat=12/; s/^i=0$/sleep 0.3; i=0/' "$repo/bench.sh"
cat >"$repo/.maestro/config.json" <<'JSON'
{"canary": {"run": ["sh", "-c", "echo '{\"latency_ms\": 1}'"], "rounds": 1}}
JSON
commit_all "$repo" "slower head"

# A no-op change (only notes): every judged metric passes.
git -C "$repo" checkout -q -b notes main
echo "more notes" >>"$repo/NOTES.md"
commit_all "$repo" "more notes"
if expect_exit 0 "canary run main..notes" "$MAESTRO" canary run -C "$repo" main..notes --rounds 2 \
	--out "$scratch/notes"; then
	printf '%s\n' "$out" | grep -q "^canary: pass" || fail "no-op verdict: $out"
	grep -q "no signing key" <<<"$err" || fail "no note about the missing key: $err"
fi
git -C "$repo" checkout -q feature

out_dir=$scratch/canary-out
if expect_exit 1 "canary run main..feature" "$MAESTRO" canary run -C "$repo" main..feature \
	--out "$out_dir"; then
	printf '%s\n' "$out" | grep -q "^canary: fail (critical metric latency_ms" || fail "verdict: $out"
	printf '%s\n' "$out" | grep -Eq "^latency_ms +High +10 +12 .*[+]20[.]0%" || fail "latency row: $out"
	printf '%s\n' "$out" | grep -Eq "^maestro_wall_ms +not judged" || fail "unlisted metric: $out"
	printf '%s\n' "$out" | grep -q "3 rounds, config .*:.maestro/config.json, network isolated" ||
		fail "summary line: $out"
	[ "$(printf '%s\n' "$out" | grep -c '^  round')" = 6 ] || fail "six runs expected: $out"
	[ "$(printf '%s\n' "$out" | grep -c '^  build')" = 2 ] || fail "two builds expected: $out"
fi
base=$out_dir/BASE.jsonl head=$out_dir/HEAD.jsonl record=$out_dir/canary.json
# 3 rounds x (4 lines + Maestro's own sample).
[ "$(wc -l <"$base")" = 15 ] || fail "BASE.jsonl has $(wc -l <"$base") lines"
[ "$(wc -l <"$head")" = 15 ] || fail "HEAD.jsonl has $(wc -l <"$head") lines"
[ "$(jq -s '[.[] | select(.latency_ms == 10)] | length' "$base")" = 12 ] || fail "base latency samples"
[ "$(jq -s '[.[] | select(.latency_ms == 12)] | length' "$head")" = 12 ] || fail "head latency samples"
# Only numbers are kept; Maestro measures wall time and memory itself.
[ "$(jq -s '[.[] | select(has("label"))] | length' "$base")" = 0 ] || fail "a string was kept as a metric"
[ "$(jq -s '[.[] | select(.maestro_wall_ms >= 300)] | length' "$head")" = 3 ] ||
	fail "head's runs should each take at least 300 ms: $(cat "$head")"
[ "$(jq -s '[.[] | select(.maestro_peak_rss_kb > 0 and .maestro_cpu_ms >= 0)] | length' "$base")" = 3 ] ||
	fail "Maestro's own samples missing from BASE.jsonl"
# No secret reached the benchmark.
[ "$(jq -s '[.[] | select(.token_visible == 1)] | length' "$base" "$head")" = 0 ] ||
	fail "GITHUB_TOKEN reached the sandbox"
# The record: what ran, in which order, under which limits.
jq -e '.rounds == 3 and .network_isolated and .failed == null and
	.commands.run == ["sh", "bench.sh", "4"] and .commands.build == ["sh", "build.sh"] and
	.limits.memory_mb == 512 and .limits.processes == 64 and .limits.cpu_s == 600 and .timeout_s == 5 and
	([.steps[] | "\(.side)/\(.command)/\(.round)"] ==
	 ["base/build/0", "head/build/0", "base/run/1", "head/run/1", "base/run/2", "head/run/2",
	  "base/run/3", "head/run/3"]) and
	all(.steps[]; .status == "exit 0" and .exit_code == 0) and
	all(.steps[] | select(.command == "run"); .samples == 5 and .ignored_lines == 1) and
	.samples.base_count == 15 and .samples.head_count == 15' "$record" >/dev/null ||
	fail "canary.json: $(cat "$record")"
[ -z "$(ls -A "$tmp")" ] || fail "checkouts left behind: $(ls -A "$tmp")"

# 3. --rounds and --format json; the default output directory is in the git dir.
# With one round a side has 4 latency samples, fewer than canary.min_samples (5):
# no data, nothing judged, and that fails (nothing shows the change is safe).
if expect_exit 1 "canary run --rounds 1 --format json" "$MAESTRO" canary run -C "$repo" main..feature \
	--rounds 1 --format json; then
	printf '%s\n' "$out" | jq -e '.record.rounds == 1 and (.record.steps | length) == 4 and
		.judgement.verdict == "fail" and (.judgement.metrics | map(.class) | unique) == ["NoData"] and
		.recorded == false' >/dev/null || fail "json record: $out"
	dir=$(printf '%s\n' "$out" | jq -r '.record.samples.base | rtrimstr("/BASE.jsonl")')
	case "$dir" in
	"$repo/.git/maestro/canary/"*) [ "$(wc -l <"$dir/HEAD.jsonl")" = 5 ] || fail "default out dir samples" ;;
	*) fail "default out dir: $dir" ;;
	esac
fi

# 4. A head that does not build: exit 1, with the end of its stderr.
git -C "$repo" checkout -q -b broken main
printf '#!/bin/sh\necho "compiler says: boom at line 3" >&2\nexit 1\n' >"$repo/build.sh"
commit_all "$repo" "broken build"
expect_exit 1 "head fails to build" "$MAESTRO" canary run -C "$repo" main..broken --out "$scratch/broken" &&
	{ printf '%s\n' "$err" | grep -q "the build failed on head: exit 1" || fail "build failure: $err"
	  printf '%s\n' "$err" | grep -q "compiler says: boom at line 3" || fail "stderr tail: $err"
	  jq -e '.failed.side == "head" and .failed.command == "build" and (.steps | length) == 2' \
		"$scratch/broken/canary.json" >/dev/null || fail "record of the failure"; }

# 5. A head that hangs: killed by the wall clock (timeout_s 5 at the base).
git -C "$repo" checkout -q -b hangs main
sed -i 's/^i=0$/sleep 120; i=0/' "$repo/bench.sh"
commit_all "$repo" "hangs"
expect_exit 1 "head times out" "$MAESTRO" canary run -C "$repo" main..hangs --rounds 1 --out "$scratch/hangs" &&
	{ printf '%s\n' "$err" | grep -q "the run command failed on head in round 1: killed by SIGTERM after the 5 s wall-clock timeout" ||
		fail "timeout: $err"; }
[ -z "$(ls -A "$tmp")" ] || fail "checkouts left behind after failures: $(ls -A "$tmp")"

# 6. A base that fails: nothing can be compared, exit 3 (no verdict).
git -C "$repo" checkout -q -b fixed broken
git -C "$repo" show main:build.sh >"$repo/build.sh"
commit_all "$repo" "fix the build"
expect_exit 3 "base fails to build" "$MAESTRO" canary run -C "$repo" broken..fixed --out "$scratch/fixed" --format json &&
	{ jq -e '.judgement == null and .record.failed.side == "base"' <<<"$out" >/dev/null || fail "base failure: $out"
	  grep -q "the build failed on base: exit 1" <<<"$err" || fail "base failure stderr: $err"; }

# 7. With a signing key: what ran and the verdict are signed evidence about the head.
key=$("$MAESTRO" evidence keygen --format json | jq -r .fingerprint)
git -C "$repo" config user.signingkey "$key"
expect_exit 1 "canary run with a key" "$MAESTRO" canary run -C "$repo" main..feature --out "$scratch/signed" &&
	{ grep -q "canary recorded" <<<"$err" || fail "not recorded: $err"; }
expect_exit 0 "evidence show feature" "$MAESTRO" evidence show -C "$repo" --format json feature
jq -e '[.[] | select(.verified and .statement.predicateType == "https://maestro-conductor.dev/evidence/canary/v1")
	| .statement.predicate | select(.judgement.verdict == "fail" and .record.rounds == 3 and
	  .record.range.head == "'"$(git -C "$repo" rev-parse feature)"'")] | length == 1' <<<"$out" >/dev/null ||
	fail "no verified canary record: $out"
expect_exit 0 "canary run --no-record" "$MAESTRO" canary run -C "$repo" main..notes --rounds 2 --no-record --out "$scratch/nr"
grep -q "not recorded (--no-record)" <<<"$err" || fail "--no-record: $err"
git -C "$repo" config --unset user.signingkey

# 8. maestro review --canary: the judgement on the card, a failing canary fails its gate.
expect_exit 1 "review --canary" "$MAESTRO" review -C "$repo" main..feature --canary --no-record --format json &&
	{ jq -e '.canary.verdict == "fail" and .decision.verdict == "fail" and
		(.policy.gates[] | select(.gate == "canary") | .applies and (.passed | not)) and
		(.decision.blocking | any(startswith("shadow canary failed: critical metric latency_ms")))' \
		<<<"$out" >/dev/null || fail "review --canary card: $out"
	  grep -q "shadow canary: fail" <<<"$err" || fail "review --canary note: $err"; }
expect_exit 0 "review --canary, no-op" "$MAESTRO" review -C "$repo" main..notes --canary --no-record --format json &&
	{ jq -e '.canary.verdict == "pass" and (.policy.gates[] | select(.gate == "canary") | .passed)' \
		<<<"$out" >/dev/null || fail "review --canary no-op: $out"; }
expect_exit 0 "review without --canary" "$MAESTRO" review -C "$repo" main..feature --no-record --format json &&
	{ jq -e 'has("canary") | not' <<<"$out" >/dev/null || fail "a card without --canary has a canary: $out"; }

# 9. Bad options.
expect_exit 2 "--rounds 0" "$MAESTRO" canary run -C "$repo" --rounds 0 &&
	expect_one_line "--rounds 0" "--rounds: expected 1..100"
expect_exit 2 "no subcommand" "$MAESTRO" canary
expect_exit 2 "unknown range" "$MAESTRO" canary run -C "$repo" main..nope
expect_exit 0 "help canary" "$MAESTRO" help canary &&
	{ printf '%s\n' "$out" | grep -q "write permission" || fail "help does not state the trust rule"; }

finish
