#!/usr/bin/env bash
# `maestro plan`: a hand-checked item list in text and JSON (pins, weights, an item over
# budget, the sprint greedy beside it), OR-Library's mknap1 with every optimum proven,
# bad documents and options (exit 2, one line naming the problem), plain
# `maestro plan`, which says what to give it (the portfolio:
# tests/cli/test_portfolio.sh), and
# release trains (--train): a hand-checked schedule in text and JSON with every
# reason an item is left out, a pinned item that fits no train, bad --train options.
. "$(dirname "$0")/lib.sh"
shared=${MAESTRO_SHARED_DATA:?MAESTRO_SHARED_DATA is not set}
mknap1=$shared/mknap/mknap1.txt
[ -f "$mknap1" ] || { echo "the reference data is not in $shared/mknap" >&2; exit 1; }

# 1. Nothing to plan: exit 2 saying what to give; --help too.
expect_exit 2 "plain plan" "$MAESTRO" plan &&
	expect_one_line "plain plan" "--budget usd=N .*--items FILE.json .*--orlib FILE"
expect_exit 0 "plan --help" "$MAESTRO" plan --help &&
	{ printf '%s\n' "$out" | grep -q "every pull request and" ||
		fail "--help does not say the portfolio holds the forge's pull requests and issues"; }

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
# 6. Release trains. May (usd 10, ci 20), then June (usd 7, ci 100):
#    g is pinned in and needs 50 ci: only June holds it. May's best over the rest is a + c
#    (100); June's over b, d beside g is b (50 + 5), 1 usd idle. d fits June alone but
#    finds 1 usd there; e is too large; f is held; h needs more than May in ci and more
#    than June in usd.
cat >"$scratch/train.json" <<'JSON'
{"items": [
 {"id": "a", "value": 60, "costs": {"usd": 6, "ci": 10}},
 {"id": "b", "value": 50, "costs": {"usd": 5}},
 {"id": "c", "value": 40, "costs": {"usd": 4}},
 {"id": "d", "value": 30, "costs": {"usd": 5}},
 {"id": "e", "value": 100, "costs": {"usd": 20}},
 {"id": "f", "value": 10, "costs": {"usd": 1}, "pinned": "out"},
 {"id": "g", "value": 5, "costs": {"usd": 1, "ci": 50}, "pinned": "in"},
 {"id": "h", "value": 70, "costs": {"usd": 8, "ci": 30}}
]}
JSON
trains=(--train 'May:usd=10,ci=20' --train 'June:ci=100,usd=7')
if expect_exit 0 "trains, text" "$MAESTRO" plan --items "$scratch/train.json" "${trains[@]}"; then
	t=$out
	printf '%s\n' "$t" | grep -q "^release trains: 2 train(s), 4 of 8 items ship, value 155$" ||
		fail "trains text: header: $t"
	printf '%s\n' "$t" | grep -q "^train May (1 of 2): 2 item(s), value 100, proven best" ||
		fail "trains text: May: $t"
	printf '%s\n' "$t" | grep -q "^train June (2 of 2): 2 item(s), 1 pinned in, value 55," ||
		fail "trains text: June: $t"
	[ "$(printf '%s\n' "$t" | grep -c '^  ships: ')" = 2 ] || fail "trains text: ships lines: $t"
	printf '%s\n' "$t" | grep -q "^  ships: a c$" || fail "trains text: May ships: $t"
	printf '%s\n' "$t" | grep -q "^  ships: b g$" || fail "trains text: June ships: $t"
	printf '%s\n' "$t" | grep -Eq "^  usd +6 +7 +1 +14\.3  over 5 %$" || fail "trains text: June usd row: $t"
	printf '%s\n' "$t" | grep -qx "left out: d: did not fit: train 'June' had 1 usd left after pinned-in and higher-value work (b, g); it needs 5" ||
		fail "trains text: d: $t"
	printf '%s\n' "$t" | grep -qx "left out: e: larger than any train's usd budget (needs 20, largest is 10)" ||
		fail "trains text: e: $t"
	printf '%s\n' "$t" | grep -qx "left out: f: held (pinned out)" || fail "trains text: f: $t"
	printf '%s\n' "$t" | grep -qx "left out: h: fits no single train: train 'May' has 20 ci (needs 30), train 'June' has 7 usd (needs 8)" ||
		fail "trains text: h: $t"
	printf '%s\n' "$t" | grep -q "idle is over the 5 % goal and nothing left out fits" ||
		fail "trains text: idle note: $t"
