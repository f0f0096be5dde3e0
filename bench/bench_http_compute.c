/* The in-process cost of the requests `scripts/bench-http.sh` sends over HTTP: each line of a
 * file is one request body, run through noc_api_run (JSON in, calculation, JSON out) on one
 * thread. Prints the CPU microseconds per request (best of 5 passes), the denominator of the
 * "HTTP CPU per request / compute per request" ratio.
 *
 * usage: bench_http_compute ENDPOINT BODIES_FILE   (ENDPOINT as in the table, e.g.
 *        calculations/planetary-positions) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "nocturna/api.h"
#include "nocturna/buf.h"
#include "nocturna/context.h"

enum { MAX_BODIES = 4096, LINE_MAX_LEN = 8192, PASSES = 5 };

/* Reads up to MAX_BODIES lines; returns the count (bodies[i] owned by the caller). */
static int read_bodies(const char *path, char **bodies) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  static char line[LINE_MAX_LEN];
  int n = 0;
  while (n < MAX_BODIES && fgets(line, sizeof line, f) != NULL) {
    size_t len = strcspn(line, "\n");
    if (len == 0) continue;
    bodies[n] = malloc(len + 1);
    if (bodies[n] == NULL) break;
    memcpy(bodies[n], line, len);
    bodies[n][len] = '\0';
    n++;
  }
  fclose(f);
  return n;
}

/* One pass over all bodies; returns CPU seconds, or -1 if any request failed. */
static double run_pass(const noc_api_env *env, const noc_endpoint *ep, char **bodies, int n,
                       noc_buf *out) {
  double t0 = bench_cpu_now();
  for (int i = 0; i < n; i++) {
    noc_request req = {.body = bodies[i],
                       .body_len = strlen(bodies[i]),
                       .request_id = "bench",
                       .now_unix_ms = 1700000000000};
    noc_response resp;
    memset(&resp, 0, sizeof resp);
    noc_api_run(env, ep, &req, out, &resp);
    if (resp.http_status != 200) {
      fprintf(stderr, "request %d failed (%d): %.300s\n", i, resp.http_status, out->data);
      return -1;
    }
  }
  return bench_cpu_now() - t0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s ENDPOINT BODIES_FILE\n", argv[0]);
    return 2;
  }
  const noc_endpoint *ep = noc_api_find(argv[1]);
  static char *bodies[MAX_BODIES];
  int n = read_bodies(argv[2], bodies);
  if (ep == NULL || n <= 0) {
    fprintf(stderr, "unknown endpoint or no bodies\n");
    return 2;
  }
  noc_ctx *ctx = NULL;
  noc_error err;
  if (noc_ctx_open(&ctx, NULL, &err) != NOC_OK) {
    fprintf(stderr, "ephemeris: %s\n", err.message);
    return 1;
  }
  noc_tzdb *tz = noc_tzdb_open(NULL);
  noc_api_env env = {.ctx = ctx, .tzdb = tz};
  noc_buf out;
  noc_buf_init(&out, 8 * 1024 * 1024);
  double best = -1;
  int rc = 0;
  for (int p = 0; p < PASSES && rc == 0; p++) {
    double s = run_pass(&env, ep, bodies, n, &out);
    if (s < 0)
      rc = 1;
    else if (best < 0 || s < best)
      best = s;
  }
  if (rc == 0)
    printf("%s: %.2f us CPU per request (best of %d passes over %d bodies)\n", argv[1],
           best / n * 1e6, PASSES, n);
  noc_buf_free(&out);
  noc_tzdb_close(tz);
  noc_ctx_close(ctx);
  for (int i = 0; i < n; i++)
    free(bodies[i]);
  return rc;
}
