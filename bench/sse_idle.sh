#!/bin/sh
# sse_idle.sh -- idle event streams: how much memory wasmcap needs per open
# GET stream (each its own MCP session).
#
#   sh bench/sse_idle.sh BUILD_DIR [STREAMS]
#
# Starts `wasmcap serve --http` (no plugins), has bench_sse_idle open
# STREAMS streams (default 100,000) from source addresses across
# 127.0.0.0/8 in steps, holds them 5 s, and prints the server's RSS at each
# step and per stream.  One process can open only as many sockets as its
# descriptor limit allows (`ulimit -Hn`); when that is below STREAMS, both
# the server and the load tool stop short of it, and the report says so.
set -eu
[ $# -ge 1 ] || { echo "usage: sh bench/sse_idle.sh BUILD_DIR [STREAMS]" >&2; exit 2; }
build=$1
want=${2:-100000}
port=${PORT:-18490}
limit=$(ulimit -Hn)
n=$want
if [ "$limit" != unlimited ] && [ $((limit - 300)) -lt "$n" ]; then
    n=$((limit - 300))
    echo "sse_idle.sh: descriptor limit $limit per process: measuring $n streams, not $want" >&2
fi
ulimit -n "$limit"
sources=$(( (n + 799) / 800 ))
work="$build/bench-sse-idle"
mkdir -p "$work"
cat > "$work/wasmcap.json" <<JSON
{"server": {"log_level": "warning"}, "plugins": {},
 "http": {"max_sessions_per_client": 1000, "max_connections_per_client": 2000,
          "max_sessions": 200000}}
JSON
"$build/wasmcap" serve --config "$work/wasmcap.json" --http "127.0.0.1:$port" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT INT TERM
sleep 0.5
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sr); streams $n, sources $sources"
echo "command: $build/bench_sse_idle --port $port --streams $n --sources $sources --hold 5 --server-pid $pid --step $(( (n + 3) / 4 ))"
"$build/bench_sse_idle" --port "$port" --streams "$n" --sources "$sources" --hold 5 \
    --server-pid "$pid" --step $(( (n + 3) / 4 ))
echo "server peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
