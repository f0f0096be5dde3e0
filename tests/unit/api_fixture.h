/* One ephemeris context and the time-zone database for the whole of a test program that runs
 * requests through the endpoint table: `cmocka_run_group_tests(tests, api_setup, api_teardown)`.
 * Header-only: each test file is its own program. */
#ifndef NOC_TESTS_API_FIXTURE_H
#define NOC_TESTS_API_FIXTURE_H

#include "nocturna/nocturna.h"

static noc_ctx *ctx;   /* owned by the group: opened by api_setup, closed by api_teardown */
static noc_tzdb *tzdb; /* likewise */

static int api_setup(void **state) {
  (void)state;
  noc_error err;
  if (noc_ctx_open(&ctx, NULL, &err) != NOC_OK) return -1;
  tzdb = noc_tzdb_open(NULL);
  return tzdb ? 0 : -1;
}

static int api_teardown(void **state) {
  (void)state;
  noc_tzdb_close(tzdb);
  noc_ctx_close(ctx);
  return 0;
}

#endif
