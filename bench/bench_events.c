/* `bench_events`: the event search's cost (issue 5). CPU time of the calling thread; each figure
 * is 7 runs, reported as min/median/max.
 *   transits: one year, 10 transiting bodies x 10 natal points x 5 major aspects, exact to 1 s
 *             (each run another natal chart, so that the hits differ); the target is <= 50 ms
 *   transits+orbs: the same with the entering and leaving of a 1 degree orb
 *   eclipses: all solar and lunar eclipses of a century; the target is < 1 s
 *   mixed year: every kind but transits (ingresses, stations, phases, void of course, eclipses,
 *               node passages) over one year
 *   api: the transit year through the endpoint, JSON written (what a request costs) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "nocturna/events.h"
#include "nocturna/nocturna.h"

enum { RUNS = 7 };

static void report(const char *what, double *ms, const char *extra) {
  bench_sort(ms, RUNS);
  printf("%-16s %9.2f %9.2f %9.2f  ms (min/median/max)  %s\n", what, ms[0], ms[RUNS / 2],
         ms[RUNS - 1], extra);
}

static bool count_sink(void *user, const noc_event *ev) {
  (void)ev;
  (*(int64_t *)user)++;
  return true;
}

static double jd_utc(noc_ctx *ctx, const char *iso) {
  noc_time t;
  noc_error err;
  if (noc_parse_iso8601(ctx, iso, &t, &err, "t") != NOC_OK) {
    fprintf(stderr, "bad time %s\n", iso);
    exit(1);
  }
  return t.jd_ut;
}

/* A natal chart's ten planets at a reproducible pseudo-random instant of 1930-2010. */
static void natal_points(noc_ctx *ctx, unsigned seed, noc_event_spec *s) {
  double jd = jd_utc(ctx, "1930-01-01T00:00:00Z") + (double)(seed * 2654435761u % 29200u) +
              (double)(seed % 24) / 24.0;
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  noc_error err;
  s->npoints = 10;
  for (int b = NOC_SUN; b <= NOC_PLUTO; b++) {
    double lon = 0.0, speed = 0.0;
    noc_body_longitude(ctx, jd, (noc_body)b, &opt, &lon, &speed, &err);
    s->points[b] = (noc_event_point){(noc_body)b, lon};
  }
}

static double run_once(noc_ctx *ctx, const noc_event_query *q, int64_t *events, int64_t *evals) {
  noc_event_run run = {0};
  noc_event_result res;
  noc_error err;
  *events = 0;
  double t0 = bench_cpu_now();
  if (noc_events_search(ctx, q, &run, count_sink, events, &res, &err) != NOC_OK) {
    fprintf(stderr, "search failed: %s\n", err.message);
    exit(1);
  }
  *evals = res.evaluations;
  return (bench_cpu_now() - t0) * 1e3;
}

static void bench_transits(noc_ctx *ctx, bool orbs) {
  static noc_event_query q;
  memset(&q, 0, sizeof q);
  noc_calc_options_default(&q.opt);
  q.jd_start = jd_utc(ctx, "2024-01-01T00:00:00Z");
  q.jd_end = jd_utc(ctx, "2025-01-01T00:00:00Z");
  q.nspecs = 1;
  double ms[RUNS];
  int64_t events = 0, evals = 0, ev_min = INT64_MAX, ev_max = 0;
  for (int r = 0; r < RUNS; r++) {
    noc_event_spec_default(&q.specs[0], NOC_EVK_TRANSIT);
    q.specs[0].orb_events = orbs;
    natal_points(ctx, (unsigned)r + 1, &q.specs[0]);
    run_once(ctx, &q, &events, &evals); /* warm: files open, caches filled */
    ms[r] = run_once(ctx, &q, &events, &evals);
    ev_min = events < ev_min ? events : ev_min;
    ev_max = events > ev_max ? events : ev_max;
  }
  char extra[128];
  snprintf(extra, sizeof extra, "%lld-%lld events, ~%lld ephemeris calls", (long long)ev_min,
           (long long)ev_max, (long long)evals);
  report(orbs ? "transits+orbs" : "transits", ms, extra);
}

