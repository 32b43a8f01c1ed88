#!/usr/bin/env bash
# maestro serve's webhook ingress end to end: a real daemon on 127.0.0.1:0 with a
# temporary state directory, fed every example payload of GitHub's webhook
# documentation (npm @octokit/webhooks-examples, 58 event types), each signed with
# the test secret: no crash, the right answer for each (202 queued for the events
# the bot handles, 202 ignored for the others), and under ASan no leak at exit.
# Then bad input: wrong and missing signatures (401, nothing queued), the second
# secret of a rotation, oversized (413) and malformed (400) bodies, an unknown
# event, a duplicate delivery, a signature or event header sent twice (400), a 1 MB
# comment, shell metacharacters, Gitea's signature header. Queue counts are read
# from /metrics and from the database.
. "$(dirname "$0")/lib.sh"
src=${MAESTRO_SOURCE_DIR:?}

for tool in curl jq openssl sqlite3 npm; do
	command -v "$tool" >/dev/null || { fail "$tool is needed (scripts/deps installs it)"; finish; }
done

# The payloads: installed from tests/webhook's lock file into a cache outside the tree.
npm_dir=${MAESTRO_NPM_CACHE:-${TMPDIR:-/tmp}/maestro-npm-$(id -un)}/webhook-examples
examples=$npm_dir/node_modules/@octokit/webhooks-examples/api.github.com/index.json
if ! cmp -s "$src/tests/webhook/package-lock.json" "$npm_dir/package-lock.json" || [ ! -f "$examples" ]; then
	mkdir -p "$npm_dir"
	cp "$src/tests/webhook/package.json" "$src/tests/webhook/package-lock.json" "$npm_dir/"
	if ! (cd "$npm_dir" && timeout 300 npm ci --no-audit --no-fund >/dev/null 2>&1); then
		fail "npm ci of tests/webhook failed (no network or registry?): cannot get the example payloads"
		finish
	fi
fi
[ -f "$examples" ] || { fail "no $examples after npm ci"; finish; }

state=$scratch/state
printf 'it5-a-secret\n' >"$scratch/secret1"
printf 'the-next-secret' >"$scratch/secret2"
chmod 600 "$scratch/secret1" "$scratch/secret2"

MAESTRO_LOG=info "$MAESTRO" serve --listen 127.0.0.1:0 --state-dir "$state" \
	--webhook-secret-file "$scratch/secret1" --webhook-secret-file "$scratch/secret2" \
	2>"$scratch/daemon.log" &
daemon=$!
stop_daemon() { kill "$daemon" 2>/dev/null || true; }
trap 'stop_daemon; rm -rf "$scratch"' EXIT
wait_listen "$daemon" "$state" "$scratch/daemon.log"
addr=$(cat "$state/listen")
grep -Eq '^127\.0\.0\.1:[1-9][0-9]*$' <<<"$addr" || fail "listen file holds '$addr'"
url=http://$addr/webhook

sign() { openssl dgst -sha256 -hmac "$1" -r <"$2" | cut -d' ' -f1; }

# post FILE EVENT DELIVERY [SIGNATURE_HEADER_VALUE]: signed with the first secret
# unless a signature header value is given. Sets $status and $reply.
post() {
	local file=$1 event=$2 delivery=$3 sig
	sig=${4-sha256=$(sign it5-a-secret "$file")}
	status=$(curl -sS --max-time 20 -o "$scratch/reply" -w '%{http_code}' \
		-H 'Content-Type: application/json' -H "X-GitHub-Event: $event" \
		-H "X-GitHub-Delivery: $delivery" -H "X-Hub-Signature-256: $sig" \
		--data-binary "@$file" "$url") || status=000
	reply=$(cat "$scratch/reply" 2>/dev/null || true)
}

metric() {
	curl -sS --max-time 10 "http://$addr/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
queued_in_db() { sqlite3 "$state/maestro.db" "SELECT count(*) FROM q_event"; }

# --- every documented example -------------------------------------------------------
# What the bot must handle, decided here from the payload independently of maestro's
# parser: pull_request opened|synchronize|reopened|edited|labeled|closed, issues
# opened|edited|labeled|unlabeled|closed|reopened, issue_comment created|edited (on a
# pull request or an issue), push of a tag that is not a deletion, ping.
jq -r '.[] | .name as $e | .examples[] | [$e, (
	if $e == "ping" then "queued"
	elif $e == "pull_request" and (.action | IN("opened","synchronize","reopened","edited","labeled","closed")) then "queued"
	elif $e == "issues" and (.action | IN("opened","edited","labeled","unlabeled","closed","reopened")) and (.issue.pull_request == null) then "queued"
	elif $e == "issue_comment" and (.action | IN("created","edited")) then "queued"
	elif $e == "push" and (.ref | startswith("refs/tags/")) and (.deleted | not) then "queued"
	else "ignored" end), tojson] | join("\t")' "$examples" >"$scratch/examples.tsv"
