/* `make bench` (points): the cost of each points endpoint, whole requests through the endpoint
 * table (parse, compute, JSON). CPU time per request; 7 runs, min/median/max reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "nocturna/nocturna.h"

enum { RUNS = 7, REQUESTS = 400 };

static bench_sample samples[REQUESTS];

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

/* Body i: sample i's chart, flat or inside chart_data, and the case's extra members. */
static int case_body(char *buf, size_t cap, int i, const void *arg) {
  const bench_case *c = arg;
  char chart[256];
  bench_chart_members(chart, sizeof chart, &samples[i]);
  if (c->nested) return snprintf(buf, cap, "{\"chart_data\":{%s}%s}", chart, c->extra);
  return snprintf(buf, cap, "{%s%s}", chart, c->extra);
}

static double pass(const noc_api_env *env, const bench_case *c, noc_buf *out) {
  return bench_endpoint_pass(env, c->endpoint, REQUESTS, case_body, c, out);
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
  bench_make_samples(samples, REQUESTS, 4242);
  printf("nocturna %s, Swiss Ephemeris %s; %d requests per run, random charts 1900-2099\n",
         noc_version(), noc_swe_version(ctx), REQUESTS);
  double natal = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    double us[RUNS];
    for (int r = 0; r < RUNS; r++)
      us[r] = pass(&env, &cases[c], &out);
    bench_sort(us, RUNS);
    if (c == 0) natal = us[RUNS / 2];
    printf("%-40s %9.2f %9.2f %9.2f  us/request (min/median/max)  %5.2f natal charts\n",
           cases[c].name, us[0], us[RUNS / 2], us[RUNS - 1], us[RUNS / 2] / natal);
  }
  noc_buf_free(&out);
  noc_tzdb_close(tzdb);
  noc_ctx_close(ctx);
  return 0;
}
