/* Endpoints: special points, harmonics, antiscia, declinations and midpoints (issue 6); the
 * table of the whole group. Stars, parts, dignities, patterns and shapes are in
 * ep_points_trad.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/points_chart.h"
#include "nocturna/zodiac.h"

/* The older service's default set, as for natal charts. */
static const noc_body chart_bodies[] = {NOC_SUN,     NOC_MOON,    NOC_MERCURY,   NOC_VENUS,
                                        NOC_MARS,    NOC_JUPITER, NOC_SATURN,    NOC_URANUS,
                                        NOC_NEPTUNE, NOC_PLUTO,   NOC_MEAN_NODE, NOC_MEAN_LILITH};
enum { CHART_BODY_COUNT = sizeof chart_bodies / sizeof chart_bodies[0] };

static const noc_pchart_spec default_spec = {chart_bodies, CHART_BODY_COUNT, true, false, NULL,
                                             false};

/* ---- special-points ------------------------------------------------------------------------ */

typedef struct special_point {
  const char *key;
  const char *type;
  noc_position pos;
  bool has_speed;
  bool has_latitude;
} special_point;

enum { SPECIAL_MAX = 24 };

typedef struct special_set {
  special_point p[SPECIAL_MAX];
  int n;
} special_set;

static special_point *special_add(special_set *s, const char *key, const char *type) {
  special_point *p = &s->p[s->n++];
  memset(p, 0, sizeof *p);
  p->key = key;
  p->type = type;
  p->has_speed = true;
  p->has_latitude = true;
  return p;
}

static noc_status add_body(noc_api_call *call, const noc_pchart *pc, special_set *s,
                           const char *key, const char *type, noc_body body) {
  special_point *p = special_add(s, key, type);
  return noc_body_position(call->env->ctx, &pc->in.time, body, &pc->in.opt, &p->pos, &call->err);
}

static noc_status add_special(noc_api_call *call, const noc_pchart *pc, special_set *s,
                              const char *key, const char *type, noc_special_body which) {
  special_point *p = special_add(s, key, type);
  return noc_special_body_position(call->env->ctx, &pc->in.time, which, &pc->in.opt, &p->pos,
                                   &call->err);
}

/* A point of the houses (no speed): its equatorial place from the ecliptic. */
static void add_ecliptic(const noc_pchart *pc, special_set *s, const char *key, const char *type,
                         double lon) {
  special_point *p = special_add(s, key, type);
  p->has_speed = false;
  p->has_latitude = false;
  p->pos.longitude = noc_norm360(lon);
  p->pos.declination = noc_ecliptic_declination(lon + pc->ayanamsa, 0.0, pc->eps);
  p->pos.right_ascension = noc_ecliptic_right_ascension(lon + pc->ayanamsa, 0.0, pc->eps);
}

typedef struct special_opts {
  bool nodes, lilith, selena, true_node, vertex, east_point, fortune;
} special_opts;

static noc_status read_special_opts(noc_api_call *call, special_opts *o) {
  *o = (special_opts){true, true, true, false, true, true, true};
  noc_status st;
  double ignored = 0;
  if ((st = noc_popt_bool(call, "include_nodes", &o->nodes)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_lilith", &o->lilith)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_selena", &o->selena)) != NOC_OK ||
      (st = noc_popt_bool(call, "use_true_node", &o->true_node)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_vertex", &o->vertex)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_east_point", &o->east_point)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_part_of_fortune", &o->fortune)) != NOC_OK ||
      (st = noc_popt_number(call, "time_range_minutes", 0, 1e6, &ignored)) != NOC_OK)
    return st;
  json_t *obj;
  const char *prefix;
  noc_popt(call, "time_range_minutes", &obj, &prefix);
  if (obj)
    noc_warn(call, "FIELD_IGNORED",
             "time_range_minutes is not used: special points are computed at the chart's instant");
  return NOC_OK;
}

