#!/usr/bin/env bash
# `maestro value import FILE.jsonl` end to end: realized values from a metrics
# export (totals and components) reach `maestro score calibrate`; a file with
# any bad line (unknown item, wrong type, non-finite number, both or neither of
# usd and components, bad JSON, an oversize line) fails with FILE:LINE, exit
# status 2, and records nothing.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
for b in one two three; do
	git -C "$repo" checkout -q -b "$b" main
	echo "$b" >"$repo/$b.c"
	commit_all "$repo" "Change $b

Maestro-Value: $(( ${#b} * 1000 ))"
done
git -C "$repo" checkout -q main
m=$scratch/metrics.jsonl

printf '{"id":"one","usd":1}\n' >"$m"
expect_exit 2 "import before anything was reviewed" "$MAESTRO" value import -C "$repo" "$m"
expect_one_line "import before review" "metrics.jsonl:1: no work item 'one'"

for b in one two three; do
	expect_exit 0 "review $b" "$MAESTRO" review -C "$repo" --no-record "main..$b"
done

# predicted: one 3000, two 3000, three 5000; realized: twice that, less 100 for one.
cat >"$m" <<'JSONL'
{"id":"one","usd":5900,"note":"dashboard Q3"}

{"id":"two","components":{"revenue_proxy":5000,"defects_avoided":1000}}
{"id":"three","usd":10000}
JSONL
expect_exit 0 "import" "$MAESTRO" value import -C "$repo" "$m" --format json
[ "$(jq -c '[.imported, (.records | map(.realized_usd))]' <<<"$out")" = '[3,[5900,6000,10000]]' ] ||
	fail "import json: $out"
[ "$(jq -r '.records[1].note' <<<"$out")" = "components: revenue_proxy=5000, defects_avoided=1000" ] ||
	fail "components note: $(jq -r '.records[1].note' <<<"$out")"
expect_exit 0 "calibrate after import" "$MAESTRO" score calibrate -C "$repo" --format json
[ "$(jq .n <<<"$out")" = 3 ] || fail "calibrate n: $out"
before=$(jq -c '[.pearson, .spearman]' <<<"$out")

# bad_file DESCRIPTION PATTERN LINES...: the file fails with one line matching PATTERN.
bad_file() {
	local what=$1 pattern=$2
	shift 2
	printf '%s\n' "$@" >"$m"
	expect_exit 2 "$what" "$MAESTRO" value import -C "$repo" "$m" && expect_one_line "$what" "$pattern"
}
bad_file "unknown item" "metrics.jsonl:2 \(nothing was imported\): no work item 'nope'" \
	'{"id":"one","usd":-50}' '{"id":"nope","usd":1}'
bad_file "string amount" "metrics.jsonl:1: /usd: expected number" '{"id":"one","usd":"5"}'
bad_file "infinite amount" "metrics.jsonl:2: /usd: .*finite" '{"id":"two","usd":1}' '{"id":"one","usd":1e999}'
bad_file "infinite component" "metrics.jsonl:1: /components/x: .*finite" '{"id":"one","components":{"x":-1e999}}'
bad_file "both" "metrics.jsonl:1: give either usd or components, not both" \
	'{"id":"one","usd":1,"components":{"a":1}}'
bad_file "neither" "metrics.jsonl:1: give either usd or components, neither" '{"id":"one"}'
bad_file "empty components" "metrics.jsonl:1: /components: is empty" '{"id":"one","components":{}}'
bad_file "unknown key" "metrics.jsonl:1: /: unknown key 'value'" '{"id":"one","value":1}'
bad_file "empty id" "metrics.jsonl:1: /id" '{"id":"","usd":1}'
bad_file "not JSON" "metrics.jsonl:3: " '{"id":"one","usd":1}' '' 'usd=5'
bad_file "an array" "metrics.jsonl:1: " '[1,2]'
bad_file "no records" "metrics.jsonl: no records" '' '   '
bad_file "oversize line" "metrics.jsonl:1: the line is longer than 65536 bytes" \
	"{\"id\":\"one\",\"usd\":1,\"note\":\"$(head -c 70000 /dev/zero | tr '\0' x)\"}"
expect_exit 2 "missing file" "$MAESTRO" value import -C "$repo" "$scratch/absent.jsonl"
expect_one_line "missing file" "absent.jsonl"
expect_exit 2 "import with --usd" "$MAESTRO" value import -C "$repo" --usd 5 "$m"
expect_exit 2 "import without a file" "$MAESTRO" value import -C "$repo"

# nothing from the bad files was recorded
expect_exit 0 "calibrate after bad imports" "$MAESTRO" score calibrate -C "$repo" --format json
[ "$(jq -c '[.pearson, .spearman]' <<<"$out")" = "$before" ] || fail "a bad import changed the values: $out"

finish
