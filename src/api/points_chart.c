/* The chart the points endpoints share, their option readers and small writers. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/chart_full.h"
#include "api/points_chart.h"
#include "nocturna/zodiac.h"

enum { KNOWN_MAX = 64 };

/* known = a + b + extra, NULL-terminated, bounded by KNOWN_MAX. */
static void join_keys(const char **known, const char *const *a, const char *const *b,
                      const char *const *extra) {
  int n = 0;
  const char *const *lists[3] = {a, b, extra};
  for (int l = 0; l < 3; l++)
    for (const char *const *k = lists[l]; k && *k && n < KNOWN_MAX - 1; k++)
      known[n++] = *k;
  known[n] = NULL;
}

static noc_status check_options(noc_api_call *call, const char *const *own) {
  json_t *opts = json_object_get(call->body, "options");
  if (opts == NULL || json_is_null(opts)) return NOC_OK;
  if (!json_is_object(opts))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "options", "must be an object");
  const char *known[KNOWN_MAX];
  join_keys(known, own, NULL, NULL);
  noc_in_warn_unknown(call, opts, "options", known);
  return NOC_OK;
}

noc_status noc_pchart_read(noc_api_call *call, bool flat, const char *const *own, noc_pchart *pc) {
  memset(pc, 0, sizeof *pc);
  static const char *const extra[] = {"options", NULL};
  static const char *const wrapper[] = {"chart_data", NULL};
  const char *known[KNOWN_MAX];
  if (flat) {
    pc->obj = call->body;
    pc->prefix = "";
  } else {
    json_t *cd = json_object_get(call->body, "chart_data");
    if (cd == NULL || json_is_null(cd))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, "chart_data",
                      "is required: the chart's date, time, place and options");
    if (!json_is_object(cd))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, "chart_data", "must be an object");
    pc->obj = cd;
    pc->prefix = "chart_data";
  }
  noc_status st = noc_in_chart(call, pc->obj, pc->prefix, &pc->in);
  if (st == NOC_OK) st = check_options(call, own);
  if (st != NOC_OK) return st;
  if (flat) {
    join_keys(known, noc_chart_keys, own, extra);
  } else {
    join_keys(known, wrapper, own, extra);
    noc_in_warn_unknown(call, pc->obj, pc->prefix, noc_chart_keys);
  }
  noc_in_warn_unknown(call, call->body, "", known);
  return NOC_OK;
}

void noc_popt(noc_api_call *call, const char *key, json_t **obj, const char **prefix) {
  json_t *v = json_object_get(call->body, key);
  if (v && !json_is_null(v)) {
    *obj = call->body;
    *prefix = "";
    return;
  }
  json_t *opts = json_object_get(call->body, "options");
  v = json_is_object(opts) ? json_object_get(opts, key) : NULL;
  if (v && !json_is_null(v)) {
    *obj = opts;
    *prefix = "options";
    return;
  }
  *obj = NULL;
  *prefix = "";
}

noc_status noc_popt_number(noc_api_call *call, const char *key, double min, double max,
                           double *out) {
  json_t *obj;
  const char *prefix;
  noc_popt(call, key, &obj, &prefix);
  return obj ? noc_in_number(call, obj, prefix, key, false, min, max, out, NULL) : NOC_OK;
}

noc_status noc_popt_bool(noc_api_call *call, const char *key, bool *out) {
  json_t *obj;
  const char *prefix;
  noc_popt(call, key, &obj, &prefix);
  return obj ? noc_in_bool(call, obj, prefix, key, out) : NOC_OK;
}

noc_status noc_popt_enum(noc_api_call *call, const char *key, const char *const *names, int *out) {
  json_t *obj;
  const char *prefix, *s = NULL;
  noc_popt(call, key, &obj, &prefix);
  if (obj == NULL) return NOC_OK;
  noc_status st = noc_in_string(call, obj, prefix, key, false, &s);
  if (st != NOC_OK || s == NULL) return st;
  for (int i = 0; names[i]; i++) {
    if (strcasecmp(s, names[i]) == 0) {
      *out = i;
      return NOC_OK;
    }
  }
  char path[NOC_ERR_FIELD_MAX], list[160] = "";
  for (int i = 0; names[i]; i++) {
    strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
    strncat(list, names[i], sizeof list - strlen(list) - 1);
  }
  return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                  "'%.40s' is not one of: %s", s, list);
}

