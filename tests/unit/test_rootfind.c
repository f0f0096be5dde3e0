/* The root finders on functions with known roots: a bracketed root, and the nearest crossing of
 * an angle that loops back and forth (like a planet through its stations). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/rootfind.h"
#include "nocturna/zodiac.h"

typedef struct counter {
  int calls;
} counter;

static noc_status cubic(void *user, double x, double *f, double *dfdx, noc_error *err) {
  (void)err;
  ((counter *)user)->calls++;
  *f = x * x * x - 2.0;
  *dfdx = 3.0 * x * x;
  return NOC_OK;
}

static void test_bracketed(void **state) {
  (void)state;
  counter c = {0};
  noc_root_point a = {0.0, -2.0, 0.0}, b = {2.0, 6.0, 12.0};
  double root = 0.0;
  int evals = 0;
  noc_error err;
  assert_int_equal(noc_find_root(cubic, &c, &a, &b, 1e-12, 60, &root, &evals, &err), NOC_OK);
  assert_true(fabs(root - cbrt(2.0)) < 1e-11);
  assert_int_equal(evals, c.calls);
  assert_true(evals < 15); /* a zero derivative at one end must not derail it */
  /* Same signs at both ends: refused. */
  noc_root_point d = {1.5, 1.375, 6.75};
  assert_int_equal(noc_find_root(cubic, &c, &b, &d, 1e-12, 60, &root, NULL, &err),
                   NOC_ERR_INTERNAL);
}

/* A looping angle: 3 t + 100 sin(t / 5) degrees; |second derivative| <= 4. */
static noc_status looping(void *user, double jd, double *deg, double *rate, noc_error *err) {
  (void)err;
  ((counter *)user)->calls++;
  *deg = 3.0 * jd + 100.0 * sin(jd / 5.0);
  *rate = 3.0 + 20.0 * cos(jd / 5.0);
  return NOC_OK;
}

/* Nearest crossing by a fine scan (crossings are at least ~0.2 day apart here). */
static bool scan_nearest(const noc_crossing_search *s, double *best) {
  const double h = 0.002;
  bool found = false;
  double prev[NOC_CROSSING_TARGETS_MAX];
  int n = (int)((s->jd_max - s->jd_min) / h);
  for (int k = 0; k <= n; k++) {
    double x = s->jd_min + k * h, deg, rate;
    counter c = {0};
    looping(&c, x, &deg, &rate, NULL);
    for (int i = 0; i < s->ntargets; i++) {
      double f = noc_angle_diff(deg, s->targets[i]);
      if (k > 0 && fabs(f) < 90.0 && fabs(prev[i]) < 90.0 && (f < 0.0) != (prev[i] < 0.0)) {
        double r = x - h * f / (f - prev[i]);
        if (!found || fabs(r - s->t0) < fabs(*best - s->t0)) *best = r;
        found = true;
      }
      prev[i] = f;
    }
  }
  return found;
}

static void test_nearest_crossing(void **state) {
  (void)state;
  noc_crossing_search s = {.ntargets = 2, .accel_max = 4.0, .tol_days = 1e-9, .max_evals = 500};
  s.targets[0] = 45.0;
  s.targets[1] = 200.0;
  int total = 0, searches = 0;
  for (int i = 0; 1.7 * i < 120.0; i++) {
    double t0 = 1.7 * i;
    s.t0 = t0;
    s.jd_min = t0 - 10.0;
    s.jd_max = t0 + 10.0;
    counter c = {0};
    noc_crossing out;
    noc_error err;
    assert_int_equal(noc_find_nearest_crossing(looping, &c, &s, &out, &err), NOC_OK);
    double want = 0.0;
    bool exists = scan_nearest(&s, &want);
    assert_int_equal(out.found, exists);
    assert_false(out.exhausted);
    assert_int_equal(out.evals, c.calls);
    if (exists) {
      if (fabs(out.jd - want) > 1e-5)
        print_message("t0 %.1f: %.9f vs scan %.9f\n", t0, out.jd, want);
      assert_true(fabs(out.jd - want) < 1e-5);
      double deg, rate;
      looping(&c, out.jd, &deg, &rate, NULL);
      assert_true(fabs(noc_angle_diff(deg, s.targets[out.target])) < 1e-6);
    }
    total += out.evals;
    searches++;
  }
  print_message("%.1f evaluations per search\n", (double)total / searches);
}

static void test_crossing_edges(void **state) {
  (void)state;
  noc_crossing_search s = {.t0 = 10.0,
                           .jd_min = 10.0,
                           .jd_max = 30.0,
                           .ntargets = 1,
                           .accel_max = 4.0,
                           .tol_days = 1e-9,
                           .max_evals = 500};
  s.targets[0] = 0.0;
  counter c = {0};
  noc_crossing out;
  noc_error err;
  /* Only forward: the first crossing after t0. */
  assert_int_equal(noc_find_nearest_crossing(looping, &c, &s, &out, &err), NOC_OK);
  assert_true(out.found);
  assert_true(out.jd > 10.0);
  double deg, rate;
  looping(&c, out.jd, &deg, &rate, NULL);
  assert_true(fabs(noc_angle_diff(deg, 0.0)) < 1e-6);
  double first = out.jd;
  /* A bound far too small still gives a true crossing (the search raises it when broken). */
  s.accel_max = 1e-4;
  assert_int_equal(noc_find_nearest_crossing(looping, &c, &s, &out, &err), NOC_OK);
  assert_true(out.found);
  looping(&c, out.jd, &deg, &rate, NULL);
  assert_true(fabs(noc_angle_diff(deg, 0.0)) < 1e-6);
  assert_true(fabs(out.jd - first) < 1e-6);
  /* A budget too small is reported. */
  s.accel_max = 4.0;
  s.max_evals = 2;
  assert_int_equal(noc_find_nearest_crossing(looping, &c, &s, &out, &err), NOC_OK);
  assert_true(out.exhausted);
  assert_true(out.evals <= 3);
  /* Invalid searches are refused. */
  s.max_evals = 100;
  s.ntargets = 0;
  assert_int_equal(noc_find_nearest_crossing(looping, &c, &s, &out, &err), NOC_ERR_INTERNAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bracketed),
      cmocka_unit_test(test_nearest_crossing),
      cmocka_unit_test(test_crossing_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
