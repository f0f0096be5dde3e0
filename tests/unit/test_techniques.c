/* Chart techniques (core): midpoints, cross aspects, the compatibility score, houses from an ARMC,
 * progressions, the solar arc, primary directions and returns, against first principles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <swephexp.h>

#include "ctx_fixture.h"
#include "nocturna/nocturna.h"
#include "nocturna/techniques.h"

#define D2R (M_PI / 180.0)

static void assert_near(double a, double b, double tol) {
  if (!(fabs(a - b) <= tol)) fail_msg("%.10f != %.10f (tolerance %.3g)", a, b, tol);
}

static void assert_angle_near(double a, double b, double tol) {
  assert_near(noc_angle_diff(a, b), 0.0, tol);
}

static noc_time at_utc(noc_ctx *ctx, int y, int mo, int d, int h, int mi) {
  noc_civil c = {y, mo, d, h, mi, 0.0};
  noc_time t;
  noc_error err;
  assert_int_equal(noc_time_from_utc(ctx, &c, false, &t, &err), NOC_OK);
  return t;
}

/* ---- Midpoints and cross aspects ------------------------------------------------------------- */

static void test_midpoint(void **state) {
  (void)state;
  assert_near(noc_composite_midpoint(10, 350), 0.0, 1e-12);
  assert_near(noc_composite_midpoint(350, 10), 0.0, 1e-12);
  assert_near(noc_composite_midpoint(100, 200), 150.0, 1e-12);
  assert_near(noc_composite_midpoint(300, 60), 0.0, 1e-12);
  assert_near(noc_composite_midpoint(295.4, 89.2), 12.3, 1e-9);
  /* Exactly opposite: 90 degrees after b, documented. */
  assert_near(noc_composite_midpoint(0, 180), 270.0, 1e-12);
  assert_near(noc_composite_midpoint(40, 40), 40.0, 1e-12);
}

