/* Endpoints: synastry, composite, transits, progressions, directions, returns (issue 6). */
#include "api/api_internal.h"

const noc_endpoint noc_endpoints_techniques[] = {
    {NULL, NULL, NULL, NULL, NULL},
};
