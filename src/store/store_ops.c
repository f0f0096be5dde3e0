/* Domain operations over the SQL vtable, written once for both backends.
 *
 * Retry rule: an operation that fails with UNAVAILABLE on a connection that turns out to be
 * dead is repeated once on a fresh connection when it is a read or an idempotent write
 * (revoke, touch, flags, settings). Inserts are not repeated: the caller gets 503 and decides.
 *
 * Every write is an identity write: once it has committed and changed a row it is counted
 * (noc_store_wrote) before the function returns, and on PostgreSQL its transaction also runs
 * the backend's notify_sql, so that other instances' caches learn of it on commit. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

/* ---------------------------------------------------------------- plumbing ---- */

typedef struct stmt_call {
  const char *sql;
  const noc_sql_arg *args;
  int nargs;
  noc_sql_row_fn fn;
  void *cls;
  int64_t *changes;
} stmt_call;

/* Inside a transaction: the backend's notification (if any), then COMMIT. */
static noc_store_rc commit_write(noc_store_conn *c, noc_error *err) {
  noc_store_rc rc = NOC_STORE_OK;
  if (c->s->be->notify_sql)
    rc = noc_store_exec(c, c->s->be->notify_sql, NULL, 0, NULL, NULL, NULL, err);
  return rc == NOC_STORE_OK ? noc_store_commit(c, err) : rc;
}

/* One write statement; with a notifying backend, in a transaction with the notification
 * (sent only when a row changed). *changes = rows changed. */
static noc_store_rc exec_write(noc_store_conn *c, const stmt_call *call, int64_t *changes,
                               noc_error *err) {
  if (c->s->be->notify_sql == NULL)
    return noc_store_exec(c, call->sql, call->args, call->nargs, NULL, NULL, changes, err);
  noc_store_rc rc = noc_store_begin(c, err);
  if (rc != NOC_STORE_OK) return rc;
  rc = noc_store_exec(c, call->sql, call->args, call->nargs, NULL, NULL, changes, err);
  if (rc == NOC_STORE_OK) rc = *changes > 0 ? commit_write(c, err) : noc_store_commit(c, err);
  if (rc != NOC_STORE_OK) noc_store_rollback(c);
  return rc;
}

static noc_store_rc one(noc_store *s, bool idempotent, bool write, const stmt_call *call,
                        noc_error *err) {
  for (int attempt = 0;; attempt++) {
    noc_store_conn c;
    noc_store_rc rc = noc_store_acquire(s, &c, err);
    if (rc != NOC_STORE_OK) return rc;
    int64_t changes = 0;
    if (write)
      rc = exec_write(&c, call, &changes, err);
    else
      rc = noc_store_exec(&c, call->sql, call->args, call->nargs, call->fn, call->cls, NULL, err);
    bool retry =
        rc == NOC_STORE_UNAVAILABLE && idempotent && attempt == 0 && noc_store_conn_dead(&c);
    noc_store_release(&c);
    if (!retry) {
      if (call->changes) *call->changes = changes;
      if (write && rc == NOC_STORE_OK && changes > 0) noc_store_wrote(s);
      return rc;
    }
  }
}

static noc_store_rc run(noc_store *s, bool idempotent, const char *sql, const noc_sql_arg *args,
                        int nargs, noc_sql_row_fn fn, void *cls, int64_t *changes, noc_error *err) {
  stmt_call call = {sql, args, nargs, fn, cls, changes};
  return one(s, idempotent, false, &call, err);
}

/* A single-statement write (see the file comment). *changes (may be NULL) = rows changed. */
static noc_store_rc run_write(noc_store *s, bool idempotent, const char *sql,
                              const noc_sql_arg *args, int nargs, int64_t *changes,
                              noc_error *err) {
  stmt_call call = {sql, args, nargs, NULL, NULL, changes};
  return one(s, idempotent, true, &call, err);
}

static noc_sql_arg opt_text(const char *s) {
  return s && s[0] ? NOC_SQL_TEXT(s) : NOC_SQL_NULL;
}
static noc_sql_arg opt_time(int64_t t) {
  return t ? NOC_SQL_INT(t) : NOC_SQL_NULL;
}

