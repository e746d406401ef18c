#!/bin/sh
# run.sh BUILD_DIR -- the JS services test (ctest services_js): installs the
# pinned npm packages (package-lock.json) into BUILD_DIR/services-js once,
# then runs services.test.mjs against BUILD_DIR/wasmcap.
set -eu
for tool in node npm nats-server; do
  command -v "$tool" >/dev/null || { echo "services_js needs $tool (node >= 18 with npm; nats-server: scripts/install-deps.sh)" >&2; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
work="$build/services-js"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here/services.test.mjs" "$work/"
if ! cmp -s "$here/package-lock.json" "$work/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund >/dev/null)
  cp "$here/package-lock.json" "$work/node_modules/.installed-lock"
fi
cd "$work"
WASMCAP_BIN="$build/wasmcap" exec node --test --test-concurrency=1 services.test.mjs
