/* Root finding: a safeguarded Newton inside a bracket, and the nearest crossing of a moving angle
 * found by steps that a curvature bound proves safe. */
#include "core/rootfind.h"

#include <math.h>

#include "nocturna/zodiac.h"

/* ---- A root inside a bracket ---------------------------------------------------------------- */

static bool strictly_between(double x, double a, double b) {
  return a < b ? (x > a && x < b) : (x > b && x < a);
}

noc_status noc_find_root(noc_root_fn fn, void *user, const noc_root_point *a,
                         const noc_root_point *b, double tol, int max_evals, double *root,
                         int *evals, noc_error *err) {
  if (a->f == 0.0 || b->f == 0.0) {
    *root = a->f == 0.0 ? a->x : b->x;
    return NOC_OK;
  }
  if ((a->f < 0.0) == (b->f < 0.0) || !isfinite(a->f) || !isfinite(b->f))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "root search started without a bracket");
  /* neg keeps f < 0 and pos f > 0, whichever of the two is earlier in x. */
  noc_root_point neg = a->f < 0.0 ? *a : *b;
  noc_root_point pos = a->f < 0.0 ? *b : *a;
  noc_root_point cur = fabs(neg.f) < fabs(pos.f) ? neg : pos;
  /* Newton is trusted only while its steps at least halve: otherwise it is wandering. */
  double step_before = 2.0 * fabs(pos.x - neg.x);
  for (int n = 0; n < max_evals; n++) {
    double width = fabs(pos.x - neg.x);
    double x = cur.dfdx != 0.0 ? cur.x - cur.f / cur.dfdx : NAN;
    double step = fabs(x - cur.x);
    /* A Newton correction below the tolerance (or below a Julian day's precision, where x equals
     * cur.x) means cur is the root: bisecting on would only spend evaluations. */
    if (isfinite(x) && step <= tol && n > 0) {
      *root = cur.x;
      return NOC_OK;
    }
    if (!isfinite(x) || !strictly_between(x, neg.x, pos.x) || step > 0.5 * step_before) {
      x = 0.5 * (neg.x + pos.x);
      step = 0.5 * width;
    }
    step_before = step;
    noc_root_point p = {x, 0.0, 0.0};
    noc_status st = fn(user, x, &p.f, &p.dfdx, err);
    if (evals) (*evals)++;
    if (st != NOC_OK) return st;
    if (!isfinite(p.f))
      return noc_fail(err, NOC_ERR_INTERNAL, "", "root search met a non-finite value");
    if (p.f == 0.0 || step <= tol || width <= tol) {
      *root = x;
      return NOC_OK;
    }
    if (p.f < 0.0)
      neg = p;
    else
      pos = p;
    cur = p;
  }
  return noc_fail(err, NOC_ERR_INTERNAL, "", "root search did not converge in %d steps", max_evals);
}

/* ---- The nearest crossing of an angle -------------------------------------------------------- */

/* Steps shorter than this (days) are not used to judge the acceleration bound. */
#define ACCEL_SPAN_MIN 0.01
/* Degrees: an angle this close to a target is on it (about 4 micro-arcseconds). */
#define ANGLE_EPS 1e-9

/* The last evaluated point of one of the two walks out of t0. */
typedef struct walk {
  int dir; /* +1 forward in time, -1 backward */
  double x, deg, rate;
  double max_step; /* shrinks when a step turned out too long to bracket cleanly */
  bool done;
} walk;

/* Pointers are the caller's, borrowed for the one search. */
typedef struct search_state {
  noc_angle_fn fn;
  void *user;
  const noc_crossing_search *s;
  double accel; /* the bound in use: raised when the motion is seen to exceed it */
  noc_crossing *out;
  double best_dist; /* |root - t0| of the nearest root found so far */
} search_state;

/* Distances from deg up and down the circle to the nearest target, each in [0, 360]. */
static void target_gaps(const noc_crossing_search *s, double deg, double *up, double *down,
                        int *up_target, int *down_target) {
  *up = 360.0;
  *down = 360.0;
  *up_target = *down_target = 0;
  for (int i = 0; i < s->ntargets; i++) {
    double u = noc_norm360(s->targets[i] - deg);
    double d = noc_norm360(deg - s->targets[i]);
    if (u < *up) {
      *up = u;
      *up_target = i;
    }
    if (d < *down) {
      *down = d;
      *down_target = i;
    }
  }
}

