/* A worker thread's Redis connection with back-off. */
#include "worker/conn.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "http/clock.h"
#include "http/log.h"
#include "worker/worker.h"

enum { SLICE_MS = 100, DETAIL_MAX = 256 };

static struct timeval tv_ms(unsigned ms) {
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  return tv;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

void noc_worker_conn_init(noc_worker_conn *k, const noc_redis_url *url, const char *redacted,
                          unsigned thread, const atomic_bool *stop) {
  memset(k, 0, sizeof *k);
  k->url = url;
  k->redacted = redacted;
  k->thread = thread;
  k->stop = stop;
  k->backoff_ms = NOC_WORKER_BACKOFF_MIN_MS;
}

static void log_state(const noc_worker_conn *k, noc_log_level level, const char *msg,
                      const char *step, const char *detail) {
  noc_logline l;
  noc_log_begin(&l, level, msg);
  noc_jw_kint(&l.w, "thread", k->thread);
  noc_jw_kstr(&l.w, "redis", k->redacted);
  if (step != NULL) noc_jw_kstr(&l.w, "step", step);
  if (detail != NULL) noc_jw_kstr(&l.w, "detail", detail);
  if (level != NOC_LOG_INFO) noc_jw_kint(&l.w, "retry_in_ms", k->backoff_ms);
  noc_log_end(&l);
}

/* A handshake command; true when Redis did not answer with an error. */
static bool handshake(redisContext *c, int argc, const char **argv, char *detail, size_t cap) {
  redisReply *r = redisCommandArgv(c, argc, argv, NULL);
  bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;
  if (!ok) snprintf(detail, cap, "%s: %s", argv[0], r != NULL && r->str ? r->str : c->errstr);
  if (r != NULL) freeReplyObject(r);
  return ok;
}

/* A connected context, authenticated, on the URL's database; NULL with detail on failure. */
static redisContext *open_context(const noc_redis_url *u, char *detail, size_t cap) {
  struct timeval ct = tv_ms(NOC_WORKER_CONNECT_TIMEOUT_MS);
  redisContext *c = u->unix_path[0] ? redisConnectUnixWithTimeout(u->unix_path, ct)
                                    : redisConnectWithTimeout(u->host, u->port, ct);
  if (c == NULL) {
    snprintf(detail, cap, "out of memory");
    return NULL;
  }
  bool ok = c->err == 0;
  if (!ok) snprintf(detail, cap, "connect: %s", c->errstr);
  if (ok && redisSetTimeout(c, tv_ms(NOC_WORKER_COMMAND_TIMEOUT_MS)) != REDIS_OK) {
    snprintf(detail, cap, "cannot set the command timeout");
    ok = false;
  }
  if (ok && u->password[0]) {
    const char *with_user[] = {"AUTH", u->user, u->password};
    const char *without[] = {"AUTH", u->password};
    ok = u->user[0] ? handshake(c, 3, with_user, detail, cap)
                    : handshake(c, 2, without, detail, cap);
  }
  if (ok && u->db != 0) {
    char db[16];
    snprintf(db, sizeof db, "%d", u->db);
    ok = handshake(c, 2, (const char *[]){"SELECT", db}, detail, cap);
  }
  if (!ok) {
    redisFree(c);
    return NULL;
  }
  return c;
}

/* Sleeps until the scheduled attempt in slices; false when stop was requested meanwhile. */
static bool wait_retry(const noc_worker_conn *k) {
  for (;;) {
    if (atomic_load(k->stop)) return false;
    int64_t left = k->retry_at_ms - noc_clock_mono_ms();
    if (left <= 0) return true;
    sleep_ms(left < SLICE_MS ? left : SLICE_MS);
  }
}

bool noc_worker_conn_ensure(noc_worker_conn *k, bool patient, bool force) {
  if (k->c != NULL) return true;
  if (patient) {
    if (!wait_retry(k)) return false;
  } else if (!force && k->retry_at_ms > noc_clock_mono_ms()) {
    return false;
  }
  char detail[DETAIL_MAX];
  k->c = open_context(k->url, detail, sizeof detail);
  if (k->c == NULL) {
    noc_worker_conn_fail(k, "connect", detail);
    return false;
  }
  return true;
}

void noc_worker_conn_fail(noc_worker_conn *k, const char *step, const char *detail) {
  /* The first failure of an outage is a warning; the retries that follow are debug lines.
   * Logged before the context goes: detail may be its errstr. */
  log_state(k, k->down ? NOC_LOG_DEBUG : NOC_LOG_WARN, "redis unavailable", step, detail);
  if (k->c != NULL) {
    redisFree(k->c);
    k->c = NULL;
  }
  k->down = true;
  k->retry_at_ms = noc_clock_mono_ms() + k->backoff_ms;
  k->backoff_ms =
      k->backoff_ms * 2 > NOC_WORKER_BACKOFF_MAX_MS ? NOC_WORKER_BACKOFF_MAX_MS : k->backoff_ms * 2;
}

void noc_worker_conn_ok(noc_worker_conn *k) {
  if (k->down) log_state(k, NOC_LOG_INFO, "redis available again", NULL, NULL);
  k->down = false;
  k->backoff_ms = NOC_WORKER_BACKOFF_MIN_MS;
  k->retry_at_ms = 0;
}

void noc_worker_conn_close(noc_worker_conn *k) {
  if (k->c != NULL) redisFree(k->c);
  k->c = NULL;
}
