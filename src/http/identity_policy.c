/* The per-request token policy: runs after the signature and times are verified, on every
 * request that carries a token.
 *
 *   type "service": the row for token_id must exist, be unrevoked and match the claims
 *                   (sub, scope, exp); its user must exist and be active. Granted: the row's
 *                   scope, without "admin" unless the user is still a superuser.
 *   type "access":  the session in token_id must exist and be unrevoked; its user must exist
 *                   and be active. Granted: the claimed scope, "admin" only for superusers.
 *   anything else:  refused (a refresh token is never a bearer credential).
 * "admin" grants every scope (as noc_auth_scope_grants has it): an administrator's token
 * also reaches the calculations; a "calculations" token never reaches admin endpoints.
 * Then the required scope must be granted: 403 with a message naming the missing scope.
 *
 * What the checks read (the token's row or session and its user's state, found or not) is kept
 * in a per-process cache (identity_cache.h) together with the store's identity version at which
 * it was read, and reused only while that version is unchanged and reliable
 * (noc_store_identity_version). Why revocation stays immediate:
 *   - the version is taken before storage is read, so an entry never claims a version newer
 *     than its rows; any commit after that - revocation, deactivation, deletion, logout, refresh
 *     reuse, from this process, another process (`nocturna token revoke`) or, on PostgreSQL,
 *     another instance - changes the version, and every later request reads storage again;
 *   - SQLite: the version comes from the database's shared WAL-index header, so a commit by any
 *     process is seen by the next request, exactly as a storage read would see it;
 *   - PostgreSQL: writes of this process count before they return; other instances' writes
 *     count when their NOTIFY arrives (milliseconds); while the listener is not connected and
 *     answering, the version is unreliable and every request reads storage as before;
 *   - storage errors are never cached: they answer 503 as before.
 * The once-a-minute last_used_at touch is a write too: it changes the version, so each touched
 * token costs one more storage read a minute. */
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

static bool claims_match_row(const noc_jwt_claims *cl, const noc_idc_entry *t) {
  if (strcmp(cl->sub, t->subject) != 0 || strcmp(cl->scope, t->scope) != 0) return false;
  return t->expires_at == 0 ? !cl->has_exp : (cl->has_exp && cl->exp == t->expires_at);
}

/* What storage says about the token into e (its key already set). */
static void read_rows(noc_identity *id, noc_idc_entry *e) {
  noc_error err;
  if (e->kind == NOC_IDC_SERVICE) {
    noc_svc_token t = {0}; /* zeroed: a failed read leaves it as is, and it is copied below */
    e->rc = noc_store_svc_auth(id->store, e->token_id, &t, &e->user, &err);
    snprintf(e->subject, sizeof e->subject, "%s", t.subject);
    snprintf(e->scope, sizeof e->scope, "%s", t.scope);
    e->expires_at = t.expires_at;
    e->last_used_at = t.last_used_at;
    e->revoked_at = t.revoked_at;
  } else {
    noc_session sess = {0};
    e->rc = noc_store_session_auth(id->store, e->token_id, &sess, &e->user, &err);
    snprintf(e->subject, sizeof e->subject, "%s", sess.user_id);
    e->revoked_at = sess.revoked_at;
  }
}

/* The rows behind a token into e: from the cache when they were read at the current identity
 * version, else from storage - and then cached, unless storage failed. The version is taken
 * before storage is read, so an entry never claims to be newer than its rows. */
static noc_store_rc lookup(noc_identity *id, int kind, const char *token_id, noc_idc_entry *e) {
  uint64_t version = 0;
  bool reliable = false;
  noc_error err;
  bool versioned =
      noc_store_identity_version(id->store, &version, &reliable, &err) == NOC_STORE_OK && reliable;
  if (versioned && noc_id_cache_get(id->policy_cache, kind, token_id, version, e)) return e->rc;
  memset(e, 0, sizeof *e);
  e->kind = kind;
  snprintf(e->token_id, sizeof e->token_id, "%s", token_id);
  e->version = version;
  read_rows(id, e);
  if (versioned && (e->rc == NOC_STORE_OK || e->rc == NOC_STORE_NOT_FOUND))
    noc_id_cache_put(id->policy_cache, e);
  return e->rc;
}

static noc_auth_status check_service(noc_identity *id, const noc_jwt_claims *cl, unsigned *granted,
                                     const char **msg) {
  if (cl->token_id[0] == '\0') {
    *msg = MSG_NO_ID;
    return NOC_AUTH_INVALID;
  }
  noc_idc_entry t;
  noc_store_rc rc = lookup(id, NOC_IDC_SERVICE, cl->token_id, &t);
  if (rc != NOC_STORE_OK) return store_trouble(rc, msg);
  if (t.revoked_at != 0) {
    *msg = MSG_REVOKED;
    return NOC_AUTH_REVOKED;
  }
  if (!claims_match_row(cl, &t)) {
    *msg = MSG_MISMATCH;
    return NOC_AUTH_INVALID;
  }
  noc_auth_status st = check_user(&t.user, msg);
  if (st != NOC_AUTH_OK) return st;
  *granted =
      noc_id_scope_bits(t.scope) & ~(t.user.is_superuser ? 0u : (unsigned)NOC_ID_SCOPE_ADMIN);
  int64_t now = noc_id_now();
  if (now - t.last_used_at >= NOC_ID_TOUCH_INTERVAL_S) {
    noc_error err;
    (void)noc_store_svc_touch(id->store, t.token_id, now, NOC_ID_TOUCH_INTERVAL_S, &err);
    noc_id_cache_touched(id->policy_cache, NOC_IDC_SERVICE, t.token_id, now);
  }
  return NOC_AUTH_OK;
}

static noc_auth_status check_access(noc_identity *id, const noc_jwt_claims *cl, unsigned *granted,
                                    const char **msg) {
  if (cl->token_id[0] == '\0') {
    *msg = MSG_NO_ID;
    return NOC_AUTH_INVALID;
  }
  noc_idc_entry s;
  noc_store_rc rc = lookup(id, NOC_IDC_ACCESS, cl->token_id, &s);
  if (rc != NOC_STORE_OK) return store_trouble(rc, msg);
  if (s.revoked_at != 0) {
    *msg = MSG_SESSION_ENDED;
    return NOC_AUTH_REVOKED;
  }
  if (strcmp(s.subject, cl->sub) != 0) {
    *msg = MSG_MISMATCH;
    return NOC_AUTH_INVALID;
  }
  noc_auth_status st = check_user(&s.user, msg);
  if (st != NOC_AUTH_OK) return st;
  unsigned allowed = NOC_ID_SCOPE_CALC | (s.user.is_superuser ? NOC_ID_SCOPE_ADMIN : 0u);
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
