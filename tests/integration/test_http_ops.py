"""Operations: /, /api, /health (public, token-aware), /ready, /metrics (admin scope or public,
Prometheus text that parses), JSON request logs, start-up line with redacted secrets,
--check-config, the generated key file, start-up failures, graceful shutdown on SIGTERM."""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import time

import requests

from http_harness import (BIN, GUIDE_BIRTH, Checks, Server, arm_timeout, eventually,
                          raw_request, sign_token)

arm_timeout(180)
t = Checks("http_ops")
PP = "/api/v1/calculations/planetary-positions"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? (-?[0-9.e+]+|\+Inf|NaN)$')


def parse_prometheus(text):
    """{(name, frozenset(labels)): value}; fails the check on any line that does not parse."""
    out, typed = {}, set()
    for ln in text.splitlines():
        if ln.startswith("# TYPE "):
            typed.add(ln.split()[2])
            continue
        if ln.startswith("# HELP ") or not ln:
            continue
        m = SAMPLE.match(ln)
        if not t.check(m is not None, f"metrics line parses: {ln!r}"):
            continue
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(5))
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        t.check(m.group(1) in typed or base in typed, f"{m.group(1)} has a TYPE line")
    return out


def check_index(srv):
    for path in ("/", "/api", "/api/v1"):
        r = requests.get(srv.url(path), timeout=5)
        d = r.json().get("data", {})
        eps = {e["path"]: e for e in d.get("endpoints", [])}
        t.check(r.status_code == 200 and d.get("name") and d.get("version"), f"{path}: name, version")
        t.check(eps.get(PP, {}).get("scope") == "calculations" and
                eps[PP].get("legacy_path") == "/api/calculations/planetary-positions",
                f"{path} lists planetary-positions with its scope")
        t.check(d.get("links", {}).get("health") == "/health", f"{path}: links")


def check_health(srv):
    for path in ("/health", "/api/health", "/api/v1/health"):
        r = requests.get(srv.url(path), timeout=5)
        d = r.json()["data"]
        t.check(r.status_code == 200 and d["status"] == "healthy" and d["version"] and
                d["uptime"] >= 0 and d["ephemeris"]["available"] is True,
                f"{path}: {d}")
        t.check("token" not in d, f"{path} without a token says nothing about tokens")
    r = requests.get(srv.url("/health"), timeout=5,
                     headers={"Authorization": "Bearer " + srv.token(ttl=-5)})
    t.check(r.status_code == 401 and r.json()["error"]["code"] == "TOKEN_EXPIRED",
            "health with an expired token: 401 TOKEN_EXPIRED")
    r = requests.get(srv.url("/health"), timeout=5, headers={"Authorization": "Bearer nope"})
    t.check(r.status_code == 401 and r.json()["error"]["code"] == "INVALID_TOKEN",
            "health with a bad token: 401 INVALID_TOKEN")
    now = int(time.time())
    claims = {"sub": "svc", "type": "service", "scope": "calculations", "token_id": "t-1",
              "iat": now, "exp": now + 10 * 86400 + 60}
    srv.register(claims)
    tok = sign_token(srv.secret, claims)
    d = requests.get(srv.url("/health"), headers={"Authorization": "Bearer " + tok},
                     timeout=5).json()["data"]["token"]
    t.check(d["valid"] is True and d["type"] == "service" and d["scope"] == "calculations" and
            d["days_left"] == 10 and d["token_id"] == "t-1" and d["expires_at"].endswith("Z"),
            f"health describes a valid token: {d}")
    claims = {"sub": "svc", "type": "service", "scope": "calculations", "token_id": "t-eternal"}
    srv.register(claims)
    eternal = sign_token(srv.secret, claims)
    d = requests.get(srv.url("/health"), headers={"Authorization": "Bearer " + eternal},
                     timeout=5).json()["data"]["token"]
    t.check(d["expires_at"] is None and d["days_left"] is None, f"token without exp: {d}")


def check_ready(srv):
    r = requests.get(srv.url("/ready"), timeout=5)
    checks = (r.json().get("data") or {}).get("checks", {})
    t.check(r.status_code == 200 and all(c["ok"] for c in checks.values()) and
            {"ephemeris", "timezones", "data_dir"} <= set(checks), f"ready: {r.text[:300]}")


