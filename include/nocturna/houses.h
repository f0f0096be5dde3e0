/* House systems and chart angles. */
#ifndef NOCTURNA_HOUSES_H
#define NOCTURNA_HOUSES_H

#include <stdbool.h>

#include "nocturna/bodies.h"

enum { NOC_MAX_CUSPS = 36 };

typedef struct noc_house_system {
  char letter;      /* Swiss Ephemeris' letter */
  const char *name; /* canonical API name, "PLACIDUS" */
  int cusp_count;   /* 12, or 36 for Gauquelin sectors */
} noc_house_system;

/* Accepts the name (case-insensitive, '-' or ' ' as '_') or the single letter. */
const noc_house_system *noc_house_system_find(const char *name_or_letter);
const noc_house_system *noc_house_system_by_letter(char letter);
const noc_house_system *noc_house_system_at(int index); /* NULL past the end */

typedef struct noc_houses {
  const noc_house_system *requested;
  const noc_house_system *used; /* differs from requested after a polar fallback */
  bool fell_back;
  int cusp_count;
  double cusps[NOC_MAX_CUSPS]; /* cusps[0] is house 1 */
  double asc, mc, armc, vertex, equatorial_asc, co_asc_koch, co_asc_munkasey, polar_asc;
} noc_houses;

/* Houses for a place. latitude -90..90, longitude -180..180 (east positive).
 * Uses the zodiac and ayanamsa of opt. When the system is undefined at that latitude,
 * Swiss Ephemeris' Porphyry fallback is reported in used/fell_back; with strict set it is
 * an NOC_ERR_VALIDATION on field "house_system" instead. */
noc_status noc_houses_calc(noc_ctx *ctx, const noc_time *t, double latitude, double longitude,
                           const noc_house_system *system, const noc_calc_options *opt, bool strict,
                           noc_houses *out, noc_error *err);

/* Longitude of a chart angle: ASC, MC, DESC, IC or VERTEX (the caller passes one of them;
 * noc_body_is_angle tells). */
double noc_houses_angle(const noc_houses *h, noc_body angle);

/* House number (1-based) of an ecliptic longitude, by the cusps (ecliptic convention). */
int noc_house_of(const noc_houses *h, double longitude);

#endif
