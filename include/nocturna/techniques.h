/* Chart techniques: synastry, composite and Davison charts, transits, progressions, solar arc and
 * primary directions, returns. The calculations here take positions and instants; the endpoints
 * (src/api/ep_techniques*.c) read requests and write the shared response shapes.
 *
 * Conventions (the API documents the same in its responses):
 * - Years of life are tropical years of NOC_TROPICAL_YEAR_DAYS; lunar months are tropical months
 *   of NOC_TROPICAL_MONTH_DAYS. Ages are measured from the birth instant in UT.
 * - Progressed instants: secondary = a day for a year, tertiary = a day for a lunar month,
 *   minor = a lunar month for a year; converse progressions go back from birth by the same
 *   interval. The target date is never before birth: converse is an option, not a negative age.
 * - Solar arc = secondary-progressed Sun - natal Sun (ecliptic longitude, the real Sun, not a mean
 *   rate). Directed points are natal + arc (converse: natal - arc).
 * - Primary directions: Placidus semi-arc. See noc_pd_* below.
 * - Returns are crossings of the natal longitude in the chart's own zodiac (a sidereal chart has
 *   sidereal returns), found to NOC_RETURN_TOL_DAYS. */
#ifndef NOCTURNA_TECHNIQUES_H
#define NOCTURNA_TECHNIQUES_H

#include <stdbool.h>

#include "nocturna/aspects.h"
#include "nocturna/bodies.h"
#include "nocturna/houses.h"

/* Mean tropical year (J2000) and tropical month, in days. */
#define NOC_TROPICAL_YEAR_DAYS  365.242190
#define NOC_TROPICAL_MONTH_DAYS 27.321582
/* Keys of primary directions, degrees of right ascension per year of life. Naibod's key is the
 * Sun's mean daily motion (59'08.33"); Cardan's is 59'12". */
#define NOC_KEY_PTOLEMY 1.0
#define NOC_KEY_NAIBOD  (360.0 / NOC_TROPICAL_YEAR_DAYS)
#define NOC_KEY_CARDAN  (59.0 / 60.0 + 12.0 / 3600.0)

/* ---- Between two charts --------------------------------------------------------------------- */

/* Midpoint of two longitudes on the shorter arc, in [0, 360). When they are exactly opposite the
 * midpoint is taken 90 degrees after b (both midpoints are equally short). */
double noc_composite_midpoint(double a, double b);

/* Aspects between the points of two lists: every pair (i in a, j in b), at most one aspect per
 * pair (the closest within orb), orbs as in noc_aspects_find (body overrides, multiplier).
 * out[k].a indexes a and out[k].b indexes b. skip_same_body leaves out pairs of the same body
 * (a progressed or directed point to its own natal place).
 * Applying: the orb shrinks under the relative motion speed_a - speed_b, the two bodies moving
 * from their places at once. A point that does not move (a natal point under transits, an angle)
 * has speed 0. Between two natal charts nothing really moves, so this is a convention: the faster
 * body decides, as if it went on from its place towards (applying) or away from (separating) the
 * exact aspect. No exact times are searched (has_exact_time is false). */
noc_status noc_cross_aspects_find(const noc_aspect_point *a, int na, const noc_aspect_point *b,
                                  int nb, const noc_aspect_config *cfg, bool skip_same_body,
                                  noc_aspect *out, int cap, int *count, noc_error *err);

/* The synastry compatibility score.
 * Each inter-chart aspect weighs w = W(body1) * W(body2) * f(aspect) * (0.5 + 0.5 * strength),
 * with body weights W: Sun, Moon 3; Venus, Mars, ASC 2.5; Mercury, Jupiter, MC 2; Saturn 1.5;
 * Uranus, Neptune, Pluto, nodes 1; anything else 0.5; and f = 1 for major aspects, 0.5 for the
 * others. The weight counts as harmony for trines, sextiles, quintiles, biquintiles, noviles,
 * binoviles and semisextiles; as tension for squares, oppositions, quincunxes, semisquares,
 * sesquisquares and the septile family; a conjunction is harmony unless it joins Mars, Saturn,
 * Uranus, Neptune, Pluto or Lilith with one of the other chart's personal points, when it counts
 * half to each.
 *   score = 100 * (harmony + 10) / (harmony + tension + 20)
 * so that a handful of aspects cannot swing it to 0 or 100 (with no aspects it is 50).
 * The breakdown sums the same weights by category: luminaries (Sun/Moon to Sun/Moon), love
 * (Venus or Mars to Venus, Mars, Sun or Moon), mind (Mercury to anything), commitment (Saturn to
 * anything), angles (anything to ASC or MC), other. A pair is counted in the first category that
 * fits, in that order. */
