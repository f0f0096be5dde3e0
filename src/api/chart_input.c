/* A chart's input: local date and time in a zone, place and calculation options. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "util/tz.h"

const char *const noc_chart_keys[] = {
    "date",      "time",         "timezone",        "utc_offset",    "latitude",
    "longitude", "altitude",     "calendar",        "fold",          "strict_time",
    "zodiac",    "ayanamsa",     "custom_ayanamsa", "center",        "position_type",
    "ephemeris", "house_system", "strict_houses",   "julian_day_ut", "julian_day_tt",
    NULL};

/* Parses "+05:30", "-0800", "+5", "Z". */
static bool parse_offset(const char *s, int32_t *out) {
  if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0) {
    *out = 0;
    return true;
  }
  int sign = s[0] == '-' ? -1 : (s[0] == '+' ? 1 : 0);
  if (sign == 0) return false;
  int h = 0, m = 0, digits = 0;
  const char *p = s + 1;
  while (*p >= '0' && *p <= '9' && digits < 2)
    h = h * 10 + (*p++ - '0'), digits++;
  if (digits == 0) return false;
  if (*p == ':') p++;
  if (*p) {
    if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9') || p[2] != '\0') return false;
    m = (p[0] - '0') * 10 + (p[1] - '0');
  }
  if (h > 18 || m > 59) return false;
  *out = sign * (h * 3600 + m * 60);
  return true;
}

static noc_status read_enum(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                            const char *const *names, int *out) {
  const char *s = NULL;
  noc_status st = noc_in_string(call, obj, prefix, key, false, &s);
  if (st != NOC_OK || s == NULL) return st;
  for (int i = 0; names[i]; i++) {
    if (strcasecmp(s, names[i]) == 0) {
      *out = i;
      return NOC_OK;
    }
  }
  char path[NOC_ERR_FIELD_MAX], list[160] = "";
  for (int i = 0; names[i]; i++) {
    strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
    strncat(list, names[i], sizeof list - strlen(list) - 1);
  }
  return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                  "'%.40s' is not one of: %s", s, list);
}

/* Local civil seconds (as if UTC) of a Gregorian civil time, whole seconds. */
static int64_t civil_seconds(const noc_civil *c) {
  return noc_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 + c->minute * 60 +
         (int64_t)floor(c->second);
}

static void civil_from_seconds(int64_t s, double frac, noc_civil *out) {
  int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
  int64_t rem = s - days * 86400;
  noc_civil_from_days(days, &out->year, &out->month, &out->day);
  out->hour = (int)(rem / 3600);
  out->minute = (int)(rem / 60 % 60);
  out->second = (double)(rem % 60) + frac;
}

/* Applies the zone's offset to the local time; DST gaps and folds follow the request's
 * policy and are reported. */
