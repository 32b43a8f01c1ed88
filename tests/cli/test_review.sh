#!/usr/bin/env bash
# `maestro review` end to end on repositories made here: the card in both
# formats, the default range, the history cache, the configuration read from
# the base commit, and every bad input the issue lists, each of which must
# either work or fail with one clear line and exit status 2 or 3.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
mkdir -p "$repo/src/core"
seq 1 200 >"$repo/src/core/engine.c"
seq 1 50 >"$repo/src/core/util.c"
commit_all "$repo" "Add the engine"
git -C "$repo" checkout -q -b feature
seq 1 230 >"$repo/src/core/engine.c"
commit_all "$repo" "Fix an overflow in the engine

Fixes: #42
Maestro-CI-Minutes: 7"

# --- the card
expect_exit 0 "review prints the Markdown card" "$MAESTRO" review -C "$repo" main..feature
grep -q '^<!-- maestro:decision-card -->' <<<"$out" || fail "card marker missing"
grep -q 'Fixes: \\#42' <<<"$out" || fail "the Fixes: trailer is not shown as an input: $out"
expect_exit 0 "review --format json" "$MAESTRO" review -C "$repo" --format json main..feature
[ "$(jq -r .schema <<<"$out")" = "maestro.decision-card/v1" ] || fail "json card schema id"
[ "$(jq -r .change.files <<<"$out")" = 1 ] || fail "json card: expected 1 file"
[ "$(jq -r '.change.features.la' <<<"$out")" = 30 ] || fail "json card: la should be 30"
[ "$(jq -r '.change.features.fix' <<<"$out")" = 1 ] || fail "json card: fix flag"

# --- default range: the default branch .. HEAD
expect_exit 0 "default range is main..HEAD" "$MAESTRO" review -C "$repo" --format json
[ "$(jq -r .subject.range <<<"$out")" = "main..HEAD" ] || fail "default range: $(jq -r .subject.range <<<"$out")"

# --- the history cache: the second review walks nothing
cache=$repo/.git/maestro/cache.db
rm -f "$cache"
expect_exit 0 "cold review" env MAESTRO_LOG=info "$MAESTRO" review -C "$repo" main..feature
[ -f "$cache" ] || fail "no cache file at $cache"
grep -q '"base_already_mined":"no"' <<<"$err" || fail "cold review did not mine: $err"
expect_exit 0 "warm review" env MAESTRO_LOG=info "$MAESTRO" review -C "$repo" main..feature
grep -q '"mined":"0".*"base_already_mined":"yes"' <<<"$err" || fail "warm review mined again: $err"
rm -f "$cache"
expect_exit 0 "--no-cache" "$MAESTRO" review -C "$repo" --no-cache main..feature
[ ! -e "$cache" ] || fail "--no-cache wrote $cache"
echo "this is not a database" >"$cache"
expect_exit 0 "a corrupt cache is reported and bypassed" "$MAESTRO" review -C "$repo" main..feature
grep -q 'history cache unavailable' <<<"$err" || fail "no warning about the corrupt cache: $err"
rm -f "$cache"

# --- bad input: each one clear line, exit 2 or 3
mkdir -p "$scratch/plain"
expect_exit 3 "not a git repository" "$MAESTRO" review -C "$scratch/plain"
expect_one_line "not a git repository" "not a git repository"
expect_exit 2 "unknown revision" "$MAESTRO" review -C "$repo" nosuch..feature
expect_one_line "unknown revision" "unknown revision 'nosuch'"
expect_exit 2 "empty range" "$MAESTRO" review -C "$repo" feature..main
expect_one_line "empty range" "has no commits"
git init -q -b main "$scratch/unborn"
expect_exit 2 "unborn HEAD" "$MAESTRO" review -C "$scratch/unborn"
expect_one_line "unborn HEAD" "no commits yet"
new_repo "$scratch/nodefault"
git -C "$scratch/nodefault" branch -q -m trunk
expect_exit 2 "no default branch" "$MAESTRO" review -C "$scratch/nodefault"
expect_one_line "no default branch" "no default branch"
expect_exit 2 "two ranges" "$MAESTRO" review -C "$repo" main..feature main..feature
expect_exit 2 "bad --format" "$MAESTRO" review -C "$repo" --format yaml main..feature
expect_exit 2 "unknown option" "$MAESTRO" review -C "$repo" --frobnicate

# --- merge-only range: the only new commit is a merge of something already there
base=$(git -C "$repo" rev-parse main)
side=$(git -C "$repo" rev-parse main~1)
merge=$(git -C "$repo" commit-tree -p "$base" -p "$side" -m "Merge old work" "$base^{tree}")
expect_exit 0 "merge-only range" "$MAESTRO" review -C "$repo" --format json "main..$merge"
[ "$(jq -r .subject.merge_only <<<"$out")" = true ] || fail "merge_only not set"
[ "$(jq -r .change.files <<<"$out")" = 0 ] || fail "a merge of nothing new changes no file"