/* The longest s for which a*s + k*s^2/2 <= gap: how far the angle may be followed at rate a
 * towards a target gap degrees away when its rate can change by at most k per day. */
static double safe_span(double gap, double a, double k) {
  if (k <= 0.0) return a > 0.0 ? gap / a : INFINITY;
  double root = sqrt(a * a + 2.0 * k * gap);
  /* Two forms of the same root, each free of cancellation on its side. */
  return a > 0.0 ? 2.0 * gap / (a + root) : (root - a) / k;
}

static double walk_dist(const search_state *st, const walk *w) {
  return fabs(w->x - st->s->t0);
}

static void record_root(search_state *st, double jd, int target) {
  double d = fabs(jd - st->s->t0);
  if (!st->out->found || d < st->best_dist) {
    st->out->found = true;
    st->out->jd = jd;
    st->out->target = target;
    st->best_dist = d;
  }
}

typedef struct target_fn_user {
  noc_angle_fn fn;
  void *user; /* borrowed from the search */
  double target;
} target_fn_user;

/* The angle's signed distance past one target, in (-180, 180]: continuous near the crossing. */
static noc_status past_target(void *user, double x, double *f, double *dfdx, noc_error *err) {
  const target_fn_user *u = user;
  double deg = 0.0;
  noc_status st = u->fn(u->user, x, &deg, dfdx, err);
  *f = noc_angle_diff(deg, u->target);
  return st;
}

/* A step went from w's point to (x1, deg1, rate1) passing the target; refine the crossing.
 * Returns false (and shortens the walk's steps) when the step was too long to tell. */
static noc_status refine_crossing(search_state *st, walk *w, int target, double x1, double deg1,
                                  double rate1, bool *refined, noc_error *err) {
  double t = st->s->targets[target];
  noc_root_point a = {w->x, noc_angle_diff(w->deg, t), w->rate};
  noc_root_point b = {x1, noc_angle_diff(deg1, t), rate1};
  /* Far from the target the normalised difference can wrap: such ends prove nothing. */
  if (fabs(a.f) >= 90.0 || fabs(b.f) >= 90.0 || (a.f < 0.0) == (b.f < 0.0)) {
    w->max_step = 0.5 * fabs(x1 - w->x);
    *refined = false;
    return NOC_OK;
  }
  target_fn_user u = {st->fn, st->user, t};
  double root = 0.0;
  int budget = st->s->max_evals - st->out->evals;
  noc_status rc = noc_find_root(past_target, &u, &a, &b, st->s->tol_days, budget > 1 ? budget : 1,
                                &root, &st->out->evals, err);
  if (rc != NOC_OK) return rc;
  record_root(st, root, target);
  *refined = true;
  return NOC_OK;
}

static noc_status eval_angle(search_state *st, double x, double *deg, double *rate,
                             noc_error *err) {
  st->out->evals++;
  noc_status rc = st->fn(st->user, x, deg, rate, err);
  if (rc == NOC_OK && (!isfinite(*deg) || !isfinite(*rate)))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "position search met a non-finite value");
  return rc;
}

/* Whether the walk stands on a crossing: the bound allows no step longer than the tolerance
 * (or the angle is exactly on a target). Records it. */
static bool at_crossing(search_state *st, walk *w) {
  const noc_crossing_search *s = st->s;
  double up, down;
  int up_t, down_t;
  target_gaps(s, w->deg, &up, &down, &up_t, &down_t);
  /* A gap below ANGLE_EPS is a crossing even where the angle stands still (the two ends of the
   * nodal axis are always in exact opposition). */
  if (fmin(up, down) <= ANGLE_EPS) {
    record_root(st, w->x, up <= down ? up_t : down_t);
    return true;
  }
  double r = w->dir * w->rate; /* rate of increase of the angle along the walk */
  double s_up = safe_span(up, r, st->accel), s_down = safe_span(down, -r, st->accel);
  double span = fmin(s_up, s_down);
  if (span > s->tol_days) return false;
  double jd = fmax(s->jd_min, fmin(s->jd_max, w->x + w->dir * span));
  record_root(st, jd, s_up <= s_down ? up_t : down_t);
  return true;
}

