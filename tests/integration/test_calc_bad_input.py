"""Every bad input gets a 400-class error naming the field, never a crash (nocturna calc)."""
from nocturna_test import Checks, calc

BASE = {"date": "1990-01-15", "time": "14:30:00", "latitude": 40.7128, "longitude": -74.006,
        "timezone": "America/New_York"}


def with_(**kw):
    body = dict(BASE)
    for k, v in kw.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return body


CASES = [
    # (name, endpoint, body or raw bytes, expected code, expected field)
    ("feb 30", "calculations/planetary-positions", with_(date="2023-02-30"), "VALIDATION_ERROR", "date"),
    ("hour 25", "calculations/planetary-positions", with_(time="25:00"), "VALIDATION_ERROR", "time"),
    ("minute 60", "calculations/planetary-positions", with_(time="12:60"), "VALIDATION_ERROR", "time"),
    ("latitude 91", "calculations/planetary-positions", with_(latitude=91), "VALIDATION_ERROR", "latitude"),
    ("longitude 181", "calculations/planetary-positions", with_(longitude=181), "VALIDATION_ERROR", "longitude"),
    ("unknown zone", "calculations/planetary-positions", with_(timezone="Mars/Olympus_Mons"), "VALIDATION_ERROR", "timezone"),
    ("zone traversal", "calculations/planetary-positions", with_(timezone="../../etc/passwd"), "VALIDATION_ERROR", "timezone"),
    ("unknown body", "calculations/planetary-positions", with_(planets=["SUN", "VULCAN"]), "VALIDATION_ERROR", "planets[1]"),
    ("duplicate body", "calculations/planetary-positions", with_(planets=["SUN", "MOON", "SUN"]), "VALIDATION_ERROR", "planets[2]"),
    ("10k bodies", "calculations/planetary-positions", with_(planets=["SUN"] * 10000), "VALIDATION_ERROR", "planets"),
    ("unknown house system", "calculations/houses", with_(house_system="NOPE"), "VALIDATION_ERROR", "house_system"),
    ("unknown aspect", "calculations/aspects", with_(aspects=["TRINE", "FOO"]), "VALIDATION_ERROR", "aspects[1]"),
    ("duplicate aspect", "calculations/aspects", with_(aspects=["TRINE", "SQUARE", "TRINE"]), "VALIDATION_ERROR", "aspects[2]"),
    ("empty aspect list", "calculations/aspects", with_(aspects=[]), "VALIDATION_ERROR", "aspects"),
    ("unknown aspect, points", "calculations/harmonics", with_(aspects=["FOO"]), "VALIDATION_ERROR", "aspects[0]"),
    ("duplicate aspect, points", "calculations/harmonics", with_(options={"aspects": ["SEXTILE", "SEXTILE"]}), "VALIDATION_ERROR", "options.aspects[1]"),
    ("year 6000", "calculations/planetary-positions", with_(date="6000-01-01"), "VALIDATION_ERROR", "date"),
    ("wrong type lat", "calculations/planetary-positions", with_(latitude="40"), "VALIDATION_ERROR", "latitude"),
    ("wrong type date", "calculations/planetary-positions", with_(date=19900115), "VALIDATION_ERROR", "date"),
    ("bool as number", "calculations/planetary-positions", with_(longitude=True), "VALIDATION_ERROR", "longitude"),
    ("missing date", "calculations/planetary-positions", with_(date=None), "VALIDATION_ERROR", "date"),
    ("missing time", "calculations/planetary-positions", with_(time=None), "VALIDATION_ERROR", "time"),
    ("missing longitude", "calculations/planetary-positions", with_(longitude=None), "VALIDATION_ERROR", "longitude"),
    ("houses without place", "calculations/houses", with_(latitude=None, longitude=None), "VALIDATION_ERROR", "latitude"),
    ("orb multiplier 0", "calculations/aspects", with_(orb_multiplier=0), "VALIDATION_ERROR", "orb_multiplier"),
    ("bad zodiac", "calculations/planetary-positions", with_(zodiac="draconic"), "VALIDATION_ERROR", "zodiac"),
    ("bad ayanamsa", "calculations/planetary-positions", with_(zodiac="sidereal", ayanamsa="NOPE"), "VALIDATION_ERROR", "ayanamsa"),
    ("tz and offset", "calculations/planetary-positions", with_(utc_offset="+01:00"), "VALIDATION_ERROR", "utc_offset"),
    ("bad offset", "calculations/planetary-positions", with_(timezone=None, utc_offset="+25:00"), "VALIDATION_ERROR", "utc_offset"),
    ("gregorian gap", "calculations/planetary-positions", with_(date="1582-10-10"), "VALIDATION_ERROR", "date"),
    ("chiron out of range", "calculations/planetary-positions", with_(date="0500-01-01", planets=["CHIRON"]), "VALIDATION_ERROR", "planets"),
    ("strict gap", "calculations/planetary-positions", with_(date="2021-03-14", time="02:30", strict_time=True), "VALIDATION_ERROR", "time"),
    ("strict fold", "calculations/planetary-positions", with_(date="2021-11-07", time="01:30", strict_time=True), "VALIDATION_ERROR", "time"),
    ("strict polar houses", "calculations/houses", with_(latitude=78.2, strict_houses=True), "VALIDATION_ERROR", "house_system"),
    ("leap second that is not", "calculations/planetary-positions", with_(timezone="UTC", time="12:00:60"), "VALIDATION_ERROR", "time"),
    ("angle without place", "calculations/planetary-positions", with_(latitude=None, longitude=None, planets=["ASC"]), "VALIDATION_ERROR", "planets"),
    ("heliocentric sun", "calculations/planetary-positions", with_(center="heliocentric", planets=["SUN"]), "VALIDATION_ERROR", "planets"),
    ("heliocentric node", "calculations/planetary-positions", with_(center="heliocentric", planets=["MARS", "TRUE_NODE"]), "VALIDATION_ERROR", "planets"),
    ("leap second after 2016", "calculations/planetary-positions", with_(timezone="UTC", date="2030-06-30", time="23:59:60"), "VALIDATION_ERROR", "time"),
    ("julian day and date", "calculations/planetary-positions", with_(julian_day_ut=2451545.0), "VALIDATION_ERROR", "julian_day_ut"),
    ("body not object", "calculations/planetary-positions", b"[1,2,3]", "VALIDATION_ERROR", None),
    ("truncated json", "calculations/planetary-positions", b'{"date": "1990-01-15", "time"', "INVALID_JSON", None),
    ("NaN", "calculations/planetary-positions", b'{"date":"1990-01-15","time":"12:00","latitude":NaN,"longitude":0}', "INVALID_JSON", None),
    ("Infinity", "calculations/planetary-positions", b'{"date":"1990-01-15","time":"12:00","latitude":Infinity,"longitude":0}', "INVALID_JSON", None),
    ("huge exponent", "calculations/planetary-positions", b'{"date":"1990-01-15","time":"12:00","latitude":1e999,"longitude":0}', "INVALID_JSON", None),
    ("non-utf8", "calculations/planetary-positions", b'{"date":"1990-01-15","time":"12:00","timezone":"\xff\xfe"}', "INVALID_JSON", None),
    ("bad escape + non-utf8 quoted in message", "calculations/planetary-positions", b'[1"\\\xc7\xab', "INVALID_JSON", None),
    ("duplicate key", "calculations/planetary-positions", b'{"date":"1990-01-15","date":"1990-01-16","time":"12:00"}', "INVALID_JSON", None),
    ("empty body", "calculations/planetary-positions", b"", "INVALID_JSON", None),
    ("deep nesting", "calculations/planetary-positions", b"[" * 5000 + b"]" * 5000, "INVALID_JSON", None),
]


def main():
    c = Checks("calc bad input")
    for name, ep, body, code, field in CASES:
        raw = body if isinstance(body, bytes) else None
        rc, out, err = calc(ep, None if raw is not None else body, raw=raw)
        ok = out is not None and rc == 1 and out.get("success") is False and out.get("data") is None
        c.check(ok, f"{name}: exit {rc}, response {str(out)[:200]}, stderr {err[:200]}")
        if not ok:
            continue
        e = out["error"]
        c.check(e["code"] == code, f"{name}: code {e['code']} != {code} ({e['message']})")
        got_field = (e.get("details") or {}).get("field")
        if field is not None:
            c.check(got_field == field, f"{name}: field {got_field!r} != {field!r} ({e['message']})")
        c.check(bool(e.get("message")), f"{name}: empty message")
        c.check("request_id" in out["meta"], f"{name}: no request id")
    c.finish()


if __name__ == "__main__":
    main()
