/* Endpoints: synastry, composite (midpoint and Davison) and transits, the table of the technique
 * endpoints, and the pieces they share.
 *
 * Requests (chart objects have the fields of natal-chart: date, time, timezone or utc_offset,
 * latitude, longitude, zodiac, house_system, ...; options may sit in an "options" object, the
 * older service's shape, or at the top level: planets, aspects, orb_multiplier, orbs, body_orbs,
 * include_angles (ASC and MC take part in aspects, default true), exact_times,
 * exact_window_days). Moments ("transit_date", "progression_date", "target_date", "return_date",
 * "start_date", "end_date") are "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" in the natal chart's
 * zone, or with "Z" or an offset, or a Julian day UT number.
 * - stateless/synastry {chart1, chart2}: chart1, chart2 (positions, houses, angles), aspects
 *   (planet1 of chart1, planet2 of chart2, with nature, weight and category), total_strength,
 *   house_overlays {chart2_in_chart1, chart1_in_chart2}, compatibility {score, harmony,
 *   tension, breakdown, method}. Identical charts are allowed with a warning.
 * - stateless/composite {chart1, chart2, composite_type: midpoint | davison}: positions, houses,
 *   angles, aspects, location, time (Davison). Both charts must share zodiac and centre.
 * - stateless/transits {natal_chart, transit_date, transit_time?, transit_location?}: natal,
 *   transits (positions with the natal house they transit; houses of the moment), aspects with
 *   exact_time (default on).
 * - stateless/progressions {natal_chart, progression_date, progression_type: secondary |
 *   tertiary | minor, angle_method: naibod | solar_arc | daily_houses, converse,
 *   exact_window_years}: the progressed chart, natal, aspects progressed to natal with the date
 *   of life each perfects; calculations/secondary-progressions takes the natal chart flat.
 * - stateless/directions {natal_chart, direction_type: primary | solar_arc, converse,
 *   target_date and/or start_date + end_date (default: a year either side of target_date)}:
 *   solar arc: the directed chart, aspects to natal and the dated events of the period; primary:
 *   mode zodiaco | mundo, key ptolemy | naibod | cardan or key_rate (degrees a year),
 *   significators (ASC, MC, SUN, MOON), promissors (Sun..Pluto), aspects (the five Ptolemaic):
 *   the directions perfecting in the period with arc, age and date, and the directed chart at
 *   target_date; calculations/primary-directions takes the natal chart flat.
 * - stateless/returns {natal_chart, return_type: solar | lunar | planetary, planet, return_date
 *   (the nearest) or start_date + end_date (all, at most 150), location?}: returns[], each a full
 *   chart with return_time (UTC, milliseconds), julian days, the body's longitude and motion.
 * Dates before birth are refused on the field that gives them (progressions, directions and
 * returns count forward from birth; converse motion is the "converse" option). */
#include "api/ep_techniques.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Shared pieces --------------------------------------------------------------------------- */

const char *const noc_tech_option_keys[] = {"planets",     "aspects",           "orb_multiplier",
                                            "orbs",        "body_orbs",         "include_angles",
                                            "exact_times", "exact_window_days", NULL};

static bool has_body(const noc_chart_point *pts, int n, noc_body b) {
  for (int i = 0; i < n; i++)
    if (pts[i].body == b) return true;
  return false;
}

void noc_tech_points_of(const noc_chart_point *pts, int n, const noc_houses *h, bool add_angles,
                        double speed_scale, double angle_speed, noc_tech_points *out) {
  out->n = 0;
  for (int i = 0; i < n; i++) {
    bool angle = noc_body_is_angle(pts[i].body);
    double speed = angle || !pts[i].has_speed ? angle_speed : pts[i].pos.speed_longitude;
    out->ap[out->n++] =
        (noc_aspect_point){pts[i].body, pts[i].pos.longitude, angle ? speed : speed * speed_scale};
  }
  if (!add_angles || h == NULL) return;
  if (!has_body(pts, n, NOC_ASC))
    out->ap[out->n++] = (noc_aspect_point){NOC_ASC, h->asc, angle_speed};
  if (!has_body(pts, n, NOC_MC)) out->ap[out->n++] = (noc_aspect_point){NOC_MC, h->mc, angle_speed};
}

