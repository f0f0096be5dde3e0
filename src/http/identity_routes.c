/* The routes under /api/auth and /api/v1/auth: the table, body parsing, and the user-facing
 * handlers (register, login, refresh, logout, me). Admin and service-token handlers are in
 * identity_admin.c.
 *
 * Differences from the older Python service, on purpose (docs/identity.md):
 *  - every answer is the project's envelope; errors have a code;
 *  - login accepts a username as well as an email, and JSON as well as a form;
 *  - refresh tokens rotate; a replayed one revokes its whole session;
 *  - logout ends the session, so its access tokens stop working at once;
 *  - register answers 201 (202 when approval is required), duplicates 409. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/identity_internal.h"
#include "nocturna/api.h"

enum {
  R_REGISTER,
  R_LOGIN,
  R_REFRESH,
  R_LOGOUT,
  R_ME,
  R_ADMIN_VERIFY,
  R_ADMIN_SETTINGS,
  R_ADMIN_TOKENS,
  R_ADMIN_TOKEN,
  R_SERVICE_REFRESH,
  R_COUNT
};

static const noc_id_route routes[R_COUNT] = {
    [R_REGISTER] = {"register", "POST, OPTIONS", NOC_ID_PUBLIC, true, false,
                    "/api/v1/auth/register"},
    [R_LOGIN] = {"login", "POST, OPTIONS", NOC_ID_PUBLIC, true, true, "/api/v1/auth/login"},
    [R_REFRESH] = {"refresh", "POST, OPTIONS", NOC_ID_PUBLIC, true, true, "/api/v1/auth/refresh"},
    [R_LOGOUT] = {"logout", "POST, OPTIONS", NOC_ID_OPTIONAL, true, true, "/api/v1/auth/logout"},
    [R_ME] = {"me", "GET, HEAD, OPTIONS", NOC_ID_TOKEN, false, false, "/api/v1/auth/me"},
    [R_ADMIN_VERIFY] = {"admin/verify", "GET, HEAD, OPTIONS", NOC_ID_ADMIN, false, false,
                        "/api/v1/auth/admin/verify"},
    [R_ADMIN_SETTINGS] = {"admin/registration-settings", "GET, HEAD, PUT, OPTIONS", NOC_ID_ADMIN,
                          true, false, "/api/v1/auth/admin/registration-settings"},
    [R_ADMIN_TOKENS] = {"admin/service-tokens", "GET, HEAD, POST, OPTIONS", NOC_ID_ADMIN, true,
                        false, "/api/v1/auth/admin/service-tokens"},
    [R_ADMIN_TOKEN] = {"admin/service-tokens/{id}", "GET, HEAD, DELETE, OPTIONS", NOC_ID_ADMIN,
                       false, false, "/api/v1/auth/admin/service-tokens/{id}"},
    [R_SERVICE_REFRESH] = {"service-token/refresh", "POST, OPTIONS", NOC_ID_SERVICE, true, false,
                           "/api/v1/auth/service-token/refresh"},
};

static const char TOKENS_PREFIX[] = "admin/service-tokens/";

/* ---------------------------------------------------------------- the table ---- */

int noc_identity_route_count(void) {
  return R_COUNT;
}

const noc_id_route *noc_identity_route_at(int index) {
  return index >= 0 && index < R_COUNT ? &routes[index] : NULL;
}

