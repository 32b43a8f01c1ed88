#!/usr/bin/env bash
# Durability of maestro serve: many deliveries (pull_request and slash-command
# comments for three PRs, some delivered twice) are queued to a daemon working
# against the fake GitHub, the daemon is killed with SIGKILL while events are
# queued and in flight, and restarted on the same state directory. Once the queue
# is drained (bounded wait): every accepted delivery was processed, and none twice
# in effect — one sticky comment per PR, each priority raise applied once (the
# portfolio in the mirror repository, and one override record each), one card
# record per (head, card) and no duplicate evidence line in refs/notes/maestro,
# signed with a key from a throwaway GNUPGHOME named in the repository's
# .maestro/config.json.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_serve.sh"
serve_require curl jq openssl node gpg sqlite3

export GNUPGHOME=$(mktemp -d /tmp/mc-gpg.XXXXXX)   # short: the agent's socket path is limited
cleanup() {
	stop_serve "$1" KILL
	gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null || true
	rm -rf "$GNUPGHOME" "$scratch"
}
trap 'cleanup $?' EXIT
key=$("$MAESTRO" evidence keygen --format json --name "Bot <bot@example.com>" | jq -r .fingerprint)
[ ${#key} = 40 ] || { fail "keygen gave '$key'"; finish; }

# --- the remote: main (with the signing key in its config) and PRs 1..3
work=$scratch/work origin=$scratch/origin.git
new_repo "$work"
mkdir -p "$work/.maestro"
jq -n --arg k "$key" '{evidence: {signing_key: $k}}' >"$work/.maestro/config.json"
commit_all "$work" "Sign evidence"
for n in 1 2 3; do
	git -C "$work" checkout -q -b "feat-$n" main
	printf 'int f%d(void) { return %d; }\n' "$n" "$n" >"$work/f$n.c"
	commit_all "$work" "Add f$n"
done
git init -q --bare -b main "$origin"
git -C "$work" push -q "$origin" main feat-1:refs/pull/1/head feat-2:refs/pull/2/head \
	feat-3:refs/pull/3/head
base=$(git -C "$work" rev-parse main)
declare -A head
for n in 1 2 3; do head[$n]=$(git -C "$work" rev-parse "feat-$n"); done

jq -n --arg origin "$origin" --arg base "$base" --arg h1 "${head[1]}" --arg h2 "${head[2]}" \
	--arg h3 "${head[3]}" '{
  tokens: {"ghp_bot": "maestro-bot", "ghp_alice": "alice"},
  repos: [{owner: "acme", name: "widgets", clone_url: $origin,
    collaborators: {alice: "write", "maestro-bot": "write"},
    pulls: [[$h1, $h2, $h3] | to_entries[] | {number: (.key + 1), title: "PR \(.key + 1)",
      user: "alice", head: {ref: "feat-\(.key + 1)", sha: .value}, base: {ref: "main", sha: $base}}]}]}' \
	>"$scratch/seed.json"
start_fake_forge

state=$scratch/state
serve_secrets durable
start_daemon() {
	start_serve --token-file "$scratch/token" --workers 2 --bot-login maestro-bot
}

accepted=0
post() { # post EVENT DELIVERY JSON [STATUS]: expects 202 (a redelivery: 200)
	local status
	status=$(signed_post "$1" "$2" "$3")
	[ "$status" = "${4:-202}" ] || fail "delivery $2 answered $status"
}
pr_json() { # pr_json ACTION NUMBER
	jq -nc --arg a "$1" --argjson n "$2" --arg h "${head[$2]}" --arg b "$base" '{
	  action: $a, number: $n, repository: {full_name: "acme/widgets"}, sender: {login: "alice"},
	  pull_request: {number: $n, state: "open", head: {sha: $h, ref: "x"}, base: {sha: $b, ref: "main"}}}'
}
comment_json() { # comment_json NUMBER ID BODY
	jq -nc --argjson n "$1" --argjson id "$2" --arg body "$3" '{
	  action: "created", repository: {full_name: "acme/widgets"}, sender: {login: "alice"},
	  issue: {number: $n, pull_request: {url: "x"}}, comment: {id: $id, body: $body, user: {login: "alice"}}}'
}
in_db() { sqlite3 "$state/maestro.db" "$1"; }

# --- many deliveries, the daemon killed while it works. The fake GitHub answers
# every PR read late, so events pile up in the queue and sit in flight.
curl -sS --max-time 20 -X POST -H 'Content-Type: application/json' \
	--data '[{"method": "GET", "path_regex": "/pulls/[0-9]+$", "delay_ms": 700, "count": 1000}]' \
	"$api/_control/faults" >/dev/null
start_daemon
declare -A raise
for n in 1 2 3; do
	raise[$n]=$(curl -sS --max-time 20 -X POST -H 'Authorization: token ghp_alice' -H 'User-Agent: t' \
		-H 'Content-Type: application/json' --data '{"body": "/maestro priority raise launch customer"}' \
		"$api/repos/acme/widgets/issues/$n/comments" | jq .id)
