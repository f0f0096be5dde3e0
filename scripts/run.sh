#!/usr/bin/env bash
# `make run`: starts the service on the embedded defaults (or, before the server existed,
# printed a sample chart).
set -euo pipefail
bin=${1:-build/nocturna}
if "$bin" serve --help >/dev/null 2>&1; then
  exec "$bin" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
fi
now_date=$(date -u +%Y-%m-%d)
now_time=$(date -u +%H:%M:%S)
printf '{"date":"%s","time":"%s","timezone":"UTC","latitude":51.4779,"longitude":-0.0015}' \
  "$now_date" "$now_time" | "$bin" calc stateless/natal-chart -
