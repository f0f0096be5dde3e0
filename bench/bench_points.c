/* `make bench` (points): the cost of each points endpoint, whole requests through the endpoint
 * table (parse, compute, JSON). CPU time per request; 7 runs, min/median/max reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nocturna/nocturna.h"

enum { RUNS = 7, REQUESTS = 400 };

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct sample {
  int y, m, d, h, mi;
  double lat, lon;
} sample;

static sample samples[REQUESTS];

/* Reproducible dates 1900-2099 and places within the polar circles. */
static void make_samples(void) {
  unsigned s = 4242;
  for (int i = 0; i < REQUESTS; i++) {
    s = s * 1103515245u + 12345u;
    samples[i].y = 1900 + (int)(s % 200);
    s = s * 1103515245u + 12345u;
    samples[i].m = 1 + (int)(s % 12);
    samples[i].d = 1 + (int)(s / 12 % 28);
    s = s * 1103515245u + 12345u;
    samples[i].h = (int)(s % 24);
    samples[i].mi = (int)(s / 24 % 60);
    s = s * 1103515245u + 12345u;
    samples[i].lat = -60.0 + (double)(s % 12000) / 100.0;
    s = s * 1103515245u + 12345u;
    samples[i].lon = -180.0 + (double)(s % 36000) / 100.0;
  }
}

typedef struct bench_case {
  const char *name;
  const char *endpoint;
  const char *extra; /* more top-level fields */
  bool nested;       /* the chart inside chart_data */
} bench_case;

static const bench_case cases[] = {
    {"natal-chart (reference)", "stateless/natal-chart", "", false},
    {"special-points (all)", "stateless/special-points", "", true},
    {"harmonics (2,3,4,5,7,9)", "stateless/harmonics", "", true},
    {"harmonics (one, H5)", "stateless/harmonics", ",\"harmonics\":[5]", true},
    {"antiscia", "stateless/antiscia", "", true},
    {"declinations", "stateless/declinations", "", true},
    {"midpoints (14 points)", "stateless/midpoints", "", true},
    {"fixed-stars (default 16)", "stateless/fixed-stars", "", true},
    {"fixed-stars (magnitude <= 2, ~50)", "stateless/fixed-stars", ",\"magnitude_limit\":2.0",
     true},
    {"fixed-stars (one by name)", "stateless/fixed-stars", ",\"stars\":[\"Regulus\"]", true},
    {"arabic-parts (all 24)", "stateless/arabic-parts", "", true},
    {"dignities (with almutens)", "stateless/dignities", "", true},
    {"aspect-patterns", "stateless/aspect-patterns", "", true},
    {"chart-shape", "stateless/chart-shape", "", true},
    {"calculations/dignities (flat)", "calculations/dignities", "", false},
};

static int make_body(char *buf, size_t cap, const sample *s, const bench_case *c) {
  char chart[256];
  snprintf(chart, sizeof chart,
           "\"date\":\"%04d-%02d-%02d\",\"time\":\"%02d:%02d\",\"latitude\":%.2f,"
           "\"longitude\":%.2f",
           s->y, s->m, s->d, s->h, s->mi, s->lat, s->lon);
  if (c->nested) return snprintf(buf, cap, "{\"chart_data\":{%s}%s}", chart, c->extra);
  return snprintf(buf, cap, "{%s%s}", chart, c->extra);
}

static double pass(const noc_api_env *env, const bench_case *c, noc_buf *out) {
  const noc_endpoint *ep = noc_api_find(c->endpoint);
  if (ep == NULL) {
    fprintf(stderr, "bench_points: no endpoint %s\n", c->endpoint);
    exit(1);
  }
  char body[1024];
  noc_response resp;
  double t0 = cpu_now();
  for (int i = 0; i < REQUESTS; i++) {
    int n = make_body(body, sizeof body, &samples[i], c);
    noc_request req = {body, (size_t)n, "bench", 0, false};
    noc_api_run(env, ep, &req, out, &resp);
    if (resp.http_status != 200) {
      fprintf(stderr, "bench_points: %s failed: %.400s\n", c->endpoint, out->data);
      exit(1);
    }
  }
  return (cpu_now() - t0) / REQUESTS * 1e6;
}

int main(void) {
  noc_ctx *ctx;
  noc_error err;
  if (noc_ctx_open(&ctx, NULL, &err) != NOC_OK) {
    fprintf(stderr, "bench_points: %s\n", err.message);
    return 1;
  }
  noc_tzdb *tzdb = noc_tzdb_open(NULL);
  noc_api_env env = {ctx, tzdb};
  noc_buf out;
  noc_buf_init(&out, 4 << 20);
  make_samples();
  printf("nocturna %s, Swiss Ephemeris %s; %d requests per run, random charts 1900-2099\n",
         noc_version(), noc_swe_version(ctx), REQUESTS);
  double natal = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    double us[RUNS];
    for (int r = 0; r < RUNS; r++)
      us[r] = pass(&env, &cases[c], &out);
    qsort(us, RUNS, sizeof us[0], cmp_double);
    if (c == 0) natal = us[RUNS / 2];
    printf("%-40s %9.2f %9.2f %9.2f  us/request (min/median/max)  %5.2f natal charts\n",
           cases[c].name, us[0], us[RUNS / 2], us[RUNS - 1], us[RUNS / 2] / natal);
  }
  noc_buf_free(&out);
  noc_tzdb_close(tzdb);
  noc_ctx_close(ctx);
  return 0;
}
