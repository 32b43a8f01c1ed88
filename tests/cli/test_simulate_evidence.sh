#!/usr/bin/env bash
# `maestro simulate` records signed evidence: a prediction about HEAD (or --commit REV)
# and its outcome, with a real gpg key in a throwaway GNUPGHOME; `maestro evidence
# show` decodes them (the trace's digest and size, the deltas' origin, the intervals,
# the prediction error) and `maestro evidence verify` accepts them. Without a key
# nothing is recorded and --commit says so; a configured key that cannot sign fails.
source "$(dirname "$0")/lib.sh"
command -v gpg >/dev/null || { echo "gpg is required (scripts/deps)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }

export GNUPGHOME=$(mktemp -d /tmp/mc-gpg.XXXXXX)   # short: the agent's socket path is limited
trap 'gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null; rm -rf "$GNUPGHOME" "$scratch"' EXIT

expect_exit 0 "evidence keygen" "$MAESTRO" evidence keygen --format json --name "Bot <bot@example.com>"
key=$(jq -r .fingerprint <<<"$out")

# /a: 1..100 ms (times FACTOR), /b: 40 requests of 50 ms, one of them a 503.
gen_trace() {
	awk -v f="$1" 'BEGIN {
		for (i = 1; i <= 100; i++)
			printf "{\"route\":\"/a\",\"latency_ms\":%.10g,\"status\":200,\"cost_usd\":0.002}\n", i * f
		for (i = 1; i <= 40; i++)
			printf "{\"route\":\"/b\",\"latency_ms\":50,\"status\":%d}\n", i == 1 ? 503 : 200
	}'
}
gen_trace 1 >"$scratch/base.jsonl"
gen_trace 1.2 >"$scratch/head.jsonl"
sha=$(sha256sum "$scratch/base.jsonl" | cut -d' ' -f1)
size=$(stat -c %s "$scratch/base.jsonl")

repo=$scratch/repo
new_repo "$repo"
first=$(git -C "$repo" rev-parse HEAD)
echo "change" >>"$repo/README.md"
commit_all "$repo" "A change"
head=$(git -C "$repo" rev-parse HEAD)

# --- without a key: nothing recorded; --commit says why
expect_exit 0 "predict without a key" "$MAESTRO" simulate -C "$repo" --trace "$scratch/base.jsonl" \
	--delta '/a:latency=x1.2'
grep -q "evidence" <<<"$err" && fail "a note without --commit: $err"
expect_exit 0 "--commit without a key" "$MAESTRO" simulate -C "$repo" --trace "$scratch/base.jsonl" \
	--delta '/a:latency=x1.2' --commit HEAD
grep -q "no signing key" <<<"$err" || fail "--commit did not say why nothing was recorded: $err"
git -C "$repo" rev-parse -q --verify refs/notes/maestro >/dev/null && fail "evidence written without a key"

# --- with a key: the prediction about HEAD
git -C "$repo" config user.signingkey "$key"
if expect_exit 0 "predict and record" "$MAESTRO" simulate -C "$repo" --trace "$scratch/base.jsonl" \
	--delta '/a:latency=x1.2' --format json; then
	id=$(jq -r .id <<<"$out")
	[ "$(jq -r .trace_sha256 <<<"$out")" = "$sha" ] || fail "the digest printed: $out"
	grep -q "prediction recorded in refs/notes/maestro on ${head:0:12}" <<<"$err" || fail "no note: $err"
