"""events/search with Accept: application/x-ndjson is streamed (issue 5): chunked, the first lines
arrive while the search still runs, every line is one JSON event in time order, the last line is
the summary; the limit, the time budget and the cursor hold across the slices of the stream;
input errors still get the 400 envelope; a client that leaves mid-stream costs nothing. The older
service's stateless/eclipses and stateless/ingresses stream the same way."""
import json
import time

import requests

from http_harness import Checks, Server, arm_timeout, eventually

arm_timeout(150)
t = Checks("http_ndjson_stream")
URL = "/api/v1/events/search"
# A century of lunar phases: about 4950 events, well over a second of search under ASan.
LONG = {"start": "1950-01-01T00:00:00Z", "end": "2050-01-01T00:00:00Z",
        "events": ["lunar_phase"], "limit": 10000, "time_budget_ms": 10000}


def stream(srv, hdr, body, stop_after_bytes=None, url=URL):
    """Posts body for NDJSON and reads the chunks as they come. Returns (response, lines,
    seconds to the first complete line, seconds to the end)."""
    t0 = time.monotonic()
    r = requests.post(srv.url(url), json=body, headers={**hdr, "Accept": "application/x-ndjson"},
                      stream=True, timeout=30)
    buf, first, got = b"", None, 0
    for chunk in r.iter_content(chunk_size=None):
        buf += chunk
        got += len(chunk)
        if first is None and b"\n" in buf:
            first = time.monotonic() - t0
        if stop_after_bytes is not None and got >= stop_after_bytes:
            r.close()
            return r, None, first, None
    end = time.monotonic() - t0
    r.close()
    return r, buf.decode().split("\n"), first, end


def parse(lines):
    """Every line JSON (the body ends with a newline, so the last split piece is empty)."""
    ok = lines[-1] == ""
    out = []
    for ln in lines[:-1]:
        try:
            out.append(json.loads(ln))
        except ValueError:
            ok = False
    return ok, out


