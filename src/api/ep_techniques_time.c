/* Endpoints: progressions, directions (solar arc and primary) and returns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ep_techniques.h"

static const char *const progression_types[] = {"secondary", "tertiary", "minor", NULL};
static const char *const angle_methods[] = {"naibod", "solar_arc", "daily_houses", NULL};
static const char *const direction_types[] = {"solar_arc", "primary", NULL};
static const char *const pd_modes[] = {"zodiaco", "mundo", NULL};
static const char *const pd_keys[] = {"ptolemy", "naibod", "cardan", NULL};
static const char *const return_types[] = {"solar", "lunar", "planetary", NULL};
/* Indices into the name lists above. */
enum { ANGLES_NAIBOD = 0, ANGLES_SOLAR_ARC, ANGLES_DAILY };
enum { DIRECTION_SOLAR_ARC = 0, DIRECTION_PRIMARY };
enum { RETURN_SOLAR = 0, RETURN_LUNAR, RETURN_PLANETARY };

/* ---- Shared ---------------------------------------------------------------------------------- */

/* The natal chart of a request: body.natal_chart, or the body itself in the flat forms. */
typedef struct natal_src {
  json_t *obj;        /* borrowed from the request */
  const char *prefix; /* "natal_chart" or "" */
} natal_src;

static noc_status read_natal(noc_api_call *call, bool flat, noc_chart_in *in, natal_src *src) {
  if (flat) {
    src->obj = call->body;
    src->prefix = "";
    return noc_in_chart(call, call->body, "", in);
  }
  src->obj = json_object_get(call->body, "natal_chart");
  src->prefix = "natal_chart";
  return noc_in_chart_at(call, call->body, "natal_chart", in);
}

/* Unknown-key warnings of a request whose natal chart may be flat (its keys then belong too). */
static void warn_unknown(noc_api_call *call, const noc_tech_options *o, bool flat,
                         const char *const *own) {
  const char *known[64];
  int n = 0;
  for (const char *const *k = own; *k && n < 30; k++)
    known[n++] = *k;
  for (const char *const *k = noc_chart_keys; flat && *k && n < 60; k++)
    known[n++] = *k;
  known[n] = NULL;
  noc_tech_warn_unknown(call, o, known);
}

static double age_years(double natal_jd, double jd) {
  return (jd - natal_jd) / NOC_TROPICAL_YEAR_DAYS;
}

/* Dates before birth have no progression or direction: converse is an option, not a negative
 * age. */
static noc_status check_after_birth(noc_api_call *call, const char *key, double natal_jd,
                                    double jd) {
  if (jd >= natal_jd) return NOC_OK;
  return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                  "is before the birth; the age is counted forward from birth (for converse "
                  "motion, keep the date after birth and set \"converse\": true)");
}

/* Returns have no converse motion: the hint above would name an option they refuse. */
static noc_status check_return_after_birth(noc_api_call *call, const char *key, double natal_jd,
                                           double jd) {
  if (jd >= natal_jd) return NOC_OK;
  return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                  "is before the birth; returns are searched after birth only (give a date "
                  "after the natal chart's)");
}

static void out_natal(noc_api_call *call, const noc_full_chart *n) {
  noc_jw_key(call->w, "natal");
  noc_jw_obj(call->w);
  noc_out_chart_fields(call, n->points, n->count, n->has_houses ? &n->houses : NULL);
  noc_jw_obj_end(call->w);
}

static void warn_fallback(noc_api_call *call, const noc_houses *h, double lat) {
  if (h->fell_back)
    noc_warn(call, "HOUSE_SYSTEM_FALLBACK",
             "%s houses are undefined at latitude %.4f (inside the polar circle); %s cusps were "
             "used instead",
             h->requested->name, lat, h->used->name);
}

/* ---- Progressions ---------------------------------------------------------------------------- */

typedef struct prog_work {
  noc_full_chart natal, prog;
  noc_tech_options o;
  int type, method;
  bool converse, flat;
  noc_time target;
  double window_years, solar_arc;
  noc_tech_points pp, pn;
  noc_aspect asp[NOC_CROSS_CAP];
  double exact[NOC_CROSS_CAP];
  int n;
} prog_work;

static noc_status read_progression(noc_api_call *call, prog_work *pw) {
  natal_src src;
  noc_status st = read_natal(call, pw->flat, &pw->natal.in, &src);
  if (st != NOC_OK) return st;
  pw->window_years = 10.0;
  if ((st = noc_in_moment(call, call->body, "progression_date", NULL, src.obj, true, &pw->target,
                          NULL)) != NOC_OK ||
      (st = noc_tech_enum(call, call->body, "", "progression_type", progression_types,
                          &pw->type)) != NOC_OK ||
      (st = noc_tech_enum(call, call->body, "", "angle_method", angle_methods, &pw->method)) !=
          NOC_OK ||
      (st = noc_in_bool(call, call->body, "", "converse", &pw->converse)) != NOC_OK ||
      (st = noc_in_number(call, call->body, "", "exact_window_years", false, 0, 100,
                          &pw->window_years, NULL)) != NOC_OK ||
      (st = noc_tech_read_options(call, 1.0, true, &pw->o)) != NOC_OK)
    return st;
  if (pw->flat && pw->type != NOC_PROG_SECONDARY)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "progression_type",
                    "this endpoint computes secondary progressions; use stateless/progressions "
                    "for tertiary and minor ones");
  return check_after_birth(call, "progression_date", pw->natal.in.time.jd_ut, pw->target.jd_ut);
}

/* Progressed houses by the angle method: Naibod adds the Sun's mean motion over the progressed
 * interval to the natal ARMC; solar arc adds the progressed Sun's arc to the natal MC; daily
 * houses are the real houses of the progressed instant at the birth place. */
