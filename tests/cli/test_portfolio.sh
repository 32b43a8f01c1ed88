#!/usr/bin/env bash
# `maestro portfolio` end to end: two branches of a repository made here are
# reviewed, the portfolio lists both ranked by expected value in text, CSV and
# JSON with every component, close takes one out, and bad input fails with one
# line and exit status 2.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
seq 1 100 >"$repo/engine.c"
commit_all "$repo" "Add the engine"
# small: a fix, worth the defects it avoids.
git -C "$repo" checkout -q -b small
seq 1 110 >"$repo/engine.c"
commit_all "$repo" "Fix the engine's loop

Fixes: #12"
# big: declared value larger than small's.
git -C "$repo" checkout -q -b big main
seq 1 300 >"$repo/feature.c"
commit_all "$repo" "Add a feature, with a comma and \"quotes\"

Maestro-Value: 5000"

# quiet: reviewed only with --no-cache, so never in the portfolio.
git -C "$repo" checkout -q -b quiet main
echo "notes" >"$repo/NOTES"
commit_all "$repo" "Add notes"
git -C "$repo" checkout -q big

# --- nothing reviewed yet: an empty portfolio, not an error
expect_exit 0 "empty portfolio" "$MAESTRO" portfolio -C "$repo"
grep -q "no open work items" <<<"$out" || fail "empty portfolio text: $out"
[ ! -e "$repo/.git/maestro/cache.db" ] || fail "listing created the store"
expect_exit 0 "empty portfolio as json" "$MAESTRO" portfolio -C "$repo" --format json
[ "$(jq length <<<"$out")" = 0 ] || fail "empty json: $out"

# --- review both branches; --no-cache leaves the portfolio alone
expect_exit 0 "review small" "$MAESTRO" review -C "$repo" --no-record main..small
expect_exit 0 "review big (HEAD on big)" "$MAESTRO" review -C "$repo" --no-record main
expect_exit 0 "review with --no-cache" "$MAESTRO" review -C "$repo" --no-cache --no-record main..quiet
expect_exit 0 "review big as json" "$MAESTRO" review -C "$repo" --no-record --format json main..big
big_ev=$(jq .roi.expected_value_usd <<<"$out")
expect_exit 0 "review small as json" "$MAESTRO" review -C "$repo" --no-record --format json main..small
small_ev=$(jq .roi.expected_value_usd <<<"$out")
small_head=$(git -C "$repo" rev-parse small)

# --- text: both, ranked by expected value, every component a column
expect_exit 0 "portfolio text" "$MAESTRO" portfolio -C "$repo"
ranked=$(awk '$1 ~ /^[0-9]+$/ { print $1 ":" $2 }' <<<"$out" | tr '\n' ' ')
[ "$ranked" = "1:big 2:small " ] || fail "text ranking: '$ranked' in $out"
for column in EV_USD defects_avoided revenue_proxy llm budget:usd budget:ci RISK PRIO; do
	head -1 <<<"$out" | grep -q -- "$column" || fail "text has no $column column: $(head -1 <<<"$out")"
done
grep -q 'Fix the engine' <<<"$out" || fail "text shows no title"

# --- json: an array in rank order, components and costs per item
expect_exit 0 "portfolio json" "$MAESTRO" portfolio -C "$repo" --format json
[ "$(jq -r 'map(.id) | join(",")' <<<"$out")" = "big,small" ] || fail "json order: $out"
[ "$(jq -r '.[0].rank' <<<"$out")" = 1 ] || fail "json rank"
[ "$(jq '.[0].expected_value_usd' <<<"$out")" = "$big_ev" ] || fail "json EV of big differs from its card ($big_ev)"
[ "$(jq '.[1].expected_value_usd' <<<"$out")" = "$small_ev" ] || fail "json EV of small differs from its card ($small_ev)"
[ "$(jq -r '.[1].head' <<<"$out")" = "$small_head" ] || fail "json head of small"
[ "$(jq '.[0].components | length' <<<"$out")" = 6 ] || fail "json components: $out"
[ "$(jq '[.[1].components[] | select(.name == "defects_avoided")][0].usd > 0' <<<"$out")" = true ] ||
	fail "small's defects_avoided component should be positive"
[ "$(jq '.[0].costs | keys | join(",")' <<<"$out")" = '"ci,usd"' ] || fail "json cost dimensions"
[ "$(jq -r '.[0].state + " " + (.[0].priority | tostring)' <<<"$out")" = "open 0" ] || fail "json state/priority"
expect_exit 0 "portfolio --top 1" "$MAESTRO" portfolio -C "$repo" --format json --top 1
[ "$(jq -r 'map(.id) | join(",")' <<<"$out")" = "big" ] || fail "--top 1: $out"

# --- csv: a header row, one row per item, quoted where needed
expect_exit 0 "portfolio csv" "$MAESTRO" portfolio -C "$repo" --format csv
csv=$(tr -d '\r' <<<"$out")
header=$(head -1 <<<"$csv")
case "$header" in
rank,id,title,expected_value_usd,value_usd,*component.defects_avoided*cost.ci,cost.usd,risk,priority,state,*) ;;
*) fail "csv header: $header" ;;
esac
[ "$(wc -l <<<"$csv")" = 3 ] || fail "csv rows: $csv"
grep -q '^1,big,"Add a feature, with a comma and ""quotes""",' <<<"$csv" || fail "csv quoting: $csv"
grep -q '^2,small,Fix the engine.s loop,' <<<"$csv" || fail "csv second row: $csv"
cols=$(head -1 <<<"$csv" | awk -F, '{ print NF }')
row=$(sed -n 3p <<<"$csv" | awk -F, '{ print NF }')
[ "$cols" = "$row" ] || fail "csv row has $row fields, header $cols"

