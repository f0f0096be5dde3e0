/* Birth-time rectification by timed contacts to the angles.
 *
 * The idea is the astrologer's: a birth time is right when the life events it should explain
 * fall on moments when something touches its angles (or the rulers of the houses the event
 * concerns). The angles turn a degree every four minutes, so each technique below, evaluated
 * for a candidate time, either lines up with an event date or does not; summed over events the
 * score peaks at the times that explain most of them.
 *
 * For each candidate (every step across the window; houses, angles and natal planets of its own)
 * and each event (its date, its houses from the event type):
 *  - transits: Mars..Pluto on the event date, by conjunction, opposition, square, trine or
 *    sextile, to the candidate's ASC, MC, DESC, IC (orb 1 degree for Mars, 1.5 for the others),
 *    and to the natal places of the rulers of the event's houses (half weight);
 *  - secondary progressions (a day for a year): the progressed angles, from the natal RAMC plus
 *    the progressed Sun's arc in right ascension, to the natal planets; the progressed Sun,
 *    Venus, Mars (orb 1) and Moon (orb 0.5) to the natal angles;
 *  - solar-arc directions: angles and planets advanced by the progressed Sun's arc in longitude,
 *    directed angles to natal planets and directed planets to natal angles (orb 1);
 *  - primary directions of the angles: the RAMC advanced by the age times Naibod's key
 *    (0.98565 degrees a year), its MC and ASC to the natal planets (orb 1).
 * A contact scores technique x planet x aspect x relevance x (1 - orb / max orb)^2: techniques
 * that move the angles themselves (progressions, arcs, primaries) 1.5, transits 1; slow planets
 * more than fast ones; hard aspects 1, trine and sextile 0.5; 1.5 when the angle's axis or the
 * ruler belongs to the event's houses. The event's weight multiplies its contacts.
 *
 * An angle and its opposite are one axis: a point conjunct the MC is also opposite the IC, a
 * square to the ASC is one to the DESC, a trine to the MC a sextile to the IC. Such a contact is
 * one event in the sky, so it counts once: against the ASC or MC, except an opposition, which is
 * reported as the conjunction with the DESC or IC (where the point stands). Its relevance takes
 * the houses of both ends (1 and 7, 10 and 4), as the axis touches both.
 *
 * The ranked times are the highest peaks at least max(6 min, 3 steps) apart, each refined on a
 * quarter-step grid. Confidence: with p(t) proportional to exp(score(t) / tau) over the window
 * (tau = 2 sqrt(number of events)), the share of p within half that separation of the peak. It
 * compares the candidates of this window; it cannot know about events the user did not give. */
#include "nocturna/rectify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <swephexp.h>

#include "nocturna/zodiac.h"

#define NAIBOD_DEG_PER_YEAR 0.98564733
#define TROPICAL_YEAR_DAYS  365.24219

static const char *const technique_names[NOC_RECT_TECHNIQUE_COUNT] = {
    "transits", "progressions", "solar_arc", "primary_directions"};

const char *noc_rect_technique_name(noc_rect_technique t) {
  return t >= 0 && t < NOC_RECT_TECHNIQUE_COUNT ? technique_names[t] : "unknown";
}

bool noc_rect_technique_from_name(const char *name, noc_rect_technique *out) {
  for (int i = 0; i < NOC_RECT_TECHNIQUE_COUNT; i++) {
    if (strcasecmp(name, technique_names[i]) == 0) {
      *out = (noc_rect_technique)i;
      return true;
    }
  }
  return false;
}

#define H(n) (1u << ((n)-1))

typedef struct event_kind {
  const char *name;
  unsigned houses;
} event_kind;