static noc_status progressed_houses(noc_api_call *call, prog_work *pw) {
  noc_full_chart *p = &pw->prog;
  const noc_full_chart *n = &pw->natal;
  p->has_houses = n->has_houses;
  if (!p->has_houses) return NOC_OK;
  if (pw->method == ANGLES_DAILY) return noc_chart_houses(call, &p->in, &p->houses);
  double armc;
  if (pw->method == ANGLES_NAIBOD)
    armc = n->houses.armc + (p->in.time.jd_ut - n->in.time.jd_ut) * NOC_KEY_NAIBOD;
  else
    armc = noc_armc_of_mc(noc_norm360(n->houses.mc + pw->solar_arc + p->ayanamsa), p->eps);
  noc_position sun = {0};
  noc_status st = NOC_OK;
  if (noc_house_system_uses_sun(n->in.house_system)) st = noc_chart_sun(call, &p->in, &sun);
  if (st == NOC_OK)
    st = noc_houses_from_armc(armc, n->in.latitude, p->eps, p->ayanamsa, sun.declination,
                              n->in.house_system, n->in.strict_houses, &p->houses, &call->err);
  if (st == NOC_OK) warn_fallback(call, &p->houses, n->in.latitude);
  return st;
}

static noc_status progression_aspects(noc_api_call *call, prog_work *pw) {
  const noc_full_chart *p = &pw->prog, *n = &pw->natal;
  double dir = pw->converse ? -1.0 : 1.0;
  /* Progressed angles advance about as the mean Sun per progressed day, by every method. */
  noc_tech_points_of(p->points, p->count, p->has_houses ? &p->houses : NULL, pw->o.include_angles,
                     dir, dir * NOC_KEY_NAIBOD, &pw->pp);
  noc_tech_points_of(n->points, n->count, n->has_houses ? &n->houses : NULL, pw->o.include_angles,
                     0.0, 0.0, &pw->pn);
  noc_status st = noc_cross_aspects_find(pw->pp.ap, pw->pp.n, pw->pn.ap, pw->pn.n, &pw->o.cfg,
                                         false, pw->asp, NOC_CROSS_CAP, &pw->n, &call->err);
  double rate = noc_progression_rate((noc_progression)pw->type);
  double window = pw->window_years * NOC_TROPICAL_YEAR_DAYS * rate;
  for (int i = 0; st == NOC_OK && i < pw->n; i++) {
    double pjd = NAN;
    pw->exact[i] = NAN;
    if (!pw->o.exact_times) continue;
    /* The points' speeds carry the direction of converse motion; the ephemeris' do not. */
    const noc_aspect_point *m = &pw->pp.ap[pw->asp[i].a];
    st = noc_tech_perfection(
        call, &p->in.opt, m->body, m->longitude, dir * m->speed, pw->pn.ap[pw->asp[i].b].longitude,
        noc_aspect_def_get(pw->asp[i].type)->angle, p->in.time.jd_ut, window, &pjd);
    if (!isnan(pjd)) {
      double real =
          noc_progression_real_jd((noc_progression)pw->type, n->in.time.jd_ut, pjd, pw->converse);
      pw->exact[i] = real >= n->in.time.jd_ut ? real : NAN;
    }
  }
  return st;
}

static noc_status compute_progression(noc_api_call *call, prog_work *pw) {
  noc_ctx *ctx = call->env->ctx;
  noc_full_chart *p = &pw->prog, *n = &pw->natal;
  noc_status st = noc_full_chart_compute(call, n, pw->o.bodies, pw->o.count);
  if (st != NOC_OK) return st;
  double pjd = noc_progressed_jd((noc_progression)pw->type, n->in.time.jd_ut, pw->target.jd_ut,
                                 pw->converse);
  p->in = n->in;
  double sun0, sun1;
  if ((st = noc_time_from_jd_ut(ctx, pjd, &p->in.time, &call->err)) != NOC_OK ||
      (st = noc_true_obliquity(ctx, &p->in.time, &p->eps, &call->err)) != NOC_OK ||
      (st = noc_ayanamsa_value(ctx, &p->in.time, &p->in.opt, &p->ayanamsa, &call->err)) != NOC_OK ||
      (st = noc_body_longitude(ctx, n->in.time.jd_ut, NOC_SUN, &n->in.opt, &sun0, NULL,
                               &call->err)) != NOC_OK ||
      (st = noc_body_longitude(ctx, pjd, NOC_SUN, &p->in.opt, &sun1, NULL, &call->err)) != NOC_OK)
    return st;
  pw->solar_arc = noc_sun_travel(sun0, sun1, pjd - n->in.time.jd_ut);
  if ((st = progressed_houses(call, pw)) != NOC_OK) return st;
  p->count = pw->o.count;
  if ((st = noc_chart_points(call, &p->in, p->has_houses ? &p->houses : NULL, pw->o.bodies,
                             pw->o.count, p->points)) != NOC_OK)
    return st;
  return progression_aspects(call, pw);
}

static void write_progression(noc_api_call *call, const prog_work *pw) {
  noc_jw *w = call->w;
  const noc_full_chart *p = &pw->prog, *n = &pw->natal;
  double rate = noc_progression_rate((noc_progression)pw->type);
  noc_jw_obj(w);
  noc_jw_kstr(w, "progression_type", progression_types[pw->type]);
  noc_jw_kstr(w, "angle_method", angle_methods[pw->method]);
  noc_jw_kbool(w, "converse", pw->converse);
  noc_jw_knum(w, "year_length_days", NOC_TROPICAL_YEAR_DAYS, 6);
  noc_jw_knum(w, "progressed_days_per_year", rate * NOC_TROPICAL_YEAR_DAYS, 6);
  noc_jw_knum(w, "age_years", age_years(n->in.time.jd_ut, pw->target.jd_ut), 6);
  noc_jw_key(w, "progression_date");
  noc_out_instant_obj(call, pw->target.jd_ut);
  noc_jw_key(w, "progressed_time");
  noc_out_instant_obj(call, p->in.time.jd_ut);
  noc_jw_knum(w, "solar_arc", pw->solar_arc, 7);
  noc_out_chart_fields(call, p->points, p->count, p->has_houses ? &p->houses : NULL);
  out_natal(call, n);
  noc_jw_key(w, "aspects");
  noc_tech_out_cross_aspects(call, &pw->pp, &pw->pn, pw->asp, pw->n,
                             pw->o.exact_times ? pw->exact : NULL, NULL);
  noc_jw_kstr(w, "conventions",
              "progressed instant = birth + (date - birth) * progressed_days_per_year / "
              "year_length_days (converse: birth minus the same); tropical year and tropical "
              "month (27.321582 days); planet1 is progressed, planet2 natal; exact_time is the "
              "date of life this aspect (on the side the progressed body stands) perfects, "
              "nearest the progression date within exact_window_years (10)");
  noc_jw_obj_end(w);
}

