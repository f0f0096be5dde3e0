/* Exact event search over a time range: transits to natal points, aspects between moving bodies,
 * sign and house ingresses, stations, lunar phases, void-of-course Moon, eclipses, returns and
 * node passages, each to the second.
 *
 * The search walks the range in fixed windows ("chunks") anchored at the start. In each window
 * every moving body is sampled once per step shared by all its targets; the stations (roots of
 * the speed) split the samples into monotonic runs, so every crossing of a target is bracketed
 * exactly once and refined by Newton steps with a bisection safeguard. Events reach the caller
 * through a callback, in time order, window by window: a server can stream them, and a cursor
 * (window index and the count already delivered from it) resumes a search exactly. */
#ifndef NOCTURNA_EVENTS_H
#define NOCTURNA_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nocturna/aspects.h"
#include "nocturna/bodies.h"

typedef enum noc_event_kind {
  NOC_EVK_TRANSIT = 0,    /* a moving body to a natal point */
  NOC_EVK_MUNDANE_ASPECT, /* two moving bodies */
  NOC_EVK_SIGN_INGRESS,
  NOC_EVK_HOUSE_INGRESS, /* into the natal houses */
  NOC_EVK_STATION,
  NOC_EVK_LUNAR_PHASE,
  NOC_EVK_VOID_OF_COURSE,
  NOC_EVK_ECLIPSE,
  NOC_EVK_RETURN,
  NOC_EVK_NODE_PASSAGE, /* a body crossing the ecliptic (latitude 0) */
  NOC_EVK_COUNT
} noc_event_kind;

/* "transit", "mundane_aspect", ... as used in requests and responses. */
const char *noc_event_kind_name(noc_event_kind kind);
bool noc_event_kind_from_name(const char *name, noc_event_kind *out);

typedef enum noc_event_stage {
  NOC_EVS_NONE = 0,
  NOC_EVS_EXACT, /* aspects: perfection */
  NOC_EVS_ENTERS_ORB,
  NOC_EVS_LEAVES_ORB,
  NOC_EVS_BEGINS, /* void of course */
  NOC_EVS_ENDS
} noc_event_stage;

typedef enum noc_event_direction {
  NOC_EVD_NONE = 0,
  NOC_EVD_DIRECT,     /* the body moves forward in longitude; a station direct */
  NOC_EVD_RETROGRADE, /* moving backward; a station retrograde */
  NOC_EVD_ASCENDING,  /* node passage northward */
  NOC_EVD_DESCENDING
} noc_event_direction;

const char *noc_event_stage_name(noc_event_stage stage);       /* "exact", ... */
const char *noc_event_direction_name(noc_event_direction dir); /* "direct", ... */

enum {
  NOC_EV_MAX_SPECS = 16,  /* entries of a request's "events" list */
  NOC_EV_MAX_POINTS = 32, /* natal points of one spec */
  NOC_EV_MAX_PHASES = 16, /* phase angles of one lunar_phase spec */
  NOC_EV_NO_BODY = -1
};

/* A fixed point of the natal chart (a planet's natal place, an angle, a node). */
typedef struct noc_event_point {
  noc_body body;
  double longitude; /* degrees, in the zodiac of the search */
} noc_event_point;

/* Eclipse type bits for noc_event_spec.eclipse_types (0 means all). */
enum {
  NOC_ECL_TOTAL = 1,
  NOC_ECL_ANNULAR = 2,
  NOC_ECL_PARTIAL = 4,
  NOC_ECL_HYBRID = 8,
  NOC_ECL_PENUMBRAL = 16
};

/* One entry of the request's "events" list: a kind and its options. Fields a kind does not use
 * are ignored. */
typedef struct noc_event_spec {
  noc_event_kind kind;
  noc_body bodies[NOC_BODY_COUNT]; /* the moving bodies (no angles) */
  int nbodies;
  noc_event_point points[NOC_EV_MAX_POINTS]; /* transit: natal points; return: natal places */
  int npoints;
  bool aspects[NOC_ASP_COUNT];            /* transit, mundane_aspect, void_of_course */
  double orb[NOC_ASP_COUNT];              /* degrees; orb events need orb > 0 */
  bool orb_events;                        /* transit, mundane: when the aspect enters/leaves orb */
  double phase_angles[NOC_EV_MAX_PHASES]; /* lunar_phase: Moon - Sun elongations, degrees */
  int nphases;
  double cusps[12]; /* house_ingress: the natal cusps, cusps[0] = house 1 */
  int ncusps;
  bool solar, lunar;      /* eclipse */
  unsigned eclipse_types; /* NOC_ECL_* bits; 0 = all */
  bool has_location;      /* eclipse: local circumstances for this place */
  double latitude, longitude, altitude_m;
} noc_event_spec;

typedef struct noc_event_query {
  double jd_start, jd_end; /* UT1; events with jd_start < t <= jd_end */
  noc_calc_options opt;    /* zodiac, center, ... of every position */
  noc_event_spec specs[NOC_EV_MAX_SPECS];
  int nspecs;
  double tol_days; /* accuracy of event times; <= 0: one second */
} noc_event_query;

/* Sets the defaults of a spec of this kind (bodies, the five major aspects with a 1 degree orb,
 * orb events on, the four main phases, both eclipse families). */
void noc_event_spec_default(noc_event_spec *spec, noc_event_kind kind);

