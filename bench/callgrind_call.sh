#!/bin/sh
# callgrind_call.sh -- instructions per tools/call of the calculator, two or
# more wasmcap binaries, over stdio and over Streamable HTTP.  valgrind
# counts instructions, not seconds, so the figure does not move with the
# machine's load: the A/B for changes too small for a wall clock.
#
#   sh bench/callgrind_call.sh BUILD_DIR NAME=BINARY NAME=BINARY...
#
# Each binary serves 200 and then 1,200 calls under callgrind (stdio: the
# requests piped in; HTTP: bench/callgrind_http_driver.py on one session,
# one keep-alive connection); the difference over 1,000 is the cost of one
# call, start-up and shutdown cancelled out.  Uses the configs of
# bench/stdio.sh and bench/http.sh (run those first) and their caches.
set -eu
if [ $# -lt 2 ]; then
    echo "usage: sh bench/callgrind_call.sh BUILD_DIR NAME=BINARY..." >&2
    exit 2
fi
build=$1
shift
src=$(cd "$(dirname "$0")/.." && pwd)
for f in "$build/bench-stdio/wasmcap.json" "$build/bench-http/wasmcap.json"; do
    [ -f "$f" ] || { echo "callgrind_call.sh: $f not found: run bench/stdio.sh and bench/http.sh first" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "callgrind_call.sh: valgrind not found" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=${PORT:-18490}

python3 - "$work" <<'PY'
import json, sys
for n in (200, 1200):
    with open(f"{sys.argv[1]}/req{n}.jsonl", "w") as f:
        f.write(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "callgrind", "version": "1"}}}) + "\n")
        f.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        for i in range(n):
            f.write(json.dumps({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {
                "name": "calculator-calculate",
                "arguments": {"a": i, "b": 7, "op": "+-*/"[i % 4]}}}) + "\n")
PY

total() { awk '/^totals:/ {print $2}' "$1"; }

printf "%-10s %22s %22s\n" binary "stdio instr/call" "http instr/call"
for pair in "$@"; do
    name=${pair%%=*}
    bin=${pair#*=}
    for n in 200 1200; do
        valgrind --tool=callgrind --callgrind-out-file="$work/s-$name-$n" \
            "$bin" serve --config "$build/bench-stdio/wasmcap.json" <"$work/req$n.jsonl" >/dev/null 2>&1
        valgrind --tool=callgrind --callgrind-out-file="$work/h-$name-$n" \
            "$bin" serve --config "$build/bench-http/wasmcap.json" --http "127.0.0.1:$port" >/dev/null 2>&1 &
        vg=$!
        answered=$(python3 "$src/bench/callgrind_http_driver.py" "$port" "$n")
        kill -TERM "$vg"
        wait "$vg" || true
        [ "$answered" = "$n" ] || { echo "callgrind_call.sh: $name answered $answered of $n over HTTP" >&2; exit 1; }
    done
    s=$(( ($(total "$work/s-$name-1200") - $(total "$work/s-$name-200")) / 1000 ))
    h=$(( ($(total "$work/h-$name-1200") - $(total "$work/h-$name-200")) / 1000 ))
    printf "%-10s %22d %22d\n" "$name" "$s" "$h"
done
