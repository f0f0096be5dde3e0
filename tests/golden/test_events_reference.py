"""Golden test: the event search against the independent reference cases in
shared/reference/cases.json (NASA/Espenak eclipses, USNO seasons and moon phases, Espenak node
passages, DE405+ERFA ingresses, phases and returns; see shared/reference/README.md).

Every case of kind eclipse, ingress, phase, return and node_passage goes through
`nocturna calc events/search` as a user would send it: the search starts at the case's start and
the first event of the right kind is compared within the case's own tolerance. Solar eclipses are
compared in TD (our julian_day_tt), as the README advises; the others in UTC. Julian-calendar
dates of the cases are converted to the proleptic Gregorian ISO dates the API takes.
"""
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import api, run_pool, shared_dir, Checks  # noqa: E402

import json  # noqa: E402

KINDS = ("eclipse", "ingress", "phase", "return", "node_passage")
ECLIPSE_TYPES = {"T": "total", "A": "annular", "P": "partial", "H": "hybrid", "N": "penumbral"}
PHASES = {0: "new", 90: "first_quarter", 180: "full", 270: "last_quarter"}


def jd_from_date(y, m, d, frac, julian):
    """Julian day of a calendar date (Meeus 7.1), either calendar."""
    if m <= 2:
        y -= 1
        m += 12
    b = 0
    if not julian:
        a = math.floor(y / 100)
        b = 2 - a + math.floor(a / 4)
    return math.floor(365.25 * (y + 4716)) + math.floor(30.6001 * (m + 1)) + d + b - 1524.5 + frac


