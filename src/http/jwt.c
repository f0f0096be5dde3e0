/* jwt.c - strict HS256 JWT signer and verifier (rules in jwt.h).
 * Parsing order matters: structure and header are checked, then the MAC over the raw
 * "header.payload" bytes, and only then is the payload parsed as JSON, so unauthenticated
 * claim bytes never reach the claim logic of noc_jwt_verify. */
#include "http/jwt.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

enum {
  SIG_BYTES = 32,
  SIG_B64_LEN = 43,                        /* 32 bytes in unpadded base64url */
  SEG_MAX = NOC_JWT_MAX_TOKEN / 4 * 3 + 3, /* decoded bytes of the longest possible segment */
  KID_MAX = 31,
  HEADER_JSON_MAX = 128,
  PAYLOAD_JSON_MAX = 1024 /* escaped strings of noc_jwt_claims plus three integers fit */
};

typedef struct jwt_parts {
  const char *seg[3]; /* point into the caller's token */
  size_t seg_len[3];
  unsigned char payload[SEG_MAX]; /* decoded payload JSON, not yet trusted */
  size_t payload_len;
  unsigned char sig[SIG_BYTES];
  char kid[KID_MAX + 1];
} jwt_parts;

/* ---- libsodium initialisation: once per process, failure makes every MAC operation fail ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;

static void sodium_start(void) {
  sodium_status = sodium_init() < 0 ? -1 : 0;
}

static bool crypto_ready(void) {
  return pthread_once(&sodium_once, sodium_start) == 0 && sodium_status == 0;
}

/* ---- small checks ---- */

static bool is_b64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

static bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

/* kid: 1..KID_MAX visible ASCII characters (it is logged and compared as a C string). */
static bool kid_valid(const char *s, size_t n) {
  if (n == 0 || n > KID_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < 0x21 || s[i] > 0x7e) return false;
  }
  return true;
}

static bool key_usable(const noc_jwt_key *k) {
  return k->secret_len >= NOC_JWT_MIN_SECRET && k->secret_len <= NOC_JWT_MAX_SECRET &&
         memchr(k->kid, '\0', sizeof k->kid) != NULL;
}

static int64_t sat_add(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}
static int64_t sat_sub(int64_t a, int64_t b) {
  return a < INT64_MIN + b ? INT64_MIN : a - b;
}

static bool json_str_is(const json_t *v, const char *want) {
  size_t n = strlen(want);
  return json_is_string(v) && json_string_length(v) == n &&
         memcmp(json_string_value(v), want, n) == 0;
}

/* ---- structure ---- */

static bool split_token(const char *tok, size_t len, jwt_parts *t) {
  size_t start = 0;
  int seg = 0;
  for (size_t i = 0; i < len; i++) {
    if (tok[i] == '.') {
      if (seg == 2) return false;
      t->seg[seg] = tok + start;
      t->seg_len[seg] = i - start;
      seg++;
      start = i + 1;
    } else if (!is_b64url_char(tok[i])) {
      return false;
    }
  }
  if (seg != 2) return false;
  t->seg[2] = tok + start;
  t->seg_len[2] = len - start;
  return t->seg_len[0] > 0 && t->seg_len[1] > 0 && t->seg_len[2] == SIG_B64_LEN;
}

/* libsodium's decoder with no ignore set and no end pointer rejects padding, stray characters,
 * a length of 1 mod 4 and non-zero trailing bits: exactly the strict base64url we want. */
