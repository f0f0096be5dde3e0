"""`nocturna worker` against a real redis-server on 127.0.0.1 (docs/worker.md).

Answers equal `nocturna calc` for the same request, reply_to lists, PUBLISH, dead letters,
error envelopes for malformed jobs, a Redis outage and restart, SIGTERM. Bounded: every wait has
a deadline, and the worker and Redis are killed at the end whatever happens.
"""
import calendar
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from nocturna_test import BIN, Checks, calc

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
TTL = 600
BASE = {"date": "1990-01-15", "time": "14:30:00", "latitude": 40.7128, "longitude": -74.006,
        "timezone": "America/New_York"}
REQUESTS = [
    ("calculations/planetary-positions", BASE),
    ("/api/v1/calculations/houses", dict(BASE, house_system="KOCH")),
    ("/api/calculations/aspects", dict(BASE, date="2001-09-11", time="08:46")),
    ("stateless/natal-chart", dict(BASE, date="1969-07-20", time="20:17", timezone="UTC")),
    ("calculations/planetary-positions", dict(BASE, zodiac="sidereal", ayanamsa="LAHIRI",
                                              planets=["SUN", "MOON", "MARS"])),
]


class Resp:
    """A minimal RESP2 client over one socket: enough for the commands this test sends."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad RESP line %r" % line)

    def cmd(self, *args):
        self.send(*args)
        return self.reply()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_redis(port, tmp):
    p = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", tmp],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            c = Resp(port, 1.0)
            ok = c.cmd("PING") == "PONG"
            c.close()
            if ok:
                return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("redis-server did not start")


def stop(p, sig=signal.SIGKILL):
    if p is not None and p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def job(jid, endpoint, request, reply_to=None):
    j = {"id": jid, "endpoint": endpoint, "request": request}
    if reply_to:
        j["reply_to"] = reply_to
    return json.dumps(j)


def wait_results(r, ids, timeout):
    """{id: envelope} for every id whose result appears before the deadline."""
    got = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(got) < len(ids):
        todo = [i for i in ids if i not in got]
        vals = r.cmd("MGET", *["nocturna:result:" + i for i in todo])
        for i, v in zip(todo, vals):
            if v is not None:
                got[i] = json.loads(v)
        if len(got) < len(ids):
            time.sleep(0.05)
    return got


def strip_meta(env):
    env = json.loads(json.dumps(env))
    env.get("meta", {}).pop("request_id", None)
    env.get("meta", {}).pop("timestamp", None)
    return env


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_lines(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"unparsed": line})
    return out


def case_answers(t, r, sub):
    expected = []
    for ep, body in REQUESTS:
        rc, env, err = calc(ep, body)
        t.check(rc == 0 and env and env.get("success"), f"calc {ep} answers: {rc} {err[:200]}")
        expected.append(strip_meta(env or {}))
    ids = []
    r.send("MULTI")
    r.reply()
    for n in range(50):
        ep, body = REQUESTS[n % len(REQUESTS)]
        jid = "job-%02d" % n
        ids.append(jid)
        reply_to = "test:replies:%d" % (n % 3) if n % 2 == 0 else None
        r.cmd("LPUSH", "nocturna:jobs", job(jid, ep, body, reply_to))
    r.cmd("EXEC")
    got = wait_results(r, ids, 40)
    t.check(len(got) == 50, f"all 50 jobs answered (got {len(got)})")
    same = sum(1 for n, jid in enumerate(ids)
               if jid in got and strip_meta(got[jid]) == expected[n % len(REQUESTS)])
    t.check(same == 50, f"every answer equals nocturna calc's (equal: {same}/50)")
    t.check(all(got[j]["meta"]["request_id"] == j for j in got), "meta.request_id is the job id")
    ttl = r.cmd("TTL", "nocturna:result:job-00")
    t.check(TTL - 5 <= ttl <= TTL, f"result key expires after NOCTURNA_WORKER_RESULT_TTL ({ttl})")
    # reply_to: the even jobs, spread over three lists, each envelope exactly the stored one.
    pushed = {}
    for k in range(3):
        for raw in r.cmd("LRANGE", "test:replies:%d" % k, 0, -1):
            env = json.loads(raw)
            pushed[env["meta"]["request_id"]] = env
    evens = [j for n, j in enumerate(ids) if n % 2 == 0]
    t.check(sorted(pushed) == sorted(evens), f"reply_to lists hold the 25 even jobs ({len(pushed)})")
    t.check(all(pushed[j] == got.get(j) for j in pushed), "reply_to envelopes equal the stored ones")
    # PUBLISH nocturna:results <id> for each job.
    published = set()
    deadline = time.monotonic() + 10
    while len(published) < 50 and time.monotonic() < deadline:
        msg = sub.reply()
        if isinstance(msg, list) and msg[0] == b"message":
            published.add(msg[2].decode())
    t.check(published == set(ids), f"every id published on nocturna:results ({len(published)})")


def case_malformed(t, r):
    big = job("too-big", "calculations/planetary-positions", dict(BASE, pad="x" * 70000))
    dead_jobs = ["{not json", "[1, 2, 3]", json.dumps({"endpoint": "calculations/houses"}),
                 json.dumps({"id": "has space", "endpoint": "calculations/houses", "request": {}}),
                 json.dumps({"id": "x" * 65, "endpoint": "calculations/houses", "request": {}}),
                 big]
    for d in dead_jobs:
        r.cmd("LPUSH", "nocturna:jobs", d)
    r.cmd("LPUSH", "nocturna:jobs", job("bad-endpoint", "calculations/nope", BASE, "test:bad"))
    r.cmd("LPUSH", "nocturna:jobs", job("bad-date", "calculations/planetary-positions",
                                        dict(BASE, date="2023-02-30")))
    r.cmd("LPUSH", "nocturna:jobs", json.dumps({"id": "no-request",
                                                "endpoint": "calculations/houses"}))
    r.cmd("LPUSH", "nocturna:jobs", json.dumps({"id": "extra-key", "endpoint": "calculations/houses",
                                                "request": BASE, "replyto": "x"}))
    r.cmd("LPUSH", "nocturna:jobs", job("after-bad", "calculations/planetary-positions", BASE))
    got = wait_results(r, ["bad-endpoint", "bad-date", "no-request", "extra-key", "after-bad"], 20)
    e = got.get("bad-endpoint", {})
    t.check(e.get("success") is False and e.get("error", {}).get("code") == "NOT_FOUND"
            and e["error"]["details"]["field"] == "endpoint" and e["meta"]["request_id"] == "bad-endpoint",
            f"unknown endpoint -> NOT_FOUND envelope: {str(e)[:300]}")
    t.check(r.cmd("LLEN", "test:bad") == 1, "the error envelope also goes to reply_to")
    e = got.get("bad-date", {})
    t.check(e.get("success") is False and e.get("error", {}).get("code") == "VALIDATION_ERROR"
            and e["error"]["details"]["field"] == "date", f"bad date -> VALIDATION_ERROR: {str(e)[:300]}")
    e = got.get("no-request", {})
    t.check(e.get("error", {}).get("code") == "VALIDATION_ERROR"
            and e["error"]["details"]["field"] == "request", f"missing request -> 400: {str(e)[:300]}")
    e = got.get("extra-key", {})
    t.check(e.get("error", {}).get("code") == "VALIDATION_ERROR"
            and e["error"]["details"]["field"] == "replyto", f"unknown job key -> 400: {str(e)[:300]}")
    t.check(got.get("after-bad", {}).get("success") is True, "the worker answers after bad jobs")
    dead = [x.decode() for x in r.cmd("LRANGE", "nocturna:jobs:dead", 0, -1)]
    t.check(sorted(dead) == sorted(dead_jobs), f"bad jobs are dead-lettered verbatim ({len(dead)})")
    t.check(r.cmd("EXISTS", "nocturna:result:too-big") == 0, "a job over 64 KiB is not run")


SLOW = {"start_date": "0001-01-01T00:00:00Z", "end_date": "3000-01-01T00:00:00Z"}


def log_time(line):
    """Unix seconds of a log line's "time" (UTC, ms)."""
    return calendar.timegm(time.strptime(line["time"][:19], "%Y-%m-%dT%H:%M:%S")) + \
        int(line["time"][20:23]) / 1000


