/* Aspects: the table of the 17 types, detection (one aspect per pair, the closest), applying from
 * the real relative motion, and the exact instant of perfection. */
#include "nocturna/aspects.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "core/aspects_internal.h"
#include "core/rootfind.h"
#include "nocturna/zodiac.h"

/* Angles are exact fractions of the circle (a septile is 360/7, not 51.43).
 * The orbs are the older service's effective defaults except for the septile and novile
 * families: it had no orb for those and fell back to angle/10, which made a biseptile 10.3
 * degrees wide, a triseptile 15.4 and a quadrinovile 16, wider than a trine. That was a bug,
 * not a choice; minor harmonics are conventionally given 1-2 degrees, and we use 1.5. */
static const noc_aspect_def aspect_defs[NOC_ASP_COUNT] = {
    [NOC_ASP_CONJUNCTION] = {"CONJUNCTION", 0.0, 10.0, true},
    [NOC_ASP_OPPOSITION] = {"OPPOSITION", 180.0, 10.0, true},
    [NOC_ASP_TRINE] = {"TRINE", 120.0, 8.0, true},
    [NOC_ASP_SQUARE] = {"SQUARE", 90.0, 8.0, true},
    [NOC_ASP_SEXTILE] = {"SEXTILE", 60.0, 6.0, true},
    [NOC_ASP_QUINCUNX] = {"QUINCUNX", 150.0, 2.0, false},
    [NOC_ASP_SEMISEXTILE] = {"SEMISEXTILE", 30.0, 2.0, false},
    [NOC_ASP_SEMISQUARE] = {"SEMISQUARE", 45.0, 2.0, false},
    [NOC_ASP_SESQUISQUARE] = {"SESQUISQUARE", 135.0, 2.0, false},
    [NOC_ASP_QUINTILE] = {"QUINTILE", 72.0, 2.0, false},
    [NOC_ASP_BIQUINTILE] = {"BIQUINTILE", 144.0, 2.0, false},
    [NOC_ASP_SEPTILE] = {"SEPTILE", 360.0 / 7.0, 1.5, false},
    [NOC_ASP_BISEPTILE] = {"BISEPTILE", 720.0 / 7.0, 1.5, false},
    [NOC_ASP_TRISEPTILE] = {"TRISEPTILE", 1080.0 / 7.0, 1.5, false},
    [NOC_ASP_NOVILE] = {"NOVILE", 40.0, 1.5, false},
    [NOC_ASP_BINOVILE] = {"BINOVILE", 80.0, 1.5, false},
    [NOC_ASP_QUADRINOVILE] = {"QUADRINOVILE", 160.0, 1.5, false},
};

const noc_aspect_def *noc_aspect_def_get(noc_aspect_type type) {
  return type >= 0 && type < NOC_ASP_COUNT ? &aspect_defs[type] : NULL;
}

bool noc_aspect_from_name(const char *name, noc_aspect_type *out) {
  if (name == NULL) return false;
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    if (strcasecmp(name, aspect_defs[i].name) == 0) {
      *out = (noc_aspect_type)i;
      return true;
    }
  }
  return false;
}

void noc_aspect_config_default(noc_aspect_config *cfg) {
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    cfg->enabled[i] = true;
    cfg->orb[i] = aspect_defs[i].default_orb;
  }
  cfg->orb_multiplier = 1.0;
  for (int i = 0; i < NOC_BODY_COUNT; i++)
    cfg->body_orb[i] = 0.0;
  cfg->exact_window_days = 30.0;
}

/* ---- Detection ---------------------------------------------------------------------------- */

static double effective_orb(const noc_aspect_config *cfg, noc_body a, noc_body b,
                            noc_aspect_type type) {
  double oa = cfg->body_orb[a], ob = cfg->body_orb[b];
  double base = (oa > 0.0 || ob > 0.0) ? fmax(oa, ob) : cfg->orb[type];
  return base * cfg->orb_multiplier;
}

