#!/usr/bin/env bash
# `maestro priority raise|drop|set`: a reason is required, the override is stored and
# recorded as a signed override record on the item's head commit, and it changes what
# `maestro plan` picks from the portfolio.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }
export GNUPGHOME=$(mktemp -d /tmp/mc-gpg.XXXXXX)
trap 'gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null; rm -rf "$GNUPGHOME" "$scratch"' EXIT

repo=$scratch/repo
new_repo "$repo"
# two changes worth 500 and 450, each costing 10 CI minutes (cost.ci_minutes)
git -C "$repo" checkout -q -b a main
echo a >"$repo/a.txt"
commit_all "$repo" "Change a

Maestro-Value: 500"
git -C "$repo" checkout -q -b b main
echo b >"$repo/b.txt"
commit_all "$repo" "Change b

Maestro-Value: 450"
expect_exit 0 "review a" "$MAESTRO" review -C "$repo" main..a
expect_exit 0 "review b" "$MAESTRO" review -C "$repo" main..b

expect_exit 0 "plan picks the more valuable" "$MAESTRO" plan -C "$repo" --budget usd=10 --budget ci=10 --format json
[ "$(jq -r '.plan.chosen | join(",")' <<<"$out")" = a ] || fail "before the override: $out"

# --- refusals change nothing
expect_exit 2 "no reason" "$MAESTRO" priority -C "$repo" raise b
expect_exit 2 "a blank reason" "$MAESTRO" priority -C "$repo" raise b --reason "   "
expect_one_line "a blank reason" "a reason is required"
expect_exit 2 "out of range" "$MAESTRO" priority -C "$repo" set b 50 --reason "too much"
expect_exit 2 "unknown item" "$MAESTRO" priority -C "$repo" raise nosuch --reason "x"
expect_one_line "unknown item" "no work item 'nosuch'"
expect_exit 2 "unknown action" "$MAESTRO" priority -C "$repo" lift b --reason "x"
expect_exit 0 "portfolio" "$MAESTRO" portfolio -C "$repo" --format json
[ "$(jq -r '.[] | select(.id == "b") | .priority' <<<"$out")" = 0 ] || fail "a refusal changed b"

# --- without a key: stored, with a note that no evidence was recorded
expect_exit 0 "raise b without a key" "$MAESTRO" priority -C "$repo" raise b --reason "customer escalation" --format json
[ "$(jq -r '"\(.before)->\(.after) \(.recorded)"' <<<"$out")" = "0->1 false" ] || fail "raise: $out"
grep -q "no signing key" <<<"$err" || fail "no note about the missing key: $err"
expect_exit 0 "plan now picks b" "$MAESTRO" plan -C "$repo" --budget usd=10 --budget ci=10 --format json
[ "$(jq -r '.plan.chosen | join(",")' <<<"$out")" = b ] || fail "after the override: $out"

# --- with a key: recorded as a signed override about b's head commit
key=$("$MAESTRO" evidence keygen --format json | jq -r .fingerprint)
git -C "$repo" config user.signingkey "$key"
expect_exit 0 "set b with a key" "$MAESTRO" priority -C "$repo" set b 3 --reason "release blocker for 2.0"
grep -q "override recorded" <<<"$err" || fail "not recorded: $err"
expect_exit 0 "evidence show b" "$MAESTRO" evidence show -C "$repo" --format json b
jq -e '.[] | select(.verified and .statement.predicateType == "https://maestro-conductor.dev/evidence/override/v1")
	| .statement.predicate | select(.action == "set" and .before == 1 and .after == 3
	and .reason == "release blocker for 2.0" and .change == "b")' <<<"$out" >/dev/null ||
	fail "no verified override record: $out"
expect_exit 0 "evidence verify" "$MAESTRO" evidence verify -C "$repo"
expect_exit 0 "drop" "$MAESTRO" priority -C "$repo" drop b --reason "scope cut" --format json
[ "$(jq -r .after <<<"$out")" = 2 ] || fail "drop: $out"
finish
