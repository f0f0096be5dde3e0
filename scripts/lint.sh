#!/usr/bin/env bash
# `make lint`: clang-format (check only), clang-tidy (.clang-tidy) and cppcheck over the project's
# own C files: src, include, tests, bench and fuzz, tracked or new (not ignored). Exits non-zero
# when any of the three reports anything.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tracked and new files alike, so that a file not yet added is linted too; deleted ones are skipped.
list() {
  git ls-files --cached --others --exclude-standard -- "$@" | sort -u |
    while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done
}
mapfile -t all < <(list 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'tests/*.h' \
  'bench/*.c' 'bench/*.h' 'fuzz/*.c' 'fuzz/*.h')
mapfile -t sources < <(printf '%s\n' "${all[@]}" | grep '\.c$')
if [ "${#sources[@]}" -eq 0 ]; then
  echo "lint.sh: no C files found" >&2
  exit 2
fi
jobs=$(nproc)
status=0

echo "== clang-format (${#all[@]} files)"
clang-format --dry-run --Werror "${all[@]}" || status=1

echo "== clang-tidy (${#sources[@]} files)"
# Configuring is enough: clang-tidy needs compile_commands.json, not the objects. fuzz/ is not a
# CMake target; clang-tidy borrows the flags of the nearest entry for it.
cmake -S . -B build-lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# Its per-file "N warnings generated." counts the suppressed ones in system headers: dropped.
printf '%s\n' "${sources[@]}" |
  xargs -P "$jobs" -n 4 clang-tidy -p build-lint --quiet \
    --extra-arg=-Wno-unknown-warning-option 2> >(grep -v ' warnings\? generated\.$' >&2) ||
  status=1

echo "== cppcheck (${#sources[@]} files)"
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
  --std=c11 --inline-suppr -Iinclude -Isrc --suppress=missingIncludeSystem \
  -j "$jobs" "${sources[@]}" || status=1

if [ "$status" -eq 0 ]; then echo "lint: clean"; else echo "lint: findings above" >&2; fi
exit "$status"
