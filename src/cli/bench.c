/* `nocturna bench [--threads N] [--seconds S] [--endpoint PATH]`: how many requests per second this
 * machine answers in process, on every core, through the same endpoint table as the server. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "nocturna/api.h"
#include "nocturna/buf.h"

typedef struct bench_shared {
  const noc_endpoint *ep; /* borrowed from the table */
  noc_tzdb *tzdb;         /* borrowed; shared by the threads */
  double seconds;
  atomic_long done;
  atomic_int failed;
} bench_shared;

static double now_s(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A different chart each time (1900-2099, latitudes +-60) so the ephemeris cache does not help. */
static int sample_body(char *buf, size_t cap, unsigned *seed) {
  unsigned s = *seed = *seed * 1103515245u + 12345u;
  return snprintf(buf, cap,
                  "{\"date\":\"%04u-%02u-%02u\",\"time\":\"%02u:%02u\",\"timezone\":\"UTC\","
                  "\"latitude\":%.2f,\"longitude\":%.2f}",
                  1900 + s % 200, 1 + s / 200 % 12, 1 + s / 2400 % 28, s / 7 % 24, s / 11 % 60,
                  -60.0 + (double)(s % 12000) / 100.0, -180.0 + (double)(s / 3 % 36000) / 100.0);
}

static void *bench_thread(void *arg) {
  bench_shared *sh = arg;
  noc_ctx *ctx = NULL;
  noc_error err;
  if (noc_ctx_open(&ctx, getenv("NOCTURNA_EPHE_PATH"), &err) != NOC_OK) {
    atomic_store(&sh->failed, 1);
    return NULL;
  }
  noc_api_env env = {ctx, sh->tzdb};
  noc_buf out;
  noc_buf_init(&out, 1 << 22);
  unsigned seed = (unsigned)(uintptr_t)&seed;
  char body[256];
  double end = now_s(CLOCK_MONOTONIC) + sh->seconds;
  long n = 0;
  while (now_s(CLOCK_MONOTONIC) < end) {
    int len = sample_body(body, sizeof body, &seed);
    noc_request req = {body, (size_t)len, "bench", 0, false};
    noc_response resp;
    noc_api_run(&env, sh->ep, &req, &out, &resp);
    if (resp.http_status != 200) {
      fprintf(stderr, "nocturna bench: %s answered %d: %.300s\n", sh->ep->path, resp.http_status,
              out.data);
      atomic_store(&sh->failed, 1);
      break;
    }
    n++;
  }
  atomic_fetch_add(&sh->done, n);
  noc_buf_free(&out);
  noc_ctx_close(ctx);
  return NULL;
}

static bool parse_positive(const char *text, double max, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end || !(v > 0) || v > max) return false;
  *out = v;
  return true;
}

int noc_cli_bench(int argc, char **argv) {
  double threads = (double)sysconf(_SC_NPROCESSORS_ONLN), seconds = 5;
  const char *path = "stateless/natal-chart";
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--threads") == 0 && v && parse_positive(v, 256, &threads))
      i++;
    else if (strcmp(argv[i], "--seconds") == 0 && v && parse_positive(v, 600, &seconds))
      i++;
    else if (strcmp(argv[i], "--endpoint") == 0 && v)
      path = argv[++i];
    else {
      fprintf(stderr, "usage: nocturna bench [--threads N] [--seconds S] [--endpoint PATH]\n");
      return NOC_EXIT_USAGE;
    }
  }
  bench_shared sh = {noc_api_find(path), noc_tzdb_open(getenv("NOCTURNA_ZONEINFO")), seconds, 0, 0};
  if (sh.ep == NULL || sh.tzdb == NULL) {
    fprintf(stderr, "nocturna bench: %s\n", sh.ep ? "no time zone database" : "unknown endpoint");
    if (sh.tzdb) noc_tzdb_close(sh.tzdb);
    return NOC_EXIT_USAGE;
  }
  int n = (int)threads;
  pthread_t tid[256];
  double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), wall0 = now_s(CLOCK_MONOTONIC);
  for (int i = 0; i < n; i++)
    pthread_create(&tid[i], NULL, bench_thread, &sh);
  for (int i = 0; i < n; i++)
    pthread_join(tid[i], NULL);
  double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = now_s(CLOCK_MONOTONIC) - wall0;
  noc_tzdb_close(sh.tzdb);
  long done = atomic_load(&sh.done);
  if (atomic_load(&sh.failed) || done == 0) return NOC_EXIT_FAILURE;
  printf("%s: %ld requests on %d threads in %.1f s: %.0f requests/s, %.1f us CPU per request\n",
         path, done, n, wall, (double)done / wall, cpu / (double)done * 1e6);
  return NOC_EXIT_OK;
}
