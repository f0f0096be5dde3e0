"""Identity life cycle against the real server and real clients: first start (admin and a
30-day service token written to <data>/service-token), login (form and JSON, email or
username), me, refresh rotation and reuse detection, logout, registration settings and
registration, admin checks, restart without a second bootstrap, key rotation with kid and
NOCTURNA_PREVIOUS_SECRET_KEYS, and NOCTURNA_ENV=production without a key."""
import os
import stat
import subprocess
import time

from identity_harness import (ADMIN_PW, BIN, Checks, IdServer, arm_timeout, decode, error_code,
                              error_message, kid_of, sign)

arm_timeout(600)
C = Checks("identity_lifecycle")


def first_start(s):
    token = s.service_token()
    mode = stat.S_IMODE(os.stat(os.path.join(s.data, "service-token")).st_mode)
    C.check(mode == 0o600, f"service-token mode {oct(mode)}")
    out = s.out_text()
    C.check("created the administrator 'admin'" in out, f"bootstrap message: {out!r}")
    C.check(f"export NOCTURNA_SERVICE_TOKEN={token}" in out, "printed token = file token")
    C.check(ADMIN_PW not in out, "a password from the environment is not printed")
    header, claims = decode(token)
    C.check(header.get("kid") == kid_of(s.secret), f"kid {header}")
    C.check(claims.get("type") == "service" and claims.get("scope") == "calculations",
            f"claims {claims}")
    C.check(claims["exp"] - claims["iat"] == 30 * 86400, "30-day token")
    C.check(len(claims.get("token_id", "")) == 36, "token_id")
    r = s.positions(token)
    C.check(r.status_code == 200, f"positions with the first-start token: {r.status_code}")
    r = s.call("GET", "/health", token=token)
    tok = r.json()["data"].get("token", {})
    C.check(r.status_code == 200 and tok.get("type") == "service" and
            tok.get("days_left") in (29, 30), f"health token {tok}")
    r = s.call("GET", "/ready")
    C.check(r.status_code == 200 and r.json()["data"]["checks"]["storage"]["ok"],
            f"ready with storage: {r.text[:300]}")
    return token


def logins(s):
    for login, form in (("admin@nocturna.local", True), ("ADMIN", True), ("admin", False)):
        d = s.login(login, form=form)
        h, cl = decode(d["access_token"])
        C.check(cl["type"] == "access" and cl["scope"] == "calculations admin" and
                cl["exp"] - cl["iat"] == 900, f"access claims {cl}")
        C.check(d["expires_in"] == 900 and d["token_type"] == "bearer" and
                d["refresh_expires_in"] == 7 * 86400, f"login answer {d}")
        C.check(d["user"]["is_superuser"] and d["user"]["email"] == "admin@nocturna.local",
                "user in login answer")
    r = s.call("POST", "/api/auth/login", data={"username": "admin", "password": ADMIN_PW})
    C.check(r.status_code == 200, f"legacy /api/auth/login: {r.status_code}")
    r = s.call("POST", "/api/v1/auth/login", data={"username": "admin", "password": "wrong one!"})
    C.check(r.status_code == 401 and error_code(r) == "INVALID_CREDENTIALS" and
            "Bearer" in r.headers.get("WWW-Authenticate", ""), f"bad password: {r.text}")
    r = s.call("POST", "/api/v1/auth/login", data={"username": "nobody", "password": "x" * 20})
    C.check(r.status_code == 401 and error_message(r) == "Incorrect email or password",
            "unknown user answers like a bad password")
    r = s.call("POST", "/api/v1/auth/login",
               data={"username": "admin", "password": ADMIN_PW, "grant_type": "client"})
    C.check(r.status_code == 400, f"grant_type other than password: {r.status_code}")
    r = s.call("POST", "/api/v1/auth/login", data={"username": "admin"})
    C.check(r.status_code == 400 and "password" in error_message(r), "missing password")
    r = s.call("POST", "/api/v1/auth/login", data="username=admin", headers={"Content-Type": "text/plain"})
    C.check(r.status_code == 415, f"text/plain login: {r.status_code}")


def me(s, service_token):
    d = s.login()
    r = s.call("GET", "/api/v1/auth/me", token=d["access_token"])
    body = r.json()["data"]
    C.check(r.status_code == 200 and body["username"] == "admin" and
            body["token"]["type"] == "access", f"me: {r.text[:300]}")
    r = s.call("GET", "/api/auth/me", token=service_token)
    C.check(r.status_code == 200 and r.json()["data"]["token"]["type"] == "service",
            "me with the service token")
    r = s.call("GET", "/api/v1/auth/me")
    C.check(r.status_code == 401 and error_code(r) == "AUTH_REQUIRED", "me without a token")


