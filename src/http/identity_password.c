/* Passwords: argon2id through libsodium behind a counting semaphore.
 *
 * One hash holds hash_memory_mib of memory for ~50 ms (64 MiB, t=2 on this class of machine),
 * so without a cap a burst of logins could take gigabytes; with it, extra logins wait up to
 * HASH_WAIT_S for a slot and then get 503. Unknown users are verified against a dummy hash of
 * the same cost, so response time does not tell which accounts exist. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/identity_internal.h"

enum { HASH_WAIT_S = 10 };

static size_t mem_bytes(const noc_identity *id) {
  return (size_t)id->cfg.hash_memory_mib * 1024u * 1024u;
}

/* Counts UTF-8 code points; -1 when the text is not valid UTF-8. */
static long utf8_chars(const char *s) {
  long n = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
    if (len == 0) return -1;
    for (int i = 1; i < len; i++)
      if ((p[i] & 0xc0) != 0x80) return -1;
    p += len;
    n++;
  }
  return n;
}

bool noc_id_password_acceptable(const noc_identity *id, const char *pw, noc_error *err) {
  size_t bytes = strlen(pw);
  long chars = utf8_chars(pw);
  if (chars < 0)
    noc_fail(err, NOC_ERR_VALIDATION, "password", "must be valid UTF-8 text");
  else if (chars < (long)id->cfg.password_min)
    noc_fail(err, NOC_ERR_VALIDATION, "password", "must be at least %u characters long",
             id->cfg.password_min);
  else if (bytes > NOC_ID_PASSWORD_MAX)
    noc_fail(err, NOC_ERR_VALIDATION, "password", "must be at most %d bytes long",
             NOC_ID_PASSWORD_MAX);
  else
    return true;
  return false;
}

static bool take_slot(noc_identity *id) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += HASH_WAIT_S;
  for (;;) {
    if (sem_timedwait(&id->hash_slots, &deadline) == 0) return true;
    if (errno != EINTR) return false;
  }
}

bool noc_id_password_hash(noc_identity *id, const char *pw, char *out, noc_error *err) {
  if (!take_slot(id)) {
    noc_fail(err, NOC_ERR_INTERNAL, "", "too many password checks at once; retry later");
    return false;
  }
  int rc = crypto_pwhash_str_alg(out, pw, strlen(pw), id->cfg.hash_ops, mem_bytes(id),
                                 crypto_pwhash_ALG_ARGON2ID13);
  sem_post(&id->hash_slots);
  if (rc != 0) {
    noc_fail(err, NOC_ERR_NOMEM, "", "password hashing failed (out of memory)");
    return false;
  }
  return true;
}

bool noc_id_password_verify(noc_identity *id, const char *hash, const char *pw, bool *busy) {
  *busy = false;
  if (!take_slot(id)) {
    *busy = true;
    return false;
  }
  bool ok = crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
  sem_post(&id->hash_slots);
  return ok;
}

bool noc_id_password_needs_rehash(const noc_identity *id, const char *hash) {
  return crypto_pwhash_str_needs_rehash(hash, id->cfg.hash_ops, mem_bytes(id)) != 0;
}

void noc_id_password_generate(char *out, size_t n) {
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  out[n] = '\0';
}

/* Made on first need (not at open: the command line rarely needs it). */
void noc_id_password_dummy_verify(noc_identity *id, const char *pw) {
  pthread_mutex_lock(&id->dummy_mu);
  if (!id->dummy_ready) {
    char random_pw[33];
    noc_error err;
    noc_id_password_generate(random_pw, 32);
    id->dummy_ready = noc_id_password_hash(id, random_pw, id->dummy_hash, &err);
    sodium_memzero(random_pw, sizeof random_pw);
  }
  pthread_mutex_unlock(&id->dummy_mu);
  bool busy;
  if (id->dummy_ready) (void)noc_id_password_verify(id, id->dummy_hash, pw, &busy);
}

noc_status noc_id_password_init(noc_identity *id, noc_error *err) {
  if (sem_init(&id->hash_slots, 0, id->cfg.hash_concurrency) != 0)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "sem_init failed");
  pthread_mutex_init(&id->dummy_mu, NULL);
  id->hash_slots_ok = true;
  return NOC_OK;
}

void noc_id_password_free(noc_identity *id) {
  if (id->hash_slots_ok) {
    sem_destroy(&id->hash_slots);
    pthread_mutex_destroy(&id->dummy_mu);
  }
  id->hash_slots_ok = false;
}
