#!/usr/bin/env bash
# `maestro config check|show`: validation with the JSON path of the problem, and
# the effective configuration at a revision (the file over the defaults).
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

repo=$scratch/repo
new_repo "$repo"
expect_exit 0 "show without a config file gives the defaults" "$MAESTRO" config show -C "$repo" --format json
[ "$(jq -r .policy.max_risk <<<"$out")" = 0.8 ] || fail "default max_risk: $(jq -r .policy.max_risk <<<"$out")"

mkdir -p "$repo/.maestro"
echo '{"version": 1, "policy": {"max_risk": 0.5}}' >"$repo/.maestro/config.json"
commit_all "$repo" "Add config"
echo '{"version": 1, "policy": {"max_risk": 0.9}}' >"$repo/.maestro/config.json"
expect_exit 0 "show reads the committed file, not the work tree" "$MAESTRO" config show -C "$repo" --format json
[ "$(jq -r .policy.max_risk <<<"$out")" = 0.5 ] || fail "committed max_risk"
expect_exit 0 "show --at an older revision" "$MAESTRO" config show -C "$repo" --at HEAD~1 --format json
[ "$(jq -r .policy.max_risk <<<"$out")" = 0.8 ] || fail "max_risk before the config existed"
expect_exit 2 "show --at an unknown revision" "$MAESTRO" config show -C "$repo" --at nosuch
expect_one_line "unknown revision" "unknown revision 'nosuch'"

cd "$repo"
expect_exit 0 "check the work tree's file" "$MAESTRO" config check
grep -q "valid" <<<"$out" || fail "check says: $out"
echo '{"version": 1, "policy": {"max_risk": "high"}}' >"$scratch/bad-type.json"
expect_exit 2 "check: wrong type" "$MAESTRO" config check "$scratch/bad-type.json"
expect_one_line "wrong type" "/policy/max_risk: expected number"
echo '{"version": 1, "polcy": {}}' >"$scratch/unknown-key.json"
expect_exit 2 "check: unknown key" "$MAESTRO" config check "$scratch/unknown-key.json"
expect_one_line "unknown key" "polcy"
echo '{"version": 1,' >"$scratch/truncated.json"
expect_exit 2 "check: not JSON" "$MAESTRO" config check "$scratch/truncated.json"
expect_exit 2 "check: missing file" "$MAESTRO" config check "$scratch/none.json"
head -c 300000 /dev/zero | tr '\0' ' ' >"$scratch/huge.json"
expect_exit 2 "check: over the size limit" "$MAESTRO" config check "$scratch/huge.json"
expect_exit 2 "unknown action" "$MAESTRO" config frob
finish
