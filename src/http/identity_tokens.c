/* Token making: scopes, signing, ids, refresh tokens, access tokens and service tokens. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uuid/uuid.h>

#include "http/identity_internal.h"

/* ---------------------------------------------------------------- scopes ---- */

static const struct {
  const char *name;
  unsigned bit;
} scope_names[] = {{"calculations", NOC_ID_SCOPE_CALC}, {"admin", NOC_ID_SCOPE_ADMIN}};

/* Bits of a space/comma list; *unknown gets the first unknown item (or stays ""). */
static unsigned parse_scopes(const char *in, char *unknown, size_t cap) {
  unsigned bits = 0;
  if (unknown) unknown[0] = '\0';
  const char *p = in;
  while (*p) {
    p += strspn(p, " ,");
    size_t n = strcspn(p, " ,");
    if (n == 0) break;
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof scope_names / sizeof scope_names[0]; i++)
      if (strlen(scope_names[i].name) == n && strncasecmp(p, scope_names[i].name, n) == 0)
        bit = scope_names[i].bit;
    if (bit == 0) {
      if (unknown && unknown[0] == '\0') snprintf(unknown, cap, "%.*s", (int)(n > 40 ? 40 : n), p);
      return 0;
    }
    bits |= bit;
    p += n;
  }
  return bits;
}

unsigned noc_id_scope_bits(const char *scope) {
  return parse_scopes(scope, NULL, 0);
}

void noc_id_scope_text(unsigned bits, char *out, size_t cap) {
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = 0; i < sizeof scope_names / sizeof scope_names[0]; i++)
    if (bits & scope_names[i].bit) {
      int n = snprintf(out + len, cap - len, "%s%s", len ? " " : "", scope_names[i].name);
      if (n > 0 && (size_t)n < cap - len) len += (size_t)n;
    }
}

bool noc_identity_scope_canonical(const char *in, char *out, size_t cap, noc_error *err) {
  char unknown[48];
  unsigned bits = parse_scopes(in, unknown, sizeof unknown);
  if (bits == 0) {
    if (unknown[0])
      noc_fail(err, NOC_ERR_VALIDATION, "scope",
               "unknown scope '%s'; scopes are 'calculations' and 'admin'", unknown);
    else
      noc_fail(err, NOC_ERR_VALIDATION, "scope", "must name at least one scope");
    return false;
  }
  noc_id_scope_text(bits, out, cap);
  return true;
}

/* ---------------------------------------------------------------- ids and signing ---- */

void noc_id_uuid(char out[NOC_STORE_ID_MAX]) {
  uuid_t u;
  uuid_generate_random(u);
  uuid_unparse_lower(u, out);
}

bool noc_id_sign(const noc_identity *id, const noc_jwt_claims *claims, char *out, size_t cap) {
  return noc_jwt_sign(&id->ring->keys[0], claims, out, cap) > 0;
}

void noc_id_sha256_hex(const char *text, char hash[65]) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
  sodium_bin2hex(hash, 65, digest, sizeof digest);
}

void noc_id_refresh_new(char *token, size_t cap, char hash[65]) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(token, cap, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  noc_id_sha256_hex(token, hash);
}

bool noc_id_access_token(const noc_identity *id, const noc_user *u, const char *session_id,
                         int64_t now, char *out, size_t cap) {
  noc_jwt_claims cl;
  memset(&cl, 0, sizeof cl);
  snprintf(cl.sub, sizeof cl.sub, "%s", u->id);
  snprintf(cl.type, sizeof cl.type, "access");
  noc_id_scope_text(NOC_ID_SCOPE_CALC | (u->is_superuser ? NOC_ID_SCOPE_ADMIN : 0), cl.scope,
                    sizeof cl.scope);
  snprintf(cl.token_id, sizeof cl.token_id, "%s", session_id);
  cl.iat = now;
  cl.exp = now + id->cfg.access_ttl_s;
  cl.has_iat = cl.has_exp = true;
  return noc_id_sign(id, &cl, out, cap);
}

