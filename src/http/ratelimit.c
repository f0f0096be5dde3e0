/* ratelimit.c - in-process GCRA token bucket (semantics in ratelimit.h).
 *
 * Layout: up to 8 shards, each a mutex, a fixed pool of entries, a chained hash index and an LRU
 * list (indices, no pointers). Everything is allocated in noc_ratelimit_local_new, so the memory
 * is bounded by max_principals whatever the traffic. Principals are hashed with SipHash under a
 * random per-limiter key, so clients choosing principal names cannot aim at one hash chain. */
#include "http/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  KEY_MAX = 127, /* longer principals are keyed by a digest */
  DIGEST_BYTES = 32,
  MAX_SHARDS = 8,
  PRINCIPALS_PER_SHARD = 128 /* below this a single shard keeps LRU exact and memory small */
};

#define NIL             UINT32_MAX
#define MAX_PRINCIPALS  ((size_t)1 << 24)
#define MAX_NOW_MS      ((int64_t)1 << 52)
#define MAX_CAPACITY_US ((int64_t)1 << 61) /* now_us + capacity stays below INT64_MAX */
#define US_PER_S        INT64_C(1000000)

typedef struct rl_entry {
  uint64_t hash;
  int64_t tat_us;      /* theoretical arrival time: the bucket is full when tat_us <= now */
  uint32_t chain_next; /* next entry in the same hash chain, NIL at the end */
  uint32_t lru_prev, lru_next;
  uint8_t key_len;
  bool digest; /* key holds the BLAKE2b digest of a long principal */
  char key[KEY_MAX + 1];
} rl_entry;

typedef struct rl_shard {
  pthread_mutex_t mu;
  rl_entry *entries; /* owned, cap slots; [0, used) are live */
  uint32_t *heads;   /* owned, mask + 1 chain heads */
  uint32_t cap, used, mask;
  uint32_t lru_head, lru_tail; /* most and least recently used */
  char pad[64];                /* keeps neighbouring shards' mutexes off one cache line */
} rl_shard;

typedef struct rl_local {
  bool unlimited;
  int64_t burst, interval_us, capacity_us; /* capacity_us = burst * interval_us */
  unsigned char hash_key[crypto_shorthash_KEYBYTES];
  uint32_t nshards;
  rl_shard shards[MAX_SHARDS];
} rl_local;

typedef struct rl_key {
  const char *bytes; /* the principal itself or digest[] */
  size_t len;
  bool digest;
  unsigned char digest_buf[DIGEST_BYTES];
} rl_key;

static int64_t ceil_div(int64_t a, int64_t b) {
  return a <= 0 ? 0 : (a - 1) / b + 1;
}

/* ---- keys ---- */

static void make_key(const char *principal, rl_key *k) {
  size_t n = strlen(principal);
  k->digest = n > KEY_MAX;
  if (!k->digest) {
    k->bytes = principal;
    k->len = n;
    return;
  }
  crypto_generichash(k->digest_buf, sizeof k->digest_buf, (const unsigned char *)principal, n, NULL,
                     0);
  k->bytes = (const char *)k->digest_buf;
  k->len = sizeof k->digest_buf;
}

static uint64_t key_hash(const rl_local *L, const rl_key *k) {
  unsigned char h[crypto_shorthash_BYTES];
  uint64_t v = 0;
  crypto_shorthash(h, (const unsigned char *)k->bytes, k->len, L->hash_key);
  for (size_t i = 0; i < sizeof h; i++)
    v = (v << 8) | h[i];
  return v;
}

static bool entry_matches(const rl_entry *e, const rl_key *k, uint64_t h) {
  return e->hash == h && e->digest == k->digest && e->key_len == k->len &&
         memcmp(e->key, k->bytes, k->len) == 0;
}

/* ---- shard table (caller holds s->mu) ---- */

static void lru_unlink(rl_shard *s, uint32_t i) {
  rl_entry *e = &s->entries[i];
  if (e->lru_prev != NIL)
    s->entries[e->lru_prev].lru_next = e->lru_next;
  else
    s->lru_head = e->lru_next;
  if (e->lru_next != NIL)
    s->entries[e->lru_next].lru_prev = e->lru_prev;
  else
    s->lru_tail = e->lru_prev;
}

