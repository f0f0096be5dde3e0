"""Every error status the guide's error handling meets, with the envelope and headers:
401 missing / invalid / expired (and the guide's 'expired' check), 403, 404, 405 + Allow,
413 (declared, chunked, huge), 415, 400 INVALID_JSON, 431, X-Request-ID, CORS, HEAD."""
import json
import time

import requests

from http_harness import GUIDE_BIRTH, Checks, Server, arm_timeout, raw_request, sign_token

arm_timeout(180)
t = Checks("http_errors")
PP = "/api/v1/calculations/planetary-positions"


def envelope_error(r, status, code, what):
    """Checks status, code, envelope shape and request id; returns the error object."""
    try:
        body = r.json()
    except ValueError:
        t.check(False, f"{what}: body is not JSON: {r.text[:200]!r}")
        return {}
    err = body.get("error") or {}
    t.check(r.status_code == status, f"{what}: status {r.status_code} != {status}")
    t.check(err.get("code") == code, f"{what}: code {err.get('code')} != {code}")
    t.check(body.get("success") is False and body.get("data") is None and
            isinstance(err.get("message"), str) and err["message"],
            f"{what}: envelope with error.message: {body}")
    t.check(body.get("meta", {}).get("request_id") == r.headers.get("X-Request-ID"),
            f"{what}: meta.request_id matches the X-Request-ID header")
    return err


def check_auth(srv):
    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10)
    envelope_error(r, 401, "AUTH_REQUIRED", "no token")
    t.check(r.headers.get("WWW-Authenticate") == 'Bearer realm="nocturna"',
            f"missing token challenge: {r.headers.get('WWW-Authenticate')}")

    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                      headers={"Authorization": "Bearer " + srv.token(ttl=-120)})
    err = envelope_error(r, 401, "TOKEN_EXPIRED", "expired token")
    t.check(err.get("message") == "Token has expired", f"expired message: {err.get('message')}")
    t.check("expired" in err.get("message", "").lower(), "the guide's 'expired' check matches")
    www = r.headers.get("WWW-Authenticate", "")
    t.check('error="invalid_token"' in www and 'error_description="Token has expired"' in www,
            f"expired challenge: {www}")

    bad = [
        ("bad signature", srv.token()[:-3] + "AAA"),
        ("other key", sign_token("x" * 40, {"sub": "a", "exp": int(time.time()) + 60})),
        ("alg none", sign_token(srv.secret, {"sub": "a"}, {"alg": "none", "typ": "JWT"})),
        ("garbage", "not.a.token"),
        ("not yet valid", srv.token(nbf=int(time.time()) + 3600)),
    ]
    for what, tok in bad:
        r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                          headers={"Authorization": "Bearer " + tok})
        err = envelope_error(r, 401, "INVALID_TOKEN", what)
        t.check("expired" not in err.get("message", "").lower(),
                f"{what}: message must not say expired: {err.get('message')}")
        t.check('error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
                f"{what}: invalid_token challenge")
    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                      headers={"Authorization": "Basic dXNlcjpwYXNz"})
    envelope_error(r, 401, "INVALID_TOKEN", "Basic scheme")

    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                      headers={"Authorization": "Bearer " + srv.token(scope="reports")})
    envelope_error(r, 403, "FORBIDDEN", "token without the calculations scope")
    t.check('error="insufficient_scope"' in r.headers.get("WWW-Authenticate", ""),
            "403 challenge says insufficient_scope")
    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                      headers={"Authorization": "bearer " + srv.token(scope="admin")})
    t.check(r.status_code == 200, f"admin scope and lower-case scheme accepted: {r.status_code}")


def check_routes(srv, auth):
    r = requests.get(srv.url("/api/v1/nope"), timeout=10)
    envelope_error(r, 404, "NOT_FOUND", "unknown path")
    r = requests.get(srv.url("/api/v1/calculations/planetary-positions"), headers=auth, timeout=10)
    envelope_error(r, 405, "METHOD_NOT_ALLOWED", "GET on a POST endpoint")
    t.check(r.headers.get("Allow") == "POST, OPTIONS", f"Allow: {r.headers.get('Allow')}")
    r = requests.delete(srv.url("/health"), timeout=10)
    envelope_error(r, 405, "METHOD_NOT_ALLOWED", "DELETE /health")
    t.check(r.headers.get("Allow") == "GET, HEAD, OPTIONS", f"health Allow: {r.headers.get('Allow')}")
    r = requests.head(srv.url("/health"), timeout=10)
    t.check(r.status_code == 200 and r.content == b"", "HEAD /health: 200 without body")
    r = requests.post(srv.url(PP + "/"), json=GUIDE_BIRTH, headers=auth, timeout=10)
    t.check(r.status_code == 200, f"trailing slash accepted: {r.status_code}")