/* Traditional house meanings of the common life events. */
static const event_kind event_kinds[] = {
    {"marriage", H(7) | H(5)},
    {"engagement", H(7) | H(5)},
    {"partnership", H(7)},
    {"relationship", H(7) | H(5)},
    {"divorce", H(7) | H(8)},
    {"separation", H(7)},
    {"birth_of_child", H(5)},
    {"child", H(5)},
    {"death_of_parent", H(4) | H(10)},
    {"death_of_father", H(4) | H(10)},
    {"death_of_mother", H(4) | H(10)},
    {"death", H(8)},
    {"bereavement", H(8)},
    {"career", H(10)},
    {"career_change", H(10)},
    {"promotion", H(10)},
    {"new_job", H(10) | H(6)},
    {"job_loss", H(10) | H(6)},
    {"retirement", H(10)},
    {"business", H(10) | H(2)},
    {"relocation", H(4)},
    {"move", H(4)},
    {"emigration", H(4) | H(9)},
    {"home", H(4)},
    {"accident", H(1) | H(8)},
    {"injury", H(1) | H(6)},
    {"surgery", H(1) | H(8)},
    {"illness", H(6) | H(1)},
    {"health", H(6) | H(1)},
    {"education", H(9) | H(3)},
    {"graduation", H(9) | H(10)},
    {"travel", H(9)},
    {"inheritance", H(8) | H(2)},
    {"financial", H(2) | H(8)},
    {"spiritual", H(9) | H(12)},
    {"other", H(1) | H(10)},
};

bool noc_rect_event_houses(const char *type, unsigned *houses) {
  for (size_t i = 0; i < sizeof event_kinds / sizeof event_kinds[0]; i++) {
    if (strcasecmp(type, event_kinds[i].name) == 0) {
      *houses = event_kinds[i].houses;
      return true;
    }
  }
  return false;
}

void noc_rect_input_default(noc_rect_input *in) {
  memset(in, 0, sizeof *in);
  noc_calc_options_default(&in->opt);
  in->system = noc_house_system_find("PLACIDUS");
  in->window_minutes = 120.0;
  in->step_minutes = 1.0;
  for (int i = 0; i < NOC_RECT_TECHNIQUE_COUNT; i++)
    in->techniques[i] = true;
  in->max_candidates = 5;
}

/* ---- Per-event and per-candidate positions ----------------------------------------------------
 */

/* The angles ASC, MC, DESC, IC: axis a (0: ASC-DESC, 1: MC-IC) joins angle a and angle a + 2. */
enum { N_PLANETS = 10, N_ANGLES = 4, N_AXES = 2 };
static const noc_body angle_bodies[N_ANGLES] = {NOC_ASC, NOC_MC, NOC_DESC, NOC_IC};
static const int angle_house[N_ANGLES] = {1, 10, 7, 4};
/* Traditional rulers of the signs, Aries to Pisces. */
static const noc_body sign_ruler[12] = {NOC_MARS,    NOC_VENUS,   NOC_MERCURY, NOC_MOON,
                                        NOC_SUN,     NOC_MERCURY, NOC_VENUS,   NOC_MARS,
                                        NOC_JUPITER, NOC_SATURN,  NOC_SATURN,  NOC_JUPITER};

typedef struct event_pre {
  double age_years;
  double transit[N_PLANETS]; /* longitudes on the event date */
  double progressed[N_PLANETS];
  double arc, arc_ra; /* solar arc in longitude and in right ascension */
} event_pre;

typedef struct chart {
  double angle[N_ANGLES];
  double armc;
  double planet[N_PLANETS];
  unsigned ruler_houses[N_PLANETS]; /* houses whose cusp sign each planet rules */
} chart;

typedef struct rect_ctx {
  noc_ctx *ctx;
  const noc_rect_input *in;
  noc_calc_options trop; /* tropical copy: aspects do not depend on the zodiac */
  double ayanamsa;       /* for the signs of the cusps (rulers) */
  double eps;            /* true obliquity at birth */
  event_pre pre[NOC_RECT_MAX_EVENTS];
} rect_ctx;

static noc_status position(rect_ctx *r, double jd, noc_body b, noc_position *pos, noc_error *err) {
  noc_time t;
  noc_status st = noc_time_from_jd_ut(r->ctx, jd, &t, err);
  if (st == NOC_OK) st = noc_body_position(r->ctx, &t, b, &r->trop, pos, err);
  return st;
}

