/* Eclipses from Swiss Ephemeris' own searches: the next global solar eclipse
 * (swe_sol_eclipse_when_glob) and lunar eclipse (swe_lun_eclipse_when), their magnitudes, and
 * for a place the local circumstances (swe_sol_eclipse_when_loc, swe_lun_eclipse_when_loc).
 * Eclipses are weeks apart while windows are a month long, so each search's answer is kept until
 * the walk passes it. */
#include <math.h>
#include <string.h>

#include <swephexp.h>

#include "core/events_internal.h"
#include "nocturna/zodiac.h"

/* A local maximum belongs to a global eclipse when it is this close to it (days). */
#define SAME_ECLIPSE 0.5
/* Searches that fail this close to the end of the ephemeris mean "no more eclipses". */
#define EPHE_END_JD   3693000.0
#define EPHE_START_JD (-251000.0)

static int ephe_flag(const ev_engine *e) {
  return e->opt.ephemeris == NOC_EPHE_MOSHIER ? SEFLG_MOSEPH : SEFLG_SWIEPH;
}

static unsigned solar_type(int flags) {
  if (flags & SE_ECL_ANNULAR_TOTAL) return NOC_ECL_HYBRID;
  if (flags & SE_ECL_TOTAL) return NOC_ECL_TOTAL;
  if (flags & SE_ECL_ANNULAR) return NOC_ECL_ANNULAR;
  return NOC_ECL_PARTIAL;
}

static unsigned lunar_type(int flags) {
  if (flags & SE_ECL_TOTAL) return NOC_ECL_TOTAL;
  if (flags & SE_ECL_PARTIAL) return NOC_ECL_PARTIAL;
  return NOC_ECL_PENUMBRAL;
}

typedef enum search_kind { GLOBAL_SOLAR, GLOBAL_LUNAR, LOCAL_SOLAR, LOCAL_LUNAR } search_kind;

/* The next eclipse of a kind after `from`, through the memo: an eclipse found searching from f0
 * is also the next one after any later start that is still before it. *none: the ephemeris ends
 * first. */
static noc_status next_eclipse(ev_engine *e, ev_eclipse_memo *m, search_kind kind,
                               const noc_event_spec *s, double from, bool *none, noc_error *err) {
  *none = false;
  if (m->valid && m->from <= from && m->tret[0] > from) return NOC_OK;
  double geo[3] = {s->longitude, s->latitude, s->altitude_m};
  char serr[AS_MAXCH] = "";
  int ifl = ephe_flag(e);
  double start = from;
  for (int tries = 0; tries < 3; tries++) {
    memset(m->tret, 0, sizeof m->tret);
    memset(m->attr, 0, sizeof m->attr);
    int32 rc;
    switch (kind) {
    case GLOBAL_SOLAR:
      rc = swe_sol_eclipse_when_glob(start, ifl, 0, m->tret, 0, serr);
      break;
    case GLOBAL_LUNAR:
      rc = swe_lun_eclipse_when(start, ifl, 0, m->tret, 0, serr);
      break;
    case LOCAL_SOLAR:
      rc = swe_sol_eclipse_when_loc(start, ifl, geo, m->tret, m->attr, 0, serr);
      break;
    default:
      rc = swe_lun_eclipse_when_loc(start, ifl, geo, m->tret, m->attr, 0, serr);
      break;
    }
    if (rc < 0 || rc == 0) {
      m->valid = false;
      if (from > EPHE_END_JD - 800.0 || from < EPHE_START_JD) *none = true;
      return *none ? NOC_OK
                   : noc_fail(err, NOC_ERR_RANGE, "start", "the eclipse search failed at JD %.1f",
                              from);
    }
    m->valid = true;
    m->from = from;
    m->flags = rc;
    if (m->tret[0] > from) return NOC_OK;
    start = m->tret[0] + 1.0; /* an answer at or before the start: look past it */
  }
  m->valid = false;
  return noc_fail(err, NOC_ERR_INTERNAL, "", "the eclipse search did not advance");
}

/* The fraction of the Sun's disc area the Moon covers. Swiss Ephemeris' attr[2] is that for a
 * partial phase, but for a total or annular one it is (Moon diameter / Sun diameter)^2: the
 * right fraction when the Moon sits inside the Sun (annular), more than 1 when it covers the
 * whole disc (total), where the covered fraction is 1. */
static double obscuration_of(double attr2) {
  return fmin(1.0, fmax(0.0, attr2));
}

static double tt_of(double jd_ut, int ifl) {
  char serr[AS_MAXCH] = "";
  return jd_ut + swe_deltat_ex(jd_ut, ifl, serr);
}

static void solar_details(ev_engine *e, const ev_eclipse_memo *g, noc_eclipse_info *info) {
  double geo[10] = {0}, attr[20] = {0};
  char serr[AS_MAXCH] = "";
  info->solar = true;
  info->type = solar_type(g->flags);
  info->central = (g->flags & SE_ECL_CENTRAL) != 0;
  info->begin = g->tret[2];
  info->end = g->tret[3];
  info->total_begin = g->tret[4];
  info->total_end = g->tret[5];
  if (swe_sol_eclipse_where(g->tret[0], ephe_flag(e), geo, attr, serr) >= 0) {
    info->magnitude = attr[8];
    info->obscuration = obscuration_of(attr[2]);
    info->saros = attr[9] > 0 ? (int)attr[9] : 0;
    info->saros_member = attr[10] > 0 ? (int)attr[10] : 0;
  }
}

