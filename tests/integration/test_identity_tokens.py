"""Service tokens end to end: the admin API (create, list, get, revoke), renewal through
POST /api/auth/service-token/refresh (old token kept or revoked), last_used_at, and the
command line against the running server's data: token create --json, list, revoke (refused at
once by the server), inspect (with and without the key), renew (only inside the window,
atomic 0600 file, "Token renewal complete" exactly when renewed, env files), admin and migrate."""
import json
import os
import stat
import tempfile
import time

from identity_harness import Checks, IdServer, arm_timeout, decode, error_code, error_message

arm_timeout(600)
C = Checks("identity_tokens")
TOKENS = "/api/v1/auth/admin/service-tokens"


def api_tokens(s):
    admin = s.admin_token()
    r = s.call("POST", TOKENS, token=admin)
    C.check(r.status_code == 201, f"create with no body: {r.status_code} {r.text[:300]}")
    d = r.json()["data"]
    C.check(d["scope"] == "calculations" and d["expires_in_days"] in (29, 30) and not d["eternal"],
            f"defaults {d}")
    h, cl = decode(d["service_token"])
    C.check(cl["exp"] - cl["iat"] == 30 * 86400 and cl["token_id"] == d["token_id"] and
            cl["type"] == "service", f"claims {cl}")
    C.check(s.positions(d["service_token"]).status_code == 200, "API token works")
    r = s.call("POST", TOKENS, token=admin,
               json={"days": 90, "scope": "calculations,admin", "description": "backend B"})
    b = r.json()["data"]
    C.check(r.status_code == 201 and b["scope"] == "calculations admin" and
            b["expires_in_days"] in (89, 90) and b["description"] == "backend B", f"90 days {b}")
    C.check(s.call("GET", "/api/v1/auth/admin/verify", token=b["service_token"]).status_code == 200,
            "admin-scope service token reaches admin endpoints")
    r = s.call("POST", TOKENS, token=admin, json={"eternal": True})
    e = r.json()["data"]
    C.check(r.status_code == 201 and e["expires_at"] is None and "exp" not in decode(e["service_token"])[1],
            f"eternal token {e}")
    C.check(s.positions(e["service_token"]).status_code == 200, "eternal token works")
    for body, field in (({"days": 0}, "days"), ({"days": 10, "eternal": True}, "days"),
                        ({"scope": "root"}, "scope"), ({"days": "30"}, "days"),
                        ({"days": 3651}, "days"), ({"scope": ""}, "scope"),
                        ({"description": "x" * 300}, "description")):
        r = s.call("POST", TOKENS, token=admin, json=body)
        C.check(r.status_code == 400 and r.json()["error"]["details"]["field"] == field,
                f"bad create {body}: {r.status_code} {r.text[:200]}")
    r = s.call("POST", TOKENS, token=d["service_token"], json={})
    C.check(r.status_code == 403 and "'admin' scope" in error_message(r),
            "a calculations token cannot create tokens")
    r = s.call("GET", TOKENS, token=admin)
    ids = [t["token_id"] for t in r.json()["data"]]
    C.check(r.status_code == 200 and all(x in ids for x in (d["token_id"], b["token_id"], e["token_id"])),
            "list has the new tokens")
    C.check(len(ids) == len(set(ids)), "no duplicates in the list")
    one = s.call("GET", f"{TOKENS}/{d['token_id']}", token=admin).json()["data"]
    C.check(one["status"] == "active" and one["last_used_at"] is not None and
            one["user_id"] == cl["sub"], f"get one: {one}")
    r = s.call("GET", f"{TOKENS}/00000000-0000-0000-0000-000000000000", token=admin)
    C.check(r.status_code == 404 and error_message(r) == "Service token not found", "unknown id")
    r = s.call("DELETE", f"/api/auth/admin/service-tokens/{d['token_id']}", token=admin)
    C.check(r.status_code == 200 and r.json()["data"]["revoked"], f"revoke: {r.text[:200]}")
    r = s.positions(d["service_token"])
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED", "revoked at once")
    r = s.call("GET", "/health", token=d["service_token"])
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED", "health says revoked")
    r = s.call("DELETE", f"{TOKENS}/nope", token=admin)
    C.check(r.status_code == 404, "revoke unknown")
    r = s.call("PATCH", f"{TOKENS}/{d['token_id']}", token=admin)
    C.check(r.status_code == 405 and "DELETE" in r.headers.get("Allow", ""), "405 with Allow")
    return b, e


