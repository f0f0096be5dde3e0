/* Aspects: the table, picking one aspect per pair, applying from the motion, and exact times
 * against published phase times and against a brute-force scan of the real ephemeris. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/aspects_internal.h"
#include "ctx_fixture.h"
#include "nocturna/nocturna.h"

/* This cmocka has no assert_double_equal. */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

/* ---- helpers ------------------------------------------------------------------------------ */

/* JD of a proleptic Gregorian civil time in whatever scale the caller means (TT here). */
static double jd_of(int y, int mo, int d, int h, int mi, double s) {
  return 2440587.5 + (double)noc_days_from_civil(y, mo, d) + (h + mi / 60.0 + s / 3600.0) / 24.0;
}

static noc_time time_utc(noc_ctx *ctx, int y, int mo, int d, int h, int mi, double s) {
  noc_civil c = {y, mo, d, h, mi, s};
  noc_time t;
  noc_error err;
  assert_int_equal(noc_time_from_utc(ctx, &c, false, &t, &err), NOC_OK);
  return t;
}

static void lon_at(noc_ctx *ctx, double jd, noc_body body, double *lon, double *speed) {
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_error err;
  assert_int_equal(noc_body_longitude(ctx, jd, body, &opt, lon, speed, &err), NOC_OK);
}

static noc_aspect_point pt(noc_body body, double lon, double speed) {
  return (noc_aspect_point){body, lon, speed};
}

/* Aspects of synthetic points, without an ephemeris (so without exact times). */
static int find_synthetic(const noc_aspect_point *p, int n, const noc_aspect_config *cfg,
                          noc_aspect *out, int cap) {
  int count = -1;
  noc_error err;
  assert_int_equal(noc_aspects_find(NULL, NULL, NULL, p, n, cfg, out, cap, &count, &err), NOC_OK);
  return count;
}

static bool applying_of(double lon_a, double spd_a, double lon_b, double spd_b) {
  noc_aspect_point p[2] = {pt(NOC_SUN, lon_a, spd_a), pt(NOC_MARS, lon_b, spd_b)};
  noc_aspect out[2];
  assert_int_equal(find_synthetic(p, 2, NULL, out, 2), 1);
  return out[0].applying;
}

/* ---- the table ---------------------------------------------------------------------------- */

static void test_table(void **state) {
  (void)state;
  assert_int_equal(NOC_ASP_COUNT, 17);
  int majors = 0;
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    const noc_aspect_def *d = noc_aspect_def_get((noc_aspect_type)i);
    assert_non_null(d);
    noc_aspect_type back;
    assert_true(noc_aspect_from_name(d->name, &back));
    assert_int_equal(back, i);
    char lower[32];
    snprintf(lower, sizeof lower, "%s", d->name);
    for (char *c = lower; *c; c++)
      *c = (char)(*c - 'A' + 'a');
    assert_true(noc_aspect_from_name(lower, &back));
    assert_int_equal(back, i);
    assert_true(d->angle >= 0.0 && d->angle <= 180.0);
    majors += d->major;
  }
  assert_int_equal(majors, 5);
  assert_null(noc_aspect_def_get(NOC_ASP_COUNT));
  noc_aspect_type t;
  assert_false(noc_aspect_from_name("SQUARES", &t));
  assert_false(noc_aspect_from_name("", &t));
  assert_false(noc_aspect_from_name(NULL, &t));
  assert_true(noc_aspect_from_name("Sesquisquare", &t));
  assert_int_equal(t, NOC_ASP_SESQUISQUARE);
  /* Exact fractions, not two-decimal approximations. */
  assert_true(noc_aspect_def_get(NOC_ASP_SEPTILE)->angle == 360.0 / 7.0);
  assert_true(noc_aspect_def_get(NOC_ASP_BISEPTILE)->angle == 720.0 / 7.0);
  assert_true(noc_aspect_def_get(NOC_ASP_TRISEPTILE)->angle == 1080.0 / 7.0);
  assert_true(noc_aspect_def_get(NOC_ASP_QUADRINOVILE)->angle == 160.0);
  assert_string_equal(noc_aspect_def_get(NOC_ASP_QUINCUNX)->name, "QUINCUNX");
}