static noc_status resolve_zone(noc_api_call *call, json_t *obj, const char *prefix,
                               const noc_civil *local, noc_civil *utc, noc_tz_meta *tzm) {
  const char *zone = NULL, *offset = NULL;
  char path[NOC_ERR_FIELD_MAX];
  noc_status st = noc_in_string(call, obj, prefix, "timezone", false, &zone);
  if (st == NOC_OK) st = noc_in_string(call, obj, prefix, "utc_offset", false, &offset);
  if (st != NOC_OK) return st;
  if (zone && offset)
    return noc_fail(&call->err, NOC_ERR_VALIDATION,
                    noc_in_path(path, sizeof path, prefix, "utc_offset"),
                    "give either timezone or utc_offset, not both");
  bool leap = local->second >= 60.0; /* a leap second keeps its label through the offset */
  double frac = local->second - floor(local->second);
  int64_t lsec = civil_seconds(local) - (leap ? 1 : 0);
  int32_t off = 0;
  memset(tzm, 0, sizeof *tzm);
  if (offset) {
    if (!parse_offset(offset, &off))
      return noc_fail(&call->err, NOC_ERR_VALIDATION,
                      noc_in_path(path, sizeof path, prefix, "utc_offset"),
                      "expected an offset like +05:30 or -08:00 (at most 18 hours)");
    noc_format_offset(off, tzm->abbreviation, sizeof tzm->abbreviation);
    tzm->resolution = "fixed_offset";
  } else if (zone == NULL || strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0) {
    noc_strlcpy(tzm->name, "UTC", sizeof tzm->name);
    noc_strlcpy(tzm->abbreviation, "UTC", sizeof tzm->abbreviation);
    tzm->resolution = "unique";
  } else {
    noc_error tzerr;
    noc_error_clear(&tzerr);
    const noc_tz *tz = noc_tzdb_get(call->env->tzdb, zone, &tzerr);
    if (tz == NULL)
      return noc_fail(&call->err, NOC_ERR_VALIDATION,
                      noc_in_path(path, sizeof path, prefix, "timezone"), "%s",
                      tzerr.message[0] ? tzerr.message : "unknown time zone");
    noc_strlcpy(tzm->name, noc_tz_name(tz), sizeof tzm->name);
    noc_tz_local r;
    noc_tz_local_to_utc(tz, lsec, &r);
    bool strict = false;
    int fold_later = 0;
    static const char *const folds[] = {"earlier", "later", NULL};
    if ((st = noc_in_bool(call, obj, prefix, "strict_time", &strict)) != NOC_OK ||
        (st = read_enum(call, obj, prefix, "fold", folds, &fold_later)) != NOC_OK)
      return st;
    const noc_tz_info *info;
    if (r.count == 1) {
      info = &r.info[0];
      tzm->resolution = "unique";
    } else if (r.count == 2) {
      if (strict)
        return noc_fail(&call->err, NOC_ERR_VALIDATION,
                        noc_in_path(path, sizeof path, prefix, "time"),
                        "this local time happens twice in %s (%s and %s); set \"fold\" or drop "
                        "strict_time",
                        tzm->name, r.info[0].abbr, r.info[1].abbr);
      info = &r.info[fold_later];
      tzm->resolution = fold_later ? "fold_later" : "fold_earlier";
      noc_warn(call, "AMBIGUOUS_LOCAL_TIME",
               "%s: this local time happens twice (%s and %s); the %s one (%s) was used",
               noc_in_path(path, sizeof path, prefix, "time"), r.info[0].abbr, r.info[1].abbr,
               fold_later ? "later" : "earlier", info->abbr);
    } else {
      if (strict)
        return noc_fail(&call->err, NOC_ERR_VALIDATION,
                        noc_in_path(path, sizeof path, prefix, "time"),
                        "this local time does not exist in %s (skipped by a clock change from %s "
                        "to %s)",
                        tzm->name, r.before.abbr, r.after.abbr);
      info = &r.before;
      tzm->resolution = "gap";
      noc_warn(call, "NONEXISTENT_LOCAL_TIME",
               "%s: this local time does not exist (clocks jumped from %s to %s); it was read "
               "with the offset in force before the change (%s)",
               noc_in_path(path, sizeof path, prefix, "time"), r.before.abbr, r.after.abbr,
               r.before.abbr);
    }
    off = info->utoff;
    tzm->is_dst = info->is_dst;
    noc_strlcpy(tzm->abbreviation, info->abbr, sizeof tzm->abbreviation);
  }
  tzm->offset_seconds = off;
  civil_from_seconds(lsec - off, frac, utc);
  if (leap) utc->second += 1.0; /* back to :60 of the UTC minute */
  return NOC_OK;
}

/* A Julian day instead of date and time: research clients know the instant exactly. */
static noc_status read_julian_day(noc_api_call *call, json_t *obj, const char *prefix,
                                  noc_chart_in *out, bool *used) {
  double jd = 0;
  bool has_ut = false, has_tt = false;
  char path[NOC_ERR_FIELD_MAX];
  /* JD range of the ephemeris files: -5400-01-01 .. 5399-12-31. */
  const double lo = 0.0 - 251291.5, hi = 3693368.5;
  noc_status st = noc_in_number(call, obj, prefix, "julian_day_ut", false, lo, hi, &jd, &has_ut);
  if (st == NOC_OK && !has_ut)
    st = noc_in_number(call, obj, prefix, "julian_day_tt", false, lo, hi, &jd, &has_tt);
  *used = has_ut || has_tt;
  if (st != NOC_OK || !*used) return st;
  if (json_object_get(obj, "date") || json_object_get(obj, "time"))
    return noc_fail(
        &call->err, NOC_ERR_VALIDATION,
        noc_in_path(path, sizeof path, prefix, has_ut ? "julian_day_ut" : "julian_day_tt"),
        "give either a Julian day or date and time, not both");
  st = has_ut ? noc_time_from_jd_ut(call->env->ctx, jd, &out->time, &call->err)
              : noc_time_from_jd_tt(call->env->ctx, jd, &out->time, &call->err);
  noc_strlcpy(out->tz.name, "UTC", sizeof out->tz.name);
  noc_strlcpy(out->tz.abbreviation, "UTC", sizeof out->tz.abbreviation);
  out->tz.resolution = has_ut ? "julian_day_ut" : "julian_day_tt";
  return st;
}

