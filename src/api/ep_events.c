/* Endpoints of the exact event search (issue 5): events/search, and the older service's
 * stateless eclipses and ingresses answered from the same engine in their own request shapes.
 * Responses are a JSON envelope, or with `Accept: application/x-ndjson` one event per line and a
 * closing summary line (the HTTP server streams events/search through ep_events_stream.c). Every
 * response is bounded by a limit, its size and a time budget; a cursor resumes a search exactly
 * where it stopped. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <stdlib.h>

#include "api/events_api.h"

enum {
  LIMIT_DEFAULT = 1000,
  LIMIT_MAX = 10000,
  BUDGET_DEFAULT_MS = 2000,
  BUDGET_MAX_MS = 10000,
  /* Room kept free in the response buffer for the closing fields and meta. */
  OUTPUT_RESERVE = 256 * 1024
};

/* ---- Input: range, natal chart, paging ------------------------------------------------------- */

noc_status noc_ev_in_instant(noc_api_call *call, const char *key, bool date_only_end, double *jd) {
  const char *text = NULL;
  noc_status st = noc_in_string(call, call->body, "", key, true, &text);
  if (st != NOC_OK) return st;
  noc_time t;
  st = noc_parse_iso8601(call->env->ctx, text, &t, &call->err, key);
  if (st != NOC_OK) return st;
  *jd = t.jd_ut;
  /* An end given as a bare date includes that whole day. */
  if (date_only_end && strlen(text) <= 11 && strchr(text + 1, 'T') == NULL) *jd += 1.0;
  return NOC_OK;
}

noc_status noc_ev_natal_point(noc_api_call *call, const noc_ev_natal *n, noc_body b,
                              const char *field, double *lon) {
  if (!n->present) return noc_fail(&call->err, NOC_ERR_VALIDATION, field, "needs natal_chart");
  if (noc_body_is_angle(b)) {
    if (!n->has_houses)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, field,
                      "%s needs natal_chart with latitude and longitude", noc_body_name(b));
    *lon = noc_houses_angle(&n->houses, b);
    return NOC_OK;
  }
  noc_position pos;
  noc_status st = noc_body_position(call->env->ctx, &n->in.time, b, &n->in.opt, &pos, &call->err);
  if (st == NOC_OK)
    *lon = pos.longitude;
  else
    snprintf(call->err.field, sizeof call->err.field, "%s", field);
  return st;
}

noc_status noc_ev_in_natal(noc_api_call *call, noc_ev_natal *n) {
  memset(n, 0, sizeof *n);
  json_t *obj = json_object_get(call->body, "natal_chart");
  if (obj == NULL || json_is_null(obj)) return NOC_OK;
  noc_status st = noc_in_chart(call, obj, "natal_chart", &n->in);
  if (st != NOC_OK) return st;
  noc_in_warn_unknown(call, obj, "natal_chart", noc_chart_keys);
  n->present = true;
  if (n->in.has_location) {
    if ((st = noc_chart_houses(call, &n->in, &n->houses)) != NOC_OK) return st;
    n->has_houses = true;
  }
  return NOC_OK;
}

/* meta.settings of a search without a natal chart, as a chart's are filled (chart_input.c): the
 * ayanamsa is the one in force at the start of the range. */
static noc_status settings_meta(noc_api_call *call, const noc_calc_options *opt,
                                const char *start_key, double jd_start) {
  if (call->meta.has_settings) return NOC_OK;
  noc_time t;
  noc_status st = noc_time_from_jd_ut(call->env->ctx, jd_start, &t, &call->err);
  if (st == NOC_OK)
    st = noc_ayanamsa_value(call->env->ctx, &t, opt, &call->meta.ayanamsa_deg, &call->err);
  if (st == NOC_OK)
    st =
        noc_ayanamsa_mean_value(call->env->ctx, &t, opt, &call->meta.ayanamsa_mean_deg, &call->err);
  if (st != NOC_OK) {
    snprintf(call->err.field, sizeof call->err.field, "%s", start_key);
    return st;
  }
  call->meta.has_settings = true;
  call->meta.opt = *opt;
  return NOC_OK;
}

