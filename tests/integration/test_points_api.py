"""Points endpoints through `nocturna calc`: special points, harmonics, antiscia, declinations,
midpoints, fixed stars, lots, dignities, patterns and chart shape; values checked from first
principles, published events and the independent reference cases; bad input names the field."""
import json
import math
import os
import subprocess

from nocturna_test import BIN, SHARED, Checks, calc

NYC = {"date": "1990-01-15", "time": "14:30:00", "latitude": 40.7128, "longitude": -74.006,
       "timezone": "America/New_York"}
STATELESS = ["special-points", "harmonics", "antiscia", "declinations", "midpoints", "fixed-stars",
             "arabic-parts", "dignities", "aspect-patterns", "chart-shape"]
FLAT = ["fixed-stars", "arabic-parts", "dignities", "antiscia", "declinations", "harmonics"]


def norm(x):
    return x % 360.0


def adiff(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def ok(c, endpoint, body, what):
    rc, out, err = calc(endpoint, body)
    good = rc == 0 and out is not None and out.get("success") is True
    c.check(good, f"{what}: {endpoint} failed: rc {rc} {str(out)[:300]} {err[:200]}")
    return out["data"] if good else None


def natal(c, chart):
    d = ok(c, "stateless/natal-chart", chart, "natal chart")
    pos = {p["planet"]: p for p in d["positions"]}
    return pos, d["angles"]


def check_endpoints(c):
    for ep in STATELESS:
        d = ok(c, "stateless/" + ep, {"chart_data": NYC}, "every endpoint")
        c.check(isinstance(d, dict) and d, f"{ep}: empty data")
    for ep in FLAT:
        flat = ok(c, "calculations/" + ep, NYC, "flat form")
        nested = ok(c, "stateless/" + ep, {"chart_data": NYC}, "nested form")
        c.check(flat == nested, f"{ep}: the flat and the chart_data forms differ")
    listing = subprocess.run([BIN, "calc"], capture_output=True, timeout=60)
    listing = (listing.stdout + listing.stderr).decode(errors="replace")
    for ep in STATELESS:
        c.check("stateless/" + ep in listing, f"{ep} missing from the endpoint list")
    for ep in FLAT:
        c.check("calculations/" + ep in listing, f"calculations/{ep} missing from the list")


def check_fortune(c):
    for when, day in (("14:30:00", True), ("02:30:00", False)):
        chart = dict(NYC, time=when)
        pos, ang = natal(c, chart)
        asc, sun, moon = ang["ASC"], pos["SUN"]["longitude"], pos["MOON"]["longitude"]
        want = norm(asc + moon - sun) if day else norm(asc + sun - moon)
        sp = ok(c, "stateless/special-points", {"chart_data": chart}, "fortune")
        pf = sp["part_of_fortune"]
        c.check(adiff(pf["longitude"], want) < 1e-6,
                f"{when}: part of fortune {pf['longitude']} != {want}")
        c.check(pf["sect"] == ("day" if day else "night"), f"{when}: sect {pf['sect']}")
        parts = ok(c, "stateless/arabic-parts", {"chart_data": chart, "parts": ["FORTUNE"]}, "lot")
        f = parts["parts"]["FORTUNA"]
        c.check(adiff(f["longitude"], want) < 1e-6, f"{when}: FORTUNA {f['longitude']} != {want}")
        c.check(f["formula"] == ("ASC + MOON - SUN" if day else "ASC + SUN - MOON"),
                f"{when}: formula {f['formula']}")
        c.check(f["night_formula_used"] == (not day), f"{when}: night formula flag")
        c.check(parts["sect"] == ("day" if day else "night"), f"{when}: lots sect")
    allp = ok(c, "stateless/arabic-parts", {"chart_data": NYC}, "all lots")["parts"]
    c.check(len(allp) >= 20, f"only {len(allp)} lots")
    for name, p in allp.items():
        c.check(p["formula"] and p["source"] and 0 <= p["longitude"] < 360, f"lot {name}: {p}")


def check_special(c):
    pos, ang = natal(c, dict(NYC, planets=["TRUE_NODE", "NORTH_NODE", "LILITH", "LILITH_TRUE"]))
    sp = ok(c, "stateless/special-points", {"chart_data": NYC, "use_true_node": True}, "special")
    c.check(sp["north_node"]["type"] == "true", "use_true_node ignored")
    c.check(adiff(sp["north_node"]["longitude"], pos["TRUE_NODE"]["longitude"]) < 1e-7, "true node")
    c.check(adiff(sp["south_node"]["longitude"], pos["TRUE_NODE"]["longitude"] + 180) < 1e-7,
            "south node is not opposite")
    c.check(adiff(sp["lilith_mean"]["longitude"], pos["LILITH"]["longitude"]) < 1e-7, "lilith")
    c.check(adiff(sp["priapus_mean"]["longitude"], pos["LILITH"]["longitude"] + 180) < 1e-7,
            "mean perigee")
    c.check(sp["lilith_mean"]["speed"] != 0.0, "speeds are real, not 0")
    c.check(abs(sp["selena"]["speed"] - 360 / (7 * 365.25)) < 2e-4, "selena's 7-year period")
    c.check(adiff(sp["vertex"]["longitude"], ang["VERTEX"]) < 1e-7, "vertex")
    c.check(adiff(sp["east_point"]["longitude"], ang["EQUATORIAL_ASC"]) < 1e-7, "east point")
    c.check(adiff(sp["antivertex"]["longitude"], ang["VERTEX"] + 180) < 1e-7, "antivertex")
    no_lilith = ok(c, "stateless/special-points",
                   {"chart_data": NYC, "include_lilith": False}, "selena alone")
    c.check("selena" in no_lilith and "lilith_mean" not in no_lilith,
            "selena must not depend on include_lilith")


def check_harmonics_antiscia(c):
    pos, _ = natal(c, NYC)
    d = ok(c, "stateless/harmonics", {"chart_data": NYC, "harmonics": [1, 5, 180]}, "harmonics")
    pp = ok(c, "calculations/planetary-positions", dict(NYC, planets=["SUN"]), "positions")
    keys = set(pp["positions"][0]) - {"house"}
    for h in d["harmonics"]:
        hp = {p["planet"]: p for p in h["positions"]}
        c.check(keys <= set(hp["SUN"]), f"H{h['harmonic']}: not the positions shape")
        want = norm(pos["SUN"]["longitude"] * h["harmonic"])
        c.check(adiff(hp["SUN"]["longitude"], want) < 1e-5,
                f"H{h['harmonic']} Sun {hp['SUN']['longitude']} != {want}")
        c.check("angles" in h and "houses" in h and "aspects" in h, "harmonic chart parts")
    a = ok(c, "stateless/antiscia", {"chart_data": NYC}, "antiscia")
    for name, e in a["antiscia"].items():
        c.check(adiff(e["antiscion"]["longitude"], 180 - e["longitude"]) < 1e-7, f"{name} antiscion")
        c.check(adiff(e["contra_antiscion"]["longitude"], -e["longitude"]) < 1e-7, f"{name} contra")
    for x in a["aspects"]:
        l1, l2 = a["antiscia"][x["planet1"]]["longitude"], a["antiscia"][x["planet2"]]["longitude"]
        mirror = 180 - l1 if x["aspect_type"] == "ANTISCION" else -l1
        c.check(abs(adiff(mirror, l2) - x["orb"]) < 1e-6 and x["orb"] <= 1.0, f"contact {x}")
    # 10 Aries mirrors to 20 Virgo: the Sun at 10 Aries on 2024-03-30.
    chart = {"date": "2024-03-30", "time": "12:00", "planets": ["SUN"]}
    s = ok(c, "stateless/antiscia", {"chart_data": chart}, "aries")["antiscia"]["SUN"]
    c.check(s["sign"] == "ARIES" and s["antiscion"]["sign"] == "VIRGO" and
            s["antiscion"]["degree"] == 29 - s["degree"], f"antiscion of {s['degree']} Aries: {s}")


def check_declinations(c):
    sol = {"date": "2024-06-20", "time": "20:51", "planets": ["SUN", "MOON"]}
    d = ok(c, "stateless/declinations", {"chart_data": sol}, "solstice")
    sun = d["declinations"]["SUN"]
    c.check(abs(sun["declination"] - d["obliquity"]) < 1 / 3600, f"solstice Sun {sun} vs {d['obliquity']}")
    c.check(abs(d["obliquity"] - 23.4384) < 1e-3, f"true obliquity {d['obliquity']}")
    c.check(sun["out_of_bounds"] is False, "the Sun is never out of bounds")
    stand = {"date": "2006-03-22", "time": "16:48", "planets": ["MOON", "SUN"]}
    d = ok(c, "stateless/declinations", {"chart_data": stand}, "standstill")
    moon = d["declinations"]["MOON"]
    c.check(abs(moon["declination"] + 28.72) < 0.01 and moon["out_of_bounds"] is True,
            f"2006 standstill Moon {moon}")
    c.check(abs(moon["out_of_bounds_by"] - (28.72 - d["obliquity"])) < 0.01, "out_of_bounds_by")
    d = ok(c, "stateless/declinations", {"chart_data": NYC, "parallel_orb": 2.0}, "parallels")
    decl = d["declinations"]
    for p in d["parallels"]:
        a, b = decl[p["planet1"]]["declination"], decl[p["planet2"]]["declination"]
        orb = abs(a - b) if p["aspect_type"] == "PARALLEL" else abs(a + b)
        c.check(abs(orb - p["orb"]) < 1e-6 and orb <= 2.0, f"parallel {p}")
    c.check(any(p["planet1"] == "SUN" and p["planet2"] == "SATURN" for p in d["parallels"]),
            "Sun parallel Saturn (-21.06 and -22.04) missing")


def check_midpoints(c):
    d = ok(c, "stateless/midpoints", {"chart_data": NYC, "orb": 1.5}, "midpoints")["midpoints"]
    pos, ang = natal(c, NYC)
    sm = d["SUN/MOON"]
    want = norm(pos["SUN"]["longitude"] + ((pos["MOON"]["longitude"] - pos["SUN"]["longitude"] + 180) % 360 - 180) / 2)
    c.check(adiff(sm["longitude"], want) < 1e-6, f"Sun/Moon midpoint {sm['longitude']} != {want}")
    n = 0
    for key, m in d.items():
        for p in m["planets"]:
            lon = pos[p["planet"]]["longitude"] if p["planet"] in pos else ang[p["planet"]]
            sep = adiff(lon, m["longitude"])
            angle = {"CONJUNCTION": 0, "OPPOSITION": 180, "SQUARE": 90, "SEMISQUARE": 45,
                     "SESQUISQUARE": 135}[p["aspect_type"]]
            c.check(abs(abs(sep - angle) - p["orb"]) < 1e-6 and p["orb"] <= 1.5, f"{key}: {p}")
            n += 1
    c.check(n > 0, "no planet on any midpoint with a 1.5 degree orb")


def check_stars(c):
    with open(os.path.join(SHARED, "reference", "cases.json")) as f:
        cases = [x for x in json.load(f)["cases"] if x["kind"] == "star"]
    c.check(len(cases) >= 5, "reference star cases missing")
    for case in cases:
        inp, exp, tol = case["input"], case["expected"], case["tolerance"]["arcsec"] / 3600
        body = {"chart_data": {"julian_day_tt": inp["jd_tt"]}, "stars": [inp["star"]]}
        d = ok(c, "stateless/fixed-stars", body, case["id"])
        if d is None:
            continue
        s = list(d["stars"].values())[0]
        if "lon_deg" in exp:
            dl = adiff(s["longitude"], exp["lon_deg"]) * math.cos(math.radians(exp["lat_deg"]))
            c.check(dl <= tol and abs(s["latitude"] - exp["lat_deg"]) <= tol,
                    f"{case['id']}: {s['longitude']}, {s['latitude']} vs {exp}")
            c.check(abs(s["declination"] - exp["dec_deg"]) <= tol, f"{case['id']}: declination")
        else:
            dra = adiff(s["right_ascension"], exp["apparent_ra_deg"]) * math.cos(math.radians(exp["apparent_dec_deg"]))
            c.check(dra <= tol and abs(s["declination"] - exp["apparent_dec_deg"]) <= tol,
                    f"{case['id']}: {s['right_ascension']}, {s['declination']} vs {exp}")
    d = ok(c, "stateless/fixed-stars", {"chart_data": NYC}, "default list")
    c.check(d["count"] == 16 and d["selection"] == "default", "default list of 16")
    # The upstream appendix values for this chart (SE files, same catalogue).
    for name, lon in (("Regulus", 149.69892), ("Spica", 203.70600), ("Algol", 56.03541),
                      ("Rigil Kentaurus", 239.35361)):
        c.check(adiff(d["stars"][name]["longitude"], lon) < 2e-5, f"{name} {d['stars'][name]}")
    d = ok(c, "stateless/fixed-stars", {"chart_data": NYC, "magnitude_limit": 1.0, "orb": 2.5,
                                        "aspects": ["CONJUNCTION", "OPPOSITION"]}, "bright")
    c.check(d["count"] == 16 and all(s["magnitude"] <= 1.0 for s in d["stars"].values()),
            f"magnitude filter {d['count']}")
    # The whole catalogue: every key once (two stars named Algedi get their designations).
    raw = subprocess.run([BIN, "calc", "stateless/fixed-stars", "-"], capture_output=True,
                         input=json.dumps({"chart_data": NYC, "magnitude_limit": 20}).encode(),
                         timeout=60).stdout
    dups = []

    def no_dups(pairs):
        keys = [k for k, _ in pairs]
        dups.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(pairs)

    whole = json.loads(raw, object_pairs_hook=no_dups)["data"]
    c.check(not dups, f"duplicate keys {dups[:5]}")
    c.check(1000 < whole["count"] == len(whole["stars"]) < 1300, f"catalogue: {whole['count']}")
    c.check("Algedi (al-2Cap)" in whole["stars"], "Algedi with its designation")
    vega = d["stars"]["Vega"]["aspects"]
    c.check(any(a["point"] == "SATURN" and a["aspect_type"] == "CONJUNCTION" and a["orb"] <= 2.5
                for a in vega), f"Vega conjunct Saturn: {vega}")


def check_dignities(c):
    leo = {"date": "2000-08-10", "time": "12:00", "latitude": 51.4779, "longitude": 0.0}
    d = ok(c, "stateless/dignities", {"chart_data": leo}, "sun in leo")
    sun = d["dignities"]["SUN"]
    c.check(sun["sign"] == "LEO" and sun["rulership"] == 5 and "RULERSHIP" in sun["dignities"],
            f"Sun in Leo: {sun}")
    c.check(d["sect"] == "day" and sun["triplicity"] == 3, "the Sun rules fire by day")
    c.check(sun["total"] == sum(sun[k] for k in ("rulership", "exaltation", "triplicity", "term",
                                                  "face", "detriment", "fall", "peregrine")),
            "total is the sum of the scores")
    mr = {"date": "2014-05-10", "time": "12:00", "latitude": 51.4779, "longitude": 0.0}
    d = ok(c, "stateless/dignities", {"chart_data": mr}, "reception")
    c.check({"planet1": "VENUS", "planet2": "MARS", "type": "DOMICILE"} in d["mutual_receptions"],
            f"Venus in Aries / Mars in Libra: {d['mutual_receptions']}")
    c.check(d["dignities"]["VENUS"]["detriment"] == -5 and d["dignities"]["MARS"]["detriment"] == -5,
            "Venus in Aries and Mars in Libra are both in detriment")
    for tri in ("dorothean", "ptolemaic", "lilly"):
        for terms in ("egyptian", "ptolemaic"):
            x = ok(c, "stateless/dignities", {"chart_data": NYC, "triplicity": tri, "terms": terms,
                                              "dignity_system": "modern"}, "systems")
            c.check(x["triplicity"] == tri and x["terms"] == terms and "PLUTO" in x["dignities"],
                    f"{tri}/{terms}")
    x = ok(c, "stateless/dignities", {"chart_data": NYC}, "almuten")
    syz = x["almuten_figuris"]["prenatal_syzygy"]
    c.check(syz["type"] == "full_moon" and syz["time"].startswith("1990-01-11T04:5"),
            f"prenatal syzygy {syz}")
    c.check(len(x["almuten_figuris"]["planets"]) >= 1, "almuten of the chart")


def check_patterns_shape(c):
    d = ok(c, "stateless/aspect-patterns", {"chart_data": NYC}, "patterns")
    cap = [p for p in d["patterns"] if p["type"] == "STELLIUM" and p["sign"] == "CAPRICORN"]
    c.check(len(cap) == 1 and set(cap[0]["members"]) == {"SUN", "MERCURY", "SATURN", "URANUS",
                                                          "NEPTUNE"},
            f"the 1990 Capricorn stellium: {cap}")
    s = ok(c, "stateless/chart-shape", {"chart_data": NYC}, "shape")
    c.check(sum(e["count"] for e in s["elements"].values()) == 10, "elements count 10 planets")
    c.check(s["elements"]["EARTH"]["count"] == 6 and s["dominant_element"] == ["EARTH"], "earth")
    h = s["hemispheres"]
    c.check(h["NORTH"]["count"] + h["SOUTH"]["count"] == 10 == h["EAST"]["count"] + h["WEST"]["count"],
            "hemispheres")
    c.check(sum(q["count"] for q in s["quadrants"].values()) == 10, "quadrants")
    c.check(s["shape"]["type"] in ("BUNDLE", "BOWL", "BUCKET", "LOCOMOTIVE", "SEESAW", "SPLASH",
                                   "SPLAY"), "shape type")


BAD = [
    ("harmonic 0", "stateless/harmonics", {"chart_data": NYC, "harmonics": [0]}, "harmonics[0]"),
    ("harmonic 181", "stateless/harmonics", {"chart_data": NYC, "harmonics": [2, 181]}, "harmonics[1]"),
    ("harmonic 2.5", "stateless/harmonics", {"chart_data": NYC, "harmonics": [2.5]}, "harmonics[0]"),
    ("harmonic flat 0", "calculations/harmonics", dict(NYC, harmonics=[0]), "harmonics[0]"),
    ("harmonics not list", "stateless/harmonics", {"chart_data": NYC, "harmonics": 5}, "harmonics"),
    ("no star", "stateless/fixed-stars", {"chart_data": NYC, "stars": ["Regulus", "Nostar"]}, "stars[1]"),
    ("star number", "stateless/fixed-stars", {"chart_data": NYC, "stars": ["12"]}, "stars[0]"),
    ("star twice", "stateless/fixed-stars", {"chart_data": NYC, "stars": ["Regulus", "alpha Leonis"]}, "stars[1]"),
    ("unknown part", "stateless/arabic-parts", {"chart_data": NYC, "parts": ["FORTUNA", "NOPE"]}, "parts[1]"),
    ("parts no place", "stateless/arabic-parts", {"chart_data": dict(NYC, latitude=None, longitude=None)}, "chart_data.latitude"),
    ("dignity system", "stateless/dignities", {"chart_data": NYC, "dignity_system": "vedic"}, "dignity_system"),
    ("triplicity", "stateless/dignities", {"chart_data": NYC, "triplicity": "x"}, "triplicity"),
    ("terms", "calculations/dignities", dict(NYC, terms="chaldean"), "terms"),
    ("no chart", "stateless/antiscia", {"orb": 1}, "chart_data"),
    ("chart not object", "stateless/declinations", {"chart_data": [1]}, "chart_data"),
    ("bad date", "stateless/special-points", {"chart_data": dict(NYC, date="1990-02-30")}, "chart_data.date"),
    ("orb", "stateless/antiscia", {"chart_data": NYC, "orb": 20}, "orb"),
    ("parallel orb", "stateless/declinations", {"chart_data": NYC, "parallel_orb": -1}, "parallel_orb"),
    ("midpoint aspect", "stateless/midpoints", {"chart_data": NYC, "aspects": ["TRINE"]}, "aspects"),
    ("pattern orb", "stateless/aspect-patterns", {"chart_data": NYC, "orbs": {"SEPTILE": 1}}, "orbs.SEPTILE"),
    ("options planets", "stateless/chart-shape", {"chart_data": NYC, "options": {"planets": ["SUN", "X"]}}, "options.planets[1]"),
]


def check_bad(c):
    for name, ep, body, field in BAD:
        if isinstance(body.get("chart_data"), dict):  # None marks a field to leave out
            body["chart_data"] = {k: v for k, v in body["chart_data"].items() if v is not None}
        rc, out, err = calc(ep, body)
        good = out is not None and rc == 1 and out.get("success") is False
        c.check(good, f"{name}: rc {rc} {str(out)[:200]}")
        if not good:
            continue
        e = out["error"]
        c.check(e["code"] == "VALIDATION_ERROR", f"{name}: code {e['code']}")
        c.check((e.get("details") or {}).get("field") == field,
                f"{name}: field {(e.get('details') or {}).get('field')!r} != {field!r} ({e['message']})")
    rc, out, err = calc("stateless/fixed-stars", {"chart_data": NYC, "stars": ["Nostar"]})
    c.check(out and "Nostar" in out["error"]["message"], "the error names the missing star")


def main():
    c = Checks("points api")
    check_endpoints(c)
    check_fortune(c)
    check_special(c)
    check_harmonics_antiscia(c)
    check_declinations(c)
    check_midpoints(c)
    check_stars(c)
    check_dignities(c)
    check_patterns_shape(c)
    check_bad(c)
    c.finish()


if __name__ == "__main__":
    main()
