# Helpers shared by the tests that run `maestro serve` against the fake GitHub
# (tests/forge/, sourced after lib.sh): the fake forge, the daemon's secret files, the
# daemon itself, signed deliveries, and stopping it all in the exit trap. They use
# $scratch and $state, and set $forge, $api, $forge_pid, $daemon and $hook.
forge=${MAESTRO_SOURCE_DIR:?}/tests/forge
daemon= forge_pid= webhook_secret=

# serve_require TOOL...: each tool, and the fake forge's node_modules, or the test fails.
serve_require() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { fail "$tool is needed (scripts/deps installs it)"; finish; }
	done
	[ -d "$forge/node_modules/@octokit/openapi" ] ||
		{ fail "tests/forge/node_modules is missing (run scripts/deps)"; finish; }
}

# start_fake_forge: the fake GitHub on 127.0.0.1, seeded with $scratch/seed.json.
start_fake_forge() {
	local port
	port=$("$forge/run-server" --port-file "$scratch/forge.port" --pid-file "$scratch/forge.pid" \
		--log "$scratch/forge.log" --seed "$scratch/seed.json" --timeout 60) ||
		{ fail "run-server: $(cat "$scratch/forge.log")"; finish; }
	forge_pid=$(cat "$scratch/forge.pid")
	api=http://127.0.0.1:$port
}

# serve_secrets SECRET: the webhook secret and the bot's token (ghp_bot), owner-only.
serve_secrets() {
	webhook_secret=$1
	printf '%s' "$1" >"$scratch/secret"
	printf 'ghp_bot\n' >"$scratch/token"
	chmod 600 "$scratch/secret" "$scratch/token"
}

# start_serve FLAG...: maestro serve for the fake GitHub with $state, the webhook
# secret, a free port on 127.0.0.1 and FLAG...; logs to $scratch/daemon.log. Waits
# (30 s at most) until it listens.
start_serve() {
	rm -f "$state/listen"
	MAESTRO_LOG=info "$MAESTRO" serve --forge github --api-url "$api" \
		--webhook-secret-file "$scratch/secret" --state-dir "$state" --listen 127.0.0.1:0 \
		"$@" 2>>"$scratch/daemon.log" &
	daemon=$!
	wait_listen "$daemon" "$state" "$scratch/daemon.log"
	hook=http://$(cat "$state/listen")/webhook
}

# signed_post EVENT DELIVERY JSON: the delivery signed with the webhook secret, posted
# to the daemon; prints the HTTP status (000 when there was no answer).
signed_post() {
	local sig status
	printf '%s' "$3" >"$scratch/body"
	sig=$(openssl dgst -sha256 -hmac "$webhook_secret" -r <"$scratch/body" | cut -d' ' -f1)
	status=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "X-GitHub-Event: $1" \
		-H "X-GitHub-Delivery: $2" -H "X-Hub-Signature-256: sha256=$sig" \
		-H 'Content-Type: application/json' --data-binary "@$scratch/body" "$hook") || status=000
	echo "$status"
}

# stop_serve STATUS [SIGNAL]: for the exit trap (STATUS is $? there): the logs' ends
# after a failure, the daemon (SIGTERM unless SIGNAL) and the fake forge stopped, and
# with KEEP=DIR the scratch directory kept there. The caller removes $scratch.
stop_serve() {
	show_logs_if_failed "$1" "$scratch/daemon.log" "$scratch/forge.log"
	[ -z "$daemon" ] || kill "-${2:-TERM}" "$daemon" 2>/dev/null || true
	[ -z "$forge_pid" ] || kill "$forge_pid" 2>/dev/null || true
	[ -z "${KEEP:-}" ] || cp -r "$scratch" "$KEEP" || true
}
