#!/usr/bin/env bash
# The forge test server (tests/forge/) that the forge client's tests run against:
# started with run-server, driven with curl on 127.0.0.1. A valid request passes;
# an invalid one (wrong body type, unknown path or parameter) is answered 4xx and
# recorded as a violation; ETag/304, Link pagination, faults, the primary rate
# limit and the GitHub App JWT check behave like GitHub; every answer the server
# gives validates against the description's response schemas. The Gitea flavour
# serves the same state under /api/v1.
source "$(dirname "$0")/lib.sh"

forge=$MAESTRO_SOURCE_DIR/tests/forge
command -v node >/dev/null || { echo "FAIL: node is not installed (scripts/deps)" >&2; exit 1; }
[ -d "$forge/node_modules/@octokit/openapi" ] ||
	{ echo "FAIL: tests/forge/node_modules is missing (run scripts/deps)" >&2; exit 1; }

# The GitHub App's key: the server holds the public half, the test signs JWTs.
openssl genrsa -out "$scratch/app.pem" 2048 2>/dev/null
openssl rsa -in "$scratch/app.pem" -pubout -out "$scratch/app.pub" 2>/dev/null
openssl genrsa -out "$scratch/other.pem" 2048 2>/dev/null

# acme/widgets: PRs 1..7 (7 closed), PR n created on day n and updated on day 8-n.
jq -n --rawfile pub "$scratch/app.pub" '{
  tokens: {"ghp_test": "maestro-bot"},
  app: {id: 4242, slug: "maestro", public_key_pem: $pub, installations: [77], token_ttl_s: 5},
  repos: [{owner: "acme", name: "widgets",
    collaborators: {alice: "write", bob: "read", dave: "maintain", "maestro-bot": "write"},
    labels: [{name: "bug", color: "d73a4a"}],
    pulls: [range(1; 8) as $i | {number: $i, title: "PR \($i)", user: "alice",
      state: (if $i == 7 then "closed" else "open" end),
      head: {ref: "feat-\($i)", sha: ("a" * 39 + "\($i)")}, base: {ref: "main", sha: ("b" * 40)},
      labels: (if $i == 1 then ["bug"] else [] end),
      created_at: "2024-01-0\($i)T00:00:00Z", updated_at: "2024-02-0\(8 - $i)T00:00:00Z"}],
    comments: [{issue: 1, user: "alice", body: "/maestro hold because"}]}]}' >"$scratch/seed.json"

start() { # start FLAVOR: sets $port, $base
	port=$("$forge/run-server" --port-file "$scratch/port.$1" --pid-file "$scratch/pid.$1" \
		--log "$scratch/log.$1" --flavor "$1" --seed "$scratch/seed.json" --timeout 60) ||
		{ cat "$scratch/log.$1" >&2; echo "FAIL: run-server $1" >&2; exit 1; }
}
cleanup() {
	local f
	for f in "$scratch"/pid.*; do
		[ ! -e "$f" ] || kill "$(cat "$f")" 2>/dev/null || true
	done
	rm -rf "$scratch"
}
trap cleanup EXIT

