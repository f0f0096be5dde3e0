/* Birth-time rectification: candidate birth times in a window around an approximate one are
 * scored by how well timed contacts to their angles (and to the rulers of the houses a life
 * event concerns) coincide with dated life events.
 *
 * Method (documented in full in src/core/rectify.c):
 *  - candidates every step across +-window of the approximate time; each gets its own houses,
 *    natal planets and angles (ASC, MC, DESC, IC);
 *  - for each event date four techniques look for contacts within a small orb, by the five
 *    major aspects: transits of Mars..Pluto to the angles (and to the relevant rulers),
 *    secondary progressions (progressed angles by the solar arc in right ascension, progressed
 *    Sun, Moon, Venus and Mars to the angles), solar-arc directions (angles and planets moved by
 *    the arc), and primary directions of the angles (RAMC + age x Naibod's key);
 *  - a contact scores technique x planet x aspect x relevance x (1 - orb/max orb)^2, where
 *    relevance is higher when the angle or ruler belongs to the houses the event type concerns
 *    (marriage: 7th; career: 10th; relocation: 4th; ...);
 *  - a contact to an axis (ASC-DESC, MC-IC) counts once: it is reported against the ASC or MC,
 *    except an opposition, which is the conjunction with the DESC or IC; its relevance takes the
 *    houses of both ends of the axis;
 *  - the ranked times are the separated peaks of the score over the window, refined to a
 *    quarter step; a peak's confidence is the share of exp(score / tau), tau = 2 sqrt(events),
 *    that falls within its basin: a relative measure across the window, not an absolute
 *    probability. */
#ifndef NOCTURNA_RECTIFY_H
#define NOCTURNA_RECTIFY_H

#include <stdbool.h>

#include "nocturna/aspects.h"
#include "nocturna/houses.h"

enum {
  NOC_RECT_MAX_EVENTS = 50,
  NOC_RECT_MAX_CANDIDATES = 20,
  NOC_RECT_MAX_CONTACTS = 12,
  NOC_RECT_MAX_SAMPLES = 4001
};

typedef enum noc_rect_technique {
  NOC_RECT_TRANSIT = 0,
  NOC_RECT_PROGRESSION,
  NOC_RECT_SOLAR_ARC,
  NOC_RECT_PRIMARY,
  NOC_RECT_TECHNIQUE_COUNT
} noc_rect_technique;

/* "transits", "progressions", "solar_arc", "primary_directions" (the request's names). */
const char *noc_rect_technique_name(noc_rect_technique t);
bool noc_rect_technique_from_name(const char *name, noc_rect_technique *out);

/* Houses (bit h-1 for house h) that a life event type concerns; false for an unknown type. */
bool noc_rect_event_houses(const char *type, unsigned *houses);

typedef struct noc_rect_event {
  double jd_ut;    /* the event, UT; the endpoint reads a bare date at noon (or at its "time")
                      in the birth chart's UTC offset */
  unsigned houses; /* noc_rect_event_houses() */
  double weight;   /* 0..5, default 1 */
} noc_rect_event;

typedef struct noc_rect_input {
  noc_time birth; /* the approximate time: the centre of the window */
  double latitude, longitude;
  const noc_house_system *system;
  noc_calc_options opt;
  double window_minutes; /* candidates in birth +- window */
  double step_minutes;
  bool techniques[NOC_RECT_TECHNIQUE_COUNT];
  noc_rect_event events[NOC_RECT_MAX_EVENTS];
  int nevents;
  int max_candidates; /* 1..NOC_RECT_MAX_CANDIDATES */
} noc_rect_input;

typedef struct noc_rect_contact {
  int event; /* index into the input's events */
  noc_rect_technique technique;
  int moving; /* noc_body: the transiting, progressed or directed point */
  int target; /* noc_body: the natal point (an angle or a planet) */
  noc_aspect_type aspect;
  double orb; /* degrees */
  double score;
} noc_rect_contact;

typedef struct noc_rect_candidate {
  double jd_ut;
  double score;
  double confidence; /* 0..1, see the method */
  double asc, mc;    /* the candidate's angles */
  int ncontacts;
  noc_rect_contact contacts[NOC_RECT_MAX_CONTACTS]; /* the strongest first */
} noc_rect_candidate;

typedef struct noc_rect_result {
  int samples; /* candidate times scored */
  int ncandidates;
  noc_rect_candidate candidates[NOC_RECT_MAX_CANDIDATES];
} noc_rect_result;

void noc_rect_input_default(noc_rect_input *in);

noc_status noc_rectify(noc_ctx *ctx, const noc_rect_input *in, noc_rect_result *out,
                       noc_error *err);

#endif
