/* The NDJSON stream of the event endpoints (src/api/events_stream.h): read in pieces of any size
 * it gives the same bytes as the one-buffer NDJSON answer, for events/search and the older
 * service's eclipses and ingresses; limits hold across slices; input errors fail the open; a
 * stream dropped half-way frees everything (ASan/LSan checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/events_stream.h"
#include "api_fixture.h"
#include "nocturna/nocturna.h"

static const char LONG[] = "{\"start\":\"2000-01-01T00:00:00Z\",\"end\":\"2012-01-01T00:00:00Z\","
                           "\"events\":[\"lunar_phase\",{\"kind\":\"sign_ingress\","
                           "\"bodies\":[\"SUN\",\"MARS\"]}],\"limit\":10000,"
                           "\"time_budget_ms\":10000,\"unknown_key\":1}";

static noc_request request(const char *body) {
  noc_request req = {body, strlen(body), "test-id", 1700000000000LL, true};
  return req;
}

/* The whole body of the one-buffer answer of the endpoint at path (the reference). */
static void buffered_at(const char *path, const char *body, noc_buf *out) {
  noc_api_env env = {ctx, tzdb};
  noc_request req = request(body);
  noc_response resp;
  noc_buf_init(out, 16u << 20);
  noc_api_run(&env, noc_api_find(path), &req, out, &resp);
  assert_int_equal(resp.http_status, 200);
  assert_string_equal(resp.content_type, "application/x-ndjson");
}

static void buffered(const char *body, noc_buf *out) {
  buffered_at("events/search", body, out);
}

/* The whole stream of the endpoint at path read `piece` bytes at a time; returns the number of
 * reads. */
static int streamed_at(const char *path, const char *body, size_t piece, noc_buf *out) {
  noc_api_env env = {ctx, tzdb};
  noc_request req = request(body);
  noc_ev_stream *s = NULL;
  assert_int_equal(noc_ev_stream_open(&env, noc_api_find(path), &req, &s), NOC_OK);
  assert_non_null(s);
  noc_buf_init(out, 16u << 20);
  char tmp[4096];
  int reads = 0;
  size_t n;
  while ((n = noc_ev_stream_read(s, ctx, tmp, piece)) > 0) {
    assert_true(n <= piece);
    assert_true(noc_buf_append(out, tmp, n));
    reads++;
  }
  assert_int_equal(noc_ev_stream_read(s, ctx, tmp, piece), 0); /* stays at the end */
  noc_ev_stream_free(s);
  return reads;
}

static int streamed(const char *body, size_t piece, noc_buf *out) {
  return streamed_at("events/search", body, piece, out);
}

static void test_same_bytes_any_piece(void **state) {
  (void)state;
  noc_buf ref;
  buffered(LONG, &ref);
  assert_true(ref.len > 50000); /* hundreds of events */
  assert_non_null(strstr(ref.data, "\"complete\":true"));
  assert_non_null(strstr(ref.data, "unknown_key")); /* the warning is in the summary */
  static const size_t pieces[] = {1, 7, 100, 4096};
  for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
    noc_buf got;
    int reads = streamed(LONG, pieces[i], &got);
    assert_int_equal(got.len, ref.len);
    assert_memory_equal(got.data, ref.data, ref.len);
    assert_true((size_t)reads >= ref.len / pieces[i]);
    noc_buf_free(&got);
  }
  noc_buf_free(&ref);
}

/* The older service's eclipses and ingresses stream too, in their own request shapes: the same
 * bytes as their one-buffer NDJSON answers, warnings included. */
