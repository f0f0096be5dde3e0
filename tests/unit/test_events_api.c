/* The event endpoints through the endpoint table: envelope and NDJSON shapes, the cursor over
 * several requests, the limit, the time budget and the size bound, field-naming errors, and the
 * older service's stateless eclipses and ingresses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api_fixture.h"
#include "nocturna/nocturna.h"

typedef struct answer {
  noc_response resp;
  noc_buf out;  /* owned */
  json_t *json; /* owned; NULL for NDJSON */
} answer;

static void call_max(const char *path, const char *body, bool ndjson, size_t max, answer *a) {
  const noc_endpoint *ep = noc_api_find(path);
  assert_non_null(ep);
  noc_api_env env = {ctx, tzdb};
  noc_request req = {body, strlen(body), "test", 1700000000000LL, ndjson};
  noc_buf_init(&a->out, max);
  memset(&a->resp, 0, sizeof a->resp);
  noc_api_run(&env, ep, &req, &a->out, &a->resp);
  a->json = NULL;
  if (!ndjson || a->resp.http_status != 200) {
    json_error_t jerr;
    a->json = json_loadb(a->out.data, a->out.len, 0, &jerr);
    if (a->json == NULL) fprintf(stderr, "not JSON: %.300s\n", a->out.data);
    assert_non_null(a->json);
  }
}

static void call(const char *path, const char *body, answer *a) {
  call_max(path, body, false, 16u << 20, a);
}

static void answer_free(answer *a) {
  json_decref(a->json);
  noc_buf_free(&a->out);
}

static json_t *data_of(answer *a) {
  if (a->resp.http_status != 200)
    fprintf(stderr, "status %d: %.400s\n", a->resp.http_status, a->out.data);
  assert_int_equal(a->resp.http_status, 200);
  return json_object_get(a->json, "data");
}

static void expect_error(const char *path, const char *body, const char *field) {
  answer a;
  call(path, body, &a);
  if (a.resp.http_status != 400)
    fprintf(stderr, "expected 400 for %s, got %d: %.300s\n", body, a.resp.http_status, a.out.data);
  assert_int_equal(a.resp.http_status, 400);
  json_t *details = json_object_get(json_object_get(a.json, "error"), "details");
  const char *got = json_string_value(json_object_get(details, "field"));
  if (got == NULL || strcmp(got, field) != 0)
    fprintf(stderr, "field %s, expected %s (%s)\n", got ? got : "(none)", field, body);
  assert_non_null(got);
  assert_string_equal(got, field);
  answer_free(&a);
}

static json_t *meta_of(answer *a) {
  return json_object_get(a->json, "meta");
}

static double number_at(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  assert_true(json_is_number(v));
  return json_number_value(v);
}

#define NATAL                                                                                      \
  "\"natal_chart\":{\"date\":\"1990-06-15\",\"time\":\"14:30:00\",\"timezone\":\"UTC\","           \
  "\"latitude\":51.5,\"longitude\":-0.12}"

static void test_envelope(void **state) {
  (void)state;
  answer a;
  call("events/search",
       "{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2024-02-01T00:00:00Z\","
       "\"events\":[\"lunar_phase\"]}",
       &a);
  json_t *d = data_of(&a);
  json_t *events = json_object_get(d, "events");
  assert_int_equal(json_array_size(events), 4);
  assert_int_equal(json_integer_value(json_object_get(d, "count")), 4);
  assert_true(json_is_true(json_object_get(d, "complete")));
  assert_true(json_is_null(json_object_get(d, "cursor")));
  /* New Moon 2024-01-11 11:57 UTC (USNO). */
  json_t *nm = json_array_get(events, 1);
  assert_string_equal(json_string_value(json_object_get(nm, "phase")), "new");
  assert_string_equal(json_string_value(json_object_get(nm, "time")), "2024-01-11T11:57:25Z");
  answer_free(&a);
}

