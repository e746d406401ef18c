# wasmcap -- the two commands of the quick start are `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
SPECTESTS  ?= ../shared/wasm-testsuite
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan examples run run-http test test-unit test-asan test-spec test-fuzz test-e2e test-conformance bench bench-stdio bench-http fuzz clean

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

# The spec suite runs first in the normal build: it fills the optimized-tier
# cache that the sanitizer run then reuses.
test: test-unit test-spec test-asan test-fuzz test-e2e test-conformance

test-unit: build examples
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-asan: build-asan examples
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
	  node --test --test-concurrency=1 sdk.test.mjs raw.test.mjs http.test.mjs revision-2025-03-26.test.mjs

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

# MCP over Streamable HTTP: wrk drives tools/call of calculate on one session,
# wasmcap against the anchor's server_http.mjs, side by side.
bench-http: build
	$(MAKE) -C plugins
	sh bench/http.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
	$(MAKE) -C examples clean

# Coverage-guided fuzzing of the decoder and the instrumentation (clang's
# libFuzzer, with ASan and UBSan), seeded with the spec suite's modules,
# and of the JSON Schema compiler and validator.
# FUZZ_SECONDS bounds the run.
FUZZ_SECONDS ?= 60
FUZZ_DIR     ?= $(BUILD)/fuzz
test-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=30

fuzz: deps
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/wast
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
	  -o $(FUZZ_DIR)/fuzz_decode tests/fuzz/fuzz_decode.c \
	  src/engine/decode.c src/engine/validate.c src/engine/error.c \
	  src/engine/instrument.c src/util/buf.c
	for f in $(SPECTESTS)/*.wast; do \
	  wast2json --enable-all "$$f" -o $(FUZZ_DIR)/wast/$$(basename "$$f" .wast).json >/dev/null 2>&1 || true; \
	done
	cp $(FUZZ_DIR)/wast/*.wasm $(FUZZ_DIR)/corpus/ 2>/dev/null || true
	$(FUZZ_DIR)/fuzz_decode -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(FUZZ_DIR)/corpus
	# the JSON Schema compiler and validator; -timeout: a slow input fails the run
	mkdir -p $(FUZZ_DIR)/schema_corpus
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
	  -o $(FUZZ_DIR)/fuzz_schema tests/fuzz/fuzz_schema.c src/json/schema.c src/json/parse.c \
	  src/json/scan.c src/util/clock.c $$(pkg-config --cflags --libs jansson libpcre2-8)
	$(FUZZ_DIR)/fuzz_schema -max_total_time=$(FUZZ_SECONDS) -timeout=5 -max_len=4096 \
	  $(FUZZ_DIR)/schema_corpus tests/fuzz/schema_seeds
