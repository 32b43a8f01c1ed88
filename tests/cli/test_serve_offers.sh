#!/usr/bin/env bash
# POST /v1/offers end to end with curl against a running daemon: a bearer token per
# agent (--agent-token-file AGENT=FILE, mode 0600) or 401; the offer's agentId must
# be the token's agent (403); JSON errors naming the field for a malformed body (400),
# an invalid or expired offer (422), an offerId reused for another offer (409),
# flooding (429, Retry-After); 415 for a form body, 413 past the size limit; an
# accepted offer is stored in the daemon's store (202 with its id, a re-delivery is
# a duplicate), and on a forge its pull request's review is queued.
. "$(dirname "$0")/lib.sh"
for tool in curl jq sqlite3; do
	command -v "$tool" >/dev/null || { fail "$tool is needed (scripts/deps installs it)"; finish; }
done

printf 'webhook-secret\n' >"$scratch/secret"
printf 'tok-alice-0123456789\n' >"$scratch/alice.token"
printf 'tok-bob-9876543210' >"$scratch/bob.token"
chmod 600 "$scratch/secret" "$scratch/alice.token" "$scratch/bob.token"

# A token file others can read is refused before the daemon starts.
cp "$scratch/bob.token" "$scratch/open.token" && chmod 644 "$scratch/open.token"
expect_exit 2 "a world-readable token file" "$MAESTRO" serve --listen 127.0.0.1:0 --state-dir "$scratch/x" \
	--webhook-secret-file "$scratch/secret" --agent-token-file "bob=$scratch/open.token"
grep -q "agent token" <<<"$err" || fail "token file mode: $err"
expect_exit 2 "no AGENT=" "$MAESTRO" serve --listen 127.0.0.1:0 --state-dir "$scratch/x" \
	--webhook-secret-file "$scratch/secret" --agent-token-file "$scratch/bob.token"

daemon=
start_daemon() { # STATE_DIR ARGS...
	local state=$1
	shift
	MAESTRO_LOG=info "$MAESTRO" serve --listen 127.0.0.1:0 --state-dir "$state" \
		--webhook-secret-file "$scratch/secret" "$@" 2>>"$scratch/daemon.log" &
	daemon=$!
	wait_listen "$daemon" "$state" "$scratch/daemon.log"
	url=http://$(cat "$state/listen")/v1/offers
}
stop_daemon() {
	[ -n "$daemon" ] || return 0
	kill "$daemon" 2>/dev/null || true
	wait "$daemon" 2>/dev/null || true
	daemon=
}
trap 'stop_daemon; rm -rf "$scratch"' EXIT

