/* JSON output of the identity routes: the project's envelope and the shapes of users and
 * service tokens. */
#include <stdio.h>

#include "http/identity_internal.h"
#include "http/log.h"
#include "nocturna/context.h"

void noc_id_envelope_begin(noc_buf *out, noc_jw *w) {
  noc_buf_reset(out);
  noc_jw_init(w, out);
  noc_jw_obj(w);
  noc_jw_kbool(w, "success", true);
  noc_jw_key(w, "data");
}

/* The same meta as the server's own envelopes: request_id, timestamp, engine, warnings. */
void noc_id_envelope_end(noc_jw *w, const noc_id_request *req) {
  char ts[40];
  noc_log_format_time(req->now_ms, ts, sizeof ts);
  noc_jw_key(w, "error");
  noc_jw_null(w);
  noc_jw_key(w, "meta");
  noc_jw_obj(w);
  noc_jw_kstr(w, "request_id", req->request_id);
  noc_jw_kstr(w, "timestamp", ts);
  noc_jw_key(w, "engine");
  noc_jw_obj(w);
  noc_jw_kstr(w, "name", "nocturna");
  noc_jw_kstr(w, "version", noc_version());
  if (req->swe_version) noc_jw_kstr(w, "swiss_ephemeris", req->swe_version);
  noc_jw_obj_end(w);
  noc_jw_key(w, "warnings");
  noc_jw_arr(w);
  noc_jw_arr_end(w);
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
}

void noc_id_json_time(noc_jw *w, const char *key, int64_t unix_s) {
  noc_jw_key(w, key);
  if (unix_s == 0) {
    noc_jw_null(w);
    return;
  }
  char ts[32];
  noc_identity_format_time(unix_s, ts, sizeof ts);
  noc_jw_str(w, ts);
}

void noc_id_write_user(noc_jw *w, const noc_user *u) {
  noc_jw_obj(w);
  noc_jw_kstr(w, "id", u->id);
  noc_jw_kstr(w, "email", u->email);
  noc_jw_kstr(w, "username", u->username);
  noc_jw_kstr(w, "first_name", u->first_name[0] ? u->first_name : NULL);
  noc_jw_kstr(w, "last_name", u->last_name[0] ? u->last_name : NULL);
  noc_jw_kbool(w, "is_active", u->is_active);
  noc_jw_kbool(w, "is_superuser", u->is_superuser);
  noc_id_json_time(w, "created_at", u->created_at);
  noc_jw_obj_end(w);
}

/* Whole days left, rounded down like Python's timedelta.days (negative when past). */
static int64_t days_left(int64_t expires_at, int64_t now) {
  int64_t left = expires_at - now;
  return left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
}

void noc_id_write_svc(noc_jw *w, const noc_svc_token *t, int64_t now) {
  bool expired = t->expires_at != 0 && t->expires_at <= now;
  noc_jw_obj(w);
  noc_jw_kstr(w, "id", t->id);
  noc_jw_kstr(w, "token_id", t->id);
  noc_jw_kstr(w, "user_id", t->subject);
  noc_jw_kstr(w, "scope", t->scope);
  noc_jw_kstr(w, "description", t->description);
  noc_jw_kstr(w, "status", t->revoked_at ? "revoked" : expired ? "expired" : "active");
  noc_id_json_time(w, "created_at", t->created_at);
  noc_jw_kstr(w, "created_by", t->created_by[0] ? t->created_by : NULL);
  noc_id_json_time(w, "expires_at", t->expires_at);
  noc_jw_kbool(w, "eternal", t->expires_at == 0);
  noc_jw_kbool(w, "is_expired", expired);
  noc_jw_kbool(w, "is_revoked", t->revoked_at != 0);
  noc_jw_key(w, "days_until_expiry");
  if (t->expires_at == 0)
    noc_jw_null(w);
  else
    noc_jw_int(w, days_left(t->expires_at, now));
  noc_id_json_time(w, "last_used_at", t->last_used_at);
  noc_id_json_time(w, "revoked_at", t->revoked_at);
  noc_jw_kstr(w, "renewed_from", t->renewed_from[0] ? t->renewed_from : NULL);
  noc_jw_obj_end(w);
}
