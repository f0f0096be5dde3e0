/* Civil dates, calendars and time scales. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swephexp.h>

#include "nocturna/time.h"

bool noc_is_leap_year(int year, bool julian) {
  if (julian) return year % 4 == 0; /* also right for negative astronomical years */
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int noc_days_in_month(int year, int month, bool julian) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && noc_is_leap_year(year, julian)) return 29;
  return days[month - 1];
}

bool noc_calendar_is_julian(noc_calendar cal, int year, int month, int day) {
  if (cal != NOC_CAL_AUTO) return cal == NOC_CAL_JULIAN;
  long key = (long)year * 10000 + month * 100 + day;
  return key < 15821015L;
}

/* Days since 1970-01-01 in the proleptic Gregorian calendar (era arithmetic, exact). */
int64_t noc_days_from_civil(int year, int month, int day) {
  int64_t y = (int64_t)year - (month <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void noc_civil_from_days(int64_t z, int *year, int *month, int *day) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = (int)(yoe + era * 400 + (m <= 2));
  *month = (int)m;
  *day = (int)d;
}

void noc_civil_from_unix(int64_t secs, noc_civil *out) {
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  noc_civil_from_days(days, &out->year, &out->month, &out->day);
  out->hour = (int)(rem / 3600);
  out->minute = (int)(rem / 60 % 60);
  out->second = (double)(rem % 60);
}

/* Julian-calendar day count relative to the same epoch: the two calendars agree on
 * JD, and JD of Gregorian 1970-01-01 is 2440588. */
static int64_t julian_days_from_civil(int year, int month, int day) {
  int64_t y = (int64_t)year + 4800 - (month <= 2 ? 1 : 0);
  int64_t m = month + (month <= 2 ? 12 : 0) - 3;
  int64_t fl = y >= 0 ? y / 4 : (y - 3) / 4;
  int64_t jdn = day + (153 * m + 2) / 5 + 365 * y + fl - 32083;
  return jdn - 2440588;
}

void noc_to_gregorian(const noc_civil *in, bool julian, noc_civil *out) {
  *out = *in;
  if (!julian) return;
  int64_t days = julian_days_from_civil(in->year, in->month, in->day);
  noc_civil_from_days(days, &out->year, &out->month, &out->day);
}

/* Reads a run of digits (at most max) into *v. Returns the number of digits read. */
static int read_digits(const char **p, int max, long *v) {
  int n = 0;
  long acc = 0;
  while (n < max && isdigit((unsigned char)**p)) {
    acc = acc * 10 + (**p - '0');
    (*p)++;
    n++;
  }
  *v = acc;
  return n;
}

noc_status noc_parse_date(const char *text, noc_calendar cal, noc_civil *out, noc_error *err,
                          const char *field) {
  const char *p = text;
  int sign = 1;
  if (*p == '-' || *p == '+') {
    sign = *p == '-' ? -1 : 1;
    p++;
  }
  long y, m, d;
  int ny = read_digits(&p, 5, &y);
  if (ny < 4 || *p != '-') goto bad_format;
  p++;
  if (read_digits(&p, 2, &m) != 2 || *p != '-') goto bad_format;
  p++;
  if (read_digits(&p, 2, &d) != 2 || *p != '\0') goto bad_format;
  y *= sign;
  if (y < NOC_YEAR_MIN || y > NOC_YEAR_MAX)
    return noc_fail(err, NOC_ERR_RANGE, field,
                    "year %ld is outside the ephemeris range %d..%d (astronomical numbering)", y,
                    NOC_YEAR_MIN, NOC_YEAR_MAX);
  if (m < 1 || m > 12)
    return noc_fail(err, NOC_ERR_VALIDATION, field, "month %ld does not exist", m);
  bool julian = noc_calendar_is_julian(cal, (int)y, (int)m, (int)d);
  if (d < 1 || d > noc_days_in_month((int)y, (int)m, julian))
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "day %ld does not exist in %04ld-%02ld (%s calendar)", d, y, m,
                    julian ? "Julian" : "Gregorian");
  if (cal == NOC_CAL_AUTO && y == 1582 && m == 10 && d > 4 && d < 15)
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "1582-10-05..14 do not exist: the Julian calendar ends on 1582-10-04 and the "
                    "Gregorian begins on 1582-10-15 (set \"calendar\" to choose one)");
  out->year = (int)y;
  out->month = (int)m;
  out->day = (int)d;
  return NOC_OK;
bad_format:
  return noc_fail(err, NOC_ERR_VALIDATION, field,
                  "expected a date as YYYY-MM-DD (astronomical year, e.g. -0044-03-15)");
}