/* The rate of change of the folded separation |d|, d = lon_a - lon_b in (-180, 180], when d
 * changes at rel. At 0 and 180 the fold turns any motion into growth and shrinking
 * respectively. */
static double separation_rate(double d, double rel) {
  if (d == 0.0) return fabs(rel);
  if (d == 180.0) return -fabs(rel);
  return d > 0.0 ? rel : -rel;
}

/* The orb |sep - angle| shrinks now. Exactly on the angle any motion moves away, and with no
 * relative motion nothing approaches. */
bool noc_aspect_is_applying(double d, double rel, double angle) {
  double sep = fabs(d);
  double side = sep > angle ? 1.0 : (sep < angle ? -1.0 : 0.0);
  return side * separation_rate(d, rel) < 0.0;
}

/* The closest match so far of a pair's scan. A local of the scanning function, so that it stays
 * in registers rather than behind the out-pointers. */
typedef struct {
  int type; /* -1: none yet */
  double orb, eff;
} closest_match;

/* Keeps type when it is within its orb and closer than the best so far; on a tie the earlier. */
static inline void match_offer(closest_match *m, int type, double orb, double eff) {
  if (orb <= eff && orb < m->orb) *m = (closest_match){type, orb, eff};
}

static inline int match_result(const closest_match *m, double *orb_out, double *eff_out) {
  if (m->type >= 0) {
    *orb_out = m->orb;
    *eff_out = m->eff;
  }
  return m->type;
}

/* The enabled type with the smallest orb that is within its effective orb, or -1. */
int noc_aspect_closest_type(const noc_aspect_config *cfg, noc_body a, noc_body b, double sep,
                            double *orb_out, double *eff_out) {
  /* A body's own orb, when set, replaces every type's orb for its pairs (effective_orb):
   * decided once per pair, the loop is a subtraction and a compare per type. */
  bool by_body = cfg->body_orb[a] > 0.0 || cfg->body_orb[b] > 0.0;
  double pair_eff = effective_orb(cfg, a, b, NOC_ASP_CONJUNCTION);
  double mult = cfg->orb_multiplier;
  closest_match best = {-1, INFINITY, 0.0};
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    if (!cfg->enabled[i]) continue;
    match_offer(&best, i, fabs(sep - aspect_defs[i].angle),
                by_body ? pair_eff : cfg->orb[i] * mult);
  }
  return match_result(&best, orb_out, eff_out);
}

_Static_assert(NOC_ASP_COUNT <= 32, "the sieve keeps one bit per aspect type");

void noc_aspect_sieve_init(noc_aspect_sieve *sieve, const noc_aspect_config *cfg) {
  memset(sieve, 0, sizeof *sieve);
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    double eff = cfg->orb[i] * cfg->orb_multiplier;
    if (!cfg->enabled[i] || !(eff >= 0.0)) continue; /* never within orb */
    double lo = fmax(aspect_defs[i].angle - eff, 0.0), hi = fmin(aspect_defs[i].angle + eff, 180.0);
    for (int k = (int)lo; k <= (int)hi; k++)
      sieve->near[k] |= 1u << i;
  }
}

int noc_aspect_closest_type_sieved(const noc_aspect_sieve *sieve, const noc_aspect_config *cfg,
                                   noc_body a, noc_body b, double sep, double *orb_out,
                                   double *eff_out) {
  /* A body's own orb gives every type the same orb, which the sieve does not know. */
  if (cfg->body_orb[a] > 0.0 || cfg->body_orb[b] > 0.0 || !(sep >= 0.0 && sep <= 180.0))
    return noc_aspect_closest_type(cfg, a, b, sep, orb_out, eff_out);
  double mult = cfg->orb_multiplier;
  closest_match best = {-1, INFINITY, 0.0};
  /* In type order, with the same comparisons as the full scan: the same winner on ties. */
  for (uint32_t m = sieve->near[(int)sep]; m != 0; m &= m - 1) {
    int i = __builtin_ctz(m);
    match_offer(&best, i, fabs(sep - aspect_defs[i].angle), cfg->orb[i] * mult);
  }
  return match_result(&best, orb_out, eff_out);
}

