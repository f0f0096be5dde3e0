/* Tracks: a body's longitude (or latitude, or the difference of two longitudes) followed through
 * a time window. Samples are taken once per step and shared by every target of the track; the
 * stations (roots of the rate) cut the samples into monotonic runs, inside which each crossing of
 * a target is unique, bracketed and refined. A bound on the rate's change proves that no pair of
 * stations hides between two samples; where it cannot, the interval is halved. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <swephexp.h>

#include "core/events_internal.h"
#include "nocturna/zodiac.h"

/* ---- Per-body bounds ----------------------------------------------------------------------- */

/* accel: about twice the largest |d(speed)/dt| measured over 1500-2500 (degrees/day^2), away
 * from the short wiggles that light deflection adds near a conjunction with the Sun (those never
 * reverse a planet's motion). step: days between samples, a power of two, so that the grids of
 * all tracks nest and share cached evaluations. eps: how far Swiss Ephemeris' speed may be off
 * (measured against the derivative of its own longitudes). */
typedef struct body_bounds {
  double accel, step, eps;    /* longitude */
  double lat_accel, lat_step; /* latitude */
} body_bounds;

static const body_bounds bounds[NOC_BODY_COUNT] = {
    [NOC_SUN] = {0.002, 8, 3e-5, 1e-4, 8},
    [NOC_MOON] = {1.0, 1, 2e-4, 0.8, 1},
    [NOC_MERCURY] = {0.4, 2, 3e-5, 0.1, 2},
    [NOC_VENUS] = {0.08, 4, 3e-5, 0.04, 4},
    [NOC_MARS] = {0.04, 4, 3e-5, 0.01, 4},
    [NOC_JUPITER] = {0.01, 8, 3e-5, 0.002, 8},
    [NOC_SATURN] = {0.006, 8, 3e-5, 0.002, 8},
    [NOC_URANUS] = {0.004, 8, 3e-5, 0.002, 8},
    [NOC_NEPTUNE] = {0.003, 8, 3e-5, 0.002, 8},
    [NOC_PLUTO] = {0.003, 8, 3e-5, 0.002, 8},
    [NOC_MEAN_NODE] = {1e-4, 8, 3e-5, 1e-4, 8},
    [NOC_TRUE_NODE] = {0.5, 0.5, 1e-4, 1e-4, 8},
    [NOC_MEAN_SOUTH_NODE] = {1e-4, 8, 3e-5, 1e-4, 8},
    [NOC_TRUE_SOUTH_NODE] = {0.5, 0.5, 1e-4, 1e-4, 8},
    [NOC_MEAN_LILITH] = {1e-4, 8, 3e-5, 1e-4, 8},
    [NOC_OSCU_LILITH] = {5.0, 0.25, 1e-3, 0.5, 0.25},
    [NOC_INTP_LILITH] = {0.03, 2, 3e-5, 0.003, 2},
    [NOC_CHIRON] = {0.02, 8, 3e-5, 0.004, 8},
    [NOC_PHOLUS] = {0.01, 8, 3e-5, 0.004, 8},
    [NOC_CERES] = {0.02, 4, 3e-5, 0.01, 4},
    [NOC_PALLAS] = {0.03, 4, 3e-5, 0.03, 4},
    [NOC_JUNO] = {0.04, 4, 3e-5, 0.02, 4},
    [NOC_VESTA] = {0.03, 4, 3e-5, 0.01, 4},
};

/* Topocentric positions add the observer's daily circle: the parallax turned around once a day
 * adds up to parallax * (2 pi)^2 per day^2 to the acceleration. Largest horizontal parallaxes
 * (arcseconds): the Moon's is about a degree; computed points (nodes, apogees) have none. */
static const double parallax_arcsec[NOC_BODY_COUNT] = {
    [NOC_SUN] = 9,       [NOC_MOON] = 3700,   [NOC_MERCURY] = 16, [NOC_VENUS] = 33,
    [NOC_MARS] = 25,     [NOC_JUPITER] = 2.5, [NOC_SATURN] = 1.2, [NOC_URANUS] = 0.6,
    [NOC_NEPTUNE] = 0.4, [NOC_PLUTO] = 0.3,   [NOC_CHIRON] = 1.5, [NOC_PHOLUS] = 1.0,
    [NOC_CERES] = 8,     [NOC_PALLAS] = 10,   [NOC_JUNO] = 12,    [NOC_VESTA] = 12,
};
#define TOPO_MOON_STEP 0.25