static noc_status special_nodes(noc_api_call *call, const noc_pchart *pc, const special_opts *o,
                                special_set *s) {
  noc_status st;
  const char *kind = o->true_node ? "true" : "mean";
  if ((st = add_body(call, pc, s, "north_node", kind,
                     o->true_node ? NOC_TRUE_NODE : NOC_MEAN_NODE)) != NOC_OK ||
      (st = add_body(call, pc, s, "south_node", kind,
                     o->true_node ? NOC_TRUE_SOUTH_NODE : NOC_MEAN_SOUTH_NODE)) != NOC_OK ||
      (st = add_body(call, pc, s, "mean_north_node", "mean", NOC_MEAN_NODE)) != NOC_OK ||
      (st = add_body(call, pc, s, "mean_south_node", "mean", NOC_MEAN_SOUTH_NODE)) != NOC_OK ||
      (st = add_body(call, pc, s, "true_north_node", "true", NOC_TRUE_NODE)) != NOC_OK)
    return st;
  return add_body(call, pc, s, "true_south_node", "true", NOC_TRUE_SOUTH_NODE);
}

/* Swiss Ephemeris limits some variants to a span of years (the interpolated apsides to about
 * 3000 BCE..3000 CE): outside it the point is left out with a warning, not the request. */
static noc_status optional(noc_api_call *call, special_set *s, noc_status st) {
  if (st != NOC_ERR_RANGE) return st;
  s->n--;
  noc_warn(call, "POINT_UNAVAILABLE", "%s was left out: %s", s->p[s->n].key, call->err.message);
  noc_error_clear(&call->err);
  return NOC_OK;
}

static noc_status special_liliths(noc_api_call *call, const noc_pchart *pc, special_set *s) {
  noc_status st;
  if ((st = add_body(call, pc, s, "lilith_mean", "mean", NOC_MEAN_LILITH)) != NOC_OK ||
      (st = add_body(call, pc, s, "lilith_true", "osculating", NOC_OSCU_LILITH)) != NOC_OK ||
      (st = optional(call, s,
                     add_body(call, pc, s, "lilith_interpolated", "interpolated",
                              NOC_INTP_LILITH))) != NOC_OK ||
      (st = add_special(call, pc, s, "priapus_mean", "mean_perigee", NOC_SP_MEAN_PERIGEE)) !=
          NOC_OK ||
      (st = optional(call, s,
                     add_special(call, pc, s, "priapus_interpolated", "interpolated_perigee",
                                 NOC_SP_INTP_PERIGEE))) != NOC_OK)
    return st;
  return optional(
      call, s,
      add_special(call, pc, s, "lilith_waldemath", "hypothetical_waldemath", NOC_SP_WALDEMATH));
}

static noc_status special_fortune(noc_api_call *call, const noc_pchart *pc, special_set *s,
                                  double *sun_out, double *moon_out) {
  double sun, moon;
  noc_status st = noc_body_longitude(call->env->ctx, pc->in.time.jd_ut, NOC_SUN, &pc->in.opt, &sun,
                                     NULL, &call->err);
  if (st == NOC_OK)
    st = noc_body_longitude(call->env->ctx, pc->in.time.jd_ut, NOC_MOON, &pc->in.opt, &moon, NULL,
                            &call->err);
  if (st != NOC_OK) return st;
  double lon = pc->day ? pc->houses.asc + moon - sun : pc->houses.asc + sun - moon;
  add_ecliptic(pc, s, "part_of_fortune", pc->day ? "day_formula" : "night_formula", lon);
  *sun_out = sun;
  *moon_out = moon;
  return NOC_OK;
}

static void write_special(noc_api_call *call, const noc_pchart *pc, const special_point *p) {
  noc_jw *w = call->w;
  noc_jw_key(w, p->key);
  noc_jw_obj(w);
  noc_pout_lon(w, p->pos.longitude);
  noc_jw_knum(w, "latitude", p->pos.latitude, 7);
  noc_jw_key(w, "speed");
  if (p->has_speed)
    noc_jw_num(w, p->pos.speed_longitude, 7);
  else
    noc_jw_null(w);
  noc_jw_knum(w, "right_ascension", p->pos.right_ascension, 7);
  noc_jw_knum(w, "declination", p->pos.declination, 7);
  noc_jw_kstr(w, "type", p->type);
  if (pc->has_houses) noc_jw_kint(w, "house", noc_house_of(&pc->houses, p->pos.longitude));
}

