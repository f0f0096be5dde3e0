/* Unit tests of the TZif reader (src/util/tz.c) against the system zoneinfo and synthetic files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/tz.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static int64_t floor_div_t(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Seconds since the epoch of a proleptic Gregorian civil time, by counting leap years;
 * deliberately a different method from the one in tz.c. */
static int64_t civil(int64_t y, int mo, int d, int h, int mi, int s) {
  static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int64_t py = y - 1;
  int64_t leaps = floor_div_t(py, 4) - floor_div_t(py, 100) + floor_div_t(py, 400);
  int64_t leaps1970 = 1969 / 4 - 1969 / 100 + 1969 / 400;
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  int64_t days = (y - 1970) * 365 + (leaps - leaps1970) + before[mo - 1] + (leap && mo > 2) + d - 1;
  return days * 86400 + h * 3600 + mi * 60 + s;
}

static noc_tzdb *sys_db;

static int setup_db(void **state) {
  (void)state;
  sys_db = noc_tzdb_open(NULL);
  return sys_db == NULL ? -1 : 0;
}

static int teardown_db(void **state) {
  (void)state;
  noc_tzdb_close(sys_db);
  sys_db = NULL;
  return 0;
}

static const noc_tz *zone(const char *name) {
  noc_error err;
  noc_error_clear(&err);
  const noc_tz *tz = noc_tzdb_get(sys_db, name, &err);
  if (tz == NULL) fail_msg("zone %s: %s", name, err.message);
  return tz;
}

static void expect_info(const noc_tz_info *info, int32_t utoff, bool dst, const char *abbr) {
  assert_int_equal(info->utoff, utoff);
  assert_int_equal(info->is_dst, dst);
  assert_string_equal(info->abbr, abbr);
}

static void expect_at(const noc_tz *tz, int64_t utc, int32_t utoff, bool dst, const char *abbr) {
  noc_tz_info info;
  noc_tz_at_utc(tz, utc, &info);
  expect_info(&info, utoff, dst, abbr);
}

/* ---- known civil cases ---------------------------------------------------------------------- */

static void test_new_york_gap(void **state) {
  (void)state;
  noc_tz_local r;
  noc_tz_local_to_utc(zone("America/New_York"), civil(2021, 3, 14, 2, 30, 0), &r);
  assert_int_equal(r.count, 0);
  expect_info(&r.before, -5 * 3600, false, "EST");
  expect_info(&r.after, -4 * 3600, true, "EDT");
}

static void test_new_york_fold(void **state) {
  (void)state;
  noc_tz_local r;
  noc_tz_local_to_utc(zone("America/New_York"), civil(2021, 11, 7, 1, 30, 0), &r);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.utc[0], civil(2021, 11, 7, 5, 30, 0));
  assert_int_equal(r.utc[1], civil(2021, 11, 7, 6, 30, 0));
  expect_info(&r.info[0], -4 * 3600, true, "EDT");
  expect_info(&r.info[1], -5 * 3600, false, "EST");
}

static void test_new_york_normal_and_edges(void **state) {
  (void)state;
  const noc_tz *ny = zone("America/New_York");
  noc_tz_local r;
  noc_tz_local_to_utc(ny, civil(2021, 7, 1, 12, 0, 0), &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], civil(2021, 7, 1, 16, 0, 0));
  /* The last second before the gap and the first after it exist once each. */
  noc_tz_local_to_utc(ny, civil(2021, 3, 14, 1, 59, 59), &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], civil(2021, 3, 14, 6, 59, 59));
  noc_tz_local_to_utc(ny, civil(2021, 3, 14, 3, 0, 0), &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], civil(2021, 3, 14, 7, 0, 0));
  /* The fold spans exactly 01:00:00 .. 01:59:59. */
  noc_tz_local_to_utc(ny, civil(2021, 11, 7, 0, 59, 59), &r);
  assert_int_equal(r.count, 1);
  noc_tz_local_to_utc(ny, civil(2021, 11, 7, 1, 0, 0), &r);
  assert_int_equal(r.count, 2);
  noc_tz_local_to_utc(ny, civil(2021, 11, 7, 2, 0, 0), &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], civil(2021, 11, 7, 7, 0, 0));
  /* Transition instants themselves. */
  expect_at(ny, civil(2021, 3, 14, 6, 59, 59), -18000, false, "EST");
  expect_at(ny, civil(2021, 3, 14, 7, 0, 0), -14400, true, "EDT");
  expect_at(ny, civil(2021, 11, 7, 5, 59, 59), -14400, true, "EDT");
  expect_at(ny, civil(2021, 11, 7, 6, 0, 0), -18000, false, "EST");
}

