/* ratelimit_redis.h - the rate limiter of http/ratelimit.h kept in Redis, so that every instance
 * pointing at one Redis shares one budget per principal.
 *
 * Same model and decision fields as the local limiter (GCRA: one "theoretical arrival time" per
 * principal, integer microseconds), computed by one Lua script per request, so a take is atomic
 * whichever instance runs it. The bucket key ("<prefix>rl:<principal>", or a BLAKE2b digest for
 * principals longer than 127 bytes) expires when the bucket would be full again, so idle
 * principals cost Redis nothing.
 *
 * Clock: with NOC_RL_REDIS_CLOCK the script reads Redis' TIME, one clock for all instances, and
 * the now_ms given to take() is ignored. NOC_RL_CALLER_CLOCK uses now_ms as the local limiter
 * does (0 <= now_ms < 2^42): for tests that replay a sequence against both.
 *
 * take() returns false (and a zeroed decision) when Redis cannot answer in time or the answer
 * is malformed; the HTTP server then lets the request through and logs a warning. */
#ifndef NOC_CACHE_RATELIMIT_REDIS_H
#define NOC_CACHE_RATELIMIT_REDIS_H

#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "http/ratelimit.h"

typedef enum { NOC_RL_REDIS_CLOCK, NOC_RL_CALLER_CLOCK } noc_rl_clock;

/* redis: a Redis cache (noc_cache_redis_new), borrowed: it must outlive the limiter.
 * rate_per_s <= 0: unlimited (Redis is not used). Otherwise burst >= 1, rate finite, and the
 * bucket (burst / rate) at most 2^50 us (~35 years). Returns NULL on a bad argument, when redis
 * is not a Redis cache, or on no memory. Release with noc_ratelimit_free. */
noc_ratelimiter *noc_ratelimit_redis_new(noc_cache *redis, double rate_per_s, int64_t burst,
                                         noc_rl_clock clock);

#endif
