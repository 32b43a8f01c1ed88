#!/usr/bin/env bash
# Signed evidence end to end with a real gpg and real repositories: maestro review
# records its card, maestro evidence show/verify accept it, and verify fails, naming
# the object, on each kind of tampering the issue lists; push and fetch through a
# bare repository merge two writers' evidence line by line and refuse a rewrite.
source "$(dirname "$0")/lib.sh"
command -v gpg >/dev/null || { echo "gpg is required (scripts/deps)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is required (scripts/deps)" >&2; exit 1; }

export GNUPGHOME=$(mktemp -d /tmp/mc-gpg.XXXXXX)   # short: the agent's socket path is limited
trap 'gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null; rm -rf "$GNUPGHOME" "$scratch"' EXIT

expect_exit 0 "evidence keygen" "$MAESTRO" evidence keygen --format json --name "Bot <bot@example.com>"
key=$(jq -r .fingerprint <<<"$out")
expect_exit 0 "a second key" "$MAESTRO" evidence keygen --format json --name "Other <other@example.com>"
other=$(jq -r .fingerprint <<<"$out")

repo=$scratch/repo
new_repo "$repo"
git -C "$repo" config user.signingkey "$key"
git -C "$repo" checkout -q -b feature
echo "fix" >>"$repo/README.md"
commit_all "$repo" "Fix the readme

Fixes: #1"
head=$(git -C "$repo" rev-parse feature)

# --- recording
expect_exit 0 "review records the card" "$MAESTRO" review -C "$repo" main..feature
grep -q "card recorded in refs/notes/maestro" <<<"$err" || fail "no recording note: $err"
expect_exit 0 "the same card is not recorded twice" "$MAESTRO" review -C "$repo" main..feature
grep -q "already recorded" <<<"$err" || fail "recorded twice: $err"
[ "$(git -C "$repo" notes --ref=maestro show "$head" | wc -l)" = 1 ] || fail "expected one record"
expect_exit 0 "git verify-commit accepts the notes commit" git -C "$repo" verify-commit refs/notes/maestro
expect_exit 0 "--no-record" "$MAESTRO" review -C "$repo" --no-record main..feature
grep -q "not recorded" <<<"$err" || fail "--no-record did not say so: $err"

# --- show and verify
expect_exit 0 "evidence show" "$MAESTRO" evidence show -C "$repo" --format json feature
[ "$(jq -r '.[0].verified' <<<"$out")" = true ] || fail "show: not verified: $out"
[ "$(jq -r '.[0].statement.subject[0].digest.gitCommit' <<<"$out")" = "$head" ] || fail "show: subject"
[ "$(jq -r '.[0].statement.predicate.schema' <<<"$out")" = "maestro.decision-card/v1" ] || fail "show: predicate"
expect_exit 0 "evidence verify" "$MAESTRO" evidence verify -C "$repo" --format json
[ "$(jq -r .records <<<"$out")" = 1 ] || fail "verify: record count: $out"
expect_exit 0 "evidence verify of a range" "$MAESTRO" evidence verify -C "$repo" main..feature
expect_exit 0 "show of a commit without evidence" "$MAESTRO" evidence show -C "$repo" main
grep -q "no evidence" <<<"$out" || fail "show main: $out"

# --- tampering, each on a copy of the repository
tamper_copy() { rm -rf "$scratch/t"; cp -a "$repo" "$scratch/t"; }
# Re-sign a notes commit whose note we changed, as someone holding the key could, and
# drop the reflog that would show the swap: the notes commit then verifies, and what
# it changed must not.
# With "orphan" the forged commit has no parent either: a history made up from scratch.
resign_notes() {
	local tip tree parent new
	tip=$(git -C "$scratch/t" rev-parse refs/notes/maestro)
	tree=$(git -C "$scratch/t" rev-parse "$tip^{tree}")
	parent=$(git -C "$scratch/t" rev-parse -q --verify "$tip^" || true)
	[ "${1:-}" != orphan ] || parent=
	new=$(git -C "$scratch/t" -c user.signingkey="$key" commit-tree -S ${parent:+-p "$parent"} -m "tampered" "$tree")
	git -C "$scratch/t" update-ref refs/notes/maestro "$new"
	rm -f "$scratch/t/.git/logs/refs/notes/maestro"
}

tamper_copy
note=$(git -C "$scratch/t" notes --ref=maestro show "$head")
flipped=$(sed 's/"payload":"\(.\)/"payload":"X/' <<<"$note")
[ "$flipped" != "$note" ] || flipped=$(sed 's/"payload":"\(.\)/"payload":"Y/' <<<"$note")
git -C "$scratch/t" notes --ref=maestro add -f -m "$flipped" "$head"
expect_exit 1 "a changed byte in an unsigned notes commit" "$MAESTRO" evidence verify -C "$scratch/t"
grep -q "is not signed" <<<"$err" || fail "expected 'not signed': $err"
resign_notes
expect_exit 1 "a changed byte in a re-signed notes commit" "$MAESTRO" evidence verify -C "$scratch/t"
grep -q "removed or changed record 1 of the note of $head" <<<"$err" || fail "the change is not named: $err"
resign_notes orphan
expect_exit 1 "a changed byte in a forged history" "$MAESTRO" evidence verify -C "$scratch/t"
grep -q "record 1 in the note of $head" <<<"$err" || fail "the record is not named: $err"

tamper_copy
git -C "$scratch/t" config user.signingkey "$other"
echo "more" >>"$scratch/t/README.md"
commit_all "$scratch/t" "Another change"
expect_exit 0 "a record signed by another key" "$MAESTRO" review -C "$scratch/t" main..feature
expect_exit 1 "a record by an unpinned key" "$MAESTRO" evidence verify -C "$scratch/t" --pin "$key"
grep -q "not pinned" <<<"$err" || fail "expected 'not pinned': $err"

