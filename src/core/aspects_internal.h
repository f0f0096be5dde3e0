/* The exact-time search of aspects, shared with the event searches (not public). */
#ifndef NOC_CORE_ASPECTS_INTERNAL_H
#define NOC_CORE_ASPECTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rootfind.h"
#include "nocturna/aspects.h"
#include "nocturna/bodies.h"

/* Shared by natal and inter-chart (synastry) detection. d = lon_a - lon_b in (-180, 180], rel its
 * rate in degrees/day: whether |d| approaches `angle` now. */
bool noc_aspect_is_applying(double d, double rel, double angle);
/* The enabled aspect type with the smallest orb within its effective orb for separation sep
 * (0..180) of bodies a and b, or -1; fills the orb and the effective orb. */
int noc_aspect_closest_type(const noc_aspect_config *cfg, noc_body a, noc_body b, double sep,
                            double *orb_out, double *eff_out);

/* For each whole degree of separation, the types that can be within orb there: a superset, built
 * once per search from the configuration, so that a pair tries the one or two types near its
 * separation instead of all of them. */
typedef struct noc_aspect_sieve {
  uint32_t near[181]; /* bit t: type t's orb reaches into [degree, degree + 1) */
} noc_aspect_sieve;

void noc_aspect_sieve_init(noc_aspect_sieve *sieve, const noc_aspect_config *cfg);
/* noc_aspect_closest_type, same answer, through the sieve built from the same cfg. */
int noc_aspect_closest_type_sieved(const noc_aspect_sieve *sieve, const noc_aspect_config *cfg,
                                   noc_body a, noc_body b, double sep, double *orb_out,
                                   double *eff_out);

/* A body's longitude and speed at the search's start instant, when already known: a chart's
 * pairs share them, which saves two ephemeris calls per pair. */
typedef struct noc_lon_at {
  bool known;
  double lon, speed;
} noc_lon_at;

/* An upper bound of |d2(longitude)/dt2| of the body in degrees/day^2 under the options (the
 * curvature bound that lets the search step safely). */
double noc_body_accel_bound(noc_body body, const noc_calc_options *opt);

typedef struct noc_exact_query {
  noc_body a, b;           /* bodies, not angles */
  double angle;            /* the aspect's angle, 0..180: perfection at lon_a - lon_b = +-angle */
  double jd_ut;            /* search for the perfection nearest to this instant */
  double window_days;      /* within +- this many days */
  noc_lon_at *at_a, *at_b; /* optional (NULL), caller owned: filled on first use at jd_ut */
} noc_exact_query;

typedef struct noc_exact_result {
  bool found;
  double jd_ut;
  int lon_calls; /* noc_body_longitude calls made by this search */
} noc_exact_result;

/* The instant of perfection of an aspect between two bodies nearest to q->jd_ut. Not finding one
 * in the window is not an error; ephemeris errors are returned. */
noc_status noc_aspect_exact_time(noc_ctx *ctx, const noc_calc_options *opt,
                                 const noc_exact_query *q, noc_exact_result *out, noc_error *err);

#endif
