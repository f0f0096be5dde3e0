#!/usr/bin/env bash
# `make bench`: calculation benchmarks on the release build (CPU time per item, 7 runs,
# min/median/max). The HTTP benchmark is `make bench-http`.
set -euo pipefail
build=${1:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DNOC_BUILD_TESTS=OFF >/dev/null
benches=$(cd bench && ls bench_*.c | sed 's/\.c$//' | grep -v '^bench_http_compute$')
for b in $benches; do
  cmake --build "$build" -j "$(nproc)" --target "$b" >/dev/null
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
status=0
for b in $benches; do
  echo "== $b"
  "$build/$b" || status=$?
done
exit "$status"
