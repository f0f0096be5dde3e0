/* Returns: a body's longitude coming back to its natal place. A planet that turns retrograde
 * near its natal place returns three times; each pass is its own event. */
#include "core/events_internal.h"
#include "nocturna/zodiac.h"

noc_status noc_ev_add_return(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  for (int i = 0; i < s->nbodies; i++) {
    ev_track *tr = noc_ev_trackset_get(ts, EV_FN_LON, s->bodies[i], s->bodies[i], &q->opt, err);
    if (tr == NULL) return err->code;
    noc_status st = noc_ev_track_add(tr, s->points[i].longitude, spec, i, 0, 0, err);
    if (st != NOC_OK) return st;
  }
  return NOC_OK;
}

noc_status noc_ev_emit_return(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                              const ev_target *tg, noc_error *err) {
  const noc_event_spec *s = &e->q->specs[tg->spec];
  if (s->bodies[tg->a] != tr->a) return NOC_OK; /* another body's natal place on a shared track */
  noc_event *ev = noc_ev_push(e, NOC_EVK_RETURN, tg->spec, c->jd, err);
  if (ev == NULL) return err->code;
  ev->body = tr->a;
  ev->longitude = noc_norm360(c->at.la);
  ev->speed = c->at.va;
  ev->target = tr->a;
  ev->target_longitude = s->points[tg->a].longitude;
  ev->direction = c->dir > 0 ? NOC_EVD_DIRECT : NOC_EVD_RETROGRADE;
  ev->sign = (int)(ev->longitude / 30.0) % 12;
  return NOC_OK;
}
