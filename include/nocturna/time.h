/* Civil time, calendars and the time scales of a calculation (UTC -> UT1 and TT). */
#ifndef NOCTURNA_TIME_H
#define NOCTURNA_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "nocturna/context.h"

/* Astronomical year numbering: year 0 = 1 BCE. */
typedef struct noc_civil {
  int year, month, day;
  int hour, minute;
  double second; /* 0 <= second < 61 (60.x only inside a leap second) */
} noc_civil;

typedef enum noc_calendar {
  NOC_CAL_AUTO = 0, /* Julian before 1582-10-15, Gregorian from then on */
  NOC_CAL_GREGORIAN,
  NOC_CAL_JULIAN
} noc_calendar;

/* The instant of a calculation in every scale we report. */
typedef struct noc_time {
  double jd_ut;       /* UT1 Julian day, as Swiss Ephemeris' *_ut functions take */
  double jd_tt;       /* Terrestrial Time Julian day */
  double delta_t_sec; /* TT - UT1 in seconds */
  noc_civil utc;      /* the UTC civil time (proleptic Gregorian) */
  bool julian_input;  /* the request's date was read in the Julian calendar */
} noc_time;

/* Range of dates the installed ephemeris files cover (inclusive years). */
enum { NOC_YEAR_MIN = -5400, NOC_YEAR_MAX = 5399 };

bool noc_is_leap_year(int year, bool julian);
int noc_days_in_month(int year, int month, bool julian);
/* Resolves NOC_CAL_AUTO for a given date. */
bool noc_calendar_is_julian(noc_calendar cal, int year, int month, int day);

/* Parses "YYYY-MM-DD" (optionally signed year, e.g. "-4712-01-01") and
 * "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff". Validates ranges for the given calendar. */
noc_status noc_parse_date(const char *text, noc_calendar cal, noc_civil *out, noc_error *err,
                          const char *field);
noc_status noc_parse_clock(const char *text, noc_civil *out, noc_error *err, const char *field);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. Exact for any int year. */
int64_t noc_days_from_civil(int year, int month, int day);
void noc_civil_from_days(int64_t days, int *year, int *month, int *day);
/* The proleptic Gregorian date and time of `secs` seconds since 1970-01-01T00:00:00 (no leap
 * seconds: POSIX time), whole seconds. */
void noc_civil_from_unix(int64_t secs, noc_civil *out);

/* Converts a civil date in calendar `cal` to the proleptic Gregorian date of the same day. */
void noc_to_gregorian(const noc_civil *in, bool julian, noc_civil *out);

/* From a UTC civil time (already in the calendar named by `julian`) to all scales.
 * Leap seconds are honoured from 1972; before that UTC is taken as UT1. */
noc_status noc_time_from_utc(noc_ctx *ctx, const noc_civil *utc, bool julian, noc_time *out,
                             noc_error *err);
/* From a UT1 Julian day (event search, returns). utc is filled by the inverse conversion. */
noc_status noc_time_from_jd_ut(noc_ctx *ctx, double jd_ut, noc_time *out, noc_error *err);

/* From a TT Julian day (ΔT solved by iteration). */
noc_status noc_time_from_jd_tt(noc_ctx *ctx, double jd_tt, noc_time *out, noc_error *err);

/* Writes "YYYY-MM-DDTHH:MM:SS[.fff]Z" (year with sign and 4+ digits outside 0..9999).
 * decimals: 0..6 digits of the second. Returns the length, or -1 when cap is too small. */
int noc_format_utc(const noc_civil *utc, int decimals, char *buf, size_t cap);

/* Writes a UTC offset in seconds as "+HH:MM", or "+HH:MM:SS" when it has seconds (local mean
 * time before a zone's standard time). Returns the length, or -1 when cap is below 10 or the
 * offset is not within +-99 hours. */
int noc_format_offset(int32_t offset_seconds, char *buf, size_t cap);

#endif
