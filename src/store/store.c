/* The store object: backend choice from the URL, the connection pool, and the thin wrappers
 * the domain operations use. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

enum {
  DEFAULT_POOL = 4,
  DEFAULT_ACQUIRE_MS = 5000,
  DEFAULT_BUSY_MS = 5000,
  DEFAULT_CONNECT_S = 3,
  CONNECT_BACKOFF_MS = 100 /* after a failed connect, fail at once for this long */
};

int64_t noc_store_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

noc_store_rc noc_store_fail(noc_error *err, noc_store_rc rc, const char *field, const char *fmt,
                            ...) {
  if (err == NULL) return rc;
  char msg[NOC_ERR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above; see .clang-tidy */
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  noc_status code = rc == NOC_STORE_NOT_FOUND  ? NOC_ERR_NOT_FOUND
                    : rc == NOC_STORE_CONFLICT ? NOC_ERR_VALIDATION
                                               : NOC_ERR_INTERNAL;
  noc_fail(err, code, field ? field : "", "%s", msg);
  return rc;
}

const char *noc_store_rc_name(noc_store_rc rc) {
  switch (rc) {
  case NOC_STORE_OK:
    return "ok";
  case NOC_STORE_NOT_FOUND:
    return "not_found";
  case NOC_STORE_CONFLICT:
    return "conflict";
  case NOC_STORE_UNAVAILABLE:
    return "unavailable";
  case NOC_STORE_ERROR:
    return "error";
  }
  return "unknown";
}

int noc_store_url_kind(const char *url) {
  if (url == NULL || url[0] == '\0' || strncmp(url, "sqlite:", 7) == 0) return 0;
  if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) return 1;
  return -1;
}

/* The URL without its password ("postgresql://user:secret@host" -> "postgresql://user:***@host"),
 * and without a password= query parameter's value. */
static void redact_url(const char *url, char *out, size_t cap) {
  const char *scheme_end = strstr(url, "://");
  const char *at = scheme_end ? strchr(scheme_end + 3, '@') : NULL;
  const char *slash = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
  const char *colon = NULL;
  if (at && (slash == NULL || at < slash)) {
    for (const char *p = scheme_end + 3; p < at; p++)
      if (*p == ':') {
        colon = p;
        break;
      }
  }
  if (colon)
    snprintf(out, cap, "%.*s:***%s", (int)(colon - url), url, at);
  else
    snprintf(out, cap, "%s", url);
  char *pw = strstr(out, "password=");
  if (pw) {
    char *end = strchr(pw, '&');
    char tail[NOC_STORE_URL_MAX];
    snprintf(tail, sizeof tail, "%s", end ? end : "");
    size_t off = (size_t)(pw - out) + 9;
    if (off < cap) snprintf(out + off, cap - off, "***%s", tail);
  }
}

noc_status noc_store_open(noc_store **out, const noc_store_config *cfg, noc_error *err) {
  *out = NULL;
  int kind = noc_store_url_kind(cfg->url);
  if (kind < 0)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATABASE_URL",
                    "must be empty (SQLite in the data directory), sqlite:PATH or "
                    "postgresql://...");
  noc_store *s = calloc(1, sizeof *s);
  if (s == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  s->cfg = *cfg;
  if (s->cfg.pool_size == 0) s->cfg.pool_size = DEFAULT_POOL;
  if (s->cfg.pool_size > NOC_STORE_POOL_MAX) s->cfg.pool_size = NOC_STORE_POOL_MAX;
  if (s->cfg.acquire_timeout_ms == 0) s->cfg.acquire_timeout_ms = DEFAULT_ACQUIRE_MS;
  if (s->cfg.busy_timeout_ms == 0) s->cfg.busy_timeout_ms = DEFAULT_BUSY_MS;
  if (s->cfg.connect_timeout_s == 0) s->cfg.connect_timeout_s = DEFAULT_CONNECT_S;
  int n;
  if (kind == 1) {
    s->be = &noc_store_pg_backend;
    n = snprintf(s->target, sizeof s->target, "%s", cfg->url);
  } else if (cfg->url[0] != '\0') {
    s->be = &noc_store_sqlite_backend;
    n = snprintf(s->target, sizeof s->target, "%s", cfg->url + 7);
  } else {
    s->be = &noc_store_sqlite_backend;
    n = snprintf(s->target, sizeof s->target, "%s/nocturna.db", cfg->data_dir);
  }
  if (n <= 0 || (size_t)n >= sizeof s->target || (kind == 0 && s->target[0] == '\0')) {
    free(s);
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATABASE_URL", "empty or too long");
  }
  redact_url(s->target, s->location, sizeof s->location);
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  *out = s;
  return NOC_OK;
}

