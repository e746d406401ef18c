#!/bin/sh
# reload.sh -- what a hot reload costs: `wasmcap serve` with N plugins
# (copies of the reload test guest), one plugin file replaced (one loaded,
# N-1 kept), then every file replaced (N loaded), then a burst of 100 writes
# of one file; each reload's own time is the "ms" of its log line (from the
# request to the new registry served, on the reload thread), and the time
# from the rename to the client's tools/list_changed is measured around it
# (it holds reload.quiet_ms, 100 here).  Also: the RSS after 50 reloads.
#
#   sh bench/reload.sh [BUILD] [N]     (default: build, 20)
set -eu
build=$(cd "${1:-build}" && pwd)
n=${2:-20}
wasmcap=$build/wasmcap
v1=$build/guests/reload_v1.wasm
v2=$build/guests/reload_v2.wasm
work=$(mktemp -d /tmp/wc-bench-reload-XXXXXX)
trap 'kill $pid 2>/dev/null; exec 9>&-; rm -rf "$work"' EXIT

plugins=""
i=0
while [ $i -lt $n ]; do
    cp "$v1" "$work/p$i.wasm"
    plugins="$plugins${plugins:+, }\"p$i\": {\"path\": \"p$i.wasm\"}"
    i=$((i + 1))
done
cat > "$work/wasmcap.json" <<JSON
{"server": {"workers": 2},
 "storage": {"kv_dir": "$work/kv", "cache_dir": "$work/cache", "cache_key": "$work/cache.key"},
 "reload": {"quiet_ms": 100},
 "plugins": {$plugins}}
JSON
mkfifo "$work/in"
"$wasmcap" serve --config "$work/wasmcap.json" < "$work/in" > "$work/out" 2> "$work/log" &
pid=$!
exec 9> "$work/in"
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' >&9
while ! grep -q '"id":1' "$work/out" 2>/dev/null; do sleep 0.05; done

now_ms() { date +%s%3N; }
reloads() { grep -c '"msg":"reloaded (' "$work/log" || true; }
changes() { grep -c 'tools/list_changed' "$work/out" || true; }
# wait_reload HAD: until the log has more than HAD reloads; prints the last one's ms.
wait_reload() {
    while [ "$(reloads)" -le "$1" ]; do sleep 0.01; done
    grep '"msg":"reloaded (' "$work/log" | tail -1 | sed 's/.*"ms":\([0-9.]*\).*/\1/'
}
# one SRC FROM TO: replaces plugins FROM..TO-1 with SRC (it must change
# the tool list, so alternate v1 and v2); prints the reload's ms and the
# rename-to-list_changed ms.
one() {
    had=$(reloads); seen=$(changes)
    t0=$(now_ms)
    j=$2
    while [ $j -lt $3 ]; do cp "$1" "$work/p$j.tmp" && mv "$work/p$j.tmp" "$work/p$j.wasm"; j=$((j + 1)); done
    while [ "$(changes)" -le "$seen" ]; do sleep 0.005; done
    t1=$(now_ms)
    ms=$(wait_reload "$had")
    echo "$ms $((t1 - t0))"
}
# flip: the version the next change writes.
next=$v2
flip() { if [ "$next" = "$v2" ]; then next=$v1; else next=$v2; fi; }
echo "wasmcap $(git -C "$(dirname "$0")/.." rev-parse --short HEAD), $n plugins, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
for k in 1 2 3 4 5; do
    set -- $(one "$next" 0 1); flip
    echo "one plugin changed: reload $1 ms, rename to list_changed $2 ms"
done
for k in 1 2 3; do
    set -- $(one "$next" 0 "$n"); flip
    echo "all $n changed:     reload $1 ms, rename to list_changed $2 ms"
done
had=$(reloads)
k=0
while [ $k -lt 100 ]; do cp "$next" "$work/p0.wasm"; k=$((k + 1)); done
flip
sleep 1
echo "100 writes of one file: $(( $(reloads) - had )) reload(s)"
rss0=$(grep VmRSS /proc/$pid/status | awk '{print $2}')
k=0
while [ $k -lt 50 ]; do one "$next" 0 1 > /dev/null; flip; k=$((k + 1)); done
rss1=$(grep VmRSS /proc/$pid/status | awk '{print $2}')
echo "RSS: $rss0 KiB before 50 more reloads, $rss1 KiB after"