def renewal_endpoint(s, eternal):
    t = s.mint("--days", "20", "--description", "renew me")
    old = t["service_token"]
    r = s.call("POST", "/api/v1/auth/service-token/refresh", token=old)
    C.check(r.status_code == 200, f"renew: {r.status_code} {r.text[:300]}")
    n = r.json()["data"]
    C.check(n["renewed_from"] == t["token_id"] and not n["old_token_revoked"] and
            n["expires_in_days"] in (19, 20) and n["description"] == "renew me" and
            n["scope"] == "calculations", f"renewed {n}")
    C.check(s.positions(old).status_code == 200 and s.positions(n["service_token"]).status_code == 200,
            "old and new both valid")
    r = s.call("POST", "/api/auth/service-token/refresh", token=n["service_token"],
               json={"revoke_old": True, "days": 45})
    m = r.json()["data"]
    C.check(r.status_code == 200 and m["old_token_revoked"] and m["expires_in_days"] in (44, 45),
            f"renew with revoke_old: {r.text[:300]}")
    r = s.positions(n["service_token"])
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED", "revoke_old takes effect")
    C.check(s.positions(m["service_token"]).status_code == 200, "newest works")
    r = s.call("POST", "/api/v1/auth/service-token/refresh", token=n["service_token"])
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED", "a revoked token cannot renew")
    r = s.call("POST", "/api/v1/auth/service-token/refresh", token=s.admin_token())
    C.check(r.status_code == 403 and "Only a service token" in error_message(r),
            "an access token cannot renew a service token")
    r = s.call("POST", "/api/v1/auth/service-token/refresh", token=eternal["service_token"])
    C.check(r.status_code == 400, "an eternal token is not renewed")
    r = s.call("POST", "/api/v1/auth/service-token/refresh", token=old, json={"revoke_old": "yes"})
    C.check(r.status_code == 400, "revoke_old must be a boolean")
    r = s.call("POST", "/api/v1/auth/service-token/refresh")
    C.check(r.status_code == 401 and error_code(r) == "AUTH_REQUIRED", "renew needs a token")


def cli_tokens(s):
    t = s.mint("--scope", "calculations", "--description", "cli")
    C.check(set(t) >= {"service_token", "token_id", "scope", "expires_at"} and
            t["expires_in_days"] == 30, f"create --json: {t}")
    C.check(s.positions(t["service_token"]).status_code == 200, "CLI token accepted by the server")
    p = s.cli("token", "list", "--json")
    listed = [x for x in json.loads(p.stdout) if x["token_id"] == t["token_id"]]
    C.check(p.returncode == 0 and len(listed) == 1 and listed[0]["status"] == "active",
            "listed exactly once")
    p = s.cli("token", "list")
    C.check(p.returncode == 0 and t["token_id"] in p.stdout and "TOKEN ID" in p.stdout, "text list")
    p = s.cli("token", "inspect", t["service_token"])
    C.check(p.returncode == 0 and ("VALID (30 days left)" in p.stdout or "VALID (29 days left)" in p.stdout)
            and "Signature:  valid" in p.stdout
            and "Record:     active" in p.stdout, f"inspect: {p.stdout}")
    p = s.cli("token", "inspect", t["service_token"],
              env={"NOCTURNA_SECRET_KEY": None, "NOCTURNA_DATA_DIR": os.path.join(s.tmp, "nowhere")})
    C.check(p.returncode == 0 and " days left)" in p.stdout and "not checked" in p.stdout,
            f"inspect without the key: {p.returncode} {p.stdout} {p.stderr}")
    C.check(not os.path.exists(os.path.join(s.tmp, "nowhere")), "inspect creates nothing")
    p = s.cli("token", "revoke", t["token_id"])
    C.check(p.returncode == 0 and f"Service token {t['token_id']} revoked" in p.stdout, "CLI revoke")
    r = s.positions(t["service_token"])
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED", "server refuses a CLI-revoked token at once")
    p = s.cli("token", "inspect", "--json", t["service_token"])
    C.check(p.returncode == 1 and json.loads(p.stdout)["record"] == "REVOKED", "inspect shows revoked")
    p = s.cli("token", "revoke", "no-such-token")
    C.check(p.returncode == 1, "revoke unknown: exit 1")
    p = s.cli("token", "create", "--days", "0")
    C.check(p.returncode == 2, "--days 0 refused")
    p = s.cli("token", "create", "--days", "5", "--eternal")
    C.check(p.returncode == 2, "--days with --eternal refused")
    e = s.mint("--eternal")
    C.check(e["expires_at"] is None and "exp" not in decode(e["service_token"])[1], "CLI eternal")
    p = s.cli("token", "create", "--scope", "admin", "--user", "nobody@example.com")
    C.check(p.returncode != 0 and "no user" in p.stderr, "unknown owner")


