#!/bin/sh
# run-cluster.sh [BUILD] -- `make run-cluster`: a cluster on loopback.
# nats-server (JetStream) on 127.0.0.1:4222, three `wasmcap serve --http`
# nodes on 8081-8083 serving the example plugins with cluster.enabled, and
# haproxy on http://127.0.0.1:8080/mcp in front of them, round robin (any
# node serves any session: docs/CONFIG.md, "cluster").  Everything logs
# under BUILD/cluster-demo; Ctrl-C stops all of it.
# Ports: NATS_PORT, PORT (haproxy) and NODE_PORTS ("8081 8082 8083").
set -eu
case "${1:-}" in
-h | --help)
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
esac
BUILD=${1:-build}
ROOT=$(pwd)
NATS_PORT=${NATS_PORT:-4222}
PORT=${PORT:-8080}
NODE_PORTS=${NODE_PORTS:-"8081 8082 8083"}
DIR=$BUILD/cluster-demo
rm -rf "$DIR"
mkdir -p "$DIR"

# the example config, its paths made absolute, on the NATS bus as a cluster
sed -e "s|\"path\": \"|\"path\": \"$ROOT/|" \
    -e "s|\"ontology\": \"ontology\"|\"ontology\": \"$ROOT/ontology\"|" \
    -e "1a\\  \"bus\": {\"url\": \"nats://127.0.0.1:$NATS_PORT\"},\n  \"cluster\": {\"enabled\": true}," \
    wasmcap.json > "$DIR/wasmcap.json"

{
  printf 'global\n  maxconn 1000\n'
  printf 'defaults\n  mode http\n  timeout connect 1s\n  timeout client 1h\n'
  printf '  timeout server 1h\n  timeout tunnel 1h\n  retries 3\n  option redispatch 1\n'
  printf 'frontend mcp\n  bind 127.0.0.1:%s\n  default_backend nodes\n' "$PORT"
  printf 'backend nodes\n  balance roundrobin\n  option httpchk GET /healthz\n'
  printf '  default-server inter 200ms fall 1 rise 1\n'
  printf '  http-response set-header X-Wasmcap-Node %%[srv_name]\n'
  for p in $NODE_PORTS; do printf '  server node%s 127.0.0.1:%s check\n' "$p" "$p"; done
} > "$DIR/haproxy.cfg"

pids=""
stop() {
  trap - INT TERM EXIT
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill $pids 2>/dev/null
  wait 2>/dev/null
  echo "cluster stopped"
}
trap stop INT TERM EXIT

nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$DIR/nats" > "$DIR/nats.log" 2>&1 &
pids="$pids $!"
for p in $NODE_PORTS; do
  "$BUILD/wasmcap" serve --config "$DIR/wasmcap.json" --http "127.0.0.1:$p" \
    > "$DIR/node-$p.log" 2>&1 &
  pids="$pids $!"
done
haproxy -db -f "$DIR/haproxy.cfg" > "$DIR/haproxy.log" 2>&1 &
pids="$pids $!"
echo "cluster: http://127.0.0.1:$PORT/mcp (haproxy) -> nodes on $NODE_PORTS, NATS on $NATS_PORT"
echo "logs in $DIR; Ctrl-C stops everything"
wait
