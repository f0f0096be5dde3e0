/* Versioned, forward-only schema migrations. Each migration is a list of single statements
 * applied in one transaction together with its row in schema_migrations, under a lock
 * (PostgreSQL: an advisory transaction lock; SQLite: BEGIN IMMEDIATE), so two processes
 * starting at once apply each migration exactly once. Released migrations are never edited:
 * a change is a new migration at the end of the list. */
#include <stdio.h>
#include <time.h>

#include "store/store_internal.h"

static const char *const m1_identity[] = {
    "CREATE TABLE users ("
    " id TEXT PRIMARY KEY,"
    " email TEXT NOT NULL,"
    " username TEXT NOT NULL,"
    " password_hash TEXT NOT NULL,"
    " first_name TEXT,"
    " last_name TEXT,"
    " is_active INTEGER NOT NULL DEFAULT 1,"
    " is_superuser INTEGER NOT NULL DEFAULT 0,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL)",
    "CREATE UNIQUE INDEX users_email_uq ON users (email)",
    "CREATE UNIQUE INDEX users_username_uq ON users (lower(username))",
    "CREATE TABLE service_tokens ("
    " id TEXT PRIMARY KEY,"
    " subject TEXT NOT NULL,"
    " scope TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " created_by TEXT NOT NULL DEFAULT '',"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT,"
    " last_used_at BIGINT,"
    " revoked_at BIGINT)",
    "CREATE TABLE sessions ("
    " id TEXT PRIMARY KEY,"
    " user_id TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " revoked_at BIGINT,"
    " revoke_reason TEXT)",
    "CREATE TABLE refresh_tokens ("
    " id TEXT PRIMARY KEY,"
    " session_id TEXT NOT NULL,"
    " token_hash TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " used_at BIGINT)",
    "CREATE UNIQUE INDEX refresh_tokens_token_hash_uq ON refresh_tokens (token_hash)",
    "CREATE TABLE settings ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL,"
    " updated_at BIGINT NOT NULL)",
    NULL};

static const char *const m2_renewal_and_indexes[] = {
    "ALTER TABLE service_tokens ADD COLUMN renewed_from TEXT",
    "CREATE INDEX service_tokens_created_idx ON service_tokens (created_at)",
    "CREATE INDEX sessions_user_idx ON sessions (user_id)",
    "CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)", NULL};

static const struct migration {
  int version;
  const char *name;
  const char *const *steps;
} migrations[] = {
    {1, "users, service tokens, sessions, refresh tokens, settings", m1_identity},
    {2, "service token renewal link; listing and per-user indexes", m2_renewal_and_indexes},
};
enum { MIGRATION_COUNT = sizeof migrations / sizeof migrations[0] };

_Static_assert(MIGRATION_COUNT == NOC_STORE_SCHEMA_VERSION,
               "NOC_STORE_SCHEMA_VERSION must equal the number of migrations");

static const char SQL_ENSURE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
static const char SQL_VERSION[] = "SELECT max(version) FROM schema_migrations";
static const char SQL_RECORD[] =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

static bool version_row(void *cls, int ncols, const char *const *v) {
  *(int *)cls = ncols > 0 ? (int)noc_store_int(v[0]) : 0;
  return false;
}

/* Inside a transaction: the lock, the bookkeeping table, the current version. */
static noc_store_rc locked_version(noc_store_conn *c, int *version, noc_error *err) {
  noc_store_rc rc = NOC_STORE_OK;
  if (c->s->be->migrate_lock)
    rc = noc_store_exec(c, c->s->be->migrate_lock, NULL, 0, NULL, NULL, NULL, err);
  if (rc == NOC_STORE_OK) rc = noc_store_exec(c, SQL_ENSURE, NULL, 0, NULL, NULL, NULL, err);
  *version = 0;
  if (rc == NOC_STORE_OK)
    rc = noc_store_exec(c, SQL_VERSION, NULL, 0, version_row, version, NULL, err);
  return rc;
}

static noc_store_rc apply_one(noc_store_conn *c, const struct migration *m, noc_error *err) {
  for (int i = 0; m->steps[i] != NULL; i++) {
    noc_store_rc rc = noc_store_exec(c, m->steps[i], NULL, 0, NULL, NULL, NULL, err);
    if (rc != NOC_STORE_OK) return rc;
  }
  noc_sql_arg args[] = {NOC_SQL_INT(m->version), NOC_SQL_TEXT(m->name),
                        NOC_SQL_INT((int64_t)time(NULL))};
  return noc_store_exec(c, SQL_RECORD, args, 3, NULL, NULL, NULL, err);
}

static noc_store_rc too_new(int version, noc_error *err) {
  return noc_store_fail(err, NOC_STORE_ERROR, "NOCTURNA_DATABASE_URL",
                        "the database schema is version %d but this nocturna knows only up "
                        "to %d; run a newer nocturna (migrations only go forward)",
                        version, NOC_STORE_SCHEMA_VERSION);
}

/* One transaction: applies migration m unless the database already has it. */
static noc_store_rc step(noc_store_conn *c, const struct migration *m, int *seen, noc_error *err) {
  noc_store_rc rc = noc_store_begin(c, err);
  if (rc != NOC_STORE_OK) return rc;
  int version = 0;
  rc = locked_version(c, &version, err);
  if (rc == NOC_STORE_OK && version > NOC_STORE_SCHEMA_VERSION) rc = too_new(version, err);
  if (rc == NOC_STORE_OK && version < m->version) rc = apply_one(c, m, err);
  if (rc == NOC_STORE_OK) rc = noc_store_commit(c, err);
  if (rc != NOC_STORE_OK) {
    noc_store_rollback(c);
    if (err && rc == NOC_STORE_ERROR && version < m->version) {
      char msg[NOC_ERR_MESSAGE_MAX], field[NOC_ERR_FIELD_MAX];
      snprintf(msg, sizeof msg, "%s", err->message);
      snprintf(field, sizeof field, "%s", err->field);
      noc_store_fail(err, rc, field, "migration %d (%s) failed: %s", m->version, m->name, msg);
    }
    return rc;
  }
  *seen = version;
  return NOC_STORE_OK;
}

noc_store_rc noc_store_migrate(noc_store *s, int *from, int *to, noc_error *err) {
  noc_store_conn c;
  noc_store_rc rc = noc_store_acquire(s, &c, err);
  if (rc != NOC_STORE_OK) return rc;
  int first = -1;
  for (int i = 0; i < MIGRATION_COUNT && rc == NOC_STORE_OK; i++) {
    int seen = 0;
    rc = step(&c, &migrations[i], &seen, err);
    if (first < 0) first = seen;
  }
  noc_store_release(&c);
  if (rc != NOC_STORE_OK) return rc;
  if (from) *from = first < 0 ? 0 : first;
  if (to) *to = NOC_STORE_SCHEMA_VERSION;
  return NOC_STORE_OK;
}

noc_store_rc noc_store_schema_version(noc_store *s, int *version, noc_error *err) {
  noc_store_conn c;
  noc_store_rc rc = noc_store_acquire(s, &c, err);
  if (rc != NOC_STORE_OK) return rc;
  rc = noc_store_begin(&c, err);
  if (rc == NOC_STORE_OK) {
    rc = locked_version(&c, version, err);
    if (rc == NOC_STORE_OK) rc = noc_store_commit(&c, err);
    if (rc != NOC_STORE_OK) noc_store_rollback(&c);
  }
  noc_store_release(&c);
  return rc;
}
