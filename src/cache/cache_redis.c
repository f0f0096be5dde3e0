/* cache_redis.c - the Redis cache over hiredis 0.14 synchronous contexts (contract in cache.h).
 *
 * Connections: a pool of at most pool_size contexts; a call borrows one, runs one command and
 * gives it back. Each context has SO_RCVTIMEO/SO_SNDTIMEO = command_timeout_ms, so no call
 * blocks longer than one connect timeout plus one command timeout.
 *
 * Down state: the first transport error (timeout, refused, reset) marks the backend down and
 * bumps a generation number, so every pooled context made before the failure is discarded
 * instead of being tried again. While down, calls return UNAVAILABLE without any system call
 * except the clock; the first call after each retry interval becomes the probe and connects.
 * A context that finds the server closed it (Redis restarted, or its `timeout` setting closed
 * an idle client) is retried once on a fresh connection before anything is marked down. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/redis.h"

enum {
  FULL_KEY_MAX = NOC_CACHE_PREFIX_MAX + NOC_CACHE_KEY_MAX + 1,
  WHERE_MAX = 300,
  TIMEOUT_MAX_MS = 60000
};

typedef struct pooled {
  redisContext *ctx; /* owned */
  uint64_t gen;
} pooled;

typedef struct noc_redis {
  noc_cache_redis_config cfg; /* copy */
  noc_redis_url url;          /* parsed; holds the password for AUTH on every new connection */
  char where[WHERE_MAX];      /* "host:port" or the socket path, for messages */
  pthread_mutex_t mu;         /* guards everything below */
  pthread_cond_t cv;          /* a context was returned or dropped */
  pooled *idle;               /* owned array of cfg.pool_size */
  unsigned nidle, open;       /* open counts idle and borrowed contexts */
  uint64_t gen;
  bool down;
  int64_t next_try_ms;
  char last_error[NOC_CACHE_DETAIL_MAX];
  noc_redis_script incr_script;
} noc_redis;

/* A borrowed context. */
typedef struct lease {
  redisContext *ctx;
  uint64_t gen;
  bool reused; /* came from the pool (may have been closed by the server meanwhile) */
  bool probe;  /* this call is the reconnect attempt of a down backend */
} lease;

static const char INCR_LUA[] =
    "local created = redis.call('EXISTS', KEYS[1]) == 0\n"
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
    "if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
    "return v\n";

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval ms_tv(unsigned ms) {
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
  return tv;
}

static void set_detail(char *detail, size_t cap, const char *text) {
  if (detail != NULL && cap > 0) snprintf(detail, cap, "%s", text);
}

static void notify(noc_redis *R, bool up, const char *detail) {
  if (R->cfg.on_state != NULL) R->cfg.on_state(R->cfg.state_cls, up, detail);
}

/* ---- connections ---- */

/* One command during the connection handshake; true when the reply is not an error. */
static bool handshake_cmd(noc_redis *R, redisContext *c, int argc, const char **argv, char *detail,
                          size_t cap) {
  redisReply *r = redisCommandArgv(c, argc, argv, NULL);
  bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;
  if (detail != NULL && !ok)
    snprintf(detail, cap, "redis %s: %s %s", R->where, argv[0],
             r != NULL ? (r->str ? r->str : "error") : c->errstr);
  if (r != NULL) freeReplyObject(r);
  return ok;
}

