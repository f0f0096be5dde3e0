/* The response envelope {"success","data","error","meta"} around every endpoint. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"

/* The answer's own time, in milliseconds; whole milliseconds so the seconds carry no rounding. */
static void write_timestamp(noc_jw *w, int64_t now_ms) {
  int64_t secs = now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
  noc_civil c;
  noc_civil_from_unix(secs, &c);
  c.second += (double)(now_ms - secs * 1000) / 1000.0;
  char buf[48];
  if (noc_format_utc(&c, 3, buf, sizeof buf) < 0)
    noc_jw_null(w);
  else
    noc_jw_str(w, buf);
}

static void write_offset(noc_jw *w, int32_t off) {
  char buf[16];
  if (noc_format_offset(off, buf, sizeof buf) < 0)
    noc_jw_null(w);
  else
    noc_jw_str(w, buf);
}

static void write_time_meta(noc_jw *w, const noc_meta *m) {
  char utc[48];
  noc_jw_key(w, "time");
  noc_jw_obj(w);
  if (noc_format_utc(&m->time.utc, 3, utc, sizeof utc) > 0) noc_jw_kstr(w, "utc", utc);
  noc_jw_knum(w, "julian_day_ut", m->time.jd_ut, 10);
  noc_jw_knum(w, "julian_day_tt", m->time.jd_tt, 10);
  noc_jw_knum(w, "delta_t_seconds", m->time.delta_t_sec, 3);
  noc_jw_kstr(w, "time_scale",
              "UTC with leap seconds (from 1972; UT1 before) to TT; UT1 = TT - delta_t");
  noc_jw_kstr(w, "calendar", m->julian_calendar ? "julian" : "gregorian");
  noc_jw_key(w, "timezone");
  noc_jw_obj(w);
  noc_jw_key(w, "name");
  if (m->tz.name[0])
    noc_jw_str(w, m->tz.name);
  else
    noc_jw_null(w);
  noc_jw_key(w, "offset");
  write_offset(w, m->tz.offset_seconds);
  noc_jw_kint(w, "offset_seconds", m->tz.offset_seconds);
  noc_jw_kstr(w, "abbreviation", m->tz.abbreviation);
  noc_jw_kbool(w, "is_dst", m->tz.is_dst);
  noc_jw_kstr(w, "resolution", m->tz.resolution ? m->tz.resolution : "unique");
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
}

static void write_settings(noc_jw *w, const noc_meta *m) {
  static const char *const centers[] = {"geocentric", "topocentric", "heliocentric"};
  noc_jw_key(w, "settings");
  noc_jw_obj(w);
  noc_jw_kstr(w, "zodiac", m->opt.zodiac == NOC_SIDEREAL ? "sidereal" : "tropical");
  if (m->opt.zodiac == NOC_SIDEREAL) {
    noc_jw_kstr(w, "ayanamsa", noc_ayanamsa_name(m->opt.ayanamsa));
    noc_jw_knum(w, "ayanamsa_deg", m->ayanamsa_deg, 7);
    noc_jw_knum(w, "ayanamsa_mean_deg", m->ayanamsa_mean_deg, 7);
  }
  noc_jw_kstr(w, "center", centers[m->opt.center]);
  noc_jw_kstr(w, "position_type", m->opt.true_positions ? "true" : "apparent");
  if (m->house_used) {
    noc_jw_kstr(w, "house_system", m->house_used->name);
    noc_jw_kstr(w, "house_system_requested", m->house_requested->name);
  }
  noc_jw_obj_end(w);
}

