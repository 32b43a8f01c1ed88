#!/usr/bin/env bash
# `maestro value record` and `maestro score calibrate` end to end: four branches
# of a repository made here carry Fixes: and Maestro-Value: trailers, are
# reviewed into the portfolio, get realized values (a made-up 500 USD per
# defect and 0.9 per declared dollar), and calibrate reports the correlations
# with PASS/BELOW and refits the weights to those numbers, in text and JSON.
# Bad input fails with one line and exit status 2.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
seq 1 100 >"$repo/engine.c"
commit_all "$repo" "Add the engine"

# branch NAME FILE MESSAGE: a branch off main with one commit.
branch() {
	git -C "$repo" checkout -q -b "$1" main
	seq 1 "$((RANDOM % 50 + 10))" >"$repo/$2"
	commit_all "$repo" "$3"
}
branch fix1 a.c "Fix a crash

Fixes: #1"
branch fix2 b.c "Fix two leaks

Fixes: #2
Fixes: #3"
branch rev1 c.c "Add export

Maestro-Value: 1000"
branch rev2 d.c "Add billing

Maestro-Value: 3000"
git -C "$repo" checkout -q main

# --- nothing reviewed: too few pairs, one line, exit 2
expect_exit 2 "calibrate with no portfolio" "$MAESTRO" score calibrate -C "$repo"
expect_one_line "calibrate with no portfolio" "at least 3 work items"
expect_exit 2 "record in a repository with no portfolio" "$MAESTRO" value record -C "$repo" fix1 --usd 5
expect_one_line "record with no portfolio" "no work item 'fix1'"

for b in fix1 fix2 rev1 rev2; do
	expect_exit 0 "review $b" "$MAESTRO" review -C "$repo" --no-record "main..$b"
done
expect_exit 0 "portfolio json" "$MAESTRO" portfolio -C "$repo" --format json
predicted=$(jq -r 'sort_by(.id) | map("\(.id)=\(.value_usd)") | join(" ")' <<<"$out")
[ "$predicted" = "fix1=400 fix2=800 rev1=1000 rev2=3000" ] || fail "predicted values: $predicted"

# --- bad input to value record
expect_exit 2 "unknown item" "$MAESTRO" value record -C "$repo" ghost --usd 5
expect_one_line "unknown item" "no work item 'ghost' in the portfolio"
for bad in nan inf -inf abc "" 12x; do
	expect_exit 2 "--usd '$bad'" "$MAESTRO" value record -C "$repo" fix1 --usd "$bad"
	expect_one_line "--usd '$bad'" "finite number"
done
expect_exit 2 "no --usd" "$MAESTRO" value record -C "$repo" fix1
expect_one_line "no --usd" "needs --usd"
expect_exit 2 "no subcommand" "$MAESTRO" value -C "$repo"
expect_exit 2 "two ids" "$MAESTRO" value record -C "$repo" fix1 fix2 --usd 3
expect_exit 2 "bad format" "$MAESTRO" value record -C "$repo" fix1 --usd 3 --format yaml

# --- records: several per item, the latest counts; negative is allowed
expect_exit 0 "record fix1 first" "$MAESTRO" value record -C "$repo" fix1 --usd -20 --note "first guess"
expect_exit 0 "record fix1 again" "$MAESTRO" value record -C "$repo" fix1 --usd 500 --format json
[ "$(jq -r '"\(.id) \(.realized_usd) \(.predicted_value_usd)"' <<<"$out")" = "fix1 500 400" ] ||
	fail "record json: $out"
expect_exit 0 "record fix2" "$MAESTRO" value record -C "$repo" fix2 --usd 1000 --note "incident count"
grep -q "realized 1000.00 USD (predicted 800.00 USD)" <<<"$out" || fail "record text: $out"

expect_exit 2 "calibrate with two pairs" "$MAESTRO" score calibrate -C "$repo"
expect_one_line "calibrate with two pairs" "at least 3 .* there are 2"

expect_exit 0 "record rev1" "$MAESTRO" value record -C "$repo" rev1 --usd 900
expect_exit 0 "record rev2" "$MAESTRO" value record -C "$repo" rev2 --usd 2700

