/* Admin routes (verify, registration settings, service tokens) and the service-token renewal
 * route. The admin scope was checked by the policy before any of these runs. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/identity_internal.h"

enum { LIST_MAX = 1000 };

static const char KEY_ALLOW[] = "allow_user_registration";
static const char KEY_APPROVAL[] = "registration_requires_approval";
static const char KEY_MAX_USERS[] = "max_users_limit";

static void begin_ok(noc_id_ctx *c, noc_jw *w, int status) {
  c->resp->status = status;
  noc_id_envelope_begin(c->out, w);
}

static void end_ok(noc_id_ctx *c, noc_jw *w) {
  noc_id_envelope_end(w, c->req);
  if (!noc_jw_ok(w)) noc_id_reply_error(c, 500, "INTERNAL_ERROR", "internal error", NULL);
}

static const char *method(const noc_id_ctx *c) {
  return c->req->method;
}
static bool is(const noc_id_ctx *c, const char *m) {
  return strcmp(method(c), m) == 0;
}

/* ---------------------------------------------------------------- verify ---- */

void noc_id_admin_verify(noc_id_ctx *c) {
  const noc_jwt_claims *cl = &c->req->auth->claims;
  noc_user u;
  noc_error err;
  noc_store_rc rc = noc_store_user_get(c->id->store, cl->sub, &u, &err);
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
    return;
  }
  noc_jw w;
  begin_ok(c, &w, 200);
  noc_jw_obj(&w);
  noc_jw_kbool(&w, "is_admin", true);
  noc_jw_kstr(&w, "user_id", u.id);
  noc_jw_kstr(&w, "email", u.email);
  noc_jw_kstr(&w, "username", u.username);
  noc_jw_kstr(&w, "token_type", cl->type);
  noc_jw_kstr(&w, "scope", cl->scope);
  noc_jw_obj_end(&w);
  end_ok(c, &w);
}

/* ---------------------------------------------------------------- settings ---- */

static noc_store_rc read_bool(noc_identity *id, const char *key, bool *out, noc_error *err) {
  char v[16];
  noc_store_rc rc = noc_store_setting_get(noc_identity_store(id), key, v, sizeof v, err);
  if (rc == NOC_STORE_OK) *out = strcmp(v, "true") == 0;
  return rc == NOC_STORE_NOT_FOUND ? NOC_STORE_OK : rc;
}

noc_store_rc noc_id_settings_read(noc_identity *id, noc_id_settings *out, noc_error *err) {
  out->allow_registration = id->cfg.allow_registration == 1;
  out->requires_approval = false;
  out->max_users = 0;
  noc_store_rc rc = read_bool(id, KEY_ALLOW, &out->allow_registration, err);
  if (rc == NOC_STORE_OK) rc = read_bool(id, KEY_APPROVAL, &out->requires_approval, err);
  char v[32];
  if (rc == NOC_STORE_OK) {
    rc = noc_store_setting_get(id->store, KEY_MAX_USERS, v, sizeof v, err);
    if (rc == NOC_STORE_OK)
      out->max_users = strtoll(v, NULL, 10);
    else if (rc == NOC_STORE_NOT_FOUND)
      rc = NOC_STORE_OK;
  }
  return rc;
}

static void reply_settings(noc_id_ctx *c) {
  noc_id_settings s;
  noc_error err;
  noc_store_rc rc = noc_id_settings_read(c->id, &s, &err);
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
    return;
  }
  noc_jw w;
  begin_ok(c, &w, 200);
  noc_jw_obj(&w);
  noc_jw_kbool(&w, KEY_ALLOW, s.allow_registration);
  noc_jw_kbool(&w, KEY_APPROVAL, s.requires_approval);
  noc_jw_key(&w, KEY_MAX_USERS);
  if (s.max_users > 0)
    noc_jw_int(&w, s.max_users);
  else
    noc_jw_null(&w);
  noc_jw_obj_end(&w);
  end_ok(c, &w);
}

/* Only the three known members may appear; a typo must not pass silently. */
static bool only_known_settings(noc_id_ctx *c) {
  const char *key;
  json_t *v;
  json_object_foreach(c->body.json, key, v) {
    (void)v;
    if (strcmp(key, KEY_ALLOW) != 0 && strcmp(key, KEY_APPROVAL) != 0 &&
        strcmp(key, KEY_MAX_USERS) != 0) {
      char msg[160];
      snprintf(msg, sizeof msg, "unknown field '%.64s'", key);
      noc_id_reply_error(c, 400, "VALIDATION_ERROR", msg, key);
      return false;
    }
  }
  return true;
}

