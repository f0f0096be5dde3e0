/* Bearer authentication: key loading, header parsing, verification and the policy hook. */
#include "http/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
  KEY_FILE_READ_MAX = 256,
  RANDOM_KEY_BYTES = 32,
  CACHE_SLOTS = 8,       /* per thread, direct-mapped by a hash of the token */
  CACHE_TOKEN_MAX = 1024 /* longer tokens are verified every time */
};

/* Verified tokens, per thread. A service sends the same token on every request, and a full
 * verification (two base64 decodes, two JSON parses, one HMAC) costs about as much as the rest
 * of the HTTP layer. An entry is used only for the byte-identical token under the same noc_auth
 * instance (keys never change during its life); the time claims are checked again on every
 * use with the verifier's rules, and the policy hook (revocation, scope) always runs. */
typedef struct token_cache_entry {
  uint64_t auth_id; /* 0 = empty */
  size_t len;
  char token[CACHE_TOKEN_MAX];
  noc_jwt_claims claims;
} token_cache_entry;

static _Thread_local token_cache_entry token_cache[CACHE_SLOTS];
static _Atomic uint64_t next_auth_id = 1;

struct noc_auth {
  uint64_t id;          /* distinguishes instances in the token cache */
  noc_jwt_keyring ring; /* owned; wiped on close */
  int64_t leeway_s;
  noc_auth_policy_fn policy;
  void *policy_cls; /* borrowed */
  char key_source[NOC_CFG_PATH_MAX + 32];
};

static const char KEY_FILE_NAME[] = "jwt-secret";

/* mkdir -p with mode 0700 for the parts that do not exist yet. */
static noc_status make_dirs(const char *dir, noc_error *err) {
  char path[NOC_CFG_PATH_MAX];
  int n = snprintf(path, sizeof path, "%s", dir);
  if (n <= 0 || (size_t)n >= sizeof path)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATA_DIR", "path too long");
  for (char *p = path + 1;; p++) {
    bool last = *p == '\0';
    if (*p == '/' || last) {
      *p = '\0';
      if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATA_DIR", "cannot create %s: %s", path,
                        strerror(errno));
      if (last) break;
      *p = '/';
    }
  }
  return NOC_OK;
}

/* Reads and checks an existing key file into key. */
static noc_status read_key_file(int fd, const char *path, noc_jwt_key *key, noc_error *err) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATA_DIR", "%s is not a regular file", path);
  if (st.st_mode & 077)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATA_DIR",
                    "%s is readable by other users; run chmod 600 on it", path);
  char buf[KEY_FILE_READ_MAX];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATA_DIR", "cannot read %s: %s", path,
                    strerror(errno));
  size_t len = (size_t)n;
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
    len--;
  noc_status st_out = NOC_OK;
  if (len < NOC_JWT_MIN_SECRET || len > NOC_JWT_MAX_SECRET)
    st_out =
        noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATA_DIR", "%s must hold %d to %d characters",
                 path, NOC_JWT_MIN_SECRET, NOC_JWT_MAX_SECRET);
  else {
    memcpy(key->secret, buf, len);
    key->secret_len = len;
  }
  sodium_memzero(buf, sizeof buf);
  return st_out;
}

/* Creates the key file with a fresh random key; EEXIST is reported to the caller. */
static int create_key_file(const char *path, noc_jwt_key *key) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  unsigned char raw[RANDOM_KEY_BYTES];
  char hex[RANDOM_KEY_BYTES * 2 + 2];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  size_t len = RANDOM_KEY_BYTES * 2;
  hex[len] = '\n';
  int rc = (write(fd, hex, len + 1) == (ssize_t)(len + 1) && fsync(fd) == 0) ? 0 : -1;
  int saved = errno;
  close(fd);
  if (rc == 0) {
    memcpy(key->secret, hex, len);
    key->secret_len = len;
  } else {
    unlink(path);
  }
  sodium_memzero(raw, sizeof raw);
  sodium_memzero(hex, sizeof hex);
  errno = saved;
  return rc;
}

static noc_status load_key_file(noc_auth *a, const char *data_dir, noc_error *err) {
  noc_status st;
  char path[NOC_CFG_PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/%s", data_dir, KEY_FILE_NAME);
  snprintf(a->key_source, sizeof a->key_source, "%s", path);
  noc_jwt_key *key = &a->ring.keys[0];
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      st = read_key_file(fd, path, key, err);
      close(fd);
      return st;
    }
    if (errno != ENOENT) break;
    if (create_key_file(path, key) == 0) return NOC_OK;
    if (errno != EEXIST) break;
    /* Another process created it between our open and create: read theirs. */
  }
  return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATA_DIR", "cannot use key file %s: %s", path,
                  strerror(errno));
}