with Server() as srv:
    hdr = {"Authorization": "Bearer " + srv.token()}

    # The reference: the same search as one JSON document.
    t0 = time.monotonic()
    ref = requests.post(srv.url(URL), json=LONG, headers=hdr, timeout=30)
    t_json = time.monotonic() - t0
    data = ref.json()["data"]
    t.check(ref.status_code == 200 and data["complete"] and data["count"] > 4000,
            f"JSON reference complete with thousands of events: {ref.status_code} {data['count']}")

    r, lines, first, end = stream(srv, hdr, LONG)
    t.check(r.status_code == 200, f"stream status 200: {r.status_code}")
    t.check(r.headers.get("Transfer-Encoding", "").lower() == "chunked",
            f"chunked: {r.headers.get('Transfer-Encoding')}")
    t.check("Content-Length" not in r.headers, "no Content-Length")
    t.check(r.headers.get("Content-Type") == "application/x-ndjson",
            f"content type: {r.headers.get('Content-Type')}")
    t.check(bool(r.headers.get("X-Request-ID")), "X-Request-ID on the stream")
    ok, objs = parse(lines)
    t.check(ok, "every line is valid JSON and the body ends with a newline")
    events, summary = objs[:-1], objs[-1].get("summary")
    t.check(summary is not None, f"last line is the summary: {str(objs[-1])[:200]}")
    t.check(all("kind" in e and "summary" not in e for e in events), "the other lines are events")
    t.check(len(events) == data["count"], f"count {len(events)} == JSON {data['count']}")
    t.check(summary and summary["count"] == len(events) and summary["complete"] is True
            and summary["cursor"] is None and summary["stopped_by"] is None,
            f"summary complete: {summary and {k: summary[k] for k in ('count', 'complete')}}")
    t.check(summary and summary["request_id"] == r.headers.get("X-Request-ID"),
            "summary request_id")
    jds = [e["julian_day_ut"] for e in events]
    t.check(all(a <= b for a, b in zip(jds, jds[1:])), "events in time order")
    t.check([(e["time"], e["phase"]) for e in events]
            == [(e["time"], e["phase"]) for e in data["events"]], "same events as the JSON answer")
    # Streaming: the first line comes long before the end, and before the search as a whole
    # could have finished (the JSON answer measures how long that takes).
    t.check(first is not None and first < end / 4, f"first line at {first:.3f}s, end {end:.3f}s")
    t.check(first is not None and first < t_json / 4,
            f"first line at {first:.3f}s, whole search {t_json:.3f}s")

    # The request's limit holds across slices; its cursor resumes exactly (also a streamed one).
    body = dict(LONG, limit=700)
    r, lines, _, _ = stream(srv, hdr, body)
    ok, objs = parse(lines)
    s = objs[-1].get("summary", {})
    t.check(ok and len(objs) == 701 and s.get("count") == 700 and s.get("complete") is False
            and s.get("stopped_by") == "limit" and s.get("cursor"),
            f"limit 700 -> 700 lines, stopped_by limit: {len(objs)} {s}")
    t.check([e["time"] for e in objs[:-1]] == [e["time"] for e in data["events"][:700]],
            "the limited stream is the first 700 events")
    r, lines, _, _ = stream(srv, hdr, dict(body, cursor=s.get("cursor")))
    ok, objs2 = parse(lines)
    t.check(ok and [e["time"] for e in objs2[:-1]] == [e["time"] for e in data["events"][700:1400]],
            "the cursor resumes with event 701")
    j = requests.post(srv.url(URL), json=dict(body, cursor=s.get("cursor")), headers=hdr, timeout=30)
    t.check(j.status_code == 200 and j.json()["data"]["events"][0]["time"] == data["events"][700]["time"],
            "a streamed cursor works in a JSON request")

    # The time budget holds across slices.
    heavy = {"start": "1900-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z",
             "events": ["lunar_phase", "sign_ingress", "station"], "limit": 10000,
             "time_budget_ms": 150}
    r, lines, _, end = stream(srv, hdr, heavy)
    ok, objs = parse(lines)
    s = objs[-1].get("summary", {}) if objs else {}
    t.check(ok and s.get("stopped_by") == "time_budget" and s.get("complete") is False
            and s.get("count") == len(objs) - 1 and s.get("count") > 0,
            f"time budget stops the stream: {s}")
    t.check(end < 3.0, f"a 150 ms budget ends the stream quickly: {end:.3f}s")

    # Input errors are found before the status line: the usual 400 envelope.
    bad = dict(LONG, events=["no_such_kind"])
    r = requests.post(srv.url(URL), json=bad, headers={**hdr, "Accept": "application/x-ndjson"},
                      timeout=30)
    env = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
    t.check(r.status_code == 400 and env.get("success") is False
            and env.get("error", {}).get("code") == "VALIDATION_ERROR"
            and env["error"]["details"]["field"].startswith("events[0]"),
            f"bad kind -> 400 envelope: {r.status_code} {r.text[:200]}")
    r = requests.post(srv.url(URL), json=dict(LONG, cursor="ev1.bogus"),
                      headers={**hdr, "Accept": "application/x-ndjson"}, timeout=30)
    t.check(r.status_code == 400 and r.json()["error"]["details"]["field"] == "cursor",
            f"bad cursor -> 400: {r.status_code}")

    # A client that leaves mid-stream: the server frees the stream and keeps serving.
    for _ in range(3):
        r, _, first, _ = stream(srv, hdr, LONG, stop_after_bytes=2000)
        t.check(first is not None, "the first line came before leaving")
    time.sleep(0.3)
    h = requests.get(srv.url("/health"), timeout=5)
    t.check(h.status_code == 200, f"health after abandoned streams: {h.status_code}")
    r, lines, _, _ = stream(srv, hdr, dict(LONG, limit=50))
    ok, objs = parse(lines)
    t.check(ok and len(objs) == 51, f"a stream after abandoned ones: {len(objs)}")

    # The older service's endpoints, in their own request shapes, on both path prefixes.
    older = (("/api/v1/stateless/eclipses", {"start_date": "1950-01-01", "end_date": "2050-12-31",
                                             "eclipse_type": "all", "extra": 1}, "eclipses"),
             ("/api/stateless/ingresses", {"start_date": "2000-01-01", "end_date": "2019-12-31",
                                           "planets": ["SUN", "MERCURY"], "extra": 1}, "ingresses"))
    for path, body, key in older:
        j = requests.post(srv.url(path), json=body, headers=hdr, timeout=60)
        jd = j.json().get("data") or {}
        t.check(j.status_code == 200 and jd.get("complete") and jd.get("count", 0) > 300,
                f"{path} JSON reference: {j.status_code} {jd.get('count')}")
        r, lines, first, end = stream(srv, hdr, body, url=path)
        t.check(r.status_code == 200 and r.headers.get("Transfer-Encoding", "").lower() == "chunked"
                and r.headers.get("Content-Type") == "application/x-ndjson",
                f"{path} streamed: {r.status_code} {dict(r.headers)}")
        ok, objs = parse(lines)
        s = objs[-1].get("summary", {}) if objs else {}
        t.check(ok and s.get("complete") is True and s.get("count") == jd.get("count")
                and [e["time"] for e in objs[:-1]] == [e["time"] for e in jd.get(key, [])],
                f"{path}: the same {jd.get('count')} events as the JSON answer, then the summary")
        t.check(any("extra" in w.get("message", "") for w in s.get("warnings", [])),
                f"{path}: the unknown key's warning in the summary: {s.get('warnings')}")
    bad = requests.post(srv.url("/api/v1/stateless/eclipses"),
                        json={"start_date": "2000-01-01", "end_date": "2001-01-01",
                              "eclipse_type": "hybrid"},
                        headers={**hdr, "Accept": "application/x-ndjson"}, timeout=30)
    t.check(bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "eclipse_type",
            f"a bad eclipse_type still gets the 400 envelope: {bad.status_code} {bad.text[:200]}")

    # The request log counts a streamed body's bytes as they are produced.
    r, lines, _, _ = stream(srv, {**hdr, "X-Request-ID": "stream-bytes-1"}, dict(LONG, limit=20))
    sent = len("\n".join(lines).encode())
    mine = eventually(lambda: [ln for ln in srv.log_lines()
                               if ln.get("request_id") == "stream-bytes-1"])
    t.check(bool(mine) and mine[0].get("bytes_out") == sent,
            f"log line bytes_out {mine and mine[0].get('bytes_out')} == {sent} bytes streamed")
t.finish()