static void test_config_default(void **state) {
  (void)state;
  noc_aspect_config cfg;
  memset(&cfg, 0x5a, sizeof cfg);
  noc_aspect_config_default(&cfg);
  static const double orbs[NOC_ASP_COUNT] = {10, 10, 8,   8,   6,   2,   2,   2,  2,
                                             2,  2,  1.5, 1.5, 1.5, 1.5, 1.5, 1.5};
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    assert_true(cfg.enabled[i]);
    assert_true(cfg.orb[i] == orbs[i]);
    assert_true(noc_aspect_def_get((noc_aspect_type)i)->default_orb == orbs[i]);
  }
  for (int i = 0; i < NOC_BODY_COUNT; i++)
    assert_true(cfg.body_orb[i] == 0.0);
  assert_true(cfg.orb_multiplier == 1.0);
  assert_true(cfg.exact_window_days == 30.0);
}

/* ---- picking ------------------------------------------------------------------------------ */

static void test_one_aspect_per_pair(void **state) {
  (void)state;
  noc_aspect_config cfg;
  noc_aspect_config_default(&cfg);
  cfg.orb[NOC_ASP_BINOVILE] = 10.0; /* 80 +- 10 also covers 88 */
  noc_aspect_point p[2] = {pt(NOC_SUN, 10.0, 1.0), pt(NOC_MOON, 98.0, 13.0)};
  noc_aspect out[4];
  assert_int_equal(find_synthetic(p, 2, &cfg, out, 4), 1);
  assert_int_equal(out[0].type, NOC_ASP_SQUARE);
  assert_int_equal(out[0].a, 0);
  assert_int_equal(out[0].b, 1);
  assert_near(out[0].separation, 88.0, 1e-9);
  assert_near(out[0].orb, 2.0, 1e-9);
  assert_near(out[0].strength, 1.0 - 2.0 / 8.0, 1e-9);
  assert_false(out[0].has_exact_time);
  /* At 82 the binovile is the closer one. */
  p[1].longitude = 92.0;
  assert_int_equal(find_synthetic(p, 2, &cfg, out, 4), 1);
  assert_int_equal(out[0].type, NOC_ASP_BINOVILE);
  assert_near(out[0].orb, 2.0, 1e-9);
  assert_near(out[0].strength, 0.8, 1e-9);
  /* Disabled, the square takes it back. */
  cfg.enabled[NOC_ASP_BINOVILE] = false;
  assert_int_equal(find_synthetic(p, 2, &cfg, out, 4), 1);
  assert_int_equal(out[0].type, NOC_ASP_SQUARE);
  assert_near(out[0].orb, 8.0, 1e-9);
  assert_near(out[0].strength, 0.0, 1e-12);
  /* Just outside the square's orb, with the binovile off: nothing. */
  p[1].longitude = 91.5;
  assert_int_equal(find_synthetic(p, 2, &cfg, out, 4), 0);
}

static void test_orb_overrides(void **state) {
  (void)state;
  noc_aspect_config cfg;
  noc_aspect_config_default(&cfg);
  noc_aspect_point p[3] = {pt(NOC_SUN, 0.0, 1.0), pt(NOC_MARS, 63.0, 0.5),
                           pt(NOC_SATURN, 125.0, 0.1)};
  noc_aspect out[4];
  /* Sun-Mars sextile 3 (orb 6), Mars-Saturn sextile 2, Sun-Saturn trine 5 (orb 8). */
  assert_int_equal(find_synthetic(p, 3, &cfg, out, 4), 3);
  assert_int_equal(out[0].a * 10 + out[0].b, 1);
  assert_int_equal(out[1].a * 10 + out[1].b, 2);
  assert_int_equal(out[2].a * 10 + out[2].b, 12);
  /* The multiplier scales every orb. */
  cfg.orb_multiplier = 0.5;
  assert_int_equal(find_synthetic(p, 3, &cfg, out, 4), 2);
  assert_near(out[0].strength, 1.0 - 3.0 / 3.0, 1e-12);
  assert_int_equal(out[1].type, NOC_ASP_SEXTILE);
  assert_int_equal(out[1].a * 10 + out[1].b, 12);
  /* A body orb replaces the aspect orb for all its pairs; a pair takes the larger. */
  cfg.orb_multiplier = 1.0;
  cfg.body_orb[NOC_SATURN] = 1.0;
  assert_int_equal(find_synthetic(p, 3, &cfg, out, 4), 1); /* only Sun-Mars left */
  cfg.body_orb[NOC_SUN] = 5.5;
  assert_int_equal(find_synthetic(p, 3, &cfg, out, 4), 2); /* Sun-Saturn trine 5 <= 5.5 */
  assert_int_equal(out[1].type, NOC_ASP_TRINE);
  assert_near(out[1].strength, 1.0 - 5.0 / 5.5, 1e-12);
}