/* With a natal chart its own settings rule the whole search; a top-level zodiac or ayanamsa is
 * then not applied, and the caller is told so rather than left to guess. */
static void warn_natal_settings(noc_api_call *call) {
  static const char *const keys[] = {"zodiac", "ayanamsa"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    json_t *v = json_object_get(call->body, keys[i]);
    if (v && !json_is_null(v))
      noc_warn(call, "FIELD_IGNORED",
               "%s was ignored: with natal_chart the search uses the natal chart's own settings "
               "(set natal_chart.%s instead)",
               keys[i], keys[i]);
  }
}

/* Without a natal chart the search still takes a zodiac (and ayanamsa) at the top level. */
static noc_status read_settings(noc_api_call *call, const noc_ev_natal *n, const char *start_key,
                                double jd_start, noc_calc_options *opt) {
  if (n->present) {
    *opt = n->in.opt;
    warn_natal_settings(call);
    return NOC_OK;
  }
  noc_calc_options_default(opt);
  const char *zodiac = NULL, *ayanamsa = NULL;
  noc_status st = noc_in_string(call, call->body, "", "zodiac", false, &zodiac);
  if (st == NOC_OK) st = noc_in_string(call, call->body, "", "ayanamsa", false, &ayanamsa);
  if (st != NOC_OK) return st;
  if (zodiac && strcasecmp(zodiac, "sidereal") == 0)
    opt->zodiac = NOC_SIDEREAL;
  else if (zodiac && strcasecmp(zodiac, "tropical") != 0)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "zodiac", "must be tropical or sidereal");
  if (ayanamsa &&
      (!noc_ayanamsa_from_name(ayanamsa, &opt->ayanamsa) || opt->ayanamsa == NOC_AYANAMSA_USER))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "ayanamsa",
                    "unknown ayanamsa '%.40s' (e.g. LAHIRI, FAGAN_BRADLEY)", ayanamsa);
  return settings_meta(call, opt, start_key, jd_start);
}

noc_status noc_ev_in_paging(noc_api_call *call, noc_ev_paging *p) {
  double limit = LIMIT_DEFAULT, budget = BUDGET_DEFAULT_MS;
  const char *cursor = NULL;
  noc_status st;
  if ((st = noc_in_number(call, call->body, "", "limit", false, 1, LIMIT_MAX, &limit, NULL)) !=
          NOC_OK ||
      (st = noc_in_number(call, call->body, "", "time_budget_ms", false, 1, BUDGET_MAX_MS, &budget,
                          NULL)) != NOC_OK ||
      (st = noc_in_string(call, call->body, "", "cursor", false, &cursor)) != NOC_OK)
    return st;
  if (limit != floor(limit))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "limit", "must be a whole number");
  p->limit = (int64_t)limit;
  p->budget_s = budget / 1000.0;
  p->cursor = cursor;
  return NOC_OK;
}

/* The request minus its paging fields, canonical: a cursor belongs to exactly one search. */
uint64_t noc_ev_fingerprint(noc_api_call *call, const char *path) {
  uint64_t h = noc_fnv1a(NOC_FNV_OFFSET, path, strlen(path));
  json_t *copy = json_deep_copy(call->body);
  if (copy == NULL) return h;
  json_object_del(copy, "cursor");
  json_object_del(copy, "limit");
  json_object_del(copy, "time_budget_ms");
  char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
  if (text) {
    h = noc_fnv1a(h, text, strlen(text));
    free(text);
  }
  json_decref(copy);
  return h;
}

/* ---- Output -------------------------------------------------------------------------------------
 */

static const char *phase_name(double angle) {
  if (angle == 0.0) return "new";
  if (angle == 90.0) return "first_quarter";
  if (angle == 180.0) return "full";
  if (angle == 270.0) return "last_quarter";
  return "custom";
}

static const char *eclipse_type_name(unsigned t) {
  switch (t) {
  case NOC_ECL_TOTAL:
    return "total";
  case NOC_ECL_ANNULAR:
    return "annular";
  case NOC_ECL_HYBRID:
    return "hybrid";
  case NOC_ECL_PENUMBRAL:
    return "penumbral";
  default:
    return "partial";
  }
}

