#!/usr/bin/env bash
# Forge issues as work items, end to end against the fake GitHub (tests/forge/,
# every request validated against GitHub's OpenAPI description). The daemon polls
# acme/widgets (--poll 1): its open PR is reviewed and its open issues become items
# acme/widgets!N in the mirror's portfolio, with values from their labels and body
# trailers and costs per budget dimension from the base's config or trailers; they
# rank with the PR in `maestro portfolio` and are planned by `maestro plan`. A closed
# issue leaves the portfolio (seen by polling, no webhook, even when closed within the
# second of its last update); an issues webhook
# (labeled) refreshes an item; `/maestro priority raise` in a comment on an issue
# overrides the issue's priority for a writer and is refused for a reader. A second
# repository (acme/gadgets) has the default branch trunk and a PR based on release:
# its issue is scored with trunk's config.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_serve.sh"
serve_require curl jq openssl node
trap 'stop_serve $?; rm -rf "$scratch"' EXIT

# --- the remote: main with a config (an LLM cost per item), and PR 1
work=$scratch/work origin=$scratch/origin.git
new_repo "$work"
mkdir -p "$work/.maestro" "$work/src"
printf '{"cost": {"llm_usd": 0.5}}\n' >"$work/.maestro/config.json"
printf 'int main(void) { return 0; }\n' >"$work/src/main.c"
commit_all "$work" "Add the program"
git -C "$work" checkout -q -b feat-1
printf 'int helper(void) { return 1; }\n' >"$work/src/helper.c"
commit_all "$work" "Add a helper

Fixes: #5"
git init -q --bare -b main "$origin"
git -C "$work" push -q "$origin" main feat-1:refs/pull/1/head
base=$(git -C "$work" rev-parse main) head1=$(git -C "$work" rev-parse feat-1)

# --- a second remote whose default branch is trunk; its one PR is based on release,
# whose config differs: issues read the configuration on the default branch
work2=$scratch/work2 origin2=$scratch/origin2.git
new_repo "$work2"
git -C "$work2" branch -q -m trunk
mkdir -p "$work2/.maestro"
printf '{"cost": {"llm_usd": 0.25}}\n' >"$work2/.maestro/config.json"
commit_all "$work2" "Configure"
git -C "$work2" checkout -q -b release
printf '{"cost": {"llm_usd": 0.75}}\n' >"$work2/.maestro/config.json"
commit_all "$work2" "Release costs"
git -C "$work2" checkout -q -b feat
printf 'x\n' >"$work2/x.txt"
commit_all "$work2" "Add x"
git init -q --bare -b trunk "$origin2"
git -C "$work2" push -q "$origin2" trunk release feat:refs/pull/1/head
release=$(git -C "$work2" rev-parse release) feat=$(git -C "$work2" rev-parse feat)

body5=$'Checkout fails for EU customers.\n\nMaestro-Value: 1200\nMaestro-CI-Minutes: 30\n'
body6=$'Two flaky tests.\n\n```\nMaestro-Value: 999999\n```\nMaestro-Flake-Fixed: 2\nMaestro-LLM-USD: 3\n'
# One updated_at for every issue, and closing issue 6 below keeps it: forges give it in
# whole seconds, so two changes within one second differ only in the issue's contents.
updated=$(date -u +%Y-%m-%dT%H:%M:%SZ)
jq -n --arg origin "$origin" --arg base "$base" --arg h1 "$head1" --arg b5 "$body5" --arg b6 "$body6" --arg t "$updated" \
	--arg origin2 "$origin2" --arg release "$release" --arg feat "$feat" '{
  tokens: {"ghp_bot": "maestro-bot", "ghp_alice": "alice", "ghp_bob": "bob"},
  repos: [{owner: "acme", name: "widgets", clone_url: $origin,
    collaborators: {alice: "write", bob: "read", "maestro-bot": "write"},
    pulls: [{number: 1, title: "Add a helper", user: "alice", head: {ref: "feat-1", sha: $h1},
             base: {ref: "main", sha: $base}}],
    issues: [{number: 5, title: "EU checkout fails", user: "bob", labels: ["bug"], body: $b5, updated_at: $t},
             {number: 6, title: "Flaky tests", user: "bob", body: $b6, updated_at: $t},
             {number: 7, title: "Tidy the docs", user: "bob", updated_at: $t}]},
    {owner: "acme", name: "gadgets", clone_url: $origin2, default_branch: "trunk",
     collaborators: {alice: "write", "maestro-bot": "write"},
     pulls: [{number: 1, title: "Add x", user: "alice", head: {ref: "feat", sha: $feat},
              base: {ref: "release", sha: $release}}],
     issues: [{number: 3, title: "Speed up search", user: "bob", body: "Maestro-Value: 50\n"}]}]}' >"$scratch/seed.json"
start_fake_forge

state=$scratch/state
serve_secrets e2e-secret
start_serve --token-file "$scratch/token" --workers 1 --bot-login maestro-bot --poll 1 \
	--repo acme/widgets --repo acme/gadgets
