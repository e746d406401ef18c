# wasmcap -- the two commands of the quick start are `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
SPECTESTS  ?= ../shared/wasm-testsuite
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan examples run test test-unit test-asan test-spec bench clean

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

examples: deps
	$(MAKE) -C examples

# Builds the example WASI program and runs it through the engine.
run: build examples
	$(BUILD)/wasmcap exec examples/hello/hello.wasm -- world

# The spec suite runs first in the normal build: it fills the optimized-tier
# cache that the sanitizer run then reuses.
test: test-unit test-spec test-asan

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

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
	$(MAKE) -C examples clean
