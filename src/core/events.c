/* The event search driver: builds the shared tracks of a query, walks the range window by
 * window, sorts each window's events and hands them to the caller in time order; the cursor,
 * the limit and the time budget. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/events_internal.h"

/* ---- Names --------------------------------------------------------------------------------- */

static const char *const kind_names[NOC_EVK_COUNT] = {
    "transit",     "mundane_aspect", "sign_ingress", "house_ingress", "station",
    "lunar_phase", "void_of_course", "eclipse",      "return",        "node_passage",
};

const char *noc_event_kind_name(noc_event_kind kind) {
  return kind >= 0 && kind < NOC_EVK_COUNT ? kind_names[kind] : "unknown";
}

bool noc_event_kind_from_name(const char *name, noc_event_kind *out) {
  for (int i = 0; i < NOC_EVK_COUNT; i++) {
    if (strcasecmp(name, kind_names[i]) == 0) {
      *out = (noc_event_kind)i;
      return true;
    }
  }
  return false;
}

const char *noc_event_stage_name(noc_event_stage stage) {
  static const char *const names[] = {"none",       "exact",  "enters_orb",
                                      "leaves_orb", "begins", "ends"};
  return stage >= 0 && stage <= NOC_EVS_ENDS ? names[stage] : "none";
}

const char *noc_event_direction_name(noc_event_direction dir) {
  static const char *const names[] = {"none", "direct", "retrograde", "ascending", "descending"};
  return dir >= 0 && dir <= NOC_EVD_DESCENDING ? names[dir] : "none";
}

/* ---- Spec defaults ------------------------------------------------------------------------- */

static void set_bodies(noc_event_spec *s, noc_body first, noc_body last) {
  s->nbodies = 0;
  for (int b = (int)first; b <= (int)last; b++)
    s->bodies[s->nbodies++] = (noc_body)b;
}

void noc_event_spec_default(noc_event_spec *spec, noc_event_kind kind) {
  memset(spec, 0, sizeof *spec);
  spec->kind = kind;
  set_bodies(spec, NOC_SUN, NOC_PLUTO);
  for (int i = 0; i < NOC_ASP_COUNT; i++) {
    spec->aspects[i] = noc_aspect_def_get((noc_aspect_type)i)->major;
    spec->orb[i] = 1.0;
  }
  spec->orb_events = true;
  static const double phases[] = {0.0, 90.0, 180.0, 270.0};
  spec->nphases = 4;
  memcpy(spec->phase_angles, phases, sizeof phases);
  spec->solar = spec->lunar = true;
  switch (kind) {
  case NOC_EVK_STATION:
    set_bodies(spec, NOC_MERCURY, NOC_PLUTO);
    break;
  case NOC_EVK_RETURN:
    set_bodies(spec, NOC_SUN, NOC_SUN);
    break;
  case NOC_EVK_NODE_PASSAGE:
    set_bodies(spec, NOC_MOON, NOC_MOON);
    break;
  case NOC_EVK_VOID_OF_COURSE:
    spec->nbodies = 0;
    for (int b = NOC_SUN; b <= NOC_PLUTO; b++)
      if (b != NOC_MOON) spec->bodies[spec->nbodies++] = (noc_body)b;
    break;
  default:
    break;
  }
}

/* ---- Validation ----------------------------------------------------------------------------- */

