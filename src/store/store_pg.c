/* PostgreSQL backend over libpq: one connection per pool slot, statements prepared once per
 * connection, text parameters and results.
 *
 * Dead connections: when the server restarts, each backend process sends a FATAL message and
 * closes its socket. An idle pooled connection whose socket has anything to read is therefore
 * not trusted (alive() says false) and the pool opens a fresh one - so the first request after
 * a restart succeeds instead of failing on a stale socket. A connection that fails during a
 * statement is reported UNAVAILABLE and discarded on release. */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

enum { CACHE_MAX = 48, MAX_ARGS = 16, INT_TEXT = 24 };

typedef struct prepared {
  const char *key; /* the caller's SQL pointer */
  char *sql;       /* owned copy, compared too */
  char name[16];
} prepared;

typedef struct pg_conn {
  PGconn *pg; /* owned */
  int nprep;
  int next_name;
  prepared prep[CACHE_MAX];
} pg_conn;

static void quiet_notices(void *arg, const char *message) {
  (void)arg;
  (void)message; /* "relation already exists, skipping" and the like: not for the log */
}

static void trim_message(char *msg) {
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    msg[--n] = '\0';
}

static noc_store_rc pg_connect(const noc_store_config *cfg, const char *target, void **out,
                               noc_error *err) {
  char timeout[16], options[64];
  snprintf(timeout, sizeof timeout, "%u", cfg->connect_timeout_s);
  snprintf(options, sizeof options, "-c statement_timeout=%u", cfg->busy_timeout_ms);
  /* The URL comes last so that anything it sets overrides these defaults. */
  const char *const keys[] = {"connect_timeout", "application_name", "options", "dbname", NULL};
  const char *const vals[] = {timeout, "nocturna", options, target, NULL};
  PGconn *pg = PQconnectdbParams(keys, vals, 1);
  if (pg == NULL) return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "", "libpq: out of memory");
  if (PQstatus(pg) != CONNECTION_OK) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(pg));
    trim_message(msg);
    PQfinish(pg);
    return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "NOCTURNA_DATABASE_URL",
                          "cannot connect to PostgreSQL: %s", msg);
  }
  PQsetNoticeProcessor(pg, quiet_notices, NULL);
  pg_conn *c = calloc(1, sizeof *c);
  if (c == NULL) {
    PQfinish(pg);
    return noc_store_fail(err, NOC_STORE_ERROR, "", "out of memory");
  }
  c->pg = pg;
  *out = c;
  return NOC_STORE_OK;
}

static void pg_disconnect(void *p) {
  pg_conn *c = p;
  if (c == NULL) return;
  for (int i = 0; i < c->nprep; i++)
    free(c->prep[i].sql);
  PQfinish(c->pg);
  free(c);
}

static bool pg_alive(void *p) {
  pg_conn *c = p;
  if (c == NULL || PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
    return false;
  struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
  int r = poll(&pfd, 1, 0);
  return r == 0; /* readable while idle: a FATAL goodbye or EOF - do not reuse */
}

static bool cacheable(const char *sql) {
  static const char *const kinds[] = {"SELECT", "INSERT", "UPDATE", "DELETE"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strncmp(sql, kinds[i], strlen(kinds[i])) == 0) return true;
  return false;
}

static bool transient_state(const char *state) {
  if (state == NULL) return false;
  return strncmp(state, "08", 2) == 0 ||  /* connection exception */
         strncmp(state, "53", 2) == 0 ||  /* insufficient resources */
         strncmp(state, "57P", 3) == 0 || /* shutdown, crash, cannot connect now */
         strcmp(state, "57014") == 0 ||   /* statement_timeout */
         strcmp(state, "40001") == 0 ||   /* serialization failure */
         strcmp(state, "40P01") == 0 ||   /* deadlock */
         strcmp(state, "55P03") == 0;     /* lock not available */
}

static const char *conflict_field(const char *constraint) {
  static const char *const fields[] = {"email", "username", "token_hash"};
  for (size_t i = 0; constraint && i < sizeof fields / sizeof fields[0]; i++)
    if (strstr(constraint, fields[i]) != NULL) return fields[i];
  return "id";
}

static noc_store_rc map_error(pg_conn *c, PGresult *res, noc_error *err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
  trim_message(msg);
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (PQstatus(c->pg) != CONNECTION_OK || transient_state(state))
    return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "", "PostgreSQL: %s", msg);
  if (state && strcmp(state, "23505") == 0)
    return noc_store_fail(err, NOC_STORE_CONFLICT,
                          conflict_field(PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)), "%s",
                          msg);
  return noc_store_fail(err, NOC_STORE_ERROR, "", "PostgreSQL: %s", msg);
}

