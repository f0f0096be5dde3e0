/* Fixed stars against the independent reference cases, special bodies, the prenatal syzygy, and
 * declinations against known sky events (a solstice, the 2006 major lunar standstill). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctx_fixture.h"
#include "nocturna/nocturna.h"
#include "nocturna/points.h"

#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static noc_calc_options tropical(void) {
  noc_calc_options o;
  noc_calc_options_default(&o);
  return o;
}

static noc_time at_tt(noc_ctx *ctx, double jd_tt) {
  noc_time t;
  noc_error err;
  assert_int_equal(noc_time_from_jd_tt(ctx, jd_tt, &t, &err), NOC_OK);
  return t;
}

static noc_time at_utc(noc_ctx *ctx, int y, int mo, int d, int h, int mi) {
  noc_civil c = {y, mo, d, h, mi, 0.0};
  noc_time t;
  noc_error err;
  assert_int_equal(noc_time_from_utc(ctx, &c, false, &t, &err), NOC_OK);
  return t;
}

/* Arc between two directions, arcseconds. */
static double arcsec_between(double ra1, double de1, double ra2, double de2) {
  double r = M_PI / 180.0;
  double c = sin(de1 * r) * sin(de2 * r) + cos(de1 * r) * cos(de2 * r) * cos((ra1 - ra2) * r);
  return acos(fmin(1.0, c)) / r * 3600.0;
}

/* ---- reference cases ----------------------------------------------------------------------- */

static json_t *load_cases(void) {
  const char *shared = getenv("NOC_SHARED");
  char path[1024];
  snprintf(path, sizeof path, "%s/reference/cases.json", shared ? shared : "../shared");
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (root == NULL) {
    snprintf(path, sizeof path, "%s/../shared/reference/cases.json",
             getenv("NOC_SOURCE_DIR") ? getenv("NOC_SOURCE_DIR") : ".");
    root = json_load_file(path, 0, &jerr);
  }
  return root;
}

static void test_reference_stars(void **state) {
  noc_ctx *ctx = *state;
  json_t *root = load_cases();
  if (root == NULL) skip();
  json_t *cases = json_object_get(root, "cases");
  int checked = 0;
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i);
    if (strcmp(json_string_value(json_object_get(c, "kind")), "star") != 0) continue;
    json_t *in = json_object_get(c, "input"), *ex = json_object_get(c, "expected");
    json_t *tol = json_object_get(c, "tolerance");
    const char *name = json_string_value(json_object_get(in, "star"));
    double arcsec = json_number_value(json_object_get(tol, "arcsec"));
    noc_time t = at_tt(ctx, json_number_value(json_object_get(in, "jd_tt")));
    noc_calc_options opt = tropical();
    noc_star s;
    noc_error err;
    assert_int_equal(noc_star_calc(ctx, &t, name, &opt, &s, &err, "stars[0]"), NOC_OK);
    double got;
    if (json_object_get(ex, "lon_deg")) {
      got = arcsec_between(s.pos.longitude, s.pos.latitude,
                           json_number_value(json_object_get(ex, "lon_deg")),
                           json_number_value(json_object_get(ex, "lat_deg")));
    } else {
      got = arcsec_between(s.pos.right_ascension, s.pos.declination,
                           json_number_value(json_object_get(ex, "apparent_ra_deg")),
                           json_number_value(json_object_get(ex, "apparent_dec_deg")));
    }
    if (got > arcsec)
      fail_msg("%s: %.3f\" off (tolerance %.2f\")", json_string_value(json_object_get(c, "id")),
               got, arcsec);
    if (json_object_get(ex, "dec_deg")) /* the ERFA cases also give the declination */
      assert_true(fabs(s.pos.declination - json_number_value(json_object_get(ex, "dec_deg"))) *
                      3600.0 <=
                  arcsec);
    checked++;
  }
  json_decref(root);
  assert_true(checked >= 5);
}

/* ---- names --------------------------------------------------------------------------------- */

