/* config.h - the server's configuration: defaults, NOCTURNA_* environment, validation.
 *
 * Precedence: built-in defaults < environment < command-line flags (applied by `serve`).
 * Every value is checked by noc_http_config_validate with a message naming the variable.
 */
#ifndef NOC_HTTP_CONFIG_H
#define NOC_HTTP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/log.h"
#include "nocturna/error.h"
#include "util/jsonw.h"

enum {
  NOC_CFG_PATH_MAX = 1024,
  NOC_CFG_HOST_MAX = 256,
  NOC_CFG_ORIGINS_MAX = 2048,
  NOC_CFG_SECRET_MAX = 64, /* = NOC_JWT_MAX_SECRET */
  NOC_CFG_SECRET_MIN = 32,
  NOC_CFG_URL_MAX = 1024, /* = NOC_CACHE_URL_MAX */
  NOC_CFG_PREFIX_MAX = 64 /* = NOC_CACHE_PREFIX_MAX */
};

typedef struct noc_http_config {
  char host[NOC_CFG_HOST_MAX];             /* NOCTURNA_HOST, --host: 127.0.0.1 */
  unsigned port;                           /* NOCTURNA_PORT, --port: 8000 (0 = any free port) */
  unsigned threads;                        /* NOCTURNA_THREADS, --threads: 0 = one per core */
  char data_dir[NOC_CFG_PATH_MAX];         /* NOCTURNA_DATA_DIR, --data-dir: "data" */
  char ephe_path[NOC_CFG_PATH_MAX];        /* NOCTURNA_EPHE_PATH: "" = /usr/share/libswe/ephe */
  char zoneinfo_dir[NOC_CFG_PATH_MAX];     /* NOCTURNA_ZONEINFO: "" = /usr/share/zoneinfo */
  size_t max_body;                         /* NOCTURNA_MAX_BODY: 65536 bytes */
  size_t max_header_bytes;                 /* NOCTURNA_MAX_HEADER_BYTES: 16384 (above: 431) */
  unsigned max_connections;                /* NOCTURNA_MAX_CONNECTIONS: 1024 */
  unsigned max_connections_per_ip;         /* NOCTURNA_MAX_CONNECTIONS_PER_IP: 256 (0 = off) */
  unsigned idle_timeout_s;                 /* NOCTURNA_IDLE_TIMEOUT: 30 */
  unsigned request_timeout_s;              /* NOCTURNA_REQUEST_TIMEOUT: 10 (receive deadline) */
  unsigned shutdown_timeout_s;             /* NOCTURNA_SHUTDOWN_TIMEOUT: 10 */
  unsigned max_inflight;                   /* NOCTURNA_MAX_INFLIGHT: 512 (above: 503) */
  noc_log_level log_level;                 /* NOCTURNA_LOG_LEVEL: info */
  char cors_origins[NOC_CFG_ORIGINS_MAX];  /* NOCTURNA_CORS_ORIGINS: "" (comma list or "*") */
  double rate_limit;                       /* NOCTURNA_RATE_LIMIT: 1000 requests/s (0 = off) */
  int64_t rate_burst;                      /* NOCTURNA_RATE_BURST: 2000 */
  size_t rate_max_principals;              /* NOCTURNA_RATE_MAX_PRINCIPALS: 100000 */
  bool metrics_public;                     /* NOCTURNA_METRICS_PUBLIC: 0 */
  int64_t jwt_leeway_s;                    /* NOCTURNA_JWT_LEEWAY: 5 */
  char secret_key[NOC_CFG_SECRET_MAX + 1]; /* NOCTURNA_SECRET_KEY: "" = key file in data_dir */
  size_t secret_len;
  char redis_url[NOC_CFG_URL_MAX];       /* NOCTURNA_REDIS_URL: "" = in-process (no Redis) */
  char redis_prefix[NOC_CFG_PREFIX_MAX]; /* NOCTURNA_REDIS_PREFIX: "nocturna:" */
  unsigned redis_timeout_ms;             /* NOCTURNA_REDIS_TIMEOUT_MS: 200 (connect, command) */
} noc_http_config;

void noc_http_config_defaults(noc_http_config *c);
/* Reads every NOCTURNA_* variable that is set. Fails on the first unparsable value. */
noc_status noc_http_config_from_env(noc_http_config *c, noc_error *err);
/* Checks ranges and combinations; field = the variable name. */
noc_status noc_http_config_validate(const noc_http_config *c, noc_error *err);

/* Value setters shared by the environment reader and the command-line flags. `name` is used
 * in the error message ("NOCTURNA_PORT" or "--port"). */
noc_status noc_http_config_set(noc_http_config *c, const char *key, const char *value,
                               const char *name, noc_error *err);

/* The effective configuration as JSON members of the current object (secret redacted, and the
 * password of redis_url). */
void noc_http_config_write_json(const noc_http_config *c, noc_jw *w);

/* Number of worker threads actually used (threads, or the number of online cores). */
unsigned noc_http_config_threads(const noc_http_config *c);

#endif
