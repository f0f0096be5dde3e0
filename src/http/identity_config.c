/* Identity configuration: defaults and the NOCTURNA_* variables it reads (one table). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/identity_internal.h"

int64_t noc_id_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec;
}

void noc_identity_config_defaults(noc_identity_config *c) {
  memset(c, 0, sizeof *c);
  c->db_pool = 0;
  c->db_wait_s = 15;
  c->access_ttl_s = 15 * 60;
  c->refresh_ttl_s = 7 * 86400;
  c->service_days = 30;
  c->password_min = 12;
  c->hash_concurrency = 2;
  c->hash_memory_mib = 64;
  c->hash_ops = 2;
  c->login_max_failures = 5;
  c->login_max_failures_ip = 20;
  c->login_window_s = 900;
  c->allow_registration = -1;
  c->production = false;
  c->bootstrap = true;
  snprintf(c->admin_email, sizeof c->admin_email, "admin@nocturna.local");
  snprintf(c->admin_username, sizeof c->admin_username, "admin");
}

typedef enum { K_UINT, K_MINUTES, K_DAYS_S, K_INT, K_BOOL, K_TRIBOOL, K_STRING } kind;

typedef struct var {
  const char *env;
  kind k;
  size_t off;
  long long min, max; /* for numbers; for strings max = buffer size */
} var;

#define F(field) offsetof(noc_identity_config, field)
static const var vars[] = {
    {"NOCTURNA_DATABASE_URL", K_STRING, F(database_url), 0, NOC_STORE_URL_MAX},
    {"NOCTURNA_DATABASE_POOL", K_UINT, F(db_pool), 1, NOC_STORE_POOL_MAX},
    {"NOCTURNA_DATABASE_WAIT", K_UINT, F(db_wait_s), 0, 600},
    {"NOCTURNA_ACCESS_TOKEN_MINUTES", K_MINUTES, F(access_ttl_s), 1, 24 * 60},
    {"NOCTURNA_REFRESH_TOKEN_DAYS", K_DAYS_S, F(refresh_ttl_s), 1, 365},
    {"NOCTURNA_SERVICE_TOKEN_DAYS", K_INT, F(service_days), 1, NOC_ID_MAX_DAYS},
    {"NOCTURNA_PASSWORD_MIN_LENGTH", K_UINT, F(password_min), 8, 128},
    {"NOCTURNA_PASSWORD_HASH_CONCURRENCY", K_UINT, F(hash_concurrency), 1, 64},
    {"NOCTURNA_PASSWORD_HASH_MEMORY", K_UINT, F(hash_memory_mib), 8, 1024},
    {"NOCTURNA_PASSWORD_HASH_OPS", K_UINT, F(hash_ops), 1, 10},
    {"NOCTURNA_LOGIN_MAX_FAILURES", K_UINT, F(login_max_failures), 1, 1000},
    {"NOCTURNA_LOGIN_MAX_FAILURES_PER_IP", K_UINT, F(login_max_failures_ip), 1, 100000},
    {"NOCTURNA_LOGIN_WINDOW", K_UINT, F(login_window_s), 10, 86400},
    {"NOCTURNA_ALLOW_REGISTRATION", K_TRIBOOL, F(allow_registration), 0, 1},
    {"NOCTURNA_BOOTSTRAP", K_BOOL, F(bootstrap), 0, 1},
    {"NOCTURNA_ADMIN_EMAIL", K_STRING, F(admin_email), 3, NOC_STORE_EMAIL_MAX},
    {"NOCTURNA_ADMIN_USERNAME", K_STRING, F(admin_username), 3, NOC_STORE_USERNAME_MAX},
};
#undef F

static bool parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) return (*out = true);
    if (strcasecmp(s, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

static noc_status set_number(noc_identity_config *c, const var *v, const char *s, noc_error *err) {
  errno = 0;
  char *end = NULL;
  long long n = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || n < v->min || n > v->max)
    return noc_fail(err, NOC_ERR_VALIDATION, v->env, "'%.32s' is not a whole number in %lld..%lld",
                    s, v->min, v->max);
  char *field = (char *)c + v->off;
  switch (v->k) {
  case K_UINT:
    *(unsigned *)(void *)field = (unsigned)n;
    break;
  case K_INT:
    *(int *)(void *)field = (int)n;
    break;
  case K_MINUTES:
    *(int64_t *)(void *)field = (int64_t)n * 60;
    break;
  case K_DAYS_S:
    *(int64_t *)(void *)field = (int64_t)n * 86400;
    break;
  default:
    break;
  }
  return NOC_OK;
}

static noc_status set_var(noc_identity_config *c, const var *v, const char *s, noc_error *err) {
  char *field = (char *)c + v->off;
  bool b;
  switch (v->k) {
  case K_STRING: {
    size_t n = strlen(s);
    if (n < (size_t)v->min || n >= (size_t)v->max)
      return noc_fail(err, NOC_ERR_VALIDATION, v->env, "must be %lld to %lld characters long",
                      v->min, v->max - 1);
    for (size_t i = 0; i < n; i++)
      if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
        return noc_fail(err, NOC_ERR_VALIDATION, v->env, "contains a control character");
    memcpy(field, s, n + 1);
    return NOC_OK;
  }
  case K_BOOL:
  case K_TRIBOOL:
    if (!parse_bool(s, &b))
      return noc_fail(err, NOC_ERR_VALIDATION, v->env, "'%.32s' is not 0/1/true/false", s);
    if (v->k == K_BOOL)
      *(bool *)(void *)field = b;
    else
      *(int *)(void *)field = b ? 1 : 0;
    return NOC_OK;
  default:
    return set_number(c, v, s, err);
  }
}

noc_status noc_identity_config_from_env(noc_identity_config *c, noc_error *err) {
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *s = getenv(vars[i].env);
    if (s == NULL || (s[0] == '\0' && vars[i].k != K_STRING)) continue;
    noc_status st = set_var(c, &vars[i], s, err);
    if (st != NOC_OK) return st;
  }
  const char *env = getenv("NOCTURNA_ENV");
  c->production = env != NULL && strcasecmp(env, "production") == 0;
  return NOC_OK;
}