static bool valid_id(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

int noc_identity_route_match(const char *rest, const char **arg) {
  *arg = NULL;
  for (int i = 0; i < R_COUNT; i++)
    if (i != R_ADMIN_TOKEN && strcmp(routes[i].path, rest) == 0) return i;
  size_t n = sizeof TOKENS_PREFIX - 1;
  if (strncmp(rest, TOKENS_PREFIX, n) == 0 && valid_id(rest + n)) {
    *arg = rest + n;
    return R_ADMIN_TOKEN;
  }
  return -1;
}

bool noc_identity_method_allowed(int route, const char *method) {
  const noc_id_route *r = noc_identity_route_at(route);
  if (r == NULL) return false;
  size_t m = strlen(method);
  for (const char *p = r->allow; *p;) {
    size_t n = strcspn(p, ",");
    if (n == m && strncmp(p, method, m) == 0) return true;
    p += n;
    p += strspn(p, ", ");
  }
  return false;
}

const char *noc_identity_route_scope(int route) {
  const noc_id_route *r = noc_identity_route_at(route);
  return r && r->auth == NOC_ID_ADMIN ? "admin" : NULL;
}

/* ---------------------------------------------------------------- replies ---- */

void noc_id_reply_error(noc_id_ctx *c, int status, const char *code, const char *message,
                        const char *field) {
  noc_api_write_error(c->out, code, message, field, c->req->request_id, c->req->now_ms);
  c->resp->status = status;
  c->resp->error_code = code;
  c->resp->www_authenticate = status == 401;
}

void noc_id_reply_store(noc_id_ctx *c, noc_store_rc rc, const noc_error *err) {
  snprintf(c->resp->log_detail, sizeof c->resp->log_detail, "storage %s: %s", noc_store_rc_name(rc),
           err ? err->message : "");
  if (rc == NOC_STORE_UNAVAILABLE) {
    c->resp->retry_after_s = 5;
    noc_id_reply_error(c, 503, "SERVICE_UNAVAILABLE", "Storage is unavailable; retry later", NULL);
  } else {
    noc_id_reply_error(c, 500, "INTERNAL_ERROR", "internal error", NULL);
  }
}

void noc_id_reply_status(noc_id_ctx *c, noc_status st, noc_store_rc store_rc,
                         const noc_error *err) {
  if (st == NOC_ERR_VALIDATION && store_rc == NOC_STORE_CONFLICT)
    noc_id_reply_error(c, 409, "CONFLICT", err->message, err->field);
  else if (st == NOC_ERR_VALIDATION)
    noc_id_reply_error(c, 400, "VALIDATION_ERROR", err->message, err->field);
  else if (store_rc != NOC_STORE_OK)
    noc_id_reply_store(c, store_rc, err);
  else if (st == NOC_ERR_INTERNAL && strstr(err->message, "retry later") != NULL) {
    c->resp->retry_after_s = 1;
    noc_id_reply_error(c, 503, "SERVICE_UNAVAILABLE", err->message, NULL);
  } else {
    snprintf(c->resp->log_detail, sizeof c->resp->log_detail, "%s", err->message);
    noc_id_reply_error(c, 500, "INTERNAL_ERROR", "internal error", NULL);
  }
}

static void begin_ok(noc_id_ctx *c, noc_jw *w, int status) {
  c->resp->status = status;
  noc_id_envelope_begin(c->out, w);
}

static void end_ok(noc_id_ctx *c, noc_jw *w) {
  noc_id_envelope_end(w, c->req);
  if (!noc_jw_ok(w)) noc_id_reply_error(c, 500, "INTERNAL_ERROR", "internal error", NULL);
}

/* ---------------------------------------------------------------- bodies ---- */

static bool media_is(const char *ct, const char *type) {
  if (ct == NULL) return false;
  while (*ct == ' ')
    ct++;
  size_t n = strlen(type);
  return strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int hexval(char ch) {
  return ch >= '0' && ch <= '9'   ? ch - '0'
         : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                  : -1;
}

/* Decodes application/x-www-form-urlencoded text in place; false on a bad escape or NUL. */
static bool form_decode(char *s) {
  char *o = s;
  for (char *p = s; *p; p++) {
    if (*p == '+') {
      *o++ = ' ';
    } else if (*p == '%') {
      int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
      if (lo < 0 || (hi == 0 && lo == 0)) return false;
      *o++ = (char)(hi * 16 + lo);
      p += 2;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
  return true;
}

static bool parse_form(noc_id_ctx *c) {
  noc_id_body *b = &c->body;
  if (memchr(c->req->body, '\0', c->req->body_len) != NULL ||
      (b->form_buf = malloc(c->req->body_len + 1)) == NULL)
    return false;
  memcpy(b->form_buf, c->req->body, c->req->body_len);
  b->form_buf[c->req->body_len] = '\0';
  char *save = NULL;
  for (char *pair = b->form_buf; pair != NULL; pair = save) {
    save = strchr(pair, '&');
    if (save) *save++ = '\0';
    if (*pair == '\0') continue;
    char *eq = strchr(pair, '=');
    char *val = eq ? eq + 1 : pair + strlen(pair);
    if (eq) *eq = '\0';
    if (b->nform >= NOC_ID_FORM_MAX || !form_decode(pair) || !form_decode(val)) return false;
    b->form_key[b->nform] = pair;
    b->form_val[b->nform++] = val;
  }
  return true;
}

bool noc_id_parse_body(noc_id_ctx *c, bool form_ok, bool empty_ok) {
  const noc_id_request *r = c->req;
  if (r->body_len == 0) {
    if (empty_ok) return true;
    noc_id_reply_error(c, 400, "INVALID_JSON", "the request body is empty; send a JSON object",
                       NULL);
    return false;
  }
  if (form_ok && media_is(r->content_type, "application/x-www-form-urlencoded")) {
    if (parse_form(c)) return true;
    noc_id_reply_error(c, 400, "VALIDATION_ERROR", "the form body is malformed", NULL);
    return false;
  }
  if (!media_is(r->content_type, "application/json")) {
    noc_id_reply_error(c, 415, "UNSUPPORTED_MEDIA_TYPE",
                       form_ok ? "Content-Type must be application/json or "
                                 "application/x-www-form-urlencoded"
                               : "Content-Type must be application/json",
                       NULL);
    return false;
  }
  json_error_t jerr;
  c->body.json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
  if (c->body.json == NULL || !json_is_object(c->body.json)) {
    noc_id_reply_error(
        c, 400, "INVALID_JSON",
        c->body.json ? "the body must be a JSON object" : "the body is not valid JSON", NULL);
    return false;
  }
  return true;
}

static void body_free(noc_id_body *b) {
  json_decref(b->json);
  free(b->form_buf);
  memset(b, 0, sizeof *b);
}

static bool field_error(noc_id_ctx *c, const char *key, const char *what) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s: %s", key, what);
  noc_id_reply_error(c, 400, "VALIDATION_ERROR", msg, key);
  return false;
}

bool noc_id_field_str(noc_id_ctx *c, const char *key, const char **out) {
  *out = NULL;
  for (int i = 0; i < c->body.nform; i++)
    if (strcmp(c->body.form_key[i], key) == 0) {
      *out = c->body.form_val[i];
      return true;
    }
  json_t *v = c->body.json ? json_object_get(c->body.json, key) : NULL;
  if (v == NULL || json_is_null(v)) return true;
  if (!json_is_string(v)) return field_error(c, key, "must be a string");
  if (strlen(json_string_value(v)) != json_string_length(v))
    return field_error(c, key, "must not contain NUL characters");
  *out = json_string_value(v);
  return true;
}

bool noc_id_field_int(noc_id_ctx *c, const char *key, long long min, long long max, long long *out,
                      bool *present) {
  *present = false;
  json_t *v = c->body.json ? json_object_get(c->body.json, key) : NULL;
  if (v == NULL || json_is_null(v)) return true;
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
    char what[80];
    snprintf(what, sizeof what, "must be a whole number from %lld to %lld", min, max);
    return field_error(c, key, what);
  }
  *out = json_integer_value(v);
  *present = true;
  return true;
}

bool noc_id_field_bool(noc_id_ctx *c, const char *key, bool *out, bool *present) {
  *present = false;
  json_t *v = c->body.json ? json_object_get(c->body.json, key) : NULL;
  if (v == NULL || json_is_null(v)) return true;
  if (!json_is_boolean(v)) return field_error(c, key, "must be true or false");
  *out = json_is_true(v);
  *present = true;
  return true;
}

/* ---------------------------------------------------------------- register ---- */

static bool registration_open(noc_id_ctx *c, noc_id_settings *set) {
  noc_error err;
  noc_store_rc rc = noc_id_settings_read(c->id, set, &err);
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
    return false;
  }
  if (!set->allow_registration) {
    noc_id_reply_error(c, 403, "FORBIDDEN",
                       "User registration is currently disabled. Please contact system "
                       "administrator.",
                       NULL);
    return false;
  }
  if (set->max_users > 0) {
    int64_t n = 0;
    rc = noc_store_user_count(c->id->store, &n, &err);
    if (rc != NOC_STORE_OK) {
      noc_id_reply_store(c, rc, &err);
      return false;
    }
    if (n >= set->max_users) {
      noc_id_reply_error(c, 403, "FORBIDDEN",
                         "Maximum number of users reached. Registration is temporarily "
                         "disabled.",
                         NULL);
      return false;
    }
  }
  return true;
}

static void handle_register(noc_id_ctx *c) {
  noc_id_settings set;
  if (!noc_id_parse_body(c, false, false) || !registration_open(c, &set)) return;
  noc_new_user nu = {.superuser = false, .active = !set.requires_approval};
  if (!noc_id_field_str(c, "email", &nu.email) || !noc_id_field_str(c, "username", &nu.username) ||
      !noc_id_field_str(c, "password", &nu.password) ||
      !noc_id_field_str(c, "first_name", &nu.first_name) ||
      !noc_id_field_str(c, "last_name", &nu.last_name))
    return;
  noc_user u;
  noc_store_rc rc;
  noc_error err;
  noc_error_clear(&err);
  noc_status st = noc_identity_create_user(c->id, &nu, c->now, &u, &rc, &err);
  if (st != NOC_OK) {
    noc_id_reply_status(c, st, rc, &err);
    return;
  }
  noc_jw w;
  begin_ok(c, &w, set.requires_approval ? 202 : 201);
  noc_id_write_user(&w, &u);
  end_ok(c, &w);
}

/* ---------------------------------------------------------------- login ---- */

/* Token pair answer shared by login and refresh. */
static void reply_tokens(noc_id_ctx *c, const noc_user *u, const char *session_id,
                         const char *refresh, int64_t refresh_exp) {
  char access[NOC_IDENTITY_TOKEN_MAX];
  if (!noc_id_access_token(c->id, u, session_id, c->now, access, sizeof access)) {
    noc_id_reply_error(c, 500, "INTERNAL_ERROR", "internal error", NULL);
    return;
  }
  char scope[NOC_STORE_SCOPE_MAX];
  noc_id_scope_text(NOC_ID_SCOPE_CALC | (u->is_superuser ? NOC_ID_SCOPE_ADMIN : 0), scope,
                    sizeof scope);
  noc_jw w;
  begin_ok(c, &w, 200);
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "access_token", access);
  noc_jw_kstr(&w, "token_type", "bearer");
  noc_jw_kint(&w, "expires_in", c->id->cfg.access_ttl_s);
  noc_jw_kstr(&w, "refresh_token", refresh);
  noc_jw_kint(&w, "refresh_expires_in", refresh_exp - c->now);
  noc_jw_kstr(&w, "scope", scope);
  noc_jw_key(&w, "user");
  noc_id_write_user(&w, u);
  noc_jw_obj_end(&w);
  end_ok(c, &w);
  sodium_memzero(access, sizeof access);
}