static noc_status read_time(noc_api_call *call, json_t *obj, const char *prefix,
                            noc_chart_in *out) {
  bool by_jd = false;
  noc_status jst = read_julian_day(call, obj, prefix, out, &by_jd);
  if (jst != NOC_OK || by_jd) return jst;
  static const char *const calendars[] = {"auto", "gregorian", "julian", NULL};
  int cal = 0;
  const char *date = NULL, *clock = NULL;
  char path[NOC_ERR_FIELD_MAX];
  noc_status st;
  if ((st = read_enum(call, obj, prefix, "calendar", calendars, &cal)) != NOC_OK ||
      (st = noc_in_string(call, obj, prefix, "date", true, &date)) != NOC_OK ||
      (st = noc_in_string(call, obj, prefix, "time", true, &clock)) != NOC_OK)
    return st;
  noc_civil local = {0};
  if ((st = noc_parse_date(date, (noc_calendar)cal, &local, &call->err,
                           noc_in_path(path, sizeof path, prefix, "date"))) != NOC_OK ||
      (st = noc_parse_clock(clock, &local, &call->err,
                            noc_in_path(path, sizeof path, prefix, "time"))) != NOC_OK)
    return st;
  bool julian = noc_calendar_is_julian((noc_calendar)cal, local.year, local.month, local.day);
  noc_civil greg, utc = {0};
  noc_to_gregorian(&local, julian, &greg);
  if ((st = resolve_zone(call, obj, prefix, &greg, &utc, &out->tz)) != NOC_OK) return st;
  if (utc.year < NOC_YEAR_MIN || utc.year > NOC_YEAR_MAX)
    return noc_fail(&call->err, NOC_ERR_RANGE, noc_in_path(path, sizeof path, prefix, "date"),
                    "the instant falls outside the ephemeris range (years %d..%d)", NOC_YEAR_MIN,
                    NOC_YEAR_MAX);
  st = noc_time_from_utc(call->env->ctx, &utc, false, &out->time, &call->err);
  if (st != NOC_OK && call->err.field[0]) {
    char key[NOC_ERR_FIELD_MAX];
    snprintf(key, sizeof key, "%s", call->err.field);
    noc_in_path(call->err.field, sizeof call->err.field, prefix, key);
  }
  out->time.julian_input = julian;
  return st;
}

static noc_status read_ayanamsa(noc_api_call *call, json_t *obj, const char *prefix,
                                noc_calc_options *opt) {
  char path[NOC_ERR_FIELD_MAX];
  const char *name = NULL;
  noc_status st = noc_in_string(call, obj, prefix, "ayanamsa", false, &name);
  if (st != NOC_OK) return st;
  if (name && !noc_ayanamsa_from_name(name, &opt->ayanamsa))
    return noc_fail(
        &call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, "ayanamsa"),
        "unknown ayanamsa '%.40s' (e.g. LAHIRI, FAGAN_BRADLEY, RAMAN, KRISHNAMURTI)", name);
  json_t *custom = json_object_get(obj, "custom_ayanamsa");
  if (custom && !json_is_null(custom)) {
    noc_in_path(path, sizeof path, prefix, "custom_ayanamsa");
    if (!json_is_object(custom))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, path,
                      "must be an object {\"epoch_jd_tt\": number, \"value\": degrees}");
    if ((st = noc_in_number(call, custom, path, "epoch_jd_tt", true, 0, 5e6, &opt->user_t0_jd_tt,
                            NULL)) != NOC_OK ||
        (st = noc_in_number(call, custom, path, "value", true, -360, 360, &opt->user_ayan_t0,
                            NULL)) != NOC_OK)
      return st;
    opt->ayanamsa = NOC_AYANAMSA_USER;
  } else if (opt->ayanamsa == NOC_AYANAMSA_USER) {
    return noc_fail(&call->err, NOC_ERR_VALIDATION,
                    noc_in_path(path, sizeof path, prefix, "custom_ayanamsa"),
                    "ayanamsa USER needs custom_ayanamsa {\"epoch_jd_tt\", \"value\"}");
  }
  if (opt->zodiac != NOC_SIDEREAL && (name || custom))
    noc_warn(call, "AYANAMSA_IGNORED",
             "an ayanamsa was given but zodiac is tropical; it was ignored");
  return NOC_OK;
}