static int run_progressions(noc_api_call *call, bool flat) {
  static const char *const own[] = {"natal_chart",
                                    "progression_date",
                                    "progression_type",
                                    "angle_method",
                                    "converse",
                                    "exact_window_years",
                                    NULL};
  prog_work *pw = calloc(1, sizeof *pw);
  if (pw == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  pw->flat = flat;
  noc_status st = read_progression(call, pw);
  if (st == NOC_OK) st = compute_progression(call, pw);
  if (st == NOC_OK) {
    warn_unknown(call, &pw->o, flat, own + (flat ? 1 : 0));
    write_progression(call, pw);
  }
  free(pw);
  return st;
}

int noc_ep_progressions(noc_api_call *call) {
  return run_progressions(call, false);
}
int noc_ep_secondary_progressions(noc_api_call *call) {
  return run_progressions(call, true);
}

/* ---- Directions ------------------------------------------------------------------------------ */

enum { SA_EVENT_CAP = 4000, PD_CAP = 4000 };

typedef struct sa_event {
  int p, q; /* indices into the directed and the natal point sets */
  noc_aspect_type type;
  double arc, jd;
} sa_event;

typedef struct dir_work {
  noc_full_chart natal;
  noc_tech_options o;
  natal_src src;
  bool flat, converse, has_target, aspects_given;
  int type, mode, key;
  double key_rate, start_jd, end_jd;
  noc_time target;
  /* solar arc */
  double arc;
  noc_chart_point directed[NOC_BODY_COUNT];
  noc_houses dh;
  noc_tech_points pd, pn;
  noc_aspect asp[NOC_CROSS_CAP];
  int n;
  sa_event events[SA_EVENT_CAP];
  int nevents;
  /* primary */
  noc_body sig[NOC_BODY_COUNT], prom[NOC_BODY_COUNT];
  int nsig, nprom;
  noc_pd_point psig[NOC_BODY_COUNT], pprom[NOC_BODY_COUNT];
  noc_pd_direction dirs[PD_CAP];
  int ndirs, skipped;
} dir_work;

/* The period: start_date/end_date, else a year either side of target_date. */
static noc_status read_period(noc_api_call *call, dir_work *dw) {
  bool has_start = false, has_end = false;
  noc_time start, end;
  noc_status st;
  if ((st = noc_in_moment(call, call->body, "target_date", NULL, dw->src.obj, false, &dw->target,
                          &dw->has_target)) != NOC_OK ||
      (st = noc_in_moment(call, call->body, "start_date", NULL, dw->src.obj, false, &start,
                          &has_start)) != NOC_OK ||
      (st = noc_in_moment(call, call->body, "end_date", NULL, dw->src.obj, false, &end,
                          &has_end)) != NOC_OK)
    return st;
  if (has_start != has_end)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, has_start ? "end_date" : "start_date",
                    "is required with %s", has_start ? "start_date" : "end_date");
  if (!has_start && !dw->has_target)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "target_date",
                    "is required (or give start_date and end_date)");
  if (dw->has_target && (st = check_after_birth(call, "target_date", dw->natal.in.time.jd_ut,
                                                dw->target.jd_ut)) != NOC_OK)
    return st;
  dw->start_jd = has_start ? start.jd_ut : dw->target.jd_ut - NOC_TROPICAL_YEAR_DAYS;
  dw->end_jd = has_start ? end.jd_ut : dw->target.jd_ut + NOC_TROPICAL_YEAR_DAYS;
  if (dw->end_jd < dw->start_jd)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "end_date", "is before start_date");
  if (dw->end_jd - dw->start_jd > 200.0 * NOC_TROPICAL_YEAR_DAYS)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "end_date",
                    "the period is longer than 200 years");
  return NOC_OK;
}

static noc_status read_point_list(noc_api_call *call, const char *key, const noc_body *defaults,
                                  int ndefaults, bool angles_ok, noc_body *out, int *n) {
  noc_status st = noc_in_bodies(call, call->body, "", key, defaults, ndefaults, out, n);
  for (int i = 0; st == NOC_OK && i < *n; i++) {
    bool angle = noc_body_is_angle(out[i]);
    if ((angle && !angles_ok) || out[i] == NOC_VERTEX) {
      char path[NOC_ERR_FIELD_MAX];
      snprintf(path, sizeof path, "%s[%d]", key, i);
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                      "%s cannot be a %s (promissors are bodies; significators are bodies or "
                      "ASC, MC, DESC, IC)",
                      noc_body_name(out[i]), angles_ok ? "significator" : "promissor");
    }
  }
  return st;
}