static void bench_eclipses(noc_ctx *ctx) {
  static noc_event_query q;
  memset(&q, 0, sizeof q);
  noc_calc_options_default(&q.opt);
  q.jd_start = jd_utc(ctx, "2000-01-01T00:00:00Z");
  q.jd_end = jd_utc(ctx, "2100-01-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_ECLIPSE);
  q.nspecs = 1;
  double ms[RUNS];
  int64_t events = 0, evals = 0;
  for (int r = 0; r < RUNS; r++)
    ms[r] = run_once(ctx, &q, &events, &evals);
  char extra[64];
  snprintf(extra, sizeof extra, "%lld eclipses", (long long)events);
  report("eclipses/100y", ms, extra);
}

static void bench_mixed(noc_ctx *ctx) {
  static noc_event_query q;
  memset(&q, 0, sizeof q);
  noc_calc_options_default(&q.opt);
  q.jd_start = jd_utc(ctx, "2024-01-01T00:00:00Z");
  q.jd_end = jd_utc(ctx, "2025-01-01T00:00:00Z");
  static const noc_event_kind kinds[] = {
      NOC_EVK_SIGN_INGRESS, NOC_EVK_STATION,      NOC_EVK_LUNAR_PHASE,   NOC_EVK_VOID_OF_COURSE,
      NOC_EVK_ECLIPSE,      NOC_EVK_NODE_PASSAGE, NOC_EVK_MUNDANE_ASPECT};
  q.nspecs = (int)(sizeof kinds / sizeof kinds[0]);
  for (int i = 0; i < q.nspecs; i++)
    noc_event_spec_default(&q.specs[i], kinds[i]);
  double ms[RUNS];
  int64_t events = 0, evals = 0;
  for (int r = 0; r < RUNS; r++)
    ms[r] = run_once(ctx, &q, &events, &evals);
  char extra[96];
  snprintf(extra, sizeof extra, "%lld events, %lld ephemeris calls", (long long)events,
           (long long)evals);
  report("mixed year", ms, extra);
}

static void bench_api(noc_ctx *ctx) {
  noc_tzdb *tzdb = noc_tzdb_open(NULL);
  const noc_endpoint *ep = noc_api_find("events/search");
  if (tzdb == NULL || ep == NULL) {
    fprintf(stderr, "no endpoint\n");
    exit(1);
  }
  const char *body =
      "{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2025-01-01T00:00:00Z\","
      "\"natal_chart\":{\"date\":\"1990-06-15\",\"time\":\"14:30:00\","
      "\"timezone\":\"UTC\"},\"events\":[{\"kind\":\"transit\",\"orb_events\":false}],"
      "\"limit\":10000}";
  noc_api_env env = {ctx, tzdb};
  noc_request req = {body, strlen(body), "bench", 0, false};
  noc_buf out;
  noc_buf_init(&out, 16u << 20);
  double ms[RUNS];
  for (int r = 0; r < RUNS; r++) {
    noc_response resp;
    double t0 = bench_cpu_now();
    noc_api_run(&env, ep, &req, &out, &resp);
    ms[r] = (bench_cpu_now() - t0) * 1e3;
    if (resp.http_status != 200) {
      fprintf(stderr, "api: %.300s\n", out.data);
      exit(1);
    }
  }
  char extra[64];
  snprintf(extra, sizeof extra, "%zu bytes of JSON", out.len);
  report("api transits", ms, extra);
  noc_buf_free(&out);
  noc_tzdb_close(tzdb);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  noc_ctx *ctx = NULL;
  noc_error err;
  if (noc_ctx_open(&ctx, getenv("NOCTURNA_EPHE_PATH"), &err) != NOC_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  printf("event search, CPU time of one thread, %d runs\n", RUNS);
  bench_transits(ctx, false);
  bench_transits(ctx, true);
  bench_eclipses(ctx);
  bench_mixed(ctx);
  bench_api(ctx);
  noc_ctx_close(ctx);
  return 0;
}
