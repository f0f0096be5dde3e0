/* A moving body reaching a fixed longitude: transits to natal points, progressed aspects
 * perfecting, returns. */
#include <math.h>

#include "core/aspects_internal.h"
#include "core/rootfind.h"
#include "nocturna/techniques.h"
#include "nocturna/time.h"

void noc_body_search_span(noc_body body, double *jd_min, double *jd_max) {
  *jd_min = 2440587.5 + (double)noc_days_from_civil(NOC_YEAR_MIN, 1, 1) + 1.0;
  *jd_max = 2440587.5 + (double)noc_days_from_civil(NOC_YEAR_MAX + 1, 1, 1) - 1.0;
  double lo, hi;
  if (noc_body_jd_range(body, &lo, &hi)) {
    *jd_min = fmax(*jd_min, lo);
    *jd_max = fmin(*jd_max, hi);
  }
}

typedef struct body_fn {
  noc_ctx *ctx;
  const noc_calc_options *opt;
  noc_body body;
  double t0;
  const double *at_t0; /* borrowed, may be NULL: longitude and speed at t0 */
} body_fn;

static noc_status body_angle(void *user, double jd, double *deg, double *rate, noc_error *err) {
  body_fn *b = user;
  if (b->at_t0 && jd == b->t0) {
    *deg = b->at_t0[0];
    *rate = b->at_t0[1];
    return NOC_OK;
  }
  return noc_body_longitude(b->ctx, jd, b->body, b->opt, deg, rate, err);
}

/* A search crosses many steps only for slow bodies far from their target; this bounds the odd
 * long window without ever being reached by a normal one. */
enum { REACH_MAX_EVALS = 4000 };

noc_status noc_body_reaches(noc_ctx *ctx, const noc_calc_options *opt, noc_body body,
                            const double *targets, int ntargets, double jd_ut, const double *at_t0,
                            double jd_min, double jd_max, double tol_days, bool *found,
                            double *jd_out, noc_error *err) {
  *found = false;
  *jd_out = 0.0;
  if (noc_body_is_angle(body) || ntargets < 1 || ntargets > NOC_CROSSING_TARGETS_MAX)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "invalid body search");
  double lo, hi;
  noc_body_search_span(body, &lo, &hi);
  noc_crossing_search s = {
      .t0 = jd_ut,
      .jd_min = fmax(jd_min, lo),
      .jd_max = fmin(jd_max, hi),
      .ntargets = ntargets,
      .accel_max = noc_body_accel_bound(body, opt),
      .tol_days = tol_days,
      .max_evals = REACH_MAX_EVALS,
  };
  if (!(s.jd_min <= s.t0 && s.t0 <= s.jd_max)) return NOC_OK;
  for (int i = 0; i < ntargets; i++)
    s.targets[i] = targets[i];
  body_fn f = {ctx, opt, body, jd_ut, at_t0};
  noc_crossing c;
  noc_status st = noc_find_nearest_crossing(body_angle, &f, &s, &c, err);
  if (st != NOC_OK) return st;
  *found = c.found;
  *jd_out = c.found ? c.jd : 0.0;
  return NOC_OK;
}