static int special_points(noc_api_call *call, bool flat) {
  static const char *const own[] = {
      "include_nodes",      "include_lilith",          "include_selena",
      "use_true_node",      "time_range_minutes",      "include_vertex",
      "include_east_point", "include_part_of_fortune", NULL};
  static const noc_pchart_spec spec = {NULL, 0, false, false, NULL, true};
  noc_pchart pc;
  special_opts o;
  special_set s = {.n = 0};
  noc_status st;
  if ((st = noc_pchart_read(call, flat, own, &pc)) != NOC_OK ||
      (st = read_special_opts(call, &o)) != NOC_OK ||
      (st = noc_pchart_compute(call, &pc, &spec)) != NOC_OK)
    return st;
  if (o.nodes && (st = special_nodes(call, &pc, &o, &s)) != NOC_OK) return st;
  if (o.lilith && (st = special_liliths(call, &pc, &s)) != NOC_OK) return st;
  if (o.selena &&
      (st = add_special(call, &pc, &s, "selena", "white_moon", NOC_SP_WHITE_MOON)) != NOC_OK)
    return st;
  double sun = 0, moon = 0;
  if (pc.has_houses) {
    if (o.vertex) {
      add_ecliptic(&pc, &s, "vertex", "vertex", pc.houses.vertex);
      add_ecliptic(&pc, &s, "antivertex", "antivertex", pc.houses.vertex + 180.0);
    }
    if (o.east_point)
      add_ecliptic(&pc, &s, "east_point", "equatorial_ascendant", pc.houses.equatorial_asc);
    if (o.fortune && (st = special_fortune(call, &pc, &s, &sun, &moon)) != NOC_OK) return st;
  } else if (o.vertex || o.east_point || o.fortune) {
    noc_warn(call, "LOCATION_NEEDED",
             "vertex, antivertex, east_point and part_of_fortune need latitude and longitude; "
             "they were left out");
  }
  noc_jw *w = call->w;
  noc_jw_obj(w);
  for (int i = 0; i < s.n; i++) {
    write_special(call, &pc, &s.p[i]);
    if (strcmp(s.p[i].key, "part_of_fortune") == 0) {
      noc_jw_kstr(w, "sect", pc.day ? "day" : "night");
      noc_jw_kstr(w, "formula", pc.day ? "ASC + MOON - SUN" : "ASC + SUN - MOON");
    }
    noc_jw_obj_end(w);
  }
  noc_jw_obj_end(w);
  return NOC_OK;
}

static int ep_special_points(noc_api_call *call) {
  return special_points(call, false);
}

/* ---- harmonics ----------------------------------------------------------------------------- */

enum { HARMONIC_LIST_MAX = 32, HARMONIC_MAX = 180 };

static noc_status read_harmonics(noc_api_call *call, int *h, int *n) {
  static const int defaults[] = {2, 3, 4, 5, 7, 9};
  json_t *obj;
  const char *prefix;
  noc_popt(call, "harmonics", &obj, &prefix);
  if (obj == NULL) {
    *n = (int)(sizeof defaults / sizeof defaults[0]);
    memcpy(h, defaults, sizeof defaults);
    return NOC_OK;
  }
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "harmonics");
  json_t *list = json_object_get(obj, "harmonics");
  if (json_is_integer(list))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be a list, e.g. [5] or [2, 3]");
  if (!json_is_array(list) || json_array_size(list) == 0 ||
      json_array_size(list) > HARMONIC_LIST_MAX)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                    "must be a list of 1 to %d harmonic numbers", HARMONIC_LIST_MAX);
  *n = (int)json_array_size(list);
  for (int i = 0; i < *n; i++) {
    json_t *item = json_array_get(list, (size_t)i);
    char ipath[NOC_ERR_FIELD_MAX];
    snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
    json_int_t v = json_is_integer(item) ? json_integer_value(item) : 0;
    if (v < 1 || v > HARMONIC_MAX)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "must be a whole number from 1 to %d",
                      HARMONIC_MAX);
    for (int k = 0; k < i; k++)
      if (h[k] == (int)v)
        return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "harmonic %d is listed twice",
                        (int)v);
    h[i] = (int)v;
  }
  return NOC_OK;
}

/* The h-th harmonic of a chart point: longitude and speed times h; latitude and distance kept;
 * the equatorial place is that of the harmonic longitude. */
static void harmonic_point(const noc_pchart *pc, const noc_chart_point *src, int h,
                           noc_chart_point *dst) {
  *dst = *src;
  dst->house = 0; /* houses of a harmonic chart are not defined by the natal cusps */
  dst->pos.longitude = noc_harmonic_longitude(src->pos.longitude, h);
  dst->pos.speed_longitude = src->pos.speed_longitude * h;
  double trop = dst->pos.longitude + pc->ayanamsa;
  dst->pos.declination = noc_ecliptic_declination(trop, dst->pos.latitude, pc->eps);
  dst->pos.right_ascension = noc_ecliptic_right_ascension(trop, dst->pos.latitude, pc->eps);
}

