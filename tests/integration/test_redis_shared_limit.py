"""Two `nocturna serve` instances share one Redis (with a password) and one SQLite file: the same
token is valid on both and draws on ONE rate-limit budget, whichever instance answers, and
failed logins alternating between the instances are counted together. Redis is then killed:
requests still succeed (the limiter fails open), /ready answers 503 on both, and login
throttling goes on per process; Redis comes back on the same port: /ready is 200 again and the
shared budget is enforced again. The Redis password never appears in either server's log.
Skipped (exit 0 with a note) only when redis-server is not installed."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests

from http_harness import GUIDE_BIRTH, Checks, Server, arm_timeout

arm_timeout(240)
t = Checks("redis_shared_limit")
PP = "/api/v1/calculations/planetary-positions"
BODY = {**GUIDE_BIRTH, "planets": ["SUN"]}
RATE, BURST = 2, 10
PASSWORD = "rds-" + os.urandom(12).hex()

if shutil.which("redis-server") is None:
    print("redis_shared_limit: SKIP (redis-server is not installed; scripts/install-deps.sh installs it)")
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A private redis-server in the foreground on 127.0.0.1:port; start/kill/start again."""

    def __init__(self, port, workdir):
        self.port, self.workdir, self.proc = port, workdir, None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self.workdir, "--requirepass", PASSWORD],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(f"AUTH {PASSWORD}\r\nPING\r\n".encode())
                    if b"PONG" in s.recv(100):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


def post(session, srv, tok):
    return session.post(srv.url(PP), json=BODY, headers={"Authorization": "Bearer " + tok},
                        timeout=10)


def ready(srv):
    """(status, the cache check when ready, else the error message naming the failed checks)."""
    r = requests.get(srv.url("/ready"), timeout=10)
    body = r.json()
    if r.status_code == 200:
        return 200, ((body.get("data") or {}).get("checks") or {}).get("cache")
    return r.status_code, (body.get("error") or {}).get("message", "")


def logged_cache_detail(srv):
    """The cache check's detail of the last "not ready" log line (the details go to the log)."""
    for line in reversed(srv.log_lines()):
        if line.get("msg") == "not ready":
            return line["readiness"]["data"]["checks"].get("cache")
    return None


def wait_ready(srv, want, seconds=10):
    """Polls /ready until its status is `want` (429s from the address bucket just mean wait)."""
    deadline = time.monotonic() + seconds
    status = None
    while time.monotonic() < deadline:
        status, _ = ready(srv)
        if status == want:
            return True
        time.sleep(0.3)
    return False


def burst_across(servers, sessions, tok, n):
    """n requests alternating between the instances as fast as possible; returns
    [(instance, status, remaining, seconds since the first)]."""
    out, t0 = [], time.monotonic()
    for i in range(n):
        k = i % len(servers)
        r = post(sessions[k], servers[k], tok)
        rem = r.headers.get("X-RateLimit-Remaining")
        out.append((k, r.status_code, int(rem) if rem is not None else None, time.monotonic() - t0))
    return out


def check_shared_budget(servers, sessions, tok, what):
    seen = burst_across(servers, sessions, tok, 2 * BURST)
    statuses = [s[1] for s in seen]
    t.check(set(statuses) <= {200, 429}, f"{what}: only 200/429: {statuses}")
    # Request i (from 0) leaves BURST-1-i tokens, plus what refilled since the first request.
    for i, (_k, status, rem, at) in enumerate(seen[:BURST]):
        refill = int(at * RATE)
        t.check(status == 200, f"{what}: request {i + 1} within the burst allowed: {seen}")
        t.check(rem is not None and BURST - 1 - i <= rem <= BURST - 1 - i + refill,
                f"{what}: request {i + 1} sees the shared remaining count: {seen}")
    elapsed = seen[-1][3]
    allowed = statuses.count(200)
    t.check(BURST <= allowed <= BURST + int(elapsed * RATE),
            f"{what}: {allowed} allowed in {elapsed:.2f}s across both instances (one budget of "
            f"{BURST} + {RATE}/s): {seen}")
    if elapsed < 1.0 / RATE:  # no refill yet: the 11th is refused wherever it lands
        t.check(statuses[BURST] == 429, f"{what}: request {BURST + 1} refused: {seen}")
    t.check({s[0] for s in seen if s[1] == 429} == {0, 1},
            f"{what}: both instances refuse once the shared budget is spent: {seen}")