static noc_status read_primary_options(noc_api_call *call, dir_work *dw) {
  static const noc_body sig_default[] = {NOC_ASC, NOC_MC, NOC_SUN, NOC_MOON};
  static const noc_body prom_default[] = {NOC_SUN,     NOC_MOON,    NOC_MERCURY, NOC_VENUS,
                                          NOC_MARS,    NOC_JUPITER, NOC_SATURN,  NOC_URANUS,
                                          NOC_NEPTUNE, NOC_PLUTO};
  static const double keys[] = {NOC_KEY_PTOLEMY, NOC_KEY_NAIBOD, NOC_KEY_CARDAN};
  dw->key = 1; /* naibod */
  bool has_rate = false;
  noc_status st;
  if ((st = noc_tech_enum(call, call->body, "", "mode", pd_modes, &dw->mode)) != NOC_OK ||
      (st = noc_tech_enum(call, call->body, "", "key", pd_keys, &dw->key)) != NOC_OK ||
      (st = noc_in_number(call, call->body, "", "key_rate", false, 0.1, 10.0, &dw->key_rate,
                          &has_rate)) != NOC_OK ||
      (st = read_point_list(call, "significators", sig_default, 4, true, dw->sig, &dw->nsig)) !=
          NOC_OK ||
      (st = read_point_list(call, "promissors", prom_default, 10, false, dw->prom, &dw->nprom)) !=
          NOC_OK)
    return st;
  if (!has_rate)
    dw->key_rate = keys[dw->key];
  else if (json_object_get(call->body, "key"))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "key_rate",
                    "give either key or key_rate (degrees per year), not both");
  else
    dw->key = -1;
  if (!dw->natal.in.has_location)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, dw->flat ? "latitude" : "natal_chart.latitude",
                    "is required: primary directions turn the sphere of the birth place");
  return NOC_OK;
}

static noc_status read_directions(noc_api_call *call, dir_work *dw) {
  noc_status st = read_natal(call, dw->flat, &dw->natal.in, &dw->src);
  if (st != NOC_OK) return st;
  dw->type = DIRECTION_PRIMARY;
  if ((st = noc_tech_enum(call, call->body, "", "direction_type", direction_types, &dw->type)) !=
      NOC_OK)
    return st;
  if (dw->flat && dw->type != DIRECTION_PRIMARY)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "direction_type",
                    "this endpoint computes primary directions; use stateless/directions for "
                    "solar arc");
  if ((st = noc_in_bool(call, call->body, "", "converse", &dw->converse)) != NOC_OK ||
      (st = read_period(call, dw)) != NOC_OK ||
      (st = noc_tech_read_options(call, 1.0, false, &dw->o)) != NOC_OK)
    return st;
  dw->aspects_given = json_object_get(dw->o.obj, "aspects") != NULL;
  return dw->type == DIRECTION_PRIMARY ? read_primary_options(call, dw) : NOC_OK;
}

/* Solar arc: every natal point moved by the same arc. */
static void direct_by_arc(dir_work *dw, double arc) {
  const noc_full_chart *n = &dw->natal;
  for (int i = 0; i < n->count; i++) {
    dw->directed[i] = n->points[i];
    dw->directed[i].pos.longitude = noc_norm360(n->points[i].pos.longitude + arc);
    dw->directed[i].has_speed = false;
  }
  if (!n->has_houses) return;
  noc_houses *h = &dw->dh;
  *h = n->houses;
  for (int i = 0; i < h->cusp_count; i++)
    h->cusps[i] = noc_norm360(h->cusps[i] + arc);
  double *angles[] = {
      &h->asc,      &h->mc, &h->vertex, &h->equatorial_asc, &h->co_asc_koch, &h->co_asc_munkasey,
      &h->polar_asc};
  for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++)
    *angles[i] = noc_norm360(*angles[i] + arc);
  h->armc = noc_armc_of_mc(noc_norm360(h->mc + n->ayanamsa), n->eps);
  for (int i = 0; i < n->count; i++)
    dw->directed[i].house = noc_house_of(h, dw->directed[i].pos.longitude);
}

static int cmp_event(const void *a, const void *b) {
  double x = ((const sa_event *)a)->jd, y = ((const sa_event *)b)->jd;
  return x < y ? -1 : x > y;
}

/* Candidates of one directed point to one natal point: the arcs at which each aspect perfects,
 * inside the period's arcs [lo, hi]. */
static noc_status sa_pair_candidates(noc_api_call *call, dir_work *dw, int p, int q, double lo,
                                     double hi) {
  double lp = dw->pn.ap[p].longitude, lq = dw->pn.ap[q].longitude;
  for (int t = 0; t < NOC_ASP_COUNT; t++) {
    if (!dw->o.cfg.enabled[t]) continue;
    double angle = noc_aspect_def_get((noc_aspect_type)t)->angle;
    int sides = (angle == 0.0 || angle == 180.0) ? 1 : 2;
    for (int s = 0; s < sides; s++) {
      double off = s ? -angle : angle;
      double need = dw->converse ? noc_norm360(lp - lq - off) : noc_norm360(lq + off - lp);
      /* Arcs past 360 degrees (lives of over 365 years) meet the same aspect again. */
      for (int k = (int)ceil((lo - need) / 360.0); need + 360.0 * k <= hi; k++) {
        double r = need + 360.0 * k;
        if (dw->nevents >= SA_EVENT_CAP)
          return noc_fail(&call->err, NOC_ERR_VALIDATION, "end_date",
                          "more than %d solar arc directions perfect in the period; shorten it",
                          SA_EVENT_CAP);
        dw->events[dw->nevents++] = (sa_event){p, q, (noc_aspect_type)t, r, NAN};
      }
    }
  }
  return NOC_OK;
}