void noc_store_close(noc_store *s) {
  if (s == NULL) return;
  s->be->watch_close(s); /* first: the PostgreSQL listener thread reads s */
  for (int i = 0; i < s->nidle; i++)
    s->be->disconnect(s->idle[i]);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

void noc_store_wrote(noc_store *s) {
  atomic_fetch_add(&s->writes, 1);
}

noc_store_rc noc_store_identity_version(noc_store *s, uint64_t *version, bool *reliable,
                                        noc_error *err) {
  uint64_t seen = 0;
  bool ok = false;
  noc_store_rc rc = s->be->watch(s, &seen, &ok, err);
  /* Both counters only grow, so their sum changes whenever either does. */
  *version = seen + atomic_load(&s->writes);
  *reliable = rc == NOC_STORE_OK && ok;
  return rc;
}

const char *noc_store_backend(const noc_store *s) {
  return s->be->name;
}
const char *noc_store_location(const noc_store *s) {
  return s->location;
}

static void deadline_after(struct timespec *ts, unsigned ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

/* Opens a new connection for a slot already counted in s->total. */
static noc_store_rc open_slot(noc_store *s, noc_store_conn *out, noc_error *err) {
  void *c = NULL;
  noc_store_rc rc = s->be->connect(&s->cfg, s->target, &c, err);
  pthread_mutex_lock(&s->mu);
  if (rc != NOC_STORE_OK) {
    s->total--;
    s->connect_fail_until_ms = noc_store_mono_ms() + CONNECT_BACKOFF_MS;
    if (err) s->last_connect_err = *err;
    pthread_cond_signal(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
  if (rc == NOC_STORE_OK) *out = (noc_store_conn){.s = s, .c = c};
  return rc;
}

noc_store_rc noc_store_acquire(noc_store *s, noc_store_conn *out, noc_error *err) {
  struct timespec deadline;
  deadline_after(&deadline, s->cfg.acquire_timeout_ms);
  pthread_mutex_lock(&s->mu);
  for (;;) {
    if (s->nidle > 0) {
      void *c = s->idle[--s->nidle];
      pthread_mutex_unlock(&s->mu);
      if (s->be->alive(c)) {
        *out = (noc_store_conn){.s = s, .c = c};
        return NOC_STORE_OK;
      }
      s->be->disconnect(c); /* died while idle (server restart): open a fresh one */
      pthread_mutex_lock(&s->mu);
      s->total--;
      continue;
    }
    if (s->total < s->cfg.pool_size) {
      if (noc_store_mono_ms() < s->connect_fail_until_ms) {
        noc_error last = s->last_connect_err;
        pthread_mutex_unlock(&s->mu);
        if (err) *err = last;
        return NOC_STORE_UNAVAILABLE;
      }
      s->total++;
      pthread_mutex_unlock(&s->mu);
      return open_slot(s, out, err);
    }
    if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT) {
      pthread_mutex_unlock(&s->mu);
      return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "", "all %u database connections are busy",
                            s->cfg.pool_size);
    }
  }
}

void noc_store_release(noc_store_conn *c) {
  noc_store *s = c->s;
  if (s == NULL) return;
  bool keep = s->be->alive(c->c);
  if (!keep) s->be->disconnect(c->c);
  pthread_mutex_lock(&s->mu);
  if (keep)
    s->idle[s->nidle++] = c->c;
  else
    s->total--;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  c->s = NULL;
  c->c = NULL;
}

bool noc_store_conn_dead(const noc_store_conn *c) {
  return !c->s->be->alive(c->c);
}

noc_store_rc noc_store_exec(noc_store_conn *c, const char *sql, const noc_sql_arg *args, int nargs,
                            noc_sql_row_fn fn, void *cls, int64_t *changes, noc_error *err) {
  if (changes) *changes = 0;
  return c->s->be->exec(c->c, sql, args, nargs, fn, cls, changes, err);
}

noc_store_rc noc_store_begin(noc_store_conn *c, noc_error *err) {
  return noc_store_exec(c, c->s->be->begin_sql, NULL, 0, NULL, NULL, NULL, err);
}

noc_store_rc noc_store_commit(noc_store_conn *c, noc_error *err) {
  return noc_store_exec(c, "COMMIT", NULL, 0, NULL, NULL, NULL, err);
}

void noc_store_rollback(noc_store_conn *c) {
  noc_error ignored;
  (void)noc_store_exec(c, "ROLLBACK", NULL, 0, NULL, NULL, NULL, &ignored);
}

void noc_store_copy(char *dst, size_t cap, const char *v) {
  snprintf(dst, cap, "%s", v ? v : "");
}

int64_t noc_store_int(const char *v) {
  if (v == NULL) return 0;
  errno = 0;
  char *end = NULL;
  long long n = strtoll(v, &end, 10);
  return (errno != 0 || end == v) ? 0 : (int64_t)n;
}
