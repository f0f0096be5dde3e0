/* Unit tests for src/http/ratelimit.c: bucket arithmetic with injected time, independent
 * principals, bounded memory under many principals, and exact counts under 4 threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/ratelimit.h"

#define T0 INT64_C(1000000) /* an arbitrary monotonic start, in ms */

static noc_ratelimit_decision take(noc_ratelimiter *rl, const char *who, int64_t now_ms) {
  noc_ratelimit_decision d;
  assert_true(noc_ratelimit_take(rl, who, now_ms, &d));
  return d;
}

static int count_allowed(noc_ratelimiter *rl, const char *who, int64_t now_ms, int tries) {
  int n = 0;
  for (int i = 0; i < tries; i++)
    n += take(rl, who, now_ms).allowed ? 1 : 0;
  return n;
}

static void test_burst_then_deny(void **state) {
  (void)state;
  noc_ratelimiter *rl = noc_ratelimit_local_new(10.0, 5, 100); /* 10/s, burst 5 */
  assert_non_null(rl);
  for (int i = 0; i < 5; i++) {
    noc_ratelimit_decision d = take(rl, "alice", T0);
    assert_true(d.allowed);
    assert_int_equal(d.limit, 5);
    assert_int_equal(d.remaining, 4 - i);
    assert_int_equal(d.reset_s, 1); /* (i+1) * 100 ms of refill, rounded up */
    assert_int_equal(d.retry_after_s, 0);
  }
  noc_ratelimit_decision d = take(rl, "alice", T0);
  assert_false(d.allowed);
  assert_int_equal(d.limit, 5);
  assert_int_equal(d.remaining, 0);
  assert_int_equal(d.retry_after_s, 1); /* 100 ms, rounded up to a whole second */
  assert_int_equal(d.reset_s, 1);
  assert_int_equal(count_allowed(rl, "alice", T0, 100), 0); /* denials take nothing */
  noc_ratelimit_free(rl);
}

static void test_slow_rate_retry_after(void **state) {
  (void)state;
  noc_ratelimiter *rl = noc_ratelimit_local_new(1.0 / 60.0, 3, 10); /* 1 per minute, burst 3 */
  assert_non_null(rl);
  assert_int_equal(count_allowed(rl, "bob", T0, 3), 3);
  noc_ratelimit_decision d = take(rl, "bob", T0);
  assert_false(d.allowed);
  assert_int_equal(d.retry_after_s, 60);
  assert_int_equal(d.reset_s, 180);
  d = take(rl, "bob", T0 + 59500);
  assert_false(d.allowed);
  assert_int_equal(d.retry_after_s, 1); /* 500 ms left rounds up to 1 */
  d = take(rl, "bob", T0 + 60000);
  assert_true(d.allowed);
  assert_int_equal(d.remaining, 0);
  assert_int_equal(d.reset_s, 180);
  noc_ratelimit_free(rl);
}

static void test_refill_over_time(void **state) {
  (void)state;
  noc_ratelimiter *rl = noc_ratelimit_local_new(10.0, 5, 100);
  assert_non_null(rl);
  assert_int_equal(count_allowed(rl, "alice", T0, 10), 5);
  assert_int_equal(count_allowed(rl, "alice", T0 + 99, 10), 0);  /* not a whole token yet */
  assert_int_equal(count_allowed(rl, "alice", T0 + 100, 10), 1); /* exactly one */
  assert_int_equal(count_allowed(rl, "alice", T0 + 400, 10), 3); /* 300 ms: three */
  noc_ratelimit_decision d = take(rl, "alice", T0 + 400 + 250);  /* 2.5 tokens accrued */
  assert_true(d.allowed);
  assert_int_equal(d.remaining, 1);
  /* a long pause refills to burst, never beyond */
  assert_int_equal(count_allowed(rl, "alice", T0 + 3600 * 1000, 100), 5);
  /* steady traffic at the rate is always allowed */
  int64_t t = T0 + 7200 * 1000;
  assert_int_equal(count_allowed(rl, "alice", t, 5), 5);
  for (int i = 1; i <= 50; i++)
    assert_true(take(rl, "alice", t + i * 100).allowed);
  assert_false(take(rl, "alice", t + 50 * 100).allowed);
  noc_ratelimit_free(rl);
}

