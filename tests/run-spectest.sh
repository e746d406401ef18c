#!/bin/sh
# run-spectest.sh BUILD_DIR SPECTEST_DIR -- the spec test suite in both tiers.
#
# Runs every .wast in SPECTEST_DIR with the fast tier (libtcc), then with the
# optimized tier (gcc -O2), whose compiled modules are cached under
# BUILD_DIR/spectest-cache so that re-runs skip the compiler.  Both runs must
# pass.  Extra arguments for wasmcap-spectest can be given in SPECTEST_ARGS
# (e.g. SPECTEST_ARGS="--jobs 4"); SPECTEST_CACHE overrides the cache directory.
#
# The core suite runs with every post-2.0 proposal off (some relax what the
# core tests assert); then each folder of SPECTEST_DIR/proposals named in
# PROPOSALS below runs with its own proposal on.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SPECTEST_DIR" >&2
    exit 2
fi
build_dir=$1
spectest_dir=$2
program=$build_dir/wasmcap-spectest

if [ ! -x "$program" ]; then
    echo "$0: $program not found: build the project first" >&2
    exit 2
fi
if [ ! -d "$spectest_dir" ]; then
    echo "$0: $spectest_dir is not a directory" >&2
    exit 2
fi

# The proposals the engine implements, one per line, by their folder names.
PROPOSALS="
tail-call
extended-const
relaxed-simd
multi-memory
memory64
threads
exception-handling
"

status=0
summaries=

# run_tier TIER ARGS...: runs one tier and remembers its last three lines
# (time, skipped, passed/failed) for the summary at the end.
run_tier() {
    label=$1
    tier=${label%% *}
    shift
    echo "== spec tests, $label tier =="
    log=$(mktemp "${TMPDIR:-/tmp}/run-spectest.XXXXXX") || exit 2
    # Live output through tee; POSIX sh has no pipefail, so the program's
    # exit status travels in a file.
    # shellcheck disable=SC2086 # SPECTEST_ARGS is split on purpose
    { "$program" --tier "$tier" ${SPECTEST_ARGS:-} "$@" 2>&1
      echo $? >"$log.rc"; } | tee "$log"
    rc=$(cat "$log.rc" 2>/dev/null || echo 2)
    summaries="$summaries
$label tier: $(grep -v '^FAIL' "$log" | tail -n 3 | tr '\n' '|' | sed 's/|$//; s/|/ | /g')"
    rm -f "$log" "$log.rc"
    if [ "$rc" -ne 0 ]; then
        echo "== $label tier FAILED (exit status $rc) =="
        status=1
    fi
}

cache_dir=${SPECTEST_CACHE:-$build_dir/spectest-cache}
run_tier fast --features none "$spectest_dir"
run_tier optimized --cache-dir "$cache_dir" --features none "$spectest_dir"
for proposal in $PROPOSALS; do
    run_tier "fast ($proposal)" --features "$proposal" "$spectest_dir/proposals/$proposal"
    run_tier "optimized ($proposal)" --cache-dir "$cache_dir" --features "$proposal" \
        "$spectest_dir/proposals/$proposal"
done

echo "== summary =="
echo "$summaries" | sed '/^$/d'
if [ "$status" -ne 0 ]; then
    echo "spec tests FAILED"
else
    echo "spec tests passed"
fi
exit "$status"
