/* The worker threads: pop a job, run it, deliver the envelope, log one line. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/clock.h"
#include "http/log.h"
#include "worker/conn.h"
#include "worker/worker.h"

enum { DETAIL_MAX = 256, TX_MAX = 3, ARGS_MAX = 5 };

typedef struct worker_thread {
  noc_worker_pool *pool; /* borrowed: the owner */
  unsigned index;
  pthread_t tid;
  bool started;
} worker_thread;

struct noc_worker_pool {
  noc_worker_config cfg;
  noc_tzdb *tzdb; /* borrowed */
  atomic_bool stop;
  atomic_uint alive;
  unsigned count;
  worker_thread *threads; /* owned: cfg.threads entries */
};

/* How a delivery to Redis ended. */
typedef enum { IO_OK, IO_REJECTED, IO_LOST } io_rc;

/* One command of a transaction: argv with lengths (values are binary). */
typedef struct tx_cmd {
  int argc;
  const char *argv[ARGS_MAX];
  size_t len[ARGS_MAX];
} tx_cmd;

static void arg(tx_cmd *c, const char *s, size_t n) {
  c->argv[c->argc] = s;
  c->len[c->argc] = n;
  c->argc++;
}

static void arg_str(tx_cmd *c, const char *s) {
  arg(c, s, strlen(s));
}

/* An error element of an EXEC answer, or NULL when every command succeeded. */
static const char *exec_error(const redisReply *r) {
  for (size_t i = 0; i < r->elements; i++)
    if (r->element[i] != NULL && r->element[i]->type == REDIS_REPLY_ERROR)
      return r->element[i]->str ? r->element[i]->str : "error";
  return NULL;
}

/* Sends MULTI, the commands, EXEC in one round trip and reads the answers.
 * IO_LOST = transport failure (the connection is unusable), IO_REJECTED = Redis refused
 * (detail says why; retrying would not help). */
static io_rc exec_tx(redisContext *c, const tx_cmd *cmds, int n, char *detail, size_t cap) {
  bool queued = redisAppendCommand(c, "MULTI") == REDIS_OK;
  for (int i = 0; queued && i < n; i++)
    queued = redisAppendCommandArgv(c, cmds[i].argc, (const char **)cmds[i].argv, cmds[i].len) ==
             REDIS_OK;
  if (!queued || redisAppendCommand(c, "EXEC") != REDIS_OK) {
    /* The output buffer may hold part of the transaction: the caller drops the connection. */
    snprintf(detail, cap, "out of memory");
    return IO_LOST;
  }
  io_rc rc = IO_OK;
  for (int i = 0; i < n + 2; i++) {
    redisReply *r = NULL;
    if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
      snprintf(detail, cap, "%s", c->errstr[0] ? c->errstr : "no reply");
      return IO_LOST;
    }
    const char *bad = NULL;
    if (r->type == REDIS_REPLY_ERROR)
      bad = r->str ? r->str : "error";
    else if (i == n + 1)
      bad = r->type == REDIS_REPLY_ARRAY ? exec_error(r) : "transaction discarded";
    if (bad != NULL && rc == IO_OK) {
      snprintf(detail, cap, "%s", bad);
      rc = IO_REJECTED;
    }
    freeReplyObject(r);
  }
  return rc;
}

/* Runs a transaction, reconnecting with back-off after transport failures. While stopping,
 * one last attempt is made and a failure loses the transaction (logged by the caller). */
static io_rc deliver(noc_worker_conn *k, const tx_cmd *cmds, int n, char *detail, size_t cap) {
  for (;;) {
    bool stopping = atomic_load(k->stop);
    if (!noc_worker_conn_ensure(k, !stopping, true)) {
      if (!stopping) continue; /* stop arrived while waiting: last attempt next round */
      snprintf(detail, cap, "redis unavailable while stopping");
      return IO_LOST;
    }
    io_rc rc = exec_tx(k->c, cmds, n, detail, cap);
    if (rc != IO_LOST) {
      noc_worker_conn_ok(k);
      return rc;
    }
    noc_worker_conn_fail(k, "deliver", detail);
    if (stopping) return IO_LOST;
  }
}