void noc_tech_aspect_defaults(noc_aspect_config *cfg, double orb) {
  noc_aspect_config_default(cfg);
  static const noc_aspect_type used[] = {
      NOC_ASP_CONJUNCTION, NOC_ASP_OPPOSITION, NOC_ASP_TRINE,
      NOC_ASP_SQUARE,      NOC_ASP_SEXTILE,    NOC_ASP_QUINCUNX,
      NOC_ASP_SEMISEXTILE, NOC_ASP_SEMISQUARE, NOC_ASP_SESQUISQUARE};
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    cfg->enabled[i] = false;
    if (orb > 0.0) cfg->orb[i] = orb;
  }
  for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
    cfg->enabled[used[i]] = true;
}

noc_status noc_tech_read_options(noc_api_call *call, double default_orb, bool exact_default,
                                 noc_tech_options *o) {
  noc_status st = noc_in_options(call, &o->obj, &o->prefix);
  if (st != NOC_OK) return st;
  o->include_angles = true;
  o->exact_times = exact_default;
  noc_tech_aspect_defaults(&o->cfg, default_orb);
  if ((st = noc_in_bodies(call, o->obj, o->prefix, "planets", noc_default_bodies,
                          NOC_DEFAULT_BODY_COUNT, o->bodies, &o->count)) != NOC_OK ||
      (st = noc_in_bool(call, o->obj, o->prefix, "include_angles", &o->include_angles)) != NOC_OK ||
      (st = noc_in_bool(call, o->obj, o->prefix, "exact_times", &o->exact_times)) != NOC_OK)
    return st;
  return noc_in_aspect_options(call, o->obj, o->prefix, &o->cfg);
}

void noc_tech_warn_unknown(noc_api_call *call, const noc_tech_options *o, const char *const *own) {
  const char *known[64];
  int n = 0;
  for (const char *const *k = own; *k && n < 40; k++)
    known[n++] = *k;
  known[n++] = "options";
  if (o->obj == call->body) {
    for (const char *const *k = noc_tech_option_keys; *k && n < 63; k++)
      known[n++] = *k;
  } else {
    noc_in_warn_unknown(call, o->obj, o->prefix, noc_tech_option_keys);
  }
  known[n] = NULL;
  noc_in_warn_unknown(call, call->body, "", known);
}

noc_status noc_tech_enum(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         const char *const *names, int *out) {
  const char *s = NULL;
  noc_status st = noc_in_string(call, obj, prefix, key, false, &s);
  if (st != NOC_OK || s == NULL) return st;
  char list[200] = "";
  for (int i = 0; names[i]; i++) {
    if (strcasecmp(s, names[i]) == 0) {
      *out = i;
      return NOC_OK;
    }
    size_t len = strlen(list);
    snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
  }
  char path[NOC_ERR_FIELD_MAX];
  return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                  "'%.40s' is not one of: %s", s, list);
}

static const char *nature_name(const noc_compat_item *it) {
  if (it->harmony > 0.0 && it->tension > 0.0) return "mixed";
  return it->tension > 0.0 ? "tension" : "harmony";
}

