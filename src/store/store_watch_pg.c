/* PostgreSQL change watcher for noc_store_identity_version: one listener thread per store.
 *
 * Every identity write runs pg_notify('nocturna_identity') in its transaction (store_ops.c), so
 * PostgreSQL delivers a notification to every listening session when - and only if - the write
 * commits. The thread keeps its own connection with LISTEN nocturna_identity, waits on its
 * socket (and on a pipe that stops it), and counts what arrives. It is trusted (reliable) only
 * while it is listening and the server has answered one of its pings (every PING_MS) sent less
 * than FRESH_MS ago: a connection that died without a word (a cut network) is distrusted within
 * FRESH_MS. Connection lost: distrusted at once, counted as a change, reconnected with backoff
 * (BACKOFF_MIN_MS doubling to BACKOFF_MAX_MS); after LISTEN succeeds again the count grows
 * once more (notifications may have been missed meanwhile) before it is trusted.
 *
 * Bound: another instance's commit reaches this process's count once its notification has
 * arrived and this thread has run - normally a few milliseconds after the commit. */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_internal.h"

enum { PING_MS = 500, FRESH_MS = 1500, BACKOFF_MIN_MS = 50, BACKOFF_MAX_MS = 2000 };

typedef struct pg_watch {
  noc_store *s; /* borrowed: the owner (target and timeouts) */
  pthread_t thread;
  bool started;
  int wake[2]; /* pipe; a byte in it means "stop" */
  atomic_bool stop;
  atomic_bool listening;
  _Atomic int64_t fresh_until_ms;
  _Atomic uint64_t seen;
} pg_watch;

/* 1 = fd ready, 0 = timeout, -1 = stop (or poll failed). fd < 0: only waits. */
static int wait_io(pg_watch *w, int fd, short events, int64_t timeout_ms) {
  if (timeout_ms < 0) timeout_ms = 0;
  struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = w->wake[0], .events = POLLIN}};
  int n = poll(p, 2, (int)(timeout_ms > 60000 ? 60000 : timeout_ms));
  if (atomic_load(&w->stop) || (n < 0 && errno != EINTR) || (p[1].revents & POLLIN)) return -1;
  return n > 0 && (p[0].revents & (events | POLLERR | POLLHUP)) ? 1 : 0;
}

static void quiet_notices(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

/* Connects without blocking past connect_timeout_s or a stop request; NULL on failure. */
static PGconn *connect_async(pg_watch *w) {
  const char *const keys[] = {"application_name", "dbname", NULL};
  const char *const vals[] = {"nocturna-listener", w->s->target, NULL};
  PGconn *pg = PQconnectStartParams(keys, vals, 1);
  if (pg == NULL) return NULL;
  int64_t deadline = noc_store_mono_ms() + (int64_t)w->s->cfg.connect_timeout_s * 1000;
  PostgresPollingStatusType st =
      PQstatus(pg) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    int64_t left = deadline - noc_store_mono_ms();
    if (left <= 0) break;
    int r = wait_io(w, PQsocket(pg), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, left);
    if (r < 0) break;
    if (r > 0) st = PQconnectPoll(pg);
  }
  if (st != PGRES_POLLING_OK) {
    PQfinish(pg);
    return NULL;
  }
  PQsetNoticeProcessor(pg, quiet_notices, NULL);
  return pg;
}

static void count_notifications(pg_watch *w, PGconn *pg) {
  bool any = false;
  PGnotify *n;
  while ((n = PQnotifies(pg)) != NULL) {
    any = true;
    PQfreemem(n);
  }
  if (any) atomic_fetch_add(&w->seen, 1);
}

/* Reads what has arrived. Returns false when the connection failed. *answered = the command in
 * flight finished (successfully when *ok). */
static bool take_input(pg_watch *w, PGconn *pg, bool *answered, bool *ok) {
  *answered = false;
  if (!PQconsumeInput(pg)) return false;
  count_notifications(w, pg);
  *ok = true;
  while (!PQisBusy(pg)) {
    PGresult *r = PQgetResult(pg);
    if (r == NULL) {
      *answered = true;
      break;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) *ok = false;
    PQclear(r);
  }
  count_notifications(w, pg);
  return PQstatus(pg) == CONNECTION_OK;
}

