/* Shared pieces of the technique endpoints (ep_techniques.c: synastry, composite, transits;
 * ep_techniques_time.c: progressions, directions, returns). Not public. */
#ifndef NOC_API_EP_TECHNIQUES_H
#define NOC_API_EP_TECHNIQUES_H

#include "api/chart_full.h"

/* Room for the aspects between two point sets. */
enum { NOC_CROSS_CAP = (NOC_BODY_COUNT + 2) * (NOC_BODY_COUNT + 2) };

/* Points of one side of a two-chart aspect search, in the order of its chart's bodies, then the
 * ASC and MC when asked and not already listed. */
typedef struct noc_tech_points {
  int n;
  noc_aspect_point ap[NOC_BODY_COUNT + 2];
} noc_tech_points;

/* speed_scale multiplies each body's speed (0: a fixed chart; -1: converse motion); angles move
 * at angle_speed. */
void noc_tech_points_of(const noc_chart_point *pts, int n, const noc_houses *h, bool add_angles,
                        double speed_scale, double angle_speed, noc_tech_points *out);

/* Aspect defaults of the techniques: the five major aspects with quincunx, semisextile,
 * semisquare and sesquisquare; orbs from the aspect table, or all equal to `orb` when > 0. */
void noc_tech_aspect_defaults(noc_aspect_config *cfg, double orb);

/* Options common to the techniques: planets, include_angles, exact_times and the aspect options.
 * Reads from body.options when given, else from the body. */
typedef struct noc_tech_options {
  json_t *obj;        /* borrowed: where the options were read */
  const char *prefix; /* "options" or "" */
  noc_body bodies[NOC_BODY_COUNT];
  int count;
  bool include_angles;
  bool exact_times;
  noc_aspect_config cfg;
} noc_tech_options;

noc_status noc_tech_read_options(noc_api_call *call, double default_orb, bool exact_default,
                                 noc_tech_options *o);

/* The keys noc_tech_read_options understands (for unknown-key warnings). */
extern const char *const noc_tech_option_keys[];

/* Warns about unknown keys of the body (own + option keys when the options are at the top) and
 * of the options object. */
void noc_tech_warn_unknown(noc_api_call *call, const noc_tech_options *o, const char *const *own);

/* Writes the list of aspects between two point sets. exact (may be NULL) gives the instant of
 * perfection of each aspect (NaN: none found) under "exact_time"; items (may be NULL) the
 * compatibility weights. */
void noc_tech_out_cross_aspects(noc_api_call *call, const noc_tech_points *a,
                                const noc_tech_points *b, const noc_aspect *asp, int n,
                                const double *exact, const noc_compat_item *items);

/* The instant nearest to jd at which the body, now at `moving` with `speed`, perfects the aspect
 * of `angle` to the fixed longitude on the side where it stands, within +-window days; NaN when
 * none. */
noc_status noc_tech_perfection(noc_api_call *call, const noc_calc_options *opt, noc_body body,
                               double moving, double speed, double fixed, double angle, double jd,
                               double window, double *out);

/* Reads an enum field: index into names (NULL-terminated); absent keeps *out. */
noc_status noc_tech_enum(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         const char *const *names, int *out);

/* Handlers in ep_techniques_time.c. */
int noc_ep_progressions(noc_api_call *call);
int noc_ep_secondary_progressions(noc_api_call *call);
int noc_ep_directions(noc_api_call *call);
int noc_ep_primary_directions(noc_api_call *call);
int noc_ep_returns(noc_api_call *call);

#endif