/* Throttle keys: the login name (ASCII lower case) and the client address. */
static void throttle_keys(noc_id_ctx *c, const char *login, char *acct, size_t an, char *addr,
                          size_t bn) {
  int n = snprintf(acct, an, "a:");
  for (size_t i = 0; login[i] && (size_t)n + 1 < an; i++, n++)
    acct[n] = (login[i] >= 'A' && login[i] <= 'Z') ? (char)(login[i] + 32) : login[i];
  acct[n] = '\0';
  snprintf(addr, bn, "ip:%s", c->req->client_addr ? c->req->client_addr : "?");
}

static bool login_allowed(noc_id_ctx *c, const char *acct, const char *addr) {
  int wait_a = 0, wait_b = 0;
  int64_t now_ms = c->req->now_ms;
  bool a =
      noc_throttle_allow(c->id->throttle, acct, c->id->cfg.login_max_failures, now_ms, &wait_a);
  bool b =
      noc_throttle_allow(c->id->throttle, addr, c->id->cfg.login_max_failures_ip, now_ms, &wait_b);
  if (a && b) return true;
  c->resp->retry_after_s = wait_a > wait_b ? wait_a : wait_b;
  char msg[128];
  snprintf(msg, sizeof msg, "Too many failed logins; retry after %d seconds",
           c->resp->retry_after_s);
  noc_id_reply_error(c, 429, "RATE_LIMITED", msg, NULL);
  return false;
}