def cli_renew(s):
    d = tempfile.mkdtemp(dir=s.tmp)
    path = os.path.join(d, "token")
    t = s.mint("--days", "30", "--output", path)
    C.check(t["service_token"] is None, "--output keeps the token off stdout")
    with open(path) as f:
        first = f.read().strip()
    C.check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "--output mode 0600")
    p = s.cli("token", "renew", "--token-file", path)
    C.check(p.returncode == 0 and "Renewal not needed (threshold: 7 days)" in p.stdout and
            "Token renewal complete" not in p.stdout, f"not due: {p.stdout}")
    with open(path) as f:
        C.check(f.read().strip() == first, "file untouched when not due")
    p = s.cli("token", "renew", "--token-file", path, "--days-before-expiry", "31")
    C.check(p.returncode == 0 and p.stdout.count("Token renewal complete") == 1,
            f"due within 31 days: {p.stdout} {p.stderr}")
    with open(path) as f:
        second = f.read().strip()
    C.check(second != first and stat.S_IMODE(os.stat(path).st_mode) == 0o600, "replaced, 0600")
    C.check(os.listdir(d) == ["token"], f"no temporary files left: {os.listdir(d)}")
    C.check(decode(second)[1]["exp"] - decode(second)[1]["iat"] == 30 * 86400, "same lifetime")
    C.check(s.positions(second).status_code == 200 and s.positions(first).status_code == 200,
            "new works, old kept")
    p = s.cli("token", "renew", "--token-file", path, "--force", "--revoke-old")
    C.check(p.returncode == 0 and "Token renewal complete" in p.stdout, "forced renewal")
    with open(path) as f:
        third = f.read().strip()
    r = s.positions(second)
    C.check(r.status_code == 401 and error_code(r) == "TOKEN_REVOKED", "--revoke-old revokes")
    C.check(s.positions(third).status_code == 200, "third works")
    with open(path, "w") as f:
        f.write(second + "\n")
    p = s.cli("token", "renew", "--token-file", path, "--force")
    C.check(p.returncode != 0 and "Token renewal complete" not in p.stdout and "revoked" in p.stderr,
            f"a revoked token is not renewed: {p.returncode} {p.stdout} {p.stderr}")
    env_path = os.path.join(d, "backend.env")
    with open(env_path, "w") as f:
        f.write(f"API_URL=http://x\nexport NOCTURNA_SERVICE_TOKEN=\"{third}\"\nOTHER=1\n")
    p = s.cli("token", "renew", "--token-file", env_path, "--force")
    with open(env_path) as f:
        lines = f.read().splitlines()
    C.check(p.returncode == 0 and "Token renewal complete" in p.stdout and lines[0] == "API_URL=http://x"
            and lines[2] == "OTHER=1" and lines[1].startswith('export NOCTURNA_SERVICE_TOKEN="ey')
            and third not in lines[1], f"env file renewal: {lines}")
    with open(path, "w") as f:
        f.write("not a token\n")
    p = s.cli("token", "renew", "--token-file", path)
    C.check(p.returncode != 0 and "Token renewal complete" not in p.stdout, "garbage file refused")


def cli_admin_migrate(s):
    p = s.cli("admin", "create", "--email", "ops@example.com", "--username", "ops",
              "--password-stdin", stdin="ops password 123\n")
    C.check(p.returncode == 0 and "Created administrator ops" in p.stdout and
            "Password" not in p.stdout, f"admin create: {p.stdout} {p.stderr}")
    C.check(s.login("ops", "ops password 123")["user"]["is_superuser"], "new admin logs in")
    p = s.cli("admin", "create", "--email", "ops@example.com", "--username", "ops2",
              "--password-stdin", stdin="ops password 123\n")
    C.check(p.returncode == 1 and "already registered" in p.stderr, "duplicate admin")
    p = s.cli("admin", "create", "--email", "gen@example.com", "--username", "gen",
              env={"NOCTURNA_ADMIN_PASSWORD": ""})
    pw = [ln.split(": ", 1)[1] for ln in p.stdout.splitlines() if ln.startswith("Password")]
    C.check(p.returncode == 0 and len(pw) == 1 and len(pw[0]) == 20, "generated password printed once")
    C.check(s.login("gen", pw[0])["user"]["username"] == "gen", "generated password works")
    p = s.cli("admin", "list", "--json")
    names = {u["username"] for u in json.loads(p.stdout)}
    C.check(p.returncode == 0 and {"admin", "ops", "gen"} <= names, f"admin list {names}")
    p = s.cli("migrate")
    C.check(p.returncode == 0 and "Schema version 2 -> 2" in p.stdout, f"migrate: {p.stdout}")
    p = s.cli("migrate", "--status")
    C.check(p.returncode == 0 and "up to date" in p.stdout, "migrate --status")


with IdServer() as s:
    t0 = time.monotonic()
    b, eternal = api_tokens(s)
    renewal_endpoint(s, eternal)
    cli_tokens(s)
    cli_renew(s)
    cli_admin_migrate(s)
    print(f"identity_tokens: {time.monotonic() - t0:.1f} s")

C.finish()
