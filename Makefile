# The two commands of the README: `make run` and `make test`. Everything else is a convenience.
# CMake does the building; this file installs what is missing and drives the build directories.
JOBS        ?= $(shell nproc)
BUILD       ?= build
ASAN_BUILD  ?= build-asan
TSAN_BUILD  ?= build-tsan
HOST        ?= 127.0.0.1
PORT        ?= 8000

.PHONY: all deps run test test-fast bench bench-http lint format fuzz clean

all: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DNOC_BUILD_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/install-deps.sh

include docs/identity-make-targets.mk

run: all
	scripts/run.sh $(BUILD)/nocturna

test: deps
	scripts/test.sh

bench: all
	scripts/bench.sh $(BUILD)

bench-http: all
	scripts/bench-http.sh $(BUILD)

lint: deps
	scripts/lint.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

fuzz: deps
	scripts/fuzz.sh 60

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz
