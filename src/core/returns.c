/* Returns: a body back at its natal longitude. */
#include <math.h>

#include "nocturna/techniques.h"

/* Mean sidereal periods in days (geocentric longitude comes back on average once per period;
 * retrograde loops add up to a few months). */
static double mean_period(noc_body body) {
  switch (body) {
  case NOC_SUN:
    return 365.26;
  case NOC_MOON:
    return 27.32;
  case NOC_MERCURY:
  case NOC_VENUS:
    return 365.26;
  case NOC_MARS:
    return 687.0;
  case NOC_JUPITER:
    return 4332.6;
  case NOC_SATURN:
    return 10759.2;
  case NOC_URANUS:
    return 30688.5;
  case NOC_NEPTUNE:
    return 60182.0;
  case NOC_PLUTO:
    return 90560.0;
  case NOC_MEAN_NODE:
  case NOC_TRUE_NODE:
  case NOC_MEAN_SOUTH_NODE:
  case NOC_TRUE_SOUTH_NODE:
    return 6798.4;
  case NOC_MEAN_LILITH:
  case NOC_OSCU_LILITH:
  case NOC_INTP_LILITH:
    return 3232.6;
  case NOC_CHIRON:
    return 18500.0;
  case NOC_PHOLUS:
    return 33600.0;
  case NOC_CERES:
    return 1680.0;
  case NOC_PALLAS:
    return 1686.0;
  case NOC_JUNO:
    return 1594.0;
  case NOC_VESTA:
    return 1325.0;
  default:
    return 365.26;
  }
}

/* The nearest return is never further than a period and a retrograde loop away. */
static double search_window(noc_body body) {
  return 1.25 * mean_period(body) + 120.0;
}

static noc_status fill_return(noc_ctx *ctx, const noc_calc_options *opt, noc_body body, double jd,
                              noc_return *out, noc_error *err) {
  double lon, speed;
  noc_status st = noc_body_longitude(ctx, jd, body, opt, &lon, &speed, err);
  if (st != NOC_OK) return st;
  out->jd_ut = jd;
  out->retrograde = speed < 0.0;
  return NOC_OK;
}

noc_status noc_return_nearest(noc_ctx *ctx, const noc_calc_options *opt, noc_body body,
                              double natal_lon, double jd_ut, double after_jd, bool *found,
                              noc_return *out, noc_error *err) {
  double w = search_window(body), jd;
  *found = false;
  if (jd_ut < after_jd) jd_ut = after_jd;
  noc_status st =
      noc_body_reaches(ctx, opt, body, &natal_lon, 1, jd_ut, NULL, fmax(jd_ut - w, after_jd),
                       jd_ut + w, NOC_RETURN_TOL_DAYS, found, &jd, err);
  if (st != NOC_OK || !*found) return st;
  return fill_return(ctx, opt, body, jd, out, err);
}

/* After a return the next search starts this much later (days): far beyond the tolerance, far
 * below the shortest gap between two crossings of a station loop. */
#define RESTART_DAYS 1e-4

noc_status noc_returns_between(noc_ctx *ctx, const noc_calc_options *opt, noc_body body,
                               double natal_lon, double jd_start, double jd_end, noc_return *out,
                               int cap, int *count, noc_error *err) {
  *count = 0;
  double t = jd_start;
  while (t <= jd_end) {
    bool found = false;
    double jd;
    noc_status st = noc_body_reaches(ctx, opt, body, &natal_lon, 1, t, NULL, t, jd_end,
                                     NOC_RETURN_TOL_DAYS, &found, &jd, err);
    if (st != NOC_OK) return st;
    if (!found) break;
    if (*count > 0 && jd - out[*count - 1].jd_ut < 10.0 * RESTART_DAYS) {
      t = jd + 10.0 * RESTART_DAYS; /* the same crossing seen again from its own side */
      continue;
    }
    if (*count >= cap) {
      *count = cap + 1;
      return noc_fail(err, NOC_ERR_VALIDATION, "end_date",
                      "the range holds more than %d returns; shorten it", cap);
    }
    if ((st = fill_return(ctx, opt, body, jd, &out[*count], err)) != NOC_OK) return st;
    (*count)++;
    t = jd + RESTART_DAYS;
  }
  return NOC_OK;
}
