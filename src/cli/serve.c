/* `nocturna serve`: configuration from defaults, NOCTURNA_* variables and flags, then either
 * --check-config (validate, probe, print, exit) or the HTTP service until SIGTERM/SIGINT. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "http/auth.h"
#include "http/config.h"
#include "http/server.h"
#include "nocturna/api.h"
#include "nocturna/context.h"

static void serve_usage(FILE *out) {
  fprintf(out, "usage: nocturna serve [--host H] [--port P] [--threads N] [--data-dir D]\n"
               "                      [--check-config]\n"
               "\n"
               "  --host H        address to listen on (NOCTURNA_HOST, default 127.0.0.1)\n"
               "  --port P        port, 0 = any free port (NOCTURNA_PORT, default 8000)\n"
               "  --threads N     worker threads, 0 = one per core (NOCTURNA_THREADS)\n"
               "  --data-dir D    data directory (NOCTURNA_DATA_DIR, default ./data)\n"
               "  --check-config  validate the configuration, probe the ephemeris, print the\n"
               "                  effective configuration as JSON and exit (0 = usable)\n"
               "\n"
               "Other settings are NOCTURNA_* environment variables; see docs/http.md.\n");
}

static const struct {
  const char *flag;
  const char *key;
} flags[] = {
    {"--host", "host"}, {"--port", "port"}, {"--threads", "threads"}, {"--data-dir", "data_dir"}};

/* Applies "--flag value" or "--flag=value" at argv[*i]; advances *i past a separate value. */
static int apply_flag(noc_http_config *cfg, int argc, char **argv, int *i) {
  const char *arg = argv[*i];
  for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
    size_t n = strlen(flags[k].flag);
    if (strncmp(arg, flags[k].flag, n) != 0 || (arg[n] != '\0' && arg[n] != '=')) continue;
    const char *value = arg[n] == '=' ? arg + n + 1 : NULL;
    if (value == NULL) {
      if (*i + 1 >= argc) {
        fprintf(stderr, "nocturna serve: %s needs a value\n", flags[k].flag);
        return NOC_EXIT_USAGE;
      }
      value = argv[++*i];
    }
    noc_error err;
    noc_error_clear(&err);
    if (noc_http_config_set(cfg, flags[k].key, value, flags[k].flag, &err) != NOC_OK) {
      fprintf(stderr, "nocturna serve: %s: %s\n", err.field, err.message);
      return NOC_EXIT_USAGE;
    }
    return NOC_EXIT_OK;
  }
  fprintf(stderr, "nocturna serve: unknown option '%s'\n", arg);
  serve_usage(stderr);
  return NOC_EXIT_USAGE;
}

/* Probes that do not start anything or create any file. */
static int check_config(const noc_http_config *cfg) {
  noc_error err;
  noc_error_clear(&err);
  noc_ctx *ctx = NULL;
  if (noc_ctx_open(&ctx, cfg->ephe_path[0] ? cfg->ephe_path : NULL, &err) != NOC_OK) {
    fprintf(stderr, "nocturna serve: NOCTURNA_EPHE_PATH: %s\n", err.message);
    return NOC_EXIT_USAGE;
  }
  char swe[64];
  snprintf(swe, sizeof swe, "%s", noc_swe_version(ctx));
  noc_ctx_close(ctx);
  noc_tzdb *tz = noc_tzdb_open(cfg->zoneinfo_dir[0] ? cfg->zoneinfo_dir : NULL);
  if (tz == NULL) {
    fprintf(stderr, "nocturna serve: NOCTURNA_ZONEINFO: cannot open the time zone database\n");
    return NOC_EXIT_USAGE;
  }
  noc_tzdb_close(tz);
  char key_path[NOC_CFG_PATH_MAX + 32];
  snprintf(key_path, sizeof key_path, "%s/jwt-secret", cfg->data_dir);
  const char *key_state = "environment (NOCTURNA_SECRET_KEY)";
  struct stat st;
  if (cfg->secret_len == 0 && stat(key_path, &st) != 0) {
    key_state = "key file (created on first start)";
  } else if (cfg->secret_len == 0) {
    noc_auth *a = NULL;
    if (noc_auth_open(&a, cfg, &err) != NOC_OK) {
      fprintf(stderr, "nocturna serve: %s: %s\n", err.field, err.message);
      return NOC_EXIT_USAGE;
    }
    noc_auth_close(a);
    key_state = "key file";
  }
  noc_buf out;
  noc_buf_init(&out, 64 * 1024);
  noc_jw w;
  noc_jw_init(&w, &out);
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "status", "ok");
  noc_jw_kstr(&w, "swiss_ephemeris", swe);
  noc_jw_kstr(&w, "key_source", key_state);
  noc_jw_key(&w, "config");
  noc_jw_obj(&w);
  noc_http_config_write_json(cfg, &w);
  noc_jw_obj_end(&w);
  noc_jw_obj_end(&w);
  printf("%s\n", out.data ? out.data : "{}");
  noc_buf_free(&out);
  return NOC_EXIT_OK;
}

int noc_cli_serve(int argc, char **argv) {
  noc_http_config cfg;
  noc_http_config_defaults(&cfg);
  noc_error err;
  noc_error_clear(&err);
  if (noc_http_config_from_env(&cfg, &err) != NOC_OK) {
    fprintf(stderr, "nocturna serve: %s: %s\n", err.field, err.message);
    return NOC_EXIT_USAGE;
  }
  bool check = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--check-config") == 0) {
      check = true;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      serve_usage(stdout);
      return NOC_EXIT_OK;
    } else {
      int rc = apply_flag(&cfg, argc, argv, &i);
      if (rc != NOC_EXIT_OK) return rc;
    }
  }
  if (noc_http_config_validate(&cfg, &err) != NOC_OK) {
    fprintf(stderr, "nocturna serve: %s: %s\n", err.field, err.message);
    return NOC_EXIT_USAGE;
  }
  return check ? check_config(&cfg) : noc_http_serve(&cfg);
}
