/* libmicrohttpd glue: the request life cycle, the checks made when the headers arrive, body
 * collection, and the server's start and stop.
 *
 * The access handler is called (1) once the headers are in, (2) once per body chunk, (3) once
 * more with no data when the request is complete. Answers are queued only in call (3): a
 * response queued in call (1) makes libmicrohttpd drop keep-alive and stop reading the body
 * (the "early response" trap), so refusals decided from the headers are remembered and sent
 * after the body has been read and discarded. The one exception is a declared body too large
 * to be worth reading (or a client waiting for 100-continue): it gets its answer at once with
 * Connection: close.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "http/clock.h"
#include "http/http_internal.h"
#include "http/identity.h"
#include "http/log.h"

/* ---------------------------------------------------------------- header helpers ---- */

static const char *header(struct MHD_Connection *c, const char *name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* A random (version 4) UUID. uuid_generate_random makes one getrandom(2) call per UUID, a
 * visible cost per request; here each worker draws random bytes in batches instead. */
static void random_uuid(uuid_t u) {
  static _Thread_local unsigned char pool[4096];
  static _Thread_local size_t used = sizeof pool;
  if (used + sizeof(uuid_t) > sizeof pool) {
    if (getrandom(pool, sizeof pool, 0) != (ssize_t)sizeof pool) {
      uuid_generate_random(u);
      return;
    }
    used = 0;
  }
  memcpy(u, pool + used, sizeof(uuid_t));
  used += sizeof(uuid_t);
  u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
  u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

/* X-Request-ID from the caller when short and printable, else a fresh UUID v4. */
static void choose_request_id(noc_http_req *r, const char *given) {
  if (given != NULL) {
    size_t n = strlen(given);
    bool ok = n >= 1 && n <= NOC_HTTP_REQUEST_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
      ok = given[i] >= 0x21 && given[i] <= 0x7e;
    if (ok) {
      memcpy(r->request_id, given, n + 1);
      return;
    }
  }
  uuid_t u = {0};
  random_uuid(u);
  uuid_unparse_lower(u, r->request_id);
}

/* Whether the media type is application/json, with at most a utf-8 charset parameter. */
static bool is_json_content_type(const char *ct) {
  if (ct == NULL) return false;
  while (*ct == ' ')
    ct++;
  if (strncasecmp(ct, "application/json", 16) != 0) return false;
  const char *p = ct + 16;
  while (*p == ' ')
    p++;
  if (*p == '\0') return true;
  if (*p != ';') return false;
  p++;
  while (*p == ' ')
    p++;
  if (*p == '\0') return true;
  if (strncasecmp(p, "charset=", 8) != 0) return false;
  p += 8;
  if (*p == '"') p++;
  return strncasecmp(p, "utf-8", 5) == 0 || strncasecmp(p, "utf8", 4) == 0;
}

static void choose_origin(noc_http_req *r, const char *origin) {
  const noc_http_server *s = r->srv;
  if (origin == NULL || strlen(origin) >= sizeof r->origin) return;
  bool ok = s->cors_any;
  for (int i = 0; !ok && i < s->cors_count; i++)
    ok = strcmp(s->cors[i], origin) == 0;
  if (ok) snprintf(r->origin, sizeof r->origin, "%s", origin);
}

/* ---------------------------------------------------------------- header-time checks ---- */

/* Identity routes say themselves: public (login), optional (logout), or a token with a scope. */
static bool identity_needs_auth(const noc_http_req *r, const char *authz, const char **scope) {
  const noc_id_route *ir = noc_identity_route_at(r->route.identity);
  *scope = noc_identity_route_scope(r->route.identity);
  if (ir->auth == NOC_ID_PUBLIC) return false;
  if (ir->auth == NOC_ID_OPTIONAL) return authz != NULL;
  return true;
}

/* Which token check the route needs: *scope is the required scope (NULL: any valid token). */
static bool needs_auth(const noc_http_req *r, const char *authz, const char **scope) {
  *scope = NULL;
  if (strcmp(r->method, "OPTIONS") == 0 || !r->route.method_ok) return false;
  if (r->route.identity >= 0) return identity_needs_auth(r, authz, scope);
  if (r->route.ep != NULL && r->route.ep->scope != NULL) {
    *scope = r->route.ep->scope;
    return true;
  }
  if (r->route.id == NOC_ROUTE_HEALTH)
    return authz != NULL; /* public, but a token that is sent must be valid */
  if (r->route.id == NOC_ROUTE_METRICS && !r->srv->cfg.metrics_public) {
    *scope = "admin";
    return true;
  }
  return false;
}

static void authenticate(noc_http_req *r, struct MHD_Connection *c) {
  const char *authz = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
  const char *scope;
  if (!needs_auth(r, authz, &scope)) return;
  noc_auth_check(r->srv->auth, authz, scope, r->start_unix_ms / 1000, &r->auth);
  r->auth_checked = true;
}

static void choose_principal(noc_http_req *r) {
  const noc_jwt_claims *cl = &r->auth.claims;
  if (r->auth_checked && (r->auth.status == NOC_AUTH_OK || r->auth.status == NOC_AUTH_FORBIDDEN) &&
      (cl->token_id[0] || cl->sub[0]))
    snprintf(r->principal, sizeof r->principal, "%s:%s", cl->token_id[0] ? "token" : "sub",
             cl->token_id[0] ? cl->token_id : cl->sub);
  else
    snprintf(r->principal, sizeof r->principal, "ip:%s", r->conn ? r->conn->addr : "?");
}

static void rate_limit(noc_http_req *r) {
  noc_http_server *s = r->srv;
  if (strcmp(r->method, "OPTIONS") == 0) return;
  if (!noc_ratelimit_take(s->limiter, r->principal, noc_ratelimit_clock_ms(), &r->rl)) {
    noc_log_msg(NOC_LOG_WARN, "rate limiter unavailable; request allowed");
    return; /* fail open: the limiter protects capacity, it is not an access control */
  }
  r->rl_set = true;
  if (!r->rl.allowed) {
    r->retry_after_s = (int)(r->rl.retry_after_s > 0 ? r->rl.retry_after_s : 1);
    noc_metrics_rate_limited(s->metrics);
    noc_http_reject(r, 429, "RATE_LIMITED",
                    "Rate limit exceeded; retry after the Retry-After delay");
  }
}

static void reject_auth(noc_http_req *r) {
  if (!r->auth_checked) return;
  switch (r->auth.status) {
  case NOC_AUTH_OK:
    return;
  case NOC_AUTH_MISSING:
    r->www_authenticate_error = "";
    noc_http_reject(r, 401, "AUTH_REQUIRED", r->auth.message);
    return;
  case NOC_AUTH_EXPIRED:
    r->www_authenticate_error = "invalid_token";
    noc_http_reject(r, 401, "TOKEN_EXPIRED", r->auth.message);
    return;
  case NOC_AUTH_INVALID:
    r->www_authenticate_error = "invalid_token";
    noc_http_reject(r, 401, "INVALID_TOKEN", r->auth.message);
    return;
  case NOC_AUTH_REVOKED:
    r->www_authenticate_error = "invalid_token";
    noc_http_reject(r, 401, "TOKEN_REVOKED", r->auth.message);
    return;
  case NOC_AUTH_FORBIDDEN:
    r->www_authenticate_error = "insufficient_scope";
    noc_http_reject(r, 403, "FORBIDDEN", r->auth.message);
    return;
  case NOC_AUTH_UNAVAILABLE:
    r->retry_after_s = 5;
    noc_http_reject(r, 503, "SERVICE_UNAVAILABLE", r->auth.message);
    return;
  }
}

/* Content-Length when given and valid; -1 otherwise (chunked or none). */
static int64_t declared_length(struct MHD_Connection *c) {
  const char *v = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (v == NULL) return -1;
  char *end = NULL;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  return (errno != 0 || end == v || n < 0) ? -1 : (int64_t)n;
}

static void check_body_headers(noc_http_req *r, struct MHD_Connection *c, int64_t declared) {
  if (!r->want_body) return;
  if (declared > (int64_t)r->srv->cfg.max_body)
    noc_http_reject(r, 413, "PAYLOAD_TOO_LARGE", "Request body exceeds the size limit");
  /* Identity routes take forms too (login) or no body at all; they check the type. */
  if (r->route.identity < 0 && !is_json_content_type(header(c, MHD_HTTP_HEADER_CONTENT_TYPE)))
    noc_http_reject(r, 415, "UNSUPPORTED_MEDIA_TYPE",
                    "Content-Type must be application/json (charset utf-8)");
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value) {
  (void)kind;
  size_t *total = cls;
  *total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
  return MHD_YES;
}

/* The request line and header fields against NOCTURNA_MAX_HEADER_BYTES, checked first: a
 * client over it gets the envelope with 431, and nothing of its headers is used. */
static void check_header_size(noc_http_req *r, struct MHD_Connection *c, const char *url) {
  size_t total = strlen(r->method) + strlen(url) + 11; /* " ", " HTTP/1.1", CRLF */
  MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_size, &total);
  if (total > r->srv->cfg.max_header_bytes)
    noc_http_reject(r, 431, "HEADERS_TOO_LARGE",
                    "Request headers exceed the size limit (NOCTURNA_MAX_HEADER_BYTES)");
}

static void check_route(noc_http_req *r) {
  if (r->route.id == NOC_ROUTE_UNMATCHED)
    noc_http_reject(r, 404, "NOT_FOUND", "No such resource; see GET /api for the endpoints");
  else if (!r->route.method_ok)
    noc_http_reject(r, 405, "METHOD_NOT_ALLOWED", "Method not allowed on this resource");
}

static void check_capacity(noc_http_req *r) {
  noc_http_server *s = r->srv;
  if (r->route.id == NOC_ROUTE_HEALTH || r->route.id == NOC_ROUTE_METRICS)
    return; /* probes must answer when the service is busiest */
  if (atomic_load(&s->unanswered) > (int64_t)s->cfg.max_inflight) {
    r->retry_after_s = 1;
    noc_http_reject(r, 503, "SERVICE_UNAVAILABLE", "Server is overloaded; retry later");
  }
}

static void copy_method(noc_http_req *r, const char *method) {
  snprintf(r->method, sizeof r->method, "%s", method);
}

/* Call (1). Returns true when an answer must be queued now (see the file comment). */
static bool on_headers(noc_http_req *r, struct MHD_Connection *c, const char *url,
                       const char *method) {
  copy_method(r, method);
  check_header_size(r, c, url);
  noc_route_resolve(url, method, &r->route);
  choose_request_id(r, header(c, "X-Request-ID"));
  const char *accept = header(c, MHD_HTTP_HEADER_ACCEPT);
  r->ndjson = accept != NULL && strstr(accept, "application/x-ndjson") != NULL;
  choose_origin(r, header(c, "Origin"));
  r->preflight =
      strcmp(r->method, "OPTIONS") == 0 && header(c, "Access-Control-Request-Method") != NULL;
  r->want_body = (r->route.ep != NULL && r->route.method_ok && strcmp(r->method, "POST") == 0) ||
                 (r->route.identity >= 0 && r->route.method_ok &&
                  (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0));
  authenticate(r, c);
  choose_principal(r);
  rate_limit(r);
  check_route(r);
  check_capacity(r);
  reject_auth(r);
  int64_t declared = declared_length(c);
  check_body_headers(r, c, declared);
  if (r->reject.status == 0) return false;
  const char *expect = header(c, MHD_HTTP_HEADER_EXPECT);
  bool waiting = expect != NULL && strcasecmp(expect, "100-continue") == 0;
  return waiting || declared > (int64_t)(r->srv->cfg.max_body + NOC_HTTP_DRAIN_EXTRA);
}

/* Call (2). False: close the connection (a refused body too long to keep discarding). */
static bool on_body(noc_http_req *r, const char *data, size_t size) {
  r->bytes_in += size;
  uint64_t cap = (uint64_t)r->srv->cfg.max_body + NOC_HTTP_DRAIN_EXTRA;
  if (r->reject.status != 0 || !r->want_body) return r->bytes_in <= cap;
  if (!noc_buf_append(&r->body, data, size)) {
    noc_buf_free(&r->body);
    noc_buf_init(&r->body, 0);
    noc_http_reject(r, 413, "PAYLOAD_TOO_LARGE", "Request body exceeds the size limit");
  }
  return true;
}

/* ---------------------------------------------------------------- MHD callbacks ---- */

static noc_http_req *request_new(noc_http_server *s, struct MHD_Connection *c, const char *uri) {
  noc_http_req *r = calloc(1, sizeof *r);
  if (r == NULL) return NULL;
  r->srv = s;
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  r->conn = ci ? (noc_conn *)ci->socket_context : NULL;
  r->t0_ns = noc_clock_mono_ns();
  r->start_unix_ms = noc_clock_unix_ms();
  noc_buf_init(&r->body, s->cfg.max_body);
  size_t i = 0;
  for (; uri && uri[i] && uri[i] != '?' && i + 1 < sizeof r->path; i++)
    r->path[i] = (uri[i] > 0x20 && uri[i] < 0x7f) ? uri[i] : '?';
  r->path[i] = '\0';
  snprintf(r->method, sizeof r->method, "-");
  if (r->conn) noc_conn_request_started(r->conn);
  noc_metrics_inflight_add(s->metrics, 1);
  atomic_fetch_add(&s->unanswered, 1);
  r->holds_slot = true;
  return r;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line is in. Its result becomes *con_cls. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c) {
  return request_new(cls, c, uri);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls) {
  (void)version;
  noc_http_req *r = *con_cls;
  if (r == NULL && (r = *con_cls = request_new(cls, c, url)) == NULL) return MHD_NO;
  if (!r->headers_done) {
    r->headers_done = true;
    if (on_headers(r, c, url, method)) {
      if (r->conn) noc_conn_request_received(r->conn);
      return noc_http_answer(r, c); /* libmicrohttpd closes the connection after it */
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    bool keep = on_body(r, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return keep ? MHD_YES : MHD_NO;
  }
  if (r->responded) return MHD_YES;
  if (r->conn) noc_conn_request_received(r->conn);
  return noc_http_answer(r, c);
}

static void log_request(const noc_http_req *r, int64_t duration_ns,
                        enum MHD_RequestTerminationCode toe) {
  noc_log_level level = r->status >= 500 || r->log_detail[0] ? NOC_LOG_ERROR
                        : r->responded                       ? NOC_LOG_INFO
                                                             : NOC_LOG_WARN;
  noc_logline l;
  if (!noc_log_begin(&l, level, "request")) return;
  noc_jw *w = &l.w;
  noc_jw_kstr(w, "request_id", r->request_id[0] ? r->request_id : NULL);
  noc_jw_kstr(w, "method", r->method);
  noc_jw_kstr(w, "path", r->path);
  noc_buf label;
  noc_buf_init(&label, 256);
  noc_route_write_label(r->route.id, &label);
  noc_jw_kstr(w, "route", label.data ? label.data : "");
  noc_buf_free(&label);
  noc_jw_kint(w, "status", r->responded ? r->status : 0);
  noc_jw_knum(w, "duration_ms", (double)duration_ns / 1e6, 3);
  noc_jw_kstr(w, "principal", r->principal[0] ? r->principal : NULL);
  noc_jw_kint(w, "bytes_in", (int64_t)r->bytes_in);
  noc_jw_kint(w, "bytes_out", (int64_t)r->bytes_out);
  if (r->error_code) noc_jw_kstr(w, "error_code", r->error_code);
  if (r->log_detail[0]) noc_jw_kstr(w, "detail", r->log_detail);
  if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) noc_jw_kint(w, "termination", (int64_t)toe);
  noc_log_end(&l);
}

/* MHD_OPTION_NOTIFY_COMPLETED: the response was sent, or the request was abandoned. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)c;
  noc_http_server *s = cls;
  noc_http_req *r = *con_cls;
  if (r == NULL) return;
  *con_cls = NULL;
  int64_t dur = noc_clock_mono_ns() - r->t0_ns;
  bool ok = r->responded && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
  noc_metrics_request(s->metrics, r->route.id, r->method, ok ? r->status : 0, dur);
  log_request(r, dur, toe);
  if (r->conn) noc_conn_request_done(r->conn);
  noc_http_release_slot(r);
  noc_buf_free(&r->body);
  free(r);
  noc_metrics_inflight_add(s->metrics, -1);
}

/* MHD_OPTION_NOTIFY_CONNECTION: register with the guard; no Nagle delay on answers. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  noc_http_server *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    if (*socket_context) noc_guard_remove(&s->guard, *socket_context);
    *socket_context = NULL;
    noc_metrics_connections_add(s->metrics, -1);
    return;
  }
  const union MHD_ConnectionInfo *fdi =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  const union MHD_ConnectionInfo *ai =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  int fd = fdi ? fdi->connect_fd : -1;
  if (fd >= 0) {
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  *socket_context = noc_guard_add(&s->guard, fd, ai ? ai->client_addr : NULL);
  noc_metrics_connections_add(s->metrics, 1);
}

/* MHD_OPTION_EXTERNAL_LOGGER: libmicrohttpd's own messages as JSON lines. */
static void on_mhd_message(void *cls, const char *fmt, va_list ap) {
  noc_http_server *s = cls;
  noc_log_level level = atomic_load(&s->starting) ? NOC_LOG_ERROR : NOC_LOG_DEBUG;
  if (!noc_log_enabled(level)) return;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    msg[--n] = '\0';
  noc_logline l;
  noc_log_begin(&l, level, "libmicrohttpd");
  noc_jw_kstr(&l.w, "detail", msg);
  noc_log_end(&l);
}

/* ---------------------------------------------------------------- life cycle ---- */

static void worker_destroy(void *p) {
  noc_worker *w = p;
  if (w == NULL) return;
  noc_ctx_close(w->ctx); /* on the worker thread that opened it, as libswe requires */
  noc_buf_free(&w->out);
  free(w);
}

static void parse_cors(noc_http_server *s) {
  const char *p = s->cfg.cors_origins;
  while (*p && s->cors_count < NOC_HTTP_MAX_ORIGINS) {
    while (*p == ' ' || *p == ',')
      p++;
    size_t n = strcspn(p, ",");
    size_t m = n;
    while (m > 0 && p[m - 1] == ' ')
      m--;
    if (m == 1 && p[0] == '*')
      s->cors_any = true;
    else if (m > 0 && m < NOC_HTTP_ORIGIN_MAX)
      snprintf(s->cors[s->cors_count++], NOC_HTTP_ORIGIN_MAX, "%.*s", (int)m, p);
    p += n;
  }
}

/* Opens a context on this thread only to learn the ephemeris state for the start-up line. */
static noc_status probe_ephemeris(noc_http_server *s, noc_error *err) {
  noc_ctx *ctx;
  noc_status st = noc_ctx_open(&ctx, s->cfg.ephe_path[0] ? s->cfg.ephe_path : NULL, err);
  if (st != NOC_OK) return st;
  snprintf(s->swe_version, sizeof s->swe_version, "%s", noc_swe_version(ctx));
  noc_ctx_close(ctx);
  snprintf(s->build_info, sizeof s->build_info, "version=\"%s\",swiss_ephemeris=\"%s\"",
           noc_version(), s->swe_version);
  return NOC_OK;
}

noc_status noc_http_server_new(noc_http_server **out, const noc_http_config *cfg, noc_error *err) {
  *out = NULL;
  noc_status st = noc_http_config_validate(cfg, err);
  if (st != NOC_OK) return st;
  noc_http_server *s = calloc(1, sizeof *s);
  if (s == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  s->cfg = *cfg;
  s->quiesced_fd = -1;
  s->threads = noc_http_config_threads(cfg);
  s->start_unix_ms = noc_clock_unix_ms();
  s->start_mono_ms = noc_clock_mono_ms();
  noc_log_set_level(cfg->log_level);
  parse_cors(s);
  st = probe_ephemeris(s, err);
  if (st == NOC_OK) st = noc_auth_open(&s->auth, cfg, err);
  if (st == NOC_OK && (s->metrics = noc_metrics_new(s->start_unix_ms)) == NULL)
    st = noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  if (st == NOC_OK &&
      (s->tzdb = noc_tzdb_open(cfg->zoneinfo_dir[0] ? cfg->zoneinfo_dir : NULL)) == NULL)
    st = noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_ZONEINFO",
                  "cannot open the time zone database");
  if (st == NOC_OK && (s->limiter = noc_ratelimit_local_new(cfg->rate_limit, cfg->rate_burst,
                                                            cfg->rate_max_principals)) == NULL)
    st = noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_RATE_LIMIT", "cannot create the rate limiter");
  if (st == NOC_OK && pthread_key_create(&s->worker_key, worker_destroy) != 0)
    st = noc_fail(err, NOC_ERR_INTERNAL, "", "pthread_key_create failed");
  else if (st == NOC_OK)
    s->worker_key_ok = true;
  if (st != NOC_OK) {
    noc_http_server_free(s);
    return st;
  }
  *out = s;
  return NOC_OK;
}

noc_auth *noc_http_server_auth(noc_http_server *s) {
  return s->auth;
}

noc_status noc_http_server_add_ready_check(noc_http_server *s, const char *name,
                                           noc_http_ready_fn fn, void *cls, noc_error *err) {
  if (s->ready_count >= NOC_HTTP_MAX_READY)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "too many readiness checks");
  s->ready[s->ready_count++] = (noc_ready_check){.name = name, .fn = fn, .cls = cls};
  return NOC_OK;
}

/* The listening address: host may be a name or a numeric IPv4/IPv6 address. */
static noc_status resolve_listen(const noc_http_config *cfg, struct sockaddr_storage *ss,
                                 bool *ipv6, noc_error *err) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  int rc = getaddrinfo(cfg->host, NULL, &hints, &res);
  if (rc != 0 || res == NULL)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_HOST", "cannot resolve '%s': %s", cfg->host,
                    gai_strerror(rc));
  memset(ss, 0, sizeof *ss);
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *ipv6 = res->ai_family == AF_INET6;
  freeaddrinfo(res);
  if (*ipv6)
    ((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)cfg->port);
  else
    ((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)cfg->port);
  return NOC_OK;
}

