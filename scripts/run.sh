#!/usr/bin/env bash
# `make run`: starts the service on the embedded defaults (SQLite in ./data, in-process cache).
set -euo pipefail
bin=${1:-build/nocturna}
exec "$bin" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
