#!/bin/sh
# Installs the Debian 12 packages wasmcap needs to build, test and run its
# examples, only when some are missing.  Runs as root or through sudo.
# wabt is for the tests alone (wast2json converts the spec scripts): the
# engine emits its C itself; jq reads plugin answers in tests/cxx/run.sh.
set -eu

PACKAGES="build-essential cmake pkg-config git
  wabt tcc libtcc-dev libjansson-dev libpcre2-dev libssl-dev
  liblmdb-dev libcurl4-openssl-dev libmimalloc-dev libevent-dev libjwt-dev wrk curl
  clang lld wasi-libc libclang-rt-14-dev-wasm32 libxnnpack-dev libpthreadpool-dev
  libnats-dev nats-server haproxy zlib1g-dev docker-registry apache2-utils libyaml-dev
  libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22 jq"

missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done
[ -z "$missing" ] && exit 0

echo "installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
