/* What the benchmark programs share: clocks, sorting for min/median/max, the reproducible random
 * charts, and one timed pass of an endpoint over many request bodies. Header-only because each
 * bench/bench_*.c is a program of its own. */
#ifndef NOC_BENCH_UTIL_H
#define NOC_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nocturna/nocturna.h"

/* CPU time of the calling thread, in seconds. */
static inline double bench_cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Sorts v[0..n) so that v[0], v[n / 2] and v[n - 1] are the min, median and max. */
static inline void bench_sort(double *v, int n) {
  qsort(v, (size_t)n, sizeof v[0], bench_cmp_double);
}

/* A birth: dates 1900-2099, places inside the polar circles (Placidus houses exist). */
typedef struct bench_sample {
  int y, m, d, h, mi;
  double lat, lon;
} bench_sample;

static inline unsigned bench_next_rand(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

/* n reproducible samples from seed. */
static inline void bench_make_samples(bench_sample *out, int n, unsigned seed) {
  for (int i = 0; i < n; i++) {
    bench_sample *x = &out[i];
    x->y = 1900 + (int)(bench_next_rand(&seed) % 200);
    x->m = 1 + (int)(bench_next_rand(&seed) % 12);
    x->d = 1 + (int)(bench_next_rand(&seed) % 28);
    x->h = (int)(bench_next_rand(&seed) % 24);
    x->mi = (int)(bench_next_rand(&seed) % 60);
    x->lat = -60.0 + (double)(bench_next_rand(&seed) % 12000) / 100.0;
    x->lon = -180.0 + (double)(bench_next_rand(&seed) % 36000) / 100.0;
  }
}

/* The chart members of a request: "date":...,"longitude":... without braces. */
static inline int bench_chart_members(char *buf, size_t cap, const bench_sample *s) {
  return snprintf(buf, cap,
                  "\"date\":\"%04d-%02d-%02d\",\"time\":\"%02d:%02d\",\"latitude\":%.2f,"
                  "\"longitude\":%.2f",
                  s->y, s->m, s->d, s->h, s->mi, s->lat, s->lon);
}

/* Writes request body i into buf (capacity cap); returns its length. */
typedef int (*bench_body_fn)(char *buf, size_t cap, int i, const void *arg);

/* CPU microseconds per request of `endpoint` over bodies 0..n-1. A request that does not answer
 * 200, or an unknown endpoint, ends the program: a benchmark of errors measures nothing. */
static inline double bench_endpoint_pass(const noc_api_env *env, const char *endpoint, int n,
                                         bench_body_fn body_of, const void *arg, noc_buf *out) {
  const noc_endpoint *ep = noc_api_find(endpoint);
  if (ep == NULL) {
    fprintf(stderr, "bench: no endpoint %s\n", endpoint);
    exit(1);
  }
  char body[4096];
  noc_response resp;
  double t0 = bench_cpu_now();
  for (int i = 0; i < n; i++) {
    int len = body_of(body, sizeof body, i, arg);
    if (len < 0 || (size_t)len >= sizeof body) {
      fprintf(stderr, "bench: request body %d of %s does not fit\n", i, endpoint);
      exit(1);
    }
    noc_request req = {body, (size_t)len, "bench", 0, false};
    noc_api_run(env, ep, &req, out, &resp);
    if (resp.http_status != 200) {
      fprintf(stderr, "bench: %s failed on %s: %.600s\n", endpoint, body, out->data);
      exit(1);
    }
  }
  return (bench_cpu_now() - t0) / n * 1e6;
}

#endif
