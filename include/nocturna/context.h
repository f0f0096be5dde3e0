/* A calculation context: one per thread.
 * Swiss Ephemeris keeps its state (open files, sidereal mode, observer) in thread-local storage,
 * so a context is bound to the thread that opened it and must be closed on that same thread
 * (closing releases that thread's ephemeris file descriptors). */
#ifndef NOCTURNA_CONTEXT_H
#define NOCTURNA_CONTEXT_H

#include "nocturna/error.h"

typedef struct noc_ctx noc_ctx;

/* ephe_path: directory of the .se1 files; NULL means /usr/share/libswe/ephe.
 * Fails with NOC_ERR_EPHEMERIS when the planetary and lunar files cannot be read. */
noc_status noc_ctx_open(noc_ctx **out, const char *ephe_path, noc_error *err);
void noc_ctx_close(noc_ctx *ctx);

const char *noc_ctx_ephe_path(const noc_ctx *ctx);
/* "2.10.03-deb1" etc. */
const char *noc_swe_version(const noc_ctx *ctx);
const char *noc_version(void);

#endif
