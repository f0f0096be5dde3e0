/* store_internal.h - the SQL vtable every backend implements, the connection pool and the
 * helpers the domain operations (store_ops.c, store_migrate.c) are written with. Not public.
 *
 * SQL text uses PostgreSQL's $1..$n placeholders; the SQLite backend rewrites them to ?1..?n.
 * Only portable SQL is used: TEXT, BIGINT, INTEGER 0/1 for booleans, Unix-second times, and
 * INSERT ... ON CONFLICT DO UPDATE (SQLite >= 3.24, PostgreSQL >= 9.5).
 */
#ifndef NOC_STORE_INTERNAL_H
#define NOC_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/store.h"

/* One statement parameter: text (NULL = SQL NULL) or an integer. */
typedef struct noc_sql_arg {
  const char *text;
  int64_t i;
  bool is_int;
} noc_sql_arg;

#define NOC_SQL_TEXT(s) ((noc_sql_arg){.text = (s)})
#define NOC_SQL_INT(v)  ((noc_sql_arg){.i = (v), .is_int = true})
#define NOC_SQL_NULL    ((noc_sql_arg){.text = NULL})

/* Called once per result row. vals[i] is NULL for SQL NULL and valid only during the call.
 * Return false to stop early (not an error). */
typedef bool (*noc_sql_row_fn)(void *cls, int ncols, const char *const *vals);

typedef struct noc_store_vtable {
  const char *name;
  /* Opens one connection, configured (pragmas, timeouts). */
  noc_store_rc (*connect)(const noc_store_config *cfg, const char *target, void **conn,
                          noc_error *err);
  void (*disconnect)(void *conn);
  /* A cheap check before an idle connection is reused: false = replace it. */
  bool (*alive)(void *conn);
  /* Runs one statement. *changes (may be NULL) = rows inserted, updated or deleted.
   * A unique violation gives NOC_STORE_CONFLICT with err->field set from the key name.
   * Statements are cached per connection by their SQL text. */
  noc_store_rc (*exec)(void *conn, const char *sql, const noc_sql_arg *args, int nargs,
                       noc_sql_row_fn fn, void *cls, int64_t *changes, noc_error *err);
  const char *begin_sql;    /* "BEGIN IMMEDIATE" or "BEGIN" */
  const char *migrate_lock; /* run first inside a migration transaction, or NULL */
  /* Run inside every identity write's transaction, so that other processes learn of the
   * write when (and only when) it commits; NULL when the backend needs nothing (SQLite:
   * other processes see the commit in the shared WAL index). */
  const char *notify_sql;
  /* The backend's part of noc_store_identity_version (store_watch_*.c): *seen grows
   * whenever a commit by another connection or process may have happened since the last
   * call; *reliable is false while that cannot be known. Starts its watcher lazily. */
  noc_store_rc (*watch)(noc_store *s, uint64_t *seen, bool *reliable, noc_error *err);
  /* Stops and frees s->watch (may be NULL). */
  void (*watch_close)(noc_store *s);
} noc_store_vtable;

extern const noc_store_vtable noc_store_sqlite_backend;
extern const noc_store_vtable noc_store_pg_backend;

struct noc_store {
  const noc_store_vtable *be;
  noc_store_config cfg;
  char target[NOC_STORE_URL_MAX];   /* SQLite path, or the PostgreSQL URL */
  char location[NOC_STORE_URL_MAX]; /* target without password */
  pthread_mutex_t mu;
  pthread_cond_t cv;              /* a connection was returned */
  void *idle[NOC_STORE_POOL_MAX]; /* owned */
  int nidle;
  unsigned total;                /* idle + borrowed + being opened */
  int64_t connect_fail_until_ms; /* fail fast for a moment after a failed connect */
  noc_error last_connect_err;
  _Atomic uint64_t writes; /* identity writes committed through this store */
  _Atomic(void *) watch;   /* the backend's change watcher, owned; made once, under mu */
};

/* A borrowed connection. */
typedef struct noc_store_conn {
  noc_store *s;
  void *c;
} noc_store_conn;

noc_store_rc noc_store_acquire(noc_store *s, noc_store_conn *out, noc_error *err);
/* Returns it to the pool, or closes it when the backend says it is no longer alive. */
void noc_store_release(noc_store_conn *c);

noc_store_rc noc_store_exec(noc_store_conn *c, const char *sql, const noc_sql_arg *args, int nargs,
                            noc_sql_row_fn fn, void *cls, int64_t *changes, noc_error *err);
noc_store_rc noc_store_begin(noc_store_conn *c, noc_error *err);
noc_store_rc noc_store_commit(noc_store_conn *c, noc_error *err);
void noc_store_rollback(noc_store_conn *c);

/* Whether a failed operation may be repeated on a fresh connection: the borrowed one died
 * (PostgreSQL restarted) and the operation did not change anything. */
bool noc_store_conn_dead(const noc_store_conn *c);

/* Counts an identity write that committed through s (noc_store_identity_version). */
void noc_store_wrote(noc_store *s);

/* ---- change watchers (store_watch_sqlite.c, store_watch_pg.c) ---- */
noc_store_rc noc_store_sqlite_watch(noc_store *s, uint64_t *seen, bool *reliable, noc_error *err);
void noc_store_sqlite_watch_close(noc_store *s);
/* Tests: observe through PRAGMA data_version only, as when the WAL index cannot be read. */
void noc_store_sqlite_watch_force_pragma(noc_store *s, bool on);
noc_store_rc noc_store_pg_watch(noc_store *s, uint64_t *seen, bool *reliable, noc_error *err);
void noc_store_pg_watch_close(noc_store *s);
/* PostgreSQL's notification channel for identity writes. */
#define NOC_STORE_PG_CHANNEL "nocturna_identity"

/* Monotonic clock in milliseconds. */
int64_t noc_store_mono_ms(void);

/* Row helpers: copy a value (NULL -> "") into a bounded array; parse an integer (NULL -> 0). */
void noc_store_copy(char *dst, size_t cap, const char *v);
int64_t noc_store_int(const char *v);

/* Fills err and returns rc. */
noc_store_rc noc_store_fail(noc_error *err, noc_store_rc rc, const char *field, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));

#endif