static noc_status prepare_events(rect_ctx *r, noc_error *err) {
  const noc_rect_input *in = r->in;
  noc_position sun0;
  noc_status st = position(r, in->birth.jd_ut, NOC_SUN, &sun0, err);
  for (int e = 0; e < in->nevents && st == NOC_OK; e++) {
    event_pre *p = &r->pre[e];
    double age_days = in->events[e].jd_ut - in->birth.jd_ut;
    p->age_years = age_days / TROPICAL_YEAR_DAYS;
    double jd_prog = in->birth.jd_ut + p->age_years; /* a day for a year */
    for (int b = 0; b < N_PLANETS && st == NOC_OK; b++) {
      double speed = 0.0;
      st = noc_body_longitude(r->ctx, in->events[e].jd_ut, (noc_body)b, &r->trop, &p->transit[b],
                              &speed, err);
      if (st == NOC_OK)
        st = noc_body_longitude(r->ctx, jd_prog, (noc_body)b, &r->trop, &p->progressed[b], &speed,
                                err);
    }
    noc_position sun;
    if (st == NOC_OK && (st = position(r, jd_prog, NOC_SUN, &sun, err)) == NOC_OK) {
      p->arc = noc_angle_diff(sun.longitude, sun0.longitude);
      p->arc_ra = noc_angle_diff(sun.right_ascension, sun0.right_ascension);
    }
  }
  return st;
}

static void angles_from_armc(const rect_ctx *r, double armc, double out[N_ANGLES]) {
  double cusps[37], ascmc[10];
  swe_houses_armc(noc_norm360(armc), r->in->latitude, r->eps, 'O', cusps, ascmc);
  out[0] = ascmc[0];
  out[1] = ascmc[1];
  out[2] = noc_norm360(ascmc[0] + 180.0);
  out[3] = noc_norm360(ascmc[1] + 180.0);
}

static noc_status chart_at(rect_ctx *r, double jd, chart *c, noc_error *err) {
  noc_time t;
  noc_houses h;
  noc_status st = noc_time_from_jd_ut(r->ctx, jd, &t, err);
  if (st == NOC_OK)
    st = noc_houses_calc(r->ctx, &t, r->in->latitude, r->in->longitude, r->in->system, &r->trop,
                         false, &h, err);
  if (st != NOC_OK) return st;
  c->angle[0] = h.asc;
  c->angle[1] = h.mc;
  c->angle[2] = noc_norm360(h.asc + 180.0);
  c->angle[3] = noc_norm360(h.mc + 180.0);
  c->armc = h.armc;
  memset(c->ruler_houses, 0, sizeof c->ruler_houses);
  int n = h.cusp_count == 12 ? 12 : 0;
  for (int k = 0; k < n; k++) {
    int sign = (int)(noc_norm360(h.cusps[k] - r->ayanamsa) / 30.0) % 12;
    c->ruler_houses[sign_ruler[sign]] |= 1u << k;
  }
  for (int b = 0; b < N_PLANETS && st == NOC_OK; b++) {
    double speed = 0.0;
    st = noc_body_longitude(r->ctx, jd, (noc_body)b, &r->trop, &c->planet[b], &speed, err);
  }
  return st;
}

/* ---- Scoring
 * ------------------------------------------------------------------------------------- */

typedef struct tally {
  double score;
  bool keep; /* collect the contacts (the final pass over a peak) */
  int n;
  noc_rect_contact top[NOC_RECT_MAX_CONTACTS];
} tally;

static void keep_contact(tally *t, const noc_rect_contact *c) {
  int n = t->n < NOC_RECT_MAX_CONTACTS ? t->n : NOC_RECT_MAX_CONTACTS - 1;
  if (t->n == NOC_RECT_MAX_CONTACTS && t->top[n].score >= c->score) return;
  while (n > 0 && t->top[n - 1].score < c->score) {
    t->top[n] = t->top[n - 1];
    n--;
  }
  t->top[n] = *c;
  if (t->n < NOC_RECT_MAX_CONTACTS) t->n++;
}

static const noc_aspect_type aspects[] = {NOC_ASP_CONJUNCTION, NOC_ASP_OPPOSITION, NOC_ASP_SQUARE,
                                          NOC_ASP_TRINE, NOC_ASP_SEXTILE};

/* Scores the closest major aspect between a moving and a natal point, if within max_orb. */
static void contact(tally *t, int event, noc_rect_technique tech, int moving, double lon_m,
                    int target, double lon_t, double max_orb, double weight) {
  double sep = fabs(noc_angle_diff(lon_m, lon_t));
  for (size_t i = 0; i < sizeof aspects / sizeof aspects[0]; i++) {
    const noc_aspect_def *d = noc_aspect_def_get(aspects[i]);
    double orb = fabs(sep - d->angle);
    if (orb >= max_orb) continue;
    double closeness = 1.0 - orb / max_orb;
    double s = weight * (d->angle == 120.0 || d->angle == 60.0 ? 0.5 : 1.0) * closeness * closeness;
    t->score += s;
    if (t->keep) {
      noc_rect_contact c = {event, tech, moving, target, aspects[i], orb, s};
      keep_contact(t, &c);
    }
    return;
  }
}