# api METHOD PATH [BODY]: status in $code, headers in $hdr, body in $body.
auth='Authorization: token ghp_test'
api() {
	local data=()
	rm -f "$scratch/body"
	[ $# -lt 3 ] || data=(-H 'Content-Type: application/json' --data-binary "$3")
	code=$(curl -sS -m 20 -o "$scratch/body" -D "$scratch/hdr" -w '%{http_code}' -X "$1" \
		-A maestro-test -H "$auth" -H 'Accept: application/vnd.github+json' "${data[@]}" "$base$2")
	hdr=$(tr -d '\r' <"$scratch/hdr")
	body=$(cat "$scratch/body" 2>/dev/null || true)
}
header() { printf '%s\n' "$hdr" | grep -i "^$1:" | head -1 | cut -d' ' -f2-; }
control() { curl -sS -m 20 -X "$1" ${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://127.0.0.1:$port/_control/$2"; }
expect() { # expect WHAT CODE
	if [ "$code" = "$2" ]; then pass "$1"; else fail "$1: HTTP $code, expected $2: $body"; fi
}
violations() { control GET violations | jq length; }

start github
base=http://127.0.0.1:$port
[ "$port" = "$(cat "$scratch/port.github")" ] || fail "run-server printed $port, the port file says otherwise"

# --- valid requests pass and leave no violation
api GET "/repos/acme/widgets/pulls/1"
expect "get a pull" 200
[ "$(jq -r '.head.sha' <<<"$body")" = "$(printf 'a%.0s' {1..39})1" ] || fail "pull 1 head sha: $body"
[ "$(header X-RateLimit-Limit)" = 5000 ] || fail "no X-RateLimit-Limit: $hdr"
r1=$(header X-RateLimit-Remaining)
api GET "/repos/acme/widgets/pulls/2"
r2=$(header X-RateLimit-Remaining)
[ "$r2" -eq $((r1 - 1)) ] || fail "X-RateLimit-Remaining did not decrement: $r1 then $r2"
[ "$(violations)" = 0 ] || fail "valid requests recorded as violations: $(control GET violations)"

# --- pagination: 6 open PRs, 2 a page, newest update first
api GET "/repos/acme/widgets/pulls?state=open&sort=updated&direction=desc&per_page=2"
expect "list pulls" 200
[ "$(jq -c 'map(.number)' <<<"$body")" = "[1,2]" ] || fail "page 1 by update: $(jq -c 'map(.number)' <<<"$body")"
link=$(header Link)
grep -q "page=2>; rel=\"next\"" <<<"$link" || fail "no rel=next to page 2: $link"
grep -q "page=3>; rel=\"last\"" <<<"$link" || fail "no rel=last to page 3: $link"
grep -q "sort=updated" <<<"$link" || fail "Link dropped the other parameters: $link"
api GET "/repos/acme/widgets/pulls?state=open&sort=updated&direction=desc&per_page=2&page=3"
[ "$(jq -c 'map(.number)' <<<"$body")" = "[5,6]" ] || fail "page 3: $body"
link=$(header Link)
if grep -q 'rel="next"' <<<"$link"; then fail "the last page has rel=next: $link"; fi
grep -q 'page=2>; rel="prev"' <<<"$link" || fail "no rel=prev on the last page: $link"
api GET "/repos/acme/widgets/pulls?state=all&per_page=100"
[ "$(jq length <<<"$body")" = 7 ] || fail "state=all lists 7 PRs: $(jq length <<<"$body")"
[ -z "$(header Link)" ] || fail "a single page has a Link header"
pass "Link pagination"

# --- ETag: a repeated list is 304 and costs no rate limit; a change makes it 200 again
api GET "/repos/acme/widgets/pulls?per_page=2"
etag=$(header ETag)
before=$(header X-RateLimit-Remaining)
[ -n "$etag" ] || fail "no ETag on a list"
rm -f "$scratch/body"
code=$(curl -sS -m 20 -o "$scratch/body" -D "$scratch/hdr" -w '%{http_code}' -A t -H "$auth" \
	-H "If-None-Match: $etag" "$base/repos/acme/widgets/pulls?per_page=2")
hdr=$(tr -d '\r' <"$scratch/hdr")
[ "$code" = 304 ] || fail "If-None-Match with the ETag: HTTP $code, expected 304"
[ ! -s "$scratch/body" ] || fail "a 304 has a body"
[ "$(header X-RateLimit-Remaining)" = "$before" ] || fail "a 304 cost rate limit: $before then $(header X-RateLimit-Remaining)"
# The first page (newest created first) holds PR 6; a comment bumps its updated_at.
api POST "/repos/acme/widgets/issues/6/comments" '{"body":"bumps PR 6"}'
code=$(curl -sS -m 20 -o /dev/null -w '%{http_code}' -A t -H "$auth" -H "If-None-Match: $etag" \
	"$base/repos/acme/widgets/pulls?per_page=2")
[ "$code" = 200 ] || fail "after a change the old ETag still gave $code"
pass "ETag and 304"

# --- issue comments: create, list, edit (the sticky comment's path), reactions
api POST "/repos/acme/widgets/issues/2/comments" '{"body":"<!-- maestro:decision-card -->\ncard v1"}'
expect "create a comment" 201
cid=$(jq -r .id <<<"$body")
[ "$(jq -r .user.login <<<"$body")" = maestro-bot ] || fail "the comment's author is not the token's user: $body"
[ -n "$(header Location)" ] || fail "no Location on a created comment"
api PATCH "/repos/acme/widgets/issues/comments/$cid" '{"body":"<!-- maestro:decision-card -->\ncard v2"}'
expect "edit a comment" 200
api GET "/repos/acme/widgets/issues/2/comments?per_page=100"
expect "list comments" 200
[ "$(jq -r '.[0].body' <<<"$body")" = "$(printf '<!-- maestro:decision-card -->\ncard v2')" ] || fail "edited body not listed: $body"
api POST "/repos/acme/widgets/issues/comments/$cid/reactions" '{"content":"+1"}'
expect "react" 201
api POST "/repos/acme/widgets/issues/comments/$cid/reactions" '{"content":"+1"}'
expect "the same reaction again is 200" 200
api GET "/repos/acme/widgets/issues/comments/$cid/reactions"
[ "$(jq length <<<"$body")" = 1 ] || fail "one reaction expected: $body"
api PATCH "/repos/acme/widgets/issues/comments/99999" '{"body":"x"}'
expect "edit an unknown comment" 404
big=$(head -c 70000 /dev/zero | tr '\0' x)
api POST "/repos/acme/widgets/issues/2/comments" "{\"body\":\"$big\"}"
expect "a comment over 65536 characters is refused like GitHub" 422

# --- statuses
sha=$(printf 'a%.0s' {1..39})2
api POST "/repos/acme/widgets/statuses/$sha" '{"state":"pending","context":"maestro/decision","description":"computing"}'
expect "set a status" 201
api POST "/repos/acme/widgets/statuses/$sha" '{"state":"success","context":"maestro/decision","description":"ok","target_url":"https://example.com/x"}'
expect "set it again" 201
api GET "/repos/acme/widgets/commits/$sha/status"
expect "combined status" 200
[ "$(jq -r '.state + " " + (.total_count|tostring)' <<<"$body")" = "success 1" ] || fail "combined status: $body"
api GET "/repos/acme/widgets/commits/feat-2/status"
[ "$(jq -r .sha <<<"$body")" = "$sha" ] || fail "a branch name did not resolve to its sha: $body"
api POST "/repos/acme/widgets/statuses/$(printf 'c%.0s' {1..40})" '{"state":"success"}'
expect "a status on an unknown sha" 422
api POST "/repos/acme/widgets/statuses/$sha" "{\"state\":\"success\",\"description\":\"$(head -c 141 /dev/zero | tr '\0' d)\"}"
expect "a description over 140 characters" 422

# --- collaborator permission, labels, the authenticated user
api GET "/repos/acme/widgets/collaborators/dave/permission"
expect "permission of a maintainer" 200
[ "$(jq -r '.permission + "/" + .role_name' <<<"$body")" = "write/maintain" ] || fail "maintain shows as: $body"
api GET "/repos/acme/widgets/collaborators/bob/permission"
[ "$(jq -r .permission <<<"$body")" = read ] || fail "bob reads: $body"
api GET "/repos/acme/widgets/collaborators/stranger/permission"
expect "permission of a stranger" 404
api POST "/repos/acme/widgets/issues/3/labels" '{"labels":["maestro:hold"]}'
expect "add a label" 200
api GET "/repos/acme/widgets/issues/3/labels"
[ "$(jq -c 'map(.name)' <<<"$body")" = '["maestro:hold"]' ] || fail "labels of PR 3: $body"
api DELETE "/repos/acme/widgets/issues/3/labels/maestro:hold"
expect "remove a label" 200
api GET "/repos/acme/widgets/labels"
expect "repository labels" 200
api GET "/user"
[ "$(jq -r .login <<<"$body")" = maestro-bot ] || fail "GET /user: $body"
[ "$(violations)" = 0 ] || fail "violations after valid requests: $(control GET violations)"

# --- invalid requests: answered 4xx and recorded
api POST "/repos/acme/widgets/issues/1/comments" '{"body":5}'
expect "a comment body of the wrong type" 422
api POST "/repos/acme/widgets/issues/1/comments" '{"body":'
expect "a body that is not JSON" 400
api GET "/repos/acme/widgets/pullz"
expect "an unknown path" 404
api GET "/repos/acme/widgets/pulls?since=2024-01-01T00:00:00Z"
expect "a parameter pulls/list does not have" 422
api POST "/repos/acme/widgets/statuses/$sha" '{"state":"done"}'
expect "a status state outside the enum" 422
api GET "/repos/acme/widgets/pulls/%E0%A4%A"
expect "a malformed percent-encoding" 404
code=$(curl -sS -m 20 -o /dev/null -w '%{http_code}' -H "$auth" -H 'User-Agent:' "$base/repos/acme/widgets/pulls/1")
[ "$code" = 403 ] || fail "no User-Agent: HTTP $code, expected 403"
v=$(control GET violations)
[ "$(jq length <<<"$v")" = 7 ] || fail "7 violations expected: $v"
for want in 'must be string' 'not JSON' 'no operation' 'since is not a parameter' 'allowed values' 'percent' 'User-Agent'; do
	jq -e --arg w "$want" 'map(.reason) | any(contains($w))' <<<"$v" >/dev/null || fail "no violation mentions '$want': $v"
done
pass "violations recorded"

# --- the request log counts calls by operation
log=$(control GET requests)
n=$(jq '[.[] | select(.operationId == "issues/create-comment")] | length' <<<"$log")
[ "$n" = 5 ] || fail "5 create-comment calls logged, got $n"
jq -e 'all(.[]; has("method") and has("path") and has("status"))' <<<"$log" >/dev/null || fail "log entries: $(jq -c '.[0]' <<<"$log")"

# --- authentication
auth='Authorization: token wrong'
api GET "/repos/acme/widgets/pulls/1"
expect "a wrong token" 401
auth='Authorization: token ghp_test'

# --- GitHub App: RS256 JWT for the installation token, which then works and expires
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
jwt() { # jwt KEY ISS IAT EXP
	local h p
	h=$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)
	p=$(printf '{"iat":%s,"exp":%s,"iss":"%s"}' "$3" "$4" "$2" | b64url)
	printf '%s.%s.%s' "$h" "$p" "$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$1" | b64url)"
}
now=$(date +%s)
auth="Authorization: Bearer $(jwt "$scratch/app.pem" 4242 $((now - 30)) $((now + 540)))"
api POST "/app/installations/77/access_tokens"
expect "installation token with a good JWT" 201
token=$(jq -r .token <<<"$body")
jq -e '.expires_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' <<<"$body" >/dev/null || fail "no expires_at: $body"
api GET "/app"
expect "GET /app with the JWT" 200
api POST "/app/installations/78/access_tokens"
expect "an installation the app does not have" 404
auth="Authorization: Bearer $(jwt "$scratch/other.pem" 4242 $((now - 30)) $((now + 540)))"
api POST "/app/installations/77/access_tokens"
expect "a JWT signed by another key" 401
auth="Authorization: Bearer $(jwt "$scratch/app.pem" 4242 $((now - 700)) $((now - 100)))"
api POST "/app/installations/77/access_tokens"
expect "an expired JWT" 401
auth="Authorization: Bearer $(jwt "$scratch/app.pem" 4242 $now $((now + 3600)))"
api POST "/app/installations/77/access_tokens"
expect "a JWT living over ten minutes" 401
auth="Authorization: Bearer $(jwt "$scratch/app.pem" 9999 $((now - 30)) $((now + 540)))"
api POST "/app/installations/77/access_tokens"
expect "a JWT of another app" 401
auth='Authorization: token ghp_test'
api POST "/app/installations/77/access_tokens"
expect "a personal token instead of a JWT" 401
auth="Authorization: token $token"
api POST "/repos/acme/widgets/issues/1/comments" '{"body":"from the app"}'
expect "the installation token works" 201
[ "$(jq -r .user.login <<<"$body")" = "maestro[bot]" ] || fail "the app comments as maestro[bot]: $body"
for _ in $(seq 1 100); do
	api GET "/repos/acme/widgets/pulls/1"
	[ "$code" = 401 ] && break
	sleep 0.2
done
expect "the installation token expires (token_ttl_s 5)" 401
auth='Authorization: token ghp_test'

# --- faults: in order, counted down
control POST faults '[
  {"method":"GET","path_regex":"/pulls/1$","status":403,"count":1},
  {"method":"GET","path_regex":"/pulls/1$","status":429,"headers":{"Retry-After":"2"},"count":1},
  {"path_regex":"/pulls/1$","status":502,"count":2},
  {"path_regex":"/pulls/1$","delay_ms":300,"count":1}]' >/dev/null