static struct MHD_Daemon *start_daemon(noc_http_server *s, struct sockaddr_storage *ss, bool ipv6) {
  const noc_http_config *cfg = &s->cfg;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                   MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
  /* The logger option must come first, or earlier options log through the default one. */
  return MHD_start_daemon(
      flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_message, s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss, MHD_OPTION_THREAD_POOL_SIZE, s->threads,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)NOC_HTTP_CONN_MEMORY, MHD_OPTION_CONNECTION_LIMIT,
      cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_ip,
      MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
      s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_URI_LOG_CALLBACK,
      on_request_line, s, MHD_OPTION_END);
}

noc_status noc_http_server_listen(noc_http_server *s, noc_error *err) {
  struct sockaddr_storage ss;
  bool ipv6 = false;
  noc_status st = resolve_listen(&s->cfg, &ss, &ipv6, err);
  if (st != NOC_OK) return st;
  st = noc_guard_start(&s->guard, s->cfg.idle_timeout_s, s->cfg.request_timeout_s, s->metrics, err);
  if (st != NOC_OK) return st;
  atomic_store(&s->starting, true);
  s->daemon = start_daemon(s, &ss, ipv6);
  atomic_store(&s->starting, false);
  if (s->daemon == NULL) {
    noc_guard_stop(&s->guard);
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_PORT",
                    "cannot listen on %s:%u (in use, or not permitted)", s->cfg.host, s->cfg.port);
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : s->cfg.port;
  return NOC_OK;
}