def check_metrics(srv):
    tok = {"Authorization": "Bearer " + srv.token()}
    for _ in range(3):
        requests.post(srv.url(PP), json=GUIDE_BIRTH, headers=tok, timeout=10)
    requests.get(srv.url("/nope"), timeout=5)
    r = requests.get(srv.url("/metrics"), timeout=5)
    t.check(r.status_code == 401 and r.json()["error"]["code"] == "AUTH_REQUIRED", "metrics needs a token")
    r = requests.get(srv.url("/metrics"), headers=tok, timeout=5)
    t.check(r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN",
            "metrics needs the admin scope")
    r = requests.get(srv.url("/metrics"), timeout=5,
                     headers={"Authorization": "Bearer " + srv.token(scope="admin")})
    t.check(r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4"),
            f"metrics with admin token: {r.status_code} {r.headers.get('Content-Type')}")
    m = parse_prometheus(r.text)

    def val(name, **labels):
        return m.get((name, frozenset(labels.items())))
    ok = val("nocturna_http_requests_total", route=PP, method="POST", status="200")
    t.check(ok is not None and ok >= 3, f"requests_total for planetary-positions 200: {ok}")
    t.check((val("nocturna_http_requests_total", route="unmatched", method="GET", status="404") or 0) >= 1,
            "404 counted under route=unmatched")
    t.check((val("nocturna_errors_total", code="NOT_FOUND") or 0) >= 1 and
            (val("nocturna_errors_total", code="FORBIDDEN") or 0) >= 1, "errors by code")
    t.check((val("nocturna_calculations_total", endpoint=PP) or 0) >= 3, "calculations by endpoint")
    t.check((val("nocturna_http_requests_in_flight") or 0) >= 1, "in-flight gauge counts this request")
    start = val("nocturna_process_start_time_seconds") or 0
    t.check(abs(start - time.time()) < 600, f"process start time: {start}")
    buckets = sorted(((float(dict(k[1])["le"].replace("+Inf", "inf")), v) for k, v in m.items()
                      if k[0] == "nocturna_http_request_duration_seconds_bucket" and
                      dict(k[1]).get("route") == PP))
    count = val("nocturna_http_request_duration_seconds_count", route=PP)
    t.check(buckets and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])) and
            buckets[-1][1] == count, f"histogram cumulative and +Inf == count ({count})")
    t.check((val("process_resident_memory_bytes") or 0) > 1e6, "RSS reported")


def check_logs(srv):
    requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                  headers={"Authorization": "Bearer " + srv.token(token_id="tok-log"),
                           "X-Request-ID": "log-check-1"})
    eventually(lambda: any(ln.get("request_id") == "log-check-1" for ln in srv.log_lines()))
    lines = srv.log_lines()
    t.check(all("unparsed" not in ln for ln in lines), "every stderr line is JSON")
    mine = [ln for ln in lines if ln.get("request_id") == "log-check-1"]
    ln = mine[0] if mine else {}
    t.check(len(mine) == 1 and ln.get("msg") == "request" and ln.get("status") == 200 and
            ln.get("method") == "POST" and ln.get("route") == PP and
            ln.get("principal") == "token:tok-log" and ln.get("bytes_in", 0) > 50 and
            ln.get("bytes_out", 0) > 500 and ln.get("duration_ms", -1) >= 0 and
            ln.get("level") == "info" and ln.get("time", "").endswith("Z"),
            f"request log line: {ln}")
    start = [ln for ln in lines if ln.get("msg") == "server started"]
    t.check(start and start[0]["config"]["port"] == 0 and "max_body" in start[0]["config"],
            "start-up line has the effective config")
    t.check(srv.secret not in srv.log_text(), "the secret never appears in the log")
    t.check(srv.token() .split(".")[2] not in srv.log_text(), "no token in the log")


def check_cli():
    env = dict(os.environ, NOCTURNA_SECRET_KEY="s" * 40, NOCTURNA_DATA_DIR="/tmp/noc-none")
    p = subprocess.run([BIN, "serve", "--check-config", "--port", "9"], env=env,
                       capture_output=True, timeout=60)
    out = json.loads(p.stdout or b"{}")
    t.check(p.returncode == 0 and out.get("config", {}).get("port") == 9 and
            b"s" * 40 not in p.stdout, f"--check-config prints the redacted config: {p.stdout[:200]}")
    for bad_env, bad_args, word in [({"NOCTURNA_PORT": "80x"}, [], b"NOCTURNA_PORT"),
                                    ({}, ["--port", "99999"], b"--port"),
                                    ({"NOCTURNA_MAX_BODY": "0"}, [], b"NOCTURNA_MAX_BODY"),
                                    ({"NOCTURNA_SECRET_KEY": "short"}, [], b"NOCTURNA_SECRET_KEY"),
                                    ({"NOCTURNA_LOG_LEVEL": "loud"}, [], b"NOCTURNA_LOG_LEVEL"),
                                    ({"NOCTURNA_CORS_ORIGINS": "example.com/x"}, [], b"CORS"),
                                    ({}, ["--bogus"], b"--bogus")]:
        p = subprocess.run([BIN, "serve", "--check-config", *bad_args], env={**env, **bad_env},
                           capture_output=True, timeout=60)
        t.check(p.returncode == 2 and word in p.stderr, f"bad {word!r} -> exit 2: {p.stderr[:200]}")


