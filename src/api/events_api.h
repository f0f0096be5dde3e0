/* Shared by the event endpoints (ep_events.c, ep_events_in.c, ep_rectify.c). Not public. */
#ifndef NOC_API_EVENTS_API_H
#define NOC_API_EVENTS_API_H

#include "api/api_internal.h"
#include "nocturna/events.h"

/* The natal chart of a request, when it has one. */
typedef struct noc_ev_natal {
  bool present;
  noc_chart_in in;
  bool has_houses;
  noc_houses houses;
} noc_ev_natal;

typedef struct noc_ev_paging {
  int64_t limit;
  double budget_s;
  const char *cursor; /* borrowed from the request body; NULL for a new search */
} noc_ev_paging;

/* An ISO 8601 field of the body as a JD UT; date_only_end: a bare date means the end of it. */
noc_status noc_ev_in_instant(noc_api_call *call, const char *key, bool date_only_end, double *jd);
noc_status noc_ev_in_natal(noc_api_call *call, noc_ev_natal *n);
noc_status noc_ev_in_paging(noc_api_call *call, noc_ev_paging *p);
/* A natal point's longitude (a body or an angle); errors name `field`. */
noc_status noc_ev_natal_point(noc_api_call *call, const noc_ev_natal *n, noc_body b,
                              const char *field, double *lon);
/* Lunar phases, the void-of-course Moon and eclipses are seen from the Earth: fails on
 * natal_chart.center when the natal chart (whose settings rule the search) is heliocentric.
 * `what` names the request's item in the message ("events[2]", "eclipses"). */
noc_status noc_ev_check_center(noc_api_call *call, const noc_ev_natal *n, noc_event_kind kind,
                               const char *what);
/* The "events" list of events/search into q->specs. */
noc_status noc_ev_in_specs(noc_api_call *call, const noc_ev_natal *n, noc_event_query *q);

/* Runs the search and writes data (or the NDJSON lines): the events under list_key, then count,
 * complete, cursor. path keys the cursor's fingerprint. */
noc_status noc_ev_run(noc_api_call *call, const char *path, const noc_event_query *q,
                      const noc_ev_paging *p, const char *list_key);
void noc_ev_write_event(noc_jw *w, const noc_event_query *q, const noc_event *ev,
                        noc_api_call *call);

/* Shared with the NDJSON stream (ep_events_stream.c). */
/* Reads and validates an events/search body into q and paging (warnings into call->meta). */
noc_status noc_ev_search_input(noc_api_call *call, noc_event_query *q, noc_ev_paging *paging);
/* Whether path is one of the event endpoints (events/search, stateless/eclipses and
 * stateless/ingresses), which all run as an event search. */
bool noc_ev_is_event_endpoint(const char *path);
/* Reads and validates the body of the event endpoint at path into q and paging, in that
 * endpoint's shape (warnings into call->meta). */
noc_status noc_ev_endpoint_input(noc_api_call *call, const char *path, noc_event_query *q,
                                 noc_ev_paging *paging);
/* The request minus its paging fields: a cursor belongs to exactly one search. */
uint64_t noc_ev_fingerprint(noc_api_call *call, const char *path);
/* The closing {"summary": ...} line into call->w's buffer; full: stopped by the size bound. */
void noc_ev_write_ndjson_tail(noc_api_call *call, const noc_event_query *q,
                              const noc_event_result *res, const char *cursor, bool full);
/* Renames the ephemeris' own error fields ("planets", "date") after a failed search. */
void noc_ev_search_error_field(noc_api_call *call);

int noc_ep_rectification(noc_api_call *call); /* ep_rectify.c */

#endif
