/* `make bench` (techniques): the cost of each technique endpoint through the endpoint table,
 * against a natal chart of the same inputs. CPU time per request; 7 runs, min/median/max.
 * Targets: a synastry of two full charts and a solar return each below three natal charts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "nocturna/nocturna.h"

enum { RUNS = 7, ITEMS = 300 };

static bench_sample samples[ITEMS + 1]; /* case i may use charts i and i + 1 */

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

static int case_body(char *buf, size_t cap, int i, const void *arg) {
  const bench_case *c = arg;
  char a[256], b[256];
  bench_chart_members(a, sizeof a, &samples[i]);
  bench_chart_members(b, sizeof b, &samples[i + 1]);
  switch (c->shape) {
  case TWO_CHARTS:
    return snprintf(buf, cap, "{\"chart1\":{%s},\"chart2\":{%s}%s}", a, b, c->extra);
  case NATAL_PLUS:
    return snprintf(buf, cap, "{\"natal_chart\":{%s}%s}", a, c->extra);
  default:
    return snprintf(buf, cap, "{%s%s}", a, c->extra);
  }
}

static double run_case(const noc_api_env *env, const bench_case *c, noc_buf *out) {
  return bench_endpoint_pass(env, c->endpoint, ITEMS, case_body, c, out);
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
  bench_make_samples(samples, ITEMS + 1, 4242);
  printf("nocturna %s techniques; %d requests per run, random charts 1900-2099\n", noc_version(),
         ITEMS);
  double median[CASES];
  for (int c = 0; c < CASES; c++) {
    double us[RUNS];
    for (int r = 0; r < RUNS; r++)
      us[r] = run_case(&env, &cases[c], &out);
    bench_sort(us, RUNS);
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
