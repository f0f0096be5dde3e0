/* docs_routes.h - GET /openapi.json and GET /docs (Swagger UI). Public routes.
 *
 * /openapi.json answers docs/openapi.json as it was when the binary was built (cmake/embed.cmake
 * turns it into noc_openapi_json), so the answer never depends on the working directory.
 * /docs answers a Swagger UI page whose initializer points at /openapi.json; /docs/<file> answers
 * the assets of the npm package swagger-ui-dist from NOCTURNA_SWAGGER_DIR, else the directory
 * compiled in as NOC_SWAGGER_DIR (<source>/node_modules/swagger-ui-dist, installed by
 * scripts/install-deps.sh). Without the package, /docs is a 404 that says so.
 */
#ifndef NOC_HTTP_DOCS_ROUTES_H
#define NOC_HTTP_DOCS_ROUTES_H

#include <stddef.h>

#include "http/http_internal.h"

/* Generated at build time from docs/openapi.json (NUL-terminated; len excludes the NUL). */
extern const unsigned char noc_openapi_json[];
extern const size_t noc_openapi_json_len;

enum MHD_Result noc_docs_answer_openapi(noc_http_req *r, struct MHD_Connection *c);
/* r->route.docs_asset: "" for the page itself, else the asset's file name. */
enum MHD_Result noc_docs_answer_ui(noc_http_req *r, struct MHD_Connection *c);

#endif
