/* Bodies and chart points, and the options a position is computed with. */
#ifndef NOCTURNA_BODIES_H
#define NOCTURNA_BODIES_H

#include <stdbool.h>

#include "nocturna/time.h"

typedef enum noc_body {
  NOC_SUN = 0,
  NOC_MOON,
  NOC_MERCURY,
  NOC_VENUS,
  NOC_MARS,
  NOC_JUPITER,
  NOC_SATURN,
  NOC_URANUS,
  NOC_NEPTUNE,
  NOC_PLUTO,
  NOC_MEAN_NODE,
  NOC_TRUE_NODE,
  NOC_MEAN_SOUTH_NODE,
  NOC_TRUE_SOUTH_NODE,
  NOC_MEAN_LILITH,
  NOC_OSCU_LILITH,
  NOC_INTP_LILITH,
  NOC_CHIRON,
  NOC_PHOLUS,
  NOC_CERES,
  NOC_PALLAS,
  NOC_JUNO,
  NOC_VESTA,
  /* points that need a location (computed from the houses) */
  NOC_ASC,
  NOC_MC,
  NOC_DESC,
  NOC_IC,
  NOC_VERTEX,
  NOC_BODY_COUNT
} noc_body;

/* Canonical API name ("SUN", "NORTH_NODE", ...). */
const char *noc_body_name(noc_body body);
/* Accepts canonical names and aliases (MEAN_NODE, MEAN_LILITH), case-insensitive.
 * Returns false for an unknown name. */
bool noc_body_from_name(const char *name, noc_body *out);
bool noc_body_is_angle(noc_body body);
/* Bodies that Swiss Ephemeris restricts to a date range (Chiron, Pholus): the range in JD UT.
 * Returns false when the body has no such limit. */
bool noc_body_jd_range(noc_body body, double *jd_min, double *jd_max);

typedef enum noc_zodiac { NOC_TROPICAL = 0, NOC_SIDEREAL } noc_zodiac;
typedef enum noc_center { NOC_GEOCENTRIC = 0, NOC_TOPOCENTRIC, NOC_HELIOCENTRIC } noc_center;
typedef enum noc_ephemeris { NOC_EPHE_SWISS = 0, NOC_EPHE_MOSHIER } noc_ephemeris;

enum { NOC_AYANAMSA_USER = 255 };

typedef struct noc_calc_options {
  noc_zodiac zodiac;
  int ayanamsa;         /* Swiss Ephemeris SE_SIDM_* or NOC_AYANAMSA_USER */
  double user_t0_jd_tt; /* NOC_AYANAMSA_USER: epoch (TT) */
  double user_ayan_t0;  /* NOC_AYANAMSA_USER: value at epoch, degrees */
  noc_center center;
  bool true_positions;                    /* geometric instead of apparent */
  noc_ephemeris ephemeris;                /* Moshier only when explicitly asked */
  double latitude, longitude, altitude_m; /* observer, used for topocentric */
} noc_calc_options;

void noc_calc_options_default(noc_calc_options *opt);

/* Ayanamsa names are Swiss Ephemeris' SE_SIDM_* names without the prefix ("LAHIRI"). */
bool noc_ayanamsa_from_name(const char *name, int *out);
const char *noc_ayanamsa_name(int ayanamsa);
int noc_ayanamsa_count(void);

typedef struct noc_position {
  double longitude, latitude, distance;                   /* ecliptic, degrees and AU */
  double speed_longitude, speed_latitude, speed_distance; /* per day */
  double right_ascension, declination;                    /* equatorial, degrees */
  double speed_right_ascension, speed_declination;
} noc_position;

/* One body (not an angle) at one instant. Fails with NOC_ERR_RANGE (field "planets") when the
 * body is outside its ephemeris range, NOC_ERR_EPHEMERIS when Swiss Ephemeris would have
 * fallen back to Moshier without being asked. */
noc_status noc_body_position(noc_ctx *ctx, const noc_time *t, noc_body body,
                             const noc_calc_options *opt, noc_position *out, noc_error *err);

/* Ecliptic longitude only (with speed), the fast path of event search and root finding. */
noc_status noc_body_longitude(noc_ctx *ctx, double jd_ut, noc_body body,
                              const noc_calc_options *opt, double *lon, double *speed,
                              noc_error *err);

/* Ayanamsa in degrees used at that instant (0 for tropical): the true value (with nutation), which
 * is what sidereal positions subtract, and the mean value that published definitions quote. */
noc_status noc_ayanamsa_value(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                              double *out, noc_error *err);
noc_status noc_ayanamsa_mean_value(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                                   double *out, noc_error *err);

/* True obliquity of the ecliptic at the instant, degrees. */
noc_status noc_true_obliquity(noc_ctx *ctx, const noc_time *t, double *out, noc_error *err);

#endif