static void test_berlin(void **state) {
  (void)state;
  const noc_tz *berlin = zone("Europe/Berlin");
  noc_tz_local r;
  noc_tz_local_to_utc(berlin, civil(2021, 10, 31, 2, 30, 0), &r);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.utc[0], civil(2021, 10, 31, 0, 30, 0));
  assert_int_equal(r.utc[1], civil(2021, 10, 31, 1, 30, 0));
  expect_info(&r.info[0], 7200, true, "CEST");
  expect_info(&r.info[1], 3600, false, "CET");
  noc_tz_local_to_utc(berlin, civil(2021, 3, 28, 2, 30, 0), &r);
  assert_int_equal(r.count, 0);
  expect_info(&r.before, 3600, false, "CET");
  expect_info(&r.after, 7200, true, "CEST");
  /* 1945: double summer time (CEMT, +3) between May 24 and Sep 24. */
  expect_at(berlin, civil(1945, 6, 1, 12, 0, 0), 10800, true, "CEMT");
  expect_at(berlin, civil(1945, 5, 23, 23, 59, 59), 7200, true, "CEST");
  expect_at(berlin, civil(1945, 5, 24, 0, 0, 0), 10800, true, "CEMT");
  /* Wall 02:30 on May 24 1945 was skipped (02:00 -> 03:00). */
  noc_tz_local_to_utc(berlin, civil(1945, 5, 24, 2, 30, 0), &r);
  assert_int_equal(r.count, 0);
  expect_info(&r.before, 7200, true, "CEST");
  expect_info(&r.after, 10800, true, "CEMT");
}

static void test_sydney(void **state) {
  (void)state;
  const noc_tz *syd = zone("Australia/Sydney");
  noc_tz_local r;
  noc_tz_local_to_utc(syd, civil(2021, 10, 3, 2, 30, 0), &r);
  assert_int_equal(r.count, 0);
  expect_info(&r.before, 36000, false, "AEST");
  expect_info(&r.after, 39600, true, "AEDT");
  noc_tz_local_to_utc(syd, civil(2021, 4, 4, 2, 30, 0), &r);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.utc[0], civil(2021, 4, 3, 15, 30, 0));
  assert_int_equal(r.utc[1], civil(2021, 4, 3, 16, 30, 0));
  /* Southern summer spans the year end. */
  expect_at(syd, civil(2021, 1, 1, 0, 0, 0), 39600, true, "AEDT");
  expect_at(syd, civil(2021, 7, 1, 0, 0, 0), 36000, false, "AEST");
  expect_at(syd, civil(2100, 1, 15, 0, 0, 0), 39600, true, "AEDT");
  expect_at(syd, civil(2100, 7, 15, 0, 0, 0), 36000, false, "AEST");
  expect_at(syd, civil(2100, 4, 3, 15, 59, 59), 39600, true, "AEDT");
  expect_at(syd, civil(2100, 4, 3, 16, 0, 0), 36000, false, "AEST");
  expect_at(syd, civil(2100, 10, 2, 15, 59, 59), 36000, false, "AEST");
  expect_at(syd, civil(2100, 10, 2, 16, 0, 0), 39600, true, "AEDT");
}

static void test_lmt_and_fixed(void **state) {
  (void)state;
  const noc_tz *ny = zone("America/New_York");
  expect_at(ny, civil(1883, 1, 1, 0, 0, 0), -(4 * 3600 + 56 * 60 + 2), false, "LMT");
  expect_at(ny, civil(1883, 11, 18, 16, 59, 59), -17762, false, "LMT");
  expect_at(ny, civil(1883, 11, 18, 17, 0, 0), -18000, false, "EST");
  expect_at(ny, civil(-1000, 6, 1, 0, 0, 0), -17762, false, "LMT");
  expect_at(ny, INT64_MIN, -17762, false, "LMT");
  const noc_tz *kol = zone("Asia/Kolkata");
  expect_at(kol, civil(2021, 6, 1, 0, 0, 0), 19800, false, "IST");
  expect_at(kol, civil(1942, 10, 1, 0, 0, 0), 23400, true, "+0630");
  noc_tz_local r;
  noc_tz_local_to_utc(kol, civil(2021, 6, 1, 5, 30, 0), &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], civil(2021, 6, 1, 0, 0, 0));
  expect_at(zone("UTC"), civil(2021, 6, 1, 0, 0, 0), 0, false, "UTC");
  expect_at(zone("Etc/GMT+5"), civil(2021, 6, 1, 0, 0, 0), -18000, false, "-05");
  expect_at(zone("Etc/GMT-14"), civil(2021, 6, 1, 0, 0, 0), 14 * 3600, false, "+14");
  expect_at(zone("Asia/Kathmandu"), civil(2021, 6, 1, 0, 0, 0), 20700, false, "+0545");
}