static noc_status solar_arc_events(noc_api_call *call, dir_work *dw) {
  const noc_full_chart *n = &dw->natal;
  double natal_jd = n->in.time.jd_ut, lo = 0.0, hi = 0.0;
  if (dw->end_jd <= natal_jd) return NOC_OK;
  noc_status st;
  if (dw->start_jd > natal_jd && (st = noc_solar_arc(call->env->ctx, &n->in.opt, natal_jd,
                                                     dw->start_jd, &lo, &call->err)) != NOC_OK)
    return st;
  if ((st = noc_solar_arc(call->env->ctx, &n->in.opt, natal_jd, dw->end_jd, &hi, &call->err)) !=
      NOC_OK)
    return st;
  for (int p = 0; p < dw->pn.n; p++)
    for (int q = 0; q < dw->pn.n; q++)
      if (p != q && (st = sa_pair_candidates(call, dw, p, q, lo, hi)) != NOC_OK) return st;
  double *arcs = malloc(sizeof *arcs * (size_t)(dw->nevents ? dw->nevents : 1));
  double *when = malloc(sizeof *when * (size_t)(dw->nevents ? dw->nevents : 1));
  if (arcs == NULL || when == NULL) {
    free(arcs);
    free(when);
    return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  }
  for (int i = 0; i < dw->nevents; i++)
    arcs[i] = dw->events[i].arc;
  st = noc_solar_arc_times(call->env->ctx, &n->in.opt, natal_jd, arcs, dw->nevents, dw->start_jd,
                           dw->end_jd, when, &call->err);
  int kept = 0;
  for (int i = 0; st == NOC_OK && i < dw->nevents; i++) {
    if (isnan(when[i])) continue;
    dw->events[kept] = dw->events[i];
    dw->events[kept++].jd = when[i];
  }
  free(arcs);
  free(when);
  if (st != NOC_OK) return st;
  dw->nevents = kept;
  qsort(dw->events, (size_t)dw->nevents, sizeof dw->events[0], cmp_event);
  return NOC_OK;
}

static noc_status compute_solar_arc(noc_api_call *call, dir_work *dw) {
  const noc_full_chart *n = &dw->natal;
  noc_status st = NOC_OK;
  dw->arc = 0.0;
  if (dw->has_target)
    st = noc_solar_arc(call->env->ctx, &n->in.opt, n->in.time.jd_ut, dw->target.jd_ut, &dw->arc,
                       &call->err);
  if (st != NOC_OK) return st;
  double s = dw->converse ? -1.0 : 1.0;
  direct_by_arc(dw, s * dw->arc);
  /* Directed points move together at about the mean Sun's rate (for applying only):
   * direct_by_arc clears their speeds, so bodies take angle_speed too, scaled by 1. */
  noc_tech_points_of(dw->directed, n->count, n->has_houses ? &dw->dh : NULL, dw->o.include_angles,
                     1.0, s * NOC_KEY_NAIBOD, &dw->pd);
  noc_tech_points_of(n->points, n->count, n->has_houses ? &n->houses : NULL, dw->o.include_angles,
                     0.0, 0.0, &dw->pn);
  if (dw->has_target &&
      (st = noc_cross_aspects_find(dw->pd.ap, dw->pd.n, dw->pn.ap, dw->pn.n, &dw->o.cfg, true,
                                   dw->asp, NOC_CROSS_CAP, &dw->n, &call->err)) != NOC_OK)
    return st;
  return solar_arc_events(call, dw);
}

static noc_pd_point pd_point(const noc_full_chart *n, const noc_chart_point *p) {
  noc_pd_point q = {p->body, noc_norm360(p->pos.longitude + n->ayanamsa), p->pos.latitude,
                    p->pos.right_ascension, p->pos.declination};
  if (noc_body_is_angle(p->body)) {
    q.lat = 0.0;
    noc_ecl_to_equ(q.lon, 0.0, n->eps, &q.ra, &q.dec);
  }
  return q;
}

static noc_status pd_points(noc_api_call *call, dir_work *dw, const noc_body *bodies, int count,
                            noc_pd_point *out) {
  noc_chart_point pts[NOC_BODY_COUNT];
  noc_status st = noc_chart_points(call, &dw->natal.in, &dw->natal.houses, bodies, count, pts);
  for (int i = 0; st == NOC_OK && i < count; i++)
    out[i] = pd_point(&dw->natal, &pts[i]);
  return st;
}

static int cmp_direction(const void *a, const void *b) {
  double x = ((const noc_pd_direction *)a)->arc, y = ((const noc_pd_direction *)b)->arc;
  return x < y ? -1 : x > y;
}

static noc_status compute_primary(noc_api_call *call, dir_work *dw) {
  const noc_full_chart *n = &dw->natal;
  noc_status st;
  if ((st = pd_points(call, dw, dw->sig, dw->nsig, dw->psig)) != NOC_OK ||
      (st = pd_points(call, dw, dw->prom, dw->nprom, dw->pprom)) != NOC_OK)
    return st;
  noc_aspect_type asp[NOC_ASP_COUNT];
  int nasp = 0;
  static const noc_aspect_type ptolemaic[] = {NOC_ASP_CONJUNCTION, NOC_ASP_OPPOSITION,
                                              NOC_ASP_TRINE, NOC_ASP_SQUARE, NOC_ASP_SEXTILE};
  if (!dw->aspects_given)
    for (nasp = 0; nasp < 5; nasp++)
      asp[nasp] = ptolemaic[nasp];
  for (int t = 0; dw->aspects_given && t < NOC_ASP_COUNT; t++)
    if (dw->o.cfg.enabled[t]) asp[nasp++] = (noc_aspect_type)t;
  noc_pd_sphere sphere = {n->houses.armc, n->in.latitude, n->eps};
  double y0 = age_years(n->in.time.jd_ut, dw->start_jd),
         y1 = age_years(n->in.time.jd_ut, dw->end_jd);
  st = noc_pd_directions(&sphere, dw->pprom, dw->nprom, dw->psig, dw->nsig, asp, nasp,
                         (noc_pd_mode)dw->mode, dw->converse, fmax(0.0, y0) * dw->key_rate,
                         y1 * dw->key_rate, dw->dirs, PD_CAP, &dw->ndirs, &dw->skipped, &call->err);
  if (st == NOC_ERR_NOMEM)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "end_date",
                    "more than %d primary directions perfect in the period; shorten it or name "
                    "fewer significators, promissors or aspects",
                    PD_CAP);
  if (st != NOC_OK) return st;
  qsort(dw->dirs, (size_t)dw->ndirs, sizeof dw->dirs[0], cmp_direction);
  if (dw->skipped)
    noc_warn(call, "CIRCUMPOLAR",
             "%d directions were left out: a point that never rises or never sets at latitude "
             "%.4f has no semi-arc",
             dw->skipped, n->in.latitude);
  if (!dw->has_target) return NOC_OK;
  /* The chart of the sphere turned by the key's arc for the target date. */
  double arc = age_years(n->in.time.jd_ut, dw->target.jd_ut) * dw->key_rate;
  dw->arc = arc;
  noc_position sun = {0};
  if (noc_house_system_uses_sun(n->in.house_system) &&
      (st = noc_chart_sun(call, &n->in, &sun)) != NOC_OK)
    return st;
  st = noc_houses_from_armc(n->houses.armc + (dw->converse ? -arc : arc), n->in.latitude, n->eps,
                            n->ayanamsa, sun.declination, n->in.house_system, n->in.strict_houses,
                            &dw->dh, &call->err);
  if (st != NOC_OK) return st;
  warn_fallback(call, &dw->dh, n->in.latitude);
  for (int i = 0; i < n->count; i++) {
    dw->directed[i] = n->points[i];
    dw->directed[i].house = noc_house_of(&dw->dh, n->points[i].pos.longitude);
    if (noc_body_is_angle(n->points[i].body)) {
      noc_chart_point tmp;
      noc_body b = n->points[i].body;
      if ((st = noc_chart_points(call, &n->in, &dw->dh, &b, 1, &tmp)) != NOC_OK) return st;
      dw->directed[i] = tmp;
    }
  }
  return NOC_OK;
}

