/* Failed-login throttling, per account and per client address, in memory.
 *
 * A key's failures are counted over a window (default 15 min) from its first failure. Up to
 * `threshold` failures cost nothing; after that each attempt must wait 1, 2, 4 ... seconds
 * after the last failure (capped at the window), and attempts that come sooner are refused
 * (429 with Retry-After) without being checked - so a locked account burns no CPU, and a
 * correct password does not get through a lock either. Success resets the account's count.
 *
 * Bounded memory: a fixed open-addressed table; keys are hashed with a per-process random
 * SipHash key (crypto_shorthash) so nobody can aim collisions. When a probe run is full the
 * least recently failed entry is replaced. Per-process: several server processes each keep
 * their own counts (the bound per process still holds). */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http/identity_internal.h"

enum { SLOTS = 8192, PROBE = 8, MAX_SHIFT = 20 };

typedef struct entry {
  uint64_t key; /* 0 = empty */
  uint32_t failures;
  int64_t first_ms;
  int64_t last_ms;
} entry;

struct noc_throttle {
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

bool noc_throttle_allow(noc_throttle *t, const char *key, unsigned threshold, int64_t now_ms,
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

void noc_throttle_failure(noc_throttle *t, const char *key, int64_t now_ms) {
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

void noc_throttle_reset(noc_throttle *t, const char *key) {
  uint64_t h = key_hash(t, key);
  pthread_mutex_lock(&t->mu);
  entry *e = find(t, h, false, 0);
  if (e != NULL) memset(e, 0, sizeof *e);
  pthread_mutex_unlock(&t->mu);
}
