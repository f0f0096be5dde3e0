/* Progressions (the progressed instant of a real one) and the solar arc. */
#include <math.h>

#include "core/rootfind.h"
#include "nocturna/techniques.h"
#include "nocturna/zodiac.h"

double noc_progression_rate(noc_progression type) {
  switch (type) {
  case NOC_PROG_TERTIARY:
    return 1.0 / NOC_TROPICAL_MONTH_DAYS;
  case NOC_PROG_MINOR:
    return NOC_TROPICAL_MONTH_DAYS / NOC_TROPICAL_YEAR_DAYS;
  default:
    return 1.0 / NOC_TROPICAL_YEAR_DAYS;
  }
}

double noc_progressed_jd(noc_progression type, double natal_jd, double real_jd, bool converse) {
  double k = noc_progression_rate(type);
  return natal_jd + (converse ? -k : k) * (real_jd - natal_jd);
}

double noc_progression_real_jd(noc_progression type, double natal_jd, double progressed_jd,
                               bool converse) {
  double k = noc_progression_rate(type);
  return natal_jd + (progressed_jd - natal_jd) / (converse ? -k : k);
}

double noc_sun_travel(double sun0, double sun1, double days) {
  /* The true Sun stays within about 2 degrees of the mean Sun: unwrap around the mean motion. */
  double mean = days * NOC_KEY_NAIBOD;
  return mean + noc_angle_diff(sun1 - sun0, mean);
}

noc_status noc_solar_arc(noc_ctx *ctx, const noc_calc_options *opt, double natal_jd, double real_jd,
                         double *arc, noc_error *err) {
  double pjd = noc_progressed_jd(NOC_PROG_SECONDARY, natal_jd, real_jd, false);
  double sun0, sun1;
  noc_status st = noc_body_longitude(ctx, natal_jd, NOC_SUN, opt, &sun0, NULL, err);
  if (st == NOC_OK) st = noc_body_longitude(ctx, pjd, NOC_SUN, opt, &sun1, NULL, err);
  if (st != NOC_OK) return st;
  *arc = noc_sun_travel(sun0, sun1, pjd - natal_jd);
  return NOC_OK;
}

typedef struct arc_fn {
  noc_ctx *ctx;
  const noc_calc_options *opt;
  double natal_jd, sun0, arc;
} arc_fn;

/* The solar arc x progressed days after birth minus the arc wanted; the Sun's speed as
 * derivative. Days from birth, not Julian days: near a root the Newton steps are far below the
 * resolution of a Julian day number (5e-10 days). */
static noc_status arc_excess(void *user, double x, double *f, double *dfdx, noc_error *err) {
  arc_fn *a = user;
  double lon, speed;
  noc_status st = noc_body_longitude(a->ctx, a->natal_jd + x, NOC_SUN, a->opt, &lon, &speed, err);
  if (st != NOC_OK) return st;
  *f = noc_sun_travel(a->sun0, lon, x) - a->arc;
  *dfdx = speed;
  return NOC_OK;
}

static noc_status arc_point(arc_fn *a, double x, noc_root_point *out, noc_error *err) {
  out->x = x;
  return arc_excess(a, x, &out->f, &out->dfdx, err);
}

noc_status noc_solar_arc_times(noc_ctx *ctx, const noc_calc_options *opt, double natal_jd,
                               const double *arcs, int n, double jd_min, double jd_max, double *out,
                               noc_error *err) {
  for (int i = 0; i < n; i++)
    out[i] = NAN;
  jd_min = fmax(jd_min, natal_jd);
  if (n <= 0 || !(jd_min <= jd_max)) return NOC_OK;
  arc_fn a = {ctx, opt, natal_jd, 0.0, 0.0};
  noc_root_point lo = {0}, hi = {0};
  /* The two ends once for every arc wanted: each root then costs a few Newton steps. */
  noc_status st = noc_body_longitude(ctx, natal_jd, NOC_SUN, opt, &a.sun0, NULL, err);
  double rate = noc_progression_rate(NOC_PROG_SECONDARY);
  if (st == NOC_OK) st = arc_point(&a, (jd_min - natal_jd) * rate, &lo, err);
  if (st == NOC_OK) st = arc_point(&a, (jd_max - natal_jd) * rate, &hi, err);
  for (int i = 0; st == NOC_OK && i < n; i++) {
    /* At birth the arc is 0, so a wanted arc of 0 starts exactly on the root. */
    if (!(arcs[i] >= lo.f && arcs[i] <= hi.f)) continue;
    a.arc = arcs[i];
    noc_root_point l = {lo.x, lo.f - arcs[i], lo.dfdx}, h = {hi.x, hi.f - arcs[i], hi.dfdx};
    double root;
    /* 1e-9 progressed days is 30 ms of life. */
    st = noc_find_root(arc_excess, &a, &l, &h, 1e-9, 100, &root, NULL, err);
    if (st == NOC_OK) out[i] = natal_jd + root / rate;
  }
  return st;
}