static void test_independent_principals(void **state) {
  (void)state;
  noc_ratelimiter *rl = noc_ratelimit_local_new(1.0, 2, 100);
  assert_non_null(rl);
  assert_int_equal(count_allowed(rl, "alice", T0, 5), 2);
  assert_int_equal(count_allowed(rl, "bob", T0, 5), 2);
  assert_int_equal(count_allowed(rl, "", T0, 5), 2); /* the empty principal is a principal */
  assert_int_equal(count_allowed(rl, "alice", T0, 5), 0);
  /* long principals that differ only after the stored prefix stay distinct */
  char a[400], b[400];
  memset(a, 'p', sizeof a - 1);
  a[sizeof a - 1] = '\0';
  memcpy(b, a, sizeof b);
  b[sizeof b - 2] = 'q';
  assert_int_equal(count_allowed(rl, a, T0, 5), 2);
  assert_int_equal(count_allowed(rl, b, T0, 5), 2);
  assert_int_equal(count_allowed(rl, a, T0, 5), 0);
  assert_int_equal(noc_ratelimit_local_count(rl), 5);
  noc_ratelimit_free(rl);
}

static void test_eviction_is_bounded_and_lru(void **state) {
  (void)state;
  enum { MAXP = 64 };
  noc_ratelimiter *rl = noc_ratelimit_local_new(1.0, 3, MAXP);
  assert_non_null(rl);
  char name[32];
  assert_int_equal(count_allowed(rl, "victim", T0, 3), 3);
  for (int i = 0; i < 20000; i++) {
    snprintf(name, sizeof name, "p%d", i);
    assert_true(take(rl, name, T0).allowed);
    assert_true(noc_ratelimit_local_count(rl) <= MAXP);
  }
  assert_int_equal(noc_ratelimit_local_count(rl), MAXP);
  /* the victim was forgotten: a fresh full bucket */
  assert_int_equal(count_allowed(rl, "victim", T0, 10), 3);
  /* the most recent principals are still tracked (their single token is spent... of 3) */
  snprintf(name, sizeof name, "p%d", 19999);
  assert_int_equal(count_allowed(rl, name, T0, 10), 2);
  /* least recently USED goes first: 'keep' becomes the oldest entry, is touched, then
   * survives MAXP-1 newcomers and is evicted by the next one */
  assert_int_equal(count_allowed(rl, "keep", T0, 3), 3);
  for (int i = 0; i < MAXP - 1; i++) {
    snprintf(name, sizeof name, "n%d", i);
    take(rl, name, T0);
  }
  assert_false(take(rl, "keep", T0).allowed); /* tracked, exhausted; now most recent */
  for (int i = 0; i < MAXP - 1; i++) {
    snprintf(name, sizeof name, "m%d", i);
    take(rl, name, T0);
  }
  assert_false(take(rl, "keep", T0).allowed); /* survived 63 newcomers */
  for (int i = 0; i < MAXP; i++) {
    snprintf(name, sizeof name, "o%d", i);
    take(rl, name, T0);
  }
  assert_int_equal(count_allowed(rl, "keep", T0, 5), 3); /* evicted: fresh bucket */
  noc_ratelimit_free(rl);

  /* a large table is sharded and still exactly bounded */
  rl = noc_ratelimit_local_new(5.0, 2, 1000);
  assert_non_null(rl);
  for (int i = 0; i < 50000; i++) {
    snprintf(name, sizeof name, "x%d", i);
    take(rl, name, T0 + i);
  }
  assert_int_equal(noc_ratelimit_local_count(rl), 1000); /* every shard full, none over */
  noc_ratelimit_free(rl);
}

static void test_unlimited_and_invalid(void **state) {
  (void)state;
  noc_ratelimiter *rl = noc_ratelimit_local_new(0.0, 0, 0);
  assert_non_null(rl);
  for (int i = 0; i < 1000; i++) {
    noc_ratelimit_decision d = take(rl, "anyone", T0);
    assert_true(d.allowed);
    assert_int_equal(d.limit, 0);
    assert_int_equal(d.remaining, 0);
    assert_int_equal(d.reset_s, 0);
    assert_int_equal(d.retry_after_s, 0);
  }
  assert_int_equal(noc_ratelimit_local_count(rl), 0);
  noc_ratelimit_free(rl);
  rl = noc_ratelimit_local_new(-1.0, 5, 10);
  assert_non_null(rl);
  assert_true(take(rl, "a", T0).allowed);
  noc_ratelimit_free(rl);

  assert_null(noc_ratelimit_local_new(10.0, 0, 10));   /* burst < 1 */
  assert_null(noc_ratelimit_local_new(10.0, 5, 0));    /* no room */
  assert_null(noc_ratelimit_local_new(NAN, 5, 10));    /* NaN */
  assert_null(noc_ratelimit_local_new(1e-300, 5, 10)); /* bucket spans > 2^61 us */
  assert_null(noc_ratelimit_local_new(1.0, INT64_MAX, 10));

  rl = noc_ratelimit_local_new(10.0, 5, 10);
  assert_non_null(rl);
  noc_ratelimit_decision d;
  assert_false(noc_ratelimit_take(rl, NULL, T0, &d));
  assert_false(d.allowed);
  assert_false(noc_ratelimit_take(rl, "a", -1, &d));
  assert_false(noc_ratelimit_take(rl, "a", INT64_MAX, &d));
  assert_false(noc_ratelimit_take(rl, "a", T0, NULL));
  assert_false(noc_ratelimit_take(NULL, "a", T0, &d));
  noc_ratelimit_free(rl);
  noc_ratelimit_free(NULL);

  /* very high rates saturate at one token per microsecond instead of failing */
  rl = noc_ratelimit_local_new(1e12, 3, 10);
  assert_non_null(rl);
  assert_int_equal(count_allowed(rl, "a", T0, 10), 3);
  assert_int_equal(count_allowed(rl, "a", T0 + 1, 10), 3); /* refilled, capped at burst */
  noc_ratelimit_free(rl);

  int64_t a = noc_ratelimit_clock_ms(), b = noc_ratelimit_clock_ms();
  assert_true(a > 0 && b >= a);
}

