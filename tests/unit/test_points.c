/* Derived points, lots, dignities and patterns from first principles and published tables:
 * no ephemeris needed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nocturna/nocturna.h"
#include "nocturna/points.h"

#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

/* ---- geometry ------------------------------------------------------------------------------ */

static void test_antiscia(void **state) {
  (void)state;
  assert_near(noc_antiscion(10.0), 170.0, 1e-12);        /* 10 Aries -> 20 Virgo */
  assert_near(noc_contra_antiscion(10.0), 350.0, 1e-12); /* 10 Aries -> 20 Pisces */
  assert_near(noc_antiscion(90.0), 90.0, 1e-12);         /* 0 Cancer is on the axis */
  assert_near(noc_antiscion(270.0), 270.0, 1e-12);       /* and so is 0 Capricorn */
  assert_near(noc_antiscion(45.0), 135.0, 1e-12);        /* 15 Taurus -> 15 Leo */
  assert_near(noc_antiscion(315.0), 225.0, 1e-12);       /* 15 Aquarius -> 15 Scorpio */
  for (int i = 0; 0.5 + 17.25 * i < 360.0; i++) {
    double x = 0.5 + 17.25 * i;
    assert_near(noc_antiscion(noc_antiscion(x)), x, 1e-9);
    /* The contra-antiscion is the antiscion's opposite point. */
    assert_near(noc_norm360(noc_contra_antiscion(x) - noc_antiscion(x)), 180.0, 1e-9);
  }
}

static void test_harmonics(void **state) {
  (void)state;
  assert_near(noc_harmonic_longitude(295.396452, 1), 295.396452, 1e-12);
  assert_near(noc_harmonic_longitude(295.396452, 5), noc_norm360(295.396452 * 5), 1e-9);
  assert_near(noc_harmonic_longitude(2.0, 180), 0.0, 1e-9);
  assert_near(noc_harmonic_longitude(359.5, 180), 270.0, 1e-6); /* 64710 mod 360 */
  assert_near(noc_harmonic_longitude(-10.0, 2), 340.0, 1e-9);
  /* An aspect of angle 360/h becomes a conjunction in the h-th harmonic. */
  assert_near(
      noc_angle_diff(noc_harmonic_longitude(12.0 + 72.0, 5), noc_harmonic_longitude(12.0, 5)), 0.0,
      1e-9);
}

static void test_midpoints(void **state) {
  (void)state;
  assert_near(noc_midpoint(10, 50), 30, 1e-12);
  assert_near(noc_midpoint(50, 10), 30, 1e-12);
  assert_near(noc_midpoint(350, 10), 0, 1e-12); /* the shorter arc crosses 0 Aries */
  assert_near(noc_midpoint(10, 350), 0, 1e-12);
  assert_near(noc_midpoint(0, 180), 90, 1e-12);
  assert_near(noc_midpoint(100, 280), 190, 1e-12);
  assert_near(noc_midpoint(200, 200), 200, 1e-12);
}

/* Meeus, Astronomical Algorithms (2nd ed.), Example 13.a: Pollux. */
static void test_ecliptic_to_equatorial(void **state) {
  (void)state;
  double eps = 23.4392911;
  assert_near(noc_ecliptic_right_ascension(113.215630, 6.684170, eps), 116.328942, 2e-6);
  assert_near(noc_ecliptic_declination(113.215630, 6.684170, eps), 28.026183, 2e-6);
  /* The solstitial points have declination +-eps, the equinoxes 0. */
  assert_near(noc_ecliptic_declination(90, 0, eps), eps, 1e-12);
  assert_near(noc_ecliptic_declination(270, 0, eps), -eps, 1e-12);
  assert_near(noc_ecliptic_declination(0, 0, eps), 0, 1e-12);
  assert_near(noc_ecliptic_right_ascension(180, 0, eps), 180, 1e-9);
}