noc_status noc_popt_aspects(noc_api_call *call, bool *enabled) {
  for (int i = 0; i < NOC_ASP_COUNT; i++)
    enabled[i] = noc_aspect_def_get((noc_aspect_type)i)->major;
  json_t *obj;
  const char *prefix;
  noc_popt(call, "aspects", &obj, &prefix);
  if (obj == NULL) return NOC_OK;
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "aspects");
  return noc_in_aspect_list(call, json_object_get(obj, "aspects"), path, enabled);
}

static noc_status choose_bodies(noc_api_call *call, noc_pchart *pc, const noc_pchart_spec *spec) {
  json_t *obj = NULL;
  const char *prefix = "";
  if (!spec->fixed_bodies) noc_popt(call, "planets", &obj, &prefix);
  if (obj)
    return noc_in_bodies(call, obj, prefix, "planets", spec->defaults, spec->ndefaults, pc->bodies,
                         &pc->count);
  pc->count = 0;
  for (int i = 0; i < spec->ndefaults && i < NOC_BODY_COUNT; i++)
    pc->bodies[pc->count++] = spec->defaults[i];
  if (spec->add_angles && pc->in.has_location && pc->count + 2 <= NOC_BODY_COUNT) {
    pc->bodies[pc->count++] = NOC_ASC;
    pc->bodies[pc->count++] = NOC_MC;
  }
  return NOC_OK;
}

noc_status noc_pchart_compute(noc_api_call *call, noc_pchart *pc, const noc_pchart_spec *spec) {
  char path[NOC_ERR_FIELD_MAX];
  if (spec->need_location && !pc->in.has_location)
    return noc_fail(&call->err, NOC_ERR_VALIDATION,
                    noc_in_path(path, sizeof path, pc->prefix, "latitude"), "is required: %s",
                    spec->why ? spec->why : "this technique needs the place");
  noc_status st = choose_bodies(call, pc, spec);
  if (st != NOC_OK) return st;
  pc->has_houses = pc->in.has_location;
  if (pc->has_houses && (st = noc_chart_houses(call, &pc->in, &pc->houses)) != NOC_OK) return st;
  st = noc_chart_points(call, &pc->in, pc->has_houses ? &pc->houses : NULL, pc->bodies, pc->count,
                        pc->points);
  if (st == NOC_OK) st = noc_true_obliquity(call->env->ctx, &pc->in.time, &pc->eps, &call->err);
  if (st == NOC_OK)
    st = noc_ayanamsa_value(call->env->ctx, &pc->in.time, &pc->in.opt, &pc->ayanamsa, &call->err);
  if (st != NOC_OK || !pc->has_houses) return st;
  double sun;
  int i = noc_pchart_find(pc, NOC_SUN);
  if (i >= 0)
    sun = pc->points[i].pos.longitude;
  else if ((st = noc_body_longitude(call->env->ctx, pc->in.time.jd_ut, NOC_SUN, &pc->in.opt, &sun,
                                    NULL, &call->err)) != NOC_OK)
    return st;
  pc->day = noc_is_day_chart(sun, pc->houses.asc);
  return NOC_OK;
}

int noc_pchart_find(const noc_pchart *pc, noc_body body) {
  for (int i = 0; i < pc->count; i++)
    if (pc->points[i].body == body) return i;
  return -1;
}

double noc_pchart_declination(const noc_pchart *pc, const noc_chart_point *p) {
  if (p->has_speed) return p->pos.declination;
  return noc_ecliptic_declination(p->pos.longitude + pc->ayanamsa, p->pos.latitude, pc->eps);
}

double noc_pchart_right_ascension(const noc_pchart *pc, const noc_chart_point *p) {
  if (p->has_speed) return p->pos.right_ascension;
  return noc_ecliptic_right_ascension(p->pos.longitude + pc->ayanamsa, p->pos.latitude, pc->eps);
}

void noc_pout_lon(noc_jw *w, double lon) {
  noc_dms d;
  noc_dms_split(lon, &d);
  noc_jw_knum(w, "longitude", noc_norm360(lon), 7);
  noc_jw_kstr(w, "sign", noc_sign_name(d.sign));
  noc_jw_kint(w, "degree", d.degree);
  noc_jw_kint(w, "minute", d.minute);
  noc_jw_kint(w, "second", d.second);
}
