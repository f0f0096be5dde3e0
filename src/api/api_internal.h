/* What endpoint handlers share: the call state, input readers and meta. Not public. */
#ifndef NOC_API_INTERNAL_H
#define NOC_API_INTERNAL_H

#include <jansson.h>

#include "nocturna/nocturna.h"
#include "util/jsonw.h"

enum { NOC_MAX_WARNINGS = 16, NOC_WARNING_MAX = 256, NOC_MAX_LIST = 64 };

typedef struct noc_warning {
  const char *code; /* static, e.g. "DST_GAP" */
  char message[NOC_WARNING_MAX];
} noc_warning;

/* How the local time of the request became UTC, for meta.time.timezone. */
typedef struct noc_tz_meta {
  char name[64]; /* IANA name, or "UTC", or "" for a fixed offset */
  int32_t offset_seconds;
  char abbreviation[16];
  bool is_dst;
  const char *resolution; /* "unique", "gap", "fold_earlier", "fold_later", "fixed_offset" */
} noc_tz_meta;

typedef struct noc_meta {
  bool has_time;
  noc_time time;
  noc_tz_meta tz;
  bool julian_calendar;
  bool has_settings;
  noc_calc_options opt;
  double ayanamsa_deg, ayanamsa_mean_deg;
  const noc_house_system *house_requested, *house_used;
  int warning_count;
  noc_warning warnings[NOC_MAX_WARNINGS];
} noc_meta;

struct noc_api_call {
  const noc_api_env *env; /* borrowed */
  const noc_request *req; /* borrowed */
  json_t *body;           /* owned by noc_api_run; the parsed request object */
  noc_jw *w;              /* borrowed; the response being written */
  noc_meta meta;
  noc_error err;
  const char *content_type; /* static; set by a handler that wrote the whole body itself
                               (NDJSON): no envelope is added around it. NULL: JSON */
};

/* Adds a warning to meta.warnings (silently drops past NOC_MAX_WARNINGS: a bound, not a loss
 * of meaning, since the first ones name the problem). */
void noc_warn(noc_api_call *call, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Field readers. `path` is the JSON path used in errors ("chart1.latitude").
 * Absent fields leave *out untouched and set *present = false when present is not NULL;
 * required absent fields fail. null counts as absent. */
noc_status noc_in_string(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         bool required, const char **out);
noc_status noc_in_number(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         bool required, double min, double max, double *out, bool *present);
noc_status noc_in_bool(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                       bool *out);
/* Builds "prefix.key" into buf. */
const char *noc_in_path(char *buf, size_t cap, const char *prefix, const char *key);
/* Warns about keys of obj that are not in known (NULL-terminated). */
void noc_in_warn_unknown(noc_api_call *call, json_t *obj, const char *prefix,
                         const char *const *known);

/* A chart's input: instant, place and calculation options. */
typedef struct noc_chart_in {
  noc_time time;
  bool has_location;
  double latitude, longitude, altitude;
  noc_calc_options opt;
  const noc_house_system *house_system;
  bool strict_houses;
  noc_tz_meta tz;
} noc_chart_in;

/* Keys noc_in_chart reads, for unknown-field warnings. */
extern const char *const noc_chart_keys[];

/* Reads date/time/timezone/location/options of a chart from obj. The first chart read also
 * fills meta.time and meta.settings. */
noc_status noc_in_chart(noc_api_call *call, json_t *obj, const char *prefix, noc_chart_in *out);

/* Reads a list of body names (field key) into bodies; default used when absent. */
noc_status noc_in_bodies(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         const noc_body *defaults, int ndefaults, noc_body *bodies, int *count);

/* Chart pieces shared by endpoints. */
typedef struct noc_chart_point {
  noc_body body;
  noc_position pos;
  bool has_speed; /* false only for angles without a speed */
  int house;      /* 0 when no houses */
} noc_chart_point;

noc_status noc_chart_houses(noc_api_call *call, const noc_chart_in *in, noc_houses *h);
noc_status noc_chart_points(noc_api_call *call, const noc_chart_in *in, const noc_houses *h,
                            const noc_body *bodies, int n, noc_chart_point *out);

/* Writers of the shared shapes. */
void noc_out_positions(noc_api_call *call, const noc_chart_point *pts, int n, bool speed,
                       bool retrograde);
void noc_out_houses(noc_api_call *call, const noc_houses *h);
void noc_out_angles(noc_api_call *call, const noc_houses *h);
void noc_out_aspects(noc_api_call *call, const noc_chart_point *pts, const noc_aspect *asp, int n,
                     bool exact_times);
void noc_out_time(noc_jw *w, double jd_ut, noc_api_call *call);

/* Groups of endpoints, each terminated by an entry with a NULL path. */
extern const noc_endpoint noc_endpoints_charts[];     /* ep_charts.c */
extern const noc_endpoint noc_endpoints_events[];     /* ep_events.c: event search */
extern const noc_endpoint noc_endpoints_techniques[]; /* ep_techniques.c: chart techniques */
extern const noc_endpoint noc_endpoints_points[];     /* ep_points.c: points, stars, parts */

#endif