/* The sieve answers as the full scan does, with its orb and effective orb, for random
 * configurations (types off, orbs from 0 to 12, multipliers, body orbs) and separations that
 * include every orb's edges, whole degrees, 0 and 180. */
static void test_sieve_same_as_scan(void **state) {
  (void)state;
  unsigned rnd = 12345;
  int hits = 0;
  for (int round = 0; round < 300; round++) {
    noc_aspect_config cfg;
    noc_aspect_config_default(&cfg);
    for (int t = 0; t < NOC_ASP_COUNT; t++) {
      rnd = rnd * 1103515245u + 12345u;
      cfg.enabled[t] = round < 50 || (rnd >> 16) % 4 != 0;
      cfg.orb[t] = round < 50 ? cfg.orb[t] : (double)((rnd >> 8) % 1200) / 100.0;
    }
    cfg.orb_multiplier = round % 3 == 0 ? 1.0 : 0.5 + round % 7 * 0.25;
    if (round % 10 == 9) cfg.body_orb[NOC_MOON] = 6.0;
    noc_aspect_sieve sieve;
    noc_aspect_sieve_init(&sieve, &cfg);
    double seps[4000];
    int ns = 0;
    for (int t = 0; t < NOC_ASP_COUNT; t++) {
      double angle = noc_aspect_def_get((noc_aspect_type)t)->angle;
      double eff = cfg.orb[t] * cfg.orb_multiplier;
      double edges[] = {angle, angle - eff, angle + eff, nextafter(angle - eff, -1.0),
                        nextafter(angle + eff, 200.0)};
      for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++)
        if (edges[e] >= 0.0 && edges[e] <= 180.0) seps[ns++] = edges[e];
    }
    for (int k = 0; k <= 180; k++)
      seps[ns++] = k;
    for (int k = 0; k < 500; k++) {
      rnd = rnd * 1103515245u + 12345u;
      seps[ns++] = (double)(rnd >> 8) / (double)(1u << 24) * 180.0;
    }
    for (int i = 0; i < ns; i++) {
      noc_body a = round % 10 == 9 && i % 2 ? NOC_MOON : NOC_SUN, b = NOC_MARS;
      double orb1 = -1, eff1 = -1, orb2 = -1, eff2 = -1;
      int t1 = noc_aspect_closest_type(&cfg, a, b, seps[i], &orb1, &eff1);
      int t2 = noc_aspect_closest_type_sieved(&sieve, &cfg, a, b, seps[i], &orb2, &eff2);
      assert_int_equal(t1, t2);
      assert_true(orb1 == orb2 && eff1 == eff2);
      hits += t1 >= 0;
    }
  }
  assert_true(hits > 10000); /* the comparison covered many real aspects */
}

static void test_cap(void **state) {
  (void)state;
  noc_aspect_point p[4] = {pt(NOC_SUN, 0, 1), pt(NOC_MOON, 1, 13), pt(NOC_MARS, 2, 0.5),
                           pt(NOC_VENUS, 3, 1.2)};
  noc_aspect out[6];
  int count = -1;
  noc_error err;
  assert_int_equal(noc_aspects_find(NULL, NULL, NULL, p, 4, NULL, out, 5, &count, &err),
                   NOC_ERR_NOMEM);
  assert_int_equal(count, 6);
  assert_true(strlen(err.message) > 0);
  assert_int_equal(noc_aspects_find(NULL, NULL, NULL, p, 4, NULL, out, 6, &count, &err), NOC_OK);
  assert_int_equal(count, 6);
  /* Nonsense configurations are refused, not silently used. */
  noc_aspect_config cfg;
  noc_aspect_config_default(&cfg);
  cfg.orb[NOC_ASP_TRINE] = -1.0;
  assert_int_equal(noc_aspects_find(NULL, NULL, NULL, p, 4, &cfg, out, 6, &count, &err),
                   NOC_ERR_VALIDATION);
  noc_aspect_config_default(&cfg);
  cfg.orb_multiplier = NAN;
  assert_int_equal(noc_aspects_find(NULL, NULL, NULL, p, 4, &cfg, out, 6, &count, &err),
                   NOC_ERR_VALIDATION);
}

