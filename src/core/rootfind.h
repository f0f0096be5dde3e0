/* Root finding for the time searches of the core (aspect perfection, ingresses, returns, phases).
 * Internal to libnocturna; nothing here touches the ephemeris itself: callers pass a function. */
#ifndef NOC_CORE_ROOTFIND_H
#define NOC_CORE_ROOTFIND_H

#include <stdbool.h>

#include "nocturna/error.h"

/* ---- A root inside a bracket ---------------------------------------------------------------- */

/* f and its derivative at x. user is the caller's, passed through untouched. */
typedef noc_status (*noc_root_fn)(void *user, double x, double *f, double *dfdx, noc_error *err);

typedef struct noc_root_point {
  double x, f, dfdx;
} noc_root_point;

/* Root of f between a and b, whose f values must differ in sign (or one be 0): Newton steps from
 * the bracket end with the smaller |f|, falling back to bisection whenever a step would leave the
 * bracket or fails to halve it. Stops when the root is known to within tol (in x).
 * a and b are already evaluated (so a search that found the bracket pays nothing twice).
 * *evals (may be NULL) is increased by the number of calls to fn. Gives up with
 * NOC_ERR_INTERNAL after max_evals calls or when a and b do not bracket a root. */
noc_status noc_find_root(noc_root_fn fn, void *user, const noc_root_point *a,
                         const noc_root_point *b, double tol, int max_evals, double *root,
                         int *evals, noc_error *err);

/* ---- The nearest crossing of an angle -------------------------------------------------------- */

/* An angle on the circle (degrees, any range) and its rate (degrees per day) at jd. */
typedef noc_status (*noc_angle_fn)(void *user, double jd, double *deg, double *rate,
                                   noc_error *err);

enum { NOC_CROSSING_TARGETS_MAX = 8 };

typedef struct noc_crossing_search {
  double t0;             /* the crossing nearest to t0 is wanted */
  double jd_min, jd_max; /* the window searched; jd_min <= t0 <= jd_max. For "first crossing
                            after t0" pass jd_min = t0 */
  double targets[NOC_CROSSING_TARGETS_MAX]; /* degrees: the angle crossing any of these counts */
  int ntargets;                             /* 1..NOC_CROSSING_TARGETS_MAX */
  double accel_max; /* an upper bound of |d2(angle)/dt2| in the window, degrees/day^2;
                       too small a bound costs exactness of "nearest", never a wrong root */
  double tol_days;  /* accuracy of the returned instant */
  int max_evals;    /* budget of calls to the angle function */
} noc_crossing_search;

typedef struct noc_crossing {
  bool found;
  double jd;      /* when found */
  int target;     /* index into targets when found */
  int evals;      /* calls to the angle function made */
  bool exhausted; /* the search stopped on max_evals, not on the window */
} noc_crossing;

/* Finds the instant nearest to t0 in [jd_min, jd_max] at which the angle equals a target modulo
 * 360. The search walks out from t0 in both directions with steps that the curvature bound
 * accel_max proves cannot pass a target, so the first crossing reached is the nearest one, even
 * through stations and retrograde loops; near the crossing the steps shrink like Newton's.
 * Not finding one is not an error (out->found = false); errors of fn are returned as they are. */
noc_status noc_find_nearest_crossing(noc_angle_fn fn, void *user, const noc_crossing_search *s,
                                     noc_crossing *out, noc_error *err);

#endif
