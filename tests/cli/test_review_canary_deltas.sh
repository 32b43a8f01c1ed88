#!/usr/bin/env bash
# `maestro review --canary` with simulate.trace configured: the shadow canary's
# measurement (the medians of latency_ms on base and head) becomes the simulation's
# deltas, over simulate.deltas; the card says they came from the canary, and the
# simulation gate blocks a head the canary measured 50 % slower with its reason. A
# head the canary finds no slower passes with a factor of 1.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }

# Checkouts go here; the sandbox user must be able to reach them.
tmp=$(mktemp -d /tmp/maestro-canary-test.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$scratch" "$tmp"' EXIT
export TMPDIR=$tmp

repo=$scratch/repo
new_repo "$repo"
mkdir -p "$repo/perf" "$repo/.maestro"
awk 'BEGIN {
	for (i = 0; i < 400; i++)
		printf "{\"route\":\"/api/search\",\"latency_ms\":%d,\"status\":200,\"cost_usd\":0.001}\n", 10 + i
}' >"$repo/perf/trace.jsonl"
cat >"$repo/.maestro/config.json" <<'JSON'
{ "canary": { "run": ["sh", "bench.sh"], "rounds": 2, "timeout_s": 10 },
  "simulate": { "trace": "perf/trace.jsonl", "deltas": ["*:latency=x1.01"],
                "max_p99_increase": 0.10 } }
JSON
cat >"$repo/bench.sh" <<'SH'
#!/bin/sh
lat=10
for i in 1 2 3; do echo "{\"latency_ms\": $lat}"; done
SH
commit_all "$repo" "Canary and simulation"
git -C "$repo" checkout -q -b slower
sed -i 's/^lat=10$/lat=15/' "$repo/bench.sh"
commit_all "$repo" "Slower"
git -C "$repo" checkout -q -b same main
echo "docs" >"$repo/NOTES.md"
commit_all "$repo" "Notes"

# --- the canary measured head 1.5 times slower: the simulation applies x1.5 and blocks
if expect_exit 1 "a slower head blocks on the simulation" "$MAESTRO" review -C "$repo" --no-record \
	--format json --canary main..slower; then
	s=$(jq .simulation <<<"$out")
	[ "$(jq -r .deltas.origin <<<"$s")" = canary ] || fail "origin: $s"
	[ "$(jq -r .deltas.document.default.latency <<<"$s")" = 1.5 ] || fail "canary ratio: $s"
	jq -e '(.routes[0].latency_ms.p99.change - 0.5 | fabs) < 1e-9' <<<"$s" >/dev/null || fail "p99 change: $s"
	[ "$(jq -r '.policy.gates[] | select(.gate == "simulation") | .passed' <<<"$out")" = false ] ||
		fail "the simulation gate: $out"
	jq -e '.decision.blocking | any(test("^/api/search: predicted p99 latency \\+50.0 %.*simulate.max_p99_increase = 10 %"))' \
		<<<"$out" >/dev/null || fail "no blocking reason: $(jq .decision <<<"$out")"
fi

# --- the same range without --canary: simulate.deltas, which pass
if expect_exit 0 "without --canary, simulate.deltas" "$MAESTRO" review -C "$repo" --no-record \
	--format json main..slower; then
	[ "$(jq -r .simulation.deltas.origin <<<"$out")" = config ] || fail "origin config: $out"
fi

# --- --delta still wins over the canary (whose own gate still fails the slower head)
if expect_exit 1 "--delta over the canary" "$MAESTRO" review -C "$repo" --no-record \
	--format json --canary --delta '*:latency=x1.0' main..slower; then
	[ "$(jq -r .simulation.deltas.origin <<<"$out")" = cli ] || fail "origin cli: $out"
	[ "$(jq -r '.policy.gates[] | select(.gate == "simulation") | .passed' <<<"$out")" = true ] ||
		fail "the simulation gate under --delta: $out"
fi

# --- a head the canary finds no slower: factor 1, passes, still from the canary
if expect_exit 0 "an unchanged head passes" "$MAESTRO" review -C "$repo" --no-record \
	--format json --canary main..same; then
	[ "$(jq -r .simulation.deltas.origin <<<"$out")" = canary ] || fail "origin: $out"
	[ "$(jq -r .simulation.deltas.document.default.latency <<<"$out")" = 1 ] || fail "ratio 1: $out"
fi

finish