/* ---- applying ----------------------------------------------------------------------------- */

static void test_applying(void **state) {
  (void)state;
  /* Conjunction, A ahead of B: A moving on separates, A moving back applies. */
  assert_false(applying_of(10.0, 1.0, 0.0, 0.0));
  assert_true(applying_of(10.0, -1.0, 0.0, 0.0));
  assert_true(applying_of(10.0, 0.5, 0.0, 1.0)); /* B catches up */
  assert_false(applying_of(0.0, 0.5, 10.0, 1.0));
  /* Across 0 Aries. */
  assert_true(applying_of(359.0, 1.0, 1.0, 0.0));
  assert_false(applying_of(1.0, 1.0, 359.0, 0.0));
  assert_true(applying_of(1.0, 0.0, 359.0, 0.5));
  assert_false(applying_of(359.0, 0.0, 1.0, 0.5));
  /* Opposition from both sides of 180 and across the wrap. */
  assert_true(applying_of(0.0, 0.0, 178.0, 1.0));
  assert_false(applying_of(0.0, 0.0, 178.0, -1.0));
  assert_true(applying_of(0.0, 0.0, 182.0, -1.0));
  assert_false(applying_of(0.0, 0.0, 182.0, 1.0));
  assert_true(applying_of(350.0, 1.0, 172.0, 0.0)); /* separation 178 widening to 180 */
  assert_false(applying_of(350.0, -1.0, 172.0, 0.0));
  /* A square with one body retrograde. */
  assert_true(applying_of(0.0, 0.0, 92.0, -0.5));
  assert_false(applying_of(0.0, 0.0, 92.0, 0.5));
  /* Separation 88: A retrograde shrinks it away from 90, A faster than B widens it to 90. */
  assert_false(applying_of(100.0, -1.2, 12.0, 0.3));
  assert_true(applying_of(100.0, 1.2, 12.0, 0.3));
  assert_false(applying_of(100.0, 0.2, 12.0, 0.3));
  /* Exact, or no relative motion: not applying. */
  assert_false(applying_of(90.0, 1.0, 0.0, 0.0));
  assert_false(applying_of(0.0, 1.0, 0.0, 0.0));
  assert_false(applying_of(180.0, 1.0, 0.0, 0.0));
  assert_false(applying_of(95.0, 0.7, 0.0, 0.7));
  assert_false(applying_of(5.0, 0.0, 0.0, 0.0));
}

/* ---- exact times -------------------------------------------------------------------------- */

static void assert_perfect(noc_ctx *ctx, noc_body a, noc_body b, double angle, double jd) {
  double la, lb, s;
  lon_at(ctx, jd, a, &la, &s);
  lon_at(ctx, jd, b, &lb, &s);
  double miss = fabs(fabs(noc_angle_diff(la, lb)) - angle);
  if (miss >= 1e-5)
    print_message("%s-%s at %.8f misses %.3f by %.2e deg\n", noc_body_name(a), noc_body_name(b), jd,
                  angle, miss);
  assert_true(miss < 1e-5);
}

/* Aspects among real bodies at t with the default configuration. */
static int chart_aspects(noc_ctx *ctx, const noc_time *t, const noc_body *bodies, int n,
                         noc_aspect *out, int cap) {
  noc_aspect_point p[NOC_BODY_COUNT];
  assert_true(n <= NOC_BODY_COUNT);
  for (int i = 0; i < n; i++) {
    p[i].body = bodies[i];
    lon_at(ctx, t->jd_ut, bodies[i], &p[i].longitude, &p[i].speed);
  }
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  int count = -1;
  noc_error err;
  assert_int_equal(noc_aspects_find(ctx, t, &opt, p, n, NULL, out, cap, &count, &err), NOC_OK);
  return count;
}

/* The exact time of the pair's aspect at t, checked to be a perfection within the window. */
static double exact_of(noc_ctx *ctx, const noc_time *t, noc_body a, noc_body b,
                       noc_aspect_type want) {
  noc_body bodies[2] = {a, b};
  noc_aspect out[1];
  assert_int_equal(chart_aspects(ctx, t, bodies, 2, out, 1), 1);
  assert_int_equal(out[0].type, want);
  assert_true(out[0].has_exact_time);
  assert_true(fabs(out[0].exact_jd_ut - t->jd_ut) <= 30.0);
  assert_perfect(ctx, a, b, noc_aspect_def_get(want)->angle, out[0].exact_jd_ut);
  return out[0].exact_jd_ut;
}

