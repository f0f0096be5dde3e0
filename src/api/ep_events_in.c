/* Reading the "events" list of events/search: each entry a kind name, or an object with "kind"
 * and that kind's options; errors name the entry ("events[2].aspects[1]"). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/events_api.h"

static const noc_body planets[] = {NOC_SUN,     NOC_MOON,   NOC_MERCURY, NOC_VENUS,   NOC_MARS,
                                   NOC_JUPITER, NOC_SATURN, NOC_URANUS,  NOC_NEPTUNE, NOC_PLUTO};
enum { PLANET_COUNT = sizeof planets / sizeof planets[0] };

/* Option keys each kind reads besides "kind" and "bodies". */
static const char *const *kind_keys(noc_event_kind kind) {
  static const char *const transit[] = {"kind", "bodies", "targets",    "aspects",
                                        "orb",  "orbs",   "orb_events", NULL};
  static const char *const aspects[] = {"kind", "bodies",     "aspects", "orb",
                                        "orbs", "orb_events", NULL};
  static const char *const phases[] = {"kind", "phases", "angles", NULL};
  static const char *const voc[] = {"kind", "bodies", "aspects", NULL};
  static const char *const eclipse[] = {"kind", "eclipse_types", "types", "location", NULL};
  static const char *const plain[] = {"kind", "bodies", NULL};
  switch (kind) {
  case NOC_EVK_TRANSIT:
    return transit;
  case NOC_EVK_MUNDANE_ASPECT:
    return aspects;
  case NOC_EVK_LUNAR_PHASE:
    return phases;
  case NOC_EVK_VOID_OF_COURSE:
    return voc;
  case NOC_EVK_ECLIPSE:
    return eclipse;
  default:
    return plain;
  }
}

static noc_status read_aspects(noc_api_call *call, json_t *obj, const char *prefix,
                               noc_event_spec *s) {
  char path[NOC_ERR_FIELD_MAX];
  json_t *list = json_object_get(obj, "aspects");
  if (list && !json_is_null(list)) {
    noc_in_path(path, sizeof path, prefix, "aspects");
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > NOC_ASP_COUNT)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                      "must be a list of 1 to %d aspect names", NOC_ASP_COUNT);
    bool seen[NOC_ASP_COUNT] = {false};
    for (size_t i = 0; i < json_array_size(list); i++) {
      json_t *item = json_array_get(list, i);
      noc_aspect_type t;
      char ipath[NOC_ERR_FIELD_MAX];
      snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
      if (!json_is_string(item) || !noc_aspect_from_name(json_string_value(item), &t))
        return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath,
                        "unknown aspect (e.g. CONJUNCTION, TRINE, QUINCUNX)");
      seen[t] = true;
    }
    memcpy(s->aspects, seen, sizeof seen);
  }
  double orb = 0.0;
  bool has_orb = false;
  noc_status st = noc_in_number(call, obj, prefix, "orb", false, 0, 30, &orb, &has_orb);
  if (st != NOC_OK) return st;
  for (int i = 0; has_orb && i < NOC_ASP_COUNT; i++)
    s->orb[i] = orb;
  json_t *map = json_object_get(obj, "orbs");
  if (map && !json_is_null(map)) {
    noc_in_path(path, sizeof path, prefix, "orbs");
    if (!json_is_object(map) || json_object_size(map) > NOC_ASP_COUNT)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be an object of aspect: degrees");
    const char *name;
    json_t *v;
    json_object_foreach(map, name, v) {
      noc_aspect_type t;
      char kpath[NOC_ERR_FIELD_MAX];
      snprintf(kpath, sizeof kpath, "%s.%.40s", path, name);
      if (!noc_aspect_from_name(name, &t))
        return noc_fail(&call->err, NOC_ERR_VALIDATION, kpath, "unknown aspect name");
      if ((st = noc_in_number(call, map, path, name, true, 0, 30, &s->orb[t], NULL)) != NOC_OK)
        return st;
    }
  }
  return noc_in_bool(call, obj, prefix, "orb_events", &s->orb_events);
}

