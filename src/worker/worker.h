/* worker.h - the asynchronous worker behind `nocturna worker` (docs/worker.md).
 *
 * A backend LPUSHes calculation jobs (JSON) on a Redis list; each worker thread BRPOPs one,
 * runs it through the endpoint table, stores the response envelope at nocturna:result:<id>
 * (and on the job's reply_to list), and PUBLISHes the id on nocturna:results.
 *
 * Two parts: the job itself (job.c: bytes in, envelope out, no Redis, testable alone) and the
 * pool (pool.c, conn.c: threads, Redis connections, back-off, shutdown).
 */
#ifndef NOC_WORKER_WORKER_H
#define NOC_WORKER_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "nocturna/api.h"
#include "nocturna/buf.h"
#include "nocturna/error.h"

enum {
  NOC_WORKER_JOB_MAX = 64 * 1024,       /* bytes of one job; larger ones are dead-lettered */
  NOC_WORKER_OUT_MAX = 8 * 1024 * 1024, /* bound of one response envelope (as over HTTP) */
  NOC_WORKER_ID_MAX = 64,               /* job id: 1..64 printable ASCII, no space */
  NOC_WORKER_KEY_MAX = 256,             /* queue and reply_to keys */
  NOC_WORKER_ENDPOINT_MAX = 128,        /* of the endpoint as logged */
  NOC_WORKER_THREADS_MAX = 256,
  NOC_WORKER_DEAD_MAX = 10000, /* the dead-letter list is trimmed to this length */
  NOC_WORKER_BACKOFF_MIN_MS = 100,
  NOC_WORKER_BACKOFF_MAX_MS = 5000,
  NOC_WORKER_POP_WAIT_S = 1, /* BRPOP timeout: how soon a thread notices shutdown */
  NOC_WORKER_CONNECT_TIMEOUT_MS = 1000,
  NOC_WORKER_COMMAND_TIMEOUT_MS = 2000 /* must exceed the BRPOP wait */
};

#define NOC_WORKER_QUEUE_DEFAULT  "nocturna:jobs"
#define NOC_WORKER_RESULT_PREFIX  "nocturna:result:"
#define NOC_WORKER_RESULT_CHANNEL "nocturna:results"
#define NOC_WORKER_DEAD_SUFFIX    ":dead"

/* ---- one job (job.c) ---- */

typedef enum noc_worker_fate {
  NOC_WORKER_ANSWER, /* out holds an envelope to store under job->id */
  NOC_WORKER_DEAD    /* no usable id (or too large): the raw job goes to the dead-letter list */
} noc_worker_fate;

typedef struct noc_worker_job {
  noc_worker_fate fate;
  char id[NOC_WORKER_ID_MAX + 1];             /* "" when there is no usable id */
  char endpoint[NOC_WORKER_ENDPOINT_MAX + 1]; /* as given (truncated), for the log; "" if none */
  char reply_to[NOC_WORKER_KEY_MAX + 1];      /* "" when none (or when it was invalid) */
  int http_status;                            /* status of the envelope; 0 when dead */
  const char *error_code;                     /* static; NULL on success */
  const char *dead_reason;                    /* static; set when dead */
  char log_detail[448];                       /* internal cause of a 5xx, for the log only */
} noc_worker_job;

/* Runs the job in raw[0..len) (any bytes) and fills *job. For NOC_WORKER_ANSWER, out (owned by
 * the caller, reset here) holds the full envelope: the endpoint's answer, or an error envelope
 * (VALIDATION_ERROR 400 / NOT_FOUND 404) when the job itself is malformed. Never fails. */
void noc_worker_run_job(const noc_api_env *env, const char *raw, size_t len, int64_t now_unix_ms,
                        noc_buf *out, noc_worker_job *job);

/* True when s[0..n) is 1..max bytes of printable ASCII without space (0x21..0x7e). */
bool noc_worker_token_ok(const char *s, size_t n, size_t max);

/* ---- the pool (pool.c, conn.c) ---- */

typedef struct noc_worker_config {
  noc_redis_url redis;                    /* where the queue lives */
  char redis_redacted[NOC_CACHE_URL_MAX]; /* the URL for logs, password hidden */
  char queue[NOC_WORKER_KEY_MAX + 1];     /* list the jobs are popped from */
  unsigned threads;                       /* 1..NOC_WORKER_THREADS_MAX */
  int64_t result_ttl_s;                   /* EX of nocturna:result:<id> (>= 1) */
  const char *ephe_path;                  /* borrowed; NULL = default */
} noc_worker_config;

typedef struct noc_worker_pool noc_worker_pool;

/* Starts cfg->threads threads that run until noc_worker_pool_stop. tzdb is borrowed (shared by
 * the threads) and must outlive the pool; cfg is copied. Each thread opens its own calculation
 * context and Redis connection. Fails only when a thread cannot be created. */
noc_status noc_worker_pool_start(noc_worker_pool **out, const noc_worker_config *cfg,
                                 noc_tzdb *tzdb, noc_error *err);
/* Threads still running (a thread ends early only when it cannot open its context). */
unsigned noc_worker_pool_alive(noc_worker_pool *p);
/* Asks every thread to stop after its current job, joins them and frees p. */
void noc_worker_pool_stop(noc_worker_pool *p);

#endif
