/* The chart behind the points endpoints (special points, stars, parts, dignities, ...):
 * read from `chart_data` (stateless form) or from the body itself (flat calculations form),
 * computed once, and the small writers those endpoints share. Not public. */
#ifndef NOC_API_POINTS_CHART_H
#define NOC_API_POINTS_CHART_H

#include "api/api_internal.h"
#include "nocturna/points.h"

typedef struct noc_pchart {
  json_t *obj;        /* borrowed from call->body: the chart's object */
  const char *prefix; /* "chart_data" or "" (flat) */
  noc_chart_in in;
  bool has_houses;
  noc_houses houses;
  double eps;      /* true obliquity at the instant */
  double ayanamsa; /* 0 when tropical: sidereal + ayanamsa = tropical */
  bool day;        /* sect, when has_houses */
  int count;
  noc_body bodies[NOC_BODY_COUNT];
  noc_chart_point points[NOC_BODY_COUNT];
} noc_pchart;

/* Reads the chart: from call->body (flat) or call->body.chart_data, and warns about fields no
 * one reads (own: the endpoint's option keys, NULL-terminated). */
noc_status noc_pchart_read(noc_api_call *call, bool flat, const char *const *own, noc_pchart *pc);

/* How the points of a chart are chosen: the request's `planets` (top level or
 * options.planets) or defaults; with add_angles, ASC and MC join the defaults when there
 * is a location. need_location fails (naming the latitude field) without one, giving `why`. */
typedef struct noc_pchart_spec {
  const noc_body *defaults;
  int ndefaults;
  bool add_angles;
  bool need_location;
  const char *why;   /* "arabic parts are measured from the ascendant" */
  bool fixed_bodies; /* ignore `planets`: the technique needs exactly the defaults */
} noc_pchart_spec;

noc_status noc_pchart_compute(noc_api_call *call, noc_pchart *pc, const noc_pchart_spec *spec);

/* The option `key` from the top level or, failing that, from an `options` object: sets *obj and
 * *prefix for the noc_in_* readers (obj NULL when absent everywhere). */
void noc_popt(noc_api_call *call, const char *key, json_t **obj, const char **prefix);
noc_status noc_popt_number(noc_api_call *call, const char *key, double min, double max,
                           double *out);
noc_status noc_popt_bool(noc_api_call *call, const char *key, bool *out);
noc_status noc_popt_enum(noc_api_call *call, const char *key, const char *const *names, int *out);

/* Reads an `aspects` list of names (into enabled, all false first) and `orb_multiplier`;
 * absent list: the five major aspects. */
noc_status noc_popt_aspects(noc_api_call *call, bool *enabled);

/* Declination and right ascension of a chart point (angles: from the ecliptic). */
double noc_pchart_declination(const noc_pchart *pc, const noc_chart_point *p);
double noc_pchart_right_ascension(const noc_pchart *pc, const noc_chart_point *p);
/* Index of body in the chart's points, -1 when absent. */
int noc_pchart_find(const noc_pchart *pc, noc_body body);

/* "longitude" then "sign", "degree", "minute", "second". */
void noc_pout_lon(noc_jw *w, double lon);

/* Handlers living in ep_points_trad.c. */
int noc_ep_fixed_stars(noc_api_call *call);
int noc_ep_fixed_stars_flat(noc_api_call *call);
int noc_ep_arabic_parts(noc_api_call *call);
int noc_ep_arabic_parts_flat(noc_api_call *call);
int noc_ep_dignities(noc_api_call *call);
int noc_ep_dignities_flat(noc_api_call *call);
int noc_ep_aspect_patterns(noc_api_call *call);
int noc_ep_chart_shape(noc_api_call *call);

#endif