static void fill_aspect(const noc_aspect_point *points, int i, int j, int type, double orb,
                        double eff, noc_aspect *out) {
  double d = noc_angle_diff(points[i].longitude, points[j].longitude);
  double rel = points[i].speed - points[j].speed;
  double strength = eff > 0.0 ? 1.0 - orb / eff : 1.0;
  *out = (noc_aspect){
      .a = i,
      .b = j,
      .type = (noc_aspect_type)type,
      .separation = fabs(d),
      .orb = orb,
      .applying = noc_aspect_is_applying(d, rel, aspect_defs[type].angle),
      .strength = fmin(1.0, fmax(0.0, strength)),
      .has_exact_time = false,
      .exact_jd_ut = 0.0,
  };
}

static noc_status check_input(const noc_aspect_point *points, int n, const noc_aspect_config *cfg,
                              noc_error *err) {
  if (n < 0 || (n > 0 && points == NULL))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "aspect search without points");
  for (int i = 0; i < n; i++) {
    if (points[i].body < 0 || points[i].body >= NOC_BODY_COUNT || !isfinite(points[i].longitude) ||
        !isfinite(points[i].speed))
      return noc_fail(err, NOC_ERR_INTERNAL, "", "aspect point %d is not a valid position", i);
  }
  if (!(cfg->orb_multiplier > 0.0) || !isfinite(cfg->orb_multiplier))
    return noc_fail(err, NOC_ERR_VALIDATION, "orb_multiplier",
                    "orb_multiplier must be a positive number");
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    if (!(cfg->orb[i] >= 0.0) || cfg->orb[i] > 180.0)
      return noc_fail(err, NOC_ERR_VALIDATION, "orbs", "the orb of %s must be 0..180 degrees",
                      aspect_defs[i].name);
  }
  for (int i = 0; i < NOC_BODY_COUNT; i++) {
    if (!(cfg->body_orb[i] >= 0.0) || cfg->body_orb[i] > 180.0)
      return noc_fail(err, NOC_ERR_VALIDATION, "orbs", "the orb of %s must be 0..180 degrees",
                      noc_body_name((noc_body)i));
  }
  if (isnan(cfg->exact_window_days))
    return noc_fail(err, NOC_ERR_VALIDATION, "exact_window_days",
                    "exact_window_days must be a number");
  return NOC_OK;
}

/* Pairs i < j in order; stores at most cap, counts all. */
static int detect_all(const noc_aspect_point *points, int n, const noc_aspect_config *cfg,
                      noc_aspect *out, int cap) {
  noc_aspect_sieve sieve;
  noc_aspect_sieve_init(&sieve, cfg);
  int found = 0;
  for (int i = 0; i < n; i++) {
    for (int j = i + 1; j < n; j++) {
      double sep = fabs(noc_angle_diff(points[i].longitude, points[j].longitude));
      double orb = 0.0, eff = 0.0;
      int type = noc_aspect_closest_type_sieved(&sieve, cfg, points[i].body, points[j].body, sep,
                                                &orb, &eff);
      if (type < 0) continue;
      if (found < cap) fill_aspect(points, i, j, type, orb, eff, &out[found]);
      found++;
    }
  }
  return found;
}

/* ---- Exact time --------------------------------------------------------------------------- */

/* Bounds of |d2(longitude)/dt2| in degrees/day^2, geocentric apparent, from sampling Swiss
 * Ephemeris over 1900-2100 (0.25-day steps; 0.05 for the Moon, true node and osculating apogee)
 * without light deflection (which adds arcsecond-sized spikes at conjunctions with the Sun that
 * cannot hide a crossing), times 1.5. Heliocentric motion stays inside these. The search raises
 * a bound that it sees broken, so an underestimate costs steps, not roots. */