static void ascii_lower(const char *in, char *out, size_t cap) {
  size_t i = 0;
  for (; in[i] && i + 1 < cap; i++)
    out[i] = (char)tolower((unsigned char)in[i]);
  out[i] = '\0';
}

/* ---------------------------------------------------------------- users ---- */

#define USER_COLS                                                                                  \
  "id, email, username, password_hash, first_name, last_name, is_active, is_superuser, "           \
  "created_at, updated_at"

typedef struct user_acc {
  noc_user *out;
  int max, n;
} user_acc;

static bool user_row(void *cls, int ncols, const char *const *v) {
  user_acc *a = cls;
  if (a->n >= a->max || ncols < 10) return false;
  noc_user *u = &a->out[a->n++];
  memset(u, 0, sizeof *u);
  noc_store_copy(u->id, sizeof u->id, v[0]);
  noc_store_copy(u->email, sizeof u->email, v[1]);
  noc_store_copy(u->username, sizeof u->username, v[2]);
  noc_store_copy(u->password_hash, sizeof u->password_hash, v[3]);
  noc_store_copy(u->first_name, sizeof u->first_name, v[4]);
  noc_store_copy(u->last_name, sizeof u->last_name, v[5]);
  u->is_active = noc_store_int(v[6]) != 0;
  u->is_superuser = noc_store_int(v[7]) != 0;
  u->created_at = noc_store_int(v[8]);
  u->updated_at = noc_store_int(v[9]);
  return true;
}

static noc_store_rc get_one_user(noc_store *s, const char *sql, const char *arg, noc_user *out,
                                 noc_error *err) {
  memset(out, 0, sizeof *out);
  user_acc a = {out, 1, 0};
  noc_sql_arg args[] = {NOC_SQL_TEXT(arg)};
  noc_store_rc rc = run(s, true, sql, args, 1, user_row, &a, NULL, err);
  if (rc == NOC_STORE_OK && a.n == 0)
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "no such user");
  return rc;
}

noc_store_rc noc_store_user_insert(noc_store *s, const noc_user *u, noc_error *err) {
  static const char sql[] =
      "INSERT INTO users (" USER_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
  noc_sql_arg args[] = {NOC_SQL_TEXT(u->id),        NOC_SQL_TEXT(u->email),
                        NOC_SQL_TEXT(u->username),  NOC_SQL_TEXT(u->password_hash),
                        opt_text(u->first_name),    opt_text(u->last_name),
                        NOC_SQL_INT(u->is_active),  NOC_SQL_INT(u->is_superuser),
                        NOC_SQL_INT(u->created_at), NOC_SQL_INT(u->updated_at)};
  return run_write(s, false, sql, args, 10, NULL, err);
}

noc_store_rc noc_store_user_get(noc_store *s, const char *id, noc_user *out, noc_error *err) {
  return get_one_user(s, "SELECT " USER_COLS " FROM users WHERE id = $1", id, out, err);
}

noc_store_rc noc_store_user_find(noc_store *s, const char *login, noc_user *out, noc_error *err) {
  char key[NOC_STORE_EMAIL_MAX];
  if (strlen(login) >= sizeof key)
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "no such user");
  ascii_lower(login, key, sizeof key);
  if (strchr(key, '@') != NULL)
    return get_one_user(s, "SELECT " USER_COLS " FROM users WHERE email = $1", key, out, err);
  return get_one_user(s, "SELECT " USER_COLS " FROM users WHERE lower(username) = $1", key, out,
                      err);
}

static bool count_row(void *cls, int ncols, const char *const *v) {
  *(int64_t *)cls = ncols > 0 ? noc_store_int(v[0]) : 0;
  return false;
}

noc_store_rc noc_store_user_count(noc_store *s, int64_t *n, noc_error *err) {
  *n = 0;
  return run(s, true, "SELECT count(*) FROM users", NULL, 0, count_row, n, NULL, err);
}