static void lunar_details(ev_engine *e, const ev_eclipse_memo *g, noc_eclipse_info *info) {
  double geo[3] = {0, 0, 0}, attr[20] = {0};
  char serr[AS_MAXCH] = "";
  info->solar = false;
  info->type = lunar_type(g->flags);
  info->begin = g->tret[2];
  info->end = g->tret[3];
  info->total_begin = g->tret[4];
  info->total_end = g->tret[5];
  info->penumbral_begin = g->tret[6];
  info->penumbral_end = g->tret[7];
  if (swe_lun_eclipse_how(g->tret[0], ephe_flag(e), geo, attr, serr) >= 0) {
    info->magnitude = info->type == NOC_ECL_PENUMBRAL ? attr[1] : attr[0];
    info->penumbral_magnitude = attr[1];
    info->saros = attr[9] > 0 ? (int)attr[9] : 0;
    info->saros_member = attr[10] > 0 ? (int)attr[10] : 0;
  }
}

/* The place's view of the global eclipse g: the next eclipse seen there, searched from just
 * before g begins, is g itself when their maxima nearly coincide. */
static noc_status local_details(ev_engine *e, int spec, bool solar, const ev_eclipse_memo *g,
                                noc_eclipse_info *info, noc_error *err) {
  const noc_event_spec *s = &e->q->specs[spec];
  ev_eclipse_memo *m = &e->local[spec][solar ? 0 : 1];
  double first = solar ? g->tret[2] : (g->tret[6] > 0 ? g->tret[6] : g->tret[2]);
  bool none = false;
  noc_status st =
      next_eclipse(e, m, solar ? LOCAL_SOLAR : LOCAL_LUNAR, s, first - 0.01, &none, err);
  if (st != NOC_OK) return st;
  info->has_local = true;
  info->local_visible = !none && fabs(m->tret[0] - g->tret[0]) < SAME_ECLIPSE;
  if (!info->local_visible) return NOC_OK;
  info->local_max = m->tret[0];
  info->local_altitude = m->attr[5];
  if (solar) {
    info->local_type = solar_type(m->flags);
    info->local_magnitude = m->attr[8];
    info->local_obscuration = obscuration_of(m->attr[2]);
    info->local_begin = m->tret[1];
    info->local_end = m->tret[4];
    info->local_total_begin = m->tret[2];
    info->local_total_end = m->tret[3];
  } else {
    info->local_type = lunar_type(m->flags);
    info->local_magnitude = info->type == NOC_ECL_PENUMBRAL ? m->attr[1] : m->attr[0];
    info->local_begin = m->tret[2] > 0 ? m->tret[2] : m->tret[6];
    info->local_end = m->tret[3] > 0 ? m->tret[3] : m->tret[7];
    info->local_total_begin = m->tret[4];
    info->local_total_end = m->tret[5];
  }
  return NOC_OK;
}

static noc_status emit(ev_engine *e, int spec, bool solar, const ev_eclipse_memo *g,
                       noc_error *err) {
  const noc_event_spec *s = &e->q->specs[spec];
  noc_eclipse_info info;
  memset(&info, 0, sizeof info);
  if (solar)
    solar_details(e, g, &info);
  else
    lunar_details(e, g, &info);
  if (s->eclipse_types != 0 && (s->eclipse_types & info.type) == 0) return NOC_OK;
  info.jd_tt = tt_of(g->tret[0], ephe_flag(e));
  if (s->has_location) {
    noc_status st = local_details(e, spec, solar, g, &info, err);
    if (st != NOC_OK) return st;
  }
  double lon = 0.0, speed = 0.0;
  noc_body body = solar ? NOC_SUN : NOC_MOON;
  noc_status st = noc_ev_body(e, body, false, g->tret[0], &lon, &speed, err);
  if (st != NOC_OK) return st;
  noc_event *ev = noc_ev_push(e, NOC_EVK_ECLIPSE, spec, g->tret[0], err);
  if (ev == NULL) return err->code;
  ev->body = body;
  ev->longitude = noc_norm360(lon);
  ev->speed = speed;
  ev->sign = (int)(ev->longitude / 30.0) % 12;
  ev->eclipse = info;
  return NOC_OK;
}

noc_status noc_ev_eclipses(ev_engine *e, int spec, double a, double b, noc_error *err) {
  const noc_event_spec *s = &e->q->specs[spec];
  for (int family = 0; family < 2; family++) {
    bool solar = family == 0;
    if (solar ? !s->solar : !s->lunar) continue;
    ev_eclipse_memo *g = &e->global[family];
    double from = a;
    for (;;) {
      bool none = false;
      noc_status st = next_eclipse(e, g, solar ? GLOBAL_SOLAR : GLOBAL_LUNAR, s, from, &none, err);
      if (st != NOC_OK) return st;
      if (none || g->tret[0] > b) break;
      if ((st = emit(e, spec, solar, g, err)) != NOC_OK) return st;
      from = g->tret[0]; /* the memo answers "after from" with the next one */
    }
  }
  return NOC_OK;
}
