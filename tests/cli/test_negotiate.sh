#!/usr/bin/env bash
# `maestro negotiate` and `maestro agents` end to end: a contract per task, refusals by
# name (malformed, extreme numbers, unknown task, expired, flooding, unsigned where
# signatures are required, a bad signature), escalation with a next step, counter-offers
# by a conceding profile, offers from the PR's head tree and from agent profiles,
# actuals -> penalty -> corrected judgement, and contracts and penalties recorded as
# signed evidence.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }
export GNUPGHOME=$(mktemp -d /tmp/mc-gpg.XXXXXX)
trap 'gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null; rm -rf "$GNUPGHOME" "$scratch"' EXIT

# offer ID AGENT TASK EVAL USD MINUTES RISK [EXPIRES]
offer() {
	printf '{"offerId":"%s","agentId":"%s","taskId":"%s","arm":"a","predEval":%s,"predCostUSD":%s,"predMinutes":%s,"risk":%s,"expiresAt":"%s"}' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-2099-01-01T00:00:00Z}"
}
state=$scratch/state.db
cat >"$scratch/in.json" <<INPUT
{"tasks": [{"id": "T1"}, {"id": "T2", "value_usd": 300}],
 "offers": [
  $(offer o1 alice T1 0.9 5 30 0.1),
  $(offer o2 bob T1 0.85 1 20 0.1),
  $(offer o3 bob T2 0.6 1 20 0.1),
  $(offer o4 carol T9 0.9 1 20 0.1),
  {"offerId": "o5", "agentId": "carol", "taskId": "T1", "arm": "a", "predEval": 0.9,
   "predCostUSD": 1e999, "predMinutes": 1, "risk": 0.1, "expiresAt": "2099-01-01T00:00:00Z"},
  $(offer o6 carol T1 0.9 1 20 0.1 2001-01-01T00:00:00Z),
  {"offerId": "o7", "agentId": "carol", "taskId": "T1", "predEval": "high"},
  $(offer o8 dave T1 0.95 -3 20 0.1)
 ]}
INPUT
expect_exit 1 "a negotiation with an escalation" "$MAESTRO" negotiate --offers "$scratch/in.json" --state "$state" --format json
doc=$out
[ "$(jq -r '.contracts | map("\(.task_id)=\(.agent_id)/\(.offer.offer_id)") | join(",")' <<<"$doc")" = "T1=bob/o2" ] ||
	fail "contracts: $doc"
jq -e '.contracts[0].conflict == true and .contracts[0].contenders == 2' <<<"$doc" >/dev/null ||
	fail "two agents claimed T1: $doc"
jq -e '.escalations[0] | .task_id == "T2" and (.why | test("eval 0.6.*below the floor 0.7"))
	and .next_step.offer_id == "o3" and .next_step.cost_usd == 1
	and ((.next_step.expected_value_usd - (300 * 0.6 * 0.9 - 1)) | fabs) < 1e-9' <<<"$doc" >/dev/null ||
	fail "escalation: $doc"
for want in 'o4: taskId: no such task' 'o5 \(offers\[4\]\): /predCostUSD' 'o6: expiresAt: the offer has expired' \
	'o7 \(offers\[6\]\): /' 'o8 \(offers\[7\]\): /predCostUSD'; do
	jq -r '.refusals[].reason' <<<"$doc" | grep -Eq -- "$want" || fail "no refusal matching '$want': $doc"
done
[ "$(jq '.refusals | length' <<<"$doc")" = 5 ] || fail "refusals: $doc"
contract=$(jq -r '.contracts[0].contract_id' <<<"$doc")

# --- a budget binds: bob's $1 does not fit in $0.5, and bob does not concede (no profile)
expect_exit 1 "budget" "$MAESTRO" negotiate --offers "$scratch/in.json" --state "$scratch/b.db" --budget usd=0.5
grep -q "escalation: task T1" <<<"$out" || fail "budget: $out"
expect_exit 2 "bad budget" "$MAESTRO" negotiate --offers "$scratch/in.json" --state "$scratch/b.db" --budget eur=3

# --- counter-offers: a conceding profile meets the eval floor within the rounds
echo '{"agents": [{"id": "bob", "strategy": "linear", "concession": 0.5}]}' >"$scratch/policy.json"
expect_exit 0 "bob concedes on T2" "$MAESTRO" negotiate --offers "$scratch/in.json" --state "$scratch/c.db" --policy "$scratch/policy.json" --format json
jq -e '.contracts | map(select(.task_id == "T2"))[0] | .round >= 1 and .offer.pred_eval >= 0.7
	and (.offer.offer_id | startswith("o3~r"))' <<<"$out" >/dev/null || fail "counter-offer: $out"
echo '{"agents": [{"id": "bob", "strategy": "sometimes"}]}' >"$scratch/bad-policy.json"
expect_exit 2 "a bad policy file" "$MAESTRO" negotiate --offers "$scratch/in.json" --state "$scratch/c.db" --policy "$scratch/bad-policy.json"
expect_one_line "a bad policy file" "/negotiation/agents/0/strategy"

