/* Unit tests for src/cache: the in-process LRU (always), Redis URL parsing and redaction, and
 * - when NOCTURNA_TEST_REDIS_URL is set - the Redis cache and the shared rate limiter against a
 * real server: the same operations, the limiter's decisions equal to the local limiter's on
 * the same sequence, exact counts from 4 threads. When redis-server is installed, a private
 * server on a free loopback port is stopped, paused and restarted under the cache to check
 * that calls fail fast (< 1 s) and recover by themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/ratelimit_redis.h"
#include "http/identity_internal.h"
#include "http/ratelimit.h"

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void assert_value(noc_cache *c, const char *key, const char *want) {
  char buf[64];
  size_t n = 0;
  assert_int_equal(noc_cache_get(c, key, buf, sizeof buf, &n), NOC_CACHE_OK);
  assert_int_equal(n, strlen(want));
  assert_memory_equal(buf, want, n);
}

/* ---- behaviour both implementations share ---- */

static void check_basic_ops(noc_cache *c) {
  char buf[8];
  size_t n = 99;
  assert_int_equal(noc_cache_get(c, "absent", buf, sizeof buf, &n), NOC_CACHE_MISS);
  assert_int_equal(n, 0);
  assert_int_equal(noc_cache_set(c, "k", "hello", 5, 0), NOC_CACHE_OK);
  assert_value(c, "k", "hello");
  assert_int_equal(noc_cache_set(c, "k", "bye", 3, 0), NOC_CACHE_OK); /* overwrite */
  assert_value(c, "k", "bye");
  static const char bin[4] = {'a', '\0', 'b', '\n'};
  assert_int_equal(noc_cache_set(c, "bin", bin, sizeof bin, 0), NOC_CACHE_OK);
  assert_int_equal(noc_cache_get(c, "bin", buf, sizeof buf, &n), NOC_CACHE_OK);
  assert_int_equal(n, 4);
  assert_memory_equal(buf, bin, 4);
  assert_int_equal(noc_cache_set(c, "big", "0123456789", 10, 0), NOC_CACHE_OK);
  assert_int_equal(noc_cache_get(c, "big", buf, sizeof buf, &n), NOC_CACHE_TOO_LARGE);
  assert_int_equal(n, 10);
  assert_int_equal(noc_cache_set(c, "empty", "", 0, 0), NOC_CACHE_OK);
  assert_int_equal(noc_cache_get(c, "empty", buf, sizeof buf, &n), NOC_CACHE_OK);
  assert_int_equal(n, 0);
  assert_int_equal(noc_cache_del(c, "k"), NOC_CACHE_OK);
  assert_int_equal(noc_cache_del(c, "k"), NOC_CACHE_MISS);
  assert_int_equal(noc_cache_get(c, "k", buf, sizeof buf, &n), NOC_CACHE_MISS);
  assert_int_equal(noc_cache_set(c, "", "x", 1, 0), NOC_CACHE_ERROR); /* empty key */
  assert_int_equal(noc_cache_set(c, "neg", "x", 1, -1), NOC_CACHE_ERROR);
  char detail[NOC_CACHE_DETAIL_MAX];
  assert_int_equal(noc_cache_ping(c, detail, sizeof detail), NOC_CACHE_OK);
  assert_true(noc_cache_ready(c, detail, sizeof detail));
}

static void check_ttl(noc_cache *c) {
  char buf[8];
  size_t n;
  int64_t v = 0;
  assert_int_equal(noc_cache_set(c, "short", "x", 1, 80), NOC_CACHE_OK);
  assert_int_equal(noc_cache_set(c, "long", "y", 1, 60000), NOC_CACHE_OK);
  assert_int_equal(noc_cache_incr(c, "ctr", 1, 150, &v), NOC_CACHE_OK);
  assert_int_equal(v, 1);
  assert_int_equal(noc_cache_get(c, "short", buf, sizeof buf, &n), NOC_CACHE_OK);
  sleep_ms(60);
  /* A later increment keeps the expiry set when the counter was created. */
  assert_int_equal(noc_cache_incr(c, "ctr", 1, 60000, &v), NOC_CACHE_OK);
  assert_int_equal(v, 2);
  sleep_ms(140); /* 200 ms since the start: short and ctr have expired */
  assert_int_equal(noc_cache_get(c, "short", buf, sizeof buf, &n), NOC_CACHE_MISS);
  assert_int_equal(noc_cache_get(c, "ctr", buf, sizeof buf, &n), NOC_CACHE_MISS);
  assert_value(c, "long", "y");
  assert_int_equal(noc_cache_incr(c, "ctr", 5, 0, &v), NOC_CACHE_OK); /* a new window */
  assert_int_equal(v, 5);
}

