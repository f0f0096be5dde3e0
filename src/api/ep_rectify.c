/* Rectification: stateless/rectification and calculations/rectification. The approximate birth
 * data come in the chart-data shape ("chart_data", or "natal_chart"), with dated life events; the
 * answer ranks candidate birth times with their supporting contacts (method: src/core/rectify.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/events_api.h"
#include "nocturna/rectify.h"

static const char *const known_keys[] = {
    "chart_data",   "natal_chart", "events",     "time_range_minutes",
    "step_minutes", "techniques",  "candidates", NULL};
static const char *const event_keys[] = {"type",   "event_type",  "date", "time",
                                         "weight", "description", NULL};

/* An event's instant: an ISO instant as given, or a local date (and time, noon by default) in
 * the birth chart's UTC offset. */
static noc_status event_time(noc_api_call *call, json_t *ev, const char *prefix,
                             const noc_chart_in *birth, double *jd) {
  const char *date = NULL, *clock = NULL;
  noc_status st = noc_in_string(call, ev, prefix, "date", true, &date);
  if (st == NOC_OK) st = noc_in_string(call, ev, prefix, "time", false, &clock);
  if (st != NOC_OK) return st;
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "date");
  noc_time t;
  if (strchr(date, 'T') != NULL)
    return noc_parse_iso8601(call->env->ctx, date, &t, &call->err, path) == NOC_OK
               ? (*jd = t.jd_ut, NOC_OK)
               : call->err.code;
  if ((st = noc_parse_iso8601(call->env->ctx, date, &t, &call->err, path)) != NOC_OK) return st;
  double day_fraction = 0.5;
  if (clock) {
    noc_civil c = {0};
    noc_in_path(path, sizeof path, prefix, "time");
    if ((st = noc_parse_clock(clock, &c, &call->err, path)) != NOC_OK) return st;
    day_fraction = (c.hour * 3600 + c.minute * 60 + c.second) / 86400.0;
  }
  *jd = t.jd_ut + day_fraction - birth->tz.offset_seconds / 86400.0;
  return NOC_OK;
}

static noc_status read_events(noc_api_call *call, const noc_chart_in *birth, noc_rect_input *in,
                              const char **types) {
  json_t *list = json_object_get(call->body, "events");
  if (!json_is_array(list) || json_array_size(list) == 0 ||
      json_array_size(list) > NOC_RECT_MAX_EVENTS)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "events",
                    "must be a list of 1 to %d life events {\"type\", \"date\"}",
                    NOC_RECT_MAX_EVENTS);
  in->nevents = (int)json_array_size(list);
  for (int i = 0; i < in->nevents; i++) {
    json_t *ev = json_array_get(list, (size_t)i);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "events[%d]", i);
    if (!json_is_object(ev))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, prefix,
                      "must be an object {\"type\": \"marriage\", \"date\": \"2010-06-12\"}");
    const char *type = NULL;
    noc_rect_event *e = &in->events[i];
    e->weight = 1.0;
    noc_status st = noc_in_string(call, ev, prefix, "type", false, &type);
    if (st == NOC_OK && type == NULL)
      st = noc_in_string(call, ev, prefix, "event_type", false, &type);
    if (st == NOC_OK) st = noc_in_number(call, ev, prefix, "weight", false, 0, 5, &e->weight, NULL);
    if (st == NOC_OK) st = event_time(call, ev, prefix, birth, &e->jd_ut);
    if (st != NOC_OK) return st;
    types[i] = type ? type : "other";
    if (!noc_rect_event_houses(types[i], &e->houses)) {
      noc_warn(call, "UNKNOWN_EVENT_TYPE",
               "%s: type '%.40s' is not known; it was read as 'other' (ASC and MC)", prefix,
               types[i]);
      noc_rect_event_houses("other", &e->houses);
    }
    if (e->jd_ut <= birth->time.jd_ut)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, prefix, "happens before the birth");
    noc_in_warn_unknown(call, ev, prefix, event_keys);
  }
  return NOC_OK;
}

