/* Server configuration: one table of options drives the environment reader, the flag setter,
 * the validation bounds and the effective-config dump. */
#include "http/config.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cache/cache.h"

typedef enum {
  OPT_STRING, /* char[] of `max` bytes */
  OPT_UINT,   /* unsigned in [min, max] */
  OPT_SIZE,   /* size_t in [min, max], optional k/K/m/M suffix (x1024) */
  OPT_I64,    /* int64_t in [min, max] */
  OPT_RATE,   /* double >= 0 */
  OPT_BOOL,   /* 0/1/true/false/yes/no/on/off */
  OPT_LEVEL,  /* log level name */
  OPT_SECRET, /* secret_key + secret_len */
  OPT_URL     /* a Redis URL, checked by the cache's parser; its password is never printed */
} opt_kind;

typedef struct opt {
  const char *key; /* the JSON name in the effective config */
  const char *env;
  opt_kind kind;
  size_t off; /* offset of the field in noc_http_config */
  uint64_t min, max;
} opt;

#define F(field) offsetof(noc_http_config, field)
static const opt options[] = {
    {"host", "NOCTURNA_HOST", OPT_STRING, F(host), 1, NOC_CFG_HOST_MAX},
    {"port", "NOCTURNA_PORT", OPT_UINT, F(port), 0, 65535},
    {"threads", "NOCTURNA_THREADS", OPT_UINT, F(threads), 0, 256},
    {"data_dir", "NOCTURNA_DATA_DIR", OPT_STRING, F(data_dir), 1, NOC_CFG_PATH_MAX},
    {"ephe_path", "NOCTURNA_EPHE_PATH", OPT_STRING, F(ephe_path), 0, NOC_CFG_PATH_MAX},
    {"zoneinfo_dir", "NOCTURNA_ZONEINFO", OPT_STRING, F(zoneinfo_dir), 0, NOC_CFG_PATH_MAX},
    {"max_body", "NOCTURNA_MAX_BODY", OPT_SIZE, F(max_body), 2, 16u << 20},
    /* Below libmicrohttpd's 32 KB connection pool, so that we answer (with the envelope) before
     * it would have to refuse the request itself. */
    {"max_header_bytes", "NOCTURNA_MAX_HEADER_BYTES", OPT_SIZE, F(max_header_bytes), 1024,
     24 * 1024},
    {"max_connections", "NOCTURNA_MAX_CONNECTIONS", OPT_UINT, F(max_connections), 1, 100000},
    {"max_connections_per_ip", "NOCTURNA_MAX_CONNECTIONS_PER_IP", OPT_UINT,
     F(max_connections_per_ip), 0, 100000},
    {"idle_timeout_s", "NOCTURNA_IDLE_TIMEOUT", OPT_UINT, F(idle_timeout_s), 1, 3600},
    {"request_timeout_s", "NOCTURNA_REQUEST_TIMEOUT", OPT_UINT, F(request_timeout_s), 1, 3600},
    {"shutdown_timeout_s", "NOCTURNA_SHUTDOWN_TIMEOUT", OPT_UINT, F(shutdown_timeout_s), 0, 3600},
    {"max_inflight", "NOCTURNA_MAX_INFLIGHT", OPT_UINT, F(max_inflight), 1, 1000000},
    {"log_level", "NOCTURNA_LOG_LEVEL", OPT_LEVEL, F(log_level), 0, 0},
    {"cors_origins", "NOCTURNA_CORS_ORIGINS", OPT_STRING, F(cors_origins), 0, NOC_CFG_ORIGINS_MAX},
    {"rate_limit", "NOCTURNA_RATE_LIMIT", OPT_RATE, F(rate_limit), 0, 1000000},
    {"rate_burst", "NOCTURNA_RATE_BURST", OPT_I64, F(rate_burst), 1, 100000000},
    {"rate_max_principals", "NOCTURNA_RATE_MAX_PRINCIPALS", OPT_SIZE, F(rate_max_principals), 1,
     16u << 20},
    {"metrics_public", "NOCTURNA_METRICS_PUBLIC", OPT_BOOL, F(metrics_public), 0, 1},
    {"jwt_leeway_s", "NOCTURNA_JWT_LEEWAY", OPT_I64, F(jwt_leeway_s), 0, 3600},
    {"secret_key", "NOCTURNA_SECRET_KEY", OPT_SECRET, F(secret_key), NOC_CFG_SECRET_MIN,
     NOC_CFG_SECRET_MAX},
    {"redis_url", "NOCTURNA_REDIS_URL", OPT_URL, F(redis_url), 0, NOC_CFG_URL_MAX},
    {"redis_prefix", "NOCTURNA_REDIS_PREFIX", OPT_STRING, F(redis_prefix), 0, NOC_CFG_PREFIX_MAX},
    {"redis_timeout_ms", "NOCTURNA_REDIS_TIMEOUT_MS", OPT_UINT, F(redis_timeout_ms), 1, 60000},
};
#undef F
enum { OPTION_COUNT = sizeof options / sizeof options[0] };