fi
if expect_exit 0 "trains, json" "$MAESTRO" plan --items "$scratch/train.json" "${trains[@]}" --format json; then
	printf '%s\n' "$out" | jq -e '
		.dimensions == ["usd", "ci"] and .value == 155 and .idle_goal == 0.05 and
		(.trains | map(.name)) == ["May", "June"] and
		.trains[0].items == ["a", "c"] and .trains[0].pinned_in == [] and
		.trains[0].proven_optimal and .trains[0].budget_use.usd.idle == 0 and
		.trains[0].budget_use.ci.idle_share == 0.5 and
		.trains[1].items == ["b", "g"] and .trains[1].pinned_in == ["g"] and
		.trains[1].position == 2 and .trains[1].budget_use.usd.used == 6 and
		.budget_use.usd.budget == 17 and .budget_use.usd.idle == 1 and
		(.backlog_exhausted | not) and
		(.left_out | map(.id)) == ["d", "e", "f", "h"] and
		(.left_out | map(.reason)) == ["did not fit", "too large", "held", "fits no single train"] and
		.left_out[0].train == "June" and .left_out[0].dimension == "usd" and
		.left_out[0].left == 1 and .left_out[0].needs == 5 and
		.left_out[0].displaced_by == ["b", "g"] and
		.left_out[1].largest_budget == 10 and .left_out[1].dimension == "usd" and
		.left_out[3].too_small_in == {"May": "ci", "June": "usd"} and
		(.left_out[2].text == "held (pinned out)")' >/dev/null ||
		fail "trains json: $out"
fi
# Room for everything: nothing left out, and the idle is put down to the backlog.
if expect_exit 0 "trains, backlog runs out" "$MAESTRO" plan --items "$scratch/train.json" \
	--train 'Big:usd=100,ci=200'; then
	printf '%s\n' "$out" | grep -q "7 of 8 items ship" || fail "big train: $out"
	printf '%s\n' "$out" | grep -q "because the backlog ran out" || fail "big train: idle note: $out"
fi
# g (50 ci) pinned in, but no train has more than 40 ci.
expect_exit 2 "trains, pin fits no train" "$MAESTRO" plan --items "$scratch/train.json" \
	--train 'A:usd=10,ci=40' --train 'B:usd=10,ci=40' &&
	expect_one_line "pin fits no train" "pinned-in item 'g' must ship but fits no train: larger than any train's ci budget \(needs 50, largest is 40\)"
expect_exit 2 "train without a colon" "$MAESTRO" plan --items "$scratch/train.json" --train May &&
	expect_one_line "train without a colon" "--train wants NAME:DIM=AMOUNT"
expect_exit 2 "train negative budget" "$MAESTRO" plan --items "$scratch/train.json" --train 'May:usd=-1,ci=2' &&
	expect_one_line "train negative budget" "--train May: budget 'usd' must be a number >= 0, not '-1'"
expect_exit 2 "train nan budget" "$MAESTRO" plan --items "$scratch/train.json" --train 'May:usd=nan,ci=2'
expect_exit 2 "train dimension twice" "$MAESTRO" plan --items "$scratch/train.json" --train 'May:usd=1,usd=2' &&
	expect_one_line "train dimension twice" "budget 'usd' is given twice"
