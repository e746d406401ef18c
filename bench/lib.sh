# lib.sh -- what the bench scripts share.  Sourced, with $src (the
# checkout) set, and for bench/stdio.sh's and bench/http.sh's helpers
# $build (absolute) and $wasmcap.

# bench_two_builds USAGE ARGS...: sets $old and $new to the first two
# arguments as absolute directories (the *_ab.sh scripts' OLD_BUILD and
# NEW_BUILD), or prints USAGE and exits 2 when there are fewer.
bench_two_builds() {
    if [ $# -lt 3 ]; then
        echo "usage: $1" >&2
        exit 2
    fi
    old=$(cd "$2" && pwd)
    new=$(cd "$3" && pwd)
}

# bench_anchor: sets $anchor to a directory holding the anchor's servers
# (../shared/anchors/ts-sdk or ANCHOR_DIR) with their npm dependencies.
# When that directory has no node_modules, the servers are copied to
# $build/anchor-ts-sdk and installed there, so nothing is written into
# ../shared.
bench_anchor() {
    anchor=${ANCHOR_DIR:-$src/../shared/anchors/ts-sdk}
    if [ ! -f "$anchor/server_stdio.mjs" ]; then
        echo "$(basename "$0"): no anchor at $anchor (set ANCHOR_DIR)" >&2
        exit 1
    fi
    anchor=$(cd "$anchor" && pwd)
    [ -d "$anchor/node_modules" ] && return 0
    scratch="$build/anchor-ts-sdk"
    mkdir -p "$scratch"
    cp "$anchor/package.json" "$anchor"/server_*.mjs "$scratch/"
    if [ ! -d "$scratch/node_modules/express" ]; then
        echo "$(basename "$0"): installing the anchor's npm dependencies in $scratch" >&2
        (cd "$scratch" && npm install --no-audit --no-fund >&2)
    fi
    anchor=$scratch
}

# bench_config WORK PLUGIN: WORK/wasmcap.json serves PLUGIN as "calculator"
# on the optimized tier, its code cache filled beforehand by `wasmcap
# compile`, so no compiler runs during a measurement.
bench_config() {
    mkdir -p -m 700 "$1/cache" "$1/kv" # a cache writable by others is not used
    cat > "$1/wasmcap.json" <<JSON
{
  "server": {"name": "wasmcap-bench", "log_level": "warning", "tier": "optimized"},
  "storage": {"kv_dir": "$1/kv", "cache_dir": "$1/cache"},
  "plugins": {"calculator": {"path": "$2"}}
}
JSON
    "$wasmcap" compile --cache-dir "$1/cache" "$2" >&2
}

# bench_wait_port PORT: waits (up to 10 s) for a server to answer there.
bench_wait_port() {
    tries=0 # not i: callers count their rounds in i
    while ! curl -s -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; do
        tries=$((tries + 1))
        [ $tries -gt 200 ] && { echo "$(basename "$0"): server on port $1 did not start" >&2; return 1; }
        sleep 0.05
    done
}

# bench_open_session URL: initializes one MCP session there; prints its id.
bench_open_session() {
    sid=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' \
        -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' \
        "$1" | tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" {print $2}')
    [ -n "$sid" ] || { echo "$(basename "$0"): no session from $1" >&2; return 1; }
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" \
        -H 'MCP-Protocol-Version: 2025-11-25' \
        -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$1"
    echo "$sid"
}
