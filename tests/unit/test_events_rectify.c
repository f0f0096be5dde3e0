/* Rectification on synthetic charts whose true birth time is known: life events are dated on the
 * days when slow planets perfect aspects to the true chart's angles (found by the event search),
 * and from a birth time given 40 minutes off the method must recover the true one within a few
 * minutes. Also the endpoint's shape and its field-naming errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "nocturna/events.h"
#include "api_fixture.h"
#include "nocturna/nocturna.h"
#include "nocturna/rectify.h"

static noc_time at(const char *iso) {
  noc_time t;
  noc_error err;
  assert_int_equal(noc_parse_iso8601(ctx, iso, &t, &err, "t"), NOC_OK);
  return t;
}

typedef struct hits {
  noc_event ev[256];
  int n;
} hits;

static bool keep(void *user, const noc_event *ev) {
  hits *h = user;
  if (h->n < 256 && ev->stage == NOC_EVS_EXACT) h->ev[h->n++] = *ev;
  return true;
}

/* Events on the days slow planets perfect hard aspects to the true angles, from 18 years after
 * birth; `every` thins them out; the event type follows the angle. */
static int synthetic_events(const noc_time *birth, double lat, double lon, int every,
                            noc_rect_event *out, int cap) {
  noc_houses h;
  noc_error err;
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  assert_int_equal(noc_houses_calc(ctx, birth, lat, lon, noc_house_system_find("PLACIDUS"), &opt,
                                   false, &h, &err),
                   NOC_OK);
  static noc_event_query q;
  memset(&q, 0, sizeof q);
  q.opt = opt;
  q.jd_start = birth->jd_ut + 18 * 365.25;
  q.jd_end = q.jd_start + 25 * 365.25;
  noc_event_spec *s = &q.specs[0];
  noc_event_spec_default(s, NOC_EVK_TRANSIT);
  s->nbodies = 4;
  s->bodies[0] = NOC_SATURN;
  s->bodies[1] = NOC_URANUS;
  s->bodies[2] = NOC_NEPTUNE;
  s->bodies[3] = NOC_PLUTO;
  s->npoints = 2;
  s->points[0] = (noc_event_point){NOC_ASC, h.asc};
  s->points[1] = (noc_event_point){NOC_MC, h.mc};
  for (int a = 0; a < NOC_ASP_COUNT; a++)
    s->aspects[a] = a == NOC_ASP_CONJUNCTION || a == NOC_ASP_OPPOSITION || a == NOC_ASP_SQUARE;
  s->orb_events = false;
  q.nspecs = 1;
  static hits found;
  found.n = 0;
  noc_event_run run = {0};
  noc_event_result res;
  assert_int_equal(noc_events_search(ctx, &q, &run, keep, &found, &res, &err), NOC_OK);
  int n = 0;
  for (int i = 0; i < found.n && n < cap; i += every) {
    const noc_event *ev = &found.ev[i];
    const char *type = ev->target == NOC_MC ? "career_change" : "accident";
    if (ev->aspect == NOC_ASP_OPPOSITION) type = ev->target == NOC_MC ? "relocation" : "marriage";
    assert_true(noc_rect_event_houses(type, &out[n].houses));
    out[n].jd_ut = floor(ev->jd_ut - 0.5) + 1.0; /* only the day is known: noon UT */
    out[n].weight = 1.0;
    n++;
  }
  return n;
}

static int axis_of(int body) {
  if (body == NOC_ASC || body == NOC_DESC) return 0;
  if (body == NOC_MC || body == NOC_IC) return 1;
  return -1;
}

/* A contact to an axis is one contact: never listed against both ends (conjunct MC and opposite
 * IC), and against the DESC or IC only as the conjunction. */
static void check_axis_contacts(const noc_rect_candidate *c) {
  for (int i = 0; i < c->ncontacts; i++) {
    const noc_rect_contact *x = &c->contacts[i];
    int end = axis_of(x->target) >= 0 ? x->target : x->moving;
    if (end == NOC_DESC || end == NOC_IC) assert_int_equal(x->aspect, NOC_ASP_CONJUNCTION);
    for (int j = 0; j < i; j++) {
      const noc_rect_contact *y = &c->contacts[j];
      bool same = x->event == y->event && x->technique == y->technique;
      if (axis_of(x->target) >= 0)
        same = same && x->moving == y->moving && axis_of(x->target) == axis_of(y->target);
      else
        same = same && x->target == y->target && axis_of(x->moving) >= 0 &&
               axis_of(x->moving) == axis_of(y->moving);
      if (same)
        fprintf(stderr, "contact %d and %d: %s %s and %s %s\n", j, i,
                noc_aspect_def_get(y->aspect)->name, noc_body_name((noc_body)y->target),
                noc_aspect_def_get(x->aspect)->name, noc_body_name((noc_body)x->target));
      assert_false(same);
    }
  }
}

