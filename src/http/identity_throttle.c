/* Failed-login throttling, per account and per client address.
 *
 * A key's failures are counted over a window (default 15 min) from its first failure. Up to
 * `threshold` failures cost nothing; after that each attempt must wait 1, 2, 4 ... seconds
 * after the last failure (capped at the window), and attempts that come sooner are refused
 * (429 with Retry-After) without being checked - so a locked account burns no CPU, and a
 * correct password does not get through a lock either. Success resets the account's count.
 *
 * In memory, always: a fixed open-addressed table; keys are hashed with a per-process random
 * SipHash key (crypto_shorthash) so nobody can aim collisions. When a probe run is full the
 * least recently failed entry is replaced.
 *
 * Shared, when a cache is attached (noc_identity_share_throttle; Redis with several instances):
 * per key a counter "lt:<digest>:n" that expires one window after the first failure (incr with
 * expiry) and the last failure's wall-clock time "lt:<digest>:t". The digest is an unkeyed
 * BLAKE2b of the key, the same on every instance, so no login name or address is stored in
 * clear. An attempt is refused when either the shared or the in-memory counts say so: while the
 * cache is unreachable the throttle keeps working per process, never weaker. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "http/identity_internal.h"

enum { SLOTS = 8192, PROBE = 8, MAX_SHIFT = 20, DIGEST_BYTES = 16, SHARED_KEY_MAX = 48 };

typedef struct entry {
  uint64_t key; /* 0 = empty */
  uint32_t failures;
  int64_t first_ms;
  int64_t last_ms;
} entry;

struct noc_throttle {
  noc_cache *cache; /* borrowed; NULL = in memory only */
  pthread_mutex_t mu;
  int64_t window_ms;
  unsigned char hash_key[crypto_shorthash_KEYBYTES];
  entry slots[SLOTS];
};

noc_throttle *noc_throttle_new(unsigned window_s) {
  noc_throttle *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  pthread_mutex_init(&t->mu, NULL);
  t->window_ms = (int64_t)window_s * 1000;
  randombytes_buf(t->hash_key, sizeof t->hash_key);
  return t;
}

void noc_throttle_free(noc_throttle *t) {
  if (t == NULL) return;
  pthread_mutex_destroy(&t->mu);
  free(t);
}

static uint64_t key_hash(const noc_throttle *t, const char *key) {
  uint64_t h;
  crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key), t->hash_key);
  return h ? h : 1;
}

static bool stale(const noc_throttle *t, const entry *e, int64_t now_ms) {
  return e->key == 0 || now_ms - e->first_ms > t->window_ms;
}

/* The entry for key; when absent, NULL (create = false) or a reset slot for it: an empty
 * one, else one whose window has passed, else the least recently failed of the probe run. */
static entry *find(noc_throttle *t, uint64_t h, bool create, int64_t now_ms) {
  entry *victim = NULL;
  int victim_rank = 3;
  for (int i = 0; i < PROBE; i++) {
    entry *e = &t->slots[(h + (uint64_t)i) % SLOTS];
    if (e->key == h) return e;
    if (!create) continue;
    int rank = e->key == 0 ? 0 : stale(t, e, now_ms) ? 1 : 2;
    if (rank < victim_rank || (rank == 2 && e->last_ms < victim->last_ms)) {
      victim = e;
      victim_rank = rank;
    }
  }
  if (victim) *victim = (entry){.key = h, .failures = 0, .first_ms = now_ms, .last_ms = now_ms};
  return victim;
}

static int64_t wait_ms(const noc_throttle *t, uint32_t failures, unsigned threshold) {
  if (failures < threshold) return 0;
  uint32_t shift = failures - threshold;
  int64_t ms = shift >= MAX_SHIFT ? t->window_ms : (int64_t)1000 << shift;
  return ms < t->window_ms ? ms : t->window_ms;
}

static bool local_allow(noc_throttle *t, const char *key, unsigned threshold, int64_t now_ms,
                        int *retry_after_s) {
  *retry_after_s = 0;
  uint64_t h = key_hash(t, key);
  pthread_mutex_lock(&t->mu);
  entry *e = find(t, h, false, now_ms);
  bool ok = true;
  if (e != NULL && !stale(t, e, now_ms)) {
    int64_t until = e->last_ms + wait_ms(t, e->failures, threshold);
    if (now_ms < until) {
      ok = false;
      *retry_after_s = (int)((until - now_ms + 999) / 1000);
    }
  }
  pthread_mutex_unlock(&t->mu);
  return ok;
}