static void out_time_or_null(noc_jw *w, const char *key, double jd, noc_api_call *call) {
  noc_jw_key(w, key);
  if (jd > 0.0)
    noc_out_time(w, jd, call);
  else
    noc_jw_null(w);
}

static void out_body(noc_jw *w, const char *key, int body) {
  noc_jw_kstr(w, key, body >= 0 ? noc_body_name((noc_body)body) : NULL);
}

static void out_eclipse(noc_jw *w, const noc_event *ev, noc_api_call *call) {
  const noc_eclipse_info *e = &ev->eclipse;
  noc_jw_kstr(w, "eclipse", e->solar ? "solar" : "lunar");
  noc_jw_kstr(w, "eclipse_type", eclipse_type_name(e->type));
  noc_jw_knum(w, "magnitude", e->magnitude, 4);
  if (e->solar) {
    noc_jw_knum(w, "obscuration", e->obscuration, 4);
    noc_jw_kbool(w, "central", e->central);
  } else {
    noc_jw_knum(w, "penumbral_magnitude", e->penumbral_magnitude, 4);
  }
  noc_jw_knum(w, "julian_day_tt", e->jd_tt, 6);
  if (e->saros > 0) {
    noc_jw_kint(w, "saros", e->saros);
    noc_jw_kint(w, "saros_member", e->saros_member);
  }
  noc_jw_key(w, "contacts");
  noc_jw_obj(w);
  if (!e->solar) {
    out_time_or_null(w, "penumbral_begins", e->penumbral_begin, call);
    out_time_or_null(w, "penumbral_ends", e->penumbral_end, call);
  }
  out_time_or_null(w, e->solar ? "begins" : "partial_begins", e->begin, call);
  out_time_or_null(w, e->solar ? "ends" : "partial_ends", e->end, call);
  out_time_or_null(w, "total_begins", e->total_begin, call);
  out_time_or_null(w, "total_ends", e->total_end, call);
  noc_jw_obj_end(w);
  if (!e->has_local) return;
  noc_jw_key(w, "local");
  noc_jw_obj(w);
  noc_jw_kbool(w, "visible", e->local_visible);
  if (e->local_visible) {
    noc_jw_kstr(w, "eclipse_type", eclipse_type_name(e->local_type));
    out_time_or_null(w, "maximum", e->local_max, call);
    noc_jw_knum(w, "magnitude", e->local_magnitude, 4);
    if (e->solar) noc_jw_knum(w, "obscuration", e->local_obscuration, 4);
    noc_jw_knum(w, "altitude", e->local_altitude, 3);
    out_time_or_null(w, "begins", e->local_begin, call);
    out_time_or_null(w, "ends", e->local_end, call);
    out_time_or_null(w, "total_begins", e->local_total_begin, call);
    out_time_or_null(w, "total_ends", e->local_total_end, call);
  }
  noc_jw_obj_end(w);
}

static void out_motion(noc_jw *w, const noc_event *ev) {
  noc_jw_kstr(w, "direction", noc_event_direction_name(ev->direction));
  noc_jw_kbool(w, "retrograde", ev->speed < 0.0);
}