static void body_params(noc_body b, bool lat, const noc_calc_options *opt, double *accel,
                        double *step, double *eps) {
  const body_bounds *bb = &bounds[b];
  *accel = lat ? bb->lat_accel : bb->accel;
  *step = lat ? bb->lat_step : bb->step;
  *eps = bb->eps;
  if (opt->center == NOC_TOPOCENTRIC) {
    const double two_pi_sq = 39.478;
    *accel += 1.5 * two_pi_sq * parallax_arcsec[b] / 3600.0;
    if (b == NOC_MOON) *step = TOPO_MOON_STEP;
  }
}

void noc_ev_track_init(ev_track *tr, ev_fn fn, noc_body a, noc_body b,
                       const noc_calc_options *opt) {
  memset(tr, 0, sizeof *tr);
  tr->fn = fn;
  tr->a = a;
  tr->b = b;
  body_params(a, fn == EV_FN_LAT, opt, &tr->accel, &tr->step, &tr->eps);
  if (fn == EV_FN_PAIR) {
    double acc, step, eps;
    body_params(b, false, opt, &acc, &step, &eps);
    tr->accel += acc;
    tr->eps += eps;
    tr->step = fmin(tr->step, step);
  }
}

noc_status noc_ev_track_add(ev_track *tr, double angle, int spec, int a, int b, int c,
                            noc_error *err) {
  if (tr->ntargets == tr->cap) {
    int cap = tr->cap ? tr->cap * 2 : 16;
    ev_target *t = realloc(tr->targets, sizeof *t * (size_t)cap);
    if (t == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
    tr->targets = t;
    tr->cap = cap;
  }
  double v = tr->fn == EV_FN_LAT ? angle : noc_norm360(angle);
  tr->targets[tr->ntargets++] = (ev_target){v, spec, a, b, c};
  return NOC_OK;
}

static int cmp_target(const void *x, const void *y) {
  const ev_target *a = x, *b = y;
  if (a->angle != b->angle) return a->angle < b->angle ? -1 : 1;
  if (a->spec != b->spec) return a->spec < b->spec ? -1 : 1;
  if (a->a != b->a) return a->a < b->a ? -1 : 1;
  if (a->b != b->b) return a->b < b->b ? -1 : 1;
  return (a->c > b->c) - (a->c < b->c);
}

void noc_ev_track_sort(ev_track *tr) {
  if (tr->ntargets > 1) qsort(tr->targets, (size_t)tr->ntargets, sizeof tr->targets[0], cmp_target);
}

void noc_ev_track_free(ev_track *tr) {
  free(tr->targets);
  tr->targets = NULL;
  tr->ntargets = tr->cap = 0;
}

/* ---- Evaluation through the cache ------------------------------------------------------------ */

static unsigned cache_slot(double jd, int body, int lat) {
  uint64_t bits;
  memcpy(&bits, &jd, sizeof bits);
  bits ^= (uint64_t)(body * 2 + lat) * 0x9E3779B97F4A7C15ULL;
  bits ^= bits >> 29;
  bits *= 0xBF58476D1CE4E5B9ULL;
  bits ^= bits >> 32;
  return (unsigned)(bits % EV_CACHE_SIZE);
}

static noc_status body_latitude(ev_engine *e, noc_body body, double jd, double *lat, double *speed,
                                noc_error *err) {
  char serr[AS_MAXCH] = "";
  noc_time t;
  memset(&t, 0, sizeof t);
  t.jd_ut = jd;
  t.jd_tt = jd + swe_deltat_ex(jd, SEFLG_SWIEPH, serr);
  noc_position pos;
  noc_status st = noc_body_position(e->ctx, &t, body, &e->opt, &pos, err);
  if (st != NOC_OK) return st;
  *lat = pos.latitude;
  *speed = pos.speed_latitude;
  return NOC_OK;
}

noc_status noc_ev_body(ev_engine *e, noc_body body, bool lat, double jd, double *value,
                       double *speed, noc_error *err) {
  ev_cache_entry *c = &e->cache[cache_slot(jd, (int)body, lat)];
  if (c->body == (int)body && c->lat == (int)lat && c->jd == jd) {
    *value = c->value;
    *speed = c->speed;
    return NOC_OK;
  }
  e->evals++;
  noc_status st = lat ? body_latitude(e, body, jd, value, speed, err)
                      : noc_body_longitude(e->ctx, jd, body, &e->opt, value, speed, err);
  if (st != NOC_OK) return st;
  if (!isfinite(*value) || !isfinite(*speed))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "the ephemeris gave a non-finite position");
  *c = (ev_cache_entry){jd, (int)body, (int)lat, *value, *speed};
  return NOC_OK;
}