/* Natal points: a list of body or angle names; by default the ten planets and, with a place,
 * the Ascendant and Midheaven. */
static noc_status read_targets(noc_api_call *call, json_t *obj, const char *prefix,
                               const noc_ev_natal *n, noc_event_spec *s) {
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "targets");
  if (!n->present)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "transits need natal_chart");
  noc_body list[NOC_BODY_COUNT];
  int count = 0;
  noc_body defaults[PLANET_COUNT + 2];
  int ndefaults = PLANET_COUNT;
  memcpy(defaults, planets, sizeof planets);
  if (n->has_houses) {
    defaults[ndefaults++] = NOC_ASC;
    defaults[ndefaults++] = NOC_MC;
  }
  noc_status st = noc_in_bodies(call, obj, prefix, "targets", defaults, ndefaults, list, &count);
  if (st != NOC_OK) return st;
  if (count > NOC_EV_MAX_POINTS)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "at most %d targets", NOC_EV_MAX_POINTS);
  for (int i = 0; i < count; i++) {
    char ipath[NOC_ERR_FIELD_MAX];
    snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
    s->points[i].body = list[i];
    if ((st = noc_ev_natal_point(call, n, list[i], ipath, &s->points[i].longitude)) != NOC_OK)
      return st;
  }
  s->npoints = count;
  return NOC_OK;
}

static noc_status read_phases(noc_api_call *call, json_t *obj, const char *prefix,
                              noc_event_spec *s) {
  static const char *const names[] = {"new", "first_quarter", "full", "last_quarter"};
  char path[NOC_ERR_FIELD_MAX];
  json_t *ph = json_object_get(obj, "phases"), *an = json_object_get(obj, "angles");
  bool has_ph = ph && !json_is_null(ph), has_an = an && !json_is_null(an);
  if (!has_ph && !has_an) return NOC_OK;
  s->nphases = 0;
  if (has_ph) {
    noc_in_path(path, sizeof path, prefix, "phases");
    if (!json_is_array(ph) || json_array_size(ph) > 4)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                      "must be a list of new, first_quarter, full, last_quarter");
    for (size_t i = 0; i < json_array_size(ph); i++) {
      json_t *item = json_array_get(ph, i);
      int k = -1;
      for (int j = 0; j < 4 && json_is_string(item); j++)
        if (strcasecmp(json_string_value(item), names[j]) == 0) k = j;
      if (k < 0)
        return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                        "item %zu is not one of new, first_quarter, full, last_quarter", i);
      s->phase_angles[s->nphases++] = 90.0 * k;
    }
  }
  if (has_an) {
    noc_in_path(path, sizeof path, prefix, "angles");
    if (!json_is_array(an) || json_array_size(an) + (size_t)s->nphases > NOC_EV_MAX_PHASES)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                      "must be a list of at most %d angles in degrees", NOC_EV_MAX_PHASES);
    for (size_t i = 0; i < json_array_size(an); i++) {
      json_t *item = json_array_get(an, i);
      double v = json_is_number(item) ? json_number_value(item) : NAN;
      if (!(v >= 0.0 && v < 360.0))
        return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                        "item %zu must be a number of degrees in [0, 360)", i);
      s->phase_angles[s->nphases++] = v;
    }
  }
  if (s->nphases == 0)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must name at least one phase");
  return NOC_OK;
}

static noc_status read_name_bits(noc_api_call *call, json_t *obj, const char *prefix,
                                 const char *key, const char *const *names, unsigned *bits) {
  char path[NOC_ERR_FIELD_MAX];
  json_t *list = json_object_get(obj, key);
  if (list == NULL || json_is_null(list)) return NOC_OK;
  noc_in_path(path, sizeof path, prefix, key);
  if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 8)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be a non-empty list of names");
  *bits = 0;
  for (size_t i = 0; i < json_array_size(list); i++) {
    json_t *item = json_array_get(list, i);
    int k = -1;
    for (int j = 0; names[j] && json_is_string(item); j++)
      if (strcasecmp(json_string_value(item), names[j]) == 0) k = j;
    if (k < 0)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "item %zu is not a known name", i);
    *bits |= 1u << k;
  }
  return NOC_OK;
}

