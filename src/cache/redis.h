/* redis.h - what the Redis cache offers to other Redis-backed parts (the shared rate limiter):
 * Lua scripts run atomically on the server, with the cache's pool, timeouts and down state.
 * Not public. */
#ifndef NOC_CACHE_REDIS_H
#define NOC_CACHE_REDIS_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cache/cache.h"

enum { NOC_REDIS_SCRIPT_KEYS_MAX = 2, NOC_REDIS_SCRIPT_ARGS_MAX = 8 };

/* A script, run with EVALSHA; its SHA-1 is learnt with SCRIPT LOAD on first use, and a NOSCRIPT
 * answer (Redis restarted or SCRIPT FLUSH) falls back to EVAL, which caches it again. */
typedef struct noc_redis_script {
  const char *source; /* borrowed, static */
  pthread_mutex_t mu; /* guards sha */
  char sha[41];       /* "" until loaded */
} noc_redis_script;

bool noc_redis_script_init(noc_redis_script *s, const char *source);
void noc_redis_script_destroy(noc_redis_script *s);

/* Reads the script's answer. Error replies of the script reach it too (reply->type ==
 * REDIS_REPLY_ERROR). Returns what the caller gets. */
typedef noc_cache_rc (*noc_redis_reply_fn)(const redisReply *reply, void *arg);

/* Runs s with keys (each prefixed with the cache's prefix, 1..NOC_CACHE_KEY_MAX bytes) and args
 * (binary, lens[i] bytes). Returns NOC_CACHE_UNAVAILABLE when Redis cannot be reached (detail,
 * when not NULL, says why), NOC_CACHE_ERROR when c is not a Redis cache or the arguments are
 * out of bounds, else what fn returned. */
noc_cache_rc noc_redis_eval(noc_cache *c, noc_redis_script *s, int nkeys, const char *const *keys,
                            int nargs, const char *const *args, const size_t *lens,
                            noc_redis_reply_fn fn, void *arg, char *detail, size_t cap);

/* True when c is a Redis cache. */
bool noc_cache_is_redis(const noc_cache *c);

#endif