/* ---------------------------------------------------------------- service tokens ---- */

/* Printable UTF-8 without control characters, shorter than cap. */
static bool plain_text(const char *s, size_t cap) {
  size_t n = strlen(s);
  if (n >= cap) return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
  return true;
}

static noc_status check_issue(noc_identity *id, const noc_svc_issue *req, char *scope,
                              noc_store_rc *store_rc, noc_error *err) {
  if (!noc_identity_scope_canonical(req->scope ? req->scope : "calculations", scope,
                                    NOC_STORE_SCOPE_MAX, err))
    return NOC_ERR_VALIDATION;
  if (!req->eternal && (req->days < 1 || req->days > NOC_ID_MAX_DAYS))
    return noc_fail(err, NOC_ERR_VALIDATION, "days", "must be a whole number from 1 to %d",
                    NOC_ID_MAX_DAYS);
  if (req->description && !plain_text(req->description, NOC_STORE_DESC_MAX))
    return noc_fail(err, NOC_ERR_VALIDATION, "description",
                    "must be at most %d bytes without control characters", NOC_STORE_DESC_MAX - 1);
  noc_user owner;
  noc_store_rc rc = noc_store_user_get(id->store, req->subject, &owner, err);
  *store_rc = rc;
  if (rc == NOC_STORE_NOT_FOUND)
    return noc_fail(err, NOC_ERR_VALIDATION, "subject", "the token's user does not exist");
  if (rc != NOC_STORE_OK) return NOC_ERR_INTERNAL;
  if (!owner.is_active)
    return noc_fail(err, NOC_ERR_VALIDATION, "subject", "the token's user is not active");
  if ((noc_id_scope_bits(scope) & NOC_ID_SCOPE_ADMIN) && !owner.is_superuser)
    return noc_fail(err, NOC_ERR_VALIDATION, "scope",
                    "the admin scope is only for tokens of an administrator");
  return NOC_OK;
}

noc_status noc_identity_issue_service(noc_identity *id, const noc_svc_issue *req, int64_t now,
                                      noc_svc_issued *out, noc_store_rc *store_rc, noc_error *err) {
  noc_store_rc ignored;
  if (store_rc == NULL) store_rc = &ignored;
  *store_rc = NOC_STORE_OK;
  memset(out, 0, sizeof *out);
  noc_svc_token *t = &out->row;
  noc_status st = check_issue(id, req, t->scope, store_rc, err);
  if (st != NOC_OK) return st;
  noc_id_uuid(t->id);
  snprintf(t->subject, sizeof t->subject, "%s", req->subject);
  snprintf(t->description, sizeof t->description, "%s", req->description ? req->description : "");
  snprintf(t->created_by, sizeof t->created_by, "%s", req->created_by ? req->created_by : "");
  snprintf(t->renewed_from, sizeof t->renewed_from, "%s",
           req->renewed_from ? req->renewed_from : "");
  t->created_at = now;
  t->expires_at = req->eternal ? 0 : now + (int64_t)req->days * 86400;

  noc_jwt_claims cl;
  memset(&cl, 0, sizeof cl);
  snprintf(cl.sub, sizeof cl.sub, "%s", t->subject);
  snprintf(cl.type, sizeof cl.type, "service");
  snprintf(cl.scope, sizeof cl.scope, "%s", t->scope);
  snprintf(cl.token_id, sizeof cl.token_id, "%s", t->id);
  cl.iat = now;
  cl.has_iat = true;
  cl.exp = t->expires_at;
  cl.has_exp = !req->eternal;
  if (!noc_id_sign(id, &cl, out->token, sizeof out->token))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "cannot sign the token (no usable key)");
  *store_rc = noc_store_svc_insert(id->store, t, err);
  if (*store_rc != NOC_STORE_OK) {
    sodium_memzero(out->token, sizeof out->token);
    return NOC_ERR_INTERNAL;
  }
  return NOC_OK;
}