def check_bodies(srv, auth):
    r = requests.post(srv.url(PP), data=b'{"date": "1990-01-15", ', timeout=10,
                      headers={**auth, "Content-Type": "application/json"})
    envelope_error(r, 400, "INVALID_JSON", "truncated JSON")
    r = requests.post(srv.url(PP), data=b"", timeout=10,
                      headers={**auth, "Content-Type": "application/json"})
    envelope_error(r, 400, "INVALID_JSON", "empty body")
    r = requests.post(srv.url(PP), json={**GUIDE_BIRTH, "latitude": 91}, headers=auth, timeout=10)
    err = envelope_error(r, 400, "VALIDATION_ERROR", "latitude 91")
    t.check((err.get("details") or {}).get("field") == "latitude", f"field named: {err}")

    for ct in ["text/plain", "application/x-www-form-urlencoded", None,
               "application/json; charset=latin-1", "application/jsonx"]:
        h = dict(auth)
        if ct:
            h["Content-Type"] = ct
        r = requests.post(srv.url(PP), data=json.dumps(GUIDE_BIRTH).encode(), headers=h, timeout=10)
        envelope_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", f"Content-Type {ct}")
    for ct in ["application/json; charset=utf-8", "Application/JSON;charset=UTF-8"]:
        r = requests.post(srv.url(PP), data=json.dumps(GUIDE_BIRTH).encode(), timeout=10,
                          headers={**auth, "Content-Type": ct})
        t.check(r.status_code == 200, f"Content-Type {ct} accepted: {r.status_code}")

    big = json.dumps({**GUIDE_BIRTH, "pad": "x" * 100_000}).encode()
    s = requests.Session()
    r = s.post(srv.url(PP), data=big, headers={**auth, "Content-Type": "application/json"}, timeout=10)
    envelope_error(r, 413, "PAYLOAD_TOO_LARGE", "100 KB body")
    r2 = s.post(srv.url(PP), json=GUIDE_BIRTH, headers=auth, timeout=10)
    t.check(r2.status_code == 200, "the connection stays usable after a 413 (body was drained)")

    def chunks():
        for _ in range(20):
            yield b" " * 5000
        yield json.dumps(GUIDE_BIRTH).encode()
    r = requests.post(srv.url(PP), data=chunks(), headers={**auth, "Content-Type": "application/json"},
                      timeout=10)
    envelope_error(r, 413, "PAYLOAD_TOO_LARGE", "chunked body over the limit")
    r = requests.post(srv.url(PP), data=iter([json.dumps(GUIDE_BIRTH).encode()]), timeout=10,
                      headers={**auth, "Content-Type": "application/json"})
    t.check(r.status_code == 200, f"small chunked body accepted: {r.status_code}")

    # A huge declared body is refused at once, without reading it, and the connection closed.
    sock = srv.connect()
    res = raw_request(sock, (f"POST {PP} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             f"Authorization: Bearer {srv.token()}\r\n"
                             "Content-Length: 50000000\r\n\r\n").encode())
    t.check(res is not None and res[0] == 413 and res[1].get("connection", "").lower() == "close",
            f"50 MB declared: immediate 413 + close ({res and res[:2]})")
    sock.close()
    # Expect: 100-continue with a refused body: the answer comes instead of 100 Continue.
    sock = srv.connect()
    res = raw_request(sock, (f"POST {PP} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                             f"Authorization: Bearer {srv.token()}\r\nExpect: 100-continue\r\n"
                             "Content-Length: 10\r\n\r\n").encode())
    t.check(res is not None and res[0] == 415, f"100-continue refused with 415 ({res and res[0]})")
    sock.close()