static void test_star_names(void **state) {
  noc_ctx *ctx = *state;
  noc_time t = at_tt(ctx, 2451545.0);
  noc_calc_options opt = tropical();
  noc_star a, b;
  noc_error err;
  for (int i = 0; i < NOC_STAR_DEFAULT_COUNT; i++)
    assert_int_equal(noc_star_calc(ctx, &t, noc_star_default_name(i), &opt, &a, &err, "s"), NOC_OK);
  assert_null(noc_star_default_name(NOC_STAR_DEFAULT_COUNT));
  assert_int_equal(noc_star_calc(ctx, &t, "regulus", &opt, &a, &err, "s"), NOC_OK);
  assert_string_equal(a.name, "Regulus");
  assert_string_equal(a.designation, "alLeo");
  assert_near(a.magnitude, 1.40, 1e-9);
  static const char *const same[] = {"alpha Leonis", "alLeo", ",alLeo", "  Regulus ",
                                     "\xce\xb1 Leo"};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    assert_int_equal(noc_star_calc(ctx, &t, same[i], &opt, &b, &err, "s"), NOC_OK);
    assert_string_equal(b.designation, "alLeo");
    assert_near(b.pos.longitude, a.pos.longitude, 1e-12);
  }
  assert_int_equal(noc_star_calc(ctx, &t, "gamma1 Andromedae", &opt, &b, &err, "s"), NOC_OK);
  assert_string_equal(b.designation, "ga-1And");
  assert_int_equal(noc_star_calc(ctx, &t, "ALPHA_CENTAURI", &opt, &b, &err, "s"), NOC_OK);
  assert_string_equal(b.designation, "alCen");
  assert_int_equal(noc_star_calc(ctx, &t, "P_Pup", &opt, &b, &err, "s"), NOC_OK);
  assert_string_equal(b.designation, "P_Pup"); /* an underscore of the catalogue's own */
  assert_int_equal(noc_star_calc(ctx, &t, "109 Virginis", &opt, &b, &err, "s"), NOC_OK);
  assert_string_equal(b.designation, "109Vir");
  /* Not stars: unknown names, bare numbers (Swiss Ephemeris' "n-th star") and wildcards. */
  static const char *const bad[] = {"Nope", "109", "1", "Regul%", "", " ", "theta Nowhere"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    noc_error_clear(&err);
    assert_int_equal(noc_star_calc(ctx, &t, bad[i], &opt, &b, &err, "stars[3]"),
                     NOC_ERR_VALIDATION);
    assert_string_equal(err.field, "stars[3]");
  }
}

static void test_magnitude_filter(void **state) {
  noc_ctx *ctx = *state;
  char names[64][NOC_STAR_SEARCH_MAX];
  int count = 0, total = 0;
  noc_error err;
  assert_int_equal(noc_stars_brighter(ctx, 1.0, names, 64, &count, &total, &err), NOC_OK);
  /* Sirius, Canopus, Rigil Kentaurus, Arcturus, Vega, Capella, Rigel, Procyon, Achernar,
   * Betelgeuse, Hadar, Altair, Acrux, Aldebaran, Antares, Spica: the sixteen of magnitude
   * 1.0 or brighter in the catalogue, reference points (magnitude 0.0) left out. */
  assert_int_equal(count, total);
  assert_int_equal(count, 16);
  assert_string_equal(names[0], ",alCMa");
  noc_time t = at_tt(ctx, 2451545.0);
  noc_calc_options opt = tropical();
  double last = -10;
  for (int i = 0; i < count; i++) {
    noc_star s;
    assert_int_equal(noc_star_calc(ctx, &t, names[i], &opt, &s, &err, "s"), NOC_OK);
    assert_true(s.magnitude <= 1.0 && s.magnitude >= last);
    last = s.magnitude;
    for (int k = 0; k < i; k++)
      assert_string_not_equal(names[i], names[k]);
  }
  assert_int_equal(noc_stars_brighter(ctx, 1.0, names, 3, &count, &total, &err), NOC_OK);
  assert_int_equal(count, 3);
  assert_int_equal(total, 16);
  assert_int_equal(noc_stars_brighter(ctx, -5.0, names, 3, &count, &total, &err), NOC_OK);
  assert_int_equal(total, 0);
}

static void test_sidereal_star(void **state) {
  noc_ctx *ctx = *state;
  noc_time t = at_tt(ctx, 2460409.262606296);
  noc_calc_options trop = tropical(), sid = tropical();
  sid.zodiac = NOC_SIDEREAL;
  noc_star a, b;
  noc_error err;
  double aya;
  assert_int_equal(noc_star_calc(ctx, &t, "Spica", &trop, &a, &err, "s"), NOC_OK);
  assert_int_equal(noc_star_calc(ctx, &t, "Spica", &sid, &b, &err, "s"), NOC_OK);
  assert_int_equal(noc_ayanamsa_value(ctx, &t, &sid, &aya, &err), NOC_OK);
  assert_near(noc_norm360(a.pos.longitude - b.pos.longitude), aya, 1e-3);
  /* Lahiri puts Spica (Citra) near 0 Libra sidereal. */
  assert_near(b.pos.longitude, 180.0, 0.1);
  assert_near(a.pos.declination, b.pos.declination, 1e-9);
}

/* ---- special bodies, syzygy, declinations -------------------------------------------------- */

