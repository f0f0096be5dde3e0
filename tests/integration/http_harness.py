"""Starts the real `nocturna serve` on 127.0.0.1 with a free port and a temporary data dir,
signs HS256 tokens with the stdlib (no PyJWT), and always stops the server.

Used by tests/integration/test_http_*.py. Every test process also arms an alarm so that a hung
server or client can never block ctest: on expiry the server is killed and the test fails."""
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from nocturna_test import BIN, Checks, ServerProcess  # noqa: F401  (re-exported for the tests)

_LIVE = []
SANITIZER_MARKERS = ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")


def _on_alarm(signum, frame):
    for s in list(_LIVE):
        s.kill()
    print("FAIL: test timed out", flush=True)
    os._exit(1)


def arm_timeout(seconds):
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(seconds)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(secret, claims, header=None):
    """HS256 JWT as PyJWT would make it with a str secret."""
    header = header or {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(mac)}"


class Server(ServerProcess):
    """One server process. Use as a context manager; env entries override the defaults."""

    def __init__(self, env=None, args=(), start_timeout=30):
        self.tmp = tempfile.mkdtemp(prefix="noc-http-test-")
        self.secret = secrets.token_hex(24)  # 48 characters: within 32..64
        self.log_path = os.path.join(self.tmp, "server.log")
        full_env = dict(os.environ)
        full_env.update({
            "NOCTURNA_SECRET_KEY": self.secret,
            "NOCTURNA_DATA_DIR": os.path.join(self.tmp, "data"),
            "NOCTURNA_THREADS": "2",
            "NOCTURNA_LOG_LEVEL": "info",
        })
        for k, v in (env or {}).items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = str(v)
        self.env = full_env
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", "0", *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._log, env=full_env)
        _LIVE.append(self)
        self.port = self.wait_started(start_timeout)
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path):
        return self.base + path

    def token(self, scope="calculations", ttl=30 * 86400, **extra):
        now = int(time.time())
        claims = {"sub": "backend-service", "type": "service", "scope": scope,
                  "token_id": str(uuid.uuid4()), "iat": now, "exp": now + ttl}
        claims.update(extra)
        claims = {k: v for k, v in claims.items() if v is not None}
        self.register(claims)
        return sign_token(self.secret, claims)

    def register(self, claims):
        """The identity policy refuses service tokens that have no record (docs/identity.md):
        store the user and the service-token row these claims describe, as `nocturna token
        create` would (the server made the SQLite database at start)."""
        if claims.get("type") != "service" or not claims.get("token_id") or not claims.get("sub"):
            return
        import sqlite3
        sub, now = claims["sub"], int(time.time())
        path = os.path.join(self.env["NOCTURNA_DATA_DIR"], "nocturna.db")
        with sqlite3.connect(path, timeout=10) as db:
            db.execute("INSERT OR IGNORE INTO users (id, email, username, password_hash, is_active,"
                       " is_superuser, created_at, updated_at) VALUES (?, ?, ?, '!', 1, 1, ?, ?)",
                       (sub, f"{sub}@test.invalid", sub, now, now))
            db.execute("INSERT OR REPLACE INTO service_tokens (id, subject, scope, created_at,"
                       " expires_at) VALUES (?, ?, ?, ?, ?)",
                       (claims["token_id"], sub, claims.get("scope", ""), claims.get("iat", now),
                        claims.get("exp")))

    def connect(self, timeout=5):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends sig and returns the exit status (None if it had to be killed)."""
        return self.signal_and_wait(sig, timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        code = self.stop()
        self.kill()
        self._log.close()
        if self in _LIVE:
            _LIVE.remove(self)
        text = self.log_text()
        problem = None
        if any(m in text for m in SANITIZER_MARKERS):
            problem = "sanitizer report in the server log"
        elif code != 0:
            problem = f"server exit status {code}"
        if exc[0] is not None or problem:
            sys.stdout.write("--- server log (tail) ---\n" + text[-6000:] + "\n")
        shutil.rmtree(self.tmp, ignore_errors=True)
        if problem and exc[0] is None:
            raise RuntimeError(problem)
        return False


def eventually(pred, wait=10.0, step=0.05):
    """Polls pred() until it is truthy or `wait` seconds pass; returns its last value. For effects
    the server makes after the client has its answer (log lines, closed sockets noticed): a fixed
    pause is too short on a slow sanitizer build and wasted time on a fast one."""
    deadline = time.monotonic() + wait
    while True:
        try:
            value = pred()
        except OSError:
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


_LEFTOVER = {}  # bytes read past one response, per socket (pipelining)


def raw_request(sock, data, read_timeout=5):
    """Sends bytes and reads one response (headers + Content-Length body).
    Returns (status, headers dict lower-cased, body bytes) or None if the peer closed."""
    sock.sendall(data)
    sock.settimeout(read_timeout)
    buf = _LEFTOVER.pop(id(sock), b"")
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    if len(rest) > n:
        _LEFTOVER[id(sock)] = rest[n:]
    return status, headers, rest[:n]


GUIDE_BIRTH = {"date": "1990-01-15", "time": "14:30:00", "latitude": 40.7128,
               "longitude": -74.0060, "timezone": "America/New_York"}
TEN_PLANETS = ["SUN", "MOON", "MERCURY", "VENUS", "MARS", "JUPITER", "SATURN", "URANUS",
               "NEPTUNE", "PLUTO"]


def calc_cli(endpoint, body):
    """The same request through `nocturna calc`: the reference the HTTP answer must equal."""
    p = subprocess.run([BIN, "calc", endpoint, "-"], input=json.dumps(body).encode(),
                       capture_output=True, timeout=60)
    return json.loads(p.stdout)