static const char *side_name(int side) {
  return side > 0 ? "sinister" : (side < 0 ? "dexter" : NULL);
}

static void write_period(noc_api_call *call, const dir_work *dw) {
  noc_jw *w = call->w;
  noc_jw_key(w, "period");
  noc_jw_obj(w);
  noc_jw_key(w, "start");
  noc_out_instant(call, dw->start_jd, 0);
  noc_jw_key(w, "end");
  noc_out_instant(call, dw->end_jd, 0);
  noc_jw_obj_end(w);
}

static void write_sa_events(noc_api_call *call, const dir_work *dw) {
  noc_jw *w = call->w;
  noc_jw_key(w, "events");
  noc_jw_arr(w);
  for (int i = 0; i < dw->nevents; i++) {
    const sa_event *e = &dw->events[i];
    noc_jw_obj(w);
    noc_jw_kstr(w, "directed", noc_body_name(dw->pn.ap[e->p].body));
    noc_jw_kstr(w, "natal", noc_body_name(dw->pn.ap[e->q].body));
    noc_jw_kstr(w, "aspect_type", noc_aspect_def_get(e->type)->name);
    noc_jw_knum(w, "arc", e->arc, 7);
    noc_jw_knum(w, "age_years", age_years(dw->natal.in.time.jd_ut, e->jd), 4);
    noc_jw_key(w, "date");
    noc_out_instant(call, e->jd, 0);
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
}

static void write_solar_arc(noc_api_call *call, const dir_work *dw) {
  noc_jw *w = call->w;
  const noc_full_chart *n = &dw->natal;
  noc_jw_obj(w);
  noc_jw_kstr(w, "direction_type", "solar_arc");
  noc_jw_kbool(w, "converse", dw->converse);
  if (dw->has_target) {
    noc_jw_key(w, "target_date");
    noc_out_instant_obj(call, dw->target.jd_ut);
    noc_jw_knum(w, "age_years", age_years(n->in.time.jd_ut, dw->target.jd_ut), 6);
    noc_jw_knum(w, "solar_arc", dw->arc, 7);
    noc_out_chart_fields(call, dw->directed, n->count, n->has_houses ? &dw->dh : NULL);
    noc_jw_key(w, "aspects");
    noc_tech_out_cross_aspects(call, &dw->pd, &dw->pn, dw->asp, dw->n, NULL, NULL);
  }
  write_period(call, dw);
  write_sa_events(call, dw);
  out_natal(call, n);
  noc_jw_kstr(w, "conventions",
              "solar arc = secondary-progressed Sun - natal Sun (a day for a tropical year of "
              "365.24219 days); every point moves by it (converse: back by it); planet1 and "
              "directed are directed points, planet2 and natal natal ones; events are the dates "
              "in the period at which a directed point reaches an aspect of a natal point");
  noc_jw_obj_end(w);
}

static void write_primary(noc_api_call *call, const dir_work *dw) {
  noc_jw *w = call->w;
  const noc_full_chart *n = &dw->natal;
  noc_jw_obj(w);
  noc_jw_kstr(w, "direction_type", "primary");
  noc_jw_kstr(w, "method", "placidus_semi_arc");
  noc_jw_kstr(w, "mode", pd_modes[dw->mode]);
  noc_jw_kstr(w, "key", dw->key >= 0 ? pd_keys[dw->key] : "custom");
  noc_jw_knum(w, "key_degrees_per_year", dw->key_rate, 8);
  noc_jw_kbool(w, "converse", dw->converse);
  write_period(call, dw);
  noc_jw_key(w, "directions");
  noc_jw_arr(w);
  for (int i = 0; i < dw->ndirs; i++) {
    const noc_pd_direction *d = &dw->dirs[i];
    double years = d->arc / dw->key_rate;
    noc_jw_obj(w);
    noc_jw_kstr(w, "promissor", noc_body_name(dw->prom[d->promissor]));
    noc_jw_kstr(w, "significator", noc_body_name(dw->sig[d->significator]));
    noc_jw_kstr(w, "aspect_type", noc_aspect_def_get(d->aspect)->name);
    noc_jw_key(w, "side");
    noc_jw_str(w, side_name(d->side));
    noc_jw_kstr(w, "motion", d->converse ? "converse" : "direct");
    noc_jw_knum(w, "arc", d->arc, 7);
    noc_jw_knum(w, "age_years", years, 4);
    noc_jw_key(w, "date");
    noc_out_instant(call, n->in.time.jd_ut + years * NOC_TROPICAL_YEAR_DAYS, 0);
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
  if (dw->has_target) {
    noc_jw_key(w, "target_date");
    noc_out_instant_obj(call, dw->target.jd_ut);
    noc_jw_knum(w, "arc_at_target", dw->arc, 7);
    noc_out_chart_fields(call, dw->directed, n->count, &dw->dh);
  }
  out_natal(call, n);
  noc_jw_kstr(w, "conventions",
              "Placidus semi-arc directions. direct: the promissor (in zodiaco its aspect point "
              "on the ecliptic, latitude 0; in mundo the body with its aspect taken in mundane "
              "position) is carried by the diurnal motion to the significator's place; "
              "converse: the significator is carried to the promissor's place. arc is in "
              "degrees of right ascension; age = arc / key; dates in tropical years. "
              "positions/houses: the birth sphere turned by the key's arc for target_date");
  noc_jw_obj_end(w);
}

static int run_directions(noc_api_call *call, bool flat) {
  static const char *const own[] = {"natal_chart", "direction_type", "converse",   "target_date",
                                    "start_date",  "end_date",       "mode",       "key",
                                    "key_rate",    "significators",  "promissors", NULL};
  dir_work *dw = calloc(1, sizeof *dw);
  if (dw == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  dw->flat = flat;
  noc_status st = read_directions(call, dw);
  if (st == NOC_OK) st = noc_full_chart_compute(call, &dw->natal, dw->o.bodies, dw->o.count);
  if (st == NOC_OK)
    st = dw->type == DIRECTION_PRIMARY ? compute_primary(call, dw) : compute_solar_arc(call, dw);
  if (st == NOC_OK) {
    warn_unknown(call, &dw->o, flat, own + (flat ? 1 : 0));
    if (dw->type == DIRECTION_PRIMARY)
      write_primary(call, dw);
    else
      write_solar_arc(call, dw);
  }
  free(dw);
  return st;
}

int noc_ep_directions(noc_api_call *call) {
  return run_directions(call, false);
}
int noc_ep_primary_directions(noc_api_call *call) {
  return run_directions(call, true);
}

/* ---- Returns --------------------------------------------------------------------------------- */

enum { RETURN_CAP = 150 };

typedef struct return_work {
  noc_chart_in natal;
  noc_tech_options o;
  natal_src src;
  int type;
  noc_body body;
  bool range, relocated;
  noc_time at, start, end;
  double lat, lon, natal_lon;
  noc_return ret[RETURN_CAP];
  int n;
  noc_full_chart chart;
} return_work;

static noc_status read_return_body(noc_api_call *call, return_work *rw) {
  const char *planet = NULL;
  noc_status st = noc_in_string(call, call->body, "", "planet", false, &planet);
  if (st != NOC_OK) return st;
  noc_body b = NOC_SUN;
  if (planet && !noc_body_from_name(planet, &b))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "planet", "unknown body '%.40s'", planet);
  if (planet && noc_body_is_angle(b))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "planet",
                    "%s is a chart angle; returns are of bodies", noc_body_name(b));
  if (rw->type == RETURN_PLANETARY && planet == NULL)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "planet",
                    "is required for planetary returns (e.g. \"JUPITER\")");
  rw->body = rw->type == RETURN_SOLAR ? NOC_SUN : (rw->type == RETURN_LUNAR ? NOC_MOON : b);
  if (planet && b != rw->body)
    noc_warn(call, "PLANET_IGNORED", "planet %s was ignored: a %s return is the %s's",
             noc_body_name(b), return_types[rw->type], noc_body_name(rw->body));
  return NOC_OK;
}

