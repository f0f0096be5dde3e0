/* SQLite backend: one database file, WAL journal, one connection per pool slot.
 *
 * Connections are opened with SQLITE_OPEN_NOMUTEX: the pool never lets two threads use one
 * connection at once, so SQLite's own per-connection mutex would only cost time. Writers wait
 * for each other through busy_timeout; WAL lets readers go on meanwhile. synchronous=FULL
 * because what is stored here (revocations) must survive a power cut, and writes are rare. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_internal.h"

enum { CACHE_MAX = 48, MAX_COLS = 32, SQL_MAX = 4096 };

typedef struct cached_stmt {
  const char *key;  /* the caller's SQL pointer (statements are string literals) */
  char *sql;        /* owned copy, compared too: a reused pointer cannot alias */
  sqlite3_stmt *st; /* owned */
} cached_stmt;

typedef struct sq_conn {
  sqlite3 *db; /* owned */
  int ncache;
  cached_stmt cache[CACHE_MAX];
} sq_conn;

/* mkdir -p with mode 0700 for the parts of dir that do not exist yet. */
static bool make_dirs(char *dir) {
  for (char *p = dir + 1;; p++) {
    bool last = *p == '\0';
    if (*p == '/' || last) {
      *p = '\0';
      if (mkdir(dir, 0700) != 0 && errno != EEXIST) return false;
      if (last) return true;
      *p = '/';
    }
  }
}

/* Creates the file with mode 0600 before SQLite does (it would use 0644 minus umask); the
 * -wal and -shm files then inherit the mode. Missing directories are created (0700).
 * An existing file is never opened here: closing any descriptor of a file releases every POSIX
 * lock this process holds on it, including the SHARED lock SQLite's other connections keep in
 * WAL mode - and then another process closing its last connection (`nocturna token revoke`)
 * believes it is the last user and deletes the -wal and -shm files from under this one, which
 * would from then on see none of that process's commits. */
static noc_store_rc prepare_file(const char *path, noc_error *err) {
  char dir[NOC_STORE_URL_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    if (!make_dirs(dir))
      return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "NOCTURNA_DATA_DIR", "cannot create %s: %s",
                            dir, strerror(errno));
  }
  struct stat sb;
  if (lstat(path, &sb) == 0) {
    int e = S_ISLNK(sb.st_mode)                                       ? ELOOP
            : faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) != 0 ? errno
                                                                      : 0;
    if (e != 0)
      return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "NOCTURNA_DATABASE_URL",
                            "cannot open %s: %s", path, strerror(e));
    return NOC_STORE_OK;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno != EEXIST) /* EEXIST: another process made it meanwhile */
    return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "NOCTURNA_DATABASE_URL", "cannot open %s: %s",
                          path, strerror(errno));
  if (fd >= 0) close(fd); /* nothing of this process can hold a lock on a file just created */
  return NOC_STORE_OK;
}

static noc_store_rc sq_connect(const noc_store_config *cfg, const char *target, void **out,
                               noc_error *err) {
  noc_store_rc rc = prepare_file(target, err);
  if (rc != NOC_STORE_OK) return rc;
  sq_conn *c = calloc(1, sizeof *c);
  if (c == NULL) return noc_store_fail(err, NOC_STORE_ERROR, "", "out of memory");
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(target, &c->db, flags, NULL) != SQLITE_OK) {
    rc = noc_store_fail(err, NOC_STORE_UNAVAILABLE, "NOCTURNA_DATABASE_URL",
                        "cannot open SQLite database %s: %s", target,
                        c->db ? sqlite3_errmsg(c->db) : "out of memory");
    sqlite3_close(c->db);
    free(c);
    return rc;
  }
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_busy_timeout(c->db, (int)cfg->busy_timeout_ms);
  static const char *const pragmas[] = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                                        "PRAGMA foreign_keys=ON", "PRAGMA trusted_schema=OFF"};
  for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
    char *msg = NULL;
    if (sqlite3_exec(c->db, pragmas[i], NULL, NULL, &msg) != SQLITE_OK) {
      rc = noc_store_fail(err, NOC_STORE_UNAVAILABLE, "NOCTURNA_DATABASE_URL", "%s: %s", pragmas[i],
                          msg ? msg : "failed");
      sqlite3_free(msg);
      sqlite3_close(c->db);
      free(c);
      return rc;
    }
  }
  *out = c;
  return NOC_STORE_OK;
}

static void sq_disconnect(void *p) {
  sq_conn *c = p;
  if (c == NULL) return;
  for (int i = 0; i < c->ncache; i++) {
    sqlite3_finalize(c->cache[i].st);
    free(c->cache[i].sql);
  }
  sqlite3_close(c->db);
  free(c);
}

static bool sq_alive(void *p) {
  return p != NULL;
}