static void put_settings(noc_id_ctx *c) {
  bool allow, approval, has_allow, has_approval;
  long long max_users = 0;
  bool has_max;
  if (!noc_id_parse_body(c, false, false) || !only_known_settings(c) ||
      !noc_id_field_bool(c, KEY_ALLOW, &allow, &has_allow) ||
      !noc_id_field_bool(c, KEY_APPROVAL, &approval, &has_approval) ||
      !noc_id_field_int(c, KEY_MAX_USERS, 1, 100000000, &max_users, &has_max))
    return;
  bool clear_max = !has_max && json_object_get(c->body.json, KEY_MAX_USERS) != NULL;
  noc_error err;
  noc_store_rc rc = NOC_STORE_OK;
  char num[32];
  snprintf(num, sizeof num, "%lld", has_max ? max_users : 0LL);
  if (has_allow)
    rc = noc_store_setting_set(c->id->store, KEY_ALLOW, allow ? "true" : "false", c->now, &err);
  if (rc == NOC_STORE_OK && has_approval)
    rc = noc_store_setting_set(c->id->store, KEY_APPROVAL, approval ? "true" : "false", c->now,
                               &err);
  if (rc == NOC_STORE_OK && (has_max || clear_max))
    rc = noc_store_setting_set(c->id->store, KEY_MAX_USERS, num, c->now, &err);
  if (rc != NOC_STORE_OK)
    noc_id_reply_store(c, rc, &err);
  else
    reply_settings(c);
}

void noc_id_admin_settings(noc_id_ctx *c) {
  if (is(c, "PUT"))
    put_settings(c);
  else
    reply_settings(c);
}

/* ---------------------------------------------------------------- service tokens ---- */

static void write_issued(noc_jw *w, const noc_svc_issued *is, int64_t now) {
  noc_jw_kstr(w, "service_token", is->token);
  noc_jw_kstr(w, "token_id", is->row.id);
  noc_jw_kstr(w, "token_type", "bearer");
  noc_jw_kstr(w, "scope", is->row.scope);
  noc_id_json_time(w, "expires_at", is->row.expires_at);
  noc_jw_key(w, "expires_in_days");
  if (is->row.expires_at == 0)
    noc_jw_null(w);
  else
    noc_jw_int(w, (is->row.expires_at - now) / 86400);
  noc_jw_kbool(w, "eternal", is->row.expires_at == 0);
  noc_jw_kstr(w, "description", is->row.description);
  noc_id_json_time(w, "created_at", is->row.created_at);
}

static bool issue_fields(noc_id_ctx *c, noc_svc_issue *req) {
  long long days = c->id->cfg.service_days;
  bool has_days, has_eternal, eternal = false;
  if (!noc_id_parse_body(c, false, true) ||
      !noc_id_field_int(c, "days", -1000000, 1000000, &days, &has_days) ||
      !noc_id_field_bool(c, "eternal", &eternal, &has_eternal) ||
      !noc_id_field_str(c, "scope", &req->scope) ||
      !noc_id_field_str(c, "description", &req->description))
    return false;
  if (has_days && eternal) {
    noc_id_reply_error(c, 400, "VALIDATION_ERROR", "days: not allowed with \"eternal\": true",
                       "days");
    return false;
  }
  req->days = (int)days;
  req->eternal = eternal;
  return true;
}

static void create_token(noc_id_ctx *c) {
  const noc_jwt_claims *cl = &c->req->auth->claims;
  noc_svc_issue req = {.subject = cl->sub, .created_by = cl->sub};
  if (!issue_fields(c, &req)) return;
  noc_svc_issued is;
  noc_store_rc rc;
  noc_error err;
  noc_error_clear(&err);
  noc_status st = noc_identity_issue_service(c->id, &req, c->now, &is, &rc, &err);
  if (st != NOC_OK) {
    noc_id_reply_status(c, st, rc, &err);
    return;
  }
  noc_jw w;
  begin_ok(c, &w, 201);
  noc_jw_obj(&w);
  write_issued(&w, &is, c->now);
  noc_jw_obj_end(&w);
  end_ok(c, &w);
  sodium_memzero(is.token, sizeof is.token);
}

static void list_tokens(noc_id_ctx *c) {
  noc_svc_token *list = calloc(LIST_MAX, sizeof *list);
  if (list == NULL) {
    noc_id_reply_error(c, 500, "INTERNAL_ERROR", "internal error", NULL);
    return;
  }
  int n = 0;
  noc_error err;
  noc_store_rc rc = noc_store_svc_list(c->id->store, list, LIST_MAX, &n, &err);
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
  } else {
    noc_jw w;
    begin_ok(c, &w, 200);
    noc_jw_arr(&w);
    for (int i = 0; i < n; i++)
      noc_id_write_svc(&w, &list[i], c->now);
    noc_jw_arr_end(&w);
    end_ok(c, &w);
  }
  free(list);
}

