/* Bodies: names, Swiss Ephemeris numbers and positions. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include <swephexp.h>

#include "core/bodies_internal.h"
#include "core/context_internal.h"
#include "nocturna/bodies.h"
#include "nocturna/zodiac.h"

typedef struct body_info {
  const char *name;
  const char *alias; /* second accepted spelling, or NULL */
  int se;            /* Swiss Ephemeris body; -1 for chart angles */
  bool opposite;     /* the point opposite `se` (south nodes) */
} body_info;

static const body_info bodies[NOC_BODY_COUNT] = {
    [NOC_SUN] = {"SUN", NULL, SE_SUN, false},
    [NOC_MOON] = {"MOON", NULL, SE_MOON, false},
    [NOC_MERCURY] = {"MERCURY", NULL, SE_MERCURY, false},
    [NOC_VENUS] = {"VENUS", NULL, SE_VENUS, false},
    [NOC_MARS] = {"MARS", NULL, SE_MARS, false},
    [NOC_JUPITER] = {"JUPITER", NULL, SE_JUPITER, false},
    [NOC_SATURN] = {"SATURN", NULL, SE_SATURN, false},
    [NOC_URANUS] = {"URANUS", NULL, SE_URANUS, false},
    [NOC_NEPTUNE] = {"NEPTUNE", NULL, SE_NEPTUNE, false},
    [NOC_PLUTO] = {"PLUTO", NULL, SE_PLUTO, false},
    [NOC_MEAN_NODE] = {"NORTH_NODE", "MEAN_NODE", SE_MEAN_NODE, false},
    [NOC_TRUE_NODE] = {"TRUE_NODE", "TRUE_NORTH_NODE", SE_TRUE_NODE, false},
    [NOC_MEAN_SOUTH_NODE] = {"SOUTH_NODE", "MEAN_SOUTH_NODE", SE_MEAN_NODE, true},
    [NOC_TRUE_SOUTH_NODE] = {"TRUE_SOUTH_NODE", NULL, SE_TRUE_NODE, true},
    [NOC_MEAN_LILITH] = {"LILITH", "MEAN_LILITH", SE_MEAN_APOG, false},
    [NOC_OSCU_LILITH] = {"LILITH_TRUE", "OSCULATING_LILITH", SE_OSCU_APOG, false},
    [NOC_INTP_LILITH] = {"LILITH_INTERPOLATED", NULL, SE_INTP_APOG, false},
    [NOC_CHIRON] = {"CHIRON", NULL, SE_CHIRON, false},
    [NOC_PHOLUS] = {"PHOLUS", NULL, SE_PHOLUS, false},
    [NOC_CERES] = {"CERES", NULL, SE_CERES, false},
    [NOC_PALLAS] = {"PALLAS", NULL, SE_PALLAS, false},
    [NOC_JUNO] = {"JUNO", NULL, SE_JUNO, false},
    [NOC_VESTA] = {"VESTA", NULL, SE_VESTA, false},
    [NOC_ASC] = {"ASC", "ASCENDANT", -1, false},
    [NOC_MC] = {"MC", "MIDHEAVEN", -1, false},
    [NOC_DESC] = {"DESC", "DESCENDANT", -1, false},
    [NOC_IC] = {"IC", NULL, -1, false},
    [NOC_VERTEX] = {"VERTEX", NULL, -1, false},
};

const char *noc_body_name(noc_body body) {
  return body >= 0 && body < NOC_BODY_COUNT ? bodies[body].name : "UNKNOWN";
}

bool noc_body_from_name(const char *name, noc_body *out) {
  for (int i = 0; i < NOC_BODY_COUNT; i++) {
    if (strcasecmp(name, bodies[i].name) == 0 ||
        (bodies[i].alias && strcasecmp(name, bodies[i].alias) == 0)) {
      *out = (noc_body)i;
      return true;
    }
  }
  return false;
}

bool noc_body_is_angle(noc_body body) {
  return body >= NOC_ASC && body < NOC_BODY_COUNT;
}

bool noc_body_jd_range(noc_body body, double *jd_min, double *jd_max) {
  /* Swiss Ephemeris restricts these centaurs to the span of their numerical integration. */
  if (body == NOC_CHIRON) {
    *jd_min = 1967601.5; /* 675 CE */
    *jd_max = 3419437.5; /* 4650 CE */
    return true;
  }
  if (body == NOC_PHOLUS) {
    *jd_min = 640648.5;  /* 2958 BCE */
    *jd_max = 4390617.5; /* 7309 CE */
    return true;
  }
  return false;
}

void noc_calc_options_default(noc_calc_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->zodiac = NOC_TROPICAL;
  opt->ayanamsa = SE_SIDM_LAHIRI;
  opt->center = NOC_GEOCENTRIC;
  opt->ephemeris = NOC_EPHE_SWISS;
}