static bool b64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *out_len) {
  return sodium_base642bin(out, cap, in, n, NULL, out_len, NULL,
                           sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0;
}

static bool header_member_ok(const char *name, const json_t *v, char *kid) {
  if (strcmp(name, "alg") == 0) return json_str_is(v, "HS256");
  if (strcmp(name, "typ") == 0) return json_str_is(v, "JWT");
  if (strcmp(name, "kid") == 0) {
    if (!json_is_string(v)) return false;
    size_t n = json_string_length(v);
    if (!kid_valid(json_string_value(v), n)) return false;
    memcpy(kid, json_string_value(v), n);
    kid[n] = '\0';
    return true;
  }
  return false; /* crit, jku, x5u, jwk, cty, ...: nothing else is ours to honour */
}

static bool header_ok(const unsigned char *h, size_t n, char *kid) {
  json_error_t jerr;
  json_t *root = json_loadb((const char *)h, n, JSON_REJECT_DUPLICATES, &jerr);
  bool ok = root != NULL && json_is_object(root) && json_object_get(root, "alg") != NULL;
  const char *name;
  json_t *v;
  kid[0] = '\0';
  if (ok) {
    json_object_foreach(root, name, v) {
      if (!header_member_ok(name, v, kid)) {
        ok = false;
        break;
      }
    }
  }
  json_decref(root);
  return ok;
}

static noc_jwt_result parse_structure(const char *token, size_t len, jwt_parts *t) {
  unsigned char header[SEG_MAX];
  size_t header_len = 0, sig_len = 0;
  if (token == NULL) return NOC_JWT_MALFORMED;
  if (len > NOC_JWT_MAX_TOKEN) return NOC_JWT_TOO_LARGE;
  if (!split_token(token, len, t)) return NOC_JWT_MALFORMED;
  if (!b64_decode(t->seg[0], t->seg_len[0], header, sizeof header, &header_len) ||
      !b64_decode(t->seg[1], t->seg_len[1], t->payload, sizeof t->payload, &t->payload_len) ||
      !b64_decode(t->seg[2], t->seg_len[2], t->sig, sizeof t->sig, &sig_len) ||
      sig_len != SIG_BYTES)
    return NOC_JWT_MALFORMED;
  return header_ok(header, header_len, t->kid) ? NOC_JWT_OK : NOC_JWT_MALFORMED;
}

/* ---- signature ---- */

static const noc_jwt_key *select_key(const noc_jwt_keyring *ring, const char *kid) {
  if (ring == NULL || ring->count < 1 || ring->count > NOC_JWT_MAX_KEYS) return NULL;
  if (kid[0] == '\0') return key_usable(&ring->keys[0]) ? &ring->keys[0] : NULL;
  for (int i = 0; i < ring->count; i++) {
    const noc_jwt_key *k = &ring->keys[i];
    if (key_usable(k) && strcmp(k->kid, kid) == 0) return k;
  }
  return NULL;
}

/* The HMAC state holds key-derived pads: wiped before returning. */
static void mac_compute(const noc_jwt_key *key, const char *msg, size_t n,
                        unsigned char mac[SIG_BYTES]) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key->secret, key->secret_len);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, n);
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof st);
}

static noc_jwt_result authenticate(const noc_jwt_keyring *ring, const jwt_parts *t) {
  unsigned char mac[SIG_BYTES];
  const noc_jwt_key *key = select_key(ring, t->kid);
  if (key == NULL || !crypto_ready()) return NOC_JWT_BAD_SIGNATURE;
  /* the signed input is "header.payload", contiguous in the token */
  mac_compute(key, t->seg[0], t->seg_len[0] + 1 + t->seg_len[1], mac);
  bool ok = crypto_verify_32(mac, t->sig) == 0; /* constant time */
  sodium_memzero(mac, sizeof mac);
  return ok ? NOC_JWT_OK : NOC_JWT_BAD_SIGNATURE;
}

/* ---- claims ---- */

static bool read_string_claim(const json_t *obj, const char *name, char *dst, size_t cap) {
  const json_t *v = json_object_get(obj, name);
  dst[0] = '\0';
  if (v == NULL || json_is_null(v)) return true;
  if (!json_is_string(v)) return false;
  size_t n = json_string_length(v);
  const char *s = json_string_value(v);
  if (n >= cap) return false;
  for (size_t i = 0; i < n; i++) {
    if (is_control((unsigned char)s[i])) return false;
  }
  memcpy(dst, s, n);
  dst[n] = '\0';
  return true;
}

static bool read_time_claim(const json_t *obj, const char *name, int64_t *dst, bool *has) {
  const json_t *v = json_object_get(obj, name);
  *dst = 0;
  *has = false;
  if (v == NULL) return true;
  if (!json_is_integer(v)) return false; /* 1.5, "1", true, null: all rejected */
  *dst = (int64_t)json_integer_value(v);
  *has = true;
  return true;
}

static noc_jwt_result read_claims(const json_t *o, noc_jwt_claims *c) {
  bool ok = read_string_claim(o, "sub", c->sub, sizeof c->sub) &&
            read_string_claim(o, "type", c->type, sizeof c->type) &&
            read_string_claim(o, "scope", c->scope, sizeof c->scope) &&
            read_string_claim(o, "token_id", c->token_id, sizeof c->token_id) &&
            read_time_claim(o, "iat", &c->iat, &c->has_iat) &&
            read_time_claim(o, "nbf", &c->nbf, &c->has_nbf) &&
            read_time_claim(o, "exp", &c->exp, &c->has_exp);
  return ok ? NOC_JWT_OK : NOC_JWT_BAD_CLAIMS;
}

