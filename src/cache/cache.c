/* cache.c - the generic entry points, Redis URL parsing and redaction. */
#include "cache/cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- wrappers ---- */

static bool usable(const noc_cache *c) {
  return c != NULL && c->ops != NULL;
}

static bool key_ok(const char *key) {
  if (key == NULL) return false;
  size_t n = strlen(key);
  return n >= 1 && n <= NOC_CACHE_KEY_MAX;
}

noc_cache_rc noc_cache_get(noc_cache *c, const char *key, void *out, size_t cap, size_t *len) {
  if (len != NULL) *len = 0;
  if (!usable(c) || !key_ok(key) || len == NULL || (out == NULL && cap > 0)) return NOC_CACHE_ERROR;
  return c->ops->get(c->impl, key, out, cap, len);
}

noc_cache_rc noc_cache_set(noc_cache *c, const char *key, const void *val, size_t len,
                           int64_t ttl_ms) {
  if (!usable(c) || !key_ok(key) || (val == NULL && len > 0) || len > NOC_CACHE_VALUE_MAX ||
      ttl_ms < 0)
    return NOC_CACHE_ERROR;
  return c->ops->set(c->impl, key, val, len, ttl_ms);
}

noc_cache_rc noc_cache_incr(noc_cache *c, const char *key, int64_t delta, int64_t ttl_ms,
                            int64_t *out) {
  if (out != NULL) *out = 0;
  if (!usable(c) || !key_ok(key) || out == NULL || ttl_ms < 0) return NOC_CACHE_ERROR;
  return c->ops->incr(c->impl, key, delta, ttl_ms, out);
}

noc_cache_rc noc_cache_del(noc_cache *c, const char *key) {
  if (!usable(c) || !key_ok(key)) return NOC_CACHE_ERROR;
  return c->ops->del(c->impl, key);
}

noc_cache_rc noc_cache_ping(noc_cache *c, char *detail, size_t cap) {
  if (detail != NULL && cap > 0) detail[0] = '\0';
  if (!usable(c)) {
    if (detail != NULL && cap > 0) snprintf(detail, cap, "no cache");
    return NOC_CACHE_ERROR;
  }
  return c->ops->ping(c->impl, detail, cap);
}

const char *noc_cache_kind(const noc_cache *c) {
  return usable(c) ? c->ops->kind : "none";
}

const char *noc_cache_rc_name(noc_cache_rc rc) {
  switch (rc) {
  case NOC_CACHE_OK:
    return "ok";
  case NOC_CACHE_MISS:
    return "miss";
  case NOC_CACHE_UNAVAILABLE:
    return "unavailable";
  case NOC_CACHE_TOO_LARGE:
    return "too_large";
  case NOC_CACHE_ERROR:
    return "error";
  }
  return "error";
}

void noc_cache_free(noc_cache *c) {
  if (c == NULL) return;
  if (c->ops != NULL && c->ops->destroy != NULL) c->ops->destroy(c->impl);
  free(c);
}

bool noc_cache_ready(void *cls, char *detail, size_t cap) {
  return noc_cache_ping(cls, detail, cap) == NOC_CACHE_OK;
}

/* ---- URL parsing ---- */

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) into out (cap bytes, NUL-terminated); false when malformed, when it
 * does not fit, or when it decodes to a NUL or control byte. */
static bool pct_decode(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '%') {
      int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      ch = (unsigned char)(hi * 16 + lo);
      i += 2;
    }
    if (ch < 0x20 || ch == 0x7f || o + 1 >= cap) return false;
    out[o++] = (char)ch;
  }
  out[o] = '\0';
  return true;
}

static bool parse_int(const char *s, size_t n, long lo, long hi, int *out) {
  char buf[16];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (buf[i] < '0' || buf[i] > '9') return false;
  errno = 0;
  char *end = NULL;
  long v = strtol(buf, &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = (int)v;
  return true;
}

/* user:password before the '@'; a lone word is refused as ambiguous (user or password?). */
static noc_status parse_userinfo(const char *s, size_t n, noc_redis_url *u, const char *field,
                                 noc_error *err) {
  const char *colon = memchr(s, ':', n);
  if (colon == NULL)
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "put the password after a colon: redis://:PASSWORD@host or "
                    "redis://USER:PASSWORD@host");
  size_t un = (size_t)(colon - s);
  if (!pct_decode(s, un, u->user, sizeof u->user) ||
      !pct_decode(colon + 1, n - un - 1, u->password, sizeof u->password))
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "the user or password is too long or badly percent-encoded");
  if (u->password[0] == '\0' && u->user[0] != '\0')
    return noc_fail(err, NOC_ERR_VALIDATION, field, "a user needs a password");
  return NOC_OK;
}

/* host, [v6host], with an optional :port. */
static noc_status parse_hostport(const char *s, size_t n, noc_redis_url *u, const char *field,
                                 noc_error *err) {
  const char *port = NULL;
  size_t hn = n;
  const char *h = s;
  if (n > 0 && s[0] == '[') {
    const char *close = memchr(s, ']', n);
    if (close == NULL) return noc_fail(err, NOC_ERR_VALIDATION, field, "unclosed '[' in the host");
    h = s + 1;
    hn = (size_t)(close - h);
    if (close + 1 < s + n) {
      if (close[1] != ':') return noc_fail(err, NOC_ERR_VALIDATION, field, "bad host");
      port = close + 2;
    }
  } else {
    const char *colon = memchr(s, ':', n);
    if (colon != NULL) {
      hn = (size_t)(colon - s);
      port = colon + 1;
    }
  }
  if (hn == 0 || hn >= sizeof u->host)
    return noc_fail(err, NOC_ERR_VALIDATION, field, "needs a host (1 to 255 characters)");
  for (size_t i = 0; i < hn; i++)
    if ((unsigned char)h[i] <= 0x20 || h[i] == 0x7f || h[i] == '%' || h[i] == '@')
      return noc_fail(err, NOC_ERR_VALIDATION, field, "bad character in the host");
  memcpy(u->host, h, hn);
  u->host[hn] = '\0';
  if (port != NULL && !parse_int(port, (size_t)(s + n - port), 1, 65535, &u->port))
    return noc_fail(err, NOC_ERR_VALIDATION, field, "the port must be a number in 1..65535");
  return NOC_OK;
}

