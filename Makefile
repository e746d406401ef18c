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

test: test-unit test-asan test-spec

test-unit: build examples
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan examples
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test-spec: build
	sh tests/run-spectest.sh $(BUILD) $(SPECTESTS)

bench: build examples
	sh bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
	$(MAKE) -C examples clean
