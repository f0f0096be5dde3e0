/* The Moon: phases (its elongation from the Sun crossing a phase angle) and the void-of-course
 * Moon (from its last exact aspect in a sign to its entry into the next sign). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/events_internal.h"
#include "nocturna/zodiac.h"

/* ---- Phases -----------------------------------------------------------------------------------
 */

noc_status noc_ev_add_phase(ev_trackset *ts, const noc_event_query *q, int spec, noc_error *err) {
  const noc_event_spec *s = &q->specs[spec];
  ev_track *tr = noc_ev_trackset_get(ts, EV_FN_PAIR, NOC_MOON, NOC_SUN, &q->opt, err);
  if (tr == NULL) return err->code;
  for (int i = 0; i < s->nphases; i++) {
    noc_status st = noc_ev_track_add(tr, s->phase_angles[i], spec, i, 0, 0, err);
    if (st != NOC_OK) return st;
  }
  return NOC_OK;
}

noc_status noc_ev_emit_phase(ev_engine *e, const ev_track *tr, const ev_crossing *c,
                             const ev_target *tg, noc_error *err) {
  (void)tr;
  if (c->dir < 0) return NOC_OK; /* the elongation only grows; a backward crossing would be noise */
  const noc_event_spec *s = &e->q->specs[tg->spec];
  noc_event *ev = noc_ev_push(e, NOC_EVK_LUNAR_PHASE, tg->spec, c->jd, err);
  if (ev == NULL) return err->code;
  ev->body = NOC_MOON;
  ev->target = NOC_SUN;
  ev->phase = tg->a;
  ev->phase_angle = s->phase_angles[tg->a];
  ev->longitude = noc_norm360(c->at.la);
  ev->speed = c->at.va;
  ev->target_longitude = noc_norm360(c->at.lb);
  ev->target_speed = c->at.vb;
  ev->sign = (int)(ev->longitude / 30.0) % 12;
  return NOC_OK;
}

/* ---- Void of course ----------------------------------------------------------------------------
 */

/* The Moon stays in one sign at most about 2.6 days (30 degrees at its slowest, 11.8 per day). */
#define SIGN_LOOKAROUND 3.5

typedef struct moment {
  double jd;
  int sign;         /* ingress: sign entered */
  int body, aspect; /* aspect: the planet and the aspect */
  double moon_lon;
} moment;

typedef struct moments {
  moment *m; /* owned */
  int n, cap;
} moments;

