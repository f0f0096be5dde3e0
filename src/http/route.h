/* route.h - which handler answers a path, and which methods it allows.
 *
 * Route ids: the fixed service routes below, then one id per entry of the endpoint table
 * (NOC_ROUTE_ENDPOINTS + index), then one per identity route (http/identity.h; the ids after
 * the endpoint table). Calculation endpoints answer under both /api/v1/<path> and
 * /api/<path>; they share one id (and one metrics label, "/api/v1/<path>"). So do the identity
 * routes under /api/v1/auth/ and /api/auth/.
 */
#ifndef NOC_HTTP_ROUTE_H
#define NOC_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "nocturna/api.h"
#include "nocturna/buf.h"

enum {
  NOC_ROUTE_UNMATCHED = 0, /* 404 */
  NOC_ROUTE_ROOT,          /* GET /               */
  NOC_ROUTE_API_INDEX,     /* GET /api, /api/v1   */
  NOC_ROUTE_HEALTH,        /* GET /health, /api/health, /api/v1/health */
  NOC_ROUTE_READY,         /* GET /ready          */
  NOC_ROUTE_METRICS,       /* GET /metrics        */
  NOC_ROUTE_OPENAPI,       /* GET /openapi.json   */
  NOC_ROUTE_DOCS,          /* GET /docs, /docs/<asset> (http/docs_routes.h) */
  NOC_ROUTE_ENDPOINTS      /* first endpoint-table route */
};

typedef struct noc_route {
  int id;
  const noc_endpoint *ep; /* the table entry for this path and method; for a path known under
                             another method only, the first entry of that path (405) */
  bool method_ok;         /* the method is served here (OPTIONS always is for known paths) */
  char allow[64];         /* the Allow header value for this path, "" when unmatched */
  int identity;           /* identity route index (http/identity.h), -1 when not one */
  char identity_arg[64];  /* its {id} path parameter, "" when none */
  char docs_asset[64];    /* NOC_ROUTE_DOCS: the file after /docs/, "" for the page itself */
} noc_route;

/* url: the decoded path without query string. method: the request method. */
void noc_route_resolve(const char *url, const char *method, noc_route *out);

/* Number of route ids (service routes + endpoint table). */
int noc_route_count(void);
/* Appends the metrics label of a route id ("/health", "/api/v1/calculations/houses"). */
void noc_route_write_label(int id, noc_buf *out);
/* The endpoint of a route id, or NULL for service and identity routes. */
const noc_endpoint *noc_route_endpoint(int id);
/* The identity route index of a route id, or -1. */
int noc_route_identity(int id);

#endif
