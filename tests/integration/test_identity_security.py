"""Security of the identity layer against the real server: forged tokens (alg none, HS/RS
confusion, tampered header, payload or signature, a foreign key, a huge token, a kid pointing
nowhere, a signed token without a record, a record mismatch), expired and not-yet-valid
tokens, revoked tokens, deleted and inactive users, wrong token types, scope escalation,
SQL-injection strings in every text field, duplicate registration races, and failed-login
throttling per account and per address (429 with Retry-After)."""
import hashlib
import json
import threading
import time
import urllib.parse
import uuid

from identity_harness import (ADMIN_PW, Checks, IdServer, arm_timeout, b64url, decode,
                              error_code, error_message, sign)

arm_timeout(600)
C = Checks("identity_security")
EVIL = ["' OR '1'='1", "admin'--", "'; DROP TABLE users; --", '" OR ""="',
        "1; SELECT pg_sleep(5)--", "admin@nocturna.local' --", "%' OR 1=1 --",
        "\\'; DELETE FROM service_tokens; --", "$1 ?1 :name", "x\u0000y"]


def refused(resp, code=None):
    ok = resp.status_code == 401 and (code is None or error_code(resp) == code)
    return ok and "Bearer" in resp.headers.get("WWW-Authenticate", "")


def forged(s, real):
    h, claims = decode(real)
    now = int(time.time())
    cases = {
        "alg none, no signature": sign(s.secret, claims, {"alg": "none", "typ": "JWT"}).rsplit(".", 1)[0] + ".",
        "alg none, with signature": sign(s.secret, claims, {"alg": "none", "typ": "JWT"}),
        "alg HS512": sign(s.secret, claims, {"alg": "HS512", "typ": "JWT"}, hashlib.sha512),
        "HS/RS confusion": sign("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n-----END PUBLIC KEY-----\n",
                                claims, {"alg": "RS256", "typ": "JWT"}),
        "RS256 header, our HMAC": sign(s.secret, claims, {"alg": "RS256", "typ": "JWT"}),
        "foreign key": sign("another-secret-of-sufficient-length-000000", claims, h),
        "kid pointing nowhere": sign(s.secret, claims, {**h, "kid": "kdeadbeefdeadbeef"}),
        "jku header": sign(s.secret, claims, {**h, "jku": "http://127.0.0.1:1/keys"}),
        "tampered signature": real[:-2] + ("A" if real[-2] != "A" else "B") + real[-1],
    }
    hp, pp, sp = real.split(".")
    cases["tampered header"] = b64url(json.dumps({**h, "typ": "JWS"}).encode()) + f".{pp}.{sp}"
    cases["tampered payload"] = f"{hp}." + b64url(json.dumps({**claims, "scope": "calculations admin"}).encode()) + f".{sp}"
    cases["three dots"] = real + ".x"
    cases["huge (5000 bytes)"] = sign(s.secret, {**claims, "pad": "x" * 5000}, h)
    for name, tok in cases.items():
        r = s.positions(tok)
        C.check(refused(r, "INVALID_TOKEN"), f"forged: {name}: {r.status_code} {error_code(r)}")
    r = s.call("POST", "/api/v1/calculations/planetary-positions",
               headers={"Authorization": "Bearer " + "A" * 100000}, json={})
    C.check(r.status_code in (400, 401, 413, 431) and r.status_code != 200, f"100 kB token: {r.status_code}")
    # Signed with the real key but never issued: no record, refused.
    ghost = sign(s.secret, {**claims, "token_id": str(uuid.uuid4())}, h)
    r = s.positions(ghost)
    C.check(refused(r, "TOKEN_REVOKED"), f"a validly signed token without a record: {error_code(r)}")
    mism = sign(s.secret, {**claims, "scope": "calculations admin"}, h)
    r = s.call("GET", "/api/v1/auth/admin/verify", token=mism)
    C.check(refused(r, "INVALID_TOKEN") and "match" in error_message(r), "claims differ from the record")
    r = s.positions(sign(s.secret, {**claims, "exp": now - 3600, "iat": now - 7200}, h))
    C.check(refused(r, "TOKEN_EXPIRED") and error_message(r) == "Token has expired", "expired")
    r = s.positions(sign(s.secret, {**claims, "nbf": now + 3600}, h))
    C.check(refused(r, "INVALID_TOKEN"), "not yet valid (nbf)")
    r = s.positions(sign(s.secret, {**claims, "iat": now + 3600}, h))
    C.check(refused(r, "INVALID_TOKEN"), "issued in the future")
    for typ in ("refresh", None, "ACCESS"):
        c2 = {k: v for k, v in claims.items() if k != "type"}
        if typ:
            c2["type"] = typ
        r = s.positions(sign(s.secret, c2, h))
        C.check(refused(r, "INVALID_TOKEN"), f"type {typ!r} refused")
    C.check(s.positions(real).status_code == 200, "the real token still works")