noc_store_rc noc_store_user_list(noc_store *s, bool superusers_only, noc_user *out, int max, int *n,
                                 noc_error *err) {
  static const char all[] = "SELECT " USER_COLS " FROM users ORDER BY created_at, id LIMIT $1";
  static const char supers[] =
      "SELECT " USER_COLS " FROM users WHERE is_superuser = 1 ORDER BY created_at, id "
      "LIMIT $1";
  user_acc a = {out, max, 0};
  noc_sql_arg args[] = {NOC_SQL_INT(max)};
  noc_store_rc rc = run(s, true, superusers_only ? supers : all, args, 1, user_row, &a, NULL, err);
  *n = a.n;
  return rc;
}

static noc_store_rc need_change(noc_store_rc rc, int64_t changes, const char *what,
                                noc_error *err) {
  if (rc == NOC_STORE_OK && changes == 0)
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "no such %s", what);
  return rc;
}

noc_store_rc noc_store_user_set_flags(noc_store *s, const char *id, int is_active, int is_superuser,
                                      int64_t now, noc_error *err) {
  static const char sql[] =
      "UPDATE users SET is_active = COALESCE($2, is_active), "
      "is_superuser = COALESCE($3, is_superuser), updated_at = $4 WHERE id = $1";
  noc_sql_arg args[] = {
      NOC_SQL_TEXT(id), is_active < 0 ? NOC_SQL_NULL : NOC_SQL_INT(is_active != 0),
      is_superuser < 0 ? NOC_SQL_NULL : NOC_SQL_INT(is_superuser != 0), NOC_SQL_INT(now)};
  int64_t changes = 0;
  noc_store_rc rc = run_write(s, true, sql, args, 4, &changes, err);
  return need_change(rc, changes, "user", err);
}

noc_store_rc noc_store_user_set_password(noc_store *s, const char *id, const char *hash,
                                         int64_t now, noc_error *err) {
  static const char sql[] = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
  noc_sql_arg args[] = {NOC_SQL_TEXT(id), NOC_SQL_TEXT(hash), NOC_SQL_INT(now)};
  int64_t changes = 0;
  noc_store_rc rc = run_write(s, true, sql, args, 3, &changes, err);
  return need_change(rc, changes, "user", err);
}

noc_store_rc noc_store_user_delete(noc_store *s, const char *id, noc_error *err) {
  noc_sql_arg args[] = {NOC_SQL_TEXT(id)};
  int64_t changes = 0;
  noc_store_rc rc = run_write(s, true, "DELETE FROM users WHERE id = $1", args, 1, &changes, err);
  return need_change(rc, changes, "user", err);
}

/* ---------------------------------------------------------------- service tokens ---- */

#define SVC_COLS                                                                                   \
  "t.id, t.subject, t.scope, t.description, t.created_by, t.renewed_from, t.created_at, "          \
  "t.expires_at, t.last_used_at, t.revoked_at"

typedef struct svc_acc {
  noc_svc_token *out;
  int max, n;
  noc_user_state *user; /* filled from columns 10..12 when not NULL */
} svc_acc;

static bool svc_row(void *cls, int ncols, const char *const *v) {
  svc_acc *a = cls;
  if (a->n >= a->max || ncols < 10) return false;
  noc_svc_token *t = &a->out[a->n++];
  memset(t, 0, sizeof *t);
  noc_store_copy(t->id, sizeof t->id, v[0]);
  noc_store_copy(t->subject, sizeof t->subject, v[1]);
  noc_store_copy(t->scope, sizeof t->scope, v[2]);
  noc_store_copy(t->description, sizeof t->description, v[3]);
  noc_store_copy(t->created_by, sizeof t->created_by, v[4]);
  noc_store_copy(t->renewed_from, sizeof t->renewed_from, v[5]);
  t->created_at = noc_store_int(v[6]);
  t->expires_at = noc_store_int(v[7]);
  t->last_used_at = noc_store_int(v[8]);
  t->revoked_at = noc_store_int(v[9]);
  if (a->user && ncols >= 13) {
    a->user->found = v[10] != NULL;
    a->user->is_active = noc_store_int(v[11]) != 0;
    a->user->is_superuser = noc_store_int(v[12]) != 0;
  }
  return true;
}

