#!/usr/bin/env bash
# docs/CONFIG.md and schemas/config.schema.json must agree: every key of the
# schema has a row in the key table showing its default (as compact JSON), and
# every row of that table names a key the schema has.
set -euo pipefail
src=${MAESTRO_SOURCE_DIR:?MAESTRO_SOURCE_DIR is not set}
schema=$src/schemas/config.schema.json
doc=$src/docs/CONFIG.md
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

# "section.key<TAB>default" for each leaf key; top-level leaves have no section.
leaves=$(jq -r '.properties | to_entries[] |
  if .value.properties then
    .key as $s | .value.properties | to_entries[] |
    "\($s).\(.key)\t\(if .value | has("default") then (.value.default | tojson) else "MISSING" end)"
  else
    "\(.key)\t\(if .value | has("default") then (.value.default | tojson) else "MISSING" end)"
  end' "$schema")

fail=0
count=0
while IFS=$'\t' read -r key default; do
	count=$((count + 1))
	if [ "$default" = MISSING ]; then
		echo "schema: $key has no default" >&2
		fail=1
		continue
	fi
	row=$(grep -F -- "| \`$key\` |" "$doc" || true)
	if [ -z "$row" ]; then
		echo "docs/CONFIG.md: no table row for \`$key\`" >&2
		fail=1
	elif ! grep -qF -- "| \`$default\` |" <<<"$row"; then
		echo "docs/CONFIG.md: row for \`$key\` does not show the default \`$default\`: $row" >&2
		fail=1
	fi
done <<<"$leaves"

# The reverse direction: no row of the "## Keys" table names a key the schema lacks.
while read -r key; do
	if ! cut -f1 <<<"$leaves" | grep -qxF -- "$key"; then
		echo "docs/CONFIG.md documents \`$key\`, which the schema does not have" >&2
		fail=1
	fi
done < <(awk '/^## /{keys = ($0 == "## Keys")} keys' "$doc" |
	grep -oE '^\| `[^`]+` \|' | sed -E 's/^\| `([^`]*)` \|$/\1/')

[ "$count" -ge 17 ] || { echo "only $count schema keys found" >&2; fail=1; }
[ "$fail" = 0 ] && echo "ok: $count keys documented with their defaults"
exit "$fail"