static void recover(const char *true_iso, double lat, double lon, double offset_min, int every) {
  noc_time truth = at(true_iso);
  noc_rect_input *in = calloc(1, sizeof *in);
  noc_rect_result *res = calloc(1, sizeof *res);
  assert_non_null(in);
  assert_non_null(res);
  noc_rect_input_default(in);
  in->nevents = synthetic_events(&truth, lat, lon, every, in->events, 8);
  assert_true(in->nevents >= 5);
  noc_error err;
  assert_int_equal(noc_time_from_jd_ut(ctx, truth.jd_ut + offset_min / 1440.0, &in->birth, &err),
                   NOC_OK);
  in->latitude = lat;
  in->longitude = lon;
  in->window_minutes = 90.0;
  assert_int_equal(noc_rectify(ctx, in, res, &err), NOC_OK);
  assert_int_equal(res->samples, 181);
  assert_true(res->ncandidates == 5);
  const noc_rect_candidate *best = &res->candidates[0];
  double off = (best->jd_ut - truth.jd_ut) * 1440.0;
  if (fabs(off) > 3.0)
    fprintf(stderr, "%s: best %.2f min off (score %.2f; second %.2f at %.1f min)\n", true_iso, off,
            best->score, res->candidates[1].score,
            (res->candidates[1].jd_ut - truth.jd_ut) * 1440.0);
  assert_true(fabs(off) <= 3.0);
  /* A close second peak can share the confidence (1999: +10.5 min scores 104.2 against 105.1),
   * but the best keeps a fair part of it and the parts never add up to more than one. */
  double total = 0.0;
  for (int i = 0; i < res->ncandidates; i++)
    total += res->candidates[i].confidence;
  assert_true(total <= 1.0 + 1e-9);
  assert_true(best->confidence > 0.3);
  assert_true(best->ncontacts > 0);
  for (int i = 1; i < res->ncandidates; i++)
    assert_true(res->candidates[i].score <= res->candidates[i - 1].score);
  for (int i = 0; i < res->ncandidates; i++)
    check_axis_contacts(&res->candidates[i]);
  free(in);
  free(res);
}

static void test_recovers_true_time(void **state) {
  (void)state;
  recover("1985-03-12T08:47:00Z", 48.85, 2.35, 43.0, 2);
  recover("1962-11-02T21:13:00Z", -33.87, 151.21, -38.0, 2);
  recover("1999-07-30T03:21:00Z", 40.71, -74.01, 55.0, 1);
}

/* One event, one technique: every contact is listed (fewer than the 12 kept), so the score is
 * their sum, and none of them is the mirror of another: a contact to an axis counted once. */
static void test_axis_counted_once(void **state) {
  (void)state;
  noc_rect_input *in = calloc(1, sizeof *in);
  noc_rect_result *res = calloc(1, sizeof *res);
  assert_non_null(in);
  assert_non_null(res);
  noc_rect_input_default(in);
  noc_time truth = at("1985-03-12T08:47:00Z");
  noc_rect_event ev[8];
  assert_true(synthetic_events(&truth, 48.85, 2.35, 1, ev, 8) >= 1);
  in->events[0] = ev[0];
  in->nevents = 1;
  in->birth = truth;
  in->latitude = 48.85;
  in->longitude = 2.35;
  in->window_minutes = 60.0;
  in->max_candidates = 3;
  for (int i = 0; i < NOC_RECT_TECHNIQUE_COUNT; i++)
    in->techniques[i] = i == NOC_RECT_TRANSIT;
  noc_error err;
  assert_int_equal(noc_rectify(ctx, in, res, &err), NOC_OK);
  assert_true(res->ncandidates >= 1);
  for (int k = 0; k < res->ncandidates; k++) {
    const noc_rect_candidate *c = &res->candidates[k];
    assert_true(c->ncontacts >= 1 && c->ncontacts < NOC_RECT_MAX_CONTACTS);
    double sum = 0.0;
    for (int i = 0; i < c->ncontacts; i++)
      sum += c->contacts[i].score;
    assert_true(fabs(sum - c->score) < 1e-9);
    check_axis_contacts(c);
  }
  /* The best time lies on the transit's exact contact: one angle contact there, not two. */
  const noc_rect_candidate *best = &res->candidates[0];
  int to_angles = 0;
  for (int i = 0; i < best->ncontacts; i++)
    to_angles += axis_of(best->contacts[i].target) >= 0 && best->contacts[i].orb < 0.1;
  assert_int_equal(to_angles, 1);
  free(in);
  free(res);
}

/* ---- The endpoint ------------------------------------------------------------------------------
 */