api GET "/repos/acme/widgets/pulls/1"
expect "fault 1: secondary rate limit" 403
jq -e '.message | contains("secondary rate limit")' <<<"$body" >/dev/null || fail "403 without GitHub's message: $body"
api GET "/repos/acme/widgets/pulls/1"
expect "fault 2: 429" 429
[ "$(header Retry-After)" = 2 ] || fail "429 without Retry-After 2: $hdr"
api GET "/repos/acme/widgets/pulls/1"
expect "fault 3: 502" 502
api GET "/repos/acme/widgets/pulls/1"
expect "fault 3 again (count 2)" 502
t0=$(date +%s%N)
api GET "/repos/acme/widgets/pulls/1"
t1=$(date +%s%N)
expect "fault 4: slow, then answered" 200
[ $(((t1 - t0) / 1000000)) -ge 300 ] || fail "the delay fault did not delay"
api GET "/repos/acme/widgets/pulls/1"
expect "faults used up" 200
[ "$(control GET faults)" = "[]" ] || fail "faults left: $(control GET faults)"

# --- primary rate limit: Remaining 0 until Reset, then refilled
control POST rate-limit '{"remaining":0,"reset_in_s":5}' >/dev/null
api GET "/repos/acme/widgets/pulls/1"
expect "primary rate limit" 403
[ "$(header X-RateLimit-Remaining)" = 0 ] || fail "Remaining is not 0: $hdr"
reset=$(header X-RateLimit-Reset)
[ "$reset" -gt "$(date +%s)" ] || fail "Reset is not ahead: $reset"
jq -e '.message | contains("rate limit exceeded")' <<<"$body" >/dev/null || fail "403 without the rate-limit message: $body"
for _ in $(seq 1 100); do
	api GET "/repos/acme/widgets/pulls/1"
	[ "$code" = 200 ] && break
	sleep 0.2
