/* ratelimit.h - per-principal rate limiting behind a small vtable.
 *
 * The model is a token bucket of capacity `burst` refilled at `rate_per_s` tokens per second; a
 * request takes one token. The local implementation stores it as GCRA (a "theoretical arrival
 * time" per principal, in integer microseconds), which is the same bucket with exact integer
 * arithmetic and one number of state per principal - the form a Redis-backed limiter can keep
 * in one key.
 *
 * Decision fields (what the server puts in X-RateLimit-* / Retry-After):
 *   allowed        the request may proceed (a token was taken)
 *   limit          burst (bucket capacity); 0 means "no limit": omit the X-RateLimit-* headers
 *   remaining      whole tokens left after this request (0 when denied)
 *   reset_s        seconds (rounded up) until the bucket is full again
 *   retry_after_s  when denied: seconds (rounded up, >= 1) until one token is available;
 *                  0 when allowed
 * Unlimited limiter (rate_per_s <= 0): every take is allowed with all other fields 0.
 */
#ifndef NOC_HTTP_RATELIMIT_H
#define NOC_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct noc_ratelimit_decision {
  bool allowed;
  int64_t limit;
  int64_t remaining;
  int64_t reset_s;
  int64_t retry_after_s;
} noc_ratelimit_decision;

/* An implementation (local, later Redis). take() returns true when *out holds a decision and
 * false on an error (NULL argument, now_ms out of range, backend unreachable); on false *out is
 * zeroed and the caller chooses fail-open or fail-closed. take() must be safe to call from many
 * threads at once. destroy() frees impl. */
struct noc_ratelimiter_ops {
  bool (*take)(void *impl, const char *principal, int64_t now_ms, noc_ratelimit_decision *out);
  void (*destroy)(void *impl);
};

/* Constructors return a malloc'd noc_ratelimiter owning impl; release with noc_ratelimit_free. */
typedef struct noc_ratelimiter noc_ratelimiter;
struct noc_ratelimiter {
  const struct noc_ratelimiter_ops *ops;
  void *impl; /* owned: destroyed by ops->destroy in noc_ratelimit_free */
};

/* In-process limiter. rate_per_s <= 0: unlimited (burst and max_principals are ignored). Otherwise
 * burst must be >= 1, max_principals >= 1 and <= 16M, and rate_per_s finite; rates above 1e6/s
 * behave as 1e6/s. All bucket memory (about 200 bytes per principal) is allocated here, once:
 * when the table is full the least recently used principal of its shard is forgotten, so that
 * principal starts again with a full bucket. Principals are C strings of any length (longer than
 * 127 bytes are keyed by their BLAKE2b digest). now_ms must come from one monotonic clock (see
 * noc_ratelimit_clock_ms), 0 <= now_ms < 2^52. Returns NULL on invalid arguments or no memory. */
noc_ratelimiter *noc_ratelimit_local_new(double rate_per_s, int64_t burst, size_t max_principals);

/* rl->ops->take(rl->impl, ...), with the same contract; false when rl is NULL. */
bool noc_ratelimit_take(noc_ratelimiter *rl, const char *principal, int64_t now_ms,
                        noc_ratelimit_decision *out);

/* Destroys impl and frees rl. NULL is a no-op. */
void noc_ratelimit_free(noc_ratelimiter *rl);

/* Principals currently tracked by a local limiter (0 for other kinds or NULL): for tests and
 * metrics; never more than max_principals. */
size_t noc_ratelimit_local_count(const noc_ratelimiter *rl);

/* CLOCK_MONOTONIC in milliseconds: the clock to pass as now_ms to the local limiter. */
int64_t noc_ratelimit_clock_ms(void);

#endif
