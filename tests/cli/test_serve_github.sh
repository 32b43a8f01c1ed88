#!/usr/bin/env bash
# maestro serve against the fake GitHub (tests/forge/, validating every request
# against GitHub's OpenAPI description), end to end. A bare repository made here is
# the remote: main, refs/pull/1/head and refs/pull/2/head, served as the PRs'
# clone_url. Signed pull_request (opened, synchronize) and issue_comment webhooks
# go to the daemon; the fake server then shows exactly one sticky comment per PR,
# edited in place, statuses maestro/decision as expected (a held PR fails),
# reactions, one reply per refused or mistyped command, and no OpenAPI violation.
# It prints the forge API calls of one pull_request event on a warm cache (the
# issue's goal: at most 4) and fails above 4.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_serve.sh"
serve_require curl jq openssl node
trap 'stop_serve $?; rm -rf "$scratch"' EXIT

# --- the remote: main, and two pull requests published as refs/pull/N/head
work=$scratch/work origin=$scratch/origin.git
new_repo "$work"
mkdir -p "$work/src"
printf 'int main(void) { return 0; }\n' >"$work/src/main.c"
commit_all "$work" "Add the program"
git -C "$work" checkout -q -b feat-1
printf 'int helper(void) { return 1; }\n' >"$work/src/helper.c"
commit_all "$work" "Add a helper

Fixes: #1"
git -C "$work" checkout -q -b feat-2 main
echo "More words." >>"$work/README.md"
commit_all "$work" "Document more"
git -C "$work" checkout -q -b feat-3 main
printf 'a note\n' >"$work/NOTES"
commit_all "$work" "Add notes"
git init -q --bare -b main "$origin"
git -C "$work" push -q "$origin" main feat-1:refs/pull/1/head feat-2:refs/pull/2/head \
	feat-3:refs/pull/3/head
base=$(git -C "$work" rev-parse main) head1=$(git -C "$work" rev-parse feat-1)
head2=$(git -C "$work" rev-parse feat-2) head3=$(git -C "$work" rev-parse feat-3)

# --- the fake GitHub, with a GitHub App for the last part
openssl genrsa -out "$scratch/app.pem" 2048 2>/dev/null
openssl rsa -in "$scratch/app.pem" -pubout -out "$scratch/app.pub" 2>/dev/null
chmod 600 "$scratch/app.pem"
jq -n --arg origin "$origin" --arg base "$base" --arg h1 "$head1" --arg h2 "$head2" \
	--arg h3 "$head3" --rawfile pub "$scratch/app.pub" '{
  tokens: {"ghp_bot": "maestro-bot", "ghp_alice": "alice", "ghp_bob": "bob"},
  app: {id: 4242, slug: "maestro", public_key_pem: $pub, installations: [77]},
  repos: [{owner: "acme", name: "widgets", clone_url: $origin,
    collaborators: {alice: "write", bob: "read", "maestro-bot": "write"},
    pulls: [
      {number: 1, title: "Add a helper", user: "alice", head: {ref: "feat-1", sha: $h1},
       base: {ref: "main", sha: $base}},
      {number: 2, title: "Document more", user: "alice", head: {ref: "feat-2", sha: $h2},
       base: {ref: "main", sha: $base}},
      {number: 3, title: "Add notes", user: "alice", head: {ref: "feat-3", sha: $h3},
       base: {ref: "main", sha: $base}}]}]}' >"$scratch/seed.json"
start_fake_forge

# --- the daemon
state=$scratch/state
serve_secrets e2e-secret
start_daemon() { # start_daemon AUTH_FLAGS...: sets $daemon and $hook
	start_serve "$@" --workers 1 --auditor bob --bot-login maestro-bot
}
start_daemon --token-file "$scratch/token"