static void test_parallels(void **state) {
  (void)state;
  double o = -1;
  assert_int_equal(noc_parallel_of(20.0, 20.5, 1.0, &o), NOC_PARALLEL);
  assert_near(o, 0.5, 1e-12);
  assert_int_equal(noc_parallel_of(20.0, -19.6, 1.0, &o), NOC_CONTRAPARALLEL);
  assert_near(o, 0.4, 1e-12);
  /* Near the equator both tests pass; the closer one wins. */
  assert_int_equal(noc_parallel_of(0.3, -0.4, 1.0, &o), NOC_CONTRAPARALLEL);
  assert_near(o, 0.1, 1e-12);
  assert_int_equal(noc_parallel_of(0.3, 0.4, 1.0, &o), NOC_PARALLEL);
  assert_near(o, 0.1, 1e-12);
  assert_int_equal(noc_parallel_of(10.0, 15.0, 1.0, &o), NOC_PARALLEL_NONE);
  assert_int_equal(noc_parallel_of(10.0, 11.2, 1.2, &o), NOC_PARALLEL);
  assert_true(noc_out_of_bounds(24.0, 23.44));
  assert_true(noc_out_of_bounds(-28.7, 23.44));
  assert_false(noc_out_of_bounds(-23.0, 23.44));
}

static void test_sect(void **state) {
  (void)state;
  /* ASC 0 Aries: the DESC is 0 Libra, the upper half runs from 180 through 270 (MC) to 360. */
  assert_true(noc_is_day_chart(270.0, 0.0));
  assert_true(noc_is_day_chart(181.0, 0.0));
  assert_false(noc_is_day_chart(90.0, 0.0));
  assert_false(noc_is_day_chart(1.0, 0.0));
  /* ASC 85.7 (the upstream NYC sample, 14:30 in January): the Sun at 295.4 is up. */
  assert_true(noc_is_day_chart(295.396453, 85.698338));
}

/* ---- lots ---------------------------------------------------------------------------------- */

static noc_part_chart sample_chart(bool day) {
  noc_part_chart c;
  memset(&c, 0, sizeof c);
  c.lon[NOC_SUN] = 10.0;
  c.lon[NOC_MOON] = 50.0;
  c.lon[NOC_MERCURY] = 20.0;
  c.lon[NOC_VENUS] = 340.0;
  c.lon[NOC_MARS] = 200.0;
  c.lon[NOC_JUPITER] = 130.0;
  c.lon[NOC_SATURN] = 280.0;
  c.asc = 100.0;
  c.mc = 10.0;
  for (int i = 0; i < 12; i++)
    c.cusps[i] = noc_norm360(100.0 + 30.0 * i);
  c.has_cusps = true;
  c.day = day;
  return c;
}

static double part(const char *name, const noc_part_chart *c, noc_part_value *v) {
  const noc_part_def *def = noc_part_find(name);
  assert_non_null(def);
  noc_part_calc(def, c, v);
  return v->longitude;
}

static void test_parts_vocabulary(void **state) {
  (void)state;
  static const char *const older[] = {"FORTUNA",  "SPIRIT",   "NECESSITY", "VALOR",    "VICTORY",
                                      "BASIS",    "MARRIAGE", "CHILDREN",  "FATHER",   "MOTHER",
                                      "BROTHERS", "SISTERS",  "HEALTH",    "DEATH",    "TRAVEL",
                                      "WEALTH",   "CAREER",   "HONOR",     "RELIGION", "HAPPINESS"};
  assert_true(noc_part_count() >= 20);
  for (size_t i = 0; i < sizeof older / sizeof older[0]; i++) {
    const noc_part_def *d = noc_part_find(older[i]);
    assert_non_null(d);
    assert_string_equal(noc_part_name(d), older[i]);
    assert_true(strlen(noc_part_source(d)) > 10);
  }
  assert_ptr_equal(noc_part_find("fortune"), noc_part_find("FORTUNA"));
  assert_ptr_equal(noc_part_find("Part_Of_Fortune"), noc_part_find("FORTUNA"));
  assert_ptr_equal(noc_part_find("LOVE"), noc_part_find("EROS"));
  assert_null(noc_part_find("BOGUS"));
  assert_null(noc_part_find(""));
  assert_true(noc_part_reverses(noc_part_find("FORTUNA")));
  assert_false(noc_part_reverses(noc_part_find("MARRIAGE")));
  assert_true(noc_part_needs_houses(noc_part_find("DEATH")));
  assert_false(noc_part_needs_houses(noc_part_find("FORTUNA")));
}