static void test_far_future(void **state) {
  (void)state;
  const noc_tz *ny = zone("America/New_York");
  expect_at(ny, civil(2100, 1, 15, 0, 0, 0), -18000, false, "EST");
  expect_at(ny, civil(2100, 7, 15, 0, 0, 0), -14400, true, "EDT");
  expect_at(ny, civil(2100, 3, 14, 6, 59, 59), -18000, false, "EST");
  expect_at(ny, civil(2100, 3, 14, 7, 0, 0), -14400, true, "EDT");
  expect_at(ny, civil(2100, 11, 7, 6, 0, 0), -18000, false, "EST");
  /* Second Sunday of March 2400 is March 12; March 2401 is the 11th. */
  expect_at(ny, civil(2400, 3, 12, 7, 0, 0), -14400, true, "EDT");
  expect_at(ny, civil(2400, 3, 12, 6, 59, 59), -18000, false, "EST");
  expect_at(ny, civil(2401, 3, 11, 7, 0, 0), -14400, true, "EDT");
  noc_tz_local r;
  noc_tz_local_to_utc(ny, civil(2100, 3, 14, 2, 30, 0), &r);
  assert_int_equal(r.count, 0);
  noc_tz_local_to_utc(ny, civil(2100, 11, 7, 1, 30, 0), &r);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.utc[1] - r.utc[0], 3600);
  /* Year ~292 billion: still summer in July by the rule, and no overflow at the ends. */
  int64_t big = civil(2021, 7, 1, 0, 0, 0) + (INT64_MAX / 12622780800LL - 1) * 12622780800LL;
  expect_at(ny, big, -14400, true, "EDT");
  noc_tz_info info;
  noc_tz_at_utc(ny, INT64_MAX, &info);
  assert_true(info.utoff == -18000 || info.utoff == -14400);
  noc_tz_local_to_utc(ny, INT64_MAX, &r);
  assert_true(r.count <= 2);
  noc_tz_local_to_utc(ny, INT64_MIN, &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], INT64_MIN + 17762);
  noc_tz_local_to_utc(zone("Australia/Sydney"), INT64_MIN + 1, &r);
  noc_tz_local_to_utc(zone("Australia/Sydney"), INT64_MAX - 1, &r);
}

static void test_dublin_negative_dst(void **state) {
  (void)state;
  const noc_tz *dub = zone("Europe/Dublin");
  /* Since 1971 Irish law makes summer (IST) standard and winter GMT the "DST" (negative). */
  expect_at(dub, civil(2021, 1, 15, 0, 0, 0), 0, true, "GMT");
  expect_at(dub, civil(2021, 7, 15, 0, 0, 0), 3600, false, "IST");
  expect_at(dub, civil(2090, 1, 15, 0, 0, 0), 0, true, "GMT");
  expect_at(dub, civil(2090, 7, 15, 0, 0, 0), 3600, false, "IST");
  noc_tz_local r;
  noc_tz_local_to_utc(dub, civil(2090, 3, 26, 1, 30, 0), &r); /* last Sunday of March 2090 */
  assert_int_equal(r.count, 0);
  expect_info(&r.before, 0, true, "GMT");
  expect_info(&r.after, 3600, false, "IST");
  noc_tz_local_to_utc(dub, civil(2090, 10, 29, 1, 30, 0), &r);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.utc[0], civil(2090, 10, 29, 0, 30, 0));
  assert_int_equal(r.utc[1], civil(2090, 10, 29, 1, 30, 0));
}

static void test_cache_and_names(void **state) {
  (void)state;
  const noc_tz *a = zone("Europe/Paris");
  assert_ptr_equal(a, zone("Europe/Paris"));
  assert_string_equal(noc_tz_name(a), "Europe/Paris");
  assert_non_null(zone("America/Argentina/Buenos_Aires"));

  char longname[200];
  memset(longname, 'A', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  const char *bad[] = {"../etc/passwd",
                       "",
                       "A/../B",
                       longname,
                       "/etc/passwd",
                       "Europe//Paris",
                       "Europe/",
                       "Europe/Paris ",
                       "Europe/Par\xc3\xads",
                       "./UTC",
                       "UTC\n",
                       "zone.tab"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    noc_error err;
    noc_error_clear(&err);
    assert_null(noc_tzdb_get(sys_db, bad[i], &err));
    assert_int_equal(err.code, NOC_ERR_VALIDATION);
    assert_string_equal(err.field, "timezone");
    assert_non_null(strstr(err.message, "invalid time zone name"));
    assert_null(strchr(err.message, '\n'));
  }
  const char *unknown[] = {"Not/AZone", "America", "Europe/Nowhere", "leapseconds", "Etc/GMT+99"};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    noc_error err;
    noc_error_clear(&err);
    assert_null(noc_tzdb_get(sys_db, unknown[i], &err));
    assert_int_equal(err.code, NOC_ERR_VALIDATION);
    assert_string_equal(err.field, "timezone");
    assert_non_null(strstr(err.message, "unknown time zone"));
    assert_non_null(strstr(err.message, unknown[i]));
  }
  noc_error err;
  noc_error_clear(&err);
  assert_null(noc_tzdb_get(sys_db, NULL, &err));
  assert_int_equal(err.code, NOC_ERR_VALIDATION);
  struct stat st;
  if (stat("/usr/share/zoneinfo/right/UTC", &st) == 0) { /* tzdata ships right/ on Debian */
    assert_null(noc_tzdb_get(sys_db, "right/UTC", &err));
    assert_non_null(strstr(err.message, "leap seconds"));
  }
  assert_null(noc_tzdb_open("/nonexistent/zoneinfo"));
}