/* Stable API names of Swiss Ephemeris' predefined ayanamsas, indexed by SE_SIDM_*. */
/* clang-format off */
static const char *const ayanamsa_names[SE_NSIDM_PREDEF] = {
    "FAGAN_BRADLEY", "LAHIRI", "DELUCE", "RAMAN", "USHASHASHI", "KRISHNAMURTI", "DJWHAL_KHUL",
    "YUKTESHWAR", "JN_BHASIN", "BABYL_KUGLER1", "BABYL_KUGLER2", "BABYL_KUGLER3", "BABYL_HUBER",
    "BABYL_ETPSC", "ALDEBARAN_15TAU", "HIPPARCHOS", "SASSANIAN", "GALCENT_0SAG", "J2000", "J1900",
    "B1950", "SURYASIDDHANTA", "SURYASIDDHANTA_MSUN", "ARYABHATA", "ARYABHATA_MSUN", "SS_REVATI",
    "SS_CITRA", "TRUE_CITRA", "TRUE_REVATI", "TRUE_PUSHYA", "GALCENT_RGILBRAND", "GALEQU_IAU1958",
    "GALEQU_TRUE", "GALEQU_MULA", "GALALIGN_MARDYKS", "TRUE_MULA", "GALCENT_MULA_WILHELM",
    "ARYABHATA_522", "BABYL_BRITTON", "TRUE_SHEORAN", "GALCENT_COCHRANE", "GALEQU_FIORENZA",
    "VALENS_MOON", "LAHIRI_1940", "LAHIRI_VP285", "KRISHNAMURTI_VP291", "LAHIRI_ICRC",
};
/* clang-format on */

bool noc_ayanamsa_from_name(const char *name, int *out) {
  for (int i = 0; i < SE_NSIDM_PREDEF; i++) {
    if (strcasecmp(name, ayanamsa_names[i]) == 0) {
      *out = i;
      return true;
    }
  }
  if (strcasecmp(name, "USER") == 0) {
    *out = NOC_AYANAMSA_USER;
    return true;
  }
  return false;
}

const char *noc_ayanamsa_name(int ayanamsa) {
  if (ayanamsa == NOC_AYANAMSA_USER) return "USER";
  return ayanamsa >= 0 && ayanamsa < SE_NSIDM_PREDEF ? ayanamsa_names[ayanamsa] : "UNKNOWN";
}

int noc_ayanamsa_count(void) {
  return SE_NSIDM_PREDEF;
}

static noc_status range_error(noc_body body, noc_error *err) {
  double lo, hi;
  if (noc_body_jd_range(body, &lo, &hi)) {
    int y0, m0, d0, y1, m1, d1;
    double h;
    swe_revjul(lo, SE_GREG_CAL, &y0, &m0, &d0, &h);
    swe_revjul(hi, SE_GREG_CAL, &y1, &m1, &d1, &h);
    return noc_fail(err, NOC_ERR_RANGE, "planets",
                    "%s is only available from %04d-%02d-%02d to %04d-%02d-%02d", bodies[body].name,
                    y0, m0, d0, y1, m1, d1);
  }
  return noc_fail(err, NOC_ERR_RANGE, "planets", "%s is not available at this date",
                  bodies[body].name);
}

/* One Swiss Ephemeris call with the checks every call needs. */
static noc_status swe_checked(noc_ctx *ctx, double jd_ut, noc_body body, int flags,
                              const noc_calc_options *opt, double xx[6], noc_error *err) {
  double lo, hi;
  if (noc_body_jd_range(body, &lo, &hi) && (jd_ut < lo || jd_ut > hi))
    return range_error(body, err);
  char serr[AS_MAXCH] = "";
  int32 ret = swe_calc_ut(jd_ut, bodies[body].se, flags, xx, serr);
  if (ret < 0) {
    if (strstr(serr, "not found") != NULL)
      return noc_fail(err, NOC_ERR_RANGE, "date",
                      "the installed ephemeris files do not cover this date for %s",
                      bodies[body].name);
    return range_error(body, err);
  }
  if (opt->ephemeris == NOC_EPHE_SWISS && (ret & SEFLG_SWIEPH) == 0)
    return noc_fail(err, NOC_ERR_EPHEMERIS, "",
                    "Swiss Ephemeris files for %s are missing at this date; refusing the Moshier "
                    "fallback (ask for \"ephemeris\": \"moshier\" to accept it)",
                    bodies[body].name);
  (void)ctx;
  if (bodies[body].opposite) {
    xx[0] = noc_norm360(xx[0] + 180.0);
    xx[1] = -xx[1];
    xx[4] = -xx[4];
  }
  return NOC_OK;
}

static bool has_heliocentric(noc_body body) {
  return body != NOC_SUN && !(body >= NOC_MEAN_NODE && body <= NOC_INTP_LILITH);
}