static double transit_weight(int b) {
  static const double w[N_PLANETS] = {0, 0, 0, 0, 1.0, 1.5, 2.5, 3.0, 2.5, 3.0};
  return w[b];
}

static double natal_weight(int b) {
  return b <= NOC_MOON ? 1.5 : (b <= NOC_MARS ? 1.2 : 1.0);
}

static double relevance(unsigned event_houses, unsigned point_houses) {
  return (event_houses & point_houses) ? 1.5 : 1.0;
}

static unsigned axis_houses(int axis) {
  return H(angle_house[axis]) | H(angle_house[axis + 2]);
}

/* The end of the axis a contact is reported against: the ASC or MC, or the DESC or IC when the
 * point opposes the ASC or MC within the orb (then it is conjunct the other end). */
static int axis_end(int axis, double lon_point, double lon_angle, double max_orb) {
  return fabs(noc_angle_diff(lon_point, lon_angle)) > 180.0 - max_orb ? axis + 2 : axis;
}

/* A moving point to the natal angles: one contact per axis. */
static void point_to_axes(tally *t, int e, noc_rect_technique tech, int moving, double lon,
                          const double angle[N_ANGLES], double max_orb, double weight,
                          unsigned event_houses, unsigned point_houses) {
  for (int a = 0; a < N_AXES; a++) {
    int end = axis_end(a, lon, angle[a], max_orb);
    contact(t, e, tech, moving, lon, angle_bodies[end], angle[end], max_orb,
            weight * relevance(event_houses, axis_houses(a) | point_houses));
  }
}

static void score_transits(const rect_ctx *r, const chart *c, int e, tally *t) {
  const event_pre *p = &r->pre[e];
  unsigned houses = r->in->events[e].houses;
  double w = r->in->events[e].weight;
  for (int b = NOC_MARS; b <= NOC_PLUTO; b++) {
    double orb = b == NOC_MARS ? 1.0 : 1.5;
    point_to_axes(t, e, NOC_RECT_TRANSIT, b, p->transit[b], c->angle, orb, w * transit_weight(b),
                  houses, 0u);
    for (int k = 0; k < N_PLANETS; k++)
      if (c->ruler_houses[k] & houses)
        contact(t, e, NOC_RECT_TRANSIT, b, p->transit[b], k, c->planet[k], orb,
                0.5 * w * transit_weight(b));
  }
}

/* Moved angles (progressed, directed) to the natal planets: one contact per axis and planet. */
static void moved_angles(const chart *c, const double moved[N_ANGLES], int e, unsigned houses,
                         double w, noc_rect_technique tech, tally *t) {
  for (int a = 0; a < N_AXES; a++)
    for (int k = 0; k < N_PLANETS; k++) {
      int end = axis_end(a, c->planet[k], moved[a], 1.0);
      contact(t, e, tech, angle_bodies[end], moved[end], k, c->planet[k], 1.0,
              w * 1.5 * natal_weight(k) * relevance(houses, axis_houses(a) | c->ruler_houses[k]));
    }
}

static void score_progressions(const rect_ctx *r, const chart *c, int e, tally *t) {
  const event_pre *p = &r->pre[e];
  unsigned houses = r->in->events[e].houses;
  double w = r->in->events[e].weight;
  double moved[N_ANGLES];
  angles_from_armc(r, c->armc + p->arc_ra, moved);
  moved_angles(c, moved, e, houses, w, NOC_RECT_PROGRESSION, t);
  static const noc_body movers[] = {NOC_SUN, NOC_MOON, NOC_VENUS, NOC_MARS};
  for (size_t i = 0; i < sizeof movers / sizeof movers[0]; i++) {
    int b = movers[i];
    point_to_axes(t, e, NOC_RECT_PROGRESSION, b, p->progressed[b], c->angle,
                  b == NOC_MOON ? 0.5 : 1.0, w * 1.5 * natal_weight(b), houses, 0u);
  }
}