/* ---- synthetic TZif files ------------------------------------------------------------------- */

typedef struct syn_type {
  int32_t utoff;
  uint8_t dst;
  const char *abbr;
} syn_type;

static size_t put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
  return 4;
}

static size_t put_header(uint8_t *p, char version, uint32_t timecnt, uint32_t typecnt,
                         uint32_t charcnt) {
  memset(p, 0, 44);
  memcpy(p, "TZif", 4); /* NOLINT(bugprone-not-null-terminated-result): a magic, not a string */
  p[4] = (uint8_t)version;
  put32(p + 32, timecnt);
  put32(p + 36, typecnt);
  put32(p + 40, charcnt);
  return 44;
}

/* A v2 file (empty v1 block apart from one type) with the given 64-bit data and footer. */
static size_t make_tzif(uint8_t *buf, size_t cap, const int64_t *times, const uint8_t *idx,
                        uint32_t n, const syn_type *types, uint32_t ntypes, const char *footer) {
  char chars[128];
  size_t nchars = 0;
  uint8_t abbr_at[16];
  for (uint32_t i = 0; i < ntypes; i++) {
    abbr_at[i] = (uint8_t)nchars;
    size_t l = strlen(types[i].abbr) + 1;
    memcpy(chars + nchars, types[i].abbr, l);
    nchars += l;
  }
  size_t need = 44 + 6 + 4 + 44 + n * 9 + ntypes * 6 + nchars + strlen(footer) + 2;
  assert_true(need <= cap);
  uint8_t *p = buf;
  p += put_header(p, '2', 0, 1, 4);
  p += put32(p, 0);
  *p++ = 0;
  *p++ = 0;
  memcpy(p, "LMT", 4);
  p += 4;
  p += put_header(p, '2', n, ntypes, (uint32_t)nchars);
  for (uint32_t i = 0; i < n; i++) {
    p += put32(p, (uint32_t)((uint64_t)times[i] >> 32));
    p += put32(p, (uint32_t)times[i]);
  }
  if (n > 0) memcpy(p, idx, n);
  p += n;
  for (uint32_t i = 0; i < ntypes; i++) {
    p += put32(p, (uint32_t)types[i].utoff);
    *p++ = types[i].dst;
    *p++ = abbr_at[i];
  }
  memcpy(p, chars, nchars);
  p += nchars;
  *p++ = '\n';
  memcpy(p, footer, strlen(footer));
  p += strlen(footer);
  *p++ = '\n';
  return (size_t)(p - buf);
}

static char tmp_dir[64];

static void write_file(const char *name, const uint8_t *data, size_t len) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
  unlink(path); /* truncating in place makes ext4 flush the old data: ~10 ms per file */
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static int setup_tmp(void **state) {
  (void)state;
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/noc-tz-test-XXXXXX");
  return mkdtemp(tmp_dir) == NULL ? -1 : setup_db(state);
}

static int teardown_tmp(void **state) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
  if (strncmp(tmp_dir, "/tmp/noc-tz-test-", 17) == 0 && system(cmd) != 0) return -1;
  return teardown_db(state);
}

/* Loads a footer-only zone in a fresh database (failed or changed files are never cached). */
static const noc_tz *footer_zone(noc_tzdb **db, const char *footer) {
  static const syn_type t0 = {0, 0, "LMT"};
  uint8_t buf[512];
  size_t len = make_tzif(buf, sizeof buf, NULL, NULL, 0, &t0, 1, footer);
  write_file("Syn", buf, len);
  *db = noc_tzdb_open(tmp_dir);
  assert_non_null(*db);
  noc_error err;
  const noc_tz *tz = noc_tzdb_get(*db, "Syn", &err);
  if (tz == NULL) fail_msg("footer '%s': %s", footer, err.message);
  return tz;
}

