#!/usr/bin/env bash
# `maestro canary judge` end to end: sample files written here (a clear latency
# regression, a no-op, the R example of ?wilcox.test), judged with the default
# and with a configured canary section, in text and JSON; the exit status
# follows the verdict; bad files fail with one line naming file:line and field.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

d=$scratch
# samples FILE SHIFT: 20 lines of latency_ms around 100 (+ SHIFT) and errors 0/1
samples() {
	local i
	: >"$1"
	for i in $(seq 0 19); do
		printf '{"latency_ms": %s, "errors": %d}\n' \
			"$(awk -v i="$i" -v s="$2" 'BEGIN { printf "%.2f", 100 + ((i * 7) % 11 - 5) * 0.8 + s }')" \
			"$((i % 7 == 0))" >>"$1"
	done
}
samples "$d/base.jsonl" 0
samples "$d/same.jsonl" 0
samples "$d/slow.jsonl" 15

# --- a no-op passes (identical samples), exit 0
expect_exit 0 "no-op passes" "$MAESTRO" canary judge "$d/base.jsonl" "$d/same.jsonl"
grep -q '^canary: pass' <<<"$out" || fail "no-op text verdict: $out"

# --- +15 %: latency High (values repeat, so the normal approximation); errors
# pass; score 50 = marginal, exit 1
expect_exit 1 "regression is not a pass" "$MAESTRO" canary judge "$d/base.jsonl" "$d/slow.jsonl" --format json
[ "$(jq -r .verdict <<<"$out")" = marginal ] || fail "verdict: $(jq -r .verdict <<<"$out")"
[ "$(jq -r '.metrics[] | select(.name == "latency_ms") | .class' <<<"$out")" = High ] || fail "latency class"
[ "$(jq -r '.metrics[] | select(.name == "errors") | .class' <<<"$out")" = Pass ] || fail "errors class"
[ "$(jq -r '.metrics[] | select(.name == "latency_ms") | .estimate * 1000 | round' <<<"$out")" = 15000 ] || fail "estimate"
[ "$(jq '.score' <<<"$out")" = 50 ] || fail "score $(jq .score <<<"$out")"
jq -e '.metrics[] | select(.name == "latency_ms") | (.ci[0] > 0) and (.p_value < 0.02) and (.exact == false)
	and ((.effect * 1000 | round) == 150) and (.u == 400)' <<<"$out" >/dev/null || fail "latency statistics: $out"

# --- a configuration: latency critical -> fail; only listed metrics are judged
cat >"$d/config.json" <<'EOF'
{"canary": {"metrics": [{"name": "latency_ms", "critical": true, "tolerance": 0.1}]}}
EOF
expect_exit 1 "critical regression fails" "$MAESTRO" canary judge --config "$d/config.json" \
	--format json "$d/base.jsonl" "$d/slow.jsonl"
jq -e '.verdict == "fail" and .score == 0 and (.reason | test("critical metric latency_ms is High"))
	and .unjudged == ["errors"] and (.metrics | length) == 1' <<<"$out" >/dev/null || fail "critical: $out"
# a 25 % tolerance lets the same shift pass
sed 's/"tolerance": 0.1/"tolerance": 0.25/' "$d/config.json" >"$d/lenient.json"
expect_exit 0 "within tolerance passes" "$MAESTRO" canary judge --config "$d/lenient.json" "$d/base.jsonl" "$d/slow.jsonl"
grep -q 'within the tolerance' <<<"$out" || fail "tolerance reason: $out"

# --- R's ?wilcox.test example: W = 35, p = 0.2544, estimate 0.305, 95 % CI [-0.15, 0.76]
printf '{"x": %s}\n' 0.80 0.83 1.89 1.04 1.45 1.38 1.91 1.64 0.73 1.46 >"$d/rx.jsonl"
printf '{"x": %s}\n' 1.15 0.88 0.90 0.74 1.21 >"$d/ry.jsonl"
echo '{"canary": {"confidence": 0.95}}' >"$d/c95.json"
expect_exit 0 "R example" "$MAESTRO" canary judge --config "$d/c95.json" --format json "$d/ry.jsonl" "$d/rx.jsonl"
jq -e '.metrics[0] | .u == 35 and (.p_value * 10000 | round) == 2544 and (.estimate * 1000 | round) == 305
	and ([.ci[] * 100 | round] == [-15, 76])' <<<"$out" >/dev/null || fail "R example statistics: $out"

# --- too few samples: NoData; nothing judged fails
head -n 3 "$d/base.jsonl" >"$d/three.jsonl"
expect_exit 1 "too few samples" "$MAESTRO" canary judge --format json "$d/three.jsonl" "$d/same.jsonl"
jq -e '.verdict == "fail" and .reason == "no metric could be judged" and
	([.metrics[].class] | unique) == ["NoData"]' <<<"$out" >/dev/null || fail "nodata: $out"

# --- bad input: one line naming file:line and field, exit 2
printf '{"latency_ms": 1}\n{"latency_ms": "fast"}\n' >"$d/bad.jsonl"
expect_exit 2 "string value" "$MAESTRO" canary judge "$d/base.jsonl" "$d/bad.jsonl"
expect_one_line "string value" "bad.jsonl:2: latency_ms: expected a number, got string"
printf '{"latency_ms": 1}\n[1, 2]\n' >"$d/bad.jsonl"
expect_exit 2 "array line" "$MAESTRO" canary judge "$d/bad.jsonl" "$d/base.jsonl"
expect_one_line "array line" "bad.jsonl:2: expected one JSON object"
printf '{"latency ms": 1}\n' >"$d/bad.jsonl"
expect_exit 2 "bad metric name" "$MAESTRO" canary judge "$d/bad.jsonl" "$d/base.jsonl"
expect_one_line "bad metric name" "bad.jsonl:1: metric name 'latency ms'"
printf '{"a": 1}\n{"a": 2,\n' >"$d/bad.jsonl"
expect_exit 2 "broken JSON" "$MAESTRO" canary judge "$d/bad.jsonl" "$d/base.jsonl"
expect_one_line "broken JSON" "bad.jsonl:2: "
awk 'BEGIN { printf "{\"a\": \""; for (i = 0; i < 70000; i++) printf "x"; print "\"}" }' >"$d/long.jsonl"
expect_exit 2 "long line" "$MAESTRO" canary judge "$d/long.jsonl" "$d/base.jsonl"
expect_one_line "long line" "long.jsonl:1: the line is longer than 65536 bytes"
awk 'BEGIN { printf "{"; for (i = 0; i < 101; i++) printf "%s\"m%d\": 1", (i ? ", " : ""), i; print "}" }' >"$d/wide.jsonl"
expect_exit 2 "too many metrics" "$MAESTRO" canary judge "$d/wide.jsonl" "$d/base.jsonl"
expect_one_line "too many metrics" "wide.jsonl:1: m100: more than 100 different metrics"
expect_exit 2 "missing file" "$MAESTRO" canary judge "$d/nope.jsonl" "$d/base.jsonl"
expect_exit 2 "one file" "$MAESTRO" canary judge "$d/base.jsonl"
echo '{"canary": {"metrics": [{"name": "x", "direction": "up"}]}}' >"$d/badcfg.json"
expect_exit 2 "bad config" "$MAESTRO" canary judge --config "$d/badcfg.json" "$d/base.jsonl" "$d/base.jsonl"
expect_one_line "bad config" "/canary/metrics/0/direction"
expect_exit 0 "help" "$MAESTRO" help canary
grep -q 'canary judge BASE.jsonl HEAD.jsonl' <<<"$out" || fail "help text"

finish
