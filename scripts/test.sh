#!/usr/bin/env bash
# `make test`: builds with ASan+UBSan and -Werror, runs every test through ctest, then a bounded
# fuzz run and the server tests under TSan. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNOC_SANITIZE=address >/dev/null
cmake --build build-asan -j "$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== PostgreSQL and Redis (throw-away, loopback)"
services_dir=/tmp/nocturna-test-services-$$
eval "$(scripts/services.sh start --dir "$services_dir")"
trap 'scripts/services.sh stop --dir "$services_dir" >/dev/null 2>&1 || true' EXIT

echo "== tests (ctest)"
status=0
(cd build-asan && ctest --output-on-failure -j "$jobs" --timeout 900) || status=$?

if [ -x scripts/fuzz.sh ] && [ "$status" -eq 0 ]; then
  echo "== fuzz (bounded)"
  scripts/fuzz.sh "${NOC_FUZZ_SECONDS:-60}" || status=$?
fi

if [ -x scripts/test-tsan.sh ] && [ "$status" -eq 0 ]; then
  echo "== server tests under TSan"
  scripts/test-tsan.sh || status=$?
fi

exit "$status"