static double seconds_from_tt(noc_ctx *ctx, double jd_ut, double jd_tt_expected) {
  noc_time found;
  noc_error err;
  assert_int_equal(noc_time_from_jd_ut(ctx, jd_ut, &found, &err), NOC_OK);
  return (found.jd_tt - jd_tt_expected) * 86400.0;
}

static void test_exact_phases(void **state) {
  noc_ctx *ctx = *state;
  /* /work/shared/reference cases computed with DE405 + ERFA, to the second (tolerance 2 s). */
  noc_time t = time_utc(ctx, 2024, 4, 8, 12, 0, 0);
  double jd = exact_of(ctx, &t, NOC_SUN, NOC_MOON, NOC_ASP_CONJUNCTION);
  double off = seconds_from_tt(ctx, jd, jd_of(2024, 4, 8, 18, 22, 0.750));
  print_message("new moon 2024-04-08: %+.2f s from the DE405 reference\n", off);
  assert_true(fabs(off) < 2.0);
  t = time_utc(ctx, 2025, 3, 14, 20, 0, 0); /* after the full moon: separating */
  jd = exact_of(ctx, &t, NOC_SUN, NOC_MOON, NOC_ASP_OPPOSITION);
  off = seconds_from_tt(ctx, jd, jd_of(2025, 3, 14, 6, 55, 48.396));
  print_message("full moon 2025-03-14: %+.2f s from the DE405 reference\n", off);
  assert_true(fabs(off) < 2.0);
  /* USNO moon phases, UTC rounded to the minute. */
  t = time_utc(ctx, 2024, 1, 11, 0, 0, 0);
  jd = exact_of(ctx, &t, NOC_SUN, NOC_MOON, NOC_ASP_CONJUNCTION);
  off = (jd - time_utc(ctx, 2024, 1, 11, 11, 57, 0).jd_ut) * 86400.0;
  print_message("new moon 2024-01-11: %+.1f s from USNO 11:57\n", off);
  assert_true(fabs(off) < 60.0);
  t = time_utc(ctx, 1900, 1, 1, 6, 0, 0);
  jd = exact_of(ctx, &t, NOC_MOON, NOC_SUN, NOC_ASP_CONJUNCTION);
  off = (jd - time_utc(ctx, 1900, 1, 1, 13, 52, 0).jd_ut) * 86400.0;
  print_message("new moon 1900-01-01: %+.1f s from USNO 13:52\n", off);
  assert_true(fabs(off) < 60.0);
}

static void test_exact_planets(void **state) {
  noc_ctx *ctx = *state;
  /* The great conjunction, 2020-12-21 about 18:20 UTC (0 Aquarius 29'). */
  noc_time t = time_utc(ctx, 2020, 12, 15, 0, 0, 0);
  double jd = exact_of(ctx, &t, NOC_JUPITER, NOC_SATURN, NOC_ASP_CONJUNCTION);
  assert_true(fabs(jd - time_utc(ctx, 2020, 12, 21, 18, 20, 0).jd_ut) < 0.25);
  /* Saturn at opposition 2024-09-08, Mars conjunct Jupiter 2024-08-14. */
  t = time_utc(ctx, 2024, 9, 1, 0, 0, 0);
  jd = exact_of(ctx, &t, NOC_SUN, NOC_SATURN, NOC_ASP_OPPOSITION);
  assert_true(fabs(jd - time_utc(ctx, 2024, 9, 8, 4, 0, 0).jd_ut) < 0.5);
  t = time_utc(ctx, 2024, 8, 10, 0, 0, 0);
  jd = exact_of(ctx, &t, NOC_MARS, NOC_JUPITER, NOC_ASP_CONJUNCTION);
  assert_true(fabs(jd - time_utc(ctx, 2024, 8, 14, 16, 0, 0).jd_ut) < 1.0);
  /* 2020-10-01: Jupiter and Saturn 8 degrees apart, 81 days before perfection: none in 30. */
  t = time_utc(ctx, 2020, 10, 1, 0, 0, 0);
  noc_body js[2] = {NOC_JUPITER, NOC_SATURN};
  noc_aspect out[1];
  assert_int_equal(chart_aspects(ctx, &t, js, 2, out, 1), 1);
  assert_int_equal(out[0].type, NOC_ASP_CONJUNCTION);
  assert_true(out[0].applying);
  assert_false(out[0].has_exact_time);
  /* Angles get no exact time. */
  noc_aspect_point p[2] = {pt(NOC_SUN, 100.0, 1.0), pt(NOC_ASC, 101.0, 360.0)};
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  int count = 0;
  noc_error err;
  assert_int_equal(noc_aspects_find(ctx, &t, &opt, p, 2, NULL, out, 1, &count, &err), NOC_OK);
  assert_int_equal(count, 1);
  assert_false(out[0].has_exact_time);
}