noc_status noc_parse_clock(const char *text, noc_civil *out, noc_error *err, const char *field) {
  const char *p = text;
  long h, mi, s = 0;
  double frac = 0;
  if (read_digits(&p, 2, &h) != 2 || *p != ':') goto bad_format;
  p++;
  if (read_digits(&p, 2, &mi) != 2) goto bad_format;
  if (*p == ':') {
    p++;
    if (read_digits(&p, 2, &s) != 2) goto bad_format;
    if (*p == '.') {
      p++;
      double scale = 0.1;
      int n = 0;
      while (isdigit((unsigned char)*p) && n < 9) {
        frac += (*p - '0') * scale;
        scale /= 10;
        p++;
        n++;
      }
      if (n == 0) goto bad_format;
    }
  }
  if (*p != '\0') goto bad_format;
  if (h > 23) return noc_fail(err, NOC_ERR_VALIDATION, field, "hour %ld is out of range 00..23", h);
  if (mi > 59)
    return noc_fail(err, NOC_ERR_VALIDATION, field, "minute %ld is out of range 00..59", mi);
  if (s > 60)
    return noc_fail(err, NOC_ERR_VALIDATION, field, "second %ld is out of range 00..60", s);
  out->hour = (int)h;
  out->minute = (int)mi;
  out->second = (double)s + frac;
  return NOC_OK;
bad_format:
  return noc_fail(err, NOC_ERR_VALIDATION, field,
                  "expected a time as HH:MM, HH:MM:SS or HH:MM:SS.fff");
}

/* Swiss Ephemeris 2.10 knows the leap seconds up to the end of 2016, and none has been inserted
 * since: TAI - UTC has stayed 37 s. Past its table swe_utc_to_jd starts reading UTC as UT1 once its
 * predicted ΔT drifts a second away (about 2033), so from 2017 we apply TT = UTC + 69.184 s
 * ourselves. */
static const double utc_table_end_jd = 2457754.5; /* 2017-01-01T00:00:00 UTC */
static const double tt_minus_utc_after_table = 69.184 / 86400.0;

static double ut_from_tt(double jd_tt) {
  char serr[AS_MAXCH] = "";
  double jd_ut = jd_tt;
  /* ΔT changes by far less than a second per day, so three rounds converge to 1e-12 day. */
  for (int i = 0; i < 3; i++)
    jd_ut = jd_tt - swe_deltat_ex(jd_ut, SEFLG_SWIEPH, serr);
  return jd_ut;
}

static noc_status time_from_utc_after_table(const noc_civil *utc, noc_time *out, noc_error *err) {
  if (utc->second >= 60.0)
    return noc_fail(err, NOC_ERR_VALIDATION, "time",
                    "second 60 exists only during a leap second, and none has been inserted "
                    "since 2016-12-31");
  double hours = utc->hour + utc->minute / 60.0 + utc->second / 3600.0;
  double jd_utc = swe_julday(utc->year, utc->month, utc->day, hours, SE_GREG_CAL);
  out->jd_tt = jd_utc + tt_minus_utc_after_table;
  out->jd_ut = ut_from_tt(out->jd_tt);
  return NOC_OK;
}

noc_status noc_time_from_utc(noc_ctx *ctx, const noc_civil *utc, bool julian, noc_time *out,
                             noc_error *err) {
  (void)ctx;
  if (!julian && noc_days_from_civil(utc->year, utc->month, utc->day) >= 17167 /* 2017-01-01 */) {
    noc_status st = time_from_utc_after_table(utc, out, err);
    if (st != NOC_OK) return st;
    out->delta_t_sec = (out->jd_tt - out->jd_ut) * 86400.0;
    out->utc = *utc;
    out->julian_input = false;
    return NOC_OK;
  }
  double dret[2];
  char serr[AS_MAXCH] = "";
  int greg = julian ? SE_JUL_CAL : SE_GREG_CAL;
  int32 ret = swe_utc_to_jd(utc->year, utc->month, utc->day, utc->hour, utc->minute, utc->second,
                            greg, dret, serr);
  if (ret < 0) {
    if (utc->second >= 60)
      return noc_fail(err, NOC_ERR_VALIDATION, "time",
                      "second 60 exists only during a leap second, and this is not one");
    return noc_fail(err, NOC_ERR_VALIDATION, "date", "not a valid date and time");
  }
  out->jd_tt = dret[0];
  out->jd_ut = dret[1];
  out->delta_t_sec = (dret[0] - dret[1]) * 86400.0;
  noc_to_gregorian(utc, julian, &out->utc);
  out->julian_input = julian;
  return NOC_OK;
}

noc_status noc_time_from_jd_ut(noc_ctx *ctx, double jd_ut, noc_time *out, noc_error *err) {
  (void)ctx;
  if (!isfinite(jd_ut)) return noc_fail(err, NOC_ERR_VALIDATION, "", "time is not a finite number");
  char serr[AS_MAXCH] = "";
  double dt = swe_deltat_ex(jd_ut, SEFLG_SWIEPH, serr);
  out->jd_ut = jd_ut;
  out->jd_tt = jd_ut + dt;
  out->delta_t_sec = dt * 86400.0;
  int32 y, m, d, h, mi;
  double s;
  double jd_utc = out->jd_tt - tt_minus_utc_after_table;
  if (jd_utc >= utc_table_end_jd) {
    double hours;
    swe_revjul(jd_utc, SE_GREG_CAL, &y, &m, &d, &hours);
    double secs = hours * 3600.0;
    h = (int32)(secs / 3600.0);
    mi = (int32)((secs - h * 3600.0) / 60.0);
    s = secs - h * 3600.0 - mi * 60.0;
  } else {
    swe_jdut1_to_utc(jd_ut, SE_GREG_CAL, &y, &m, &d, &h, &mi, &s);
  }
  out->utc = (noc_civil){(int)y, (int)m, (int)d, (int)h, (int)mi, s};
  out->julian_input = false;
  return NOC_OK;
}