# --- close
expect_exit 0 "close big" "$MAESTRO" portfolio -C "$repo" close big
expect_exit 0 "portfolio after close" "$MAESTRO" portfolio -C "$repo" --format json
[ "$(jq -r 'map(.id) | join(",")' <<<"$out")" = "small" ] || fail "after close: $out"
expect_exit 0 "portfolio --all" "$MAESTRO" portfolio -C "$repo" --format json --all
[ "$(jq -r 'map(.id + ":" + .state) | join(",")' <<<"$out")" = "big:closed,small:open" ] ||
	fail "--all: $out"
expect_exit 2 "close an unknown item" "$MAESTRO" portfolio -C "$repo" close nosuch
expect_one_line "close an unknown item" "no work item 'nosuch'"
# A new review of a closed item opens it again.
expect_exit 0 "review big again" "$MAESTRO" review -C "$repo" --no-record main..big
expect_exit 0 "portfolio after re-review" "$MAESTRO" portfolio -C "$repo" --format json
[ "$(jq -r 'map(.id) | join(",")' <<<"$out")" = "big,small" ] || fail "re-review did not reopen: $out"

# --- planning the portfolio: each review costs 10 CI minutes (cost.ci_minutes)
expect_exit 0 "plan under a budget for one" "$MAESTRO" plan -C "$repo" --budget usd=100 --budget ci=15 --format json
[ "$(jq -r '.plan.chosen | join(",")' <<<"$out")" = "big" ] || fail "plan for one: $out"
[ "$(jq -r '.plan.proven_optimal' <<<"$out")" = true ] || fail "plan not proven: $out"
expect_exit 0 "plan under a budget for both" "$MAESTRO" plan -C "$repo" --budget usd=100 --budget ci=25 --format json
[ "$(jq -r '.plan.chosen | sort | join(",")' <<<"$out")" = "big,small" ] || fail "plan for both: $out"
expect_exit 3 "plan outside a repository" "$MAESTRO" plan -C "$scratch/no-such-dir" --budget usd=1 --budget ci=1
new_repo "$scratch/fresh"
expect_exit 2 "plan with nothing reviewed" "$MAESTRO" plan -C "$scratch/fresh" --budget usd=1 --budget ci=1
expect_one_line "plan with nothing reviewed" "nothing reviewed here yet"

# --- across repositories: one listing ranked together, one plan over both
new_repo "$scratch/other"
git -C "$scratch/other" checkout -q -b third
echo "int third(void) { return 3; }" >"$scratch/other/third.c"
commit_all "$scratch/other" "Add third

Maestro-Value: 700"
git -C "$scratch/other" checkout -q main
expect_exit 0 "review in a second repository" "$MAESTRO" review -C "$scratch/other" --no-record main..third
expect_exit 0 "portfolio of two repositories" "$MAESTRO" portfolio -C "$repo" -C "$scratch/other" -C "$scratch/fresh" --format json
[ "$(jq -r 'map(.id) | sort | join(",")' <<<"$out")" = "big,small,third" ] || fail "two repositories: $out"
[ "$(jq -r '[.[].expected_value_usd] | . == (sort | reverse)' <<<"$out")" = true ] || fail "not ranked together: $out"
expect_exit 0 "top of two repositories" "$MAESTRO" portfolio -C "$repo" -C "$scratch/other" --top 1 --format json
[ "$(jq -r 'length' <<<"$out")" = 1 ] || fail "--top across repositories: $out"
expect_exit 0 "plan across repositories" "$MAESTRO" plan -C "$repo" -C "$scratch/other" --budget usd=100 --budget ci=35 --format json
[ "$(jq -r '.plan.chosen | sort | join(",")' <<<"$out")" = "big,small,third" ] || fail "plan across: $out"
expect_exit 0 "release trains over the portfolio" "$MAESTRO" plan -C "$repo" -C "$scratch/other" --train w1:usd=100,ci=15 --train w2:usd=100,ci=15 --format json
# Each train has CI minutes for one review (10 each): big (5000) and third (700) ship,
# small (less than third) is left out with its reason.
[ "$(jq -r '[.trains[] | .items | join("+")] | join(",")' <<<"$out")" = "big,third" ] || fail "trains over the portfolio: $out"
[ "$(jq -r '.left_out | map(.id + ":" + .reason) | join(",")' <<<"$out")" = "small:did not fit" ] || fail "trains left out: $out"
expect_exit 2 "release trains over an empty portfolio" "$MAESTRO" plan -C "$scratch/fresh" --train w1:usd=1,ci=1
expect_exit 2 "close across repositories" "$MAESTRO" portfolio -C "$repo" -C "$scratch/other" close big

# --- bad input: one line, exit 2
expect_exit 2 "bad format" "$MAESTRO" portfolio -C "$repo" --format xml
expect_one_line "bad format" "text, json or csv"
expect_exit 2 "bad --top" "$MAESTRO" portfolio -C "$repo" --top 0
expect_one_line "bad --top" "--top"
expect_exit 2 "close without id" "$MAESTRO" portfolio -C "$repo" close
expect_exit 2 "unknown subcommand" "$MAESTRO" portfolio -C "$repo" open big
mkdir -p "$scratch/plain"
expect_exit 3 "not a repository" "$MAESTRO" portfolio -C "$scratch/plain"
expect_one_line "not a repository" "not a git repository"

finish