# --- JSON: predicted 400 800 1000 3000 against realized 500 1000 900 2700.
# Spearman by hand: ranks 1 2 3 4 against 1 3 2 4, sum d^2 = 2: 1 - 6*2/(4*15) = 0.8.
# Realized is exactly 500 per defect + 0.9 per declared dollar: the refit finds them.
expect_exit 0 "calibrate json" "$MAESTRO" score calibrate -C "$repo" --format json
jq -e '.n == 4' <<<"$out" >/dev/null || fail "n: $out"
jq -e '(.spearman - 0.8 | fabs) < 1e-9 and .spearman_verdict == "PASS"' <<<"$out" >/dev/null ||
	fail "spearman: $out"
pearson=$(python3 -c '
import math
x=[400,800,1000,3000]; y=[500,1000,900,2700]
mx=sum(x)/4; my=sum(y)/4
sxy=sum((a-mx)*(b-my) for a,b in zip(x,y))
print(sxy/math.sqrt(sum((a-mx)**2 for a in x)*sum((b-my)**2 for b in y)))')
jq -e --argjson p "$pearson" '(.pearson - $p | fabs) < 1e-9 and .pearson_verdict == "PASS"' \
	<<<"$out" >/dev/null || fail "pearson (want $pearson): $out"
jq -e '(.config.value.defect_usd - 500 | fabs) < 1e-6 and (.config.value.revenue_weight - 0.9 | fabs) < 1e-9' \
	<<<"$out" >/dev/null || fail "refit: $out"
jq -e '.config.value.flake_usd == 150 and .config.value.latency_ms_usd == 2' <<<"$out" >/dev/null ||
	fail "unobserved weights not kept: $out"
jq -e '[.weights[] | select(.observed) | .key] == ["defect_usd", "revenue_weight"]' <<<"$out" >/dev/null ||
	fail "observed: $out"
jq -e '(.r2 - 1 | fabs) < 1e-9 and .config_source == "defaults"' <<<"$out" >/dev/null || fail "r2: $out"

# --- text: the verdicts and a snippet that parses as the config's "value" object
expect_exit 0 "calibrate text" "$MAESTRO" score calibrate -C "$repo"
grep -Eq "Pearson +0\.9[0-9]+ +PASS" <<<"$out" || fail "text pearson: $out"
grep -Eq "Spearman +0\.800 +PASS" <<<"$out" || fail "text spearman: $out"
grep -Eq "defect_usd +400\.0000 +500\.0000" <<<"$out" || fail "text weights: $out"
grep -q "not observed: kept" <<<"$out" || fail "text: unobserved weights not marked: $out"
snippet=$(grep '^"value": ' <<<"$out")
jq -e '.value.defect_usd > 499 and .value.revenue_weight < 1' <<<"{$snippet}" >/dev/null ||
	fail "snippet does not parse: $snippet"

# --- a value that ruins the order: BELOW (and the weights still never negative)
expect_exit 0 "record rev2 negative" "$MAESTRO" value record -C "$repo" rev2 --usd -100 --note "outage"
expect_exit 0 "calibrate below" "$MAESTRO" score calibrate -C "$repo" --format json
jq -e '(.spearman + 0.4 | fabs) < 1e-9 and .spearman_verdict == "BELOW" and .pearson_verdict == "BELOW"' \
	<<<"$out" >/dev/null || fail "below: $out"
jq -e '[.weights[].suggested | select(. < 0)] == []' <<<"$out" >/dev/null || fail "negative weight: $out"
expect_exit 0 "calibrate below text" "$MAESTRO" score calibrate -C "$repo"
grep -Eq "Spearman +-0\.400 +BELOW" <<<"$out" || fail "text below: $out"

# --- bad input to score
expect_exit 2 "score without calibrate" "$MAESTRO" score -C "$repo"
expect_exit 2 "score unknown subcommand" "$MAESTRO" score refit -C "$repo"
expect_exit 2 "score bad format" "$MAESTRO" score calibrate -C "$repo" --format csv
expect_exit 0 "help score" "$MAESTRO" help score
grep -q "non-negative least squares" <<<"$out" || fail "help score: $out"

finish