total=0 want_queued=0 bad=0
# Compact JSON has no raw tab: a tab separates the three fields.
while IFS=$'\t' read -r event want body; do
	total=$((total + 1))
	printf '%s' "$body" >"$scratch/body.json"
	post "$scratch/body.json" "$event" "example-$total"
	[ "$want" = queued ] && want_queued=$((want_queued + 1))
	if [ "$status" != 202 ] || [ "${reply%%:*}" != "$want" ]; then
		bad=$((bad + 1))
		[ $bad -le 5 ] && fail "example $total ($event): got $status '${reply:0:200}', expected 202 $want"
	fi
	kill -0 "$daemon" 2>/dev/null || { fail "the daemon died on example $total ($event)"; finish; }
done <"$scratch/examples.tsv"
[ "$total" -ge 300 ] || fail "only $total examples read (the package has over 300)"
[ $bad -eq 0 ] && pass "$total example payloads of $(jq length "$examples") event types answered right"
[ "$want_queued" -ge 10 ] || fail "only $want_queued handled examples: the expectation is wrong"
[ "$(queued_in_db)" = "$want_queued" ] && pass "$want_queued handled examples queued, the rest ignored" ||
	fail "queue holds $(queued_in_db) events, expected $want_queued"
[ "$(metric 'maestro_webhook_deliveries_total{result="queued"}')" = "$want_queued" ] ||
	fail "/metrics does not count $want_queued queued deliveries"

# --- bad and hostile input ------------------------------------------------------------
before=$(queued_in_db)
pr=$scratch/pr.json
jq -c 'first(.[] | select(.name == "pull_request") | .examples[] | select(.action == "opened"))' \
	"$examples" >"$pr"
[ -s "$pr" ] || fail "no pull_request opened example"

post "$pr" pull_request bad-sig "sha256=$(sign wrong-secret "$pr")"
[ "$status" = 401 ] && pass "wrong secret: 401" || fail "wrong secret: $status"
post "$pr" pull_request bad-sig2 "sha256=zz"
[ "$status" = 401 ] && pass "malformed signature: 401" || fail "malformed signature: $status"
reply=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'X-GitHub-Event: pull_request' -H 'X-GitHub-Delivery: no-sig' --data-binary "@$pr" "$url")
[ "$reply" = 401 ] && pass "missing signature: 401" || fail "missing signature: $reply"
# A body changed after signing (one byte) does not verify.
sed 's/"opened"/"closed"/' "$pr" >"$scratch/tampered.json"
post "$scratch/tampered.json" pull_request tampered "sha256=$(sign it5-a-secret "$pr")"
[ "$status" = 401 ] && pass "tampered body: 401" || fail "tampered body: $status"
[ "$(queued_in_db)" = "$before" ] && pass "nothing queued by unauthenticated deliveries" ||
	fail "unauthenticated deliveries were queued"
[ "$(metric 'maestro_webhook_deliveries_total{result="unauthorized"}')" = 4 ] ||
	fail "/metrics does not count 4 unauthorized deliveries"

post "$pr" pull_request rotated "sha256=$(sign the-next-secret "$pr")"
[ "$status" = 202 ] && [ "$reply" = queued ] && pass "second secret accepted" || fail "second secret: $status $reply"
post "$pr" pull_request rotated
[ "$status" = 200 ] && [ "$reply" = duplicate ] && pass "duplicate delivery: 200 duplicate" ||
	fail "duplicate: $status $reply"
[ "$(sqlite3 "$state/maestro.db" "SELECT count(*) FROM q_event WHERE delivery_id = 'rotated'")" = 1 ] ||
	fail "a duplicate delivery was queued twice"