static noc_status spec_fail(noc_error *err, int i, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static noc_status spec_fail(noc_error *err, int i, const char *key, const char *fmt, ...) {
  char field[NOC_ERR_FIELD_MAX], msg[NOC_ERR_MESSAGE_MAX];
  snprintf(field, sizeof field, "events[%d].%s", i, key);
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above; see .clang-tidy */
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return noc_fail(err, NOC_ERR_VALIDATION, field, "%s", msg);
}

static noc_status check_bodies(const noc_event_query *q, int i, noc_error *err) {
  const noc_event_spec *s = &q->specs[i];
  for (int k = 0; k < s->nbodies; k++) {
    noc_body b = s->bodies[k];
    if (b < 0 || b >= NOC_BODY_COUNT || noc_body_is_angle(b))
      return spec_fail(err, i, "bodies",
                       "%s does not move on its own: an angle cannot be a "
                       "moving body",
                       noc_body_name(b));
    double lo, hi;
    if (noc_body_jd_range(b, &lo, &hi) && (q->jd_start < lo || q->jd_end > hi)) {
      char field[NOC_ERR_FIELD_MAX];
      snprintf(field, sizeof field, "events[%d].bodies", i);
      return noc_fail(err, NOC_ERR_RANGE, field,
                      "%s is only available from JD %.1f to %.1f; narrow the range or leave it "
                      "out",
                      noc_body_name(b), lo, hi);
    }
    bool lunar_point = b >= NOC_MEAN_NODE && b <= NOC_INTP_LILITH;
    if (q->opt.center == NOC_HELIOCENTRIC && (b == NOC_SUN || lunar_point))
      return spec_fail(err, i, "bodies", "%s has no heliocentric position", noc_body_name(b));
    bool flat = b == NOC_MEAN_NODE || b == NOC_TRUE_NODE || b == NOC_MEAN_SOUTH_NODE ||
                b == NOC_TRUE_SOUTH_NODE || b == NOC_SUN;
    if (s->kind == NOC_EVK_NODE_PASSAGE && flat)
      return spec_fail(err, i, "bodies", "%s stays on the ecliptic: it has no node passages",
                       noc_body_name(b));
  }
  return NOC_OK;
}

static bool any_aspect(const noc_event_spec *s) {
  for (int i = 0; i < NOC_ASP_COUNT; i++)
    if (s->aspects[i]) return true;
  return false;
}

static noc_status check_spec(const noc_event_query *q, int i, noc_error *err) {
  const noc_event_spec *s = &q->specs[i];
  /* Phases, the void Moon and eclipses are seen from the Earth; checked before the bodies, whose
   * defaults (the Sun among them) would otherwise fail first and point at a field the kind does
   * not read. */
  bool geocentric_kind = s->kind == NOC_EVK_LUNAR_PHASE || s->kind == NOC_EVK_VOID_OF_COURSE ||
                         s->kind == NOC_EVK_ECLIPSE;
  if (geocentric_kind && q->opt.center == NOC_HELIOCENTRIC)
    return spec_fail(err, i, "kind", "%s needs geocentric or topocentric positions",
                     noc_event_kind_name(s->kind));
  bool needs_bodies = s->kind != NOC_EVK_ECLIPSE && s->kind != NOC_EVK_LUNAR_PHASE;
  if (needs_bodies && (s->nbodies < 1 || s->nbodies > NOC_BODY_COUNT))
    return spec_fail(err, i, "bodies", "must name at least one moving body");
  noc_status st = needs_bodies ? check_bodies(q, i, err) : NOC_OK;
  if (st != NOC_OK) return st;
  for (int k = 0; k < NOC_ASP_COUNT; k++)
    if (!(s->orb[k] >= 0.0 && s->orb[k] <= 30.0))
      return spec_fail(err, i, "orbs", "orbs must be between 0 and 30 degrees");
  switch (s->kind) {
  case NOC_EVK_TRANSIT:
    if (s->npoints < 1 || s->npoints > NOC_EV_MAX_POINTS)
      return spec_fail(err, i, "targets", "needs natal points (give natal_chart)");
    if (!any_aspect(s)) return spec_fail(err, i, "aspects", "must name at least one aspect");
    break;
  case NOC_EVK_MUNDANE_ASPECT:
    if (s->nbodies < 2) return spec_fail(err, i, "bodies", "must name at least two bodies");
    if (!any_aspect(s)) return spec_fail(err, i, "aspects", "must name at least one aspect");
    break;
  case NOC_EVK_VOID_OF_COURSE:
    for (int k = 0; k < s->nbodies; k++)
      if (s->bodies[k] == NOC_MOON)
        return spec_fail(err, i, "bodies", "lists the planets the Moon aspects; %s is the Moon",
                         "MOON");
    if (!any_aspect(s)) return spec_fail(err, i, "aspects", "must name at least one aspect");
    break;
  case NOC_EVK_HOUSE_INGRESS:
    if (s->ncusps != 12)
      return spec_fail(err, i, "kind",
                       "needs the 12 natal house cusps (give natal_chart with "
                       "latitude and longitude)");
    break;
  case NOC_EVK_LUNAR_PHASE:
    if (s->nphases < 1 || s->nphases > NOC_EV_MAX_PHASES)
      return spec_fail(err, i, "angles", "must give between 1 and 16 phase angles");
    break;
  case NOC_EVK_RETURN:
    if (s->npoints != s->nbodies)
      return spec_fail(err, i, "bodies",
                       "needs the natal place of each body (give "
                       "natal_chart)");
    break;
  case NOC_EVK_ECLIPSE:
    if (!s->solar && !s->lunar)
      return spec_fail(err, i, "eclipse_types", "must ask for solar or lunar eclipses");
    break;
  default:
    break;
  }
  return NOC_OK;
}

noc_status noc_events_validate(const noc_event_query *q, noc_error *err) {
  if (!isfinite(q->jd_start) || !isfinite(q->jd_end) || !(q->jd_end > q->jd_start))
    return noc_fail(err, NOC_ERR_VALIDATION, "end", "must be later than start");
  if (q->nspecs < 1 || q->nspecs > NOC_EV_MAX_SPECS)
    return noc_fail(err, NOC_ERR_VALIDATION, "events", "must list between 1 and %d event kinds",
                    NOC_EV_MAX_SPECS);
  for (int i = 0; i < q->nspecs; i++) {
    noc_status st = check_spec(q, i, err);
    if (st != NOC_OK) return st;
  }
  return NOC_OK;
}

/* ---- Shared tracks ----------------------------------------------------------------------------
 */

ev_track *noc_ev_trackset_get(ev_trackset *ts, ev_fn fn, noc_body a, noc_body b,
                              const noc_calc_options *opt, noc_error *err) {
  for (int i = 0; i < ts->n; i++) {
    ev_track *t = &ts->tracks[i];
    if (t->fn == fn && t->a == a && (fn != EV_FN_PAIR || t->b == b)) return t;
  }
  if (ts->n == ts->cap) {
    int cap = ts->cap ? ts->cap * 2 : 16;
    ev_track *t = realloc(ts->tracks, sizeof *t * (size_t)cap);
    if (t == NULL) {
      noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
      return NULL;
    }
    ts->tracks = t;
    ts->cap = cap;
  }
  ev_track *t = &ts->tracks[ts->n++];
  noc_ev_track_init(t, fn, a, b, opt);
  return t;
}

void noc_ev_trackset_free(ev_trackset *ts) {
  for (int i = 0; i < ts->n; i++)
    noc_ev_track_free(&ts->tracks[i]);
  free(ts->tracks);
  ts->tracks = NULL;
  ts->n = ts->cap = 0;
}

static noc_status build_tracks(ev_trackset *ts, const noc_event_query *q, noc_error *err) {
  noc_status st = NOC_OK;
  for (int i = 0; i < q->nspecs && st == NOC_OK; i++) {
    switch (q->specs[i].kind) {
    case NOC_EVK_TRANSIT:
      st = noc_ev_add_transit(ts, q, i, err);
      break;
    case NOC_EVK_MUNDANE_ASPECT:
      st = noc_ev_add_mundane(ts, q, i, err);
      break;
    case NOC_EVK_SIGN_INGRESS:
      st = noc_ev_add_sign_ingress(ts, q, i, err);
      break;
    case NOC_EVK_HOUSE_INGRESS:
      st = noc_ev_add_house_ingress(ts, q, i, err);
      break;
    case NOC_EVK_STATION:
      st = noc_ev_add_station(ts, q, i, err);
      break;
    case NOC_EVK_LUNAR_PHASE:
      st = noc_ev_add_phase(ts, q, i, err);
      break;
    case NOC_EVK_RETURN:
      st = noc_ev_add_return(ts, q, i, err);
      break;
    case NOC_EVK_NODE_PASSAGE:
      st = noc_ev_add_node(ts, q, i, err);
      break;
    default:
      break; /* void of course and eclipses search on their own */
    }
  }
  for (int i = 0; i < ts->n; i++)
    noc_ev_track_sort(&ts->tracks[i]);
  return st;
}

/* ---- Events of a window --------------------------------------------------------------------- */

noc_event *noc_ev_push(ev_engine *e, noc_event_kind kind, int spec, double jd, noc_error *err) {
  if (e->nevents == e->cap_events) {
    int cap = e->cap_events ? e->cap_events * 2 : 256;
    if (cap > (1 << 22)) {
      noc_fail(err, NOC_ERR_NOMEM, "events",
               "more than %d events in one %g-day window; ask for fewer bodies or aspects", 1 << 22,
               NOC_EVENT_CHUNK_DAYS);
      return NULL;
    }
    ev_item *n = realloc(e->items, sizeof *n * (size_t)cap);
    if (n == NULL) {
      noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
      return NULL;
    }
    e->items = n;
    e->cap_events = cap;
  }
  ev_item *it = &e->items[e->nevents];
  memset(it, 0, sizeof *it);
  it->seq = e->nevents++;
  noc_event *ev = &it->ev;
  ev->kind = kind;
  ev->spec = spec;
  ev->jd_ut = jd;
  ev->body = ev->target = ev->aspect = NOC_EV_NO_BODY;
  ev->sign = ev->previous_sign = -1;
  ev->phase = -1;
  ev->last_body = ev->last_aspect = -1;
  return ev;
}

static int cmp_item(const void *x, const void *y) {
  const ev_item *a = x, *b = y;
  if (a->ev.jd_ut != b->ev.jd_ut) return a->ev.jd_ut < b->ev.jd_ut ? -1 : 1;
  return (a->seq > b->seq) - (a->seq < b->seq);
}

noc_status noc_ev_on_crossing(ev_engine *e, const ev_track *tr, const ev_crossing *c, void *user,
                              noc_error *err) {
  (void)user;
  if (c->target < 0) {
    noc_status st = NOC_OK;
    for (int i = 0; i < tr->nstation_specs && st == NOC_OK; i++)
      st = noc_ev_emit_station(e, tr, c, tr->station_specs[i], err);
    return st;
  }
  const ev_target *tg = &tr->targets[c->target];
  switch (e->q->specs[tg->spec].kind) {
  case NOC_EVK_TRANSIT:
  case NOC_EVK_MUNDANE_ASPECT:
    return noc_ev_emit_aspect(e, tr, c, tg, err);
  case NOC_EVK_SIGN_INGRESS:
  case NOC_EVK_HOUSE_INGRESS:
    return noc_ev_emit_ingress(e, tr, c, tg, err);
  case NOC_EVK_LUNAR_PHASE:
    return noc_ev_emit_phase(e, tr, c, tg, err);
  case NOC_EVK_RETURN:
    return noc_ev_emit_return(e, tr, c, tg, err);
  case NOC_EVK_NODE_PASSAGE:
    return noc_ev_emit_node(e, tr, c, tg, err);
  default:
    return NOC_OK;
  }
}

/* All events of the window (a, b], sorted. */
static noc_status run_window(ev_engine *e, ev_trackset *ts, double a, double b, noc_error *err) {
  e->nevents = 0;
  noc_status st = NOC_OK;
  for (int i = 0; i < ts->n && st == NOC_OK; i++) {
    ev_track *tr = &ts->tracks[i];
    st = noc_ev_scan(e, tr, a, b, tr->nstation_specs > 0, noc_ev_on_crossing, NULL, err);
  }
  for (int i = 0; i < e->q->nspecs && st == NOC_OK; i++) {
    if (e->q->specs[i].kind == NOC_EVK_VOID_OF_COURSE)
      st = noc_ev_void_of_course(e, i, a, b, err);
    else if (e->q->specs[i].kind == NOC_EVK_ECLIPSE)
      st = noc_ev_eclipses(e, i, a, b, err);
  }
  if (st == NOC_OK && e->nevents > 1)
    qsort(e->items, (size_t)e->nevents, sizeof e->items[0], cmp_item);
  return st;
}

/* ---- The search -------------------------------------------------------------------------------
 */

static double monotonic_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t chunk_count(const noc_event_query *q) {
  double n = ceil((q->jd_end - q->jd_start) / NOC_EVENT_CHUNK_DAYS);
  return n < 1 ? 1 : (int64_t)n;
}

static void window_bounds(const noc_event_query *q, int64_t k, int64_t n, double *a, double *b) {
  *a = q->jd_start + (double)k * NOC_EVENT_CHUNK_DAYS;
  *b = k + 1 >= n ? q->jd_end : q->jd_start + (double)(k + 1) * NOC_EVENT_CHUNK_DAYS;
}

/* Delivers the window's events from index `from`; returns false when the search stops. */
static bool deliver(ev_engine *e, int64_t k, int64_t from, const noc_event_run *run,
                    noc_event_sink sink, void *user, noc_event_result *res) {
  for (int64_t i = from; i < e->nevents; i++) {
    if (run->limit > 0 && res->delivered >= run->limit) {
      res->by_limit = true;
      res->next = (noc_event_cursor){k, i};
      return false;
    }
    const noc_event *ev = &e->items[i].ev;
    res->delivered++;
    res->searched_until = ev->jd_ut;
    if (!sink(user, ev)) {
      res->by_sink = true;
      res->next = (noc_event_cursor){k, i + 1};
      return false;
    }
  }
  return true;
}

noc_status noc_events_search(noc_ctx *ctx, const noc_event_query *q, const noc_event_run *run,
                             noc_event_sink sink, void *user, noc_event_result *res,
                             noc_error *err) {
  memset(res, 0, sizeof *res);
  noc_status st = noc_events_validate(q, err);
  if (st != NOC_OK) return st;
  int64_t n = chunk_count(q);
  if (run->resume.chunk < 0 || run->resume.chunk > n || run->resume.skip < 0)
    return noc_fail(err, NOC_ERR_VALIDATION, "cursor", "does not belong to this search");
  ev_engine *e = calloc(1, sizeof *e);
  if (e == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  e->ctx = ctx;
  e->q = q;
  e->opt = q->opt;
  e->tol = q->tol_days > 0.0 ? q->tol_days : 1.0 / 86400.0;
  for (int i = 0; i < EV_CACHE_SIZE; i++)
    e->cache[i].body = -1;
  ev_trackset ts = {0};
  st = build_tracks(&ts, q, err);
  res->searched_until = q->jd_start;
  res->complete = true;
  int64_t skip = run->resume.skip;
  for (int64_t k = run->resume.chunk; k < n && st == NOC_OK; k++) {
    double a, b;
    window_bounds(q, k, n, &a, &b);
    if ((st = run_window(e, &ts, a, b, err)) != NOC_OK) break;
    if (skip > e->nevents) {
      st = noc_fail(err, NOC_ERR_VALIDATION, "cursor", "does not belong to this search");
      break;
    }
    if (!deliver(e, k, skip, run, sink, user, res)) {
      res->complete = false;
      break;
    }
    skip = 0;
    res->searched_until = b;
    if (run->deadline > 0.0 && k + 1 < n && monotonic_now() > run->deadline) {
      res->complete = false;
      res->by_deadline = true;
      res->next = (noc_event_cursor){k + 1, 0};
      break;
    }
  }
  res->evaluations = e->evals;
  noc_ev_trackset_free(&ts);
  free(e->items);
  free(e);
  return st;
}

/* ---- Cursor ------------------------------------------------------------------------------------
 */

uint64_t noc_fnv1a(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* The position is mixed with the fingerprint so that the text is meaningless on its own and a
 * cursor of another request fails its check. */
int noc_event_cursor_format(const noc_event_cursor *c, uint64_t fingerprint, char *buf,
                            size_t cap) {
  uint64_t chunk = (uint64_t)c->chunk, skip = (uint64_t)c->skip;
  uint64_t check = noc_fnv1a(fingerprint, &chunk, sizeof chunk);
  check = noc_fnv1a(check, &skip, sizeof skip);
  int n = snprintf(buf, cap, "ev1.%" PRIx64 ".%" PRIx64 ".%016" PRIx64, chunk, skip, check);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

bool noc_event_cursor_parse(const char *text, uint64_t fingerprint, noc_event_cursor *out) {
  if (text == NULL || strncmp(text, "ev1.", 4) != 0 || strlen(text) > 64) return false;
  char *end = NULL;
  const char *p = text + 4;
  unsigned long long chunk = strtoull(p, &end, 16);
  if (end == p || *end != '.') return false;
  p = end + 1;
  unsigned long long skip = strtoull(p, &end, 16);
  if (end == p || *end != '.') return false;
  p = end + 1;
  unsigned long long check = strtoull(p, &end, 16);
  if (end == p || *end != '\0' || strlen(p) != 16) return false;
  uint64_t c64 = chunk, s64 = skip;
  uint64_t want = noc_fnv1a(fingerprint, &c64, sizeof c64);
  want = noc_fnv1a(want, &s64, sizeof s64);
  if (want != check || chunk > INT64_MAX || skip > INT64_MAX) return false;
  out->chunk = (int64_t)chunk;
  out->skip = (int64_t)skip;
  return true;
}
