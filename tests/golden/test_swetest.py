"""Golden test: the API against Debian's swetest (the same Swiss Ephemeris 2.10.03 and files).

1,000 random instants 1800-2399 (fixed seed), every body the API computes, in these groups:
tropical geocentric apparent by julian_day_ut (swetest -ut) and by julian_day_tt (swetest's
default TT input), sidereal with several ayanamsas (and meta.settings.ayanamsa_deg against
swetest's ayanamsa), true positions, topocentric and heliocentric. Then house cusps and angles
for 24 house systems at ordinary and polar sites, where Swiss Ephemeris falls back to Porphyry
and the response must say so. The instants are Julian days sent verbatim to both programs, so
no UTC/UT1 conversion is involved. Values must agree to 1e-7 degree (the API prints 7 decimals).
"""
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import (EPHE_PATH, SWETEST, Checks, angdiff, api, jd_arg,  # noqa: E402
                         parse_rows, run_pool, swetest_blocks)

SEED = 20260611
N_INSTANTS = 1000
N_HOUSE_CASES = 240
JD_1800 = 2378496.5  # 1800-01-01 0h
JD_2400 = 2597641.5  # 2400-01-01 0h
TOL_DEG = 1e-7       # longitude, latitude, speed, RA, declination, cusps, angles
TOL_AU = 2e-9        # distance (the API prints 9 decimals)

# swetest body letter, swetest's row name, API name.
BODIES = [
    ("0", "Sun", "SUN"), ("1", "Moon", "MOON"), ("2", "Mercury", "MERCURY"),
    ("3", "Venus", "VENUS"), ("4", "Mars", "MARS"), ("5", "Jupiter", "JUPITER"),
    ("6", "Saturn", "SATURN"), ("7", "Uranus", "URANUS"), ("8", "Neptune", "NEPTUNE"),
    ("9", "Pluto", "PLUTO"), ("m", "mean Node", "NORTH_NODE"), ("t", "true Node", "TRUE_NODE"),
    ("A", "mean Apogee", "LILITH"), ("B", "osc. Apogee", "LILITH_TRUE"),
    ("c", "intp. Apogee", "LILITH_INTERPOLATED"), ("D", "Chiron", "CHIRON"),
    ("E", "Pholus", "PHOLUS"), ("F", "Ceres", "CERES"), ("G", "Pallas", "PALLAS"),
    ("H", "Juno", "JUNO"), ("I", "Vesta", "VESTA"),
]
# Derived by the API: the point opposite the node (longitude + 180, latitude negated).
SOUTH = {"SOUTH_NODE": "mean Node", "TRUE_SOUTH_NODE": "true Node"}
ALL_API = [b[2] for b in BODIES] + list(SOUTH)
SW_LETTERS = "".join(b[0] for b in BODIES)
# Swiss Ephemeris has no heliocentric Sun, nodes or apogees (swetest -hel leaves them out).
HELIO_API = [b[2] for b in BODIES if b[0] in "123456789DEFGHI"]
# swetest -fPlbsRad: longitude, latitude, speed in longitude, distance, RA, declination.
FMT = "-fPlbsRad"

AYANAMSAS = [(0, "FAGAN_BRADLEY"), (1, "LAHIRI"), (3, "RAMAN"), (5, "KRISHNAMURTI"),
             (7, "YUKTESHWAR"), (17, "GALCENT_0SAG"), (27, "TRUE_CITRA"), (39, "TRUE_SHEORAN")]

HOUSE_SYSTEMS = ["P", "K", "R", "C", "O", "A", "W", "B", "T", "X", "M", "D", "N", "V", "U",
                 "S", "L", "Q", "F", "H", "I", "i", "Y", "G"]
HOUSE_NAMES = {"P": "PLACIDUS", "K": "KOCH", "O": "PORPHYRY", "R": "REGIOMONTANUS",
               "C": "CAMPANUS", "A": "EQUAL", "D": "EQUAL_MC", "N": "EQUAL_ARIES",
               "W": "WHOLE_SIGN", "V": "VEHLOW", "X": "MERIDIAN", "M": "MORINUS",
               "B": "ALCABITIUS", "T": "TOPOCENTRIC", "U": "KRUSINSKI", "S": "SRIPATI",
               "L": "PULLEN_SD", "Q": "PULLEN_SR", "F": "CARTER", "H": "HORIZONTAL",
               "I": "SUNSHINE", "i": "SUNSHINE_MAKRANSKY", "Y": "APC", "G": "GAUQUELIN"}