expect_exit 2 "train given twice" "$MAESTRO" plan --items "$scratch/train.json" --train 'A:usd=1,ci=1' --train 'A:usd=2,ci=2' &&
	expect_one_line "train given twice" "--train A is given twice"
expect_exit 2 "train missing a dimension" "$MAESTRO" plan --items "$scratch/train.json" --train 'A:usd=1,ci=1' --train 'B:usd=2' &&
	expect_one_line "train missing a dimension" "--train B has no 'ci' budget"
expect_exit 2 "train extra dimension" "$MAESTRO" plan --items "$scratch/train.json" --train 'A:usd=1,ci=1' --train 'B:usd=2,ci=1,gpu=3' &&
	expect_one_line "train extra dimension" "'gpu' is not a dimension of the first train"
expect_exit 2 "train and budget" "$MAESTRO" plan --items "$scratch/train.json" --train 'A:usd=1,ci=1' --budget usd=1 &&
	expect_one_line "train and budget" "give --budget .* or --train .*, not both"
expect_exit 2 "train and orlib" "$MAESTRO" plan --orlib "$mknap1" --train 'A:b1=1' &&
	expect_one_line "train and orlib" "--train goes with --items"
expect_exit 2 "train cost without dimension" "$MAESTRO" plan --items "$scratch/train.json" --train 'A:usd=10' &&
	expect_one_line "train cost without dimension" "cost 'ci' has no budget in the --train windows"
expect_exit 0 "help documents trains" "$MAESTRO" help plan &&
	{ printf '%s\n' "$out" | grep -q -- "--train NAME:DIM=AMOUNT" &&
	  printf '%s\n' "$out" | grep -q '"left_out": \[{"id", "reason"' ||
		fail "help plan does not document --train and its JSON"; }

# --- bad input the issue lists, beyond the above: non-finite numbers, an item larger
#     than every budget, 100,000 items through the command line
printf '{"items": [{"id": "a", "value": 1e999, "costs": {"usd": 1}}]}' >"$scratch/inf.json"
expect_exit 2 "infinite value" "$MAESTRO" plan --items "$scratch/inf.json" --budget usd=1 &&
	expect_one_line "infinite value" "/items/0/value: number is not finite"
printf '{"items": [{"id": "a", "value": 1, "costs": {"usd": -1e999}}]}' >"$scratch/inf.json"
expect_exit 2 "infinite cost" "$MAESTRO" plan --items "$scratch/inf.json" --budget usd=1 &&
	expect_one_line "infinite cost" "/items/0/costs/usd: number is not finite"
printf '{"items": [{"id": "huge", "value": 50, "costs": {"usd": 10}}, {"id": "small", "value": 1, "costs": {"usd": 1}}]}' \
	>"$scratch/huge.json"
if expect_exit 0 "item larger than the budget" "$MAESTRO" plan --items "$scratch/huge.json" --budget usd=2; then
	grep -qx "chosen: small" <<<"$out" || fail "larger item: chosen: $out"
	grep -qx "left out: huge (over budget: usd)" <<<"$out" || fail "larger item: reason: $out"
fi
python3 -c '
import json
print(json.dumps({"items": [{"id": "i%d" % i, "value": (i * 7919) % 1000 + 1,
                             "costs": {"usd": (i * 31) % 97 / 10, "ci": (i * 17) % 600}}
                            for i in range(100000)]}))' >"$scratch/100k.json"
if expect_exit 0 "100,000 items" "$MAESTRO" plan --items "$scratch/100k.json" --budget usd=10000 \
	--budget ci=5000000 --format json; then
	jq -e '(.plan.chosen | length) > 10000 and (.plan.chosen | length) < 100000 and
		.plan.gap <= 0.001 and .plan.objective <= .plan.upper_bound' <<<"$out" >/dev/null ||
		fail "100,000 items: $(jq -c '.plan | del(.chosen)' <<<"$out")"
fi

finish