ctl() { curl -sS --max-time 20 "$api/_control/$1"; }
gh() { # gh TOKEN METHOD PATH [JSON]: a call to the fake GitHub as a user
	curl -sS --max-time 20 -X "$2" -H "Authorization: token $1" -H 'User-Agent: test' \
		-H 'Content-Type: application/json' ${4:+--data "$4"} "$api$3"
}
delivery=0
post() { # post EVENT JSON: a signed delivery; fails unless answered 202
	local status
	delivery=$((delivery + 1))
	status=$(signed_post "$1" "e2e-$delivery" "$2")
	[ "$status" = 202 ] || fail "delivery $delivery ($1) answered $status"
}
pr_event() { # pr_event ACTION NUMBER HEAD
	post pull_request "$(jq -nc --arg a "$1" --argjson n "$2" --arg h "$3" --arg b "$base" '{
	  action: $a, number: $n, repository: {full_name: "acme/widgets"}, sender: {login: "alice"},
	  pull_request: {number: $n, state: "open", head: {sha: $h, ref: "x"}, base: {sha: $b, ref: "main"}}}')"
}
comment_event() { # comment_event USER NUMBER COMMENT_ID BODY
	post issue_comment "$(jq -nc --arg u "$1" --argjson n "$2" --argjson id "$3" --arg body "$4" '{
	  action: "created", repository: {full_name: "acme/widgets"}, sender: {login: $u},
	  issue: {number: $n, pull_request: {url: "x"}},
	  comment: {id: $id, body: $body, user: {login: $u}}}')"
}
# wait_done N: until the daemon has processed N events (bounded), from its log.
wait_done() {
	for _ in $(seq 600); do
		[ "$(grep -c '"worker.processed"' "$scratch/daemon.log" || true)" -ge "$1" ] && return 0
		grep -q '"worker.failed"' "$scratch/daemon.log" && break
		sleep 0.1
	done
	fail "waiting for $1 processed events: $(grep worker "$scratch/daemon.log" | tail -5)"
	finish
}
processed=0
state_json() { ctl state >"$scratch/state.json"; }
cards() { # cards N: the ids of the card comments on PR N, one a line
	jq --argjson n "$1" '.repos[0].comments[] | select(.issue == $n and .user == "maestro-bot"
	  and (.body | contains("<!-- maestro:decision-card -->"))) | .id' "$scratch/state.json"
}
stickies() { cards "$1" | grep -c . || true; }

# --- PR 1 opened, PR 2 opened
pr_event opened 1 "$head1"
pr_event opened 2 "$head2"
processed=$((processed + 2)); wait_done $processed
state_json
cp "$scratch/state.json" "$scratch/state.first.json"
[ "$(stickies 1)" = 1 ] || fail "PR 1: $(stickies 1) card comments after opening"
[ "$(stickies 2)" = 1 ] || fail "PR 2: $(stickies 2) card comments after opening"
status_of() { # status_of SHA: the latest maestro/decision state on SHA
	gh ghp_alice GET "/repos/acme/widgets/commits/$1/status" |
		jq -r '[.statuses[] | select(.context == "maestro/decision") | .state][0] // "none"'
}
s1=$(status_of "$head1")
case $s1 in success | failure) pass "PR 1 status $s1" ;; *) fail "PR 1 has status '$s1'" ;; esac
[ "$(status_of "$head2")" != none ] || fail "PR 2 has no status"

# --- warm-cache pull_request events: count the forge calls each makes. The first
# may edit the card (PR 2 joined the portfolio since PR 1's card was made); the
# second finds nothing to change.
for round in 1 2; do
	# A later second: the card's own time must not make the comment differ.
	[ "$round" = 1 ] || sleep 1.1
	state_json
	cp "$scratch/state.json" "$scratch/state.before-sync$round.json"
	curl -sS --max-time 20 -X DELETE "$api/_control/requests" >/dev/null
	pr_event synchronize 1 "$head1"
	processed=$((processed + 1)); wait_done $processed
	calls=$(ctl requests | jq length)
	echo "forge API calls for one pull_request event on a warm cache (round $round): $calls (goal: at most 4)"
	ctl requests | jq -r '.[] | "  \(.method) \(.path) \(.status)"'
	[ "$calls" -le 4 ] || fail "$calls forge calls for one pull_request event (goal: at most 4)"
done
ctl requests | jq -e 'all(.method == "GET" or (.path | test("/statuses/")))' >/dev/null ||
	fail "an unchanged PR's card was written again: $(ctl requests)"
state_json
[ "$(stickies 1)" = 1 ] || fail "PR 1: a second card comment after synchronize"

# --- a new head for PR 2: the card is edited in place, the new head gets a status
git -C "$work" checkout -q feat-2
echo "Even more words." >>"$work/README.md"
commit_all "$work" "Document even more"
head2b=$(git -C "$work" rev-parse feat-2)
git -C "$work" push -q -f "$origin" feat-2:refs/pull/2/head
curl -sS --max-time 20 -X POST -H 'Content-Type: application/json' \
	--data "$(jq -nc --arg h "$head2b" '{repo: "acme/widgets", number: 2, head: {sha: $h}}')" \
	"$api/_control/pull" >/dev/null
id2=$(cards 2)
pr_event synchronize 2 "$head2b"
processed=$((processed + 1)); wait_done $processed
state_json
[ "$(stickies 2)" = 1 ] || fail "PR 2: $(stickies 2) card comments after a new head"
id2b=$(cards 2)
[ "$id2" = "$id2b" ] || fail "PR 2's card moved from comment $id2 to $id2b"
[ "$(status_of "$head2b")" != none ] || fail "PR 2's new head has no status"

