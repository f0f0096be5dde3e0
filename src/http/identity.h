/* identity.h - users, logins, service tokens and the per-request token policy, over the store.
 *
 * Used by the HTTP server (routes under /api/auth and /api/v1/auth, the auth policy hook, a
 * readiness check) and by the command line (`nocturna admin|token|migrate`), with the same
 * configuration: the server's noc_http_config (data dir, keys) plus the NOCTURNA_* variables
 * read by noc_identity_config_from_env (listed in docs/identity.md).
 *
 * Tokens (all HS256 JWTs signed with the auth keyring's first key, except refresh tokens):
 *   service  sub=user id, type "service", scope, token_id=row id, iat, exp (no exp = eternal).
 *            Stored by token_id; every request checks the row (revoked? scope? user active?).
 *   access   sub=user id, type "access", scope, token_id=session id, iat, exp (15 min).
 *            Every request checks the session (logout and refresh reuse revoke it) and user.
 *   refresh  opaque random string (not a JWT), stored as SHA-256; rotates on every use.
 *
 * Thread safety: after noc_identity_open, every function may run on many threads at once.
 */
#ifndef NOC_HTTP_IDENTITY_H
#define NOC_HTTP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "http/auth.h"
#include "http/config.h"
#include "http/jwt.h"
#include "nocturna/buf.h"
#include "nocturna/error.h"
#include "store/store.h"

typedef struct noc_identity_config {
  char database_url[NOC_STORE_URL_MAX]; /* NOCTURNA_DATABASE_URL: "" = SQLite in data_dir */
  unsigned db_pool;                     /* NOCTURNA_DATABASE_POOL: 0 = threads + 2 */
  unsigned db_wait_s;                   /* NOCTURNA_DATABASE_WAIT: 15 s for the database at start */
  int64_t access_ttl_s;                 /* NOCTURNA_ACCESS_TOKEN_MINUTES: 15 min */
  int64_t refresh_ttl_s;                /* NOCTURNA_REFRESH_TOKEN_DAYS: 7 days */
  int service_days;                     /* NOCTURNA_SERVICE_TOKEN_DAYS: 30 */
  unsigned password_min;                /* NOCTURNA_PASSWORD_MIN_LENGTH: 12 characters */
  unsigned hash_concurrency;            /* NOCTURNA_PASSWORD_HASH_CONCURRENCY: 2 */
  unsigned hash_memory_mib;             /* NOCTURNA_PASSWORD_HASH_MEMORY: 64 MiB (argon2id m) */
  unsigned hash_ops;                    /* NOCTURNA_PASSWORD_HASH_OPS: 2 (argon2id t) */
  unsigned login_max_failures;          /* NOCTURNA_LOGIN_MAX_FAILURES: 5 per account */
  unsigned login_max_failures_ip;       /* NOCTURNA_LOGIN_MAX_FAILURES_PER_IP: 20 per address */
  unsigned login_window_s;              /* NOCTURNA_LOGIN_WINDOW: 900 s */
  int allow_registration;               /* NOCTURNA_ALLOW_REGISTRATION: -1 unset (= off) */
  bool production;                      /* NOCTURNA_ENV=production */
  bool bootstrap;                       /* NOCTURNA_BOOTSTRAP: 1 (first-start admin + token) */
  char admin_email[NOC_STORE_EMAIL_MAX];       /* NOCTURNA_ADMIN_EMAIL: admin@nocturna.local */
  char admin_username[NOC_STORE_USERNAME_MAX]; /* NOCTURNA_ADMIN_USERNAME: admin */
} noc_identity_config;

void noc_identity_config_defaults(noc_identity_config *c);
/* Reads the variables that are set; field = the variable at fault. */
noc_status noc_identity_config_from_env(noc_identity_config *c, noc_error *err);

typedef struct noc_identity noc_identity;

/* Opens the store and applies migrations (waiting up to db_wait_s for the database). ring is
 * borrowed and must outlive the identity; keys[0] signs. http is copied. Fails when
 * NOCTURNA_ENV=production and NOCTURNA_SECRET_KEY is not set. */
noc_status noc_identity_open(noc_identity **out, const noc_identity_config *cfg,
                             const noc_http_config *http, const noc_jwt_keyring *ring,
                             noc_error *err);
void noc_identity_close(noc_identity *id);

/* Makes failed-login counts shared through cache (borrowed; it must outlive id), so that every
 * instance using the same Redis sees the same counts. Call before serving. Without it (the
 * default) counts are per process. The in-memory counts are kept either way and still apply
 * when the cache is unreachable. */
struct noc_cache;
void noc_identity_share_throttle(noc_identity *id, struct noc_cache *cache);

noc_store *noc_identity_store(noc_identity *id);
const noc_identity_config *noc_identity_cfg(const noc_identity *id);

/* First start: with no user at all, creates the admin (password from NOCTURNA_ADMIN_PASSWORD,
 * else generated) and a service token (service_days, scope "calculations") written to
 * <data_dir>/service-token with mode 0600, and prints both to out once. Does nothing when a
 * user exists. */
noc_status noc_identity_bootstrap(noc_identity *id, FILE *out, noc_error *err);

/* ---- the request policy (noc_auth_policy_fn) and readiness (noc_http_ready_fn) ---- */

