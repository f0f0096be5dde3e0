/* conn.h - one worker thread's Redis connection: connect (AUTH, SELECT), fail, back off.
 * Internal to src/worker. */
#ifndef NOC_WORKER_CONN_H
#define NOC_WORKER_CONN_H

#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"

typedef struct noc_worker_conn {
  const noc_redis_url *url; /* borrowed */
  const char *redacted;     /* borrowed: the URL for logs */
  unsigned thread;          /* for log lines */
  const atomic_bool *stop;  /* borrowed: set when the process is stopping */
  redisContext *c;          /* owned; NULL while disconnected */
  unsigned backoff_ms;      /* wait before the next attempt after a failure */
  int64_t retry_at_ms;      /* monotonic; 0 = may connect at once */
  bool down;                /* a failure was logged and no command has worked since */
} noc_worker_conn;

void noc_worker_conn_init(noc_worker_conn *k, const noc_redis_url *url, const char *redacted,
                          unsigned thread, const atomic_bool *stop);
/* Waits out the back-off (in short slices, so a stop request is seen within 100 ms), then
 * connects if needed. True with k->c usable; false when not connected (the attempt failed and
 * the next one is scheduled, or stop was requested while waiting). patient = false: no waiting,
 * one attempt only if the back-off allows it or force is set - for the last delivery at exit. */
bool noc_worker_conn_ensure(noc_worker_conn *k, bool patient, bool force);
/* A step ("connect", "BRPOP", "deliver") failed, by transport or with an answer the loop cannot
 * use: drops the connection and schedules the next attempt with doubled back-off
 * (100 ms .. 5 s). The first failure of an outage is logged as a warning, the rest as debug. */
void noc_worker_conn_fail(noc_worker_conn *k, const char *step, const char *detail);
/* A command worked: resets the back-off and logs the end of an outage. */
void noc_worker_conn_ok(noc_worker_conn *k);
void noc_worker_conn_close(noc_worker_conn *k);

#endif
