/* The documentation routes: the OpenAPI document built into the binary and Swagger UI over the
 * assets of the npm package swagger-ui-dist (see docs_routes.h). */
#include "http/docs_routes.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NOC_SWAGGER_DIR
#define NOC_SWAGGER_DIR "node_modules/swagger-ui-dist"
#endif

/* swagger-ui-bundle.js is about 1.5 MB; anything far larger is not a Swagger UI asset. */
enum { ASSET_MAX = 16 * 1024 * 1024 };

/* Absolute asset paths: the router treats /docs and /docs/ alike, so relative ones would resolve
 * against / in one case and /docs/ in the other. */
static const char PAGE[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<title>Nocturna API - Swagger UI</title>\n"
    "<link rel=\"stylesheet\" href=\"/docs/swagger-ui.css\">\n"
    "<link rel=\"stylesheet\" href=\"/docs/index.css\">\n"
    "<link rel=\"icon\" type=\"image/png\" href=\"/docs/favicon-32x32.png\" sizes=\"32x32\">\n"
    "</head>\n"
    "<body>\n"
    "<div id=\"swagger-ui\"></div>\n"
    "<script src=\"/docs/swagger-ui-bundle.js\" charset=\"UTF-8\"></script>\n"
    "<script src=\"/docs/swagger-ui-standalone-preset.js\" charset=\"UTF-8\"></script>\n"
    "<script src=\"/docs/swagger-initializer.js\" charset=\"UTF-8\"></script>\n"
    "</body>\n"
    "</html>\n";

/* Ours, in place of the package's (which shows a demo API). */
static const char INITIALIZER[] =
    "window.onload = function () {\n"
    "  window.ui = SwaggerUIBundle({\n"
    "    url: \"/openapi.json\",\n"
    "    dom_id: \"#swagger-ui\",\n"
    "    deepLinking: true,\n"
    "    persistAuthorization: true,\n"
    "    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n"
    "    plugins: [SwaggerUIBundle.plugins.DownloadUrl],\n"
    "    layout: \"StandaloneLayout\"\n"
    "  });\n"
    "};\n";

static const char NOT_INSTALLED[] =
    "Swagger UI is not installed on this server: the npm package swagger-ui-dist is missing "
    "(scripts/install-deps.sh installs it; NOCTURNA_SWAGGER_DIR names its directory)";

static pthread_once_t dir_once = PTHREAD_ONCE_INIT;
static char swagger_dir[PATH_MAX]; /* set once, then read-only */

static void choose_dir(void) {
  const char *env = getenv("NOCTURNA_SWAGGER_DIR");
  snprintf(swagger_dir, sizeof swagger_dir, "%s", env && env[0] ? env : NOC_SWAGGER_DIR);
}

static const char *content_type_of(const char *name) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".js", "application/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".png", "image/png"},
      {".html", "text/html; charset=utf-8"},
      {".map", "application/json"},
  };
  const char *dot = strrchr(name, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(dot, types[i].ext) == 0) return types[i].type;
  return NULL;
}

/* A plain file name of the package: no path separators, no leading dot, a known type. */
static bool asset_name_ok(const char *name) {
  if (name[0] == '\0' || name[0] == '.' || strlen(name) > 63) return false;
  for (const char *p = name; *p; p++) {
    bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_';
    if (!ok) return false;
  }
  return content_type_of(name) != NULL;
}

/* Reads dir/name into *out (malloc'd, the caller frees). 0, or -1 when absent or unreadable. */
static int read_asset(const char *name, char **out, size_t *len) {
  char path[PATH_MAX + 80];
  if (snprintf(path, sizeof path, "%s/%s", swagger_dir, name) >= (int)sizeof path) return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  struct stat st;
  char *buf = NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ASSET_MAX ||
      (buf = malloc((size_t)st.st_size + 1)) == NULL) {
    close(fd);
    return -1;
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (got != (size_t)st.st_size) {
    free(buf);
    return -1;
  }
  *out = buf;
  *len = got;
  return 0;
}

static bool ui_installed(void) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/swagger-ui-bundle.js", swagger_dir);
  return access(path, R_OK) == 0;
}

enum MHD_Result noc_docs_answer_openapi(noc_http_req *r, struct MHD_Connection *c) {
  return noc_http_reply(r, c, 200, "application/json", (const char *)noc_openapi_json,
                        noc_openapi_json_len);
}

enum MHD_Result noc_docs_answer_ui(noc_http_req *r, struct MHD_Connection *c) {
  pthread_once(&dir_once, choose_dir);
  const char *name = r->route.docs_asset;
  if (!ui_installed()) return noc_http_reply_error(r, c, 404, "NOT_FOUND", NOT_INSTALLED);
  if (name[0] == '\0')
    return noc_http_reply(r, c, 200, "text/html; charset=utf-8", PAGE, sizeof PAGE - 1);
  if (strcmp(name, "swagger-initializer.js") == 0)
    return noc_http_reply(r, c, 200, content_type_of(name), INITIALIZER, sizeof INITIALIZER - 1);
  char *data = NULL; /* owned here */
  size_t len = 0;
  if (!asset_name_ok(name) || read_asset(name, &data, &len) != 0)
    return noc_http_reply_error(r, c, 404, "NOT_FOUND", "No such documentation asset");
  enum MHD_Result ret = noc_http_reply(r, c, 200, content_type_of(name), data, len);
  free(data);
  return ret;
}
