/* libFuzzer target for the strict HS256 verifier (src/http/jwt.c), the one piece of code every
 * request's bytes reach before anything else. Two properties beyond "no crash, no leak":
 *
 *   1. Arbitrary bytes never verify: a token the fuzzer makes up is accepted only if it carries
 *      the HMAC of its own header and payload under the ring's key, which it cannot compute.
 *   2. No forgery by splicing: the input's bytes replace a span of a validly signed token's header
 *      or payload while the signature stays; the result verifies only when the bytes are unchanged.
 *
 * The first input byte chooses the mode and the span; the rest is the data. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/jwt.h"

enum { NOW = 1800000000, SIGNED_MAX = 1024 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void make_ring(noc_jwt_keyring *ring) {
  memset(ring, 0, sizeof *ring);
  ring->count = 2;
  for (int k = 0; k < 2; k++) {
    ring->keys[k].secret_len = 40;
    for (size_t i = 0; i < 40; i++)
      ring->keys[k].secret[i] = (unsigned char)(0x41 + (int)i * 7 + k);
  }
  memcpy(ring->keys[1].kid, "old", 4);
}

/* A valid token under the ring's first key; its length, or 0. */
static size_t signed_token(const noc_jwt_keyring *ring, char *out) {
  noc_jwt_claims c;
  memset(&c, 0, sizeof c);
  memcpy(c.sub, "backend", 8);
  memcpy(c.type, "service", 8);
  memcpy(c.scope, "calculations", 13);
  memcpy(c.token_id, "0f4c", 5);
  c.iat = NOW - 60;
  c.exp = NOW + 86400;
  c.has_iat = c.has_exp = true;
  int n = noc_jwt_sign(&ring->keys[0], &c, out, SIGNED_MAX);
  return n > 0 ? (size_t)n : 0;
}

static void check_arbitrary(const noc_jwt_keyring *ring, const uint8_t *data, size_t size) {
  noc_jwt_claims claims;
  noc_jwt_result r = noc_jwt_verify(ring, (const char *)data, size, NOW, 5, &claims);
  if (r == NOC_JWT_OK) abort(); /* property 1 */
  (void)noc_jwt_decode_unverified((const char *)data, size, &claims);
}

static void check_splice(const noc_jwt_keyring *ring, uint8_t where, const uint8_t *data,
                         size_t size) {
  char tok[SIGNED_MAX * 2];
  size_t len = signed_token(ring, tok);
  if (len == 0) abort();
  size_t signed_len = len; /* header.payload: up to the last dot */
  while (signed_len > 0 && tok[signed_len - 1] != '.')
    signed_len--;
  if (signed_len < 2) abort();
  signed_len--;
  if (size > SIGNED_MAX) size = SIGNED_MAX;
  size_t at = where % signed_len;
  size_t cut = size < signed_len - at ? size : signed_len - at;
  char out[SIGNED_MAX * 3];
  memcpy(out, tok, at);
  memcpy(out + at, data, size);
  memcpy(out + at + size, tok + at + cut, len - at - cut);
  size_t out_len = len - cut + size;
  bool same = out_len == len && memcmp(out, tok, len) == 0;
  noc_jwt_claims claims;
  noc_jwt_result r = noc_jwt_verify(ring, out, out_len, NOW, 5, &claims);
  if (r == NOC_JWT_OK && !same) abort(); /* property 2 */
  if (same && r != NOC_JWT_OK) abort();  /* the untouched token must still verify */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static noc_jwt_keyring ring;
  static int ready;
  if (!ready) {
    make_ring(&ring);
    ready = 1;
  }
  if (size == 0) return 0;
  if (data[0] & 1)
    check_splice(&ring, (uint8_t)(data[0] >> 1), data + 1, size - 1);
  else
    check_arbitrary(&ring, data + 1, size - 1);
  return 0;
}