static noc_status read_returns(noc_api_call *call, return_work *rw) {
  noc_status st = read_natal(call, false, &rw->natal, &rw->src);
  bool has_at = false, has_start = false, has_end = false;
  if (st != NOC_OK ||
      (st = noc_tech_enum(call, call->body, "", "return_type", return_types, &rw->type)) !=
          NOC_OK ||
      (st = read_return_body(call, rw)) != NOC_OK ||
      (st = noc_in_moment(call, call->body, "return_date", NULL, rw->src.obj, false, &rw->at,
                          &has_at)) != NOC_OK ||
      (st = noc_in_moment(call, call->body, "start_date", NULL, rw->src.obj, false, &rw->start,
                          &has_start)) != NOC_OK ||
      (st = noc_in_moment(call, call->body, "end_date", NULL, rw->src.obj, false, &rw->end,
                          &has_end)) != NOC_OK ||
      (st = noc_in_place(call, call->body, "location", &rw->lat, &rw->lon, &rw->relocated)) !=
          NOC_OK ||
      (st = noc_tech_read_options(call, 0.0, false, &rw->o)) != NOC_OK)
    return st;
  if (has_start != has_end)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, has_start ? "end_date" : "start_date",
                    "is required with %s", has_start ? "start_date" : "end_date");
  if (has_at && has_start)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "start_date",
                    "give either return_date (the nearest return) or start_date and end_date "
                    "(all returns in between), not both");
  if (!has_at && !has_start)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "return_date",
                    "is required (or give start_date and end_date)");
  if (has_start && rw->end.jd_ut < rw->start.jd_ut)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "end_date", "is before start_date");
  rw->range = has_start;
  return check_return_after_birth(call, has_start ? "start_date" : "return_date",
                                  rw->natal.time.jd_ut, has_start ? rw->start.jd_ut : rw->at.jd_ut);
}