noc_store_rc noc_store_svc_insert(noc_store *s, const noc_svc_token *t, noc_error *err) {
  static const char sql[] =
      "INSERT INTO service_tokens (id, subject, scope, description, created_by, renewed_from, "
      "created_at, expires_at, last_used_at, revoked_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
  noc_sql_arg args[] = {NOC_SQL_TEXT(t->id),         NOC_SQL_TEXT(t->subject),
                        NOC_SQL_TEXT(t->scope),      NOC_SQL_TEXT(t->description),
                        NOC_SQL_TEXT(t->created_by), opt_text(t->renewed_from),
                        NOC_SQL_INT(t->created_at),  opt_time(t->expires_at),
                        opt_time(t->last_used_at),   opt_time(t->revoked_at)};
  return run_write(s, false, sql, args, 10, NULL, err);
}

noc_store_rc noc_store_svc_get(noc_store *s, const char *id, noc_svc_token *out, noc_error *err) {
  static const char sql[] = "SELECT " SVC_COLS " FROM service_tokens t WHERE t.id = $1";
  memset(out, 0, sizeof *out);
  svc_acc a = {out, 1, 0, NULL};
  noc_sql_arg args[] = {NOC_SQL_TEXT(id)};
  noc_store_rc rc = run(s, true, sql, args, 1, svc_row, &a, NULL, err);
  if (rc == NOC_STORE_OK && a.n == 0)
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "Service token not found");
  return rc;
}

noc_store_rc noc_store_svc_auth(noc_store *s, const char *id, noc_svc_token *tok,
                                noc_user_state *user, noc_error *err) {
  static const char sql[] = "SELECT " SVC_COLS ", u.id, u.is_active, u.is_superuser "
                            "FROM service_tokens t LEFT JOIN users u ON u.id = t.subject "
                            "WHERE t.id = $1";
  memset(user, 0, sizeof *user);
  memset(tok, 0, sizeof *tok);
  svc_acc a = {tok, 1, 0, user};
  noc_sql_arg args[] = {NOC_SQL_TEXT(id)};
  noc_store_rc rc = run(s, true, sql, args, 1, svc_row, &a, NULL, err);
  if (rc == NOC_STORE_OK && a.n == 0)
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "Service token not found");
  return rc;
}

noc_store_rc noc_store_svc_list(noc_store *s, noc_svc_token *out, int max, int *n, noc_error *err) {
  static const char sql[] =
      "SELECT " SVC_COLS " FROM service_tokens t ORDER BY t.created_at DESC, t.id LIMIT $1";
  svc_acc a = {out, max, 0, NULL};
  noc_sql_arg args[] = {NOC_SQL_INT(max)};
  noc_store_rc rc = run(s, true, sql, args, 1, svc_row, &a, NULL, err);
  *n = a.n;
  return rc;
}

noc_store_rc noc_store_svc_revoke(noc_store *s, const char *id, int64_t now, noc_error *err) {
  static const char sql[] =
      "UPDATE service_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
  noc_sql_arg args[] = {NOC_SQL_TEXT(id), NOC_SQL_INT(now)};
  int64_t changes = 0;
  noc_store_rc rc = run_write(s, true, sql, args, 2, &changes, err);
  return need_change(rc, changes, "service token", err);
}

noc_store_rc noc_store_svc_touch(noc_store *s, const char *id, int64_t now, int64_t min_interval_s,
                                 noc_error *err) {
  static const char sql[] = "UPDATE service_tokens SET last_used_at = $2 "
                            "WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)";
  noc_sql_arg args[] = {NOC_SQL_TEXT(id), NOC_SQL_INT(now), NOC_SQL_INT(now - min_interval_s)};
  return run_write(s, true, sql, args, 3, NULL, err);
}

/* ---------------------------------------------------------------- sessions ---- */

typedef struct sess_acc {
  noc_session *sess;
  noc_user_state *user;
  int n;
} sess_acc;

