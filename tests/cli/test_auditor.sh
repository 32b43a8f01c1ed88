#!/usr/bin/env bash
# docs/AUDITOR.md promises that an auditor can verify Maestro's evidence with git,
# gpg, jq and a shell alone. This runs exactly the shell blocks of that page, in
# order, as one script, on evidence maestro wrote: they must accept it, agree with
# maestro evidence verify, and reject the same evidence after tampering.
source "$(dirname "$0")/lib.sh"
src=${MAESTRO_SOURCE_DIR:?MAESTRO_SOURCE_DIR is not set}
for tool in gpg jq base64; do
	command -v "$tool" >/dev/null || { echo "$tool is required (scripts/deps)" >&2; exit 1; }
done

bot_home=$(mktemp -d /tmp/mc-gpg.XXXXXX)
trap 'gpgconf --homedir "$bot_home" --kill all 2>/dev/null; rm -rf "$bot_home" "$scratch"' EXIT

# The auditor's script: every ```sh block of AUDITOR.md, in order.
awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' "$src/docs/AUDITOR.md" >"$scratch/audit.sh"
[ "$(grep -c . "$scratch/audit.sh")" -gt 20 ] || fail "AUDITOR.md has no shell blocks to run"

# The bot: a key, a repository with recorded evidence, pushed to a bare "origin".
key=$(GNUPGHOME=$bot_home "$MAESTRO" evidence keygen --format json --name "Bot <bot@example.com>" |
	jq -r .fingerprint)
repo=$scratch/repo
new_repo "$repo"
git -C "$repo" config user.signingkey "$key"
for branch in one two; do
	git -C "$repo" checkout -q -b "$branch" main
	echo "$branch" >"$repo/$branch.txt"
	commit_all "$repo" "Work on $branch"
	GNUPGHOME=$bot_home "$MAESTRO" review -C "$repo" "main..$branch" >/dev/null 2>&1 ||
		[ $? -eq 1 ] || fail "review of $branch"
done
bare=$scratch/origin.git
git clone -q --bare "$repo" "$bare"
git -C "$repo" push -q "$bare" refs/notes/maestro
GNUPGHOME=$bot_home gpg --batch --armor --export "$key" >"$scratch/maestro-bot.asc"

# audit DIR: run the auditor's script in a fresh clone of origin with only the public key.
audit() {
	local dir=$scratch/$1 rc=0
	rm -rf "$dir"
	git clone -q "$bare" "$dir"
	cp "$scratch/maestro-bot.asc" "$dir/"
	(cd "$dir" && PINNED=$key bash -e "$scratch/audit.sh") >"$scratch/audit.out" 2>&1 || rc=$?
	out=$(cat "$scratch/audit.out")
	return $rc
}

if audit clean; then
	pass "the auditor's commands accept maestro's evidence"
else
	fail "the auditor's commands rejected good evidence: $out"
fi
grep -q "notes commits signed by $key" <<<"$out" || fail "no signature summary: $out"
grep -q "2 records verified on 2 commits" <<<"$out" || fail "no record summary: $out"
expect_exit 0 "maestro agrees" env GNUPGHOME=$bot_home "$MAESTRO" evidence verify -C "$repo" --pin "$key"

# A flipped byte in a record, committed in a notes commit signed by the same key.
git -C "$repo" checkout -q one
target=$(git -C "$repo" rev-parse one)
note=$(git -C "$repo" notes --ref=maestro show "$target")
git -C "$repo" notes --ref=maestro add -f -m "$(sed 's/"payload":"\(.\)/"payload":"Z/' <<<"$note")" "$target"
tip=$(git -C "$repo" rev-parse refs/notes/maestro)
signed=$(GNUPGHOME=$bot_home git -C "$repo" -c user.signingkey="$key" commit-tree -S \
	-p "$(git -C "$repo" rev-parse "$tip^")" -m "forged" "$tip^{tree}")
git -C "$bare" fetch -q "$repo" "+$signed:refs/notes/maestro" 2>/dev/null ||
	git -C "$repo" push -q -f "$bare" "$signed:refs/notes/maestro"
if audit tampered; then
	fail "the auditor's commands accepted a changed record: $out"
else
	pass "the auditor's commands reject a changed record"
	grep -q "removed or changed a record" <<<"$out" || fail "the reason is not given: $out"
fi

# A notes commit signed by another key.
other_home=$(mktemp -d /tmp/mc-gpg.XXXXXX)
other=$(GNUPGHOME=$other_home "$MAESTRO" evidence keygen --format json --name "Eve <eve@example.com>" |
	jq -r .fingerprint)
good=$(git -C "$repo" rev-parse "$tip^")
forged=$(GNUPGHOME=$other_home git -C "$repo" -c user.signingkey="$other" commit-tree -S \
	-p "$good" -m "forged" "$good^{tree}")
git -C "$repo" push -q -f "$bare" "$forged:refs/notes/maestro"
gpgconf --homedir "$other_home" --kill all 2>/dev/null
rm -rf "$other_home"
if audit other-key; then
	fail "the auditor's commands accepted a notes commit by another key: $out"
else
	pass "the auditor's commands reject a notes commit by another key"
fi
finish