/* A connected, authenticated context on the right database; NULL with detail on failure. */
static redisContext *open_conn(noc_redis *R, char *detail, size_t cap) {
  struct timeval ct = ms_tv(R->cfg.connect_timeout_ms);
  redisContext *c = R->url.unix_path[0] ? redisConnectUnixWithTimeout(R->url.unix_path, ct)
                                        : redisConnectWithTimeout(R->url.host, R->url.port, ct);
  if (c == NULL) {
    snprintf(detail, cap, "redis %s: out of memory", R->where);
    return NULL;
  }
  if (c->err) {
    snprintf(detail, cap, "redis %s: %s", R->where, c->errstr);
    redisFree(c);
    return NULL;
  }
  bool ok = redisSetTimeout(c, ms_tv(R->cfg.command_timeout_ms)) == REDIS_OK;
  if (!ok) snprintf(detail, cap, "redis %s: cannot set the command timeout", R->where);
  if (ok && !R->url.unix_path[0]) redisEnableKeepAlive(c);
  if (ok && R->url.password[0]) {
    const char *auth[] = {"AUTH", R->url.user, R->url.password};
    ok = R->url.user[0]
             ? handshake_cmd(R, c, 3, auth, detail, cap)
             : handshake_cmd(R, c, 2, (const char *[]){"AUTH", R->url.password}, detail, cap);
  }
  if (ok && R->url.db != 0) {
    char db[16];
    snprintf(db, sizeof db, "%d", R->url.db);
    ok = handshake_cmd(R, c, 2, (const char *[]){"SELECT", db}, detail, cap);
  }
  if (ok) ok = handshake_cmd(R, c, 1, (const char *[]){"PING"}, detail, cap);
  if (!ok) {
    redisFree(c);
    return NULL;
  }
  return c;
}

/* Marks the backend down (caller holds mu); true when it was up. */
static bool mark_down_locked(noc_redis *R, const char *why) {
  snprintf(R->last_error, sizeof R->last_error, "%s", why);
  if (R->down) return false;
  R->down = true;
  R->gen++;
  R->next_try_ms = mono_ms() + R->cfg.retry_interval_ms;
  return true;
}

/* Pops a current-generation idle context, dropping stale ones. Caller holds mu. */
static bool pop_idle(noc_redis *R, lease *l) {
  while (R->nidle > 0) {
    pooled p = R->idle[--R->nidle];
    if (p.gen == R->gen) {
      *l = (lease){.ctx = p.ctx, .gen = p.gen, .reused = true};
      return true;
    }
    redisFree(p.ctx); /* only closes a socket: cheap enough under the lock */
    R->open--;
  }
  return false;
}

/* Waits up to one command timeout for a context to come back; false on timeout. */
static bool wait_for_slot(noc_redis *R, const struct timespec *deadline) {
  return pthread_cond_timedwait(&R->cv, &R->mu, deadline) == 0;
}

static void deadline_after(unsigned ms, struct timespec *ts) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

/* Decides under the lock whether the caller reuses a context, opens one, or fails fast.
 * Returns OK with l->ctx set (reuse) or NULL (open one: a slot is reserved in R->open). */
static noc_cache_rc reserve(noc_redis *R, lease *l, char *detail, size_t cap) {
  struct timespec deadline;
  bool have_deadline = false;
  for (;;) {
    if (R->down) {
      if (mono_ms() < R->next_try_ms) {
        set_detail(detail, cap, R->last_error);
        return NOC_CACHE_UNAVAILABLE;
      }
      R->next_try_ms = mono_ms() + R->cfg.retry_interval_ms; /* others keep failing fast */
      R->open++; /* a probe may exceed the pool size by one, once per interval */
      *l = (lease){.gen = R->gen, .probe = true};
      return NOC_CACHE_OK;
    }
    if (pop_idle(R, l)) return NOC_CACHE_OK;
    if (R->open < R->cfg.pool_size) {
      R->open++;
      *l = (lease){.gen = R->gen};
      return NOC_CACHE_OK;
    }
    if (!have_deadline) {
      deadline_after(R->cfg.command_timeout_ms, &deadline);
      have_deadline = true;
    }
    if (!wait_for_slot(R, &deadline)) {
      if (detail != NULL)
        snprintf(detail, cap, "redis %s: all %u connections busy", R->where, R->cfg.pool_size);
      return NOC_CACHE_UNAVAILABLE;
    }
  }
}

