"""Concurrency: four admin threads create service tokens and revoke every other one through the
API while 64 keep-alive connections make authenticated calls with the live tokens (and with
the revoked ones, once their revocation was answered). Afterwards: no crash or sanitizer
report, every created token listed exactly once (API and command line), every revoked one
refused and every kept one accepted."""
import http.client
import json
import random
import threading
import time

from identity_harness import BIRTH, POSITIONS, Checks, IdServer, arm_timeout, error_code

arm_timeout(600)
C = Checks("identity_concurrency")
MANAGERS, PER_MANAGER, CONNECTIONS, CALL_SECONDS = 4, 16, 64, 8.0

lock = threading.Lock()
live, revoked, created = [], [], []
problems = []
counts = {"ok": 0, "refused": 0}
stop = threading.Event()


def note(msg):
    with lock:
        if len(problems) < 20:
            problems.append(msg)


def manager(s, admin, idx):
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    hdr = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    for i in range(PER_MANAGER):
        conn.request("POST", "/api/v1/auth/admin/service-tokens",
                     body=json.dumps({"description": f"m{idx}-{i}", "days": 1 + i}), headers=hdr)
        r = conn.getresponse()
        body = json.loads(r.read())
        if r.status != 201:
            note(f"create: {r.status} {body}")
            continue
        tok, tid = body["data"]["service_token"], body["data"]["token_id"]
        with lock:
            created.append(tid)
        if i % 2 == 0:
            with lock:
                live.append(tok)
            continue
        conn.request("DELETE", f"/api/v1/auth/admin/service-tokens/{tid}", headers=hdr)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            note(f"revoke: {r.status}")
            continue
        with lock:
            revoked.append((tid, tok))
        # Refused at once, by the very next request.
        conn.request("GET", "/health", headers={"Authorization": f"Bearer {tok}"})
        r = conn.getresponse()
        b = json.loads(r.read())
        if r.status != 401 or b["error"]["code"] != "TOKEN_REVOKED":
            note(f"revoked token answered {r.status}")
    conn.close()


def caller(s, seed):
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    body = json.dumps(BIRTH)
    while not stop.is_set():
        with lock:
            use_revoked = bool(revoked) and rnd.random() < 0.2
            tok = rnd.choice(revoked)[1] if use_revoked else rnd.choice(live)
        heavy = rnd.random() < 0.1
        try:
            if heavy:
                conn.request("POST", POSITIONS, body=body, headers={
                    "Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
            else:
                conn.request("GET", "/health", headers={"Authorization": f"Bearer {tok}"})
            r = conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            note(f"connection error: {e!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            continue
        want = 401 if use_revoked else 200
        if r.status != want or (use_revoked and json.loads(data)["error"]["code"] != "TOKEN_REVOKED"):
            note(f"{'revoked' if use_revoked else 'live'} token: {r.status} {data[:120]!r}")
        with lock:
            counts["refused" if use_revoked else "ok"] += 1
    conn.close()


with IdServer() as s:
    t0 = time.monotonic()
    admin = s.admin_token()
    live.append(s.service_token())
    callers = [threading.Thread(target=caller, args=(s, i)) for i in range(CONNECTIONS)]
    managers = [threading.Thread(target=manager, args=(s, admin, i)) for i in range(MANAGERS)]
    for t in callers + managers:
        t.start()
    for t in managers:
        t.join()
    time.sleep(max(0.0, CALL_SECONDS - (time.monotonic() - t0)))
    stop.set()
    for t in callers:
        t.join()
    C.check(not problems, f"problems during the run: {problems}")
    C.check(len(created) == MANAGERS * PER_MANAGER, f"created {len(created)}")
    C.check(counts["ok"] > 500 and counts["refused"] > 50, f"calls made: {counts}")
    listed = [t["token_id"] for t in s.call("GET", "/api/v1/auth/admin/service-tokens", token=admin).json()["data"]]
    C.check(all(listed.count(t) == 1 for t in created), "every created token listed exactly once (API)")
    p = s.cli("token", "list", "--json")
    by_id = {t["token_id"]: t for t in json.loads(p.stdout)}
    C.check(p.returncode == 0 and len(by_id) == len(json.loads(p.stdout)) and
            all(t in by_id for t in created), "listed exactly once (command line)")
    rev_ids = {tid for tid, _ in revoked}
    C.check(len(rev_ids) == MANAGERS * PER_MANAGER // 2 and
            all(by_id[t]["status"] == "revoked" for t in rev_ids) and
            all(by_id[t]["status"] in ("active", "expiring") for t in created if t not in rev_ids),
            "statuses match what was revoked")
    bad = [tid for tid, tok in revoked if error_code(s.positions(tok)) != "TOKEN_REVOKED"]
    C.check(not bad, f"every revoked token refused: {bad}")
    C.check(all(s.positions(tok).status_code == 200 for tok in live), "every kept token accepted")
    used = sum(1 for t in by_id.values() if t["last_used_at"])
    C.check(used >= len(live) - 1, f"last_used_at written for used tokens: {used}")
    print(f"identity_concurrency: {counts} in {time.monotonic() - t0:.1f} s")

C.finish()
