/* Derived chart points and traditional techniques: special points, antiscia, declinations,
 * harmonics, midpoints, fixed stars, lots (Arabic parts), essential dignities, aspect patterns
 * and chart-shape distributions. Pure functions of positions unless they take a noc_ctx. */
#ifndef NOCTURNA_POINTS_H
#define NOCTURNA_POINTS_H

#include <stdbool.h>
#include <stddef.h>

#include "nocturna/aspects.h"
#include "nocturna/bodies.h"

/* ---- Geometry of single points (points.c) -------------------------------------------------- */

/* A diurnal chart: the Sun above the horizon, i.e. its longitude in the half of the ecliptic
 * from the descendant through the MC to the ascendant (houses 7-12). */
bool noc_is_day_chart(double sun_lon, double asc_lon);

/* Mirror over the 0 Cancer / 0 Capricorn axis (the solstices): 10 Aries -> 20 Virgo. */
double noc_antiscion(double lon);
/* Mirror over the 0 Aries / 0 Libra axis (the equinoxes): the antiscion's opposite point. */
double noc_contra_antiscion(double lon);

/* The longitude in the h-th harmonic chart: lon * h, reduced to [0, 360). */
double noc_harmonic_longitude(double lon, int harmonic);

/* Midpoint on the shorter arc between a and b (for exact oppositions, a + 90). */
double noc_midpoint(double a, double b);

/* Declination and right ascension of an ecliptic point (lon, lat) under obliquity eps. */
double noc_ecliptic_declination(double lon, double lat, double eps);
double noc_ecliptic_right_ascension(double lon, double lat, double eps);

/* A declination beyond the Sun's greatest (the obliquity) is "out of bounds". */
bool noc_out_of_bounds(double declination, double eps);

typedef enum noc_parallel_kind {
  NOC_PARALLEL_NONE = 0,
  NOC_PARALLEL,      /* equal declinations: |d1 - d2| <= orb */
  NOC_CONTRAPARALLEL /* mirrored over the equator: |d1 + d2| <= orb */
} noc_parallel_kind;

/* Near the equator a pair can satisfy both tests; the closer one wins. *orb_out gets its orb. */
noc_parallel_kind noc_parallel_of(double d1, double d2, double orb, double *orb_out);

/* Points that Swiss Ephemeris computes but that are not chart bodies of noc_body. */
typedef enum noc_special_body {
  NOC_SP_MEAN_PERIGEE = 0, /* mean lunar perigee (Priapus): mean apogee + 180 */
  NOC_SP_INTP_PERIGEE,     /* interpolated perigee: not opposite the interpolated apogee */
  NOC_SP_WHITE_MOON,       /* Selena, the White Moon of the Russian school (period 7 years) */
  NOC_SP_WALDEMATH,        /* Waldemath's hypothetical second moon ("Dark Moon") */
  NOC_SP_COUNT
} noc_special_body;

/* Position of a special body, with equatorial coordinates by the true obliquity like
 * noc_body_position. */
noc_status noc_special_body_position(noc_ctx *ctx, const noc_time *t, noc_special_body which,
                                     const noc_calc_options *opt, noc_position *out,
                                     noc_error *err);

/* The last new or full Moon before t (the prenatal syzygy). */
typedef struct noc_syzygy {
  double jd_ut;
  bool new_moon;   /* false: full Moon */
  double moon_lon; /* the Moon's longitude at the syzygy (its degree, by either kind) */
  double sun_lon;
} noc_syzygy;

noc_status noc_prenatal_syzygy(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                               noc_syzygy *out, noc_error *err);

/* ---- Fixed stars (stars.c) ----------------------------------------------------------------- */

enum {
  NOC_STAR_NAME_MAX = 48,
  NOC_STAR_DESIG_MAX = 24,
  NOC_STAR_SEARCH_MAX = NOC_STAR_DESIG_MAX + 2,
  NOC_STAR_DEFAULT_COUNT = 16
};

typedef struct noc_star {
  char name[NOC_STAR_NAME_MAX];         /* traditional name, "" for a star without one */
  char designation[NOC_STAR_DESIG_MAX]; /* Bayer/Flamsteed as in sefstars.txt: "alLeo" */
  double magnitude;                     /* visual */
  noc_position pos;                     /* apparent, zodiac of the options */
} noc_star;

/* The older service's default list of 16 stars, by Swiss Ephemeris name. */
const char *noc_star_default_name(int index);

/* Finds a star of Swiss Ephemeris' catalogue (sefstars.txt) by its traditional name
 * ("Regulus", case-insensitive), its designation ("alLeo" or ",alLeo"), or a Bayer or Flamsteed
 * name spelled out ("alpha Leonis", "theta Persei", "gamma1 Andromedae", "109 Virginis") and
 * computes its position. An unknown star is NOC_ERR_VALIDATION on `field`. */
