"""`nocturna calc --ndjson`: the CLI asks as an HTTP client sending `Accept: application/x-ndjson`
does, so a streaming endpoint answers one event per line and a closing summary line; without the
flag (or for an endpoint that does not stream) the answer is the JSON envelope."""
import json
import subprocess

from nocturna_test import BIN, Checks, calc

C = Checks("calc_ndjson")

SEARCH = {"start": "2024-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z",
          "events": [{"kind": "sign_ingress", "bodies": ["SUN"]}], "limit": 5}


def run(args, body):
    p = subprocess.run([BIN, "calc", *args], input=json.dumps(body).encode(), capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace")


def test_lines():
    rc, out, err = run(["--ndjson", "events/search", "-"], SEARCH)
    lines = out.split("\n")
    C.check(rc == 0 and out.endswith("\n") and lines[-1] == "", f"exit 0, newline-terminated ({rc}, {err[-200:]})")
    lines = [json.loads(x) for x in lines[:-1]]
    events, summary = lines[:-1], lines[-1].get("summary")
    C.check(len(events) == 5 and all(e["kind"] == "sign_ingress" for e in events), f"{len(events)} event lines")
    C.check([e["sign"] for e in events] == ["AQUARIUS", "PISCES", "ARIES", "TAURUS", "GEMINI"], "the Sun's ingresses in order")
    C.check(summary and summary["count"] == 5 and summary["stopped_by"] == "limit" and summary["cursor"],
            f"summary line closes the body: {summary}")
    # The flag may also follow the endpoint; the answer is the same.
    rc2, out2, _ = run(["events/search", "--ndjson"], SEARCH)
    C.check(rc2 == 0 and out2.split("\n")[:5] == out.split("\n")[:5], "--ndjson after the endpoint")


def test_envelope_without_flag():
    rc, out, _ = calc("events/search", SEARCH)
    C.check(rc == 0 and out and out["success"] and len(out["data"]["events"]) == 5, "without --ndjson: the envelope")
    # An endpoint that does not stream answers its envelope with the flag too.
    rc, text, _ = run(["--ndjson", "calculations/planetary-positions", "-"],
                      {"date": "2024-01-01", "time": "12:00", "planets": ["SUN"]})
    env = json.loads(text)
    C.check(rc == 0 and env["success"] and env["data"]["positions"][0]["planet"] == "SUN",
            "--ndjson on a non-streaming endpoint: the envelope")
    # An error is still one JSON envelope.
    rc, text, _ = run(["--ndjson", "events/search", "-"], dict(SEARCH, limit=0))
    env = json.loads(text)
    C.check(rc != 0 and not env["success"] and env["error"]["details"]["field"] == "limit", "an error stays an envelope")


def test_usage():
    p = subprocess.run([BIN, "calc"], capture_output=True, timeout=30)
    C.check(p.returncode != 0 and "--ndjson" in p.stderr.decode(), "usage names --ndjson")
    p = subprocess.run([BIN, "calc", "--bogus", "events/search"], capture_output=True, timeout=30)
    C.check(p.returncode != 0 and "usage:" in p.stderr.decode(), "an unknown option is a usage error")


for t in (test_lines, test_envelope_without_flag, test_usage):
    t()
C.finish()