static bool session_row(void *cls, int ncols, const char *const *v) {
  sess_acc *a = cls;
  if (ncols < 6) return false;
  noc_session *x = a->sess;
  memset(x, 0, sizeof *x);
  noc_store_copy(x->id, sizeof x->id, v[0]);
  noc_store_copy(x->user_id, sizeof x->user_id, v[1]);
  x->created_at = noc_store_int(v[2]);
  x->expires_at = noc_store_int(v[3]);
  x->revoked_at = noc_store_int(v[4]);
  noc_store_copy(x->revoke_reason, sizeof x->revoke_reason, v[5]);
  if (a->user && ncols >= 9) {
    a->user->found = v[6] != NULL;
    a->user->is_active = noc_store_int(v[7]) != 0;
    a->user->is_superuser = noc_store_int(v[8]) != 0;
  }
  a->n = 1;
  return false;
}

static const char SQL_SESSION_INSERT[] =
    "INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at, revoke_reason) "
    "VALUES ($1, $2, $3, $4, NULL, NULL)";
static const char SQL_REFRESH_INSERT[] =
    "INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at, used_at) "
    "VALUES ($1, $2, $3, $4, $5, NULL)";

static noc_store_rc insert_refresh(noc_store_conn *c, const noc_refresh *r, noc_error *err) {
  noc_sql_arg args[] = {NOC_SQL_TEXT(r->id), NOC_SQL_TEXT(r->session_id),
                        NOC_SQL_TEXT(r->token_hash), NOC_SQL_INT(r->created_at),
                        NOC_SQL_INT(r->expires_at)};
  return noc_store_exec(c, SQL_REFRESH_INSERT, args, 5, NULL, NULL, NULL, err);
}

noc_store_rc noc_store_session_create(noc_store *s, const noc_session *sess,
                                      const noc_refresh *first, noc_error *err) {
  noc_store_conn c;
  noc_store_rc rc = noc_store_acquire(s, &c, err);
  if (rc != NOC_STORE_OK) return rc;
  rc = noc_store_begin(&c, err);
  if (rc == NOC_STORE_OK) {
    noc_sql_arg args[] = {NOC_SQL_TEXT(sess->id), NOC_SQL_TEXT(sess->user_id),
                          NOC_SQL_INT(sess->created_at), NOC_SQL_INT(sess->expires_at)};
    rc = noc_store_exec(&c, SQL_SESSION_INSERT, args, 4, NULL, NULL, NULL, err);
    if (rc == NOC_STORE_OK) rc = insert_refresh(&c, first, err);
    if (rc == NOC_STORE_OK) rc = commit_write(&c, err);
    if (rc != NOC_STORE_OK) noc_store_rollback(&c);
  }
  noc_store_release(&c);
  if (rc == NOC_STORE_OK) noc_store_wrote(s);
  return rc;
}

noc_store_rc noc_store_session_auth(noc_store *s, const char *id, noc_session *sess,
                                    noc_user_state *user, noc_error *err) {
  static const char sql[] =
      "SELECT s.id, s.user_id, s.created_at, s.expires_at, s.revoked_at, s.revoke_reason, "
      "u.id, u.is_active, u.is_superuser FROM sessions s LEFT JOIN users u ON u.id = s.user_id "
      "WHERE s.id = $1";
  memset(user, 0, sizeof *user);
  memset(sess, 0, sizeof *sess);
  sess_acc a = {sess, user, 0};
  noc_sql_arg args[] = {NOC_SQL_TEXT(id)};
  noc_store_rc rc = run(s, true, sql, args, 1, session_row, &a, NULL, err);
  if (rc == NOC_STORE_OK && a.n == 0)
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "no such session");
  return rc;
}

static const char SQL_SESSION_REVOKE[] =
    "UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2), "
    "revoke_reason = COALESCE(revoke_reason, $3) WHERE id = $1";

noc_store_rc noc_store_session_revoke(noc_store *s, const char *id, int64_t now, const char *reason,
                                      noc_error *err) {
  noc_sql_arg args[] = {NOC_SQL_TEXT(id), NOC_SQL_INT(now), NOC_SQL_TEXT(reason)};
  int64_t changes = 0;
  noc_store_rc rc = run_write(s, true, SQL_SESSION_REVOKE, args, 3, &changes, err);
  return need_change(rc, changes, "session", err);
}

