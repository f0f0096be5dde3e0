/* noc_http_serve: start, wait for SIGTERM/SIGINT, drain, stop - with a log line at each step.
 *
 * The signals are blocked before any thread starts (so every libmicrohttpd and guard thread
 * inherits the mask) and taken synchronously with sigwait: no async-signal-safety concerns. */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/ratelimit_redis.h"
#include "http/auth.h"
#include "http/clock.h"
#include "http/http_internal.h"
#include "http/identity.h"
#include "http/log.h"

enum { DRAIN_POLL_MS = 10 };

static void log_started(const noc_http_server *s) {
  noc_logline l;
  noc_log_begin_always(&l, "server started");
  noc_jw *w = &l.w;
  char url[NOC_CFG_HOST_MAX + 32];
  bool v6 = strchr(s->cfg.host, ':') != NULL;
  snprintf(url, sizeof url, "http://%s%s%s:%u", v6 ? "[" : "", s->cfg.host, v6 ? "]" : "", s->port);
  noc_jw_kstr(w, "url", url);
  noc_jw_kint(w, "port", s->port);
  noc_jw_kint(w, "pid", (int64_t)getpid());
  noc_jw_kstr(w, "version", noc_version());
  noc_jw_kstr(w, "swiss_ephemeris", s->swe_version);
  noc_jw_kstr(w, "key_source", noc_auth_key_source(s->auth));
  noc_jw_key(w, "config");
  noc_jw_obj(w);
  noc_http_config_write_json(&s->cfg, w);
  noc_jw_obj_end(w);
  noc_log_end(&l);
}

static void log_stopped(const noc_http_server *s, int signo, int64_t drain_ms, int64_t left) {
  noc_logline l;
  noc_log_begin_always(&l, "server stopped");
  noc_jw_kstr(&l.w, "signal", signo == SIGINT ? "SIGINT" : "SIGTERM");
  noc_jw_kint(&l.w, "drain_ms", drain_ms);
  noc_jw_kint(&l.w, "requests_abandoned", left);
  noc_jw_knum(&l.w, "uptime_s", (double)(noc_clock_mono_ms() - s->start_mono_ms) / 1000.0, 3);
  noc_log_end(&l);
}

/* Waits for in-flight requests up to the deadline; a second signal cuts the wait short.
 * Returns the number still in flight. */
static int64_t drain(noc_http_server *s, const sigset_t *set) {
  int64_t deadline = noc_clock_mono_ms() + (int64_t)s->cfg.shutdown_timeout_s * 1000;
  struct timespec step = {0, DRAIN_POLL_MS * 1000000L};
  while (noc_http_server_inflight(s) > 0 && noc_clock_mono_ms() < deadline) {
    if (sigtimedwait(set, NULL, &step) > 0) {
      noc_log_msg(NOC_LOG_WARN, "second signal: stopping without waiting");
      break;
    }
  }
  return noc_http_server_inflight(s);
}

/* Storage, migrations, the first-start admin and token, then the policy that consults them
 * on every request and the "storage" readiness check. */
static noc_status identity_start(noc_http_server *s, const noc_http_config *cfg, noc_identity **out,
                                 noc_error *err) {
  noc_identity_config icfg;
  noc_identity_config_defaults(&icfg);
  noc_status st = noc_identity_config_from_env(&icfg, err);
  noc_auth *auth = noc_http_server_auth(s);
  if (st == NOC_OK) st = noc_identity_open(out, &icfg, cfg, noc_auth_keyring(auth), err);
  if (st == NOC_OK && icfg.bootstrap) st = noc_identity_bootstrap(*out, stdout, err);
  if (st == NOC_OK)
    st = noc_http_server_add_ready_check(s, "storage", noc_identity_ready, *out, err);
  if (st != NOC_OK) return st;
  s->identity = *out; /* closed by noc_http_serve after the workers have stopped */
  noc_auth_set_policy(auth, noc_identity_policy, *out);
  noc_logline l;
  noc_log_begin_always(&l, "storage ready");
  noc_jw_kstr(&l.w, "backend", noc_store_backend(noc_identity_store(*out)));
  noc_jw_kstr(&l.w, "location", noc_store_location(noc_identity_store(*out)));
  noc_jw_kint(&l.w, "schema_version", NOC_STORE_SCHEMA_VERSION);
  noc_log_end(&l);
  return NOC_OK;
}

/* Redis going away and coming back, once per change (not once per request). */
static void log_cache_state(void *cls, bool up, const char *detail) {
  (void)cls;
  noc_logline l;
  noc_log_begin(&l, up ? NOC_LOG_INFO : NOC_LOG_WARN, up ? "cache available" : "cache unavailable");
  if (!up) noc_jw_kstr(&l.w, "error", detail);
  if (!up) noc_jw_kstr(&l.w, "effect", "rate limits are not enforced; /ready answers 503");
  noc_log_end(&l);
}