/* ---- threads ---- */

typedef struct hammer_arg {
  noc_ratelimiter *rl;
  pthread_barrier_t *start; /* all threads begin together, while tokens remain */
  int64_t now_ms;
  int rounds;
  int allowed[3]; /* per principal */
} hammer_arg;

static const char *const hammer_principals[3] = {"shared-a", "shared-b", "shared-c"};

static void *hammer(void *p) {
  hammer_arg *a = p;
  pthread_barrier_wait(a->start);
  for (int i = 0; i < a->rounds; i++) {
    for (int j = 0; j < 3; j++) {
      noc_ratelimit_decision d;
      if (!noc_ratelimit_take(a->rl, hammer_principals[j], a->now_ms, &d)) return NULL;
      if (d.allowed) a->allowed[j]++;
      if (d.remaining < 0 || d.remaining >= d.limit) a->allowed[j] = -1000000; /* corrupt */
    }
  }
  return p;
}

static void run_hammer(noc_ratelimiter *rl, int64_t now_ms, int totals[3]) {
  enum { THREADS = 4 };
  pthread_t th[THREADS];
  hammer_arg args[THREADS];
  pthread_barrier_t start;
  assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
  for (int t = 0; t < THREADS; t++) {
    memset(&args[t], 0, sizeof args[t]);
    args[t].rl = rl;
    args[t].start = &start;
    args[t].now_ms = now_ms;
    args[t].rounds = 10000;
    assert_int_equal(pthread_create(&th[t], NULL, hammer, &args[t]), 0);
  }
  memset(totals, 0, 3 * sizeof totals[0]);
  for (int t = 0; t < THREADS; t++) {
    void *ret = NULL;
    assert_int_equal(pthread_join(th[t], &ret), 0);
    assert_ptr_equal(ret, &args[t]);
    for (int j = 0; j < 3; j++)
      totals[j] += args[t].allowed[j];
  }
  pthread_barrier_destroy(&start);
}

static void test_threads_exact_counts(void **state) {
  (void)state;
  /* A sharded table (1000 principals -> 4 shards) with three hot principals. The burst is large
   * so that the 4 threads compete while tokens remain: a lost update would show as extra
   * allowed requests. 100/s = one token per 10 ms. */
  noc_ratelimiter *rl = noc_ratelimit_local_new(100.0, 20000, 1000);
  assert_non_null(rl);
  int totals[3];
  run_hammer(rl, T0, totals); /* frozen time: 40000 tries, exactly the burst allowed */
  for (int j = 0; j < 3; j++)
    assert_int_equal(totals[j], 20000);
  run_hammer(rl, T0 + 1234, totals); /* 1234 ms later: exactly 123 refilled tokens each */
  for (int j = 0; j < 3; j++)
    assert_int_equal(totals[j], 123);
  run_hammer(rl, T0 + 1240, totals); /* the 4 ms remainder plus 6 ms: one more */
  for (int j = 0; j < 3; j++)
    assert_int_equal(totals[j], 1);
  assert_int_equal(noc_ratelimit_local_count(rl), 3);
  noc_ratelimit_free(rl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_burst_then_deny),
      cmocka_unit_test(test_slow_rate_retry_after),
      cmocka_unit_test(test_refill_over_time),
      cmocka_unit_test(test_independent_principals),
      cmocka_unit_test(test_eviction_is_bounded_and_lru),
      cmocka_unit_test(test_unlimited_and_invalid),
      cmocka_unit_test(test_threads_exact_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
