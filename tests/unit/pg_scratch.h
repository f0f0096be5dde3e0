/* Scratch PostgreSQL databases for the unit tests that need one: the server comes from
 * NOCTURNA_TEST_DATABASE_URL (scripts/services.sh), each test creates its own database beside
 * the default one and drops it afterwards. Header-only: each test file is its own program. */
#ifndef NOC_TESTS_PG_SCRATCH_H
#define NOC_TESTS_PG_SCRATCH_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

#endif
