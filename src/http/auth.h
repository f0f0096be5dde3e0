/* auth.h - bearer-token authentication for the HTTP server.
 *
 * Steps for one request:
 *   1. the Authorization header: absent -> NOC_AUTH_MISSING; not "Bearer <token>" -> INVALID;
 *   2. noc_jwt_verify with the keyring (strict HS256, exp/nbf/iat with a leeway);
 *   3. the policy hook: revocation and scope. The default policy only checks scope; the
 *      identity module replaces it (noc_auth_set_policy) with one that also consults storage.
 *
 * Keys: NOCTURNA_SECRET_KEY when set, else `<data_dir>/jwt-secret`, created on first start
 * with 64 random hex characters and mode 0600. The HMAC key is the text itself (as PyJWT uses a
 * str secret), so any HS256 library given the same string signs tokens we accept.
 *
 * Thread safety: noc_auth_check may run on many threads at once; the keyring and the policy
 * are read-only after set-up.
 */
#ifndef NOC_HTTP_AUTH_H
#define NOC_HTTP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "http/config.h"
#include "http/jwt.h"
#include "nocturna/error.h"

typedef enum {
  NOC_AUTH_OK,
  NOC_AUTH_MISSING,    /* 401 AUTH_REQUIRED */
  NOC_AUTH_INVALID,    /* 401 INVALID_TOKEN (bad header, signature, claims, not yet valid) */
  NOC_AUTH_EXPIRED,    /* 401 TOKEN_EXPIRED, message "Token has expired" */
  NOC_AUTH_REVOKED,    /* 401 TOKEN_REVOKED, message "Token has been revoked" */
  NOC_AUTH_FORBIDDEN,  /* 403 FORBIDDEN: valid token without the required scope */
  NOC_AUTH_UNAVAILABLE /* 503: the policy could not decide (storage down) */
} noc_auth_status;

/* Decides revocation and scope for a token whose signature and times are valid.
 * required_scope is NULL when any valid token will do (e.g. /health).
 * Returns NOC_AUTH_OK, REVOKED, FORBIDDEN or UNAVAILABLE (or INVALID/EXPIRED for reasons of
 * its own); on a refusal it may set *message to a static explanation for the client (left
 * NULL, a generic one per status is used). Must be thread-safe. */
typedef noc_auth_status (*noc_auth_policy_fn)(void *cls, const noc_jwt_claims *claims,
                                              const char *required_scope, const char **message);

typedef struct noc_auth_result {
  noc_auth_status status;
  noc_jwt_claims claims; /* meaningful when status is OK, REVOKED or FORBIDDEN */
  const char *message;   /* static, for error.message and error_description */
} noc_auth_result;

typedef struct noc_auth noc_auth;

/* Loads the key (see above) and installs the default policy. */
noc_status noc_auth_open(noc_auth **out, const noc_http_config *cfg, noc_error *err);
void noc_auth_close(noc_auth *a);

/* Replaces the policy; call before the server starts accepting. cls is borrowed. */
void noc_auth_set_policy(noc_auth *a, noc_auth_policy_fn fn, void *cls);

/* The keyring (keys[0] signs): for `token create` and tests. Borrowed. */
const noc_jwt_keyring *noc_auth_keyring(const noc_auth *a);
/* The kid of a key: "k" + 16 hex digits of SHA-256("nocturna-kid:" + secret). A fingerprint
 * that names the key in token headers; 64 bits of a hash of a >= 32-byte secret reveal nothing
 * usable about it. */
void noc_auth_key_id(const unsigned char *secret, size_t len, char out[32]);

/* "environment" or the key file's path. */
const char *noc_auth_key_source(const noc_auth *a);

/* Steps 1-3 for the header value (NULL when absent) at Unix time now_s. */
void noc_auth_check(const noc_auth *a, const char *authorization, const char *required_scope,
                    int64_t now_s, noc_auth_result *out);

/* Whether a space-separated scope list grants `scope`; "admin" grants every scope. */
bool noc_auth_scope_grants(const char *scope_list, const char *scope);

/* The default policy: no revocation list; FORBIDDEN unless the scope list grants
 * required_scope. */
noc_auth_status noc_auth_default_policy(void *cls, const noc_jwt_claims *claims,
                                        const char *required_scope, const char **message);

#endif
