/* What the core's two ways of computing houses share (not public). */
#ifndef NOC_CORE_HOUSES_INTERNAL_H
#define NOC_CORE_HOUSES_INTERNAL_H

#include "nocturna/houses.h"

/* Fills out from Swiss Ephemeris' answer `ret`, cusps[1..] and ascmc, each longitude less
 * `shift` (the ayanamsa, or 0). Where the system is undefined (ret < 0, inside the polar
 * circles) Swiss Ephemeris has answered Porphyry: a strict request fails on house_system,
 * any other is marked as fallen back. */
noc_status noc_houses_fill(int ret, const noc_house_system *system, bool strict, double latitude,
                           const double *cusps, const double *ascmc, double shift, noc_houses *out,
                           noc_error *err);

#endif
