/* Path routing over the fixed service routes and the endpoint table. */
#include "http/route.h"

#include "http/identity.h"

#include <stdio.h>
#include <string.h>

enum { PATH_MAX_LEN = 256 };

static const struct {
  const char *path;
  int id;
} service_routes[] = {
    {"/", NOC_ROUTE_ROOT},
    {"/api", NOC_ROUTE_API_INDEX},
    {"/api/v1", NOC_ROUTE_API_INDEX},
    {"/health", NOC_ROUTE_HEALTH},
    {"/api/health", NOC_ROUTE_HEALTH},
    {"/api/v1/health", NOC_ROUTE_HEALTH},
    {"/ready", NOC_ROUTE_READY},
    {"/metrics", NOC_ROUTE_METRICS},
    {"/openapi.json", NOC_ROUTE_OPENAPI},
    {"/docs", NOC_ROUTE_DOCS},
};

static const char *const service_labels[NOC_ROUTE_ENDPOINTS] = {
    "unmatched", "/", "/api", "/health", "/ready", "/metrics", "/openapi.json", "/docs"};

int noc_route_count(void) {
  return NOC_ROUTE_ENDPOINTS + noc_api_endpoint_count() + noc_identity_route_count();
}

const noc_endpoint *noc_route_endpoint(int id) {
  return id >= NOC_ROUTE_ENDPOINTS ? noc_api_endpoint_at(id - NOC_ROUTE_ENDPOINTS) : NULL;
}

int noc_route_identity(int id) {
  int first = NOC_ROUTE_ENDPOINTS + noc_api_endpoint_count();
  return id >= first && id < first + noc_identity_route_count() ? id - first : -1;
}

void noc_route_write_label(int id, noc_buf *out) {
  const noc_endpoint *ep = noc_route_endpoint(id);
  int ident = noc_route_identity(id);
  if (ep != NULL)
    noc_buf_printf(out, "/api/v1/%s", ep->path);
  else if (ident >= 0)
    noc_buf_puts(out, noc_identity_route_at(ident)->label);
  else if (id >= 0 && id < NOC_ROUTE_ENDPOINTS)
    noc_buf_puts(out, service_labels[id]);
  else
    noc_buf_puts(out, "unknown");
}

/* Appends ", m" (or "m" first) to allow unless already listed. */
static void allow_add(char *allow, size_t cap, const char *m) {
  size_t len = strlen(allow);
  if (strstr(allow, m) != NULL) return;
  snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", m);
}

/* Endpoint-table lookup by path: the entry for this method if any, else the path's first
 * entry (for 405 and OPTIONS). */
static void resolve_endpoint(const char *rest, const char *method, noc_route *out) {
  enum { MAX_METHODS = 8 };
  const noc_endpoint *eps[MAX_METHODS];
  int indexes[MAX_METHODS];
  int n = noc_api_find_all(rest, eps, indexes, MAX_METHODS);
  for (int k = 0; k < n && k < MAX_METHODS; k++) {
    const noc_endpoint *ep = eps[k];
    int i = indexes[k];
    allow_add(out->allow, sizeof out->allow, ep->method);
    bool same = strcmp(ep->method, method) == 0;
    if (out->ep == NULL || (same && !out->method_ok)) {
      out->ep = ep;
      out->id = NOC_ROUTE_ENDPOINTS + i;
      out->method_ok = same;
    }
  }
  if (out->ep != NULL) {
    allow_add(out->allow, sizeof out->allow, "OPTIONS");
    if (strcmp(method, "OPTIONS") == 0) out->method_ok = true;
  }
}

static void resolve_service(const char *path, const char *method, noc_route *out) {
  for (size_t i = 0; i < sizeof service_routes / sizeof service_routes[0]; i++) {
    if (strcmp(service_routes[i].path, path) == 0) {
      out->id = service_routes[i].id;
      snprintf(out->allow, sizeof out->allow, "GET, HEAD, OPTIONS");
      out->method_ok = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
                       strcmp(method, "OPTIONS") == 0;
      return;
    }
  }
}

/* name: the path after "/docs/". The docs handler checks the name; the route only bounds it. */
static void resolve_docs_asset(const char *name, const char *method, noc_route *out) {
  if (name[0] == '\0' || strlen(name) >= sizeof out->docs_asset) return;
  resolve_service("/docs", method, out);
  snprintf(out->docs_asset, sizeof out->docs_asset, "%s", name);
}

/* rest: the path after "/api/v1/auth/" or "/api/auth/". */
static void resolve_identity(const char *rest, const char *method, noc_route *out) {
  const char *arg = NULL;
  int i = noc_identity_route_match(rest, &arg);
  if (i < 0) return;
  out->identity = i;
  out->id = NOC_ROUTE_ENDPOINTS + noc_api_endpoint_count() + i;
  snprintf(out->identity_arg, sizeof out->identity_arg, "%s", arg ? arg : "");
  snprintf(out->allow, sizeof out->allow, "%s", noc_identity_route_at(i)->allow);
  out->method_ok = noc_identity_method_allowed(i, method);
}

void noc_route_resolve(const char *url, const char *method, noc_route *out) {
  memset(out, 0, sizeof *out);
  out->id = NOC_ROUTE_UNMATCHED;
  out->identity = -1;
  size_t n = strlen(url);
  if (n == 0 || n >= PATH_MAX_LEN || url[0] != '/') return;
  char path[PATH_MAX_LEN];
  memcpy(path, url, n + 1);
  if (n > 1 && path[n - 1] == '/')
    path[n - 1] = '\0'; /* "/api/v1/calculations/houses/" is the same resource */
  resolve_service(path, method, out);
  if (out->id != NOC_ROUTE_UNMATCHED) return;
  if (strncmp(path, "/docs/", 6) == 0)
    resolve_docs_asset(path + 6, method, out);
  else if (strncmp(path, "/api/v1/auth/", 13) == 0)
    resolve_identity(path + 13, method, out);
  else if (strncmp(path, "/api/auth/", 10) == 0)
    resolve_identity(path + 10, method, out);
  else if (strncmp(path, "/api/v1/", 8) == 0)
    resolve_endpoint(path + 8, method, out);
  else if (strncmp(path, "/api/", 5) == 0)
    resolve_endpoint(path + 5, method, out);
}