static noc_status eval_track(ev_engine *e, const ev_track *tr, double t, ev_sample *s,
                             noc_error *err) {
  memset(s, 0, sizeof *s);
  s->t = t;
  noc_status st = noc_ev_body(e, tr->a, tr->fn == EV_FN_LAT, t, &s->la, &s->va, err);
  if (st != NOC_OK) return st;
  if (tr->fn == EV_FN_PAIR) {
    st = noc_ev_body(e, tr->b, false, t, &s->lb, &s->vb, err);
    if (st != NOC_OK) return st;
    s->g = noc_norm360(s->la - s->lb);
    s->v = s->va - s->vb;
  } else {
    s->g = s->la;
    s->v = s->va;
  }
  return NOC_OK;
}

/* ---- Scanning ------------------------------------------------------------------------------- */

/* Subdivisions stop here: no real body has two stations within seconds. */
#define MAX_DEPTH 24
#define MIN_SPAN  (1.0 / 8640.0)
/* Steps shorter than this (days) do not judge the acceleration bound: over them the difference of
 * rates is mostly the ephemeris' own noise. */
#define ACCEL_SPAN_MIN 0.05
/* Degrees: a pair of stations hidden between two samples matters only if the motion could turn
 * back by more than this; a target closer than that to the turning point is a tangency. */
#define HIDDEN_REVERSAL_MAX 1e-6
/* The numerical derivative that confirms a station and fixes its instant: half-width (days). */
#define STATION_DELTA 0.01

typedef struct scan {
  ev_engine *e;
  ev_track *tr;
  bool circular;
  bool want_stations;
  double accel; /* the bound in use; raised where the motion is seen to exceed it */
  ev_crossing_fn fn;
  void *user;
} scan;

/* How far the track moved from p to q: unwrapped around what the mean rate predicts. */
static double moved(const scan *sc, const ev_sample *p, const ev_sample *q) {
  if (!sc->circular) return q->g - p->g;
  double predicted = 0.5 * (p->v + q->v) * (q->t - p->t);
  return predicted + noc_angle_diff(q->g - p->g, predicted);
}

/* A root finder's view of one target: the signed distance of the track past it. */
typedef struct target_fn {
  scan *sc;
  double target;  /* circular: the angle in [0, 360); else the value */
  ev_sample last; /* the last evaluation */
} target_fn;

static noc_status past_target(void *user, double x, double *f, double *dfdx, noc_error *err) {
  target_fn *u = user;
  noc_status st = eval_track(u->sc->e, u->sc->tr, x, &u->last, err);
  if (st != NOC_OK) return st;
  *f = u->sc->circular ? noc_angle_diff(u->last.g, u->target) : u->last.g - u->target;
  *dfdx = u->last.v;
  return NOC_OK;
}

/* The instant in (0, 1) where the cubic Hermite interpolant of f (values f0, f1, slopes m0, m1
 * per unit of s) vanishes; the chord's root when the cubic misbehaves. */
static double hermite_root(double f0, double f1, double m0, double m1) {
  double s = f0 / (f0 - f1);
  double lin = s;
  for (int i = 0; i < 4; i++) {
    double s2 = s * s, s3 = s2 * s;
    double h = (2 * s3 - 3 * s2 + 1) * f0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * f1 +
               (s3 - s2) * m1;
    double dh = (6 * s2 - 6 * s) * f0 + (3 * s2 - 4 * s + 1) * m0 + (-6 * s2 + 6 * s) * f1 +
                (3 * s2 - 2 * s) * m1;
    if (dh == 0.0) break;
    s -= h / dh;
    if (!(s > 0.0 && s < 1.0)) return lin;
  }
  return s;
}

/* Newton's method inside a bracket, from the Hermite estimate: each evaluation narrows the
 * bracket, and a step that would leave it or fails to halve is replaced by bisection. A Newton
 * step shorter than the tolerance is taken without evaluating its end: the next error would be
 * of the order of that step squared times the curvature. (Steps below the resolution of a Julian
 * day, about 40 microseconds, cannot move x at all, which is why a finder that insists on
 * evaluating each step can stall there.) */
