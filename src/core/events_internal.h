/* The event engine's shared parts (not public): tracks, their sampling and crossings, and the
 * per-kind generators that turn crossings into events. */
#ifndef NOC_CORE_EVENTS_INTERNAL_H
#define NOC_CORE_EVENTS_INTERNAL_H

#include "nocturna/events.h"

/* ---- Evaluation ---------------------------------------------------------------------------- */

/* What a track follows: a body's longitude, its latitude, or the difference of two bodies'
 * longitudes (aspects between moving bodies, the Moon's elongation). */
typedef enum ev_fn { EV_FN_LON = 0, EV_FN_LAT, EV_FN_PAIR } ev_fn;

enum { EV_CACHE_SIZE = 1024 };

typedef struct ev_cache_entry {
  double jd;
  int body; /* -1: empty */
  int lat;  /* 0 longitude, 1 latitude */
  double value, speed;
} ev_cache_entry;

/* One sample of a track: the track's value (degrees) and rate, and the parts it came from. */
typedef struct ev_sample {
  double t;
  double g;      /* track value: [0, 360) for circular tracks, latitude for EV_FN_LAT */
  double v;      /* its rate, degrees/day */
  double la, va; /* body a: longitude and speed */
  double lb, vb; /* body b (pairs) */
} ev_sample;

/* A window's event with its generation order, so that equal instants sort the same way on every
 * run (a cursor counts positions in this order). */
typedef struct ev_item {
  noc_event ev;
  int seq;
} ev_item;

/* The next eclipse after `from`, as Swiss Ephemeris found it. */
typedef struct ev_eclipse_memo {
  bool valid;
  double from;
  int flags;
  double tret[10];
  double attr[20];
} ev_eclipse_memo;

typedef struct ev_engine {
  noc_ctx *ctx;             /* borrowed */
  const noc_event_query *q; /* borrowed */
  noc_calc_options opt;
  double tol;    /* days */
  int64_t evals; /* ephemeris calls (cache misses) */
  ev_cache_entry cache[EV_CACHE_SIZE];
  ev_item *items; /* owned: the current window's events */
  int nevents, cap_events;
  /* Eclipse searches look far ahead: the next eclipse found is remembered across windows, the
   * global ones ([0] solar, [1] lunar) and those seen from each spec's place. */
  ev_eclipse_memo global[2];
  ev_eclipse_memo local[NOC_EV_MAX_SPECS][2];
} ev_engine;

/* Body longitude or latitude (and rate) at jd, through the cache. */
noc_status noc_ev_body(ev_engine *e, noc_body body, bool lat, double jd, double *value,
                       double *speed, noc_error *err);

/* ---- Tracks ---------------------------------------------------------------------------------- */

typedef struct ev_target {
  double angle; /* circular tracks: [0, 360); latitude tracks: the latitude */
  int spec;     /* index of the spec */
  int a, b, c;  /* the kind's own payload (natal point, aspect, stage, sign, cusp, ...) */
} ev_target;

enum { EV_MAX_STATION_SPECS = 4 };

typedef struct ev_track {
  ev_fn fn;
  noc_body a, b;      /* b only for pairs */
  double accel;       /* bound of |d(rate)/dt|, degrees/day^2 */
  double eps;         /* how far the ephemeris' rate may be off, degrees/day */
  double step;        /* sampling step, days (a power of two) */
  ev_target *targets; /* owned; sorted by angle */
  int ntargets, cap;
  int station_specs[EV_MAX_STATION_SPECS]; /* specs that want this track's stations */
  int nstation_specs;
} ev_track;

/* A crossing of a target, or a station (target == -1). */
typedef struct ev_crossing {
  double jd;
  int target;   /* index into the track's targets; -1 for a station */
  int dir;      /* +1: the track value increases through the target; -1 decreases.
                   Stations: +1 station direct (rate turns positive), -1 retrograde */
  ev_sample at; /* the track at jd (extrapolated from the last evaluation) */
} ev_crossing;

typedef noc_status (*ev_crossing_fn)(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                                     void *user, noc_error *err);

/* Finds every crossing of the track's targets, and every station when want_stations, with
 * a < t <= b, calling fn in the order found (not sorted). */
noc_status noc_ev_scan(ev_engine *e, ev_track *tr, double a, double b, bool want_stations,
                       ev_crossing_fn fn, void *user, noc_error *err);

/* Sets fn, bodies, bounds and step for the options in use. */
void noc_ev_track_init(ev_track *tr, ev_fn fn, noc_body a, noc_body b, const noc_calc_options *opt);
noc_status noc_ev_track_add(ev_track *tr, double angle, int spec, int a, int b, int c,
                            noc_error *err);
void noc_ev_track_sort(ev_track *tr);
void noc_ev_track_free(ev_track *tr);

/* ---- Events of one window ----------------------------------------------------------------------
 */

/* A new event of the current window (zeroed, with the -1 defaults); NULL when out of memory. */
noc_event *noc_ev_push(ev_engine *e, noc_event_kind kind, int spec, double jd, noc_error *err);

/* Converts a crossing of a shared track into the events its target stands for. */
noc_status noc_ev_on_crossing(ev_engine *e, const ev_track *tr, const ev_crossing *c, void *user,
                              noc_error *err);

/* Per-kind targets (events_aspects.c, events_ingress.c, events_lunar.c, events_return.c,
 * events_node.c): add the spec's targets to the shared tracks. */
typedef struct ev_trackset {
  ev_track *tracks; /* owned */
  int n, cap;
} ev_trackset;

ev_track *noc_ev_trackset_get(ev_trackset *ts, ev_fn fn, noc_body a, noc_body b,
                              const noc_calc_options *opt, noc_error *err);
void noc_ev_trackset_free(ev_trackset *ts);

noc_status noc_ev_add_transit(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err);
noc_status noc_ev_add_mundane(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err);
noc_status noc_ev_add_sign_ingress(ev_trackset *ts, const noc_event_query *q, int spec,
                                   noc_error *err);
noc_status noc_ev_add_house_ingress(ev_trackset *ts, const noc_event_query *q, int spec,
                                    noc_error *err);
noc_status noc_ev_add_station(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err);
noc_status noc_ev_add_phase(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err);
noc_status noc_ev_add_return(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err);
noc_status noc_ev_add_node(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err);

/* The event of each kind's crossing. */
noc_status noc_ev_emit_aspect(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                              const ev_target *tg, noc_error *err);
noc_status noc_ev_emit_ingress(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                               const ev_target *tg, noc_error *err);
noc_status noc_ev_emit_station(ev_engine *e, const ev_track *tr, const ev_crossing *c, int spec,
                               noc_error *err);
noc_status noc_ev_emit_phase(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                             const ev_target *tg, noc_error *err);
noc_status noc_ev_emit_return(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                              const ev_target *tg, noc_error *err);
noc_status noc_ev_emit_node(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                            const ev_target *tg, noc_error *err);

/* Generators that search on their own: events with a < t <= b. */
noc_status noc_ev_void_of_course(ev_engine *e, int spec, double a, double b, noc_error *err);
noc_status noc_ev_eclipses(ev_engine *e, int spec, double a, double b, noc_error *err);

/* Transit stage payload (ev_target.c of transit and mundane targets). */
enum { EV_STAGE_EXACT = 0, EV_STAGE_EDGE_PLUS = 1, EV_STAGE_EDGE_MINUS = 2 };

#endif
