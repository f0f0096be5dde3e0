"""Shared by tests/integration/test_identity_*.py: starts the real `nocturna serve` on 127.0.0.1
(free port, temporary data dir, SQLite unless a database URL is given), runs the real
`nocturna token|admin|migrate` commands with the same configuration, signs tokens with the
stdlib for forgery tests, and always stops what it started.

Every test process arms an alarm: a hung server or client kills the server and fails the test.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

import requests

from nocturna_test import BIN, Checks, ServerProcess  # noqa: F401  (re-exported)

ADMIN_PW = "correct horse battery staple"
# argon2id at 8 MiB, t=1 keeps tests quick under ASan; the production default is 64 MiB, t=2.
FAST_HASH = {"NOCTURNA_PASSWORD_HASH_MEMORY": "8", "NOCTURNA_PASSWORD_HASH_OPS": "1"}
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")
BIRTH = {"date": "1990-01-15", "time": "14:30:00", "latitude": 40.7128, "longitude": -74.006,
         "timezone": "America/New_York", "planets": ["SUN", "MOON"]}
POSITIONS = "/api/v1/calculations/planetary-positions"

_LIVE = []


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


def sign(secret, claims, header=None, alg=hashlib.sha256):
    """A JWT with any header, MAC'd with HMAC(alg) under secret (str or bytes)."""
    header = {"alg": "HS256", "typ": "JWT"} if header is None else header
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(claims, separators=(",", ":")).encode())
    key = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(key, f"{h}.{p}".encode(), alg).digest()
    return f"{h}.{p}.{b64url(mac)}"


def decode(token):
    """(header, payload) of a JWT, unverified."""
    parts = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(parts[0]))),
            json.loads(base64.urlsafe_b64decode(pad(parts[1]))))


def kid_of(secret):
    return "k" + hashlib.sha256(b"nocturna-kid:" + secret.encode()).hexdigest()[:16]


class IdServer(ServerProcess):
    """One server process with its own data dir. env entries override the defaults (None
    removes a variable). The first start creates the admin (password ADMIN_PW) and writes
    <data>/service-token."""

    def __init__(self, env=None, start_timeout=60, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="noc-id-test-")
        self.own_tmp = tmp is None
        self.secret = secrets.token_hex(24)
        self.data = os.path.join(self.tmp, "data")
        full = dict(os.environ)
        full.update({"NOCTURNA_SECRET_KEY": self.secret, "NOCTURNA_DATA_DIR": self.data,
                     "NOCTURNA_THREADS": "2", "NOCTURNA_LOG_LEVEL": "info",
                     "NOCTURNA_ADMIN_PASSWORD": ADMIN_PW, "NOCTURNA_RATE_LIMIT": "0",
                     "NOCTURNA_DATABASE_WAIT": "5", **FAST_HASH})
        for k, v in (env or {}).items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = str(v)
        self.env = full
        self.proc = None
        self.start(start_timeout)

    def start(self, timeout=60):
        n = len([f for f in os.listdir(self.tmp) if f.startswith("server")]) // 2
        self.log_path = os.path.join(self.tmp, f"server{n}.log")
        self.out_path = os.path.join(self.tmp, f"server{n}.out")
        self._log = open(self.log_path, "wb")
        self._out = open(self.out_path, "wb")
        self.proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", "0"],
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._log, env=self.env)
        _LIVE.append(self)
        self.port = self.wait_started(timeout)
        self.base = f"http://127.0.0.1:{self.port}"

    def out_text(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    # ---- HTTP ----
    def call(self, method, path, token=None, timeout=30, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.base + path, headers=headers, timeout=timeout, **kw)

    def login(self, login="admin", password=ADMIN_PW, form=True):
        if form:
            r = self.call("POST", "/api/v1/auth/login",
                          data={"username": login, "password": password})
        else:
            r = self.call("POST", "/api/v1/auth/login",
                          json={"username": login, "password": password})
        if r.status_code != 200:
            raise RuntimeError(f"login failed: {r.status_code} {r.text}")
        return r.json()["data"]

    def admin_token(self):
        return self.login()["access_token"]

    def service_token(self):
        with open(os.path.join(self.data, "service-token")) as f:
            return f.read().strip()

    def positions(self, token):
        return self.call("POST", POSITIONS, token=token, json=BIRTH)

    # ---- the command line, with the server's configuration ----
    def cli(self, *args, stdin=None, env=None, timeout=120):
        e = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True,
                              env=e, timeout=timeout)

    def mint(self, *args):
        """`nocturna token create --json ARGS`; returns the parsed output."""
        p = self.cli("token", "create", "--json", *args)
        if p.returncode != 0:
            raise RuntimeError(f"token create failed: {p.returncode} {p.stderr}")
        return json.loads(p.stdout)

    def db(self):
        return sqlite3.connect(os.path.join(self.data, "nocturna.db"), timeout=10)

    # ---- life cycle ----
    def stop(self, sig=signal.SIGTERM, timeout=30):
        code = self.signal_and_wait(sig, timeout)
        if code is None:
            return None
        if self in _LIVE:
            _LIVE.remove(self)
        self._log.close()
        self._out.close()
        return code

    def problems(self):
        text = self.log_text()
        if any(m in text for m in SANITIZER_MARKERS):
            return "sanitizer report in the server log"
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        code = self.stop()
        self.kill()
        problem = self.problems() or (f"server exit status {code}" if code != 0 else None)
        if exc[0] is not None or problem:
            sys.stdout.write("--- server log (tail) ---\n" + self.log_text()[-6000:] + "\n")
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if problem and exc[0] is None:
            raise RuntimeError(problem)
        return False


def error_code(resp):
    try:
        return resp.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def error_message(resp):
    try:
        return resp.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return ""