typedef enum noc_compat_category {
  NOC_COMPAT_LUMINARIES = 0,
  NOC_COMPAT_LOVE,
  NOC_COMPAT_MIND,
  NOC_COMPAT_COMMITMENT,
  NOC_COMPAT_ANGLES,
  NOC_COMPAT_OTHER,
  NOC_COMPAT_COUNT
} noc_compat_category;

typedef struct noc_compat_part {
  double harmony, tension;
  int aspects;
} noc_compat_part;

typedef struct noc_compat {
  double score; /* 0..100 */
  double harmony, tension;
  noc_compat_part part[NOC_COMPAT_COUNT];
} noc_compat;

/* Per aspect (may be NULL): the part of its weight counted as harmony and the part counted as
 * tension (one of them 0, or half each for a split conjunction; both >= 0), and its category. */
typedef struct noc_compat_item {
  double harmony, tension;
  noc_compat_category category;
} noc_compat_item;

const char *noc_compat_category_name(noc_compat_category c);
void noc_compat_score(const noc_aspect_point *a, const noc_aspect_point *b, const noc_aspect *asp,
                      int n, noc_compat *out, noc_compat_item *items);

/* ---- A moving body to a fixed place ---------------------------------------------------------- */

/* The instant nearest to jd_ut, within [jd_min, jd_max], at which the body's longitude equals one
 * of targets (degrees; 1..8 of them). A transit to a natal point, a progressed body perfecting an
 * aspect to a natal point, a return. at_t0 (may be NULL) is {longitude, speed} at jd_ut when the
 * caller already has them. *found is false when there is none in the window. The instant is
 * exact to tol_days. */
noc_status noc_body_reaches(noc_ctx *ctx, const noc_calc_options *opt, noc_body body,
                            const double *targets, int ntargets, double jd_ut, const double *at_t0,
                            double jd_min, double jd_max, double tol_days, bool *found,
                            double *jd_out, noc_error *err);

/* The JD UT range the installed ephemeris covers for the body, with a day to spare. */
void noc_body_search_span(noc_body body, double *jd_min, double *jd_max);

/* ---- Composite ------------------------------------------------------------------------------- */

/* Houses from a sidereal angle (ARMC) at a latitude, with the obliquity given (ayanamsa: the value
 * in degrees to subtract for a sidereal chart, else 0; sun_dec: the Sun's declination, which only
 * the Sunshine systems use). Polar fallback as noc_houses_calc. Used for composite houses,
 * progressed and directed angles. */
noc_status noc_houses_from_armc(double armc, double latitude, double eps, double ayanamsa,
                                double sun_dec, const noc_house_system *system, bool strict,
                                noc_houses *out, noc_error *err);

/* Whether the system needs the Sun's declination (Sunshine). */
bool noc_house_system_uses_sun(const noc_house_system *system);

/* The ARMC (right ascension of the MC) of a tropical MC longitude. */
double noc_armc_of_mc(double mc, double eps);

/* Ecliptic (tropical, of date) to equatorial, degrees. */
void noc_ecl_to_equ(double lon, double lat, double eps, double *ra, double *dec);

/* ---- Progressions ---------------------------------------------------------------------------- */

typedef enum noc_progression {
  NOC_PROG_SECONDARY = 0,
  NOC_PROG_TERTIARY,
  NOC_PROG_MINOR
} noc_progression;

/* Progressed days per day of life: 1/year, 1/month, month/year. */
double noc_progression_rate(noc_progression type);
/* The progressed instant for a real instant (both JD UT); converse goes back from birth. */
double noc_progressed_jd(noc_progression type, double natal_jd, double real_jd, bool converse);
/* The real instant at which the progressed chart stands at progressed_jd (inverse of the above). */
double noc_progression_real_jd(noc_progression type, double natal_jd, double progressed_jd,
                               bool converse);

/* The arc the Sun travelled from longitude sun0 to sun1 in `days` days (negative for days < 0),
 * unwrapped around its mean motion: exact at any age, past 360 degrees too. */
double noc_sun_travel(double sun0, double sun1, double days);

/* Solar arc at a real instant (not before birth): Sun(progressed) - Sun(natal), unwrapped (the
 * secondary-progressed Sun never goes backwards). The Sun in opt's zodiac. */
noc_status noc_solar_arc(noc_ctx *ctx, const noc_calc_options *opt, double natal_jd, double real_jd,
                         double *arc, noc_error *err);