static void test_footer_rules(void **state) {
  (void)state;
  noc_tzdb *db;
  /* The RFC 8536 example of DST all year round. */
  const noc_tz *tz = footer_zone(&db, "EST5EDT,0/0,J365/25");
  for (int y = 1800; y <= 2500; y += 7) {
    expect_at(tz, civil(y, 1, 1, 0, 0, 0), -14400, true, "EDT");
    expect_at(tz, civil(y, 12, 31, 23, 59, 59), -14400, true, "EDT");
    expect_at(tz, civil(y, 1, 1, 5, 0, 0), -14400, true, "EDT");
  }
  noc_tz_local r;
  noc_tz_local_to_utc(tz, civil(2030, 1, 1, 0, 30, 0), &r);
  assert_int_equal(r.count, 1);
  noc_tzdb_close(db);

  /* Jn never counts February 29; n does. */
  tz = footer_zone(&db, "XXX0YYY,J60/0,J300/0");
  expect_at(tz, civil(2024, 2, 29, 23, 59, 59), 0, false, "XXX");
  expect_at(tz, civil(2024, 3, 1, 0, 0, 0), 3600, true, "YYY");
  expect_at(tz, civil(2023, 3, 1, 0, 0, 0), 3600, true, "YYY");
  expect_at(tz, civil(2023, 2, 28, 23, 59, 59), 0, false, "XXX");
  noc_tzdb_close(db);
  tz = footer_zone(&db, "XXX0YYY,59/0,300/0");
  expect_at(tz, civil(2024, 2, 28, 23, 59, 59), 0, false, "XXX");
  expect_at(tz, civil(2024, 2, 29, 0, 0, 0), 3600, true, "YYY");
  expect_at(tz, civil(2023, 2, 28, 23, 59, 59), 0, false, "XXX");
  expect_at(tz, civil(2023, 3, 1, 0, 0, 0), 3600, true, "YYY");
  noc_tzdb_close(db);

  /* Negative and >24h rule times (America/Nuuk, RFC 8536 3.3.1), quoted names. */
  tz = footer_zone(&db, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  /* Sunday 2030-03-31 at -1:00 is Saturday 23:00 local (-02), i.e. 01:00Z. */
  expect_at(tz, civil(2030, 3, 31, 0, 59, 59), -7200, false, "-02");
  expect_at(tz, civil(2030, 3, 31, 1, 0, 0), -3600, true, "-01");
  noc_tzdb_close(db);
  tz = footer_zone(&db, "AAA-10BBB,M10.1.0/50,M4.1.0/-30");
  /* Start: Sunday 2030-10-06 + 50h = Tue 02:00 local std = Mon 16:00Z. */
  expect_at(tz, civil(2030, 10, 7, 15, 59, 59), 36000, false, "AAA");
  expect_at(tz, civil(2030, 10, 7, 16, 0, 0), 39600, true, "BBB");
  /* End: Sunday 2030-04-07 - 30h = Fri 18:00 local dst = Fri 07:00Z. */
  expect_at(tz, civil(2030, 4, 5, 6, 59, 59), 39600, true, "BBB");
  expect_at(tz, civil(2030, 4, 5, 7, 0, 0), 36000, false, "AAA");
  noc_tzdb_close(db);

  /* The same rule as a footer and as America/New_York's table must agree everywhere. */
  tz = footer_zone(&db, "EST5EDT,M3.2.0,M11.1.0");
  const noc_tz *ny = zone("America/New_York");
  for (int64_t t = civil(2008, 1, 1, 0, 0, 0); t < civil(2037, 1, 1, 0, 0, 0); t += 3 * 3600 + 7) {
    noc_tz_info a, b;
    noc_tz_at_utc(tz, t, &a);
    noc_tz_at_utc(ny, t, &b);
    assert_int_equal(a.utoff, b.utoff);
    assert_string_equal(a.abbr, b.abbr);
  }
  noc_tzdb_close(db);
  tz = footer_zone(&db, "<+0530>-5:30");
  expect_at(tz, 0, 19800, false, "+0530");
  noc_tzdb_close(db);
}

/* Two changes one hour apart: a gap followed at once by a fold, and a triple overlap. */
static void test_close_transitions(void **state) {
  (void)state;
  const int64_t T = 1000000000;
  syn_type types[3] = {{0, 0, "AAA"}, {7200, 1, "BBB"}, {3600, 0, "CCC"}};
  int64_t times[2] = {T, T + 3600};
  uint8_t idx[2] = {1, 2};
  uint8_t buf[512];
  size_t len = make_tzif(buf, sizeof buf, times, idx, 2, types, 3, "CCC-1");
  write_file("Close", buf, len);
  noc_tzdb *db = noc_tzdb_open(tmp_dir);
  noc_error err;
  const noc_tz *tz = noc_tzdb_get(db, "Close", &err);
  assert_non_null(tz);
  noc_tz_local r;
  noc_tz_local_to_utc(tz, T + 5000, &r); /* wall [T, T+2h) skipped */
  assert_int_equal(r.count, 0);
  expect_info(&r.before, 0, false, "AAA");
  expect_info(&r.after, 7200, true, "BBB");
  noc_tz_local_to_utc(tz, T + 8000, &r); /* wall [T+2h, T+3h) twice */
  assert_int_equal(r.count, 2);
  assert_int_equal(r.utc[0], T + 800);
  assert_int_equal(r.utc[1], T + 4400);
  noc_tz_local_to_utc(tz, T + 11000, &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], T + 7400);
  noc_tz_local_to_utc(tz, T - 1, &r);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.utc[0], T - 1);
  noc_tzdb_close(db);

  /* Offsets 0, -1h, -2h ten minutes apart: three readings of one wall time; earliest two kept. */
  syn_type t3[3] = {{0, 0, "AAA"}, {-3600, 0, "BBB"}, {-7200, 0, "CCC"}};
  times[1] = T + 600;
  len = make_tzif(buf, sizeof buf, times, idx, 2, t3, 3, "CCC2");
  write_file("Triple", buf, len);
  db = noc_tzdb_open(tmp_dir);
  tz = noc_tzdb_get(db, "Triple", &err);
  assert_non_null(tz);
  noc_tz_local_to_utc(tz, T - 3300, &r);
  assert_int_equal(r.count, 2);
  assert_int_equal(r.utc[0], T - 3300);
  assert_int_equal(r.utc[1], T + 300);
  noc_tzdb_close(db);
}

