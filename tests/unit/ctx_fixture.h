/* One ephemeris context per test (or per group), passed as the state:
 * `cmocka_unit_test_setup_teardown(test, ctx_setup, ctx_teardown)`. The context binds the
 * calling thread's Swiss Ephemeris state (and its file mappings), and cmocka runs a test's
 * setup, body and teardown on one thread. Header-only: each test file is its own program. */
#ifndef NOC_TESTS_CTX_FIXTURE_H
#define NOC_TESTS_CTX_FIXTURE_H

#include "nocturna/nocturna.h"

static int ctx_setup(void **state) {
  noc_ctx *ctx; /* owned by the test's state until ctx_teardown */
  noc_error err;
  if (noc_ctx_open(&ctx, NULL, &err) != NOC_OK) return -1;
  *state = ctx;
  return 0;
}

static int ctx_teardown(void **state) {
  noc_ctx_close(*state);
  return 0;
}

#endif