ctl() { curl -sS --max-time 20 "$api/_control/$1"; }
ctl_post() { curl -sS --max-time 20 -X POST -H 'Content-Type: application/json' --data "$2" "$api/_control/$1" >/dev/null; }
delivery=0
post() { # post EVENT JSON: a signed delivery; fails unless answered 202
	local status
	delivery=$((delivery + 1))
	status=$(signed_post "$1" "issues-$delivery" "$2")
	[ "$status" = 202 ] || fail "delivery $delivery ($1) answered $status"
}
mirror=$state/repos/acme+widgets.git
portfolio() { "$MAESTRO" portfolio -C "$mirror" --format json 2>/dev/null; }
# until JQ_FILTER holds on the portfolio (bounded)
wait_portfolio() {
	for _ in $(seq 600); do
		portfolio | jq -e "$1" >/dev/null 2>&1 && return 0
		grep -q '"worker.failed"\|"worker.parked"' "$scratch/daemon.log" && break
		sleep 0.1
	done
	fail "waiting for the portfolio: $1; it is $(portfolio | jq -c 'map({id, priority, value_usd})'); \
log: $(grep -v '"http' "$scratch/daemon.log" | tail -5)"
	finish
}

# --- polling: PR 1 reviewed, issues 5, 6, 7 stored
wait_portfolio 'map(.id) | (index("acme/widgets#1") != null) and (index("acme/widgets!5") != null)
	and (index("acme/widgets!6") != null) and (index("acme/widgets!7") != null)'
portfolio >"$scratch/p1.json"
item() { jq --arg id "$1" '.[] | select(.id == $id)' "$scratch/p1.json"; }
comp() { item "$1" | jq --arg c "$2" '.components[] | select(.name == $c) | .usd'; }
# Issue 5: label bug = one defect (value.defect_usd 400) + Maestro-Value 1200; 30 CI minutes.
[ "$(comp acme/widgets!5 defects_avoided)" = 400 ] && [ "$(comp acme/widgets!5 revenue_proxy)" = 1200 ] &&
	pass "issue 5: bug label and Maestro-Value: trailer are its value components" ||
	fail "issue 5's components: $(item acme/widgets!5 | jq -c .components)"
[ "$(item acme/widgets!5 | jq .value_usd)" = 1600 ] || fail "issue 5 value $(item acme/widgets!5 | jq .value_usd), expected 1600"
[ "$(item acme/widgets!5 | jq .costs.ci)" = 30 ] && [ "$(item acme/widgets!5 | jq .costs.usd)" = 0.5 ] &&
	pass "issue 5 costs: ci 30 (trailer), usd 0.5 (cost.llm_usd of the base's config)" ||
	fail "issue 5's costs: $(item acme/widgets!5 | jq -c .costs)"
# Issue 6: the fenced trailer is an example, not a declaration.
[ "$(comp acme/widgets!6 flake_reduction)" = 300 ] && [ "$(comp acme/widgets!6 revenue_proxy)" = 0 ] &&
	[ "$(item acme/widgets!6 | jq .costs.usd)" = 3 ] && [ "$(item acme/widgets!6 | jq .costs.ci)" = 10 ] &&
	pass "issue 6: flakes from its trailer, a fenced trailer ignored, LLM cost from Maestro-LLM-USD:" ||
	fail "issue 6: $(item acme/widgets!6 | jq -c '{components, costs}')"
[ "$(item acme/widgets!7 | jq .value_usd)" = 0 ] && [ "$(item acme/widgets!7 | jq .risk)" = 0 ] &&
	[ "$(item acme/widgets!7 | jq -r .title)" = "Tidy the docs" ] ||
	fail "issue 7: $(item acme/widgets!7 | jq -c .)"
# Ranked together: by expected value, the PR (one defect, Fixes: #5) between issues 5 and 6.
order=$(jq -r 'map(.id) | join(" ")' "$scratch/p1.json")
[ "$order" = "acme/widgets!5 acme/widgets#1 acme/widgets!6 acme/widgets!7" ] &&
	pass "ranked with the PR: $order" || fail "ranking: $order ($(jq -c 'map({id, expected_value_usd})' "$scratch/p1.json"))"
"$MAESTRO" portfolio -C "$mirror" | grep -q 'acme/widgets!5' || fail "the text listing lacks issue 5"

# --- acme/gadgets: issue 3's LLM cost from the config on trunk, the forge's default
# branch (release's config says 0.75; without either, the default would apply)
gadgets=$state/repos/acme+gadgets.git
issue3_usd() {
	"$MAESTRO" portfolio -C "$gadgets" --format json 2>/dev/null |
		jq '.[] | select(.id == "acme/gadgets!3") | .costs.usd' 2>/dev/null
}
for _ in $(seq 600); do
	[ -n "$(issue3_usd)" ] && break
	sleep 0.1
