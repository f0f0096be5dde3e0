/* Aspects between chart points: at most one per pair (the closest within orb), applying or
 * separating from the real motion, and the exact instant of perfection by root finding. */
#ifndef NOCTURNA_ASPECTS_H
#define NOCTURNA_ASPECTS_H

#include <stdbool.h>

#include "nocturna/bodies.h"

typedef enum noc_aspect_type {
  NOC_ASP_CONJUNCTION = 0,
  NOC_ASP_OPPOSITION,
  NOC_ASP_TRINE,
  NOC_ASP_SQUARE,
  NOC_ASP_SEXTILE,
  NOC_ASP_QUINCUNX,
  NOC_ASP_SEMISEXTILE,
  NOC_ASP_SEMISQUARE,
  NOC_ASP_SESQUISQUARE,
  NOC_ASP_QUINTILE,
  NOC_ASP_BIQUINTILE,
  NOC_ASP_SEPTILE,
  NOC_ASP_BISEPTILE,
  NOC_ASP_TRISEPTILE,
  NOC_ASP_NOVILE,
  NOC_ASP_BINOVILE,
  NOC_ASP_QUADRINOVILE,
  NOC_ASP_COUNT
} noc_aspect_type;

typedef struct noc_aspect_def {
  const char *name;   /* "CONJUNCTION" */
  double angle;       /* exact angle in degrees (septiles are 360/7 multiples) */
  double default_orb; /* see aspects.c for where it differs from the older service */
  bool major;
} noc_aspect_def;

const noc_aspect_def *noc_aspect_def_get(noc_aspect_type type);
bool noc_aspect_from_name(const char *name, noc_aspect_type *out); /* case-insensitive */

typedef struct noc_aspect_config {
  bool enabled[NOC_ASP_COUNT];
  double orb[NOC_ASP_COUNT];       /* degrees, before the multiplier */
  double orb_multiplier;           /* default 1.0 */
  double body_orb[NOC_BODY_COUNT]; /* > 0: this body's orb replaces the aspect orb;
                                      a pair takes the larger of its two overrides */
  double exact_window_days;        /* search exact_time within +- this many days (30) */
} noc_aspect_config;

/* Major five enabled? No: all 17 enabled with their default orbs, multiplier 1, window 30. */
void noc_aspect_config_default(noc_aspect_config *cfg);

/* A point taking part in aspect detection. */
typedef struct noc_aspect_point {
  noc_body body;
  double longitude; /* degrees, zodiac of the chart */
  double speed;     /* degrees per day */
} noc_aspect_point;

typedef struct noc_aspect {
  int a, b; /* indices into the points array, a < b */
  noc_aspect_type type;
  double separation; /* actual angular distance 0..180 */
  double orb;        /* |separation - aspect angle| */
  bool applying;     /* the orb is shrinking at this instant */
  double strength;   /* 1 at exact, 0 at the edge of the orb */
  bool has_exact_time;
  double exact_jd_ut; /* UT1 JD of perfection when has_exact_time */
} noc_aspect;

/* Finds aspects among points[0..n). For pairs of bodies (not angles) the exact time is searched
 * with the bodies' real motion in +-cfg->exact_window_days of t. out has room for cap entries;
 * *count receives the number found (NOC_ERR_NOMEM if more than cap). */
noc_status noc_aspects_find(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                            const noc_aspect_point *points, int n, const noc_aspect_config *cfg,
                            noc_aspect *out, int cap, int *count, noc_error *err);

#endif
