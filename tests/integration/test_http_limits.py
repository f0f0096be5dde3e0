"""Connection-level limits: slow clients (headers, request line and body trickled byte by byte)
are cut off at the receive deadline while other clients are served; idle keep-alive timeout;
connection limit; per-address limit; overload answered 503 + Retry-After."""
import socket
import threading
import time

import requests

from http_harness import GUIDE_BIRTH, Checks, Server, arm_timeout, eventually, raw_request

arm_timeout(180)
t = Checks("http_limits")
PP = "/api/v1/calculations/planetary-positions"


def closed_by_peer(sock, wait):
    """True when the server closes sock within `wait` seconds."""
    sock.settimeout(wait)
    try:
        return sock.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def trickle(srv, first, drip, result, key):
    """Sends `first`, then one byte of `drip` every 0.2 s; records when the server cut us off."""
    sock = srv.connect()
    t0 = time.monotonic()
    try:
        sock.sendall(first)
        for b in drip:
            time.sleep(0.2)
            sock.sendall(bytes([b]))
            sock.settimeout(0.001)
            try:
                if sock.recv(4096) == b"":
                    break
            except socket.timeout:
                pass
        else:
            result[key] = None
            return
    except OSError:
        pass
    result[key] = time.monotonic() - t0
    sock.close()


def check_slowloris(srv):
    result = {}
    slow = [
        ("headers", b"GET /health HTTP/1.1\r\nHost: x\r\n", b"X-Slow: " + b"a" * 200),
        ("request line", b"", b"GET /health" + b"x" * 200),
        ("body", (f"POST {PP} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: 300\r\n\r\n").encode(), b" " * 300),
    ]
    threads = []
    for i in range(5):  # several slow clients of each kind
        for name, first, drip in slow:
            th = threading.Thread(target=trickle, args=(srv, first, drip, result, f"{name}{i}"))
            th.start()
            threads.append(th)
    served, worst = 0, 0.0
    deadline = time.monotonic() + 4.5
    tok = {"Authorization": "Bearer " + srv.token()}
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        r = requests.post(srv.url(PP), json=GUIDE_BIRTH, headers=tok, timeout=5)
        worst = max(worst, time.monotonic() - t0)
        served += r.status_code == 200
        time.sleep(0.05)
    for th in threads:
        th.join(30)
    t.check(served >= 20, f"other clients served during the attack: {served}")
    t.check(worst < 1.0, f"no request stalled (worst {worst:.3f}s)")
    for key, v in sorted(result.items()):
        if key.startswith("request line"):
            ok = v is not None and 2.5 <= v <= 5.5  # idle (1) + request (2) deadline
        else:
            ok = v is not None and 1.5 <= v <= 4.0  # request deadline (2)
        t.check(ok, f"slow {key} cut off in time: {v}")
    lines = [ln for ln in srv.log_lines() if ln.get("msg") == "slow client cut off"]
    t.check(len(lines) >= 15, f"each cut is logged ({len(lines)})")


def check_idle(srv):
    sock = srv.connect()
    res = raw_request(sock, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    t.check(res is not None and res[0] == 200, "keep-alive request answered")
    t0 = time.monotonic()
    closed = closed_by_peer(sock, 4)
    t.check(closed and time.monotonic() - t0 < 3.5,
            f"idle keep-alive closed after the idle timeout ({time.monotonic() - t0:.2f}s)")
    sock.close()


with Server(env={"NOCTURNA_REQUEST_TIMEOUT": "2", "NOCTURNA_IDLE_TIMEOUT": "1"}) as srv:
    check_slowloris(srv)
    check_idle(srv)
    t.check(srv.stop() == 0, "server exits 0 after the slow clients")

# Connection limit (one worker thread, so the limit is exact). At the limit libmicrohttpd stops
# accepting: a new connection waits in the listen backlog until a slot frees.
with Server(env={"NOCTURNA_THREADS": "1", "NOCTURNA_MAX_CONNECTIONS": "4"}) as srv:
    held = [srv.connect() for _ in range(4)]
    for s in held:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    t.check(all(raw_request(s, b"")[0] == 200 for s in held), "4 connections served")
    extra = srv.connect()
    extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    extra.settimeout(1.0)
    try:
        early = extra.recv(4096)
    except socket.timeout:
        early = None
    t.check(early is None, f"the 5th connection is not served while 4 are open: {early!r:.40}")
    held.pop().close()
    res = raw_request(extra, b"", read_timeout=5)
    t.check(res is not None and res[0] == 200, "the 5th is served once a slot frees")
    extra.close()
    for s in held:
        s.close()

# Per-address limit.
with Server(env={"NOCTURNA_MAX_CONNECTIONS_PER_IP": "3"}) as srv:
    held = [srv.connect() for _ in range(3)]
    time.sleep(0.3)
    extra = srv.connect()
    t.check(closed_by_peer(extra, 3), "the 4th connection from one address is closed at once")
    extra.close()
    for s in held:
        s.close()
    t.check(eventually(lambda: requests.get(srv.url("/health"), timeout=5).status_code == 200),
            "usable again")

# Overload: more requests in flight than NOCTURNA_MAX_INFLIGHT -> 503 + Retry-After.
with Server(env={"NOCTURNA_MAX_INFLIGHT": "1"}) as srv:
    tok = {"Authorization": "Bearer " + srv.token()}
    pending = srv.connect()
    pending.sendall(f"POST {PP} HTTP/1.1\r\nHost: x\r\n".encode())  # request line only
    time.sleep(0.3)
    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, headers=tok, timeout=5)
    t.check(r.status_code == 503 and r.json()["error"]["code"] == "SERVICE_UNAVAILABLE",
            f"overload -> 503 SERVICE_UNAVAILABLE: {r.status_code}")
    t.check(r.headers.get("Retry-After") == "1", f"Retry-After: {r.headers.get('Retry-After')}")
    t.check(requests.get(srv.url("/health"), timeout=5).status_code == 200,
            "health still answers under overload")
    ready = requests.get(srv.url("/ready"), timeout=5)
    t.check(ready.status_code == 503, f"ready says 503 under overload: {ready.status_code}")
    pending.sendall(b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    res = raw_request(pending, b"")
    t.check(res is not None and res[0] == 401, f"the pending request completes: {res and res[0]}")
    pending.close()  # no pause: an answered request gives its slot back before it is sent
    r = requests.post(srv.url(PP), json=GUIDE_BIRTH, headers=tok, timeout=5)
    t.check(r.status_code == 200, f"served again once the load is gone: {r.status_code}")
t.finish()