static void login_failed(noc_id_ctx *c, const char *acct, const char *addr) {
  noc_throttle_failure(c->id->throttle, acct, c->req->now_ms);
  noc_throttle_failure(c->id->throttle, addr, c->req->now_ms);
  noc_id_reply_error(c, 401, "INVALID_CREDENTIALS", "Incorrect email or password", NULL);
}

static bool login_fields(noc_id_ctx *c, const char **login, const char **password) {
  const char *grant;
  if (!noc_id_parse_body(c, true, false) || !noc_id_field_str(c, "username", login) ||
      !noc_id_field_str(c, "password", password) || !noc_id_field_str(c, "grant_type", &grant))
    return false;
  if (*login == NULL && !noc_id_field_str(c, "email", login)) return false;
  if (grant != NULL && strcmp(grant, "password") != 0)
    return field_error(c, "grant_type", "must be 'password'");
  if (*login == NULL || (*login)[0] == '\0')
    return field_error(c, "username", "is required (an email or a username)");
  if (*password == NULL || (*password)[0] == '\0') return field_error(c, "password", "is required");
  if (strlen(*login) > 254 || strlen(*password) > NOC_ID_PASSWORD_MAX)
    return field_error(c, strlen(*login) > 254 ? "username" : "password", "is too long");
  return true;
}