# A deciding header sent twice (here one valid signature beside a wrong one, or two
# event names): which copy counts would depend on who reads it, so neither is trusted.
twice() { # twice DELIVERY HEADER...: the signed PR example with extra headers
	status=$(curl -sS --max-time 20 -o "$scratch/reply" -w '%{http_code}' \
		-H 'Content-Type: application/json' -H "X-GitHub-Delivery: $1" \
		-H "X-Hub-Signature-256: sha256=$(sign it5-a-secret "$pr")" "${@:2}" \
		--data-binary "@$pr" "$url") || status=000
	reply=$(cat "$scratch/reply" 2>/dev/null || true)
}
twice twice-sig -H 'X-GitHub-Event: pull_request' -H 'X-Hub-Signature-256: sha256=00'
[ "$status" = 400 ] && [ "$reply" = "header X-Hub-Signature-256 appears more than once" ] &&
	pass "two signature headers: 400" || fail "two signature headers: $status $reply"
twice twice-event -H 'X-GitHub-Event: pull_request' -H 'X-GitHub-Event: ping'
[ "$status" = 400 ] && [ "$reply" = "header X-GitHub-Event appears more than once" ] &&
	pass "two event headers: 400" || fail "two event headers: $status $reply"
[ "$(sqlite3 "$state/maestro.db" "SELECT count(*) FROM q_event WHERE delivery_id LIKE 'twice-%'")" = 0 ] ||
	fail "a delivery with a header twice was queued"