static void score_solar_arc(const rect_ctx *r, const chart *c, int e, tally *t) {
  const event_pre *p = &r->pre[e];
  unsigned houses = r->in->events[e].houses;
  double w = r->in->events[e].weight;
  double moved[N_ANGLES];
  for (int a = 0; a < N_ANGLES; a++)
    moved[a] = noc_norm360(c->angle[a] + p->arc);
  moved_angles(c, moved, e, houses, w, NOC_RECT_SOLAR_ARC, t);
  for (int k = 0; k < N_PLANETS; k++)
    point_to_axes(t, e, NOC_RECT_SOLAR_ARC, k, noc_norm360(c->planet[k] + p->arc), c->angle, 1.0,
                  w * 1.5 * natal_weight(k), houses, c->ruler_houses[k]);
}

static void score_primary(const rect_ctx *r, const chart *c, int e, tally *t) {
  const event_pre *p = &r->pre[e];
  double moved[N_ANGLES];
  angles_from_armc(r, c->armc + p->age_years * NAIBOD_DEG_PER_YEAR, moved);
  moved_angles(c, moved, e, r->in->events[e].houses, r->in->events[e].weight, NOC_RECT_PRIMARY, t);
}

static noc_status score_at(rect_ctx *r, double jd, tally *t, chart *c, noc_error *err) {
  noc_status st = chart_at(r, jd, c, err);
  if (st != NOC_OK) return st;
  t->score = 0.0;
  t->n = 0;
  const bool *on = r->in->techniques;
  for (int e = 0; e < r->in->nevents; e++) {
    if (on[NOC_RECT_TRANSIT]) score_transits(r, c, e, t);
    if (on[NOC_RECT_PROGRESSION]) score_progressions(r, c, e, t);
    if (on[NOC_RECT_SOLAR_ARC]) score_solar_arc(r, c, e, t);
    if (on[NOC_RECT_PRIMARY]) score_primary(r, c, e, t);
  }
  return NOC_OK;
}

/* ---- Peaks
 * ------------------------------------------------------------------------------------------ */

typedef struct sample {
  double jd, score;
} sample;

static int cmp_score_desc(const void *x, const void *y) {
  const sample *a = x, *b = y;
  if (a->score != b->score) return a->score < b->score ? 1 : -1;
  return (a->jd > b->jd) - (a->jd < b->jd);
}

static int cmp_candidate(const void *x, const void *y) {
  const noc_rect_candidate *a = x, *b = y;
  if (a->score != b->score) return a->score < b->score ? 1 : -1;
  return (a->jd_ut > b->jd_ut) - (a->jd_ut < b->jd_ut);
}

static noc_status validate(const noc_rect_input *in, noc_error *err) {
  if (!(in->window_minutes > 0.0 && in->window_minutes <= 720.0))
    return noc_fail(err, NOC_ERR_VALIDATION, "time_range_minutes", "must be in (0, 720]");
  if (!(in->step_minutes >= 0.25 && in->step_minutes <= 30.0))
    return noc_fail(err, NOC_ERR_VALIDATION, "step_minutes", "must be between 0.25 and 30");
  if (2.0 * in->window_minutes / in->step_minutes + 1.0 > NOC_RECT_MAX_SAMPLES)
    return noc_fail(err, NOC_ERR_VALIDATION, "step_minutes",
                    "too fine for the window: at most %d candidate times", NOC_RECT_MAX_SAMPLES);
  if (in->nevents < 1 || in->nevents > NOC_RECT_MAX_EVENTS)
    return noc_fail(err, NOC_ERR_VALIDATION, "events", "must list 1 to %d dated events",
                    NOC_RECT_MAX_EVENTS);
  if (in->max_candidates < 1 || in->max_candidates > NOC_RECT_MAX_CANDIDATES)
    return noc_fail(err, NOC_ERR_VALIDATION, "candidates", "must be 1 to %d",
                    NOC_RECT_MAX_CANDIDATES);
  bool any = false;
  for (int i = 0; i < NOC_RECT_TECHNIQUE_COUNT; i++)
    any = any || in->techniques[i];
  if (!any)
    return noc_fail(err, NOC_ERR_VALIDATION, "techniques", "must name at least one technique");
  if (in->system == NULL || in->system->cusp_count != 12)
    return noc_fail(err, NOC_ERR_VALIDATION, "house_system", "must be a 12-house system");
  return NOC_OK;
}

