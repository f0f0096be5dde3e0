/* The per-request token policy: runs after the signature and times are verified, on every
 * request that carries a token, and consults storage every time (a revocation made by another
 * process - `nocturna token revoke` - must take effect at once, so nothing is cached).
 *
 *   type "service": the row for token_id must exist, be unrevoked and match the claims
 *                   (sub, scope, exp); its user must exist and be active. Granted: the row's
 *                   scope, without "admin" unless the user is still a superuser.
 *   type "access":  the session in token_id must exist and be unrevoked; its user must exist
 *                   and be active. Granted: the claimed scope, "admin" only for superusers.
 *   anything else:  refused (a refresh token is never a bearer credential).
 * "admin" grants every scope (as noc_auth_scope_grants has it): an administrator's token
 * also reaches the calculations; a "calculations" token never reaches admin endpoints.
 * Then the required scope must be granted: 403 with a message naming the missing scope. */
#include <stdio.h>
#include <string.h>

#include "http/identity_internal.h"

static const char MSG_REVOKED[] = "Token has been revoked";
static const char MSG_SESSION_ENDED[] =
    "Token has been revoked: its session ended (logout or refresh-token reuse); log in again";
static const char MSG_STORAGE[] = "Token could not be checked: storage is unavailable; retry later";
static const char MSG_MISMATCH[] = "Token does not match its record";
static const char MSG_NO_USER[] = "Token's user no longer exists";
static const char MSG_INACTIVE[] = "Token's user is inactive";
static const char MSG_NO_ID[] = "Token has no token_id";

static noc_auth_status store_trouble(noc_store_rc rc, const char **msg) {
  if (rc == NOC_STORE_NOT_FOUND) {
    *msg = MSG_REVOKED;
    return NOC_AUTH_REVOKED;
  }
  *msg = MSG_STORAGE;
  return NOC_AUTH_UNAVAILABLE;
}

static noc_auth_status check_user(const noc_user_state *u, const char **msg) {
  if (!u->found) {
    *msg = MSG_NO_USER;
    return NOC_AUTH_INVALID;
  }
  if (!u->is_active) {
    *msg = MSG_INACTIVE;
    return NOC_AUTH_INVALID;
  }
  return NOC_AUTH_OK;
}

static bool claims_match_row(const noc_jwt_claims *cl, const noc_svc_token *t) {
  if (strcmp(cl->sub, t->subject) != 0 || strcmp(cl->scope, t->scope) != 0) return false;
  return t->expires_at == 0 ? !cl->has_exp : (cl->has_exp && cl->exp == t->expires_at);
}

static noc_auth_status check_service(noc_identity *id, const noc_jwt_claims *cl, unsigned *granted,
                                     const char **msg) {
  if (cl->token_id[0] == '\0') {
    *msg = MSG_NO_ID;
    return NOC_AUTH_INVALID;
  }
  noc_svc_token t;
  noc_user_state u;
  noc_error err;
  noc_store_rc rc = noc_store_svc_auth(id->store, cl->token_id, &t, &u, &err);
  if (rc != NOC_STORE_OK) return store_trouble(rc, msg);
  if (t.revoked_at != 0) {
    *msg = MSG_REVOKED;
    return NOC_AUTH_REVOKED;
  }
  if (!claims_match_row(cl, &t)) {
    *msg = MSG_MISMATCH;
    return NOC_AUTH_INVALID;
  }
  noc_auth_status st = check_user(&u, msg);
  if (st != NOC_AUTH_OK) return st;
  *granted = noc_id_scope_bits(t.scope) & ~(u.is_superuser ? 0u : (unsigned)NOC_ID_SCOPE_ADMIN);
  int64_t now = noc_id_now();
  if (now - t.last_used_at >= NOC_ID_TOUCH_INTERVAL_S)
    (void)noc_store_svc_touch(id->store, t.id, now, NOC_ID_TOUCH_INTERVAL_S, &err);
  return NOC_AUTH_OK;
}

static noc_auth_status check_access(noc_identity *id, const noc_jwt_claims *cl, unsigned *granted,
                                    const char **msg) {
  if (cl->token_id[0] == '\0') {
    *msg = MSG_NO_ID;
    return NOC_AUTH_INVALID;
  }
  noc_session s;
  noc_user_state u;
  noc_error err;
  noc_store_rc rc = noc_store_session_auth(id->store, cl->token_id, &s, &u, &err);
  if (rc != NOC_STORE_OK) return store_trouble(rc, msg);
  if (s.revoked_at != 0) {
    *msg = MSG_SESSION_ENDED;
    return NOC_AUTH_REVOKED;
  }
  if (strcmp(s.user_id, cl->sub) != 0) {
    *msg = MSG_MISMATCH;
    return NOC_AUTH_INVALID;
  }
  noc_auth_status st = check_user(&u, msg);
  if (st != NOC_AUTH_OK) return st;
  unsigned allowed = NOC_ID_SCOPE_CALC | (u.is_superuser ? NOC_ID_SCOPE_ADMIN : 0u);
  *granted = noc_id_scope_bits(cl->scope) & allowed;
  return NOC_AUTH_OK;
}

static const char *scope_message(unsigned need) {
  if (need == NOC_ID_SCOPE_ADMIN)
    return "This endpoint requires the 'admin' scope, which the token does not grant";
  if (need == NOC_ID_SCOPE_CALC)
    return "This endpoint requires the 'calculations' scope, which the token does not grant";
  return "The token does not grant the scope this endpoint requires";
}

noc_auth_status noc_identity_policy(void *cls, const noc_jwt_claims *claims,
                                    const char *required_scope, const char **message) {
  noc_identity *id = cls;
  unsigned granted = 0;
  noc_auth_status st;
  *message = NULL;
  if (strcmp(claims->type, "service") == 0) {
    st = check_service(id, claims, &granted, message);
  } else if (strcmp(claims->type, "access") == 0) {
    st = check_access(id, claims, &granted, message);
  } else {
    *message =
        claims->type[0] ? "Tokens of this type cannot authenticate requests" : "Token has no type";
    return NOC_AUTH_INVALID;
  }
  if (st != NOC_AUTH_OK || required_scope == NULL) return st;
  if (granted & NOC_ID_SCOPE_ADMIN) granted |= NOC_ID_SCOPE_CALC;
  unsigned need = noc_id_scope_bits(required_scope);
  if (need == 0 || (granted & need) != need) {
    *message = scope_message(need);
    return NOC_AUTH_FORBIDDEN;
  }
  return NOC_AUTH_OK;
}