static void log_cache_ready(const noc_http_config *cfg, const noc_cache *cache) {
  char where[NOC_CFG_URL_MAX];
  noc_cache_redact_url(cfg->redis_url, where, sizeof where);
  noc_logline l;
  noc_log_begin_always(&l, "cache ready");
  noc_jw_kstr(&l.w, "backend", noc_cache_kind(cache));
  noc_jw_kstr(&l.w, "location", where);
  noc_jw_kstr(&l.w, "prefix", cfg->redis_prefix);
  noc_jw_kbool(&l.w, "shared_rate_limit", cfg->rate_limit > 0);
  noc_jw_kbool(&l.w, "shared_login_throttle", true);
  noc_log_end(&l);
}

/* With NOCTURNA_REDIS_URL: the shared cache, the rate limiter moved into it (one budget per
 * principal whichever instance answers) and the "cache" readiness check; noc_http_serve then
 * shares the failed-login counts through it too. Redis being down at start is not fatal: the
 * cache reconnects by itself, and until then requests pass unlimited and /ready says 503. */
static noc_status cache_start(noc_http_server *s, const noc_http_config *cfg, noc_cache **out,
                              noc_error *err) {
  *out = NULL;
  if (cfg->redis_url[0] == '\0') return NOC_OK;
  noc_cache_redis_config rc;
  noc_cache_redis_config_defaults(&rc);
  snprintf(rc.url, sizeof rc.url, "%s", cfg->redis_url);
  snprintf(rc.prefix, sizeof rc.prefix, "%s", cfg->redis_prefix);
  unsigned threads = noc_http_config_threads(cfg);
  rc.pool_size = threads < NOC_CACHE_POOL_MAX ? threads + 1 : NOC_CACHE_POOL_MAX;
  rc.connect_timeout_ms = rc.command_timeout_ms = cfg->redis_timeout_ms;
  rc.on_state = log_cache_state;
  noc_status st = noc_cache_redis_new(out, &rc, err);
  sodium_memzero(rc.url, sizeof rc.url);
  if (st != NOC_OK) return st;
  st = noc_http_server_add_ready_check(s, "cache", noc_cache_ready, *out, err);
  if (st == NOC_OK && cfg->rate_limit > 0) {
    noc_ratelimiter *rl =
        noc_ratelimit_redis_new(*out, cfg->rate_limit, cfg->rate_burst, NOC_RL_REDIS_CLOCK);
    if (rl == NULL)
      return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_RATE_BURST",
                      "cannot create the shared rate limiter (a full bucket must refill in less "
                      "than 35 years)");
    noc_ratelimit_free(s->limiter);
    s->limiter = rl; /* borrows the cache, which noc_http_serve frees after the server */
  }
  if (st == NOC_OK) log_cache_ready(cfg, *out);
  return st;
}

int noc_http_serve(const noc_http_config *cfg) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  noc_error err;
  noc_error_clear(&err);
  noc_http_server *s = NULL;
  noc_identity *id = NULL;
  noc_cache *cache = NULL;
  noc_status st = noc_http_server_new(&s, cfg, &err);
  if (st == NOC_OK) st = cache_start(s, cfg, &cache, &err);
  if (st == NOC_OK) st = identity_start(s, cfg, &id, &err);
  if (st == NOC_OK && cache != NULL) noc_identity_share_throttle(id, cache);
  if (st == NOC_OK) st = noc_http_server_listen(s, &err);
  if (st != NOC_OK) {
    noc_logline l;
    noc_log_begin(&l, NOC_LOG_ERROR, "server failed to start");
    noc_jw_kstr(&l.w, "field", err.field);
    noc_jw_kstr(&l.w, "error", err.message);
    noc_log_end(&l);
    noc_http_server_free(s); /* stops the workers before the identity they use goes */
    noc_identity_close(id);
    noc_cache_free(cache); /* after the limiter and identity that borrow it */
    return 3;
  }
  log_started(s);
  int signo = 0;
  while (sigwait(&set, &signo) != 0)
    ;
  noc_logline l;
  noc_log_begin_always(&l, "shutdown requested");
  noc_jw_kstr(&l.w, "signal", signo == SIGINT ? "SIGINT" : "SIGTERM");
  noc_jw_kint(&l.w, "in_flight", noc_http_server_inflight(s));
  noc_log_end(&l);
  int64_t t0 = noc_clock_mono_ms();
  noc_http_server_quiesce(s);
  int64_t left = drain(s, &set);
  int64_t drain_ms = noc_clock_mono_ms() - t0;
  noc_http_server_stop(s);
  log_stopped(s, signo, drain_ms, left);
  noc_http_server_free(s);
  noc_identity_close(id);
  noc_cache_free(cache);
  return 0;
}
