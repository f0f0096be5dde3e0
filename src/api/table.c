/* The one table of endpoints, served by HTTP, `nocturna calc` and the tests alike.
 * Each group of endpoints lives with its handlers; this file only joins the groups. */
#include <string.h>

#include "api/api_internal.h"

static const noc_endpoint *const groups[] = {
    noc_endpoints_charts,
    noc_endpoints_events,
    noc_endpoints_techniques,
    noc_endpoints_points,
};
enum { GROUP_COUNT = sizeof groups / sizeof groups[0] };

const noc_endpoint *noc_api_endpoint_at(int index) {
  if (index < 0) return NULL;
  for (int g = 0; g < GROUP_COUNT; g++) {
    for (const noc_endpoint *e = groups[g]; e->path; e++)
      if (index-- == 0) return e;
  }
  return NULL;
}

int noc_api_endpoint_count(void) {
  int n = 0;
  for (int g = 0; g < GROUP_COUNT; g++)
    for (const noc_endpoint *e = groups[g]; e->path; e++)
      n++;
  return n;
}

int noc_api_find_all(const char *path, const noc_endpoint **eps, int *indexes, int cap) {
  int found = 0, index = 0;
  for (int g = 0; g < GROUP_COUNT; g++) {
    for (const noc_endpoint *e = groups[g]; e->path; e++, index++) {
      if (strcmp(e->path, path) != 0) continue;
      if (found < cap) {
        eps[found] = e;
        indexes[found] = index;
      }
      found++;
    }
  }
  return found;
}

const noc_endpoint *noc_api_find(const char *path) {
  for (int g = 0; g < GROUP_COUNT; g++)
    for (const noc_endpoint *e = groups[g]; e->path; e++)
      if (strcmp(e->path, path) == 0) return e;
  return NULL;
}