done
for round in 1 2 3; do
	for n in 1 2 3; do
		action=synchronize
		[ "$round" = 1 ] && action=opened
		post pull_request "pr-$n-$round" "$(pr_json $action $n)"
		[ "$round" = 2 ] && post issue_comment "raise-$n" \
			"$(comment_json $n "${raise[$n]}" "/maestro priority raise launch customer")"
		# A redelivery of the same delivery id is acknowledged, and not queued again.
		[ "$round" = 3 ] && post pull_request "pr-$n-1" "$(pr_json opened $n)" 200
	done
done
queued=$(in_db "SELECT count(*) FROM q_event")
[ "$queued" = 12 ] || fail "$queued events queued for 12 distinct deliveries"
# Kill once some work is done and some is still queued or claimed.
for _ in $(seq 600); do
	[ "$(in_db "SELECT count(*) FROM q_event WHERE state = 'done'")" -ge 2 ] && break
	sleep 0.05
done
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
left=$(in_db "SELECT count(*) FROM q_event WHERE state IN ('queued', 'claimed')")
echo "killed with $left of $queued events not done ($(in_db "SELECT count(*) FROM q_event WHERE state = 'claimed'") claimed)"
[ "$left" -gt 0 ] || fail "nothing was left in the queue when the daemon was killed (the test proves nothing)"

# --- restarted on the same state directory, the forge quick again: the queue drains
curl -sS --max-time 20 -X DELETE "$api/_control/faults" >/dev/null
start_daemon
for _ in $(seq 1200); do
	[ "$(in_db "SELECT count(*) FROM q_event WHERE state IN ('queued', 'claimed')")" = 0 ] && break
	sleep 0.1
done
left=$(in_db "SELECT count(*) FROM q_event WHERE state IN ('queued', 'claimed')")
[ "$left" = 0 ] || fail "$left events still queued 120 s after the restart"
failed=$(in_db "SELECT count(*) FROM q_event WHERE state = 'failed' OR attempts > 1 AND error IS NOT NULL")
[ "$failed" = 0 ] || fail "failed events: $(in_db "SELECT delivery_id, error FROM q_event WHERE error IS NOT NULL")"
[ "$(in_db "SELECT count(*) FROM q_event WHERE state = 'done'")" = 12 ] || fail "not every delivery was processed"
grep -q '"worker.claims_released"' "$scratch/daemon.log" ||
	fail "the restarted daemon did not release the dead one's claims"
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon exited $? on SIGTERM"
daemon=

# --- none twice in effect
curl -sS --max-time 20 "$api/_control/state" >"$scratch/state.json"
mirror=$state/repos/acme+widgets.git
for n in 1 2 3; do
	cards=$(jq --argjson n $n '[.repos[0].comments[] | select(.issue == $n and
	  (.body | contains("<!-- maestro:decision-card -->")))] | length' "$scratch/state.json")
	[ "$cards" = 1 ] || fail "PR $n has $cards card comments"
	reactions=$(jq --argjson id "${raise[$n]}" '[.repos[0].comments[] | select(.id == $id) | .reactions[]] | length' \
		"$scratch/state.json")
	[ "$reactions" = 1 ] || fail "the raise on PR $n has $reactions reactions"
	notes=$(git -C "$mirror" notes --ref refs/notes/maestro show "${head[$n]}" 2>/dev/null || true)
	[ -n "$notes" ] || { fail "no evidence on PR $n's head"; continue; }
	dups=$(sort <<<"$notes" | uniq -d | wc -l)
	[ "$dups" = 0 ] || fail "PR $n: $dups duplicate evidence lines"
	# Decode each record: one override (0 -> 1), and no card recorded twice for the same
	# card digest.
	jq -r '.payload | @base64d | fromjson | "\(.predicateType) \(.predicate | tojson)"' <<<"$notes" \
		>"$scratch/records.$n"
	overrides=$(grep -c '/evidence/override/' "$scratch/records.$n" || true)
	[ "$overrides" = 1 ] || fail "PR $n: $overrides override records (expected 1): $(cat "$scratch/records.$n")"
	grep '/evidence/override/' "$scratch/records.$n" | grep -q '"before":0,"after":1' ||
		fail "PR $n's override is not 0 -> 1: $(grep override "$scratch/records.$n")"
	cards_recorded=$(grep -vc '/evidence/override/' "$scratch/records.$n" || true)
	distinct=$(grep -v '/evidence/override/' "$scratch/records.$n" | sort -u | wc -l)
	[ "$cards_recorded" = "$distinct" ] || fail "PR $n: a card recorded twice"
done
prio=$("$MAESTRO" portfolio -C "$mirror" --all --format json) || fail "portfolio in the mirror"
for n in 1 2 3; do
	p=$(jq --arg id "acme/widgets#$n" '.[] | select(.id == $id) | .priority' <<<"$prio")
	[ "$p" = 1 ] || fail "PR $n has priority '$p' after one raise: $prio"
done
git -C "$mirror" verify-commit refs/notes/maestro >/dev/null 2>&1 || fail "the notes commit is not signed"
v=$(curl -sS --max-time 20 "$api/_control/violations")
[ "$v" = "[]" ] || fail "OpenAPI violations: $v"
[ "$failures" = 0 ] && pass "durable across kill -9"
finish