static void lru_push_front(rl_shard *s, uint32_t i) {
  rl_entry *e = &s->entries[i];
  e->lru_prev = NIL;
  e->lru_next = s->lru_head;
  if (s->lru_head != NIL) s->entries[s->lru_head].lru_prev = i;
  s->lru_head = i;
  if (s->lru_tail == NIL) s->lru_tail = i;
}

static void chain_unlink(rl_shard *s, uint32_t i) {
  uint32_t *link = &s->heads[s->entries[i].hash & s->mask];
  while (*link != NIL && *link != i)
    link = &s->entries[*link].chain_next;
  if (*link == i) *link = s->entries[i].chain_next;
}

static uint32_t shard_find(const rl_shard *s, const rl_key *k, uint64_t h) {
  for (uint32_t i = s->heads[h & s->mask]; i != NIL; i = s->entries[i].chain_next) {
    if (entry_matches(&s->entries[i], k, h)) return i;
  }
  return NIL;
}

/* A new principal gets a full bucket; when the pool is full the LRU entry is recycled. */
static uint32_t shard_insert(rl_shard *s, const rl_key *k, uint64_t h, int64_t now_us) {
  uint32_t i;
  if (s->used < s->cap) {
    i = s->used++;
  } else {
    i = s->lru_tail;
    chain_unlink(s, i);
    lru_unlink(s, i);
  }
  rl_entry *e = &s->entries[i];
  e->hash = h;
  e->tat_us = now_us;
  e->digest = k->digest;
  e->key_len = (uint8_t)k->len;
  memcpy(e->key, k->bytes, k->len);
  e->key[k->len] = '\0';
  e->chain_next = s->heads[h & s->mask];
  s->heads[h & s->mask] = i;
  lru_push_front(s, i);
  return i;
}

static rl_entry *shard_touch(rl_shard *s, const rl_key *k, uint64_t h, int64_t now_us) {
  uint32_t i = shard_find(s, k, h);
  if (i == NIL) return &s->entries[shard_insert(s, k, h, now_us)];
  lru_unlink(s, i);
  lru_push_front(s, i);
  return &s->entries[i];
}

/* ---- GCRA decision ---- */

static void decide(const rl_local *L, rl_entry *e, int64_t now_us, noc_ratelimit_decision *out) {
  int64_t tat = e->tat_us > now_us ? e->tat_us : now_us;
  int64_t next = tat + L->interval_us; /* tat if this request takes a token */
  out->limit = L->burst;
  if (next - now_us <= L->capacity_us) {
    e->tat_us = next;
    out->allowed = true;
    out->remaining = (L->capacity_us - (next - now_us)) / L->interval_us;
    out->reset_s = ceil_div(next - now_us, US_PER_S);
    out->retry_after_s = 0;
  } else {
    int64_t wait = ceil_div(next - L->capacity_us - now_us, US_PER_S);
    out->allowed = false;
    out->remaining = 0;
    out->reset_s = ceil_div(tat - now_us, US_PER_S);
    out->retry_after_s = wait < 1 ? 1 : wait;
  }
}

static bool local_take(void *impl, const char *principal, int64_t now_ms,
                       noc_ratelimit_decision *out) {
  rl_local *L = impl;
  rl_key k;
  if (out == NULL) return false;
  memset(out, 0, sizeof *out);
  if (L == NULL || principal == NULL || now_ms < 0 || now_ms >= MAX_NOW_MS) return false;
  if (L->unlimited) {
    out->allowed = true;
    return true;
  }
  make_key(principal, &k);
  uint64_t h = key_hash(L, &k);
  rl_shard *s = &L->shards[(h >> 56) & (L->nshards - 1)];
  int64_t now_us = now_ms * 1000;
  pthread_mutex_lock(&s->mu);
  decide(L, shard_touch(s, &k, h, now_us), now_us, out);
  pthread_mutex_unlock(&s->mu);
  return true;
}

/* ---- construction ---- */

static void local_destroy(void *impl) {
  rl_local *L = impl;
  if (L == NULL) return;
  for (uint32_t i = 0; i < L->nshards; i++) {
    pthread_mutex_destroy(&L->shards[i].mu);
    free(L->shards[i].entries);
    free(L->shards[i].heads);
  }
  sodium_memzero(L->hash_key, sizeof L->hash_key);
  free(L);
}

