/* Cross-check of our TZif reader against glibc, through Debian's `zdump -v` (libc-bin).
 * For each zone: every transition zdump reports between 1850 and 2040 (offset, isdst and
 * abbreviation at t-1 and t), the gap or fold our local_to_utc reports around it, and a scan of
 * instants between transitions against the offsets zdump implies for them. The zones below
 * (some of them links) come first, then every other zone of the installed tzdata.zi. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/tz.h"

static const char *const zones[] = {"America/New_York",
                                    "Europe/London",
                                    "Europe/Dublin",
                                    "Australia/Sydney",
                                    "Australia/Lord_Howe",
                                    "Pacific/Chatham",
                                    "America/Sao_Paulo",
                                    "Asia/Tehran",
                                    "Africa/Casablanca",
                                    "America/St_Johns",
                                    "Pacific/Apia",
                                    "Asia/Kathmandu",
                                    "Antarctica/Troll",
                                    "Europe/Berlin",
                                    "Europe/Moscow",
                                    "Asia/Kolkata",
                                    "Asia/Shanghai",
                                    "America/Los_Angeles",
                                    "America/Santiago",
                                    "America/Havana",
                                    "America/Nuuk",
                                    "America/Asuncion",
                                    "Africa/Cairo",
                                    "Asia/Gaza",
                                    "Asia/Jerusalem",
                                    "Pacific/Kiritimati",
                                    "Pacific/Norfolk",
                                    "Europe/Lisbon",
                                    "America/Adak",
                                    "Atlantic/Azores",
                                    "Pacific/Auckland",
                                    "Antarctica/Casey",
                                    "America/Caracas",
                                    "Asia/Pyongyang",
                                    "Pacific/Kwajalein",
                                    "Africa/Monrovia",
                                    "Asia/Manila",
                                    "America/Metlakatla",
                                    "Europe/Amsterdam",
                                    "America/Argentina/Buenos_Aires",
                                    "Asia/Dhaka",
                                    "America/Godthab",
                                    "Eire",
                                    "UTC"};

enum { MAX_LINES = 20000, LINE_MAX_LEN = 256 };

typedef struct zline {
  int64_t ut;
  noc_tz_info info;
} zline;

typedef struct totals {
  long compared;
  long transitions;
  long gaps, folds;
  int zones;
} totals;

static totals tot;
static noc_tzdb *db;
static zline *lines; /* owned: MAX_LINES entries */

static int64_t floor_div_t(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t civil(int64_t y, int mo, int d, int h, int mi, int s) {
  static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int64_t py = y - 1;
  int64_t leaps = floor_div_t(py, 4) - floor_div_t(py, 100) + floor_div_t(py, 400);
  int64_t leaps1970 = 1969 / 4 - 1969 / 100 + 1969 / 400;
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  int64_t days = (y - 1970) * 365 + (leaps - leaps1970) + before[mo - 1] + (leap && mo > 2) + d - 1;
  return days * 86400 + h * 3600 + mi * 60 + s;
}

static int month_of(const char *m) {
  static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  for (int i = 0; i < 12; i++)
    if (strncmp(names + 3 * i, m, 3) == 0) return i + 1;
  return 0;
}

/* "Zone  Sun Mar 14 06:59:59 2021 UT = Sun Mar 14 01:59:59 2021 EST isdst=0 gmtoff=-18000" */
static bool parse_line(const char *s, zline *out) {
  char zone_name[64], wd1[4], mon1[4], wd2[4], mon2[4], abbr[16];
  int d1, h1, mi1, s1, d2, h2, mi2, s2, dst;
  long long y1, y2;
  long gmtoff;
  /* The count of conversions is checked; zdump's fields are small numbers. */
  /* NOLINTNEXTLINE(cert-err34-c) */
  int n = sscanf(s,
                 "%63s %3s %3s %d %d:%d:%d %lld UT = %3s %3s %d %d:%d:%d %lld %15s isdst=%d "
                 "gmtoff=%ld",
                 zone_name, wd1, mon1, &d1, &h1, &mi1, &s1, &y1, wd2, mon2, &d2, &h2, &mi2, &s2,
                 &y2, abbr, &dst, &gmtoff);
  if (n != 18 || month_of(mon1) == 0 || month_of(mon2) == 0) return false;
  out->ut = civil(y1, month_of(mon1), d1, h1, mi1, s1);
  int64_t local = civil(y2, month_of(mon2), d2, h2, mi2, s2);
  assert_int_equal(local - out->ut, gmtoff); /* our reading of zdump's line is consistent */
  out->info.utoff = (int32_t)gmtoff;
  out->info.is_dst = dst != 0;
  snprintf(out->info.abbr, sizeof out->info.abbr, "%s", abbr);
  return true;
}

static bool valid_name(const char *name) {
  if (name[0] == '\0' || strlen(name) >= NOC_TZ_NAME_MAX) return false;
  for (const char *p = name; *p != '\0'; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
          strchr("_+-/", *p) != NULL))
      return false;
  return true;
}

