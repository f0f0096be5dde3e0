/* libFuzzer target: arbitrary request bodies through the endpoint table.
 * The first byte picks the endpoint, the rest is the body. Besides the sanitizers, every answer
 * must be one well-formed JSON envelope whose "success" agrees with the HTTP status, and no
 * request may end in a 500: a client's bytes can be wrong, never an internal error. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nocturna/api.h"
#include "nocturna/buf.h"
#include "nocturna/context.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_RESPONSE = 16 << 20 };

/* Opened once on the fuzzing thread (Swiss Ephemeris state is thread-local) and kept for the
 * process: libFuzzer has no teardown hook. */
static noc_ctx *ctx;   /* owned here */
static noc_tzdb *tzdb; /* owned here */
static noc_buf out;    /* owned here; reused by every input */
static int endpoint_count;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  noc_error err;
  if (noc_ctx_open(&ctx, getenv("NOCTURNA_EPHE_PATH"), &err) != NOC_OK) {
    fprintf(stderr, "fuzz_request: %s\n", err.message);
    abort();
  }
  tzdb = noc_tzdb_open(getenv("NOCTURNA_ZONEINFO"));
  if (tzdb == NULL) {
    fprintf(stderr, "fuzz_request: cannot open the time zone database\n");
    abort();
  }
  noc_buf_init(&out, MAX_RESPONSE);
  while (noc_api_endpoint_at(endpoint_count))
    endpoint_count++;
  if (endpoint_count == 0) abort();
  return 0;
}

/* The answer must be one JSON object with a boolean "success" matching the status. */
static void check_envelope(const noc_response *resp) {
  json_error_t jerr;
  json_t *doc = json_loadb(out.data ? out.data : "", out.len, 0, &jerr);
  if (doc == NULL) {
    fprintf(stderr, "fuzz_request: the response is not JSON (%s at %d): %.*s\n", jerr.text,
            jerr.position, (int)(out.len < 2000 ? out.len : 2000), out.data ? out.data : "");
    abort();
  }
  json_t *success = json_object_get(doc, "success");
  if (!json_is_boolean(success) || json_is_true(success) != (resp->http_status == 200) ||
      !json_is_object(json_object_get(doc, "meta"))) {
    fprintf(stderr, "fuzz_request: envelope and status %d disagree\n", resp->http_status);
    abort();
  }
  json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const noc_endpoint *ep = noc_api_endpoint_at(size ? data[0] % endpoint_count : 0);
  const char *body = size ? (const char *)data + 1 : "";
  size_t body_len = size ? size - 1 : 0;
  noc_api_env env = {ctx, tzdb};
  /* A fixed clock keeps runs reproducible. */
  noc_request req = {body, body_len, "fuzz", 1750000000000LL, false};
  noc_response resp;
  memset(&resp, 0, sizeof resp);
  noc_api_run(&env, ep, &req, &out, &resp);
  if (resp.http_status >= 500) {
    fprintf(stderr, "fuzz_request: %s answered %d: %s\n", ep->path, resp.http_status,
            resp.log_detail);
    abort();
  }
  check_envelope(&resp);
  return 0;
}
