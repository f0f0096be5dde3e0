#!/usr/bin/env bash
# Installs every Debian package Nocturna needs to build, run and test, when missing.
# Idempotent: a machine that has everything does nothing and prints nothing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates tzdata
  libswe-dev swe-standard-data swetest
  libmicrohttpd-dev libjansson-dev libsodium-dev uuid-dev
  libsqlite3-dev libpq-dev libhiredis-dev
  postgresql redis-server
  libcmocka-dev clang clang-tidy clang-format cppcheck libclang-rt-14-dev
  python3 python3-requests python3-aiohttp python3-jwt
  wrk curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -q
  apt_updated=1
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---- npm: Swagger UI for /docs (package.json, package-lock.json, .npmrc at the repo root) ----
# Runs only when node_modules/swagger-ui-dist is missing or is not the locked version. npm comes
# from Debian when the machine has none; `npm ci` installs exactly the locked versions and runs
# no install scripts.
root="$(cd "$(dirname "$0")/.." && pwd)"
ui="$root/node_modules/swagger-ui-dist/package.json"
npm_needed=0
if [ -f "$root/package-lock.json" ]; then
  if [ ! -f "$ui" ]; then
    npm_needed=1
  elif command -v node >/dev/null 2>&1 &&
       ! (cd "$root" && node -e 'const l = require("./package-lock.json").packages;
            process.exit(l["node_modules/swagger-ui-dist"].version ===
                         require("./node_modules/swagger-ui-dist/package.json").version ? 0 : 1)'); then
    npm_needed=1
  fi
fi
if [ "$npm_needed" -eq 1 ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: installing nodejs npm"
    [ "$apt_updated" -eq 1 ] || $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends nodejs npm
  fi
  echo "install-deps: npm ci (swagger-ui-dist)"
  (cd "$root" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
