/* `make bench`: the cost of charts and endpoints, and how much our code adds to the raw
 * Swiss Ephemeris calls it makes. CPU time per item; 7 runs, min/median/max reported. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <swephexp.h>

#include "bench_util.h"
#include "nocturna/nocturna.h"

enum { RUNS = 7, CHARTS = 2000, MAX_THREADS = 64 };

static void report(const char *what, double *us) {
  bench_sort(us, RUNS);
  printf("%-44s %9.2f %9.2f %9.2f  us/item (min/median/max)\n", what, us[0], us[RUNS / 2],
         us[RUNS - 1]);
}

static bench_sample samples[CHARTS];

/* The Swiss Ephemeris calls a default natal chart makes: UTC->JD, 12 bodies each with its
 * equatorial rotation (right ascension, declination), the obliquity once, Placidus houses. */
static void raw_chart(const bench_sample *s) {
  static const int bodies[] = {SE_SUN,     SE_MOON,    SE_MERCURY,   SE_VENUS,
                               SE_MARS,    SE_JUPITER, SE_SATURN,    SE_URANUS,
                               SE_NEPTUNE, SE_PLUTO,   SE_MEAN_NODE, SE_MEAN_APOG};
  double dret[2], xx[6], equ[6], nut[6], cusps[13], ascmc[10];
  char serr[AS_MAXCH];
  swe_utc_to_jd(s->y, s->m, s->d, s->h, s->mi, 0, SE_GREG_CAL, dret, serr);
  swe_calc(dret[0], SE_ECL_NUT, 0, nut, serr);
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    swe_calc_ut(dret[1], bodies[i], SEFLG_SWIEPH | SEFLG_SPEED, xx, serr);
    swe_cotrans_sp(xx, equ, -nut[0]);
  }
  swe_houses_ex2(dret[1], 0, s->lat, s->lon, 'P', cusps, ascmc, NULL, NULL, serr);
}

typedef struct api_case {
  const char *name;
  const char *endpoint;
  const char *extra;
} api_case;

static const api_case cases[] = {
    {"natal-chart (12 bodies, Placidus, aspects)", "stateless/natal-chart", ""},
    {"natal-chart with exact aspect times", "stateless/natal-chart", ",\"exact_times\":true"},
    {"planetary-positions (10 bodies)", "calculations/planetary-positions",
     ",\"planets\":[\"SUN\",\"MOON\",\"MERCURY\",\"VENUS\",\"MARS\",\"JUPITER\",\"SATURN\","
     "\"URANUS\",\"NEPTUNE\",\"PLUTO\"]"},
    {"houses (Placidus)", "calculations/houses", ""},
    {"aspects (12 bodies)", "calculations/aspects", ""},
    {"natal-chart, New York time zone", "stateless/natal-chart",
     ",\"timezone\":\"America/New_York\""},
};

/* Body i: sample i's chart and the case's extra members. */
static int case_body(char *buf, size_t cap, int i, const void *arg) {
  const api_case *c = arg;
  char chart[256];
  bench_chart_members(chart, sizeof chart, &samples[i % CHARTS]);
  return snprintf(buf, cap, "{%s%s}", chart, c->extra);
}

static double api_pass(const noc_api_env *env, const api_case *c, noc_buf *out) {
  return bench_endpoint_pass(env, c->endpoint, CHARTS, case_body, c, out);
}

typedef struct thread_arg {
  noc_tzdb *tzdb;
  int charts;
} thread_arg;

static void *thread_main(void *p) {
  thread_arg *a = p;
  noc_ctx *ctx;
  noc_error err;
  if (noc_ctx_open(&ctx, NULL, &err) != NOC_OK) return NULL;
  noc_api_env env = {ctx, a->tzdb};
  noc_buf out;
  noc_buf_init(&out, 1 << 20);
  for (int done = 0; done < a->charts; done += CHARTS)
    bench_endpoint_pass(&env, cases[0].endpoint, CHARTS, case_body, &cases[0], &out);
  noc_buf_free(&out);
  noc_ctx_close(ctx);
  return NULL;
}

static double threaded_rate(noc_tzdb *tzdb, int threads) {
  pthread_t tid[MAX_THREADS];
  thread_arg arg = {tzdb, CHARTS * 2};
  double t0 = bench_wall_now();
  for (int i = 0; i < threads; i++)
    pthread_create(&tid[i], NULL, thread_main, &arg);
  for (int i = 0; i < threads; i++)
    pthread_join(tid[i], NULL);
  return (double)threads * arg.charts / (bench_wall_now() - t0);
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
  noc_buf_init(&out, 1 << 20);
  bench_make_samples(samples, CHARTS, 12345);
  printf("nocturna %s, Swiss Ephemeris %s; %d charts per run, random dates 1900-2099\n",
         noc_version(), noc_swe_version(ctx), CHARTS);
  /* Raw calls and the natal chart alternate, run by run, and the ratio is taken per pair: a
   * shared machine's load drifts over seconds, and both halves of a pair see the same drift. */
  double us[RUNS], raw[RUNS], natal[RUNS], ratio[RUNS];
  for (int r = 0; r < RUNS; r++) {
    double t0 = bench_cpu_now();
    for (int i = 0; i < CHARTS; i++)
      raw_chart(&samples[i]);
    raw[r] = (bench_cpu_now() - t0) / CHARTS * 1e6;
    natal[r] = api_pass(&env, &cases[0], &out);
    ratio[r] = natal[r] / raw[r];
  }
  report("raw Swiss Ephemeris calls of one chart", raw);
  report(cases[0].name, natal);
  for (size_t c = 1; c < sizeof cases / sizeof cases[0]; c++) {
    for (int r = 0; r < RUNS; r++)
      us[r] = api_pass(&env, &cases[c], &out);
    report(cases[c].name, us);
  }
  bench_sort(ratio, RUNS);
  printf("natal-chart / raw calls, per alternating pair: %.3f / %.3f / %.3f  (min/median/max; "
         "target <= 1.25)\n",
         ratio[0], ratio[RUNS / 2], ratio[RUNS - 1]);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  printf("natal charts per second, 1 thread: %.0f\n", threaded_rate(tzdb, 1));
  printf("natal charts per second, %ld threads: %.0f\n", cores, threaded_rate(tzdb, (int)cores));
  noc_buf_free(&out);
  noc_tzdb_close(tzdb);
  noc_ctx_close(ctx);
  return 0;
}