/* Version 1 (32-bit data, no footer) and versions 3 and 4 (same layout as 2). */
static void test_versions(void **state) {
  (void)state;
  uint8_t buf[512];
  uint8_t *p = buf;
  p += put_header(p, 0, 2, 2, 8);
  p += put32(p, (uint32_t)-1000000000);
  p += put32(p, 1000000000);
  *p++ = 1;
  *p++ = 0;
  p += put32(p, 3600);
  *p++ = 0;
  *p++ = 0;
  p += put32(p, 7200);
  *p++ = 1;
  *p++ = 4;
  memcpy(p, "AAA\0BBB\0", 8);
  p += 8;
  write_file("V1", buf, (size_t)(p - buf));
  noc_tzdb *db = noc_tzdb_open(tmp_dir);
  noc_error err;
  const noc_tz *tz = noc_tzdb_get(db, "V1", &err);
  assert_non_null(tz);
  expect_at(tz, INT64_MIN, 3600, false, "AAA");
  expect_at(tz, -1000000001, 3600, false, "AAA");
  expect_at(tz, -1000000000, 7200, true, "BBB");
  expect_at(tz, 999999999, 7200, true, "BBB");
  expect_at(tz, 1000000000, 3600, false, "AAA");
  expect_at(tz, INT64_MAX, 3600, false, "AAA"); /* no footer: the last type stays */
  noc_tzdb_close(db);

  static const syn_type t0 = {0, 0, "LMT"};
  for (int v = '3'; v <= '4'; v++) {
    size_t n = make_tzif(buf, sizeof buf, NULL, NULL, 0, &t0, 1, "XXX-2");
    buf[4] = (uint8_t)v;
    buf[54 + 4] = (uint8_t)v; /* second header: after 44 + one type (6) + "LMT\0" */
    write_file("V34", buf, n);
    db = noc_tzdb_open(tmp_dir);
    tz = noc_tzdb_get(db, "V34", &err);
    assert_non_null(tz);
    expect_at(tz, 0, 7200, false, "XXX");
    noc_tzdb_close(db);
  }
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  uint8_t *buf = malloc(1 << 16);
  assert_non_null(buf);
  *len = fread(buf, 1, 1 << 16, f);
  fclose(f);
  return buf;
}

static void expect_load_fails(const uint8_t *data, size_t len) {
  write_file("Bad", data, len);
  noc_tzdb *db = noc_tzdb_open(tmp_dir);
  noc_error err;
  noc_error_clear(&err);
  assert_null(noc_tzdb_get(db, "Bad", &err));
  assert_true(err.code == NOC_ERR_INTERNAL || err.code == NOC_ERR_VALIDATION);
  assert_true(err.message[0] != '\0');
  noc_tzdb_close(db);
}

/* Loads whatever the data is; when it loads, lookups must stay in bounds. */
static int try_load(const uint8_t *data, size_t len) {
  write_file("Fuzz", data, len);
  noc_tzdb *db = noc_tzdb_open(tmp_dir);
  noc_error err;
  const noc_tz *tz = noc_tzdb_get(db, "Fuzz", &err);
  if (tz != NULL) {
    static const int64_t probes[] = {INT64_MIN,  -5000000000LL, 0,
                                     1600000000, 4000000000LL,  INT64_MAX};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
      noc_tz_info info;
      noc_tz_local r;
      noc_tz_at_utc(tz, probes[i], &info);
      noc_tz_local_to_utc(tz, probes[i], &r);
      assert_true(r.count >= 0 && r.count <= 2);
    }
  }
  noc_tzdb_close(db);
  return tz != NULL;
}