# --- actuals: a miss, a penalty, a record; twice is refused
expect_exit 0 "actuals with a miss" "$MAESTRO" negotiate actuals --state "$state" --contract "$contract" --usd 3 --minutes 20 --eval 0.85 --format json
jq -e '.misses[0].dimension == "cost_usd" and ((.penalty_usd - 1.8) | fabs) < 1e-9 and .agent.misses == 1' <<<"$out" >/dev/null ||
	fail "penalty: $out"
expect_exit 2 "actuals twice" "$MAESTRO" negotiate actuals --state "$state" --contract "$contract" --usd 1 --minutes 20 --eval 0.85
expect_exit 2 "actuals not a number" "$MAESTRO" negotiate actuals --state "$state" --contract "$contract" --usd nan --minutes 20 --eval 0.85
expect_exit 2 "unknown contract" "$MAESTRO" negotiate actuals --state "$state" --contract ct-nope --usd 1 --minutes 1 --eval 1
expect_one_line "unknown contract" "no contract 'ct-nope'"
expect_exit 0 "agents" "$MAESTRO" agents --state "$state" --format json
jq -e '.[] | select(.agent_id == "bob") | .contracts == 1 and .misses == 1 and .bias.cost_factor > 2.9' <<<"$out" >/dev/null ||
	fail "bob's record: $out"

# --- the record changes the judgement: bob's $1 now reads as about $2.1, so alice wins T3
echo "[$(offer p1 alice T3 0.9 1.5 20 0.1), $(offer p2 bob T3 0.9 1 20 0.1)]" >"$scratch/t3.json"
expect_exit 0 "corrected predictions" "$MAESTRO" negotiate --offers "$scratch/t3.json" --state "$state" --format json
[ "$(jq -r '.contracts[0].agent_id' <<<"$out")" = alice ] || fail "bob's bias not applied: $out"

# --- flooding: the third offer of one agent within the window is refused
echo '{"rate_limit": 2}' >"$scratch/rate.json"
for i in 1 2 3; do offer "f$i" eve T1 0.9 1 10 0.1 >"$scratch/f$i.json"; done
expect_exit 0 "submit 1" "$MAESTRO" negotiate submit "$scratch/f1.json" --state "$scratch/r.db" --policy "$scratch/rate.json"
expect_exit 0 "submit 1 again (a re-delivery)" "$MAESTRO" negotiate submit "$scratch/f1.json" --state "$scratch/r.db" --policy "$scratch/rate.json" --format json
[ "$(jq -r .duplicate <<<"$out")" = true ] || fail "duplicate: $out"
expect_exit 0 "submit 2" "$MAESTRO" negotiate submit "$scratch/f2.json" --state "$scratch/r.db" --policy "$scratch/rate.json"
expect_exit 2 "submit 3 is rate limited" "$MAESTRO" negotiate submit "$scratch/f3.json" --state "$scratch/r.db" --policy "$scratch/rate.json"
expect_one_line "rate limited" "offer f3: agentId: agent eve is rate limited"
offer f1 eve T2 0.9 1 10 0.1 >"$scratch/f1b.json"
expect_exit 2 "an offer id reused" "$MAESTRO" negotiate submit "$scratch/f1b.json" --state "$scratch/r.db" --policy "$scratch/rate.json"
expect_one_line "an offer id reused" "offer f1: offerId: already used"
expect_exit 0 "stored offers are negotiated" "$MAESTRO" negotiate --state "$scratch/r.db" --format json
[ "$(jq -r '.contracts[0].offer.offer_id' <<<"$out")" = f1 ] || fail "stored offers: $out"

# --- in a repository: profiles, signatures, offers in the head tree, evidence
repo=$scratch/repo
new_repo "$repo"
key=$("$MAESTRO" evidence keygen --format json | jq -r .fingerprint)
agent_key=$("$MAESTRO" evidence keygen --format json | jq -r .fingerprint)
[ -n "$key" ] && [ -n "$agent_key" ] || { fail "keygen"; finish; }
mkdir -p "$repo/.maestro"
cat >"$repo/.maestro/config.json" <<CONFIG
{"evidence": {"signing_key": "$key"},
 "negotiation": {"require_signatures": true, "agents": [
   {"id": "signer", "key": "$agent_key"},
   {"id": "standing", "arm": "cheap", "pred_eval": 0.75, "pred_cost_usd": 4, "pred_minutes": 50, "risk": 0.2}]}}