static noc_status read_eclipse(noc_api_call *call, json_t *obj, const char *prefix,
                               const noc_ev_natal *n, noc_event_spec *s) {
  static const char *const families[] = {"solar", "lunar", NULL};
  static const char *const types[] = {"total", "annular", "partial", "hybrid", "penumbral", NULL};
  unsigned fam = 3;
  noc_status st = read_name_bits(call, obj, prefix, "eclipse_types", families, &fam);
  if (st == NOC_OK) st = read_name_bits(call, obj, prefix, "types", types, &s->eclipse_types);
  if (st != NOC_OK) return st;
  s->solar = fam & 1u;
  s->lunar = (fam & 2u) != 0;
  json_t *loc = json_object_get(obj, "location");
  char path[NOC_ERR_FIELD_MAX];
  if (loc && !json_is_null(loc)) {
    noc_in_path(path, sizeof path, prefix, "location");
    if (!json_is_object(loc))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                      "must be {\"latitude\", \"longitude\", \"altitude\"}");
    if ((st = noc_in_number(call, loc, path, "latitude", true, -90, 90, &s->latitude, NULL)) !=
            NOC_OK ||
        (st = noc_in_number(call, loc, path, "longitude", true, -180, 180, &s->longitude, NULL)) !=
            NOC_OK ||
        (st = noc_in_number(call, loc, path, "altitude", false, -500, 20000, &s->altitude_m,
                            NULL)) != NOC_OK)
      return st;
    s->has_location = true;
  } else if (n->has_houses) {
    s->has_location = true; /* the natal place, as a chart-based request means */
    s->latitude = n->in.latitude;
    s->longitude = n->in.longitude;
    s->altitude_m = n->in.altitude;
  }
  return NOC_OK;
}

static noc_status read_bodies(noc_api_call *call, json_t *obj, const char *prefix,
                              noc_event_spec *s) {
  noc_body defaults[NOC_BODY_COUNT];
  int ndefaults = s->nbodies;
  memcpy(defaults, s->bodies, sizeof defaults[0] * (size_t)ndefaults);
  return noc_in_bodies(call, obj, prefix, "bodies", defaults, ndefaults, s->bodies, &s->nbodies);
}

/* Returns: each body's natal place. */
static noc_status read_returns(noc_api_call *call, const char *prefix, const noc_ev_natal *n,
                               noc_event_spec *s) {
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "bodies");
  if (!n->present)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "returns need natal_chart");
  if (s->nbodies > NOC_EV_MAX_POINTS)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "at most %d bodies", NOC_EV_MAX_POINTS);
  for (int i = 0; i < s->nbodies; i++) {
    s->points[i].body = s->bodies[i];
    noc_status st = noc_ev_natal_point(call, n, s->bodies[i], path, &s->points[i].longitude);
    if (st != NOC_OK) return st;
  }
  s->npoints = s->nbodies;
  return NOC_OK;
}

static noc_status read_cusps(noc_api_call *call, const char *prefix, const noc_ev_natal *n,
                             noc_event_spec *s) {
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "kind");
  if (!n->has_houses)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                    "house ingresses need natal_chart with latitude and longitude");
  if (n->houses.cusp_count != 12)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                    "house ingresses need a 12-house system (not %s)", n->houses.used->name);
  memcpy(s->cusps, n->houses.cusps, sizeof s->cusps);
  s->ncusps = 12;
  return NOC_OK;
}