/* Sends sql and waits (up to FRESH_MS) for its answer while counting notifications. */
static bool command(pg_watch *w, PGconn *pg, const char *sql) {
  if (!PQsendQuery(pg, sql)) return false;
  int64_t deadline = noc_store_mono_ms() + FRESH_MS;
  for (;;) {
    int64_t left = deadline - noc_store_mono_ms();
    if (left <= 0) return false;
    int r = wait_io(w, PQsocket(pg), POLLIN, left);
    if (r < 0) return false;
    bool answered = false, ok = false;
    if (r > 0 && !take_input(w, pg, &answered, &ok)) return false;
    if (answered) return ok;
  }
}

/* Listening: pings, counts, and returns when the connection fails or a stop is asked for. */
static void serve(pg_watch *w, PGconn *pg) {
  for (;;) {
    int64_t sent = noc_store_mono_ms();
    if (!command(w, pg, "SELECT 1")) return;
    atomic_store(&w->fresh_until_ms, sent + FRESH_MS);
    int64_t next_ping = sent + PING_MS;
    for (;;) {
      int64_t left = next_ping - noc_store_mono_ms();
      if (left <= 0) break;
      int r = wait_io(w, PQsocket(pg), POLLIN, left);
      if (r < 0) return;
      bool answered = false, ok = false;
      if (r > 0 && !take_input(w, pg, &answered, &ok)) return;
    }
  }
}

static void *listener(void *arg) {
  pg_watch *w = arg;
  int64_t backoff = BACKOFF_MIN_MS;
  while (!atomic_load(&w->stop)) {
    PGconn *pg = connect_async(w);
    int64_t sent = noc_store_mono_ms();
    if (pg != NULL && command(w, pg, "LISTEN " NOC_STORE_PG_CHANNEL)) {
      /* Commits made before LISTEN took effect were never announced to us. */
      atomic_fetch_add(&w->seen, 1);
      atomic_store(&w->fresh_until_ms, sent + FRESH_MS);
      atomic_store(&w->listening, true);
      backoff = BACKOFF_MIN_MS;
      serve(w, pg);
      atomic_store(&w->listening, false);
      atomic_fetch_add(&w->seen, 1);
    }
    if (pg != NULL) PQfinish(pg);
    if (atomic_load(&w->stop) || wait_io(w, -1, 0, backoff) < 0) break;
    backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
  }
  return NULL;
}

static pg_watch *start_watch(noc_store *s) {
  pg_watch *w = calloc(1, sizeof *w);
  if (w == NULL) return NULL;
  w->s = s;
  atomic_init(&w->stop, false);
  atomic_init(&w->listening, false);
  atomic_init(&w->fresh_until_ms, 0);
  atomic_init(&w->seen, 0);
  if (pipe(w->wake) != 0) {
    free(w);
    return NULL;
  }
  for (int i = 0; i < 2; i++)
    (void)fcntl(w->wake[i], F_SETFD, FD_CLOEXEC);
  w->started = pthread_create(&w->thread, NULL, listener, w) == 0;
  return w; /* without a thread it is never reliable: every check reads storage */
}

/* s->watch, started on first use (the pool's mutex only then). */
static pg_watch *get_watch(noc_store *s) {
  pg_watch *w = atomic_load_explicit(&s->watch, memory_order_acquire);
  if (w != NULL) return w;
  pthread_mutex_lock(&s->mu);
  w = atomic_load_explicit(&s->watch, memory_order_relaxed);
  if (w == NULL && (w = start_watch(s)) != NULL)
    atomic_store_explicit(&s->watch, w, memory_order_release);
  pthread_mutex_unlock(&s->mu);
  return w;
}

noc_store_rc noc_store_pg_watch(noc_store *s, uint64_t *seen, bool *reliable, noc_error *err) {
  pg_watch *w = get_watch(s);
  if (w == NULL) {
    *seen = 0;
    *reliable = false;
    return noc_store_fail(err, NOC_STORE_ERROR, "", "cannot start the PostgreSQL listener");
  }
  bool listening = atomic_load(&w->listening);
  *reliable = listening && noc_store_mono_ms() < atomic_load(&w->fresh_until_ms);
  *seen = atomic_load(&w->seen); /* after `listening`: a reconnection counts before it is set */
  return NOC_STORE_OK;
}

void noc_store_pg_watch_close(noc_store *s) {
  pg_watch *w = atomic_exchange(&s->watch, NULL);
  if (w == NULL) return;
  atomic_store(&w->stop, true);
  if (write(w->wake[1], "x", 1) < 0) {
    /* the pipe is empty and ours: cannot fail; the thread also polls w->stop */
  }
  if (w->started) pthread_join(w->thread, NULL);
  close(w->wake[0]);
  close(w->wake[1]);
  free(w);
}
