/* The policy lookup cache: SHARDS independently locked shards of SETS sets of WAYS entries;
 * a key's hash picks the shard and the set, and a full set gives up its least recently used
 * entry. Worker threads checking different tokens rarely meet on a lock, and each lock is held
 * only to copy one entry. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/identity_cache.h"

enum { SHARDS = 16, WAYS = 4, SETS = NOC_IDC_SIZE / (SHARDS * WAYS) };

_Static_assert(SHARDS *SETS *WAYS == NOC_IDC_SIZE, "cache geometry");

typedef struct slot {
  noc_idc_entry e;
  uint64_t used; /* shard tick of the last use; 0 = empty */
} slot;

typedef struct shard {
  pthread_mutex_t mu;
  uint64_t tick;
  slot sets[SETS][WAYS];
} shard;

struct noc_id_cache {
  shard shards[SHARDS];
};

noc_id_cache *noc_id_cache_new(void) {
  noc_id_cache *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  for (int i = 0; i < SHARDS; i++)
    pthread_mutex_init(&c->shards[i].mu, NULL);
  return c;
}

void noc_id_cache_free(noc_id_cache *c) {
  if (c == NULL) return;
  for (int i = 0; i < SHARDS; i++)
    pthread_mutex_destroy(&c->shards[i].mu);
  free(c);
}

/* FNV-1a over the kind and the id. */
static uint64_t key_hash(int kind, const char *token_id) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)kind;
  h *= 1099511628211ULL;
  for (const unsigned char *p = (const unsigned char *)token_id; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return h;
}

static bool key_fits(const char *token_id) {
  return strnlen(token_id, NOC_IDC_KEY_MAX) < NOC_IDC_KEY_MAX;
}

/* The set for the key, with its shard locked. */
static slot *lock_set(noc_id_cache *c, int kind, const char *token_id, shard **sh) {
  uint64_t h = key_hash(kind, token_id);
  *sh = &c->shards[h % SHARDS];
  pthread_mutex_lock(&(*sh)->mu);
  return (*sh)->sets[(h / SHARDS) % SETS];
}

static slot *find(slot *set, int kind, const char *token_id) {
  for (int i = 0; i < WAYS; i++)
    if (set[i].used != 0 && set[i].e.kind == kind && strcmp(set[i].e.token_id, token_id) == 0)
      return &set[i];
  return NULL;
}

bool noc_id_cache_get(noc_id_cache *c, int kind, const char *token_id, uint64_t version,
                      noc_idc_entry *out) {
  if (c == NULL || !key_fits(token_id)) return false;
  shard *sh;
  slot *set = lock_set(c, kind, token_id, &sh);
  slot *s = find(set, kind, token_id);
  bool hit = s != NULL && s->e.version == version;
  if (hit) {
    s->used = ++sh->tick;
    *out = s->e;
  }
  pthread_mutex_unlock(&sh->mu);
  return hit;
}

void noc_id_cache_put(noc_id_cache *c, const noc_idc_entry *e) {
  if (c == NULL || e->kind == 0 || !key_fits(e->token_id)) return;
  shard *sh;
  slot *set = lock_set(c, e->kind, e->token_id, &sh);
  slot *s = find(set, e->kind, e->token_id);
  if (s != NULL && s->e.version > e->version) { /* a slower reader's older rows: keep newer */
    pthread_mutex_unlock(&sh->mu);
    return;
  }
  for (int i = 0; s == NULL && i < WAYS; i++)
    if (set[i].used == 0) s = &set[i];
  if (s == NULL) {
    s = &set[0];
    for (int i = 1; i < WAYS; i++)
      if (set[i].used < s->used) s = &set[i];
  }
  s->e = *e;
  s->used = ++sh->tick;
  pthread_mutex_unlock(&sh->mu);
}

void noc_id_cache_touched(noc_id_cache *c, int kind, const char *token_id, int64_t at) {
  if (c == NULL || !key_fits(token_id)) return;
  shard *sh;
  slot *set = lock_set(c, kind, token_id, &sh);
  slot *s = find(set, kind, token_id);
  if (s != NULL && s->e.last_used_at < at) s->e.last_used_at = at;
  pthread_mutex_unlock(&sh->mu);
}