static noc_cache_rc borrow(noc_redis *R, lease *l, char *detail, size_t cap) {
  pthread_mutex_lock(&R->mu);
  noc_cache_rc rc = reserve(R, l, detail, cap);
  pthread_mutex_unlock(&R->mu);
  if (rc != NOC_CACHE_OK || l->ctx != NULL) return rc;
  char why[NOC_CACHE_DETAIL_MAX];
  l->ctx = open_conn(R, why, sizeof why);
  bool changed;
  pthread_mutex_lock(&R->mu);
  if (l->ctx == NULL) {
    R->open--;
    pthread_cond_signal(&R->cv);
    changed = mark_down_locked(R, why);
  } else {
    changed = R->down && l->gen == R->gen;
    if (changed) R->down = false;
  }
  pthread_mutex_unlock(&R->mu);
  if (changed) notify(R, l->ctx != NULL, l->ctx != NULL ? "" : why);
  if (l->ctx != NULL) return NOC_CACHE_OK;
  set_detail(detail, cap, why);
  return NOC_CACHE_UNAVAILABLE;
}

/* Returns a context: kept when healthy and current, otherwise closed; broken_why != NULL marks
 * the backend down. drop_idle: the server closed this connection, so it most likely closed
 * its siblings too (restart, idle timeout): the pooled ones are discarded, not tried. */
static void give_back(noc_redis *R, lease *l, bool healthy, const char *broken_why,
                      bool drop_idle) {
  bool changed = false;
  pthread_mutex_lock(&R->mu);
  if (drop_idle && l->gen == R->gen) R->gen++;
  if (healthy && l->gen == R->gen && !R->down && R->nidle < R->cfg.pool_size) {
    R->idle[R->nidle++] = (pooled){l->ctx, l->gen};
    l->ctx = NULL;
  } else {
    R->open--;
  }
  if (broken_why != NULL) changed = mark_down_locked(R, broken_why);
  pthread_cond_signal(&R->cv);
  pthread_mutex_unlock(&R->mu);
  if (l->ctx != NULL) redisFree(l->ctx);
  l->ctx = NULL;
  if (changed) notify(R, false, broken_why);
}

/* Server-side states in which a command should be tried again later rather than reported
 * as an error of the command. */
static bool transient_error(const redisReply *r) {
  static const char *const words[] = {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN"};
  if (r->type != REDIS_REPLY_ERROR || r->str == NULL) return false;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strncmp(r->str, words[i], strlen(words[i])) == 0) return true;
  return false;
}

/* Runs one command and hands its reply to fn. */
static noc_cache_rc call(noc_redis *R, int argc, const char **argv, const size_t *lens,
                         noc_redis_reply_fn fn, void *arg, char *detail, size_t cap) {
  for (int attempt = 0; attempt < 2; attempt++) {
    lease l;
    noc_cache_rc rc = borrow(R, &l, detail, cap);
    if (rc != NOC_CACHE_OK) return rc;
    redisReply *reply = redisCommandArgv(l.ctx, argc, argv, lens);
    int saved_errno = errno;
    if (reply == NULL) {
      char why[NOC_CACHE_DETAIL_MAX];
      snprintf(why, sizeof why, "redis %s: %s", R->where,
               l.ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
                   ? "timed out"
                   : l.ctx->errstr);
      bool closed =
          l.ctx->err == REDIS_ERR_EOF ||
          (l.ctx->err == REDIS_ERR_IO && (saved_errno == ECONNRESET || saved_errno == EPIPE));
      bool retry = closed && l.reused && attempt == 0;
      give_back(R, &l, false, retry ? NULL : why, closed);
      if (retry) continue;
      set_detail(detail, cap, why);
      return NOC_CACHE_UNAVAILABLE;
    }
    bool readonly = reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
                    strstr(reply->str, "READONLY") != NULL;
    if (transient_error(reply) || readonly) {
      if (detail != NULL) snprintf(detail, cap, "redis %s: %.100s", R->where, reply->str);
      rc = NOC_CACHE_UNAVAILABLE;
    } else {
      rc = fn(reply, arg);
      if (rc != NOC_CACHE_OK && rc != NOC_CACHE_MISS && reply->type == REDIS_REPLY_ERROR &&
          detail != NULL)
        snprintf(detail, cap, "redis %s: %.100s", R->where, reply->str ? reply->str : "error");
    }
    freeReplyObject(reply);
    /* READONLY: the address now leads to a replica (a failover): reconnect, which finds the
     * new primary when the address follows it. */
    give_back(R, &l, !readonly, NULL, readonly);
    return rc;
  }
  return NOC_CACHE_UNAVAILABLE;
}