head -c $((25 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$scratch/huge.json"
post "$scratch/huge.json" pull_request huge
[ "$status" = 413 ] && pass "oversized body: 413" || fail "oversized body: $status"
printf '{"action": "opened", "number": ' >"$scratch/broken.json"
post "$scratch/broken.json" pull_request broken
[ "$status" = 400 ] && pass "malformed JSON: 400" || fail "malformed JSON: $status $reply"
printf '[1, 2]' >"$scratch/array.json"
post "$scratch/array.json" pull_request array
[ "$status" = 400 ] && pass "a JSON array body: 400" || fail "array body: $status"
jq -c '.number = "seven"' "$pr" >"$scratch/wrongtype.json"
post "$scratch/wrongtype.json" pull_request wrongtype
[ "$status" = 400 ] && pass "a handled event with a wrongly typed field: 400" || fail "wrong type: $status"
post "$pr" frobnicate_event unknown-event
[ "$status" = 202 ] && [ "${reply%%:*}" = ignored ] && pass "unknown event: 202 ignored" ||
	fail "unknown event: $status $reply"

# The package's issue_comment examples are all on plain issues: one is turned into a
# comment on a pull request the way GitHub marks those (issue.pull_request).
comment=$(jq -c 'first(.[] | select(.name == "issue_comment") | .examples[] | select(.action == "created"))
	| .issue.pull_request = {url: "https://api.github.com/repos/o/r/pulls/\(.issue.number)"}' "$examples")
[ -n "$comment" ] || fail "no issue_comment created example"
head -c 1048576 /dev/zero | tr '\0' 'x' >"$scratch/mb.txt"
jq -c --rawfile b "$scratch/mb.txt" '.comment.body = $b' <<<"$comment" >"$scratch/big-comment.json"
post "$scratch/big-comment.json" issue_comment big-comment
[ "$status" = 202 ] && [ "$reply" = queued ] && pass "1 MB comment queued" || fail "1 MB comment: $status $reply"
[ "$(sqlite3 "$state/maestro.db" "SELECT length(payload) FROM q_event WHERE delivery_id = 'big-comment'")" = \
	"$(stat -c %s "$scratch/big-comment.json")" ] && pass "the 1 MB body is kept byte for byte" ||
	fail "the 1 MB body was not kept whole"
meta='/maestro hold $(touch '"$scratch"'/pwned) `touch '"$scratch"'/pwned2`; rm -rf / | cat & echo "x" > y'
jq -c --arg b "$meta" '.comment.body = $b' <<<"$comment" >"$scratch/meta.json"
post "$scratch/meta.json" issue_comment meta-comment
[ "$status" = 202 ] && [ "$reply" = queued ] && pass "shell metacharacters queued as text" || fail "metacharacters: $status"
[ ! -e "$scratch/pwned" ] && [ ! -e "$scratch/pwned2" ] || fail "a comment ran a command"
[ "$(sqlite3 "$state/maestro.db" "SELECT json_extract(payload, '$.comment.body') FROM q_event WHERE delivery_id = 'meta-comment'")" = "$meta" ] ||
	fail "the comment's text changed on the way in"

# Gitea/Forgejo: X-Gitea-Event, X-Gitea-Delivery and a bare hex X-Gitea-Signature.
jq -c '.action = "synchronized" | .is_pull = true' "$pr" >"$scratch/gitea.json"
gsig=$(sign it5-a-secret "$scratch/gitea.json")
status=$(curl -sS -o "$scratch/reply" -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'X-Gitea-Event: pull_request' -H 'X-Gitea-Delivery: gitea-1' -H "X-Gitea-Signature: $gsig" \
	--data-binary "@$scratch/gitea.json" "$url")
[ "$status" = 202 ] && [ "$(cat "$scratch/reply")" = queued ] && pass "Gitea signature accepted" ||
	fail "Gitea delivery: $status $(cat "$scratch/reply")"
[ "$(sqlite3 "$state/maestro.db" "SELECT forge FROM q_event WHERE delivery_id = 'gitea-1'")" = gitea ] ||
	fail "the Gitea delivery is not marked gitea"
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'X-Gitea-Event: pull_request' -H 'X-Gitea-Delivery: gitea-2' -H "X-Gitea-Signature: ${gsig/a/b}" \
	--data-binary "@$scratch/gitea.json" "$url")
[ "$status" = 401 ] && pass "wrong Gitea signature: 401" || fail "wrong Gitea signature: $status"

# --- many at once: group commit answers each after its own commit, exactly once -------
# 12 delivery ids, each posted 4 times by concurrent clients (48 requests in flight,
# gathered by the queue writer into shared transactions): every id queued once,
# exactly one 202 per id, the other three 200 duplicate, whichever batch they met in.
csig=sha256=$(sign it5-a-secret "$pr")
for i in $(seq 0 47); do
	curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
		-H 'X-GitHub-Event: pull_request' -H "X-GitHub-Delivery: burst-$((i % 12))" \
		-H "X-Hub-Signature-256: $csig" --data-binary "@$pr" "$url" >"$scratch/burst-$i" &
done
wait_ok=1
for job in $(jobs -p); do [ "$job" = "$daemon" ] || wait "$job" || wait_ok=0; done
[ $wait_ok -eq 1 ] || fail "a concurrent delivery's curl failed"
accepted=$(cat "$scratch"/burst-* | grep -c '^202$' || true)
dups=$(cat "$scratch"/burst-* | grep -c '^200$' || true)
[ "$accepted" = 12 ] && [ "$dups" = 36 ] && pass "48 concurrent deliveries of 12 ids: 12 queued, 36 duplicates" ||
	fail "48 concurrent deliveries of 12 ids: $accepted queued, $dups duplicates ($(sort "$scratch"/burst-* | uniq -c | tr '\n' ' '))"
[ "$(sqlite3 "$state/maestro.db" "SELECT count(*), count(DISTINCT delivery_id) FROM q_event WHERE delivery_id LIKE 'burst-%'")" = "12|12" ] &&
	pass "each concurrent delivery committed exactly once" || fail "concurrent deliveries were not committed once each"

status=$(curl -sS -o /dev/null -w '%{http_code}' "http://$addr/healthz")
[ "$status" = 200 ] && pass "/healthz 200" || fail "/healthz: $status"
m=$(curl -sS "http://$addr/metrics")
for want in 'maestro_queue_events{state="queued"}' 'maestro_event_processing_seconds_count' \
	'maestro_webhook_deliveries_total{result="too_large"} 1'; do
	grep -qF "$want" <<<"$m" || fail "/metrics lacks $want"
done
grep -q 'it5-a-secret\|the-next-secret' "$scratch/daemon.log" && fail "a secret reached the log"

# --- graceful stop: exit 0, no leak under ASan, listen file removed ------------------
kill -TERM "$daemon"
rc=0
for _ in $(seq 100); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$daemon" 2>/dev/null; then
	fail "the daemon did not stop within 10 s of SIGTERM"
	kill -KILL "$daemon"
fi
wait "$daemon" || rc=$?
[ $rc -eq 0 ] && pass "stopped cleanly on SIGTERM" || fail "daemon exit $rc: $(grep -m5 -i 'sanitizer\|error' "$scratch/daemon.log")"
grep -q 'Sanitizer' "$scratch/daemon.log" && fail "sanitizer report: $(grep -m3 Sanitizer "$scratch/daemon.log")"
[ ! -e "$state/listen" ] || fail "the listen file outlived the daemon"
grep -q '"event":"daemon.stopped"' "$scratch/daemon.log" || fail "no daemon.stopped log line"
while IFS= read -r l; do jq -e . >/dev/null 2>&1 <<<"$l" || { fail "log line is not JSON: $l"; break; }; done <"$scratch/daemon.log"
[ "$(queued_in_db)" -gt "$before" ] || fail "queued events did not survive the stop"

finish
