/* cache.h - a small key/value cache behind one vtable: in-process or Redis.
 *
 * In-process (noc_cache_local_new): a bounded LRU with TTLs, split into shards that each have a
 * mutex, for one process. Redis (noc_cache_redis_new): shared by every instance that points at
 * the same server, so N stateless instances can share counters and rate-limit budgets.
 *
 * Keys are C strings of 1..NOC_CACHE_KEY_MAX bytes; values are bytes (up to
 * NOC_CACHE_VALUE_MAX). Counters made by incr are stored as decimal text, so get returns "42"
 * for a counter in both implementations. TTLs are in milliseconds; 0 = no expiry.
 *
 * Failure model of the Redis cache: every operation is bounded by the connect and command
 * timeouts (200 ms by default). The first transport error marks the backend down; while it is
 * down every call returns NOC_CACHE_UNAVAILABLE at once without touching the network, and at
 * most one call per retry interval (1 s) tries to connect again. So a dead Redis costs a
 * request nothing, and the cache comes back by itself within a second of Redis returning.
 *
 * Threads: every function may be called from many threads at once (the Redis cache keeps a
 * small pool of synchronous hiredis connections; a call borrows one for its duration).
 */
#ifndef NOC_CACHE_CACHE_H
#define NOC_CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nocturna/error.h"

enum {
  NOC_CACHE_KEY_MAX = 512,
  NOC_CACHE_VALUE_MAX = 1 << 20,
  NOC_CACHE_URL_MAX = 1024,
  NOC_CACHE_PREFIX_MAX = 64,
  NOC_CACHE_POOL_MAX = 256,
  NOC_CACHE_DETAIL_MAX = 160
};

typedef enum noc_cache_rc {
  NOC_CACHE_OK = 0,
  NOC_CACHE_MISS,        /* no such key (or it expired) */
  NOC_CACHE_UNAVAILABLE, /* backend unreachable, timed out, or marked down: retry later */
  NOC_CACHE_TOO_LARGE,   /* get: the value does not fit the caller's buffer (*len = its size) */
  NOC_CACHE_ERROR        /* bad argument, non-integer value for incr, unexpected reply */
} noc_cache_rc;

/* An implementation. All functions are thread-safe; destroy frees impl. */
struct noc_cache_ops {
  const char *kind; /* "memory" or "redis" */
  /* Copies the value into out (cap bytes, not NUL-terminated) and sets *len to its size. */
  noc_cache_rc (*get)(void *impl, const char *key, void *out, size_t cap, size_t *len);
  noc_cache_rc (*set)(void *impl, const char *key, const void *val, size_t len, int64_t ttl_ms);
  /* Adds delta to the integer at key (absent = 0) and stores the sum in *out. ttl_ms > 0: when
   * this call creates the key it expires ttl_ms later, so a counter lives one window from its
   * first increment; later increments keep the expiry they find. Sums are exact within
   * +-2^53 (Redis runs it as a Lua script, whose numbers are doubles). */
  noc_cache_rc (*incr)(void *impl, const char *key, int64_t delta, int64_t ttl_ms, int64_t *out);
  /* OK when a key was removed, MISS when there was none. */
  noc_cache_rc (*del)(void *impl, const char *key);
  /* OK when usable; otherwise detail says why (NUL-terminated, at most cap bytes). */
  noc_cache_rc (*ping)(void *impl, char *detail, size_t cap);
  void (*destroy)(void *impl);
};

typedef struct noc_cache {
  const struct noc_cache_ops *ops;
  void *impl; /* owned: destroyed by noc_cache_free */
} noc_cache;

/* In-process cache of at most max_entries keys (1..16M); when full, the least recently used key
 * of the shard is evicted. Expired keys are removed when met and when they reach the LRU end.
 * Returns NULL on a bad argument or no memory. Release with noc_cache_free. */
noc_cache *noc_cache_local_new(size_t max_entries);

/* Where the Redis cache connects and how. Called on state changes: up = false the first time
 * an operation fails (detail: why), up = true when a connection works again. May be called
 * from any thread, never with a lock of the cache held; detail never contains the password. */
typedef void (*noc_cache_state_fn)(void *cls, bool up, const char *detail);

typedef struct noc_cache_redis_config {
  char url[NOC_CACHE_URL_MAX];       /* redis://[[user]:password@]host[:port][/db] or
                                        unix:///path/to/socket[?db=N] */
  unsigned pool_size;                /* connections kept: 8 (1..NOC_CACHE_POOL_MAX) */
  unsigned connect_timeout_ms;       /* 200 */
  unsigned command_timeout_ms;       /* 200 */
  unsigned retry_interval_ms;        /* 1000: at most one reconnect attempt per interval */
  char prefix[NOC_CACHE_PREFIX_MAX]; /* "nocturna:" - prepended to every key */
  noc_cache_state_fn on_state;       /* NULL: not told */
  void *state_cls;                   /* borrowed */
} noc_cache_redis_config;

void noc_cache_redis_config_defaults(noc_cache_redis_config *cfg);

/* Checks the configuration and the URL, then tries one connection: when Redis is not reachable
 * the cache is still made (down; on_state is called) and connects later by itself. Fails
 * (err->field "NOCTURNA_REDIS_URL") only on a bad URL or configuration. Ignores SIGPIPE in the
 * process when its disposition is the default one (hiredis writes with write(2)). */
noc_status noc_cache_redis_new(noc_cache **out, const noc_cache_redis_config *cfg, noc_error *err);

/* A parsed Redis URL. */
typedef struct noc_redis_url {
  char host[256];      /* "" for a unix socket */
  int port;            /* 6379 by default */
  char unix_path[108]; /* "" for TCP */
  char user[128];      /* "" = none (AUTH password) */
  char password[256];  /* "" = no AUTH; percent-decoded */
  int db;              /* 0..15 by default; any non-negative number is accepted */
} noc_redis_url;

/* Parses url into *out; err->field = field. rediss:// is refused (hiredis 0.14 has no TLS). */
noc_status noc_cache_redis_parse_url(const char *url, noc_redis_url *out, const char *field,
                                     noc_error *err);
/* The URL with any password replaced by "***", for logs. */
void noc_cache_redact_url(const char *url, char *out, size_t cap);

/* ops wrappers; NULL cache: NOC_CACHE_ERROR. */
noc_cache_rc noc_cache_get(noc_cache *c, const char *key, void *out, size_t cap, size_t *len);
noc_cache_rc noc_cache_set(noc_cache *c, const char *key, const void *val, size_t len,
                           int64_t ttl_ms);
noc_cache_rc noc_cache_incr(noc_cache *c, const char *key, int64_t delta, int64_t ttl_ms,
                            int64_t *out);
noc_cache_rc noc_cache_del(noc_cache *c, const char *key);
noc_cache_rc noc_cache_ping(noc_cache *c, char *detail, size_t cap);
const char *noc_cache_kind(const noc_cache *c);
const char *noc_cache_rc_name(noc_cache_rc rc);
/* Destroys impl and frees c. NULL is a no-op. */
void noc_cache_free(noc_cache *c);

/* A /ready check (the noc_http_ready_fn shape): cls is the noc_cache; true when ping is OK. */
bool noc_cache_ready(void *cls, char *detail, size_t cap);

/* Keys in a local cache (0 for other kinds): for tests. */
size_t noc_cache_local_count(const noc_cache *c);

#endif
