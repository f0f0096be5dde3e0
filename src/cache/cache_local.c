/* cache_local.c - the in-process cache: a bounded LRU with TTLs (contract in cache.h).
 *
 * Up to 16 shards, each a mutex, a chained hash table and an LRU list. Keys are hashed with
 * SipHash under a random per-cache key, so callers choosing keys cannot aim at one chain. An
 * entry is one allocation (key, NUL, value), made before the shard lock is taken. Times come
 * from CLOCK_MONOTONIC, so a wall clock step neither expires nor revives anything. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"

enum { MAX_SHARDS = 16, KEYS_PER_SHARD = 256, MIN_BUCKETS = 16, INT_TEXT_MAX = 24 };
#define MAX_ENTRIES ((size_t)1 << 24)

typedef struct lc_entry {
  struct lc_entry *chain;       /* next in the same hash bucket */
  struct lc_entry *prev, *next; /* LRU: prev is more recently used */
  uint64_t hash;
  int64_t expires_ms; /* monotonic; 0 = never */
  size_t key_len, val_len;
  char data[]; /* key, NUL, value */
} lc_entry;

typedef struct lc_shard {
  pthread_mutex_t mu;
  lc_entry **buckets; /* owned array; the entries are owned through the LRU list */
  size_t mask;
  lc_entry *head, *tail; /* most and least recently used */
  size_t count, cap;
  char pad[64]; /* keeps neighbouring shards' mutexes off one cache line */
} lc_shard;

typedef struct lc_cache {
  unsigned char hash_key[crypto_shorthash_KEYBYTES];
  unsigned nshards;
  lc_shard shards[MAX_SHARDS];
} lc_cache;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t key_hash(const lc_cache *L, const char *key, size_t n) {
  unsigned char h[crypto_shorthash_BYTES];
  uint64_t v = 0;
  crypto_shorthash(h, (const unsigned char *)key, n, L->hash_key);
  for (size_t i = 0; i < sizeof h; i++)
    v = (v << 8) | h[i];
  return v;
}

static lc_shard *shard_of(lc_cache *L, uint64_t h) {
  return &L->shards[(h >> 56) & (L->nshards - 1)];
}

static bool expired(const lc_entry *e, int64_t now) {
  return e->expires_ms != 0 && e->expires_ms <= now;
}

static int64_t expiry_at(int64_t now, int64_t ttl_ms) {
  if (ttl_ms <= 0) return 0;
  return ttl_ms > INT64_MAX - now ? INT64_MAX : now + ttl_ms;
}

/* key + NUL + value in one block; NULL when out of memory. */
static lc_entry *entry_new(const char *key, size_t kn, uint64_t h, const void *val, size_t vn,
                           int64_t expires_ms) {
  lc_entry *e = malloc(sizeof *e + kn + 1 + vn);
  if (e == NULL) return NULL;
  memset(e, 0, sizeof *e);
  e->hash = h;
  e->expires_ms = expires_ms;
  e->key_len = kn;
  e->val_len = vn;
  memcpy(e->data, key, kn);
  e->data[kn] = '\0';
  if (vn > 0) memcpy(e->data + kn + 1, val, vn);
  return e;
}

/* ---- shard structure (caller holds s->mu) ---- */

static void lru_unlink(lc_shard *s, lc_entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    s->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    s->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push_front(lc_shard *s, lc_entry *e) {
  e->prev = NULL;
  e->next = s->head;
  if (s->head) s->head->prev = e;
  s->head = e;
  if (s->tail == NULL) s->tail = e;
}

static lc_entry **find_link(lc_shard *s, const char *key, size_t kn, uint64_t h) {
  lc_entry **link = &s->buckets[h & s->mask];
  while (*link != NULL) {
    lc_entry *e = *link;
    if (e->hash == h && e->key_len == kn && memcmp(e->data, key, kn) == 0) return link;
    link = &e->chain;
  }
  return link;
}

static void chain_unlink(lc_shard *s, lc_entry *e) {
  lc_entry **link = &s->buckets[e->hash & s->mask];
  while (*link != NULL && *link != e)
    link = &(*link)->chain;
  if (*link == e) *link = e->chain;
}

/* Unlinks e and returns it for the caller to free after unlocking. */
static lc_entry *remove_entry(lc_shard *s, lc_entry *e) {
  chain_unlink(s, e);
  lru_unlink(s, e);
  s->count--;
  return e;
}

/* The live entry for key, or NULL; an expired one is unlinked into *dead. */
static lc_entry *lookup(lc_shard *s, const char *key, size_t kn, uint64_t h, int64_t now,
                        lc_entry **dead) {
  lc_entry *e = *find_link(s, key, kn, h);
  if (e == NULL) return NULL;
  if (expired(e, now)) {
    *dead = remove_entry(s, e);
    return NULL;
  }
  return e;
}

/* Inserts fresh (not yet linked), replacing old (linked or NULL); returns what to free: the
 * old entry, or the least recently used one when the shard overflowed. */
static lc_entry *install(lc_shard *s, lc_entry *old, lc_entry *fresh) {
  lc_entry *out = NULL;
  if (old != NULL) out = remove_entry(s, old);
  lc_entry **head = &s->buckets[fresh->hash & s->mask];
  fresh->chain = *head;
  *head = fresh;
  lru_push_front(s, fresh);
  s->count++;
  if (s->count > s->cap && out == NULL) out = remove_entry(s, s->tail);
  return out;
}

/* ---- operations ---- */

static noc_cache_rc lc_get(void *impl, const char *key, void *out, size_t cap, size_t *len) {
  lc_cache *L = impl;
  size_t kn = strlen(key);
  uint64_t h = key_hash(L, key, kn);
  lc_shard *s = shard_of(L, h);
  lc_entry *dead = NULL;
  noc_cache_rc rc = NOC_CACHE_MISS;
  pthread_mutex_lock(&s->mu);
  lc_entry *e = lookup(s, key, kn, h, mono_ms(), &dead);
  if (e != NULL) {
    *len = e->val_len;
    rc = e->val_len > cap ? NOC_CACHE_TOO_LARGE : NOC_CACHE_OK;
    if (rc == NOC_CACHE_OK && e->val_len > 0) memcpy(out, e->data + kn + 1, e->val_len);
    lru_unlink(s, e);
    lru_push_front(s, e);
  }
  pthread_mutex_unlock(&s->mu);
  free(dead);
  return rc;
}

static noc_cache_rc lc_set(void *impl, const char *key, const void *val, size_t len,
                           int64_t ttl_ms) {
  lc_cache *L = impl;
  size_t kn = strlen(key);
  uint64_t h = key_hash(L, key, kn);
  lc_entry *fresh = entry_new(key, kn, h, val, len, expiry_at(mono_ms(), ttl_ms));
  if (fresh == NULL) return NOC_CACHE_ERROR;
  lc_shard *s = shard_of(L, h);
  pthread_mutex_lock(&s->mu);
  lc_entry *gone = install(s, *find_link(s, key, kn, h), fresh);
  pthread_mutex_unlock(&s->mu);
  free(gone);
  return NOC_CACHE_OK;
}

/* Strict decimal int64 ("-12", "0"); false for anything else. */
static bool parse_i64(const char *p, size_t n, int64_t *out) {
  char buf[INT_TEXT_MAX];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, p, n);
  buf[n] = '\0';
  size_t i = buf[0] == '-' ? 1 : 0;
  if (buf[i] == '\0') return false;
  for (; buf[i]; i++)
    if (buf[i] < '0' || buf[i] > '9') return false;
  errno = 0;
  char *end = NULL;
  long long v = strtoll(buf, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = (int64_t)v;
  return true;
}

/* The sum for incr, or ERROR when the value is not an integer or the sum overflows. */
static noc_cache_rc incr_value(const lc_entry *e, int64_t delta, int64_t *sum) {
  int64_t v = 0;
  if (e != NULL && !parse_i64(e->data + e->key_len + 1, e->val_len, &v)) return NOC_CACHE_ERROR;
  if ((delta > 0 && v > INT64_MAX - delta) || (delta < 0 && v < INT64_MIN - delta))
    return NOC_CACHE_ERROR;
  *sum = v + delta;
  return NOC_CACHE_OK;
}

static noc_cache_rc lc_incr(void *impl, const char *key, int64_t delta, int64_t ttl_ms,
                            int64_t *out) {
  lc_cache *L = impl;
  size_t kn = strlen(key);
  uint64_t h = key_hash(L, key, kn);
  lc_shard *s = shard_of(L, h);
  lc_entry *dead = NULL, *gone = NULL;
  int64_t now = mono_ms(), sum = 0;
  pthread_mutex_lock(&s->mu);
  lc_entry *e = lookup(s, key, kn, h, now, &dead);
  noc_cache_rc rc = incr_value(e, delta, &sum);
  if (rc == NOC_CACHE_OK) {
    char text[INT_TEXT_MAX];
    int tn = snprintf(text, sizeof text, "%" PRId64, sum);
    int64_t exp = e != NULL ? e->expires_ms : expiry_at(now, ttl_ms);
    lc_entry *fresh = entry_new(key, kn, h, text, (size_t)tn, exp);
    if (fresh == NULL)
      rc = NOC_CACHE_ERROR;
    else
      gone = install(s, e, fresh);
  }
  pthread_mutex_unlock(&s->mu);
  free(dead);
  free(gone);
  if (rc == NOC_CACHE_OK) *out = sum;
  return rc;
}

static noc_cache_rc lc_del(void *impl, const char *key) {
  lc_cache *L = impl;
  size_t kn = strlen(key);
  uint64_t h = key_hash(L, key, kn);
  lc_shard *s = shard_of(L, h);
  lc_entry *dead = NULL, *gone = NULL;
  pthread_mutex_lock(&s->mu);
  lc_entry *e = lookup(s, key, kn, h, mono_ms(), &dead);
  if (e != NULL) gone = remove_entry(s, e);
  pthread_mutex_unlock(&s->mu);
  free(dead);
  free(gone);
  return gone != NULL ? NOC_CACHE_OK : NOC_CACHE_MISS;
}

static noc_cache_rc lc_ping(void *impl, char *detail, size_t cap) {
  (void)impl;
  if (detail != NULL && cap > 0) detail[0] = '\0';
  return NOC_CACHE_OK;
}

/* ---- construction ---- */

static void lc_destroy(void *impl) {
  lc_cache *L = impl;
  if (L == NULL) return;
  for (unsigned i = 0; i < L->nshards; i++) {
    lc_shard *s = &L->shards[i];
    for (lc_entry *e = s->head, *next; e != NULL; e = next) {
      next = e->next;
      free(e);
    }
    free(s->buckets);
    pthread_mutex_destroy(&s->mu);
  }
  sodium_memzero(L->hash_key, sizeof L->hash_key);
  free(L);
}

static const struct noc_cache_ops local_ops = {"memory", lc_get,  lc_set,    lc_incr,
                                               lc_del,   lc_ping, lc_destroy};

static bool shard_init(lc_shard *s, size_t cap) {
  size_t nb = MIN_BUCKETS;
  while (nb < cap)
    nb <<= 1;
  s->buckets = calloc(nb, sizeof(lc_entry *));
  if (s->buckets == NULL) return false;
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s->buckets);
    s->buckets = NULL;
    return false;
  }
  s->mask = nb - 1;
  s->cap = cap;
  return true;
}

