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
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