def refresh_rotation(s):
    d = s.login()
    r = s.call("POST", "/api/v1/auth/refresh", json={"refresh_token": d["refresh_token"]})
    C.check(r.status_code == 200, f"refresh: {r.status_code} {r.text[:200]}")
    d2 = r.json()["data"]
    C.check(d2["refresh_token"] != d["refresh_token"], "refresh token rotated")
    C.check(s.positions(d2["access_token"]).status_code == 200, "new access token works")
    r = s.call("POST", "/api/v1/auth/refresh", json={"refresh_token": d["refresh_token"]})
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED" and
            "already used" in error_message(r), f"reuse refused: {r.text[:200]}")
    r = s.call("POST", "/api/v1/auth/refresh", json={"refresh_token": d2["refresh_token"]})
    C.check(r.status_code == 401, "the whole family is revoked after reuse")
    r = s.positions(d2["access_token"])
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED",
            f"access token of the revoked session: {r.status_code} {error_code(r)}")
    d = s.login()
    r = s.call("POST", "/api/auth/refresh?refresh_token=" + d["refresh_token"])
    C.check(r.status_code == 200, f"refresh with the query parameter: {r.status_code}")
    r = s.call("POST", "/api/v1/auth/refresh",
               data={"grant_type": "refresh_token", "refresh_token": r.json()["data"]["refresh_token"]})
    C.check(r.status_code == 200, f"refresh with a form: {r.status_code}")
    r = s.call("POST", "/api/v1/auth/refresh", json={"refresh_token": "made-up"})
    C.check(r.status_code == 401 and error_code(r) == "INVALID_TOKEN", "unknown refresh token")
    r = s.call("POST", "/api/v1/auth/refresh", json={})
    C.check(r.status_code == 400, "refresh without a token")
    r = s.call("GET", "/api/v1/auth/me", token=d["refresh_token"])
    C.check(r.status_code == 401 and error_code(r) == "INVALID_TOKEN",
            "a refresh token is not a bearer token")


def logout(s, service_token):
    d = s.login()
    r = s.call("POST", "/api/v1/auth/logout", json={"refresh_token": d["refresh_token"]})
    C.check(r.status_code == 200 and r.json()["data"]["session_revoked"], f"logout: {r.text[:200]}")
    r = s.positions(d["access_token"])
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED", "access refused after logout")
    r = s.call("POST", "/api/v1/auth/refresh", json={"refresh_token": d["refresh_token"]})
    C.check(r.status_code == 401, "refresh refused after logout")
    d = s.login()
    r = s.call("POST", "/api/v1/auth/logout", token=d["access_token"])
    C.check(r.status_code == 200, "logout with the access token")
    C.check(s.call("GET", "/api/v1/auth/me", token=d["access_token"]).status_code == 401,
            "that access token is refused")
    r = s.call("POST", "/api/v1/auth/logout", json={"refresh_token": "unknown"})
    C.check(r.status_code == 200 and not r.json()["data"]["session_revoked"], "unknown: 200")
    r = s.call("POST", "/api/v1/auth/logout", token=service_token)
    C.check(r.status_code == 400, "logout does not revoke service tokens")
    C.check(s.positions(service_token).status_code == 200, "service token still works")


def registration(s, service_token):
    admin = s.admin_token()
    r = s.call("GET", "/api/v1/auth/admin/registration-settings", token=admin)
    C.check(r.status_code == 200 and r.json()["data"] == {
        "allow_user_registration": False, "registration_requires_approval": False,
        "max_users_limit": None}, f"default settings: {r.text[:300]}")
    user = {"email": "Jane@Example.com", "username": "jane", "password": "a long enough pw"}
    r = s.call("POST", "/api/v1/auth/register", json=user)
    C.check(r.status_code == 403 and "disabled" in error_message(r), f"registration off: {r.status_code}")
    r = s.call("PUT", "/api/v1/auth/admin/registration-settings", token=service_token,
               json={"allow_user_registration": True})
    C.check(r.status_code == 403 and error_code(r) == "FORBIDDEN", "settings need admin scope")
    r = s.call("PUT", "/api/v1/auth/admin/registration-settings", token=admin,
               json={"allow_user_registration": True})
    C.check(r.status_code == 200 and r.json()["data"]["allow_user_registration"], "switched on")
    r = s.call("PUT", "/api/v1/auth/admin/registration-settings", token=admin, json={"alow": True})
    C.check(r.status_code == 400 and "alow" in error_message(r), "unknown setting refused")
    r = s.call("POST", "/api/v1/auth/register", json={**user, "is_superuser": True})
    C.check(r.status_code == 201, f"register: {r.status_code} {r.text[:300]}")
    u = r.json()["data"]
    C.check(u["email"] == "jane@example.com" and not u["is_superuser"] and u["is_active"],
            f"registered user {u}")
    r = s.call("POST", "/api/v1/auth/register", json={**user, "username": "jane2"})
    C.check(r.status_code == 409 and r.json()["error"]["details"]["field"] == "email",
            f"duplicate email: {r.status_code} {r.text[:200]}")
    r = s.call("POST", "/api/v1/auth/register", json={**user, "email": "j2@example.com", "username": "JANE"})
    C.check(r.status_code == 409 and "Username already taken" in error_message(r), "duplicate username")
    r = s.call("POST", "/api/v1/auth/register",
               json={**user, "email": "j3@example.com", "username": "jane3", "password": "short"})
    C.check(r.status_code == 400 and "at least 12" in error_message(r), "short password")
    jane = s.login("jane", "a long enough pw")
    C.check(jane["scope"] == "calculations", f"user scope {jane['scope']}")
    C.check(s.positions(jane["access_token"]).status_code == 200, "user reaches calculations")
    r = s.call("GET", "/api/v1/auth/admin/verify", token=jane["access_token"])
    C.check(r.status_code == 403 and "'admin' scope" in error_message(r), "user is not admin")
    r = s.call("GET", "/api/v1/auth/admin/verify", token=admin)
    C.check(r.status_code == 200 and r.json()["data"]["is_admin"], "admin verify")
    # Approval: new users are inactive until an admin activates them.
    s.call("PUT", "/api/v1/auth/admin/registration-settings", token=admin,
           json={"registration_requires_approval": True})
    r = s.call("POST", "/api/v1/auth/register",
               json={"email": "kim@example.com", "username": "kim", "password": "kims password!"})
    C.check(r.status_code == 202 and not r.json()["data"]["is_active"], "approval needed: 202")
    r = s.call("POST", "/api/v1/auth/login", data={"username": "kim", "password": "kims password!"})
    C.check(r.status_code == 403 and "inactive" in error_message(r), "inactive user cannot log in")
    p = s.cli("admin", "activate", "kim")
    C.check(p.returncode == 0, f"admin activate: {p.stderr}")
    C.check(s.login("kim", "kims password!")["user"]["is_active"], "activated user logs in")
    # Limit on the number of users.
    r = s.call("PUT", "/api/v1/auth/admin/registration-settings", token=admin,
               json={"max_users_limit": 3, "registration_requires_approval": False})
    C.check(r.json()["data"]["max_users_limit"] == 3, "limit set")
    r = s.call("POST", "/api/v1/auth/register",
               json={"email": "lee@example.com", "username": "lee", "password": "lees password!"})
    C.check(r.status_code == 403 and "Maximum number of users" in error_message(r), "user limit")
    r = s.call("PUT", "/api/v1/auth/admin/registration-settings", token=admin,
               json={"max_users_limit": None, "allow_user_registration": False})
    C.check(r.json()["data"]["max_users_limit"] is None, "limit cleared")