static io_rc store_answer(noc_worker_pool *p, noc_worker_conn *k, const noc_worker_job *job,
                          const noc_buf *out, char *detail, size_t cap) {
  char key[sizeof NOC_WORKER_RESULT_PREFIX + NOC_WORKER_ID_MAX];
  char ttl[24];
  snprintf(key, sizeof key, "%s%s", NOC_WORKER_RESULT_PREFIX, job->id);
  snprintf(ttl, sizeof ttl, "%lld", (long long)p->cfg.result_ttl_s);
  tx_cmd cmds[TX_MAX] = {0};
  int n = 0;
  arg_str(&cmds[n], "SET");
  arg_str(&cmds[n], key);
  arg(&cmds[n], out->data, out->len);
  arg_str(&cmds[n], "EX");
  arg_str(&cmds[n++], ttl);
  if (job->reply_to[0]) {
    arg_str(&cmds[n], "LPUSH");
    arg_str(&cmds[n], job->reply_to);
    arg(&cmds[n++], out->data, out->len);
  }
  arg_str(&cmds[n], "PUBLISH");
  arg_str(&cmds[n], NOC_WORKER_RESULT_CHANNEL);
  arg_str(&cmds[n++], job->id);
  return deliver(k, cmds, n, detail, cap);
}

/* The raw job on <queue>:dead, which is trimmed so that a flood of bad jobs stays bounded. */
static io_rc store_dead(noc_worker_pool *p, noc_worker_conn *k, const char *raw, size_t len,
                        char *detail, size_t cap) {
  char key[sizeof p->cfg.queue + sizeof NOC_WORKER_DEAD_SUFFIX];
  char last[24];
  snprintf(key, sizeof key, "%s%s", p->cfg.queue, NOC_WORKER_DEAD_SUFFIX);
  snprintf(last, sizeof last, "%d", NOC_WORKER_DEAD_MAX - 1);
  tx_cmd cmds[2] = {0};
  arg_str(&cmds[0], "LPUSH");
  arg_str(&cmds[0], key);
  arg(&cmds[0], raw, len);
  arg_str(&cmds[1], "LTRIM");
  arg_str(&cmds[1], key);
  arg_str(&cmds[1], "0");
  arg_str(&cmds[1], last);
  return deliver(k, cmds, 2, detail, cap);
}

static const char *outcome_name(const noc_worker_job *job, io_rc rc) {
  if (rc == IO_LOST) return "lost";
  if (rc == IO_REJECTED) return "rejected";
  return job->fate == NOC_WORKER_DEAD ? "dead_letter" : "stored";
}

static noc_log_level job_level(const noc_worker_job *job, io_rc rc) {
  if (rc != IO_OK || job->http_status >= 500) return NOC_LOG_ERROR;
  return job->fate == NOC_WORKER_DEAD ? NOC_LOG_WARN : NOC_LOG_INFO;
}

static void log_job(unsigned thread, const noc_worker_job *job, size_t bytes, io_rc rc,
                    const char *detail, int64_t start_ns, int64_t ran_ns) {
  noc_logline l;
  noc_log_begin(&l, job_level(job, rc), "job");
  noc_jw_kint(&l.w, "thread", thread);
  noc_jw_kstr(&l.w, "job_id", job->id[0] ? job->id : NULL);
  noc_jw_kstr(&l.w, "endpoint", job->endpoint[0] ? job->endpoint : NULL);
  noc_jw_kint(&l.w, "status", job->http_status);
  noc_jw_kstr(&l.w, "outcome", outcome_name(job, rc));
  noc_jw_knum(&l.w, "duration_ms", (double)(noc_clock_mono_ns() - start_ns) / 1e6, 3);
  noc_jw_knum(&l.w, "run_ms", (double)(ran_ns - start_ns) / 1e6, 3); /* without the delivery */
  noc_jw_kint(&l.w, "bytes_in", (int64_t)bytes);
  if (job->error_code) noc_jw_kstr(&l.w, "error_code", job->error_code);
  if (job->dead_reason) noc_jw_kstr(&l.w, "reason", job->dead_reason);
  if (job->log_detail[0]) noc_jw_kstr(&l.w, "detail", job->log_detail);
  if (rc != IO_OK) noc_jw_kstr(&l.w, "redis_error", detail);
  noc_log_end(&l);
}

static void handle_job(noc_worker_pool *p, noc_worker_conn *k, const noc_api_env *env,
                       unsigned thread, const redisReply *value, noc_buf *out) {
  int64_t start_ns = noc_clock_mono_ns();
  noc_worker_job job;
  noc_worker_run_job(env, value->str, value->len, noc_clock_unix_ms(), out, &job);
  int64_t ran_ns = noc_clock_mono_ns();
  char detail[DETAIL_MAX] = "";
  io_rc rc = job.fate == NOC_WORKER_DEAD
                 ? store_dead(p, k, value->str, value->len, detail, sizeof detail)
                 : store_answer(p, k, &job, out, detail, sizeof detail);
  log_job(thread, &job, value->len, rc, detail, start_ns, ran_ns);
}