static void check_incr(noc_cache *c) {
  int64_t v = -1;
  assert_int_equal(noc_cache_incr(c, "n", 40, 0, &v), NOC_CACHE_OK);
  assert_int_equal(v, 40);
  assert_int_equal(noc_cache_incr(c, "n", 2, 0, &v), NOC_CACHE_OK);
  assert_int_equal(v, 42);
  assert_value(c, "n", "42"); /* counters are decimal text in both implementations */
  assert_int_equal(noc_cache_incr(c, "n", -50, 0, &v), NOC_CACHE_OK);
  assert_int_equal(v, -8);
  assert_int_equal(noc_cache_set(c, "s", "abc", 3, 0), NOC_CACHE_OK);
  assert_int_equal(noc_cache_incr(c, "s", 1, 0, &v), NOC_CACHE_ERROR);
  assert_value(c, "s", "abc"); /* unchanged */
  assert_int_equal(noc_cache_set(c, "t", "17", 2, 0), NOC_CACHE_OK);
  assert_int_equal(noc_cache_incr(c, "t", 1, 0, &v), NOC_CACHE_OK);
  assert_int_equal(v, 18);
}

typedef struct incr_job {
  noc_cache *c;
  noc_ratelimiter *rl;
  int n;
  int allowed;
  int errors;
} incr_job;

static void *incr_worker(void *arg) {
  incr_job *j = arg;
  for (int i = 0; i < j->n; i++) {
    int64_t v;
    if (noc_cache_incr(j->c, "shared", 1, 0, &v) != NOC_CACHE_OK) j->errors++;
  }
  return NULL;
}