static noc_status moments_add(moments *ms, const moment *m, noc_error *err) {
  if (ms->n == ms->cap) {
    int cap = ms->cap ? ms->cap * 2 : 64;
    moment *p = realloc(ms->m, sizeof *p * (size_t)cap);
    if (p == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
    ms->m = p;
    ms->cap = cap;
  }
  ms->m[ms->n++] = *m;
  return NOC_OK;
}

static int cmp_moment(const void *x, const void *y) {
  const moment *a = x, *b = y;
  return (a->jd > b->jd) - (a->jd < b->jd);
}

static noc_status on_ingress(ev_engine *e, const ev_track *tr, const ev_crossing *c, void *user,
                             noc_error *err) {
  (void)e;
  if (c->target < 0 || c->dir < 0) return NOC_OK;
  moment m = {c->jd, tr->targets[c->target].a, -1, -1, noc_norm360(c->at.la)};
  return moments_add(user, &m, err);
}

static noc_status on_aspect(ev_engine *e, const ev_track *tr, const ev_crossing *c, void *user,
                            noc_error *err) {
  (void)e;
  if (c->target < 0) return NOC_OK;
  moment m = {c->jd, -1, tr->b, tr->targets[c->target].b, noc_norm360(c->at.la)};
  return moments_add(user, &m, err);
}

static noc_status find_ingresses(ev_engine *e, double a, double b, moments *out, noc_error *err) {
  ev_track tr;
  noc_ev_track_init(&tr, EV_FN_LON, NOC_MOON, NOC_MOON, &e->opt);
  noc_status st = NOC_OK;
  for (int k = 0; k < 12 && st == NOC_OK; k++)
    st = noc_ev_track_add(&tr, 30.0 * k, -1, k, 0, 0, err);
  if (st == NOC_OK) {
    noc_ev_track_sort(&tr);
    st = noc_ev_scan(e, &tr, a, b, false, on_ingress, out, err);
  }
  noc_ev_track_free(&tr);
  return st;
}

static noc_status find_aspects(ev_engine *e, const noc_event_spec *s, double a, double b,
                               moments *out, noc_error *err) {
  noc_status st = NOC_OK;
  for (int i = 0; i < s->nbodies && st == NOC_OK; i++) {
    ev_track tr;
    noc_ev_track_init(&tr, EV_FN_PAIR, NOC_MOON, s->bodies[i], &e->opt);
    for (int j = 0; j < NOC_ASP_COUNT && st == NOC_OK; j++) {
      if (!s->aspects[j]) continue;
      double angle = noc_aspect_def_get((noc_aspect_type)j)->angle;
      st = noc_ev_track_add(&tr, angle, -1, 0, j, 0, err);
      if (st == NOC_OK && angle != 0.0 && angle != 180.0)
        st = noc_ev_track_add(&tr, -angle, -1, 0, j, 0, err);
    }
    if (st == NOC_OK) {
      noc_ev_track_sort(&tr);
      st = noc_ev_scan(e, &tr, a, b, false, on_aspect, out, err);
    }
    noc_ev_track_free(&tr);
  }
  return st;
}

/* The void period of the sign entered at ing[k-1] and left at ing[k]: it begins at the Moon's
 * last exact aspect in between, or at the ingress itself when it makes none. */
static noc_status void_period(ev_engine *e, int spec, const moment *prev, const moment *next,
                              const moments *asp, double a, double b, noc_error *err) {
  const moment *last = NULL;
  for (int i = 0; i < asp->n; i++)
    if (asp->m[i].jd > prev->jd && asp->m[i].jd < next->jd) last = &asp->m[i];
  double begin = last ? last->jd : prev->jd;
  if (begin > a && begin <= b) {
    noc_event *ev = noc_ev_push(e, NOC_EVK_VOID_OF_COURSE, spec, begin, err);
    if (ev == NULL) return err->code;
    ev->stage = NOC_EVS_BEGINS;
    ev->body = NOC_MOON;
    ev->sign = prev->sign;
    ev->other_jd = next->jd;
    ev->longitude = last ? last->moon_lon : prev->moon_lon;
    if (last) {
      ev->last_body = last->body;
      ev->last_aspect = last->aspect;
    }
  }
  if (next->jd > a && next->jd <= b) {
    noc_event *ev = noc_ev_push(e, NOC_EVK_VOID_OF_COURSE, spec, next->jd, err);
    if (ev == NULL) return err->code;
    ev->stage = NOC_EVS_ENDS;
    ev->body = NOC_MOON;
    ev->sign = next->sign;
    ev->previous_sign = prev->sign;
    ev->other_jd = begin;
    ev->longitude = next->moon_lon;
  }
  return NOC_OK;
}

noc_status noc_ev_void_of_course(ev_engine *e, int spec, double a, double b, noc_error *err) {
  moments ing = {0}, asp = {0};
  noc_status st = find_ingresses(e, a - SIGN_LOOKAROUND, b + SIGN_LOOKAROUND, &ing, err);
  if (st == NOC_OK && ing.n >= 2) {
    qsort(ing.m, (size_t)ing.n, sizeof ing.m[0], cmp_moment);
    st = find_aspects(e, &e->q->specs[spec], ing.m[0].jd, ing.m[ing.n - 1].jd, &asp, err);
    if (st == NOC_OK && asp.n > 1) qsort(asp.m, (size_t)asp.n, sizeof asp.m[0], cmp_moment);
    for (int k = 1; k < ing.n && st == NOC_OK; k++)
      st = void_period(e, spec, &ing.m[k - 1], &ing.m[k], &asp, a, b, err);
  }
  free(ing.m);
  free(asp.m);
  return st;
}
