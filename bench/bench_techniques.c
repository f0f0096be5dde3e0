/* `make bench` (techniques): the cost of each technique endpoint through the endpoint table,
 * against a natal chart of the same inputs. CPU time per request; 7 runs, min/median/max.
 * Targets: a synastry of two full charts and a solar return each below three natal charts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nocturna/nocturna.h"

enum { RUNS = 7, ITEMS = 300 };

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Reproducible charts, 1900-2099, latitudes inside the polar circles. */
typedef struct sample {
  int y, m, d, h, mi;
  double lat, lon;
} sample;

static sample samples[ITEMS + 1];

static unsigned next_rand(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

static void make_samples(void) {
  unsigned s = 4242;
  for (int i = 0; i <= ITEMS; i++) {
    samples[i] = (sample){1900 + (int)(next_rand(&s) % 200),
                          1 + (int)(next_rand(&s) % 12),
                          1 + (int)(next_rand(&s) % 28),
                          (int)(next_rand(&s) % 24),
                          (int)(next_rand(&s) % 60),
                          -60.0 + (double)(next_rand(&s) % 12000) / 100.0,
                          -180.0 + (double)(next_rand(&s) % 36000) / 100.0};
  }
}

static int chart_json(char *buf, size_t cap, const sample *s) {
  return snprintf(buf, cap,
                  "{\"date\":\"%04d-%02d-%02d\",\"time\":\"%02d:%02d\",\"latitude\":%.2f,"
                  "\"longitude\":%.2f}",
                  s->y, s->m, s->d, s->h, s->mi, s->lat, s->lon);
}

/* How a case builds its request from sample i (and i + 1 for a second chart). */
typedef enum shape { FLAT, TWO_CHARTS, NATAL_PLUS } shape;

typedef struct bench_case {
  const char *name;
  const char *endpoint;
  shape shape;
  const char *extra; /* more members of the body */
} bench_case;

static const bench_case cases[] = {
    {"natal-chart (baseline)", "stateless/natal-chart", FLAT, ""},
    {"synastry (two full charts)", "stateless/synastry", TWO_CHARTS, ""},
    {"composite midpoint", "stateless/composite", TWO_CHARTS, ""},
    {"composite davison", "stateless/composite", TWO_CHARTS, ",\"composite_type\":\"davison\""},
    {"transits (exact times)", "stateless/transits", NATAL_PLUS,
     ",\"transit_date\":\"2026-01-11T12:00:00Z\""},
    {"transits (no exact times)", "stateless/transits", NATAL_PLUS,
     ",\"transit_date\":\"2026-01-11T12:00:00Z\",\"exact_times\":false"},
    {"progressions secondary (exact dates)", "stateless/progressions", NATAL_PLUS,
     ",\"progression_date\":\"2150-01-01\""},
    {"progressions, daily houses, no exact", "stateless/progressions", NATAL_PLUS,
     ",\"progression_date\":\"2150-01-01\",\"angle_method\":\"daily_houses\","
     "\"exact_times\":false"},
    {"directions solar arc (2-year events)", "stateless/directions", NATAL_PLUS,
     ",\"direction_type\":\"solar_arc\",\"target_date\":\"2150-01-01\""},
    {"directions primary (2-year window)", "stateless/directions", NATAL_PLUS,
     ",\"target_date\":\"2150-01-01\""},
    {"primary directions, 100 years, mundo", "calculations/primary-directions", FLAT,
     ",\"mode\":\"mundo\",\"start_date\":\"1900-01-01\",\"end_date\":\"2099-12-31\","
     "\"significators\":[\"MC\"]"},
    {"solar return (nearest)", "stateless/returns", NATAL_PLUS,
     ",\"return_type\":\"solar\",\"return_date\":\"2150-06-01\""},
    {"lunar return (nearest)", "stateless/returns", NATAL_PLUS,
     ",\"return_type\":\"lunar\",\"return_date\":\"2150-06-01\""},
    {"Saturn returns in 60 years (2-6 charts)", "stateless/returns", NATAL_PLUS,
     ",\"return_type\":\"planetary\",\"planet\":\"SATURN\",\"start_date\":\"2100-01-01\","
     "\"end_date\":\"2160-01-01\""},
};
enum { CASES = sizeof cases / sizeof cases[0] };

static int make_body(char *buf, size_t cap, const bench_case *c, int i) {
  char a[256], b[256];
  chart_json(a, sizeof a, &samples[i]);
  chart_json(b, sizeof b, &samples[i + 1]);
  switch (c->shape) {
  case TWO_CHARTS:
    return snprintf(buf, cap, "{\"chart1\":%s,\"chart2\":%s%s}", a, b, c->extra);
  case NATAL_PLUS:
    return snprintf(buf, cap, "{\"natal_chart\":%s%s}", a, c->extra);
  default: {
    size_t n = strlen(a);
    a[n - 1] = '\0'; /* reopen the object to append the extra members */
    return snprintf(buf, cap, "%s%s}", a, c->extra);
  }
  }
}

static double run_case(const noc_api_env *env, const bench_case *c, noc_buf *out) {
  const noc_endpoint *ep = noc_api_find(c->endpoint);
  if (ep == NULL) {
    fprintf(stderr, "bench: no endpoint %s\n", c->endpoint);
    exit(1);
  }
  char body[2048];
  noc_response resp;
  double t0 = cpu_now();
  for (int i = 0; i < ITEMS; i++) {
    int n = make_body(body, sizeof body, c, i);
    noc_request req = {body, (size_t)n, "bench", 0, false};
    noc_api_run(env, ep, &req, out, &resp);
    if (resp.http_status != 200) {
      fprintf(stderr, "bench: %s failed on %s: %.600s\n", c->endpoint, body, out->data);
      exit(1);
    }
  }
  return (cpu_now() - t0) / ITEMS * 1e6;
}

int main(void) {
  noc_ctx *ctx;
  noc_error err;
  if (noc_ctx_open(&ctx, NULL, &err) != NOC_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  noc_tzdb *tzdb = noc_tzdb_open(NULL);
  noc_api_env env = {ctx, tzdb};
  noc_buf out;
  noc_buf_init(&out, 16 << 20);
  make_samples();
  printf("nocturna %s techniques; %d requests per run, random charts 1900-2099\n", noc_version(),
         ITEMS);
  double median[CASES];
  for (int c = 0; c < CASES; c++) {
    double us[RUNS];
    for (int r = 0; r < RUNS; r++)
      us[r] = run_case(&env, &cases[c], &out);
    qsort(us, RUNS, sizeof us[0], cmp_double);
    median[c] = us[RUNS / 2];
    printf("%-42s %9.1f %9.1f %9.1f  us/request (min/median/max)  %5.2f natal charts\n",
           cases[c].name, us[0], us[RUNS / 2], us[RUNS - 1], median[c] / median[0]);
  }
  printf("target: synastry %.2f and solar return %.2f natal charts (each below 3)\n",
         median[1] / median[0], median[11] / median[0]);
  noc_buf_free(&out);
  noc_tzdb_close(tzdb);
  noc_ctx_close(ctx);
  return median[1] / median[0] < 3.0 && median[11] / median[0] < 3.0 ? 0 : 2;
}