/* clang-format off */
static const double accel_geo[NOC_BODY_COUNT] = {
    [NOC_SUN] = 0.001,          [NOC_MOON] = 0.8,           [NOC_MERCURY] = 0.3,
    [NOC_VENUS] = 0.065,        [NOC_MARS] = 0.025,         [NOC_JUPITER] = 0.006,
    [NOC_SATURN] = 0.003,       [NOC_URANUS] = 0.0015,      [NOC_NEPTUNE] = 0.001,
    [NOC_PLUTO] = 0.001,        [NOC_MEAN_NODE] = 0.0001,   [NOC_TRUE_NODE] = 7.0,
    [NOC_MEAN_SOUTH_NODE] = 0.0001, [NOC_TRUE_SOUTH_NODE] = 7.0, [NOC_MEAN_LILITH] = 0.0001,
    [NOC_OSCU_LILITH] = 20.0,   [NOC_INTP_LILITH] = 0.015,  [NOC_CHIRON] = 0.003,
    [NOC_PHOLUS] = 0.003,       [NOC_CERES] = 0.02,         [NOC_PALLAS] = 0.02,
    [NOC_JUNO] = 0.02,          [NOC_VESTA] = 0.02,
};
/* clang-format on */

/* The daily swing of the observer adds parallax times (2 pi / day)^2 of curvature. */
static const double accel_topo_moon = 45.0, accel_topo_other = 0.5;

double noc_body_accel_bound(noc_body body, const noc_calc_options *opt) {
  if (body < 0 || body >= NOC_BODY_COUNT || noc_body_is_angle(body)) return 0.0;
  double k = accel_geo[body];
  if (opt->center == NOC_TOPOCENTRIC) k += body == NOC_MOON ? accel_topo_moon : accel_topo_other;
  return k;
}

/* The pair's angle as a function of time; every pointer is borrowed for one search. */
typedef struct pair_fn {
  noc_ctx *ctx;
  const noc_calc_options *opt;
  const noc_exact_query *q;
  int lon_calls;
} pair_fn;

static noc_status body_at(pair_fn *p, noc_body body, noc_lon_at *cache, double jd, double *lon,
                          double *speed, noc_error *err) {
  bool at_start = jd == p->q->jd_ut && cache != NULL;
  if (at_start && cache->known) {
    *lon = cache->lon;
    *speed = cache->speed;
    return NOC_OK;
  }
  p->lon_calls++;
  noc_status st = noc_body_longitude(p->ctx, jd, body, p->opt, lon, speed, err);
  if (st == NOC_OK && at_start) *cache = (noc_lon_at){true, *lon, *speed};
  return st;
}

/* lon_a - lon_b and its rate. */
static noc_status pair_angle(void *user, double jd, double *deg, double *rate, noc_error *err) {
  pair_fn *p = user;
  double la, sa, lb, sb;
  noc_status st = body_at(p, p->q->a, p->q->at_a, jd, &la, &sa, err);
  if (st == NOC_OK) st = body_at(p, p->q->b, p->q->at_b, jd, &lb, &sb, err);
  if (st != NOC_OK) return st;
  *deg = la - lb;
  *rate = sa - sb;
  return NOC_OK;
}

/* The years the installed ephemeris covers, as JD UT, with a day to spare at each end. */
static void ephemeris_span(noc_body a, noc_body b, double *lo, double *hi) {
  *lo = 2440587.5 + (double)noc_days_from_civil(NOC_YEAR_MIN, 1, 1) + 1.0;
  *hi = 2440587.5 + (double)noc_days_from_civil(NOC_YEAR_MAX + 1, 1, 1) - 1.0;
  noc_body both[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    double blo, bhi;
    if (noc_body_jd_range(both[i], &blo, &bhi)) {
      *lo = fmax(*lo, blo);
      *hi = fmin(*hi, bhi);
    }
  }
}

/* Ten calls of the pair function (twenty ephemeris calls) are typical; this bounds the odd
 * grazing station. */
