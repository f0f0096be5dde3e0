/* Node passages: a body crossing the ecliptic, the root of its ecliptic latitude (the Moon's
 * ascending and descending node passages, and the same for any planet). */
#include "core/events_internal.h"
#include "nocturna/zodiac.h"

noc_status noc_ev_add_node(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  for (int i = 0; i < s->nbodies; i++) {
    ev_track *tr = noc_ev_trackset_get(ts, EV_FN_LAT, s->bodies[i], s->bodies[i], &q->opt, err);
    if (tr == NULL) return err->code;
    noc_status st = noc_ev_track_add(tr, 0.0, spec, i, 0, 0, err);
    if (st != NOC_OK) return st;
  }
  return NOC_OK;
}

noc_status noc_ev_emit_node(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                            const ev_target *tg, noc_error *err) {
  double lon = 0.0, speed = 0.0;
  noc_status st = noc_ev_body(e, tr->a, false, c->jd, &lon, &speed, err);
  if (st != NOC_OK) return st;
  noc_event *ev = noc_ev_push(e, NOC_EVK_NODE_PASSAGE, tg->spec, c->jd, err);
  if (ev == NULL) return err->code;
  ev->body = tr->a;
  ev->longitude = noc_norm360(lon);
  ev->speed = speed;
  ev->direction = c->dir > 0 ? NOC_EVD_ASCENDING : NOC_EVD_DESCENDING;
  ev->sign = (int)(ev->longitude / 30.0) % 12;
  return NOC_OK;
}