noc_status noc_time_from_jd_tt(noc_ctx *ctx, double jd_tt, noc_time *out, noc_error *err) {
  if (!isfinite(jd_tt)) return noc_fail(err, NOC_ERR_VALIDATION, "", "time is not a finite number");
  double jd_ut = ut_from_tt(jd_tt);
  noc_status st = noc_time_from_jd_ut(ctx, jd_ut, out, err);
  if (st == NOC_OK) {
    out->jd_tt = jd_tt;
    out->delta_t_sec = (jd_tt - jd_ut) * 86400.0;
  }
  return st;
}

/* Zero-padded decimal digits of v, right-aligned in width characters. */
static void put_digits(char *out, int64_t v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10)
    out[i] = (char)('0' + v % 10);
}

/* YYYY-MM-DDTHH:MM:SS[.f]Z for years 0000-9999 without printf: every response's meta carries
 * one or two timestamps. buf has room for 32 bytes. */
static int format_plain(char *buf, int y, int mo, int d, int h, int mi, int s, int decimals,
                        int64_t frac) {
  put_digits(buf, y, 4);
  buf[4] = '-';
  put_digits(buf + 5, mo, 2);
  buf[7] = '-';
  put_digits(buf + 8, d, 2);
  buf[10] = 'T';
  put_digits(buf + 11, h, 2);
  buf[13] = ':';
  put_digits(buf + 14, mi, 2);
  buf[16] = ':';
  put_digits(buf + 17, s, 2);
  int n = 19;
  if (decimals > 0) {
    buf[n++] = '.';
    put_digits(buf + n, frac, decimals);
    n += decimals;
  }
  buf[n++] = 'Z';
  buf[n] = '\0';
  return n;
}

int noc_format_offset(int32_t offset_seconds, char *buf, size_t cap) {
  int64_t a = offset_seconds < 0 ? -(int64_t)offset_seconds : offset_seconds;
  if (cap < 10 || a >= 100 * 3600) return -1;
  buf[0] = offset_seconds < 0 ? '-' : '+';
  put_digits(buf + 1, a / 3600, 2);
  buf[3] = ':';
  put_digits(buf + 4, a / 60 % 60, 2);
  int n = 6;
  if (a % 60) {
    buf[n++] = ':';
    put_digits(buf + n, a % 60, 2);
    n += 2;
  }
  buf[n] = '\0';
  return n;
}

int noc_format_utc(const noc_civil *utc, int decimals, char *buf, size_t cap) {
  if (decimals < 0) decimals = 0;
  if (decimals > 6) decimals = 6;
  int64_t scale = 1;
  for (int i = 0; i < decimals; i++)
    scale *= 10;
  /* Round on the whole instant so that 23:59:59.9999996 carries into the next day. */
  int64_t days = noc_days_from_civil(utc->year, utc->month, utc->day);
  int64_t units = (int64_t)llround(utc->second * (double)scale) +
                  ((int64_t)utc->hour * 3600 + (int64_t)utc->minute * 60) * scale;
  int64_t day_units = 86400 * scale;
  /* A leap second (60.x) stays in its own day. */
  bool leap = utc->second >= 60.0;
  if (!leap && units >= day_units) {
    days += units / day_units;
    units %= day_units;
  }
  int y, mo, d;
  noc_civil_from_days(days, &y, &mo, &d);
  int64_t secs = units / scale, frac = units % scale;
  int h = (int)(secs / 3600), mi = (int)(secs / 60 % 60), s = (int)(secs % 60);
  if (leap) {
    h = utc->hour;
    mi = utc->minute;
    s = (int)(secs - (int64_t)h * 3600 - (int64_t)mi * 60);
  }
  if (y >= 0 && y <= 9999 && cap > 32) return format_plain(buf, y, mo, d, h, mi, s, decimals, frac);
  char year[16];
  if (y >= 0 && y <= 9999)
    snprintf(year, sizeof year, "%04d", y);
  else
    snprintf(year, sizeof year, "%+05d", y);
  int n;
  if (decimals == 0)
    n = snprintf(buf, cap, "%s-%02d-%02dT%02d:%02d:%02dZ", year, mo, d, h, mi, s);
  else
    n = snprintf(buf, cap, "%s-%02d-%02dT%02d:%02d:%02d.%0*lldZ", year, mo, d, h, mi, s, decimals,
                 (long long)frac);
  if (n < 0 || (size_t)n >= cap) return -1;
  return n;
}