/* Verifies the password of login; replies and returns false on any refusal. */
static bool check_credentials(noc_id_ctx *c, const char *login, const char *password, noc_user *u) {
  char acct[300], addr[128];
  throttle_keys(c, login, acct, sizeof acct, addr, sizeof addr);
  if (!login_allowed(c, acct, addr)) return false;
  noc_error err;
  noc_store_rc rc = noc_store_user_find(c->id->store, login, u, &err);
  if (rc == NOC_STORE_NOT_FOUND) {
    noc_id_password_dummy_verify(c->id, password);
    login_failed(c, acct, addr);
    return false;
  }
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
    return false;
  }
  bool busy = false;
  if (!noc_id_password_verify(c->id, u->password_hash, password, &busy)) {
    if (busy) {
      c->resp->retry_after_s = 1;
      noc_id_reply_error(c, 503, "SERVICE_UNAVAILABLE", "Too many logins at once; retry later",
                         NULL);
    } else {
      login_failed(c, acct, addr);
    }
    return false;
  }
  if (!u->is_active) {
    noc_id_reply_error(c, 403, "FORBIDDEN", "This account is inactive; contact an administrator",
                       NULL);
    return false;
  }
  noc_throttle_reset(c->id->throttle, acct);
  return true;
}

/* Stronger hashing settings apply to old hashes at the next successful login. */
static void maybe_rehash(noc_id_ctx *c, const noc_user *u, const char *password) {
  if (!noc_id_password_needs_rehash(c->id, u->password_hash)) return;
  char hash[NOC_STORE_HASH_MAX];
  noc_error err;
  if (noc_id_password_hash(c->id, password, hash, &err))
    (void)noc_store_user_set_password(c->id->store, u->id, hash, c->now, &err);
}

static void handle_login(noc_id_ctx *c) {
  const char *login, *password;
  noc_user u;
  if (!login_fields(c, &login, &password) || !check_credentials(c, login, password, &u)) return;
  maybe_rehash(c, &u, password);
  noc_session sess = {.created_at = c->now, .expires_at = c->now + c->id->cfg.refresh_ttl_s};
  noc_id_uuid(sess.id);
  snprintf(sess.user_id, sizeof sess.user_id, "%s", u.id);
  char refresh[64];
  noc_refresh r = {.created_at = c->now, .expires_at = sess.expires_at};
  noc_id_uuid(r.id);
  snprintf(r.session_id, sizeof r.session_id, "%s", sess.id);
  noc_id_refresh_new(refresh, sizeof refresh, r.token_hash);
  noc_error err;
  noc_store_rc rc = noc_store_session_create(c->id->store, &sess, &r, &err);
  if (rc != NOC_STORE_OK)
    noc_id_reply_store(c, rc, &err);
  else
    reply_tokens(c, &u, sess.id, refresh, r.expires_at);
  sodium_memzero(refresh, sizeof refresh);
}

