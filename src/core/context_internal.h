/* The calculation context's fields, shared by the core's files (not public). */
#ifndef NOC_CORE_CONTEXT_INTERNAL_H
#define NOC_CORE_CONTEXT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "nocturna/bodies.h"
#include "nocturna/context.h"

enum { NOC_PATH_MAX = 512, NOC_EPHE_MAPS_MAX = 16 };

/* A read-only mapping of one ephemeris file (ephe_stream.c). */
typedef struct {
  char path[NOC_PATH_MAX];
  const unsigned char *base; /* owned: munmap in noc_ephe_streams_release */
  size_t len;
} noc_ephe_map;

struct noc_ctx {
  char ephe_path[NOC_PATH_MAX];
  char swe_version[64];
  pthread_t owner; /* Swiss Ephemeris state is thread-local: only the owner may use it */
  /* What was last handed to Swiss Ephemeris' per-thread setters, to call them only on change. */
  int sid_mode; /* -1: never set */
  double sid_t0, sid_ayan_t0;
  bool topo_set;
  double eps_jd_tt, eps_deg; /* the last true obliquity computed, reused for the same instant */
  double topo_lon, topo_lat, topo_alt;
  /* The .se1 files Swiss Ephemeris opened on this thread, read from memory (ephe_stream.c).
   * Past NOC_EPHE_MAPS_MAX files, Swiss Ephemeris reads the others with plain stdio. */
  noc_ephe_map maps[NOC_EPHE_MAPS_MAX];
  size_t map_count;
};

/* Swiss Ephemeris flags for the options, setting the thread's sidereal mode and observer. */
int noc_ctx_prepare_flags(noc_ctx *ctx, const noc_calc_options *opt, bool sidereal);

/* Makes ctx the calling thread's context: the .se1 files Swiss Ephemeris opens from now on are
 * read from the context's mappings. */
void noc_ephe_streams_bind(noc_ctx *ctx);
/* Unbinds ctx and unmaps its files. Only after swe_close, which closes the streams over them. */
void noc_ephe_streams_release(noc_ctx *ctx);

#endif
