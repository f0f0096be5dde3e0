/* store.h - persistent identity data behind one interface: users, service tokens, login
 * sessions with their rotating refresh tokens, and settings.
 *
 * Backends (chosen by the URL given to noc_store_open):
 *   ""                      SQLite file <data_dir>/nocturna.db (WAL, synchronous=FULL)
 *   "sqlite:PATH"           SQLite file PATH
 *   "postgresql://..."      PostgreSQL through libpq ("postgres://" too)
 * The domain operations below are written once over a small SQL vtable (store_internal.h);
 * each backend only connects, runs one parameterised statement and reports errors.
 *
 * Threads: every function may be called from any thread at once. Connections live in a small
 * pool (pool_size); an operation borrows one for its duration. PostgreSQL connections that
 * died (server restart) are noticed before reuse and replaced; while the server is down every
 * operation returns NOC_STORE_UNAVAILABLE quickly, and works again once it is back.
 *
 * Times are Unix seconds. Strings are NUL-terminated and bounded by their arrays; values that
 * do not fit are refused by the callers (identity validation), never truncated here.
 * Nothing secret is stored in clear: passwords as argon2id strings, refresh tokens as
 * SHA-256 hex, service tokens not at all (only their claims).
 */
#ifndef NOC_STORE_STORE_H
#define NOC_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nocturna/error.h"

typedef enum noc_store_rc {
  NOC_STORE_OK = 0,
  NOC_STORE_NOT_FOUND,
  NOC_STORE_CONFLICT,    /* a unique key is taken; err->field names it: "email", "username", "id" */
  NOC_STORE_UNAVAILABLE, /* database unreachable, or busy past the timeout: answer 503 */
  NOC_STORE_ERROR        /* anything else (schema too new, unexpected answer): 500 */
} noc_store_rc;

enum {
  NOC_STORE_ID_MAX = 40,     /* UUID text (36) + NUL, rounded */
  NOC_STORE_EMAIL_MAX = 256, /* 254 + NUL, rounded */
  NOC_STORE_USERNAME_MAX = 72,
  NOC_STORE_NAME_MAX = 128,
  NOC_STORE_HASH_MAX = 128,  /* = crypto_pwhash_STRBYTES */
  NOC_STORE_SCOPE_MAX = 128, /* = sizeof noc_jwt_claims.scope */
  NOC_STORE_DESC_MAX = 256,
  NOC_STORE_SETTING_MAX = 256,
  NOC_STORE_URL_MAX = 1024,
  NOC_STORE_POOL_MAX = 64
};

/* The schema version this binary writes; a database with a higher version is refused. */
#define NOC_STORE_SCHEMA_VERSION 2

typedef struct noc_user {
  char id[NOC_STORE_ID_MAX];
  char email[NOC_STORE_EMAIL_MAX];        /* lower case */
  char username[NOC_STORE_USERNAME_MAX];  /* unique without regard to ASCII case */
  char password_hash[NOC_STORE_HASH_MAX]; /* argon2id PHC string */
  char first_name[NOC_STORE_NAME_MAX];    /* "" = none */
  char last_name[NOC_STORE_NAME_MAX];
  bool is_active;
  bool is_superuser;
  int64_t created_at, updated_at;
} noc_user;

typedef struct noc_svc_token {
  char id[NOC_STORE_ID_MAX];       /* the JWT's token_id */
  char subject[NOC_STORE_ID_MAX];  /* user id in the JWT's sub */
  char scope[NOC_STORE_SCOPE_MAX]; /* space-separated, canonical order */
  char description[NOC_STORE_DESC_MAX];
  char created_by[NOC_STORE_ID_MAX];   /* user id of the admin, or "" (command line) */
  char renewed_from[NOC_STORE_ID_MAX]; /* token id this one renewed, or "" */
  int64_t created_at;
  int64_t expires_at;   /* 0 = eternal (no exp claim) */
  int64_t last_used_at; /* 0 = never */
  int64_t revoked_at;   /* 0 = not revoked */
} noc_svc_token;

/* One login: the family of its refresh tokens. Access tokens carry the session id as
 * token_id, so revoking the session refuses them at once too. */
