/* Whole charts for the technique endpoints: nested input, one-call computation, moments relative
 * to a chart, option blocks, and the chart-like output shape. */
#include "api/chart_full.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const noc_body noc_default_bodies[NOC_DEFAULT_BODY_COUNT] = {
    NOC_SUN,    NOC_MOON,   NOC_MERCURY, NOC_VENUS, NOC_MARS,      NOC_JUPITER,
    NOC_SATURN, NOC_URANUS, NOC_NEPTUNE, NOC_PLUTO, NOC_MEAN_NODE, NOC_MEAN_LILITH};

noc_status noc_in_chart_at(noc_api_call *call, json_t *parent, const char *key, noc_chart_in *in) {
  json_t *obj = json_object_get(parent, key);
  if (obj == NULL || json_is_null(obj))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                    "is required: a chart object {date, time, timezone, latitude, longitude}");
  if (!json_is_object(obj))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                    "must be a chart object {date, time, timezone, latitude, longitude}");
  noc_status st = noc_in_chart(call, obj, key, in);
  if (st == NOC_OK) noc_in_warn_unknown(call, obj, key, noc_chart_keys);
  return st;
}

noc_status noc_full_chart_compute(noc_api_call *call, noc_full_chart *fc, const noc_body *bodies,
                                  int n) {
  noc_status st;
  fc->has_houses = fc->in.has_location;
  if (fc->has_houses && (st = noc_chart_houses(call, &fc->in, &fc->houses)) != NOC_OK) return st;
  if ((st = noc_true_obliquity(call->env->ctx, &fc->in.time, &fc->eps, &call->err)) != NOC_OK ||
      (st = noc_ayanamsa_value(call->env->ctx, &fc->in.time, &fc->in.opt, &fc->ayanamsa,
                               &call->err)) != NOC_OK)
    return st;
  fc->count = n;
  return noc_chart_points(call, &fc->in, fc->has_houses ? &fc->houses : NULL, bodies, n,
                          fc->points);
}

noc_status noc_chart_sun(noc_api_call *call, const noc_chart_in *in, noc_position *sun) {
  return noc_body_position(call->env->ctx, &in->time, NOC_SUN, &in->opt, sun, &call->err);
}

void noc_out_chart_fields(noc_api_call *call, const noc_chart_point *pts, int n,
                          const noc_houses *h) {
  noc_jw *w = call->w;
  noc_jw_key(w, "positions");
  noc_out_positions(call, pts, n, true, true);
  if (h == NULL) return;
  noc_jw_key(w, "houses");
  noc_out_houses(call, h);
  noc_jw_key(w, "angles");
  noc_out_angles(call, h);
  noc_jw_kstr(w, "house_system", h->used->name);
}

noc_status noc_in_options(noc_api_call *call, json_t **opts, const char **prefix) {
  json_t *o = json_object_get(call->body, "options");
  if (o == NULL || json_is_null(o)) {
    *opts = call->body;
    *prefix = "";
    return NOC_OK;
  }
  if (!json_is_object(o))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "options", "must be an object");
  *opts = o;
  *prefix = "options";
  return NOC_OK;
}

static noc_status read_orb_map(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                               bool bodies, double *out) {
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, key);
  json_t *map = json_object_get(obj, key);
  if (map == NULL || json_is_null(map)) return NOC_OK;
  if (!json_is_object(map) || json_object_size(map) > NOC_MAX_LIST)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be an object of name: degrees");
  const char *name;
  json_t *v;
  json_object_foreach(map, name, v) {
    char item[NOC_ERR_FIELD_MAX];
    snprintf(item, sizeof item, "%s.%.60s", path, name);
    noc_body b;
    noc_aspect_type t;
    if (bodies ? !noc_body_from_name(name, &b) : !noc_aspect_from_name(name, &t))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, item, "unknown %s name",
                      bodies ? "body" : "aspect");
    double deg;
    noc_status st = noc_in_number(call, map, path, name, true, 0, 30, &deg, NULL);
    if (st != NOC_OK) return st;
    out[bodies ? (int)b : (int)t] = deg;
  }
  return NOC_OK;
}

