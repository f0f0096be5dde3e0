/* Bodies, ephemeris checks, zodiac splitting and house systems. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctx_fixture.h"
#include "nocturna/nocturna.h"

static void test_names(void **state) {
  (void)state;
  for (int i = 0; i < NOC_BODY_COUNT; i++) {
    noc_body b;
    assert_true(noc_body_from_name(noc_body_name((noc_body)i), &b));
    assert_int_equal(b, i);
  }
  noc_body b;
  assert_true(noc_body_from_name("mean_node", &b));
  assert_int_equal(b, NOC_MEAN_NODE);
  assert_true(noc_body_from_name("MEAN_LILITH", &b));
  assert_int_equal(b, NOC_MEAN_LILITH);
  assert_false(noc_body_from_name("VULCAN", &b));
  int aya;
  assert_true(noc_ayanamsa_from_name("lahiri", &aya));
  assert_int_equal(aya, 1);
  assert_true(noc_ayanamsa_from_name("FAGAN_BRADLEY", &aya));
  assert_int_equal(aya, 0);
  assert_false(noc_ayanamsa_from_name("NOPE", &aya));
}

static void test_house_table(void **state) {
  (void)state;
  assert_string_equal(noc_house_system_find("Q")->name, "PULLEN_SR");
  assert_string_equal(noc_house_system_find("S")->name, "SRIPATI");
  assert_string_equal(noc_house_system_find("whole-sign")->name, "WHOLE_SIGN");
  assert_string_equal(noc_house_system_find("Placidus")->name, "PLACIDUS");
  assert_string_equal(noc_house_system_find("E")->name, "EQUAL");
  assert_int_equal(noc_house_system_find("G")->cusp_count, 36);
  assert_null(noc_house_system_find("Z"));
  assert_null(noc_house_system_find(""));
  /* Letters and names are unique. */
  for (int i = 0; noc_house_system_at(i); i++)
    for (int j = i + 1; noc_house_system_at(j); j++) {
      assert_int_not_equal(noc_house_system_at(i)->letter, noc_house_system_at(j)->letter);
      assert_string_not_equal(noc_house_system_at(i)->name, noc_house_system_at(j)->name);
    }
}

static void test_dms(void **state) {
  (void)state;
  noc_dms d;
  noc_dms_split(29.99999999, &d);
  assert_int_equal(d.sign, 0);
  assert_int_equal(d.degree, 29);
  assert_int_equal(d.minute, 59);
  assert_int_equal(d.second, 59);
  noc_dms_split(-0.5, &d);
  assert_int_equal(d.sign, 11);
  noc_dms_split(360.0, &d);
  assert_int_equal(d.sign, 0);
  assert_int_equal(d.degree, 0);
  for (int i = 0; i < 100000; i++) {
    noc_dms_split(i * 0.0036001, &d);
    assert_true(d.second >= 0 && d.second < 60 && d.minute < 60 && d.degree < 30);
  }
  assert_true(fabs(noc_angle_diff(359.0, 1.0) - (-2.0)) < 1e-12);
  assert_true(fabs(noc_angle_diff(1.0, 359.0) - 2.0) < 1e-12);
}