done
expect "after Reset the limit is refilled" 200

# --- control: seeding and changing a PR
control POST pull '{"repo":"acme/widgets","number":2,"head":{"sha":"'"$(printf 'e%.0s' {1..40})"'"}}' >/dev/null
api GET "/repos/acme/widgets/pulls/2"
[ "$(jq -r .head.sha <<<"$body")" = "$(printf 'e%.0s' {1..40})" ] || fail "POST /_control/pull did not move the head: $body"
bad=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary '{"repos":[{"owner":"x"}]}' "$base/_control/seed")
[ "$bad" = 400 ] || fail "a bad seed: HTTP $bad, expected 400"

# --- the server's own answers validate against the description's response schemas
errs=$(control GET response-errors)
[ "$errs" = "[]" ] && pass "every answer validates against its response schema" || fail "responses off the schema: $errs"

# --- the Gitea flavour
start gitea
base=http://127.0.0.1:$port/api/v1
api GET "/repos/acme/widgets/pulls?state=open&sort=recentupdate&limit=2"
expect "gitea: list pulls" 200
[ "$(jq -c 'map(.number)' <<<"$body")" = "[1,2]" ] || fail "gitea: recentupdate order: $body"
[ "$(header X-Total-Count)" = 6 ] || fail "gitea: X-Total-Count: $hdr"
grep -q 'limit=2&page=2>; rel="next"' <<<"$(header Link)" || fail "gitea: Link: $(header Link)"
api POST "/repos/acme/widgets/issues/1/comments" '{"body":"card"}'
expect "gitea: create a comment" 201
gcid=$(jq -r .id <<<"$body")
api PATCH "/repos/acme/widgets/issues/comments/$gcid" '{"body":"card v2"}'
expect "gitea: edit a comment" 200
api POST "/repos/acme/widgets/issues/comments/$gcid/reactions" '{"content":"+1"}'
expect "gitea: react" 201
api POST "/repos/acme/widgets/statuses/$sha" '{"state":"success","context":"maestro/decision","description":"ok"}'
expect "gitea: set a status" 201
[ "$(jq -r .status <<<"$body")" = success ] || fail "gitea: a CommitStatus carries 'status': $body"
api GET "/repos/acme/widgets/commits/$sha/status"
[ "$(jq -r .state <<<"$body")" = success ] || fail "gitea: combined: $body"
api GET "/repos/acme/widgets/collaborators/acme/permission"
[ "$(jq -r .permission <<<"$body")" = owner ] || fail "gitea: the owner's permission: $body"
api GET "/repos/acme/widgets/collaborators/stranger/permission"
expect "gitea: a stranger" 404
api POST "/repos/acme/widgets/issues/1/comments" '{"body":"x","bodyy":"typo"}'
expect "gitea: an unknown field" 422
api GET "/repos/acme/widgets/pulls?per_page=2"
expect "gitea: GitHub's per_page" 422
[ "$(violations)" = 2 ] || fail "gitea: 2 violations expected: $(control GET violations)"
errs=$(control GET response-errors)
[ "$errs" = "[]" ] || fail "gitea: responses off the schema: $errs"

# --- the server exits on SIGTERM
pid=$(cat "$scratch/pid.gitea")
kill "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "the server outlived SIGTERM"; else pass "SIGTERM stops the server"; fi

# --- and exits by itself when the process it watches dies
sleep 30 &
watched=$!
"$forge/run-server" --port-file "$scratch/port.w" --pid-file "$scratch/pid.w" --watch-pid "$watched" >/dev/null
wpid=$(cat "$scratch/pid.w")
kill "$watched"
for _ in $(seq 1 50); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$wpid" 2>/dev/null; then fail "the server outlived the process it watched"; else pass "the server follows its parent"; fi

finish