void noc_ev_write_event(noc_jw *w, const noc_event_query *q, const noc_event *ev,
                        noc_api_call *call) {
  noc_jw_obj(w);
  noc_jw_kstr(w, "kind", noc_event_kind_name(ev->kind));
  noc_jw_key(w, "time");
  noc_out_time(w, ev->jd_ut, call);
  noc_jw_knum(w, "julian_day_ut", ev->jd_ut, 6);
  if (ev->stage != NOC_EVS_NONE) noc_jw_kstr(w, "stage", noc_event_stage_name(ev->stage));
  if (ev->body >= 0) out_body(w, "body", ev->body);
  switch (ev->kind) {
  case NOC_EVK_TRANSIT:
  case NOC_EVK_MUNDANE_ASPECT:
    out_body(w, "target", ev->target);
    noc_jw_kstr(w, "aspect", noc_aspect_def_get((noc_aspect_type)ev->aspect)->name);
    noc_jw_knum(w, "aspect_angle", noc_aspect_def_get((noc_aspect_type)ev->aspect)->angle, 4);
    if (ev->stage != NOC_EVS_EXACT) noc_jw_knum(w, "orb", ev->orb, 4);
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    noc_jw_knum(w, "target_longitude", ev->target_longitude, 6);
    out_motion(w, ev);
    if (ev->kind == NOC_EVK_MUNDANE_ASPECT)
      noc_jw_kbool(w, "target_retrograde", ev->target_speed < 0.0);
    break;
  case NOC_EVK_SIGN_INGRESS:
    noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
    noc_jw_kstr(w, "previous_sign", noc_sign_name(ev->previous_sign));
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    out_motion(w, ev);
    break;
  case NOC_EVK_HOUSE_INGRESS:
    noc_jw_kint(w, "house", ev->house);
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
    out_motion(w, ev);
    break;
  case NOC_EVK_STATION:
    noc_jw_kstr(w, "direction", noc_event_direction_name(ev->direction));
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
    break;
  case NOC_EVK_LUNAR_PHASE:
    noc_jw_kstr(w, "phase", phase_name(ev->phase_angle));
    noc_jw_knum(w, "phase_angle", ev->phase_angle, 4);
    noc_jw_knum(w, "moon_longitude", ev->longitude, 6);
    noc_jw_knum(w, "sun_longitude", ev->target_longitude, 6);
    noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
    break;
  case NOC_EVK_VOID_OF_COURSE:
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    if (ev->stage == NOC_EVS_BEGINS) {
      noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
      noc_jw_key(w, "ends");
      noc_out_time(w, ev->other_jd, call);
      noc_jw_key(w, "last_aspect");
      if (ev->last_body >= 0) {
        noc_jw_obj(w);
        out_body(w, "body", ev->last_body);
        noc_jw_kstr(w, "aspect", noc_aspect_def_get((noc_aspect_type)ev->last_aspect)->name);
        noc_jw_obj_end(w);
      } else {
        noc_jw_null(w);
      }
    } else {
      noc_jw_kstr(w, "sign", noc_sign_name(ev->previous_sign));
      noc_jw_kstr(w, "next_sign", noc_sign_name(ev->sign));
      noc_jw_key(w, "begins");
      noc_out_time(w, ev->other_jd, call);
    }
    break;
  case NOC_EVK_ECLIPSE:
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
    out_eclipse(w, ev, call);
    break;
  case NOC_EVK_RETURN:
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    noc_jw_knum(w, "natal_longitude", ev->target_longitude, 6);
    noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
    out_motion(w, ev);
    break;
  case NOC_EVK_NODE_PASSAGE:
    noc_jw_kstr(w, "direction", noc_event_direction_name(ev->direction));
    noc_jw_knum(w, "longitude", ev->longitude, 6);
    noc_jw_kstr(w, "sign", noc_sign_name(ev->sign));
    break;
  default:
    break;
  }
  (void)q;
  noc_jw_obj_end(w);
}

/* ---- Running a search into the response ------------------------------------------------------ */

typedef struct sink_state {
  noc_api_call *call;
  const noc_event_query *q;
  bool ndjson;
  size_t soft_max; /* stop once the body grows past this */
  bool full;
} sink_state;

static bool sink(void *user, const noc_event *ev) {
  sink_state *s = user;
  noc_jw *w = s->call->w;
  if (s->ndjson) noc_jw_init(w, w->buf);
  noc_ev_write_event(w, s->q, ev, s->call);
  if (s->ndjson) noc_buf_putc(w->buf, '\n');
  if (w->buf->len > s->soft_max) {
    s->full = true;
    return false;
  }
  return noc_jw_ok(w);
}