def login(srv, name):
    return requests.post(srv.url("/api/v1/auth/login"), timeout=30,
                         data={"username": name, "password": "wrong-password-123"})


def check_shared_login_throttle(a, b):
    """Threshold 2 per account: one failure on each instance, then the next attempt is refused
    (with per-process counts it would be each instance's second failure, still allowed)."""
    name = f"nobody-{os.getpid()}"
    seen = [login(a, name).status_code, login(b, name).status_code]
    r = login(a, name)
    seen.append(r.status_code)
    t.check(seen == [401, 401, 429], f"failed logins counted across instances: {seen}")
    t.check(r.headers.get("Retry-After") == "1", f"Retry-After 1 s: {r.headers.get('Retry-After')}")
    r = login(b, name)
    t.check(r.status_code == 429, f"the other instance refuses too: {r.status_code}")


def check_local_login_throttle(a):
    """Redis down: the in-memory counts still throttle, per process."""
    name = f"nobody-down-{os.getpid()}"
    seen = [login(a, name).status_code for _ in range(3)]
    t.check(seen == [401, 401, 429], f"Redis down: login throttling per process: {seen}")


def main():
    work = tempfile.mkdtemp(prefix="noc-redis-test-")
    redis = Redis(free_port(), work)
    secret = os.urandom(24).hex()
    env = {"NOCTURNA_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{redis.port}/0",
           "NOCTURNA_DATA_DIR": os.path.join(work, "data"),  # one SQLite file for both
           "NOCTURNA_SECRET_KEY": secret, "NOCTURNA_RATE_LIMIT": RATE,
           "NOCTURNA_RATE_BURST": BURST, "NOCTURNA_REDIS_PREFIX": f"it{os.getpid()}:",
           "NOCTURNA_LOGIN_MAX_FAILURES": 2, "NOCTURNA_LOGIN_MAX_FAILURES_PER_IP": 1000,
           "NOCTURNA_PASSWORD_HASH_MEMORY": 8, "NOCTURNA_PASSWORD_HASH_OPS": 1}
    try:
        redis.start()
        with Server(env=env) as a, Server(env=env) as b:
            a.secret = b.secret = secret  # tokens signed with the shared key
            servers = [a, b]
            sessions = [requests.Session(), requests.Session()]
            tok = a.token()  # registered in the shared database: valid on both
            for s in servers:
                code, cache = ready(s)
                t.check(code == 200 and cache == {"ok": True}, f"/ready 200 with cache ok: {code} {cache}")
            check_shared_budget(servers, sessions, tok, "shared")
            check_shared_login_throttle(a, b)

            redis.kill()
            codes = [post(sessions[i % 2], servers[i % 2], tok).status_code for i in range(12)]
            t.check(codes == [200] * 12, f"Redis down: requests pass (fail open): {codes}")
            r = post(sessions[0], a, tok)
            t.check(r.status_code == 200 and "X-RateLimit-Limit" not in r.headers,
                    f"Redis down: no rate-limit headers: {r.status_code} {dict(r.headers)}")
            for s in servers:
                code, msg = ready(s)
                t.check(code == 503 and msg == "Service not ready: cache",
                        f"Redis down: /ready 503 naming the cache: {code} {msg}")
                cache = logged_cache_detail(s)
                t.check(cache is not None and cache["ok"] is False and
                        f"redis 127.0.0.1:{redis.port}: " in cache.get("detail", ""),
                        f"Redis down: the log says why: {cache}")
            check_local_login_throttle(a)

            redis.start()
            for s in servers:
                t.check(wait_ready(s, 200), "Redis back: /ready 200 again")
            time.sleep(1.0 / RATE + 0.1)  # the /ready polls above may have cost address tokens
            check_shared_budget(servers, sessions, tok, "after restart")

            for s in servers:
                text = s.log_text()
                t.check(PASSWORD not in text, "the Redis password is not in the log")
                t.check('"msg":"cache unavailable"' in text and '"msg":"cache available"' in text,
                        "the outage and the recovery are logged")
                t.check(f"redis://:***@127.0.0.1:{redis.port}/0" in text,
                        "the effective config shows the URL redacted")
    finally:
        redis.kill()
        shutil.rmtree(work, ignore_errors=True)
    t.finish()


main()