typedef struct noc_session {
  char id[NOC_STORE_ID_MAX];
  char user_id[NOC_STORE_ID_MAX];
  int64_t created_at, expires_at;
  int64_t revoked_at;     /* 0 = live */
  char revoke_reason[32]; /* "logout", "reuse", "admin", "" */
} noc_session;

typedef struct noc_refresh {
  char id[NOC_STORE_ID_MAX];
  char session_id[NOC_STORE_ID_MAX];
  char token_hash[65]; /* SHA-256 hex of the opaque token */
  int64_t created_at, expires_at;
  int64_t used_at; /* 0 = current; otherwise rotated at */
} noc_refresh;

/* What the request policy needs about the user behind a token. */
typedef struct noc_user_state {
  bool found, is_active, is_superuser;
} noc_user_state;

typedef struct noc_store_config {
  char url[NOC_STORE_URL_MAX];      /* see the file comment */
  char data_dir[NOC_STORE_URL_MAX]; /* for the default SQLite file */
  unsigned pool_size;               /* 1..NOC_STORE_POOL_MAX (0 = 4) */
  unsigned acquire_timeout_ms;      /* wait for a free connection (0 = 5000) */
  unsigned busy_timeout_ms;         /* SQLite busy wait, PostgreSQL statement_timeout (0 = 5000) */
  unsigned connect_timeout_s;       /* PostgreSQL connect_timeout (0 = 3) */
} noc_store_config;

typedef struct noc_store noc_store;

/* Checks the URL and prepares the pool; connects lazily (the first operation). */
noc_status noc_store_open(noc_store **out, const noc_store_config *cfg, noc_error *err);
void noc_store_close(noc_store *s);
/* "sqlite" or "postgresql". */
const char *noc_store_backend(const noc_store *s);
/* Where the data is, with any password removed: for logs. */
const char *noc_store_location(const noc_store *s);
/* 1 when NOCTURNA_DATABASE_URL names PostgreSQL, 0 for SQLite, -1 when unusable. */
int noc_store_url_kind(const char *url);

/* Applies the migrations the database lacks, in order, each in its own transaction (under a
 * lock, so concurrent starts are safe). *from and *to (may be NULL) get the versions. A
 * database newer than NOC_STORE_SCHEMA_VERSION is an error. */
noc_store_rc noc_store_migrate(noc_store *s, int *from, int *to, noc_error *err);
noc_store_rc noc_store_schema_version(noc_store *s, int *version, noc_error *err);
/* A round trip to the database. */
noc_store_rc noc_store_ping(noc_store *s, noc_error *err);

/* ---- users ---- */
noc_store_rc noc_store_user_insert(noc_store *s, const noc_user *u, noc_error *err);
noc_store_rc noc_store_user_get(noc_store *s, const char *id, noc_user *out, noc_error *err);
/* login: an email (contains '@', compared in lower case) or a username (ASCII case ignored). */
noc_store_rc noc_store_user_find(noc_store *s, const char *login, noc_user *out, noc_error *err);
noc_store_rc noc_store_user_count(noc_store *s, int64_t *n, noc_error *err);
/* Oldest first; at most max rows into out, *n = rows written. */
noc_store_rc noc_store_user_list(noc_store *s, bool superusers_only, noc_user *out, int max, int *n,
                                 noc_error *err);
/* is_active / is_superuser: 0 or 1 to set, -1 to keep. NOT_FOUND when no such user. */
noc_store_rc noc_store_user_set_flags(noc_store *s, const char *id, int is_active, int is_superuser,
                                      int64_t now, noc_error *err);
noc_store_rc noc_store_user_set_password(noc_store *s, const char *id, const char *hash,
                                         int64_t now, noc_error *err);
noc_store_rc noc_store_user_delete(noc_store *s, const char *id, noc_error *err);

