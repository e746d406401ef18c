#!/bin/sh
# ab_http.sh -- two or more wasmcap binaries side by side on the HTTP
# benchmark: calls/s, p99 latency and the server's CPU time per call.
#
#   sh bench/ab_http.sh BUILD_DIR ROUNDS NAME=BINARY NAME=BINARY...
#
# e.g. `sh bench/ab_http.sh build 6 new=build/wasmcap old=/tmp/wasmcap-old`.
# Each round starts every binary in turn on the config of bench/http.sh
# (BUILD_DIR/bench-http, made by running that first), opens one session,
# warms it for 2 s, then runs `wrk -t 1 -c CONNECTIONS -d DURATION` with
# bench/http_call.lua (tools/call of calculate).  CPU per call is the
# server's utime+stime (/proc/PID/stat) over the measurement divided by
# the calls wrk counted: steadier than calls/s on a machine whose speed
# drifts.  Peak RSS is the server's VmHWM at the end of the measurement.
# Every binary must have filled the code cache
# (`wasmcap compile --cache-dir BUILD_DIR/bench-http/cache ...`).
set -eu

if [ $# -lt 4 ]; then
    echo "usage: sh bench/ab_http.sh BUILD_DIR ROUNDS NAME=BINARY NAME=BINARY..." >&2
    exit 2
fi
build=$1
rounds=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
config="$build/bench-http/wasmcap.json"
[ -f "$config" ] || { echo "ab_http.sh: $config not found: run sh bench/http.sh $build first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "ab_http.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }
duration=${DURATION:-8}
conns=${CONNECTIONS:-32}
port=${PORT:-18481}
ticks=$(getconf CLK_TCK)
. "$src/bench/lib.sh"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM


cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t 1 -c $conns -d ${duration}s --latency -s bench/http_call.lua, $rounds rounds"
printf "%-10s %6s %12s %10s %12s %10s\n" binary round calls/s p99_us cpu_us/call rss_kib
i=0
while [ "$i" -lt "$rounds" ]; do
    i=$((i + 1))
    for pair in "$@"; do
        name=${pair%%=*}
        bin=${pair#*=}
        "$bin" serve --config "$config" --http "127.0.0.1:$port" 2>"$work/$name.log" &
        pid=$!
        bench_wait_port "$port"
        url="http://127.0.0.1:$port/mcp"
        sid=$(bench_open_session "$url")
        MCP_SESSION=$sid MCP_TOOL=calculator-calculate wrk -t 1 -c "$conns" -d 2s \
            -s "$src/bench/http_call.lua" "$url" >/dev/null
        before=$(cpu_ticks "$pid")
        out=$(MCP_SESSION=$sid MCP_TOOL=calculator-calculate wrk -t 1 -c "$conns" \
            -d "${duration}s" --latency -s "$src/bench/http_call.lua" "$url")
        after=$(cpu_ticks "$pid")
        rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
        kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
        calls=$(echo "$out" | awk '/requests in/ {print $1}')
        rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
        p99=$(echo "$out" | awk '/^p50_us/ {print $6}')
        cpu=$(awk -v a="$before" -v b="$after" -v t="$ticks" -v n="$calls" \
            'BEGIN { printf "%.2f", (b - a) * 1e6 / t / n }')
        printf "%-10s %6d %12s %10s %12s %10s\n" "$name" "$i" "$rps" "$p99" "$cpu" "$rss" | tee -a "$work/results.txt"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
{ n[$1]++; rps[$1, n[$1]] = $3; p99[$1, n[$1]] = $4; cpu[$1, n[$1]] = $5; rss[$1, n[$1]] = $6; if (!($1 in seen)) { seen[$1] = 1; order[++names] = $1 } }
function median(arr, name, k,    i, j, t, v) {
    for (i = 1; i <= k; i++) v[i] = arr[name, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((k + 1) / 2)]
}
END {
    for (k = 1; k <= names; k++) {
        s = order[k]
        printf "median %-10s %10.0f calls/s  p99 %6d us  %6.2f us CPU/call  peak RSS %5.1f MiB\n", s, median(rps, s, n[s]), median(p99, s, n[s]), median(cpu, s, n[s]), median(rss, s, n[s]) / 1024
    }
    if (names >= 2) {
        a = order[1]; b = order[2]
        printf "%s / %s: calls/s x%.3f, CPU per call x%.3f, peak RSS x%.3f\n", a, b, median(rps, a, n[a]) / median(rps, b, n[b]), median(cpu, a, n[a]) / median(cpu, b, n[b]), median(rss, a, n[a]) / median(rss, b, n[b])
    }
}' "$work/results.txt"