SITES = [(40.7128, -74.006), (51.5074, -0.1278), (-33.8688, 151.2093), (-0.1807, -78.4678),
         (64.1466, -21.9426), (-54.8019, -68.303), (0.0, 0.0), (35.6762, 139.6503)]
POLAR_SITES = [(69.6496, 18.956), (78.22, 15.63), (-77.85, 166.67), (82.5, -62.3),
               (70.0, 25.0), (-68.5, 78.0), (89.0, 0.0)]
ANGLE_ROWS = [("Ascendant", "ASC"), ("MC", "MC"), ("ARMC", "ARMC"), ("Vertex", "VERTEX"),
              ("equat. Asc.", "EQUATORIAL_ASC"), ("co-Asc. W.Koch", "CO_ASC_KOCH"),
              ("co-Asc Munkasey", "CO_ASC_MUNKASEY"), ("Polar Asc.", "POLAR_ASC")]

C = Checks("test_swetest")
stats = {}


def count(what, n=1):
    stats[what] = stats.get(what, 0) + n


def build_cases(rng):
    """Position cases: (group, jd, request extras, swetest options, bodies)."""
    cases = []
    for i in range(N_INSTANTS):
        jd = round(rng.uniform(JD_1800, JD_2400), 8)
        if i < 700:
            cases.append(("ut", jd, {"julian_day_ut": jd}, ["-ut"], ALL_API))
        elif i < 800:
            cases.append(("tt", jd, {"julian_day_tt": jd}, [], ALL_API))
        elif i < 880:
            num, name = AYANAMSAS[i % len(AYANAMSAS)]
            cases.append(("sidereal:" + name, jd,
                          {"julian_day_ut": jd, "zodiac": "sidereal", "ayanamsa": name},
                          ["-ut", "-sid%d" % num], ALL_API))
        elif i < 920:
            cases.append(("true", jd, {"julian_day_ut": jd, "position_type": "true"},
                          ["-ut", "-true"], ALL_API))
        elif i < 970:
            lat = round(rng.uniform(-70, 70), 4)
            lon = round(rng.uniform(-180, 180), 4)
            alt = round(rng.uniform(0, 3000))
            cases.append(("topocentric", jd,
                          {"julian_day_ut": jd, "center": "topocentric", "latitude": lat,
                           "longitude": lon, "altitude": alt},
                          ["-ut", "-topo%s,%s,%s" % (lon, lat, alt)], ALL_API))
        else:
            cases.append(("heliocentric", jd, {"julian_day_ut": jd, "center": "heliocentric"},
                          ["-ut", "-hel"], HELIO_API))
    return cases


def swetest_expected(cases):
    """swetest rows per case: one swetest run per distinct option list."""
    by_opts = {}
    for idx, c in enumerate(cases):
        by_opts.setdefault(tuple(c[3]), []).append(idx)
    expected = [None] * len(cases)
    for opts, idxs in by_opts.items():
        letters = SW_LETTERS + ("b" if any(o.startswith("-sid") for o in opts) else "")
        blocks = swetest_blocks(list(opts) + ["-p" + letters, FMT], [cases[i][1] for i in idxs])
        for i, lines in zip(idxs, blocks):
            expected[i] = parse_rows(lines)
    # Swiss Ephemeris' sidereal equatorial coordinates leave out nutation; the API's right
    # ascension and declination are always of the true equator and equinox of date, the same
    # in both zodiacs, so sidereal cases take them from a tropical run.
    sid = [i for i, c in enumerate(cases) if c[0].startswith("sidereal")]
    if sid:
        blocks = swetest_blocks(["-ut", "-p" + SW_LETTERS, FMT], [cases[i][1] for i in sid])
        for i, lines in zip(sid, blocks):
            tropical, _ = parse_rows(lines)
            for name, row in expected[i][0].items():
                if name in tropical:
                    row[4:6] = tropical[name][4:6]
    return expected


def check_value(label, got, want, tol, angle=False):
    if got is None:
        return C.check(False, "%s: missing (expected %.11f)" % (label, want))
    diff = angdiff(got, want) if angle else abs(got - want)
    return C.check(diff <= tol, "%s: got %.9f, swetest %.11f (diff %.3g)" % (label, got, want, diff))