/* Query of a unix URL: db=N and password=P, '&'-separated. */
static noc_status parse_query(const char *q, noc_redis_url *u, const char *field, noc_error *err) {
  while (*q) {
    const char *amp = strchr(q, '&');
    size_t n = amp ? (size_t)(amp - q) : strlen(q);
    bool ok;
    if (n > 3 && strncmp(q, "db=", 3) == 0)
      ok = parse_int(q + 3, n - 3, 0, 999999, &u->db);
    else if (n > 9 && strncmp(q, "password=", 9) == 0)
      ok = pct_decode(q + 9, n - 9, u->password, sizeof u->password);
    else
      ok = false;
    if (!ok)
      return noc_fail(err, NOC_ERR_VALIDATION, field,
                      "only db=N and password=P are understood after '?'");
    if (amp == NULL) break;
    q = amp + 1;
  }
  return NOC_OK;
}

static noc_status parse_unix(const char *rest, noc_redis_url *u, const char *field,
                             noc_error *err) {
  const char *q = strchr(rest, '?');
  size_t n = q ? (size_t)(q - rest) : strlen(rest);
  if (n < 2 || rest[0] != '/' || n >= sizeof u->unix_path)
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "unix:///path/to/redis.sock needs an absolute path under 108 bytes");
  if (!pct_decode(rest, n, u->unix_path, sizeof u->unix_path))
    return noc_fail(err, NOC_ERR_VALIDATION, field, "bad character in the socket path");
  return q ? parse_query(q + 1, u, field, err) : NOC_OK;
}

static noc_status parse_tcp(const char *rest, noc_redis_url *u, const char *field, noc_error *err) {
  const char *at = strrchr(rest, '@'); /* a password may hold '/' or '@'; a host never does */
  const char *hp = rest;
  if (at != NULL) {
    noc_status st = parse_userinfo(rest, (size_t)(at - rest), u, field, err);
    if (st != NOC_OK) return st;
    hp = at + 1;
  }
  size_t hn = strcspn(hp, "/?#");
  noc_status st = parse_hostport(hp, hn, u, field, err);
  if (st != NOC_OK) return st;
  const char *path = hp + hn;
  if (*path == '/' && path[1] != '\0' && !parse_int(path + 1, strlen(path + 1), 0, 999999, &u->db))
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "the path must be a database number (redis://host:6379/0)");
  if (*path == '?' || *path == '#')
    return noc_fail(err, NOC_ERR_VALIDATION, field, "query parameters are not supported");
  return NOC_OK;
}

noc_status noc_cache_redis_parse_url(const char *url, noc_redis_url *out, const char *field,
                                     noc_error *err) {
  memset(out, 0, sizeof *out);
  out->port = 6379;
  if (url == NULL || url[0] == '\0') return noc_fail(err, NOC_ERR_VALIDATION, field, "is empty");
  if (strlen(url) >= NOC_CACHE_URL_MAX)
    return noc_fail(err, NOC_ERR_VALIDATION, field, "is longer than %d bytes",
                    NOC_CACHE_URL_MAX - 1);
  for (const char *p = url; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return noc_fail(err, NOC_ERR_VALIDATION, field, "contains a control character");
  noc_status st;
  if (strncmp(url, "redis://", 8) == 0)
    st = parse_tcp(url + 8, out, field, err);
  else if (strncmp(url, "unix://", 7) == 0)
    st = parse_unix(url + 7, out, field, err);
  else if (strncmp(url, "rediss://", 9) == 0)
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "rediss:// (TLS) is not supported by this build's hiredis; use redis:// "
                    "on a private network or a TLS tunnel");
  else
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "must start with redis:// (redis://[:PASSWORD@]HOST[:PORT][/DB]) or unix://");
  if (st != NOC_OK) memset(out, 0, sizeof *out); /* no half-parsed password left behind */
  return st;
}

/* ---- redaction ---- */

void noc_cache_redact_url(const char *url, char *out, size_t cap) {
  if (cap == 0) return;
  out[0] = '\0';
  if (url == NULL) return;
  const char *scheme_end = strstr(url, "://");
  const char *at = scheme_end ? strrchr(scheme_end + 3, '@') : NULL;
  if (at != NULL) {
    const char *user = scheme_end + 3;
    const char *colon = memchr(user, ':', (size_t)(at - user));
    size_t keep = colon ? (size_t)(colon - url) : (size_t)(user - url);
    snprintf(out, cap, "%.*s%s***%s", (int)keep, url, colon ? ":" : "", at);
  } else {
    snprintf(out, cap, "%s", url);
  }
  char *pw = strstr(out, "password=");
  if (pw != NULL) {
    const char *amp = strchr(pw, '&');
    char tail[NOC_CACHE_URL_MAX];
    snprintf(tail, sizeof tail, "%s", amp ? amp : "");
    size_t off = (size_t)(pw - out) + 9;
    if (off < cap) snprintf(out + off, cap - off, "***%s", tail);
  }
}
