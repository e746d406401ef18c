#!/bin/sh
# run.sh -- the official MCP conformance suite (npm @modelcontextprotocol/
# conformance, pinned by package-lock.json) against `wasmcap serve --http`
# with the conformance fixtures plugin (plugins/conformance).
#
#   sh tests/conformance/run.sh BUILD_DIR
#
# Runs 0.1.16 with every scenario (--suite all: the pending
# json-schema-2020-12 and server-sse-polling included) and 0.2.0-alpha.12
# with --requirements 2025-11-25 and with --requirements 2026-07-28 (whose
# scored scenarios decide its status; extensions and pending ones are run
# and reported).  Fails when any of them fails.
# The suite needs Node >= 22: it runs on npm's node@22 package (npx -p).
set -eu

[ $# -ge 1 ] || { echo "usage: sh tests/conformance/run.sh BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$1
case $build in /*) ;; *) build=$root/$build ;; esac
wasmcap=$build/wasmcap
[ -x "$wasmcap" ] || { echo "run.sh: $wasmcap not found: build first" >&2; exit 1; }
[ -f "$root/plugins/conformance/conformance.wasm" ] || make -C "$root/plugins" >&2

[ -d "$here/node_modules/conformance-0.1.16" ] ||
    (cd "$here" && npm ci --no-audit --no-fund >&2)

work=$build/conformance
rm -rf "$work"
mkdir -p "$work/data" "$work/cache"
XDG_DATA_HOME=$work/data XDG_CACHE_HOME=$work/cache \
    "$wasmcap" serve --config "$here/wasmcap.json" --http 127.0.0.1:0 \
    --log-level info 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT INT TERM
port=""
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*on http:\/\/127\.0\.0\.1:\([0-9]*\)\/mcp.*/\1/p' "$work/server.log" | head -1)
    [ -n "$port" ] && break
    kill -0 $pid 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.05
done
[ -n "$port" ] || { echo "run.sh: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
url=http://localhost:$port/mcp
echo "conformance: wasmcap on $url (log: $work/server.log)"

status=0
# suite VERSION_DIR LABEL ARGS...: runs one suite; keeps its summary.
suite() {
    pkg=$1 label=$2
    shift 2
    echo "== $label"
    if (cd "$here" && npx -y -p node@22 node "node_modules/$pkg/dist/index.js" server \
            --url "$url" -o "$work/$label" "$@") >"$work/$label.txt" 2>&1; then
        sed -n '/=== SUMMARY ===/,$p' "$work/$label.txt" | grep -E '^Total|Baseline' || true
        return 0
    fi
    sed -n '/SUMMARY/,$p' "$work/$label.txt"
    grep -E '✗|FAIL' "$work/$label.txt" | head -40 || true
    echo "conformance: $label failed (full output: $work/$label.txt)" >&2
    return 1
}
suite conformance-0.1.16 v0.1.16-all --suite all || status=1
suite conformance-0.2.0 v0.2.0-2025-11-25 --requirements 2025-11-25 || status=1
suite conformance-0.2.0 v0.2.0-2026-07-28 --requirements 2026-07-28 || status=1
exit $status