static char *collect_pages(const char *base, int limit, int *pages, int *count) {
  /* base: a request body without the closing brace. Returns the concatenated times. */
  size_t cap = 1 << 20, len = 0;
  char *times = calloc(1, cap);
  assert_non_null(times);
  char cursor[128] = "";
  *pages = 0;
  *count = 0;
  for (;;) {
    char body[2048];
    if (cursor[0])
      snprintf(body, sizeof body, "%s,\"limit\":%d,\"cursor\":\"%s\"}", base, limit, cursor);
    else
      snprintf(body, sizeof body, "%s,\"limit\":%d}", base, limit);
    answer a;
    call("events/search", body, &a);
    json_t *d = data_of(&a);
    json_t *events = json_object_get(d, "events");
    assert_true((int)json_array_size(events) <= limit);
    for (size_t i = 0; i < json_array_size(events); i++) {
      json_t *ev = json_array_get(events, i);
      len += (size_t)snprintf(times + len, cap - len, "%s %s %s|",
                              json_string_value(json_object_get(ev, "time")),
                              json_string_value(json_object_get(ev, "kind")),
                              json_string_value(json_object_get(ev, "body")));
      (*count)++;
    }
    (*pages)++;
    bool complete = json_is_true(json_object_get(d, "complete"));
    if (!complete) {
      assert_string_equal(json_string_value(json_object_get(d, "stopped_by")), "limit");
      snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(d, "cursor")));
    }
    answer_free(&a);
    if (complete) break;
    assert_true(*pages < 1000);
  }
  return times;
}

static void test_cursor_pages(void **state) {
  (void)state;
  const char *base = "{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2024-03-01T00:00:00Z\"," NATAL
                     ",\"events\":[{\"kind\":\"transit\",\"bodies\":[\"SUN\",\"MARS\","
                     "\"MOON\"]},\"sign_ingress\"]";
  int pages = 0, count = 0, pages1 = 0, count1 = 0;
  char *paged = collect_pages(base, 13, &pages, &count);
  char *whole = collect_pages(base, 10000, &pages1, &count1);
  assert_int_equal(pages1, 1);
  assert_int_equal(count, count1);
  assert_true(count > 100);
  assert_int_equal(pages, (count + 12) / 13 + (count % 13 == 0 ? 1 : 0));
  assert_string_equal(paged, whole);
  free(paged);
  free(whole);
  /* A cursor is refused by another request. */
  answer a;
  char body[2048];
  snprintf(body, sizeof body, "%s,\"limit\":3}", base);
  call("events/search", body, &a);
  char cursor[128];
  snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(data_of(&a), "cursor")));
  answer_free(&a);
  snprintf(body, sizeof body,
           "{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2024-03-02T00:00:00Z\",\"events\":"
           "[\"sign_ingress\"],\"cursor\":\"%s\"}",
           cursor);
  expect_error("events/search", body, "cursor");
}