# --- configuration from the base commit; a change cannot loosen its own gates
git -C "$repo" checkout -q main
mkdir -p "$repo/.maestro"
echo '{"version": 1, "policy": {"max_risk": 0.01}}' >"$repo/.maestro/config.json"
commit_all "$repo" "Strict risk policy"
git -C "$repo" checkout -q -b loosen
echo '{"version": 1, "policy": {"max_risk": 1}}' >"$repo/.maestro/config.json"
seq 1 400 >"$repo/src/core/util.c"
commit_all "$repo" "Loosen the policy and grow util"
expect_exit 1 "the base's strict config gates the change" "$MAESTRO" review -C "$repo" --format json main..loosen
[ "$(jq -r .decision.verdict <<<"$out")" = fail ] || fail "verdict should be fail"
jq -r '.provenance.config.source' <<<"$out" | grep -q "^$(git -C "$repo" rev-parse --short=12 main):.maestro/config.json$" ||
	fail "config source should name the base commit: $(jq -r .provenance.config.source <<<"$out")"
git -C "$repo" checkout -q main
echo '{"version": 1, "policy": {"max_risk": "high"}}' >"$repo/.maestro/config.json"
commit_all "$repo" "Break the config"
git -C "$repo" checkout -q -b after-bad-config
echo change >>"$repo/README.md"
commit_all "$repo" "Touch the readme"
expect_exit 2 "config with a bad type" "$MAESTRO" review -C "$repo" main..after-bad-config
expect_one_line "config with a bad type" "/policy/max_risk: expected number"
git -C "$repo" checkout -q main
git -C "$repo" rm -q -r .maestro
commit_all "$repo" "Back to the default config"

# --- binary file, rename, awkward paths
git -C "$repo" checkout -q -b shapes
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01' >"$repo/logo.png"
git -C "$repo" mv src/core/util.c src/core/helpers.c
echo "/* helpers */" >>"$repo/src/core/helpers.c"
echo spaces >"$repo/src/a file with spaces.txt"
echo quotes >"$repo/src/q\"uo'te.txt"
echo newline >"$repo/src/new"$'\n'"line.txt"
printf 'latin1' >"$repo/src/caf"$'\xe9'".txt"
commit_all "$repo" "Binary, rename and awkward paths"
expect_exit 0 "binary, rename, awkward paths" "$MAESTRO" review -C "$repo" --format json main..shapes
jq -e '.change.top_files[] | select(.path == "logo.png" and .binary == true)' <<<"$out" >/dev/null ||
	fail "binary file not reported as binary"
jq -e '.change.top_files[] | select(.path == "src/core/helpers.c" and .status == "renamed" and .old_path == "src/core/util.c")' <<<"$out" >/dev/null ||
	fail "rename not reported with its old path"
for p in "src/a file with spaces.txt" "src/q\"uo'te.txt" "src/new"$'\n'"line.txt"; do
	jq -e --arg p "$p" '.change.top_files[] | select(.path == $p)' <<<"$out" >/dev/null ||
		fail "path not reported exactly: $(printf %q "$p")"
done
expect_exit 0 "awkward paths in the Markdown card" "$MAESTRO" review -C "$repo" main..shapes
grep -q 'a file with spaces' <<<"$out" || fail "path with spaces missing from the card"
if grep -q '^line.txt' <<<"$out"; then fail "a newline in a path broke the Markdown table"; fi

# --- a 10,000-file change
git -C "$repo" checkout -q main
git -C "$repo" checkout -q -b huge
for d in $(seq 0 99); do
	mkdir -p "$repo/gen/d$d"
	for f in $(seq 0 99); do echo "$d.$f" >"$repo/gen/d$d/f$f.txt"; done
done
commit_all "$repo" "Generate 10,000 files"
rc=0
"$MAESTRO" review -C "$repo" --format json main..huge >"$scratch/huge.json" 2>"$scratch/huge.err" || rc=$?
if [ "$rc" -gt 1 ]; then
	fail "10,000-file change: exit $rc: $(cat "$scratch/huge.err")"
else
	pass "10,000-file change reviewed (exit $rc)"
	[ "$(jq -r .change.files "$scratch/huge.json")" = 10000 ] || fail "expected 10000 files"
	[ "$(jq -r .change.more_files "$scratch/huge.json")" -gt 0 ] || fail "the card should summarise the rest"
fi

# --- a bare repository
git clone -q --bare "$repo" "$scratch/bare.git"
expect_exit 0 "bare repository" "$MAESTRO" review -C "$scratch/bare.git" --format json main..feature
[ "$(jq -r .subject.repository <<<"$out")" = bare.git ] || fail "bare repository name"

finish