def check_key_file():
    with Server(env={"NOCTURNA_SECRET_KEY": None}) as srv:
        path = os.path.join(srv.tmp, "data", "jwt-secret")
        st = os.stat(path)
        key = open(path).read().strip()
        t.check(stat.S_IMODE(st.st_mode) == 0o600 and re.fullmatch(r"[0-9a-f]{64}", key),
                f"key file generated with mode 600: {oct(st.st_mode)}")
        srv.secret = key
        r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                          headers={"Authorization": "Bearer " + srv.token()})
        t.check(r.status_code == 200, "tokens signed with the generated key are accepted")
        t.check(srv.stop() == 0, "key-file server exits 0")
        os.chmod(path, 0o644)
        p = subprocess.run([BIN, "serve", "--port", "0"], env=srv.env, capture_output=True, timeout=30)
        t.check(p.returncode == 3 and b"chmod 600" in p.stderr,
                f"a world-readable key file is refused: {p.returncode} {p.stderr[-200:]}")


def check_port_in_use(srv):
    env = dict(srv.env)
    p = subprocess.run([BIN, "serve", "--port", str(srv.port)], env=env, capture_output=True,
                       timeout=30)
    t.check(p.returncode == 3 and b"cannot listen" in p.stderr,
            f"port in use -> exit 3 with a message: {p.returncode} {p.stderr[-200:]}")


def check_graceful():
    with Server() as srv:
        body = json.dumps(GUIDE_BIRTH).encode()
        sock = srv.connect()
        sock.sendall((f"POST {PP} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Authorization: Bearer {srv.token()}\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:10])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        try:
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
            refused = False
        except OSError:
            refused = True
        t.check(refused, "no new connections once shutdown has begun")
        t.check(srv.proc.poll() is None, "the server waits for the in-flight request")
        res = raw_request(sock, body[10:], read_timeout=10)
        t.check(res is not None and res[0] == 200 and json.loads(res[2])["success"] is True,
                f"the in-flight request completes with 200 ({res and res[0]})")
        t.check(res is not None and res[1].get("connection", "").lower() == "close",
                "answers during the drain say Connection: close")
        sock.close()
        try:
            code = srv.proc.wait(15)
        except subprocess.TimeoutExpired:
            code = None
        t.check(code == 0, f"exit status 0 after the drain: {code}")
        stopped = [ln for ln in srv.log_lines() if ln.get("msg") == "server stopped"]
        t.check(stopped and stopped[0]["requests_abandoned"] == 0, f"stop line: {stopped}")

    with Server(env={"NOCTURNA_SHUTDOWN_TIMEOUT": "1"}) as srv:
        sock = srv.connect()
        sock.sendall(f"POST {PP} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode())
        time.sleep(0.2)
        t0 = time.monotonic()
        code = srv.stop(signal.SIGINT, timeout=15)
        took = time.monotonic() - t0
        t.check(code == 0 and 0.9 <= took < 5, f"a stuck request is abandoned at the deadline "
                f"({code}, {took:.2f}s)")
        stopped = [ln for ln in srv.log_lines() if ln.get("msg") == "server stopped"]
        t.check(stopped and stopped[0]["requests_abandoned"] == 1 and stopped[0]["signal"] == "SIGINT",
                f"stop line counts the abandoned request: {stopped}")
        sock.close()


with Server() as srv:
    check_index(srv)
    check_health(srv)
    check_ready(srv)
    check_metrics(srv)
    check_logs(srv)
    check_port_in_use(srv)
    t.check(srv.stop() == 0, "server exits 0")
with Server(env={"NOCTURNA_METRICS_PUBLIC": "1"}) as srv:
    r = requests.get(srv.url("/metrics"), timeout=5)
    t.check(r.status_code == 200 and "nocturna_build_info" in r.text, "NOCTURNA_METRICS_PUBLIC=1")
check_cli()
check_key_file()
check_graceful()
t.finish()
