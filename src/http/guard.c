/* Connection registry and slow-client reaper (rules in guard.h). */
#include "http/guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/clock.h"
#include "http/log.h"

enum { SCAN_MIN_MS = 50, SCAN_MAX_MS = 250 };

static void addr_text(const struct sockaddr *sa, char *out, size_t cap) {
  out[0] = '\0';
  if (sa == NULL) return;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
              (socklen_t)cap);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
              (socklen_t)cap);
}

/* Whether a connection is past its receive deadline at monotonic time now. */
static bool overdue(const noc_guard *g, noc_conn *c, int64_t now) {
  if (atomic_load(&c->received)) return false;
  int64_t req = atomic_load(&c->request_ms);
  if (req != 0) return now - req > g->request_ms;
  return now - atomic_load(&c->ready_ms) > g->idle_ms + g->request_ms;
}

static void log_cut(const noc_conn *c, int64_t now) {
  noc_logline l;
  noc_log_begin(&l, NOC_LOG_WARN, "slow client cut off");
  noc_jw_kstr(&l.w, "client", c->addr);
  int64_t req = atomic_load(&((noc_conn *)c)->request_ms);
  noc_jw_kstr(&l.w, "phase", req ? "request" : "request line");
  noc_jw_kint(&l.w, "elapsed_ms", now - (req ? req : atomic_load(&((noc_conn *)c)->ready_ms)));
  noc_log_end(&l);
}

/* Cuts every overdue connection; returns how many. Called with g->mu held. */
static int scan(noc_guard *g) {
  int64_t now = noc_clock_mono_ms();
  int cut = 0;
  for (noc_conn *c = g->head; c != NULL; c = c->next) {
    if (c->fd < 0 || !overdue(g, c, now)) continue;
    shutdown(c->fd, SHUT_RDWR);
    log_cut(c, now);
    /* Reset the clocks so the same connection is not reported again while it closes. */
    atomic_store(&c->request_ms, 0);
    atomic_store(&c->ready_ms, now + 3600 * 1000);
    noc_metrics_connection_cut(g->metrics);
    cut++;
  }
  return cut;
}

static void *reaper_main(void *arg) {
  noc_guard *g = arg;
  int64_t period = g->request_ms / 4;
  period = period < SCAN_MIN_MS ? SCAN_MIN_MS : period > SCAN_MAX_MS ? SCAN_MAX_MS : period;
  pthread_mutex_lock(&g->mu);
  while (!g->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + period * 1000000;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    int rc = pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    if (rc == ETIMEDOUT && !g->stop) scan(g);
  }
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

noc_status noc_guard_start(noc_guard *g, unsigned idle_timeout_s, unsigned request_timeout_s,
                           noc_metrics *metrics, noc_error *err) {
  memset(g, 0, sizeof *g);
  g->idle_ms = (int64_t)idle_timeout_s * 1000;
  g->request_ms = (int64_t)request_timeout_s * 1000;
  g->metrics = metrics;
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca) != 0)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "pthread_condattr_init failed");
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&g->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (rc != 0 || pthread_mutex_init(&g->mu, NULL) != 0)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "cannot initialise the connection guard");
  if (pthread_create(&g->thread, NULL, reaper_main, g) != 0) {
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    return noc_fail(err, NOC_ERR_INTERNAL, "", "cannot start the connection guard thread");
  }
  g->running = true;
  return NOC_OK;
}

void noc_guard_stop(noc_guard *g) {
  if (!g->running) return;
  pthread_mutex_lock(&g->mu);
  g->stop = true;
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
  pthread_join(g->thread, NULL);
  while (g->head != NULL) {
    noc_conn *c = g->head;
    g->head = c->next;
    free(c);
  }
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  g->running = false;
}

noc_conn *noc_guard_add(noc_guard *g, int fd, const struct sockaddr *addr) {
  noc_conn *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->fd = fd;
  addr_text(addr, c->addr, sizeof c->addr);
  atomic_store(&c->ready_ms, noc_clock_mono_ms());
  pthread_mutex_lock(&g->mu);
  c->next = g->head;
  if (g->head) g->head->prev = c;
  g->head = c;
  pthread_mutex_unlock(&g->mu);
  return c;
}

void noc_guard_remove(noc_guard *g, noc_conn *c) {
  pthread_mutex_lock(&g->mu);
  if (c->prev)
    c->prev->next = c->next;
  else
    g->head = c->next;
  if (c->next) c->next->prev = c->prev;
  pthread_mutex_unlock(&g->mu);
  free(c);
}

void noc_conn_request_started(noc_conn *c) {
  atomic_store(&c->received, false);
  atomic_store(&c->request_ms, noc_clock_mono_ms());
}

void noc_conn_request_received(noc_conn *c) {
  atomic_store(&c->received, true);
}

void noc_conn_request_done(noc_conn *c) {
  atomic_store(&c->request_ms, 0);
  atomic_store(&c->ready_ms, noc_clock_mono_ms());
  atomic_store(&c->received, false);
}