def users_gone_or_inactive(s):
    admin = s.admin_token()
    s.call("PUT", "/api/v1/auth/admin/registration-settings", token=admin,
           json={"allow_user_registration": True})
    for name in ("ivy", "dan"):
        r = s.call("POST", "/api/v1/auth/register",
                   json={"email": f"{name}@example.com", "username": name, "password": name * 4 + "-pass"})
        C.check(r.status_code == 201, f"register {name}")
    ivy_svc = s.mint("--user", "ivy")["service_token"]
    ivy = s.login("ivy", "ivyivyivyivy-pass")
    C.check(s.positions(ivy_svc).status_code == 200 and s.positions(ivy["access_token"]).status_code == 200,
            "ivy's tokens work")
    p = s.cli("admin", "deactivate", "ivy")
    C.check(p.returncode == 0, "deactivate")
    for tok, what in ((ivy_svc, "service"), (ivy["access_token"], "access")):
        r = s.positions(tok)
        C.check(refused(r, "INVALID_TOKEN") and "inactive" in error_message(r), f"inactive user, {what} token")
    r = s.call("POST", "/api/v1/auth/refresh", json={"refresh_token": ivy["refresh_token"]})
    C.check(r.status_code == 401, "inactive user cannot refresh")
    s.cli("admin", "activate", "ivy")
    C.check(s.positions(ivy_svc).status_code == 200, "reactivated: works again")
    dan_svc = s.mint("--user", "dan")["service_token"]
    dan = s.login("dan", "dandandandan-pass")
    with s.db() as db:
        db.execute("DELETE FROM users WHERE username = 'dan'")
    for tok, what in ((dan_svc, "service"), (dan["access_token"], "access")):
        r = s.positions(tok)
        C.check(refused(r, "INVALID_TOKEN") and "no longer exists" in error_message(r), f"deleted user, {what}")
    r = s.call("POST", "/api/v1/auth/login", data={"username": "dan", "password": "dandandandan-pass"})
    C.check(r.status_code == 401, "deleted user cannot log in")
    return ivy


