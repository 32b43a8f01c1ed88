#!/usr/bin/env bash
# `maestro review` with simulate.trace configured: the change is simulated on the trace
# committed in the base, the card carries the simulation section, and the gates on the
# upper bounds of the predicted increases block (exit 1) with a reason naming the route
# and the metric, or pass under the limits. Deltas from --delta win over
# simulate.deltas; an absolute trace path is read from the file system; a trace that
# cannot be read blocks when a gate is configured and is a warning when none is.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
mkdir -p "$repo/perf" "$repo/.maestro"
# /api/search: 400 requests of 10..409 ms; /health: 300 of 1 ms; /rare: 5 requests.
awk 'BEGIN {
	for (i = 0; i < 400; i++)
		printf "{\"route\":\"/api/search\",\"latency_ms\":%d,\"status\":%d,\"cost_usd\":0.001}\n", 10 + i, i % 100 == 0 ? 500 : 200
	for (i = 0; i < 300; i++)
		print "{\"route\":\"/health\",\"latency_ms\":1,\"status\":200}"
	for (i = 0; i < 5; i++)
		print "{\"route\":\"/rare\",\"latency_ms\":100,\"status\":200}"
}' >"$repo/perf/trace.jsonl"
cat >"$repo/.maestro/config.json" <<'JSON'
{ "simulate": { "trace": "perf/trace.jsonl", "deltas": ["*:latency=x1.01"],
                "max_p99_increase": 0.10, "max_error_rate_increase": 0.01 } }
JSON
commit_all "$repo" "Configure the simulation"
git -C "$repo" checkout -q -b feature
echo "faster search" >"$repo/search.c"
commit_all "$repo" "Search"

# --- over the p99 gate on one route: blocked, the reason names the route and the metric
if expect_exit 1 "a p99 regression on /api/search blocks" "$MAESTRO" review -C "$repo" --no-record \
	--format json --delta '/api/search:latency=x1.3' main..feature; then
	[ "$(jq -r .decision.verdict <<<"$out")" = fail ] || fail "verdict: $out"
	reason=$(jq -r '.decision.blocking[0]' <<<"$out")
	grep -q "^/api/search: predicted p99 latency +30.0 %" <<<"$reason" || fail "route and metric not named: $reason"
	grep -q "simulate.max_p99_increase = 10 %" <<<"$reason" || fail "the key is not named: $reason"
	grep -q "all routes: predicted p99 latency" <<<"$reason" || fail "the whole trace's p99 moves too: $reason"
	[ "$(jq -r '.policy.gates[] | select(.gate == "simulation") | .passed' <<<"$out")" = false ] ||
		fail "the simulation gate: $out"
	s=$(jq .simulation <<<"$out")
	[ "$(jq -r .deltas.origin <<<"$s")" = cli ] || fail "origin: $s"
	[ "$(jq -r .trace.name <<<"$s")" = "$(git -C "$repo" rev-parse --short=12 main):perf/trace.jsonl" ] ||
		fail "trace name: $s"
	[ "$(jq -r .trace.sha256 <<<"$s")" = "$(sha256sum "$repo/perf/trace.jsonl" | cut -d' ' -f1)" ] ||
		fail "trace digest: $s"
	[ "$(jq -r .trace.records <<<"$s")" = 705 ] || fail "records: $s"
	[ "$(jq -r '.routes[0].route' <<<"$s")" = /api/search ] || fail "busiest first: $s"
	[ "$(jq -r '.routes[0].failed | join(",")' <<<"$s")" = p99 ] || fail "failed metrics: $s"
	[ "$(jq -r '.routes[] | select(.route == "/health") | .failed | length' <<<"$s")" = 0 ] || fail "/health: $s"
	jq -e '.routes[0].latency_ms.p99.change_high >= .routes[0].latency_ms.p99.change and
	       .routes[0].latency_ms.p99.change_low <= .routes[0].latency_ms.p99.change and
	       (.routes[0].latency_ms.p99.change - 0.3 | fabs) < 1e-9' <<<"$s" >/dev/null || fail "interval: $s"
fi

# --- the Markdown card shows the section and the reason
expect_exit 1 "the card as Markdown" "$MAESTRO" review -C "$repo" --no-record --delta '/api/search:latency=x1.3' main..feature
grep -q "^#### Simulation" <<<"$out" || fail "no simulation section: $out"
grep -q "⛔ /api/search: predicted p99 latency" <<<"$out" || fail "no blocking line: $out"
grep -q "^| /api/search | 400 |" <<<"$out" || fail "no /api/search row: $out"

