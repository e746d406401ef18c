# wasmcap -- the two commands of the quick start are `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
SPECTESTS  ?= ../shared/wasm-testsuite
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan examples extism-js run run-http run-cluster test test-unit test-asan test-spec test-fuzz test-e2e test-conformance bench bench-stdio bench-http bench-nn fuzz soak clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

$(ASAN_BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWASMCAP_SANITIZE=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The engine's example programs and the example plugins (plugins/).
examples: deps
	$(MAKE) -C examples
	$(MAKE) -C plugins

# Serves the example plugins of wasmcap.json over stdio (an MCP client
# starts this; see README.md, "Use it from an MCP client").
run: build examples
	$(BUILD)/wasmcap serve --config wasmcap.json

# The same over HTTP: Streamable HTTP on http://127.0.0.1:8080/mcp, legacy
# SSE on /sse, and /healthz, /readyz, /metrics.
run-http: build examples
	$(BUILD)/wasmcap serve --config wasmcap.json --http 127.0.0.1:8080

# Three nodes behind haproxy on http://127.0.0.1:8080/mcp, sharing sessions
# through a local nats-server (docs/CONFIG.md, "cluster"); Ctrl-C stops all.
run-cluster: build examples
	sh scripts/run-cluster.sh $(BUILD)

# The spec suite runs first in the normal build: it fills the optimized-tier
# cache that the sanitizer run then reuses.
test: test-unit test-spec test-asan test-fuzz test-e2e test-conformance

# extism-js: Extism's JavaScript host (npm, pinned by tests/extism/package-lock.json)
# for the differential test of the Extism ABI, installed into the build folder.
extism-js: $(BUILD)/Makefile
	sh tests/extism/install.sh $(BUILD)

test-unit: build examples extism-js
	$(BUILD)/wasmcap check --config wasmcap.json
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-asan: build-asan examples
	sh tests/extism/install.sh $(ASAN_BUILD)
	cd $(ASAN_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS)
	$(SANITIZER_ENV) SPECTEST_CACHE=$(CURDIR)/$(BUILD)/spectest-cache \
	  sh tests/run-spectest.sh $(ASAN_BUILD) $(SPECTESTS)

test-spec: build
	SPECTEST_CACHE=$(CURDIR)/$(BUILD)/spectest-cache sh tests/run-spectest.sh $(BUILD) $(SPECTESTS)

bench: build examples
	sh bench/run.sh $(BUILD)

# End to end: the official MCP TypeScript SDK client (npm, pinned by
# tests/e2e/package-lock.json) drives $(BUILD)/wasmcap serve over stdio with
# the example plugins and the test-only faults plugin.  The optimized tier
# of every plugin is compiled into a cache first, so the many short-lived
# servers of the tests start on it instead of each running gcc.
E2E_DIR = tests/e2e
test-e2e: build
	@test -d $(E2E_DIR)/node_modules/sdk-1-11 || (cd $(E2E_DIR) && npm ci --no-audit --no-fund)
	$(MAKE) -C plugins
	$(MAKE) -C $(E2E_DIR)/plugins/faults
	$(BUILD)/wasmcap compile --cache-dir $(BUILD)/e2e-cache plugins/*/*.wasm $(E2E_DIR)/plugins/faults/faults.wasm
	cd $(E2E_DIR) && WASMCAP_BIN=$(CURDIR)/$(BUILD)/wasmcap WASMCAP_E2E_CACHE=$(CURDIR)/$(BUILD)/e2e-cache \
	  node --test --test-concurrency=1 sdk.test.mjs raw.test.mjs http.test.mjs revision-2025-03-26.test.mjs hyper.test.mjs

# The official MCP conformance suite (npm, pinned by
# tests/conformance/package-lock.json) against wasmcap serve --http with the
# conformance fixtures plugin; docs/CONFORMANCE.md.
test-conformance: build
	$(MAKE) -C plugins
	sh tests/conformance/run.sh $(BUILD)

# MCP over stdio: 100,000 pipelined tools/call of calculate, wasmcap against
# the anchor (the official TypeScript SDK server), side by side.
bench-stdio: build
	$(MAKE) -C plugins
	sh bench/stdio.sh $(BUILD)

# Inference (issue 13), side by side in one run: each model on XNNPACK, the
# overhead of WASI-NN against native inference, 1,000 instances sharing one
# model, and the model-backed supply-risk tool over stdio.
bench-nn: build
	$(MAKE) -C plugins
	sh bench/nn.sh $(BUILD)

# MCP over Streamable HTTP: wrk drives tools/call of calculate on one session,
# wasmcap against the anchor's server_http.mjs, side by side.
bench-http: build
	$(MAKE) -C plugins
	sh bench/http.sh $(BUILD)

# Not in `make test`: mixed ordinary and abusive stdio and HTTP clients for
# SOAK_SECONDS (default 600), the servers' memory and descriptors sampled
# every second (tests/soak/soak.mjs states the bounds; SOAK_CASES picks cases).
soak: build
	sh tests/soak/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
	$(MAKE) -C examples clean

# Coverage-guided fuzzing (clang's libFuzzer, with ASan and UBSan) of every
# parser a client or plugin reaches: one tests/fuzz/fuzz_NAME.c each, built
# in $(FUZZ_BUILD) by CMake (-DWASMCAP_FUZZ=ON) against the instrumented
# core.  A fuzzer starts from its committed seeds, tests/fuzz/corpus/NAME,
# and keeps what it finds in $(FUZZ_BUILD)/corpus/NAME.  Adding one is one
# line: its name in FUZZERS (and FUZZ_MAX_LEN_NAME when 4 KiB is not its
# size).  `make fuzz` runs each for FUZZ_SECONDS; `make test` runs
# test-fuzz, about 3 minutes in all.  A crash, leak, hang (FUZZ_TIMEOUT
# seconds for one input) or RSS over FUZZ_RSS_MB fails the run and leaves
# the input in $(FUZZ_BUILD)/artifacts/NAME/.
FUZZERS      = decode json jsonrpc http_parse config manifest jwt schema tflite ontology
FUZZ_MAX_LEN_decode = 65536
FUZZ_MAX_LEN_manifest = 16384
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB  ?= 2048
FUZZ_BUILD   ?= build-fuzz
# (fuzz-run-NAME is not .PHONY: make finds no pattern rule for a phony target)
.PHONY: fuzz-build fuzz-seed-decode

# 150 s of fuzzing in all, shared by the fuzzers (about 3 minutes with the
# seeding), however many there are.
test-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=$$((150 / $(words $(FUZZERS))))

fuzz: $(addprefix fuzz-run-,$(FUZZERS))

$(FUZZ_BUILD)/Makefile: CMakeLists.txt | deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWASMCAP_FUZZ=ON \
	  -DWASMCAP_MIMALLOC=OFF $(CMAKE_FLAGS)

fuzz-build: deps $(FUZZ_BUILD)/Makefile
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

fuzz-run-%: fuzz-build
	mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/artifacts/$*
	$(SANITIZER_ENV) $(FUZZ_BUILD)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
	  -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) -max_len=$(or $(FUZZ_MAX_LEN_$*),4096) \
	  -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$*/ \
	  $(FUZZ_BUILD)/corpus/$* $(wildcard tests/fuzz/corpus/$*)

# The decoder's seeds: the spec suite's modules.
fuzz-run-decode: fuzz-seed-decode
fuzz-seed-decode: deps
	mkdir -p $(FUZZ_BUILD)/wast $(FUZZ_BUILD)/corpus/decode
	for f in $(SPECTESTS)/*.wast; do \
	  wast2json --enable-all "$$f" -o $(FUZZ_BUILD)/wast/$$(basename "$$f" .wast).json >/dev/null 2>&1 || true; \
	done
	cp $(FUZZ_BUILD)/wast/*.wasm $(FUZZ_BUILD)/corpus/decode/ 2>/dev/null || true