def restart_and_rotation(s, first_token):
    with open(os.path.join(s.data, "service-token")) as f:
        before = f.read()
    C.check(s.stop() == 0, "clean stop")
    s.start()
    C.check("First start" not in s.out_text(), "no second bootstrap")
    with open(os.path.join(s.data, "service-token")) as f:
        C.check(f.read() == before, "token file untouched on restart")
    C.check(s.positions(first_token).status_code == 200, "token survives a restart")
    # Rotation: a new current key, the old one as a previous key.
    old_secret = s.secret
    s.stop()
    s.secret = "n" * 8 + os.urandom(20).hex()
    s.env["NOCTURNA_SECRET_KEY"] = s.secret
    s.env["NOCTURNA_PREVIOUS_SECRET_KEYS"] = old_secret
    s.start()
    C.check(s.positions(first_token).status_code == 200, "old-key token valid after rotation")
    new = s.mint()["service_token"]
    C.check(decode(new)[0]["kid"] == kid_of(s.secret), "new tokens carry the new kid")
    C.check(s.positions(new).status_code == 200, "new-key token valid")
    _, claims = decode(first_token)
    no_kid = sign(old_secret, claims)
    r = s.positions(no_kid)
    C.check(r.status_code == 401, "an old-key token without kid is not tried on previous keys")
    s.stop()
    del s.env["NOCTURNA_PREVIOUS_SECRET_KEYS"]
    s.start()
    r = s.positions(first_token)
    C.check(r.status_code == 401 and error_code(r) == "INVALID_TOKEN", "dropped key: refused")
    C.check(s.positions(new).status_code == 200, "current key still fine")


def production_needs_key(s):
    env = dict(s.env)
    env.pop("NOCTURNA_SECRET_KEY")
    env["NOCTURNA_ENV"] = "production"
    env["NOCTURNA_DATA_DIR"] = os.path.join(s.tmp, "prod-data")
    p = subprocess.run([BIN, "serve", "--port", "0"], env=env, capture_output=True, text=True,
                       timeout=60)
    C.check(p.returncode != 0 and "NOCTURNA_SECRET_KEY" in p.stderr,
            f"production without a key refuses to start: {p.returncode} {p.stderr[-300:]}")
    env["NOCTURNA_SECRET_KEY"] = "short"
    p = subprocess.run([BIN, "serve", "--port", "0"], env=env, capture_output=True, text=True,
                       timeout=60)
    C.check(p.returncode != 0 and "NOCTURNA_SECRET_KEY" in p.stderr, "a short key is refused")


with IdServer() as s:
    t0 = time.monotonic()
    token = first_start(s)
    logins(s)
    me(s, token)
    refresh_rotation(s)
    logout(s, token)
    registration(s, token)
    restart_and_rotation(s, token)
    production_needs_key(s)
    print(f"identity_lifecycle: {time.monotonic() - t0:.1f} s")

C.finish()