static void test_corrupt_files(void **state) {
  (void)state;
  size_t len;
  uint8_t *ny = slurp("/usr/share/zoneinfo/America/New_York", &len);
  assert_true(len > 100);
  assert_int_equal(try_load(ny, len), 1);
  /* Every strict prefix is truncated and must fail. */
  for (size_t n = 0; n < len; n++)
    expect_load_fails(ny, n);

  /* cmocka's assert_true above ends the test on a short file, but is not marked noreturn. */
  /* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI) */
  uint8_t *m = malloc(len);
  assert_non_null(m);
  /* Counts far beyond the file in the first and second headers. */
  static const size_t count_at[] = {20, 24, 28, 32, 36, 40};
  size_t second = 0;
  for (size_t i = 44; i + 4 <= len; i++)
    if (memcmp(ny + i, "TZif", 4) == 0) {
      second = i;
      break;
    }
  assert_true(second > 0);
  for (size_t h = 0; h < 2; h++)
    for (size_t i = 0; i < 6; i++) {
      memcpy(m, ny, len);
      size_t at = (h == 0 ? 0 : second) + count_at[i];
      put32(m + at, 0x7fffffffu);
      expect_load_fails(m, len);
      put32(m + at, 0xffffffffu);
      expect_load_fails(m, len);
    }
  /* Bad magic in the second header; unknown version; broken footers. */
  memcpy(m, ny, len);
  m[second] = 'X';
  expect_load_fails(m, len);
  memcpy(m, ny, len);
  m[4] = '1';
  expect_load_fails(m, len);
  memcpy(m, ny, len);
  m[len - 1] = 'X'; /* footer without its final newline */
  expect_load_fails(m, len);
  const char *footers[] = {"EST",
                           "EST5EDT,M13.1.0,M11.1.0",
                           "EST5EDT,M3.2.7,M11.1.0",
                           "EST5EDT,J0,J365",
                           "EST5EDT,M3.2.0/168,M11.1.0",
                           "E5",
                           "<EST5",
                           "EST25",
                           "EST5EDT,M3.2.0",
                           "EST5EDT,M3.2.0,M11.1.0,",
                           "EST5:60"};
  static const syn_type t0 = {0, 0, "LMT"};
  for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
    uint8_t buf[512];
    size_t n = make_tzif(buf, sizeof buf, NULL, NULL, 0, &t0, 1, footers[i]);
    expect_load_fails(buf, n);
  }
  /* Type index out of range, descending times, abbreviation index out of range. */
  syn_type types[2] = {{0, 0, "AAA"}, {3600, 1, "BBB"}};
  int64_t times[2] = {100, 200};
  uint8_t idx[2] = {1, 2};
  uint8_t buf[512];
  size_t n = make_tzif(buf, sizeof buf, times, idx, 2, types, 2, "");
  expect_load_fails(buf, n);
  idx[1] = 0;
  times[1] = 100;
  n = make_tzif(buf, sizeof buf, times, idx, 2, types, 2, "");
  expect_load_fails(buf, n);
  times[1] = 200;
  n = make_tzif(buf, sizeof buf, times, idx, 2, types, 2, "");
  assert_int_equal(try_load(buf, n), 1);
  buf[n - 2 - 8 - 1] = 8; /* abbreviation index of type 1 past the 8 chars */
  expect_load_fails(buf, n);

  /* Random byte flips: errors or valid zones, never a crash or an over-read (ASan). */
  unsigned seed = 12345;
  int loaded = 0;
  for (int iter = 0; iter < 3000; iter++) {
    memcpy(m, ny, len);
    int flips = 1 + iter % 4;
    for (int k = 0; k < flips; k++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % len;
      seed = seed * 1103515245u + 12345u;
      m[at] = (uint8_t)(seed >> 16);
    }
    loaded += try_load(m, len);
  }
  print_message("fuzz: %d of 3000 mutated files still loaded\n", loaded);
  free(m);
  free(ny);
}

/* ---- threads -------------------------------------------------------------------------------- */

static const char *const thread_zones[] = {
    "America/New_York", "Europe/Berlin",      "Australia/Sydney", "Asia/Kolkata",
    "Europe/Dublin",    "Pacific/Chatham",    "America/St_Johns", "Africa/Casablanca",
    "Asia/Tehran",      "Australia/Lord_Howe"};
enum { N_ZONES = sizeof thread_zones / sizeof thread_zones[0], N_SAMPLES = 4000 };

typedef struct thread_job {
  noc_tzdb *db;
  int32_t (*expect)[N_SAMPLES]; /* borrowed: [zone][sample] utoff, or NULL to fill */
  int32_t (*local)[N_SAMPLES];  /* same for local_to_utc's first utc - local */
  int offset;
  int mismatches;
} thread_job;

