/* identity_cache.h - the per-process cache of token policy lookups (identity_policy.c).
 *
 * Holds, per (kind, token_id), what the policy reads from storage for a token - copied from
 * the rows, nothing else - together with the store's identity version at which it was read
 * (noc_store_identity_version). An entry is handed out only for the exact version it was read
 * at; any commit since makes the version differ and the entry useless. Bounded (NOC_IDC_SIZE
 * entries in independently locked shards, least recently used replaced), safe from any thread.
 */
#ifndef NOC_HTTP_IDENTITY_CACHE_H
#define NOC_HTTP_IDENTITY_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum {
  NOC_IDC_SIZE = 4096,
  NOC_IDC_KEY_MAX = 64, /* = sizeof noc_jwt_claims.token_id */
  NOC_IDC_SERVICE = 1,  /* token_id names a service_tokens row */
  NOC_IDC_ACCESS = 2    /* token_id names a session */
};

typedef struct noc_idc_entry {
  int kind; /* NOC_IDC_*; 0 = empty slot */
  char token_id[NOC_IDC_KEY_MAX];
  uint64_t version;                /* identity version the rows were read at */
  noc_store_rc rc;                 /* NOC_STORE_OK or NOC_STORE_NOT_FOUND (errors are not kept) */
  char subject[NOC_STORE_ID_MAX];  /* service: the token's subject; access: the session's user */
  char scope[NOC_STORE_SCOPE_MAX]; /* service only */
  int64_t expires_at;              /* service only; 0 = eternal */
  int64_t last_used_at;            /* service only */
  int64_t revoked_at;              /* 0 = live */
  noc_user_state user;
} noc_idc_entry;

typedef struct noc_id_cache noc_id_cache;

/* NULL when out of memory. */
noc_id_cache *noc_id_cache_new(void);
void noc_id_cache_free(noc_id_cache *c);
/* Copies the entry for (kind, token_id) into out when it was read at exactly `version`. */
bool noc_id_cache_get(noc_id_cache *c, int kind, const char *token_id, uint64_t version,
                      noc_idc_entry *out);
/* Stores a copy of e (its key, version and rc set by the caller); a token_id that does not fit
 * NOC_IDC_KEY_MAX is not stored. */
void noc_id_cache_put(noc_id_cache *c, const noc_idc_entry *e);
/* Records that last_used_at was just written, so that the once-a-minute touch is not retried by
 * every request that still finds the entry. */
void noc_id_cache_touched(noc_id_cache *c, int kind, const char *token_id, int64_t at);

#endif
