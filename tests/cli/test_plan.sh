#!/usr/bin/env bash
# `maestro plan`: a hand-checked item list in text and JSON (pins, weights, an item over
# budget, the sprint greedy beside it), OR-Library's mknap1 with every optimum proven,
# bad documents and options (exit 2, one line naming the problem), and plain
# `maestro plan`, which says that planning the live portfolio is not built yet.
. "$(dirname "$0")/lib.sh"
shared=${MAESTRO_SHARED_DATA:?MAESTRO_SHARED_DATA is not set}
mknap1=$shared/mknap/mknap1.txt
[ -f "$mknap1" ] || { echo "the reference data is not in $shared/mknap" >&2; exit 1; }

# 1. Neither --items nor --orlib: not built yet, exit 2, and --help says so too.
expect_exit 2 "plain plan" "$MAESTRO" plan &&
	expect_one_line "plain plan" "live portfolio .* is not built yet"
expect_exit 0 "plan --help" "$MAESTRO" plan --help &&
	{ printf '%s\n' "$out" | grep -q "live portfolio" || fail "--help does not say what is not built"; }

# 2. A list by hand: budgets usd 8, ci 100.
cat >"$scratch/items.json" <<'JSON'
{"items": [
 {"id": "PR-1", "value": 100, "costs": {"usd": 3, "ci": 30}},
 {"id": "PR-2", "value": 60, "costs": {"usd": 1, "ci": 60}, "pinned": "in"},
 {"id": "PR-3", "value": 90, "costs": {"usd": 4, "ci": 10}, "weight": 2},
 {"id": "PR-4", "value": 500, "costs": {"usd": 50}},
 {"id": "PR-5", "value": 40, "costs": {"usd": 0.5, "ci": 5}, "pinned": "out"},
 {"id": "PR-6", "value": 10}
]}
JSON
if expect_exit 0 "items, text" "$MAESTRO" plan --items "$scratch/items.json" --budget usd=8 --budget ci=100; then
	printf '%s\n' "$out" | grep -q "^chosen: PR-1 PR-2 PR-3 PR-6$" || fail "items text: chosen: $out"
	printf '%s\n' "$out" | grep -q "proven optimal" || fail "items text: not proven: $out"
	printf '%s\n' "$out" | grep -q "left out: PR-4 (over budget: usd)" || fail "items text: PR-4: $out"
	printf '%s\n' "$out" | grep -q "left out: PR-5 (pinned out)" || fail "items text: PR-5: $out"
	printf '%s\n' "$out" | grep -q "reference greedy-sprint" || fail "items text: no reference: $out"
fi
if expect_exit 0 "items, json" "$MAESTRO" plan --items "$scratch/items.json" --budget usd=8 \
	--budget ci=100 --format json; then
	printf '%s\n' "$out" | jq -e '
		.plan.chosen == ["PR-1", "PR-2", "PR-3", "PR-6"] and .plan.value == 260 and
		.plan.objective == 350 and .plan.proven_optimal and .plan.gap == 0 and
		.plan.upper_bound == 350 and .plan.budget_use.usd.used == 8 and
		.plan.budget_use.ci.used == 100 and .plan.budget_use.ci.budget == 100 and
		(.plan.left_out | map(.id)) == ["PR-4", "PR-5"] and
		.reference.method == "greedy-sprint" and .plan.seconds >= 0' >/dev/null ||
		fail "items json: $out"
fi
# Tighter: PR-2 is pinned in and needs 60 ci; with ci=50 the pins do not fit.
expect_exit 2 "pins that do not fit" "$MAESTRO" plan --items "$scratch/items.json" --budget usd=8 --budget ci=50 &&
	expect_one_line "pins that do not fit" "pinned-in items do not fit: .* budget 'ci', which is 50 \(pinned in: PR-2\)"

# 3. mknap1: all seven optima, proven.
if expect_exit 0 "orlib mknap1" "$MAESTRO" plan --orlib "$mknap1" --format json; then
	got=$(printf '%s\n' "$out" | jq -r '[.instances[] | "\(.plan.objective) \(.opt) \(.plan.proven_optimal)"] | .[]')
	want=$'3800 3800 true\n8706.1 8706.1 true\n4015 4015 true\n6120 6120 true\n12400 12400 true\n10618 10618 true\n16537 16537 true'
	[ "$got" = "$want" ] || fail "mknap1: got $got"
fi
if expect_exit 0 "orlib one instance" "$MAESTRO" plan --orlib "$mknap1" --instance 1; then
	printf '%s\n' "$out" | grep -q "^plan: .* value 3800$" || fail "instance 1: $out"
	printf '%s\n' "$out" | grep -q "^chosen: " || fail "instance 1 lists no ids: $out"
fi
expect_exit 2 "orlib instance out of range" "$MAESTRO" plan --orlib "$mknap1" --instance 8 &&
	expect_one_line "instance 8" "holds 7 instance"

# 4. Bad documents and options.
printf '{"items": [{"id": "a", "value": -1}]}' >"$scratch/neg.json"
expect_exit 2 "negative value" "$MAESTRO" plan --items "$scratch/neg.json" --budget usd=1 &&
	expect_one_line "negative value" "/items/0/value"
printf '{"items": [{"id": "a", "value": 1}, {"id": "a", "value": 2}]}' >"$scratch/dup.json"
expect_exit 2 "duplicate id" "$MAESTRO" plan --items "$scratch/dup.json" --budget usd=1 &&
	expect_one_line "duplicate id" "/items/1: item 'a': duplicate id"
printf '{"items": [{"id": "a", "value": 1, "costs": {"gpu": 2}}]}' >"$scratch/dim.json"
expect_exit 2 "cost without budget" "$MAESTRO" plan --items "$scratch/dim.json" --budget usd=1 &&
	expect_one_line "cost without budget" "cost 'gpu' has no --budget gpu=AMOUNT"
printf '{"items": [' >"$scratch/broken.json"
expect_exit 2 "broken JSON" "$MAESTRO" plan --items "$scratch/broken.json" --budget usd=1
expect_exit 2 "no budget" "$MAESTRO" plan --items "$scratch/items.json" &&
	expect_one_line "no budget" "needs at least one --budget"
expect_exit 2 "bad budget" "$MAESTRO" plan --items "$scratch/items.json" --budget usd=-3 &&
	expect_one_line "bad budget" "amount must be a number >= 0"
expect_exit 2 "nan budget" "$MAESTRO" plan --items "$scratch/items.json" --budget usd=nan
expect_exit 2 "both inputs" "$MAESTRO" plan --items "$scratch/items.json" --orlib "$mknap1"
printf '1\n2 1 0\n5 x\n1 1\n3\n' >"$scratch/bad.txt"
expect_exit 2 "malformed orlib" "$MAESTRO" plan --orlib "$scratch/bad.txt" &&
	expect_one_line "malformed orlib" "bad.txt:3: expected value p\[2\] of instance 1"
expect_exit 2 "missing file" "$MAESTRO" plan --orlib "$scratch/nope.txt"

# 5. Zero budgets: only what costs nothing.
printf '{"items": [{"id": "free", "value": 3}, {"id": "paid", "value": 9, "costs": {"usd": 1}}]}' >"$scratch/zero.json"
if expect_exit 0 "zero budget" "$MAESTRO" plan --items "$scratch/zero.json" --budget usd=0 --format json; then
	printf '%s\n' "$out" | jq -e '.plan.chosen == ["free"] and .plan.left_out[0].id == "paid"' >/dev/null ||
		fail "zero budget: $out"
fi
finish
