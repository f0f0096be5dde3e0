/* `nocturna calc [--ndjson] ENDPOINT [FILE|-]`: the API's answer to one request, without a
 * server. --ndjson asks as a client sending `Accept: application/x-ndjson` does: the endpoints
 * that stream (the event searches) then answer one JSON object per line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>

#include "cli/cli.h"
#include "nocturna/api.h"
#include "nocturna/buf.h"

enum { MAX_REQUEST = 1 << 20, MAX_RESPONSE = 16 << 20 };

/* Reads the whole stream into buf (bounded). */
static bool read_all(FILE *in, noc_buf *buf) {
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
    if (!noc_buf_append(buf, chunk, n)) return false;
  return !ferror(in);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_request(const noc_endpoint *ep, const noc_buf *body, bool ndjson) {
  noc_error err;
  noc_ctx *ctx = NULL;
  if (noc_ctx_open(&ctx, getenv("NOCTURNA_EPHE_PATH"), &err) != NOC_OK) {
    fprintf(stderr, "nocturna calc: %s\n", err.message);
    return NOC_EXIT_FAILURE;
  }
  noc_tzdb *tzdb = noc_tzdb_open(getenv("NOCTURNA_ZONEINFO"));
  if (tzdb == NULL) {
    fprintf(stderr, "nocturna calc: cannot open the time zone database\n");
    noc_ctx_close(ctx);
    return NOC_EXIT_FAILURE;
  }
  uuid_t id;
  char request_id[40];
  uuid_generate_random(id);
  uuid_unparse_lower(id, request_id);
  noc_api_env env = {ctx, tzdb};
  noc_request req = {body->data ? body->data : "", body->len, request_id, now_ms(), ndjson};
  noc_buf out;
  noc_buf_init(&out, MAX_RESPONSE);
  noc_response resp;
  noc_api_run(&env, ep, &req, &out, &resp);
  fwrite(out.data, 1, out.len, stdout);
  /* NDJSON already ends each line; an envelope gets the newline a terminal expects. */
  if (out.len == 0 || out.data[out.len - 1] != '\n') fputc('\n', stdout);
  if (resp.log_detail[0]) fprintf(stderr, "nocturna calc: internal error: %s\n", resp.log_detail);
  noc_buf_free(&out);
  noc_tzdb_close(tzdb);
  noc_ctx_close(ctx);
  return resp.http_status == 200 ? NOC_EXIT_OK : NOC_EXIT_REQUEST;
}

static int usage(void) {
  fprintf(stderr, "usage: nocturna calc [--ndjson] ENDPOINT [FILE|-]\n"
                  "  --ndjson  answer as NDJSON where the endpoint streams (one event per line, "
                  "then a summary line)\n"
                  "  endpoints:\n");
  for (int i = 0; noc_api_endpoint_at(i); i++)
    fprintf(stderr, "    %s\n", noc_api_endpoint_at(i)->path);
  return NOC_EXIT_USAGE;
}

int noc_cli_calc(int argc, char **argv) {
  const char *args[2] = {NULL, NULL}; /* borrowed from argv: ENDPOINT, FILE */
  int nargs = 0;
  bool ndjson = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--ndjson") == 0)
      ndjson = true;
    else if (nargs < 2 && (argv[i][0] != '-' || argv[i][1] == '\0'))
      args[nargs++] = argv[i];
    else
      return usage();
  }
  if (nargs < 1) return usage();
  const char *path = args[0];
  if (strncmp(path, "/api/v1/", 8) == 0)
    path += 8;
  else if (strncmp(path, "/api/", 5) == 0)
    path += 5;
  const noc_endpoint *ep = noc_api_find(path);
  if (ep == NULL) {
    fprintf(stderr, "nocturna calc: unknown endpoint '%s'\n", args[0]);
    return NOC_EXIT_USAGE;
  }
  FILE *in = stdin;
  if (args[1] != NULL && strcmp(args[1], "-") != 0) {
    in = fopen(args[1], "rb");
    if (in == NULL) {
      fprintf(stderr, "nocturna calc: %s: %s\n", args[1], strerror(errno));
      return NOC_EXIT_USAGE;
    }
  }
  noc_buf body;
  noc_buf_init(&body, MAX_REQUEST);
  bool ok = read_all(in, &body);
  if (in != stdin) fclose(in);
  int rc;
  if (!ok) {
    fprintf(stderr, "nocturna calc: cannot read the request (at most %d bytes)\n", MAX_REQUEST);
    rc = NOC_EXIT_USAGE;
  } else {
    rc = run_request(ep, &body, ndjson);
  }
  noc_buf_free(&body);
  return rc;
}