static void test_part_of_fortune(void **state) {
  (void)state;
  noc_part_value v;
  noc_part_chart day = sample_chart(true), night = sample_chart(false);
  /* Day: ASC + Moon - Sun = 100 + 50 - 10; night reversed: 100 + 10 - 50. */
  assert_near(part("FORTUNA", &day, &v), 140.0, 1e-12);
  assert_string_equal(v.formula, "ASC + MOON - SUN");
  assert_false(v.night_formula);
  assert_near(part("FORTUNA", &night, &v), 60.0, 1e-12);
  assert_string_equal(v.formula, "ASC + SUN - MOON");
  assert_string_equal(v.day_formula, "ASC + MOON - SUN");
  assert_true(v.night_formula);
  /* Spirit is Fortune mirrored over the ascendant, by day and by night. */
  for (int d = 0; d < 2; d++) {
    noc_part_chart c = sample_chart(d);
    double f = part("FORTUNA", &c, &v), s = part("SPIRIT", &c, &v);
    assert_near(noc_norm360(f + s), noc_norm360(2 * c.asc), 1e-9);
  }
}

static void test_parts_formulas(void **state) {
  (void)state;
  noc_part_value v;
  noc_part_chart day = sample_chart(true), night = sample_chart(false);
  /* Lots of lots: Necessity = ASC + Fortune - Mercury by day (Fortune = 140). */
  assert_near(part("NECESSITY", &day, &v), noc_norm360(100 + 140 - 20), 1e-12);
  /* By night both Fortune (60) and the lot reverse: ASC + Mercury - Fortune. */
  assert_near(part("NECESSITY", &night, &v), noc_norm360(100 + 20 - 60), 1e-12);
  /* Basis: the shorter arc between Fortune (140) and Spirit (60) is 80, from the ASC. */
  assert_near(part("BASIS", &day, &v), 180.0, 1e-12);
  /* Marriage does not reverse. */
  assert_near(part("MARRIAGE", &day, &v), noc_norm360(100 + 340 - 280), 1e-12);
  assert_near(part("MARRIAGE", &night, &v), noc_norm360(100 + 340 - 280), 1e-12);
  /* Death: Saturn + cusp 8 - Moon, day and night (cusp 8 = 100 + 210 = 310). */
  assert_near(part("DEATH", &day, &v), noc_norm360(280 + 310 - 50), 1e-12);
  assert_string_equal(v.formula, "SATURN + CUSP_8 - MOON");
  /* Travel: cusp 9 (340, Pisces) minus its ruler Jupiter (130), from the ASC. */
  assert_near(part("TRAVEL", &day, &v), noc_norm360(100 + 340 - 130), 1e-12);
  assert_string_equal(v.formula, "ASC + CUSP_9 - RULER_OF_CUSP_9 (JUPITER)");
  /* Honor (exaltation): 19 Aries by day from the Sun, 3 Taurus by night from the Moon. */
  assert_near(part("HONOR", &day, &v), noc_norm360(100 + 19 - 10), 1e-12);
  assert_string_equal(v.formula, "ASC + 19 ARIES - SUN");
  assert_near(part("HONOR", &night, &v), noc_norm360(100 + 33 - 50), 1e-12);
  assert_string_equal(v.formula, "ASC + 3 TAURUS - MOON");
  /* Career, the older service's: ASC + MC - Sun. */
  assert_near(part("CAREER", &night, &v), noc_norm360(100 + 10 - 10), 1e-12);
  /* Every reversing lot differs by night unless its terms coincide; none of the others do. */
  for (int i = 0; i < noc_part_count(); i++) {
    const noc_part_def *d = noc_part_at(i);
    noc_part_value a, b;
    noc_part_calc(d, &day, &a);
    noc_part_calc(d, &night, &b);
    if (!noc_part_reverses(d) && strcmp(noc_part_name(d), "BASIS") != 0)
      assert_near(a.longitude, b.longitude, 1e-12);
    assert_true(a.longitude >= 0 && a.longitude < 360);
  }
}

/* ---- dignities ----------------------------------------------------------------------------- */

static noc_dignity_options opts(noc_rulers r, noc_triplicity t, noc_terms m) {
  return (noc_dignity_options){r, t, m};
}