void noc_tech_out_cross_aspects(noc_api_call *call, const noc_tech_points *a,
                                const noc_tech_points *b, const noc_aspect *asp, int n,
                                const double *exact, const noc_compat_item *items) {
  noc_jw *w = call->w;
  noc_jw_arr(w);
  for (int i = 0; i < n; i++) {
    const noc_aspect *x = &asp[i];
    const noc_aspect_def *def = noc_aspect_def_get(x->type);
    noc_jw_obj(w);
    noc_jw_kstr(w, "planet1", noc_body_name(a->ap[x->a].body));
    noc_jw_kstr(w, "planet2", noc_body_name(b->ap[x->b].body));
    noc_jw_kstr(w, "aspect_type", def->name);
    noc_jw_knum(w, "aspect_angle", def->angle, 4);
    noc_jw_knum(w, "angle", x->separation, 7);
    noc_jw_knum(w, "orb", x->orb, 7);
    noc_jw_kbool(w, "applying", x->applying);
    noc_jw_knum(w, "strength", x->strength, 4);
    if (exact) {
      noc_jw_key(w, "exact_time");
      if (isnan(exact[i]))
        noc_jw_null(w);
      else
        noc_out_instant(call, exact[i], 0);
    }
    if (items) {
      noc_jw_kstr(w, "nature", nature_name(&items[i]));
      noc_jw_knum(w, "weight", items[i].harmony + items[i].tension, 4);
      noc_jw_kstr(w, "category", noc_compat_category_name(items[i].category));
    }
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
}

noc_status noc_tech_perfection(noc_api_call *call, const noc_calc_options *opt, noc_body body,
                               double moving, double speed, double fixed, double angle, double jd,
                               double window, double *out) {
  *out = NAN;
  if (noc_body_is_angle(body) || !(window > 0.0)) return NOC_OK;
  /* The aspect on the side the body stands now: a waxing square is not the waning one. */
  double target = noc_norm360(fixed + (noc_angle_diff(moving, fixed) >= 0.0 ? angle : -angle));
  double now[2] = {moving, speed};
  bool found = false;
  double when;
  noc_status st = noc_body_reaches(call->env->ctx, opt, body, &target, 1, jd, now, jd - window,
                                   jd + window, 1e-7, &found, &when, &call->err);
  if (st == NOC_OK && found) *out = when;
  return st;
}

/* ---- Two charts ------------------------------------------------------------------------------ */

typedef struct two_charts {
  noc_full_chart c[2];
  noc_tech_options o;
} two_charts;

/* Aspects and midpoints between charts of different zodiacs or centres would mix frames. */
static noc_status check_same_frame(noc_api_call *call, const noc_chart_in *a,
                                   const noc_chart_in *b) {
  if (a->opt.zodiac != b->opt.zodiac)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "chart2.zodiac",
                    "must be the same as chart1's (both tropical or both sidereal)");
  if (a->opt.zodiac == NOC_SIDEREAL &&
      (a->opt.ayanamsa != b->opt.ayanamsa || a->opt.user_ayan_t0 != b->opt.user_ayan_t0 ||
       a->opt.user_t0_jd_tt != b->opt.user_t0_jd_tt))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "chart2.ayanamsa",
                    "must be the same as chart1's");
  if (a->opt.center != b->opt.center)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "chart2.center",
                    "must be the same as chart1's");
  return NOC_OK;
}

static bool same_chart(const noc_chart_in *a, const noc_chart_in *b) {
  return a->time.jd_ut == b->time.jd_ut && a->has_location == b->has_location &&
         (!a->has_location || (a->latitude == b->latitude && a->longitude == b->longitude));
}

static noc_status read_two_charts(noc_api_call *call, two_charts *tc, double default_orb) {
  noc_status st;
  if ((st = noc_in_chart_at(call, call->body, "chart1", &tc->c[0].in)) != NOC_OK ||
      (st = noc_in_chart_at(call, call->body, "chart2", &tc->c[1].in)) != NOC_OK ||
      (st = check_same_frame(call, &tc->c[0].in, &tc->c[1].in)) != NOC_OK ||
      (st = noc_tech_read_options(call, default_orb, false, &tc->o)) != NOC_OK)
    return st;
  if (same_chart(&tc->c[0].in, &tc->c[1].in))
    noc_warn(call, "IDENTICAL_CHARTS",
             "chart1 and chart2 are the same instant and place; the result compares a chart "
             "with itself");
  return NOC_OK;
}

static noc_status compute_two(noc_api_call *call, two_charts *tc) {
  noc_status st = noc_full_chart_compute(call, &tc->c[0], tc->o.bodies, tc->o.count);
  if (st == NOC_OK) st = noc_full_chart_compute(call, &tc->c[1], tc->o.bodies, tc->o.count);
  return st;
}

static void out_chart(noc_api_call *call, const char *key, const noc_full_chart *fc) {
  noc_jw_key(call->w, key);
  noc_jw_obj(call->w);
  noc_out_chart_fields(call, fc->points, fc->count, fc->has_houses ? &fc->houses : NULL);
  noc_jw_obj_end(call->w);
}

/* ---- Synastry -------------------------------------------------------------------------------- */