static void test_ndjson(void **state) {
  (void)state;
  answer a;
  call_max("events/search",
           "{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2024-07-01T00:00:00Z\","
           "\"events\":[\"lunar_phase\",\"eclipse\"]}",
           true, 16u << 20, &a);
  assert_int_equal(a.resp.http_status, 200);
  assert_string_equal(a.resp.content_type, "application/x-ndjson");
  int lines = 0, events = 0;
  double last = 0.0;
  char *save = NULL;
  for (char *line = strtok_r(a.out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    json_error_t jerr;
    json_t *obj = json_loads(line, 0, &jerr);
    assert_non_null(obj);
    lines++;
    json_t *summary = json_object_get(obj, "summary");
    if (summary) {
      assert_int_equal(json_integer_value(json_object_get(summary, "count")), events);
      assert_true(json_is_true(json_object_get(summary, "complete")));
      assert_string_equal(json_string_value(json_object_get(summary, "request_id")), "test");
    } else {
      double jd = json_real_value(json_object_get(obj, "julian_day_ut"));
      assert_true(jd >= last);
      last = jd;
      events++;
    }
    json_decref(obj);
  }
  assert_int_equal(lines, events + 1);
  assert_int_equal(events, 25 + 2); /* 25 phases (five in May), the eclipses of March and April */
  answer_free(&a);
  /* Errors stay JSON envelopes. */
  call_max("events/search", "{\"events\":[\"lunar_phase\"]}", true, 1u << 20, &a);
  assert_int_equal(a.resp.http_status, 400);
  assert_string_equal(a.resp.content_type, "application/json");
  answer_free(&a);
}

static void test_budget_and_size(void **state) {
  (void)state;
  answer a;
  call("events/search",
       "{\"start\":\"1900-01-01T00:00:00Z\",\"end\":\"2100-01-01T00:00:00Z\"," NATAL
       ",\"events\":[\"transit\"],\"time_budget_ms\":1}",
       &a);
  json_t *d = data_of(&a);
  assert_false(json_is_true(json_object_get(d, "complete")));
  assert_string_equal(json_string_value(json_object_get(d, "stopped_by")), "time_budget");
  assert_non_null(json_string_value(json_object_get(d, "cursor")));
  assert_true(json_array_size(json_object_get(d, "events")) > 0);
  answer_free(&a);
  /* A small response bound: the search stops by size and the body stays valid JSON. */
  call_max("events/search",
           "{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2025-01-01T00:00:00Z\"," NATAL
           ",\"events\":[\"transit\"],\"limit\":10000}",
           false, 200 * 1024, &a);
  d = data_of(&a);
  assert_string_equal(json_string_value(json_object_get(d, "stopped_by")), "size");
  assert_true(json_array_size(json_object_get(d, "events")) > 100);
  assert_true(a.out.len < 200 * 1024);
  answer_free(&a);
}

static void test_errors(void **state) {
  (void)state;
  const char *p = "events/search";
  expect_error(p, "{\"start\":\"2024-01-01T00:00:00Z\",\"end\":\"2024-02-01T00:00:00Z\"}",
               "events");
  expect_error(p, "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[\"nope\"]}",
               "events[0]");
  expect_error(p, "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[{\"kind\":1}]}",
               "events[0].kind");
  expect_error(p, "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[\"transit\"]}",
               "events[0].targets");
  expect_error(p,
               "{\"start\":\"2024-01-01T10:00\",\"end\":\"2024-02-01\",\"events\":[\"eclipse\"]}",
               "start");
  expect_error(p, "{\"start\":\"2024-03-01\",\"end\":\"2024-02-01\",\"events\":[\"eclipse\"]}",
               "end");
  expect_error(p,
               "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[\"house_ingress\"]}",
               "events[0].kind");
  expect_error(p,
               "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[\"eclipse\"],"
               "\"limit\":0}",
               "limit");
  expect_error(p,
               "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[{\"kind\":"
               "\"station\",\"bodies\":[\"MC\"]}]}",
               "events[0].bodies");
  expect_error(p,
               "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[{\"kind\":"
               "\"transit\",\"aspects\":[\"TRINE\",\"BOGUS\"]}]," NATAL "}",
               "events[0].aspects[1]");
  expect_error(p,
               "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[{\"kind\":"
               "\"sign_ingress\",\"bodies\":[\"CHIRON\"]}],\"zodiac\":\"lunar\"}",
               "zodiac");
  expect_error(p,
               "{\"start\":\"0500-01-01\",\"end\":\"0501-02-01\",\"events\":[{\"kind\":"
               "\"sign_ingress\",\"bodies\":[\"CHIRON\"]}]}",
               "events[0].bodies");
  /* Unknown option keys are warnings, not errors. */
  answer a;
  call(p,
       "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\",\"events\":[{\"kind\":\"eclipse\","
       "\"colour\":1}],\"extra\":true}",
       &a);
  data_of(&a);
  json_t *warnings = json_object_get(json_object_get(a.json, "meta"), "warnings");
  assert_int_equal(json_array_size(warnings), 2);
  answer_free(&a);
}

static void test_kinds_with_natal(void **state) {
  (void)state;
  answer a;
  call(
      "events/search",
      "{\"start\":\"2024-06-01T00:00:00Z\",\"end\":\"2024-07-01T00:00:00Z\"," NATAL
      ",\"events\":[{\"kind\":\"return\",\"bodies\":[\"SUN\",\"MOON\"]},\"house_ingress\","
      "{\"kind\":\"void_of_course\"},{\"kind\":\"mundane_aspect\",\"bodies\":[\"SUN\",\"MARS\","
      "\"SATURN\"]},{\"kind\":\"node_passage\"},{\"kind\":\"transit\",\"targets\":[\"ASC\",\"MC\"],"
      "\"aspects\":[\"CONJUNCTION\",\"OPPOSITION\"],\"orbs\":{\"CONJUNCTION\":2}}]}",
      &a);
  json_t *events = json_object_get(data_of(&a), "events");
  int kinds[10] = {0};
  static const char *const names[] = {"return",         "house_ingress", "void_of_course",
                                      "mundane_aspect", "node_passage",  "transit"};
  for (size_t i = 0; i < json_array_size(events); i++) {
    const char *k = json_string_value(json_object_get(json_array_get(events, i), "kind"));
    for (int j = 0; j < 6; j++)
      if (strcmp(k, names[j]) == 0) kinds[j]++;
  }
  assert_int_equal(kinds[0], 1 + 1); /* the solar return of 1990-06-15 and one lunar return */
  for (int j = 1; j < 6; j++)
    assert_true(kinds[j] > 0);
  answer_free(&a);
}

static void test_stateless(void **state) {
  (void)state;
  answer a;
  call("stateless/eclipses",
       "{\"natal_chart\":{\"date\":\"1990-06-15\",\"time\":\"14:30:00\",\"latitude\":32.78,"
       "\"longitude\":-96.8,\"timezone\":\"America/Chicago\"},\"start_date\":\"2024-01-01\","
       "\"end_date\":\"2024-12-31\",\"eclipse_type\":\"all\"}",
       &a);
  json_t *ecl = json_object_get(data_of(&a), "eclipses");
  assert_int_equal(json_array_size(ecl), 4);
  json_t *apr = json_array_get(ecl, 1);
  assert_string_equal(json_string_value(json_object_get(apr, "eclipse_type")), "total");
  json_t *local = json_object_get(apr, "local");
  assert_true(json_is_true(json_object_get(local, "visible")));
  /* Dallas saw it total: the whole disc covered, globally and locally (not SE's 1.118). */
  assert_true(number_at(apr, "obscuration") == 1.0);
  assert_true(number_at(local, "obscuration") == 1.0);
  answer_free(&a);
  call("stateless/eclipses",
       "{\"start_date\":\"2024-01-01\",\"end_date\":\"2024-12-31\",\"eclipse_type\":\"solar\"}",
       &a);
  assert_int_equal(json_array_size(json_object_get(data_of(&a), "eclipses")), 2);
  answer_free(&a);
  expect_error("stateless/eclipses",
               "{\"start_date\":\"2024-01-01\",\"end_date\":\"2024-12-31\",\"eclipse_type\":\"x\"}",
               "eclipse_type");
  /* end_date includes its day: the Sun enters Aquarius on 2024-01-20. */
  call("stateless/ingresses",
       "{\"start_date\":\"2024-01-01\",\"end_date\":\"2024-01-20\",\"planets\":[\"SUN\"]}", &a);
  json_t *ing = json_object_get(data_of(&a), "ingresses");
  assert_int_equal(json_array_size(ing), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(ing, 0), "sign")),
                      "AQUARIUS");
  answer_free(&a);
  expect_error("stateless/ingresses",
               "{\"start_date\":\"2024-01-01\",\"end_date\":\"2024-01-20\",\"planets\":[\"ASC\"]}",
               "planets");
}

