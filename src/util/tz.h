/* Our own reader of TZif files (RFC 8536, v1-v4) over /usr/share/zoneinfo.
 * Thread-safe: zones are immutable once loaded; the database caches them under a mutex.
 * Never touches the TZ environment variable. */
#ifndef NOC_UTIL_TZ_H
#define NOC_UTIL_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "nocturna/api.h"
#include "nocturna/error.h"

typedef struct noc_tz noc_tz; /* immutable loaded zone, owned by the noc_tzdb */

enum { NOC_TZ_ABBR_MAX = 16, NOC_TZ_NAME_MAX = 64 };

typedef struct noc_tz_info {
  int32_t utoff; /* seconds east of UTC */
  bool is_dst;
  char abbr[NOC_TZ_ABBR_MAX]; /* "EST", "LMT", "+0530" */
} noc_tz_info;

/* Result of resolving a local wall-clock time. */
typedef struct noc_tz_local {
  int count;      /* 1 normal, 2 fold (ambiguous), 0 gap (nonexistent) */
  int64_t utc[2]; /* candidate UTC unix seconds, earlier first */
  noc_tz_info info[2];
  noc_tz_info before, after; /* for a gap: the offsets in force before and after it */
} noc_tz_local;

/* Finds (loading on first use) a zone by IANA name. Rejects names that are not plain
 * relative paths of [A-Za-z0-9_+-] segments ("../etc/passwd" fails). NULL + err on failure,
 * field "timezone". */
const noc_tz *noc_tzdb_get(noc_tzdb *db, const char *name, noc_error *err);

const char *noc_tz_name(const noc_tz *tz);

/* Offset in force at a UTC instant (any int64 seconds: before the first transition the
 * zone's first type (LMT) applies; after the last, the POSIX footer rule). */
void noc_tz_at_utc(const noc_tz *tz, int64_t utc, noc_tz_info *out);

/* Resolves local wall-clock seconds (a civil date-time counted as if it were UTC). */
void noc_tz_local_to_utc(const noc_tz *tz, int64_t local, noc_tz_local *out);

#endif
