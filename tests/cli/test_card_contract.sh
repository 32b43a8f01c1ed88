#!/usr/bin/env bash
# The Decision Card's contract section: a change's negotiation task is its portfolio
# item id (the branch locally); once `maestro negotiate --range` contracted it, the
# card shows the agent, the offer and the SLA; an escalated task shows the smallest
# safe next step; a change never negotiated has no section.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }

# offer_file PATH ID TASK EVAL
offer_file() {
	mkdir -p "$(dirname "$1")"
	printf '{"offerId":"%s","agentId":"bot","taskId":"%s","arm":"fast","predEval":%s,"predCostUSD":2,"predMinutes":30,"risk":0.1,"expiresAt":"2099-01-01T00:00:00Z"}\n' \
		"$2" "$3" "$4" >"$1"
}
repo=$scratch/repo
new_repo "$repo"
git -C "$repo" checkout -q -b feature
offer_file "$repo/.maestro/offers/o1.json" o1 feature 0.9
commit_all "$repo" "An agent's offer"
expect_exit 0 "review before any negotiation" "$MAESTRO" review -C "$repo" main..feature --format json
jq -e 'has("contract") | not' <<<"$out" >/dev/null || fail "a contract section without a negotiation: $out"

expect_exit 0 "negotiate the change" "$MAESTRO" negotiate -C "$repo" --range main..feature --task feature --format json
contract=$(jq -r '.contracts[0].contract_id' <<<"$out")
expect_exit 0 "review shows the contract" "$MAESTRO" review -C "$repo" main..feature --format json
jq -e --arg c "$contract" '.contract | .task == "feature" and .status == "contracted" and .contract_id == $c
	and .agent_id == "bot" and .offer.offer_id == "o1" and .sla.cost_tolerance == 0.2
	and (.sla.penalty_rule | length > 0)' <<<"$out" >/dev/null || fail "contract section: $out"
expect_exit 0 "the card in Markdown" "$MAESTRO" review -C "$repo" main..feature
grep -q "^#### Contract" <<<"$out" && grep -q "contracted to \*\*bot\*\* (contract $contract" <<<"$out" &&
	grep -q "^Penalty rule: penalty_usd = 1 x" <<<"$out" || fail "Markdown contract: $out"

# negotiating again changes nothing: the card keeps its one contract
expect_exit 0 "negotiate again" "$MAESTRO" negotiate -C "$repo" --range main..feature --task feature --now 4000000000 --format json
jq -e --arg c "$contract" '(.contracts | length) == 0 and .contracted_before[0].contract_id == $c' <<<"$out" >/dev/null ||
	fail "negotiated twice: $out"

git -C "$repo" checkout -q -b weak main
offer_file "$repo/.maestro/offers/w1.json" w1 weak 0.3
commit_all "$repo" "A weak offer"
expect_exit 1 "negotiate an escalation" "$MAESTRO" negotiate -C "$repo" --range main..weak --task weak
expect_exit 0 "review shows the escalation" "$MAESTRO" review -C "$repo" main..weak --format json
jq -e '.contract | .status == "escalated" and (.escalation.why | test("below the floor 0.7"))
	and (.escalation.next_step.step | test("accept w1 by bot")) and .escalation.next_step.cost_usd == 2' <<<"$out" >/dev/null ||
	fail "escalation section: $out"
expect_exit 0 "the escalation in Markdown" "$MAESTRO" review -C "$repo" main..weak
grep -q "^Smallest safe next step: a human may accept w1" <<<"$out" || fail "Markdown escalation: $out"
finish
