#!/usr/bin/env bash
# `make lint`: clang-format (check only), clang-tidy and cppcheck over the project's C files.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'bench/*.c' 'fuzz/*.c')
status=0

echo "== clang-format"
clang-format --dry-run --Werror $files || status=1

echo "== clang-tidy"
cmake -S . -B build-lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build build-lint -j "$(nproc)" >/dev/null
src=$(git ls-files 'src/*.c')
clang-tidy -p build-lint --quiet --extra-arg=-Wno-unknown-warning-option $src 2>/dev/null || status=1

echo "== cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
  --std=c11 --inline-suppr -Iinclude -Isrc --suppress=missingIncludeSystem \
  src || status=1

exit "$status"