/* ---- Settings: the zodiac of a search and what meta reports ---------------------------------- */

/* The ayanamsa (true or mean) at an ISO instant, as the library computes it. */
static double ayanamsa_at(const char *iso, bool mean) {
  noc_time t;
  noc_error err;
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  opt.zodiac = NOC_SIDEREAL;
  assert_true(noc_ayanamsa_from_name("LAHIRI", &opt.ayanamsa));
  assert_int_equal(noc_parse_iso8601(ctx, iso, &t, &err, "t"), NOC_OK);
  double v = 0.0;
  assert_int_equal(mean ? noc_ayanamsa_mean_value(ctx, &t, &opt, &v, &err)
                        : noc_ayanamsa_value(ctx, &t, &opt, &v, &err),
                   NOC_OK);
  return v;
}

/* A sidereal search without a natal chart reports the ayanamsa in force at its start. */
static void expect_sidereal_meta(answer *a, const char *start_iso) {
  json_t *set = json_object_get(meta_of(a), "settings");
  assert_string_equal(json_string_value(json_object_get(set, "zodiac")), "sidereal");
  assert_string_equal(json_string_value(json_object_get(set, "ayanamsa")), "LAHIRI");
  double got = number_at(set, "ayanamsa_deg"), want = ayanamsa_at(start_iso, false);
  assert_true(want > 24.0 && want < 24.3);
  assert_true(fabs(got - want) < 1e-6);
  assert_true(fabs(number_at(set, "ayanamsa_mean_deg") - ayanamsa_at(start_iso, true)) < 1e-6);
}

