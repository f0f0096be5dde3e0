#!/usr/bin/env bash
# The server's integration tests against a ThreadSanitizer build: the harness fails a test when the
# server log holds a sanitizer report or the server exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DNOC_SANITIZE=thread >/dev/null
cmake --build build-tsan -j "$(nproc)" --target nocturna
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
passed=0 failed=0
for t in tests/integration/test_http_*.py tests/integration/test_identity_concurrency.py; do
  if NOCTURNA_BIN="$PWD/build-tsan/nocturna" NOC_SOURCE_DIR="$PWD" /usr/bin/python3 "$t"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "TSan: $t failed"
  fi
done
echo "tsan: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