/* ---- keys ---- */

static bool full_key(const noc_redis *R, const char *key, char *out, size_t *len) {
  int n = snprintf(out, FULL_KEY_MAX, "%s%s", R->cfg.prefix, key);
  if (n < 0 || (size_t)n >= FULL_KEY_MAX) return false;
  *len = (size_t)n;
  return true;
}

/* ---- reply readers ---- */

typedef struct get_arg {
  void *out;
  size_t cap;
  size_t *len;
} get_arg;

static noc_cache_rc read_get(const redisReply *r, void *arg) {
  get_arg *g = arg;
  if (r->type == REDIS_REPLY_NIL) return NOC_CACHE_MISS;
  if (r->type != REDIS_REPLY_STRING) return NOC_CACHE_ERROR;
  *g->len = (size_t)r->len;
  if ((size_t)r->len > g->cap) return NOC_CACHE_TOO_LARGE;
  if (r->len > 0) memcpy(g->out, r->str, (size_t)r->len);
  return NOC_CACHE_OK;
}

static noc_cache_rc read_ok(const redisReply *r, void *arg) {
  (void)arg;
  return r->type == REDIS_REPLY_STATUS ? NOC_CACHE_OK : NOC_CACHE_ERROR;
}

static noc_cache_rc read_del(const redisReply *r, void *arg) {
  (void)arg;
  if (r->type != REDIS_REPLY_INTEGER) return NOC_CACHE_ERROR;
  return r->integer > 0 ? NOC_CACHE_OK : NOC_CACHE_MISS;
}

static noc_cache_rc read_int(const redisReply *r, void *arg) {
  if (r->type != REDIS_REPLY_INTEGER) return NOC_CACHE_ERROR;
  *(int64_t *)arg = (int64_t)r->integer;
  return NOC_CACHE_OK;
}

static noc_cache_rc read_pong(const redisReply *r, void *arg) {
  (void)arg;
  return r->type == REDIS_REPLY_STATUS && r->str && strcmp(r->str, "PONG") == 0 ? NOC_CACHE_OK
                                                                                : NOC_CACHE_ERROR;
}

/* ---- operations ---- */

static noc_cache_rc eval(noc_redis *R, noc_redis_script *s, int nkeys, const char *const *keys,
                         int nargs, const char *const *args, const size_t *lens,
                         noc_redis_reply_fn fn, void *arg, char *detail, size_t cap);

static noc_cache_rc rd_get(void *impl, const char *key, void *out, size_t cap, size_t *len) {
  noc_redis *R = impl;
  char k[FULL_KEY_MAX];
  size_t kn;
  if (!full_key(R, key, k, &kn)) return NOC_CACHE_ERROR;
  const char *argv[] = {"GET", k};
  size_t lens[] = {3, kn};
  get_arg g = {out, cap, len};
  return call(R, 2, argv, lens, read_get, &g, NULL, 0);
}

