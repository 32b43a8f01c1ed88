#!/usr/bin/env bash
# maestro serve's settings: the daemon config file (schemas/daemon.schema.json) with
# flags overriding it, and the checks made before anything listens: secret files
# must be owner-only, unknown keys and bad values are refused naming the field,
# a busy port is an environment error.
. "$(dirname "$0")/lib.sh"

printf 's3cret\n' >"$scratch/secret"
chmod 600 "$scratch/secret"
printf 'open\n' >"$scratch/open-secret"
chmod 644 "$scratch/open-secret"

expect_exit 2 "a world-readable secret is refused" "$MAESTRO" serve --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/open-secret"
grep -q "open-secret" <<<"$err" && ! grep -q "open$" <<<"$err" || fail "the error should name the file, not the value: $err"
expect_exit 2 "no secret file" "$MAESTRO" serve --state-dir "$scratch/st"
expect_exit 2 "no state dir" "$MAESTRO" serve --webhook-secret-file "$scratch/secret"
expect_exit 2 "a bad listen address" "$MAESTRO" serve --listen nowhere --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/secret"
expect_exit 2 "github without a token" "$MAESTRO" serve --forge github --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/secret"
grep -q token_file <<<"$err" || fail "the error should name token_file: $err"
# A GitHub App instead of a token: all three settings, github only, an owner-only key.
expect_exit 2 "an App without its installation" "$MAESTRO" serve --forge github --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/secret" --app-id 42 --app-key-file "$scratch/secret"
grep -q installation_id <<<"$err" || fail "the error should name installation_id: $err"
expect_exit 2 "an App on gitea" "$MAESTRO" serve --forge gitea --api-url http://127.0.0.1:1/api/v1 \
	--state-dir "$scratch/st" --webhook-secret-file "$scratch/secret" --app-id 42 \
	--app-key-file "$scratch/secret" --installation-id 7
expect_exit 2 "a world-readable App key" "$MAESTRO" serve --forge github --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/secret" --app-id 42 --app-key-file "$scratch/open-secret" \
	--installation-id 7
grep -q "open-secret" <<<"$err" || fail "the error should name the key file: $err"
expect_exit 2 "a token and an App" "$MAESTRO" serve --forge github --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/secret" --token-file "$scratch/secret" --app-id 42 \
	--app-key-file "$scratch/secret" --installation-id 7
expect_exit 2 "a bad installation id" "$MAESTRO" serve --forge github --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/secret" --installation-id x7
expect_exit 2 "gitea without its API URL" "$MAESTRO" serve --forge gitea --token-file "$scratch/secret" \
	--state-dir "$scratch/st" --webhook-secret-file "$scratch/secret"
expect_exit 2 "--poll without a repository" "$MAESTRO" serve --poll 60 --state-dir "$scratch/st" \
	--webhook-secret-file "$scratch/secret"
grep -q "poller needs at least one --repo" <<<"$err" || fail "the --poll refusal should say why: $err"
[ ! -e "$scratch/st/listen" ] || fail "--poll without a repository listened before refusing"
expect_exit 2 "three secret files" "$MAESTRO" serve --state-dir "$scratch/st" --webhook-secret-file \
	"$scratch/secret" --webhook-secret-file "$scratch/secret" --webhook-secret-file "$scratch/secret"

printf '{"forge": "local", "listen": "127.0.0.1:0", "lisen": 1}' >"$scratch/typo.json"
expect_exit 2 "an unknown config key" "$MAESTRO" serve --config "$scratch/typo.json"
grep -q "lisen" <<<"$err" || fail "the error should name the key: $err"
printf '{"workers": 0}' >"$scratch/zero.json"
expect_exit 2 "workers 0 in the file" "$MAESTRO" serve --config "$scratch/zero.json"
grep -q "/workers" <<<"$err" || fail "the error should name /workers: $err"

# A file with everything, a flag overriding its listen address; the daemon starts.
jq -n --arg s "$scratch/secret" --arg d "$scratch/from-file" \
	'{forge: "local", listen: "127.0.0.1:1", webhook_secret_files: [$s], state_dir: $d, workers: 2}' \
	>"$scratch/daemon.json"
"$MAESTRO" serve --config "$scratch/daemon.json" --listen 127.0.0.1:0 2>"$scratch/log" &
pid=$!
for _ in $(seq 100); do [ -s "$scratch/from-file/listen" ] && break; sleep 0.1; done
addr=$(cat "$scratch/from-file/listen" 2>/dev/null || true)
[[ "$addr" =~ ^127\.0\.0\.1:[0-9]+$ ]] && [ "$addr" != 127.0.0.1:1 ] &&
	pass "config file read, --listen overrides it ($addr)" || fail "daemon from config: '$addr' $(cat "$scratch/log")"
[ "$(stat -c %a "$scratch/from-file")" = 700 ] || fail "the state dir is not 0700"
# The same port again: the second daemon cannot bind.
expect_exit 3 "a port in use" "$MAESTRO" serve --listen "$addr" --state-dir "$scratch/other" \
	--webhook-secret-file "$scratch/secret"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ $rc -eq 0 ] && pass "SIGINT stops it with status 0" || fail "exit $rc after SIGINT"
grep -q '"signal":"SIGINT"' "$scratch/log" || fail "no stopping log line"
finish