static json_t *run(const char *body, int *status) {
  const noc_endpoint *ep = noc_api_find("stateless/rectification");
  assert_non_null(ep);
  assert_non_null(noc_api_find("calculations/rectification"));
  noc_api_env env = {ctx, tzdb};
  noc_request req = {body, strlen(body), "test", 1700000000000LL, false};
  noc_buf out;
  noc_buf_init(&out, 1u << 20);
  noc_response resp;
  noc_api_run(&env, ep, &req, &out, &resp);
  *status = resp.http_status;
  json_error_t jerr;
  json_t *j = json_loadb(out.data, out.len, 0, &jerr);
  noc_buf_free(&out);
  assert_non_null(j);
  return j;
}

static void expect_field(const char *body, const char *field) {
  int status = 0;
  json_t *j = run(body, &status);
  assert_int_equal(status, 400);
  const char *got = json_string_value(
      json_object_get(json_object_get(json_object_get(j, "error"), "details"), "field"));
  if (got == NULL || strcmp(got, field) != 0)
    fprintf(stderr, "field %s, expected %s\n", got ? got : "(none)", field);
  assert_non_null(got);
  assert_string_equal(got, field);
  json_decref(j);
}

#define CHART                                                                                      \
  "\"chart_data\":{\"date\":\"1985-03-12\",\"time\":\"09:30:00\","                                 \
  "\"timezone\":\"Europe/Paris\",\"latitude\":48.85,\"longitude\":2.35}"

static void test_endpoint(void **state) {
  (void)state;
  int status = 0;
  json_t *j = run("{" CHART ",\"events\":[{\"type\":\"marriage\",\"date\":\"2009-06-20\"},"
                  "{\"type\":\"career_change\",\"date\":\"2012-01-24\",\"time\":\"10:00\"},"
                  "{\"type\":\"quest\",\"date\":\"2016-05-01\"}],\"time_range_minutes\":30,"
                  "\"step_minutes\":2,\"candidates\":3}",
                  &status);
  assert_int_equal(status, 200);
  json_t *d = json_object_get(j, "data");
  json_t *c = json_object_get(d, "candidates");
  assert_int_equal(json_array_size(c), 3);
  json_t *first = json_array_get(c, 0);
  assert_int_equal(json_integer_value(json_object_get(first, "rank")), 1);
  assert_non_null(json_string_value(json_object_get(first, "time")));
  /* Paris in March: +01:00. */
  assert_non_null(strstr(json_string_value(json_object_get(first, "local_time")), "+01:00"));
  assert_true(fabs(json_real_value(json_object_get(first, "offset_minutes"))) <= 30.0);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "window"), "samples")),
                   31);
  /* The unknown event type is a warning. */
  json_t *w = json_object_get(json_object_get(j, "meta"), "warnings");
  assert_int_equal(json_array_size(w), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(w, 0), "code")),
                      "UNKNOWN_EVENT_TYPE");
  json_decref(j);
  expect_field("{\"events\":[{\"type\":\"marriage\",\"date\":\"2009-06-20\"}]}", "chart_data");
  expect_field("{\"chart_data\":{\"date\":\"1985-03-12\",\"time\":\"09:30:00\"},\"events\":"
               "[{\"type\":\"marriage\",\"date\":\"2009-06-20\"}]}",
               "chart_data.latitude");
  expect_field("{" CHART ",\"events\":[]}", "events");
  expect_field("{" CHART ",\"events\":[{\"type\":\"marriage\",\"date\":\"2009-13-20\"}]}",
               "events[0].date");
  expect_field("{" CHART ",\"events\":[{\"type\":\"marriage\",\"date\":\"1970-01-01\"}]}",
               "events[0]");
  expect_field("{" CHART ",\"events\":[{\"type\":\"marriage\",\"date\":\"2009-06-20\"}],"
               "\"techniques\":[\"tarot\"]}",
               "techniques[0]");
  expect_field("{" CHART ",\"events\":[{\"type\":\"marriage\",\"date\":\"2009-06-20\"}],"
               "\"time_range_minutes\":720,\"step_minutes\":0.25}",
               "step_minutes");
  /* The house system is the chart's field, named as such. */
  expect_field("{\"chart_data\":{\"date\":\"1985-03-12\",\"time\":\"09:30:00\","
               "\"timezone\":\"Europe/Paris\",\"latitude\":48.85,\"longitude\":2.35,"
               "\"house_system\":\"GAUQUELIN\"},\"events\":[{\"type\":\"marriage\",\"date\":"
               "\"2009-06-20\"}]}",
               "chart_data.house_system");
  expect_field("{\"natal_chart\":{\"date\":\"1985-03-12\",\"time\":\"09:30:00\","
               "\"timezone\":\"Europe/Paris\",\"latitude\":48.85,\"longitude\":2.35,"
               "\"house_system\":\"G\"},\"events\":[{\"type\":\"marriage\",\"date\":"
               "\"2009-06-20\"}]}",
               "natal_chart.house_system");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recovers_true_time),
      cmocka_unit_test(test_axis_counted_once),
      cmocka_unit_test(test_endpoint),
  };
  return cmocka_run_group_tests(tests, api_setup, api_teardown);
}
