#!/usr/bin/env bash
# An agent's offer carrying predicted deltas: once `maestro negotiate --range`
# contracted the change's task, `maestro review` with simulate.trace simulates the
# offer's deltas (origin "offer") over simulate.deltas, the contract on the card keeps
# them, and the simulation gate blocks on what the agent predicted. --delta still wins.
# An offer whose deltas the engine would refuse is refused by negotiation, naming the field.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
mkdir -p "$repo/perf" "$repo/.maestro"
awk 'BEGIN {
	for (i = 0; i < 400; i++)
		printf "{\"route\":\"/api/search\",\"latency_ms\":%d,\"status\":200,\"cost_usd\":0.001}\n", 10 + i
}' >"$repo/perf/trace.jsonl"
cat >"$repo/.maestro/config.json" <<'JSON'
{ "simulate": { "trace": "perf/trace.jsonl", "deltas": ["*:latency=x1.01"],
                "max_p99_increase": 0.10 } }
JSON
commit_all "$repo" "Simulation"
git -C "$repo" checkout -q -b feature
mkdir -p "$repo/.maestro/offers"
cat >"$repo/.maestro/offers/o1.json" <<'JSON'
{"offerId":"o1","agentId":"bot","taskId":"feature","arm":"fast","predEval":0.9,"predCostUSD":2,
 "predMinutes":30,"risk":0.1,"expiresAt":"2099-01-01T00:00:00Z",
 "deltas":{"source":"the agent's benchmark","routes":{"/api/search":{"p99":1.4}}}}
JSON
commit_all "$repo" "An agent's offer with predicted deltas"

# Before the negotiation there is no contract: simulate.deltas.
expect_exit 0 "review before negotiating" "$MAESTRO" review -C "$repo" --no-record --format json main..feature &&
	{ [ "$(jq -r .simulation.deltas.origin <<<"$out")" = config ] || fail "origin before: $out"; }

expect_exit 0 "negotiate" "$MAESTRO" negotiate -C "$repo" --range main..feature --task feature --format json
jq -e '.contracts[0].offer.deltas.routes["/api/search"].p99 == 1.4' <<<"$out" >/dev/null ||
	fail "the contract does not keep the offer's deltas: $out"

if expect_exit 1 "the offer's deltas block" "$MAESTRO" review -C "$repo" --no-record --format json main..feature; then
	[ "$(jq -r .simulation.deltas.origin <<<"$out")" = offer ] || fail "origin: $(jq .simulation.deltas <<<"$out")"
	[ "$(jq -r '.simulation.deltas.document.routes["/api/search"].p99' <<<"$out")" = 1.4 ] ||
		fail "deltas: $(jq .simulation.deltas <<<"$out")"
	[ "$(jq -r '.contract.offer.deltas.routes["/api/search"].p99' <<<"$out")" = 1.4 ] ||
		fail "the card's contract: $(jq .contract <<<"$out")"
	jq -e '.decision.blocking | any(test("^/api/search: predicted p99 latency \\+40.0 %"))' <<<"$out" >/dev/null ||
		fail "blocking reason: $(jq .decision <<<"$out")"
fi
expect_exit 1 "the card in Markdown" "$MAESTRO" review -C "$repo" --no-record main..feature &&
	{ grep -q "under deltas from offer" <<<"$out" || fail "Markdown origin: $out"; }
expect_exit 0 "--delta wins over the offer" "$MAESTRO" review -C "$repo" --no-record --format json \
	--delta '*:latency=x1.0' main..feature &&
	{ [ "$(jq -r .simulation.deltas.origin <<<"$out")" = cli ] || fail "origin cli: $out"; }

# An offer whose deltas the engine refuses is not considered.
git -C "$repo" checkout -q -b bad main
mkdir -p "$repo/.maestro/offers"
cat >"$repo/.maestro/offers/b1.json" <<'JSON'
{"offerId":"b1","agentId":"bot","taskId":"bad","arm":"fast","predEval":0.9,"predCostUSD":2,
 "predMinutes":30,"risk":0.1,"expiresAt":"2099-01-01T00:00:00Z",
 "deltas":{"default":{"latency":0}}}
JSON
commit_all "$repo" "A bad offer"
"$MAESTRO" negotiate -C "$repo" --range main..bad --task bad --format json >"$scratch/bad.out" 2>"$scratch/bad.err"
jq -e '.refusals | any(.offer_id == "b1" and (.reason | test("/deltas/default/latency")))' "$scratch/bad.out" >/dev/null ||
	fail "the bad deltas are not refused by name: $(cat "$scratch/bad.out" "$scratch/bad.err")"
finish