# --- under the gate: passes; the gate says so
if expect_exit 0 "a small change passes" "$MAESTRO" review -C "$repo" --no-record --format json \
	--delta '*:latency=x1.02' main..feature; then
	jq -e '.policy.gates[] | select(.gate == "simulation") | .applies and .passed' <<<"$out" >/dev/null ||
		fail "the gate did not pass: $out"
fi

# --- deltas from the config when the command line has none
if expect_exit 0 "simulate.deltas" "$MAESTRO" review -C "$repo" --no-record --format json main..feature; then
	[ "$(jq -r .simulation.deltas.origin <<<"$out")" = config ] || fail "origin config: $out"
	[ "$(jq -r .simulation.deltas.document.default.latency <<<"$out")" = 1.01 ] || fail "config deltas: $out"
fi

# --- an error-rate increase on a route below min_requests is not gated on its own, but
#     the whole trace is: +0.5 points on /rare's 5 requests moves all routes by little
expect_exit 0 "a tiny route is not gated alone" "$MAESTRO" review -C "$repo" --no-record --format json \
	--delta '/rare:errors=+0.5' main..feature
expect_exit 1 "errors over the gate" "$MAESTRO" review -C "$repo" --no-record --format json \
	--delta '/api/search:errors=+0.05' main..feature
grep -q "/api/search: predicted error rate +5.00 points" <<<"$(jq -r '.decision.blocking[0]' <<<"$out")" ||
	fail "error rate reason: $out"

# --- a mistyped delta is a usage error
expect_exit 2 "a bad --delta" "$MAESTRO" review -C "$repo" --delta '/api:latency=fast' main..feature

# --- the head cannot change the trace or the gates: the base's config is read
echo '{ "simulate": { "trace": null } }' >"$repo/.maestro/config.json"
commit_all "$repo" "Switch the simulation off"
expect_exit 1 "the head's config does not apply" "$MAESTRO" review -C "$repo" --no-record \
	--delta '/api/search:latency=x1.3' main..feature

# --- an absolute path, read from the file system
repo2=$scratch/repo2
new_repo "$repo2"
cp "$repo/perf/trace.jsonl" "$scratch/abs.jsonl"
mkdir -p "$repo2/.maestro"
printf '{ "simulate": { "trace": "%s", "max_cost_increase": 0.05 } }\n' "$scratch/abs.jsonl" >"$repo2/.maestro/config.json"
commit_all "$repo2" "Configure"
git -C "$repo2" checkout -q -b feature
echo x >"$repo2/x"
commit_all "$repo2" "X"
if expect_exit 1 "cost over the gate, absolute trace" "$MAESTRO" review -C "$repo2" --no-record --format json \
	--delta '*:cost=x1.2' main..feature; then
	[ "$(jq -r .simulation.trace.name <<<"$out")" = "$scratch/abs.jsonl" ] || fail "absolute name: $out"
	grep -q "all routes: predicted cost per request +20.0 %" <<<"$(jq -r '.decision.blocking[0]' <<<"$out")" || fail "cost reason: $out"
fi
# The trace gone: the gate cannot be shown to hold, so it blocks and says why.
rm "$scratch/abs.jsonl"
if expect_exit 1 "an unreadable trace with a gate blocks" "$MAESTRO" review -C "$repo2" --no-record \
	--format json --delta '*:cost=x1.0' main..feature; then
	grep -q "the simulation could not run: .*abs.jsonl" <<<"$(jq -r '.decision.blocking[0]' <<<"$out")" ||
		fail "unreadable reason: $out"
	jq -e 'has("simulation") | not' <<<"$out" >/dev/null || fail "a section without a simulation: $out"
fi
# Without a gate it is a warning only.
git -C "$repo2" checkout -q main
printf '{ "simulate": { "trace": "%s" } }\n' "$scratch/abs.jsonl" >"$repo2/.maestro/config.json"
commit_all "$repo2" "No gate"
git -C "$repo2" checkout -q feature
git -C "$repo2" rebase -q main
if expect_exit 0 "an unreadable trace without a gate warns" "$MAESTRO" review -C "$repo2" --no-record \
	--format json --delta '*:cost=x1.2' main..feature; then
	jq -e '.warnings | any(test("the simulation could not run"))' <<<"$out" >/dev/null || fail "no warning: $out"
fi

finish