/* The real instants at which the solar arc reaches each of arcs[0..n) (degrees, >= 0) within
 * [jd_min, jd_max] (real JD UT); out[i] is NaN where it does not. */
noc_status noc_solar_arc_times(noc_ctx *ctx, const noc_calc_options *opt, double natal_jd,
                               const double *arcs, int n, double jd_min, double jd_max, double *out,
                               noc_error *err);

/* ---- Primary directions (Placidus semi-arc) --------------------------------------------------- *
 * A point's mundane position m is where it stands in the daily rotation, measured in quarters of
 * its own semi-arcs: 0 rising (ASC), 90 culminating (MC), 180 setting, 270 lower culmination,
 * growing with the diurnal motion (Placidian house position = 1 - m/30 hours, modulo 12).
 * A direction is the rotation of the sphere, in degrees of right ascension, that carries the
 * moving point to a target mundane position:
 * - direct: the promissor (or its aspect point) moves to the significator's position;
 * - converse: the significator moves, by the same diurnal motion, to the promissor's position
 *   (the traditional converse; the sphere never turns backwards).
 * In zodiaco the promissor's aspect points are on the ecliptic (latitude 0) at promissor +- the
 * aspect's angle; in mundo the aspects are taken in mundane position (a square is one semi-arc,
 * a trine four thirds). Arcs are converted to years of life with a key (degrees per year). */

typedef enum noc_pd_mode { NOC_PD_ZODIACO = 0, NOC_PD_MUNDO } noc_pd_mode;

typedef struct noc_pd_sphere {
  double armc;     /* right ascension of the MC, degrees */
  double latitude; /* geographic latitude, degrees */
  double eps;      /* true obliquity, degrees */
} noc_pd_sphere;

typedef struct noc_pd_point {
  noc_body body;   /* an angle (ASC, MC, DESC, IC) sits at its exact mundane position */
  double lon, lat; /* tropical ecliptic of date, degrees */
  double ra, dec;  /* equatorial of date, degrees */
} noc_pd_point;

/* Mundane position of a point with right ascension ra and declination dec; false when the point
 * never rises or never sets at that latitude (no semi-arc). */
bool noc_pd_mundane_position(const noc_pd_sphere *s, double ra, double dec, double *m);
/* The rotation in [0, 360) that brings the point (ra, dec) to mundane position m; false for a
 * circumpolar point. */
bool noc_pd_arc_to(const noc_pd_sphere *s, double ra, double dec, double m, double *arc);

typedef struct noc_pd_direction {
  int promissor, significator; /* indices into the caller's arrays */
  noc_aspect_type aspect;
  int side; /* +1 sinister (in the order of signs), -1 dexter, 0 conj/opp */
  bool converse;
  double arc; /* degrees of right ascension, [0, 360) */
} noc_pd_direction;

/* Every direction of the promissors to the significators by the aspects, with arcs in
 * [min_arc, max_arc]. Pairs of the same body are left out. Pairs with a circumpolar point are
 * counted in *skipped. out has room for cap; more is NOC_ERR_NOMEM with *count the total. */
noc_status noc_pd_directions(const noc_pd_sphere *s, const noc_pd_point *prom, int nprom,
                             const noc_pd_point *sig, int nsig, const noc_aspect_type *aspects,
                             int naspects, noc_pd_mode mode, bool converse, double min_arc,
                             double max_arc, noc_pd_direction *out, int cap, int *count,
                             int *skipped, noc_error *err);

/* ---- Returns --------------------------------------------------------------------------------- */

#define NOC_RETURN_TOL_DAYS 1e-7 /* 8.6 ms */

typedef struct noc_return {
  double jd_ut;
  bool retrograde; /* the body was retrograde at the return (planetary returns) */
} noc_return;

/* The return nearest to jd_ut among those after after_jd (the birth, or a moment after it so that
 * the natal instant itself is not its own return): the body back at longitude natal_lon.
 * *found is false when the ephemeris ends first. */
noc_status noc_return_nearest(noc_ctx *ctx, const noc_calc_options *opt, noc_body body,
                              double natal_lon, double jd_ut, double after_jd, bool *found,
                              noc_return *out, noc_error *err);
/* All returns in [jd_start, jd_end], in order. More than cap is NOC_ERR_VALIDATION on "end_date"
 * with *count = cap + 1. */
noc_status noc_returns_between(noc_ctx *ctx, const noc_calc_options *opt, noc_body body,
                               double natal_lon, double jd_start, double jd_end, noc_return *out,
                               int cap, int *count, noc_error *err);

#endif