static size_t warning_count(answer *a) {
  return json_array_size(json_object_get(meta_of(a), "warnings"));
}

static void test_settings(void **state) {
  (void)state;
  answer a;
  /* events/search: the Sun enters sidereal (Lahiri) Aries on 2024-04-13. */
  call("events/search",
       "{\"start\":\"2024-04-01T00:00:00Z\",\"end\":\"2024-05-01T00:00:00Z\",\"zodiac\":"
       "\"sidereal\",\"ayanamsa\":\"LAHIRI\",\"events\":[{\"kind\":\"sign_ingress\",\"bodies\":"
       "[\"SUN\"]}]}",
       &a);
  json_t *ev = json_array_get(json_object_get(data_of(&a), "events"), 0);
  assert_string_equal(json_string_value(json_object_get(ev, "sign")), "ARIES");
  assert_int_equal(strncmp(json_string_value(json_object_get(ev, "time")), "2024-04-13", 10), 0);
  expect_sidereal_meta(&a, "2024-04-01T00:00:00Z");
  assert_int_equal(warning_count(&a), 0);
  answer_free(&a);
  /* stateless/ingresses takes the same top-level zodiac, without an unknown-field warning. */
  call("stateless/ingresses",
       "{\"start_date\":\"2024-04-01\",\"end_date\":\"2024-04-30\",\"planets\":[\"SUN\"],"
       "\"zodiac\":\"sidereal\",\"ayanamsa\":\"LAHIRI\"}",
       &a);
  ev = json_array_get(json_object_get(data_of(&a), "ingresses"), 0);
  assert_string_equal(json_string_value(json_object_get(ev, "sign")), "ARIES");
  assert_int_equal(strncmp(json_string_value(json_object_get(ev, "time")), "2024-04-13", 10), 0);
  expect_sidereal_meta(&a, "2024-04-01T00:00:00Z");
  assert_int_equal(warning_count(&a), 0);
  answer_free(&a);
  /* stateless/eclipses: the total eclipse of 2024-04-08 at 19.4 tropical Aries is in sidereal
   * Pisces. */
  call("stateless/eclipses",
       "{\"start_date\":\"2024-04-01\",\"end_date\":\"2024-04-30\",\"eclipse_type\":\"solar\","
       "\"zodiac\":\"sidereal\",\"ayanamsa\":\"LAHIRI\"}",
       &a);
  ev = json_array_get(json_object_get(data_of(&a), "eclipses"), 0);
  assert_string_equal(json_string_value(json_object_get(ev, "sign")), "PISCES");
  expect_sidereal_meta(&a, "2024-04-01T00:00:00Z");
  assert_int_equal(warning_count(&a), 0);
  answer_free(&a);
  /* With a natal chart its own settings rule: a top-level zodiac is not applied, and a warning
   * says so, naming the field to use instead. The Sun still enters tropical Aries. */
  call("events/search",
       "{\"start\":\"2024-03-15T00:00:00Z\",\"end\":\"2024-03-25T00:00:00Z\"," NATAL
       ",\"zodiac\":\"sidereal\",\"events\":[{\"kind\":\"sign_ingress\",\"bodies\":[\"SUN\"]}]}",
       &a);
  ev = json_array_get(json_object_get(data_of(&a), "events"), 0);
  assert_string_equal(json_string_value(json_object_get(ev, "sign")), "ARIES");
  assert_int_equal(strncmp(json_string_value(json_object_get(ev, "time")), "2024-03-20", 10), 0);
  json_t *w = json_object_get(meta_of(&a), "warnings");
  assert_int_equal(json_array_size(w), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(w, 0), "code")),
                      "FIELD_IGNORED");
  const char *msg = json_string_value(json_object_get(json_array_get(w, 0), "message"));
  assert_non_null(strstr(msg, "zodiac was ignored"));
  assert_non_null(strstr(msg, "natal_chart.zodiac"));
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(meta_of(&a), "settings"), "zodiac")),
      "tropical");
  answer_free(&a);
}

