/* What the core's position calculations share (not public). */
#ifndef NOC_CORE_BODIES_INTERNAL_H
#define NOC_CORE_BODIES_INTERNAL_H

#include "nocturna/bodies.h"

/* A position from Swiss Ephemeris' ecliptic answer ecl (in the requested zodiac) and its tropical
 * twin trop (the same array when tropical): the equatorial coordinates are one rotation of the
 * tropical ecliptic of date by the true obliquity, which is what SEFLG_EQUATORIAL gives, at a
 * fraction of a second call. */
noc_status noc_position_from_ecliptic(noc_ctx *ctx, const noc_time *t, const double ecl[6],
                                      const double trop[6], noc_position *out, noc_error *err);

#endif