static void test_dignity_scores(void **state) {
  (void)state;
  noc_dignity_options o = opts(NOC_RULERS_TRADITIONAL, NOC_TRIP_DOROTHEAN, NOC_TERMS_EGYPTIAN);
  noc_dignity d;
  noc_dignity_of(NOC_SUN, 125.0, true, &o, &d); /* 5 Leo by day */
  assert_int_equal(d.rulership, 5);
  assert_int_equal(d.triplicity, 3); /* Sun rules fire by day */
  assert_int_equal(d.detriment + d.fall + d.peregrine, 0);
  assert_int_equal(d.ruler, NOC_SUN);
  noc_dignity_of(NOC_SUN, 125.0, false, &o, &d);
  assert_int_equal(d.triplicity, 0);            /* Jupiter rules fire by night */
  noc_dignity_of(NOC_SUN, 305.0, true, &o, &d); /* Aquarius */
  assert_int_equal(d.detriment, -5);
  noc_dignity_of(NOC_SUN, 200.0, true, &o, &d); /* Libra */
  assert_int_equal(d.fall, -4);
  /* 19 Aries by day: exaltation 4, triplicity 3, face (10-20 Aries: Sun) 1; the term is
   * Mercury's (12-20 in the Egyptian table). */
  noc_dignity_of(NOC_SUN, 19.0, true, &o, &d);
  assert_int_equal(d.exaltation, 4);
  assert_int_equal(d.face, 1);
  assert_int_equal(d.term, 0);
  assert_int_equal(d.term_ruler, NOC_MERCURY);
  assert_int_equal(d.total, 8);
  noc_dignity_of(NOC_MOON, 33.0, true, &o, &d); /* 3 Taurus */
  assert_int_equal(d.exaltation, 4);
  assert_int_equal(d.triplicity, 0); /* Venus by day in earth */
  noc_dignity_of(NOC_MOON, 33.0, false, &o, &d);
  assert_int_equal(d.triplicity, 3);
  /* A peregrine planet: the Moon at 21 Virgo by day (Egyptian term of Mars, face of Mercury). */
  noc_dignity_of(NOC_MOON, 171.39, true, &o, &d);
  assert_int_equal(d.peregrine, -5);
  assert_int_equal(d.total, -5);
  /* Modern rulers: Pluto rules Scorpio, Mars keeps it as co-ruler. */
  noc_dignity_options m = opts(NOC_RULERS_MODERN, NOC_TRIP_DOROTHEAN, NOC_TERMS_EGYPTIAN);
  noc_dignity_of(NOC_PLUTO, 220.0, true, &m, &d);
  assert_int_equal(d.rulership, 5);
  assert_int_equal(d.ruler, NOC_PLUTO);
  assert_int_equal(d.peregrine, 0); /* outer planets are never peregrine */
  noc_dignity_of(NOC_MARS, 220.0, true, &m, &d);
  assert_int_equal(d.rulership, 5);
  noc_dignity_of(NOC_PLUTO, 220.0, true, &o, &d);
  assert_int_equal(d.rulership, 0);
}

static void test_exaltations_and_faces(void **state) {
  (void)state;
  int sign = -1;
  assert_int_equal(noc_exaltation_degree(NOC_SUN, &sign), 19);
  assert_int_equal(sign, 0);
  assert_int_equal(noc_exaltation_degree(NOC_SATURN, &sign), 21);
  assert_int_equal(sign, 6);
  assert_int_equal(noc_exaltation_degree(NOC_URANUS, &sign), -1);
  /* Faces: the Chaldean order from Mars at 0 Aries to Mars again at 20 Pisces. */
  assert_int_equal(noc_face_ruler(0.0), NOC_MARS);
  assert_int_equal(noc_face_ruler(10.0), NOC_SUN);
  assert_int_equal(noc_face_ruler(25.0), NOC_VENUS);
  assert_int_equal(noc_face_ruler(30.0), NOC_MERCURY);
  assert_int_equal(noc_face_ruler(125.0), NOC_SATURN); /* Leo 1 */
  assert_int_equal(noc_face_ruler(355.0), NOC_MARS);
}