static noc_cache_rc rd_set(void *impl, const char *key, const void *val, size_t len,
                           int64_t ttl_ms) {
  noc_redis *R = impl;
  char k[FULL_KEY_MAX], ttl[24];
  size_t kn;
  if (!full_key(R, key, k, &kn)) return NOC_CACHE_ERROR;
  int tn = snprintf(ttl, sizeof ttl, "%" PRId64, ttl_ms);
  const char *argv[] = {"SET", k, len > 0 ? val : "", "PX", ttl};
  size_t lens[] = {3, kn, len, 2, (size_t)tn};
  return call(R, ttl_ms > 0 ? 5 : 3, argv, lens, read_ok, NULL, NULL, 0);
}

static noc_cache_rc rd_incr(void *impl, const char *key, int64_t delta, int64_t ttl_ms,
                            int64_t *out) {
  noc_redis *R = impl;
  char d[24], ttl[24];
  int dn = snprintf(d, sizeof d, "%" PRId64, delta);
  int tn = snprintf(ttl, sizeof ttl, "%" PRId64, ttl_ms);
  const char *args[] = {d, ttl};
  size_t lens[] = {(size_t)dn, (size_t)tn};
  return eval(R, &R->incr_script, 1, &key, 2, args, lens, read_int, out, NULL, 0);
}

static noc_cache_rc rd_del(void *impl, const char *key) {
  noc_redis *R = impl;
  char k[FULL_KEY_MAX];
  size_t kn;
  if (!full_key(R, key, k, &kn)) return NOC_CACHE_ERROR;
  const char *argv[] = {"DEL", k};
  size_t lens[] = {3, kn};
  return call(R, 2, argv, lens, read_del, NULL, NULL, 0);
}

static noc_cache_rc rd_ping(void *impl, char *detail, size_t cap) {
  noc_redis *R = impl;
  const char *argv[] = {"PING"};
  set_detail(detail, cap, "");
  noc_cache_rc rc = call(R, 1, argv, NULL, read_pong, NULL, detail, cap);
  if (rc == NOC_CACHE_OK)
    set_detail(detail, cap, "");
  else if (detail != NULL && cap > 0 && detail[0] == '\0')
    snprintf(detail, cap, "redis %s: unexpected answer to PING", R->where);
  return rc;
}

static void rd_destroy(void *impl) {
  noc_redis *R = impl;
  if (R == NULL) return;
  for (unsigned i = 0; i < R->nidle; i++)
    redisFree(R->idle[i].ctx);
  free(R->idle);
  noc_redis_script_destroy(&R->incr_script);
  pthread_cond_destroy(&R->cv);
  pthread_mutex_destroy(&R->mu);
  /* The password must not outlive the cache in freed memory. */
  sodium_memzero(&R->url, sizeof R->url);
  sodium_memzero(R->cfg.url, sizeof R->cfg.url);
  free(R);
}

static const struct noc_cache_ops redis_ops = {"redis", rd_get,  rd_set,    rd_incr,
                                               rd_del,  rd_ping, rd_destroy};

bool noc_cache_is_redis(const noc_cache *c) {
  return c != NULL && c->ops == &redis_ops;
}

/* ---- scripts ---- */

bool noc_redis_script_init(noc_redis_script *s, const char *source) {
  s->source = source;
  s->sha[0] = '\0';
  return pthread_mutex_init(&s->mu, NULL) == 0;
}

void noc_redis_script_destroy(noc_redis_script *s) {
  pthread_mutex_destroy(&s->mu);
}

static noc_cache_rc read_sha(const redisReply *r, void *arg) {
  if (r->type != REDIS_REPLY_STRING || r->len != 40) return NOC_CACHE_ERROR;
  memcpy(arg, r->str, 40);
  ((char *)arg)[40] = '\0';
  return NOC_CACHE_OK;
}

typedef struct eval_arg {
  noc_redis_reply_fn fn;
  void *arg;
  bool noscript;
} eval_arg;

static noc_cache_rc read_eval(const redisReply *r, void *arg) {
  eval_arg *e = arg;
  if (r->type == REDIS_REPLY_ERROR && r->str && strncmp(r->str, "NOSCRIPT", 8) == 0) {
    e->noscript = true;
    return NOC_CACHE_ERROR;
  }
  return e->fn(r, e->arg);
}

