/* Endpoints: special points, stars, parts, dignities, harmonics and the like (issue 6). */
#include "api/api_internal.h"

const noc_endpoint noc_endpoints_points[] = {
    {NULL, NULL, NULL, NULL, NULL},
};
