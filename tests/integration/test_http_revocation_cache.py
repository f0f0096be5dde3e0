"""The token policy caches what it reads from storage (docs/identity.md, "Revocation and the
policy cache"); a revocation must still be refused on the very next request.

SQLite: with one server (whose storage pool has grown under concurrent requests), many requests
pass with a token; then `nocturna token revoke ID`, run as
a separate process on the same data dir, makes the very next request answer 401 TOKEN_REVOKED -
no sleep, no retry - several times over. The same for `nocturna admin deactivate` (and activate),
for a plain SQL update by another program, and for the server's own admin API.

PostgreSQL (only when NOCTURNA_TEST_DATABASE_URL is set; a fresh database is made and dropped):
two servers on one database; a token revoked through server B's admin API, and another through
the command line, is refused by server A within 3 s - milliseconds in practice; the bound leaves
room for a loaded sanitizer run (polled every 20 ms; the delay is printed)."""
import base64
import concurrent.futures
import glob
import json
import os
import sqlite3
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import requests

from http_harness import BIN, Checks, Server, arm_timeout, sign_token

arm_timeout(300)
t = Checks("http_revocation_cache")
PP = "/api/v1/calculations/planetary-positions"
BODY = {"date": "1990-01-15", "time": "14:30:00", "latitude": 40.7, "longitude": -74.0,
        "timezone": "UTC", "planets": ["SUN"]}
ADMIN_PW = "correct horse battery staple"
FAST = {"NOCTURNA_PASSWORD_HASH_MEMORY": "8", "NOCTURNA_PASSWORD_HASH_OPS": "1",
        "NOCTURNA_ADMIN_PASSWORD": ADMIN_PW, "NOCTURNA_RATE_LIMIT": "0"}
WARM = 40  # requests with a token before it is revoked: the cache is surely filled


def code_of(r):
    try:
        return r.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def cli(srv, *args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=srv.env, timeout=120)


def warm(session, srv, token, n=WARM):
    """n requests with the token; True when every one passed."""
    hdr = {"Authorization": f"Bearer {token}"}
    return all(session.post(srv.url(PP), json=BODY, headers=hdr, timeout=30).status_code == 200
               for _ in range(n))


def next_answer(session, srv, token):
    r = session.post(srv.url(PP), json=BODY, headers={"Authorization": f"Bearer {token}"},
                     timeout=30)
    return r.status_code, code_of(r)


def admin_token(srv):
    r = requests.post(srv.url("/api/v1/auth/login"), data={"username": "admin", "password": ADMIN_PW},
                      timeout=30)
    return r.json()["data"]["access_token"] if r.status_code == 200 else None


def claims_of(token):
    p = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


# ---------------------------------------------------------------- SQLite, one server ----

def burst(srv):
    """Concurrent requests: the server's storage pool grows to several connections (opening
    one used to make the process lose its SQLite file locks, and then the next `nocturna token
    revoke` deleted the WAL from under the server, which saw no later revocation)."""
    toks = [srv.token() for _ in range(4)]

    def use(i):
        return requests.post(srv.url(PP), json=BODY, timeout=30,
                             headers={"Authorization": f"Bearer {toks[i % len(toks)]}"}).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        codes = set(ex.map(use, range(400)))
    t.check(codes == {200}, f"concurrent requests pass: {codes}")
    with requests.Session() as s:
        for i, tok in enumerate(toks[:3]):
            p = cli(srv, "token", "revoke", claims_of(tok)["token_id"])
            got = next_answer(s, srv, tok)
            t.check(p.returncode == 0 and got == (401, "TOKEN_REVOKED"),
                    f"after the burst, revocation {i + 1} by the command line seen at once: {got}")