static void test_older_endpoints_stream(void **state) {
  (void)state;
  static const struct {
    const char *path, *body, *expect;
  } cases[] = {
      {"stateless/eclipses",
       "{\"start_date\":\"1990-01-01\",\"end_date\":\"2030-12-31\",\"eclipse_type\":\"all\","
       "\"natal_chart\":{\"date\":\"1990-01-15\",\"time\":\"14:30\",\"timezone\":"
       "\"America/New_York\",\"latitude\":40.7128,\"longitude\":-74.006},\"extra\":1}",
       "\"eclipse_type\":\"total\""},
      {"stateless/ingresses",
       "{\"start_date\":\"2000-01-01\",\"end_date\":\"2010-12-31\","
       "\"planets\":[\"SUN\",\"MERCURY\",\"VENUS\",\"MARS\"],\"extra\":1}",
       "\"previous_sign\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    noc_buf ref, got;
    buffered_at(cases[i].path, cases[i].body, &ref);
    assert_true(ref.len > 20000); /* many events: several slices */
    assert_non_null(strstr(ref.data, cases[i].expect));
    assert_non_null(strstr(ref.data, "\"complete\":true"));
    assert_non_null(strstr(ref.data, "extra")); /* the unknown key's warning */
    int reads = streamed_at(cases[i].path, cases[i].body, 100, &got);
    assert_true(reads > 200);
    assert_int_equal(got.len, ref.len);
    assert_memory_equal(got.data, ref.data, ref.len);
    noc_buf_free(&ref);
    noc_buf_free(&got);
  }
}

static int count_lines(const noc_buf *b) {
  int n = 0;
  for (size_t i = 0; i < b->len; i++)
    n += b->data[i] == '\n';
  return n;
}

/* A limit above one slice's cap (256) but below the total holds across slices, and the
 * summary and cursor equal the one-buffer answer's. */
static void test_limit_across_slices(void **state) {
  (void)state;
  const char *body = "{\"start\":\"1900-01-01T00:00:00Z\",\"end\":\"2000-01-01T00:00:00Z\","
                     "\"events\":[\"lunar_phase\"],\"limit\":600,\"time_budget_ms\":10000}";
  noc_buf ref, got;
  buffered(body, &ref);
  streamed(body, 4096, &got);
  assert_int_equal(count_lines(&got), 601);
  assert_non_null(strstr(got.data, "\"stopped_by\":\"limit\""));
  assert_int_equal(got.len, ref.len);
  assert_memory_equal(got.data, ref.data, ref.len);
  noc_buf_free(&ref);
  noc_buf_free(&got);
}

static void test_open_fails_on_input_errors(void **state) {
  (void)state;
  noc_api_env env = {ctx, tzdb};
  /* A cursor that belongs to no request. */
  static const char foreign_cursor[] =
      "{\"start\":\"2000-01-01T00:00:00Z\",\"end\":\"2001-01-01T00:00:00Z\","
      "\"events\":[\"lunar_phase\"],\"cursor\":\"ev1.1.0.0000000000000000\"}";
  static const char *const bad[] = {
      "{\"start\":\"2000-01-01T00:00:00Z\",\"end\":\"2001-01-01T00:00:00Z\",\"events\":[\"nope\"]}",
      foreign_cursor, "[1]", "not json", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    noc_request req = request(bad[i]);
    noc_ev_stream *s = (noc_ev_stream *)&env; /* must be reset to NULL */
    assert_int_not_equal(noc_ev_stream_open(&env, noc_api_find("events/search"), &req, &s), NOC_OK);
    assert_null(s);
  }
  /* The older shapes' own errors, and an endpoint that does not stream. */
  static const struct {
    const char *path, *body;
  } other[] = {
      {"stateless/eclipses", "{\"start_date\":\"2000-01-01\",\"end_date\":\"2001-01-01\","
                             "\"eclipse_type\":\"partial\"}"},
      {"stateless/ingresses", "{\"start_date\":\"2000-01-01\",\"end_date\":\"2001-01-01\","
                              "\"planets\":[\"VULCAN\"]}"},
      {"stateless/ingresses", "{\"end_date\":\"2001-01-01\"}"},
      {"calculations/planetary-positions", "{\"date\":\"2000-01-01\",\"time\":\"12:00\"}"},
  };
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
    noc_request req = request(other[i].body);
    noc_ev_stream *s = (noc_ev_stream *)&env;
    assert_int_not_equal(noc_ev_stream_open(&env, noc_api_find(other[i].path), &req, &s), NOC_OK);
    assert_null(s);
  }
}

/* A client that leaves: the stream is freed with lines still pending. */
static void test_free_mid_stream(void **state) {
  (void)state;
  noc_api_env env = {ctx, tzdb};
  noc_request req = request(LONG);
  noc_ev_stream *s = NULL;
  assert_int_equal(noc_ev_stream_open(&env, noc_api_find("events/search"), &req, &s), NOC_OK);
  char tmp[64];
  assert_true(noc_ev_stream_read(s, ctx, tmp, sizeof tmp) > 0);
  noc_ev_stream_free(s);
  noc_ev_stream_free(NULL);
  assert_true(noc_ev_stream_endpoint(noc_api_find("events/search")));
  assert_true(noc_ev_stream_endpoint(noc_api_find("stateless/eclipses")));
  assert_true(noc_ev_stream_endpoint(noc_api_find("stateless/ingresses")));
  assert_false(noc_ev_stream_endpoint(noc_api_find("calculations/planetary-positions")));
  assert_false(noc_ev_stream_endpoint(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_bytes_any_piece),
      cmocka_unit_test(test_older_endpoints_stream),
      cmocka_unit_test(test_limit_across_slices),
      cmocka_unit_test(test_open_fails_on_input_errors),
      cmocka_unit_test(test_free_mid_stream),
  };
  return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
