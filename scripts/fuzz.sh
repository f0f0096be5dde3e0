#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/
# and runs them: fuzz/fuzz_request.c over the endpoint table for SECONDS (default 60) from the
# seeds in fuzz/corpus, then fuzz/fuzz_jwt.c over the token verifier for NOC_FUZZ_JWT_SECONDS
# (default 20) from fuzz/corpus-jwt. Exits non-zero when a crash, leak, timeout or broken property
# is found; the reproducer is left in build-fuzz/ (crash-*, leak-*, timeout-*).
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
mkdir -p "$out"
version=$(sed -n 's/^project(nocturna VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# build NAME LIBS SOURCES...: one compile of the target with its sources into $out/NAME, only
# when a source or header is newer than the binary.
build() {
  local name=$1 libs=$2
  shift 2
  local bin=$out/$name rebuild=0
  if [ ! -x "$bin" ]; then
    rebuild=1
  else
    for f in "$@" include/nocturna/*.h src/*/*.h; do
      if [ "$f" -nt "$bin" ]; then rebuild=1; break; fi
    done
  fi
  [ "$rebuild" -eq 1 ] || return 0
  echo "fuzz.sh: building $bin with $cc"
  # shellcheck disable=SC2086 # $libs is a list of -l flags
  "$cc" -std=c11 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes \
    -Wno-format-truncation -Wno-unknown-warning-option \
    -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DNOC_VERSION="\"${version:-0}\"" \
    -Iinclude -Isrc "$@" -o "$bin" $libs
}

# run NAME SECONDS SEEDS [libFuzzer flags...]: the run corpus grows in $out/corpus-NAME; the seeds
# stay as they are. Non-zero when a crash, leak, timeout or broken property is found; the
# reproducer is left in $out/ (crash-*, leak-*, timeout-*).
run() {
  local name=$1 secs=$2 seeds=$3
  shift 3
  local status=0
  mkdir -p "$out/corpus-$name"
  echo "fuzz.sh: $name for $secs s"
  "$out/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 "$@" \
    "$out/corpus-$name" "$seeds" 2>"$out/$name.log" || status=$?
  grep -E '^(stat::|#[0-9]+ *DONE)|ERROR|SUMMARY|Test unit written' "$out/$name.log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: $name found a problem (exit $status); see $out/$name.log" >&2
    tail -n 60 "$out/$name.log" >&2
  fi
  return "$status"
}

# The endpoint table: every request body the API and the CLI accept.
# Swiss Ephemeris statically, its fopen redirected: the same file reads as the service's.
build fuzz_request "-l:libswe.a -Wl,--wrap=fopen,--wrap=fopen64 -ljansson -lsodium -luuid -lm -ldl -lpthread" \
  src/core/*.c src/util/*.c src/api/*.c fuzz/fuzz_request.c
# The token verifier: what every request's Authorization header reaches first.
build fuzz_jwt "-ljansson -lsodium -lpthread" src/http/jwt.c fuzz/fuzz_jwt.c

status=0
run fuzz_request "$seconds" fuzz/corpus -max_len=65536 -dict=fuzz/request.dict || status=$?
run fuzz_jwt "${NOC_FUZZ_JWT_SECONDS:-20}" fuzz/corpus-jwt -max_len=8192 || status=$?
exit "$status"