def check_headers_limit(srv):
    # Over NOCTURNA_MAX_HEADER_BYTES (16 KiB) but inside libmicrohttpd's 32 KB pool: our envelope.
    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                      headers={"Authorization": "Bearer " + srv.token(), "X-Request-ID": "big-1",
                               "X-Big": "a" * 20000})
    body = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    t.check(r.status_code == 431 and body.get("success") is False
            and body.get("error", {}).get("code") == "HEADERS_TOO_LARGE"
            and "NOCTURNA_MAX_HEADER_BYTES" in body["error"].get("message", ""),
            f"20 KB of headers -> 431 HEADERS_TOO_LARGE envelope: {r.status_code} {r.text[:160]}")
    t.check(r.headers.get("X-Request-ID") == "big-1" and body.get("meta", {}).get("request_id") == "big-1",
            "the 431 carries the request id")
    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=10,
                      headers={"Authorization": "Bearer " + srv.token(), "X-Pad": "a" * 12000})
    t.check(r.status_code == 200, f"12 KB of headers are fine: {r.status_code}")
    # Past the pool libmicrohttpd refuses the request itself, before it reaches us (docs/http.md).
    sock = srv.connect()
    res = raw_request(sock, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    t.check(res is not None and res[0] in (413, 414, 431), f"40 KB header refused: {res and res[0]}")
    sock.close()
    r = requests.get(srv.url("/health"), timeout=5)
    t.check(r.status_code == 200, "server fine after a huge header")


def check_pipelining(srv):
    """Three requests in one write on one connection: three answers, in order."""
    body = json.dumps({**GUIDE_BIRTH, "planets": ["SUN"]}).encode()
    post = (f"POST {PP} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {srv.token()}\r\nX-Request-ID: pipe-2\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    sock = srv.connect()
    first = raw_request(sock, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: pipe-1\r\n\r\n" +
                        post + b"GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-ID: pipe-3\r\n\r\n")
    second = raw_request(sock, b"")
    third = raw_request(sock, b"")
    got = [(x[0], x[1].get("x-request-id")) if x else None for x in (first, second, third)]
    t.check(got == [(200, "pipe-1"), (200, "pipe-2"), (404, "pipe-3")], f"pipelined answers: {got}")
    sock.close()


def check_request_id(srv):
    r = requests.get(srv.url("/health"), headers={"X-Request-ID": "trace-abc-123"}, timeout=5)
    t.check(r.headers.get("X-Request-ID") == "trace-abc-123" and
            r.json()["meta"]["request_id"] == "trace-abc-123", "caller's X-Request-ID echoed")
    r = requests.get(srv.url("/nope"), headers={"X-Request-ID": "trace-404"}, timeout=5)
    t.check(r.json()["meta"]["request_id"] == "trace-404", "request id echoed on errors")
    for bad in ["x" * 65, "has space", "\u00e9t\u00e9".encode("utf-8").decode("latin-1")]:
        r = requests.get(srv.url("/health"), headers={"X-Request-ID": bad}, timeout=5)
        rid = r.headers.get("X-Request-ID", "")
        t.check(rid != bad and len(rid) == 36 and rid.count("-") == 4,
                f"invalid X-Request-ID {bad[:10]!r} replaced by a UUID: {rid}")
    r = requests.get(srv.url("/health"), timeout=5)
    t.check(len(r.headers.get("X-Request-ID", "")) == 36, "X-Request-ID generated")


def check_cors():
    with Server(env={"NOCTURNA_CORS_ORIGINS": "https://app.example.com, https://admin.example.com"}) as srv:
        r = requests.options(srv.url(PP), timeout=5, headers={
            "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        t.check(r.status_code == 204, f"preflight 204: {r.status_code}")
        t.check(r.headers.get("Access-Control-Allow-Origin") == "https://app.example.com",
                "preflight allows the configured origin")
        t.check("POST" in r.headers.get("Access-Control-Allow-Methods", "") and
                "Authorization" in r.headers.get("Access-Control-Allow-Headers", ""),
                f"preflight methods/headers: {dict(r.headers)}")
        r = requests.post(srv.url(PP), json=GUIDE_BIRTH, timeout=5, headers={
            "Origin": "https://admin.example.com", "Authorization": "Bearer " + srv.token()})
        t.check(r.status_code == 200 and
                r.headers.get("Access-Control-Allow-Origin") == "https://admin.example.com" and
                "X-RateLimit-Remaining" in r.headers.get("Access-Control-Expose-Headers", ""),
                "simple request gets CORS headers")
        r = requests.options(srv.url(PP), timeout=5, headers={
            "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
        t.check("Access-Control-Allow-Origin" not in r.headers, "unknown origin gets no CORS grant")
        t.check(srv.stop() == 0, "CORS server exits 0")


with Server() as srv:
    auth = {"Authorization": "Bearer " + srv.token()}
    check_auth(srv)
    check_routes(srv, auth)
    check_bodies(srv, auth)
    check_headers_limit(srv)
    check_pipelining(srv)
    check_request_id(srv)
    t.check(srv.stop() == 0, "server exits 0")
check_cors()
t.finish()