static double monotonic_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void write_summary(noc_jw *w, noc_api_call *call, const noc_event_query *q,
                          const noc_event_result *res, const char *cursor, bool full) {
  noc_jw_kint(w, "count", res->delivered);
  noc_jw_kbool(w, "complete", res->complete);
  noc_jw_key(w, "cursor");
  if (res->complete)
    noc_jw_null(w);
  else
    noc_jw_str(w, cursor);
  noc_jw_key(w, "stopped_by");
  if (res->complete)
    noc_jw_null(w);
  else
    noc_jw_str(w, res->by_limit      ? "limit"
                  : res->by_deadline ? "time_budget"
                  : full             ? "size"
                                     : "error");
  noc_jw_key(w, "searched_until");
  noc_out_time(w, res->complete ? q->jd_end : res->searched_until, call);
  noc_jw_key(w, "range");
  noc_jw_obj(w);
  noc_jw_key(w, "start");
  noc_out_time(w, q->jd_start, call);
  noc_jw_key(w, "end");
  noc_out_time(w, q->jd_end, call);
  noc_jw_obj_end(w);
}

void noc_ev_write_ndjson_tail(noc_api_call *call, const noc_event_query *q,
                              const noc_event_result *res, const char *cursor, bool full) {
  noc_jw *w = call->w;
  noc_jw_init(w, w->buf);
  noc_jw_obj(w);
  noc_jw_key(w, "summary");
  noc_jw_obj(w);
  write_summary(w, call, q, res, cursor, full);
  noc_jw_kstr(w, "request_id", call->req->request_id);
  noc_jw_key(w, "warnings");
  noc_jw_arr(w);
  for (int i = 0; i < call->meta.warning_count; i++) {
    noc_jw_obj(w);
    noc_jw_kstr(w, "code", call->meta.warnings[i].code);
    noc_jw_kstr(w, "message", call->meta.warnings[i].message);
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
  noc_buf_putc(w->buf, '\n');
}

void noc_ev_search_error_field(noc_api_call *call) {
  /* The ephemeris names its own fields ("planets", "date"); here they come from the list. */
  const char *f = call->err.field;
  if (strcmp(f, "planets") == 0 || strcmp(f, "date") == 0)
    snprintf(call->err.field, sizeof call->err.field, "events");
}

noc_status noc_ev_run(noc_api_call *call, const char *path, const noc_event_query *q,
                      const noc_ev_paging *p, const char *list_key) {
  uint64_t fp = noc_ev_fingerprint(call, path);
  noc_event_run run = {p->limit, monotonic_now() + p->budget_s, {0, 0}};
  if (p->cursor && !noc_event_cursor_parse(p->cursor, fp, &run.resume))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "cursor",
                    "is not a cursor of this request (send the same request with the cursor of "
                    "its previous response)");
  noc_jw *w = call->w;
  bool ndjson = call->req->ndjson;
  size_t max = w->buf->max;
  sink_state s = {call, q, ndjson, max > 2 * OUTPUT_RESERVE ? max - OUTPUT_RESERVE : max / 2,
                  false};
  if (ndjson) {
    noc_buf_reset(w->buf); /* no envelope: the lines are the body */
    call->content_type = "application/x-ndjson";
  } else {
    noc_jw_obj(w);
    noc_jw_key(w, list_key);
    noc_jw_arr(w);
  }
  noc_event_result res;
  noc_status st = noc_events_search(call->env->ctx, q, &run, sink, &s, &res, &call->err);
  if (st != NOC_OK) {
    noc_ev_search_error_field(call);
    return st;
  }
  if (!noc_jw_ok(w))
    return noc_fail(&call->err, NOC_ERR_NOMEM, "", "the response exceeds the size limit");
  char cursor[96] = "";
  if (!res.complete && noc_event_cursor_format(&res.next, fp, cursor, sizeof cursor) < 0)
    return noc_fail(&call->err, NOC_ERR_INTERNAL, "", "cursor does not fit");
  if (ndjson) {
    noc_ev_write_ndjson_tail(call, q, &res, cursor, s.full);
  } else {
    noc_jw_arr_end(w);
    write_summary(w, call, q, &res, cursor, s.full);
    noc_jw_obj_end(w);
  }
  return NOC_OK;
}

/* ---- events/search -----------------------------------------------------------------------------
 */