/* cls = the noc_identity. On a refusal *message is a static explanation. */
noc_auth_status noc_identity_policy(void *cls, const noc_jwt_claims *claims,
                                    const char *required_scope, const char **message);
bool noc_identity_ready(void *cls, char *detail, size_t cap);

/* ---- service tokens (shared by the HTTP routes and `nocturna token`) ---- */

enum { NOC_IDENTITY_TOKEN_MAX = 1024 };

typedef struct noc_svc_issue {
  const char *subject;      /* user id the token acts as (must exist, be active) */
  const char *scope;        /* "calculations", "admin", "calculations admin", commas too */
  const char *description;  /* may be NULL */
  const char *created_by;   /* user id, or "" for the command line */
  const char *renewed_from; /* token id, or NULL */
  int days;                 /* 1..3650; ignored when eternal */
  bool eternal;
} noc_svc_issue;

typedef struct noc_svc_issued {
  char token[NOC_IDENTITY_TOKEN_MAX];
  noc_svc_token row;
} noc_svc_issued;

/* Validates, stores the row, signs. Status VALIDATION for bad input (field set), INTERNAL for
 * storage failures with err->message saying so and *store_rc set (may be NULL). */
noc_status noc_identity_issue_service(noc_identity *id, const noc_svc_issue *req, int64_t now,
                                      noc_svc_issued *out, noc_store_rc *store_rc, noc_error *err);

/* Parses a scope list (space or comma separated; "calculations", "admin") into canonical
 * text ("calculations admin"); false with a message when empty or unknown. */
bool noc_identity_scope_canonical(const char *in, char *out, size_t cap, noc_error *err);

/* The first active superuser (oldest), for tokens made on the command line. */
noc_store_rc noc_identity_first_admin(noc_identity *id, noc_user *out, noc_error *err);

typedef struct noc_new_user {
  const char *email, *username;
  const char *password;               /* plain text, checked against the length rules */
  const char *first_name, *last_name; /* may be NULL */
  bool superuser, active;
} noc_new_user;

/* Validates and creates a user. A taken email or username gives NOC_ERR_VALIDATION with
 * *store_rc = NOC_STORE_CONFLICT and field "email" or "username". */
noc_status noc_identity_create_user(noc_identity *id, const noc_new_user *nu, int64_t now,
                                    noc_user *out, noc_store_rc *store_rc, noc_error *err);

/* Writes token + "\n" to path atomically (temporary file in the same directory, fsync,
 * rename, mode 0600). */
noc_status noc_identity_write_secret_file(const char *path, const char *content, noc_error *err);

/* "2026-11-26T10:54:28Z" into out (>= 24 bytes). */
void noc_identity_format_time(int64_t unix_s, char *out, size_t cap);

/* ---- HTTP routes (paths after "/api/auth/" or "/api/v1/auth/") ---- */

typedef enum noc_id_auth {
  NOC_ID_PUBLIC,   /* no token looked at */
  NOC_ID_OPTIONAL, /* a token that is sent is checked (logout) */
  NOC_ID_TOKEN,    /* any valid token */
  NOC_ID_ADMIN,    /* a token with the admin scope */
  NOC_ID_SERVICE   /* a valid token; the handler requires type "service" */
} noc_id_auth;

typedef struct noc_id_route {
  const char *path;  /* "login", "admin/service-tokens/{id}" */
  const char *allow; /* "POST, OPTIONS" */
  noc_id_auth auth;
  bool body;         /* the request body is read (POST, PUT) */
  bool form;         /* application/x-www-form-urlencoded accepted besides JSON */
  const char *label; /* metrics label, "/api/v1/auth/login" */
} noc_id_route;

int noc_identity_route_count(void);
const noc_id_route *noc_identity_route_at(int index);
/* Route index for rest (after the "auth/" prefix) or -1. For "{id}" routes *arg points into
 * rest at the id (validated: 1..63 characters of [A-Za-z0-9._-]). */
int noc_identity_route_match(const char *rest, const char **arg);
bool noc_identity_method_allowed(int route, const char *method);
/* The scope noc_auth_check must require for the route (NULL = any valid token). */
const char *noc_identity_route_scope(int route);

typedef struct noc_id_request {
  int route;
  const char *method;
  const char *arg;  /* {id} or NULL */
  const char *body; /* may be NULL when body_len is 0 */
  size_t body_len;
  const char *content_type;        /* NULL when absent */
  const char *query_refresh_token; /* ?refresh_token=... (upstream's way), or NULL */
  const char *client_addr;         /* for login throttling */
  const noc_auth_result *auth;     /* the checked token, or NULL when none was checked */
  const char *request_id;
  const char *swe_version; /* for meta.engine of success envelopes; may be NULL */
  int64_t now_ms;
} noc_id_request;

typedef struct noc_id_response {
  int status;
  const char *error_code; /* static; NULL on success */
  int retry_after_s;      /* > 0: Retry-After */
  bool www_authenticate;  /* 401: add WWW-Authenticate: Bearer */
  char log_detail[256];   /* internal cause of a 5xx, for the log only */
} noc_id_response;

/* Writes the whole JSON envelope (success or error) into out. */
void noc_identity_handle(noc_identity *id, const noc_id_request *req, noc_buf *out,
                         noc_id_response *resp);

#endif
