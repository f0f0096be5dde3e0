/* libnocturna: astrological calculations over Swiss Ephemeris.
 * Pure calculation: no I/O besides the ephemeris files, no process globals, thread-safe with
 * one noc_ctx per thread. Every function returns a noc_status and fills a noc_error. */
#ifndef NOCTURNA_NOCTURNA_H
#define NOCTURNA_NOCTURNA_H

#include "nocturna/error.h"
#include "nocturna/context.h"
#include "nocturna/time.h"
#include "nocturna/zodiac.h"
#include "nocturna/bodies.h"
#include "nocturna/houses.h"
#include "nocturna/aspects.h"
#include "nocturna/points.h"
#include "nocturna/techniques.h"
#include "nocturna/events.h"
#include "nocturna/rectify.h"
#include "nocturna/api.h"

#endif