noc_status noc_ev_search_input(noc_api_call *call, noc_event_query *q, noc_ev_paging *paging) {
  static const char *const known[] = {"start",    "end",    "natal_chart",    "events",
                                      "limit",    "cursor", "time_budget_ms", "zodiac",
                                      "ayanamsa", NULL};
  noc_ev_natal natal;
  noc_status st;
  if ((st = noc_ev_in_instant(call, "start", false, &q->jd_start)) == NOC_OK &&
      (st = noc_ev_in_instant(call, "end", false, &q->jd_end)) == NOC_OK &&
      (st = noc_ev_in_natal(call, &natal)) == NOC_OK &&
      (st = read_settings(call, &natal, "start", q->jd_start, &q->opt)) == NOC_OK &&
      (st = noc_ev_in_specs(call, &natal, q)) == NOC_OK &&
      (st = noc_ev_in_paging(call, paging)) == NOC_OK &&
      (st = noc_events_validate(q, &call->err)) == NOC_OK)
    noc_in_warn_unknown(call, call->body, "", known);
  return st;
}

/* ---- The older service's stateless eclipses and ingresses -------------------------------------
 */

static noc_status old_range(noc_api_call *call, noc_event_query *q) {
  noc_status st = noc_ev_in_instant(call, "start_date", false, &q->jd_start);
  if (st == NOC_OK) st = noc_ev_in_instant(call, "end_date", true, &q->jd_end);
  return st;
}

static noc_status eclipses_query(noc_api_call *call, noc_event_query *q, noc_ev_paging *paging) {
  noc_ev_natal natal;
  noc_status st;
  if ((st = old_range(call, q)) != NOC_OK || (st = noc_ev_in_natal(call, &natal)) != NOC_OK ||
      (st = read_settings(call, &natal, "start_date", q->jd_start, &q->opt)) != NOC_OK ||
      (st = noc_ev_in_paging(call, paging)) != NOC_OK)
    return st;
  if ((st = noc_ev_check_center(call, &natal, NOC_EVK_ECLIPSE, "eclipses")) != NOC_OK) return st;
  noc_event_spec *s = &q->specs[0];
  noc_event_spec_default(s, NOC_EVK_ECLIPSE);
  q->nspecs = 1;
  const char *type = NULL;
  if ((st = noc_in_string(call, call->body, "", "eclipse_type", false, &type)) != NOC_OK) return st;
  if (type && strcasecmp(type, "solar") == 0)
    s->lunar = false;
  else if (type && strcasecmp(type, "lunar") == 0)
    s->solar = false;
  else if (type && strcasecmp(type, "all") != 0)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "eclipse_type", "must be all, solar or lunar");
  if (natal.has_houses) {
    s->has_location = true;
    s->latitude = natal.in.latitude;
    s->longitude = natal.in.longitude;
    s->altitude_m = natal.in.altitude;
  }
  return noc_events_validate(q, &call->err);
}

static noc_status eclipses_input(noc_api_call *call, noc_event_query *q, noc_ev_paging *paging) {
  static const char *const known[] = {"natal_chart", "start_date", "end_date",       "eclipse_type",
                                      "limit",       "cursor",     "time_budget_ms", "zodiac",
                                      "ayanamsa",    NULL};
  noc_status st = eclipses_query(call, q, paging);
  if (st == NOC_OK) noc_in_warn_unknown(call, call->body, "", known);
  return st;
}

static noc_status ingresses_query(noc_api_call *call, noc_event_query *q, noc_ev_paging *paging) {
  static const noc_body defaults[] = {NOC_SUN,     NOC_MOON,   NOC_MERCURY, NOC_VENUS,   NOC_MARS,
                                      NOC_JUPITER, NOC_SATURN, NOC_URANUS,  NOC_NEPTUNE, NOC_PLUTO};
  noc_ev_natal natal;
  noc_status st;
  if ((st = old_range(call, q)) != NOC_OK || (st = noc_ev_in_natal(call, &natal)) != NOC_OK ||
      (st = read_settings(call, &natal, "start_date", q->jd_start, &q->opt)) != NOC_OK ||
      (st = noc_ev_in_paging(call, paging)) != NOC_OK)
    return st;
  noc_event_spec *s = &q->specs[0];
  noc_event_spec_default(s, NOC_EVK_SIGN_INGRESS);
  if ((st = noc_in_bodies(call, call->body, "", "planets", defaults,
                          (int)(sizeof defaults / sizeof defaults[0]), s->bodies, &s->nbodies)) !=
      NOC_OK)
    return st;
  q->nspecs = 1;
  st = noc_events_validate(q, &call->err);
  if (st != NOC_OK && strncmp(call->err.field, "events[0].bodies", 16) == 0)
    snprintf(call->err.field, sizeof call->err.field, "planets");
  return st;
}