static void write_meta(noc_jw *w, const noc_api_call *call) {
  const noc_meta *m = &call->meta;
  noc_jw_key(w, "meta");
  noc_jw_obj(w);
  noc_jw_kstr(w, "request_id", call->req->request_id);
  noc_jw_key(w, "timestamp");
  write_timestamp(w, call->req->now_unix_ms);
  noc_jw_key(w, "engine");
  noc_jw_obj(w);
  noc_jw_kstr(w, "name", "nocturna");
  noc_jw_kstr(w, "version", noc_version());
  noc_jw_kstr(w, "swiss_ephemeris", noc_swe_version(call->env->ctx));
  noc_jw_obj_end(w);
  if (m->has_settings)
    noc_jw_kstr(w, "ephemeris",
                m->opt.ephemeris == NOC_EPHE_MOSHIER ? "Moshier (analytical)"
                                                     : "Swiss Ephemeris files (JPL DE431-based)");
  if (m->has_time) write_time_meta(w, m);
  if (m->has_settings) write_settings(w, m);
  noc_jw_key(w, "warnings");
  noc_jw_arr(w);
  for (int i = 0; i < m->warning_count; i++) {
    noc_jw_obj(w);
    noc_jw_kstr(w, "code", m->warnings[i].code);
    noc_jw_kstr(w, "message", m->warnings[i].message);
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
  noc_jw_obj_end(w);
}

static int status_http(noc_status st) {
  switch (st) {
  case NOC_ERR_VALIDATION:
  case NOC_ERR_RANGE:
  case NOC_ERR_JSON:
    return 400;
  case NOC_ERR_NOT_FOUND:
    return 404;
  case NOC_ERR_EPHEMERIS:
    return 503;
  default:
    return 500;
  }
}

static void write_error_body(noc_jw *w, const char *code, const char *message, const char *field) {
  noc_jw_kbool(w, "success", false);
  noc_jw_key(w, "data");
  noc_jw_null(w);
  noc_jw_key(w, "error");
  noc_jw_obj(w);
  noc_jw_kstr(w, "code", code);
  char full[NOC_ERR_FIELD_MAX + NOC_ERR_MESSAGE_MAX + 4];
  if (field && field[0])
    snprintf(full, sizeof full, "%s: %s", field, message);
  else
    snprintf(full, sizeof full, "%s", message);
  noc_jw_kstr(w, "message", full);
  noc_jw_key(w, "details");
  if (field && field[0]) {
    noc_jw_obj(w);
    noc_jw_kstr(w, "field", field);
    noc_jw_kstr(w, "reason", message);
    noc_jw_obj_end(w);
  } else {
    noc_jw_null(w);
  }
  noc_jw_obj_end(w);
}

void noc_api_write_error(noc_buf *out, const char *code, const char *message, const char *field,
                         const char *request_id, int64_t now_unix_ms) {
  noc_buf_reset(out);
  noc_jw w;
  noc_jw_init(&w, out);
  noc_jw_obj(&w);
  write_error_body(&w, code, message, field);
  noc_jw_key(&w, "meta");
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "request_id", request_id);
  noc_jw_key(&w, "timestamp");
  write_timestamp(&w, now_unix_ms);
  noc_jw_key(&w, "warnings");
  noc_jw_arr(&w);
  noc_jw_arr_end(&w);
  noc_jw_obj_end(&w);
  noc_jw_obj_end(&w);
}

static noc_status parse_body(noc_api_call *call) {
  json_error_t jerr;
  if (call->req->body_len == 0)
    return noc_fail(&call->err, NOC_ERR_JSON, "", "the request body is empty; send a JSON object");
  call->body = json_loadb(call->req->body, call->req->body_len, JSON_REJECT_DUPLICATES, &jerr);
  if (call->body == NULL)
    return noc_fail(&call->err, NOC_ERR_JSON, "",
                    "the body is not valid JSON (line %d, column %d: %.120s)", jerr.line,
                    jerr.column, jerr.text);
  if (!json_is_object(call->body))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "", "the body must be a JSON object");
  return NOC_OK;
}

void noc_api_run(const noc_api_env *env, const noc_endpoint *ep, const noc_request *req,
                 noc_buf *out, noc_response *resp) {
  noc_api_call call;
  memset(&call, 0, sizeof call);
  call.env = env;
  call.req = req;
  noc_buf_reset(out);
  noc_jw w;
  noc_jw_init(&w, out);
  call.w = &w;
  resp->content_type = "application/json";
  noc_jw_obj(&w);
  noc_jw_kbool(&w, "success", true);
  noc_jw_key(&w, "data");
  noc_status st = parse_body(&call);
  if (st == NOC_OK) st = (noc_status)ep->handler(&call);
  if (st == NOC_OK && !noc_jw_ok(&w))
    st = noc_fail(&call.err, NOC_ERR_NOMEM, "", "the response exceeds the size limit");
  json_decref(call.body);
  if (st == NOC_OK && call.content_type != NULL) { /* the handler wrote its own body */
    resp->http_status = 200;
    resp->error_code = NULL;
    resp->log_detail[0] = '\0';
    resp->content_type = call.content_type;
    return;
  }
  if (st != NOC_OK) {
    const char *code = call.err.code == NOC_ERR_JSON ? "INVALID_JSON" : noc_status_code(st);
    const char *message = call.err.message;
    resp->log_detail[0] = '\0';
    if (status_http(st) == 500) {
      snprintf(resp->log_detail, sizeof resp->log_detail, "%s %s: %s", ep->path, call.err.field,
               call.err.message);
      message = "internal error"; /* details go to the log, never to the client */
    }
    resp->http_status = status_http(st);
    resp->error_code = code;
    noc_buf_reset(out);
    noc_jw_init(&w, out);
    noc_jw_obj(&w);
    write_error_body(&w, code, message, status_http(st) == 500 ? NULL : call.err.field);
  } else {
    resp->http_status = 200;
    resp->error_code = NULL;
    resp->log_detail[0] = '\0';
    noc_jw_key(&w, "error");
    noc_jw_null(&w);
  }
  write_meta(&w, &call);
  noc_jw_obj_end(&w);
}