noc_status noc_in_aspect_list(noc_api_call *call, json_t *list, const char *path,
                              bool enabled[NOC_ASP_COUNT]) {
  if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > NOC_ASP_COUNT)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be a list of 1 to %d aspect names",
                    NOC_ASP_COUNT);
  bool seen[NOC_ASP_COUNT] = {false};
  for (size_t i = 0; i < json_array_size(list); i++) {
    json_t *item = json_array_get(list, i);
    char ipath[NOC_ERR_FIELD_MAX];
    snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
    noc_aspect_type t;
    if (!json_is_string(item) || !noc_aspect_from_name(json_string_value(item), &t))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath,
                      "unknown aspect (e.g. CONJUNCTION, TRINE, QUINCUNX)");
    if (seen[t])
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "%s is listed twice",
                      noc_aspect_def_get(t)->name);
    seen[t] = true;
  }
  memcpy(enabled, seen, sizeof seen);
  return NOC_OK;
}

noc_status noc_in_aspect_options(noc_api_call *call, json_t *obj, const char *prefix,
                                 noc_aspect_config *cfg) {
  char path[NOC_ERR_FIELD_MAX];
  json_t *list = json_object_get(obj, "aspects");
  if (list && !json_is_null(list)) {
    noc_in_path(path, sizeof path, prefix, "aspects");
    noc_status st = noc_in_aspect_list(call, list, path, cfg->enabled);
    if (st != NOC_OK) return st;
  }
  noc_status st;
  if ((st = noc_in_number(call, obj, prefix, "orb_multiplier", false, 0.1, 3.0,
                          &cfg->orb_multiplier, NULL)) != NOC_OK ||
      (st = noc_in_number(call, obj, prefix, "exact_window_days", false, 0, 366,
                          &cfg->exact_window_days, NULL)) != NOC_OK ||
      (st = read_orb_map(call, obj, prefix, "orbs", false, cfg->orb)) != NOC_OK ||
      (st = read_orb_map(call, obj, prefix, "body_orbs", true, cfg->body_orb)) != NOC_OK)
    return st;
  return NOC_OK;
}

/* ---- Moments --------------------------------------------------------------------------------- */

/* Splits "DATE[T| ]CLOCK[Z|+HH:MM|-HH:MM]" into its parts, each bounded by the caller's buffer. */
static bool split_moment(const char *s, char *date, size_t dcap, char *clock, size_t ccap,
                         char *zone, size_t zcap) {
  date[0] = clock[0] = zone[0] = '\0';
  if (s[0] == '\0') return false;
  const char *t = strpbrk(s + 1, "T "); /* +1: a signed year starts with '-' */
  size_t dlen = t ? (size_t)(t - s) : strlen(s);
  if (dlen == 0 || dlen >= dcap) return false;
  memcpy(date, s, dlen);
  date[dlen] = '\0';
  if (t == NULL) return true;
  const char *c = t + 1;
  const char *z = strpbrk(c, "Z+-");
  size_t clen = z ? (size_t)(z - c) : strlen(c);
  if (clen == 0 || clen >= ccap) return false;
  memcpy(clock, c, clen);
  clock[clen] = '\0';
  if (z) {
    if (strlen(z) >= zcap) return false;
    snprintf(zone, zcap, "%s", z);
  }
  return true;
}

/* Copies the zone fields of the reference chart so the moment is read in its local time. */
static bool copy_zone(json_t *dst, json_t *zone_of, const char *zone) {
  if (zone[0] == 'Z') return json_object_set_new(dst, "timezone", json_string("UTC")) == 0;
  if (zone[0]) return json_object_set_new(dst, "utc_offset", json_string(zone)) == 0;
  static const char *const keys[] = {"timezone", "utc_offset", "calendar", "fold"};
  for (size_t i = 0; zone_of && i < sizeof keys / sizeof keys[0]; i++) {
    json_t *v = json_object_get(zone_of, keys[i]);
    if (json_is_string(v) && json_object_set(dst, keys[i], v) != 0) return false;
  }
  return true;
}

static noc_status moment_from_jd(noc_api_call *call, const char *key, double jd, noc_time *out) {
  /* The JD range of the ephemeris files: -5400-01-01 .. 5399-12-31. */
  if (!(jd >= -251291.5 && jd <= 3693368.5))
    return noc_fail(&call->err, NOC_ERR_RANGE, key,
                    "the Julian day is outside the ephemeris range (years %d..%d)", NOC_YEAR_MIN,
                    NOC_YEAR_MAX);
  noc_status st = noc_time_from_jd_ut(call->env->ctx, jd, out, &call->err);
  if (st != NOC_OK) snprintf(call->err.field, sizeof call->err.field, "%s", key);
  return st;
}