noc_status noc_star_calc(noc_ctx *ctx, const noc_time *t, const char *name,
                         const noc_calc_options *opt, noc_star *out, noc_error *err,
                         const char *field);

/* Catalogue entries (one per star: alternative names of the same star are skipped) whose
 * magnitude is at most max_mag, brightest first. Reference points of the catalogue without a
 * magnitude (galactic poles, test entries: 0.0 or 999.99 in the file) never qualify.
 * names receives search names (",alLeo") for noc_star_calc; *count the number stored (at most
 * cap) and *total the number that qualified. */
noc_status noc_stars_brighter(noc_ctx *ctx, double max_mag, char (*names)[NOC_STAR_SEARCH_MAX],
                              int cap, int *count, int *total, noc_error *err);

/* ---- Essential dignities (dignities.c) ----------------------------------------------------- */

typedef enum noc_rulers { NOC_RULERS_TRADITIONAL = 0, NOC_RULERS_MODERN } noc_rulers;
typedef enum noc_triplicity {
  NOC_TRIP_DOROTHEAN = 0,
  NOC_TRIP_PTOLEMAIC,
  NOC_TRIP_LILLY
} noc_triplicity;
typedef enum noc_terms { NOC_TERMS_EGYPTIAN = 0, NOC_TERMS_PTOLEMAIC } noc_terms;

/* The scores of William Lilly's table of essential dignities (Christian Astrology, 1647). */
enum {
  NOC_SCORE_RULERSHIP = 5,
  NOC_SCORE_EXALTATION = 4,
  NOC_SCORE_TRIPLICITY = 3,
  NOC_SCORE_TERM = 2,
  NOC_SCORE_FACE = 1,
  NOC_SCORE_DETRIMENT = -5,
  NOC_SCORE_FALL = -4,
  NOC_SCORE_PEREGRINE = -5
};

/* -1 (as noc_body) when there is none. */
noc_body noc_sign_ruler(int sign, noc_rulers rulers);
noc_body noc_exaltation_ruler(int sign);
/* Degree of exaltation within its sign (Sun 19 Aries, ...), -1 when the planet has none. */
int noc_exaltation_degree(noc_body planet, int *sign);
noc_body noc_term_ruler(double lon, noc_terms terms);
noc_body noc_face_ruler(double lon); /* Chaldean decans */
/* Triplicity rulers of a sign: day, night and participating (participating is -1 in Lilly's). */
void noc_triplicity_rulers(int sign, noc_triplicity system, noc_body out[3]);

typedef struct noc_dignity_options {
  noc_rulers rulers;
  noc_triplicity triplicity;
  noc_terms terms;
} noc_dignity_options;

typedef struct noc_dignity {
  noc_body planet;
  int sign;
  int rulership, exaltation, triplicity, term, face; /* 0 or the positive score */
  int detriment, fall;                               /* 0 or the negative score */
  int peregrine;                                     /* 0 or NOC_SCORE_PEREGRINE */
  int total;
  noc_body ruler, exaltation_ruler, term_ruler, face_ruler;
  noc_body triplicity_rulers[3]; /* day, night, participating */
} noc_dignity;

/* Essential dignity of planet at lon in a day or night chart. */
void noc_dignity_of(noc_body planet, double lon, bool day, const noc_dignity_options *opt,
                    noc_dignity *out);

/* Points a planet has at a degree (rulership 5, exaltation 4, triplicity by sect 3, term 2,
 * face 1): the weight behind almutens. */
int noc_dignity_points_at(noc_body planet, double lon, bool day, const noc_dignity_options *opt);

typedef enum noc_reception_kind {
  NOC_RECEPTION_DOMICILE = 0,
  NOC_RECEPTION_EXALTATION,
  NOC_RECEPTION_MIXED
} noc_reception_kind;

/* Mutual reception of a and b at these longitudes: true and *kind when there is one. A mixed
 * reception is one in the other's domicile and the other in the first's exaltation. */
bool noc_mutual_reception(noc_body a, double lon_a, noc_body b, double lon_b, noc_rulers rulers,
                          noc_reception_kind *kind);

/* ---- Lots / Arabic parts (parts.c) --------------------------------------------------------- */

typedef struct noc_part_def noc_part_def; /* opaque */

int noc_part_count(void);
const noc_part_def *noc_part_at(int index);
/* By name or alias, case-insensitive ("FORTUNA", "fortune"). NULL when unknown. */
const noc_part_def *noc_part_find(const char *name);
const char *noc_part_name(const noc_part_def *def);
const char *noc_part_source(const noc_part_def *def);
bool noc_part_reverses(const noc_part_def *def);     /* a different formula by night */
bool noc_part_needs_houses(const noc_part_def *def); /* uses cusps beyond the ASC */