def check_position(case, out, rows):
    group, jd = case[0], case[1]
    positions = {p["planet"]: p for p in out["data"]["positions"]}
    for api_name in case[4]:
        south = api_name in SOUTH
        sw_name = SOUTH[api_name] if south else next(b[1] for b in BODIES if b[2] == api_name)
        label = "%s jd=%s %s" % (group, jd_arg(jd), api_name)
        p = positions.get(api_name)
        row = rows.get(sw_name)
        if not C.check(p is not None and row is not None and len(row) >= 6,
                       "%s: missing (api %s, swetest %s)" % (label, p is not None, row)):
            continue
        lon, lat, speed, dist, ra, dec = row[:6]
        if south:
            lon, lat, ra, dec = lon + 180.0, -lat, ra + 180.0, -dec
        check_value(label + " longitude", p["longitude"], lon, TOL_DEG, angle=True)
        check_value(label + " latitude", p["latitude"], lat, TOL_DEG)
        check_value(label + " speed", p["speed"], speed, TOL_DEG)
        check_value(label + " distance", p["distance"], dist, TOL_AU)
        check_value(label + " right_ascension", p["right_ascension"], ra, TOL_DEG, angle=True)
        check_value(label + " declination", p["declination"], dec, TOL_DEG)
        count("bodies compared")


def run_positions(rng):
    cases = build_cases(rng)
    t0 = time.monotonic()
    expected = swetest_expected(cases)
    t1 = time.monotonic()

    def one(case):
        body = dict(case[2])
        body["planets"] = case[4]
        return api("calculations/planetary-positions", body)

    answers = run_pool(one, cases)
    t2 = time.monotonic()
    for case, (rc, out, err), (rows, sw_errors) in zip(cases, answers, expected):
        label = "%s jd=%s" % (case[0], jd_arg(case[1]))
        if not C.check(rc == 0 and out and out.get("success"),
                       "%s: exit %s, %s %s" % (label, rc, out and out.get("error"), err[-500:])):
            continue
        C.check(not sw_errors, "%s: swetest reported %s" % (label, sw_errors))
        count("instants: " + case[0].split(":")[0])
        check_position(case, out, rows)
        if case[0].startswith("sidereal"):
            aya = rows.get("Ayanamsha")
            got = out["meta"]["settings"].get("ayanamsa_deg")
            if C.check(aya is not None, "%s: swetest printed no ayanamsa" % label):
                check_value(label + " ayanamsa_deg", got, aya[0], TOL_DEG)
                count("ayanamsas compared")
        if case[0] == "tt":
            C.check(abs(out["meta"]["time"]["julian_day_tt"] - case[1]) < 1e-9,
                    "%s: meta.time.julian_day_tt %s" % (label, out["meta"]["time"]["julian_day_tt"]))
    check_ay_option(cases, answers)
    print("positions: %d instants, swetest %.1f s, api %.1f s"
          % (len(cases), t1 - t0, t2 - t1), flush=True)


def check_ay_option(cases, answers):
    """meta.settings.ayanamsa_deg against swetest's own -ay report, once per ayanamsa."""
    seen = set()
    for case, (rc, out, _) in zip(cases, answers):
        if not case[0].startswith("sidereal") or case[0] in seen or rc != 0:
            continue
        seen.add(case[0])
        num = next(o for o in case[3] if o.startswith("-sid"))[4:]
        p = subprocess.run([SWETEST, "-edir" + EPHE_PATH, "-bj" + jd_arg(case[1]), "-ut",
                            "-ay" + num, "-ep"], capture_output=True, timeout=60)
        m = re.search(r"Ayanamsha.*?(-?)(\d+)\u00b0\s*(\d+)'\s*([\d.]+)",
                      p.stdout.decode(errors="replace"))
        label = "%s jd=%s swetest -ay%s" % (case[0], jd_arg(case[1]), num)
        if C.check(m is not None, "%s: no ayanamsa in %r" % (label, p.stdout[:300])):
            want = (int(m.group(2)) + int(m.group(3)) / 60 + float(m.group(4)) / 3600)
            want = -want if m.group(1) else want
            check_value(label, out["meta"]["settings"]["ayanamsa_deg"], want, TOL_DEG)
            count("ayanamsas compared with swetest -ay")