void noc_http_config_defaults(noc_http_config *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->host, sizeof c->host, "127.0.0.1");
  c->port = 8000;
  c->threads = 0;
  snprintf(c->data_dir, sizeof c->data_dir, "data");
  c->max_body = 64 * 1024;
  c->max_header_bytes = 16 * 1024;
  c->max_connections = 1024;
  c->max_connections_per_ip = 256;
  c->idle_timeout_s = 30;
  c->request_timeout_s = 10;
  c->shutdown_timeout_s = 10;
  c->max_inflight = 512;
  c->log_level = NOC_LOG_INFO;
  c->rate_limit = 1000; /* a service token is a whole backend: generous by default */
  c->rate_burst = 2000;
  c->rate_max_principals = 100000;
  c->metrics_public = false;
  c->jwt_leeway_s = 5;
  snprintf(c->redis_prefix, sizeof c->redis_prefix, "nocturna:");
  c->redis_timeout_ms = 200; /* Redis answers in well under 1 ms on a LAN: 200 ms is a dead one */
}

static const opt *find_option(const char *key) {
  for (int i = 0; i < OPTION_COUNT; i++)
    if (strcmp(options[i].key, key) == 0) return &options[i];
  return NULL;
}

/* Parses a non-negative decimal integer, optionally followed by one of the suffixes k, m
 * (binary multiples) when allow_suffix. */
static bool parse_u64(const char *s, bool allow_suffix, uint64_t *out) {
  if (*s < '0' || *s > '9') return false;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s) return false;
  uint64_t mult = 1;
  if (allow_suffix && (*end == 'k' || *end == 'K')) {
    mult = 1024;
    end++;
  } else if (allow_suffix && (*end == 'm' || *end == 'M')) {
    mult = 1024 * 1024;
    end++;
  }
  if (*end != '\0' || v > UINT64_MAX / mult) return false;
  *out = (uint64_t)v * mult;
  return true;
}

static bool parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off", ""};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    if (strcasecmp(s, yes[i]) == 0) return (*out = true);
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    if (strcasecmp(s, no[i]) == 0) {
      *out = false;
      return true;
    }
  return false;
}

static noc_status set_integer(noc_http_config *c, const opt *o, const char *value, const char *name,
                              noc_error *err) {
  uint64_t v;
  if (!parse_u64(value, o->kind == OPT_SIZE, &v) || v < o->min || v > o->max)
    return noc_fail(err, NOC_ERR_VALIDATION, name, "'%.64s' is not a whole number in %llu..%llu",
                    value, (unsigned long long)o->min, (unsigned long long)o->max);
  char *field = (char *)c + o->off;
  if (o->kind == OPT_UINT)
    *(unsigned *)(void *)field = (unsigned)v;
  else if (o->kind == OPT_SIZE)
    *(size_t *)(void *)field = (size_t)v;
  else
    *(int64_t *)(void *)field = (int64_t)v;
  return NOC_OK;
}

static noc_status set_rate(noc_http_config *c, const opt *o, const char *value, const char *name,
                           noc_error *err) {
  errno = 0;
  char *end = NULL;
  double v = strtod(value, &end);
  if (errno != 0 || end == value || *end != '\0' || !isfinite(v) || v < 0 || v > (double)o->max)
    return noc_fail(err, NOC_ERR_VALIDATION, name,
                    "'%.64s' is not a number of requests per second in 0..%llu (0 = no limit)",
                    value, (unsigned long long)o->max);
  c->rate_limit = v;
  return NOC_OK;
}

static noc_status set_string(noc_http_config *c, const opt *o, const char *value, const char *name,
                             noc_error *err) {
  size_t n = strlen(value);
  if (n < o->min || n >= o->max)
    return noc_fail(err, NOC_ERR_VALIDATION, name, "must be %llu to %llu characters long",
                    (unsigned long long)o->min, (unsigned long long)o->max - 1);
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
      return noc_fail(err, NOC_ERR_VALIDATION, name, "contains a control character");
  memcpy((char *)c + o->off, value, n + 1);
  return NOC_OK;
}

static noc_status set_secret(noc_http_config *c, const char *value, const char *name,
                             noc_error *err) {
  size_t n = strlen(value);
  if (n < NOC_CFG_SECRET_MIN || n > NOC_CFG_SECRET_MAX)
    return noc_fail(err, NOC_ERR_VALIDATION, name,
                    "must be %d to %d bytes long (it is %zu); generate one with "
                    "`head -c 32 /dev/urandom | xxd -p -c 64`",
                    NOC_CFG_SECRET_MIN, NOC_CFG_SECRET_MAX, n);
  memcpy(c->secret_key, value, n + 1);
  c->secret_len = n;
  return NOC_OK;
}

/* "" (no Redis) or a URL the cache can use; the message never repeats the value, which may
 * hold a password. */
static noc_status set_url(noc_http_config *c, const char *value, const char *name, noc_error *err) {
  if (value[0] != '\0') {
    noc_redis_url u;
    noc_status st = noc_cache_redis_parse_url(value, &u, name, err);
    sodium_memzero(&u, sizeof u);
    if (st != NOC_OK) return st;
  }
  snprintf(c->redis_url, sizeof c->redis_url, "%s", value);
  return NOC_OK;
}