def sqlite_part():
    with Server(env={**FAST, "NOCTURNA_THREADS": "4"}) as srv, requests.Session() as s:
        burst(srv)
        # the command line, another process
        for round_ in range(5):
            tok = srv.token()
            tid = claims_of(tok)["token_id"]
            t.check(warm(s, srv, tok), f"round {round_}: {WARM} requests pass before revocation")
            p = cli(srv, "token", "revoke", tid)
            t.check(p.returncode == 0, f"round {round_}: token revoke: {p.returncode} {p.stderr}")
            got = next_answer(s, srv, tok)
            t.check(got == (401, "TOKEN_REVOKED"), f"round {round_}: very next request after "
                    f"`token revoke` refused: {got}")
            t.check(next_answer(s, srv, tok) == (401, "TOKEN_REVOKED"), "and stays refused")

        # deactivating the token's user, and activating it again, from the command line
        tok = srv.token(sub="svc-two")
        t.check(warm(s, srv, tok), "second user's token passes")
        p = cli(srv, "admin", "deactivate", "svc-two")
        t.check(p.returncode == 0, f"admin deactivate: {p.returncode} {p.stderr}")
        got = next_answer(s, srv, tok)
        t.check(got == (401, "INVALID_TOKEN"), f"very next request after deactivation refused: {got}")
        p = cli(srv, "admin", "activate", "svc-two")
        t.check(p.returncode == 0, f"admin activate: {p.returncode} {p.stderr}")
        t.check(next_answer(s, srv, tok) == (200, None), "very next request after activation passes")

        # a plain SQL update by another program
        tok = srv.token()
        t.check(warm(s, srv, tok), "third token passes")
        with sqlite3.connect(os.path.join(srv.env["NOCTURNA_DATA_DIR"], "nocturna.db"),
                             timeout=10) as db:
            db.execute("UPDATE service_tokens SET revoked_at = ? WHERE id = ?",
                       (int(time.time()), claims_of(tok)["token_id"]))
        got = next_answer(s, srv, tok)
        t.check(got == (401, "TOKEN_REVOKED"), f"very next request after an SQL update refused: {got}")

        # the server's own admin API
        adm = admin_token(srv)
        t.check(adm is not None, "admin login")
        tok = srv.token()
        t.check(warm(s, srv, tok), "fourth token passes")
        r = requests.delete(srv.url(f"/api/v1/auth/admin/service-tokens/{claims_of(tok)['token_id']}"),
                            headers={"Authorization": f"Bearer {adm}"}, timeout=30)
        t.check(r.status_code == 200, f"admin API revoke: {r.status_code} {r.text[:200]}")
        got = next_answer(s, srv, tok)
        t.check(got == (401, "TOKEN_REVOKED"), f"very next request after the admin API refused: {got}")

        # a token that was unknown (and cached as such) passes once it is stored
        now = int(time.time())
        claims = {"sub": "backend-service", "type": "service", "scope": "calculations",
                  "token_id": str(uuid.uuid4()), "iat": now, "exp": now + 3600}
        late = sign_token(srv.secret, claims)
        t.check(next_answer(s, srv, late)[0] == 401, "a token without a record is refused")
        srv.register(claims)
        t.check(next_answer(s, srv, late) == (200, None), "and passes as soon as its record exists")


# ---------------------------------------------------------------- PostgreSQL, two servers ----

def pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def pg_db(url, action, name):
    u = urlsplit(url)
    tool = pg_bin("createdb" if action == "create" else "dropdb")
    args = [tool, "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432),
            "-U", u.username or "nocturna"]
    if action == "drop":
        args.append("--if-exists")
    p = subprocess.run(args + [name], capture_output=True, text=True, timeout=60,
                       env={**os.environ, **({"PGPASSWORD": u.password} if u.password else {})})
    return p.returncode == 0, p.stderr


def refused_within(session, srv, token, limit=3.0, step=0.02):
    """Polls every `step` s; the delay until 401 TOKEN_REVOKED, or None after `limit` s."""
    t0 = time.monotonic()
    while True:
        if next_answer(session, srv, token) == (401, "TOKEN_REVOKED"):
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return None
        time.sleep(step)


def pg_part(base_url):
    if pg_bin("createdb") is None:
        print("http_revocation_cache: PostgreSQL part skipped (createdb not found)")
        return
    name = f"noc_revcache_{os.getpid()}"
    ok, err = pg_db(base_url, "create", name)
    if not t.check(ok, f"createdb {name}: {err}"):
        return
    u = urlsplit(base_url)
    url = f"{u.scheme}://{u.netloc}/{name}" + (f"?{u.query}" if u.query else "")
    secret = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    env = {**FAST, "NOCTURNA_DATABASE_URL": url, "NOCTURNA_SECRET_KEY": secret}
    try:
        with Server(env=env) as a, Server(env=env) as b, requests.Session() as s:
            adm_b = admin_token(b)
            t.check(adm_b is not None, "admin login on server B")
            for how in ("server B's admin API", "the command line"):
                p = cli(a, "token", "create", "--json")
                if not t.check(p.returncode == 0, f"token create: {p.stderr}"):
                    return
                made = json.loads(p.stdout)
                tok, tid = made["service_token"], made["token_id"]
                t.check(warm(s, a, tok) and warm(s, b, tok, 3), f"token passes on A and B ({how})")
                if how == "the command line":
                    p = cli(b, "token", "revoke", tid)
                    t.check(p.returncode == 0, f"token revoke: {p.stderr}")
                else:
                    r = requests.delete(b.url(f"/api/v1/auth/admin/service-tokens/{tid}"),
                                        headers={"Authorization": f"Bearer {adm_b}"}, timeout=30)
                    t.check(r.status_code == 200, f"revoke on B: {r.status_code} {r.text[:200]}")
                t.check(next_answer(s, b, tok) == (401, "TOKEN_REVOKED"), f"B refuses at once ({how})")
                delay = refused_within(s, a, tok)
                if delay is not None:
                    print(f"http_revocation_cache: server A refused the token revoked through "
                          f"{how} after {delay * 1000:.0f} ms")
                t.check(delay is not None, f"server A refuses within 3 s ({how}; milliseconds expected)")
    finally:
        pg_db(base_url, "drop", name)


sqlite_part()
pg_url = os.environ.get("NOCTURNA_TEST_DATABASE_URL", "")
if pg_url:
    pg_part(pg_url)
else:
    print("http_revocation_cache: PostgreSQL part skipped (NOCTURNA_TEST_DATABASE_URL is not set)")
t.finish()