/* The script's SHA-1 into sha (41 bytes), loading it once. */
static noc_cache_rc script_sha(noc_redis *R, noc_redis_script *s, char *sha, char *detail,
                               size_t cap) {
  pthread_mutex_lock(&s->mu);
  memcpy(sha, s->sha, sizeof s->sha);
  pthread_mutex_unlock(&s->mu);
  if (sha[0]) return NOC_CACHE_OK;
  const char *argv[] = {"SCRIPT", "LOAD", s->source};
  noc_cache_rc rc = call(R, 3, argv, NULL, read_sha, sha, detail, cap);
  if (rc != NOC_CACHE_OK) return rc;
  pthread_mutex_lock(&s->mu);
  memcpy(s->sha, sha, sizeof s->sha);
  pthread_mutex_unlock(&s->mu);
  return NOC_CACHE_OK;
}

static noc_cache_rc eval(noc_redis *R, noc_redis_script *s, int nkeys, const char *const *keys,
                         int nargs, const char *const *args, const size_t *lens,
                         noc_redis_reply_fn fn, void *arg, char *detail, size_t cap) {
  char sha[41], nk[8], kbuf[NOC_REDIS_SCRIPT_KEYS_MAX][FULL_KEY_MAX];
  const char *argv[3 + NOC_REDIS_SCRIPT_KEYS_MAX + NOC_REDIS_SCRIPT_ARGS_MAX];
  size_t alen[3 + NOC_REDIS_SCRIPT_KEYS_MAX + NOC_REDIS_SCRIPT_ARGS_MAX];
  int argc = 3;
  for (int i = 0; i < nkeys; i++, argc++) {
    if (keys[i] == NULL || keys[i][0] == '\0' || strlen(keys[i]) > NOC_CACHE_KEY_MAX ||
        !full_key(R, keys[i], kbuf[i], &alen[argc]))
      return NOC_CACHE_ERROR;
    argv[argc] = kbuf[i];
  }
  for (int i = 0; i < nargs; i++, argc++) {
    argv[argc] = args[i];
    alen[argc] = lens[i];
  }
  noc_cache_rc rc = script_sha(R, s, sha, detail, cap);
  if (rc != NOC_CACHE_OK) return rc;
  alen[2] = (size_t)snprintf(nk, sizeof nk, "%d", nkeys);
  argv[2] = nk;
  eval_arg e = {fn, arg, false};
  argv[0] = "EVALSHA", alen[0] = 7, argv[1] = sha, alen[1] = 40;
  rc = call(R, argc, argv, alen, read_eval, &e, detail, cap);
  if (!e.noscript) return rc;
  /* Redis lost its script cache: EVAL runs the source and caches it again. */
  argv[0] = "EVAL", alen[0] = 4, argv[1] = s->source, alen[1] = strlen(s->source);
  e.noscript = false;
  return call(R, argc, argv, alen, read_eval, &e, detail, cap);
}

noc_cache_rc noc_redis_eval(noc_cache *c, noc_redis_script *s, int nkeys, const char *const *keys,
                            int nargs, const char *const *args, const size_t *lens,
                            noc_redis_reply_fn fn, void *arg, char *detail, size_t cap) {
  set_detail(detail, cap, "");
  if (!noc_cache_is_redis(c) || s == NULL || nkeys < 0 || nkeys > NOC_REDIS_SCRIPT_KEYS_MAX ||
      nargs < 0 || nargs > NOC_REDIS_SCRIPT_ARGS_MAX || (nkeys > 0 && keys == NULL) ||
      (nargs > 0 && (args == NULL || lens == NULL)) || fn == NULL)
    return NOC_CACHE_ERROR;
  return eval(c->impl, s, nkeys, keys, nargs, args, lens, fn, arg, detail, cap);
}

/* ---- construction ---- */