static void local_failure(noc_throttle *t, const char *key, int64_t now_ms) {
  uint64_t h = key_hash(t, key);
  pthread_mutex_lock(&t->mu);
  entry *e = find(t, h, true, now_ms);
  if (e != NULL) {
    if (stale(t, e, now_ms)) *e = (entry){.key = h, .first_ms = now_ms};
    if (e->failures < UINT32_MAX) e->failures++;
    e->last_ms = now_ms;
  }
  pthread_mutex_unlock(&t->mu);
}

static void local_reset(noc_throttle *t, const char *key) {
  uint64_t h = key_hash(t, key);
  pthread_mutex_lock(&t->mu);
  entry *e = find(t, h, false, 0);
  if (e != NULL) memset(e, 0, sizeof *e);
  pthread_mutex_unlock(&t->mu);
}

/* ---- shared through the cache ---- */

/* "lt:<hex digest>:<suffix>" for key. */
static void shared_key(const char *key, char suffix, char *out, size_t cap) {
  unsigned char d[DIGEST_BYTES];
  char hex[2 * DIGEST_BYTES + 1];
  crypto_generichash(d, sizeof d, (const unsigned char *)key, strlen(key), NULL, 0);
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  snprintf(out, cap, "lt:%s:%c", hex, suffix);
}

/* A non-negative decimal count or time as the cache stores it. */
static bool parse_ms(const char *buf, size_t n, int64_t *out) {
  int64_t v = 0;
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    if (buf[i] < '0' || buf[i] > '9' || v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (buf[i] - '0');
  }
  *out = v;
  return true;
}

/* The shared verdict; false in *known when the cache could not say. */
static bool shared_allow(noc_throttle *t, const char *key, unsigned threshold, int64_t now_ms,
                         int *retry_after_s, bool *known) {
  char kn[SHARED_KEY_MAX], kt[SHARED_KEY_MAX], buf[24];
  size_t len = 0;
  int64_t failures = 0, last = 0;
  *retry_after_s = 0;
  *known = false;
  shared_key(key, 'n', kn, sizeof kn);
  noc_cache_rc rc = noc_cache_get(t->cache, kn, buf, sizeof buf, &len);
  *known = rc == NOC_CACHE_OK || rc == NOC_CACHE_MISS;
  if (rc != NOC_CACHE_OK || !parse_ms(buf, len, &failures) || failures <= 0) return true;
  shared_key(key, 't', kt, sizeof kt);
  rc = noc_cache_get(t->cache, kt, buf, sizeof buf, &len);
  if (rc != NOC_CACHE_OK || !parse_ms(buf, len, &last)) return true;
  uint32_t f = failures > UINT32_MAX ? UINT32_MAX : (uint32_t)failures;
  int64_t until = last + wait_ms(t, f, threshold);
  if (now_ms >= until) return true;
  *retry_after_s = (int)((until - now_ms + 999) / 1000);
  return false;
}

static void shared_failure(noc_throttle *t, const char *key, int64_t now_ms) {
  char kn[SHARED_KEY_MAX], kt[SHARED_KEY_MAX], buf[24];
  int64_t failures;
  shared_key(key, 'n', kn, sizeof kn);
  shared_key(key, 't', kt, sizeof kt);
  if (noc_cache_incr(t->cache, kn, 1, t->window_ms, &failures) != NOC_CACHE_OK) return;
  int n = snprintf(buf, sizeof buf, "%lld", (long long)now_ms);
  noc_cache_set(t->cache, kt, buf, (size_t)n, t->window_ms);
}

static void shared_reset(noc_throttle *t, const char *key) {
  char k[SHARED_KEY_MAX];
  shared_key(key, 'n', k, sizeof k);
  noc_cache_del(t->cache, k);
  shared_key(key, 't', k, sizeof k);
  noc_cache_del(t->cache, k);
}

/* ---- entry points ---- */

bool noc_throttle_allow(noc_throttle *t, const char *key, unsigned threshold, int64_t now_ms,
                        int *retry_after_s) {
  bool ok = local_allow(t, key, threshold, now_ms, retry_after_s);
  if (t->cache == NULL) return ok;
  int wait = 0;
  bool known;
  bool shared_ok = shared_allow(t, key, threshold, now_ms, &wait, &known);
  if (known && !shared_ok && wait > *retry_after_s) *retry_after_s = wait;
  return ok && (!known || shared_ok);
}

void noc_throttle_failure(noc_throttle *t, const char *key, int64_t now_ms) {
  local_failure(t, key, now_ms);
  if (t->cache != NULL) shared_failure(t, key, now_ms);
}

void noc_throttle_reset(noc_throttle *t, const char *key) {
  local_reset(t, key);
  if (t->cache != NULL) shared_reset(t, key);
}

void noc_identity_share_throttle(noc_identity *id, struct noc_cache *cache) {
  if (id != NULL && id->throttle != NULL) id->throttle->cache = cache;
}
