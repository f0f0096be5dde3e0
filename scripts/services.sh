#!/usr/bin/env bash
# Throw-away PostgreSQL and Redis for tests, on 127.0.0.1 only, under one scratch directory.
#
#   scripts/services.sh start  [--dir D] [--only postgres|redis]   start (idempotent), print env
#   scripts/services.sh env    [--dir D]                           print env of what runs
#   scripts/services.sh stop   [--dir D]                           stop both, delete D
#   scripts/services.sh pause-postgres  [--dir D]                  stop PostgreSQL, keep its data
#   scripts/services.sh resume-postgres [--dir D]                  start it again, same port
#
# start and env print lines to eval:
#   export NOCTURNA_TEST_DATABASE_URL='postgresql://nocturna@127.0.0.1:PORT/nocturna'
#   export NOCTURNA_TEST_REDIS_URL='redis://127.0.0.1:PORT/0'
# Progress goes to stderr. D defaults to $NOC_SERVICES_DIR or /tmp/nocturna-services.
#
# PostgreSQL refuses to run as root (initdb says so), so as root the cluster belongs to the
# `postgres` account of the Debian package (created if missing); otherwise to the caller.
# Authentication is `trust` on 127.0.0.1 and the socket directory: fine for a scratch cluster
# that lives for one test run, never for anything else. fsync is off for speed; a clean stop
# (pg_ctl -m fast, as pause-postgres and stop do) still writes everything.
set -euo pipefail

cmd=${1:-}
[ $# -gt 0 ] && shift
dir=${NOC_SERVICES_DIR:-/tmp/nocturna-services}
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --dir=*) dir=${1#--dir=}; shift ;;
    --only) only=$2; shift 2 ;;
    --only=*) only=${1#--only=}; shift ;;
    *) echo "services.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

log() { echo "services.sh: $*" >&2; }
die() { log "$*"; exit 1; }

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL is not installed (run scripts/install-deps.sh)"
  echo "$d"
}

pg_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
    return
  fi
  if ! getent passwd postgres >/dev/null; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres >&2
  fi
  echo postgres
}

# Runs a command as the cluster's owner.
as_pg() {
  local user=$1
  shift
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pg_env() {
  local port
  port=$(cat "$dir/pg/port" 2>/dev/null || true)
  [ -n "$port" ] && echo "export NOCTURNA_TEST_DATABASE_URL='postgresql://nocturna@127.0.0.1:$port/nocturna'"
  return 0
}

redis_env() {
  local port
  port=$(cat "$dir/redis/port" 2>/dev/null || true)
  [ -n "$port" ] && echo "export NOCTURNA_TEST_REDIS_URL='redis://127.0.0.1:$port/0'"
  return 0
}

pg_running() {
  local bin user
  bin=$(pg_bindir)
  user=$(pg_user)
  [ -d "$dir/pg/data" ] && as_pg "$user" "$bin/pg_ctl" -D "$dir/pg/data" status >/dev/null 2>&1
}

pg_start_server() {
  local bin=$1 user=$2 port
  port=$(cat "$dir/pg/port")
  as_pg "$user" "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 30 \
    -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null ||
    die "PostgreSQL did not start; see $dir/pg/server.log"
}

pg_start() {
  local bin user port
  bin=$(pg_bindir)
  user=$(pg_user)
  if pg_running; then
    log "PostgreSQL already running"
    return
  fi
  mkdir -p "$dir"
  chmod 755 "$dir"
  if [ ! -d "$dir/pg/data" ]; then
    mkdir -p "$dir/pg"
    chown "$user" "$dir/pg"
    chmod 700 "$dir/pg"
    free_port >"$dir/pg/port"
    as_pg "$user" "$bin/initdb" -D "$dir/pg/data" -U nocturna --auth=trust -E UTF8 \
      --no-sync >"$dir/pg/initdb.log" 2>&1 || die "initdb failed; see $dir/pg/initdb.log"
    cat >>"$dir/pg/data/postgresql.conf" <<EOF
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
    pg_start_server "$bin" "$user"
    port=$(cat "$dir/pg/port")
    as_pg "$user" "$bin/createdb" -h 127.0.0.1 -p "$port" -U nocturna nocturna ||
      die "createdb failed"
  else
    pg_start_server "$bin" "$user"
  fi
  log "PostgreSQL on 127.0.0.1:$(cat "$dir/pg/port") (data $dir/pg/data, owner $user)"
}

pg_stop() {
  local bin user
  [ -d "$dir/pg/data" ] || return 0
  bin=$(pg_bindir)
  user=$(pg_user)
  if pg_running; then
    as_pg "$user" "$bin/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null ||
      die "PostgreSQL did not stop"
    log "PostgreSQL stopped"
  fi
}

redis_running() {
  local pid
  pid=$(cat "$dir/redis/redis.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

redis_start() {
  command -v redis-server >/dev/null || die "redis-server is not installed (run scripts/install-deps.sh)"
  if redis_running; then
    log "Redis already running"
    return
  fi
  mkdir -p "$dir/redis"
  [ -s "$dir/redis/port" ] || free_port >"$dir/redis/port"
  local port
  port=$(cat "$dir/redis/port")
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/server.log" \
    >/dev/null || die "redis-server failed; see $dir/redis/server.log"
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      log "Redis on 127.0.0.1:$port"
      return
    fi
    sleep 0.05
  done
  die "Redis did not answer PING; see $dir/redis/server.log"
}

redis_stop() {
  local pid
  pid=$(cat "$dir/redis/redis.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    log "Redis stopped"
  fi
}

case "$cmd" in
  start)
    [ "$only" = "" ] || [ "$only" = postgres ] || [ "$only" = redis ] || die "--only postgres|redis"
    [ "$only" = redis ] || pg_start
    [ "$only" = postgres ] || redis_start
    [ "$only" = redis ] || pg_env
    [ "$only" = postgres ] || redis_env
    ;;
  env)
    pg_running 2>/dev/null && pg_env
    redis_running && redis_env
    ;;
  stop)
    pg_stop
    redis_stop
    case "$dir" in
      /tmp/*|/var/tmp/*) rm -rf "$dir" ;;
      *) log "left $dir in place (not under /tmp)" ;;
    esac
    ;;
  pause-postgres) pg_stop ;;
  resume-postgres) pg_start ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
