/* Dates, calendars, parsing and time scales. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nocturna/nocturna.h"

static void test_days_from_civil(void **state) {
  (void)state;
  assert_int_equal(noc_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(noc_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(noc_days_from_civil(1969, 12, 31), -1);
  /* Round trip over a wide span, including negative years. */
  for (int64_t d = -3000000; d <= 1300000; d += 997) {
    int y, m, dd;
    noc_civil_from_days(d, &y, &m, &dd);
    assert_int_equal(noc_days_from_civil(y, m, dd), d);
  }
}

static void test_leap_years(void **state) {
  (void)state;
  assert_true(noc_is_leap_year(2000, false));
  assert_false(noc_is_leap_year(1900, false));
  assert_true(noc_is_leap_year(1900, true));
  assert_true(noc_is_leap_year(0, false));
  assert_true(noc_is_leap_year(-4, true));
  assert_false(noc_is_leap_year(-1, true));
  assert_int_equal(noc_days_in_month(2023, 2, false), 28);
  assert_int_equal(noc_days_in_month(2024, 2, false), 29);
}

static void test_parse_date(void **state) {
  (void)state;
  noc_civil c = {0};
  noc_error err;
  assert_int_equal(noc_parse_date("1990-01-15", NOC_CAL_AUTO, &c, &err, "date"), NOC_OK);
  assert_int_equal(c.year, 1990);
  assert_int_equal(noc_parse_date("-4712-01-01", NOC_CAL_AUTO, &c, &err, "date"), NOC_OK);
  assert_int_equal(c.year, -4712);
  assert_int_equal(noc_parse_date("2023-02-30", NOC_CAL_AUTO, &c, &err, "date"),
                   NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "date");
  /* 1500-02-29 exists in the Julian calendar only. */
  assert_int_equal(noc_parse_date("1500-02-29", NOC_CAL_AUTO, &c, &err, "date"), NOC_OK);
  assert_int_equal(noc_parse_date("1500-02-29", NOC_CAL_GREGORIAN, &c, &err, "date"),
                   NOC_ERR_VALIDATION);
  assert_int_equal(noc_parse_date("1582-10-10", NOC_CAL_AUTO, &c, &err, "date"),
                   NOC_ERR_VALIDATION);
  assert_int_equal(noc_parse_date("1582-10-10", NOC_CAL_GREGORIAN, &c, &err, "date"), NOC_OK);
  assert_int_equal(noc_parse_date("6000-01-01", NOC_CAL_AUTO, &c, &err, "date"), NOC_ERR_RANGE);
  static const char *const bad[] = {"",           "1990",       "1990-1-15",  "1990-01-15x",
                                    "90-01-15",   "1990/01/15", "1990-13-01", "1990-00-10",
                                    "１990-01-01"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_not_equal(noc_parse_date(bad[i], NOC_CAL_AUTO, &c, &err, "date"), NOC_OK);
}

static void test_parse_clock(void **state) {
  (void)state;
  noc_civil c = {0};
  noc_error err;
  assert_int_equal(noc_parse_clock("14:30", &c, &err, "time"), NOC_OK);
  assert_int_equal(c.hour, 14);
  assert_true(c.second == 0.0);
  assert_int_equal(noc_parse_clock("23:59:59.125", &c, &err, "time"), NOC_OK);
  assert_true(fabs(c.second - 59.125) < 1e-12);
  static const char *const bad[] = {"25:00",  "24:00",     "12:60", "12:00:61", "1:00",
                                    "12:00:", "12:00:00.", "12",    "12:00 PM", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_not_equal(noc_parse_clock(bad[i], &c, &err, "time"), NOC_OK);
}

static void test_julian_to_gregorian(void **state) {
  (void)state;
  /* The reform: Julian 1582-10-04 is followed by Gregorian 1582-10-15. */
  noc_civil j = {1582, 10, 5, 0, 0, 0}, g;
  noc_to_gregorian(&j, true, &g);
  assert_int_equal(g.year, 1582);
  assert_int_equal(g.month, 10);
  assert_int_equal(g.day, 15);
  /* Meeus 7.a/7.b: JD 2451545.0 is 2000-01-01.5; Julian 333-01-27 12:00 is JD 1842713.0. */
  noc_civil old = {333, 1, 27, 12, 0, 0};
  noc_to_gregorian(&old, true, &g);
  int64_t days = noc_days_from_civil(g.year, g.month, g.day);
  assert_true(fabs((double)days + 2440587.5 + 0.5 - 1842713.0) < 1e-9);
}

static void test_time_scales(void **state) {
  (void)state;
  noc_ctx *ctx;
  noc_error err;
  assert_int_equal(noc_ctx_open(&ctx, NULL, &err), NOC_OK);
  noc_time t;
  noc_civil utc = {2000, 1, 1, 12, 0, 0};
  assert_int_equal(noc_time_from_utc(ctx, &utc, false, &t, &err), NOC_OK);
  /* At J2000, TT - UTC = 32.184 + 32 leap seconds = 64.184 s. */
  assert_true(fabs(t.jd_tt - (2451545.0 + 64.184 / 86400.0)) < 1e-8);
  assert_true(t.delta_t_sec > 63.0 && t.delta_t_sec < 65.0);
  /* A real leap second: 2016-12-31 23:59:60 UTC. */
  noc_civil leap = {2016, 12, 31, 23, 59, 60.5};
  assert_int_equal(noc_time_from_utc(ctx, &leap, false, &t, &err), NOC_OK);
  noc_civil not_leap = {2016, 12, 30, 23, 59, 60.5};
  assert_int_equal(noc_time_from_utc(ctx, &not_leap, false, &t, &err), NOC_ERR_VALIDATION);
  /* TT -> UT1 inversion. */
  noc_time back;
  assert_int_equal(noc_time_from_jd_tt(ctx, 2451545.0, &back, &err), NOC_OK);
  assert_true(fabs(back.jd_tt - back.jd_ut - back.delta_t_sec / 86400.0) < 1e-12);
  noc_ctx_close(ctx);
}

static void test_format_utc(void **state) {
  (void)state;
  char buf[64];
  noc_civil c = {2021, 12, 31, 23, 59, 59.9999996};
  assert_true(noc_format_utc(&c, 3, buf, sizeof buf) > 0);
  assert_string_equal(buf, "2022-01-01T00:00:00.000Z");
  noc_civil old = {-44, 3, 15, 9, 5, 7.25};
  assert_true(noc_format_utc(&old, 0, buf, sizeof buf) > 0);
  assert_string_equal(buf, "-0044-03-15T09:05:07Z");
  assert_int_equal(noc_format_utc(&old, 0, buf, 8), -1);
  noc_civil leap = {2016, 12, 31, 23, 59, 60.25};
  assert_true(noc_format_utc(&leap, 2, buf, sizeof buf) > 0);
  assert_string_equal(buf, "2016-12-31T23:59:60.25Z");
  /* A buffer just big enough takes the printf path: the same text. */
  char small[21];
  noc_civil plain = {1990, 5, 15, 14, 30, 0.0};
  assert_int_equal(noc_format_utc(&plain, 0, small, sizeof small), 20);
  assert_string_equal(small, "1990-05-15T14:30:00Z");
  assert_int_equal(noc_format_utc(&plain, 0, small, 20), -1);
  noc_civil far = {12345, 1, 2, 3, 4, 5.5};
  assert_true(noc_format_utc(&far, 1, buf, sizeof buf) > 0);
  assert_string_equal(buf, "+12345-01-02T03:04:05.5Z");
}

/* UTC offsets as the meta block and fixed-offset zones show them, and what does not fit. */
static void test_format_offset(void **state) {
  (void)state;
  static const struct {
    int32_t seconds;
    const char *text;
  } cases[] = {{0, "+00:00"},     {19800, "+05:30"}, {-28800, "-08:00"},    {-17762, "-04:56:02"},
               {50400, "+14:00"}, {-1, "-00:00:01"}, {359999, "+99:59:59"}, {-45900, "-12:45"}};
  char buf[16];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(noc_format_offset(cases[i].seconds, buf, sizeof buf),
                     (int)strlen(cases[i].text));
    assert_string_equal(buf, cases[i].text);
  }
  assert_int_equal(noc_format_offset(360000, buf, sizeof buf), -1); /* 100 hours */
  assert_int_equal(noc_format_offset(INT32_MIN, buf, sizeof buf), -1);
  assert_int_equal(noc_format_offset(3600, buf, 9), -1); /* "+01:00:00" would not fit */
}

/* The bounded copy: whole, truncated, and the length it reports. */
static void test_strlcpy(void **state) {
  (void)state;
  char buf[6];
  assert_int_equal(noc_strlcpy(buf, "UTC", sizeof buf), 3);
  assert_string_equal(buf, "UTC");
  assert_int_equal(noc_strlcpy(buf, "America/New_York", sizeof buf), 16);
  assert_string_equal(buf, "Ameri");
  assert_int_equal(noc_strlcpy(buf, "", sizeof buf), 0);
  assert_string_equal(buf, "");
  assert_int_equal(noc_strlcpy(buf, "xy", 1), 2);
  assert_string_equal(buf, "");
  buf[0] = 'k';
  assert_int_equal(noc_strlcpy(buf, "xy", 0), 2);
  assert_int_equal(buf[0], 'k'); /* no room: nothing written */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_days_from_civil),
      cmocka_unit_test(test_leap_years),
      cmocka_unit_test(test_parse_date),
      cmocka_unit_test(test_parse_clock),
      cmocka_unit_test(test_julian_to_gregorian),
      cmocka_unit_test(test_time_scales),
      cmocka_unit_test(test_format_utc),
      cmocka_unit_test(test_format_offset),
      cmocka_unit_test(test_strlcpy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