/* ---------------------------------------------------------------- refresh, logout ---- */

/* refresh_token from the body (JSON or form) or, as the older service took it, the query. */
static bool refresh_field(noc_id_ctx *c, const char **out) {
  if (!noc_id_parse_body(c, true, true) || !noc_id_field_str(c, "refresh_token", out)) return false;
  if (*out == NULL) *out = c->req->query_refresh_token;
  return true;
}

static void refresh_refused(noc_id_ctx *c, noc_rotate_outcome o) {
  const char *msg = o == NOC_ROTATE_REUSED
                        ? "Refresh token was already used; its session has been revoked"
                    : o == NOC_ROTATE_REVOKED ? "Refresh token has been revoked"
                                              : "Invalid or expired refresh token";
  noc_id_reply_error(c, 401,
                     o == NOC_ROTATE_UNKNOWN || o == NOC_ROTATE_EXPIRED ? "INVALID_TOKEN"
                                                                        : "TOKEN_REVOKED",
                     msg, NULL);
}

static void handle_refresh(noc_id_ctx *c) {
  const char *old;
  if (!refresh_field(c, &old)) return;
  if (old == NULL || old[0] == '\0') {
    field_error(c, "refresh_token", "is required");
    return;
  }
  char old_hash[65], next_token[64];
  noc_id_sha256_hex(old, old_hash);
  noc_refresh next = {.created_at = c->now, .expires_at = c->now + c->id->cfg.refresh_ttl_s};
  noc_id_uuid(next.id);
  noc_id_refresh_new(next_token, sizeof next_token, next.token_hash);
  noc_session sess;
  noc_rotate_outcome outcome;
  noc_error err;
  noc_store_rc rc =
      noc_store_refresh_rotate(c->id->store, old_hash, c->now, &next, &sess, &outcome, &err);
  noc_user u;
  memset(&u, 0, sizeof u);
  if (rc == NOC_STORE_OK && outcome == NOC_ROTATE_OK)
    rc = noc_store_user_get(c->id->store, sess.user_id, &u, &err);
  if (rc == NOC_STORE_NOT_FOUND ||
      (rc == NOC_STORE_OK && outcome == NOC_ROTATE_OK && !u.is_active)) {
    (void)noc_store_session_revoke(c->id->store, sess.id, c->now, "user", &err);
    noc_id_reply_error(c, 401, "INVALID_TOKEN", "The session's user is inactive or gone", NULL);
  } else if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
  } else if (outcome != NOC_ROTATE_OK) {
    refresh_refused(c, outcome);
  } else {
    reply_tokens(c, &u, sess.id, next_token, next.expires_at);
  }
  sodium_memzero(next_token, sizeof next_token);
}

static void reply_logged_out(noc_id_ctx *c, bool revoked) {
  noc_jw w;
  begin_ok(c, &w, 200);
  noc_jw_obj(&w);
  noc_jw_kbool(&w, "logged_out", true);
  noc_jw_kbool(&w, "session_revoked", revoked);
  noc_jw_obj_end(&w);
  end_ok(c, &w);
}

static void handle_logout(noc_id_ctx *c) {
  const char *token;
  if (!refresh_field(c, &token)) return;
  noc_error err;
  noc_store_rc rc = NOC_STORE_NOT_FOUND;
  const noc_auth_result *a = c->req->auth;
  if (token != NULL && token[0] != '\0') {
    char hash[65];
    noc_refresh r;
    noc_id_sha256_hex(token, hash);
    rc = noc_store_refresh_find(c->id->store, hash, &r, &err);
    if (rc == NOC_STORE_OK)
      rc = noc_store_session_revoke(c->id->store, r.session_id, c->now, "logout", &err);
  } else if (a != NULL && a->status == NOC_AUTH_OK && strcmp(a->claims.type, "access") == 0) {
    rc = noc_store_session_revoke(c->id->store, a->claims.token_id, c->now, "logout", &err);
  } else if (a != NULL && a->status == NOC_AUTH_OK) {
    noc_id_reply_error(c, 400, "VALIDATION_ERROR",
                       "Service tokens are not logged out; revoke them with DELETE "
                       "/api/v1/auth/admin/service-tokens/{id}",
                       NULL);
    return;
  } else {
    field_error(c, "refresh_token", "is required (or send the access token as Bearer)");
    return;
  }
  if (rc == NOC_STORE_UNAVAILABLE || rc == NOC_STORE_ERROR)
    noc_id_reply_store(c, rc, &err);
  else
    reply_logged_out(c, rc == NOC_STORE_OK); /* an unknown token is not an error: no oracle */
}