# --- slash-commands: each comment is made on the fake GitHub, then delivered
comment() { # comment TOKEN NUMBER BODY: prints the new comment's id
	gh "$1" POST "/repos/acme/widgets/issues/$2/comments" "$(jq -nc --arg b "$3" '{body: $b}')" | jq .id
}
replies_to() { # replies_to LOGIN: the bot's comments that mention @LOGIN
	jq --arg u "@$1" '[.repos[0].comments[] | select(.user == "maestro-bot"
	  and (.body | startswith($u)))] | length' "$scratch/state.json"
}
reactions_on() { # reactions_on ID: the reactions' contents on comment ID, sorted
	jq -r --argjson id "$1" '[.repos[0].comments[] | select(.id == $id) | .reactions[]
	  | .content] | sort | join(",")' "$scratch/state.json"
}
c_raise=$(comment ghp_alice 1 "/maestro priority raise customer escalation")
comment_event alice 1 "$c_raise" "/maestro priority raise customer escalation"
c_hold_alice=$(comment ghp_alice 1 "/maestro hold not yet")
comment_event alice 1 "$c_hold_alice" "/maestro hold not yet"
c_typo=$(comment ghp_alice 2 "/maestro prioritee raise now")
comment_event alice 2 "$c_typo" "/maestro prioritee raise now"
c_hold=$(comment ghp_bob 1 "/maestro hold waiting for the security review")
comment_event bob 1 "$c_hold" "/maestro hold waiting for the security review"
processed=$((processed + 4)); wait_done $processed
state_json
cp "$scratch/state.json" "$scratch/state.final.json"
[ "$(stickies 1)" = 1 ] || fail "PR 1: $(stickies 1) card comments after the commands"
[ "$(stickies 2)" = 1 ] || fail "PR 2: $(stickies 2) card comments after the commands"
[ "$(reactions_on "$c_raise")" = "+1" ] || fail "the raise got reactions '$(reactions_on "$c_raise")'"
[ "$(reactions_on "$c_hold_alice")" = "confused" ] || fail "alice's hold got '$(reactions_on "$c_hold_alice")'"
[ "$(reactions_on "$c_hold")" = "+1" ] || fail "bob's hold got '$(reactions_on "$c_hold")'"
[ "$(replies_to alice)" = 2 ] || fail "$(replies_to alice) replies to alice (expected 2: the refused hold, the mistyped command)"
[ "$(replies_to bob)" = 0 ] || fail "a reply to bob's accepted hold"
[ "$(status_of "$head1")" = failure ] || fail "held PR 1 has status $(status_of "$head1")"
jq -e --argjson id "$(cards 1)" '.repos[0].comments[] | select(.id == $id) | .body
	| contains("On hold") and contains("bob")' "$scratch/state.json" >/dev/null ||
	fail "PR 1's card does not show bob's hold"

# --- the same daemon as a GitHub App: installation tokens from the app's JWT
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon exited $? on SIGTERM"
start_daemon --app-id 4242 --app-key-file "$scratch/app.pem" --installation-id 77
curl -sS --max-time 20 -X DELETE "$api/_control/requests" >/dev/null
pr_event opened 3 "$head3"
processed=$((processed + 1)); wait_done $processed
state_json
[ "$(jq '[.repos[0].comments[] | select(.issue == 3 and .user == "maestro[bot]"
	and (.body | contains("<!-- maestro:decision-card -->")))] | length' "$scratch/state.json")" = 1 ] ||
	fail "PR 3 has no card by maestro[bot]: $(jq -c '.repos[0].comments | map(select(.issue == 3))' "$scratch/state.json")"
jq -e --arg h "$head3" '[.repos[0].statuses[] | select(.sha == $h and .creator == "maestro[bot]")] | length == 1' \
	"$scratch/state.json" >/dev/null || fail "PR 3 has no status by maestro[bot]"
[ "$(ctl requests | jq '[.[] | select(.method == "POST" and (.path | test("^/app/installations/77/access_tokens$")))] | length')" = 1 ] ||
	fail "not one installation token request: $(ctl requests | jq -c 'map(.path)')"

# --- the daemon asked nothing GitHub would refuse, and the server answered right
v=$(ctl violations)
[ "$v" = "[]" ] || fail "OpenAPI violations: $v"
e=$(ctl response-errors)
[ "$e" = "[]" ] || fail "the fake server's answers did not validate: $e"
grep -q '"worker.failed"' "$scratch/daemon.log" && fail "an event failed: $(grep worker.failed "$scratch/daemon.log")"
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon exited $? on SIGTERM"
daemon=
[ "$failures" = 0 ] && pass "serve against the fake GitHub"
finish
