/* Aspects as crossings: a transit is the moving body's longitude crossing natal point +- the
 * aspect angle (and +- the orb for entering and leaving orb); an aspect between two moving
 * bodies is their difference of longitudes crossing +- the angle. */
#include <math.h>

#include "core/events_internal.h"
#include "nocturna/zodiac.h"

/* The places on the circle where an aspect of `angle` to `base` is exact: one for the
 * conjunction and the opposition, two otherwise. */
static int aspect_places(double base, double angle, double out[2]) {
  if (angle == 0.0 || angle == 180.0) {
    out[0] = base + angle;
    return 1;
  }
  out[0] = base + angle;
  out[1] = base - angle;
  return 2;
}

/* Exact places and, when asked, the orb edges around each. */
static noc_status add_aspect_targets(ev_track *tr, const noc_event_spec *s, int spec, int point,
                                     double base, noc_error *err) {
  for (int j = 0; j < NOC_ASP_COUNT; j++) {
    if (!s->aspects[j]) continue;
    double places[2];
    int n = aspect_places(base, noc_aspect_def_get((noc_aspect_type)j)->angle, places);
    for (int k = 0; k < n; k++) {
      noc_status st = noc_ev_track_add(tr, places[k], spec, point, j, EV_STAGE_EXACT, err);
      if (st == NOC_OK && s->orb_events && s->orb[j] > 0.0) {
        st = noc_ev_track_add(tr, places[k] + s->orb[j], spec, point, j, EV_STAGE_EDGE_PLUS, err);
        if (st == NOC_OK)
          st =
              noc_ev_track_add(tr, places[k] - s->orb[j], spec, point, j, EV_STAGE_EDGE_MINUS, err);
      }
      if (st != NOC_OK) return st;
    }
  }
  return NOC_OK;
}

noc_status noc_ev_add_transit(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  for (int i = 0; i < s->nbodies; i++) {
    ev_track *tr = noc_ev_trackset_get(ts, EV_FN_LON, s->bodies[i], s->bodies[i], &q->opt, err);
    if (tr == NULL) return err->code;
    for (int p = 0; p < s->npoints; p++) {
      noc_status st = add_aspect_targets(tr, s, spec, p, s->points[p].longitude, err);
      if (st != NOC_OK) return st;
    }
  }
  return NOC_OK;
}

noc_status noc_ev_add_mundane(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  for (int i = 0; i < s->nbodies; i++) {
    for (int k = i + 1; k < s->nbodies; k++) {
      ev_track *tr = noc_ev_trackset_get(ts, EV_FN_PAIR, s->bodies[i], s->bodies[k], &q->opt, err);
      if (tr == NULL) return err->code;
      noc_status st = add_aspect_targets(tr, s, spec, k, 0.0, err);
      if (st != NOC_OK) return st;
    }
  }
  return NOC_OK;
}

static noc_event_stage stage_of(int payload, int dir) {
  if (payload == EV_STAGE_EXACT) return NOC_EVS_EXACT;
  /* The orb band is [place - orb, place + orb]: moving into it through either edge enters. */
  bool enters =
      (payload == EV_STAGE_EDGE_PLUS && dir < 0) || (payload == EV_STAGE_EDGE_MINUS && dir > 0);
  return enters ? NOC_EVS_ENTERS_ORB : NOC_EVS_LEAVES_ORB;
}

noc_status noc_ev_emit_aspect(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                              const ev_target *tg, noc_error *err) {
  const noc_event_spec *s = &e->q->specs[tg->spec];
  noc_event *ev = noc_ev_push(e, s->kind, tg->spec, c->jd, err);
  if (ev == NULL) return err->code;
  ev->stage = stage_of(tg->c, c->dir);
  ev->aspect = tg->b;
  ev->body = tr->a;
  ev->longitude = noc_norm360(c->at.la);
  ev->speed = c->at.va;
  ev->direction = c->at.va < 0.0 ? NOC_EVD_RETROGRADE : NOC_EVD_DIRECT;
  if (ev->stage != NOC_EVS_EXACT) ev->orb = s->orb[tg->b];
  if (s->kind == NOC_EVK_TRANSIT) {
    const noc_event_point *pt = &s->points[tg->a];
    ev->target = pt->body;
    ev->target_longitude = pt->longitude;
  } else {
    ev->target = tr->b;
    ev->target_longitude = noc_norm360(c->at.lb);
    ev->target_speed = c->at.vb;
  }
  ev->sign = (int)(ev->longitude / 30.0) % 12;
  return NOC_OK;
}