def build_house_cases(rng):
    cases = []
    for i in range(N_HOUSE_CASES):
        jd = round(rng.uniform(JD_1800, JD_2400), 8)
        system = HOUSE_SYSTEMS[i % len(HOUSE_SYSTEMS)]
        kind = i % 5
        if kind == 0:
            lat, lon = POLAR_SITES[(i // 5) % len(POLAR_SITES)]
            if (i // 5) % 2 == 0:
                # The systems Swiss Ephemeris cannot draw inside the polar circles.
                system = "PKG"[(i // 10) % 3]
        elif kind == 1:
            lat, lon = round(rng.uniform(-89.5, 89.5), 4), round(rng.uniform(-180, 180), 4)
        else:
            lat, lon = SITES[i % len(SITES)]
        sid = AYANAMSAS[i % len(AYANAMSAS)] if i % 6 == 0 else None
        # A few polar cases ask for strict_houses, which must refuse the fallback.
        strict = kind == 0 and i % 3 == 0
        cases.append((jd, lat, lon, system, sid, strict))
    return cases


def house_case_work(case):
    jd, lat, lon, system, sid, strict = case
    opts = ["-ut", "-p", "-fPl", "-house%s,%s,%s" % (lon, lat, system)]
    body = {"julian_day_ut": jd, "latitude": lat, "longitude": lon, "house_system": system}
    if sid:
        opts.append("-sid%d" % sid[0])
        body.update({"zodiac": "sidereal", "ayanamsa": sid[1]})
    if strict:
        body["strict_houses"] = True
    rows = parse_rows(swetest_blocks(opts, [jd])[0])
    return rows, api("calculations/houses", body)


def check_houses_case(case, rows, answer):
    jd, lat, lon, system, sid, strict = case
    (sw, sw_errors), (rc, out, err) = rows, answer
    label = "houses %s jd=%s lat=%s lon=%s%s" % (system, jd_arg(jd), lat, lon,
                                                 " sidereal " + sid[1] if sid else "")
    fell_back = any("Porphyry calculated instead" in e for e in sw_errors)
    if fell_back:
        count("house cases with the polar fallback")
    if strict and fell_back:
        C.check(rc == 1 and out and not out["success"]
                and out["error"]["code"] == "VALIDATION_ERROR"
                and out["error"]["details"]["field"] == "house_system",
                "%s strict_houses: expected a VALIDATION_ERROR on house_system, got exit %s %s"
                % (label, rc, out and out.get("error")))
        count("strict_houses refusals")
        return
    if not C.check(rc == 0 and out and out.get("success"),
                   "%s: exit %s, %s %s" % (label, rc, out and out.get("error"), err[-500:])):
        return
    data = out["data"]
    used = "PORPHYRY" if fell_back else HOUSE_NAMES[system]
    C.check(data["system"] == used and data["system_requested"] == HOUSE_NAMES[system],
            "%s: system %s (requested %s), expected %s" % (label, data["system"],
                                                          data["system_requested"], used))
    warned = any(w["code"] == "HOUSE_SYSTEM_FALLBACK" for w in out["meta"]["warnings"])
    C.check(warned == fell_back, "%s: fallback warning %s, swetest fell back %s"
            % (label, warned, fell_back))
    C.check(not [e for e in sw_errors if "Porphyry calculated instead" not in e],
            "%s: swetest reported %s" % (label, sw_errors))
    ncusps = 36 if system == "G" and not fell_back else 12
    cusps = [h["longitude"] for h in data["houses"]]
    if C.check(len(cusps) == ncusps, "%s: %d cusps, expected %d" % (label, len(cusps), ncusps)):
        for k in range(ncusps):
            want = sw.get("house %2d" % (k + 1))
            if C.check(want is not None, "%s: swetest has no cusp %d" % (label, k + 1)):
                check_value("%s cusp %d" % (label, k + 1), cusps[k], want[0], TOL_DEG, angle=True)
    angles = data["angles"]
    for sw_name, api_name in ANGLE_ROWS:
        want = sw.get(sw_name)
        if C.check(want is not None, "%s: swetest has no %s" % (label, sw_name)):
            check_value("%s %s" % (label, api_name), angles.get(api_name), want[0], TOL_DEG,
                        angle=True)
    check_value(label + " DESC", angles["DESC"], (angles["ASC"] + 180) % 360, TOL_DEG, angle=True)
    check_value(label + " IC", angles["IC"], (angles["MC"] + 180) % 360, TOL_DEG, angle=True)
    count("house cases compared")


def run_houses(rng):
    cases = build_house_cases(rng)
    t0 = time.monotonic()
    results = run_pool(house_case_work, cases)
    for case, (rows, answer) in zip(cases, results):
        check_houses_case(case, rows, answer)
    print("houses: %d cases, %.1f s" % (len(cases), time.monotonic() - t0), flush=True)


def main():
    rng = random.Random(SEED)
    start = time.monotonic()
    run_positions(rng)
    run_houses(rng)
    for k in sorted(stats):
        print("  %s: %d" % (k, stats[k]))
    print("total %.1f s" % (time.monotonic() - start))
    C.finish()


if __name__ == "__main__":
    main()
