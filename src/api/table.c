/* The one table of endpoints, served by HTTP, `nocturna calc` and the tests alike. */
#include <string.h>

#include "api/api_internal.h"

static const noc_endpoint endpoints[] = {
    {"calculations/planetary-positions", "POST", "calculations",
     "Positions of bodies (and angles with a location)", noc_ep_planetary_positions},
    {"calculations/houses", "POST", "calculations", "House cusps and angles", noc_ep_houses},
    {"calculations/aspects", "POST", "calculations",
     "Aspects with orbs, applying/separating and exact times", noc_ep_aspects},
    {"stateless/natal-chart", "POST", "calculations", "Positions, houses and aspects together",
     noc_ep_natal_chart},
};
enum { ENDPOINT_COUNT = sizeof endpoints / sizeof endpoints[0] };

const noc_endpoint *noc_api_find(const char *path) {
  for (int i = 0; i < ENDPOINT_COUNT; i++)
    if (strcmp(endpoints[i].path, path) == 0)
      return &endpoints[i];
  return NULL;
}

const noc_endpoint *noc_api_endpoint_at(int index) {
  return index >= 0 && index < ENDPOINT_COUNT ? &endpoints[index] : NULL;
}
