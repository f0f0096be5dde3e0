/* guard.h - the registry of open connections and the reaper of slow clients.
 *
 * libmicrohttpd's connection timeout is an *idle* timeout: a client that sends one header byte
 * every few seconds (slowloris) never trips it and holds its connection slot forever. The
 * guard gives every request a receive deadline instead:
 *   - from the request line (URI callback) to the last body byte: request_timeout;
 *   - from the moment a connection is ready for a request (accepted, or the previous response
 *     done) to the last body byte: idle_timeout + request_timeout (a request line trickled
 *     byte by byte).
 * A connection past its deadline is shut down (shutdown(2), not close: the descriptor stays
 * owned by libmicrohttpd, which then sees end-of-stream and cleans up as usual). Requests that
 * are fully received (being computed or sent) are never cut.
 *
 * Safety of shutdown(2) from another thread: the registry mutex is held while the reaper
 * shuts a socket down, and libmicrohttpd reports a connection as closed (noc_guard_remove,
 * under the same mutex) before it closes the descriptor, so the reaper never touches a
 * descriptor number that has been reused.
 */
#ifndef NOC_HTTP_GUARD_H
#define NOC_HTTP_GUARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/metrics.h"
#include "nocturna/error.h"

enum { NOC_ADDR_MAX = 64 };

typedef struct noc_conn {
  struct noc_conn *prev, *next; /* guarded by noc_guard.mu */
  int fd;                       /* borrowed from libmicrohttpd */
  char addr[NOC_ADDR_MAX];      /* client address text, "" when unknown */
  _Atomic int64_t ready_ms;     /* monotonic ms: ready for a request */
  _Atomic int64_t request_ms;   /* monotonic ms of the request line, 0 if none */
  _Atomic bool received;        /* the current request is fully received */
} noc_conn;

typedef struct noc_guard {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  noc_conn *head; /* owned list of open connections */
  pthread_t thread;
  bool running, stop; /* guarded by mu */
  int64_t idle_ms, request_ms;
  noc_metrics *metrics; /* borrowed */
} noc_guard;

noc_status noc_guard_start(noc_guard *g, unsigned idle_timeout_s, unsigned request_timeout_s,
                           noc_metrics *metrics, noc_error *err);
/* Stops the reaper and frees any connection still registered. */
void noc_guard_stop(noc_guard *g);

/* A new connection: NULL on allocation failure (the connection is then not guarded). */
noc_conn *noc_guard_add(noc_guard *g, int fd, const struct sockaddr *addr);
void noc_guard_remove(noc_guard *g, noc_conn *c);

/* Request phases, called from the connection's worker thread. */
void noc_conn_request_started(noc_conn *c);
void noc_conn_request_received(noc_conn *c);
void noc_conn_request_done(noc_conn *c);

#endif
