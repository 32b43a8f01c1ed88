#!/usr/bin/env bash
# A 202 from maestro serve means committed: deliveries acknowledged while many
# are in flight at once (so the queue writer gathers them into shared
# transactions) are all in the database after the daemon is killed with SIGKILL
# right after the answers, and the ones still unanswered at the kill are either
# there whole or absent (never half there). The file reopens cleanly (WAL replay)
# and a restarted daemon still knows every acknowledged delivery id (a forge's
# redelivery of one is a duplicate).
. "$(dirname "$0")/lib.sh"

for tool in curl openssl sqlite3; do
	command -v "$tool" >/dev/null || { fail "$tool is needed (scripts/deps installs it)"; finish; }
done
state=$scratch/state
printf 'kill-test-secret\n' >"$scratch/secret"
chmod 600 "$scratch/secret"
daemon=
trap '[ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null; rm -rf "$scratch"' EXIT

start_daemon() {
	rm -f "$state/listen"
	MAESTRO_LOG=warn "$MAESTRO" serve --listen 127.0.0.1:0 --state-dir "$state" \
		--webhook-secret-file "$scratch/secret" 2>>"$scratch/daemon.log" &
	daemon=$!
	wait_listen "$daemon" "$state" "$scratch/daemon.log"
	url=http://$(cat "$state/listen")/webhook
}

# A ping with a 20 KB field, so each commit writes several WAL pages.
{
	printf '{"zen":"'
	head -c 20000 /dev/zero | tr '\0' 'z'
	printf '","hook_id":1,"repository":{"full_name":"o/r"}}'
} >"$scratch/body.json"
sig=sha256=$(openssl dgst -sha256 -hmac kill-test-secret -r <"$scratch/body.json" | cut -d' ' -f1)
deliver() { # ID: prints the status
	curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H 'X-GitHub-Event: ping' -H "X-GitHub-Delivery: $1" -H "X-Hub-Signature-256: $sig" \
		--data-binary "@$scratch/body.json" "$url" 2>/dev/null || echo 000
}

start_daemon
# 64 deliveries at once; the daemon is killed as soon as 20 have been answered 202,
# while the others may still be in flight.
for i in $(seq 1 64); do
	(s=$(deliver "kill-$i"); echo "$s" >"$scratch/status-$i.tmp" && mv "$scratch/status-$i.tmp" "$scratch/status-$i") &
done
for _ in $(seq 400); do
	[ "$(cat "$scratch"/status-* 2>/dev/null | grep -c '^202$')" -ge 20 ] && break
	sleep 0.05
done
kill -KILL "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=
wait
acked=$(grep -l '^202$' "$scratch"/status-* 2>/dev/null | sed 's/.*status-/kill-/' | sort)
[ "$(wc -l <<<"$acked")" -ge 20 ] || fail "fewer than 20 deliveries were acknowledged before the kill"

[ "$(sqlite3 "$state/maestro.db" 'PRAGMA integrity_check')" = ok ] && pass "the store reopens intact after SIGKILL" ||
	fail "integrity check failed after SIGKILL"
stored=$(sqlite3 "$state/maestro.db" "SELECT delivery_id FROM q_event WHERE delivery_id LIKE 'kill-%'" | sort)
missing=$(comm -23 <(echo "$acked") <(echo "$stored"))
[ -z "$missing" ] && pass "all $(wc -l <<<"$acked") acknowledged deliveries survived SIGKILL" ||
	fail "acknowledged but lost after SIGKILL: $(tr '\n' ' ' <<<"$missing")"
[ "$(sqlite3 "$state/maestro.db" "SELECT count(*) FROM q_event WHERE delivery_id LIKE 'kill-%' AND length(payload) <> $(stat -c %s "$scratch/body.json")")" = 0 ] &&
	pass "every stored delivery is whole" || fail "a stored delivery's payload is not whole"
[ "$(sqlite3 "$state/maestro.db" "SELECT count(*) FROM q_delivery WHERE delivery_id LIKE 'kill-%'")" = \
	"$(wc -l <<<"$stored")" ] && pass "delivery ids remembered exactly for the stored events" ||
	fail "delivery ids and stored events disagree"

# Restarted, the daemon still knows every acknowledged id.
start_daemon
dups=0
for id in $(head -5 <<<"$acked"); do
	[ "$(deliver "$id")" = 200 ] && dups=$((dups + 1))
done
[ $dups -eq 5 ] && pass "redeliveries of acknowledged ids are duplicates after the restart" ||
	fail "only $dups of 5 redeliveries were duplicates after the restart"
kill -TERM "$daemon"
rc=0
wait "$daemon" 2>/dev/null || rc=$?
daemon=
[ $rc -eq 0 ] && pass "the restarted daemon stops cleanly" || fail "the restarted daemon exited $rc"
grep -q 'Sanitizer\|runtime error' "$scratch/daemon.log" &&
	fail "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' "$scratch/daemon.log")"
finish
