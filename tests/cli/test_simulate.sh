#!/usr/bin/env bash
# `maestro simulate`: a hand-checked prediction from a small JSON Lines trace (text and
# JSON), deltas from options and from a file, an access log, malformed traces and bad
# options (exit 2, one line naming file:line and the field), recording in a
# repository's cache.db and in --state, an outcome with its prediction error, and
# accuracy over the recorded outcomes.
. "$(dirname "$0")/lib.sh"

# 1. A trace whose quantiles are known: /a has latencies 1..101 ms times FACTOR (2 of
#    them 503s), /b has 50 requests of 200 ms; each request costs 0.01 USD.
gen_trace() {
	awk -v f="$1" 'BEGIN {
		for (i = 1; i <= 101; i++)
			printf "{\"ts\": %d, \"route\": \"/a\", \"latency_ms\": %.10g, \"status\": %d, \"cost_usd\": 0.01}\n", i, i * f, i <= 2 ? 503 : 200
		for (i = 1; i <= 50; i++)
			print "{\"status\":200,\"latency_ms\":2e2,\"route\":\"/b\",\"cost_usd\":0.01,\"extra\":{\"k\":[1]}}"
	}'
}
trace=$scratch/base.jsonl
gen_trace 1 >"$trace"

if expect_exit 0 "predict, json" "$MAESTRO" simulate --trace "$trace" --no-record --format json \
	--delta '/a:latency=x1.5,errors=+0.01' --delta '*:cost=x0.5'; then
	[ "$(jq -r '.overall.requests' <<<"$out")" = 151 ] || fail "requests: $out"
	[ "$(jq -r '.routes[0].route' <<<"$out")" = /a ] || fail "route order: $out"
	[ "$(jq -r '.routes[0].latency_ms.p50.base' <<<"$out")" = 51 ] || fail "/a p50: $out"
	[ "$(jq -r '.routes[0].latency_ms.p95.base' <<<"$out")" = 96 ] || fail "/a p95: $out"
	[ "$(jq -r '.routes[0].latency_ms.p50.predicted' <<<"$out")" = 76.5 ] || fail "/a p50 predicted: $out"
	[ "$(jq -r '.routes[1].latency_ms.p50.predicted' <<<"$out")" = 200 ] || fail "/b unchanged: $out"
	jq -e '(.routes[0].error_rate.predicted - (2/101 + 0.01)) | fabs < 1e-12' <<<"$out" >/dev/null ||
		fail "/a error rate: $out"
	jq -e '(.overall.cost_usd_total.predicted - 0.755) | fabs < 1e-9' <<<"$out" >/dev/null ||
		fail "total cost: $out"
	jq -e '.routes[0].latency_ms.p50.delta_ci[0] > 0 and .routes[0].latency_ms.p50.delta_ci[0] <= .routes[0].latency_ms.p50.delta' \
		<<<"$out" >/dev/null || fail "/a p50 delta interval: $out"
	jq -e 'has("id") | not' <<<"$out" >/dev/null || fail "--no-record recorded: $out"
fi

# The same deltas from a file give the same prediction; --delta applies on top.
cat >"$scratch/deltas.json" <<'JSON'
{"source": "manual", "default": {"cost": {"factor": 0.5}},
 "routes": {"/a": {"latency": 1.5, "errors": {"add": 0.01}}}}
JSON
expect_exit 0 "predict, deltas file" "$MAESTRO" simulate --trace "$trace" --no-record --format json \
	--deltas "$scratch/deltas.json" &&
	{ jq -e '[.routes[].latency_ms.p50.predicted] == [76.5, 200] and
		((.overall.cost_usd_total.predicted - 0.755) | fabs < 1e-9)' <<<"$out" >/dev/null ||
	fail "deltas file: $out"; }
expect_exit 0 "predict, text" "$MAESTRO" simulate --trace "$trace" --no-record --delta '*:p50=x2' &&
	{ grep -q "^/a: 101 requests, 2 errors, 101 latency samples$" <<<"$out" &&
	  grep -q "p50 latency   51.00 ms -> 102.00 ms" <<<"$out" || fail "text: $out"; }

# 2. An access log with the request time appended.
cat >"$scratch/access.log" <<'LOG'
203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /items?page=2 HTTP/1.1" 200 2326 "-" "curl/8" 0.010
203.0.113.9 - - [10/Oct/2000:13:55:37 -0700] "GET /items HTTP/1.1" 500 12 "-" "curl/8" 0.030
203.0.113.9 - - [10/Oct/2000:13:55:38 -0700] "POST /orders HTTP/1.1" 201 0 "-" "curl/8" 0.100
LOG
if expect_exit 0 "access log" "$MAESTRO" simulate --trace "$scratch/access.log" --format-in nginx \
	--cost-per-request 0.001 --no-record --format json; then
	[ "$(jq -c '[.routes[] | [.route, .requests, .errors, .latency_ms.p50.base]]' <<<"$out")" = '[["/items",2,1,20],["/orders",1,0,100]]' ] ||
		fail "access log routes: $out"
	jq -e '(.overall.cost_usd_total.base - 0.003) | fabs < 1e-12' <<<"$out" >/dev/null || fail "access log cost: $out"
fi