static const struct noc_ratelimiter_ops local_ops = {local_take, local_destroy};

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

static bool shard_init(rl_shard *s, uint32_t cap) {
  uint32_t nheads = pow2_at_least(cap);
  s->entries = calloc(cap, sizeof *s->entries);
  s->heads = malloc((size_t)nheads * sizeof *s->heads);
  if (s->entries == NULL || s->heads == NULL || pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s->entries);
    free(s->heads);
    return false;
  }
  memset(s->heads, 0xff, (size_t)nheads * sizeof *s->heads); /* all NIL */
  s->cap = cap;
  s->used = 0;
  s->mask = nheads - 1;
  s->lru_head = s->lru_tail = NIL;
  return true;
}

static uint32_t shard_count_for(size_t max_principals) {
  uint32_t n = 1;
  while (n < MAX_SHARDS && (size_t)n * 2 * PRINCIPALS_PER_SHARD <= max_principals)
    n *= 2;
  return n;
}

static bool local_init_table(rl_local *L, size_t max_principals) {
  uint32_t n = shard_count_for(max_principals);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t cap = (uint32_t)(max_principals / n + (i < max_principals % n ? 1 : 0));
    if (!shard_init(&L->shards[i], cap)) return false;
    L->nshards = i + 1; /* destroy releases only initialised shards */
  }
  return true;
}

/* Interval between tokens in µs; false when the bucket would span more than MAX_CAPACITY_US. */
static bool local_set_rate(rl_local *L, double rate_per_s, int64_t burst) {
  double interval = 1e6 / rate_per_s;
  if (interval >= (double)MAX_CAPACITY_US) return false;
  L->interval_us = interval < 1.0 ? 1 : (int64_t)llround(interval);
  if (burst > MAX_CAPACITY_US / L->interval_us) return false;
  L->burst = burst;
  L->capacity_us = burst * L->interval_us;
  return true;
}

static rl_local *local_create(double rate_per_s, int64_t burst, size_t max_principals) {
  if (!isfinite(rate_per_s) || sodium_init() < 0) return NULL;
  rl_local *L = calloc(1, sizeof *L);
  if (L == NULL) return NULL;
  if (rate_per_s <= 0) {
    L->unlimited = true;
    return L;
  }
  if (burst < 1 || max_principals < 1 || max_principals > MAX_PRINCIPALS ||
      !local_set_rate(L, rate_per_s, burst)) {
    free(L);
    return NULL;
  }
  randombytes_buf(L->hash_key, sizeof L->hash_key);
  if (!local_init_table(L, max_principals)) {
    local_destroy(L);
    return NULL;
  }
  return L;
}

noc_ratelimiter *noc_ratelimit_local_new(double rate_per_s, int64_t burst, size_t max_principals) {
  rl_local *L = local_create(rate_per_s, burst, max_principals);
  if (L == NULL) return NULL;
  noc_ratelimiter *rl = malloc(sizeof *rl);
  if (rl == NULL) {
    local_destroy(L);
    return NULL;
  }
  rl->ops = &local_ops;
  rl->impl = L;
  return rl;
}

/* ---- generic entry points ---- */

bool noc_ratelimit_take(noc_ratelimiter *rl, const char *principal, int64_t now_ms,
                        noc_ratelimit_decision *out) {
  if (rl == NULL || rl->ops == NULL || rl->ops->take == NULL) {
    if (out != NULL) memset(out, 0, sizeof *out);
    return false;
  }
  return rl->ops->take(rl->impl, principal, now_ms, out);
}

void noc_ratelimit_free(noc_ratelimiter *rl) {
  if (rl == NULL) return;
  if (rl->ops != NULL && rl->ops->destroy != NULL) rl->ops->destroy(rl->impl);
  free(rl);
}

size_t noc_ratelimit_local_count(const noc_ratelimiter *rl) {
  if (rl == NULL || rl->ops != &local_ops) return 0;
  rl_local *L = rl->impl;
  size_t total = 0;
  for (uint32_t i = 0; i < L->nshards; i++) {
    pthread_mutex_lock(&L->shards[i].mu);
    total += L->shards[i].used;
    pthread_mutex_unlock(&L->shards[i].mu);
  }
  return total;
}

int64_t noc_ratelimit_clock_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