static noc_status read_kind_options(noc_api_call *call, json_t *obj, const char *prefix,
                                    const noc_ev_natal *n, noc_event_spec *s) {
  noc_status st = NOC_OK;
  if (s->kind != NOC_EVK_LUNAR_PHASE && s->kind != NOC_EVK_ECLIPSE)
    st = read_bodies(call, obj, prefix, s);
  if (st != NOC_OK) return st;
  switch (s->kind) {
  case NOC_EVK_TRANSIT:
    if ((st = read_aspects(call, obj, prefix, s)) == NOC_OK)
      st = read_targets(call, obj, prefix, n, s);
    return st;
  case NOC_EVK_MUNDANE_ASPECT:
  case NOC_EVK_VOID_OF_COURSE:
    return read_aspects(call, obj, prefix, s);
  case NOC_EVK_LUNAR_PHASE:
    return read_phases(call, obj, prefix, s);
  case NOC_EVK_ECLIPSE:
    return read_eclipse(call, obj, prefix, n, s);
  case NOC_EVK_RETURN:
    return read_returns(call, prefix, n, s);
  case NOC_EVK_HOUSE_INGRESS:
    return read_cusps(call, prefix, n, s);
  default:
    return NOC_OK;
  }
}

noc_status noc_ev_check_center(noc_api_call *call, const noc_ev_natal *n, noc_event_kind kind,
                               const char *what) {
  bool geocentric_kind =
      kind == NOC_EVK_LUNAR_PHASE || kind == NOC_EVK_VOID_OF_COURSE || kind == NOC_EVK_ECLIPSE;
  if (!geocentric_kind || !n->present || n->in.opt.center != NOC_HELIOCENTRIC) return NOC_OK;
  return noc_fail(&call->err, NOC_ERR_VALIDATION, "natal_chart.center",
                  "is heliocentric, but %s (%s) needs geocentric or topocentric positions: the "
                  "natal chart's settings apply to the whole search",
                  what, noc_event_kind_name(kind));
}

static noc_status read_spec(noc_api_call *call, json_t *item, int i, const noc_ev_natal *n,
                            noc_event_spec *s) {
  char prefix[32], path[NOC_ERR_FIELD_MAX];
  snprintf(prefix, sizeof prefix, "events[%d]", i);
  const char *kind_name = NULL;
  json_t *obj = NULL;
  if (json_is_string(item)) {
    kind_name = json_string_value(item);
  } else if (json_is_object(item)) {
    obj = item;
    noc_status st = noc_in_string(call, obj, prefix, "kind", true, &kind_name);
    if (st != NOC_OK) return st;
  } else {
    return noc_fail(&call->err, NOC_ERR_VALIDATION, prefix,
                    "must be a kind name or an object with \"kind\"");
  }
  noc_event_kind kind;
  if (!noc_event_kind_from_name(kind_name, &kind))
    return noc_fail(&call->err, NOC_ERR_VALIDATION,
                    json_is_string(item) ? prefix : noc_in_path(path, sizeof path, prefix, "kind"),
                    "unknown kind '%.40s' (transit, mundane_aspect, sign_ingress, house_ingress, "
                    "station, lunar_phase, void_of_course, eclipse, return, node_passage)",
                    kind_name);
  noc_status st = noc_ev_check_center(call, n, kind, prefix);
  if (st != NOC_OK) return st;
  noc_event_spec_default(s, kind);
  json_t *empty = json_object();
  if (empty == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  st = read_kind_options(call, obj ? obj : empty, prefix, n, s);
  json_decref(empty);
  if (st == NOC_OK && obj) noc_in_warn_unknown(call, obj, prefix, kind_keys(kind));
  return st;
}

noc_status noc_ev_in_specs(noc_api_call *call, const noc_ev_natal *n, noc_event_query *q) {
  json_t *list = json_object_get(call->body, "events");
  if (list == NULL || json_is_null(list))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "events",
                    "is required: a list of event kinds, e.g. [\"lunar_phase\", {\"kind\": "
                    "\"transit\", \"aspects\": [\"CONJUNCTION\"]}]");
  if (!json_is_array(list) || json_array_size(list) == 0 ||
      json_array_size(list) > NOC_EV_MAX_SPECS)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "events",
                    "must be a list of 1 to %d event kinds", NOC_EV_MAX_SPECS);
  q->nspecs = (int)json_array_size(list);
  for (int i = 0; i < q->nspecs; i++) {
    noc_status st = read_spec(call, json_array_get(list, (size_t)i), i, n, &q->specs[i]);
    if (st != NOC_OK) return st;
  }
  return NOC_OK;
}