tamper_copy
second=$(git -C "$scratch/t" rev-parse main)
"$MAESTRO" review -C "$scratch/t" --no-cache "main~0..feature" >/dev/null 2>&1 || true
git -C "$scratch/t" notes --ref=maestro add -f -m "" "$head" 2>/dev/null ||
	git -C "$scratch/t" notes --ref=maestro remove "$head"
resign_notes
expect_exit 1 "a deleted record" "$MAESTRO" evidence verify -C "$scratch/t"
grep -q "removed or changed record 1 of the note of $head" <<<"$err" || fail "deleted record not named: $err"

tamper_copy
echo "again" >>"$scratch/t/README.md"
commit_all "$scratch/t" "Second change"
"$MAESTRO" review -C "$scratch/t" main..feature >/dev/null 2>&1
git -C "$scratch/t" update-ref refs/notes/maestro refs/notes/maestro~1
expect_exit 1 "a rewritten notes ref" "$MAESTRO" evidence verify -C "$scratch/t"
grep -q "was rewritten" <<<"$err" || fail "rewrite not detected: $err"

# --- user.signingkey as git users often write it: an email or a key id
tamper_copy
git -C "$scratch/t" config user.signingkey "bot@example.com"
echo "by email" >>"$scratch/t/README.md"
commit_all "$scratch/t" "Signed by a key named by its email"
expect_exit 0 "a signing key named by email" "$MAESTRO" review -C "$scratch/t" main..feature
grep -q "signed by $key" <<<"$err" || fail "the email did not resolve to the key: $err"
git -C "$scratch/t" config user.signingkey "${key: -16}"
echo "by key id" >>"$scratch/t/README.md"
commit_all "$scratch/t" "Signed by a key named by its long id"
expect_exit 0 "a signing key named by its long key id" "$MAESTRO" review -C "$scratch/t" main..feature
grep -q "signed by $key" <<<"$err" || fail "the key id did not resolve to the key: $err"

# --- a key that cannot sign: one clear line, nothing written
tamper_copy
git -C "$scratch/t" config user.signingkey 0123456789ABCDEF0123456789ABCDEF01234567
before=$(git -C "$scratch/t" rev-parse refs/notes/maestro)
echo "x" >>"$scratch/t/README.md"
commit_all "$scratch/t" "Change with a missing key"
expect_exit 3 "a missing signing key" "$MAESTRO" review -C "$scratch/t" main..feature
expect_one_line "a missing signing key" "0123456789ABCDEF0123456789ABCDEF01234567"
[ "$(git -C "$scratch/t" rev-parse refs/notes/maestro)" = "$before" ] || fail "something was written"

# --- push and fetch through a bare repository; two writers merge line by line
bare=$scratch/bare.git
git init -q --bare -b main "$bare"
git -C "$repo" remote add origin "$bare"
git -C "$repo" push -q origin main feature
expect_exit 0 "evidence push" "$MAESTRO" evidence push -C "$repo"
[ "$(git -C "$bare" rev-parse refs/notes/maestro)" = "$(git -C "$repo" rev-parse refs/notes/maestro)" ] ||
	fail "the bare repository did not get the evidence"
clone=$scratch/clone
git clone -q "$bare" "$clone"
git -C "$clone" config user.signingkey "$key"
expect_exit 0 "fetch into a clone without evidence" "$MAESTRO" evidence fetch -C "$clone"
grep -q "fast-forwarded" <<<"$out" || fail "expected a fast-forward: $out"
# both write about different commits, then exchange
git -C "$clone" checkout -q -b side origin/main
echo "side" >"$clone/side.txt"
commit_all "$clone" "Side work"
expect_exit 0 "the clone records" "$MAESTRO" review -C "$clone" main..side
echo "more" >>"$repo/README.md"
commit_all "$repo" "More feature work"
expect_exit 0 "the first repository records" "$MAESTRO" review -C "$repo" main..feature
expect_exit 0 "push from the first" "$MAESTRO" evidence push -C "$repo"
expect_exit 1 "a push that would lose the clone's records is refused" "$MAESTRO" evidence push -C "$clone"
expect_exit 0 "fetch and merge" "$MAESTRO" evidence fetch -C "$clone" "$bare"
grep -q "merged" <<<"$out" || fail "expected a merge: $out"
expect_exit 0 "verify after the merge" "$MAESTRO" evidence verify -C "$clone" --format json
[ "$(jq -r .records <<<"$out")" = 3 ] || fail "expected 3 records after the merge: $out"
expect_exit 0 "push the merge" "$MAESTRO" evidence push -C "$clone" "$bare"
# a remote whose evidence was rewritten is refused, local evidence untouched
local_tip=$(git -C "$clone" rev-parse refs/notes/maestro)
git -C "$bare" update-ref refs/notes/maestro "$(git -C "$bare" rev-parse refs/notes/maestro~1)"
expect_exit 1 "fetch of rewritten evidence" "$MAESTRO" evidence fetch -C "$clone" "$bare"
[ "$(git -C "$clone" rev-parse refs/notes/maestro)" = "$local_tip" ] || fail "local evidence changed"

# --- usage
expect_exit 2 "unknown action" "$MAESTRO" evidence frob
expect_exit 2 "show without a revision" "$MAESTRO" evidence show -C "$repo"
expect_exit 2 "show of an unknown revision" "$MAESTRO" evidence show -C "$repo" nosuch
finish