static int run_zdump(const char *name, int y0, int y1) {
  assert_true(valid_name(name)); /* the name goes into a shell command */
  char cmd[160];
  snprintf(cmd, sizeof cmd, "zdump -v -c %d,%d '%s' 2>/dev/null", y0, y1, name);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char buf[LINE_MAX_LEN];
  int n = 0;
  while (fgets(buf, sizeof buf, p) != NULL) {
    if (n < MAX_LINES && parse_line(buf, &lines[n])) n++;
  }
  assert_int_equal(pclose(p), 0);
  assert_true(n < MAX_LINES);
  return n;
}

static void same_info(const char *zone, int64_t t, const noc_tz_info *want,
                      const noc_tz_info *got) {
  tot.compared++;
  if (want->utoff != got->utoff || want->is_dst != got->is_dst ||
      strcmp(want->abbr, got->abbr) != 0)
    fail_msg("%s at %lld: zdump %d %d %s, ours %d %d %s", zone, (long long)t, want->utoff,
             want->is_dst, want->abbr, got->utoff, got->is_dst, got->abbr);
}

static bool has_candidate(const noc_tz_local *r, int64_t t) {
  return (r->count >= 1 && r->utc[0] == t) || (r->count == 2 && r->utc[1] == t);
}

/* A transition at t from `was` to `now`, with no other change within two days. */
static void check_isolated(const noc_tz *tz, int64_t t, const noc_tz_info *was,
                           const noc_tz_info *now) {
  const char *zone = noc_tz_name(tz);
  noc_tz_local r;
  tot.compared++;
  if (now->utoff > was->utoff) { /* wall clock jumps forward: [t+was, t+now) does not exist */
    tot.gaps++;
    noc_tz_local_to_utc(tz, t + was->utoff, &r);
    if (r.count != 0 || r.before.utoff != was->utoff || r.after.utoff != now->utoff)
      fail_msg("%s gap at %lld: count %d before %d after %d", zone, (long long)t, r.count,
               r.before.utoff, r.after.utoff);
    noc_tz_local_to_utc(tz, t + now->utoff - 1, &r);
    if (r.count != 0) fail_msg("%s gap end at %lld: count %d", zone, (long long)t, r.count);
  } else if (now->utoff < was->utoff) { /* wall clock goes back: [t+now, t+was) twice */
    tot.folds++;
    noc_tz_local_to_utc(tz, t + now->utoff, &r);
    if (r.count != 2 || r.utc[0] != t + now->utoff - was->utoff || r.utc[1] != t ||
        r.info[0].utoff != was->utoff || r.info[1].utoff != now->utoff)
      fail_msg("%s fold at %lld: count %d", zone, (long long)t, r.count);
    noc_tz_local_to_utc(tz, t + was->utoff, &r);
    if (r.count != 1 || r.utc[0] != t + was->utoff - now->utoff)
      fail_msg("%s fold end at %lld: count %d", zone, (long long)t, r.count);
  } else {
    noc_tz_local_to_utc(tz, t + now->utoff, &r);
    if (r.count != 1 || r.utc[0] != t)
      fail_msg("%s abbreviation change at %lld: count %d", zone, (long long)t, r.count);
  }
}