def case_outage(t, port, tmp, redis, worker, log_path):
    """Redis killed while a job runs (~1 s of eclipses): the result is delivered after restart."""
    t0 = time.monotonic()
    rc, _, _ = calc("stateless/eclipses", SLOW)
    slow_s = time.monotonic() - t0
    r = Resp(port)
    r.cmd("LPUSH", "nocturna:jobs", job("slow", "stateless/eclipses", SLOW))
    r.close()
    time.sleep(min(0.3, slow_s / 4))
    stop(redis)
    # CPU is measured once the job's computation is over: then only the reconnect loop runs.
    time.sleep(slow_s * 1.5 + 0.3)
    c0 = cpu_seconds(worker.pid)
    time.sleep(1.5)
    c1 = cpu_seconds(worker.pid)
    t.check(worker.poll() is None, "the worker survives Redis going away")
    t.check(c1 - c0 < 0.3, f"no busy loop while Redis is down ({c1 - c0:.2f} s CPU in 1.5 s)")
    restarted = time.time()
    redis = start_redis(port, tmp)
    r = Resp(port)
    r.cmd("LPUSH", "nocturna:jobs", job("after-outage", "calculations/planetary-positions", BASE))
    got = wait_results(r, ["after-outage", "slow"], 20)
    t.check(got.get("after-outage", {}).get("success") is True, "jobs are answered once Redis is back")
    t.check(rc == 0 and got.get("slow", {}).get("success") is True,
            f"a result finished during the outage is delivered after it (calc took {slow_s:.2f} s)")
    r.close()
    lines = log_lines(log_path)
    slow = [x for x in lines if x.get("msg") == "job" and x.get("job_id") == "slow"]
    if slow:  # when its computation ended before the restart, its first delivery failed
        ran_until = log_time(slow[0]) - (slow[0]["duration_ms"] - slow[0]["run_ms"]) / 1000
        if ran_until < restarted - 0.2:
            t.check(any(x.get("step") == "deliver" and x.get("thread") == slow[0]["thread"]
                        for x in lines), "the failed delivery is logged")
        else:
            print("note: the slow job outlived the outage; delivery retry not exercised")
    return redis


