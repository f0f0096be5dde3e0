/* Scratch PostgreSQL databases for the unit tests that need one: the server comes from
 * NOCTURNA_TEST_DATABASE_URL (scripts/services.sh), each test creates its own database beside
 * the default one and drops it afterwards. Header-only: each test file is its own program. */
#ifndef NOC_TESTS_PG_SCRATCH_H
#define NOC_TESTS_PG_SCRATCH_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Runs one statement on url; false (with the server's message on stderr) when it fails. */
static inline bool pg_scratch_exec(const char *url, const char *sql) {
  PGconn *c = PQconnectdb(url);
  bool ok = PQstatus(c) == CONNECTION_OK;
  if (ok) {
    PGresult *r = PQexec(c, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "pg: %s", PQresultErrorMessage(r));
    PQclear(r);
  } else {
    fprintf(stderr, "pg connect: %s", PQerrorMessage(c));
  }
  PQfinish(c);
  return ok;
}

/* postgresql://user@host:port/db?x=y -> the same URL naming database db instead. */
static inline void pg_scratch_url(const char *url, const char *db, char *out, size_t cap) {
  const char *rest = strstr(url, "://");
  rest = rest ? rest + 3 : url;
  size_t host_end = strcspn(rest, "/?");
  const char *query = strchr(rest, '?');
  snprintf(out, cap, "%.*s/%s%s", (int)(rest - url + (ptrdiff_t)host_end), url, db,
           query ? query : "");
}

/* Creates a fresh database named prefix_PID_TIME on the server of admin_url (the test server's
 * NOCTURNA_TEST_DATABASE_URL): its name into db, its URL into url. False when it cannot. */
static inline bool pg_scratch_create(const char *admin_url, const char *prefix, char *db,
                                     size_t db_cap, char *url, size_t url_cap) {
  snprintf(db, db_cap, "%s_%d_%ld", prefix, (int)getpid(), (long)(time(NULL) % 100000));
  char sql[160];
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
  if (!pg_scratch_exec(admin_url, sql)) return false;
  pg_scratch_url(admin_url, db, url, url_cap);
  return true;
}

/* Drops a database made by pg_scratch_create. */
static inline void pg_scratch_drop(const char *admin_url, const char *db) {
  char sql[160];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
  (void)pg_scratch_exec(admin_url, sql);
}

#endif