static void test_terms(void **state) {
  (void)state;
  /* The Egyptian terms give Saturn 57 degrees, Jupiter 79, Mars 66, Venus 82, Mercury 76:
   * the planets' "greater years". */
  int deg[NOC_BODY_COUNT] = {0};
  for (int i = 0; i < 360; i++)
    deg[noc_term_ruler(i + 0.5, NOC_TERMS_EGYPTIAN)]++;
  assert_int_equal(deg[NOC_SATURN], 57);
  assert_int_equal(deg[NOC_JUPITER], 79);
  assert_int_equal(deg[NOC_MARS], 66);
  assert_int_equal(deg[NOC_VENUS], 82);
  assert_int_equal(deg[NOC_MERCURY], 76);
  /* Each sign of both tables has the five planets once each. */
  for (int t = 0; t < 2; t++)
    for (int s = 0; s < 12; s++) {
      int seen[NOC_BODY_COUNT] = {0};
      noc_body last = (noc_body)-1;
      int changes = 0;
      for (int d = 0; d < 30; d++) {
        noc_body r = noc_term_ruler(s * 30 + d + 0.5, (noc_terms)t);
        assert_true(r >= NOC_MERCURY && r <= NOC_SATURN && r != NOC_SUN);
        if (r != last) {
          seen[r]++;
          changes++;
          last = r;
        }
      }
      assert_int_equal(changes, 5);
      for (int p = NOC_MERCURY; p <= NOC_SATURN; p++)
        assert_int_equal(seen[p], 1);
    }
  /* Ptolemy's differ: 7 Aries is Venus in both, 13 Aries Venus (Ptolemy) vs Mercury (Egypt). */
  assert_int_equal(noc_term_ruler(13.5, NOC_TERMS_PTOLEMAIC), NOC_VENUS);
  assert_int_equal(noc_term_ruler(13.5, NOC_TERMS_EGYPTIAN), NOC_MERCURY);
}

static void test_triplicities(void **state) {
  (void)state;
  noc_body r[3];
  noc_triplicity_rulers(0, NOC_TRIP_DOROTHEAN, r); /* fire */
  assert_int_equal(r[0], NOC_SUN);
  assert_int_equal(r[1], NOC_JUPITER);
  assert_int_equal(r[2], NOC_SATURN);
  noc_triplicity_rulers(3, NOC_TRIP_DOROTHEAN, r); /* water */
  assert_int_equal(r[0], NOC_VENUS);
  assert_int_equal(r[1], NOC_MARS);
  assert_int_equal(r[2], NOC_MOON);
  noc_triplicity_rulers(7, NOC_TRIP_LILLY, r); /* Scorpio: Mars by day and night */
  assert_int_equal(r[0], NOC_MARS);
  assert_int_equal(r[1], NOC_MARS);
  assert_int_equal((int)r[2], -1);
  noc_triplicity_rulers(11, NOC_TRIP_PTOLEMAIC, r);
  assert_int_equal(r[0], NOC_VENUS);
  assert_int_equal(r[1], NOC_MOON);
  noc_triplicity_rulers(10, NOC_TRIP_PTOLEMAIC, r); /* air */
  assert_int_equal(r[0], NOC_SATURN);
  assert_int_equal(r[1], NOC_MERCURY);
  noc_dignity_options o = opts(NOC_RULERS_TRADITIONAL, NOC_TRIP_LILLY, NOC_TERMS_PTOLEMAIC);
  noc_dignity d;
  noc_dignity_of(NOC_MARS, 100.0, false, &o, &d); /* Mars in Cancer by night: fall, triplicity */
  assert_int_equal(d.triplicity, 3);
  assert_int_equal(d.fall, -4);
}

static void test_receptions(void **state) {
  (void)state;
  noc_reception_kind k = (noc_reception_kind)-1;
  /* Venus in Aries and Mars in Libra: each in the other's domicile. */
  assert_true(noc_mutual_reception(NOC_VENUS, 15.0, NOC_MARS, 195.0, NOC_RULERS_TRADITIONAL, &k));
  assert_int_equal(k, NOC_RECEPTION_DOMICILE);
  assert_true(noc_mutual_reception(NOC_MARS, 195.0, NOC_VENUS, 15.0, NOC_RULERS_TRADITIONAL, &k));
  assert_true(noc_mutual_reception(NOC_SUN, 100.0, NOC_MOON, 130.0, NOC_RULERS_TRADITIONAL, &k));
  assert_int_equal(k, NOC_RECEPTION_DOMICILE);
  /* Sun in Pisces (Venus' exaltation), Venus in Aries (the Sun's exaltation). */
  assert_true(noc_mutual_reception(NOC_SUN, 340.0, NOC_VENUS, 10.0, NOC_RULERS_TRADITIONAL, &k));
  assert_int_equal(k, NOC_RECEPTION_EXALTATION);
  /* Mars in Sagittarius (Jupiter's domicile), Jupiter in Capricorn (Mars' exaltation). */
  assert_true(
      noc_mutual_reception(NOC_MARS, 250.0, NOC_JUPITER, 280.0, NOC_RULERS_TRADITIONAL, &k));
  assert_int_equal(k, NOC_RECEPTION_MIXED);
  assert_false(noc_mutual_reception(NOC_VENUS, 15.0, NOC_MARS, 100.0, NOC_RULERS_TRADITIONAL, &k));
  assert_false(noc_mutual_reception(NOC_SUN, 125.0, NOC_SUN, 125.0, NOC_RULERS_TRADITIONAL, &k));
  /* Modern: Pluto in Aries and Mars in Scorpio. */
  assert_true(noc_mutual_reception(NOC_PLUTO, 10.0, NOC_MARS, 220.0, NOC_RULERS_MODERN, &k));
  assert_false(noc_mutual_reception(NOC_PLUTO, 10.0, NOC_MARS, 220.0, NOC_RULERS_TRADITIONAL, &k));
}