/* One BRPOP; a job is handled at once. Any failure backs off, so nothing spins. */
static void pop_once(noc_worker_pool *p, noc_worker_conn *k, const noc_api_env *env,
                     unsigned thread, noc_buf *out) {
  char wait[8];
  snprintf(wait, sizeof wait, "%d", NOC_WORKER_POP_WAIT_S);
  redisReply *r = redisCommandArgv(k->c, 3, (const char *[]){"BRPOP", p->cfg.queue, wait}, NULL);
  if (r == NULL) {
    noc_worker_conn_fail(k, "BRPOP", k->c->errstr);
    return;
  }
  if (r->type == REDIS_REPLY_NIL) {
    noc_worker_conn_ok(k);
  } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
             r->element[1]->type == REDIS_REPLY_STRING) {
    noc_worker_conn_ok(k);
    handle_job(p, k, env, thread, r->element[1], out);
  } else {
    /* WRONGTYPE on the queue, NOAUTH...: Redis answers but the loop cannot go on. */
    noc_worker_conn_fail(k, "BRPOP", r->type == REDIS_REPLY_ERROR && r->str ? r->str : "not a job");
  }
  freeReplyObject(r);
}

static void log_thread(unsigned thread, noc_log_level level, const char *msg, const char *err) {
  noc_logline l;
  noc_log_begin(&l, level, msg);
  noc_jw_kint(&l.w, "thread", thread);
  if (err != NULL) noc_jw_kstr(&l.w, "error", err);
  noc_log_end(&l);
}

static void *thread_main(void *arg) {
  worker_thread *t = arg;
  noc_worker_pool *p = t->pool;
  noc_error err;
  noc_ctx *ctx = NULL; /* owned by this thread: Swiss Ephemeris state is thread-local */
  if (noc_ctx_open(&ctx, p->cfg.ephe_path, &err) != NOC_OK) {
    log_thread(t->index, NOC_LOG_ERROR, "worker thread cannot open the ephemeris", err.message);
    atomic_fetch_sub(&p->alive, 1);
    return NULL;
  }
  noc_api_env env = {ctx, p->tzdb};
  noc_buf out;
  noc_buf_init(&out, NOC_WORKER_OUT_MAX);
  noc_worker_conn k;
  noc_worker_conn_init(&k, &p->cfg.redis, p->cfg.redis_redacted, t->index, &p->stop);
  while (!atomic_load(&p->stop)) {
    if (noc_worker_conn_ensure(&k, true, false)) pop_once(p, &k, &env, t->index, &out);
  }
  noc_worker_conn_close(&k);
  noc_buf_free(&out);
  noc_ctx_close(ctx);
  log_thread(t->index, NOC_LOG_DEBUG, "worker thread stopped", NULL);
  atomic_fetch_sub(&p->alive, 1);
  return NULL;
}

noc_status noc_worker_pool_start(noc_worker_pool **out, const noc_worker_config *cfg,
                                 noc_tzdb *tzdb, noc_error *err) {
  *out = NULL;
  if (cfg->threads < 1 || cfg->threads > NOC_WORKER_THREADS_MAX)
    return noc_fail(err, NOC_ERR_VALIDATION, "threads", "must be 1..%d", NOC_WORKER_THREADS_MAX);
  noc_worker_pool *p = calloc(1, sizeof *p);
  worker_thread *threads = calloc(cfg->threads, sizeof *threads);
  if (p == NULL || threads == NULL) {
    free(p);
    free(threads);
    return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  }
  p->cfg = *cfg;
  p->tzdb = tzdb;
  p->threads = threads;
  atomic_init(&p->stop, false);
  atomic_init(&p->alive, 0);
  for (unsigned i = 0; i < cfg->threads; i++) {
    threads[i].pool = p;
    threads[i].index = i;
    atomic_fetch_add(&p->alive, 1);
    if (pthread_create(&threads[i].tid, NULL, thread_main, &threads[i]) != 0) {
      atomic_fetch_sub(&p->alive, 1);
      noc_worker_pool_stop(p);
      return noc_fail(err, NOC_ERR_INTERNAL, "threads", "cannot start worker thread %u", i);
    }
    threads[i].started = true;
    p->count = i + 1;
  }
  *out = p;
  return NOC_OK;
}

unsigned noc_worker_pool_alive(noc_worker_pool *p) {
  return atomic_load(&p->alive);
}

void noc_worker_pool_stop(noc_worker_pool *p) {
  if (p == NULL) return;
  atomic_store(&p->stop, true);
  for (unsigned i = 0; i < p->count; i++)
    if (p->threads[i].started) pthread_join(p->threads[i].tid, NULL);
  free(p->threads);
  free(p);
}
