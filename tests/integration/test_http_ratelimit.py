"""Rate limiting: X-RateLimit-* on every answer, 429 RATE_LIMITED with Retry-After once the
bucket is empty, success after waiting Retry-After, buckets per token (and per address when
unauthenticated), and urllib3's Retry honouring Retry-After as the guide's session does."""
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from http_harness import GUIDE_BIRTH, Checks, Server, arm_timeout

arm_timeout(120)
t = Checks("http_ratelimit")
PP = "/api/v1/calculations/planetary-positions"
BODY = {**GUIDE_BIRTH, "planets": ["SUN"]}


def post(srv, tok):
    return requests.post(srv.url(PP), json=BODY, headers={"Authorization": "Bearer " + tok},
                         timeout=10)


def check_bucket(srv):
    tok = srv.token()
    seen = []
    for _ in range(3):
        r = post(srv, tok)
        seen.append((r.status_code, r.headers.get("X-RateLimit-Limit"),
                     r.headers.get("X-RateLimit-Remaining"), r.headers.get("X-RateLimit-Reset")))
    t.check([s[0] for s in seen] == [200, 200, 200], f"burst of 3 allowed: {seen}")
    t.check([s[1] for s in seen] == ["3", "3", "3"], f"X-RateLimit-Limit = burst: {seen}")
    t.check([s[2] for s in seen] == ["2", "1", "0"], f"X-RateLimit-Remaining counts down: {seen}")
    t.check(all(s[3] is not None and int(s[3]) >= 1 for s in seen), "X-RateLimit-Reset present")
    r = post(srv, tok)
    body = r.json()
    t.check(r.status_code == 429 and body["error"]["code"] == "RATE_LIMITED",
            f"4th request refused: {r.status_code} {body.get('error')}")
    t.check(body["error"]["message"] and body["success"] is False, "429 has error.message")
    retry = r.headers.get("Retry-After")
    t.check(retry is not None and 1 <= int(retry) <= 2, f"Retry-After in seconds: {retry}")
    t.check(r.headers.get("X-RateLimit-Remaining") == "0", "remaining 0 on 429")

    other = post(srv, srv.token())
    t.check(other.status_code == 200, "another token has its own bucket")

    time.sleep(int(retry or 1) + 0.05)
    r = post(srv, tok)
    t.check(r.status_code == 200, f"success after waiting Retry-After: {r.status_code}")


def check_anonymous(srv):
    codes = [requests.get(srv.url("/nope"), timeout=5).status_code for _ in range(4)]
    t.check(codes == [404, 404, 404, 429], f"unauthenticated requests share the address bucket: {codes}")
    time.sleep(1.1)


def check_urllib3_retry(srv):
    """The guide's session: Retry(total=3, backoff_factor=1, status_forcelist=[429, ...])
    sleeps for Retry-After on a 429 and then succeeds (GET is retried by default)."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=3, backoff_factor=1,
                                            status_forcelist=[429, 500, 502, 503, 504]))
    session.mount("http://", adapter)
    session.headers.update({"Authorization": "Bearer " + srv.token()})
    t0 = time.monotonic()
    codes = [session.get(srv.url("/health"), timeout=10).status_code for _ in range(5)]
    elapsed = time.monotonic() - t0
    t.check(codes == [200] * 5, f"all 5 health calls succeed through retries: {codes}")
    t.check(elapsed >= 0.9, f"the client waited for Retry-After ({elapsed:.2f}s)")


def check_metric(srv):
    m = requests.get(srv.url("/metrics"), timeout=5,
                     headers={"Authorization": "Bearer " + srv.token(scope="admin")}).text
    line = [ln for ln in m.splitlines() if ln.startswith("nocturna_rate_limited_total ")]
    t.check(line and int(line[0].split()[1]) >= 2, f"rate-limited counter: {line}")


with Server(env={"NOCTURNA_RATE_LIMIT": "1", "NOCTURNA_RATE_BURST": "3"}) as srv:
    check_bucket(srv)
    check_anonymous(srv)
    check_urllib3_retry(srv)
    check_metric(srv)
    t.check(srv.stop() == 0, "server exits 0")

with Server(env={"NOCTURNA_RATE_LIMIT": "0"}) as srv:
    tok = srv.token()
    codes = {post(srv, tok).status_code for _ in range(30)}
    r = post(srv, tok)
    t.check(codes == {200} and "X-RateLimit-Limit" not in r.headers,
            f"NOCTURNA_RATE_LIMIT=0 disables limiting and its headers: {codes}")
t.finish()
