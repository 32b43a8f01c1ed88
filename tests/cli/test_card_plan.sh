#!/usr/bin/env bash
# The Decision Card's plan section end to end: with plan.budgets on the base
# commit, each review plans the live portfolio; the card shows the change's
# rank, whether it was selected, its share of each budget, what it displaced
# and why it was left out; a priority override shows on the card; plan.trains
# names the train; with no budgets and no overrides the card has no plan.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
mkdir -p "$repo/.maestro"
echo '{"plan":{"budgets":{"usd":5}}}' >"$repo/.maestro/config.json"
commit_all "$repo" "Plan under 5 LLM dollars"
# Two changes that each cost 3 LLM dollars: only one fits the budget.
git -C "$repo" checkout -q -b low
echo "low" >"$repo/low.c"
commit_all "$repo" "Low-value change

Maestro-Value: 1000
Maestro-LLM-USD: 3"
git -C "$repo" checkout -q -b high main
echo "high" >"$repo/high.c"
commit_all "$repo" "High-value change

Maestro-Value: 3000
Maestro-LLM-USD: 3"
git -C "$repo" checkout -q main

review_json() { expect_exit 0 "$1" "$MAESTRO" review -C "$repo" --no-record --format json "main..$2"; }

# --- alone in the portfolio: selected, nothing displaced, 3 of 5 dollars
review_json "review low alone" low
[ "$(jq -c '.plan | [.item, .rank, .of, .planned, .selected]' <<<"$out")" = '["low",1,1,true,true]' ] ||
	fail "low alone: $(jq -c .plan <<<"$out")"
[ "$(jq -c '.plan.budgets' <<<"$out")" = '[{"dimension":"usd","cost":3,"budget":5,"share":0.6}]' ] ||
	fail "low's budget share: $(jq -c .plan.budgets <<<"$out")"
[ "$(jq '.plan.displaced | length' <<<"$out")" = 0 ] || fail "low displaced something"
jq -e '.plan | has("train") | not' <<<"$out" >/dev/null || fail "a train without trains"

# --- high displaces low
review_json "review high" high
[ "$(jq -c '.plan | [.rank, .of, .selected]' <<<"$out")" = '[1,2,true]' ] || fail "high: $(jq -c .plan <<<"$out")"
[ "$(jq -r '.plan.displaced | map(.id) | join(",")' <<<"$out")" = low ] ||
	fail "high displaced: $(jq -c .plan.displaced <<<"$out")"
expect_exit 0 "review high as markdown" "$MAESTRO" review -C "$repo" --no-record main..high
grep -q '^#### Plan' <<<"$out" || fail "no plan heading: $out"
grep -q 'Rank 1 of 2 open items' <<<"$out" || fail "no rank line: $out"
grep -q '| usd | 3 | 5 | 60' <<<"$out" || fail "no budget share row: $out"
grep -q '^- low (' <<<"$out" || fail "no displaced list: $out"

# --- low again: left out, with the reason
review_json "review low again" low
[ "$(jq -c '.plan | [.rank, .selected]' <<<"$out")" = '[2,false]' ] || fail "low again: $(jq -c .plan <<<"$out")"
jq -r .plan.reason <<<"$out" | grep -q "high" || fail "reason does not name high: $(jq -r .plan.reason <<<"$out")"

# --- a change larger than the whole budget: left out, saying so, displacing nothing
git -C "$repo" checkout -q -b huge main
echo "huge" >"$repo/huge.c"
commit_all "$repo" "Huge change

Maestro-Value: 90000
Maestro-LLM-USD: 10"
git -C "$repo" checkout -q main
review_json "review huge" huge
[ "$(jq -c '.plan | [.rank, .selected, (.displaced | length), .budgets[0].share]' <<<"$out")" = '[1,false,0,2]' ] ||
	fail "huge: $(jq -c .plan <<<"$out")"
jq -r .plan.reason <<<"$out" | grep -q "larger than any train's usd budget (needs 10, largest is 5)" ||
	fail "huge's reason: $(jq -r .plan.reason <<<"$out")"
expect_exit 0 "close huge" "$MAESTRO" portfolio close huge -C "$repo"

# --- a priority override shows on the card, with who and why
expect_exit 0 "raise low" "$MAESTRO" priority raise low -C "$repo" --reason "customer escalation"
expect_exit 0 "review low as markdown" "$MAESTRO" review -C "$repo" --no-record main..low
grep -q '^> Priority raised by .*: customer escalation (0 → 1' <<<"$out" || fail "no override line: $out"
review_json "review low with override" low
[ "$(jq -c '.plan | [.priority, .overrides[0].action, .overrides[0].reason]' <<<"$out")" = '[1,"raised","customer escalation"]' ] ||
	fail "override in json: $(jq -c .plan <<<"$out")"
# weight 1.25 x 1000 is still below 3000: still left out
[ "$(jq .plan.selected <<<"$out")" = false ] || fail "the override should not make low fit"

# --- trains: high rides the first, low the second
echo '{"plan":{"trains":[{"name":"week 1","budgets":{"usd":3.5}},{"name":"week 2","budgets":{"usd":3.5}}]}}' \
	>"$repo/.maestro/config.json"
commit_all "$repo" "Two weekly trains"
git -C "$repo" rebase -q main low
git -C "$repo" rebase -q main high
git -C "$repo" checkout -q main
review_json "review high with trains" high
[ "$(jq -r .plan.train <<<"$out")" = "week 1" ] || fail "high's train: $(jq -c .plan <<<"$out")"
review_json "review low with trains" low
[ "$(jq -c '.plan | [.selected, .train, (.displaced | length)]' <<<"$out")" = '[true,"week 2",0]' ] ||
	fail "low's train: $(jq -c .plan <<<"$out")"
expect_exit 0 "review low with trains as markdown" "$MAESTRO" review -C "$repo" --no-record main..low
grep -q 'for train \*\*week 2\*\*' <<<"$out" || fail "no train in markdown: $out"

# --no-portfolio: nothing stored, nothing planned
expect_exit 0 "review --no-portfolio" "$MAESTRO" review -C "$repo" --no-record --no-portfolio --format json main..high
[ "$(jq .plan <<<"$out")" = null ] || fail "plan with --no-portfolio"

# --- no budgets, no overrides: no plan section
echo '{}' >"$repo/.maestro/config.json"
commit_all "$repo" "No budgets"
git -C "$repo" checkout -q -b plain
echo "plain" >"$repo/plain.c"
commit_all "$repo" "Plain change"
review_json "review without budgets" plain
[ "$(jq .plan <<<"$out")" = null ] || fail "plan without budgets: $(jq -c .plan <<<"$out")"

# --- a bad budget in the config is a configuration error naming the path
git -C "$repo" checkout -q -b other main
echo '{"plan":{"budgets":{"usd":-1}}}' >"$repo/.maestro/config.json"
commit_all "$repo" "Negative budget"
git -C "$repo" checkout -q -b after
echo "x" >"$repo/x.c"
commit_all "$repo" "After"
expect_exit 2 "negative budget" "$MAESTRO" review -C "$repo" --no-record other..after
expect_one_line "negative budget" "/plan/budgets/usd"

finish