/* What a lot is computed from. Longitudes in the chart's zodiac. */
typedef struct noc_part_chart {
  double lon[NOC_BODY_COUNT]; /* bodies Sun..Saturn at least */
  double asc, mc;
  double cusps[12]; /* cusps[0] = house 1; used by lots of houses */
  bool has_cusps;
  bool day;
} noc_part_chart;

enum { NOC_PART_FORMULA_MAX = 112 };

typedef struct noc_part_value {
  double longitude;
  bool night_formula;                 /* the night formula was used */
  char formula[NOC_PART_FORMULA_MAX]; /* the one used: "ASC + MOON - SUN" */
  char day_formula[NOC_PART_FORMULA_MAX];
  char night_formula_text[NOC_PART_FORMULA_MAX];
} noc_part_value;

void noc_part_calc(const noc_part_def *def, const noc_part_chart *chart, noc_part_value *out);

/* ---- Aspect patterns and chart shape (patterns.c) ------------------------------------------ */

typedef enum noc_pattern_type {
  NOC_PAT_GRAND_TRINE = 0,
  NOC_PAT_T_SQUARE,
  NOC_PAT_GRAND_CROSS,
  NOC_PAT_YOD,
  NOC_PAT_KITE,
  NOC_PAT_MYSTIC_RECTANGLE,
  NOC_PAT_STELLIUM,
  NOC_PAT_COUNT
} noc_pattern_type;

const char *noc_pattern_name(noc_pattern_type type);

enum { NOC_PATTERN_MAX_MEMBERS = NOC_BODY_COUNT };

typedef struct noc_pattern {
  noc_pattern_type type;
  int members[NOC_PATTERN_MAX_MEMBERS]; /* indices into the points, in a meaningful order */
  int count;
  int apex;       /* index of the focal point (T-square, yod, kite), else -1 */
  double max_orb; /* the widest orb among the pattern's aspects */
  int sign;       /* stellium in a sign: 0..11; -1 otherwise */
  int house;      /* stellium in a house: 1..; 0 otherwise */
} noc_pattern;

typedef struct noc_pattern_config {
  double orb[NOC_ASP_COUNT]; /* orbs of the aspects patterns use (others unused) */
  double orb_multiplier;
  int stellium_min; /* bodies in one sign or house; default 3 */
} noc_pattern_config;

void noc_pattern_config_default(noc_pattern_config *cfg);

typedef struct noc_pattern_point {
  noc_body body;
  int house; /* 0 when unknown */
  double longitude;
} noc_pattern_point;

/* Patterns among points[0..n) (n <= NOC_BODY_COUNT). A T-square that is part of a grand cross
 * is reported only as the grand cross, a grand trine that is part of a kite also as itself.
 * NOC_ERR_NOMEM when more than cap were found (*count has the total). */
noc_status noc_patterns_find(const noc_pattern_point *points, int n, const noc_pattern_config *cfg,
                             noc_pattern *out, int cap, int *count, noc_error *err);

/* Jones' whole-chart shapes from the empty arcs (gaps) between the points, in this order:
 * BUNDLE all within 120 degrees; BOWL all within 180; BUCKET all but one within 180, that one
 * (the handle) with 60 degrees clear on each side; SEESAW exactly two gaps of 60 or more;
 * LOCOMOTIVE all within 240; SPLAY three or more gaps of 60 or more; SPLASH otherwise. */
typedef enum noc_jones_shape {
  NOC_SHAPE_BUNDLE = 0,
  NOC_SHAPE_BOWL,
  NOC_SHAPE_BUCKET,
  NOC_SHAPE_LOCOMOTIVE,
  NOC_SHAPE_SEESAW,
  NOC_SHAPE_SPLASH,
  NOC_SHAPE_SPLAY
} noc_jones_shape;

const char *noc_jones_shape_name(noc_jones_shape shape);

typedef struct noc_shape_info {
  noc_jones_shape shape;
  double occupied_arc; /* 360 - the largest empty arc */
  double largest_gap, second_gap;
  int handle;  /* bucket: index of the handle point, else -1 */
  int leading; /* index of the leading point (first clockwise after the gap), -1 */
} noc_shape_info;

/* Needs n >= 3 points. */
void noc_jones_shape_of(const double *lon, int n, noc_shape_info *out);

/* Element (0 fire, 1 earth, 2 air, 3 water) and modality (0 cardinal, 1 fixed, 2 mutable). */
int noc_sign_element(int sign);
int noc_sign_modality(int sign);
const char *noc_element_name(int element);
const char *noc_modality_name(int modality);

#endif
