/* Aspects between two charts and the synastry compatibility score. */
#include <math.h>

#include "core/aspects_internal.h"
#include "nocturna/techniques.h"
#include "nocturna/zodiac.h"

double noc_composite_midpoint(double a, double b) {
  double d = noc_angle_diff(a, b); /* (-180, 180] */
  return noc_norm360(b + 0.5 * d);
}

/* ---- Cross aspects --------------------------------------------------------------------------- */

static bool valid_points(const noc_aspect_point *p, int n) {
  if (n < 0 || (n > 0 && p == NULL)) return false;
  for (int i = 0; i < n; i++)
    if (p[i].body < 0 || p[i].body >= NOC_BODY_COUNT || !isfinite(p[i].longitude) ||
        !isfinite(p[i].speed))
      return false;
  return true;
}

noc_status noc_cross_aspects_find(const noc_aspect_point *a, int na, const noc_aspect_point *b,
                                  int nb, const noc_aspect_config *cfg, bool skip_same_body,
                                  noc_aspect *out, int cap, int *count, noc_error *err) {
  *count = 0;
  if (!valid_points(a, na) || !valid_points(b, nb) || cfg == NULL || cap < 0 ||
      (cap > 0 && out == NULL))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "cross-aspect search with invalid input");
  if (!(cfg->orb_multiplier > 0.0) || !isfinite(cfg->orb_multiplier))
    return noc_fail(err, NOC_ERR_VALIDATION, "orb_multiplier",
                    "orb_multiplier must be a positive number");
  noc_aspect_sieve sieve;
  noc_aspect_sieve_init(&sieve, cfg);
  int found = 0;
  for (int i = 0; i < na; i++) {
    for (int j = 0; j < nb; j++) {
      if (skip_same_body && a[i].body == b[j].body) continue;
      double d = noc_angle_diff(a[i].longitude, b[j].longitude);
      double orb = 0.0, eff = 0.0;
      int type =
          noc_aspect_closest_type_sieved(&sieve, cfg, a[i].body, b[j].body, fabs(d), &orb, &eff);
      if (type < 0) continue;
      if (found < cap) {
        double angle = noc_aspect_def_get((noc_aspect_type)type)->angle;
        double strength = eff > 0.0 ? 1.0 - orb / eff : 1.0;
        out[found] = (noc_aspect){
            .a = i,
            .b = j,
            .type = (noc_aspect_type)type,
            .separation = fabs(d),
            .orb = orb,
            .applying = noc_aspect_is_applying(d, a[i].speed - b[j].speed, angle),
            .strength = fmin(1.0, fmax(0.0, strength)),
        };
      }
      found++;
    }
  }
  *count = found;
  if (found > cap)
    return noc_fail(err, NOC_ERR_NOMEM, "", "%d aspects found, more than the %d allowed", found,
                    cap);
  return NOC_OK;
}

/* ---- Compatibility score --------------------------------------------------------------------- */

static double body_weight(noc_body b) {
  switch (b) {
  case NOC_SUN:
  case NOC_MOON:
    return 3.0;
  case NOC_VENUS:
  case NOC_MARS:
  case NOC_ASC:
    return 2.5;
  case NOC_MERCURY:
  case NOC_JUPITER:
  case NOC_MC:
    return 2.0;
  case NOC_SATURN:
    return 1.5;
  case NOC_URANUS:
  case NOC_NEPTUNE:
  case NOC_PLUTO:
  case NOC_MEAN_NODE:
  case NOC_TRUE_NODE:
  case NOC_MEAN_SOUTH_NODE:
  case NOC_TRUE_SOUTH_NODE:
    return 1.0;
  default:
    return 0.5;
  }
}

/* +1 harmony, -1 tension, 0 for a conjunction (decided by the bodies). */
static int aspect_nature(noc_aspect_type t) {
  switch (t) {
  case NOC_ASP_CONJUNCTION:
    return 0;
  case NOC_ASP_TRINE:
  case NOC_ASP_SEXTILE:
  case NOC_ASP_SEMISEXTILE:
  case NOC_ASP_QUINTILE:
  case NOC_ASP_BIQUINTILE:
  case NOC_ASP_NOVILE:
  case NOC_ASP_BINOVILE:
  case NOC_ASP_QUADRINOVILE:
    return 1;
  default:
    return -1;
  }
}

static bool is_hard_body(noc_body b) {
  return b == NOC_MARS || b == NOC_SATURN || b == NOC_URANUS || b == NOC_NEPTUNE ||
         b == NOC_PLUTO || b == NOC_MEAN_LILITH || b == NOC_OSCU_LILITH || b == NOC_INTP_LILITH;
}

static bool is_personal(noc_body b) {
  return b == NOC_SUN || b == NOC_MOON || b == NOC_MERCURY || b == NOC_VENUS || b == NOC_MARS ||
         b == NOC_ASC || b == NOC_MC;
}

static bool is_luminary(noc_body b) {
  return b == NOC_SUN || b == NOC_MOON;
}

static noc_compat_category category_of(noc_body x, noc_body y) {
  if (is_luminary(x) && is_luminary(y)) return NOC_COMPAT_LUMINARIES;
  bool xl = x == NOC_VENUS || x == NOC_MARS, yl = y == NOC_VENUS || y == NOC_MARS;
  if ((xl && (yl || is_luminary(y))) || (yl && is_luminary(x))) return NOC_COMPAT_LOVE;
  if (x == NOC_MERCURY || y == NOC_MERCURY) return NOC_COMPAT_MIND;
  if (x == NOC_SATURN || y == NOC_SATURN) return NOC_COMPAT_COMMITMENT;
  if (x == NOC_ASC || y == NOC_ASC || x == NOC_MC || y == NOC_MC) return NOC_COMPAT_ANGLES;
  return NOC_COMPAT_OTHER;
}

const char *noc_compat_category_name(noc_compat_category c) {
  static const char *const names[NOC_COMPAT_COUNT] = {"luminaries", "love",   "mind",
                                                      "commitment", "angles", "other"};
  return c >= 0 && c < NOC_COMPAT_COUNT ? names[c] : "other";
}

void noc_compat_score(const noc_aspect_point *a, const noc_aspect_point *b, const noc_aspect *asp,
                      int n, noc_compat *out, noc_compat_item *items) {
  *out = (noc_compat){0};
  for (int k = 0; k < n; k++) {
    noc_body x = a[asp[k].a].body, y = b[asp[k].b].body;
    const noc_aspect_def *def = noc_aspect_def_get(asp[k].type);
    double w =
        body_weight(x) * body_weight(y) * (def->major ? 1.0 : 0.5) * (0.5 + 0.5 * asp[k].strength);
    double harmony = 0.0, tension = 0.0;
    int nature = aspect_nature(asp[k].type);
    if (nature > 0) {
      harmony = w;
    } else if (nature < 0) {
      tension = w;
    } else if ((is_hard_body(x) && is_personal(y)) || (is_hard_body(y) && is_personal(x))) {
      harmony = tension = 0.5 * w;
    } else {
      harmony = w;
    }
    noc_compat_category c = category_of(x, y);
    out->harmony += harmony;
    out->tension += tension;
    out->part[c].harmony += harmony;
    out->part[c].tension += tension;
    out->part[c].aspects++;
    if (items) items[k] = (noc_compat_item){harmony, tension, c};
  }
  out->score = 100.0 * (out->harmony + 10.0) / (out->harmony + out->tension + 20.0);
}