static noc_status read_options(noc_api_call *call, noc_rect_input *in) {
  double cands = in->max_candidates;
  noc_status st;
  if ((st = noc_in_number(call, call->body, "", "time_range_minutes", false, 1, 720,
                          &in->window_minutes, NULL)) != NOC_OK ||
      (st = noc_in_number(call, call->body, "", "step_minutes", false, 0.25, 30, &in->step_minutes,
                          NULL)) != NOC_OK ||
      (st = noc_in_number(call, call->body, "", "candidates", false, 1, NOC_RECT_MAX_CANDIDATES,
                          &cands, NULL)) != NOC_OK)
    return st;
  in->max_candidates = (int)cands;
  json_t *list = json_object_get(call->body, "techniques");
  if (list && !json_is_null(list)) {
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > NOC_RECT_TECHNIQUE_COUNT)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, "techniques",
                      "must list transits, progressions, solar_arc or primary_directions");
    for (int i = 0; i < NOC_RECT_TECHNIQUE_COUNT; i++)
      in->techniques[i] = false;
    for (size_t i = 0; i < json_array_size(list); i++) {
      json_t *item = json_array_get(list, i);
      noc_rect_technique t;
      char path[NOC_ERR_FIELD_MAX];
      snprintf(path, sizeof path, "techniques[%zu]", i);
      if (!json_is_string(item) || !noc_rect_technique_from_name(json_string_value(item), &t))
        return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                        "must be transits, progressions, solar_arc or primary_directions");
      in->techniques[t] = true;
    }
  }
  return NOC_OK;
}

static void out_local(noc_jw *w, double jd, int32_t offset, noc_api_call *call) {
  noc_time t;
  noc_error err;
  char buf[48];
  if (noc_time_from_jd_ut(call->env->ctx, jd + offset / 86400.0, &t, &err) != NOC_OK ||
      noc_format_utc(&t.utc, 0, buf, sizeof buf) < 1) {
    noc_jw_null(w);
    return;
  }
  size_t n = strlen(buf);
  int32_t a = offset < 0 ? -offset : offset;
  snprintf(buf + n - 1, sizeof buf - (n - 1), "%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600,
           a / 60 % 60); /* replaces the Z */
  noc_jw_str(w, buf);
}

