# SPDX-License-Identifier: MIT
# The two commands of the quick start: `make run` and `make test`.
# Both install what is missing (scripts/install-deps.sh), then build.

PORT ?= 8000
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
VOICEAI_DB ?= $(CURDIR)/var/voiceai.db

.PHONY: all deps build run test test-build bench fuzz format clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVOICEAI_TESTS=OFF >/dev/null
	@cmake --build build -j $(JOBS)

run: build
	@mkdir -p var
	PORT=$(PORT) VOICEAI_DB=$(VOICEAI_DB) ./build/voiceai serve

# The test build uses clang with AddressSanitizer + UndefinedBehaviorSanitizer
# and libFuzzer, so every fuzz target also runs briefly from its corpus.
test-build: deps
	@cmake -S . -B build-test -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DVOICEAI_SANITIZE=ON -DVOICEAI_FUZZ=ON >/dev/null
	@cmake --build build-test -j $(JOBS)

test: build test-build
	@cd build-test && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# Explore with every fuzz target for FUZZ_SECONDS each (new crash inputs are
# written to build-test/tests/; add them to tests/fuzz/corpus/<name>/).
FUZZ_SECONDS ?= 60
fuzz: test-build
	@cd build-test/tests && for f in fuzz_*; do \
		n=$${f#fuzz_}; mkdir -p work-$$n; \
		./$$f -max_total_time=$(FUZZ_SECONDS) -timeout=5 work-$$n ../../tests/fuzz/corpus/$$n || exit 1; \
	done

bench: build
	@sh bench/run.sh
	@./build/voiceai-bench-agent
	@./build/voiceai-bench-audio
	@sh bench/calendar.sh
	@sh bench/audio.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-test