def gregorian_from_jd(jd):
    """(y, m, d) of the proleptic Gregorian date containing jd (0h-based)."""
    z = math.floor(jd + 0.5)
    a = z + 32044
    b = (4 * a + 3) // 146097
    c = a - 146097 * b // 4
    d = (4 * c + 3) // 1461
    e = c - 1461 * d // 4
    m = (5 * e + 2) // 153
    day = e - (153 * m + 2) // 5 + 1
    month = m + 3 - 12 * (m // 10)
    year = 100 * b + d - 4800 + m // 10
    return year, month, day


def parse_iso(text, julian=False):
    """ISO time (optionally Julian calendar, no zone or Z) -> JD."""
    m = re.match(r"^([+-]?\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d(?:\.\d+)?))?)?Z?$", text)
    if not m:
        raise ValueError(text)
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    h = int(m.group(4) or 0)
    mi = int(m.group(5) or 0)
    s = float(m.group(6) or 0)
    return jd_from_date(y, mo, d, (h + mi / 60 + s / 3600) / 24, julian)


def iso_date(jd):
    y, m, d = gregorian_from_jd(jd)
    return "%s-%02d-%02dT00:00:00Z" % (("%04d" % y) if y >= 0 else ("-%04d" % -y), m, d)


def tolerance_seconds(tol):
    if "seconds" in tol:
        return float(tol["seconds"])
    if "minutes" in tol:
        return 60.0 * float(tol["minutes"])
    return float(tol["td_seconds"])


def first_event(body, kind_filter):
    """The first event of the answer that passes kind_filter, or None."""
    if not body or not body.get("success"):
        return None
    for ev in body["data"]["events"]:
        if kind_filter(ev):
            return ev
    return None


def request_for(case):
    """(request body, event filter, expected JD, compare in TT?, notes) of one case."""
    kind, inp, exp = case["kind"], case["input"], case["expected"]
    if kind == "eclipse":
        julian = inp.get("calendar") == "julian"
        start = parse_iso(inp["start_date"], julian)
        solar = "solar" in inp["search"]
        req = {"start": iso_date(start), "end": iso_date(start + 200),
               "events": [{"kind": "eclipse", "eclipse_types": ["solar" if solar else "lunar"]}],
               "limit": 1}
        if solar:
            target = parse_iso(exp["greatest_eclipse_td"], julian)
        else:
            target = parse_iso(exp["greatest_eclipse_ut"], julian)
        want_type = ECLIPSE_TYPES[exp["type"]]
        return req, (lambda ev: ev["kind"] == "eclipse"), target, solar, want_type
    if kind == "ingress":
        body = inp["body"].upper()
        start = parse_iso(inp["search_from_utc"])
        days = 40 if body == "MOON" else 120
        req = {"start": inp["search_from_utc"], "end": iso_date(start + days),
               "events": [{"kind": "sign_ingress", "bodies": [body]}]}
        lon = float(inp["target_lon_deg"]) % 360.0
        return (req, (lambda ev: abs(((ev["longitude"] - lon + 180) % 360) - 180) < 1e-6),
                parse_iso(exp["utc"]), False, None)
    if kind == "phase":
        start = parse_iso(inp["search_from_utc"])
        angle = float(inp["target_elongation_deg"])
        req = {"start": inp["search_from_utc"], "end": iso_date(start + 35),
               "events": [{"kind": "lunar_phase", "angles": [angle]}]}
        return (req, (lambda ev: ev["kind"] == "lunar_phase"), parse_iso(exp["utc"]), False,
                PHASES.get(int(angle)))
    if kind == "return":
        natal = parse_iso(inp["natal_utc"])
        y, m, d = gregorian_from_jd(natal)
        clock = inp["natal_utc"].split("T")[1].rstrip("Z")
        body = "MOON" if "lunar" in case["id"] else "SUN"
        start = parse_iso(inp["search_from_utc"])
        req = {"start": inp["search_from_utc"], "end": iso_date(start + (30 if body == "MOON" else 370)),
               "natal_chart": {"date": "%04d-%02d-%02d" % (y, m, d), "time": clock,
                               "timezone": "UTC"},
               "events": [{"kind": "return", "bodies": [body]}]}
        return req, (lambda ev: ev["kind"] == "return"), parse_iso(exp["return_utc"]), False, body
    if kind == "node_passage":
        start = parse_iso(inp["search_from_utc"])
        direction = "ascending" if "ascending" in inp["event"] else "descending"
        req = {"start": inp["search_from_utc"], "end": iso_date(start + 30),
               "events": [{"kind": "node_passage", "bodies": ["MOON"]}]}
        return (req, (lambda ev: ev["kind"] == "node_passage"), parse_iso(exp["utc"]), False,
                direction)
    raise ValueError(kind)


def check_case(case):
    """Runs one case; returns a list of failure strings (empty when it passes)."""
    req, keep, target, in_tt, extra = request_for(case)
    code, out, err = api("events/search", req)
    if code != 0 or out is None:
        return ["request failed (%s): %s %s" % (code, (out or {}).get("error"), err.strip())]
    ev = first_event(out, keep)
    if ev is None:
        return ["no event found in %s" % json.dumps(out["data"])[:300]]
    fails = []
    got = ev["julian_day_tt"] if in_tt else parse_iso(ev["time"])
    diff = abs(got - target) * 86400.0
    tol = tolerance_seconds(case["tolerance"])
    if diff > tol:
        fails.append("time %s is %.1f s from the reference (tolerance %.0f s)" % (ev["time"], diff, tol))
    kind = case["kind"]
    if kind == "eclipse" and ev["eclipse_type"] != extra:
        fails.append("type %s, expected %s" % (ev["eclipse_type"], extra))
    if kind == "phase" and extra and ev["phase"] != extra:
        fails.append("phase %s, expected %s" % (ev["phase"], extra))
    if kind == "node_passage" and ev["direction"] != extra:
        fails.append("direction %s, expected %s" % (ev["direction"], extra))
    if kind == "return":
        exp = case["expected"]
        natal_key = "natal_sun_lon_deg" if extra == "SUN" else "natal_moon_lon_deg"
        if natal_key in exp:
            d = abs(((ev["natal_longitude"] - exp[natal_key] + 180) % 360) - 180) * 3600
            lim = case["tolerance"].get("natal_lon_arcsec", 1.0)
            if d > lim:
                fails.append("natal longitude off by %.2f\"" % d)
    return fails


def main():
    with open(os.path.join(shared_dir(), "reference", "cases.json")) as f:
        cases = [c for c in json.load(f)["cases"] if c["kind"] in KINDS]
    checks = Checks("events_reference")
    results = run_pool(check_case, cases)
    for case, fails in zip(cases, results):
        checks.check(not fails, "%s: %s" % (case["id"], "; ".join(fails)))
    by_kind = {}
    for case in cases:
        by_kind[case["kind"]] = by_kind.get(case["kind"], 0) + 1
    print("cases by kind:", ", ".join("%s %d" % kv for kv in sorted(by_kind.items())))
    checks.finish()


if __name__ == "__main__":
    main()