static noc_status ingresses_input(noc_api_call *call, noc_event_query *q, noc_ev_paging *paging) {
  static const char *const known[] = {"natal_chart", "start_date", "end_date",       "planets",
                                      "limit",       "cursor",     "time_budget_ms", "zodiac",
                                      "ayanamsa",    NULL};
  noc_status st = ingresses_query(call, q, paging);
  if (st == NOC_OK) noc_in_warn_unknown(call, call->body, "", known);
  return st;
}

/* ---- The event endpoints: their inputs, one way to run them ---------------------------------
 */

typedef struct event_endpoint {
  const char *path;
  const char *list_key; /* the events' key in a buffered answer's data */
  noc_status (*input)(noc_api_call *call, noc_event_query *q, noc_ev_paging *paging);
} event_endpoint;

static const event_endpoint event_endpoints[] = {
    {"events/search", "events", noc_ev_search_input},
    {"stateless/eclipses", "eclipses", eclipses_input},
    {"stateless/ingresses", "ingresses", ingresses_input},
};

static const event_endpoint *event_endpoint_find(const char *path) {
  for (size_t i = 0; i < sizeof event_endpoints / sizeof event_endpoints[0]; i++)
    if (path != NULL && strcmp(event_endpoints[i].path, path) == 0) return &event_endpoints[i];
  return NULL;
}

bool noc_ev_is_event_endpoint(const char *path) {
  return event_endpoint_find(path) != NULL;
}

noc_status noc_ev_endpoint_input(noc_api_call *call, const char *path, noc_event_query *q,
                                 noc_ev_paging *paging) {
  const event_endpoint *e = event_endpoint_find(path);
  if (e == NULL) return noc_fail(&call->err, NOC_ERR_INTERNAL, "", "not an event endpoint");
  return e->input(call, q, paging);
}

/* Reads the request in the endpoint's shape, then runs it as a search. */
static int run_event_endpoint(noc_api_call *call, const char *path) {
  const event_endpoint *e = event_endpoint_find(path);
  noc_event_query *q = calloc(1, sizeof *q); /* large: kept off the worker's stack */
  if (q == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  noc_ev_paging paging = {0};
  noc_status st = e->input(call, q, &paging);
  if (st == NOC_OK) st = noc_ev_run(call, e->path, q, &paging, e->list_key);
  free(q);
  return st;
}

static int ep_events_search(noc_api_call *call) {
  return run_event_endpoint(call, "events/search");
}

static int ep_stateless_eclipses(noc_api_call *call) {
  return run_event_endpoint(call, "stateless/eclipses");
}

static int ep_stateless_ingresses(noc_api_call *call) {
  return run_event_endpoint(call, "stateless/ingresses");
}

const noc_endpoint noc_endpoints_events[] = {
    {"events/search", "POST", "calculations",
     "Exact times of transits, aspects, ingresses, stations, phases, eclipses, returns and node "
     "passages over any range (cursor, NDJSON streaming)",
     ep_events_search},
    {"stateless/eclipses", "POST", "calculations",
     "Solar and lunar eclipses between two dates, with local circumstances for the natal place",
     ep_stateless_eclipses},
    {"stateless/ingresses", "POST", "calculations", "Sign ingresses between two dates",
     ep_stateless_ingresses},
    {"stateless/rectification", "POST", "calculations",
     "Ranked candidate birth times from dated life events", noc_ep_rectification},
    {"calculations/rectification", "POST", "calculations",
     "Ranked candidate birth times from dated life events", noc_ep_rectification},
    {NULL, NULL, NULL, NULL, NULL},
};