void noc_id_admin_tokens(noc_id_ctx *c) {
  if (is(c, "POST"))
    create_token(c);
  else
    list_tokens(c);
}

void noc_id_admin_token(noc_id_ctx *c) {
  noc_svc_token t;
  noc_error err;
  noc_store_rc rc = NOC_STORE_OK;
  if (is(c, "DELETE")) rc = noc_store_svc_revoke(c->id->store, c->req->arg, c->now, &err);
  if (rc == NOC_STORE_OK) rc = noc_store_svc_get(c->id->store, c->req->arg, &t, &err);
  if (rc == NOC_STORE_NOT_FOUND) {
    noc_id_reply_error(c, 404, "NOT_FOUND", "Service token not found", NULL);
    return;
  }
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
    return;
  }
  noc_jw w;
  begin_ok(c, &w, 200);
  if (is(c, "DELETE")) {
    char msg[96];
    snprintf(msg, sizeof msg, "Service token %s revoked", t.id);
    noc_jw_obj(&w);
    noc_jw_kstr(&w, "token_id", t.id);
    noc_jw_kbool(&w, "revoked", true);
    noc_id_json_time(&w, "revoked_at", t.revoked_at);
    noc_jw_kstr(&w, "message", msg);
    noc_jw_obj_end(&w);
  } else {
    noc_id_write_svc(&w, &t, c->now);
  }
  end_ok(c, &w);
}

/* ---------------------------------------------------------------- renewal ---- */

/* The new token's lifetime: asked for, else the old token's own lifetime in whole days. */
static int renewal_days(const noc_svc_token *old, bool has_days, long long days) {
  if (has_days) return (int)days;
  int64_t d = (old->expires_at - old->created_at + 43200) / 86400;
  return d < 1 ? 1 : d > NOC_ID_MAX_DAYS ? NOC_ID_MAX_DAYS : (int)d;
}

static bool renewal_fields(noc_id_ctx *c, bool *revoke_old, bool *has_days, long long *days) {
  bool has_revoke;
  *revoke_old = false;
  const noc_jwt_claims *cl = &c->req->auth->claims;
  if (strcmp(cl->type, "service") != 0) {
    noc_id_reply_error(c, 403, "FORBIDDEN",
                       "Only a service token can be renewed; this is an access token", NULL);
    return false;
  }
  return noc_id_parse_body(c, false, true) &&
         noc_id_field_bool(c, "revoke_old", revoke_old, &has_revoke) &&
         noc_id_field_int(c, "days", 1, NOC_ID_MAX_DAYS, days, has_days);
}

static void reply_renewed(noc_id_ctx *c, const noc_svc_issued *is, const noc_svc_token *old,
                          bool revoked) {
  noc_jw w;
  begin_ok(c, &w, 200);
  noc_jw_obj(&w);
  write_issued(&w, is, c->now);
  noc_jw_kstr(&w, "renewed_from", old->id);
  noc_jw_kbool(&w, "old_token_revoked", revoked);
  noc_id_json_time(&w, "old_token_expires_at", old->expires_at);
  noc_jw_obj_end(&w);
  end_ok(c, &w);
}

void noc_id_service_refresh(noc_id_ctx *c) {
  bool revoke_old, has_days;
  long long days = 0;
  if (!renewal_fields(c, &revoke_old, &has_days, &days)) return;
  noc_svc_token old;
  noc_error err;
  noc_error_clear(&err);
  noc_store_rc rc = noc_store_svc_get(c->id->store, c->req->auth->claims.token_id, &old, &err);
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
    return;
  }
  if (old.expires_at == 0) {
    noc_id_reply_error(c, 400, "VALIDATION_ERROR", "An eternal token does not expire", NULL);
    return;
  }
  noc_svc_issue req = {.subject = old.subject,
                       .scope = old.scope,
                       .description = old.description,
                       .created_by = old.created_by,
                       .renewed_from = old.id,
                       .days = renewal_days(&old, has_days, days)};
  noc_svc_issued is;
  noc_status st = noc_identity_issue_service(c->id, &req, c->now, &is, &rc, &err);
  if (st != NOC_OK) {
    noc_id_reply_status(c, st, rc, &err);
    return;
  }
  if (revoke_old &&
      (rc = noc_store_svc_revoke(c->id->store, old.id, c->now, &err)) != NOC_STORE_OK) {
    /* The new token exists; without the revocation the caller must not think the old is dead. */
    (void)noc_store_svc_revoke(c->id->store, is.row.id, c->now, &err);
    noc_id_reply_store(c, rc, &err);
    sodium_memzero(is.token, sizeof is.token);
    return;
  }
  reply_renewed(c, &is, &old, revoke_old);
  sodium_memzero(is.token, sizeof is.token);
}
