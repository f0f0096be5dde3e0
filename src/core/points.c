/* Derived points: sect, antiscia, harmonics, midpoints, declinations, special bodies and the
 * prenatal syzygy. */
#include <math.h>
#include <string.h>

#include <swephexp.h>

#include "core/aspects_internal.h"
#include "core/bodies_internal.h"
#include "core/context_internal.h"
#include "core/rootfind.h"
#include "nocturna/points.h"
#include "nocturna/zodiac.h"

static const double deg2rad = M_PI / 180.0;

bool noc_is_day_chart(double sun_lon, double asc_lon) {
  /* Houses 7-12 run from the descendant up through the MC to the ascendant. */
  return noc_norm360(sun_lon - (asc_lon + 180.0)) < 180.0;
}

double noc_antiscion(double lon) {
  return noc_norm360(180.0 - lon);
}

double noc_contra_antiscion(double lon) {
  return noc_norm360(-lon);
}

double noc_harmonic_longitude(double lon, int harmonic) {
  /* Reduce first so that large harmonics of large longitudes keep their precision. */
  return noc_norm360(fmod(noc_norm360(lon) * (double)harmonic, 360.0));
}

double noc_midpoint(double a, double b) {
  double d = noc_angle_diff(b, a); /* (-180, 180]: for an exact opposition, +180 */
  return noc_norm360(a + d / 2.0);
}

double noc_ecliptic_declination(double lon, double lat, double eps) {
  double l = lon * deg2rad, b = lat * deg2rad, e = eps * deg2rad;
  double s = sin(b) * cos(e) + cos(b) * sin(e) * sin(l);
  return asin(fmax(-1.0, fmin(1.0, s))) / deg2rad;
}

double noc_ecliptic_right_ascension(double lon, double lat, double eps) {
  double l = lon * deg2rad, b = lat * deg2rad, e = eps * deg2rad;
  double y = sin(l) * cos(e) - tan(b) * sin(e);
  return noc_norm360(atan2(y, cos(l)) / deg2rad);
}

bool noc_out_of_bounds(double declination, double eps) {
  return fabs(declination) > eps;
}

noc_parallel_kind noc_parallel_of(double d1, double d2, double orb, double *orb_out) {
  double par = fabs(d1 - d2), contra = fabs(d1 + d2);
  noc_parallel_kind kind = NOC_PARALLEL_NONE;
  double best = 0.0;
  if (par <= orb) {
    kind = NOC_PARALLEL;
    best = par;
  }
  if (contra <= orb && (kind == NOC_PARALLEL_NONE || contra < best)) {
    kind = NOC_CONTRAPARALLEL;
    best = contra;
  }
  if (orb_out) *orb_out = best;
  return kind;
}

/* ---- Special bodies ------------------------------------------------------------------------ */

static const struct {
  int se;
  bool opposite;
  const char *name;
} special_bodies[NOC_SP_COUNT] = {
    [NOC_SP_MEAN_PERIGEE] = {SE_MEAN_APOG, true, "the mean perigee"},
    [NOC_SP_INTP_PERIGEE] = {SE_INTP_PERG, false, "the interpolated perigee"},
    [NOC_SP_WHITE_MOON] = {SE_WHITE_MOON, false, "the White Moon (Selena)"},
    [NOC_SP_WALDEMATH] = {SE_WALDEMATH, false, "Waldemath's moon"},
};

