/* planetary-positions, houses, aspects and natal-chart. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/chart_full.h"

/* The older service's default set. */
static const noc_body default_bodies[] = {NOC_SUN,     NOC_MOON,    NOC_MERCURY,   NOC_VENUS,
                                          NOC_MARS,    NOC_JUPITER, NOC_SATURN,    NOC_URANUS,
                                          NOC_NEPTUNE, NOC_PLUTO,   NOC_MEAN_NODE, NOC_MEAN_LILITH};
enum { DEFAULT_BODY_COUNT = sizeof default_bodies / sizeof default_bodies[0] };

static const char *const aspect_keys[] = {"planets",     "aspects",   "orb_multiplier",
                                          "orbs",        "body_orbs", "exact_window_days",
                                          "exact_times", NULL};

/* Unknown-field warnings over the chart keys plus the endpoint's own. */
static void warn_unknown(noc_api_call *call, const char *const *own) {
  const char *known[64];
  int n = 0;
  for (const char *const *k = noc_chart_keys; *k && n < 60; k++)
    known[n++] = *k;
  for (const char *const *k = own; k && *k && n < 63; k++)
    known[n++] = *k;
  known[n] = NULL;
  noc_in_warn_unknown(call, call->body, "", known);
}

static noc_status read_orb_map(noc_api_call *call, const char *key, bool bodies, double *out) {
  json_t *map = json_object_get(call->body, key);
  if (map == NULL || json_is_null(map)) return NOC_OK;
  if (!json_is_object(map) || json_object_size(map) > NOC_MAX_LIST)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, key, "must be an object of name: degrees");
  const char *name;
  json_t *v;
  json_object_foreach(map, name, v) {
    char path[NOC_ERR_FIELD_MAX];
    snprintf(path, sizeof path, "%s.%.60s", key, name);
    int index;
    noc_body b;
    noc_aspect_type t;
    if (bodies ? !noc_body_from_name(name, &b) : !noc_aspect_from_name(name, &t))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "unknown %s name",
                      bodies ? "body" : "aspect");
    index = bodies ? (int)b : (int)t;
    double deg;
    noc_status st = noc_in_number(call, map, key, name, true, 0, 30, &deg, NULL);
    if (st != NOC_OK) return st;
    out[index] = deg;
  }
  return NOC_OK;
}

/* exact_times: the aspects endpoint searches the instant of perfection by default; the natal
 * chart only when asked, since the search costs more than the rest of the chart together. */
static noc_status read_aspect_config(noc_api_call *call, bool exact_default, noc_aspect_config *cfg,
                                     bool *exact) {
  noc_aspect_config_default(cfg);
  *exact = exact_default;
  noc_status est = noc_in_bool(call, call->body, "", "exact_times", exact);
  if (est != NOC_OK) return est;
  json_t *list = json_object_get(call->body, "aspects");
  if (list && !json_is_null(list)) {
    noc_status lst = noc_in_aspect_list(call, list, "aspects", cfg->enabled);
    if (lst != NOC_OK) return lst;
  }
  noc_status st;
  if ((st = noc_in_number(call, call->body, "", "orb_multiplier", false, 0.1, 3.0,
                          &cfg->orb_multiplier, NULL)) != NOC_OK ||
      (st = noc_in_number(call, call->body, "", "exact_window_days", false, 0, 366,
                          &cfg->exact_window_days, NULL)) != NOC_OK ||
      (st = read_orb_map(call, "orbs", false, cfg->orb)) != NOC_OK ||
      (st = read_orb_map(call, "body_orbs", true, cfg->body_orb)) != NOC_OK)
    return st;
  if (!*exact) cfg->exact_window_days = 0;
  return NOC_OK;
}

/* Shared front half of the chart endpoints: input, houses when there is a place, points. */
typedef struct chart_work {
  noc_chart_in in;
  noc_houses houses;
  bool has_houses;
  noc_body bodies[NOC_BODY_COUNT];
  int count;
  noc_chart_point points[NOC_BODY_COUNT];
} chart_work;

static noc_status compute_chart(noc_api_call *call, chart_work *cw) {
  noc_status st = noc_in_chart(call, call->body, "", &cw->in);
  if (st == NOC_OK)
    st = noc_in_bodies(call, call->body, "", "planets", default_bodies, DEFAULT_BODY_COUNT,
                       cw->bodies, &cw->count);
  if (st != NOC_OK) return st;
  cw->has_houses = cw->in.has_location;
  if (cw->has_houses && (st = noc_chart_houses(call, &cw->in, &cw->houses)) != NOC_OK) return st;
  return noc_chart_points(call, &cw->in, cw->has_houses ? &cw->houses : NULL, cw->bodies, cw->count,
                          cw->points);
}