static void test_cross_aspects(void **state) {
  (void)state;
  noc_aspect_config cfg;
  noc_aspect_config_default(&cfg);
  noc_aspect out[8];
  int n;
  noc_error err;
  /* The Moon 2 degrees short of a square to a fixed Saturn, moving towards it: applying. */
  noc_aspect_point a[] = {{NOC_MOON, 186.0, 13.0}};
  noc_aspect_point b[] = {{NOC_SATURN, 98.0, 0.0}};
  assert_int_equal(noc_cross_aspects_find(a, 1, b, 1, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_int_equal(n, 1);
  assert_int_equal(out[0].type, NOC_ASP_SQUARE);
  assert_near(out[0].orb, 2.0, 1e-9);
  assert_near(out[0].separation, 88.0, 1e-9);
  assert_true(out[0].applying);
  assert_near(out[0].strength, 1.0 - 2.0 / 8.0, 1e-12);
  /* 2 degrees past the square: separating. */
  a[0].longitude = 190.0;
  assert_int_equal(noc_cross_aspects_find(a, 1, b, 1, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_int_equal(n, 1);
  assert_false(out[0].applying);
  /* Natal to natal: the faster body decides, whichever side it is on. */
  noc_aspect_point moon[] = {{NOC_MOON, 10.0, 13.0}}, sat[] = {{NOC_SATURN, 98.0, 0.03}};
  assert_int_equal(noc_cross_aspects_find(sat, 1, moon, 1, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_int_equal(n, 1);
  assert_false(out[0].applying); /* the Moon runs on towards the conjunction, off the square */
  moon[0].longitude = 190.0;     /* now 92 apart, the Moon going on widens it: separating */
  assert_int_equal(noc_cross_aspects_find(sat, 1, moon, 1, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_false(out[0].applying);
  moon[0].longitude = 186.0 + 180.0; /* 88 on the other side, closing to 90: applying */
  assert_int_equal(noc_cross_aspects_find(sat, 1, moon, 1, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_int_equal(out[0].type, NOC_ASP_SQUARE);
  assert_near(out[0].separation, 92.0, 1e-9);
  assert_true(out[0].applying);
  /* Every pair of the two lists is tried, indices refer to each list. */
  noc_aspect_point l1[] = {{NOC_SUN, 0.0, 1.0}, {NOC_VENUS, 120.0, 1.2}};
  noc_aspect_point l2[] = {{NOC_SUN, 0.5, 1.0}, {NOC_MARS, 240.0, 0.6}};
  assert_int_equal(noc_cross_aspects_find(l1, 2, l2, 2, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_int_equal(n, 4); /* conj, trine(Sun-Mars), trine(Venus-Sun), trine(Venus-Mars) */
  assert_int_equal(out[0].a, 0);
  assert_int_equal(out[0].b, 0);
  assert_int_equal(out[0].type, NOC_ASP_CONJUNCTION);
  assert_int_equal(out[3].a, 1);
  assert_int_equal(out[3].b, 1);
  assert_int_equal(out[3].type, NOC_ASP_TRINE);
  assert_int_equal(noc_cross_aspects_find(l1, 2, l2, 2, &cfg, true, out, 8, &n, &err), NOC_OK);
  assert_int_equal(n, 3); /* the Sun to itself left out */
  /* Orbs: multiplier and a body override. */
  cfg.orb_multiplier = 0.1;
  assert_int_equal(noc_cross_aspects_find(l1, 2, l2, 2, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_int_equal(n, 4); /* conj orb 0.5 <= 1.0; the trines are exact */
  cfg.orb_multiplier = 1.0;
  cfg.body_orb[NOC_SUN] = 0.25;
  assert_int_equal(noc_cross_aspects_find(l1, 2, l2, 2, &cfg, false, out, 8, &n, &err), NOC_OK);
  assert_int_equal(n, 2); /* Sun-Sun and Venus-Sun, both 0.5 off, are outside 0.25 */
  /* Room runs out: an error, with the count. */
  cfg.body_orb[NOC_SUN] = 0.0;
  assert_int_equal(noc_cross_aspects_find(l1, 2, l2, 2, &cfg, false, out, 2, &n, &err),
                   NOC_ERR_NOMEM);
  assert_int_equal(n, 4);
}

static void test_compat(void **state) {
  (void)state;
  noc_compat c;
  noc_compat_item items[4];
  noc_compat_score(NULL, NULL, NULL, 0, &c, NULL);
  assert_near(c.score, 50.0, 1e-12);
  noc_aspect_point a[] = {{NOC_SUN, 0.0, 1.0}, {NOC_SATURN, 10.0, 0.0}};
  noc_aspect_point b[] = {{NOC_MOON, 120.0, 13.0}, {NOC_VENUS, 10.0, 1.0}};
  noc_aspect asp[] = {
      {.a = 0, .b = 0, .type = NOC_ASP_TRINE, .strength = 1.0},
      {.a = 1, .b = 1, .type = NOC_ASP_CONJUNCTION, .strength = 0.0},
  };
  noc_compat_score(a, b, asp, 1, &c, items);
  /* Sun 3 x Moon 3 x major 1 x (0.5 + 0.5) = 9 of harmony. */
  assert_near(c.harmony, 9.0, 1e-12);
  assert_near(c.tension, 0.0, 1e-12);
  assert_near(c.score, 100.0 * 19.0 / 29.0, 1e-9);
  assert_int_equal(items[0].category, NOC_COMPAT_LUMINARIES);
  assert_int_equal(c.part[NOC_COMPAT_LUMINARIES].aspects, 1);
  /* Saturn on Venus: half harmony, half tension; weight 1.5 x 2.5 x 1 x 0.5. */
  noc_compat_score(a, b, asp, 2, &c, items);
  assert_near(items[1].harmony, 0.5 * 1.875, 1e-12);
  assert_near(items[1].tension, 0.5 * 1.875, 1e-12);
  assert_int_equal(items[1].category, NOC_COMPAT_COMMITMENT);
  assert_near(c.score, 100.0 * (9.0 + 0.9375 + 10.0) / (9.0 + 1.875 + 20.0), 1e-9);
}

/* ---- Houses from an ARMC --------------------------------------------------------------------- */

/* A chart's own houses must come back from its ARMC, obliquity and ayanamsa, for every system,
 * tropical and sidereal: that is what composite and progressed houses rely on. */
static void test_houses_from_armc(void **state) {
  noc_ctx *ctx = *state;
  noc_time t = at_utc(ctx, 1990, 1, 15, 19, 30);
  static const double places[][2] = {{40.7128, -74.006}, {-33.87, 151.21}, {64.15, -21.94}};
  for (int z = 0; z < 2; z++) {
    noc_calc_options opt;
    noc_calc_options_default(&opt);
    opt.zodiac = z ? NOC_SIDEREAL : NOC_TROPICAL;
    noc_error err;
    double eps, aya;
    assert_int_equal(noc_true_obliquity(ctx, &t, &eps, &err), NOC_OK);
    assert_int_equal(noc_ayanamsa_value(ctx, &t, &opt, &aya, &err), NOC_OK);
    noc_position sun;
    assert_int_equal(noc_body_position(ctx, &t, NOC_SUN, &opt, &sun, &err), NOC_OK);
    for (size_t p = 0; p < sizeof places / sizeof places[0]; p++) {
      for (int i = 0; noc_house_system_at(i); i++) {
        const noc_house_system *sys = noc_house_system_at(i);
        /* Swiss Ephemeris' sidereal houses upper-case the letter, so its sidereal 'i' (Sunshine,
         * Makransky's solution) is Treindl's 'I'; they part only at high latitudes. */
        if (z == 1 && sys->letter == 'i') continue;
        noc_houses h, g;
        assert_int_equal(
            noc_houses_calc(ctx, &t, places[p][0], places[p][1], sys, &opt, false, &h, &err),
            NOC_OK);
        assert_int_equal(noc_houses_from_armc(h.armc, places[p][0], eps, aya, sun.declination, sys,
                                              false, &g, &err),
                         NOC_OK);
        assert_int_equal(g.fell_back, h.fell_back);
        assert_int_equal(g.cusp_count, h.cusp_count);
        for (int k = 0; k < h.cusp_count; k++)
          assert_angle_near(g.cusps[k], h.cusps[k], 1e-7);
        assert_angle_near(g.asc, h.asc, 1e-7);
        assert_angle_near(g.mc, h.mc, 1e-7);
        assert_angle_near(g.vertex, h.vertex, 1e-7);
        if (z == 0) assert_angle_near(noc_armc_of_mc(h.mc, eps), h.armc, 1e-9);
      }
    }
  }
}

/* ---- Progressions and the solar arc ---------------------------------------------------------- */

static void test_progression_instants(void **state) {
  (void)state;
  double natal = 2447907.3125;
  double age = 30.5 * NOC_TROPICAL_YEAR_DAYS;
  assert_near(NOC_TROPICAL_YEAR_DAYS, 365.24219, 1e-9);
  assert_near(noc_progressed_jd(NOC_PROG_SECONDARY, natal, natal + age, false), natal + 30.5, 1e-9);
  assert_near(noc_progressed_jd(NOC_PROG_SECONDARY, natal, natal + age, true), natal - 30.5, 1e-9);
  /* Tertiary: a day per tropical month of life; minor: a tropical month per year. */
  assert_near(noc_progressed_jd(NOC_PROG_TERTIARY, natal, natal + 27.321582, false), natal + 1.0,
              1e-9);
  assert_near(noc_progressed_jd(NOC_PROG_MINOR, natal, natal + NOC_TROPICAL_YEAR_DAYS, false),
              natal + 27.321582, 1e-9);
  for (int type = 0; type < 3; type++)
    for (int conv = 0; conv < 2; conv++) {
      double p = noc_progressed_jd((noc_progression)type, natal, natal + 12345.6, conv);
      assert_near(noc_progression_real_jd((noc_progression)type, natal, p, conv), natal + 12345.6,
                  1e-6);
    }
  /* Keys: Naibod is the mean Sun's daily motion, 59'08.33"; Cardan 59'12". */
  assert_near(NOC_KEY_NAIBOD * 3600.0, 59 * 60 + 8.33, 0.01);
  assert_near(NOC_KEY_CARDAN * 3600.0, 59 * 60 + 12.0, 1e-9);
}

static void test_solar_arc(void **state) {
  noc_ctx *ctx = *state;
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_error err;
  double natal = at_utc(ctx, 1990, 1, 15, 19, 30).jd_ut;
  double real = natal + 36.0 * NOC_TROPICAL_YEAR_DAYS;
  double arc, s0, s1;
  assert_int_equal(noc_solar_arc(ctx, &opt, natal, real, &arc, &err), NOC_OK);
  /* First principles: progressed Sun minus natal Sun, the progressed instant 36 days on. */
  assert_int_equal(noc_body_longitude(ctx, natal, NOC_SUN, &opt, &s0, NULL, &err), NOC_OK);
  assert_int_equal(noc_body_longitude(ctx, natal + 36.0, NOC_SUN, &opt, &s1, NULL, &err), NOC_OK);
  assert_near(arc, s1 - s0, 1e-9);
  assert_true(arc > 35.0 && arc < 38.0); /* about 1 degree a year, never the transiting Sun's */
  /* The inverse: the dates the arc reaches given values. */
  double arcs[3] = {20.0, 50.0, 0.0}, when[3];
  assert_int_equal(noc_solar_arc_times(ctx, &opt, natal, arcs, 3, natal, real, when, &err), NOC_OK);
  double back;
  assert_false(isnan(when[0]));
  assert_int_equal(noc_solar_arc(ctx, &opt, natal, when[0], &back, &err), NOC_OK);
  assert_near(back, 20.0, 1e-7);
  assert_true(isnan(when[1]));       /* beyond the window */
  assert_near(when[2], natal, 1e-6); /* an arc of 0 at birth */
  /* Unwrapped past 360 degrees: a (theoretical) age of 400 years. */
  assert_int_equal(
      noc_solar_arc(ctx, &opt, natal, natal + 400.0 * NOC_TROPICAL_YEAR_DAYS, &back, &err), NOC_OK);
  assert_true(back > 390.0 && back < 400.0);
}

/* ---- Primary directions ---------------------------------------------------------------------- */

typedef struct pd_fixture {
  noc_pd_sphere s;
  noc_pd_point p[12];
  int n;
} pd_fixture;

static void pd_setup(noc_ctx *ctx, double lat, double lon, pd_fixture *f) {
  noc_time t = at_utc(ctx, 1990, 1, 15, 19, 30);
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_error err;
  noc_houses h;
  assert_int_equal(
      noc_houses_calc(ctx, &t, lat, lon, noc_house_system_find("P"), &opt, false, &h, &err),
      NOC_OK);
  assert_int_equal(noc_true_obliquity(ctx, &t, &f->s.eps, &err), NOC_OK);
  f->s.armc = h.armc;
  f->s.latitude = lat;
  f->n = 0;
  for (int b = NOC_SUN; b <= NOC_PLUTO; b++) {
    noc_position pos;
    assert_int_equal(noc_body_position(ctx, &t, (noc_body)b, &opt, &pos, &err), NOC_OK);
    f->p[f->n++] = (noc_pd_point){(noc_body)b, pos.longitude, pos.latitude, pos.right_ascension,
                                  pos.declination};
  }
  noc_pd_point asc = {NOC_ASC, h.asc, 0, 0, 0}, mc = {NOC_MC, h.mc, 0, 0, 0};
  noc_ecl_to_equ(asc.lon, 0, f->s.eps, &asc.ra, &asc.dec);
  noc_ecl_to_equ(mc.lon, 0, f->s.eps, &mc.ra, &mc.dec);
  f->p[f->n++] = asc;
  f->p[f->n++] = mc;
}

/* Swiss Ephemeris' own Placidus house position (1.0 .. 12.999) of an ecliptic point: an
 * independent implementation of the same semi-arc proportion. */
static double house_pos(const noc_pd_sphere *s, double armc_add, double lon, double lat) {
  double xpin[2] = {lon, lat};
  char serr[256];
  return swe_house_pos(noc_norm360(s->armc + armc_add), s->latitude, s->eps, 'P', xpin, serr);
}

static void assert_house_pos(double a, double b) {
  double d = fmod(a - b + 18.0, 12.0) - 6.0; /* modulo the 12 houses */
  if (!(fabs(d) < 1e-6)) fail_msg("house position %.9f != %.9f", a, b);
}

static void test_pd_positions(void **state) {
  pd_fixture f;
  pd_setup(*state, 40.7128, -74.006, &f);
  double m;
  /* The ASC and MC degrees sit at 0 and 90 by the general formula too. */
  assert_true(noc_pd_mundane_position(&f.s, f.p[10].ra, f.p[10].dec, &m));
  assert_angle_near(m, 0.0, 1e-6);
  assert_true(noc_pd_mundane_position(&f.s, f.p[11].ra, f.p[11].dec, &m));
  assert_angle_near(m, 90.0, 1e-9);
  /* Mundane position and Placidus house position are one scale: house = 1 - m/30 (mod 12). */
  for (int i = 0; i < 10; i++) {
    assert_true(noc_pd_mundane_position(&f.s, f.p[i].ra, f.p[i].dec, &m));
    assert_house_pos(1.0 - m / 30.0, house_pos(&f.s, 0, f.p[i].lon, f.p[i].lat));
  }
  /* A circumpolar point has no semi-arc. */
  noc_pd_sphere polar = {0.0, 80.0, 23.44};
  assert_false(noc_pd_mundane_position(&polar, 10.0, 20.0, &m));
}

/* In zodiaco, a promissor to the MC: the arc is the right ascension of its ecliptic degree minus
 * the ARMC; to the ASC, its oblique ascension minus ARMC + 90. Written out with the textbook
 * formulas, not with the code under test. */
static void test_pd_zodiaco_angles(void **state) {
  pd_fixture f;
  pd_setup(*state, 40.7128, -74.006, &f);
  noc_aspect_type conj = NOC_ASP_CONJUNCTION;
  noc_pd_direction d[64];
  int n, skipped;
  noc_error err;
  noc_pd_point sig[] = {f.p[10], f.p[11]}; /* ASC, MC */
  assert_int_equal(noc_pd_directions(&f.s, f.p, 10, sig, 2, &conj, 1, NOC_PD_ZODIACO, false, 0, 360,
                                     d, 64, &n, &skipped, &err),
                   NOC_OK);
  assert_int_equal(n, 20);
  assert_int_equal(skipped, 0);
  double e = f.s.eps * D2R, phi = f.s.latitude * D2R;
  for (int k = 0; k < n; k++) {
    double lam = f.p[d[k].promissor].lon * D2R;
    double ra = atan2(sin(lam) * cos(e), cos(lam)) / D2R;
    double dec = asin(sin(e) * sin(lam));
    if (d[k].significator == 1) {
      assert_angle_near(d[k].arc, noc_norm360(ra - f.s.armc), 1e-9);
    } else {
      double oa = ra - asin(tan(phi) * tan(dec)) / D2R;
      assert_angle_near(d[k].arc, noc_norm360(oa - (f.s.armc + 90.0)), 1e-9);
    }
  }
}

/* After turning the sphere by the arc, the moving point stands at the target's Placidus house
 * position (Swiss Ephemeris' swe_house_pos as the independent check), for every mode, motion,
 * aspect and side. */
static void test_pd_house_positions(void **state) {
  static const double lats[] = {40.7128, -33.87, 55.0};
  noc_aspect_type asp[] = {NOC_ASP_CONJUNCTION, NOC_ASP_OPPOSITION, NOC_ASP_SQUARE, NOC_ASP_TRINE,
                           NOC_ASP_SEXTILE};
  for (size_t l = 0; l < sizeof lats / sizeof lats[0]; l++) {
    pd_fixture f;
    pd_setup(*state, lats[l], 10.0, &f);
    for (int mode = 0; mode < 2; mode++)
      for (int conv = 0; conv < 2; conv++) {
        static noc_pd_direction d[2000];
        int n, skipped;
        noc_error err;
        assert_int_equal(noc_pd_directions(&f.s, f.p, 10, f.p, 12, asp, 5, (noc_pd_mode)mode, conv,
                                           0, 360, d, 2000, &n, &skipped, &err),
                         NOC_OK);
        assert_true(n > 300);
        for (int k = 0; k < n; k++) {
          const noc_pd_point *p = &f.p[d[k].promissor], *g = &f.p[d[k].significator];
          double angle = noc_aspect_def_get(d[k].aspect)->angle;
          double off = d[k].aspect == NOC_ASP_OPPOSITION ? 180.0 : d[k].side * angle;
          double moved, target;
          if (mode == NOC_PD_ZODIACO) {
            /* The aspect point on the ecliptic, latitude 0. */
            double plon = noc_norm360(p->lon + off);
            if (!conv) {
              moved = house_pos(&f.s, d[k].arc, plon, 0.0);
              target = house_pos(&f.s, 0, g->lon, g->lat);
            } else {
              moved = house_pos(&f.s, d[k].arc, g->lon, g->lat);
              target = house_pos(&f.s, 0, plon, 0.0);
            }
          } else {
            /* Mundane aspects: `off` degrees of mundane position = off/30 houses. */
            if (!conv) {
              moved = house_pos(&f.s, d[k].arc, p->lon, p->lat);
              target = house_pos(&f.s, 0, g->lon, g->lat) - off / 30.0;
            } else {
              moved = house_pos(&f.s, d[k].arc, g->lon, g->lat);
              target = house_pos(&f.s, 0, p->lon, p->lat) + off / 30.0;
            }
          }
          assert_house_pos(moved, target);
        }
      }
  }
}

static void test_pd_arc_window(void **state) {
  pd_fixture f;
  pd_setup(*state, 40.7128, -74.006, &f);
  noc_aspect_type asp[] = {NOC_ASP_CONJUNCTION, NOC_ASP_SQUARE};
  noc_pd_direction all[400], some[400];
  int n_all, n_some, skipped;
  noc_error err;
  assert_int_equal(noc_pd_directions(&f.s, f.p, 10, f.p, 12, asp, 2, NOC_PD_ZODIACO, false, 0, 360,
                                     all, 400, &n_all, &skipped, &err),
                   NOC_OK);
  assert_int_equal(noc_pd_directions(&f.s, f.p, 10, f.p, 12, asp, 2, NOC_PD_ZODIACO, false, 20, 60,
                                     some, 400, &n_some, &skipped, &err),
                   NOC_OK);
  int expect = 0;
  for (int k = 0; k < n_all; k++)
    expect += all[k].arc >= 20 && all[k].arc <= 60;
  assert_int_equal(n_some, expect);
  assert_true(n_some > 0);
  for (int k = 0; k < n_some; k++)
    assert_true(some[k].arc >= 20 && some[k].arc <= 60 &&
                f.p[some[k].promissor].body != f.p[some[k].significator].body);
  /* Room runs out: NOMEM with the real count. */
  assert_int_equal(noc_pd_directions(&f.s, f.p, 10, f.p, 12, asp, 2, NOC_PD_ZODIACO, false, 0, 360,
                                     all, 3, &n_all, &skipped, &err),
                   NOC_ERR_NOMEM);
  assert_true(n_all > 3);
}

/* ---- Returns --------------------------------------------------------------------------------- */

static void test_returns_exact(void **state) {
  noc_ctx *ctx = *state;
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_error err;
  double natal = at_utc(ctx, 1990, 1, 15, 19, 30).jd_ut;
  static const noc_body bodies[] = {NOC_SUN, NOC_MOON, NOC_MERCURY, NOC_MARS, NOC_JUPITER};
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    double lon, back;
    assert_int_equal(noc_body_longitude(ctx, natal, bodies[i], &opt, &lon, NULL, &err), NOC_OK);
    bool found;
    noc_return r;
    double near = natal + 36.0 * NOC_TROPICAL_YEAR_DAYS;
    assert_int_equal(
        noc_return_nearest(ctx, &opt, bodies[i], lon, near, natal + 0.01, &found, &r, &err),
        NOC_OK);
    assert_true(found);
    assert_int_equal(noc_body_longitude(ctx, r.jd_ut, bodies[i], &opt, &back, NULL, &err), NOC_OK);
    /* Exact: the return's longitude equals the natal one to 0.1 arc-second (the Sun to far
     * better: 8.6 ms of time is 0.0004"). */
    assert_near(noc_angle_diff(back, lon) * 3600.0, 0.0, bodies[i] == NOC_MOON ? 0.1 : 0.01);
  }
  /* The nearest solar return to a date lies within half a year of it. */
  double sun;
  assert_int_equal(noc_body_longitude(ctx, natal, NOC_SUN, &opt, &sun, NULL, &err), NOC_OK);
  for (int k = 0; k < 12; k++) {
    double t = natal + 1000.0 + 61.0 * k;
    bool found;
    noc_return r;
    assert_int_equal(noc_return_nearest(ctx, &opt, NOC_SUN, sun, t, natal + 0.01, &found, &r, &err),
                     NOC_OK);
    assert_true(found && fabs(r.jd_ut - t) <= 183.0);
  }
  /* Never the natal instant itself, nor anything before the bound. */
  bool found;
  noc_return r;
  assert_int_equal(
      noc_return_nearest(ctx, &opt, NOC_SUN, sun, natal + 10.0, natal + 1e-3, &found, &r, &err),
      NOC_OK);
  assert_true(found);
  assert_near(r.jd_ut - natal, NOC_TROPICAL_YEAR_DAYS, 1.0);
}

static void test_returns_range(void **state) {
  noc_ctx *ctx = *state;
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_error err;
  double t0 = at_utc(ctx, 2024, 1, 1, 0, 0).jd_ut;
  /* Lunar returns in one year: 13 or 14, about a sidereal month apart. */
  noc_return r[40];
  int n;
  assert_int_equal(noc_returns_between(ctx, &opt, NOC_MOON, 100.0, t0, t0 + 365.0, r, 40, &n, &err),
                   NOC_OK);
  assert_true(n == 13 || n == 14);
  for (int i = 1; i < n; i++)
    assert_near(r[i].jd_ut - r[i - 1].jd_ut, 27.32, 0.3);
  /* Saturn retrograde on a date: its longitude there is crossed three times around the
   * station (direct, retrograde, direct). */
  double tr = at_utc(ctx, 2024, 9, 1, 0, 0).jd_ut, lon, speed;
  assert_int_equal(noc_body_longitude(ctx, tr, NOC_SATURN, &opt, &lon, &speed, &err), NOC_OK);
  assert_true(speed < 0);
  assert_int_equal(
      noc_returns_between(ctx, &opt, NOC_SATURN, lon, tr - 300.0, tr + 300.0, r, 40, &n, &err),
      NOC_OK);
  assert_int_equal(n, 3);
  assert_false(r[0].retrograde);
  assert_true(r[1].retrograde);
  assert_near(r[1].jd_ut, tr, 1e-5);
  assert_false(r[2].retrograde);
  /* A range with more than the room: a validation error on end_date. */
  assert_int_equal(noc_returns_between(ctx, &opt, NOC_MOON, 100.0, t0, t0 + 365.0, r, 5, &n, &err),
                   NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "end_date");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_midpoint),
      cmocka_unit_test(test_cross_aspects),
      cmocka_unit_test(test_compat),
      cmocka_unit_test(test_houses_from_armc),
      cmocka_unit_test(test_progression_instants),
      cmocka_unit_test(test_solar_arc),
      cmocka_unit_test(test_pd_positions),
      cmocka_unit_test(test_pd_zodiaco_angles),
      cmocka_unit_test(test_pd_house_positions),
      cmocka_unit_test(test_pd_arc_window),
      cmocka_unit_test(test_returns_exact),
      cmocka_unit_test(test_returns_range),
  };
  return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