static void test_special_bodies(void **state) {
  noc_ctx *ctx = *state;
  noc_time t = at_utc(ctx, 1990, 1, 15, 19, 30);
  noc_calc_options opt = tropical();
  noc_position white, perigee, apogee;
  noc_error err;
  assert_int_equal(noc_special_body_position(ctx, &t, NOC_SP_WHITE_MOON, &opt, &white, &err),
                   NOC_OK);
  /* Selena goes round the zodiac in 7 years. */
  assert_near(white.speed_longitude, 360.0 / (7 * 365.25), 2e-4);
  assert_int_equal(noc_special_body_position(ctx, &t, NOC_SP_MEAN_PERIGEE, &opt, &perigee, &err),
                   NOC_OK);
  assert_int_equal(noc_body_position(ctx, &t, NOC_MEAN_LILITH, &opt, &apogee, &err), NOC_OK);
  assert_near(noc_norm360(perigee.longitude - apogee.longitude), 180.0, 1e-9);
  assert_near(perigee.latitude, -apogee.latitude, 1e-12);
  for (int b = 0; b < NOC_SP_COUNT; b++) {
    noc_position p;
    assert_int_equal(noc_special_body_position(ctx, &t, (noc_special_body)b, &opt, &p, &err),
                     NOC_OK);
    assert_true(p.longitude >= 0 && p.longitude < 360 && fabs(p.declination) < 90);
  }
  /* The interpolated apsides stop at 3000 CE: a range error, not a crash. */
  noc_time far = at_utc(ctx, 5000, 6, 1, 0, 0);
  assert_int_equal(noc_special_body_position(ctx, &far, NOC_SP_INTP_PERIGEE, &opt, &perigee, &err),
                   NOC_ERR_RANGE);
}

static void check_syzygy(noc_ctx *ctx, noc_time t, bool new_moon, int y, int mo, int d, int h,
                         int mi) {
  noc_calc_options opt = tropical();
  noc_syzygy s;
  noc_error err;
  assert_int_equal(noc_prenatal_syzygy(ctx, &t, &opt, &s, &err), NOC_OK);
  assert_int_equal(s.new_moon, new_moon);
  noc_time want = at_utc(ctx, y, mo, d, h, mi);
  /* USNO phase times are rounded to the minute. */
  assert_true(fabs(s.jd_ut - want.jd_ut) * 1440.0 <= 1.0);
  assert_true(s.jd_ut < t.jd_ut);
  double elong = noc_norm360(s.moon_lon - s.sun_lon);
  assert_near(elong, new_moon ? 0.0 : 180.0, 1e-4);
}

static void test_prenatal_syzygy(void **state) {
  noc_ctx *ctx = *state;
  /* USNO: full Moon 1990-01-11 04:57 UT; full Moon 1999-12-22 17:31; new Moon 2000-01-06
   * 18:14. */
  check_syzygy(ctx, at_utc(ctx, 1990, 1, 15, 19, 30), false, 1990, 1, 11, 4, 57);
  check_syzygy(ctx, at_utc(ctx, 2000, 1, 1, 12, 0), false, 1999, 12, 22, 17, 31);
  check_syzygy(ctx, at_utc(ctx, 2000, 1, 10, 0, 0), true, 2000, 1, 6, 18, 14);
}

static void test_solstice_declination(void **state) {
  noc_ctx *ctx = *state;
  /* USNO: June solstice 2024-06-20 20:51 UT. The Sun's declination is then the obliquity. */
  noc_time t = at_utc(ctx, 2024, 6, 20, 20, 51);
  noc_calc_options opt = tropical();
  noc_position sun;
  double eps;
  noc_error err;
  assert_int_equal(noc_body_position(ctx, &t, NOC_SUN, &opt, &sun, &err), NOC_OK);
  assert_int_equal(noc_true_obliquity(ctx, &t, &eps, &err), NOC_OK);
  assert_near(sun.declination, eps, 1.0 / 3600.0);
  assert_near(eps, 23.4384, 1e-3); /* mean 23.4361 plus about 8" of nutation */
  assert_false(noc_out_of_bounds(sun.declination, eps + 1e-3));
}

static void test_lunar_standstill(void **state) {
  noc_ctx *ctx = *state;
  /* The 2006 major lunar standstill: the Moon reached about -28.72 on 2006-03-22, five degrees
   * (the lunar inclination) beyond the Sun's greatest declination. */
  noc_time t = at_utc(ctx, 2006, 3, 22, 16, 48);
  noc_calc_options opt = tropical();
  noc_position moon;
  double eps;
  noc_error err;
  assert_int_equal(noc_body_position(ctx, &t, NOC_MOON, &opt, &moon, &err), NOC_OK);
  assert_int_equal(noc_true_obliquity(ctx, &t, &eps, &err), NOC_OK);
  assert_near(moon.declination, -28.72, 0.01);
  assert_true(noc_out_of_bounds(moon.declination, eps));
  assert_near(fabs(moon.declination) - eps, 5.28, 0.02);
  /* Nine years later (minor standstill, 2015) the Moon stays within bounds all month. */
  for (int d = 1; d <= 28; d++) {
    noc_time m = at_utc(ctx, 2015, 10, d, 0, 0);
    assert_int_equal(noc_body_position(ctx, &m, NOC_MOON, &opt, &moon, &err), NOC_OK);
    assert_true(fabs(moon.declination) < 18.6);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_stars),      cmocka_unit_test(test_star_names),
      cmocka_unit_test(test_magnitude_filter),     cmocka_unit_test(test_sidereal_star),
      cmocka_unit_test(test_special_bodies),       cmocka_unit_test(test_prenatal_syzygy),
      cmocka_unit_test(test_solstice_declination), cmocka_unit_test(test_lunar_standstill),
  };
  return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