fi
if expect_exit 0 "evidence show HEAD" "$MAESTRO" evidence show -C "$repo" --format json HEAD; then
	rec=$(jq '[.[] | select(.statement.predicateType == "https://maestro-conductor.dev/evidence/simulation/v1")][0]' <<<"$out")
	[ "$(jq -r .verified <<<"$rec")" = true ] || fail "not verified: $rec"
	p=$(jq .statement.predicate <<<"$rec")
	[ "$(jq -r .kind <<<"$p")" = prediction ] || fail "kind: $p"
	[ "$(jq -r .prediction_id <<<"$p")" = "$id" ] || fail "prediction id: $p"
	[ "$(jq -r .trace.sha256 <<<"$p")" = "$sha" ] || fail "trace digest: $p"
	[ "$(jq -r .trace.bytes <<<"$p")" = "$size" ] || fail "trace size: $p"
	[ "$(jq -r .trace.records <<<"$p")" = 140 ] || fail "trace records: $p"
	[ "$(jq -r .deltas.origin <<<"$p")" = cli ] || fail "deltas origin: $p"
	[ "$(jq -r '.deltas.document.routes["/a"].latency' <<<"$p")" = 1.2 ] || fail "deltas document: $p"
	[ "$(jq -r '.routes[0].route' <<<"$p")" = /a ] || fail "busiest route first: $p"
	jq -e '.routes[0].latency_ms.p99.delta_ci[1] >= .routes[0].latency_ms.p99.delta and .routes[1].latency_ms.p50.delta == 0' \
		<<<"$p" >/dev/null || fail "intervals: $p"
	jq -e '(.routes[1].error_rate.base - 0.025) | fabs < 1e-12' <<<"$p" >/dev/null || fail "/b error rate: $p"
fi

# --- --commit names another commit; deltas from a file say so
echo '{"default": {"cost": {"factor": 2}}}' >"$scratch/deltas.json"
expect_exit 0 "predict about --commit" "$MAESTRO" simulate -C "$repo" --trace "$scratch/base.jsonl" \
	--deltas "$scratch/deltas.json" --commit "$first"
grep -q "prediction recorded in refs/notes/maestro on ${first:0:12}" <<<"$err" || fail "--commit: $err"
expect_exit 0 "evidence show --commit's" "$MAESTRO" evidence show -C "$repo" --format json "$first"
[ "$(jq -r '.[0].statement.predicate.deltas.origin' <<<"$out")" = file ] || fail "file origin: $out"
expect_exit 3 "--commit outside a repository" "$MAESTRO" simulate -C "$scratch" --trace "$scratch/base.jsonl" \
	--commit HEAD --state "$scratch/state.db"
expect_exit 2 "--commit with --no-record" "$MAESTRO" simulate -C "$repo" --trace "$scratch/base.jsonl" \
	--commit HEAD --no-record

# --- the outcome: real traffic under the change, the prediction error recorded
if expect_exit 0 "outcome" "$MAESTRO" simulate outcome -C "$repo" --id "$id" --trace "$scratch/head.jsonl"; then
	grep -q "outcome recorded in refs/notes/maestro on ${head:0:12}" <<<"$err" || fail "outcome note: $err"
fi
expect_exit 0 "evidence show the outcome" "$MAESTRO" evidence show -C "$repo" --format json HEAD
p=$(jq '[.[] | select(.statement.predicate.kind == "outcome")][0].statement.predicate' <<<"$out")
[ "$(jq -r .prediction_id <<<"$p")" = "$id" ] || fail "outcome's prediction: $p"
[ "$(jq -r .trace.sha256 <<<"$p")" = "$(sha256sum "$scratch/head.jsonl" | cut -d' ' -f1)" ] || fail "outcome digest: $p"
jq -e '[.comparisons[] | select(.route == "/a")][0].p50_ms.error < 0.05' <<<"$p" >/dev/null ||
	fail "/a's p50 error under x1.2: $p"
jq -e '.comparisons[0].route == "*" and (.p50_error | type) == "number"' <<<"$p" >/dev/null || fail "overall: $p"

if expect_exit 0 "evidence verify" "$MAESTRO" evidence verify -C "$repo" --format json; then
	[ "$(jq -r .records <<<"$out")" = 3 ] || fail "verify: records: $out"
fi

# --- a configured key that cannot sign is an error, and nothing is written
before=$(git -C "$repo" rev-parse refs/notes/maestro)
git -C "$repo" config user.signingkey 0123456789ABCDEF0123456789ABCDEF01234567
expect_exit 3 "a key that cannot sign" "$MAESTRO" simulate -C "$repo" --trace "$scratch/base.jsonl"
[ "$(git -C "$repo" rev-parse refs/notes/maestro)" = "$before" ] || fail "the notes moved"

finish