/* The perfection nearest to t by scanning the ephemeris every 0.05 day and bisecting. */
static bool brute_nearest(noc_ctx *ctx, noc_body a, noc_body b, double angle, double t,
                          double window, double *root) {
  const double step = 0.05;
  double targets[2] = {angle, -angle}, prev[2] = {0, 0};
  int nt = (angle == 0.0 || angle == 180.0) ? 1 : 2;
  bool found = false;
  int nsteps = (int)(2.0 * window / step);
  for (int k = 0; k <= nsteps; k++) {
    double x = t - window + k * step, la, lb, s;
    lon_at(ctx, x, a, &la, &s);
    lon_at(ctx, x, b, &lb, &s);
    for (int i = 0; i < nt; i++) {
      double f = noc_angle_diff(la - lb, targets[i]);
      if (k > 0 && fabs(f) < 90.0 && fabs(prev[i]) < 90.0 && (f < 0.0) != (prev[i] < 0.0)) {
        double lo = x - step, hi = x, flo = prev[i];
        for (int n = 0; n < 45; n++) {
          double mid = 0.5 * (lo + hi);
          lon_at(ctx, mid, a, &la, &s);
          lon_at(ctx, mid, b, &lb, &s);
          double fm = noc_angle_diff(la - lb, targets[i]);
          if ((fm < 0.0) == (flo < 0.0)) {
            lo = mid;
            flo = fm;
          } else {
            hi = mid;
          }
        }
        double r = 0.5 * (lo + hi);
        if (!found || fabs(r - t) < fabs(*root - t)) *root = r;
        found = true;
        lon_at(ctx, x, a, &la, &s); /* restore the scan point's values */
        lon_at(ctx, x, b, &lb, &s);
      }
      prev[i] = f;
    }
  }
  return found;
}

typedef struct pair_case {
  noc_body a, b;
  double angle;
  int y, m, d;
} pair_case;

/* Stations and retrograde loops (Mercury retrograde 2024-04-01..25, Venus 2025-03-01..04-12,
 * Mars 2024-12-06..2025-02-24), where the same perfection repeats: the nearest one is wanted. */
