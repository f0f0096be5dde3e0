"""Golden test: the API against the independent reference cases in shared/reference/cases.json
(JPL Horizons, Meeus, IANA tz, DE405+ERFA computations; see shared/reference/README.md).

Every case of kind position, house, node, timezone, julday, sidereal_time and ayanamsa is checked
through `nocturna calc` within the case's own tolerance. Houses and sidereal time are asked by
julian_day_ut = the case's jd_ut1, so the ARMC is the case's own and its 0.01"-1" tolerances hold.
Positions go in by the case's jd_tt when it has one (julian_day_tt: the ephemeris without any
Delta-T question, as the README advises); the UTC of such a case is sent as well, and the TT the
service derives from it (meta.time.julian_day_tt) must equal the case's jd_tt. Cases with only a
UTC go in as date/time in zone UTC (before 1972 the service, like the references, reads it as UT1).
Kinds that belong to later endpoints are printed and counted as skipped, never as passed.
The closing line counts cases: a case passes when all its comparisons pass.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import api, run_pool, shared_dir  # noqa: E402

CHECKED = ("position", "house", "node", "timezone", "julday", "sidereal_time", "ayanamsa")
LATER = {"eclipse": "eclipse search", "ingress": "ingress search", "phase": "lunar phases",
         "return": "solar/lunar returns", "node_passage": "node passages", "star": "fixed stars"}
HOUSE_NAMES = {"P": "PLACIDUS", "K": "KOCH", "O": "PORPHYRY", "R": "REGIOMONTANUS",
               "C": "CAMPANUS", "A": "EQUAL", "E": "EQUAL", "W": "WHOLE_SIGN", "B": "ALCABITIUS",
               "T": "TOPOCENTRIC", "X": "MERIDIAN", "M": "MORINUS", "D": "EQUAL_MC"}
POSITIONS = "calculations/planetary-positions"


def angdiff(a, b):
    d = (a - b) % 360.0
    return min(d, 360.0 - d)


def split_utc(utc):
    """'1912-04-15T05:00:00Z' -> ('1912-04-15', '05:00:00')."""
    m = re.match(r"^([+-]?\d{4,5}-\d\d-\d\d)T(\d\d:\d\d(?::\d\d(?:\.\d+)?)?)Z?$", utc)
    if not m:
        raise ValueError("unreadable time %r" % utc)
    return m.group(1), m.group(2)


def parse_utc_seconds(text):
    """ISO UTC -> seconds since 1970 (proleptic Gregorian), for comparing instants."""
    m = re.match(r"^([+-]?\d{4,5})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d(?:\.\d+)?))?Z?$", text)
    y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
    s = float(m.group(6) or 0)
    y2 = y - (mo <= 2)
    era = (y2 if y2 >= 0 else y2 - 399) // 400
    yoe = y2 - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return days * 86400 + h * 3600 + mi * 60 + s


def offset_seconds(text):
    """'+05:30', '-04:56:02' -> seconds."""
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def hms_hours(text):
    """'13h10m46.1351s' -> hours."""
    m = re.match(r"^(\d+)h(\d+)m([\d.]+)s$", text)
    return int(m.group(1)) + int(m.group(2)) / 60 + float(m.group(3)) / 3600


class Case:
    """Comparisons of one reference case."""

    def __init__(self, case):
        self.case = case
        self.failures = []
        self.compared = 0
        self.notes = []

    def check(self, ok, what):
        self.compared += 1
        if not ok:
            self.failures.append(what)
        return ok

    def within(self, what, got, want, tol, unit="arcsec", angle=True):
        """got/want in degrees, tol in arcsec (or plain units when unit is not arcsec)."""
        if got is None:
            return self.check(False, "%s: missing in the response" % what)
        if unit == "arcsec":
            diff = (angdiff(got, want) if angle else abs(got - want)) * 3600.0
        else:
            diff = abs(got - want)
        return self.check(diff <= tol, "%s: got %.9f, expected %.9f, off by %.4g %s (tolerance %g)"
                          % (what, got, want, diff, unit, tol))

    def ok_response(self, answer, what="request"):
        rc, out, err = answer
        return self.check(rc == 0 and out is not None and out.get("success"),
                          "%s failed: exit %s, %s %s" % (what, rc, out and out.get("error"),
                                                         err[-300:]))


def body_name(name):
    return {"mean_node": "NORTH_NODE", "true_node": "TRUE_NODE"}.get(name, name.upper())


# ---- position -------------------------------------------------------------------------------

def position_request(inp, bodies, by_utc):
    body = {"planets": [body_name(b) for b in bodies]}
    if by_utc:
        body["date"], body["time"] = split_utc(inp["utc"])
        body["timezone"] = "UTC"
    elif inp.get("jd_tt") is not None:
        body["julian_day_tt"] = inp["jd_tt"]
    else:
        raise ValueError("a position case without utc or jd_tt")
    obs = inp.get("observer")
    if isinstance(obs, dict):
        body.update({"center": "topocentric", "latitude": obs["lat"], "longitude": obs["lon"],
                     "altitude": obs.get("alt_m", 0.0)})
    return body


def check_position(c, answer, utc_answer):
    inp, exp, tol = c.case["input"], c.case["expected"], c.case["tolerance"]
    if utc_answer is not None and c.ok_response(utc_answer, "the UTC request"):
        # The case's TT of its UTC (TAI-UTC from the leap-second table, + 32.184 s) against the
        # service's UTC -> TT chain.
        c.within("meta.time.julian_day_tt of %s" % inp["utc"],
                 utc_answer[1]["meta"]["time"]["julian_day_tt"], inp["jd_tt"], 1e-8, unit="day")
    if not c.ok_response(answer):
        return
    out = answer[1]
    got = {p["planet"]: p for p in out["data"]["positions"]}
    per_body = tol.get("per_body", {})
    for name, want in exp["bodies"].items():
        p = got.get(body_name(name))
        if not c.check(p is not None, "%s missing" % name):
            continue
        t = dict(tol)
        t.update(per_body.get(name, {}))
        c.within(name + " longitude", p["longitude"], want["lon_deg"], t["lon_arcsec"])
        if "lat_deg" in want:
            c.within(name + " latitude", p["latitude"], want["lat_deg"],
                     t.get("lat_arcsec", t["lon_arcsec"]), angle=False)
        if "dist_au" in want:
            # No distance tolerance is given: 1e-8 AU is 1.5 km, far above the model differences.
            c.within(name + " distance", p["distance"], want["dist_au"], 1e-8, unit="AU")
    for name, want in exp.get("lon_speed_deg_per_day", {}).items():
        p = got.get(body_name(name))
        if c.check(p is not None, "%s speed missing" % name):
            c.within(name + " speed", p["speed"], want, tol["speed_deg_per_day"], unit="deg/day")


# ---- house and sidereal time ----------------------------------------------------------------

def house_request(inp, strict=False):
    body = {"julian_day_ut": inp["jd_ut1"], "latitude": inp["lat"], "longitude": inp["lon"],
            "house_system": inp["house_system"]}
    if strict:
        body["strict_houses"] = True
    return body


def check_house(c, answer, strict_answer):
    inp, exp, tol = c.case["input"], c.case["expected"], c.case["tolerance"]
    if not c.ok_response(answer):
        return
    out = answer[1]
    data = out["data"]
    angle_tol = tol.get("angle_arcsec", 1.0)
    cusp_tol = tol.get("cusp_arcsec", angle_tol)
    angles = data["angles"]
    for key, name in (("asc_deg", "ASC"), ("mc_deg", "MC"), ("armc_deg", "ARMC"),
                      ("vertex_deg", "VERTEX")):
        if key in exp:
            c.within(name, angles.get(name), exp[key], angle_tol)
    requested = HOUSE_NAMES.get(inp["house_system"], inp["house_system"])
    warned = [w for w in out["meta"]["warnings"] if w["code"] == "HOUSE_SYSTEM_FALLBACK"]
    if exp.get("undefined"):
        # Our documented policy: Swiss Ephemeris' Porphyry cusps, said in data.system and a
        # warning; strict_houses turns it into an error.
        c.check(data["system"] == "PORPHYRY" and data["system_requested"] == requested,
                "system %s / requested %s, expected PORPHYRY / %s"
                % (data["system"], data["system_requested"], requested))
        c.check(len(warned) == 1, "no HOUSE_SYSTEM_FALLBACK warning: %s" % out["meta"]["warnings"])
        cusps = exp["porphyry_fallback_cusps_deg"]
        srv = strict_answer
        c.check(srv[0] == 1 and srv[1] and srv[1]["error"]["code"] == "VALIDATION_ERROR"
                and srv[1]["error"]["details"]["field"] == "house_system",
                "strict_houses: expected VALIDATION_ERROR on house_system, got exit %s %s"
                % (srv[0], srv[1] and srv[1].get("error")))
    else:
        c.check(data["system"] == requested and not warned,
                "system %s (requested %s), warnings %s" % (data["system"], requested, warned))
        cusps = exp["cusps_deg"]
    got = [h["longitude"] for h in data["houses"]]
    if c.check(len(got) == len(cusps), "%d cusps, expected %d" % (len(got), len(cusps))):
        for i, (g, w) in enumerate(zip(got, cusps)):
            c.within("cusp %d" % (i + 1), g, w, cusp_tol)


def sidereal_request(inp):
    # ARMC at Greenwich is the Greenwich apparent sidereal time; latitude does not enter it.
    return {"julian_day_ut": inp["jd_ut1"], "latitude": 0.0, "longitude": 0.0,
            "house_system": "O"}


def check_sidereal(c, answer):
    exp, tol = c.case["expected"], c.case["tolerance"]
    if not c.ok_response(answer):
        return
    if not c.check("gast" in exp, "the case gives no apparent sidereal time (gast) to compare"):
        return
    armc = answer[1]["data"]["angles"]["ARMC"]
    got_s = armc / 15.0 * 3600.0
    want_s = hms_hours(exp["gast"]) * 3600.0
    diff = abs(got_s - want_s)
    diff = min(diff, 86400.0 - diff)
    c.check(diff <= tol["seconds_of_time"], "GAST: ARMC/15 = %.4f s of day, expected %.4f s "
            "(%s), off by %.4g s" % (got_s, want_s, exp["gast"], diff))
    c.notes.append("GAST off by %.4f s" % diff)


# ---- node -----------------------------------------------------------------------------------

def node_request(inp):
    return {"julian_day_tt": inp["jd_tt"], "planets": [body_name(inp["body"])]}


def check_node(c, answer):
    inp, exp, tol = c.case["input"], c.case["expected"], c.case["tolerance"]
    if not c.ok_response(answer):
        return
    p = answer[1]["data"]["positions"][0]
    # Swiss Ephemeris' node is referred to the true equinox of date (nutation applied).
    want = exp.get("mean_node_lon_true_equinox_deg", exp.get("true_node_lon_deg"))
    c.within(p["planet"] + " longitude", p["longitude"], want, tol["lon_arcsec"])


# ---- timezone -------------------------------------------------------------------------------

def tz_requests(inp):
    date, clock = split_utc(inp["local"])
    base = {"date": date, "time": clock, "timezone": inp["tz"], "planets": ["SUN"]}
    return {"default": base, "earlier": dict(base, fold="earlier"),
            "later": dict(base, fold="later"), "strict": dict(base, strict_time=True)}


def check_instant(c, what, out, cand):
    t = out["meta"]["time"]
    tz = t["timezone"]
    c.check(abs(parse_utc_seconds(t["utc"]) - parse_utc_seconds(cand["utc"])) <= 0,
            "%s: utc %s, expected %s" % (what, t["utc"], cand["utc"]))
    c.check(tz["offset_seconds"] == offset_seconds(cand["utc_offset"]),
            "%s: offset %s (%s s), expected %s" % (what, tz["offset"], tz["offset_seconds"],
                                                   cand["utc_offset"]))


def check_timezone(c, answers):
    exp = c.case["expected"]
    status = exp["status"]
    cands = {k.get("fold", 0): k for k in exp["candidates"]}
    for key in ("default", "earlier", "later"):
        if not c.ok_response(answers[key], key):
            return
    warnings = {k: [w["code"] for w in answers[k][1]["meta"]["warnings"]] for k in answers
                if answers[k][1]}
    res = {k: answers[k][1]["meta"]["time"]["timezone"]["resolution"] for k in
           ("default", "earlier", "later")}
    strict = answers["strict"]
    if status.startswith("ambiguous"):
        check_instant(c, "fold earlier", answers["earlier"][1], cands[0])
        check_instant(c, "fold later", answers["later"][1], cands[1])
        check_instant(c, "no fold (earlier by default)", answers["default"][1], cands[0])
        c.check(res == {"default": "fold_earlier", "earlier": "fold_earlier",
                        "later": "fold_later"}, "resolutions %s" % res)
        c.check(all("AMBIGUOUS_LOCAL_TIME" in warnings[k] for k in res),
                "AMBIGUOUS_LOCAL_TIME warnings: %s" % warnings)
        c.check(strict[0] == 1 and strict[1] and strict[1]["error"]["code"] == "VALIDATION_ERROR",
                "strict_time on an ambiguous time: exit %s %s" % (strict[0], strict[1]))
    elif status.startswith("nonexistent"):
        # Our policy: the offset in force before the gap (the case's fold=0 candidate).
        before = cands[0]
        for key in ("default", "earlier", "later"):
            check_instant(c, "gap (%s)" % key, answers[key][1], before)
        c.check(set(res.values()) == {"gap"}, "resolutions %s" % res)
        c.check(all("NONEXISTENT_LOCAL_TIME" in warnings[k] for k in res),
                "NONEXISTENT_LOCAL_TIME warnings: %s" % warnings)
        c.check(strict[0] == 1 and strict[1] and strict[1]["error"]["code"] == "VALIDATION_ERROR",
                "strict_time on a nonexistent time: exit %s %s" % (strict[0], strict[1]))
    else:
        only = exp["candidates"][0] if exp.get("candidates") else exp
        check_instant(c, "unique", answers["default"][1], only)
        c.check(res["default"] == "unique", "resolution %s" % res["default"])
        c.check(not warnings["default"], "warnings %s" % warnings["default"])
        c.check(strict[0] == 0, "strict_time on a unique time failed: %s" % (strict[1],))


# ---- julday ---------------------------------------------------------------------------------

def julday_request(inp):
    y, mo = inp["year"], inp["month"]
    day = int(inp["day_fraction"])
    ms = round((inp["day_fraction"] - day) * 86400000)
    h, rem = divmod(ms, 3600000)
    mi, rem = divmod(rem, 60000)
    s = rem / 1000.0
    date = "%s%04d-%02d-%02d" % ("-" if y < 0 else "", abs(y), mo, day)
    return {"date": date, "time": "%02d:%02d:%06.3f" % (h, mi, s), "timezone": "UTC",
            "calendar": inp["calendar"], "planets": ["SUN"]}


def check_julday(c, answer):
    inp, exp, tol = c.case["input"], c.case["expected"], c.case["tolerance"]
    if not c.ok_response(answer):
        return
    t = answer[1]["meta"]["time"]
    c.check(t["calendar"] == inp["calendar"], "meta.time.calendar %s" % t["calendar"])
    diff = abs(t["julian_day_ut"] - exp["jd"])
    if diff <= tol["days"]:
        c.check(True, "")
        return
    # Inside the leap-second era UT1 is not UTC: then TT - JD(UTC) must be 32.184 s plus a
    # whole number of leap seconds.
    extra = (t["julian_day_tt"] - exp["jd"]) * 86400.0 - 32.184
    c.check(1972 <= inp["year"] and abs(extra - round(extra)) <= tol["days"] * 86400.0
            and 10 <= round(extra) <= 40,
            "julian_day_ut %.9f, expected %.9f (off by %.3g d); TT-JD(UTC)-32.184 s = %.6f s"
            % (t["julian_day_ut"], exp["jd"], diff, extra))
    c.notes.append("UT1 != UTC here: checked through TT - UTC")


# ---- ayanamsa -------------------------------------------------------------------------------

def ayanamsa_request(inp):
    body = {"zodiac": "sidereal", "ayanamsa": inp["sidereal_mode"], "planets": ["SUN"]}
    if inp.get("jd_tt") is not None:
        body["julian_day_tt"] = inp["jd_tt"]
    elif inp.get("utc"):
        body["date"], body["time"] = split_utc(inp["utc"])
        body["timezone"] = "UTC"
    else:
        # "SE uses JD 2433282.42346 = 1950 Jan 0.923 TT": the defining epoch, in TT.
        m = re.search(r"JD\s*([0-9]+\.[0-9]+)", str(inp.get("date", "")))
        if not m:
            raise ValueError("no instant in %s" % inp)
        body["julian_day_tt"] = float(m.group(1))
    return body


def check_ayanamsa(c, answer):
    inp, exp, tol = c.case["input"], c.case["expected"], c.case["tolerance"]
    if not c.ok_response(answer):
        return
    settings = answer[1]["meta"]["settings"]
    true_deg = settings.get("ayanamsa_deg")
    mean_deg = settings.get("ayanamsa_mean_deg")
    marker = str(inp.get("true_or_mean", "")).lower()
    if "true_ayanamsa_deg" in exp or marker.startswith("true"):
        c.within("true ayanamsa (meta.settings.ayanamsa_deg)", true_deg,
                 exp.get("true_ayanamsa_deg", exp.get("ayanamsa_deg")), tol["arcsec"])
    elif marker.startswith("mean") or "mean_ayanamsa_deg" in exp:
        c.within("mean ayanamsa (meta.settings.ayanamsa_mean_deg)", mean_deg,
                 exp.get("mean_ayanamsa_deg", exp.get("ayanamsa_deg")), tol["arcsec"])
    else:
        # A defining value at the ayanamsa's epoch. Definitions differ in kind: Fagan/Bradley's
        # SVP is a mean-equinox value, Swiss Ephemeris takes Lahiri's as true. Either of the two
        # the service reports may match; nutation (up to 17") keeps them apart.
        want = exp["ayanamsa_deg"]
        found = [(n, v) for n, v in (("true", true_deg), ("mean", mean_deg))
                 if v is not None and abs(v - want) * 3600 <= tol["arcsec"]]
        c.check(bool(found), "defining value %.7f: the service reports true %s and mean %s "
                "(off by %s and %s arcsec; tolerance %s)"
                % (want, true_deg, mean_deg,
                   "%.3f" % ((true_deg - want) * 3600) if true_deg is not None else "-",
                   "%.3f" % ((mean_deg - want) * 3600) if mean_deg is not None else "-",
                   tol["arcsec"]))
        if found:
            c.notes.append("matched the %s ayanamsa" % found[0][0])


# ---- driver ---------------------------------------------------------------------------------

def requests_for(case):
    """The requests a case needs: {key: (endpoint, body)}."""
    kind, inp = case["kind"], case["input"]
    if kind == "position":
        bodies = list(case["expected"]["bodies"])
        if inp.get("jd_tt") is None:
            return {"main": (POSITIONS, position_request(inp, bodies, True))}
        # The ephemeris by the case's own TT; the UTC path is checked on its own (its TT).
        reqs = {"main": (POSITIONS, position_request(inp, bodies, False))}
        if inp.get("utc"):
            reqs["utc"] = (POSITIONS, position_request(inp, bodies[:1], True))
        return reqs
    if kind == "house":
        reqs = {"main": ("calculations/houses", house_request(inp))}
        if case["expected"].get("undefined"):
            reqs["strict"] = ("calculations/houses", house_request(inp, strict=True))
        return reqs
    if kind == "sidereal_time":
        return {"main": ("calculations/houses", sidereal_request(inp))}
    if kind == "node":
        return {"main": (POSITIONS, node_request(inp))}
    if kind == "timezone":
        return {k: (POSITIONS, b) for k, b in tz_requests(inp).items()}
    if kind == "julday":
        return {"main": (POSITIONS, julday_request(inp))}
    if kind == "ayanamsa":
        return {"main": (POSITIONS, ayanamsa_request(inp))}
    raise ValueError("no checker for kind %r" % kind)


def judge(case, answers):
    c = Case(case)
    kind = case["kind"]
    if kind == "position":
        check_position(c, answers["main"], answers.get("utc"))
    elif kind == "house":
        check_house(c, answers["main"], answers.get("strict"))
    elif kind == "sidereal_time":
        check_sidereal(c, answers["main"])
    elif kind == "node":
        check_node(c, answers["main"])
    elif kind == "timezone":
        check_timezone(c, answers)
    elif kind == "julday":
        check_julday(c, answers["main"])
    elif kind == "ayanamsa":
        check_ayanamsa(c, answers["main"])
    return c


def main():
    path = os.path.join(shared_dir(), "reference", "cases.json")
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    passed = failed = skipped = comparisons = 0
    work = []
    for case in cases:
        if case["kind"] in LATER:
            print("SKIP %s: kind %s belongs to a later issue (%s)"
                  % (case["id"], case["kind"], LATER[case["kind"]]))
            skipped += 1
            continue
        if case["kind"] not in CHECKED:
            print("FAIL %s: unknown kind %r, no checker" % (case["id"], case["kind"]))
            failed += 1
            continue
        try:
            reqs = requests_for(case)
        except (KeyError, ValueError) as e:
            print("FAIL %s: cannot build the request: %s" % (case["id"], e))
            failed += 1
            continue
        for key, (endpoint, body) in reqs.items():
            work.append((case["id"], key, endpoint, body))
    answers = run_pool(lambda w: api(w[2], w[3]), work)
    by_case = {}
    for (cid, key, _, _), ans in zip(work, answers):
        by_case.setdefault(cid, {})[key] = ans
    for case in cases:
        if case["id"] not in by_case:
            continue
        try:
            c = judge(case, by_case[case["id"]])
        except (KeyError, TypeError, ValueError, IndexError) as e:
            print("FAIL %s: unexpected response shape: %r" % (case["id"], e))
            failed += 1
            continue
        comparisons += c.compared
        note = (" (%s)" % "; ".join(c.notes)) if c.notes else ""
        if c.failures or c.compared == 0:
            failed += 1
            print("FAIL %s [%s]: %s" % (case["id"], case["kind"],
                                        "; ".join(c.failures) or "nothing compared"))
            for key, (endpoint, body) in requests_for(case).items():
                print("     request %s: nocturna calc %s <<< %s" % (key, endpoint, json.dumps(body)))
        else:
            passed += 1
            print("ok   %s [%s]: %d comparisons%s" % (case["id"], case["kind"], c.compared, note))
    print("%d cases, %d comparisons, %d requests" % (len(cases), comparisons, len(work)))
    print("test_reference_cases: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
