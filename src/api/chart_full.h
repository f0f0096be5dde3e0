/* Helpers for endpoints that work with whole charts (the techniques of issue 6): nested chart
 * input, a chart computed in one call, moments given relative to a chart, option blocks and the
 * shared output shapes for chart-like results. Not public. */
#ifndef NOC_API_CHART_FULL_H
#define NOC_API_CHART_FULL_H

#include "api/api_internal.h"
#include "nocturna/techniques.h"

/* A chart: its input, its houses when it has a place, its bodies. */
typedef struct noc_full_chart {
  noc_chart_in in;
  bool has_houses;
  noc_houses houses;
  double eps;      /* true obliquity at the instant */
  double ayanamsa; /* degrees (0 when tropical) */
  int count;
  noc_chart_point points[NOC_BODY_COUNT];
} noc_full_chart;

/* The default bodies of the older service (Sun..Pluto, mean node, mean Lilith). */
extern const noc_body noc_default_bodies[];
enum { NOC_DEFAULT_BODY_COUNT = 12 };

/* Reads the chart object parent[key]; 400 naming key when it is missing or not an object.
 * Unknown keys inside it are warned about. */
noc_status noc_in_chart_at(noc_api_call *call, json_t *parent, const char *key, noc_chart_in *in);

/* Houses (when in has a place), obliquity, ayanamsa and the bodies of fc->in. */
noc_status noc_full_chart_compute(noc_api_call *call, noc_full_chart *fc, const noc_body *bodies,
                                  int n);

/* The Sun at the chart's instant (for the Sunshine houses of charts built from an ARMC). */
noc_status noc_chart_sun(noc_api_call *call, const noc_chart_in *in, noc_position *sun);

/* Writes "positions", and when h is not NULL "houses", "angles" and "house_system", as keys of
 * the object being written. */
void noc_out_chart_fields(noc_api_call *call, const noc_chart_point *pts, int n,
                          const noc_houses *h);

/* The object holding the technique's options: body.options when given (upstream shape), else the
 * body itself. *prefix is the JSON path prefix for errors ("options" or ""). */
noc_status noc_in_options(noc_api_call *call, json_t **opts, const char **prefix);

/* A list of distinct aspect names at path into enabled (true for the listed ones, false for
 * the rest); on an error enabled is untouched and the error names the item. */
noc_status noc_in_aspect_list(noc_api_call *call, json_t *list, const char *path,
                              bool enabled[NOC_ASP_COUNT]);

/* Aspect options of obj (aspects, orb_multiplier, orbs, body_orbs, exact_window_days) over the
 * defaults already in cfg. */
noc_status noc_in_aspect_options(noc_api_call *call, json_t *obj, const char *prefix,
                                 noc_aspect_config *cfg);

/* A moment given as "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" (local time in the zone of the
 * chart object zone_of: its timezone or utc_offset), with a trailing "Z" (UTC) or an offset
 * ("+05:30"). clock (may be NULL) is a separate "HH:MM[:SS]" for a date-only value. Errors name
 * key. *present is false (and out untouched) when the field is absent and not required. */
noc_status noc_in_moment(noc_api_call *call, json_t *obj, const char *key, const char *clock_key,
                         json_t *zone_of, bool required, noc_time *out, bool *present);

/* A place object obj[key] = {"latitude", "longitude"}; *present false when absent. */
noc_status noc_in_place(noc_api_call *call, json_t *obj, const char *key, double *lat, double *lon,
                        bool *present);

/* "YYYY-MM-DDTHH:MM:SS.sssZ" of a UT1 instant, with `decimals` decimals of the second. */
void noc_out_instant(noc_api_call *call, double jd_ut, int decimals);

/* A time object {"utc", "julian_day_ut", "julian_day_tt"} as a value. */
void noc_out_instant_obj(noc_api_call *call, double jd_ut);

#endif