static void test_exact_nearest_through_stations(void **state) {
  noc_ctx *ctx = *state;
  static const pair_case cases[] = {
      {NOC_MERCURY, NOC_CHIRON, 0, 2024, 3, 15},
      {NOC_MERCURY, NOC_CHIRON, 0, 2024, 3, 28},
      {NOC_MERCURY, NOC_CHIRON, 0, 2024, 4, 1},
      {NOC_MERCURY, NOC_CHIRON, 0, 2024, 4, 9},
      {NOC_MERCURY, NOC_CHIRON, 0, 2024, 4, 18},
      {NOC_MERCURY, NOC_CHIRON, 0, 2024, 4, 25},
      {NOC_MERCURY, NOC_CHIRON, 0, 2024, 5, 6},
      {NOC_SUN, NOC_MERCURY, 0, 2024, 4, 1},
      {NOC_SUN, NOC_MERCURY, 0, 2024, 4, 20},
      {NOC_VENUS, NOC_SATURN, 0, 2025, 3, 5},
      {NOC_VENUS, NOC_SATURN, 0, 2025, 3, 20},
      {NOC_VENUS, NOC_SATURN, 0, 2025, 4, 3},
      {NOC_VENUS, NOC_SATURN, 0, 2025, 4, 12},
      {NOC_VENUS, NOC_SATURN, 0, 2025, 4, 24},
      {NOC_VENUS, NOC_NEPTUNE, 0, 2025, 3, 15},
      {NOC_VENUS, NOC_NEPTUNE, 0, 2025, 4, 12},
      {NOC_MARS, NOC_SUN, 180, 2024, 12, 6},
      {NOC_MARS, NOC_SUN, 180, 2025, 2, 10},
      {NOC_MARS, NOC_PLUTO, 180, 2025, 1, 3},
      {NOC_MOON, NOC_SUN, 90, 2024, 6, 14},
      {NOC_MOON, NOC_SUN, 90, 2024, 6, 22},
      {NOC_MERCURY, NOC_VENUS, 60, 2024, 4, 10},
      {NOC_MOON, NOC_JUPITER, 360.0 / 7.0, 2024, 6, 1},
  };
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  int calls = 0, n = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const pair_case *c = &cases[i];
    double t = time_utc(ctx, c->y, c->m, c->d, 0, 0, 0).jd_ut;
    noc_exact_query q = {c->a, c->b, c->angle, t, 30.0, NULL, NULL};
    noc_exact_result r;
    noc_error err;
    assert_int_equal(noc_aspect_exact_time(ctx, &opt, &q, &r, &err), NOC_OK);
    double want = 0.0;
    bool exists = brute_nearest(ctx, c->a, c->b, c->angle, t, 30.0, &want);
    if (r.found != exists || (exists && fabs(r.jd_ut - want) > 1e-5))
      print_message("case %zu: found %d %.7f, scan %d %.7f\n", i, r.found, r.jd_ut, exists, want);
    assert_int_equal(r.found, exists);
    if (exists) {
      assert_true(fabs(r.jd_ut - want) < 1e-5);
      assert_perfect(ctx, c->a, c->b, c->angle, r.jd_ut);
    }
    calls += r.lon_calls;
    n++;
  }
  print_message("stations: %.1f longitude calls per search (%d searches)\n", (double)calls / n, n);
}

/* Ordinary charts: every aspect of the ten planets on twelve dates. The public search and the
 * internal one agree, every exact time is a perfection, and the cost stays low. */
static void test_exact_cost(void **state) {
  noc_ctx *ctx = *state;
  static const noc_body planets[10] = {NOC_SUN,     NOC_MOON,    NOC_MERCURY, NOC_VENUS,
                                       NOC_MARS,    NOC_JUPITER, NOC_SATURN,  NOC_URANUS,
                                       NOC_NEPTUNE, NOC_PLUTO};
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  int calls = 0, searches = 0, found = 0;
  for (int k = 0; k < 12; k++) {
    noc_time t;
    noc_error err;
    assert_int_equal(noc_time_from_jd_ut(ctx, 2433282.5 + 2437.3 * k, &t, &err), NOC_OK);
    noc_aspect out[45];
    int count = chart_aspects(ctx, &t, planets, 10, out, 45);
    for (int i = 0; i < count; i++) {
      noc_exact_query q = {planets[out[i].a],
                           planets[out[i].b],
                           noc_aspect_def_get(out[i].type)->angle,
                           t.jd_ut,
                           30.0,
                           NULL,
                           NULL};
      noc_exact_result r;
      assert_int_equal(noc_aspect_exact_time(ctx, &opt, &q, &r, &err), NOC_OK);
      assert_int_equal(r.found, out[i].has_exact_time);
      if (r.found) {
        assert_true(fabs(r.jd_ut - out[i].exact_jd_ut) < 1e-9);
        assert_perfect(ctx, q.a, q.b, q.angle, r.jd_ut);
        found++;
      }
      calls += r.lon_calls;
      searches++;
    }
  }
  double mean = (double)calls / searches;
  print_message("charts: %d searches, %d exact, %.1f longitude calls per search\n", searches, found,
                mean);
  assert_true(searches > 100);
  assert_true(mean < 20.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_config_default),
      cmocka_unit_test(test_one_aspect_per_pair),
      cmocka_unit_test(test_orb_overrides),
      cmocka_unit_test(test_cap),
      cmocka_unit_test(test_applying),
      cmocka_unit_test(test_exact_phases),
      cmocka_unit_test(test_exact_planets),
      cmocka_unit_test(test_exact_nearest_through_stations),
      cmocka_unit_test(test_exact_cost),
      cmocka_unit_test(test_sieve_same_as_scan),
  };
  return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