static void test_almuten_points(void **state) {
  (void)state;
  noc_dignity_options o = opts(NOC_RULERS_TRADITIONAL, NOC_TRIP_DOROTHEAN, NOC_TERMS_EGYPTIAN);
  /* 5 Leo by day: Sun 5 + 3 (triplicity); Jupiter's term (0-6) 2; Saturn's face 1. */
  assert_int_equal(noc_dignity_points_at(NOC_SUN, 125.0, true, &o), 8);
  assert_int_equal(noc_dignity_points_at(NOC_JUPITER, 125.0, true, &o), 2);
  assert_int_equal(noc_dignity_points_at(NOC_SATURN, 125.0, true, &o), 1);
  assert_int_equal(noc_dignity_points_at(NOC_MOON, 125.0, true, &o), 0);
}

/* ---- patterns ------------------------------------------------------------------------------ */

static int find(const double *lon, int n, noc_pattern *out, int cap) {
  noc_pattern_point p[NOC_BODY_COUNT];
  for (int i = 0; i < n; i++)
    p[i] = (noc_pattern_point){.body = (noc_body)i, .longitude = lon[i]};
  int count = -1;
  noc_error err;
  assert_int_equal(noc_patterns_find(p, n, NULL, out, cap, &count, &err), NOC_OK);
  return count;
}

static int count_type(const noc_pattern *p, int n, noc_pattern_type t) {
  int c = 0;
  for (int i = 0; i < n; i++)
    c += p[i].type == t;
  return c;
}

static const noc_pattern *first_of(const noc_pattern *p, int n, noc_pattern_type t) {
  for (int i = 0; i < n; i++)
    if (p[i].type == t) return &p[i];
  fail_msg("no %s", noc_pattern_name(t));
  return NULL;
}

static void test_patterns(void **state) {
  (void)state;
  noc_pattern p[64];
  double gt[] = {5, 127, 243};
  int n = find(gt, 3, p, 64);
  assert_int_equal(n, 1);
  assert_int_equal(p[0].type, NOC_PAT_GRAND_TRINE);
  assert_near(p[0].max_orb, 4.0, 1e-6);
  double ts[] = {10, 188, 95};
  n = find(ts, 3, p, 64);
  assert_int_equal(n, 1);
  assert_int_equal(p[0].type, NOC_PAT_T_SQUARE);
  assert_int_equal(p[0].apex, 2);
  double gc[] = {0, 91, 178, 272};
  n = find(gc, 4, p, 64);
  assert_int_equal(count_type(p, n, NOC_PAT_GRAND_CROSS), 1);
  assert_int_equal(count_type(p, n, NOC_PAT_T_SQUARE), 0); /* inside the cross */
  double yod[] = {0, 60, 210};
  n = find(yod, 3, p, 64);
  assert_int_equal(n, 1);
  assert_int_equal(p[0].type, NOC_PAT_YOD);
  assert_int_equal(p[0].apex, 2);
  double kite[] = {0, 120, 240, 181};
  n = find(kite, 4, p, 64);
  assert_int_equal(count_type(p, n, NOC_PAT_GRAND_TRINE), 1);
  assert_int_equal(count_type(p, n, NOC_PAT_KITE), 1);
  assert_int_equal(first_of(p, n, NOC_PAT_KITE)->apex, 0);
  double mr[] = {0, 60, 180, 240};
  n = find(mr, 4, p, 64);
  assert_int_equal(count_type(p, n, NOC_PAT_MYSTIC_RECTANGLE), 1);
  assert_int_equal(count_type(p, n, NOC_PAT_GRAND_CROSS), 0);
  double loose[] = {0, 129, 240};
  assert_int_equal(find(loose, 3, p, 64), 0); /* a 9-degree trine is out of orb */
  double stel[] = {1, 10, 29, 31, 200};
  n = find(stel, 5, p, 64);
  assert_int_equal(n, 1);
  assert_int_equal(p[0].type, NOC_PAT_STELLIUM);
  assert_int_equal(p[0].sign, 0);
  assert_int_equal(p[0].count, 3);
  /* More than the room given: NOMEM with the true count. */
  noc_pattern_point pp[3] = {{.body = NOC_SUN, .longitude = 0},
                             {.body = NOC_MOON, .longitude = 120},
                             {.body = NOC_MARS, .longitude = 240}};
  int count = 0;
  noc_error err;
  assert_int_equal(noc_patterns_find(pp, 3, NULL, p, 0, &count, &err), NOC_ERR_NOMEM);
  assert_int_equal(count, 1);
}