static void test_positions(void **state) {
  noc_ctx *ctx = *state;
  noc_error err;
  noc_time t;
  assert_int_equal(noc_time_from_jd_tt(ctx, 2451545.0, &t, &err), NOC_OK);
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_position sun, node, south;
  assert_int_equal(noc_body_position(ctx, &t, NOC_SUN, &opt, &sun, &err), NOC_OK);
  /* The Sun at J2000.0 TT is at 280.37° (Meeus, apparent of date). */
  assert_true(fabs(sun.longitude - 280.3689) < 0.001);
  assert_true(sun.speed_longitude > 1.01 && sun.speed_longitude < 1.02);
  assert_true(fabs(sun.declination - (-23.0325)) < 0.01);
  assert_int_equal(noc_body_position(ctx, &t, NOC_MEAN_NODE, &opt, &node, &err), NOC_OK);
  assert_int_equal(noc_body_position(ctx, &t, NOC_MEAN_SOUTH_NODE, &opt, &south, &err), NOC_OK);
  assert_true(fabs(noc_angle_diff(south.longitude, node.longitude + 180.0)) < 1e-9);
  assert_true(fabs(south.latitude + node.latitude) < 1e-12);
  /* Chiron outside 675..4650 CE is a range error naming the body. */
  noc_time old;
  assert_int_equal(noc_time_from_jd_ut(ctx, 1900000.5, &old, &err), NOC_OK);
  noc_position p;
  assert_int_equal(noc_body_position(ctx, &old, NOC_CHIRON, &opt, &p, &err), NOC_ERR_RANGE);
  assert_non_null(strstr(err.message, "CHIRON"));
  /* Sidereal Lahiri: tropical minus the ayanamsa. */
  noc_calc_options sid = opt;
  sid.zodiac = NOC_SIDEREAL;
  sid.ayanamsa = 1;
  double aya;
  assert_int_equal(noc_ayanamsa_value(ctx, &t, &sid, &aya, &err), NOC_OK);
  assert_true(aya > 23.8 && aya < 23.9);
  assert_int_equal(noc_body_position(ctx, &t, NOC_SUN, &sid, &p, &err), NOC_OK);
  assert_true(fabs(noc_angle_diff(p.longitude, sun.longitude - aya)) < 1e-6);
  assert_true(fabs(p.declination - sun.declination) < 1e-9);
}

static void test_no_silent_moshier(void **state) {
  (void)state;
  char dir[] = "/tmp/noc-empty-ephe-XXXXXX";
  assert_non_null(mkdtemp(dir));
  noc_ctx *ctx = NULL;
  noc_error err;
  assert_int_equal(noc_ctx_open(&ctx, dir, &err), NOC_ERR_EPHEMERIS);
  assert_null(ctx);
  rmdir(dir);
}

static void test_houses(void **state) {
  noc_ctx *ctx = *state;
  noc_error err;
  noc_time t;
  assert_int_equal(noc_time_from_jd_ut(ctx, 2460324.75, &t, &err), NOC_OK);
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_houses h;
  const noc_house_system *placidus = noc_house_system_find("PLACIDUS");
  assert_int_equal(noc_houses_calc(ctx, &t, 40.7, -74.0, placidus, &opt, false, &h, &err), NOC_OK);
  assert_false(h.fell_back);
  assert_true(fabs(h.cusps[0] - h.asc) < 1e-9);
  assert_true(fabs(h.cusps[9] - h.mc) < 1e-9);
  /* Every longitude falls in exactly the house whose arc contains it. */
  for (int i = 0; i < 12; i++) {
    double mid = h.cusps[i] + noc_angle_diff(h.cusps[(i + 1) % 12], h.cusps[i]) / 2;
    assert_int_equal(noc_house_of(&h, mid), i + 1);
  }
  /* Inside the polar circle Placidus falls back to Porphyry, visibly, or fails when strict. */
  assert_int_equal(noc_houses_calc(ctx, &t, 78.2, 15.6, placidus, &opt, false, &h, &err), NOC_OK);
  assert_true(h.fell_back);
  assert_string_equal(h.used->name, "PORPHYRY");
  assert_int_equal(noc_houses_calc(ctx, &t, 78.2, 15.6, placidus, &opt, true, &h, &err),
                   NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "house_system");
  /* Gauquelin: 36 sectors numbered clockwise. */
  assert_int_equal(
      noc_houses_calc(ctx, &t, 48.85, 2.35, noc_house_system_find("G"), &opt, false, &h, &err),
      NOC_OK);
  assert_int_equal(h.cusp_count, 36);
  assert_int_equal(noc_house_of(&h, h.cusps[0] - 0.01), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_house_table),
      cmocka_unit_test(test_dms),
      cmocka_unit_test_setup_teardown(test_positions, ctx_setup, ctx_teardown),
      cmocka_unit_test(test_no_silent_moshier),
      cmocka_unit_test_setup_teardown(test_houses, ctx_setup, ctx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