void noc_auth_key_id(const unsigned char *secret, size_t len, char out[32]) {
  static const char prefix[] = "nocturna-kid:";
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, (const unsigned char *)prefix, sizeof prefix - 1);
  crypto_hash_sha256_update(&st, secret, len);
  crypto_hash_sha256_final(&st, digest);
  out[0] = 'k';
  sodium_bin2hex(out + 1, 31, digest, 8);
  sodium_memzero(digest, sizeof digest);
}

/* NOCTURNA_PREVIOUS_SECRET_KEYS: comma-separated keys that still verify after a rotation. */
static noc_status load_previous_keys(noc_auth *a, noc_error *err) {
  const char *list = getenv("NOCTURNA_PREVIOUS_SECRET_KEYS");
  for (const char *p = list; p != NULL && *p;) {
    p += strspn(p, " ,\t\n");
    size_t n = strcspn(p, " ,\t\n");
    if (n == 0) break;
    if (n < NOC_JWT_MIN_SECRET || n > NOC_JWT_MAX_SECRET)
      return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_PREVIOUS_SECRET_KEYS",
                      "each key must be %d to %d bytes long", NOC_JWT_MIN_SECRET,
                      NOC_JWT_MAX_SECRET);
    if (a->ring.count >= NOC_JWT_MAX_KEYS)
      return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_PREVIOUS_SECRET_KEYS",
                      "at most %d previous keys", NOC_JWT_MAX_KEYS - 1);
    noc_jwt_key *k = &a->ring.keys[a->ring.count];
    memcpy(k->secret, p, n);
    k->secret_len = n;
    noc_auth_key_id(k->secret, n, k->kid);
    if (strcmp(k->kid, a->ring.keys[0].kid) != 0)
      a->ring.count++;
    else
      sodium_memzero(k, sizeof *k); /* the current key listed again is not a second key */
    p += n;
  }
  return NOC_OK;
}

noc_status noc_auth_open(noc_auth **out, const noc_http_config *cfg, noc_error *err) {
  *out = NULL;
  if (sodium_init() < 0)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "libsodium failed to initialise");
  noc_auth *a = calloc(1, sizeof *a);
  if (a == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  a->id = atomic_fetch_add(&next_auth_id, 1);
  a->ring.count = 1;
  a->leeway_s = cfg->jwt_leeway_s;
  a->policy = noc_auth_default_policy;
  /* The data directory is created here whatever the key source: the server owns it. */
  noc_status st = make_dirs(cfg->data_dir, err);
  const char *env = getenv("NOCTURNA_ENV");
  if (st == NOC_OK && cfg->secret_len == 0 && env != NULL && strcasecmp(env, "production") == 0)
    st = noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_SECRET_KEY",
                  "is required when NOCTURNA_ENV=production (32 to 64 bytes; generate one with "
                  "`head -c 32 /dev/urandom | xxd -p -c 64`)");
  if (st == NOC_OK && cfg->secret_len > 0) {
    memcpy(a->ring.keys[0].secret, cfg->secret_key, cfg->secret_len);
    a->ring.keys[0].secret_len = cfg->secret_len;
    snprintf(a->key_source, sizeof a->key_source, "environment (NOCTURNA_SECRET_KEY)");
  } else if (st == NOC_OK) {
    st = load_key_file(a, cfg->data_dir, err);
  }
  if (st == NOC_OK) {
    noc_jwt_key *k0 = &a->ring.keys[0];
    noc_auth_key_id(k0->secret, k0->secret_len, k0->kid);
    st = load_previous_keys(a, err);
  }
  if (st != NOC_OK) {
    noc_auth_close(a);
    return st;
  }
  *out = a;
  return NOC_OK;
}

void noc_auth_close(noc_auth *a) {
  if (a == NULL) return;
  sodium_memzero(&a->ring, sizeof a->ring);
  free(a);
}

void noc_auth_set_policy(noc_auth *a, noc_auth_policy_fn fn, void *cls) {
  a->policy = fn ? fn : noc_auth_default_policy;
  a->policy_cls = fn ? cls : NULL;
}

const noc_jwt_keyring *noc_auth_keyring(const noc_auth *a) {
  return &a->ring;
}

const char *noc_auth_key_source(const noc_auth *a) {
  return a->key_source;
}