#define NATAL_HELIO                                                                                \
  "\"natal_chart\":{\"date\":\"1990-06-15\",\"time\":\"14:30:00\",\"timezone\":\"UTC\","           \
  "\"latitude\":51.5,\"longitude\":-0.12,\"center\":\"heliocentric\"}"

/* Phases, the void Moon and eclipses need the Earth's view: with a heliocentric natal chart the
 * error names the chart's center, not a bodies list these kinds do not read. */
static void test_heliocentric_natal(void **state) {
  (void)state;
  static const char *const kinds[] = {"lunar_phase", "eclipse", "void_of_course"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    char body[512];
    snprintf(body, sizeof body,
             "{\"start\":\"2024-01-01\",\"end\":\"2024-02-01\"," NATAL_HELIO
             ",\"events\":[{\"kind\":\"station\"},\"%s\"]}",
             kinds[i]);
    expect_error("events/search", body, "natal_chart.center");
  }
  expect_error("stateless/eclipses",
               "{\"start_date\":\"2024-01-01\",\"end_date\":\"2024-12-31\"," NATAL_HELIO "}",
               "natal_chart.center");
  /* Kinds with bodies still search heliocentrically. */
  answer a;
  call("events/search",
       "{\"start\":\"2024-01-01\",\"end\":\"2024-12-31\"," NATAL_HELIO
       ",\"events\":[{\"kind\":\"sign_ingress\",\"bodies\":[\"MARS\"]}]}",
       &a);
  assert_true(json_array_size(json_object_get(data_of(&a), "events")) > 0);
  answer_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_envelope),
      cmocka_unit_test(test_cursor_pages),
      cmocka_unit_test(test_ndjson),
      cmocka_unit_test(test_budget_and_size),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_kinds_with_natal),
      cmocka_unit_test(test_stateless),
      cmocka_unit_test(test_settings),
      cmocka_unit_test(test_heliocentric_natal),
  };
  return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