noc_status noc_body_longitude(noc_ctx *ctx, double jd_ut, noc_body body,
                              const noc_calc_options *opt, double *lon, double *speed,
                              noc_error *err) {
  if (noc_body_is_angle(body) || body < 0 || body >= NOC_BODY_COUNT)
    return noc_fail(err, NOC_ERR_INTERNAL, "planets", "%s is not a body", noc_body_name(body));
  if (opt->center == NOC_HELIOCENTRIC && !has_heliocentric(body))
    return noc_fail(err, NOC_ERR_VALIDATION, "planets", "%s has no heliocentric position",
                    bodies[body].name);
  int flags = noc_ctx_prepare_flags(ctx, opt, true);
  double xx[6];
  noc_status st = swe_checked(ctx, jd_ut, body, flags, opt, xx, err);
  if (st != NOC_OK) return st;
  *lon = xx[0];
  if (speed) *speed = xx[3];
  return NOC_OK;
}

noc_status noc_true_obliquity(noc_ctx *ctx, const noc_time *t, double *out, noc_error *err) {
  /* Every body of a chart shares the instant: compute the nutation once. */
  if (ctx->eps_jd_tt == t->jd_tt && ctx->eps_jd_tt != 0) {
    *out = ctx->eps_deg;
    return NOC_OK;
  }
  double xx[6];
  char serr[AS_MAXCH] = "";
  if (swe_calc(t->jd_tt, SE_ECL_NUT, 0, xx, serr) < 0)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "obliquity not available");
  ctx->eps_jd_tt = t->jd_tt;
  ctx->eps_deg = xx[0];
  *out = xx[0];
  return NOC_OK;
}

noc_status noc_body_position(noc_ctx *ctx, const noc_time *t, noc_body body,
                             const noc_calc_options *opt, noc_position *out, noc_error *err) {
  if (noc_body_is_angle(body) || body < 0 || body >= NOC_BODY_COUNT)
    return noc_fail(err, NOC_ERR_INTERNAL, "planets", "%s is not a body", noc_body_name(body));
  if (opt->center == NOC_HELIOCENTRIC && !has_heliocentric(body))
    return noc_fail(err, NOC_ERR_VALIDATION, "planets",
                    "%s has no heliocentric position (the Sun is the centre; nodes and apogees "
                    "belong to the Moon's geocentric orbit)",
                    bodies[body].name);
  bool sidereal = opt->zodiac == NOC_SIDEREAL;
  int flags = noc_ctx_prepare_flags(ctx, opt, sidereal);
  double ecl[6] = {0};
  noc_status st = swe_checked(ctx, t->jd_ut, body, flags, opt, ecl, err);
  if (st != NOC_OK) return st;
  double trop[6];
  memcpy(trop, ecl, sizeof trop);
  if (sidereal) {
    st = swe_checked(ctx, t->jd_ut, body, flags & ~SEFLG_SIDEREAL, opt, trop, err);
    if (st != NOC_OK) return st;
  }
  return noc_position_from_ecliptic(ctx, t, ecl, trop, out, err);
}

noc_status noc_position_from_ecliptic(noc_ctx *ctx, const noc_time *t, const double ecl[6],
                                      const double trop[6], noc_position *out, noc_error *err) {
  double eps = 0.0, in[6], equ[6];
  noc_status st = noc_true_obliquity(ctx, t, &eps, err);
  if (st != NOC_OK) return st;
  memcpy(in, trop, sizeof in); /* swe_cotrans_sp takes no const */
  swe_cotrans_sp(in, equ, -eps);
  *out = (noc_position){
      .longitude = ecl[0],
      .latitude = ecl[1],
      .distance = ecl[2],
      .speed_longitude = ecl[3],
      .speed_latitude = ecl[4],
      .speed_distance = ecl[5],
      .right_ascension = noc_norm360(equ[0]),
      .declination = equ[1],
      .speed_right_ascension = equ[3],
      .speed_declination = equ[4],
  };
  return NOC_OK;
}

static noc_status ayanamsa(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                           int extra_flags, double *out, noc_error *err) {
  if (opt->zodiac != NOC_SIDEREAL) {
    *out = 0;
    return NOC_OK;
  }
  int flags = noc_ctx_prepare_flags(ctx, opt, true);
  char serr[AS_MAXCH] = "";
  double aya = 0;
  if (swe_get_ayanamsa_ex_ut(t->jd_ut, (flags & (SEFLG_SWIEPH | SEFLG_MOSEPH)) | extra_flags, &aya,
                             serr) < 0)
    return noc_fail(err, NOC_ERR_INTERNAL, "ayanamsa", "ayanamsa not available");
  *out = aya;
  return NOC_OK;
}

noc_status noc_ayanamsa_value(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                              double *out, noc_error *err) {
  return ayanamsa(ctx, t, opt, 0, out, err);
}

noc_status noc_ayanamsa_mean_value(noc_ctx *ctx, const noc_time *t, const noc_calc_options *opt,
                                   double *out, noc_error *err) {
  return ayanamsa(ctx, t, opt, SEFLG_NONUT, out, err);
}