/* The name of the prepared statement for sql, preparing it on first use; NULL = run unprepared. */
static const char *prepared_name(pg_conn *c, const char *sql, int nargs, noc_store_rc *rc,
                                 noc_error *err) {
  *rc = NOC_STORE_OK;
  for (int i = 0; i < c->nprep; i++)
    if (c->prep[i].key == sql && strcmp(c->prep[i].sql, sql) == 0) return c->prep[i].name;
  if (c->nprep >= CACHE_MAX || !cacheable(sql)) return NULL;
  prepared *p = &c->prep[c->nprep];
  snprintf(p->name, sizeof p->name, "noc%d", c->next_name++);
  PGresult *res = PQprepare(c->pg, p->name, sql, nargs, NULL);
  bool ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok) *rc = map_error(c, res, err);
  PQclear(res);
  if (!ok) return NULL;
  if ((p->sql = strdup(sql)) == NULL) {
    *rc = noc_store_fail(err, NOC_STORE_ERROR, "", "out of memory");
    return NULL;
  }
  p->key = sql;
  c->nprep++;
  return p->name;
}

static noc_store_rc read_result(pg_conn *c, PGresult *res, noc_sql_row_fn fn, void *cls,
                                int64_t *changes, noc_error *err) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK) {
    if (changes) *changes = noc_store_int(PQcmdTuples(res));
    return NOC_STORE_OK;
  }
  if (st != PGRES_TUPLES_OK) return map_error(c, res, err);
  int rows = PQntuples(res), cols = PQnfields(res);
  if (cols > 32) return noc_store_fail(err, NOC_STORE_ERROR, "", "too many result columns");
  const char *vals[32];
  for (int r = 0; fn && r < rows; r++) {
    for (int i = 0; i < cols; i++)
      vals[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
    if (!fn(cls, cols, vals)) break;
  }
  return NOC_STORE_OK;
}

static noc_store_rc pg_exec(void *p, const char *sql, const noc_sql_arg *args, int nargs,
                            noc_sql_row_fn fn, void *cls, int64_t *changes, noc_error *err) {
  pg_conn *c = p;
  if (nargs > MAX_ARGS) return noc_store_fail(err, NOC_STORE_ERROR, "", "too many parameters");
  char ints[MAX_ARGS][INT_TEXT];
  const char *values[MAX_ARGS];
  for (int i = 0; i < nargs; i++) {
    if (args[i].is_int) {
      snprintf(ints[i], sizeof ints[i], "%lld", (long long)args[i].i);
      values[i] = ints[i];
    } else {
      values[i] = args[i].text;
    }
  }
  noc_store_rc rc;
  const char *name = prepared_name(c, sql, nargs, &rc, err);
  if (rc != NOC_STORE_OK) return rc;
  PGresult *res = name ? PQexecPrepared(c->pg, name, nargs, values, NULL, NULL, 0)
                       : PQexecParams(c->pg, sql, nargs, NULL, values, NULL, NULL, 0);
  rc = read_result(c, res, fn, cls, changes, err);
  PQclear(res);
  return rc;
}

const noc_store_vtable noc_store_pg_backend = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .alive = pg_alive,
    .exec = pg_exec,
    .begin_sql = "BEGIN",
    /* One migrator at a time across processes; released at COMMIT or ROLLBACK. */
    .migrate_lock = "SELECT pg_advisory_xact_lock(7460521)",
    /* Delivered to every listener when (and only if) the transaction commits. */
    .notify_sql = "SELECT pg_notify('" NOC_STORE_PG_CHANNEL "', '')",
    .watch = noc_store_pg_watch,
    .watch_close = noc_store_pg_watch_close,
};
