/* Primary directions by Placidus semi-arcs, in zodiaco and in mundo, direct and converse. */
#include <math.h>

#include "nocturna/techniques.h"
#include "nocturna/zodiac.h"

#define RAD_PER_DEG (M_PI / 180.0)

/* Diurnal and nocturnal semi-arcs from the ascensional difference; none for a point that never
 * rises or never sets (or only grazes the horizon). */
static bool semi_arcs(const noc_pd_sphere *s, double dec, double *dsa, double *nsa) {
  double x = tan(s->latitude * RAD_PER_DEG) * tan(dec * RAD_PER_DEG);
  if (!(fabs(x) < 1.0)) return false;
  double ad = asin(x) / RAD_PER_DEG;
  *dsa = 90.0 + ad;
  *nsa = 90.0 - ad;
  return true;
}

bool noc_pd_mundane_position(const noc_pd_sphere *s, double ra, double dec, double *m) {
  double dsa, nsa;
  if (!semi_arcs(s, dec, &dsa, &nsa)) return false;
  double umd = noc_angle_diff(ra, s->armc); /* > 0: east of the meridian, still to culminate */
  if (fabs(umd) <= dsa) {
    *m = noc_norm360(90.0 * (1.0 - umd / dsa));
  } else {
    double lmd = noc_angle_diff(ra, s->armc + 180.0);
    *m = noc_norm360(180.0 + 90.0 * (1.0 - lmd / nsa));
  }
  return true;
}

bool noc_pd_arc_to(const noc_pd_sphere *s, double ra, double dec, double m, double *arc) {
  double dsa, nsa;
  if (!semi_arcs(s, dec, &dsa, &nsa)) return false;
  m = noc_norm360(m);
  /* The meridian distance the point must have at m; the rotation makes it so. */
  if (m < 180.0)
    *arc = noc_norm360(ra - s->armc - dsa * (1.0 - m / 90.0));
  else
    *arc = noc_norm360(ra - s->armc - 180.0 - nsa * (1.0 - (m - 180.0) / 90.0));
  return true;
}

/* The four angles stand exactly at their mundane positions (their semi-arc arithmetic would only
 * add rounding). */
static bool point_position(const noc_pd_sphere *s, const noc_pd_point *p, double *m) {
  switch (p->body) {
  case NOC_ASC:
    *m = 0.0;
    return true;
  case NOC_MC:
    *m = 90.0;
    return true;
  case NOC_DESC:
    *m = 180.0;
    return true;
  case NOC_IC:
    *m = 270.0;
    return true;
  default:
    return noc_pd_mundane_position(s, p->ra, p->dec, m);
  }
}

typedef struct pd_ctx {
  const noc_pd_sphere *s;
  noc_pd_mode mode;
  bool converse;
} pd_ctx;

/* The arc of one promissor (or its aspect point `offset` degrees along) to one significator. */
static bool one_arc(const pd_ctx *c, const noc_pd_point *p, const noc_pd_point *g, double offset,
                    double *arc) {
  const noc_pd_sphere *s = c->s;
  if (c->mode == NOC_PD_ZODIACO) {
    double ra, dec, m;
    noc_ecl_to_equ(noc_norm360(p->lon + offset), 0.0, s->eps, &ra, &dec);
    if (!c->converse) return point_position(s, g, &m) && noc_pd_arc_to(s, ra, dec, m, arc);
    return noc_pd_mundane_position(s, ra, dec, &m) && noc_pd_arc_to(s, g->ra, g->dec, m, arc);
  }
  double m;
  /* An aspect point `offset` along the zodiac is `offset` back in mundane position. */
  if (!c->converse)
    return point_position(s, g, &m) && noc_pd_arc_to(s, p->ra, p->dec, m + offset, arc);
  return point_position(s, p, &m) && noc_pd_arc_to(s, g->ra, g->dec, m - offset, arc);
}

noc_status noc_pd_directions(const noc_pd_sphere *s, const noc_pd_point *prom, int nprom,
                             const noc_pd_point *sig, int nsig, const noc_aspect_type *aspects,
                             int naspects, noc_pd_mode mode, bool converse, double min_arc,
                             double max_arc, noc_pd_direction *out, int cap, int *count,
                             int *skipped, noc_error *err) {
  *count = 0;
  *skipped = 0;
  if (nprom < 0 || nsig < 0 || naspects < 0 || cap < 0 || (cap > 0 && out == NULL) ||
      !isfinite(s->armc) || !isfinite(s->latitude) || !isfinite(s->eps))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "primary directions with invalid input");
  pd_ctx c = {s, mode, converse};
  int n = 0, missed = 0;
  for (int ig = 0; ig < nsig; ig++) {
    for (int ip = 0; ip < nprom; ip++) {
      if (prom[ip].body == sig[ig].body) continue;
      for (int k = 0; k < naspects; k++) {
        double angle = noc_aspect_def_get(aspects[k])->angle;
        bool single = angle == 0.0 || angle == 180.0;
        for (int side = single ? 0 : -1; side <= (single ? 0 : 1); side += single ? 1 : 2) {
          double offset = single ? angle : side * angle;
          double arc;
          if (!one_arc(&c, &prom[ip], &sig[ig], offset, &arc)) {
            missed++;
            continue;
          }
          if (arc < min_arc || arc > max_arc) continue;
          if (n < cap) out[n] = (noc_pd_direction){ip, ig, aspects[k], side, converse, arc};
          n++;
        }
      }
    }
  }
  *count = n;
  *skipped = missed;
  if (n > cap)
    return noc_fail(err, NOC_ERR_NOMEM, "", "%d directions found, more than the %d allowed", n,
                    cap);
  return NOC_OK;
}
