/* ratelimit_redis.c - GCRA in a Lua script (contract in ratelimit_redis.h).
 *
 * The arithmetic mirrors http/ratelimit.c step by step. Lua 5.1 numbers are doubles: every
 * value the script handles stays below 2^52 (Unix time in us is about 2^50.6 and the bucket is
 * capped at 2^50 us), where doubles hold integers exactly; divisions are corrected to exact
 * integer quotients. */
#include "cache/ratelimit_redis.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/redis.h"

enum { KEY_MAX = 127, DIGEST_BYTES = 32, NUM_MAX = 24 };
#define MAX_CAPACITY_US      ((int64_t)1 << 50)
#define MAX_NOW_MS           ((int64_t)1 << 42)
#define CALLER_CLOCK_KEEP_MS 60000 /* injected time may run ahead of Redis' own expiry clock */

/* KEYS[1] bucket. ARGV: interval_us, capacity_us, now_us (-1: Redis TIME), extra expiry ms.
 * Returns {allowed, remaining, reset_s, retry_after_s}. */
static const char GCRA_LUA[] =
    "local function fdiv(a, b)\n"
    "  local q = math.floor(a / b)\n"
    "  while q * b > a do q = q - 1 end\n"
    "  while (q + 1) * b <= a do q = q + 1 end\n"
    "  return q\n"
    "end\n"
    "local function cdiv(a, b)\n"
    "  if a <= 0 then return 0 end\n"
    "  return fdiv(a - 1, b) + 1\n"
    "end\n"
    "local interval = tonumber(ARGV[1])\n"
    "local capacity = tonumber(ARGV[2])\n"
    "local now = tonumber(ARGV[3])\n"
    "if now < 0 then\n"
    "  if redis.replicate_commands then redis.replicate_commands() end\n"
    "  local t = redis.call('TIME')\n"
    "  now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "end\n"
    "local tat = tonumber(redis.call('GET', KEYS[1])) or now\n"
    "if tat < now then tat = now end\n"
    "local nxt = tat + interval\n"
    "if nxt - now <= capacity then\n"
    "  local ttl = cdiv(nxt - now, 1000) + tonumber(ARGV[4])\n"
    "  if ttl < 1 then ttl = 1 end\n"
    "  redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', string.format('%.0f', ttl))\n"
    "  return {1, fdiv(capacity - (nxt - now), interval), cdiv(nxt - now, 1000000), 0}\n"
    "end\n"
    "local wait = cdiv(nxt - capacity - now, 1000000)\n"
    "if wait < 1 then wait = 1 end\n"
    "return {0, 0, cdiv(tat - now, 1000000), wait}\n";

typedef struct rl_redis {
  noc_cache *cache; /* borrowed */
  bool unlimited;
  noc_rl_clock clock;
  int64_t burst, interval_us, capacity_us;
  noc_redis_script script;
} rl_redis;

/* The bucket's key: "rl:" + the principal, or "rl:#" + hex digest when it is long. */
static void bucket_key(const char *principal, char *out, size_t cap) {
  size_t n = strlen(principal);
  if (n <= KEY_MAX) {
    snprintf(out, cap, "rl:%s", principal);
    return;
  }
  unsigned char d[DIGEST_BYTES];
  char hex[2 * DIGEST_BYTES + 1];
  crypto_generichash(d, sizeof d, (const unsigned char *)principal, n, NULL, 0);
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  snprintf(out, cap, "rl:#%s", hex);
}

static noc_cache_rc read_decision(const redisReply *r, void *arg) {
  noc_ratelimit_decision *d = arg;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) return NOC_CACHE_ERROR;
  for (size_t i = 0; i < 4; i++)
    if (r->element[i]->type != REDIS_REPLY_INTEGER || r->element[i]->integer < 0)
      return NOC_CACHE_ERROR;
  d->allowed = r->element[0]->integer == 1;
  d->remaining = (int64_t)r->element[1]->integer;
  d->reset_s = (int64_t)r->element[2]->integer;
  d->retry_after_s = (int64_t)r->element[3]->integer;
  return NOC_CACHE_OK;
}

static bool rr_take(void *impl, const char *principal, int64_t now_ms,
                    noc_ratelimit_decision *out) {
  rl_redis *L = impl;
  if (out == NULL) return false;
  memset(out, 0, sizeof *out);
  if (L == NULL || principal == NULL) return false;
  if (L->unlimited) {
    out->allowed = true;
    return true;
  }
  bool caller = L->clock == NOC_RL_CALLER_CLOCK;
  if (caller && (now_ms < 0 || now_ms >= MAX_NOW_MS)) return false;
  char key[KEY_MAX + 8], a_int[NUM_MAX], a_cap[NUM_MAX], a_now[NUM_MAX], a_keep[NUM_MAX];
  bucket_key(principal, key, sizeof key);
  const char *keys[] = {key};
  const char *args[] = {a_int, a_cap, a_now, a_keep};
  size_t lens[] = {
      (size_t)snprintf(a_int, sizeof a_int, "%" PRId64, L->interval_us),
      (size_t)snprintf(a_cap, sizeof a_cap, "%" PRId64, L->capacity_us),
      (size_t)snprintf(a_now, sizeof a_now, "%" PRId64, caller ? now_ms * 1000 : INT64_C(-1)),
      (size_t)snprintf(a_keep, sizeof a_keep, "%d", caller ? CALLER_CLOCK_KEEP_MS : 0)};
  noc_ratelimit_decision d;
  memset(&d, 0, sizeof d);
  if (noc_redis_eval(L->cache, &L->script, 1, keys, 4, args, lens, read_decision, &d, NULL, 0) !=
      NOC_CACHE_OK)
    return false;
  d.limit = L->burst;
  *out = d;
  return true;
}

static void rr_destroy(void *impl) {
  rl_redis *L = impl;
  if (L == NULL) return;
  if (!L->unlimited) noc_redis_script_destroy(&L->script);
  free(L);
}

static const struct noc_ratelimiter_ops redis_rl_ops = {rr_take, rr_destroy};

/* The local limiter's interval and capacity, with the smaller cap Lua's doubles need. */
static bool set_rate(rl_redis *L, double rate_per_s, int64_t burst) {
  if (burst < 1) return false;
  double interval = 1e6 / rate_per_s;
  if (interval >= (double)MAX_CAPACITY_US) return false;
  L->interval_us = interval < 1.0 ? 1 : (int64_t)llround(interval);
  if (burst > MAX_CAPACITY_US / L->interval_us) return false;
  L->burst = burst;
  L->capacity_us = burst * L->interval_us;
  return true;
}

noc_ratelimiter *noc_ratelimit_redis_new(noc_cache *redis, double rate_per_s, int64_t burst,
                                         noc_rl_clock clock) {
  if (!noc_cache_is_redis(redis) || !isfinite(rate_per_s) || sodium_init() < 0) return NULL;
  rl_redis *L = calloc(1, sizeof *L);
  noc_ratelimiter *rl = malloc(sizeof *rl);
  if (L == NULL || rl == NULL) goto fail;
  L->cache = redis;
  L->clock = clock;
  L->unlimited = rate_per_s <= 0;
  if (!L->unlimited &&
      (!set_rate(L, rate_per_s, burst) || !noc_redis_script_init(&L->script, GCRA_LUA)))
    goto fail;
  rl->ops = &redis_rl_ops;
  rl->impl = L;
  return rl;
fail:
  free(L);
  free(rl);
  return NULL;
}
