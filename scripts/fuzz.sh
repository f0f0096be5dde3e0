#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: builds the libFuzzer target fuzz/fuzz_request.c with clang
# (ASan + UBSan) in build-fuzz/ and fuzzes the endpoint table for SECONDS (default 60), starting
# from the seeds in fuzz/corpus. Exits non-zero when a crash, leak, timeout or bad answer is found;
# the reproducer is left in build-fuzz/ (crash-*, leak-*, timeout-*).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

cc=${CLANG:-}
if [ -z "$cc" ]; then
  for c in clang-14 clang; do
    if command -v "$c" >/dev/null; then cc=$c; break; fi
  done
fi
if [ -z "$cc" ]; then
  echo "fuzz.sh: clang is not installed" >&2
  exit 2
fi

out=build-fuzz
mkdir -p "$out/corpus-run"
version=$(sed -n 's/^project(nocturna VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

# One compile of the library sources and the target; only rebuilt when a source is newer.
bin=$out/fuzz_request
sources=(src/core/*.c src/util/*.c src/api/*.c fuzz/fuzz_request.c)
rebuild=0
if [ ! -x "$bin" ]; then
  rebuild=1
else
  for f in "${sources[@]}" include/nocturna/*.h src/*/*.h; do
    if [ "$f" -nt "$bin" ]; then rebuild=1; break; fi
  done
fi
if [ "$rebuild" -eq 1 ]; then
  echo "fuzz.sh: building $bin with $cc"
  "$cc" -std=c11 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes \
    -Wno-format-truncation -Wno-unknown-warning-option \
    -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DNOC_VERSION="\"${version:-0}\"" \
    -Iinclude -Isrc "${sources[@]}" -o "$bin" \
    -lswe -ljansson -lsodium -luuid -lm -ldl -lpthread
fi

# The run corpus grows in build-fuzz/; the seeds in fuzz/corpus stay as they are.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -dict=fuzz/request.dict -artifact_prefix="$out/" -print_final_stats=1 \
  "$out/corpus-run" fuzz/corpus 2>"$out/fuzz.log" || status=$?
grep -E '^(stat::|#[0-9]+ *DONE)|ERROR|SUMMARY|Test unit written|fuzz_request:' "$out/fuzz.log" || true
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: the fuzzer found a problem (exit $status); see $out/fuzz.log" >&2
  tail -n 60 "$out/fuzz.log" >&2
fi
exit "$status"