static noc_jwt_result parse_claims(const jwt_parts *t, noc_jwt_claims *c) {
  json_error_t jerr;
  json_t *root = json_loadb((const char *)t->payload, t->payload_len,
                            JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
  if (root == NULL) return NOC_JWT_MALFORMED;
  noc_jwt_result r = json_is_object(root) ? read_claims(root, c) : NOC_JWT_BAD_CLAIMS;
  json_decref(root);
  if (r == NOC_JWT_OK) memcpy(c->kid, t->kid, sizeof c->kid);
  return r;
}

static noc_jwt_result check_times(const noc_jwt_claims *c, int64_t now, int64_t leeway) {
  if (leeway < 0) leeway = 0;
  int64_t earliest = sat_sub(now, leeway), latest = sat_add(now, leeway);
  if (c->has_exp && c->exp <= earliest) return NOC_JWT_EXPIRED;
  if (c->has_nbf && c->nbf > latest) return NOC_JWT_NOT_YET_VALID;
  if (c->has_iat && c->iat > latest) return NOC_JWT_NOT_YET_VALID;
  return NOC_JWT_OK;
}

noc_jwt_result noc_jwt_verify(const noc_jwt_keyring *ring, const char *token, size_t len,
                              int64_t now, int64_t leeway_s, noc_jwt_claims *out) {
  jwt_parts t;
  noc_jwt_claims c;
  memset(&c, 0, sizeof c);
  noc_jwt_result r = parse_structure(token, len, &t);
  if (r == NOC_JWT_OK) r = authenticate(ring, &t);
  if (r == NOC_JWT_OK) r = parse_claims(&t, &c);
  bool keep = r == NOC_JWT_OK; /* signature valid and claims well-typed */
  if (r == NOC_JWT_OK) r = check_times(&c, now, leeway_s);
  if (out != NULL) {
    if (keep)
      *out = c;
    else
      memset(out, 0, sizeof *out);
  }
  return r;
}

noc_jwt_result noc_jwt_decode_unverified(const char *token, size_t len, noc_jwt_claims *out) {
  jwt_parts t;
  noc_jwt_claims c;
  memset(&c, 0, sizeof c);
  noc_jwt_result r = parse_structure(token, len, &t);
  if (r == NOC_JWT_OK) r = parse_claims(&t, &c);
  if (out != NULL) {
    if (r == NOC_JWT_OK)
      *out = c;
    else
      memset(out, 0, sizeof *out);
  }
  return r;
}

const char *noc_jwt_result_message(noc_jwt_result r) {
  switch (r) {
  case NOC_JWT_OK:
    return "Token is valid";
  case NOC_JWT_MALFORMED:
    return "Token is malformed";
  case NOC_JWT_BAD_SIGNATURE:
    return "Token signature is invalid";
  case NOC_JWT_EXPIRED:
    return "Token has expired";
  case NOC_JWT_NOT_YET_VALID:
    return "Token is not valid yet";
  case NOC_JWT_BAD_CLAIMS:
    return "Token claims are invalid";
  case NOC_JWT_TOO_LARGE:
    return "Token is too large";
  }
  return "Token is invalid";
}

/* ---- signing ---- */

typedef struct jwriter {
  char *p; /* borrowed, cap bytes */
  size_t cap, len;
  bool fail; /* sticky: out of space or invalid input */
} jwriter;

static void jw_raw(jwriter *w, const char *s, size_t n) {
  if (w->fail || n >= w->cap - w->len) {
    w->fail = true;
    return;
  }
  memcpy(w->p + w->len, s, n);
  w->len += n;
  w->p[w->len] = '\0';
}

static void jw_lit(jwriter *w, const char *s) {
  jw_raw(w, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at s (no overlongs, surrogates or > U+10FFFF),
 * 0 if ill-formed: a token we sign must be one jansson accepts when verifying. */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
  static const struct {
    unsigned char mask, lead;
    size_t len;
    uint32_t min;
  } forms[] = {{0xE0, 0xC0, 2, 0x80}, {0xF0, 0xE0, 3, 0x800}, {0xF8, 0xF0, 4, 0x10000}};
  if (s[0] < 0x80) return 1;
  for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
    if ((s[0] & forms[f].mask) != forms[f].lead) continue;
    size_t len = forms[f].len;
    uint32_t cp = s[0] & (unsigned char)~forms[f].mask;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
      if ((s[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    bool ok = cp >= forms[f].min && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    return ok ? len : 0;
  }
  return 0;
}

/* Writes "name":"value" (preceded by a comma unless first) for a bounded, valid claim string. */
static void jw_member_str(jwriter *w, const char *name, const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  if (n == cap) w->fail = true; /* not terminated inside its buffer */
  if (w->fail) return;
  jw_lit(w, w->len > 1 ? ",\"" : "\"");
  jw_lit(w, name);
  jw_lit(w, "\":\"");
  for (size_t i = 0; i < n && !w->fail;) {
    const unsigned char *u = (const unsigned char *)s + i;
    size_t k = utf8_seq_len(u, n - i);
    if (k == 0 || is_control(u[0])) {
      w->fail = true;
    } else if (u[0] == '"' || u[0] == '\\') {
      jw_raw(w, "\\", 1);
      jw_raw(w, s + i, 1);
    } else {
      jw_raw(w, s + i, k);
    }
    i += k;
  }
  jw_lit(w, "\"");
}

static void jw_member_int(jwriter *w, const char *name, int64_t v) {
  char num[32];
  snprintf(num, sizeof num, "%" PRId64, v);
  jw_lit(w, w->len > 1 ? ",\"" : "\"");
  jw_lit(w, name);
  jw_lit(w, "\":");
  jw_lit(w, num);
}

static bool build_header(const noc_jwt_key *key, jwriter *w) {
  jw_lit(w, "{\"alg\":\"HS256\",\"typ\":\"JWT\"");
  if (key->kid[0] != '\0') {
    if (!kid_valid(key->kid, strlen(key->kid))) return false;
    jw_member_str(w, "kid", key->kid, sizeof key->kid);
  }
  jw_lit(w, "}");
  return !w->fail;
}

static bool build_payload(const noc_jwt_claims *c, jwriter *w) {
  jw_lit(w, "{");
  if (c->sub[0]) jw_member_str(w, "sub", c->sub, sizeof c->sub);
  if (c->type[0]) jw_member_str(w, "type", c->type, sizeof c->type);
  if (c->scope[0]) jw_member_str(w, "scope", c->scope, sizeof c->scope);
  if (c->token_id[0]) jw_member_str(w, "token_id", c->token_id, sizeof c->token_id);
  if (c->has_iat) jw_member_int(w, "iat", c->iat);
  if (c->has_nbf) jw_member_int(w, "nbf", c->nbf);
  if (c->has_exp) jw_member_int(w, "exp", c->exp);
  jw_lit(w, "}");
  return !w->fail;
}

/* Appends base64url(bin) at out+*pos; false if it does not fit (NUL included). */
static bool b64_append(char *out, size_t cap, size_t *pos, const void *bin, size_t n) {
  size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (need > cap - *pos) return false;
  sodium_bin2base64(out + *pos, cap - *pos, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  *pos += strlen(out + *pos);
  return true;
}

static bool dot_append(char *out, size_t cap, size_t *pos) {
  if (cap - *pos < 2) return false;
  out[(*pos)++] = '.';
  out[*pos] = '\0';
  return true;
}

int noc_jwt_sign(const noc_jwt_key *key, const noc_jwt_claims *claims, char *out, size_t cap) {
  char hbuf[HEADER_JSON_MAX], pbuf[PAYLOAD_JSON_MAX];
  jwriter hw = {hbuf, sizeof hbuf, 0, false}, pw = {pbuf, sizeof pbuf, 0, false};
  unsigned char mac[SIG_BYTES];
  size_t pos = 0;
  if (out == NULL || cap == 0) return -1;
  out[0] = '\0';
  if (key == NULL || claims == NULL || !key_usable(key) || !crypto_ready()) return -1;
  if (!build_header(key, &hw) || !build_payload(claims, &pw)) return -1;
  if (!b64_append(out, cap, &pos, hbuf, hw.len) || !dot_append(out, cap, &pos) ||
      !b64_append(out, cap, &pos, pbuf, pw.len)) {
    out[0] = '\0';
    return -1;
  }
  mac_compute(key, out, pos, mac);
  bool ok = dot_append(out, cap, &pos) && b64_append(out, cap, &pos, mac, sizeof mac) &&
            pos <= NOC_JWT_MAX_TOKEN;
  sodium_memzero(mac, sizeof mac);
  if (!ok) {
    out[0] = '\0';
    return -1;
  }
  return (int)pos;
}
