/* Stations: the roots of a body's rate of longitude, found by the track scan itself (they cut
 * its samples into monotonic runs); a spec only marks the tracks whose stations it wants. */
#include "core/events_internal.h"
#include "nocturna/zodiac.h"

noc_status noc_ev_add_station(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  for (int i = 0; i < s->nbodies; i++) {
    ev_track *tr = noc_ev_trackset_get(ts, EV_FN_LON, s->bodies[i], s->bodies[i], &q->opt, err);
    if (tr == NULL) return err->code;
    if (tr->nstation_specs < EV_MAX_STATION_SPECS) tr->station_specs[tr->nstation_specs++] = spec;
  }
  return NOC_OK;
}

noc_status noc_ev_emit_station(ev_engine *e, const ev_track *tr, const ev_crossing *c, int spec,
                               noc_error *err) {
  noc_event *ev = noc_ev_push(e, NOC_EVK_STATION, spec, c->jd, err);
  if (ev == NULL) return err->code;
  ev->body = tr->a;
  ev->longitude = noc_norm360(c->at.la);
  ev->speed = 0.0;
  /* The rate turns positive at a station direct, negative at a station retrograde. */
  ev->direction = c->dir > 0 ? NOC_EVD_DIRECT : NOC_EVD_RETROGRADE;
  ev->sign = (int)(ev->longitude / 30.0) % 12;
  return NOC_OK;
}