enum { EXACT_MAX_EVALS = 120 };
static const double exact_tol_days = 1e-7; /* 8.6 ms */

noc_status noc_aspect_exact_time(noc_ctx *ctx, const noc_calc_options *opt,
                                 const noc_exact_query *q, noc_exact_result *out, noc_error *err) {
  *out = (noc_exact_result){false, 0.0, 0};
  if (noc_body_is_angle(q->a) || noc_body_is_angle(q->b) || !(q->window_days > 0.0)) return NOC_OK;
  noc_crossing_search s = {
      .t0 = q->jd_ut,
      .jd_min = q->jd_ut - q->window_days,
      .jd_max = q->jd_ut + q->window_days,
      .ntargets = 1,
      .accel_max = noc_body_accel_bound(q->a, opt) + noc_body_accel_bound(q->b, opt),
      .tol_days = exact_tol_days,
      .max_evals = EXACT_MAX_EVALS,
  };
  double lo, hi;
  ephemeris_span(q->a, q->b, &lo, &hi);
  s.jd_min = fmax(s.jd_min, lo);
  s.jd_max = fmin(s.jd_max, hi);
  if (!(s.jd_min <= s.t0 && s.t0 <= s.jd_max)) return NOC_OK;
  s.targets[0] = q->angle;
  if (q->angle != 0.0 && q->angle != 180.0) {
    s.targets[1] = -q->angle;
    s.ntargets = 2;
  }
  pair_fn p = {ctx, opt, q, 0};
  noc_crossing c;
  noc_status st = noc_find_nearest_crossing(pair_angle, &p, &s, &c, err);
  out->lon_calls = p.lon_calls;
  if (st != NOC_OK) return st;
  out->found = c.found;
  out->jd_ut = c.jd;
  return NOC_OK;
}

/* ---- The search --------------------------------------------------------------------------- */

static noc_status add_exact_times(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                                  const noc_aspect_point *points, const noc_aspect_config *cfg,
                                  noc_aspect *out, int count, noc_error *err) {
  enum { CACHE_MAX = 64 }; /* points beyond this just are not cached */
  noc_lon_at cache[CACHE_MAX] = {{0}};
  for (int k = 0; k < count; k++) {
    noc_aspect *asp = &out[k];
    noc_exact_query q = {
        .a = points[asp->a].body,
        .b = points[asp->b].body,
        .angle = aspect_defs[asp->type].angle,
        .jd_ut = t->jd_ut,
        .window_days = cfg->exact_window_days,
        .at_a = asp->a < CACHE_MAX ? &cache[asp->a] : NULL,
        .at_b = asp->b < CACHE_MAX ? &cache[asp->b] : NULL,
    };
    noc_exact_result r;
    noc_status st = noc_aspect_exact_time(ctx, opt, &q, &r, err);
    if (st != NOC_OK) return st;
    asp->has_exact_time = r.found;
    asp->exact_jd_ut = r.found ? r.jd_ut : 0.0;
  }
  return NOC_OK;
}

noc_status noc_aspects_find(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                            const noc_aspect_point *points, int n, const noc_aspect_config *cfg,
                            noc_aspect *out, int cap, int *count, noc_error *err) {
  noc_aspect_config defaults;
  if (cfg == NULL) {
    noc_aspect_config_default(&defaults);
    cfg = &defaults;
  }
  *count = 0;
  noc_status st = check_input(points, n, cfg, err);
  if (st != NOC_OK) return st;
  if (cap < 0 || (cap > 0 && out == NULL))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "aspect search without room for results");
  int found = detect_all(points, n, cfg, out, cap);
  *count = found;
  if (found > cap)
    return noc_fail(err, NOC_ERR_NOMEM, "", "%d aspects found, more than the %d allowed", found,
                    cap);
  if (ctx == NULL || t == NULL || opt == NULL)
    return NOC_OK; /* no ephemeris: aspects without exact times */
  return add_exact_times(ctx, t, opt, points, cfg, out, found, err);
}