static int64_t sample_time(int i) {
  return civil(1850, 1, 1, 0, 0, 0) + (int64_t)i * 1579003LL * 11;
}

static void *thread_run(void *arg) {
  thread_job *job = arg;
  for (int round = 0; round < 5; round++)
    for (int zz = 0; zz < N_ZONES; zz++) {
      int z = (zz + job->offset) % N_ZONES;
      noc_error err;
      const noc_tz *tz = noc_tzdb_get(job->db, thread_zones[z], &err);
      if (tz == NULL) {
        job->mismatches++;
        continue;
      }
      for (int i = 0; i < N_SAMPLES; i++) {
        noc_tz_info info;
        noc_tz_local r;
        noc_tz_at_utc(tz, sample_time(i), &info);
        noc_tz_local_to_utc(tz, sample_time(i), &r);
        int32_t l = r.count > 0 ? (int32_t)(r.utc[0] - sample_time(i)) : INT32_MIN;
        if (info.utoff != job->expect[z][i] || l != job->local[z][i]) job->mismatches++;
      }
    }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  static int32_t expect[N_ZONES][N_SAMPLES], local[N_ZONES][N_SAMPLES];
  for (int z = 0; z < N_ZONES; z++) {
    const noc_tz *tz = zone(thread_zones[z]);
    for (int i = 0; i < N_SAMPLES; i++) {
      noc_tz_info info;
      noc_tz_local r;
      noc_tz_at_utc(tz, sample_time(i), &info);
      noc_tz_local_to_utc(tz, sample_time(i), &r);
      expect[z][i] = info.utoff;
      local[z][i] = r.count > 0 ? (int32_t)(r.utc[0] - sample_time(i)) : INT32_MIN;
    }
  }
  /* A fresh database so that the first loads race as well. */
  noc_tzdb *db = noc_tzdb_open(NULL);
  assert_non_null(db);
  pthread_t th[4];
  thread_job jobs[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (thread_job){db, expect, local, i * 3, 0};
    assert_int_equal(pthread_create(&th[i], NULL, thread_run, &jobs[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(jobs[i].mismatches, 0);
  }
  noc_tzdb_close(db);
}

/* ---- speed ---------------------------------------------------------------------------------- */

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void test_speed(void **state) {
  (void)state;
  const noc_tz *ny = zone("America/New_York");
  enum { N = 200000 };
  volatile uint32_t sink = 0;
  const struct {
    const char *what;
    int64_t from;
  } ranges[] = {{"table (1900-2000)", civil(1900, 1, 1, 0, 0, 0)},
                {"footer (2040-2140)", civil(2040, 1, 1, 0, 0, 0)}};
  for (size_t k = 0; k < 2; k++) {
    double t0 = now_ns();
    for (int i = 0; i < N; i++) {
      noc_tz_info info;
      noc_tz_at_utc(ny, ranges[k].from + (int64_t)i * 15779, &info);
      sink += (uint32_t)info.utoff;
    }
    double t1 = now_ns();
    for (int i = 0; i < N; i++) {
      noc_tz_local r;
      noc_tz_local_to_utc(ny, ranges[k].from + (int64_t)i * 15779, &r);
      sink += (uint32_t)r.count;
    }
    double t2 = now_ns();
    print_message("speed %s: noc_tz_at_utc %.0f ns, noc_tz_local_to_utc %.0f ns per call\n",
                  ranges[k].what, (t1 - t0) / N, (t2 - t1) / N);
  }
  double t0 = now_ns();
  for (int i = 0; i < N; i++) {
    noc_error err;
    sink += noc_tzdb_get(sys_db, thread_zones[i % N_ZONES], &err) != NULL ? 1u : 0u;
  }
  print_message("speed noc_tzdb_get (cached): %.0f ns per call\n", (now_ns() - t0) / N);
  (void)sink;
}

int main(void) {
  const struct CMUnitTest sys_tests[] = {
      cmocka_unit_test(test_new_york_gap),
      cmocka_unit_test(test_new_york_fold),
      cmocka_unit_test(test_new_york_normal_and_edges),
      cmocka_unit_test(test_berlin),
      cmocka_unit_test(test_sydney),
      cmocka_unit_test(test_lmt_and_fixed),
      cmocka_unit_test(test_far_future),
      cmocka_unit_test(test_dublin_negative_dst),
      cmocka_unit_test(test_cache_and_names),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_speed),
  };
  const struct CMUnitTest file_tests[] = {
      cmocka_unit_test(test_footer_rules),
      cmocka_unit_test(test_close_transitions),
      cmocka_unit_test(test_versions),
      cmocka_unit_test(test_corrupt_files),
  };
  int failed = cmocka_run_group_tests_name("tz", sys_tests, setup_db, teardown_db);
  failed += cmocka_run_group_tests_name("tz_files", file_tests, setup_tmp, teardown_tmp);
  return failed;
}