static noc_status find_returns(noc_api_call *call, return_work *rw) {
  noc_ctx *ctx = call->env->ctx;
  noc_status st = noc_body_longitude(ctx, rw->natal.time.jd_ut, rw->body, &rw->natal.opt,
                                     &rw->natal_lon, NULL, &call->err);
  if (st != NOC_OK) {
    snprintf(call->err.field, sizeof call->err.field, "natal_chart.date");
    return st;
  }
  /* The natal instant is not a return of itself: a minute after birth at the earliest. */
  double after = rw->natal.time.jd_ut + 1.0 / 1440.0;
  if (rw->range) {
    double lo, hi;
    noc_body_search_span(rw->body, &lo, &hi);
    if (rw->start.jd_ut < lo || rw->end.jd_ut > hi)
      return noc_fail(&call->err, NOC_ERR_RANGE, rw->start.jd_ut < lo ? "start_date" : "end_date",
                      "the ephemeris of %s does not cover this range", noc_body_name(rw->body));
    return noc_returns_between(ctx, &rw->natal.opt, rw->body, rw->natal_lon,
                               fmax(rw->start.jd_ut, after), rw->end.jd_ut, rw->ret, RETURN_CAP,
                               &rw->n, &call->err);
  }
  bool found = false;
  st = noc_return_nearest(ctx, &rw->natal.opt, rw->body, rw->natal_lon, rw->at.jd_ut, after, &found,
                          &rw->ret[0], &call->err);
  if (st != NOC_OK) return st;
  if (!found)
    return noc_fail(&call->err, NOC_ERR_RANGE, "return_date",
                    "no %s return was found near this date within the ephemeris range",
                    noc_body_name(rw->body));
  rw->n = 1;
  return NOC_OK;
}

/* One return as a full chart, computed and written in turn (a range can hold many). */
static noc_status write_return(noc_api_call *call, return_work *rw, const noc_return *r,
                               const noc_aspect_config *cfg) {
  noc_full_chart *c = &rw->chart;
  c->in = rw->natal;
  if (rw->relocated) {
    c->in.has_location = true;
    c->in.latitude = c->in.opt.latitude = rw->lat;
    c->in.longitude = c->in.opt.longitude = rw->lon;
  }
  double lon;
  noc_status st = noc_time_from_jd_ut(call->env->ctx, r->jd_ut, &c->in.time, &call->err);
  if (st == NOC_OK) st = noc_full_chart_compute(call, c, rw->o.bodies, rw->o.count);
  if (st == NOC_OK)
    st = noc_body_longitude(call->env->ctx, r->jd_ut, rw->body, &c->in.opt, &lon, NULL, &call->err);
  noc_aspect_point ap[NOC_BODY_COUNT];
  noc_aspect asp[NOC_BODY_COUNT * (NOC_BODY_COUNT - 1) / 2];
  int n = 0;
  for (int i = 0; st == NOC_OK && i < c->count; i++)
    ap[i] = (noc_aspect_point){c->points[i].body, c->points[i].pos.longitude,
                               c->points[i].has_speed ? c->points[i].pos.speed_longitude : 0.0};
  if (st == NOC_OK)
    st = noc_aspects_find(NULL, NULL, NULL, ap, c->count, cfg, asp,
                          c->count > 1 ? c->count * (c->count - 1) / 2 : 1, &n, &call->err);
  if (st != NOC_OK) return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_key(w, "return_time");
  noc_out_instant(call, r->jd_ut, 3);
  noc_jw_knum(w, "julian_day_ut", c->in.time.jd_ut, 8);
  noc_jw_knum(w, "julian_day_tt", c->in.time.jd_tt, 8);
  noc_jw_knum(w, "longitude", lon, 7);
  noc_jw_kbool(w, "retrograde", r->retrograde);
  noc_out_chart_fields(call, c->points, c->count, c->has_houses ? &c->houses : NULL);
  noc_jw_key(w, "aspects");
  noc_out_aspects(call, c->points, asp, n, false);
  noc_jw_obj_end(w);
  return NOC_OK;
}

static noc_status write_returns(noc_api_call *call, return_work *rw) {
  noc_aspect_config cfg;
  noc_aspect_config_default(&cfg);
  noc_status st = noc_in_aspect_options(call, rw->o.obj, rw->o.prefix, &cfg);
  if (st != NOC_OK) return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_kstr(w, "return_type", return_types[rw->type]);
  noc_jw_kstr(w, "planet", noc_body_name(rw->body));
  noc_jw_knum(w, "natal_longitude", rw->natal_lon, 7);
  noc_jw_kstr(w, "mode", rw->range ? "range" : "nearest");
  noc_jw_key(w, "location");
  if (rw->relocated || rw->natal.has_location) {
    noc_jw_obj(w);
    noc_jw_knum(w, "latitude", rw->relocated ? rw->lat : rw->natal.latitude, 6);
    noc_jw_knum(w, "longitude", rw->relocated ? rw->lon : rw->natal.longitude, 6);
    noc_jw_kbool(w, "relocated", rw->relocated);
    noc_jw_obj_end(w);
  } else {
    noc_jw_null(w);
  }
  noc_jw_key(w, "returns");
  noc_jw_arr(w);
  for (int i = 0; st == NOC_OK && i < rw->n; i++)
    st = write_return(call, rw, &rw->ret[i], &cfg);
  noc_jw_arr_end(w);
  noc_jw_kstr(w, "conventions",
              "a return is the instant the body is back at its natal longitude in the chart's "
              "zodiac (sidereal charts: sidereal returns), to about 0.01 s; nearest: the one "
              "closest to return_date; range: all between start_date and end_date (a planet "
              "can return up to three times around a station; crossings in the retrograde loop "
              "of the birth year count too); never the natal instant itself");
  noc_jw_obj_end(w);
  return st;
}

int noc_ep_returns(noc_api_call *call) {
  static const char *const own[] = {"natal_chart", "return_type", "planet",   "return_date",
                                    "start_date",  "end_date",    "location", NULL};
  return_work *rw = calloc(1, sizeof *rw);
  if (rw == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  noc_status st = read_returns(call, rw);
  if (st == NOC_OK) st = find_returns(call, rw);
  if (st == NOC_OK) {
    warn_unknown(call, &rw->o, false, own);
    st = write_returns(call, rw);
  }
  free(rw);
  return st;
}