static void harmonic_houses(const noc_houses *src, int h, noc_houses *dst) {
  *dst = *src;
  for (int i = 0; i < dst->cusp_count; i++)
    dst->cusps[i] = noc_harmonic_longitude(src->cusps[i], h);
  double *v[] = {&dst->asc,
                 &dst->mc,
                 &dst->armc,
                 &dst->vertex,
                 &dst->equatorial_asc,
                 &dst->co_asc_koch,
                 &dst->co_asc_munkasey,
                 &dst->polar_asc};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    *v[i] = noc_harmonic_longitude(*v[i], h);
}

static noc_status write_harmonic(noc_api_call *call, const noc_pchart *pc, int h,
                                 const noc_aspect_config *cfg) {
  noc_chart_point pts[NOC_BODY_COUNT];
  noc_aspect_point ap[NOC_BODY_COUNT];
  noc_aspect asp[NOC_BODY_COUNT * (NOC_BODY_COUNT - 1) / 2];
  for (int i = 0; i < pc->count; i++) {
    harmonic_point(pc, &pc->points[i], h, &pts[i]);
    ap[i] = (noc_aspect_point){pts[i].body, pts[i].pos.longitude,
                               pts[i].has_speed ? pts[i].pos.speed_longitude : 0.0};
  }
  int n = 0;
  noc_status st = noc_aspects_find(NULL, NULL, NULL, ap, pc->count, cfg, asp,
                                   (int)(sizeof asp / sizeof asp[0]), &n, &call->err);
  if (st != NOC_OK) return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_kint(w, "harmonic", h);
  noc_jw_key(w, "positions");
  noc_out_positions(call, pts, pc->count, true, true);
  if (pc->has_houses) {
    noc_houses hh;
    harmonic_houses(&pc->houses, h, &hh);
    noc_jw_key(w, "houses");
    noc_out_houses(call, &hh);
    noc_jw_key(w, "angles");
    noc_out_angles(call, &hh);
  }
  noc_jw_key(w, "aspects");
  noc_out_aspects(call, pts, asp, n, false);
  noc_jw_obj_end(w);
  return NOC_OK;
}

static int harmonics(noc_api_call *call, bool flat) {
  static const char *const own[] = {"harmonics", "aspects", "orb_multiplier", "planets", NULL};
  noc_pchart pc;
  int h[HARMONIC_LIST_MAX] = {0}, nh = 0;
  noc_aspect_config cfg;
  noc_aspect_config_default(&cfg);
  cfg.exact_window_days = 0;
  noc_status st;
  if ((st = noc_pchart_read(call, flat, own, &pc)) != NOC_OK ||
      (st = read_harmonics(call, h, &nh)) != NOC_OK ||
      (st = noc_popt_aspects(call, cfg.enabled)) != NOC_OK ||
      (st = noc_popt_number(call, "orb_multiplier", 0.1, 3.0, &cfg.orb_multiplier)) != NOC_OK ||
      (st = noc_pchart_compute(call, &pc, &default_spec)) != NOC_OK)
    return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_key(w, "harmonics");
  noc_jw_arr(w);
  for (int i = 0; i < nh; i++)
    if ((st = write_harmonic(call, &pc, h[i], &cfg)) != NOC_OK) return st;
  noc_jw_arr_end(w);
  noc_jw_obj_end(w);
  return NOC_OK;
}

static int ep_harmonics(noc_api_call *call) {
  return harmonics(call, false);
}
static int ep_harmonics_flat(noc_api_call *call) {
  return harmonics(call, true);
}

/* ---- antiscia ------------------------------------------------------------------------------ */

static void write_mirror(noc_jw *w, const char *key, double lon, const noc_chart_point *p) {
  noc_jw_key(w, key);
  noc_jw_obj(w);
  noc_pout_lon(w, lon);
  noc_jw_knum(w, "latitude", p->pos.latitude, 7);
  noc_jw_key(w, "speed");
  if (p->has_speed)
    noc_jw_num(w, -p->pos.speed_longitude, 7);
  else
    noc_jw_null(w);
  noc_jw_obj_end(w);
}

