/* identity_internal.h - state and helpers shared by the identity_*.c files. Not public. */
#ifndef NOC_HTTP_IDENTITY_INTERNAL_H
#define NOC_HTTP_IDENTITY_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>

#include "http/identity.h"
#include "http/identity_cache.h"
#include "util/jsonw.h"

enum {
  NOC_ID_PASSWORD_MAX = 1024, /* bytes; longer passwords are refused (bounded hashing input) */
  NOC_ID_SCOPE_CALC = 1,
  NOC_ID_SCOPE_ADMIN = 2,
  NOC_ID_TOUCH_INTERVAL_S = 60, /* last_used_at is written at most once a minute per token */
  NOC_ID_MAX_DAYS = 3650
};

typedef struct noc_throttle noc_throttle;

struct noc_identity {
  noc_identity_config cfg;
  noc_http_config http;        /* copy */
  noc_store *store;            /* owned */
  const noc_jwt_keyring *ring; /* borrowed */
  noc_throttle *throttle;      /* owned */
  noc_id_cache *policy_cache;  /* owned; see identity_policy.c */
  sem_t hash_slots;            /* bounds concurrent argon2id computations */
  bool hash_slots_ok;
  pthread_mutex_t dummy_mu; /* guards the lazily made dummy_hash */
  bool dummy_ready;
  char dummy_hash[NOC_STORE_HASH_MAX]; /* verified against for unknown users (same cost) */
};

/* ---- identity_config.c ---- */
/* Wall clock, Unix seconds. */
int64_t noc_id_now(void);

/* ---- identity_password.c ---- */
/* Length rules (in characters) and UTF-8 validity; message says what is wrong. */
bool noc_id_password_acceptable(const noc_identity *id, const char *pw, noc_error *err);
/* argon2id into out (NOC_STORE_HASH_MAX). False when no hashing slot frees up in time
 * (err says so: answer 503) or libsodium fails. */
bool noc_id_password_hash(noc_identity *id, const char *pw, char *out, noc_error *err);
/* Constant-time verification; *busy = true when no slot was available. */
bool noc_id_password_verify(noc_identity *id, const char *hash, const char *pw, bool *busy);
/* The same work as a verification, for a login name that matches nobody. */
void noc_id_password_dummy_verify(noc_identity *id, const char *pw);
bool noc_id_password_needs_rehash(const noc_identity *id, const char *hash);
/* A random password of n characters from an unambiguous alphabet into out (n + 1 bytes). */
void noc_id_password_generate(char *out, size_t n);
noc_status noc_id_password_init(noc_identity *id, noc_error *err);
void noc_id_password_free(noc_identity *id);

/* ---- identity_throttle.c ---- */
noc_throttle *noc_throttle_new(unsigned window_s);
void noc_throttle_free(noc_throttle *t);
/* Whether an attempt for key may proceed now; when not, *retry_after_s says how long to wait.
 * threshold: failures allowed in the window before each further attempt has to wait
 * 1, 2, 4, ... seconds (at most the window). */
bool noc_throttle_allow(noc_throttle *t, const char *key, unsigned threshold, int64_t now_ms,
                        int *retry_after_s);
void noc_throttle_failure(noc_throttle *t, const char *key, int64_t now_ms);
void noc_throttle_reset(noc_throttle *t, const char *key);

/* ---- identity_tokens.c ---- */
/* Canonical scope text -> NOC_ID_SCOPE_* bits (0 when anything is unknown). */
unsigned noc_id_scope_bits(const char *scope);
void noc_id_scope_text(unsigned bits, char *out, size_t cap);
/* Signs claims with keys[0]; false when the token does not fit. */
bool noc_id_sign(const noc_identity *id, const noc_jwt_claims *claims, char *out, size_t cap);
/* A fresh UUID v4 (37 bytes). */
void noc_id_uuid(char out[NOC_STORE_ID_MAX]);
/* A fresh opaque refresh token (base64url of 32 random bytes) and its SHA-256 hex. */
void noc_id_refresh_new(char *token, size_t cap, char hash[65]);
void noc_id_sha256_hex(const char *text, char hash[65]);
/* Access token for a user and session. */
bool noc_id_access_token(const noc_identity *id, const noc_user *u, const char *session_id,
                         int64_t now, char *out, size_t cap);

/* ---- identity_json.c ---- */
/* Success envelope around data written by the caller between begin and end. */
void noc_id_envelope_begin(noc_buf *out, noc_jw *w);
void noc_id_envelope_end(noc_jw *w, const noc_id_request *req);
/* Time as ISO text or null when 0. */
void noc_id_json_time(noc_jw *w, const char *key, int64_t unix_s);
void noc_id_write_user(noc_jw *w, const noc_user *u);
void noc_id_write_svc(noc_jw *w, const noc_svc_token *t, int64_t now);

/* ---- identity_routes.c / identity_admin.c: one request being answered ---- */

enum { NOC_ID_FORM_MAX = 16 };

typedef struct noc_id_body {
  struct json_t *json; /* owned; the object, or NULL */
  char *form_buf;      /* owned; decoded form pairs point into it */
  int nform;
  const char *form_key[NOC_ID_FORM_MAX];
  const char *form_val[NOC_ID_FORM_MAX];
} noc_id_body;

typedef struct noc_id_ctx {
  noc_identity *id;
  const noc_id_request *req;
  noc_buf *out;
  noc_id_response *resp;
  int64_t now; /* Unix seconds */
  noc_id_body body;
} noc_id_ctx;

/* Error envelope; field may be NULL. */
void noc_id_reply_error(noc_id_ctx *c, int status, const char *code, const char *message,
                        const char *field);
/* 503 for UNAVAILABLE, 500 otherwise (the cause goes to the log). */
void noc_id_reply_store(noc_id_ctx *c, noc_store_rc rc, const noc_error *err);
/* From err: 400 VALIDATION_ERROR (409 CONFLICT when store_rc says so), 503 when no hashing
 * slot or storage, 500 otherwise. */
void noc_id_reply_status(noc_id_ctx *c, noc_status st, noc_store_rc store_rc, const noc_error *err);
/* A string member of the JSON body or form: NULL when absent; false (after replying 400)
 * when present with another type or containing NUL. */
bool noc_id_field_str(noc_id_ctx *c, const char *key, const char **out);
/* JSON members: *present false when absent or null. False after replying 400. */
bool noc_id_field_int(noc_id_ctx *c, const char *key, long long min, long long max, long long *out,
                      bool *present);
bool noc_id_field_bool(noc_id_ctx *c, const char *key, bool *out, bool *present);
/* Reads the body as JSON (forms too when allowed); false after replying 400/415. An empty
 * body is fine when empty_ok. */
bool noc_id_parse_body(noc_id_ctx *c, bool form_ok, bool empty_ok);

void noc_id_admin_verify(noc_id_ctx *c);
void noc_id_admin_settings(noc_id_ctx *c);
void noc_id_admin_tokens(noc_id_ctx *c);
void noc_id_admin_token(noc_id_ctx *c);
void noc_id_service_refresh(noc_id_ctx *c);
/* Registration settings with their defaults. */
typedef struct noc_id_settings {
  bool allow_registration;
  bool requires_approval;
  int64_t max_users; /* 0 = no limit */
} noc_id_settings;
noc_store_rc noc_id_settings_read(noc_identity *id, noc_id_settings *out, noc_error *err);

#endif