/* $1..$n -> ?1..?n (SQLite reads "$1" as a named parameter numbered by first appearance). */
static bool translate(const char *sql, char *out, size_t cap) {
  size_t n = strlen(sql);
  if (n >= cap) return false;
  for (size_t i = 0; i <= n; i++)
    out[i] = (sql[i] == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') ? '?' : sql[i];
  return true;
}

static bool cacheable(const char *sql) {
  static const char *const kinds[] = {"SELECT", "INSERT", "UPDATE",  "DELETE",
                                      "BEGIN",  "COMMIT", "ROLLBACK"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strncmp(sql, kinds[i], strlen(kinds[i])) == 0) return true;
  return false;
}

/* Returns a statement ready to bind; *owned = true when the caller must finalize it. */
static sqlite3_stmt *get_stmt(sq_conn *c, const char *sql, bool *owned, noc_error *err) {
  *owned = false;
  for (int i = 0; i < c->ncache; i++)
    if (c->cache[i].key == sql && strcmp(c->cache[i].sql, sql) == 0) return c->cache[i].st;
  char text[SQL_MAX];
  if (!translate(sql, text, sizeof text)) {
    noc_store_fail(err, NOC_STORE_ERROR, "", "statement too long");
    return NULL;
  }
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->db, text, -1, &st, NULL) != SQLITE_OK) {
    noc_store_fail(err, NOC_STORE_ERROR, "", "SQLite cannot prepare a statement: %s",
                   sqlite3_errmsg(c->db));
    return NULL;
  }
  char *copy = NULL;
  if (c->ncache < CACHE_MAX && cacheable(sql) && (copy = strdup(sql)) != NULL) {
    c->cache[c->ncache++] = (cached_stmt){.key = sql, .sql = copy, .st = st};
    return st;
  }
  *owned = true;
  return st;
}

static noc_store_rc bind_args(sq_conn *c, sqlite3_stmt *st, const noc_sql_arg *args, int nargs,
                              noc_error *err) {
  for (int i = 0; i < nargs; i++) {
    int rc;
    if (args[i].is_int)
      rc = sqlite3_bind_int64(st, i + 1, args[i].i);
    else if (args[i].text == NULL)
      rc = sqlite3_bind_null(st, i + 1);
    else
      rc = sqlite3_bind_text(st, i + 1, args[i].text, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK)
      return noc_store_fail(err, NOC_STORE_ERROR, "", "SQLite cannot bind parameter %d: %s", i + 1,
                            sqlite3_errmsg(c->db));
  }
  return NOC_STORE_OK;
}

/* Which key a unique violation is about, from SQLite's message
 * ("UNIQUE constraint failed: users.email" or "... index 'users_username_uq'"). */
static const char *conflict_field(const char *msg) {
  static const char *const fields[] = {"email", "username", "token_hash"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (strstr(msg, fields[i]) != NULL) return fields[i];
  return "id";
}

static noc_store_rc map_error(sq_conn *c, int code, noc_error *err) {
  const char *msg = sqlite3_errmsg(c->db);
  switch (code & 0xff) {
  case SQLITE_CONSTRAINT:
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
      return noc_store_fail(err, NOC_STORE_CONFLICT, conflict_field(msg), "%s", msg);
    return noc_store_fail(err, NOC_STORE_ERROR, "", "SQLite: %s", msg);
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
  case SQLITE_FULL:
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
    return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "", "SQLite: %s", msg);
  default:
    return noc_store_fail(err, NOC_STORE_ERROR, "", "SQLite: %s", msg);
  }
}

static noc_store_rc run_steps(sq_conn *c, sqlite3_stmt *st, noc_sql_row_fn fn, void *cls,
                              int64_t *changes, noc_error *err) {
  for (;;) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      if (changes && !sqlite3_stmt_readonly(st)) *changes = sqlite3_changes64(c->db);
      return NOC_STORE_OK;
    }
    if (rc != SQLITE_ROW) return map_error(c, sqlite3_extended_errcode(c->db), err);
    if (fn == NULL) continue;
    int n = sqlite3_column_count(st);
    if (n > MAX_COLS) return noc_store_fail(err, NOC_STORE_ERROR, "", "too many result columns");
    const char *vals[MAX_COLS];
    for (int i = 0; i < n; i++)
      vals[i] = (const char *)sqlite3_column_text(st, i);
    if (!fn(cls, n, vals)) return NOC_STORE_OK;
  }
}

static noc_store_rc sq_exec(void *p, const char *sql, const noc_sql_arg *args, int nargs,
                            noc_sql_row_fn fn, void *cls, int64_t *changes, noc_error *err) {
  sq_conn *c = p;
  bool owned;
  sqlite3_stmt *st = get_stmt(c, sql, &owned, err);
  if (st == NULL) return NOC_STORE_ERROR;
  noc_store_rc rc = bind_args(c, st, args, nargs, err);
  if (rc == NOC_STORE_OK) rc = run_steps(c, st, fn, cls, changes, err);
  if (owned) {
    sqlite3_finalize(st);
  } else {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  return rc;
}

const noc_store_vtable noc_store_sqlite_backend = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .alive = sq_alive,
    .exec = sq_exec,
    .begin_sql = "BEGIN IMMEDIATE",
    .migrate_lock = NULL,
    .notify_sql = NULL,
    .watch = noc_store_sqlite_watch,
    .watch_close = noc_store_sqlite_watch_close,
};