static noc_status solve(target_fn *u, double lo, double f_lo, double hi, double x, double tol,
                        double *root, noc_error *err) {
  double prev_step = INFINITY;
  for (int it = 0; it < 100; it++) {
    double fx = 0.0, vx = 0.0;
    noc_status st = past_target(u, x, &fx, &vx, err);
    if (st != NOC_OK) return st;
    if (fx == 0.0) {
      *root = x;
      return NOC_OK;
    }
    if ((fx < 0.0) == (f_lo < 0.0))
      lo = x;
    else
      hi = x;
    double step = vx != 0.0 ? fx / vx : INFINITY;
    double next = x - step;
    bool inside = next > fmin(lo, hi) && next < fmax(lo, hi);
    if (isfinite(step) && fabs(step) <= tol && (inside || fabs(step) < 1e-9)) {
      *root = fmax(fmin(lo, hi), fmin(fmax(lo, hi), next));
      return NOC_OK;
    }
    if (fabs(hi - lo) <= tol) {
      *root = 0.5 * (lo + hi);
      return NOC_OK;
    }
    if (!isfinite(step) || !inside || fabs(step) > 0.5 * prev_step) {
      next = 0.5 * (lo + hi);
      step = 0.5 * fabs(hi - lo);
    }
    prev_step = fabs(step);
    x = next;
  }
  return noc_fail(err, NOC_ERR_INTERNAL, "", "an event time did not converge");
}

/* The crossing of value (unwrapped) between p and q, where the track is monotonic. f0 and f1
 * are the signed distances at the ends (opposite signs, f1 may be 0). */
static noc_status refine(scan *sc, const ev_sample *p, const ev_sample *q, double target, double f0,
                         double f1, ev_crossing *out, noc_error *err) {
  target_fn u = {sc, target, *q};
  if (f1 == 0.0) {
    out->jd = q->t;
    out->at = *q;
    return NOC_OK;
  }
  double h = q->t - p->t;
  double x = p->t + hermite_root(f0, f1, p->v * h, q->v * h) * h;
  double root = x;
  noc_status st = solve(&u, p->t, f0, q->t, x, sc->e->tol, &root, err);
  if (st != NOC_OK) return st;
  out->jd = root;
  out->at = u.last;
  double dt = root - u.last.t;
  out->at.t = root;
  out->at.la += u.last.va * dt;
  out->at.lb += u.last.vb * dt;
  out->at.g = target;
  return NOC_OK;
}