noc_cache *noc_cache_local_new(size_t max_entries) {
  if (max_entries < 1 || max_entries > MAX_ENTRIES || sodium_init() < 0) return NULL;
  lc_cache *L = calloc(1, sizeof *L);
  noc_cache *c = malloc(sizeof *c);
  if (L == NULL || c == NULL) {
    free(L);
    free(c);
    return NULL;
  }
  randombytes_buf(L->hash_key, sizeof L->hash_key);
  unsigned n = 1;
  while (n < MAX_SHARDS && (size_t)n * 2 * KEYS_PER_SHARD <= max_entries)
    n *= 2;
  for (unsigned i = 0; i < n; i++) {
    size_t cap = max_entries / n + (i < max_entries % n ? 1 : 0);
    if (!shard_init(&L->shards[i], cap)) {
      lc_destroy(L);
      free(c);
      return NULL;
    }
    L->nshards = i + 1; /* destroy releases only initialised shards */
  }
  c->ops = &local_ops;
  c->impl = L;
  return c;
}

size_t noc_cache_local_count(const noc_cache *c) {
  if (c == NULL || c->ops != &local_ops) return 0;
  lc_cache *L = c->impl;
  size_t total = 0;
  for (unsigned i = 0; i < L->nshards; i++) {
    pthread_mutex_lock(&L->shards[i].mu);
    total += L->shards[i].count;
    pthread_mutex_unlock(&L->shards[i].mu);
  }
  return total;
}