/* Eclipse circumstances. Times are UT1 Julian days, 0 when a contact does not exist. */
typedef struct noc_eclipse_info {
  bool solar;
  unsigned type;                 /* one NOC_ECL_* bit */
  bool central;                  /* solar: the shadow axis touches the Earth */
  double magnitude;              /* solar: NASA magnitude; lunar: umbral (penumbral for a
                                    penumbral eclipse) */
  double penumbral_magnitude;    /* lunar */
  double obscuration;            /* solar: fraction of the Sun's disc area covered at the
                                    greatest point, 0..1 (1 for a total eclipse) */
  double jd_tt;                  /* TT of the maximum */
  double begin, end;             /* solar: first/last contact anywhere; lunar: partial phase */
  double total_begin, total_end; /* totality or annularity */
  double penumbral_begin, penumbral_end; /* lunar */
  int saros, saros_member;               /* 0 when unknown */
  bool has_local;                        /* local circumstances were asked */
  bool local_visible;
  double local_max;                          /* UT1 of the local maximum */
  double local_magnitude, local_obscuration; /* obscuration as above, seen from the place */
  double local_begin, local_end, local_total_begin, local_total_end;
  double local_altitude; /* of the eclipsed body at the local maximum, degrees */
  unsigned local_type;   /* NOC_ECL_* seen from the place */
} noc_eclipse_info;

typedef struct noc_event {
  noc_event_kind kind;
  int spec;     /* index of the spec that asked for it */
  double jd_ut; /* the instant (UT1) */
  noc_event_stage stage;
  noc_event_direction direction;
  int body;                   /* noc_body or NOC_EV_NO_BODY */
  int target;                 /* transit: natal point body; mundane: second body; else -1 */
  int aspect;                 /* noc_aspect_type or -1 */
  double longitude;           /* of body at the instant (eclipse: the Sun or the Moon) */
  double speed;               /* of body, degrees/day */
  double target_longitude;    /* natal point, second body, natal place (return) */
  double target_speed;        /* mundane: of the second body */
  double orb;                 /* enters/leaves orb: the orb */
  int sign;                   /* sign entered or the sign of the event, 0..11; -1 none */
  int previous_sign;          /* sign ingress: the sign left; VOC ends: the void sign */
  int house;                  /* house entered (1-based), 0 none */
  int phase;                  /* lunar phase: index into the spec's phase_angles */
  double phase_angle;         /* lunar phase: the Moon - Sun elongation */
  double other_jd;            /* VOC: the other end of the void period */
  int last_body, last_aspect; /* VOC begins: the aspect that ends the Moon's course; -1 */
  noc_eclipse_info eclipse;   /* kind == NOC_EVK_ECLIPSE */
} noc_event;

/* Where a search stopped: the window index and how many of its events were delivered. */
typedef struct noc_event_cursor {
  int64_t chunk;
  int64_t skip;
} noc_event_cursor;

/* Receives each event in time order. Returning false stops the search cleanly (the cursor then
 * points after this event). */
typedef bool (*noc_event_sink)(void *user, const noc_event *ev);

typedef struct noc_event_run {
  int64_t limit;           /* at most this many events; <= 0: no limit */
  double deadline;         /* CLOCK_MONOTONIC seconds after which the search stops at the
                              next window boundary (at least one window always runs); 0: none */
  noc_event_cursor resume; /* {0, 0} for a new search */
} noc_event_run;

typedef struct noc_event_result {
  int64_t delivered;
  bool complete;                       /* the whole range was searched and every event delivered */
  bool by_limit, by_deadline, by_sink; /* why it stopped early */
  noc_event_cursor next; /* when !complete: resumes right after the last delivered event */
  double searched_until; /* every event up to this JD UT was delivered */
  int64_t evaluations;   /* ephemeris evaluations made (for benchmarks) */
} noc_event_result;

/* Length of the search windows in days: the unit of the cursor and of the time budget. */
#define NOC_EVENT_CHUNK_DAYS 32.0

/* Validates the query (bodies, ranges, options) without searching; the field of an error names
 * the offending spec ("events[2].bodies"). */
noc_status noc_events_validate(const noc_event_query *q, noc_error *err);

noc_status noc_events_search(noc_ctx *ctx, const noc_event_query *q, const noc_event_run *run,
                             noc_event_sink sink, void *user, noc_event_result *res,
                             noc_error *err);

/* The opaque cursor text: a version, the position and a fingerprint of the request it belongs
 * to. parse fails (false) on any other text or on a fingerprint mismatch. */
int noc_event_cursor_format(const noc_event_cursor *c, uint64_t fingerprint, char *buf, size_t cap);
bool noc_event_cursor_parse(const char *text, uint64_t fingerprint, noc_event_cursor *out);

/* FNV-1a 64-bit over bytes, chained through h (start with NOC_FNV_OFFSET). */
#define NOC_FNV_OFFSET 14695981039346656037ULL
uint64_t noc_fnv1a(uint64_t h, const void *data, size_t len);

/* ISO 8601 instant: "YYYY-MM-DD" (midnight UTC), or "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by
 * "Z" or an offset "+HH:MM", "+HHMM", "+HH". Years may be signed (astronomical numbering,
 * proleptic Gregorian). Fills all scales of out. */
noc_status noc_parse_iso8601(noc_ctx *ctx, const char *text, noc_time *out, noc_error *err,
                             const char *field);

#endif