done
[ "$(issue3_usd)" = 0.25 ] && pass "an issue reads the config on the default branch (trunk), not the PR's base" ||
	fail "acme/gadgets!3 costs usd '$(issue3_usd)', expected 0.25 (trunk's config)"

# --- the planner sees them: with 1 LLM dollar, issue 6 (3 USD) cannot fit
"$MAESTRO" plan -C "$mirror" --budget usd=1 --budget ci=100 --format json >"$scratch/plan.json" 2>"$scratch/plan.err" ||
	fail "maestro plan: $(cat "$scratch/plan.err")"
jq -e '[.. | objects | .chosen? // empty] | flatten | (index("acme/widgets!5") != null) and (index("acme/widgets!6") == null)' \
	"$scratch/plan.json" >/dev/null && pass "maestro plan chooses issue 5 and leaves out issue 6 under usd=1" ||
	fail "plan: $(jq -c . "$scratch/plan.json" | head -c 600)"

# --- an issue closed on the forge leaves the portfolio by polling alone, even when
# the close falls in the second of the issue's last update (the same updated_at)
ctl_post issue '{"repo": "acme/widgets", "number": 6, "state": "closed", "updated_at": "'"$updated"'"}'
wait_portfolio 'map(.id) | index("acme/widgets!6") == null'
"$MAESTRO" portfolio -C "$mirror" --all --format json | jq -e '.[] | select(.id == "acme/widgets!6") | .state == "closed"' >/dev/null &&
	pass "closing issue 6 closed its item" || fail "issue 6 is not closed in the portfolio"

# --- an issues webhook: issue 7 labelled flaky
ctl_post issue '{"repo": "acme/widgets", "number": 7, "labels": ["flaky"]}'
post issues '{"action": "labeled", "issue": {"number": 7, "labels": [{"name": "flaky"}]}, "label": {"name": "flaky"},
  "repository": {"full_name": "acme/widgets"}, "sender": {"login": "alice"}}'
wait_portfolio '.[] | select(.id == "acme/widgets!7") | .value_usd == 150'
pass "an issues (labeled) webhook refreshed issue 7's value"

# --- /maestro priority raise on an issue
comment_event() { # comment_event USER NUMBER COMMENT_ID BODY (a comment on an issue)
	post issue_comment "$(jq -nc --arg u "$1" --argjson n "$2" --argjson id "$3" --arg body "$4" '{
	  action: "created", repository: {full_name: "acme/widgets"}, sender: {login: $u},
	  issue: {number: $n}, comment: {id: $id, body: $body, user: {login: $u}}}')"
}
id_a=$(curl -sS --max-time 20 -X POST -H 'Authorization: token ghp_alice' -H 'User-Agent: test' \
	-H 'Content-Type: application/json' --data '{"body": "/maestro priority raise customers are waiting"}' \
	"$api/repos/acme/widgets/issues/7/comments" | jq .id)
comment_event alice 7 "$id_a" "/maestro priority raise customers are waiting"
wait_portfolio '.[] | select(.id == "acme/widgets!7") | .priority == 1'
pass "a writer's /maestro priority raise on issue 7 set its priority to 1"
id_b=$(curl -sS --max-time 20 -X POST -H 'Authorization: token ghp_bob' -H 'User-Agent: test' \
	-H 'Content-Type: application/json' --data '{"body": "/maestro priority raise me too"}' \
	"$api/repos/acme/widgets/issues/7/comments" | jq .id)
comment_event bob 7 "$id_b" "/maestro priority raise me too"
for _ in $(seq 600); do
	ctl state | jq -e '.repos[0].comments[] | select(.user == "maestro-bot" and .issue == 7 and (.body | startswith("@bob")))' >/dev/null && break
	sleep 0.1
done
ctl state | jq -e '.repos[0].comments[] | select(.user == "maestro-bot" and .issue == 7 and (.body | contains("write access")))' >/dev/null &&
	pass "a reader's priority command on an issue is refused with a reply" || fail "no refusal for bob: $(ctl state | jq -c '.repos[0].comments')"
[ "$(portfolio | jq '.[] | select(.id == "acme/widgets!7") | .priority')" = 1 ] || fail "bob's command changed the priority"
ctl state | jq -e '[.repos[0].comments[] | select(.id == '"$id_a"') | .reactions[] | select(.content == "+1")] | length == 1' >/dev/null ||
	fail "alice's command has no +1 reaction"

# --- no OpenAPI violation, no server bug
[ "$(ctl violations | jq length)" = 0 ] && pass "no request violated GitHub's OpenAPI description" ||
	fail "violations: $(ctl violations | jq -c .)"
[ "$(ctl response-errors | jq length)" = 0 ] || fail "the fake server's answers do not validate: $(ctl response-errors | jq -c . | head -c 800)"
ctl requests | jq -e 'any(.operationId == "issues/list-for-repo")' >/dev/null || fail "the issues were never listed"
kill "$daemon" && wait "$daemon" 2>/dev/null
daemon=
finish
