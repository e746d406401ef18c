#!/bin/sh
# pipelined_http.sh -- two or more wasmcap binaries side by side on
# pipelined HTTP/1.1 requests: the server's CPU time per request and the
# requests per second of one connection that pipelines GET /healthz.
#
#   sh bench/pipelined_http.sh ROUNDS REQUESTS NAME=BINARY NAME=BINARY...
#
# e.g. `sh bench/pipelined_http.sh 5 200000 new=build/wasmcap old=/tmp/wasmcap-old`.
# Each round starts every binary in turn (`serve --http` on a config with no
# plugins), sends REQUESTS pipelined requests on one connection while
# reading the answers, and prints the server's utime+stime
# (/proc/PID/stat) per request, the figure a loaded machine disturbs least.
set -eu

usage="usage: sh bench/pipelined_http.sh ROUNDS REQUESTS NAME=BINARY NAME=BINARY..."
[ $# -ge 3 ] || { echo "$usage" >&2; exit 2; }
rounds=$1 requests=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/bench/lib.sh"
port=${PORT:-18491}
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
echo '{"plugins": {}}' > "$work/wasmcap.json"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One connection: a writer thread pipelines, the reader counts the answers.
cat > "$work/flood.py" <<'EOF'
import socket, sys, threading, time
port, n = int(sys.argv[1]), int(sys.argv[2])
req = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port))
def write():
    batch = req * 1000
    for _ in range(n // 1000):
        s.sendall(batch)
t0 = time.monotonic()
threading.Thread(target=write, daemon=True).start()
seen, tail = 0, b""
while seen < n // 1000 * 1000:
    data = s.recv(1 << 20)
    if not data:
        sys.exit("the server closed the connection after %d answers" % seen)
    chunk = tail + data
    seen += chunk.count(b"HTTP/1.1 200 ")
    tail = chunk[-12:]
    seen -= tail.count(b"HTTP/1.1 200 ")
    chunk = None
print("%.0f" % (seen / (time.monotonic() - t0)))
EOF

printf '%-6s %-8s %14s %16s\n' round binary requests/s "CPU us/request"
r=1
while [ "$r" -le "$rounds" ]; do
    for spec in "$@"; do
        name=${spec%%=*}
        bin=${spec#*=}
        "$bin" serve --config "$work/wasmcap.json" --http "127.0.0.1:$port" --log-level error &
        pid=$!
        bench_wait_port "$port"
        before=$(cpu_ticks "$pid")
        rate=$(python3 "$work/flood.py" "$port" "$requests")
        after=$(cpu_ticks "$pid")
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        pid=""
        awk -v r="$r" -v n="$name" -v rate="$rate" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
            -v q="$requests" 'BEGIN { printf "%-6s %-8s %14s %16.2f\n", r, n, rate, t / hz * 1e6 / q }'
    done
    r=$((r + 1))
done
