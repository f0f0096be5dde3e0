/* ISO 8601 instants for the bounds of a search: a date, or a date and time with "Z" or an
 * offset. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "nocturna/events.h"

/* Splits "date[Tclock[zone]]" into its parts (each copied, bounded). */
static bool split_iso(const char *text, char *date, size_t dcap, char *clock, size_t ccap,
                      char *zone, size_t zcap) {
  size_t n = strlen(text);
  if (n == 0 || n > 64) return false;
  const char *t = NULL;
  /* The date part may start with a sign; 'T' (or a space) separates it from the clock. */
  for (const char *p = text + 1; *p; p++) {
    if (*p == 'T' || *p == 't' || *p == ' ') {
      t = p;
      break;
    }
  }
  size_t dlen = t ? (size_t)(t - text) : n;
  if (dlen + 1 > dcap) return false;
  memcpy(date, text, dlen);
  date[dlen] = '\0';
  clock[0] = zone[0] = '\0';
  if (t == NULL) return true;
  const char *c = t + 1;
  const char *z = c;
  while (*z && (isdigit((unsigned char)*z) || *z == ':' || *z == '.'))
    z++;
  size_t clen = (size_t)(z - c), zlen = strlen(z);
  if (clen == 0 || clen + 1 > ccap || zlen + 1 > zcap) return false;
  memcpy(clock, c, clen);
  clock[clen] = '\0';
  memcpy(zone, z, zlen + 1);
  return true;
}

/* "Z", "+HH:MM", "+HHMM", "+HH" -> seconds east of UTC. */
static bool parse_zone(const char *z, int *seconds) {
  if (strcmp(z, "Z") == 0 || strcmp(z, "z") == 0) {
    *seconds = 0;
    return true;
  }
  if (z[0] != '+' && z[0] != '-') return false;
  int sign = z[0] == '-' ? -1 : 1;
  const char *p = z + 1;
  if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1])) return false;
  int h = (p[0] - '0') * 10 + (p[1] - '0'), m = 0;
  p += 2;
  if (*p == ':') p++;
  if (*p) {
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '\0')
      return false;
    m = (p[0] - '0') * 10 + (p[1] - '0');
  }
  if (h > 18 || m > 59) return false;
  *seconds = sign * (h * 3600 + m * 60);
  return true;
}

noc_status noc_parse_iso8601(noc_ctx *ctx, const char *text, noc_time *out, noc_error *err,
                             const char *field) {
  char date[24], clock[24], zone[16];
  if (text == NULL || !split_iso(text, date, sizeof date, clock, sizeof clock, zone, sizeof zone))
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "expected an ISO 8601 instant like 2024-03-20T03:06:00Z or "
                    "2024-03-20T05:06:00+02:00");
  noc_civil c;
  memset(&c, 0, sizeof c);
  noc_status st = noc_parse_date(date, NOC_CAL_GREGORIAN, &c, err, field);
  if (st != NOC_OK) return st;
  int offset = 0;
  if (clock[0]) {
    if ((st = noc_parse_clock(clock, &c, err, field)) != NOC_OK) return st;
    if (zone[0] == '\0')
      return noc_fail(err, NOC_ERR_VALIDATION, field,
                      "a time needs \"Z\" or an offset such as +02:00 (ISO 8601)");
    if (!parse_zone(zone, &offset))
      return noc_fail(err, NOC_ERR_VALIDATION, field,
                      "unreadable offset '%.12s' (use Z, +HH:MM or -HH:MM)", zone);
  }
  /* Apply the offset on whole seconds of the day count; a leap second keeps its label. */
  bool leap = c.second >= 60.0;
  double frac = c.second - (double)(int)c.second;
  int64_t secs = noc_days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 +
                 c.minute * 60 + (int)c.second - (leap ? 1 : 0) - offset;
  noc_civil utc;
  noc_civil_from_unix(secs, &utc);
  utc.second += frac + (leap ? 1.0 : 0.0);
  if (utc.year < NOC_YEAR_MIN || utc.year > NOC_YEAR_MAX)
    return noc_fail(err, NOC_ERR_RANGE, field,
                    "the instant falls outside the ephemeris range (years %d..%d)", NOC_YEAR_MIN,
                    NOC_YEAR_MAX);
  st = noc_time_from_utc(ctx, &utc, false, out, err);
  if (st != NOC_OK && err) snprintf(err->field, sizeof err->field, "%s", field);
  return st;
}