static void test_jones(void **state) {
  (void)state;
  noc_shape_info s;
  double bundle[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  noc_jones_shape_of(bundle, 10, &s);
  assert_int_equal(s.shape, NOC_SHAPE_BUNDLE);
  assert_near(s.occupied_arc, 90, 1e-9);
  assert_int_equal(s.leading, 0);
  double bowl[] = {10, 30, 50, 70, 90, 110, 130, 150, 170, 185};
  noc_jones_shape_of(bowl, 10, &s);
  assert_int_equal(s.shape, NOC_SHAPE_BOWL);
  double bucket[] = {10, 30, 50, 70, 90, 110, 130, 150, 170, 270};
  noc_jones_shape_of(bucket, 10, &s);
  assert_int_equal(s.shape, NOC_SHAPE_BUCKET);
  assert_int_equal(s.handle, 9);
  double loco[] = {0, 25, 50, 75, 100, 125, 150, 175, 200, 230};
  noc_jones_shape_of(loco, 10, &s);
  assert_int_equal(s.shape, NOC_SHAPE_LOCOMOTIVE);
  double seesaw[] = {0, 10, 20, 30, 40, 180, 190, 200, 210, 220};
  noc_jones_shape_of(seesaw, 10, &s);
  assert_int_equal(s.shape, NOC_SHAPE_SEESAW);
  double splash[] = {0, 36, 72, 108, 144, 180, 216, 252, 288, 324};
  noc_jones_shape_of(splash, 10, &s);
  assert_int_equal(s.shape, NOC_SHAPE_SPLASH);
  double splay[] = {0, 5, 10, 100, 105, 110, 200, 205, 290, 300};
  noc_jones_shape_of(splay, 10, &s);
  assert_int_equal(s.shape, NOC_SHAPE_SPLAY);
  double same[] = {42, 42, 42};
  noc_jones_shape_of(same, 3, &s);
  assert_int_equal(s.shape, NOC_SHAPE_BUNDLE);
}

static void test_elements(void **state) {
  (void)state;
  assert_string_equal(noc_element_name(noc_sign_element(0)), "FIRE");
  assert_string_equal(noc_element_name(noc_sign_element(5)), "EARTH");
  assert_string_equal(noc_element_name(noc_sign_element(10)), "AIR");
  assert_string_equal(noc_element_name(noc_sign_element(11)), "WATER");
  assert_string_equal(noc_modality_name(noc_sign_modality(3)), "CARDINAL");
  assert_string_equal(noc_modality_name(noc_sign_modality(7)), "FIXED");
  assert_string_equal(noc_modality_name(noc_sign_modality(8)), "MUTABLE");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_antiscia),
      cmocka_unit_test(test_harmonics),
      cmocka_unit_test(test_midpoints),
      cmocka_unit_test(test_ecliptic_to_equatorial),
      cmocka_unit_test(test_parallels),
      cmocka_unit_test(test_sect),
      cmocka_unit_test(test_parts_vocabulary),
      cmocka_unit_test(test_part_of_fortune),
      cmocka_unit_test(test_parts_formulas),
      cmocka_unit_test(test_dignity_scores),
      cmocka_unit_test(test_exaltations_and_faces),
      cmocka_unit_test(test_terms),
      cmocka_unit_test(test_triplicities),
      cmocka_unit_test(test_receptions),
      cmocka_unit_test(test_almuten_points),
      cmocka_unit_test(test_patterns),
      cmocka_unit_test(test_jones),
      cmocka_unit_test(test_elements),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