static void write_candidate(noc_api_call *call, const noc_rect_input *in,
                            const noc_rect_candidate *c, int rank, int32_t offset,
                            const char **types) {
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_kint(w, "rank", rank);
  noc_jw_key(w, "time");
  noc_out_time(w, c->jd_ut, call);
  noc_jw_key(w, "local_time");
  out_local(w, c->jd_ut, offset, call);
  noc_jw_knum(w, "offset_minutes", (c->jd_ut - in->birth.jd_ut) * 1440.0, 2);
  noc_jw_knum(w, "score", c->score, 3);
  noc_jw_knum(w, "confidence", c->confidence, 3);
  noc_jw_knum(w, "ascendant", c->asc, 4);
  noc_jw_knum(w, "midheaven", c->mc, 4);
  noc_jw_kstr(w, "ascendant_sign", noc_sign_name((int)(noc_norm360(c->asc) / 30.0) % 12));
  noc_jw_key(w, "contacts");
  noc_jw_arr(w);
  for (int i = 0; i < c->ncontacts; i++) {
    const noc_rect_contact *k = &c->contacts[i];
    noc_jw_obj(w);
    noc_jw_kint(w, "event", k->event);
    noc_jw_kstr(w, "event_type", types[k->event]);
    noc_jw_kstr(w, "technique", noc_rect_technique_name(k->technique));
    noc_jw_kstr(w, "moving", noc_body_name((noc_body)k->moving));
    noc_jw_kstr(w, "aspect", noc_aspect_def_get(k->aspect)->name);
    noc_jw_kstr(w, "target", noc_body_name((noc_body)k->target));
    noc_jw_knum(w, "orb", k->orb, 3);
    noc_jw_knum(w, "score", k->score, 3);
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
  noc_jw_obj_end(w);
}

static void write_result(noc_api_call *call, const noc_rect_input *in, const noc_rect_result *r,
                         const noc_chart_in *birth, const char **types) {
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_key(w, "candidates");
  noc_jw_arr(w);
  for (int i = 0; i < r->ncandidates; i++)
    write_candidate(call, in, &r->candidates[i], i + 1, birth->tz.offset_seconds, types);
  noc_jw_arr_end(w);
  noc_jw_key(w, "window");
  noc_jw_obj(w);
  noc_jw_key(w, "start");
  noc_out_time(w, in->birth.jd_ut - in->window_minutes / 1440.0, call);
  noc_jw_key(w, "end");
  noc_out_time(w, in->birth.jd_ut + in->window_minutes / 1440.0, call);
  noc_jw_knum(w, "step_minutes", in->step_minutes, 2);
  noc_jw_kint(w, "samples", r->samples);
  noc_jw_obj_end(w);
  noc_jw_key(w, "techniques");
  noc_jw_arr(w);
  for (int i = 0; i < NOC_RECT_TECHNIQUE_COUNT; i++)
    if (in->techniques[i]) noc_jw_str(w, noc_rect_technique_name((noc_rect_technique)i));
  noc_jw_arr_end(w);
  noc_jw_kint(w, "events_used", in->nevents);
  noc_jw_kstr(w, "method",
              "candidates every step across the window are scored by timed contacts (major "
              "aspects, small orbs) to their angles and to the rulers of each event's houses: "
              "transits of Mars..Pluto, secondary progressions, solar-arc directions and primary "
              "directions of the angles (Naibod); the ranked times are separated score peaks; "
              "confidence is each peak's share of exp(score / (2 sqrt(events))) over the window");
  noc_jw_obj_end(w);
}

int noc_ep_rectification(noc_api_call *call) {
  json_t *chart = json_object_get(call->body, "chart_data");
  const char *prefix = "chart_data";
  if (chart == NULL || json_is_null(chart)) {
    chart = json_object_get(call->body, "natal_chart");
    prefix = "natal_chart";
  }
  if (chart == NULL || json_is_null(chart))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "chart_data",
                    "is required: the approximate birth data (date, time, timezone, latitude, "
                    "longitude)");
  noc_rect_input *in = calloc(1, sizeof *in);
  const char **types = calloc(NOC_RECT_MAX_EVENTS, sizeof *types);
  noc_rect_result *res = calloc(1, sizeof *res);
  noc_chart_in birth;
  noc_status st = NOC_OK;
  if (in == NULL || types == NULL || res == NULL) {
    st = noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
    goto done;
  }
  noc_rect_input_default(in);
  if ((st = noc_in_chart(call, chart, prefix, &birth)) != NOC_OK) goto done;
  if (!birth.has_location) {
    char path[NOC_ERR_FIELD_MAX];
    st =
        noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, "latitude"),
                 "is required: the angles depend on the place");
    goto done;
  }
  if (birth.house_system == NULL || birth.house_system->cusp_count != 12) {
    /* Checked here, where the chart's own field can be named; the core names its bare key. */
    char path[NOC_ERR_FIELD_MAX];
    st = noc_fail(&call->err, NOC_ERR_VALIDATION,
                  noc_in_path(path, sizeof path, prefix, "house_system"),
                  "must be a 12-house system (the rulers of the event's houses come from the "
                  "cusps)");
    goto done;
  }
  noc_in_warn_unknown(call, chart, prefix, noc_chart_keys);
  in->birth = birth.time;
  in->latitude = birth.latitude;
  in->longitude = birth.longitude;
  in->system = birth.house_system;
  in->opt = birth.opt;
  if ((st = read_options(call, in)) != NOC_OK ||
      (st = read_events(call, &birth, in, types)) != NOC_OK ||
      (st = noc_rectify(call->env->ctx, in, res, &call->err)) != NOC_OK)
    goto done;
  noc_in_warn_unknown(call, call->body, "", known_keys);
  write_result(call, in, res, &birth, types);
done:
  free(res);
  free(types);
  free(in);
  return st;
}