/* Both instants around each transition exist as local times and map back to themselves. */
static void check_round_trip(const noc_tz *tz, int64_t t, const noc_tz_info *info) {
  noc_tz_local r;
  noc_tz_local_to_utc(tz, t + info->utoff, &r);
  tot.compared++;
  if (!has_candidate(&r, t))
    fail_msg("%s: local time of %lld does not map back (count %d)", noc_tz_name(tz), (long long)t,
             r.count);
}

/* Years y0..y1 of one zone; instants between transitions are sampled every `step` seconds. */
static void check_range(const char *name, int y0, int y1, int64_t step) {
  noc_error err;
  const noc_tz *tz = noc_tzdb_get(db, name, &err);
  if (tz == NULL) fail_msg("%s: %s", name, err.message);
  int n = run_zdump(name, y0, y1);
  /* zdump prints each transition as the pair (t-1, t). */
  static int trans[MAX_LINES];
  int ntrans = 0;
  for (int i = 0; i < n; i++) {
    noc_tz_info got;
    noc_tz_at_utc(tz, lines[i].ut, &got);
    same_info(name, lines[i].ut, &lines[i].info, &got);
    check_round_trip(tz, lines[i].ut, &lines[i].info);
    if (i + 1 < n && lines[i + 1].ut == lines[i].ut + 1) trans[ntrans++] = i + 1;
  }
  tot.transitions += ntrans;
  for (int k = 0; k < ntrans; k++) {
    const zline *after = &lines[trans[k]], *before = &lines[trans[k] - 1];
    bool alone = (k == 0 || after->ut - lines[trans[k - 1]].ut > 2 * 86400) &&
                 (k + 1 == ntrans || lines[trans[k + 1]].ut - after->ut > 2 * 86400);
    if (alone) check_isolated(tz, after->ut, &before->info, &after->info);
  }
  if (ntrans == 0) return;
  /* Between transitions the offset is the one zdump reported after the previous one. */
  int k = 0;
  const noc_tz_info *want = &lines[trans[0] - 1].info;
  for (int64_t t = civil(y0, 1, 1, 0, 0, 0); t < civil(y1, 1, 1, 0, 0, 0); t += step) {
    while (k < ntrans && lines[trans[k]].ut <= t)
      want = &lines[trans[k++]].info;
    noc_tz_info got;
    noc_tz_at_utc(tz, t, &got);
    same_info(name, t, want, &got);
    check_round_trip(tz, t, want);
  }
}

/* History in detail; for the listed zones also the POSIX footer rule (Debian's files carry the
 * table to 2037) through 2100, which is not a leap year. zdump is slow past 2037, so only there. */
static void check_zone(const char *name, bool listed) {
  tot.zones++;
  check_range(name, 1850, 2040, (listed ? 1 : 7) * 86400 + 3607);
  if (listed) check_range(name, 2040, 2110, 5 * 86400 + 3607);
}

static bool in_list(const char *name) {
  for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
    if (strcmp(zones[i], name) == 0) return true;
  return false;
}

static void test_zdump(void **state) {
  (void)state;
  struct stat st;
  if (stat("/usr/bin/zdump", &st) != 0) skip();
  for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
    check_zone(zones[i], true);
  /* Then every other zone of the installed tzdata. */
  FILE *f = fopen("/usr/share/zoneinfo/tzdata.zi", "r");
  char buf[LINE_MAX_LEN], name[NOC_TZ_NAME_MAX];
  while (f != NULL && fgets(buf, sizeof buf, f) != NULL)
    if (sscanf(buf, "Z %63s", name) == 1 && valid_name(name) && !in_list(name))
      check_zone(name, false);
  if (f != NULL) fclose(f);
  print_message("zdump: %d zones, %ld transitions (%ld isolated gaps, %ld folds), "
                "%ld comparisons, 0 mismatches\n",
                tot.zones, tot.transitions, tot.gaps, tot.folds, tot.compared);
  assert_true(tot.transitions > 1000);
}

static int setup(void **state) {
  (void)state;
  db = noc_tzdb_open(NULL);
  lines = calloc(MAX_LINES, sizeof *lines);
  return db == NULL || lines == NULL ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  noc_tzdb_close(db);
  free(lines);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_zdump)};
  return cmocka_run_group_tests_name("tz_zdump", tests, setup, teardown);
}