noc_status noc_in_moment(noc_api_call *call, json_t *obj, const char *key, const char *clock_key,
                         json_t *zone_of, bool required, noc_time *out, bool *present) {
  if (present) *present = false;
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v)) {
    if (required)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                      "is required (\"YYYY-MM-DD\", \"YYYY-MM-DDTHH:MM:SS\" or a Julian day UT)");
    return NOC_OK;
  }
  if (present) *present = true;
  if (json_is_number(v)) return moment_from_jd(call, key, json_number_value(v), out);
  if (!json_is_string(v) || json_string_length(v) > 64)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                    "must be a date \"YYYY-MM-DD\", a date-time \"YYYY-MM-DDTHH:MM:SS\" or a "
                    "Julian day UT");
  char date[32], clock[32], zone[16];
  if (!split_moment(json_string_value(v), date, sizeof date, clock, sizeof clock, zone,
                    sizeof zone))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                    "expected \"YYYY-MM-DD\" or \"YYYY-MM-DDTHH:MM[:SS]\" (optionally with Z or an "
                    "offset)");
  const char *clock_field = key;
  if (clock_key && clock[0] == '\0') {
    const char *c = NULL;
    noc_status cst = noc_in_string(call, obj, "", clock_key, false, &c);
    if (cst != NOC_OK) return cst;
    if (c) {
      snprintf(clock, sizeof clock, "%s", c);
      clock_field = clock_key;
    }
  }
  json_t *tmp = json_object();
  if (tmp == NULL || json_object_set_new(tmp, "date", json_string(date)) != 0 ||
      json_object_set_new(tmp, "time", json_string(clock[0] ? clock : "00:00")) != 0 ||
      !copy_zone(tmp, zone_of, zone)) {
    json_decref(tmp);
    return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  }
  noc_chart_in cin;
  noc_status st = noc_in_chart(call, tmp, key, &cin);
  json_decref(tmp);
  if (st != NOC_OK) {
    /* Inner paths ("key.date") name fields the client never sent. */
    bool is_clock = strstr(call->err.field, ".time") != NULL;
    snprintf(call->err.field, sizeof call->err.field, "%s", is_clock ? clock_field : key);
    return st;
  }
  *out = cin.time;
  return NOC_OK;
}

noc_status noc_in_place(noc_api_call *call, json_t *obj, const char *key, double *lat, double *lon,
                        bool *present) {
  *present = false;
  json_t *p = json_object_get(obj, key);
  if (p == NULL || json_is_null(p)) return NOC_OK;
  if (!json_is_object(p))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, key,
                    "must be an object {\"latitude\", \"longitude\"}");
  noc_status st;
  if ((st = noc_in_number(call, p, key, "latitude", true, -90, 90, lat, NULL)) != NOC_OK ||
      (st = noc_in_number(call, p, key, "longitude", true, -180, 180, lon, NULL)) != NOC_OK)
    return st;
  static const char *const known[] = {"latitude", "longitude", "name", NULL};
  noc_in_warn_unknown(call, p, key, known);
  *present = true;
  return NOC_OK;
}

void noc_out_instant(noc_api_call *call, double jd_ut, int decimals) {
  noc_time t;
  char buf[48];
  noc_error err;
  if (noc_time_from_jd_ut(call->env->ctx, jd_ut, &t, &err) != NOC_OK ||
      noc_format_utc(&t.utc, decimals, buf, sizeof buf) < 0) {
    noc_jw_null(call->w);
    return;
  }
  noc_jw_str(call->w, buf);
}

void noc_out_instant_obj(noc_api_call *call, double jd_ut) {
  noc_jw *w = call->w;
  noc_time t;
  char buf[48];
  noc_error err;
  noc_jw_obj(w);
  if (noc_time_from_jd_ut(call->env->ctx, jd_ut, &t, &err) == NOC_OK &&
      noc_format_utc(&t.utc, 3, buf, sizeof buf) > 0) {
    noc_jw_kstr(w, "utc", buf);
    noc_jw_knum(w, "julian_day_ut", t.jd_ut, 8);
    noc_jw_knum(w, "julian_day_tt", t.jd_tt, 8);
  } else {
    noc_jw_knum(w, "julian_day_ut", jd_ut, 8);
  }
  noc_jw_obj_end(w);
}
