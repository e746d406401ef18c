#!/bin/sh
# http.sh -- MCP over Streamable HTTP, wasmcap against the anchor (the
# official TypeScript SDK server of ../shared/anchors/ts-sdk), side by side
# in one run, driven by wrk on loopback.
#
#   sh bench/http.sh BUILD_DIR
#
# Environment: RUNS (rounds, default 3), DURATION (seconds per measurement,
# default 10), CONNECTIONS (default 32), THREADS (wrk threads, default 1),
# ANCHOR_DIR (default ../shared/anchors/ts-sdk).
#
# Each round starts each server fresh, opens one MCP session (initialize +
# notifications/initialized with curl), warms it up for 2 s, then runs
# `wrk -t THREADS -c CONNECTIONS -d DURATION --latency` with bench/http_call.lua:
# every connection POSTs tools/call of calculate {"a":6,"b":7,"op":"*"} one
# after another on that session.  wasmcap answers application/json (a
# fresh Wasm instance per call); the anchor runs twice, in its default mode
# (event-stream answers) and with JSONRESP=1 (JSON answers), and the ratios
# are taken against its better mode.  Peak RSS is VmHWM of each server.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/http.sh BUILD_DIR" >&2
    exit 2
fi
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
wasmcap="$build/wasmcap"
plugin="$src/plugins/calculator/calculator.wasm"
for f in "$wasmcap" "$plugin"; do
    [ -e "$f" ] || { echo "http.sh: $f not found: make build examples first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "http.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "http.sh: curl not found" >&2; exit 1; }

. "$src/bench/lib.sh"
bench_anchor
work="$build/bench-http"
bench_config "$work" "$plugin"

runs=${RUNS:-3}
duration=${DURATION:-10}
conns=${CONNECTIONS:-32}
threads=${THREADS:-1}
port=${PORT:-18480}
pid=""

cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM


# measure NAME TOOL: the server is $pid on $port; appends a result line.
measure() {
    name=$1 tool=$2 url="http://127.0.0.1:$port/mcp"
    sid=$(bench_open_session "$url")
    MCP_SESSION=$sid MCP_TOOL=$tool wrk -t "$threads" -c "$conns" -d 2s \
        -s "$src/bench/http_call.lua" "$url" >/dev/null
    out=$(MCP_SESSION=$sid MCP_TOOL=$tool wrk -t "$threads" -c "$conns" -d "${duration}s" \
        --latency -s "$src/bench/http_call.lua" "$url")
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p50=$(echo "$out" | awk '/^p50_us/ {print $2}')
    p99=$(echo "$out" | awk '/^p50_us/ {print $6}')
    bad=$(echo "$out" | awk '/^bad answers:/ {print $3}')
    errors=$(echo "$out" | awk '/Socket errors|Non-2xx/ {print}' | tr '\n' ' ')
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    printf "%-16s %12s %10s %10s %10s  %s %s\n" "$name" "$rps" "$p50" "$p99" "$rss" \
        "bad=$bad" "$errors" | tee -a "$work/results.txt"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), nproc $(nproc)," \
     "$(uname -sr); node $(node --version); $(wrk -v 2>&1 | head -1)"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t $threads -c $conns -d ${duration}s --latency -s bench/http_call.lua (one session per server)"
: > "$work/results.txt"
printf "%-16s %12s %10s %10s %10s\n" server calls/s p50_us p99_us rss_kib
for round in $(seq 1 "$runs"); do
    "$wasmcap" serve --config "$work/wasmcap.json" --http "127.0.0.1:$port" 2>"$work/wasmcap.log" &
    pid=$!
    bench_wait_port "$port"
    measure "wasmcap" calculator-calculate
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

    for mode in sse json; do
        jr=0; [ "$mode" = json ] && jr=1
        PORT=$port JSONRESP=$jr node "$anchor/server_http.mjs" 2>"$work/anchor.log" &
        pid=$!
        bench_wait_port "$port"
        measure "anchor-$mode" calculate
        kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Medians per server, then ratios against the anchor's better mode.
awk '
{ n[$1]++; rps[$1, n[$1]] = $2; p99[$1, n[$1]] = $4; rss[$1, n[$1]] = $5 }
function median(arr, name, k,    i, j, t, v) {
    for (i = 1; i <= k; i++) v[i] = arr[name, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((k + 1) / 2)]
}
END {
    for (s in n) { R[s] = median(rps, s, n[s]); P[s] = median(p99, s, n[s]); M[s] = median(rss, s, n[s]) }
    best = R["anchor-sse"] > R["anchor-json"] ? "anchor-sse" : "anchor-json"
    printf "\nmedians: %-12s %10.0f calls/s  p99 %8d us  RSS %7.1f MiB\n", "wasmcap", R["wasmcap"], P["wasmcap"], M["wasmcap"] / 1024
    printf "medians: %-12s %10.0f calls/s  p99 %8d us  RSS %7.1f MiB\n", "anchor-sse", R["anchor-sse"], P["anchor-sse"], M["anchor-sse"] / 1024
    printf "medians: %-12s %10.0f calls/s  p99 %8d us  RSS %7.1f MiB\n", "anchor-json", R["anchor-json"], P["anchor-json"], M["anchor-json"] / 1024
    printf "wasmcap / %s: calls/s x%.2f, p99 latency x%.3f (1/%.1f)\n", best, R["wasmcap"] / R[best], P["wasmcap"] / P[best], P[best] / P["wasmcap"]
}' "$work/results.txt"
