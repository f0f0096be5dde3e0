/* metrics.h - Prometheus text exposition (format 0.0.4) from C11 atomic counters.
 *
 * All label sets are fixed at start-up (routes from the endpoint table, a list of methods,
 * status codes and error codes), so recording is a relaxed atomic add into a preallocated
 * array: no locks and no allocation on the request path.
 */
#ifndef NOC_HTTP_METRICS_H
#define NOC_HTTP_METRICS_H

#include <stdint.h>

#include "nocturna/buf.h"

typedef struct noc_metrics noc_metrics;

/* NULL on allocation failure. start_unix_ms: the process start for
 * nocturna_process_start_time_seconds. */
noc_metrics *noc_metrics_new(int64_t start_unix_ms);
void noc_metrics_free(noc_metrics *m);

/* One finished request. status 0 = no response was sent (client gone, cut off). */
void noc_metrics_request(noc_metrics *m, int route, const char *method, int status,
                         int64_t duration_ns);
/* One run of an endpoint of the table (route id of that endpoint) and the CPU time the
 * worker thread spent in it (JSON in, calculation, JSON out). */
void noc_metrics_calculation(noc_metrics *m, int route, int64_t cpu_ns);
/* One error response by its code ("VALIDATION_ERROR", ...). */
void noc_metrics_error(noc_metrics *m, const char *code);
void noc_metrics_rate_limited(noc_metrics *m);
/* A connection closed by the server because it was too slow to send its request. */
void noc_metrics_connection_cut(noc_metrics *m);
/* Gauges: deltas of +1 / -1. */
void noc_metrics_inflight_add(noc_metrics *m, int delta);
void noc_metrics_connections_add(noc_metrics *m, int delta);
int64_t noc_metrics_inflight(const noc_metrics *m);

/* Appends the whole exposition to out. build_info: labels body for nocturna_build_info,
 * e.g. version="0.1.0",swiss_ephemeris="2.10.03" (trusted). */
void noc_metrics_render(const noc_metrics *m, const char *build_info, noc_buf *out);

#endif