def case_wrong_type(t, r, worker, log_path):
    """Redis answers, but with an error (the queue is a string): back off, don't spin."""
    r.cmd("SET", "nocturna:jobs", "not a list")
    time.sleep(0.3)
    c0 = cpu_seconds(worker.pid)
    time.sleep(1.5)
    c1 = cpu_seconds(worker.pid)
    t.check(c1 - c0 < 0.4, f"no busy loop on WRONGTYPE ({c1 - c0:.2f} s CPU in 1.5 s)")
    t.check(any("WRONGTYPE" in str(x.get("detail")) for x in log_lines(log_path)),
            "the WRONGTYPE answer is logged")
    r.cmd("DEL", "nocturna:jobs")
    r.cmd("LPUSH", "nocturna:jobs", job("after-wrongtype", "calculations/houses", BASE))
    got = wait_results(r, ["after-wrongtype"], 10)
    t.check(got.get("after-wrongtype", {}).get("success") is True, "jobs flow again after WRONGTYPE")


def case_sigterm(t, worker, log_path):
    t0 = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    try:
        rc = worker.wait(timeout=3)
    except subprocess.TimeoutExpired:
        rc = None
    t.check(rc == 0, f"SIGTERM: exit 0 within 3 s (rc {rc}, {time.monotonic() - t0:.2f} s)")
    lines = log_lines(log_path)
    jobs = [x for x in lines if x.get("msg") == "job"]
    t.check(all({"time", "level", "job_id", "endpoint", "status", "duration_ms", "run_ms"} <= set(x)
                for x in jobs)
            and len(jobs) >= 60, f"one JSON log line per job ({len(jobs)})")
    t.check({x.get("thread") for x in jobs if str(x.get("job_id")).startswith("job-")} == {0, 1},
            "both threads took jobs")
    t.check(any(x.get("msg") == "redis unavailable" and x.get("level") == "warn" for x in lines),
            "the outage is logged")
    t.check(any(x.get("msg") == "redis available again" for x in lines), "the recovery is logged")
    t.check(not any("unparsed" in x for x in lines), "stderr holds JSON lines only")
    t.check(any(x.get("msg") == "worker stopped" for x in lines), "the stop is logged")


def case_no_url(t):
    env = {k: v for k, v in os.environ.items() if k != "NOCTURNA_REDIS_URL"}
    p = subprocess.run([BIN, "worker"], env=env, capture_output=True, timeout=30)
    t.check(p.returncode == 2 and b"NOCTURNA_REDIS_URL is required" in p.stderr,
            f"no NOCTURNA_REDIS_URL: clear error ({p.returncode} {p.stderr[:200]!r})")


def main():
    t = Checks("worker")
    case_no_url(t)
    tmp = tempfile.mkdtemp(prefix="noc-worker-")
    port = free_port()
    redis = worker = None
    log_path = os.path.join(tmp, "worker.log")
    try:
        redis = start_redis(port, tmp)
        env = dict(os.environ, NOCTURNA_REDIS_URL="redis://127.0.0.1:%d/0" % port,
                   NOCTURNA_WORKER_RESULT_TTL=str(TTL), NOCTURNA_LOG_LEVEL="info")
        with open(log_path, "wb") as log:
            worker = subprocess.Popen([BIN, "worker", "--threads", "2"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=log)
        time.sleep(0.5)
        if not t.check(worker.poll() is None, f"the worker runs (exit status {worker.poll()})"):
            return t.finish()  # the finally block still stops Redis
        r = Resp(port, 10)
        sub = Resp(port, 10)
        sub.cmd("SUBSCRIBE", "nocturna:results")
        case_answers(t, r, sub)
        sub.close()
        case_malformed(t, r)
        case_wrong_type(t, r, worker, log_path)
        r.close()
        redis = case_outage(t, port, tmp, redis, worker, log_path)
        case_sigterm(t, worker, log_path)
    finally:
        stop(worker)
        stop(redis)
        if t.failed and os.path.exists(log_path):
            with open(log_path, errors="replace") as f:
                print("worker log (tail):\n" + "".join(f.readlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)
    t.finish()


if __name__ == "__main__":
    main()