/* ---------------------------------------------------------------- me ---- */

static void handle_me(noc_id_ctx *c) {
  const noc_jwt_claims *cl = &c->req->auth->claims;
  noc_user u;
  noc_error err;
  noc_store_rc rc = noc_store_user_get(c->id->store, cl->sub, &u, &err);
  if (rc == NOC_STORE_NOT_FOUND) {
    noc_id_reply_error(c, 401, "INVALID_TOKEN", "Token's user no longer exists", NULL);
    return;
  }
  if (rc != NOC_STORE_OK) {
    noc_id_reply_store(c, rc, &err);
    return;
  }
  noc_jw w;
  begin_ok(c, &w, 200);
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "id", u.id);
  noc_jw_kstr(&w, "email", u.email);
  noc_jw_kstr(&w, "username", u.username);
  noc_jw_kstr(&w, "first_name", u.first_name[0] ? u.first_name : NULL);
  noc_jw_kstr(&w, "last_name", u.last_name[0] ? u.last_name : NULL);
  noc_jw_kbool(&w, "is_active", u.is_active);
  noc_jw_kbool(&w, "is_superuser", u.is_superuser);
  noc_id_json_time(&w, "created_at", u.created_at);
  noc_jw_key(&w, "token");
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "type", cl->type);
  noc_jw_kstr(&w, "scope", cl->scope);
  noc_jw_kstr(&w, "token_id", cl->token_id[0] ? cl->token_id : NULL);
  noc_id_json_time(&w, "expires_at", cl->has_exp ? cl->exp : 0);
  noc_jw_obj_end(&w);
  noc_jw_obj_end(&w);
  end_ok(c, &w);
}

/* ---------------------------------------------------------------- dispatch ---- */

void noc_identity_handle(noc_identity *id, const noc_id_request *req, noc_buf *out,
                         noc_id_response *resp) {
  memset(resp, 0, sizeof *resp);
  noc_id_ctx c = {.id = id, .req = req, .out = out, .resp = resp, .now = req->now_ms / 1000};
  bool needs_token =
      req->route >= 0 && req->route < R_COUNT && routes[req->route].auth >= NOC_ID_TOKEN;
  if (needs_token && (req->auth == NULL || req->auth->status != NOC_AUTH_OK)) {
    /* The server checks tokens before calling; this only guards against miswiring. */
    noc_id_reply_error(&c, 401, "AUTH_REQUIRED", "Authentication required", NULL);
    return;
  }
  switch (req->route) {
  case R_REGISTER:
    handle_register(&c);
    break;
  case R_LOGIN:
    handle_login(&c);
    break;
  case R_REFRESH:
    handle_refresh(&c);
    break;
  case R_LOGOUT:
    handle_logout(&c);
    break;
  case R_ME:
    handle_me(&c);
    break;
  case R_ADMIN_VERIFY:
    noc_id_admin_verify(&c);
    break;
  case R_ADMIN_SETTINGS:
    noc_id_admin_settings(&c);
    break;
  case R_ADMIN_TOKENS:
    noc_id_admin_tokens(&c);
    break;
  case R_ADMIN_TOKEN:
    noc_id_admin_token(&c);
    break;
  case R_SERVICE_REFRESH:
    noc_id_service_refresh(&c);
    break;
  default:
    noc_id_reply_error(&c, 404, "NOT_FOUND", "No such resource", NULL);
    break;
  }
  body_free(&c.body);
}