static void check_concurrent_incr(noc_cache *c, int per_thread) {
  pthread_t th[4];
  incr_job jobs[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (incr_job){.c = c, .n = per_thread};
    assert_int_equal(pthread_create(&th[i], NULL, incr_worker, &jobs[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(jobs[i].errors, 0);
  }
  int64_t v = 0;
  assert_int_equal(noc_cache_incr(c, "shared", 0, 0, &v), NOC_CACHE_OK);
  assert_int_equal(v, 4 * per_thread);
}

/* ---- in-process ---- */

static void test_local_ops(void **state) {
  (void)state;
  noc_cache *c = noc_cache_local_new(1000);
  assert_non_null(c);
  assert_string_equal(noc_cache_kind(c), "memory");
  check_basic_ops(c);
  check_incr(c);
  check_ttl(c);
  check_concurrent_incr(c, 5000);
  noc_cache_free(c);
  assert_null(noc_cache_local_new(0));
  assert_null(noc_cache_local_new((size_t)1 << 25));
}

static void test_local_lru_bound(void **state) {
  (void)state;
  noc_cache *c = noc_cache_local_new(100); /* below 512 keys: one shard, exact LRU */
  assert_non_null(c);
  char key[32], buf[32];
  size_t n;
  assert_int_equal(noc_cache_set(c, "keep", "1", 1, 0), NOC_CACHE_OK);
  for (int i = 0; i < 1000; i++) {
    snprintf(key, sizeof key, "k%d", i);
    assert_int_equal(noc_cache_set(c, key, key, strlen(key), 0), NOC_CACHE_OK);
    assert_int_equal(noc_cache_get(c, "keep", buf, sizeof buf, &n), NOC_CACHE_OK); /* touched */
    assert_true(noc_cache_local_count(c) <= 100);
  }
  assert_int_equal(noc_cache_local_count(c), 100);
  assert_int_equal(noc_cache_get(c, "k0", buf, sizeof buf, &n), NOC_CACHE_MISS); /* evicted */
  assert_int_equal(noc_cache_get(c, "k999", buf, sizeof buf, &n), NOC_CACHE_OK);
  assert_int_equal(noc_cache_get(c, "k901", buf, sizeof buf, &n), NOC_CACHE_OK);
  assert_int_equal(noc_cache_get(c, "k900", buf, sizeof buf, &n), NOC_CACHE_MISS);
  noc_cache_free(c);

  c = noc_cache_local_new(20000); /* sharded: the bound holds for the total */
  assert_non_null(c);
  for (int i = 0; i < 50000; i++) {
    snprintf(key, sizeof key, "p%d", i);
    assert_int_equal(noc_cache_set(c, key, "v", 1, 0), NOC_CACHE_OK);
  }
  assert_true(noc_cache_local_count(c) <= 20000);
  assert_true(noc_cache_local_count(c) >= 19000);
  noc_cache_free(c);
}

/* ---- URLs ---- */

static void test_url_parse(void **state) {
  (void)state;
  noc_redis_url u;
  noc_error err;
  assert_int_equal(noc_cache_redis_parse_url("redis://127.0.0.1:6380/2", &u, "F", &err), NOC_OK);
  assert_string_equal(u.host, "127.0.0.1");
  assert_int_equal(u.port, 6380);
  assert_int_equal(u.db, 2);
  assert_string_equal(u.password, "");
  assert_int_equal(noc_cache_redis_parse_url("redis://cache", &u, "F", &err), NOC_OK);
  assert_string_equal(u.host, "cache");
  assert_int_equal(u.port, 6379);
  assert_int_equal(u.db, 0);
  assert_int_equal(noc_cache_redis_parse_url("redis://:p%40ss/w@h:1/", &u, "F", &err), NOC_OK);
  assert_string_equal(u.user, "");
  assert_string_equal(u.password, "p@ss/w");
  assert_string_equal(u.host, "h");
  assert_int_equal(u.port, 1);
  assert_int_equal(noc_cache_redis_parse_url("redis://app:s3cret@[::1]:7000/15", &u, "F", &err),
                   NOC_OK);
  assert_string_equal(u.user, "app");
  assert_string_equal(u.password, "s3cret");
  assert_string_equal(u.host, "::1");
  assert_int_equal(u.port, 7000);
  assert_int_equal(u.db, 15);
  assert_int_equal(
      noc_cache_redis_parse_url("unix:///run/redis.sock?db=3&password=x%20y", &u, "F", &err),
      NOC_OK);
  assert_string_equal(u.unix_path, "/run/redis.sock");
  assert_int_equal(u.db, 3);
  assert_string_equal(u.password, "x y");
  static const char *const bad[] = {
      "",
      "http://h",
      "rediss://h",
      "redis://",
      "redis://h:0",
      "redis://h:65536",
      "redis://h:x",
      "redis://h/abc",
      "redis://h/1?timeout=3",
      "redis://secret@h", /* a lone word: user or password? refused */
      "redis://:%zz@h",   /* bad escape */
      "redis://:a%00b@h", /* NUL */
      "redis://user:@h",  /* user without password */
      "redis://[::1:6379",
      "unix://relative.sock",
      "unix:///s?foo=1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    noc_error_clear(&err);
    assert_int_equal(noc_cache_redis_parse_url(bad[i], &u, "NOCTURNA_REDIS_URL", &err),
                     NOC_ERR_VALIDATION);
    assert_string_equal(err.field, "NOCTURNA_REDIS_URL");
    assert_string_equal(u.password, ""); /* nothing half-parsed left behind */
  }
  assert_int_equal(noc_cache_redis_parse_url("rediss://h", &u, "F", &err), NOC_ERR_VALIDATION);
  assert_non_null(strstr(err.message, "TLS"));
}

static void test_url_redact(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
      {"redis://:topsecret@h:1/2", "redis://:***@h:1/2"},
      {"redis://app:topsecret@h", "redis://app:***@h"},
      {"redis://:top@sec/ret@h", "redis://:***@h"},
      {"redis://lonely@h", "redis://***@h"},
      {"unix:///s.sock?db=1&password=topsecret", "unix:///s.sock?db=1&password=***"},
      {"unix:///s.sock?password=topsecret&db=1", "unix:///s.sock?password=***&db=1"},
      {"", ""},
  };
  char out[NOC_CACHE_URL_MAX];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    noc_cache_redact_url(cases[i][0], out, sizeof out);
    assert_string_equal(out, cases[i][1]);
    assert_null(strstr(out, "secret"));
  }
}

static void test_redis_bad_config(void **state) {
  (void)state;
  noc_cache_redis_config cfg;
  noc_cache_redis_config_defaults(&cfg);
  noc_cache *c = NULL;
  noc_error err;
  snprintf(cfg.url, sizeof cfg.url, "redis://:pw@h:99999");
  assert_int_equal(noc_cache_redis_new(&c, &cfg, &err), NOC_ERR_VALIDATION);
  assert_null(c);
  assert_null(strstr(err.message, "pw"));
  snprintf(cfg.url, sizeof cfg.url, "redis://127.0.0.1:1");
  cfg.pool_size = 0;
  assert_int_equal(noc_cache_redis_new(&c, &cfg, &err), NOC_ERR_VALIDATION);
  /* The limiter needs a Redis cache. */
  noc_cache *local = noc_cache_local_new(10);
  assert_null(noc_ratelimit_redis_new(local, 10, 5, NOC_RL_CALLER_CLOCK));
  assert_null(noc_ratelimit_redis_new(NULL, 10, 5, NOC_RL_CALLER_CLOCK));
  noc_cache_free(local);
}

/* ---- Redis ---- */

typedef struct state_log {
  pthread_mutex_t mu;
  int ups, downs;
  char last[NOC_CACHE_DETAIL_MAX];
} state_log;

static void on_state(void *cls, bool up, const char *detail) {
  state_log *s = cls;
  pthread_mutex_lock(&s->mu);
  if (up)
    s->ups++;
  else
    s->downs++;
  snprintf(s->last, sizeof s->last, "%s", detail);
  pthread_mutex_unlock(&s->mu);
}

static noc_cache *redis_open(const char *url, state_log *log) {
  noc_cache_redis_config cfg;
  noc_cache_redis_config_defaults(&cfg);
  snprintf(cfg.url, sizeof cfg.url, "%s", url);
  /* A prefix of our own: runs sharing one server never see each other's keys. */
  snprintf(cfg.prefix, sizeof cfg.prefix, "test_cache:%ld:%ld:", (long)getpid(), (long)now_ms());
  cfg.pool_size = 4;
  if (log != NULL) {
    cfg.on_state = on_state;
    cfg.state_cls = log;
  }
  noc_cache *c = NULL;
  noc_error err;
  assert_int_equal(noc_cache_redis_new(&c, &cfg, &err), NOC_OK);
  assert_non_null(c);
  return c;
}

static const char *test_redis_url(void) {
  const char *u = getenv("NOCTURNA_TEST_REDIS_URL");
  return u != NULL && u[0] ? u : NULL;
}

static void test_redis_ops(void **state) {
  (void)state;
  const char *url = test_redis_url();
  if (url == NULL) skip();
  noc_cache *c = redis_open(url, NULL);
  assert_string_equal(noc_cache_kind(c), "redis");
  check_basic_ops(c);
  check_incr(c);
  check_ttl(c);
  check_concurrent_incr(c, 300);
  noc_cache_free(c);
}

static bool same_decision(const noc_ratelimit_decision *a, const noc_ratelimit_decision *b) {
  return a->allowed == b->allowed && a->limit == b->limit && a->remaining == b->remaining &&
         a->reset_s == b->reset_s && a->retry_after_s == b->retry_after_s;
}

/* One sequence of takes with injected times on both limiters; every decision must be equal. */
static void replay(noc_cache *c, double rate, int64_t burst, uint32_t seed, int steps,
                   int64_t max_step_ms) {
  noc_ratelimiter *local = noc_ratelimit_local_new(rate, burst, 100);
  noc_ratelimiter *shared = noc_ratelimit_redis_new(c, rate, burst, NOC_RL_CALLER_CLOCK);
  assert_non_null(local);
  assert_non_null(shared);
  int64_t t = 1000000;
  uint32_t x = seed;
  int allowed = 0, denied = 0;
  for (int i = 0; i < steps; i++) {
    x = x * 1664525u + 1013904223u;
    int64_t step = (int64_t)(x >> 8) % (max_step_ms + 1);
    t += (x & 3u) == 0 ? 0 : step; /* a quarter of the takes come at the same instant */
    char who[32]; /* per replay: the buckets of earlier replays are still in Redis */
    snprintf(who, sizeof who, "%s-%u", (x & 0x30u) == 0 ? "bob" : "alice", seed);
    noc_ratelimit_decision a, b;
    assert_true(noc_ratelimit_take(local, who, t, &a));
    assert_true(noc_ratelimit_take(shared, who, t, &b));
    if (!same_decision(&a, &b))
      fail_msg(
          "rate %g burst %lld step %d t %lld: local %d/%lld/%lld/%lld, redis %d/%lld/%lld/%lld",
          rate, (long long)burst, i, (long long)t, a.allowed, (long long)a.remaining,
          (long long)a.reset_s, (long long)a.retry_after_s, b.allowed, (long long)b.remaining,
          (long long)b.reset_s, (long long)b.retry_after_s);
    if (a.allowed)
      allowed++;
    else
      denied++;
  }
  if (allowed == 0 || denied == 0)
    fail_msg("seed %u: %d allowed, %d denied", seed, allowed, denied);
  noc_ratelimit_free(local);
  noc_ratelimit_free(shared);
}

static void test_redis_limiter_matches_local(void **state) {
  (void)state;
  const char *url = test_redis_url();
  if (url == NULL) skip();
  noc_cache *c = redis_open(url, NULL);
  replay(c, 10.0, 5, 1, 400, 150);
  replay(c, 1.0 / 60.0, 3, 2, 200, 40000);
  replay(c, 3.0, 1, 3, 300, 700);
  replay(c, 1000.0, 10, 4, 400, 1);
  replay(c, 7.0, 4, 5, 400, 250);
  /* The same answers as the local limiter's unit test, through Redis. */
  noc_ratelimiter *rl = noc_ratelimit_redis_new(c, 1.0 / 60.0, 3, NOC_RL_CALLER_CLOCK);
  noc_ratelimit_decision d;
  for (int i = 0; i < 3; i++)
    assert_true(noc_ratelimit_take(rl, "carol", 1000000, &d) && d.allowed);
  assert_true(noc_ratelimit_take(rl, "carol", 1000000, &d));
  assert_false(d.allowed);
  assert_int_equal(d.retry_after_s, 60);
  assert_int_equal(d.reset_s, 180);
  assert_int_equal(d.limit, 3);
  char longname[300];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_true(noc_ratelimit_take(rl, longname, 1000000, &d) && d.allowed); /* digest key */
  assert_int_equal(d.remaining, 2);
  assert_false(noc_ratelimit_take(rl, "carol", -1, &d)); /* caller clock out of range */
  noc_ratelimit_free(rl);
  noc_cache_free(c);
}

static void *limit_worker(void *arg) {
  incr_job *j = arg;
  for (int i = 0; i < j->n; i++) {
    noc_ratelimit_decision d;
    if (!noc_ratelimit_take(j->rl, "token:shared", 0, &d))
      j->errors++;
    else if (d.allowed)
      j->allowed++;
  }
  return NULL;
}

static void test_redis_limiter_shared_budget(void **state) {
  (void)state;
  const char *url = test_redis_url();
  if (url == NULL) skip();
  noc_cache *c = redis_open(url, NULL);
  /* Redis' clock, one refill an hour: exactly burst takes succeed among 4 threads, each
   * through its own limiter object as separate instances would. */
  noc_ratelimiter *rls[4];
  pthread_t th[4];
  incr_job jobs[4];
  for (int i = 0; i < 4; i++) {
    rls[i] = noc_ratelimit_redis_new(c, 1.0 / 3600.0, 100, NOC_RL_REDIS_CLOCK);
    assert_non_null(rls[i]);
    jobs[i] = (incr_job){.rl = rls[i], .n = 60};
    assert_int_equal(pthread_create(&th[i], NULL, limit_worker, &jobs[i]), 0);
  }
  int allowed = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(jobs[i].errors, 0);
    allowed += jobs[i].allowed;
    noc_ratelimit_free(rls[i]);
  }
  assert_int_equal(allowed, 100);
  /* Redis' clock refills: 20/s, burst 2 -> two now, the third after ~50 ms. */
  noc_ratelimiter *rl = noc_ratelimit_redis_new(c, 20.0, 2, NOC_RL_REDIS_CLOCK);
  noc_ratelimit_decision d;
  assert_true(noc_ratelimit_take(rl, "fast", 0, &d) && d.allowed && d.remaining == 1);
  assert_true(noc_ratelimit_take(rl, "fast", 0, &d) && d.allowed && d.remaining == 0);
  assert_true(noc_ratelimit_take(rl, "fast", 0, &d) && !d.allowed && d.retry_after_s == 1);
  sleep_ms(120);
  assert_true(noc_ratelimit_take(rl, "fast", 0, &d) && d.allowed);
  noc_ratelimit_free(rl);
  /* Unlimited never asks Redis. */
  rl = noc_ratelimit_redis_new(c, 0, 0, NOC_RL_REDIS_CLOCK);
  assert_true(noc_ratelimit_take(rl, "any", 0, &d) && d.allowed && d.limit == 0);
  noc_ratelimit_free(rl);
  noc_cache_free(c);
}

