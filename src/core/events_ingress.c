/* Ingresses: a body's longitude crossing a sign boundary (a multiple of 30 degrees in the zodiac
 * of the search) or a natal house cusp. */
#include <math.h>

#include "core/events_internal.h"
#include "nocturna/zodiac.h"

enum { PAYLOAD_SIGN = 0, PAYLOAD_HOUSE = 1 };

noc_status noc_ev_add_sign_ingress(ev_trackset *ts, const noc_event_query *q, int spec,
                                   noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  for (int i = 0; i < s->nbodies; i++) {
    ev_track *tr = noc_ev_trackset_get(ts, EV_FN_LON, s->bodies[i], s->bodies[i], &q->opt, err);
    if (tr == NULL) return err->code;
    for (int k = 0; k < 12; k++) {
      noc_status st = noc_ev_track_add(tr, 30.0 * k, spec, k, 0, PAYLOAD_SIGN, err);
      if (st != NOC_OK) return st;
    }
  }
  return NOC_OK;
}

noc_status noc_ev_add_house_ingress(ev_trackset *ts, const noc_event_query *q, int spec,
                                    noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  for (int i = 0; i < s->nbodies; i++) {
    ev_track *tr = noc_ev_trackset_get(ts, EV_FN_LON, s->bodies[i], s->bodies[i], &q->opt, err);
    if (tr == NULL) return err->code;
    for (int k = 0; k < s->ncusps; k++) {
      noc_status st = noc_ev_track_add(tr, s->cusps[k], spec, k, 0, PAYLOAD_HOUSE, err);
      if (st != NOC_OK) return st;
    }
  }
  return NOC_OK;
}

/* Crossing boundary k forward enters sign (or house) k; backward enters the one before it. */
noc_status noc_ev_emit_ingress(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                               const ev_target *tg, noc_error *err) {
  const noc_event_spec *s = &e->q->specs[tg->spec];
  noc_event *ev = noc_ev_push(e, s->kind, tg->spec, c->jd, err);
  if (ev == NULL) return err->code;
  ev->body = tr->a;
  ev->longitude = tg->angle;
  ev->speed = c->at.va;
  ev->direction = c->dir > 0 ? NOC_EVD_DIRECT : NOC_EVD_RETROGRADE;
  int k = tg->a;
  if (tg->c == PAYLOAD_SIGN) {
    ev->sign = c->dir > 0 ? k : (k + 11) % 12;
    ev->previous_sign = c->dir > 0 ? (k + 11) % 12 : k;
  } else {
    int n = s->ncusps;
    ev->house = c->dir > 0 ? k + 1 : (k + n - 1) % n + 1;
    ev->sign = (int)(noc_norm360(tg->angle) / 30.0) % 12;
  }
  return NOC_OK;
}