static void write_mirror_contacts(noc_api_call *call, const noc_pchart *pc, bool contra,
                                  double orb) {
  noc_jw *w = call->w;
  noc_jw_arr(w);
  for (int i = 0; i < pc->count; i++)
    for (int j = i + 1; j < pc->count; j++) {
      double li = pc->points[i].pos.longitude, lj = pc->points[j].pos.longitude;
      double d[2] = {fabs(noc_angle_diff(noc_antiscion(li), lj)),
                     fabs(noc_angle_diff(noc_contra_antiscion(li), lj))};
      for (int k = 0; k < (contra ? 2 : 1); k++) {
        if (d[k] > orb) continue;
        noc_jw_obj(w);
        noc_jw_kstr(w, "planet1", noc_body_name(pc->points[i].body));
        noc_jw_kstr(w, "planet2", noc_body_name(pc->points[j].body));
        noc_jw_kstr(w, "aspect_type", k ? "CONTRA_ANTISCION" : "ANTISCION");
        noc_jw_knum(w, "orb", d[k], 7);
        noc_jw_obj_end(w);
      }
    }
  noc_jw_arr_end(w);
}

static int antiscia(noc_api_call *call, bool flat) {
  static const char *const own[] = {"include_contra", "orb", "planets", NULL};
  noc_pchart pc;
  bool contra = true;
  double orb = 1.0;
  noc_status st;
  if ((st = noc_pchart_read(call, flat, own, &pc)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_contra", &contra)) != NOC_OK ||
      (st = noc_popt_number(call, "orb", 0.0, 10.0, &orb)) != NOC_OK ||
      (st = noc_pchart_compute(call, &pc, &default_spec)) != NOC_OK)
    return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_kstr(w, "axis", "0 CANCER - 0 CAPRICORN (antiscia); 0 ARIES - 0 LIBRA (contra-antiscia)");
  noc_jw_knum(w, "orb", orb, 4);
  noc_jw_key(w, "antiscia");
  noc_jw_obj(w);
  for (int i = 0; i < pc.count; i++) {
    const noc_chart_point *p = &pc.points[i];
    noc_jw_key(w, noc_body_name(p->body));
    noc_jw_obj(w);
    noc_pout_lon(w, p->pos.longitude);
    write_mirror(w, "antiscion", noc_antiscion(p->pos.longitude), p);
    if (contra) write_mirror(w, "contra_antiscion", noc_contra_antiscion(p->pos.longitude), p);
    noc_jw_obj_end(w);
  }
  noc_jw_obj_end(w);
  noc_jw_key(w, "aspects");
  write_mirror_contacts(call, &pc, contra, orb);
  noc_jw_obj_end(w);
  return NOC_OK;
}

static int ep_antiscia(noc_api_call *call) {
  return antiscia(call, false);
}
static int ep_antiscia_flat(noc_api_call *call) {
  return antiscia(call, true);
}

/* ---- declinations -------------------------------------------------------------------------- */

static void write_declination(noc_api_call *call, const noc_pchart *pc, const noc_chart_point *p) {
  noc_jw *w = call->w;
  double dec = noc_pchart_declination(pc, p);
  noc_jw_key(w, noc_body_name(p->body));
  noc_jw_obj(w);
  noc_jw_knum(w, "declination", dec, 7);
  noc_jw_knum(w, "right_ascension", noc_pchart_right_ascension(pc, p), 7);
  noc_jw_knum(w, "longitude", p->pos.longitude, 7);
  noc_jw_knum(w, "latitude", p->pos.latitude, 7);
  noc_jw_key(w, "speed_declination");
  if (p->has_speed)
    noc_jw_num(w, p->pos.speed_declination, 7);
  else
    noc_jw_null(w);
  bool oob = noc_out_of_bounds(dec, pc->eps);
  noc_jw_kbool(w, "out_of_bounds", oob);
  noc_jw_key(w, "out_of_bounds_by");
  if (oob)
    noc_jw_num(w, fabs(dec) - pc->eps, 7);
  else
    noc_jw_null(w);
  noc_jw_kstr(w, "hemisphere", dec >= 0 ? "NORTH" : "SOUTH");
  noc_jw_obj_end(w);
}

static void write_parallels(noc_api_call *call, const noc_pchart *pc, double orb) {
  noc_jw *w = call->w;
  noc_jw_arr(w);
  for (int i = 0; i < pc->count; i++)
    for (int j = i + 1; j < pc->count; j++) {
      double o;
      noc_parallel_kind k = noc_parallel_of(noc_pchart_declination(pc, &pc->points[i]),
                                            noc_pchart_declination(pc, &pc->points[j]), orb, &o);
      if (k == NOC_PARALLEL_NONE) continue;
      noc_jw_obj(w);
      noc_jw_kstr(w, "planet1", noc_body_name(pc->points[i].body));
      noc_jw_kstr(w, "planet2", noc_body_name(pc->points[j].body));
      noc_jw_kstr(w, "aspect_type", k == NOC_PARALLEL ? "PARALLEL" : "CONTRAPARALLEL");
      noc_jw_knum(w, "orb", o, 7);
      noc_jw_obj_end(w);
    }
  noc_jw_arr_end(w);
}

static int declinations(noc_api_call *call, bool flat) {
  static const char *const own[] = {"parallel_orb", "planets", NULL};
  noc_pchart pc;
  double orb = 1.0;
  noc_status st;
  if ((st = noc_pchart_read(call, flat, own, &pc)) != NOC_OK ||
      (st = noc_popt_number(call, "parallel_orb", 0.0, 10.0, &orb)) != NOC_OK ||
      (st = noc_pchart_compute(call, &pc, &default_spec)) != NOC_OK)
    return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_knum(w, "obliquity", pc.eps, 7);
  noc_jw_kstr(w, "obliquity_type", "true (mean obliquity plus nutation, of date)");
  noc_jw_knum(w, "parallel_orb", orb, 4);
  noc_jw_key(w, "declinations");
  noc_jw_obj(w);
  for (int i = 0; i < pc.count; i++)
    write_declination(call, &pc, &pc.points[i]);
  noc_jw_obj_end(w);
  noc_jw_key(w, "parallels");
  write_parallels(call, &pc, orb);
  noc_jw_obj_end(w);
  return NOC_OK;
}

static int ep_declinations(noc_api_call *call) {
  return declinations(call, false);
}
static int ep_declinations_flat(noc_api_call *call) {
  return declinations(call, true);
}

/* ---- midpoints ----------------------------------------------------------------------------- */

/* The 90-degree dial: the hard aspects a point makes to a midpoint axis. */
static const noc_aspect_type dial_aspects[] = {NOC_ASP_CONJUNCTION, NOC_ASP_OPPOSITION,
                                               NOC_ASP_SQUARE, NOC_ASP_SEMISQUARE,
                                               NOC_ASP_SESQUISQUARE};
enum { DIAL_COUNT = sizeof dial_aspects / sizeof dial_aspects[0] };

static noc_status read_dial(noc_api_call *call, bool *use) {
  bool enabled[NOC_ASP_COUNT];
  json_t *obj;
  const char *prefix;
  noc_popt(call, "aspects", &obj, &prefix);
  for (int k = 0; k < DIAL_COUNT; k++)
    use[k] = true;
  if (obj == NULL) return NOC_OK;
  noc_status st = noc_popt_aspects(call, enabled);
  if (st != NOC_OK) return st;
  for (int t = 0; t < NOC_ASP_COUNT; t++) {
    bool on_dial = false;
    for (int k = 0; k < DIAL_COUNT; k++) {
      if (dial_aspects[k] == (noc_aspect_type)t) {
        use[k] = enabled[t];
        on_dial = true;
      }
    }
    if (enabled[t] && !on_dial) {
      char path[NOC_ERR_FIELD_MAX];
      return noc_fail(&call->err, NOC_ERR_VALIDATION,
                      noc_in_path(path, sizeof path, prefix, "aspects"),
                      "%s is not a midpoint aspect (CONJUNCTION, OPPOSITION, SQUARE, SEMISQUARE, "
                      "SESQUISQUARE)",
                      noc_aspect_def_get((noc_aspect_type)t)->name);
    }
  }
  return NOC_OK;
}

static void write_on_midpoint(noc_jw *w, const noc_pchart *pc, int a, int b, double mid,
                              const bool *use, double orb) {
  noc_jw_key(w, "planets");
  noc_jw_arr(w);
  for (int c = 0; c < pc->count; c++) {
    if (c == a || c == b) continue;
    double sep = fabs(noc_angle_diff(pc->points[c].pos.longitude, mid));
    for (int k = 0; k < DIAL_COUNT; k++) {
      const noc_aspect_def *def = noc_aspect_def_get(dial_aspects[k]);
      double o = fabs(sep - def->angle);
      if (!use[k] || o > orb) continue;
      noc_jw_obj(w);
      noc_jw_kstr(w, "planet", noc_body_name(pc->points[c].body));
      noc_jw_kstr(w, "aspect_type", def->name);
      noc_jw_knum(w, "orb", o, 7);
      noc_jw_obj_end(w);
    }
  }
  noc_jw_arr_end(w);
}

static int ep_midpoints(noc_api_call *call) {
  static const char *const own[] = {"orb", "aspects", "planets", NULL};
  noc_pchart pc;
  double orb = 1.0;
  bool use[DIAL_COUNT];
  noc_status st;
  if ((st = noc_pchart_read(call, false, own, &pc)) != NOC_OK ||
      (st = noc_popt_number(call, "orb", 0.0, 5.0, &orb)) != NOC_OK ||
      (st = read_dial(call, use)) != NOC_OK ||
      (st = noc_pchart_compute(call, &pc, &default_spec)) != NOC_OK)
    return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_knum(w, "orb", orb, 4);
  noc_jw_key(w, "midpoints");
  noc_jw_obj(w);
  for (int a = 0; a < pc.count; a++)
    for (int b = a + 1; b < pc.count; b++) {
      char key[64];
      snprintf(key, sizeof key, "%s/%s", noc_body_name(pc.points[a].body),
               noc_body_name(pc.points[b].body));
      double mid = noc_midpoint(pc.points[a].pos.longitude, pc.points[b].pos.longitude);
      noc_jw_key(w, key);
      noc_jw_obj(w);
      noc_jw_kstr(w, "planet1", noc_body_name(pc.points[a].body));
      noc_jw_kstr(w, "planet2", noc_body_name(pc.points[b].body));
      noc_pout_lon(w, mid);
      noc_jw_knum(w, "far_longitude", noc_norm360(mid + 180.0), 7);
      if (pc.has_houses) noc_jw_kint(w, "house", noc_house_of(&pc.houses, mid));
      write_on_midpoint(w, &pc, a, b, mid, use, orb);
      noc_jw_obj_end(w);
    }
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
  return NOC_OK;
}

/* ---- the table ----------------------------------------------------------------------------- */

const noc_endpoint noc_endpoints_points[] = {
    {"stateless/special-points", "POST", "calculations",
     "Nodes, Lilith variants, Selena, Vertex, East Point and Part of Fortune", ep_special_points},
    {"stateless/harmonics", "POST", "calculations", "Harmonic charts (1-180) with aspects",
     ep_harmonics},
    {"calculations/harmonics", "POST", "calculations", "Harmonic charts (flat chart fields)",
     ep_harmonics_flat},
    {"stateless/antiscia", "POST", "calculations", "Antiscia and contra-antiscia with contacts",
     ep_antiscia},
    {"calculations/antiscia", "POST", "calculations", "Antiscia (flat chart fields)",
     ep_antiscia_flat},
    {"stateless/declinations", "POST", "calculations",
     "Declinations, out-of-bounds, parallels and contraparallels", ep_declinations},
    {"calculations/declinations", "POST", "calculations", "Declinations (flat chart fields)",
     ep_declinations_flat},
    {"stateless/midpoints", "POST", "calculations", "Midpoints with the planets on them",
     ep_midpoints},
    {"stateless/fixed-stars", "POST", "calculations",
     "Fixed stars by name or magnitude, with contacts to the chart", noc_ep_fixed_stars},
    {"calculations/fixed-stars", "POST", "calculations", "Fixed stars (flat chart fields)",
     noc_ep_fixed_stars_flat},
    {"stateless/arabic-parts", "POST", "calculations",
     "Lots (Arabic parts) with day/night formulas", noc_ep_arabic_parts},
    {"calculations/arabic-parts", "POST", "calculations", "Lots (flat chart fields)",
     noc_ep_arabic_parts_flat},
    {"stateless/dignities", "POST", "calculations",
     "Essential dignities with scores, receptions and almutens", noc_ep_dignities},
    {"calculations/dignities", "POST", "calculations", "Essential dignities (flat chart fields)",
     noc_ep_dignities_flat},
    {"stateless/aspect-patterns", "POST", "calculations",
     "Grand trines, T-squares, grand crosses, yods, kites, mystic rectangles, stelliums",
     noc_ep_aspect_patterns},
    {"stateless/chart-shape", "POST", "calculations",
     "Elements, modalities, hemispheres, quadrants and Jones shape", noc_ep_chart_shape},
    {NULL, NULL, NULL, NULL, NULL},
};
