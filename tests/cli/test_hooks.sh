#!/usr/bin/env bash
# `maestro hooks install|uninstall` and the pre-push hook, driven by real
# `git push` to a bare repository: a change that passes the gates is pushed,
# one that fails is blocked with the reason, and existing hooks are chained
# to, never clobbered.
source "$(dirname "$0")/lib.sh"

remote=$scratch/remote.git
repo=$scratch/repo
git init -q --bare -b main "$remote"
new_repo "$repo"
mkdir -p "$repo/.maestro" "$repo/secret" "$repo/docs"
cat >"$repo/.maestro/config.json" <<'JSON'
{"version": 1, "policy": {"max_risk": 1, "protected_paths": ["secret/**"], "protected_approvals": 1}}
JSON
echo "key" >"$repo/secret/keys.txt"
echo "guide" >"$repo/docs/guide.md"
commit_all "$repo" "Policy: secret/ needs an approval"
git -C "$repo" remote add origin "$remote"
git -C "$repo" push -q origin main

# --- install
expect_exit 0 "hooks install" "$MAESTRO" hooks install -C "$repo"
hook=$repo/.git/hooks/pre-push
[ -x "$hook" ] || fail "no executable pre-push hook at $hook"
grep -q "maestro-hook" "$hook" || fail "the installed hook is not maestro's"
expect_exit 0 "hooks install again updates in place" "$MAESTRO" hooks install -C "$repo"
[ ! -e "$hook.pre-maestro" ] || fail "reinstalling chained maestro's own hook"

# --- a change that passes is pushed
git -C "$repo" checkout -q -b docs-change
echo "more guide" >>"$repo/docs/guide.md"
commit_all "$repo" "Expand the guide"
expect_exit 0 "push of a passing change" git -C "$repo" push origin docs-change
grep -q "maestro: refs/heads/docs-change: pass" <<<"$err" || fail "no pass line: $err"
[ "$(git -C "$remote" rev-parse docs-change)" = "$(git -C "$repo" rev-parse docs-change)" ] ||
	fail "the passing branch did not reach the remote"

# --- a change that fails a gate is blocked, with the reason
git -C "$repo" checkout -q main
git -C "$repo" checkout -q -b secret-change
echo "new key" >>"$repo/secret/keys.txt"
commit_all "$repo" "Rotate the key"
expect_exit 1 "push of a failing change is blocked" git -C "$repo" push origin secret-change
grep -q "blocked by policy" <<<"$err" || fail "no blocked line: $err"
grep -q "protected paths" <<<"$err" || fail "the reason is not printed: $err"
if git -C "$remote" rev-parse -q --verify secret-change >/dev/null; then
	fail "the blocked branch reached the remote"
fi
expect_exit 0 "--no-verify bypasses the hook" git -C "$repo" push -q --no-verify origin secret-change

# --- only what the remote does not have yet is reviewed: an empty follow-up passes
git -C "$repo" commit -q --allow-empty -m "Approve the rotation

Reviewed-by: Alice <alice@example.com>"
expect_exit 0 "the range since the remote's tip is reviewed" git -C "$repo" push origin secret-change

# --- deleting a branch and pushing a tag are not reviewed
expect_exit 0 "deleting a branch" git -C "$repo" push -q origin :docs-change
git -C "$repo" tag v1 secret-change~1
expect_exit 0 "pushing a tag" git -C "$repo" push -q origin v1

# --- malformed hook input is a usage error, not a crash
expect_exit 2 "malformed pre-push input" bash -c "echo 'garbage' | '$MAESTRO' hook pre-push origin url"
expect_exit 2 "unknown hook" "$MAESTRO" hook post-merge

# --- a foreign hook is chained to and runs first; uninstall puts it back
other=$scratch/other
new_repo "$other"
git -C "$other" remote add origin "$remote"
printf '#!/bin/sh\necho "foreign hook ran" >&2\nexit 0\n' >"$other/.git/hooks/pre-push"
chmod +x "$other/.git/hooks/pre-push"
expect_exit 0 "install next to a foreign hook" "$MAESTRO" hooks install -C "$other"
[ -x "$other/.git/hooks/pre-push.pre-maestro" ] || fail "the foreign hook was not kept"
git -C "$other" checkout -q -b side
echo x >"$other/x.txt"
commit_all "$other" "Add x"
expect_exit 0 "push runs the foreign hook, then maestro" git -C "$other" push origin side
grep -q "foreign hook ran" <<<"$err" || fail "the foreign hook did not run: $err"
printf '#!/bin/sh\necho "foreign hook refuses" >&2\nexit 7\n' >"$other/.git/hooks/pre-push.pre-maestro"
echo y >>"$other/x.txt"
commit_all "$other" "Change x"
expect_exit 1 "a failing foreign hook still blocks" git -C "$other" push origin side
grep -q "foreign hook refuses" <<<"$err" || fail "the foreign hook's refusal is not shown: $err"
expect_exit 0 "uninstall" "$MAESTRO" hooks uninstall -C "$other"
grep -q "foreign hook refuses" "$other/.git/hooks/pre-push" || fail "uninstall did not restore the foreign hook"
[ ! -e "$other/.git/hooks/pre-push.pre-maestro" ] || fail "the chained copy was left behind"

# --- core.hooksPath is respected
third=$scratch/third
new_repo "$third"
git -C "$third" config core.hooksPath .githooks
expect_exit 0 "install with core.hooksPath" "$MAESTRO" hooks install -C "$third"
[ -x "$third/.githooks/pre-push" ] || fail "the hook is not in core.hooksPath"
[ ! -e "$third/.git/hooks/pre-push" ] || fail "the hook went to .git/hooks despite core.hooksPath"

finish