bool noc_auth_scope_grants(const char *scope_list, const char *scope) {
  size_t want = strlen(scope);
  const char *p = scope_list;
  while (*p) {
    while (*p == ' ')
      p++;
    size_t n = strcspn(p, " ");
    if (n == 0) break;
    if ((n == want && memcmp(p, scope, n) == 0) || (n == 5 && memcmp(p, "admin", 5) == 0))
      return true;
    p += n;
  }
  return false;
}

noc_auth_status noc_auth_default_policy(void *cls, const noc_jwt_claims *claims,
                                        const char *required_scope, const char **message) {
  (void)cls;
  (void)message;
  if (required_scope == NULL || noc_auth_scope_grants(claims->scope, required_scope))
    return NOC_AUTH_OK;
  return NOC_AUTH_FORBIDDEN;
}

/* "Bearer <token>": the scheme is case-insensitive (RFC 7235), then one or more spaces. */
static bool bearer_token(const char *header, const char **tok, size_t *len) {
  if (strncasecmp(header, "Bearer ", 7) != 0) return false;
  const char *p = header + 7;
  while (*p == ' ')
    p++;
  size_t n = strlen(p);
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  if (n == 0) return false;
  *tok = p;
  *len = n;
  return true;
}

static const char *policy_message(noc_auth_status st) {
  switch (st) {
  case NOC_AUTH_EXPIRED:
    return "Token has expired";
  case NOC_AUTH_INVALID:
    return "Token is invalid";
  case NOC_AUTH_REVOKED:
    return "Token has been revoked";
  case NOC_AUTH_FORBIDDEN:
    return "Token does not grant the scope this endpoint requires";
  case NOC_AUTH_UNAVAILABLE:
    return "Token could not be checked right now; retry later";
  default:
    return "Token is valid";
  }
}

static uint64_t token_hash(const char *tok, size_t len) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a: spreads slots, not a security boundary */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)tok[i]) * 1099511628211ULL;
  return h;
}

/* The verifier's time rules (jwt.h) for a cached entry. */
static bool times_ok(const noc_jwt_claims *c, int64_t now, int64_t leeway) {
  if (c->has_exp && c->exp <= now - leeway) return false;
  if (c->has_nbf && c->nbf > now + leeway) return false;
  return !(c->has_iat && c->iat > now + leeway);
}

static noc_jwt_result verify_cached(const noc_auth *a, const char *tok, size_t len, int64_t now,
                                    noc_jwt_claims *out) {
  if (len > CACHE_TOKEN_MAX) return noc_jwt_verify(&a->ring, tok, len, now, a->leeway_s, out);
  token_cache_entry *e = &token_cache[token_hash(tok, len) % CACHE_SLOTS];
  if (e->auth_id == a->id && e->len == len && memcmp(e->token, tok, len) == 0 &&
      times_ok(&e->claims, now, a->leeway_s)) {
    *out = e->claims;
    return NOC_JWT_OK;
  }
  noc_jwt_result r = noc_jwt_verify(&a->ring, tok, len, now, a->leeway_s, out);
  if (r == NOC_JWT_OK) {
    e->auth_id = a->id;
    e->len = len;
    memcpy(e->token, tok, len);
    e->claims = *out;
  }
  return r;
}

void noc_auth_check(const noc_auth *a, const char *authorization, const char *required_scope,
                    int64_t now_s, noc_auth_result *out) {
  memset(out, 0, sizeof *out);
  const char *tok;
  size_t len;
  if (authorization == NULL || authorization[0] == '\0') {
    out->status = NOC_AUTH_MISSING;
    out->message = "Authentication required: send Authorization: Bearer <token>";
    return;
  }
  if (!bearer_token(authorization, &tok, &len)) {
    out->status = NOC_AUTH_INVALID;
    out->message = "Authorization header must be: Bearer <token>";
    return;
  }
  noc_jwt_result r = verify_cached(a, tok, len, now_s, &out->claims);
  if (r != NOC_JWT_OK) {
    out->status = r == NOC_JWT_EXPIRED ? NOC_AUTH_EXPIRED : NOC_AUTH_INVALID;
    out->message = noc_jwt_result_message(r);
    return;
  }
  const char *message = NULL;
  noc_auth_status st = a->policy(a->policy_cls, &out->claims, required_scope, &message);
  out->status = st;
  /* "Token has expired" stays exact: clients look for the word to decide to renew. */
  bool own = st != NOC_AUTH_OK && st != NOC_AUTH_EXPIRED && message != NULL;
  out->message = own ? message : policy_message(st);
}