/* The best time near a peak on a quarter-step grid, and its contacts. */
static noc_status refine_peak(rect_ctx *r, double jd, noc_rect_candidate *out, noc_error *err) {
  double step = r->in->step_minutes / 1440.0;
  tally t = {0};
  chart c;
  double best_jd = jd, best = -1.0;
  for (int k = -3; k <= 3; k++) {
    double x = jd + k * step / 4.0;
    noc_status st = score_at(r, x, &t, &c, err);
    if (st != NOC_OK) return st;
    if (t.score > best) {
      best = t.score;
      best_jd = x;
    }
  }
  t.keep = true;
  noc_status st = score_at(r, best_jd, &t, &c, err);
  if (st != NOC_OK) return st;
  out->jd_ut = best_jd;
  out->score = t.score;
  out->asc = c.angle[0];
  out->mc = c.angle[1];
  out->ncontacts = t.n;
  memcpy(out->contacts, t.top, sizeof t.top[0] * (size_t)t.n);
  return NOC_OK;
}

/* Scores add over events, and so does their noise: the temperature grows like the square root of
 * the number of events (2 score units for one). */
static void confidences(const sample *s, int n, double sep, int nevents, noc_rect_result *out) {
  double tau = 2.0 * sqrt((double)nevents);
  double top = -INFINITY, total = 0.0;
  for (int i = 0; i < n; i++)
    top = fmax(top, s[i].score);
  for (int i = 0; i < n; i++)
    total += exp((s[i].score - top) / tau);
  for (int k = 0; k < out->ncandidates; k++) {
    noc_rect_candidate *c = &out->candidates[k];
    double mass = 0.0;
    for (int i = 0; i < n; i++)
      if (fabs(s[i].jd - c->jd_ut) <= 0.5 * sep) mass += exp((s[i].score - top) / tau);
    c->confidence = total > 0.0 ? mass / total : 0.0;
  }
}

noc_status noc_rectify(noc_ctx *ctx, const noc_rect_input *in, noc_rect_result *out,
                       noc_error *err) {
  memset(out, 0, sizeof *out);
  noc_status st = validate(in, err);
  if (st != NOC_OK) return st;
  rect_ctx *r = calloc(1, sizeof *r);
  int n = (int)floor(2.0 * in->window_minutes / in->step_minutes + 1e-9) + 1;
  sample *s = calloc((size_t)n, sizeof *s);
  sample *order = calloc((size_t)n, sizeof *order);
  if (r == NULL || s == NULL || order == NULL) {
    st = noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
    goto done;
  }
  r->ctx = ctx;
  r->in = in;
  r->trop = in->opt;
  r->trop.zodiac = NOC_TROPICAL;
  if ((st = noc_ayanamsa_value(ctx, &in->birth, &in->opt, &r->ayanamsa, err)) != NOC_OK ||
      (st = noc_true_obliquity(ctx, &in->birth, &r->eps, err)) != NOC_OK ||
      (st = prepare_events(r, err)) != NOC_OK)
    goto done;
  double step = in->step_minutes / 1440.0;
  double first = in->birth.jd_ut - in->window_minutes / 1440.0;
  for (int i = 0; i < n && st == NOC_OK; i++) {
    tally t = {0};
    chart c;
    s[i].jd = first + i * step;
    st = score_at(r, s[i].jd, &t, &c, err);
    s[i].score = t.score;
  }
  if (st != NOC_OK) goto done;
  out->samples = n;
  memcpy(order, s, sizeof *s * (size_t)n);
  qsort(order, (size_t)n, sizeof *order, cmp_score_desc);
  double sep = fmax(6.0, 3.0 * in->step_minutes) / 1440.0;
  for (int i = 0; i < n && out->ncandidates < in->max_candidates && st == NOC_OK; i++) {
    bool near = false;
    for (int k = 0; k < out->ncandidates && !near; k++)
      near = fabs(order[i].jd - out->candidates[k].jd_ut) < sep;
    if (!near) st = refine_peak(r, order[i].jd, &out->candidates[out->ncandidates++], err);
  }
  if (st == NOC_OK) {
    qsort(out->candidates, (size_t)out->ncandidates, sizeof out->candidates[0], cmp_candidate);
    confidences(s, n, sep, in->nevents, out);
  }
done:
  free(order);
  free(s);
  free(r);
  return st;
}
