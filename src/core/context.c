/* Per-thread calculation context over Swiss Ephemeris' thread-local state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <swephexp.h>

#include "core/context_internal.h"
#include "nocturna/context.h"

static const char default_ephe_path[] = "/usr/share/libswe/ephe";

/* The planetary and lunar files must really be read: a Moshier fallback is an error. */
static noc_status ctx_check_files(noc_error *err) {
  static const int probe[] = {SE_SUN, SE_MOON};
  for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
    double xx[6];
    char serr[AS_MAXCH] = "";
    int32 ret = swe_calc_ut(2451545.0, probe[i], SEFLG_SWIEPH | SEFLG_SPEED, xx, serr);
    if (ret < 0 || (ret & SEFLG_SWIEPH) == 0)
      return noc_fail(err, NOC_ERR_EPHEMERIS, "",
                      "Swiss Ephemeris files are not readable in the configured ephemeris path");
  }
  return NOC_OK;
}

noc_status noc_ctx_open(noc_ctx **out, const char *ephe_path, noc_error *err) {
  *out = NULL;
  if (ephe_path == NULL || ephe_path[0] == '\0') ephe_path = default_ephe_path;
  noc_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  int n = snprintf(ctx->ephe_path, sizeof ctx->ephe_path, "%s", ephe_path);
  if (n < 0 || (size_t)n >= sizeof ctx->ephe_path) {
    free(ctx);
    return noc_fail(err, NOC_ERR_VALIDATION, "ephe_path", "ephemeris path is too long");
  }
  ctx->owner = pthread_self();
  ctx->sid_mode = -1;
  noc_ephe_streams_bind(ctx);
  /* An explicit path: the compiled default starts with ".", where a stray file would win. */
  swe_set_ephe_path(ctx->ephe_path);
  char version[AS_MAXCH];
  swe_version(version);
  snprintf(ctx->swe_version, sizeof ctx->swe_version, "%s", version);
  noc_status st = ctx_check_files(err);
  if (st != NOC_OK) {
    swe_close();
    noc_ephe_streams_release(ctx);
    free(ctx);
    return st;
  }
  *out = ctx;
  return NOC_OK;
}

void noc_ctx_close(noc_ctx *ctx) {
  if (ctx == NULL) return;
  swe_close(); /* closes this thread's ephemeris files */
  noc_ephe_streams_release(ctx);
  free(ctx);
}

const char *noc_ctx_ephe_path(const noc_ctx *ctx) {
  return ctx->ephe_path;
}
const char *noc_swe_version(const noc_ctx *ctx) {
  return ctx->swe_version;
}
const char *noc_version(void) {
  return NOC_VERSION;
}

int noc_ctx_prepare_flags(noc_ctx *ctx, const noc_calc_options *opt, bool sidereal) {
  int flags = SEFLG_SPEED;
  flags |= opt->ephemeris == NOC_EPHE_MOSHIER ? SEFLG_MOSEPH : SEFLG_SWIEPH;
  if (opt->true_positions) flags |= SEFLG_TRUEPOS;
  if (opt->center == NOC_HELIOCENTRIC) flags |= SEFLG_HELCTR;
  if (opt->center == NOC_TOPOCENTRIC) {
    flags |= SEFLG_TOPOCTR;
    if (!ctx->topo_set || ctx->topo_lon != opt->longitude || ctx->topo_lat != opt->latitude ||
        ctx->topo_alt != opt->altitude_m) {
      swe_set_topo(opt->longitude, opt->latitude, opt->altitude_m);
      ctx->topo_set = true;
      ctx->topo_lon = opt->longitude;
      ctx->topo_lat = opt->latitude;
      ctx->topo_alt = opt->altitude_m;
    }
  }
  if (sidereal && opt->zodiac == NOC_SIDEREAL) {
    flags |= SEFLG_SIDEREAL;
    double t0 = opt->ayanamsa == NOC_AYANAMSA_USER ? opt->user_t0_jd_tt : 0;
    double a0 = opt->ayanamsa == NOC_AYANAMSA_USER ? opt->user_ayan_t0 : 0;
    if (ctx->sid_mode != opt->ayanamsa || ctx->sid_t0 != t0 || ctx->sid_ayan_t0 != a0) {
      swe_set_sid_mode(opt->ayanamsa, t0, a0);
      ctx->sid_mode = opt->ayanamsa;
      ctx->sid_t0 = t0;
      ctx->sid_ayan_t0 = a0;
    }
  }
  return flags;
}