/* ---- a private redis-server: stop, pause, restart ---- */

typedef struct redis_proc {
  pid_t pid;
  int port;
} redis_proc;

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

static bool redis_answers(int port) {
  struct timeval tv = {0, 200000};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
  bool ok = false;
  if (c != NULL && !c->err) {
    redisReply *r = redisCommand(c, "PING");
    ok = r != NULL && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

static bool redis_start(redis_proc *p) {
  char port[16];
  snprintf(port, sizeof port, "%d", p->port);
  p->pid = fork();
  if (p->pid < 0) return false;
  if (p->pid == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "",
           "--appendonly", "no", "--dir", "/tmp", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 100; i++) { /* up to ~5 s */
    if (redis_answers(p->port)) return true;
    sleep_ms(50);
  }
  return false;
}

static void redis_stop(redis_proc *p) {
  if (p->pid <= 0) return;
  kill(p->pid, SIGCONT);
  kill(p->pid, SIGKILL);
  waitpid(p->pid, NULL, 0);
  p->pid = 0;
}

/* One command on a direct connection (the test's own, not the cache's). */
static bool redis_admin(int port, const char *cmd) {
  struct timeval tv = {1, 0};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
  bool ok = false;
  if (c != NULL && !c->err) {
    redisReply *r = redisCommand(c, cmd);
    ok = r != NULL && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

static bool have_redis_server(void) {
  return system("command -v redis-server >/dev/null 2>&1") == 0;
}

/* Calls until one succeeds (at most 5 s); returns the ms it took. */
static int64_t wait_recovered(noc_cache *c) {
  int64_t t0 = now_ms();
  while (now_ms() - t0 < 5000) {
    int64_t v;
    if (noc_cache_incr(c, "alive", 1, 0, &v) == NOC_CACHE_OK) return now_ms() - t0;
    sleep_ms(20);
  }
  fail_msg("the cache did not recover within 5 s");
  return -1;
}

/* n calls while Redis is unusable: all UNAVAILABLE, all quick. Returns the slowest in ms. */
static int64_t calls_fail_fast(noc_cache *c, noc_ratelimiter *rl, int n) {
  int64_t worst = 0;
  for (int i = 0; i < n; i++) {
    int64_t t0 = now_ms(), v;
    assert_int_equal(noc_cache_incr(c, "alive", 1, 0, &v), NOC_CACHE_UNAVAILABLE);
    noc_ratelimit_decision d;
    assert_false(noc_ratelimit_take(rl, "p", 0, &d));
    assert_false(d.allowed);
    char detail[NOC_CACHE_DETAIL_MAX];
    assert_false(noc_cache_ready(c, detail, sizeof detail));
    assert_true(strstr(detail, "redis 127.0.0.1:") == detail);
    int64_t dt = now_ms() - t0;
    if (dt > worst) worst = dt;
  }
  return worst;
}

static void test_redis_outage(void **state) {
  (void)state;
  if (!have_redis_server()) skip();
  redis_proc p = {.port = free_port()};
  assert_true(redis_start(&p));
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", p.port);
  state_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
  noc_cache *c = redis_open(url, &log);
  noc_ratelimiter *rl = noc_ratelimit_redis_new(c, 100, 100, NOC_RL_REDIS_CLOCK);
  noc_ratelimit_decision d;
  assert_true(noc_ratelimit_take(rl, "p", 0, &d) && d.allowed);
  assert_int_equal(log.ups, 1);

  /* 1. Killed: the first call notices, the rest fail without a system call. */
  redis_stop(&p);
  int64_t t0 = now_ms();
  int64_t worst = calls_fail_fast(c, rl, 50);
  assert_true(worst < 1000);
  assert_true(now_ms() - t0 < 1000);
  assert_int_equal(log.downs, 1);
  assert_non_null(strstr(log.last, "127.0.0.1"));

  /* 2. Back on the same port: the cache reconnects within about the retry interval. */
  assert_true(redis_start(&p));
  int64_t took = wait_recovered(c);
  assert_true(took <= 2500);
  assert_true(noc_ratelimit_take(rl, "p", 0, &d) && d.allowed);
  assert_int_equal(log.ups, 2);

  /* 2b. Restarted between two calls: the pooled connections are found closed and replaced
   * within the call; nothing is reported down. */
  check_concurrent_incr(c, 50); /* several connections in the pool */
  redis_stop(&p);
  assert_true(redis_start(&p));
  int64_t v = 0;
  assert_int_equal(noc_cache_incr(c, "alive", 1, 0, &v), NOC_CACHE_OK);
  assert_int_equal(v, 1); /* a fresh server */
  assert_true(noc_ratelimit_take(rl, "p", 0, &d) && d.allowed);
  assert_int_equal(log.downs, 1);

  /* 3. Paused (accepts connections, never answers): one call waits for the command timeout,
   * then everything fails fast until it answers again. */
  kill(p.pid, SIGSTOP);
  t0 = now_ms();
  worst = calls_fail_fast(c, rl, 30);
  assert_true(worst < 1000);
  assert_true(now_ms() - t0 < 1500);
  assert_int_equal(log.downs, 2);
  kill(p.pid, SIGCONT);
  took = wait_recovered(c);
  assert_true(took <= 2500);
  assert_int_equal(log.ups, 3);

  noc_ratelimit_free(rl);
  noc_cache_free(c);
  redis_stop(&p);

  /* 4. Nothing listening at start: the cache is made anyway, down, and says why. */
  c = redis_open(url, NULL);
  char detail[NOC_CACHE_DETAIL_MAX];
  t0 = now_ms();
  assert_int_equal(noc_cache_ping(c, detail, sizeof detail), NOC_CACHE_UNAVAILABLE);
  assert_true(now_ms() - t0 < 500);
  assert_non_null(strstr(detail, "refused"));
  noc_cache_free(c);
}

/* ---- failed-login throttling shared through a cache ---- */

static noc_throttle *shared_throttle(noc_cache *c) {
  noc_throttle *t = noc_throttle_new(900);
  assert_non_null(t);
  noc_identity id;
  memset(&id, 0, sizeof id);
  id.throttle = t;
  noc_identity_share_throttle(&id, c);
  return t;
}

static void test_login_throttle_shared(void **state) {
  (void)state;
  const int64_t T = INT64_C(1700000000000); /* wall clock, ms */
  noc_cache *c = noc_cache_local_new(100);
  noc_throttle *a = shared_throttle(c), *b = shared_throttle(c); /* two instances */
  int wait = -1;
  noc_throttle_failure(a, "a:alice", T);
  noc_throttle_failure(b, "a:alice", T + 10);
  assert_false(noc_throttle_allow(a, "a:alice", 2, T + 20, &wait)); /* 2 failures, seen by a */
  assert_int_equal(wait, 1);
  assert_true(noc_throttle_allow(a, "a:bob", 2, T + 20, &wait));
  assert_true(noc_throttle_allow(b, "a:alice", 2, T + 1010, &wait)); /* 1 s after the last */
  noc_throttle_failure(a, "a:alice", T + 1010);
  assert_false(noc_throttle_allow(b, "a:alice", 2, T + 1020, &wait));
  assert_int_equal(wait, 2);        /* the third failure doubles the wait */
  noc_throttle_reset(b, "a:alice"); /* a successful login on b clears the shared count */
  assert_int_equal(noc_cache_local_count(c), 0);
  noc_throttle_free(a);
  noc_throttle_free(b);
  noc_cache_free(c);

  /* A cache that cannot be reached: the in-memory counts still throttle. */
  noc_cache_redis_config cfg;
  noc_cache_redis_config_defaults(&cfg);
  snprintf(cfg.url, sizeof cfg.url, "redis://127.0.0.1:%d", free_port());
  noc_error err;
  assert_int_equal(noc_cache_redis_new(&c, &cfg, &err), NOC_OK);
  a = shared_throttle(c);
  noc_throttle_failure(a, "a:carol", T);
  noc_throttle_failure(a, "a:carol", T + 1);
  assert_false(noc_throttle_allow(a, "a:carol", 2, T + 2, &wait));
  assert_int_equal(wait, 1);
  noc_throttle_free(a);
  noc_cache_free(c);
}

/* A failover seen from the cache: its address leads to a replica (writes answer READONLY),
 * then the replica is promoted. Writes are unavailable meanwhile, reads work, and writes work
 * again right after the promotion without any down period. */
static void test_redis_readonly_failover(void **state) {
  (void)state;
  if (!have_redis_server()) skip();
  redis_proc p = {.port = free_port()};
  assert_true(redis_start(&p));
  char url[64], cmd[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", p.port);
  state_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
  noc_cache *c = redis_open(url, &log);
  int64_t v = 0;
  assert_int_equal(noc_cache_incr(c, "w", 1, 0, &v), NOC_CACHE_OK);
  snprintf(cmd, sizeof cmd, "REPLICAOF 127.0.0.1 %d", free_port()); /* a primary that is gone */
  assert_true(redis_admin(p.port, cmd));
  assert_int_equal(noc_cache_incr(c, "w", 1, 0, &v), NOC_CACHE_UNAVAILABLE);
  char buf[8];
  size_t n;
  assert_int_equal(noc_cache_get(c, "w", buf, sizeof buf, &n), NOC_CACHE_OK); /* stale reads */
  assert_true(redis_admin(p.port, "REPLICAOF NO ONE"));
  assert_int_equal(noc_cache_incr(c, "w", 1, 0, &v), NOC_CACHE_OK);
  assert_int_equal(v, 2);
  assert_int_equal(log.downs, 0);
  noc_cache_free(c);
  redis_stop(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_local_ops),
      cmocka_unit_test(test_local_lru_bound),
      cmocka_unit_test(test_url_parse),
      cmocka_unit_test(test_url_redact),
      cmocka_unit_test(test_redis_bad_config),
      cmocka_unit_test(test_redis_ops),
      cmocka_unit_test(test_redis_limiter_matches_local),
      cmocka_unit_test(test_redis_limiter_shared_budget),
      cmocka_unit_test(test_redis_outage),
      cmocka_unit_test(test_redis_readonly_failover),
      cmocka_unit_test(test_login_throttle_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