noc_status noc_http_config_set(noc_http_config *c, const char *key, const char *value,
                               const char *name, noc_error *err) {
  const opt *o = find_option(key);
  if (o == NULL) return noc_fail(err, NOC_ERR_VALIDATION, name, "unknown option");
  switch (o->kind) {
  case OPT_STRING:
    return set_string(c, o, value, name, err);
  case OPT_UINT:
  case OPT_SIZE:
  case OPT_I64:
    return set_integer(c, o, value, name, err);
  case OPT_RATE:
    return set_rate(c, o, value, name, err);
  case OPT_SECRET:
    return set_secret(c, value, name, err);
  case OPT_URL:
    return set_url(c, value, name, err);
  case OPT_BOOL:
    if (!parse_bool(value, &c->metrics_public))
      return noc_fail(err, NOC_ERR_VALIDATION, name, "'%.32s' is not 0/1/true/false", value);
    return NOC_OK;
  case OPT_LEVEL:
    if (!noc_log_level_parse(value, &c->log_level))
      return noc_fail(err, NOC_ERR_VALIDATION, name,
                      "'%.32s' is not one of debug, info, warn, error", value);
    return NOC_OK;
  }
  return noc_fail(err, NOC_ERR_INTERNAL, name, "unhandled option kind");
}

noc_status noc_http_config_from_env(noc_http_config *c, noc_error *err) {
  for (int i = 0; i < OPTION_COUNT; i++) {
    const char *v = getenv(options[i].env);
    if (v == NULL) continue;
    noc_status st = noc_http_config_set(c, options[i].key, v, options[i].env, err);
    if (st != NOC_OK) return st;
  }
  return NOC_OK;
}

/* Each origin of the comma list must be "*" or scheme://host[:port] without a path. */
static noc_status check_origins(const char *list, noc_error *err) {
  const char *p = list;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    while (n > 0 && (*p == ' ')) {
      p++;
      n--;
    }
    while (n > 0 && p[n - 1] == ' ')
      n--;
    bool star = n == 1 && *p == '*';
    bool http =
        (n > 7 && strncmp(p, "http://", 7) == 0) || (n > 8 && strncmp(p, "https://", 8) == 0);
    const char *host = http ? strstr(p, "//") + 2 : p;
    bool path = http && memchr(host, '/', n - (size_t)(host - p)) != NULL;
    if (!star && (!http || path))
      return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_CORS_ORIGINS",
                      "'%.*s' is not an origin like https://app.example.com or *", (int)n, p);
    if (end == NULL) break;
    p = end + 1;
  }
  return NOC_OK;
}

noc_status noc_http_config_validate(const noc_http_config *c, noc_error *err) {
  if (c->rate_limit > 0 && c->rate_burst < 1)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_RATE_BURST", "must be at least 1");
  unsigned threads = noc_http_config_threads(c);
  if (c->max_connections < threads)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_MAX_CONNECTIONS",
                    "(%u) must be at least the number of threads (%u)", c->max_connections,
                    threads);
  if (c->secret_len > 0 &&
      (c->secret_len < NOC_CFG_SECRET_MIN || c->secret_len > NOC_CFG_SECRET_MAX))
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_SECRET_KEY", "has a bad length");
  return check_origins(c->cors_origins, err);
}

unsigned noc_http_config_threads(const noc_http_config *c) {
  if (c->threads > 0) return c->threads;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

static void write_option(const noc_http_config *c, const opt *o, noc_jw *w) {
  const char *field = (const char *)c + o->off;
  switch (o->kind) {
  case OPT_STRING:
    noc_jw_kstr(w, o->key, field);
    break;
  case OPT_UINT:
    noc_jw_kint(w, o->key, *(const unsigned *)(const void *)field);
    break;
  case OPT_SIZE:
    noc_jw_kint(w, o->key, (int64_t) * (const size_t *)(const void *)field);
    break;
  case OPT_I64:
    noc_jw_kint(w, o->key, *(const int64_t *)(const void *)field);
    break;
  case OPT_RATE:
    noc_jw_knum(w, o->key, c->rate_limit, 3);
    break;
  case OPT_BOOL:
    noc_jw_kbool(w, o->key, c->metrics_public);
    break;
  case OPT_LEVEL:
    noc_jw_kstr(w, o->key, noc_log_level_name(c->log_level));
    break;
  case OPT_SECRET:
    /* Never the value, not even a prefix: only where the key comes from. */
    noc_jw_kstr(w, "secret_key",
                c->secret_len ? "[redacted] (NOCTURNA_SECRET_KEY)" : "[key file in data_dir]");
    break;
  case OPT_URL: {
    char shown[NOC_CFG_URL_MAX];
    noc_cache_redact_url(c->redis_url, shown, sizeof shown);
    noc_jw_kstr(w, o->key, shown);
    break;
  }
  }
}

void noc_http_config_write_json(const noc_http_config *c, noc_jw *w) {
  for (int i = 0; i < OPTION_COUNT; i++)
    write_option(c, &options[i], w);
  noc_jw_kint(w, "threads_effective", noc_http_config_threads(c));
}