def escalation(s, ivy):
    calc = s.service_token()
    for path in ("/api/v1/auth/admin/verify", "/api/v1/auth/admin/service-tokens",
                 "/api/v1/auth/admin/registration-settings", "/metrics"):
        r = s.call("GET", path, token=calc)
        C.check(r.status_code == 403 and error_code(r) == "FORBIDDEN" and "admin" in error_message(r),
                f"calculations token on {path}: {r.status_code}")
        C.check('error="insufficient_scope"' in r.headers.get("WWW-Authenticate", ""), "RFC 6750 header")
    admin_only = s.mint("--scope", "admin")["service_token"]
    C.check(s.positions(admin_only).status_code == 200, "admin grants every scope (calculations too)")
    C.check(s.call("GET", "/api/v1/auth/admin/verify", token=admin_only).status_code == 200, "admin-only on admin")
    with s.db() as db:
        db.execute("UPDATE users SET is_superuser = 0 WHERE username = 'admin'")
    r = s.positions(admin_only)
    C.check(r.status_code == 403 and "'calculations' scope" in error_message(r),
            "an admin-only token of a demoted user reaches nothing")
    with s.db() as db:
        db.execute("UPDATE users SET is_superuser = 1 WHERE username = 'admin'")
    # A user's access token with "admin" claimed (signed with the real key): the user is no superuser.
    ivy = s.login("ivy", "ivyivyivyivy-pass")
    h, cl = decode(ivy["access_token"])
    r = s.call("GET", "/api/v1/auth/admin/verify", token=sign(s.secret, {**cl, "scope": "calculations admin"}, h))
    C.check(r.status_code == 403, f"user token claiming admin: {r.status_code}")
    p = s.cli("token", "create", "--user", "ivy", "--scope", "admin")
    C.check(p.returncode != 0 and "administrator" in p.stderr, "no admin-scope token for a non-admin")
    both = s.mint("--scope", "calculations admin")
    with s.db() as db:
        db.execute("UPDATE users SET is_superuser = 0 WHERE username = 'admin'")
    r = s.call("GET", "/api/v1/auth/admin/verify", token=both["service_token"])
    C.check(r.status_code == 403, "admin scope lapses when the owner is no longer admin")
    C.check(s.positions(both["service_token"]).status_code == 200, "calculations part still works")
    with s.db() as db:
        db.execute("UPDATE users SET is_superuser = 1 WHERE username = 'admin'")
    r = s.call("POST", "/api/v1/auth/service-token/refresh", token=s.admin_token())
    C.check(r.status_code == 403, "access token cannot renew")


def injection(s):
    admin = s.admin_token()
    before = len(s.call("GET", "/api/v1/auth/admin/service-tokens", token=admin).json()["data"])
    statuses = []
    for i, e in enumerate(EVIL):
        reqs = [
            ("POST", "/api/v1/auth/register", {"json": {"email": e, "username": f"u{i}", "password": "p" * 14}}),
            ("POST", "/api/v1/auth/register", {"json": {"email": f"x{i}@example.com", "username": e, "password": "p" * 14}}),
            ("POST", "/api/v1/auth/register", {"json": {"email": f"y{i}@example.com", "username": f"y{i}", "password": e * 3}}),
            ("POST", "/api/v1/auth/login", {"data": {"username": e, "password": e}}),
            ("POST", "/api/v1/auth/login", {"json": {"username": "ivy", "password": e}}),
            ("POST", "/api/v1/auth/refresh", {"json": {"refresh_token": e}}),
            ("POST", "/api/v1/auth/refresh?refresh_token=" + urllib.parse.quote(e), {}),
            ("POST", "/api/v1/auth/logout", {"data": {"refresh_token": e}}),  # 200: no oracle
            ("POST", "/api/v1/auth/admin/service-tokens", {"token": admin, "json": {"scope": e}}),
            ("GET", "/api/v1/auth/admin/service-tokens/" + urllib.parse.quote(e, safe=""), {"token": admin}),
            ("DELETE", "/api/v1/auth/admin/service-tokens/" + urllib.parse.quote(e, safe=""), {"token": admin}),
            ("PUT", "/api/v1/auth/admin/registration-settings", {"token": admin, "json": {e: True}}),
            ("GET", "/api/v1/auth/me", {"token": e}),
        ]
        for method, path, kw in reqs:
            r = s.call(method, path, **kw)
            statuses.append(r.status_code)
            expect_ok = path.endswith("/logout") and "\u0000" not in e
            C.check((r.status_code == 200 if expect_ok else 400 <= r.status_code < 500) and
                    r.headers.get("Content-Type") == "application/json",
                    f"{method} {path[:60]} with {e!r}: {r.status_code} {r.text[:120]}")
        # Free-text fields store the string as data and give it back unchanged.
        if "\u0000" in e:
            continue
        r = s.call("POST", "/api/v1/auth/register",
                   json={"email": f"n{i}@example.com", "username": f"name{i}", "password": "p" * 14,
                         "first_name": e, "last_name": e})
        C.check(r.status_code == 201 and r.json()["data"]["first_name"] == e,
                f"name {e!r} kept verbatim: {r.status_code} {r.text[:200]}")
        r = s.call("POST", "/api/v1/auth/admin/service-tokens", token=admin, json={"description": e})
        tid = r.json()["data"]["token_id"]
        got = s.call("GET", f"/api/v1/auth/admin/service-tokens/{tid}", token=admin).json()["data"]
        C.check(got["description"] == e, f"description {e!r} kept verbatim")
    C.check(500 not in statuses and 503 not in statuses, "no server error")
    after = s.call("GET", "/api/v1/auth/admin/service-tokens", token=admin).json()["data"]
    C.check(len(after) == before + len(EVIL) - 1, f"token table intact: {before} -> {len(after)}")
    with s.db() as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    C.check({"users", "service_tokens", "sessions", "refresh_tokens", "settings"} <= names, "tables intact")
    C.check(s.login()["user"]["username"] == "admin", "admin still logs in")


