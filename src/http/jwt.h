/* jwt.h - strict HS256-only JSON Web Tokens (RFC 7519 subset), signer and verifier.
 *
 * Why hand-rolled (see shared/research/c-stack.md §4): libjwt 1.10 accepts alg=none without a key,
 * does not check exp and falls for RS256/HS256 key confusion. Here no algorithm is negotiated:
 * the header must say alg "HS256", so "none", HS384/512, RS*, ES*, "hs256" are all rejected.
 *
 * Accepted token (anything else is rejected):
 *  - at most NOC_JWT_MAX_TOKEN bytes (else NOC_JWT_TOO_LARGE), exactly three segments
 *    header.payload.signature, each strict unpadded base64url with canonical trailing bits;
 *  - header: a JSON object (no duplicate keys) with only these members:
 *      alg  required, exactly "HS256"
 *      typ  optional, exactly "JWT"
 *      kid  optional, 1..31 printable ASCII characters
 *    any other member ("crit", "jku", "x5u", "jwk", "cty", ...) makes the token MALFORMED;
 *  - signature: exactly 32 bytes, HMAC-SHA256 of "header.payload" under the selected key,
 *    compared in constant time. Key selection: no kid -> ring->keys[0] only; kid -> only the key
 *    with that kid (unknown kid -> NOC_JWT_BAD_SIGNATURE). The MAC is checked before the payload
 *    is parsed as JSON;
 *  - payload: a JSON object (no duplicate keys, else MALFORMED; valid JSON that is not an object
 *    -> BAD_CLAIMS). Known claims and their JSON names:
 *      "sub", "type", "scope", "token_id"  string or null (null = absent); no control characters;
 *                                          longer than the buffer - 1 -> BAD_CLAIMS
 *      "iat", "nbf", "exp"                 JSON integers only (1.0, "1", true -> BAD_CLAIMS)
 *    Other claims (iss, aud, user_id, ...) are ignored.
 *  - time (all in Unix seconds; leeway_s < 0 is treated as 0):
 *      exp <= now - leeway              -> NOC_JWT_EXPIRED   (PyJWT's rule)
 *      nbf >  now + leeway              -> NOC_JWT_NOT_YET_VALID
 *      iat >  now + leeway              -> NOC_JWT_NOT_YET_VALID
 *    A token without exp is accepted (upstream "eternal" service tokens); callers that require
 *    an expiry must check claims.has_exp themselves.
 *
 * Result codes are all "401" for an HTTP caller; only EXPIRED has a message containing "expired"
 * (clients look for that word to decide to refresh).
 *
 * Thread safety: all functions are reentrant; the keyring is only read.
 */
#ifndef NOC_HTTP_JWT_H
#define NOC_HTTP_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
  NOC_JWT_MAX_TOKEN = 4096, /* longer tokens -> NOC_JWT_TOO_LARGE */
  NOC_JWT_MIN_SECRET = 32,  /* HMAC key bounds in bytes */
  NOC_JWT_MAX_SECRET = 64,
  NOC_JWT_MAX_KEYS = 8
};

/* One HMAC key. kid: NUL-terminated, may be "" (then the key is only reachable as keys[0] by
 * tokens without kid). secret: secret_len bytes, NOC_JWT_MIN_SECRET..NOC_JWT_MAX_SECRET; a key
 * outside those bounds never verifies or signs anything. The owner should sodium_memzero it. */
typedef struct noc_jwt_key {
  char kid[32];
  unsigned char secret[64];
  size_t secret_len;
} noc_jwt_key;

/* keys[0] is the current signing key; keys[1..count-1] are previous keys that still verify
 * (rotation). Owned by the caller, read-only for the verifier, may be shared by threads. */
typedef struct noc_jwt_keyring {
  noc_jwt_key keys[8];
  int count;
} noc_jwt_keyring;

/* Claims of a token. Strings are NUL-terminated, "" when absent. kid is the header's kid ("" if
 * none); it is ignored by noc_jwt_sign (the signing key's kid is used). Times are Unix seconds,
 * meaningful only when the matching has_* flag is set. */
typedef struct noc_jwt_claims {
  char sub[128];
  char type[32];
  char scope[128];
  char token_id[64];
  char kid[32];
  int64_t iat, nbf, exp;
  bool has_exp, has_nbf, has_iat;
} noc_jwt_claims;

typedef enum {
  NOC_JWT_OK,
  NOC_JWT_MALFORMED,     /* structure, base64url, header JSON or header members not acceptable */
  NOC_JWT_BAD_SIGNATURE, /* MAC mismatch, unknown kid, no usable key */
  NOC_JWT_EXPIRED,       /* exp <= now - leeway */
  NOC_JWT_NOT_YET_VALID, /* nbf or iat > now + leeway */
  NOC_JWT_BAD_CLAIMS,    /* payload not an object, claim of the wrong type or too long */
  NOC_JWT_TOO_LARGE      /* len > NOC_JWT_MAX_TOKEN */
} noc_jwt_result;

/* Verifies token[0..len) (need not be NUL-terminated) against ring at time now (Unix seconds).
 * On NOC_JWT_OK, *out holds the claims. On any other result *out is zeroed, except that after a
 * valid signature (EXPIRED, NOT_YET_VALID) it holds the parsed claims for logging. */
noc_jwt_result noc_jwt_verify(const noc_jwt_keyring *ring, const char *token, size_t len,
                              int64_t now, int64_t leeway_s, noc_jwt_claims *out);

/* Writes header {"alg":"HS256","typ":"JWT"[,"kid":key->kid]} and a payload with the non-empty
 * strings and the times whose has_* flag is set, in the order sub, type, scope, token_id, iat,
 * nbf, exp. String claims must be valid UTF-8 without control characters and NUL-terminated
 * within their buffers. Writes a NUL-terminated token into out[0..cap) and returns its length
 * (excluding the NUL), or -1 on a bad key, bad claim or a too small cap (out is then ""). */
int noc_jwt_sign(const noc_jwt_key *key, const noc_jwt_claims *claims, char *out, size_t cap);

/* Stable English message; NOC_JWT_EXPIRED gives exactly "Token has expired". Never NULL. */
const char *noc_jwt_result_message(noc_jwt_result r);

/* For `nocturna token inspect`: the same structural, header and claim-type checks as
 * noc_jwt_verify but no signature and no time checks. NOC_JWT_OK here says nothing about
 * authenticity. */
noc_jwt_result noc_jwt_decode_unverified(const char *token, size_t len, noc_jwt_claims *out);

#endif