static void out_overlay(noc_api_call *call, const char *key, const noc_full_chart *guest,
                        const noc_full_chart *host) {
  noc_jw *w = call->w;
  noc_jw_key(w, key);
  if (!host->has_houses) {
    noc_jw_null(w);
    return;
  }
  noc_jw_arr(w);
  for (int i = 0; i < guest->count; i++) {
    const noc_chart_point *p = &guest->points[i];
    noc_jw_obj(w);
    noc_jw_kstr(w, "planet", noc_body_name(p->body));
    noc_jw_knum(w, "longitude", p->pos.longitude, 7);
    noc_jw_kint(w, "house", noc_house_of(&host->houses, p->pos.longitude));
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
}

static void out_compat(noc_api_call *call, const noc_compat *c, int n) {
  noc_jw *w = call->w;
  noc_jw_key(w, "compatibility");
  noc_jw_obj(w);
  noc_jw_knum(w, "score", c->score, 1);
  noc_jw_knum(w, "harmony", c->harmony, 3);
  noc_jw_knum(w, "tension", c->tension, 3);
  noc_jw_kint(w, "aspect_count", n);
  noc_jw_key(w, "breakdown");
  noc_jw_obj(w);
  for (int i = 0; i < NOC_COMPAT_COUNT; i++) {
    noc_jw_key(w, noc_compat_category_name((noc_compat_category)i));
    noc_jw_obj(w);
    noc_jw_knum(w, "harmony", c->part[i].harmony, 3);
    noc_jw_knum(w, "tension", c->part[i].tension, 3);
    noc_jw_kint(w, "aspects", c->part[i].aspects);
    noc_jw_obj_end(w);
  }
  noc_jw_obj_end(w);
  noc_jw_kstr(w, "method",
              "weight = W(body1) * W(body2) * (1 major | 0.5 minor) * (0.5 + 0.5 * strength); "
              "W: Sun, Moon 3; Venus, Mars, ASC 2.5; Mercury, Jupiter, MC 2; Saturn 1.5; "
              "Uranus, Neptune, Pluto, nodes 1; others 0.5. Trines, sextiles, semisextiles and "
              "the quintile and novile families are harmony; squares, oppositions, quincunxes, "
              "semisquares, sesquisquares and septiles tension; a conjunction is harmony unless "
              "it joins Mars, Saturn, Uranus, Neptune, Pluto or Lilith with a personal point "
              "(half each). "
              "score = 100 * (harmony + 10) / (harmony + tension + 20)");
  noc_jw_obj_end(w);
}

typedef struct synastry_work {
  two_charts tc;
  noc_tech_points pa, pb;
  noc_aspect asp[NOC_CROSS_CAP];
  noc_compat_item items[NOC_CROSS_CAP];
  int n;
  noc_compat compat;
} synastry_work;

static noc_status synastry_compute(noc_api_call *call, synastry_work *sw) {
  noc_status st = read_two_charts(call, &sw->tc, 0.0);
  if (st == NOC_OK) st = compute_two(call, &sw->tc);
  if (st != NOC_OK) return st;
  const noc_full_chart *c1 = &sw->tc.c[0], *c2 = &sw->tc.c[1];
  noc_tech_points_of(c1->points, c1->count, c1->has_houses ? &c1->houses : NULL,
                     sw->tc.o.include_angles, 1.0, 0.0, &sw->pa);
  noc_tech_points_of(c2->points, c2->count, c2->has_houses ? &c2->houses : NULL,
                     sw->tc.o.include_angles, 1.0, 0.0, &sw->pb);
  st = noc_cross_aspects_find(sw->pa.ap, sw->pa.n, sw->pb.ap, sw->pb.n, &sw->tc.o.cfg, false,
                              sw->asp, NOC_CROSS_CAP, &sw->n, &call->err);
  if (st == NOC_OK) noc_compat_score(sw->pa.ap, sw->pb.ap, sw->asp, sw->n, &sw->compat, sw->items);
  return st;
}

static void synastry_write(noc_api_call *call, const synastry_work *sw) {
  const noc_full_chart *c1 = &sw->tc.c[0], *c2 = &sw->tc.c[1];
  double total = 0.0;
  for (int i = 0; i < sw->n; i++)
    total += sw->asp[i].strength;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  out_chart(call, "chart1", c1);
  out_chart(call, "chart2", c2);
  noc_jw_key(w, "aspects");
  noc_tech_out_cross_aspects(call, &sw->pa, &sw->pb, sw->asp, sw->n, NULL, sw->items);
  noc_jw_knum(w, "total_strength", sw->n ? total / sw->n : 0.0, 4);
  noc_jw_key(w, "house_overlays");
  noc_jw_obj(w);
  out_overlay(call, "chart2_in_chart1", c2, c1);
  out_overlay(call, "chart1_in_chart2", c1, c2);
  noc_jw_obj_end(w);
  out_compat(call, &sw->compat, sw->n);
  noc_jw_kstr(w, "applying",
              "planet1 is chart1's, planet2 chart2's. Applying means the orb shrinks when both "
              "bodies go on with their own daily motions (relative speed speed1 - speed2), so "
              "the faster body decides; angles count as not moving");
  noc_jw_obj_end(w);
}

static int ep_synastry(noc_api_call *call) {
  static const char *const own[] = {"chart1", "chart2", NULL};
  synastry_work *sw = calloc(1, sizeof *sw);
  if (sw == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  noc_status st = synastry_compute(call, sw);
  if (st == NOC_OK) {
    noc_tech_warn_unknown(call, &sw->tc.o, own);
    synastry_write(call, sw);
  }
  free(sw);
  return st;
}

/* ---- Composite ------------------------------------------------------------------------------- */

static const char *const composite_types[] = {"midpoint", "davison", NULL};

/* Houses of the midpoint composite: from the composite MC at the mean latitude (the reference
 * place method), so that the cusps form a real house division around a real MC. */
static noc_status composite_houses(noc_api_call *call, const two_charts *tc, double eps, double aya,
                                   noc_houses *h) {
  const noc_full_chart *a = &tc->c[0], *b = &tc->c[1];
  double mc = noc_composite_midpoint(a->houses.mc, b->houses.mc);
  double armc = noc_armc_of_mc(noc_norm360(mc + aya), eps);
  double lat = 0.5 * (a->in.latitude + b->in.latitude);
  double sun_dec = 0.0;
  if (noc_house_system_uses_sun(a->in.house_system)) {
    /* Sunshine houses of the composite take the composite Sun's declination. */
    noc_position s1, s2;
    double ra;
    noc_status sst = noc_chart_sun(call, &a->in, &s1);
    if (sst == NOC_OK) sst = noc_chart_sun(call, &b->in, &s2);
    if (sst != NOC_OK) return sst;
    noc_ecl_to_equ(noc_norm360(noc_composite_midpoint(s1.longitude, s2.longitude) + aya),
                   0.5 * (s1.latitude + s2.latitude), eps, &ra, &sun_dec);
  }
  noc_status st = noc_houses_from_armc(armc, lat, eps, aya, sun_dec, a->in.house_system,
                                       a->in.strict_houses, h, &call->err);
  if (st != NOC_OK) return st;
  if (h->fell_back)
    noc_warn(call, "HOUSE_SYSTEM_FALLBACK",
             "%s houses are undefined at the composite latitude %.4f; %s cusps were used",
             h->requested->name, lat, h->used->name);
  return NOC_OK;
}

static void composite_point(const noc_chart_point *p, const noc_chart_point *q, double eps,
                            double aya, noc_chart_point *out) {
  memset(out, 0, sizeof *out);
  out->body = p->body;
  out->has_speed = p->has_speed && q->has_speed;
  noc_position *o = &out->pos;
  o->longitude = noc_composite_midpoint(p->pos.longitude, q->pos.longitude);
  o->latitude = 0.5 * (p->pos.latitude + q->pos.latitude);
  o->distance = 0.5 * (p->pos.distance + q->pos.distance);
  o->speed_longitude = 0.5 * (p->pos.speed_longitude + q->pos.speed_longitude);
  o->speed_latitude = 0.5 * (p->pos.speed_latitude + q->pos.speed_latitude);
  o->speed_distance = 0.5 * (p->pos.speed_distance + q->pos.speed_distance);
  noc_ecl_to_equ(noc_norm360(o->longitude + aya), o->latitude, eps, &o->right_ascension,
                 &o->declination);
}

static noc_status midpoint_composite(noc_api_call *call, two_charts *tc, noc_full_chart *out) {
  noc_status st = compute_two(call, tc);
  if (st != NOC_OK) return st;
  const noc_full_chart *a = &tc->c[0], *b = &tc->c[1];
  out->in = a->in;
  out->eps = 0.5 * (a->eps + b->eps);
  out->ayanamsa = 0.5 * (a->ayanamsa + b->ayanamsa);
  out->has_houses = a->has_houses && b->has_houses;
  if (!out->has_houses)
    noc_warn(call, "NO_HOUSES", "composite houses need the places of both charts");
  else if ((st = composite_houses(call, tc, out->eps, out->ayanamsa, &out->houses)) != NOC_OK)
    return st;
  out->count = a->count;
  for (int i = 0; i < a->count; i++) {
    if (noc_body_is_angle(a->points[i].body)) {
      /* An angle is the composite houses' own, not the midpoint of the two angles. */
      memset(&out->points[i], 0, sizeof out->points[i]);
      out->points[i].body = a->points[i].body;
      if (out->has_houses)
        out->points[i].pos.longitude = noc_houses_angle(&out->houses, a->points[i].body);
    } else {
      composite_point(&a->points[i], &b->points[i], out->eps, out->ayanamsa, &out->points[i]);
    }
    if (out->has_houses)
      out->points[i].house = noc_house_of(&out->houses, out->points[i].pos.longitude);
  }
  return NOC_OK;
}

/* The Davison chart: a real chart at the mean instant (UT) and the mean place (mean latitude,
 * longitude midway on the shorter arc). */
static noc_status davison_chart(noc_api_call *call, two_charts *tc, noc_full_chart *out) {
  const noc_chart_in *a = &tc->c[0].in, *b = &tc->c[1].in;
  out->in = *a;
  noc_status st = noc_time_from_jd_ut(call->env->ctx, 0.5 * (a->time.jd_ut + b->time.jd_ut),
                                      &out->in.time, &call->err);
  if (st != NOC_OK) return st;
  out->in.has_location = a->has_location && b->has_location;
  if (out->in.has_location) {
    out->in.latitude = 0.5 * (a->latitude + b->latitude);
    double lon = noc_composite_midpoint(a->longitude, b->longitude);
    out->in.longitude = lon > 180.0 ? lon - 360.0 : lon;
    out->in.altitude = 0.5 * (a->altitude + b->altitude);
    out->in.opt.latitude = out->in.latitude;
    out->in.opt.longitude = out->in.longitude;
    out->in.opt.altitude_m = out->in.altitude;
  } else {
    noc_warn(call, "NO_HOUSES", "Davison houses need the places of both charts");
    if (out->in.opt.center == NOC_TOPOCENTRIC)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, "chart2.latitude",
                      "a topocentric Davison chart needs both places");
  }
  return noc_full_chart_compute(call, out, tc->o.bodies, tc->o.count);
}

static int ep_composite(noc_api_call *call) {
  static const char *const own[] = {"chart1", "chart2", "composite_type", NULL};
  two_charts tc;
  int type = 0;
  noc_status st = read_two_charts(call, &tc, 0.0);
  if (st == NOC_OK)
    st = noc_tech_enum(call, call->body, "", "composite_type", composite_types, &type);
  if (st != NOC_OK) return st;
  noc_tech_warn_unknown(call, &tc.o, own);
  /* The composite is a chart of its own: its aspects use the natal defaults. */
  noc_aspect_config cfg;
  noc_aspect_config_default(&cfg);
  if ((st = noc_in_aspect_options(call, tc.o.obj, tc.o.prefix, &cfg)) != NOC_OK) return st;
  noc_full_chart *c = calloc(1, sizeof *c);
  if (c == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  st = type == 0 ? midpoint_composite(call, &tc, c) : davison_chart(call, &tc, c);
  noc_aspect_point ap[NOC_BODY_COUNT];
  noc_aspect asp[NOC_BODY_COUNT * (NOC_BODY_COUNT - 1) / 2];
  int n = 0;
  for (int i = 0; st == NOC_OK && i < c->count; i++)
    ap[i] = (noc_aspect_point){c->points[i].body, c->points[i].pos.longitude,
                               c->points[i].has_speed ? c->points[i].pos.speed_longitude : 0.0};
  if (st == NOC_OK)
    st = noc_aspects_find(NULL, NULL, NULL, ap, c->count, &cfg, asp,
                          c->count > 1 ? c->count * (c->count - 1) / 2 : 1, &n, &call->err);
  if (st == NOC_OK) {
    noc_jw *w = call->w;
    noc_jw_obj(w);
    noc_jw_kstr(w, "composite_type", composite_types[type]);
    noc_out_chart_fields(call, c->points, c->count, c->has_houses ? &c->houses : NULL);
    noc_jw_key(w, "aspects");
    noc_out_aspects(call, c->points, asp, n, false);
    noc_jw_key(w, "location");
    if (tc.c[0].in.has_location && tc.c[1].in.has_location) {
      noc_jw_obj(w);
      double lon = noc_composite_midpoint(tc.c[0].in.longitude, tc.c[1].in.longitude);
      noc_jw_knum(w, "latitude", 0.5 * (tc.c[0].in.latitude + tc.c[1].in.latitude), 6);
      noc_jw_knum(w, "longitude", lon > 180.0 ? lon - 360.0 : lon, 6);
      noc_jw_obj_end(w);
    } else {
      noc_jw_null(w);
    }
    if (type == 1) {
      noc_jw_key(w, "time");
      noc_out_instant_obj(call, c->in.time.jd_ut);
    }
    noc_jw_kstr(w, "method",
                type == 0
                    ? "midpoint composite: each body at the midpoint of its two longitudes on "
                      "the shorter arc (latitude, distance and speeds averaged); the houses "
                      "come from the composite MC (midpoint of the MCs) at the mean latitude "
                      "with the mean of the two charts' true obliquities, so ASC and cusps are not "
                      "midpoints themselves"
                    : "Davison: the real chart of the mean instant (UT) at the mean place "
                      "(mean latitude, longitude midway on the shorter arc)");
    noc_jw_obj_end(w);
  }
  free(c);
  return st;
}

/* ---- Transits -------------------------------------------------------------------------------- */

typedef struct transit_work {
  noc_full_chart natal, transit;
  noc_tech_options o;
  noc_tech_points pt, pn;
  noc_aspect asp[NOC_CROSS_CAP];
  double exact[NOC_CROSS_CAP];
  int n;
} transit_work;

static noc_status read_transit(noc_api_call *call, transit_work *tw) {
  noc_status st = noc_in_chart_at(call, call->body, "natal_chart", &tw->natal.in);
  if (st != NOC_OK) return st;
  json_t *natal_obj = json_object_get(call->body, "natal_chart");
  tw->transit.in = tw->natal.in;
  if ((st = noc_in_moment(call, call->body, "transit_date", "transit_time", natal_obj, true,
                          &tw->transit.in.time, NULL)) != NOC_OK)
    return st;
  bool moved = false;
  double lat = 0, lon = 0;
  if ((st = noc_in_place(call, call->body, "transit_location", &lat, &lon, &moved)) != NOC_OK)
    return st;
  if (moved) {
    tw->transit.in.has_location = true;
    tw->transit.in.latitude = tw->transit.in.opt.latitude = lat;
    tw->transit.in.longitude = tw->transit.in.opt.longitude = lon;
  }
  /* Transit orbs are the aspect table's; the instant of perfection is searched by default. */
  return noc_tech_read_options(call, 0.0, true, &tw->o);
}

static noc_status transit_aspects(noc_api_call *call, transit_work *tw) {
  const noc_full_chart *t = &tw->transit, *nc = &tw->natal;
  /* Transiting bodies move; natal points stand still. Transiting angles are left out: they
   * sweep the whole zodiac in a day. */
  noc_chart_point bodies[NOC_BODY_COUNT];
  int nb = 0;
  for (int i = 0; i < t->count; i++)
    if (!noc_body_is_angle(t->points[i].body)) bodies[nb++] = t->points[i];
  noc_tech_points_of(bodies, nb, NULL, false, 1.0, 0.0, &tw->pt);
  noc_tech_points_of(nc->points, nc->count, nc->has_houses ? &nc->houses : NULL,
                     tw->o.include_angles, 0.0, 0.0, &tw->pn);
  noc_status st = noc_cross_aspects_find(tw->pt.ap, tw->pt.n, tw->pn.ap, tw->pn.n, &tw->o.cfg,
                                         false, tw->asp, NOC_CROSS_CAP, &tw->n, &call->err);
  for (int i = 0; st == NOC_OK && i < tw->n; i++) {
    tw->exact[i] = NAN;
    if (tw->o.exact_times)
      st = noc_tech_perfection(call, &t->in.opt, tw->pt.ap[tw->asp[i].a].body,
                               tw->pt.ap[tw->asp[i].a].longitude, tw->pt.ap[tw->asp[i].a].speed,
                               tw->pn.ap[tw->asp[i].b].longitude,
                               noc_aspect_def_get(tw->asp[i].type)->angle, t->in.time.jd_ut,
                               tw->o.cfg.exact_window_days, &tw->exact[i]);
  }
  return st;
}

static int ep_transits(noc_api_call *call) {
  static const char *const own[] = {"natal_chart", "transit_date", "transit_time",
                                    "transit_location", NULL};
  transit_work *tw = calloc(1, sizeof *tw);
  if (tw == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  noc_status st = read_transit(call, tw);
  if (st == NOC_OK) st = noc_full_chart_compute(call, &tw->natal, tw->o.bodies, tw->o.count);
  if (st == NOC_OK) st = noc_full_chart_compute(call, &tw->transit, tw->o.bodies, tw->o.count);
  if (st == NOC_OK) st = transit_aspects(call, tw);
  if (st == NOC_OK) {
    noc_tech_warn_unknown(call, &tw->o, own);
    /* A transiting body's house is the natal house it passes through. */
    noc_chart_point shown[NOC_BODY_COUNT];
    memcpy(shown, tw->transit.points, sizeof shown);
    for (int i = 0; i < tw->transit.count; i++)
      shown[i].house =
          tw->natal.has_houses ? noc_house_of(&tw->natal.houses, shown[i].pos.longitude) : 0;
    noc_jw *w = call->w;
    noc_jw_obj(w);
    noc_jw_key(w, "transit_time");
    noc_out_instant_obj(call, tw->transit.in.time.jd_ut);
    out_chart(call, "natal", &tw->natal);
    noc_jw_key(w, "transits");
    noc_jw_obj(w);
    noc_out_chart_fields(call, shown, tw->transit.count,
                         tw->transit.has_houses ? &tw->transit.houses : NULL);
    noc_jw_obj_end(w);
    noc_jw_key(w, "aspects");
    noc_tech_out_cross_aspects(call, &tw->pt, &tw->pn, tw->asp, tw->n,
                               tw->o.exact_times ? tw->exact : NULL, NULL);
    noc_jw_kstr(w, "conventions",
                "planet1 is the transiting body, planet2 the natal point; transits.positions[]."
                "house is the natal house the body transits, transits.houses the houses of the "
                "transit moment; exact_time is when this aspect (on the side the body stands) "
                "perfects, nearest the transit moment within exact_window_days (default 30)");
    noc_jw_obj_end(w);
  }
  free(tw);
  return st;
}

/* ---- The table ------------------------------------------------------------------------------- */

const noc_endpoint noc_endpoints_techniques[] = {
    {"stateless/synastry", "POST", "calculations",
     "Inter-chart aspects, house overlays both ways and a compatibility score", ep_synastry},
    {"stateless/composite", "POST", "calculations",
     "Midpoint composite or Davison chart of two charts", ep_composite},
    {"stateless/transits", "POST", "calculations",
     "Positions at a moment and their aspects to a natal chart, with exact times", ep_transits},
    {"stateless/progressions", "POST", "calculations",
     "Secondary, tertiary or minor progressions with progressed angles and aspects to natal",
     noc_ep_progressions},
    {"stateless/directions", "POST", "calculations",
     "Solar arc or Placidus primary directions, with the dates they perfect in a period",
     noc_ep_directions},
    {"stateless/returns", "POST", "calculations",
     "Solar, lunar and planetary returns nearest a date or within a range, each a full chart",
     noc_ep_returns},
    {"calculations/secondary-progressions", "POST", "calculations",
     "Secondary progressions of a flat natal chart input", noc_ep_secondary_progressions},
    {"calculations/primary-directions", "POST", "calculations",
     "Placidus primary directions of a flat natal chart input", noc_ep_primary_directions},
    {NULL, NULL, NULL, NULL, NULL},
};