static noc_status special_calc(double jd_ut, noc_special_body which, int flags,
                               const noc_calc_options *opt, double xx[6], noc_error *err) {
  char serr[AS_MAXCH] = "";
  int32 ret = swe_calc_ut(jd_ut, special_bodies[which].se, flags, xx, serr);
  if (ret < 0)
    return noc_fail(err, NOC_ERR_RANGE, "date", "%s is not available at this date",
                    special_bodies[which].name);
  /* The lunar points come from the Moon's file; the hypothetical ones are analytical. */
  if (opt->ephemeris == NOC_EPHE_SWISS && (ret & SEFLG_SWIEPH) == 0 &&
      special_bodies[which].se < SE_FICT_OFFSET)
    return noc_fail(err, NOC_ERR_EPHEMERIS, "",
                    "Swiss Ephemeris files are missing for %s at this date; refusing the "
                    "Moshier fallback",
                    special_bodies[which].name);
  if (special_bodies[which].opposite) {
    xx[0] = noc_norm360(xx[0] + 180.0);
    xx[1] = -xx[1];
    xx[4] = -xx[4];
  }
  return NOC_OK;
}

noc_status noc_special_body_position(noc_ctx *ctx, const noc_time *t, noc_special_body which,
                                     const noc_calc_options *opt, noc_position *out,
                                     noc_error *err) {
  if (which < 0 || which >= NOC_SP_COUNT)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "unknown special body %d", (int)which);
  bool sidereal = opt->zodiac == NOC_SIDEREAL;
  int flags = noc_ctx_prepare_flags(ctx, opt, sidereal);
  double ecl[6], trop[6];
  noc_status st = special_calc(t->jd_ut, which, flags, opt, ecl, err);
  if (st != NOC_OK) return st;
  memcpy(trop, ecl, sizeof trop);
  if (sidereal &&
      (st = special_calc(t->jd_ut, which, flags & ~SEFLG_SIDEREAL, opt, trop, err)) != NOC_OK)
    return st;
  return noc_position_from_ecliptic(ctx, t, ecl, trop, out, err);
}

/* ---- Prenatal syzygy ----------------------------------------------------------------------- */

typedef struct elongation_fn {
  noc_ctx *ctx;
  const noc_calc_options *opt;
} elongation_fn;

/* Moon minus Sun and its rate: 0 at new Moon, 180 at full Moon. */
static noc_status elongation(void *user, double jd, double *deg, double *rate, noc_error *err) {
  elongation_fn *f = user;
  double lm, sm, ls, ss;
  noc_status st = noc_body_longitude(f->ctx, jd, NOC_MOON, f->opt, &lm, &sm, err);
  if (st == NOC_OK) st = noc_body_longitude(f->ctx, jd, NOC_SUN, f->opt, &ls, &ss, err);
  if (st != NOC_OK) return st;
  *deg = lm - ls;
  *rate = sm - ss;
  return NOC_OK;
}

noc_status noc_prenatal_syzygy(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                               noc_syzygy *out, noc_error *err) {
  /* Syzygies are at most half a synodic month (14.8 days) apart. The elongation is a
   * geocentric notion: a heliocentric chart still uses the geocentric lunation. */
  noc_calc_options geo = *opt;
  if (geo.center == NOC_HELIOCENTRIC) geo.center = NOC_GEOCENTRIC;
  noc_crossing_search s = {
      .t0 = t->jd_ut,
      .jd_min = t->jd_ut - 16.0,
      .jd_max = t->jd_ut,
      .targets = {0.0, 180.0},
      .ntargets = 2,
      .accel_max = noc_body_accel_bound(NOC_MOON, &geo) + noc_body_accel_bound(NOC_SUN, &geo),
      .tol_days = 1e-6,
      .max_evals = 200,
  };
  elongation_fn f = {ctx, &geo};
  noc_crossing c;
  noc_status st = noc_find_nearest_crossing(elongation, &f, &s, &c, err);
  if (st != NOC_OK) return st;
  if (!c.found)
    return noc_fail(err, NOC_ERR_RANGE, "date",
                    "no new or full Moon found in the 16 days before this date");
  out->jd_ut = c.jd;
  out->new_moon = c.target == 0;
  st = noc_body_longitude(ctx, c.jd, NOC_MOON, &geo, &out->moon_lon, NULL, err);
  if (st == NOC_OK) st = noc_body_longitude(ctx, c.jd, NOC_SUN, &geo, &out->sun_lon, NULL, err);
  return st;
}