void noc_cache_redis_config_defaults(noc_cache_redis_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->pool_size = 8;
  cfg->connect_timeout_ms = 200;
  cfg->command_timeout_ms = 200;
  cfg->retry_interval_ms = 1000;
  snprintf(cfg->prefix, sizeof cfg->prefix, "nocturna:");
}

static noc_status check_config(const noc_cache_redis_config *cfg, noc_redis_url *url,
                               noc_error *err) {
  memset(url, 0, sizeof *url);
  if (cfg->pool_size < 1 || cfg->pool_size > NOC_CACHE_POOL_MAX)
    return noc_fail(err, NOC_ERR_VALIDATION, "pool_size", "must be 1..%d", NOC_CACHE_POOL_MAX);
  if (cfg->connect_timeout_ms < 1 || cfg->connect_timeout_ms > TIMEOUT_MAX_MS ||
      cfg->command_timeout_ms < 1 || cfg->command_timeout_ms > TIMEOUT_MAX_MS ||
      cfg->retry_interval_ms > TIMEOUT_MAX_MS)
    return noc_fail(err, NOC_ERR_VALIDATION, "timeout", "timeouts must be 1..%d ms",
                    TIMEOUT_MAX_MS);
  if (memchr(cfg->prefix, '\0', sizeof cfg->prefix) == NULL)
    return noc_fail(err, NOC_ERR_VALIDATION, "prefix", "is not terminated");
  return noc_cache_redis_parse_url(cfg->url, url, "NOCTURNA_REDIS_URL", err);
}

/* hiredis writes with write(2): a peer that went away would otherwise kill the process. */
static void ignore_sigpipe(void) {
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) != 0 || old.sa_handler != SIG_DFL) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}

static bool init_sync(noc_redis *R) {
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca) != 0) return false;
  bool ok =
      pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&R->cv, &ca) == 0;
  pthread_condattr_destroy(&ca);
  if (!ok) return false;
  if (pthread_mutex_init(&R->mu, NULL) != 0) {
    pthread_cond_destroy(&R->cv);
    return false;
  }
  if (!noc_redis_script_init(&R->incr_script, INCR_LUA)) {
    pthread_mutex_destroy(&R->mu);
    pthread_cond_destroy(&R->cv);
    return false;
  }
  return true;
}

static noc_redis *redis_create(const noc_cache_redis_config *cfg, const noc_redis_url *url) {
  noc_redis *R = calloc(1, sizeof *R);
  if (R == NULL) return NULL;
  R->idle = calloc(cfg->pool_size, sizeof *R->idle);
  if (R->idle == NULL || !init_sync(R)) {
    free(R->idle);
    free(R);
    return NULL;
  }
  R->cfg = *cfg;
  R->url = *url;
  if (url->unix_path[0])
    snprintf(R->where, sizeof R->where, "%s", url->unix_path);
  else
    snprintf(R->where, sizeof R->where, "%s%s%s:%d", strchr(url->host, ':') ? "[" : "", url->host,
             strchr(url->host, ':') ? "]" : "", url->port);
  return R;
}

noc_status noc_cache_redis_new(noc_cache **out, const noc_cache_redis_config *cfg, noc_error *err) {
  *out = NULL;
  noc_redis_url url;
  noc_status st = check_config(cfg, &url, err);
  if (st != NOC_OK) return st;
  ignore_sigpipe();
  noc_redis *R = redis_create(cfg, &url);
  sodium_memzero(&url, sizeof url);
  noc_cache *c = malloc(sizeof *c);
  if (R == NULL || c == NULL) {
    rd_destroy(R);
    free(c);
    return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  }
  c->ops = &redis_ops;
  c->impl = R;
  char detail[NOC_CACHE_DETAIL_MAX];
  bool up = rd_ping(R, detail, sizeof detail) == NOC_CACHE_OK;
  if (up) notify(R, true, ""); /* a failure has already been reported by mark_down */
  *out = c;
  return NOC_OK;
}