/* ---- service tokens ---- */
noc_store_rc noc_store_svc_insert(noc_store *s, const noc_svc_token *t, noc_error *err);
noc_store_rc noc_store_svc_get(noc_store *s, const char *id, noc_svc_token *out, noc_error *err);
/* Newest first; revoked ones included. */
noc_store_rc noc_store_svc_list(noc_store *s, noc_svc_token *out, int max, int *n, noc_error *err);
/* Sets revoked_at (the first revocation time is kept). NOT_FOUND when no such token. */
noc_store_rc noc_store_svc_revoke(noc_store *s, const char *id, int64_t now, noc_error *err);
/* last_used_at = now unless it was written less than min_interval_s ago. */
noc_store_rc noc_store_svc_touch(noc_store *s, const char *id, int64_t now, int64_t min_interval_s,
                                 noc_error *err);
/* Token and the state of its subject in one round trip (the per-request check). */
noc_store_rc noc_store_svc_auth(noc_store *s, const char *id, noc_svc_token *tok,
                                noc_user_state *user, noc_error *err);

/* ---- sessions and refresh tokens ---- */
/* Inserts the session and its first refresh token together. */
noc_store_rc noc_store_session_create(noc_store *s, const noc_session *sess,
                                      const noc_refresh *first, noc_error *err);
noc_store_rc noc_store_session_auth(noc_store *s, const char *id, noc_session *sess,
                                    noc_user_state *user, noc_error *err);
noc_store_rc noc_store_session_revoke(noc_store *s, const char *id, int64_t now, const char *reason,
                                      noc_error *err);

typedef enum noc_rotate_outcome {
  NOC_ROTATE_OK,      /* old marked used, next inserted; *sess is the session */
  NOC_ROTATE_UNKNOWN, /* no such refresh token */
  NOC_ROTATE_EXPIRED, /* the token or its session expired */
  NOC_ROTATE_REVOKED, /* the session was revoked (logout, reuse) */
  NOC_ROTATE_REUSED   /* the token had been rotated already: the session is now revoked */
} noc_rotate_outcome;

/* Exchanges the refresh token with hash old_hash for `next` (whose id, hash and expiry the
 * caller chose; its session_id is filled in), in one transaction. Two concurrent uses of the
 * same token: one gets OK, the other REUSED (and the family is revoked). */
noc_store_rc noc_store_refresh_rotate(noc_store *s, const char *old_hash, int64_t now,
                                      noc_refresh *next, noc_session *sess,
                                      noc_rotate_outcome *outcome, noc_error *err);
noc_store_rc noc_store_refresh_find(noc_store *s, const char *hash, noc_refresh *out,
                                    noc_error *err);

/* ---- settings (small key/value pairs) ---- */
noc_store_rc noc_store_setting_get(noc_store *s, const char *key, char *value, size_t cap,
                                   noc_error *err);
noc_store_rc noc_store_setting_set(noc_store *s, const char *key, const char *value, int64_t now,
                                   noc_error *err);

/* ---- change detection (for caches of identity data) ---- */
/* *version changes whenever identity data may have changed: after every write committed
 * through s (counted before the write function returns) and after every commit made by any
 * other connection or process. Equal versions therefore mean "nothing was committed in
 * between" - but only when *reliable is true; otherwise the caller must read storage.
 *   SQLite:     reads the database's WAL-index header (shared memory, no system call) on a
 *               connection kept for this; falls back to PRAGMA data_version on it. Another
 *               process's commit is seen by the very next call. *reliable is true whenever
 *               the observation worked.
 *   PostgreSQL: every identity write also runs pg_notify('nocturna_identity') in its
 *               transaction; one listener thread per store (started by the first call) counts
 *               the notifications. Another instance's commit is seen once its notification
 *               arrives (normally within a few milliseconds). *reliable is false while the
 *               listener is not connected and listening, and when it has not heard from the
 *               server for 1.5 s (pings every 0.5 s), so a silently dead listener is not
 *               trusted for longer than that.
 * Returns UNAVAILABLE (and *reliable false) when the observation itself failed. Cheap: no
 * round trip, no lock held by other operations. */
noc_store_rc noc_store_identity_version(noc_store *s, uint64_t *version, bool *reliable,
                                        noc_error *err);

/* Stable name of a result code, for logs. */
const char *noc_store_rc_name(noc_store_rc rc);

#endif
