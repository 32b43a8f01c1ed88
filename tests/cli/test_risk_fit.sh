#!/usr/bin/env bash
# `maestro risk fit`: regenerating the shipped model and its document from the
# reference data gives the committed files byte for byte; --format json is JSON
# with both projects; missing data exits 3 with one line; a malformed file and
# bad options exit 2 and say what is wrong.
set -euo pipefail
maestro=${MAESTRO:?MAESTRO is not set}
src=${MAESTRO_SOURCE_DIR:?MAESTRO_SOURCE_DIR is not set}
shared=${MAESTRO_SHARED_DATA:?MAESTRO_SHARED_DATA is not set}
jit=$shared/jit
for f in openstack_k_feature.csv qt_k_feature.csv; do
	[ -f "$jit/$f" ] || { echo "the reference data is not in $jit" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
problem() { echo "FAIL: $*" >&2; fail=1; }

# Run maestro with the rest of the arguments; sets $rc, $out and $err (files).
run() {
	rc=0
	"$maestro" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# 1. The generated files are reproduced exactly (run from elsewhere than the source tree).
(cd "$tmp" && "$maestro" risk fit --write-defaults "$tmp/risk_defaults.c" \
	--write-doc "$tmp/RISK.md" >"$tmp/fit.txt")
cmp "$tmp/risk_defaults.c" "$src/src/model/risk_defaults.c" ||
	problem "src/model/risk_defaults.c is not what \`maestro risk fit --write-defaults\` writes"
cmp "$tmp/RISK.md" "$src/docs/RISK.md" ||
	problem "docs/RISK.md is not what \`maestro risk fit --write-doc\` writes"
for name in openstack qt; do
	grep -q "^$name " "$tmp/fit.txt" || problem "the text report has no line for $name"
done

# 2. JSON: valid, with both projects and figures that are probabilities.
run risk fit --format json
[ "$rc" = 0 ] || problem "--format json exited $rc: $(cat "$tmp/err")"
if command -v python3 >/dev/null; then
	python3 - "$tmp/out" <<'EOF' || problem "--format json: the document is not as expected"
import json, sys
doc = json.load(open(sys.argv[1]))
names = [p["name"] for p in doc["projects"]]
assert names == ["openstack", "qt"], names
for p in doc["projects"]:
    for part in ("model", "baseline_la"):
        f = p[part]
        assert 0.5 < f["auc"] < 1, (p["name"], part, f)
        assert 0 < f["brier"] < p["base_rate_brier"], (p["name"], part, f)
        assert f["fit_seconds"] >= 0, f
    assert p["train_rows"] + p["test_rows"] == p["rows"], p
    assert len(p["sha256"]) == 64, p
dm = doc["default_model"]
assert dm["rows"] == sum(p["rows"] for p in doc["projects"]), dm
assert len(dm["features"]) == 14, dm
EOF
elif command -v jq >/dev/null; then
	jq -e '[.projects[].name] == ["openstack", "qt"] and (.default_model.features | length) == 14' \
		"$tmp/out" >/dev/null || problem "--format json: the document is not as expected"
else
	problem "neither python3 nor jq is available to parse the JSON"
fi

# 3. Missing data: exit 3 and one line naming what is missing.
run risk fit --data "$tmp/nope.csv"
[ "$rc" = 3 ] || problem "a missing --data file exited $rc, not 3"
[ "$(wc -l <"$tmp/err")" = 1 ] || problem "a missing --data file printed $(wc -l <"$tmp/err") lines"
grep -qF "$tmp/nope.csv" "$tmp/err" || problem "the error does not name the file: $(cat "$tmp/err")"
rc=0
(cd "$tmp" && MAESTRO_SHARED_DATA=$tmp/none MAESTRO_SOURCE_DIR=$tmp/none \
	"$maestro" risk fit >"$tmp/out" 2>"$tmp/err") || rc=$?
[ "$rc" = 3 ] || problem "no reference data exited $rc, not 3"
[ "$(wc -l <"$tmp/err")" = 1 ] || problem "no reference data printed $(wc -l <"$tmp/err") lines"
grep -qF "$tmp/none/jit" "$tmp/err" || problem "the error does not say where it looked: $(cat "$tmp/err")"

# 4. A malformed file: exit 2 naming file:line:column. The header and five good rows
# come from the reference file; line 7 has "x1" for la, the tenth column.
bad=$tmp/bad_k_feature.csv
good=$(head -n 6 "$jit/openstack_k_feature.csv")
{ printf '%s\n' "$good"; tail -n 1 <<<"$good" | awk -F, -v OFS=, '{ $10 = "x1"; print }'; } >"$bad"
run risk fit --data "$bad"
[ "$rc" = 2 ] || problem "a malformed file exited $rc, not 2"
grep -qF "$bad:7:10: column 'la': 'x1' is not a decimal number" "$tmp/err" ||
	problem "the error does not name file:line:column: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || problem "a failed fit printed a report"
# A header without a required column names the column.
head -n 1 "$jit/openstack_k_feature.csv" | sed 's/,sexp$//' >"$bad"
run risk fit --data "$bad"
[ "$rc" = 2 ] || problem "a header without sexp exited $rc, not 2"
grep -qF "$bad:1: the header has no 'sexp' column" "$tmp/err" ||
	problem "a missing column is not named: $(cat "$tmp/err")"

# 5. Bad options exit 2 with a usage line, before any data is read.
for args in "--split 0" "--split 1" "--split 1.5" "--split abc" "--split 0.5x" "--split nan" \
	"--lambda -1" "--lambda abc" "--lambda inf" "--lambda 1e-3x"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	run risk fit $args
	[ "$rc" = 2 ] || problem "risk fit $args exited $rc, not 2"
	grep -qF -- "${args%% *} must be a number" "$tmp/err" ||
		problem "risk fit $args: $(cat "$tmp/err")"
done
run risk fit --split 0.5 --lambda 0.01 --data "$tmp/nope.csv"
[ "$rc" = 3 ] || problem "valid --split and --lambda were refused (exit $rc): $(cat "$tmp/err")"

[ "$fail" = 0 ] && echo "ok: risk fit reproduces the shipped model and reports errors as documented"
exit "$fail"
