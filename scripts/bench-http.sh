#!/usr/bin/env bash
# `make bench-http`: wrk against the real server on 127.0.0.1 (keep-alive, 2 threads,
# 64 connections, 10 s) for planetary-positions (10 bodies) and natal-chart, with a valid
# bearer token and varied dates and places. Reports requests/s, p50/p99 latency, server RSS,
# server CPU-seconds per request, and that CPU divided by the in-process cost of the same
# requests (bench_http_compute: JSON in, calculation, JSON out on one thread).
#
# usage: scripts/bench-http.sh [BUILD_DIR]   (env: DURATION=10s CONNECTIONS=64 THREADS=2
#        BENCH_LOG_LEVEL=info - the request log is on, to a file, as in production)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10s}
conns=${CONNECTIONS:-64}
wrk_threads=${THREADS:-2}

command -v wrk >/dev/null || { echo "bench-http: wrk is missing (apt-get install wrk)" >&2; exit 1; }
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target nocturna bench_http_compute >/dev/null

tmp=$(mktemp -d /tmp/noc-bench-http.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Request bodies (1000 each, reproducible) and a 30-day service token, with the stdlib only.
/usr/bin/python3 - "$tmp" "$secret" <<'EOF'
import base64, hashlib, hmac, json, random, sys, time
tmp, secret = sys.argv[1], sys.argv[2]
rnd = random.Random(20240501)
planets = ["SUN", "MOON", "MERCURY", "VENUS", "MARS", "JUPITER", "SATURN", "URANUS",
           "NEPTUNE", "PLUTO"]
zones = ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
def birth():
    return {"date": f"{rnd.randint(1900, 2099)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "time": f"{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00",
            "latitude": round(rnd.uniform(-60, 60), 4), "longitude": round(rnd.uniform(-180, 180), 4),
            "timezone": rnd.choice(zones)}
with open(f"{tmp}/positions.jsonl", "w") as f:
    for _ in range(1000):
        f.write(json.dumps({**birth(), "planets": planets, "include_retrograde": True,
                            "include_speed": True}) + "\n")
with open(f"{tmp}/natal.jsonl", "w") as f:
    for _ in range(1000):
        f.write(json.dumps(birth()) + "\n")
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
p = b64(json.dumps({"sub": "bench", "type": "service", "scope": "calculations",
                    "token_id": "bench-token", "iat": now, "exp": now + 30 * 86400}).encode())
sig = b64(hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
open(f"{tmp}/token", "w").write(f"{h}.{p}.{sig}")
EOF

NOCTURNA_SECRET_KEY=$secret NOCTURNA_DATA_DIR=$tmp/data NOCTURNA_RATE_LIMIT=1000000 \
  NOCTURNA_RATE_BURST=1000000 NOCTURNA_LOG_LEVEL=${BENCH_LOG_LEVEL:-info} NOCTURNA_METRICS_PUBLIC=1 \
  "$build/nocturna" serve --host 127.0.0.1 --port 0 >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o '"msg":"server started".*"port":[0-9]*' "$tmp/server.log" 2>/dev/null |
         grep -o '"port":[0-9]*' | head -1 | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "bench-http: server did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }

tck=$(getconf CLK_TCK)
# Worker CPU seconds spent inside noc_api_run for an endpoint, from /metrics.
calc_cpu() {
  curl -s "http://127.0.0.1:$port/metrics" |
    awk -v k="nocturna_calculation_cpu_seconds_total{endpoint=\"/api/v1/$1\"}" '$1 == k {print $2}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "server: $build/nocturna serve, $(status_kb Threads) threads, idle RSS $(status_kb VmRSS) kB"
echo "wrk: -t$wrk_threads -c$conns -d$duration --latency (same cores as the server)"
printf '\n%-34s %7s %8s %8s %7s %8s %9s %6s %9s %8s %6s\n' endpoint "req/s" p50 p99 "RSS kB" \
  "cpu us/r" "calc us/r" ratio "srv calc" "http us" errors

run() {
  local endpoint=$1 bodies=$2
  local url="http://127.0.0.1:$port/api/v1/$endpoint"
  export NOC_BENCH_PATH="/api/v1/$endpoint" NOC_BENCH_BODIES=$bodies NOC_TOKEN
  # The first start's registered service token (an unregistered one is refused: docs/identity.md).
  NOC_TOKEN=$(cat "$tmp/data/service-token")
  # In-process cost first, while the server idles: measured after a load it can catch the
  # machine still settling and come out high, which would flatter the ratio.
  local calc
  calc=$("$build/bench_http_compute" "$endpoint" "$bodies" | grep -o '[0-9.]* us CPU' | cut -d' ' -f1)
  wrk -t"$wrk_threads" -c"$conns" -d2s -s "$root/bench/http_post.lua" "$url" >/dev/null  # warm-up
  local c0 c1 k0 k1 out
  c0=$(cpu_ticks)
  k0=$(calc_cpu "$endpoint")
  out=$(wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency -s "$root/bench/http_post.lua" "$url")
  c1=$(cpu_ticks)
  k1=$(calc_cpu "$endpoint")
  local rss_now
  rss_now=$(status_kb VmRSS) # resident set right at the end of the load
  echo "$out" >"$tmp/wrk-${endpoint//\//_}.txt"
  local total rps p50 p99 non2xx
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  awk -v e="$endpoint" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v rss="$rss_now" \
      -v dc=$((c1 - c0)) -v tck="$tck" -v n="$total" -v calc="$calc" -v err="${non2xx:-0}" \
      -v k0="$k0" -v k1="$k1" 'BEGIN {
        cpu = dc / tck / n * 1e6; srv = (k1 - k0) / n * 1e6;
        printf "%-34s %7.0f %8s %8s %7d %8.1f %9.1f %6.2f %9.1f %8.1f %6d\n", e, rps, p50, p99,
               rss, cpu, calc, cpu / calc, srv, cpu - srv, err }'
}

run calculations/planetary-positions "$tmp/positions.jsonl"
run stateless/natal-chart "$tmp/natal.jsonl"
echo
echo "server peak RSS (VmHWM) over the whole run: $(status_kb VmHWM) kB"
cat <<'EOT'
RSS: the server's resident set at the end of the load (VmRSS). The peak (VmHWM, above) also
holds the first start's one argon2id password hash of the administrator (64 MiB, freed at once).
cpu us/r: server CPU (user+system, all threads) per request.
calc us/r: the same requests through noc_api_run in-process, alone on one thread.
ratio = cpu / calc (target <= 1.3). srv calc: CPU the workers spent inside noc_api_run during
the run (the same work, slowed by sharing the cores with wrk); http us = cpu - srv calc: what
HTTP, auth, rate limiting, logging and metrics cost per request.
EOT