unsigned noc_http_server_port(const noc_http_server *s) {
  return s->port;
}

int64_t noc_http_server_inflight(const noc_http_server *s) {
  return noc_metrics_inflight(s->metrics);
}

void noc_http_server_quiesce(noc_http_server *s) {
  atomic_store(&s->draining, true);
  if (s->daemon == NULL) return;
  MHD_socket fd = MHD_quiesce_daemon(s->daemon);
  if (fd == MHD_INVALID_SOCKET) return;
  /* The socket is ours now. shutdown(2) makes new connects fail at once; close(2) waits until
   * the daemon's threads are joined, since they may still hold the descriptor number. */
  shutdown(fd, SHUT_RDWR);
  s->quiesced_fd = fd;
}

void noc_http_server_stop(noc_http_server *s) {
  if (s->daemon != NULL) {
    MHD_stop_daemon(s->daemon); /* joins the workers: their contexts close on their threads */
    s->daemon = NULL;
  }
  if (s->quiesced_fd >= 0) {
    close(s->quiesced_fd);
    s->quiesced_fd = -1;
  }
  noc_guard_stop(&s->guard);
}

void noc_http_server_free(noc_http_server *s) {
  if (s == NULL) return;
  noc_http_server_stop(s);
  if (s->worker_key_ok) pthread_key_delete(s->worker_key);
  noc_ratelimit_free(s->limiter);
  noc_tzdb_close(s->tzdb);
  noc_metrics_free(s->metrics);
  noc_auth_close(s->auth);
  free(s);
}