def registration_race(s):
    results = []

    def reg(i, same_username):
        r = s.call("POST", "/api/v1/auth/register",
                   json={"email": "race@example.com" if same_username else f"race{i}@example.com",
                         "username": "racer" if same_username else f"racer{i}x",
                         "password": f"password number {i}"})
        results.append(r.status_code)

    for same in (True, False):
        results.clear()
        if not same:  # same username, different emails
            threads = [threading.Thread(target=lambda i=i: results.append(s.call(
                "POST", "/api/v1/auth/register",
                json={"email": f"race{i}@example.com", "username": "samename",
                      "password": f"password number {i}"}).status_code)) for i in range(12)]
        else:
            threads = [threading.Thread(target=reg, args=(i, True)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        C.check(results.count(201) == 1 and results.count(409) == 11,
                f"duplicate registration race ({'email' if same else 'username'}): {sorted(results)}")


def throttling():
    env = {"NOCTURNA_LOGIN_MAX_FAILURES": "3", "NOCTURNA_LOGIN_MAX_FAILURES_PER_IP": "8"}
    with IdServer(env=env) as s:
        codes = [s.call("POST", "/api/v1/auth/login", data={"username": "admin", "password": f"bad-{i}"}).status_code
                 for i in range(3)]
        C.check(codes == [401, 401, 401], f"three failures: {codes}")
        r = s.call("POST", "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PW})
        wait = int(r.headers.get("Retry-After", "0"))
        C.check(r.status_code == 429 and error_code(r) == "RATE_LIMITED" and wait >= 1,
                f"locked: even the right password waits: {r.status_code} {wait}")
        r = s.call("POST", "/api/v1/auth/login", data={"username": "ADMIN@nocturna.local", "password": "x" * 12})
        C.check(r.status_code == 401, "the email is another key (fresh account name)")
        time.sleep(wait + 0.2)
        r = s.call("POST", "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PW})
        C.check(r.status_code == 200, f"after Retry-After the right password works: {r.status_code}")
        codes = [s.call("POST", "/api/v1/auth/login", data={"username": f"nobody{i}", "password": "x" * 12}).status_code
                 for i in range(8)]
        r = s.call("POST", "/api/v1/auth/login", data={"username": "someone-new", "password": "x" * 12})
        C.check(r.status_code == 429 and int(r.headers.get("Retry-After", "0")) >= 1,
                f"per-address limit across accounts: {codes} then {r.status_code}")


# Injection strings make many failed logins from one address: keep that limit out of the way here.
with IdServer(env={"NOCTURNA_LOGIN_MAX_FAILURES_PER_IP": "100000"}) as s:
    t0 = time.monotonic()
    real = s.service_token()
    forged(s, real)
    ivy = users_gone_or_inactive(s)
    escalation(s, ivy)
    injection(s)
    registration_race(s)
    print(f"identity_security: {time.monotonic() - t0:.1f} s")
throttling()

C.finish()