/* First index of a target with angle > x (sorted targets). */
static int first_above(const ev_track *tr, double x) {
  int lo = 0, hi = tr->ntargets;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (tr->targets[mid].angle > x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* First index of a target with angle >= x. */
static int first_at_or_above(const ev_track *tr, double x) {
  int lo = 0, hi = tr->ntargets;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (tr->targets[mid].angle >= x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

static noc_status one_crossing(scan *sc, const ev_sample *p, const ev_sample *q, int index,
                               double value, double d, int dir, noc_error *err) {
  const ev_target *tg = &sc->tr->targets[index];
  ev_crossing c;
  memset(&c, 0, sizeof c);
  c.target = index;
  c.dir = dir;
  double f0 = p->g - value, f1 = p->g + d - value;
  noc_status st = refine(sc, p, q, tg->angle, f0, f1, &c, err);
  if (st != NOC_OK) return st;
  return sc->fn(sc->e, sc->tr, &c, sc->user, err);
}

/* Every target the track passes between p and q (monotonic there), each once: values in
 * (g_p, g_q] when increasing, [g_q, g_p) when decreasing, so that a crossing exactly at a sample
 * belongs to the interval that ends there. */
static noc_status crossings(scan *sc, const ev_sample *p, const ev_sample *q, noc_error *err) {
  const ev_track *tr = sc->tr;
  double d = moved(sc, p, q);
  if (d == 0.0 || tr->ntargets == 0) return NOC_OK;
  int dir = d > 0.0 ? 1 : -1;
  double lo = dir > 0 ? p->g : p->g + d, hi = dir > 0 ? p->g + d : p->g;
  noc_status st = NOC_OK;
  if (!sc->circular) {
    int i = dir > 0 ? first_above(tr, lo) : first_at_or_above(tr, lo);
    for (; i < tr->ntargets && st == NOC_OK; i++) {
      double v = tr->targets[i].angle;
      if (dir > 0 ? v > hi : v >= hi) break;
      st = one_crossing(sc, p, q, i, v, d, dir, err);
    }
    return st;
  }
  /* Circular: a target at angle T is met at T + 360 m for every m that falls in range. */
  for (int64_t m = (int64_t)floor(lo / 360.0); (double)m * 360.0 <= hi && st == NOC_OK; m++) {
    double base = (double)m * 360.0;
    int i = dir > 0 ? first_above(tr, lo - base) : first_at_or_above(tr, lo - base);
    for (; i < tr->ntargets && st == NOC_OK; i++) {
      double v = tr->targets[i].angle + base;
      if (dir > 0 ? v > hi : v >= hi) break;
      st = one_crossing(sc, p, q, i, v, d, dir, err);
    }
  }
  return st;
}

/* The track's rate by a central difference of its values: unlike the ephemeris' own speed it is
 * the derivative of exactly the function whose extremum a station is. */
static noc_status numeric_rate(scan *sc, double t, double *rate, noc_error *err) {
  ev_sample a, b;
  noc_status st = eval_track(sc->e, sc->tr, t - STATION_DELTA, &a, err);
  if (st == NOC_OK) st = eval_track(sc->e, sc->tr, t + STATION_DELTA, &b, err);
  if (st != NOC_OK) return st;
  *rate = moved(sc, &a, &b) / (2.0 * STATION_DELTA);
  return NOC_OK;
}

/* Root of a rate function between (t0, v0) and (t1, v1) of opposite signs, by regula falsi with
 * the Illinois modification (no derivative of the rate is available). use_numeric selects the
 * numerical rate; otherwise the ephemeris' speed, sampled into *at. */
static noc_status rate_root(scan *sc, double t0, double v0, double t1, double v1, bool use_numeric,
                            double *root, ev_sample *at, noc_error *err) {
  int side = 0;
  double tol = fmin(sc->e->tol, 1e-6);
  for (int it = 0; it < 100; it++) {
    double x = (t0 * v1 - t1 * v0) / (v1 - v0);
    if (!(x > fmin(t0, t1) && x < fmax(t0, t1))) x = 0.5 * (t0 + t1);
    double vx = 0.0;
    noc_status st;
    if (use_numeric) {
      st = numeric_rate(sc, x, &vx, err);
    } else {
      st = eval_track(sc->e, sc->tr, x, at, err);
      vx = at->v;
    }
    if (st != NOC_OK) return st;
    *root = x;
    if (vx == 0.0 || fabs(t1 - t0) <= tol) return NOC_OK;
    if ((vx > 0.0) == (v1 > 0.0)) {
      t1 = x;
      v1 = vx;
      if (side == -1) v0 *= 0.5;
      side = -1;
    } else {
      t0 = x;
      v0 = vx;
      if (side == 1) v1 *= 0.5;
      side = 1;
    }
    if (fabs(t1 - t0) <= tol) {
      *root = 0.5 * (t0 + t1);
      return NOC_OK;
    }
  }
  return NOC_OK; /* the bracket is small by now; the midpoint estimate stands */
}

/* Confirms a station found from the ephemeris' speed with the numerical derivative and fixes its
 * instant; *real = false when the derivative does not change sign nearby (a wobble of the
 * speed, not of the motion). The instant is kept inside [lo, hi]. */
static noc_status polish_station(scan *sc, double ts, double lo, double hi, bool *real, double *out,
                                 noc_error *err) {
  *real = false;
  for (int i = 0; i < 5; i++) {
    double w = 0.02 * pow(4.0, i);
    double va = 0.0, vb = 0.0;
    noc_status st = numeric_rate(sc, ts - w, &va, err);
    if (st == NOC_OK) st = numeric_rate(sc, ts + w, &vb, err);
    if (st != NOC_OK) return st;
    if ((va > 0.0) != (vb > 0.0)) {
      double root = ts;
      ev_sample unused;
      st = rate_root(sc, ts - w, va, ts + w, vb, true, &root, &unused, err);
      if (st != NOC_OK) return st;
      *real = true;
      *out = fmax(lo, fmin(hi, root));
      return NOC_OK;
    }
  }
  return NOC_OK;
}

static noc_status station(scan *sc, const ev_sample *p, const ev_sample *q, noc_error *err) {
  ev_sample s = *p;
  double ts = p->t;
  noc_status st = rate_root(sc, p->t, p->v, q->t, q->v, false, &ts, &s, err);
  if (st != NOC_OK) return st;
  if (s.t != ts && (st = eval_track(sc->e, sc->tr, ts, &s, err)) != NOC_OK) return st;
  if (!(ts > p->t && ts < q->t)) /* degenerate: no room to split */
    return crossings(sc, p, q, err);
  if ((st = crossings(sc, p, &s, err)) != NOC_OK) return st;
  if (sc->want_stations) {
    bool real = false;
    double tp = ts;
    if ((st = polish_station(sc, ts, p->t, q->t, &real, &tp, err)) != NOC_OK) return st;
    if (real) {
      ev_crossing c;
      memset(&c, 0, sizeof c);
      c.jd = tp;
      c.target = -1;
      c.dir = q->v > 0.0 ? 1 : -1;
      if ((st = eval_track(sc->e, sc->tr, tp, &c.at, err)) != NOC_OK) return st;
      if ((st = sc->fn(sc->e, sc->tr, &c, sc->user, err)) != NOC_OK) return st;
    }
  }
  return crossings(sc, &s, q, err);
}

static noc_status interval(scan *sc, const ev_sample *p, const ev_sample *q, int depth,
                           noc_error *err);

/* With |rate'| <= accel the rate can reach 0 between two samples of the same sign only if the
 * ends together are closer to 0 than accel * h (less the ephemeris' own error), and then the
 * motion turns back at most room^2 / (4 accel) degrees: below HIDDEN_REVERSAL_MAX it is not
 * worth a look. */
static bool may_hide_stations(const scan *sc, const ev_sample *p, const ev_sample *q) {
  double room = sc->accel * (q->t - p->t) - (fabs(p->v) + fabs(q->v) - 2.0 * sc->tr->eps);
  return room > 0.0 && room * room / (4.0 * sc->accel) > HIDDEN_REVERSAL_MAX;
}

static noc_status halve(scan *sc, const ev_sample *p, const ev_sample *q, int depth,
                        noc_error *err) {
  ev_sample m;
  noc_status st = eval_track(sc->e, sc->tr, p->t + 0.5 * (q->t - p->t), &m, err);
  if (st == NOC_OK) st = interval(sc, p, &m, depth + 1, err);
  if (st == NOC_OK) st = interval(sc, &m, q, depth + 1, err);
  return st;
}

static noc_status interval(scan *sc, const ev_sample *p, const ev_sample *q, int depth,
                           noc_error *err) {
  double h = q->t - p->t;
  if (h >= ACCEL_SPAN_MIN) {
    double seen = fabs(q->v - p->v) / h;
    if (seen > sc->accel) sc->accel = 2.0 * seen;
  }
  /* Long intervals are halved first: the unwrapping and the root finder's view of a target as a
   * signed distance need the track to move well under half a turn between samples. */
  bool too_far = sc->circular && fabs(moved(sc, p, q)) > 90.0;
  if (too_far && depth < MAX_DEPTH && h > MIN_SPAN) {
    return halve(sc, p, q, depth, err);
  }
  if ((p->v > 0.0) != (q->v > 0.0)) return station(sc, p, q, err);
  if (may_hide_stations(sc, p, q) && depth < MAX_DEPTH && h > MIN_SPAN) {
    return halve(sc, p, q, depth, err);
  }
  return crossings(sc, p, q, err);
}

noc_status noc_ev_scan(ev_engine *e, ev_track *tr, double a, double b, bool want_stations,
                       ev_crossing_fn fn, void *user, noc_error *err) {
  if (!(b > a)) return NOC_OK;
  scan sc = {e, tr, tr->fn != EV_FN_LAT, want_stations, tr->accel, fn, user};
  ev_sample p, q;
  noc_status st = eval_track(e, tr, a, &p, err);
  for (int64_t k = 1; st == NOC_OK; k++) {
    double t = a + (double)k * tr->step;
    bool last = t >= b;
    if (last) t = b;
    if ((st = eval_track(e, tr, t, &q, err)) != NOC_OK) break;
    st = interval(&sc, &p, &q, 0, err);
    p = q;
    if (last) break;
  }
  return st;
}