/* ---------------------------------------------------------------- refresh rotation ---- */

typedef struct rot_row {
  bool found;
  char session_id[NOC_STORE_ID_MAX];
  int64_t expires_at, used_at;
  noc_session sess;
} rot_row;

static bool rotation_row(void *cls, int ncols, const char *const *v) {
  rot_row *r = cls;
  if (ncols < 9) return false;
  r->found = true;
  noc_store_copy(r->session_id, sizeof r->session_id, v[0]);
  r->expires_at = noc_store_int(v[1]);
  r->used_at = noc_store_int(v[2]);
  noc_store_copy(r->sess.id, sizeof r->sess.id, v[0]);
  noc_store_copy(r->sess.user_id, sizeof r->sess.user_id, v[3]);
  r->sess.created_at = noc_store_int(v[4]);
  r->sess.expires_at = noc_store_int(v[5]);
  r->sess.revoked_at = noc_store_int(v[6]);
  noc_store_copy(r->sess.revoke_reason, sizeof r->sess.revoke_reason, v[7]);
  return false;
}

static const char SQL_ROT_CLAIM[] =
    "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL";
static const char SQL_ROT_READ[] =
    "SELECT r.session_id, r.expires_at, r.used_at, s.user_id, s.created_at, s.expires_at, "
    "s.revoked_at, s.revoke_reason, r.id FROM refresh_tokens r "
    "JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = $1";
static const char SQL_SESSION_EXTEND[] = "UPDATE sessions SET expires_at = $2 WHERE id = $1";

/* Inside the transaction. Returns whether to commit (false: roll back). */
static noc_store_rc rotate_in_tx(noc_store_conn *c, const char *old_hash, int64_t now,
                                 noc_refresh *next, noc_session *sess, noc_rotate_outcome *outcome,
                                 bool *commit, noc_error *err) {
  *commit = false;
  noc_sql_arg claim[] = {NOC_SQL_TEXT(old_hash), NOC_SQL_INT(now)};
  int64_t claimed = 0;
  noc_store_rc rc = noc_store_exec(c, SQL_ROT_CLAIM, claim, 2, NULL, NULL, &claimed, err);
  rot_row row;
  memset(&row, 0, sizeof row);
  noc_sql_arg read[] = {NOC_SQL_TEXT(old_hash)};
  if (rc == NOC_STORE_OK)
    rc = noc_store_exec(c, SQL_ROT_READ, read, 1, rotation_row, &row, NULL, err);
  if (rc != NOC_STORE_OK) return rc;
  *sess = row.sess;
  if (!row.found) {
    *outcome = NOC_ROTATE_UNKNOWN;
    return NOC_STORE_OK;
  }
  if (claimed == 0) {
    /* Rotated before: someone replays an old token. Revoke the whole family. */
    noc_sql_arg rv[] = {NOC_SQL_TEXT(row.session_id), NOC_SQL_INT(now), NOC_SQL_TEXT("reuse")};
    rc = noc_store_exec(c, SQL_SESSION_REVOKE, rv, 3, NULL, NULL, NULL, err);
    *outcome = NOC_ROTATE_REUSED;
    *commit = rc == NOC_STORE_OK;
    return rc;
  }
  if (row.sess.revoked_at != 0) {
    *outcome = NOC_ROTATE_REVOKED;
    return NOC_STORE_OK;
  }
  if (row.expires_at <= now || row.sess.expires_at <= now) {
    *outcome = NOC_ROTATE_EXPIRED;
    return NOC_STORE_OK;
  }
  noc_store_copy(next->session_id, sizeof next->session_id, row.session_id);
  rc = insert_refresh(c, next, err);
  noc_sql_arg ext[] = {NOC_SQL_TEXT(row.session_id), NOC_SQL_INT(next->expires_at)};
  if (rc == NOC_STORE_OK) rc = noc_store_exec(c, SQL_SESSION_EXTEND, ext, 2, NULL, NULL, NULL, err);
  if (rc == NOC_STORE_OK) {
    sess->expires_at = next->expires_at;
    *outcome = NOC_ROTATE_OK;
    *commit = true;
  }
  return rc;
}