CONFIG
commit_all "$repo" "Negotiation config"
git -C "$repo" checkout -q -b pr
mkdir -p "$repo/.maestro/offers"
offer s1 signer T5 0.9 2 30 0.1 >"$scratch/s1.json"
sig=$("$MAESTRO" negotiate canonical "$scratch/s1.json" | gpg --batch -q --armor --detach-sign -u "$agent_key")
jq --arg s "$sig" '. + {signature: $s}' "$scratch/s1.json" >"$repo/.maestro/offers/s1.json"
offer u1 unsigned T5 0.99 0.1 5 0.01 >"$repo/.maestro/offers/u1.json"
jq '.predCostUSD = 0.5 | .offerId = "s2"' "$repo/.maestro/offers/s1.json" >"$repo/.maestro/offers/s2.json"
echo 'not json' >"$repo/.maestro/offers/junk.json"
commit_all "$repo" "Offers"
expect_exit 0 "offers from the head tree" "$MAESTRO" negotiate -C "$repo" --head pr --format json
doc=$out
[ "$(jq -r '.contracts[0].offer.offer_id' <<<"$doc")" = s1 ] || fail "signed offer s1 should win: $doc"
jq -r '.refusals[].reason' <<<"$doc" | grep -q "offer u1: signature: no signature" || fail "unsigned u1: $doc"
jq -r '.refusals[].reason' <<<"$doc" | grep -q "offer s2: signature: does not verify" || fail "tampered s2: $doc"
jq -r '.refusals[].reason' <<<"$doc" | grep -q "junk.json" || fail "junk: $doc"
[ "$(jq '.offers' <<<"$doc")" = 2 ] || fail "s1 and the standing offer: $doc"
grep -q "contract recorded" <<<"$err" || fail "contract not recorded: $err"
contract=$(jq -r '.contracts[0].contract_id' <<<"$doc")
expect_exit 0 "evidence show" "$MAESTRO" evidence show -C "$repo" --format json pr
jq -e --arg c "$contract" '.[] | select(.verified) | .statement.predicate | select(.contract_id == $c and .agent_id == "signer")' <<<"$out" >/dev/null ||
	fail "no verified contract record: $out"
expect_exit 0 "actuals recorded as a penalty" "$MAESTRO" negotiate actuals -C "$repo" --head pr --contract "$contract" --usd 2 --minutes 90 --eval 0.9
grep -q "penalty recorded" <<<"$err" || fail "penalty not recorded: $err"
expect_exit 0 "evidence verify" "$MAESTRO" evidence verify -C "$repo"
expect_exit 0 "agents in the repository" "$MAESTRO" agents -C "$repo"
grep -q "^signer " <<<"$out" || fail "agents: $out"
# --- a task is contracted once: running again neither makes a second contract nor
# draws the train's budget twice ($1 + $0.4 fits in $1.5; $2 + $0.4 would not)
echo "[$(offer once1 bob T1 0.9 1 20 0.1)]" >"$scratch/once.json"
expect_exit 0 "first run" "$MAESTRO" negotiate --offers "$scratch/once.json" --state "$scratch/once.db" --budget usd=1.5 --format json
first=$(jq -r '.contracts[0].contract_id' <<<"$out")
expect_exit 0 "second run" "$MAESTRO" negotiate --offers "$scratch/once.json" --state "$scratch/once.db" --budget usd=1.5 --now 4000000000 --format json
jq -e --arg c "$first" '(.contracts | length) == 0 and .contracted_before == [{task_id: "T1", contract_id: $c}]' <<<"$out" >/dev/null ||
	fail "a second contract for T1: $out"
echo "[$(offer once2 bob T4 0.9 0.4 20 0.1)]" >"$scratch/once2.json"
expect_exit 0 "the budget counts T1 once" "$MAESTRO" negotiate --offers "$scratch/once2.json" --state "$scratch/once.db" --budget usd=1.5 --format json
[ "$(jq -r '.contracts[0].task_id' <<<"$out")" = T4 ] || fail "T4 should fit the budget left: $out"

# --- a change's policy is its base's config (as review reads it), not its own
cfgrepo=$scratch/cfgrepo
new_repo "$cfgrepo"
mkdir -p "$cfgrepo/.maestro"
echo '{"negotiation": {"min_eval": 0.7}}' >"$cfgrepo/.maestro/config.json"
commit_all "$cfgrepo" "Strict negotiation"
git -C "$cfgrepo" checkout -q -b loosen
echo '{"negotiation": {"min_eval": 0.1}}' >"$cfgrepo/.maestro/config.json"
mkdir -p "$cfgrepo/.maestro/offers"
offer weak1 weak loosen 0.5 1 10 0.1 >"$cfgrepo/.maestro/offers/weak1.json"
commit_all "$cfgrepo" "Loosen the floor and offer below the old one"
expect_exit 1 "--range: the base's floor holds" "$MAESTRO" negotiate -C "$cfgrepo" --range main..loosen --task loosen --state "$scratch/cfg.db" --format json
jq -e '.escalations[0].task_id == "loosen" and (.escalations[0].why | test("below the floor 0.7"))' <<<"$out" >/dev/null ||
	fail "the change loosened its own floor: $out"
expect_exit 0 "--head alone reads the checked-out config" "$MAESTRO" negotiate -C "$cfgrepo" --head loosen --task loosen --state "$scratch/cfg2.db" --format json
[ "$(jq -r '.contracts[0].offer.offer_id' <<<"$out")" = weak1 ] || fail "--head: $out"
finish