static noc_status compute_aspects(noc_api_call *call, chart_work *cw, bool exact_default,
                                  noc_aspect *out, int *n, bool *exact) {
  noc_aspect_config cfg;
  noc_status st = read_aspect_config(call, exact_default, &cfg, exact);
  if (st != NOC_OK) return st;
  noc_aspect_point ap[NOC_BODY_COUNT];
  for (int i = 0; i < cw->count; i++) {
    ap[i].body = cw->points[i].body;
    ap[i].longitude = cw->points[i].pos.longitude;
    ap[i].speed = cw->points[i].has_speed ? cw->points[i].pos.speed_longitude : 0.0;
  }
  int cap = cw->count * (cw->count - 1) / 2;
  return noc_aspects_find(call->env->ctx, &cw->in.time, &cw->in.opt, ap, cw->count, &cfg, out,
                          cap > 0 ? cap : 1, n, &call->err);
}

static int ep_planetary_positions(noc_api_call *call) {
  static const char *const own[] = {"planets", "include_speed", "include_retrograde", NULL};
  chart_work cw;
  bool speed = true, retro = true;
  noc_status st;
  if ((st = noc_in_bool(call, call->body, "", "include_speed", &speed)) != NOC_OK ||
      (st = noc_in_bool(call, call->body, "", "include_retrograde", &retro)) != NOC_OK ||
      (st = compute_chart(call, &cw)) != NOC_OK)
    return st;
  warn_unknown(call, own);
  noc_jw_obj(call->w);
  noc_jw_key(call->w, "positions");
  noc_out_positions(call, cw.points, cw.count, speed, retro);
  noc_jw_obj_end(call->w);
  return NOC_OK;
}

static int ep_houses(noc_api_call *call) {
  static const char *const own[] = {NULL};
  noc_chart_in in;
  noc_houses h;
  noc_status st = noc_in_chart(call, call->body, "", &in);
  if (st != NOC_OK) return st;
  if (!in.has_location)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "latitude", "is required for houses");
  if ((st = noc_chart_houses(call, &in, &h)) != NOC_OK) return st;
  warn_unknown(call, own);
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_key(w, "houses");
  noc_out_houses(call, &h);
  noc_jw_key(w, "angles");
  noc_out_angles(call, &h);
  noc_jw_kstr(w, "system", h.used->name);
  noc_jw_kstr(w, "system_requested", h.requested->name);
  noc_jw_obj_end(w);
  return NOC_OK;
}

static int ep_aspects(noc_api_call *call) {
  chart_work cw;
  noc_aspect asp[NOC_BODY_COUNT * (NOC_BODY_COUNT - 1) / 2];
  int n = 0;
  bool exact;
  noc_status st = compute_chart(call, &cw);
  if (st == NOC_OK) st = compute_aspects(call, &cw, true, asp, &n, &exact);
  if (st != NOC_OK) return st;
  warn_unknown(call, aspect_keys);
  noc_jw_obj(call->w);
  noc_jw_key(call->w, "aspects");
  noc_out_aspects(call, cw.points, asp, n, exact);
  noc_jw_obj_end(call->w);
  return NOC_OK;
}

static int ep_natal_chart(noc_api_call *call) {
  static const char *const own[] = {"planets",     "aspects",       "orb_multiplier",
                                    "orbs",        "body_orbs",     "exact_window_days",
                                    "exact_times", "include_speed", "include_retrograde",
                                    NULL};
  chart_work cw;
  noc_aspect asp[NOC_BODY_COUNT * (NOC_BODY_COUNT - 1) / 2];
  int n = 0;
  bool speed = true, retro = true, exact;
  noc_status st;
  if ((st = noc_in_bool(call, call->body, "", "include_speed", &speed)) != NOC_OK ||
      (st = noc_in_bool(call, call->body, "", "include_retrograde", &retro)) != NOC_OK ||
      (st = compute_chart(call, &cw)) != NOC_OK)
    return st;
  if (!cw.has_houses)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "latitude", "is required for a natal chart");
  if ((st = compute_aspects(call, &cw, false, asp, &n, &exact)) != NOC_OK) return st;
  warn_unknown(call, own);
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_key(w, "positions");
  noc_out_positions(call, cw.points, cw.count, speed, retro);
  noc_jw_key(w, "houses");
  noc_out_houses(call, &cw.houses);
  noc_jw_key(w, "angles");
  noc_out_angles(call, &cw.houses);
  noc_jw_kstr(w, "house_system", cw.houses.used->name);
  noc_jw_key(w, "aspects");
  noc_out_aspects(call, cw.points, asp, n, exact);
  noc_jw_obj_end(w);
  return NOC_OK;
}

const noc_endpoint noc_endpoints_charts[] = {
    {"calculations/planetary-positions", "POST", "calculations",
     "Positions of bodies (and angles with a location)", ep_planetary_positions},
    {"calculations/houses", "POST", "calculations", "House cusps and angles", ep_houses},
    {"calculations/aspects", "POST", "calculations",
     "Aspects with orbs, applying/separating and exact times", ep_aspects},
    {"stateless/natal-chart", "POST", "calculations", "Positions, houses and aspects together",
     ep_natal_chart},
    {NULL, NULL, NULL, NULL, NULL},
};