noc_store_rc noc_store_refresh_rotate(noc_store *s, const char *old_hash, int64_t now,
                                      noc_refresh *next, noc_session *sess,
                                      noc_rotate_outcome *outcome, noc_error *err) {
  *outcome = NOC_ROTATE_UNKNOWN;
  memset(sess, 0, sizeof *sess);
  noc_store_conn c;
  noc_store_rc rc = noc_store_acquire(s, &c, err);
  if (rc != NOC_STORE_OK) return rc;
  rc = noc_store_begin(&c, err);
  if (rc == NOC_STORE_OK) {
    bool commit = false;
    rc = rotate_in_tx(&c, old_hash, now, next, sess, outcome, &commit, err);
    bool committed = false;
    if (rc == NOC_STORE_OK && commit) {
      rc = commit_write(&c, err);
      committed = rc == NOC_STORE_OK;
    }
    if (!committed) noc_store_rollback(&c);
    if (rc != NOC_STORE_OK) *outcome = NOC_ROTATE_UNKNOWN;
    if (committed) noc_store_wrote(s);
  }
  noc_store_release(&c);
  return rc;
}

static bool refresh_row(void *cls, int ncols, const char *const *v) {
  noc_refresh *r = cls;
  if (ncols < 6) return false;
  noc_store_copy(r->id, sizeof r->id, v[0]);
  noc_store_copy(r->session_id, sizeof r->session_id, v[1]);
  noc_store_copy(r->token_hash, sizeof r->token_hash, v[2]);
  r->created_at = noc_store_int(v[3]);
  r->expires_at = noc_store_int(v[4]);
  r->used_at = noc_store_int(v[5]);
  return false;
}

noc_store_rc noc_store_refresh_find(noc_store *s, const char *hash, noc_refresh *out,
                                    noc_error *err) {
  static const char sql[] = "SELECT id, session_id, token_hash, created_at, expires_at, used_at "
                            "FROM refresh_tokens WHERE token_hash = $1";
  memset(out, 0, sizeof *out);
  noc_sql_arg args[] = {NOC_SQL_TEXT(hash)};
  noc_store_rc rc = run(s, true, sql, args, 1, refresh_row, out, NULL, err);
  if (rc == NOC_STORE_OK && out->id[0] == '\0')
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "no such refresh token");
  return rc;
}

/* ---------------------------------------------------------------- settings ---- */

typedef struct setting_acc {
  char *value;
  size_t cap;
  bool found;
} setting_acc;

static bool setting_row(void *cls, int ncols, const char *const *v) {
  setting_acc *a = cls;
  if (ncols < 1) return false;
  noc_store_copy(a->value, a->cap, v[0]);
  a->found = true;
  return false;
}

noc_store_rc noc_store_setting_get(noc_store *s, const char *key, char *value, size_t cap,
                                   noc_error *err) {
  setting_acc a = {value, cap, false};
  if (cap > 0) value[0] = '\0';
  noc_sql_arg args[] = {NOC_SQL_TEXT(key)};
  noc_store_rc rc = run(s, true, "SELECT value FROM settings WHERE key = $1", args, 1, setting_row,
                        &a, NULL, err);
  if (rc == NOC_STORE_OK && !a.found)
    return noc_store_fail(err, NOC_STORE_NOT_FOUND, "", "no such setting");
  return rc;
}

noc_store_rc noc_store_setting_set(noc_store *s, const char *key, const char *value, int64_t now,
                                   noc_error *err) {
  static const char sql[] =
      "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
  noc_sql_arg args[] = {NOC_SQL_TEXT(key), NOC_SQL_TEXT(value), NOC_SQL_INT(now)};
  return run_write(s, true, sql, args, 3, NULL, err);
}

noc_store_rc noc_store_ping(noc_store *s, noc_error *err) {
  int64_t one_value = 0;
  return run(s, true, "SELECT 1", NULL, 0, count_row, &one_value, NULL, err);
}