/* One step of a walk: as far as the bound allows, so that no target can be passed unseen, or the
 * crossing itself once that step has become shorter than the tolerance. */
static noc_status advance(search_state *st, walk *w, noc_error *err) {
  const noc_crossing_search *s = st->s;
  if (at_crossing(st, w)) {
    w->done = true;
    return NOC_OK;
  }
  double up, down;
  int up_t, down_t;
  target_gaps(s, w->deg, &up, &down, &up_t, &down_t);
  double r = w->dir * w->rate;
  double span =
      fmin(fmin(safe_span(up, r, st->accel), safe_span(down, -r, st->accel)), w->max_step);
  double room = w->dir > 0 ? s->jd_max - w->x : w->x - s->jd_min;
  if (st->out->found) room = fmin(room, st->best_dist - walk_dist(st, w));
  if (!(room > 0.0)) {
    w->done = true;
    return NOC_OK;
  }
  bool last = span >= room;
  if (last) span = room;
  double x1 = w->x + w->dir * span, deg1 = 0.0, rate1 = 0.0;
  noc_status rc = eval_angle(st, x1, &deg1, &rate1, err);
  if (rc != NOC_OK) return rc;
  /* A bound that the motion is seen to break is raised for the rest of the search (over short
   * steps the difference of rates is mostly the ephemeris' own noise). */
  double seen = fabs(rate1 - w->rate) / span;
  if (span >= ACCEL_SPAN_MIN && seen > st->accel) st->accel = 2.0 * seen;
  /* Unwrap the change of angle around what the mean rate predicts. */
  double predicted = 0.5 * (w->rate + rate1) * w->dir * span;
  double moved = predicted + noc_angle_diff(deg1 - w->deg, predicted);
  if (moved >= up || -moved >= down) {
    bool refined = false;
    rc = refine_crossing(st, w, moved >= up ? up_t : down_t, x1, deg1, rate1, &refined, err);
    if (rc != NOC_OK || refined) w->done = true;
    return rc;
  }
  w->x = x1;
  w->deg = deg1;
  w->rate = rate1;
  w->done = last;
  return NOC_OK;
}

static walk *next_walk(search_state *st, walk *w) {
  walk *pick = NULL;
  for (int i = 0; i < 2; i++) {
    if (w[i].done) continue;
    if (st->out->found && walk_dist(st, &w[i]) >= st->best_dist) {
      w[i].done = true;
      continue;
    }
    if (pick == NULL || walk_dist(st, &w[i]) < walk_dist(st, pick)) pick = &w[i];
  }
  return pick;
}

noc_status noc_find_nearest_crossing(noc_angle_fn fn, void *user, const noc_crossing_search *s,
                                     noc_crossing *out, noc_error *err) {
  *out = (noc_crossing){0};
  if (s->ntargets < 1 || s->ntargets > NOC_CROSSING_TARGETS_MAX || !(s->jd_min <= s->t0) ||
      !(s->t0 <= s->jd_max) || !(s->tol_days > 0.0) || !(s->accel_max >= 0.0))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "invalid crossing search");
  search_state st = {fn, user, s, s->accel_max, out, INFINITY};
  double deg = 0.0, rate = 0.0;
  noc_status rc = eval_angle(&st, s->t0, &deg, &rate, err);
  if (rc != NOC_OK) return rc;
  walk w[2] = {{+1, s->t0, deg, rate, INFINITY, s->t0 >= s->jd_max},
               {-1, s->t0, deg, rate, INFINITY, s->t0 <= s->jd_min}};
  if (w[0].done && w[1].done) { /* an empty window: only t0 itself can be the crossing */
    at_crossing(&st, &w[0]);
    return NOC_OK;
  }
  for (walk *cur = next_walk(&st, w); cur != NULL; cur = next_walk(&st, w)) {
    if (out->evals >= s->max_evals) {
      out->exhausted = true;
      break;
    }
    rc = advance(&st, cur, err);
    if (rc != NOC_OK) return rc;
  }
  return NOC_OK;
}