# 3. Malformed traces and bad options: exit 2, one line saying where and what.
printf '{"route":"/a","latency_ms":1,"status":200}\n{"route":"/a","latency_ms":"slow","status":200}\n' >"$scratch/bad.jsonl"
expect_exit 2 "malformed line" "$MAESTRO" simulate --trace "$scratch/bad.jsonl" --no-record &&
	expect_one_line "malformed line" "bad.jsonl:2: latency_ms: expected a number"
expect_exit 2 "access log read as jsonl" "$MAESTRO" simulate --trace "$scratch/access.log" --no-record &&
	expect_one_line "access log read as jsonl" "access.log:1: line: expected a JSON object"
expect_exit 2 "bad delta" "$MAESTRO" simulate --trace "$trace" --delta '/a:latency=+3' &&
	expect_one_line "bad delta" "delta '/a:latency=\\+3': latency wants a factor"
echo '{"routes": {"/a": {"latency": -1}}}' >"$scratch/bad-deltas.json"
expect_exit 2 "bad deltas file" "$MAESTRO" simulate --trace "$trace" --deltas "$scratch/bad-deltas.json" &&
	expect_one_line "bad deltas file" "bad-deltas.json: deltas: /routes/.*latency"
expect_exit 2 "no trace" "$MAESTRO" simulate --no-record
expect_exit 2 "missing trace" "$MAESTRO" simulate --trace "$scratch/none.jsonl" --no-record &&
	expect_one_line "missing trace" "none.jsonl: No such file"
: >"$scratch/empty.jsonl"
expect_exit 2 "empty trace" "$MAESTRO" simulate --trace "$scratch/empty.jsonl" --no-record &&
	expect_one_line "empty trace" "the trace holds no requests"

# 4. Recording: outside a repository without --state it is printed, not recorded.
(cd "$scratch" && expect_exit 0 "outside a repository" "$MAESTRO" simulate --trace "$trace") &&
	grep -q "prediction not recorded: not in a git repository" "$scratch/err" ||
	fail "outside a repository: $(cat "$scratch/err")"

# In a repository: the prediction goes to its cache.db.
new_repo "$scratch/repo"
if expect_exit 0 "record in a repository" "$MAESTRO" simulate -C "$scratch/repo" --trace "$trace" \
	--delta '/a:latency=x1.5' --format json; then
	id=$(jq -r .id <<<"$out")
	[ "$id" = 1 ] || fail "first id: $out"
	[ -f "$scratch/repo/.git/maestro/cache.db" ] || fail "no cache.db"
fi

# The real outcome: /a got 1.6x slower, not 1.5x; /b did not change.
gen_trace 1.6 >"$scratch/actual.jsonl"
if expect_exit 0 "outcome" "$MAESTRO" simulate outcome -C "$scratch/repo" --id 1 \
	--trace "$scratch/actual.jsonl" --format json; then
	[ "$(jq -r '.routes[0].route' <<<"$out")" = "*" ] || fail "outcome: overall first: $out"
	jq -e '.routes[] | select(.route == "/a") | (.actual_p50_ms == 81.6 and ((.p50_error - (81.6 - 76.5) / 81.6) | fabs < 1e-12))' \
		<<<"$out" >/dev/null || fail "outcome /a: $out"
	jq -e '.routes[] | select(.route == "/b") | .p50_error == 0' <<<"$out" >/dev/null ||
		fail "outcome /b: $out"
fi
expect_exit 2 "outcome of nothing" "$MAESTRO" simulate outcome -C "$scratch/repo" --id 99 \
	--trace "$scratch/actual.jsonl" ||
	fail "an unknown prediction id"
expect_exit 2 "outcome without id" "$MAESTRO" simulate outcome -C "$scratch/repo" --trace "$trace"

if expect_exit 0 "accuracy" "$MAESTRO" simulate accuracy -C "$scratch/repo" --format json; then
	[ "$(jq -c '[.predictions, .with_outcome, .route_comparisons]' <<<"$out")" = "[1,1,2]" ] ||
		fail "accuracy counts: $out"
	jq -e '((.p50_error_mean - (5.1/81.6)/2) | fabs < 1e-12) and .meets_bar == true' <<<"$out" >/dev/null ||
		fail "accuracy mean: $out"
fi
expect_exit 0 "accuracy, text" "$MAESTRO" simulate accuracy -C "$scratch/repo" &&
	{ grep -q "p50 prediction error over 2 routes: mean 3.1 %" <<<"$out" || fail "accuracy text: $out"; }

# --state keeps predictions anywhere, repository or not; accuracy with none says so.
expect_exit 0 "accuracy, empty state" "$MAESTRO" simulate accuracy --state "$scratch/s.db" &&
	{ grep -q "no outcome yet" <<<"$out" || fail "empty accuracy: $out"; }
expect_exit 0 "record in --state" "$MAESTRO" simulate --trace "$trace" --state "$scratch/s.db" &&
	{ grep -q "prediction 1 recorded in $scratch/s.db" <<<"$out" || fail "state: $out"; }
(cd "$scratch" && expect_exit 3 "accuracy outside a repository" "$MAESTRO" simulate accuracy) ||
	fail "accuracy outside a repository"

# Standard input as the trace.
expect_exit 0 "trace from stdin" bash -c "\"$MAESTRO\" simulate --trace - --no-record --format json <\"$trace\"" &&
	{ [ "$(jq -r .overall.requests <<<"$out")" = 151 ] || fail "stdin: $out"; }

finish