# post TOKEN BODY_FILE [CONTENT_TYPE]: sets $status and $reply (and $headers).
post() {
	local auth=() type=${3:-application/json}
	[ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
	status=$(curl -sS --max-time 20 -D "$scratch/headers" -o "$scratch/reply" -w '%{http_code}' \
		"${auth[@]}" -H "Content-Type: $type" --data-binary "@$2" "$url")
	reply=$(cat "$scratch/reply")
	headers=$(cat "$scratch/headers")
}
# offer FILE ID AGENT TASK [EXPIRES]
offer() {
	printf '{"offerId":"%s","agentId":"%s","taskId":"%s","arm":"a","predEval":0.9,"predCostUSD":1,"predMinutes":10,"risk":0.1,"expiresAt":"%s"}' \
		"$2" "$3" "$4" "${5:-2099-01-01T00:00:00Z}" >"$1"
}
expect_status() { # WANT WHAT [FIELD]
	if [ "$status" != "$1" ]; then
		fail "$2: HTTP $status, expected $1: $reply"
	elif [ -n "${3:-}" ] && [ "$(jq -r .field <<<"$reply")" != "$3" ]; then
		fail "$2: field $(jq -r .field <<<"$reply"), expected $3: $reply"
	else
		pass "$2"
	fi
}

state=$scratch/state
cfg=$scratch/serve.json
jq -n --arg s "$scratch/secret" --arg d "$state" --arg b "$scratch/bob.token" \
	'{forge: "local", listen: "127.0.0.1:0", webhook_secret_files: [$s], state_dir: $d, agent_token_files: {bob: $b}}' >"$cfg"
start_daemon "$state" --config "$cfg" --agent-token-file "alice=$scratch/alice.token" --agent-token-file "bob=$scratch/bob.token"
offer "$scratch/a1.json" a1 alice feature
post "" "$scratch/a1.json"
expect_status 401 "no token" Authorization
grep -qi '^WWW-Authenticate: Bearer' <<<"$headers" || fail "401 without WWW-Authenticate: $headers"
post "tok-alice-012345678" "$scratch/a1.json"
expect_status 401 "a token one byte short" Authorization
post "tok-bob-9876543210" "$scratch/a1.json"
expect_status 403 "bob's token for alice's offer" agentId
post "tok-alice-0123456789" "$scratch/a1.json" application/x-www-form-urlencoded
expect_status 415 "a form body" Content-Type
post "tok-alice-0123456789" "$scratch/a1.json"
expect_status 202 "alice's offer"
[ "$(jq -r .offer_id <<<"$reply")" = a1 ] && [ "$(jq -r .duplicate <<<"$reply")" = false ] || fail "202 body: $reply"
post "tok-alice-0123456789" "$scratch/a1.json"
expect_status 202 "the same offer again"
[ "$(jq -r .duplicate <<<"$reply")" = true ] || fail "not a duplicate: $reply"
[ "$(sqlite3 "$state/maestro.db" "SELECT agent_id || ':' || task_id FROM ag_offer WHERE offer_id = 'a1'")" = alice:feature ] ||
	fail "a1 not stored in the daemon's store"

printf '{"offerId": "a2", ' >"$scratch/bad.json"
post "tok-alice-0123456789" "$scratch/bad.json"
expect_status 400 "not JSON"
jq -e '.error | length > 0' <<<"$reply" >/dev/null || fail "400 without an error: $reply"
jq '.predEval = "high" | .offerId = "a3"' "$scratch/a1.json" >"$scratch/a3.json"
post "tok-alice-0123456789" "$scratch/a3.json"
expect_status 422 "a string for predEval" /predEval
jq 'del(.taskId) | .offerId = "a4"' "$scratch/a1.json" >"$scratch/a4.json"
post "tok-alice-0123456789" "$scratch/a4.json"
expect_status 422 "no taskId" taskId
offer "$scratch/a5.json" a5 alice feature 2001-01-01T00:00:00Z
post "tok-alice-0123456789" "$scratch/a5.json"
expect_status 422 "expired" expiresAt
offer "$scratch/a1b.json" a1 alice other
post "tok-alice-0123456789" "$scratch/a1b.json"
expect_status 409 "offerId reused for another offer" offerId
head -c 20000 /dev/zero | tr '\0' ' ' >"$scratch/big.json"
post "tok-alice-0123456789" "$scratch/big.json"
[ "$status" = 413 ] && pass "oversized" || fail "oversized: HTTP $status"

# Flooding: the default limit is 20 offers per agent in the window.
for i in $(seq 1 25); do
	offer "$scratch/f.json" "b$i" bob feature
	post "tok-bob-9876543210" "$scratch/f.json"
	[ "$status" = 202 ] || break
done
expect_status 429 "bob floods" agentId
grep -qi '^Retry-After: [0-9]' <<<"$headers" || fail "429 without Retry-After: $headers"
[ "$i" = 21 ] || fail "the limit took $i offers"
offer "$scratch/a6.json" a6 alice feature
post "tok-alice-0123456789" "$scratch/a6.json"
expect_status 202 "alice is not limited by bob's flood"
stop_daemon

# On a forge, an accepted offer for owner/name#N queues that PR's review.
printf 'forge-token' >"$scratch/forge.token" && chmod 600 "$scratch/forge.token"
start_daemon "$scratch/gh" --forge github --api-url http://127.0.0.1:9 --token-file "$scratch/forge.token" \
	--workers 0 --agent-token-file "alice=$scratch/alice.token"
offer "$scratch/g1.json" g1 alice "octo/demo#12"
post "tok-alice-0123456789" "$scratch/g1.json"
expect_status 202 "an offer for a pull request"
stop_daemon
[ "$(sqlite3 "$scratch/gh/maestro.db" "SELECT event || ' ' || repo || ' ' || json_extract(payload, '$.number') FROM q_event WHERE delivery_id = 'offer:g1'")" = "poll octo/demo 12" ] ||
	fail "no review queued for octo/demo#12: $(sqlite3 "$scratch/gh/maestro.db" 'SELECT delivery_id, event, repo FROM q_event')"
finish