static noc_status read_options(noc_api_call *call, json_t *obj, const char *prefix,
                               noc_chart_in *out) {
  static const char *const zodiacs[] = {"tropical", "sidereal", NULL};
  static const char *const centers[] = {"geocentric", "topocentric", "heliocentric", NULL};
  static const char *const kinds[] = {"apparent", "true", NULL};
  static const char *const ephes[] = {"swiss", "moshier", NULL};
  noc_calc_options *opt = &out->opt;
  int zodiac = 0, center = 0, kind = 0, ephe = 0;
  char path[NOC_ERR_FIELD_MAX];
  noc_status st;
  if ((st = read_enum(call, obj, prefix, "zodiac", zodiacs, &zodiac)) != NOC_OK ||
      (st = read_enum(call, obj, prefix, "center", centers, &center)) != NOC_OK ||
      (st = read_enum(call, obj, prefix, "position_type", kinds, &kind)) != NOC_OK ||
      (st = read_enum(call, obj, prefix, "ephemeris", ephes, &ephe)) != NOC_OK)
    return st;
  opt->zodiac = (noc_zodiac)zodiac;
  opt->center = (noc_center)center;
  opt->true_positions = kind == 1;
  opt->ephemeris = (noc_ephemeris)ephe;
  if ((st = read_ayanamsa(call, obj, prefix, opt)) != NOC_OK) return st;
  if (opt->center == NOC_TOPOCENTRIC && !out->has_location)
    return noc_fail(&call->err, NOC_ERR_VALIDATION,
                    noc_in_path(path, sizeof path, prefix, "center"),
                    "topocentric positions need latitude and longitude");
  opt->latitude = out->latitude;
  opt->longitude = out->longitude;
  opt->altitude_m = out->altitude;
  if (opt->ephemeris == NOC_EPHE_MOSHIER)
    noc_warn(call, "MOSHIER_EPHEMERIS",
             "the Moshier analytical ephemeris was used as requested (about 1\" for planets, "
             "3\" for the Moon)");
  const char *hs = NULL;
  if ((st = noc_in_string(call, obj, prefix, "house_system", false, &hs)) != NOC_OK ||
      (st = noc_in_bool(call, obj, prefix, "strict_houses", &out->strict_houses)) != NOC_OK)
    return st;
  out->house_system = noc_house_system_find(hs ? hs : "PLACIDUS");
  if (out->house_system == NULL)
    return noc_fail(&call->err, NOC_ERR_VALIDATION,
                    noc_in_path(path, sizeof path, prefix, "house_system"),
                    "unknown house system '%.40s' (a name like PLACIDUS or a letter like P)", hs);
  return NOC_OK;
}

static noc_status read_location(noc_api_call *call, json_t *obj, const char *prefix,
                                noc_chart_in *out) {
  bool has_lat = false, has_lon = false, has_alt = false;
  char path[NOC_ERR_FIELD_MAX];
  noc_status st;
  if ((st = noc_in_number(call, obj, prefix, "latitude", false, -90, 90, &out->latitude,
                          &has_lat)) != NOC_OK ||
      (st = noc_in_number(call, obj, prefix, "longitude", false, -180, 180, &out->longitude,
                          &has_lon)) != NOC_OK ||
      (st = noc_in_number(call, obj, prefix, "altitude", false, -500, 20000, &out->altitude,
                          &has_alt)) != NOC_OK)
    return st;
  if (has_lat != has_lon)
    return noc_fail(&call->err, NOC_ERR_VALIDATION,
                    noc_in_path(path, sizeof path, prefix, has_lat ? "longitude" : "latitude"),
                    "is required when %s is given", has_lat ? "latitude" : "longitude");
  out->has_location = has_lat;
  return NOC_OK;
}

noc_status noc_in_chart(noc_api_call *call, json_t *obj, const char *prefix, noc_chart_in *out) {
  memset(out, 0, sizeof *out);
  noc_calc_options_default(&out->opt);
  char path[NOC_ERR_FIELD_MAX];
  if (!json_is_object(obj))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, prefix && prefix[0] ? prefix : "",
                    "must be a JSON object");
  noc_status st;
  if ((st = read_location(call, obj, prefix, out)) != NOC_OK ||
      (st = read_time(call, obj, prefix, out)) != NOC_OK ||
      (st = read_options(call, obj, prefix, out)) != NOC_OK)
    return st;
  (void)path;
  if (!call->meta.has_time) {
    call->meta.has_time = true;
    call->meta.time = out->time;
    call->meta.tz = out->tz;
    call->meta.julian_calendar = out->time.julian_input;
    call->meta.has_settings = true;
    call->meta.opt = out->opt;
    st = noc_ayanamsa_value(call->env->ctx, &out->time, &out->opt, &call->meta.ayanamsa_deg,
                            &call->err);
    if (st == NOC_OK)
      st = noc_ayanamsa_mean_value(call->env->ctx, &out->time, &out->opt,
                                   &call->meta.ayanamsa_mean_deg, &call->err);
  }
  return st;
}
