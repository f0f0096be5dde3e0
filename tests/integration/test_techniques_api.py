"""Chart techniques through the endpoint table (nocturna calc): synastry, composite and Davison,
transits, progressions, solar arc and primary directions, returns. Values are checked against
first principles and against other endpoints, and the reference returns of cases.json."""
import json
import math
import os
from datetime import datetime, timezone

from nocturna_test import SHARED, Checks, calc

C = Checks("techniques_api")

NYC = {"date": "1990-01-15", "time": "14:30:00", "latitude": 40.7128, "longitude": -74.006,
       "timezone": "America/New_York"}
LONDON = {"date": "1992-06-20", "time": "08:15:00", "latitude": 51.5074, "longitude": -0.1278,
          "timezone": "Europe/London"}
YEAR = 365.24219
NAIBOD = 360.0 / YEAR


def ok(endpoint, body):
    rc, out, err = calc(endpoint, body)
    if not C.check(rc == 0 and out and out.get("success"), f"{endpoint} succeeds: {out and out.get('error')} {err[-300:]}"):
        return None
    return out


def adiff(a, b):
    return (a - b + 180.0) % 360.0 - 180.0


def by_planet(positions):
    return {p["planet"]: p for p in positions}


def jd_of(iso):
    t = datetime.strptime(iso.rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    frac = float("0." + iso.rstrip("Z").split(".")[1]) if "." in iso else 0.0
    return 2440587.5 + (t.timestamp() + frac) / 86400.0


def natal_jd(chart):
    out = ok("calculations/planetary-positions", dict(chart, planets=["SUN"]))
    return out["meta"]["time"]["julian_day_ut"]


def positions_utc(iso, planets):
    """Positions at a UTC instant printed by the service (read back as UTC, not as UT1)."""
    date, clock = iso.rstrip("Z").split("T")
    return ok("calculations/planetary-positions", {"date": date, "time": clock, "planets": planets})["data"]["positions"]


def positions_at(jd, lat=None, lon=None, planets=None):
    body = {"julian_day_ut": jd}
    if lat is not None:
        body.update(latitude=lat, longitude=lon)
    if planets:
        body["planets"] = planets
    return ok("calculations/planetary-positions", body)["data"]["positions"]


# ---- Synastry --------------------------------------------------------------------------------

def test_synastry():
    out = ok("stateless/synastry", {"chart1": NYC, "chart2": LONDON})
    if not out:
        return
    d = out["data"]
    c1, c2 = by_planet(d["chart1"]["positions"]), by_planet(d["chart2"]["positions"])
    C.check(len(c1) == 12 and len(c2) == 12, "both charts carry the 12 default bodies")
    C.check(len(d["chart1"]["houses"]) == 12 and "ASC" in d["chart1"]["angles"], "chart1 has houses and angles")
    # Every aspect checks out against the two charts' positions, and applying follows the
    # documented rule (relative speed of the two bodies; angles do not move).
    pts1 = {k: (v["longitude"], v["speed"]) for k, v in c1.items()}
    pts2 = {k: (v["longitude"], v["speed"]) for k, v in c2.items()}
    pts1.update(ASC=(d["chart1"]["angles"]["ASC"], 0.0), MC=(d["chart1"]["angles"]["MC"], 0.0))
    pts2.update(ASC=(d["chart2"]["angles"]["ASC"], 0.0), MC=(d["chart2"]["angles"]["MC"], 0.0))
    bad = 0
    for a in d["aspects"]:
        l1, s1 = pts1[a["planet1"]]
        l2, s2 = pts2[a["planet2"]]
        dd = adiff(l1, l2)
        sep = abs(dd)
        rate = (s1 - s2) if dd > 0 else -(s1 - s2)
        applying = (sep - a["aspect_angle"]) * rate < 0
        if abs(sep - a["angle"]) > 1e-6 or abs(abs(sep - a["aspect_angle"]) - a["orb"]) > 1e-6 or applying != a["applying"]:
            bad += 1
    C.check(bad == 0 and len(d["aspects"]) > 20, f"{len(d['aspects'])} synastry aspects consistent ({bad} bad)")
    C.check(len({(a["planet1"], a["planet2"]) for a in d["aspects"]}) == len(d["aspects"]), "one aspect per pair")
    # Overlays: a body of chart2 in chart1's houses is in the house whose cusps bracket it.
    cusps = [h["longitude"] for h in d["chart1"]["houses"]]
    wrong = 0
    for o in d["house_overlays"]["chart2_in_chart1"]:
        i = o["house"] - 1
        span = (cusps[(i + 1) % 12] - cusps[i]) % 360
        if not (o["longitude"] - cusps[i]) % 360 < span:
            wrong += 1
    C.check(wrong == 0 and len(d["house_overlays"]["chart2_in_chart1"]) == 12, "overlays chart2 in chart1")
    C.check(len(d["house_overlays"]["chart1_in_chart2"]) == 12, "overlays chart1 in chart2")
    comp = d["compatibility"]
    C.check(0 <= comp["score"] <= 100 and comp["aspect_count"] == len(d["aspects"]), "score in range")
    C.check(abs(comp["score"] - 100 * (comp["harmony"] + 10) / (comp["harmony"] + comp["tension"] + 20)) < 0.06,
            "score follows its documented formula")
    parts = comp["breakdown"]
    C.check(abs(sum(p["harmony"] for p in parts.values()) - comp["harmony"]) < 0.01 and
            sum(p["aspects"] for p in parts.values()) == len(d["aspects"]), "breakdown adds up")
    C.check(abs(sum(a["weight"] for a in d["aspects"]) - comp["harmony"] - comp["tension"]) < 0.05,
            "aspect weights add up to harmony + tension")
    # The method text lists what the code counts as harmony: semisextiles among them.
    semi = [a for a in d["aspects"] if a["aspect_type"] == "SEMISEXTILE"]
    C.check(semi and all(a["nature"] == "harmony" for a in semi), "semisextiles count as harmony")
    harmony_text = comp["method"].split(" are harmony")[0]
    C.check("semisextile" in harmony_text.lower(), f"method lists semisextiles as harmony: {comp['method']}")
    # Identical charts: allowed with a warning; every body conjunct itself, exactly.
    out = ok("stateless/synastry", {"chart1": NYC, "chart2": dict(NYC)})
    if out:
        C.check(any(w["code"] == "IDENTICAL_CHARTS" for w in out["meta"]["warnings"]), "identical charts warned")
        conj = [a for a in out["data"]["aspects"] if a["planet1"] == a["planet2"]]
        C.check(len(conj) == 14 and all(a["aspect_type"] == "CONJUNCTION" and a["orb"] == 0 for a in conj),
                "identical charts: every point exactly on itself")
    # Options: only trines, 2 degrees, through the upstream `options` block.
    out = ok("stateless/synastry", {"chart1": NYC, "chart2": LONDON,
                                    "options": {"aspects": ["TRINE"], "orbs": {"TRINE": 2}, "planets": ["SUN", "MOON", "VENUS"]}})
    if out:
        asp = out["data"]["aspects"]
        C.check(all(a["aspect_type"] == "TRINE" and a["orb"] <= 2 for a in asp), "aspect filter and orb honoured")
        C.check(len(out["data"]["chart1"]["positions"]) == 3, "planets option honoured")


# ---- Composite and Davison ---------------------------------------------------------------------

def test_composite():
    out = ok("stateless/composite", {"chart1": NYC, "chart2": LONDON})
    s1 = ok("calculations/planetary-positions", NYC)
    s2 = ok("calculations/planetary-positions", LONDON)
    h1 = ok("calculations/houses", NYC)
    h2 = ok("calculations/houses", LONDON)
    if not (out and s1 and s2 and h1 and h2):
        return
    d = out["data"]
    p1, p2 = by_planet(s1["data"]["positions"]), by_planet(s2["data"]["positions"])
    bad = 0
    for p in d["positions"]:
        a, b = p1[p["planet"]]["longitude"], p2[p["planet"]]["longitude"]
        mid = (b + adiff(a, b) / 2) % 360
        # Shorter arc: the midpoint is within 90 degrees of both.
        if abs(adiff(p["longitude"], mid)) > 1e-6 or abs(adiff(p["longitude"], a)) > 90.0001:
            bad += 1
    C.check(bad == 0 and len(d["positions"]) == 12, "composite bodies at shorter-arc midpoints")
    mc = (h2["data"]["angles"]["MC"] + adiff(h1["data"]["angles"]["MC"], h2["data"]["angles"]["MC"]) / 2) % 360
    C.check(abs(adiff(d["angles"]["MC"], mc)) < 1e-6, "composite MC is the midpoint of the MCs")
    # The houses are a real division around that MC at the mean latitude: Placidus houses of
    # any chart with that ARMC at that latitude.
    C.check(abs(adiff(d["houses"][9]["longitude"], d["angles"]["MC"])) < 1e-6, "cusp 10 = composite MC")
    C.check(abs(d["location"]["latitude"] - (NYC["latitude"] + LONDON["latitude"]) / 2) < 1e-6, "mean latitude")
    # The obliquity of the composite houses is the mean of the two charts' true obliquities
    # (each from its own MC and ARMC: tan(ARMC) = tan(MC) cos(eps)), as the method says.
    def eps_of(angles):
        return math.degrees(math.acos(math.tan(math.radians(angles["ARMC"])) / math.tan(math.radians(angles["MC"]))))
    e1, e2, ec = eps_of(h1["data"]["angles"]), eps_of(h2["data"]["angles"]), eps_of(d["angles"])
    # 2e-5: the angles are printed to 1e-7 degree and the composite MC is near 0, where the
    # ratio is sensitive; the mean obliquity (no nutation) would be off by about 2e-3.
    C.check(abs(ec - (e1 + e2) / 2) < 2e-5, f"composite obliquity {ec:.7f} = mean of {e1:.7f} and {e2:.7f}")
    C.check("true obliquities" in d["method"] and "mean obliquity" not in d["method"],
            f"method names the averaged true obliquities: {d['method']}")
    # Davison: the chart of the mean instant and place equals planetary-positions there.
    out = ok("stateless/composite", {"chart1": NYC, "chart2": LONDON, "composite_type": "davison"})
    if not out:
        return
    d = out["data"]
    j1, j2 = s1["meta"]["time"]["julian_day_ut"], s2["meta"]["time"]["julian_day_ut"]
    C.check(abs(d["time"]["julian_day_ut"] - (j1 + j2) / 2) < 1e-7, "Davison instant is the mean instant")
    lat = (NYC["latitude"] + LONDON["latitude"]) / 2
    lon = (NYC["longitude"] + LONDON["longitude"]) / 2  # same hemisphere: the plain mean
    C.check(abs(d["location"]["longitude"] - lon) < 1e-6, "Davison longitude is the mean longitude")
    ref = ok("stateless/natal-chart", {"julian_day_ut": (j1 + j2) / 2, "latitude": lat, "longitude": lon})
    if ref:
        rp = by_planet(ref["data"]["positions"])
        worst = max(abs(adiff(p["longitude"], rp[p["planet"]]["longitude"])) for p in d["positions"])
        C.check(worst < 1e-6, f"Davison positions equal the chart at the mean instant and place ({worst:.2e})")
        worst = max(abs(adiff(a["longitude"], b["longitude"])) for a, b in zip(d["houses"], ref["data"]["houses"]))
        C.check(worst < 1e-6, "Davison houses equal the chart at the mean instant and place")
    # Across the date line the mean place is on the shorter arc.
    a = dict(NYC, longitude=170.0)
    b = dict(LONDON, longitude=-170.0)
    out = ok("stateless/composite", {"chart1": a, "chart2": b, "composite_type": "davison"})
    if out:
        C.check(abs(abs(out["data"]["location"]["longitude"]) - 180.0) < 1e-6, "Davison longitude across the date line")


# ---- Transits --------------------------------------------------------------------------------

def test_transits():
    out = ok("stateless/transits", {"natal_chart": NYC, "transit_date": "2026-01-11", "transit_time": "12:00"})
    if not out:
        return
    d = out["data"]
    C.check(d["transit_time"]["utc"].startswith("2026-01-11T17:00:00"), "transit time read in the natal zone")
    natal = by_planet(d["natal"]["positions"])
    natal.update({"ASC": {"longitude": d["natal"]["angles"]["ASC"]}, "MC": {"longitude": d["natal"]["angles"]["MC"]}})
    transit = by_planet(d["transits"]["positions"])
    now = by_planet(positions_at(d["transit_time"]["julian_day_ut"]))
    C.check(abs(adiff(transit["SATURN"]["longitude"], now["SATURN"]["longitude"])) < 1e-7, "transit positions at the moment")
    # Natal points stand still: applying is the transiting body's own motion.
    bad = 0
    for a in d["aspects"]:
        dd = adiff(transit[a["planet1"]]["longitude"], natal[a["planet2"]]["longitude"])
        rate = transit[a["planet1"]]["speed"] * (1 if dd > 0 else -1)
        if ((abs(dd) - a["aspect_angle"]) * rate < 0) != a["applying"]:
            bad += 1
    C.check(bad == 0 and len(d["aspects"]) > 10, "transit applying from the transiting body's motion")
    # Exact times: at the instant given, the transiting body stands on the aspect (to its motion
    # in the second of rounding).
    checked = 0
    for a in d["aspects"]:
        if a["exact_time"] is None or a["planet1"] == "MOON":
            continue
        p = by_planet(positions_utc(a["exact_time"], [a["planet1"]]))[a["planet1"]]
        sep = abs(adiff(p["longitude"], natal[a["planet2"]]["longitude"]))
        # The time is printed to the whole second (truncated).
        if C.check(abs(sep - a["aspect_angle"]) <= abs(p["speed"]) / 86400 * 1.0 + 1e-7,
                   f"transit {a['planet1']} {a['aspect_type']} {a['planet2']} exact at {a['exact_time']}"):
            checked += 1
        if checked >= 6:
            break
    C.check(checked >= 3, "several exact times verified")
    # House of a transiting body = the natal house it passes through.
    cusps = [h["longitude"] for h in d["natal"]["houses"]]
    p = transit["SUN"]
    i = p["house"] - 1
    C.check((p["longitude"] - cusps[i]) % 360 < (cusps[(i + 1) % 12] - cusps[i]) % 360, "transit house is natal house")


# ---- Progressions ----------------------------------------------------------------------------

def test_progressions():
    jd0 = natal_jd(NYC)
    target = jd0 + 30.5 * YEAR
    out = ok("stateless/progressions", {"natal_chart": NYC, "progression_date": target})
    if not out:
        return
    d = first = out["data"]
    C.check(abs(d["progressed_time"]["julian_day_ut"] - (jd0 + 30.5)) < 1e-7,
            "secondary progression at age 30.5 is birth + 30.5 days (tropical year 365.24219)")
    C.check(abs(d["age_years"] - 30.5) < 1e-6 and d["year_length_days"] == YEAR, "age and year length reported")
    ref = by_planet(positions_at(jd0 + 30.5))
    worst = max(abs(adiff(p["longitude"], ref[p["planet"]]["longitude"])) for p in d["positions"])
    C.check(worst < 1e-7, "progressed positions are the ephemeris at the progressed instant")
    natal = by_planet(d["natal"]["positions"])
    C.check(abs(d["solar_arc"] - adiff(ref["SUN"]["longitude"], natal["SUN"]["longitude"])) < 1e-7, "solar arc reported")
    # Naibod angles: natal ARMC + 30.5 * Naibod.
    C.check(abs(adiff(d["angles"]["ARMC"], d["natal"]["angles"]["ARMC"] + 30.5 * NAIBOD)) < 1e-6, "Naibod ARMC")
    # Solar arc angles: natal MC + the solar arc.
    out = ok("stateless/progressions", {"natal_chart": NYC, "progression_date": target, "angle_method": "solar_arc"})
    if out:
        C.check(abs(adiff(out["data"]["angles"]["MC"], d["natal"]["angles"]["MC"] + d["solar_arc"])) < 1e-6, "solar arc MC")
    # Daily houses: the real houses of the progressed instant at the birth place.
    out = ok("stateless/progressions", {"natal_chart": NYC, "progression_date": target, "angle_method": "daily_houses"})
    hs = ok("calculations/houses", {"julian_day_ut": jd0 + 30.5, "latitude": NYC["latitude"], "longitude": NYC["longitude"]})
    if out and hs:
        C.check(abs(adiff(out["data"]["angles"]["ASC"], hs["data"]["angles"]["ASC"])) < 1e-7, "daily houses ASC")
    # Converse: back from birth by the same interval.
    out = ok("stateless/progressions", {"natal_chart": NYC, "progression_date": target, "converse": True})
    if out:
        C.check(abs(out["data"]["progressed_time"]["julian_day_ut"] - (jd0 - 30.5)) < 1e-7, "converse progression")
    # Tertiary and minor.
    out = ok("stateless/progressions", {"natal_chart": NYC, "progression_date": jd0 + 27.321582 * 10, "progression_type": "tertiary"})
    if out:
        C.check(abs(out["data"]["progressed_time"]["julian_day_ut"] - (jd0 + 10)) < 1e-7, "tertiary: a day per lunar month")
    out = ok("stateless/progressions", {"natal_chart": NYC, "progression_date": jd0 + 2 * YEAR, "progression_type": "minor"})
    if out:
        C.check(abs(out["data"]["progressed_time"]["julian_day_ut"] - (jd0 + 2 * 27.321582)) < 1e-7, "minor: a lunar month per year")
    # Exact dates of progressed aspects: at that date of life the progressed body stands on the aspect.
    out = ok("stateless/progressions", {"natal_chart": NYC, "progression_date": "2026-01-11"})
    if out:
        d = out["data"]
        natal = by_planet(d["natal"]["positions"])
        done = 0
        for a in d["aspects"]:
            if a["exact_time"] is None or a["planet2"] not in natal or a["planet1"] not in natal:
                continue
            pj = jd0 + (jd_of(a["exact_time"]) - jd0) / YEAR
            p = by_planet(positions_at(pj, planets=[a["planet1"]]))[a["planet1"]]
            sep = abs(adiff(p["longitude"], natal[a["planet2"]]["longitude"]))
            C.check(abs(sep - a["aspect_angle"]) < 1e-4, f"progressed {a['planet1']} {a['aspect_type']} natal {a['planet2']} exact")
            done += 1
        C.check(done >= 2, "progressed exact dates verified")
    # The flat form gives the same answer.
    flat = ok("calculations/secondary-progressions", dict(NYC, progression_date=target))
    if flat:
        C.check(flat["data"]["positions"] == first["positions"] and flat["data"]["houses"] == first["houses"],
                "flat secondary progressions equal the stateless ones")


# ---- Directions ------------------------------------------------------------------------------

def test_solar_arc():
    jd0 = natal_jd(NYC)
    out = ok("stateless/directions", {"natal_chart": NYC, "target_date": "2026-01-11", "direction_type": "solar_arc"})
    if not out:
        return
    d = out["data"]
    age = (d["target_date"]["julian_day_ut"] - jd0) / YEAR
    prog = by_planet(positions_at(jd0 + age, planets=["SUN"]))["SUN"]["longitude"]
    natal = by_planet(d["natal"]["positions"])
    arc = adiff(prog, natal["SUN"]["longitude"])
    C.check(abs(d["solar_arc"] - arc) < 1e-7, f"solar arc = progressed Sun - natal Sun ({d['solar_arc']:.4f})")
    C.check(35 < d["solar_arc"] < 37, "about a degree a year, not the 355 degrees of the older service")
    directed = by_planet(d["positions"])
    C.check(all(abs(adiff(directed[k]["longitude"], natal[k]["longitude"] + arc)) < 1e-6 for k in natal), "every point directed by the arc")
    C.check(abs(adiff(d["angles"]["MC"], d["natal"]["angles"]["MC"] + arc)) < 1e-6, "directed MC")
    # Events: at each date the arc equals directed point + aspect = natal point.
    pts = {k: v["longitude"] for k, v in natal.items()}
    pts.update(ASC=d["natal"]["angles"]["ASC"], MC=d["natal"]["angles"]["MC"])
    bad = 0
    for e in d["events"]:
        sa = adiff(by_planet(positions_at(jd0 + (jd_of(e["date"]) - jd0) / YEAR, planets=["SUN"]))["SUN"]["longitude"], natal["SUN"]["longitude"])
        sep = abs(adiff(pts[e["directed"]] + sa, pts[e["natal"]]))
        asp = {"CONJUNCTION": 0, "OPPOSITION": 180, "TRINE": 120, "SQUARE": 90, "SEXTILE": 60, "QUINCUNX": 150,
               "SEMISEXTILE": 30, "SEMISQUARE": 45, "SESQUISQUARE": 135}[e["aspect_type"]]
        if abs(sep - asp) > 2e-5 or abs(sa - e["arc"]) > 2e-5:
            bad += 1
    C.check(bad == 0 and len(d["events"]) > 5, f"{len(d['events'])} solar arc events perfect on their dates")
    dates = [e["date"] for e in d["events"]]
    C.check(dates == sorted(dates) and all(d["period"]["start"] <= x <= d["period"]["end"] for x in dates), "events sorted inside the period")
    check_solar_arc_applying(d, 1.0)
    out = ok("stateless/directions", {"natal_chart": NYC, "target_date": "2026-01-11", "direction_type": "solar_arc",
                                      "converse": True})
    if out:
        check_solar_arc_applying(out["data"], -1.0)
    # Directed Mars 0.6 degrees before natal Sun, perfecting on 2024-10-23: applying in March.
    out = ok("stateless/directions", {"natal_chart": NYC, "direction_type": "solar_arc", "target_date": "2024-03-20",
                                      "planets": ["SUN", "MOON", "VENUS", "MARS", "SATURN"],
                                      "aspects": ["CONJUNCTION", "OPPOSITION", "SQUARE"]})
    if out:
        ms = [a for a in out["data"]["aspects"] if a["planet1"] == "MARS" and a["planet2"] == "SUN"]
        ev = [e for e in out["data"]["events"] if e["directed"] == "MARS" and e["natal"] == "SUN"]
        C.check(len(ms) == 1 and ms[0]["aspect_type"] == "CONJUNCTION" and ms[0]["applying"] and
                len(ev) == 1 and ev[0]["date"].startswith("2024-10-23"),
                f"directed Mars conjunct natal Sun is applying before its perfection: {ms} {ev}")


def check_solar_arc_applying(d, sign):
    """Every directed point moves at the mean Sun's rate (back when converse), natal ones stand:
    an aspect applies when that motion shrinks its orb."""
    directed = {k: v["longitude"] for k, v in by_planet(d["positions"]).items()}
    directed.update(ASC=d["angles"]["ASC"], MC=d["angles"]["MC"])
    natal = {k: v["longitude"] for k, v in by_planet(d["natal"]["positions"]).items()}
    natal.update(ASC=d["natal"]["angles"]["ASC"], MC=d["natal"]["angles"]["MC"])
    bad, applying = 0, 0
    for a in d["aspects"]:
        dd = adiff(directed[a["planet1"]], natal[a["planet2"]])
        rate = sign * NAIBOD if dd > 0 else -sign * NAIBOD
        want = (abs(dd) - a["aspect_angle"]) * rate < 0
        bad += want != a["applying"]
        applying += a["applying"]
    C.check(bad == 0 and 0 < applying < len(d["aspects"]),
            f"solar arc applying follows the directed motion (sign {sign}): {applying} of {len(d['aspects'])}, {bad} wrong")


def test_primary():
    out = ok("stateless/directions", {"natal_chart": NYC, "direction_type": "primary", "key": "naibod",
                                      "start_date": "1990-01-15", "end_date": "2090-01-15",
                                      "significators": ["MC", "ASC", "DESC", "IC"], "aspects": ["CONJUNCTION"]})
    if not out:
        return
    d = out["data"]
    natal = by_planet(d["natal"]["positions"])
    armc, mc = d["natal"]["angles"]["ARMC"], d["natal"]["angles"]["MC"]
    # The obliquity from the natal MC and ARMC: tan(ARMC) = tan(MC) cos(eps).
    eps = math.degrees(math.acos(math.tan(math.radians(armc)) / math.tan(math.radians(mc))))
    lat = math.radians(NYC["latitude"])
    jd0 = natal_jd(NYC)
    n = 0
    for x in d["directions"]:
        lam = math.radians(natal[x["promissor"]]["longitude"])
        e = math.radians(eps)
        ra = math.degrees(math.atan2(math.sin(lam) * math.cos(e), math.cos(lam)))
        dec = math.asin(math.sin(e) * math.sin(lam))
        ad = math.degrees(math.asin(math.tan(lat) * math.tan(dec)))  # ascensional difference
        arc = {"MC": ra - armc,                # right ascension difference
               "IC": ra - (armc + 180),
               "ASC": (ra - ad) - (armc + 90),  # oblique ascension
               "DESC": (ra + ad) - (armc + 270)}[x["significator"]] % 360  # oblique descension
        C.check(abs(x["arc"] - arc) < 2e-6, f"{x['promissor']} to {x['significator']} in zodiaco: arc {x['arc']:.5f} vs {arc:.5f}")
        C.check(abs(x["age_years"] - x["arc"] / NAIBOD) < 1e-3, "age = arc / Naibod key")
        # The date is printed in UTC to the second; decades ahead UTC - UT1 is a model's seconds.
        C.check(abs(jd_of(x["date"]) - (jd0 + x["arc"] / NAIBOD * YEAR)) < 1e-4, "date = birth + age in tropical years")
        n += 1
    C.check(n >= 4, f"{n} directions to the angles in 100 years")
    # Keys: Ptolemy (1 degree a year) and Cardan (59'12") scale the same arcs.
    for key, rate in (("ptolemy", 1.0), ("cardan", 59 / 60 + 12 / 3600)):
        o = ok("calculations/primary-directions", dict(NYC, key=key, start_date="1990-01-15", end_date="2060-01-15",
                                                        significators=["MC"], aspects=["CONJUNCTION"]))
        if o:
            C.check(all(abs(x["age_years"] - x["arc"] / rate) < 1e-3 for x in o["data"]["directions"]) and
                    o["data"]["key_degrees_per_year"] == round(rate, 8), f"{key} key")
    # Converse and in mundo are listed, sorted by arc, inside the period.
    o = ok("stateless/directions", {"natal_chart": NYC, "mode": "mundo", "converse": True,
                                    "start_date": "2000-01-01", "end_date": "2030-01-01"})
    if o:
        arcs = [x["arc"] for x in o["data"]["directions"]]
        C.check(arcs == sorted(arcs) and all(x["motion"] == "converse" for x in o["data"]["directions"]) and
                o["data"]["mode"] == "mundo", "converse in mundo directions listed by arc")
        C.check(all("2000-01-01" <= x["date"] <= "2030-01-02" for x in o["data"]["directions"]), "inside the period")
    # The directed chart at a target date: the natal ARMC turned by the key's arc.
    o = ok("stateless/directions", {"natal_chart": NYC, "target_date": "2026-01-11"})
    if o:
        age = (o["data"]["target_date"]["julian_day_ut"] - jd0) / YEAR
        C.check(abs(adiff(o["data"]["angles"]["ARMC"], armc + age * NAIBOD)) < 1e-6, "primary directed ARMC")


# ---- Returns ---------------------------------------------------------------------------------

def test_returns():
    out = ok("stateless/returns", {"natal_chart": NYC, "return_type": "solar", "return_date": "2026-01-11"})
    if out:
        r = out["data"]["returns"][0]
        sun = by_planet(r["positions"])["SUN"]["longitude"]
        C.check(abs(adiff(sun, out["data"]["natal_longitude"])) * 3600 < 0.1, "solar return Sun = natal Sun to 0.1\"")
        C.check(r["return_time"].startswith("2026-01-15T13:16"), f"solar return 2026 at {r['return_time']}")
        C.check(len(r["houses"]) == 12 and len(r["positions"]) == 12 and "aspects" in r, "each return a full chart")
        ref = by_planet(positions_at(r["julian_day_ut"], planets=["SUN"]))["SUN"]["longitude"]
        C.check(abs(adiff(ref, out["data"]["natal_longitude"])) * 3600 < 0.1, "the instant checks out through planetary-positions")
    out = ok("stateless/returns", {"natal_chart": NYC, "return_type": "lunar", "start_date": "2026-01-01", "end_date": "2026-12-31",
                                   "location": {"latitude": 48.8566, "longitude": 2.3522}})
    if out:
        rs = out["data"]["returns"]
        C.check(len(rs) in (13, 14), f"{len(rs)} lunar returns in a year")
        C.check(all(abs(adiff(by_planet(r["positions"])["MOON"]["longitude"], out["data"]["natal_longitude"])) * 3600 < 0.1 for r in rs),
                "each lunar return exact to 0.1\"")
        hs = ok("calculations/houses", {"julian_day_ut": rs[0]["julian_day_ut"], "latitude": 48.8566, "longitude": 2.3522})
        C.check(hs and abs(adiff(rs[0]["angles"]["ASC"], hs["data"]["angles"]["ASC"])) < 1e-7 and out["data"]["location"]["relocated"],
                "relocated return houses are those of the new place")
    out = ok("stateless/returns", {"natal_chart": NYC, "return_type": "planetary", "planet": "SATURN",
                                   "start_date": "2018-01-01", "end_date": "2021-01-01"})
    if out:
        rs = out["data"]["returns"]
        C.check(len(rs) in (1, 3) and all(abs(adiff(r["longitude"], out["data"]["natal_longitude"])) < 1e-6 for r in rs),
                f"Saturn return(s) {[r['return_time'] for r in rs]}")


def test_reference_returns():
    with open(os.path.join(SHARED, "reference", "cases.json")) as f:
        cases = [c for c in json.load(f)["cases"] if c["kind"] == "return"]
    C.check(len(cases) >= 2, "reference return cases present")
    for c in cases:
        natal = c["input"]["natal_utc"].rstrip("Z")
        date, time = natal.split("T")
        kind = "lunar" if "lunar" in c["label"] else "solar"
        out = ok("stateless/returns", {"natal_chart": {"date": date, "time": time}, "return_type": kind,
                                       "return_date": c["input"]["search_from_utc"]})
        if not out:
            continue
        got = jd_of(out["data"]["returns"][0]["return_time"])
        want = jd_of(c["expected"]["return_utc"])
        err = abs(got - want) * 86400
        C.check(err <= c["tolerance"]["seconds"], f"{c['id']}: {out['data']['returns'][0]['return_time']} vs {c['expected']['return_utc']} ({err:.3f} s)")
        key = "natal_sun_lon_deg" if kind == "solar" else "natal_moon_lon_deg"
        tol = c["tolerance"].get("natal_lon_arcsec", 1.0)
        C.check(abs(adiff(out["data"]["natal_longitude"], c["expected"][key])) * 3600 <= tol, f"{c['id']}: natal longitude")


# ---- Bad input -------------------------------------------------------------------------------

def test_bad_input():
    cases = [
        ("missing chart2", "stateless/synastry", {"chart1": NYC}, "chart2"),
        ("chart2 not object", "stateless/composite", {"chart1": NYC, "chart2": "x"}, "chart2"),
        ("bad chart2 date", "stateless/synastry", {"chart1": NYC, "chart2": dict(LONDON, date="1992-02-30")}, "chart2.date"),
        ("zodiac mismatch", "stateless/synastry", {"chart1": NYC, "chart2": dict(LONDON, zodiac="sidereal")}, "chart2.zodiac"),
        ("bad composite type", "stateless/composite", {"chart1": NYC, "chart2": LONDON, "composite_type": "average"}, "composite_type"),
        ("missing natal", "stateless/transits", {"transit_date": "2026-01-01"}, "natal_chart"),
        ("missing transit date", "stateless/transits", {"natal_chart": NYC}, "transit_date"),
        ("bad transit time", "stateless/transits", {"natal_chart": NYC, "transit_date": "2026-01-01", "transit_time": "25:00"}, "transit_time"),
        ("empty transit date", "stateless/transits", {"natal_chart": NYC, "transit_date": ""}, "transit_date"),
        ("bad transit date", "stateless/transits", {"natal_chart": NYC, "transit_date": "2026-13-01"}, "transit_date"),
        ("progression before birth", "stateless/progressions", {"natal_chart": NYC, "progression_date": "1980-01-01"}, "progression_date"),
        ("bad progression type", "stateless/progressions", {"natal_chart": NYC, "progression_date": "2020-01-01", "progression_type": "quaternary"}, "progression_type"),
        ("bad angle method", "stateless/progressions", {"natal_chart": NYC, "progression_date": "2020-01-01", "angle_method": "placidus"}, "angle_method"),
        ("flat tertiary", "calculations/secondary-progressions", dict(NYC, progression_date="2020-01-01", progression_type="tertiary"), "progression_type"),
        ("unknown return type", "stateless/returns", {"natal_chart": NYC, "return_type": "venusian", "return_date": "2026-01-01"}, "return_type"),
        ("planetary without planet", "stateless/returns", {"natal_chart": NYC, "return_type": "planetary", "return_date": "2026-01-01"}, "planet"),
        ("return of an angle", "stateless/returns", {"natal_chart": NYC, "return_type": "planetary", "planet": "ASC", "return_date": "2026-01-01"}, "planet"),
        ("no return date", "stateless/returns", {"natal_chart": NYC}, "return_date"),
        ("range end missing", "stateless/returns", {"natal_chart": NYC, "start_date": "2026-01-01"}, "end_date"),
        ("range reversed", "stateless/returns", {"natal_chart": NYC, "start_date": "2026-01-01", "end_date": "2025-01-01"}, "end_date"),
        ("too many returns", "stateless/returns", {"natal_chart": NYC, "return_type": "lunar", "start_date": "2000-01-01", "end_date": "2030-01-01"}, "end_date"),
        ("range beyond ephemeris", "stateless/returns", {"natal_chart": NYC, "start_date": "5390-01-01", "end_date": "6001-01-01"}, "end_date"),
        ("Chiron beyond its range", "stateless/returns", {"natal_chart": NYC, "return_type": "planetary", "planet": "CHIRON", "start_date": "4600-01-01", "end_date": "4700-01-01"}, "end_date"),
        ("return before birth", "stateless/returns", {"natal_chart": NYC, "return_date": "1980-01-01"}, "return_date"),
        ("bad location", "stateless/returns", {"natal_chart": NYC, "return_date": "2026-01-01", "location": {"latitude": 95, "longitude": 0}}, "location.latitude"),
        ("bad direction type", "stateless/directions", {"natal_chart": NYC, "target_date": "2026-01-01", "direction_type": "tertiary"}, "direction_type"),
        ("bad key", "stateless/directions", {"natal_chart": NYC, "target_date": "2026-01-01", "key": "placidus"}, "key"),
        ("key and key_rate", "stateless/directions", {"natal_chart": NYC, "target_date": "2026-01-01", "key": "naibod", "key_rate": 1.0}, "key_rate"),
        ("angle promissor", "stateless/directions", {"natal_chart": NYC, "target_date": "2026-01-01", "promissors": ["ASC"]}, "promissors[0]"),
        ("primary without place", "stateless/directions", {"natal_chart": {"date": "1990-01-15", "time": "12:00"}, "target_date": "2026-01-01"}, "natal_chart.latitude"),
        ("flat primary without place", "calculations/primary-directions", {"date": "1990-01-15", "time": "12:00", "target_date": "2026-01-01"}, "latitude"),
        ("direction before birth", "stateless/directions", {"natal_chart": NYC, "target_date": "1989-01-01", "direction_type": "solar_arc"}, "target_date"),
        ("no target", "stateless/directions", {"natal_chart": NYC}, "target_date"),
        ("bad options", "stateless/synastry", {"chart1": NYC, "chart2": LONDON, "options": [1]}, "options"),
        ("bad option aspect", "stateless/synastry", {"chart1": NYC, "chart2": LONDON, "options": {"aspects": ["TRINE", "X"]}}, "options.aspects[1]"),
        ("bad orb multiplier", "stateless/transits", {"natal_chart": NYC, "transit_date": "2026-01-01", "orb_multiplier": 5}, "orb_multiplier"),
    ]
    for name, ep, body, field in cases:
        rc, out, err = calc(ep, body)
        got = out and out.get("error") and out["error"].get("details") and out["error"]["details"].get("field")
        C.check(rc != 0 and out and not out["success"] and out["error"]["code"] == "VALIDATION_ERROR" and got == field,
                f"{name}: expected 400 on {field}, got {out and out.get('error')}")
    # Returns take no `converse`: the before-birth error does not tell the caller to set it.
    for body in ({"natal_chart": NYC, "return_date": "1980-01-01"},
                 {"natal_chart": NYC, "start_date": "1980-01-01", "end_date": "1981-01-01"}):
        rc, out, _ = calc("stateless/returns", body)
        msg = out and out.get("error") and out["error"].get("message") or ""
        C.check(rc != 0 and "before the birth" in msg and "converse" not in msg, f"return before birth: {msg}")
    # An unknown lot points to the document that lists the lots, and that document does.
    rc, out, _ = calc("stateless/arabic-parts", {"chart_data": NYC, "parts": ["NOPE"]})
    msg = out and out.get("error") and out["error"].get("message") or ""
    src = os.environ.get("NOC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
    with open(os.path.join(src, "docs", "api.md")) as f:
        lists_lots = "| FORTUNA (FORTUNE, PART_OF_FORTUNE) |" in f.read()
    C.check(rc != 0 and "docs/api.md" in msg and lists_lots, f"unknown lot names docs/api.md: {msg}")


def test_table():
    # Every technique answers under its name and under the flat direct forms.
    rc, out, _ = calc("/api/v1/stateless/composite", {"chart1": NYC, "chart2": NYC})
    C.check(rc == 0 and out["success"], "/api/v1/ prefix accepted by calc")


for t in (test_synastry, test_composite, test_transits, test_progressions, test_solar_arc, test_primary,
          test_returns, test_reference_returns, test_bad_input, test_table):
    t()
C.finish()
