/* Responses: the envelope, error bodies and the headers every answer carries. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "http/http_internal.h"
#include "http/log.h"

static const char EXPOSED_HEADERS[] =
    "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After";

static void add(struct MHD_Response *resp, const char *name, const char *value) {
  /* Only fails on invalid characters or no memory; values here are ours and printable. */
  (void)MHD_add_response_header(resp, name, value);
}

static void add_int(struct MHD_Response *resp, const char *name, int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRId64, v);
  add(resp, name, buf);
}

static void add_rate_headers(const noc_http_req *r, struct MHD_Response *resp) {
  if (!r->rl_set || r->rl.limit <= 0) return;
  add_int(resp, "X-RateLimit-Limit", r->rl.limit);
  add_int(resp, "X-RateLimit-Remaining", r->rl.remaining);
  add_int(resp, "X-RateLimit-Reset", r->rl.reset_s);
}

static void add_cors_headers(const noc_http_req *r, struct MHD_Response *resp) {
  if (r->origin[0] == '\0') return;
  add(resp, "Access-Control-Allow-Origin", r->srv->cors_any ? "*" : r->origin);
  if (!r->srv->cors_any) add(resp, "Vary", "Origin");
  if (r->preflight) {
    add(resp, "Access-Control-Allow-Methods", r->route.allow);
    add(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID");
    add(resp, "Access-Control-Max-Age", "600");
  } else {
    add(resp, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
  }
}

/* RFC 6750 section 3: no error attribute when the request had no credentials. */
static void add_www_authenticate(const noc_http_req *r, struct MHD_Response *resp) {
  const char *e = r->www_authenticate_error;
  if (e == NULL) return;
  char buf[400];
  if (e[0] == '\0')
    snprintf(buf, sizeof buf, "Bearer realm=\"nocturna\"");
  else if (strcmp(e, "insufficient_scope") == 0 && r->route.ep && r->route.ep->scope)
    snprintf(buf, sizeof buf,
             "Bearer realm=\"nocturna\", error=\"insufficient_scope\", "
             "error_description=\"%s\", scope=\"%s\"",
             r->auth.message ? r->auth.message : "", r->route.ep->scope);
  else
    snprintf(buf, sizeof buf, "Bearer realm=\"nocturna\", error=\"%s\", error_description=\"%s\"",
             e, r->auth.message ? r->auth.message : "");
  add(resp, "WWW-Authenticate", buf);
}

static void add_headers(noc_http_req *r, struct MHD_Response *resp, int status,
                        const char *content_type) {
  if (content_type) add(resp, "Content-Type", content_type);
  add(resp, "X-Request-ID", r->request_id);
  add(resp, "Cache-Control", "no-store");
  add(resp, "X-Content-Type-Options", "nosniff");
  add_rate_headers(r, resp);
  add_cors_headers(r, resp);
  if (status == 401 || status == 403) add_www_authenticate(r, resp);
  if (status == 405 || (r->route.id != NOC_ROUTE_UNMATCHED && strcmp(r->method, "OPTIONS") == 0))
    add(resp, "Allow", r->route.allow);
  if (r->retry_after_s > 0) add_int(resp, "Retry-After", r->retry_after_s);
  if (atomic_load(&r->srv->draining)) add(resp, "Connection", "close");
}

enum MHD_Result noc_http_reply(noc_http_req *r, struct MHD_Connection *c, int status,
                               const char *content_type, const char *body, size_t len) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (resp == NULL) {
    snprintf(r->log_detail, sizeof r->log_detail, "cannot allocate a response");
    return MHD_NO;
  }
  add_headers(r, resp, status, content_type);
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  r->responded = ret == MHD_YES;
  r->status = status;
  r->bytes_out = len;
  noc_http_release_slot(r); /* the work is done; only sending is left */
  return ret;
}

void noc_http_release_slot(noc_http_req *r) {
  if (!r->holds_slot) return;
  r->holds_slot = false;
  atomic_fetch_sub(&r->srv->unanswered, 1);
}

enum { STREAM_BLOCK = 16 * 1024 };

enum MHD_Result noc_http_reply_stream(noc_http_req *r, struct MHD_Connection *c,
                                      const char *content_type, MHD_ContentReaderCallback read,
                                      MHD_ContentReaderFreeCallback free_cls, void *cls) {
  struct MHD_Response *resp =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, read, cls, free_cls);
  if (resp == NULL) {
    free_cls(cls);
    snprintf(r->log_detail, sizeof r->log_detail, "cannot allocate a response");
    return MHD_NO;
  }
  add_headers(r, resp, 200, content_type);
  enum MHD_Result ret = MHD_queue_response(c, 200, resp);
  MHD_destroy_response(resp); /* libmicrohttpd keeps its own reference while sending */
  r->responded = ret == MHD_YES;
  r->status = 200;
  return ret;
}

enum MHD_Result noc_http_reply_error(noc_http_req *r, struct MHD_Connection *c, int status,
                                     const char *code, const char *message) {
  noc_worker *w = noc_http_worker(r->srv);
  if (w == NULL) return MHD_NO;
  noc_api_write_error(&w->out, code, message, NULL, r->request_id, r->start_unix_ms);
  r->error_code = code;
  noc_metrics_error(r->srv->metrics, code);
  return noc_http_reply(r, c, status, "application/json", w->out.data, w->out.len);
}

void noc_http_reject(noc_http_req *r, int status, const char *code, const char *message) {
  if (r->reject.status != 0) return; /* the first reason wins */
  r->reject.status = status;
  r->reject.code = code;
  r->reject.message = message;
}

void noc_http_envelope_begin(noc_http_req *r, noc_buf *out, noc_jw *w) {
  (void)r;
  noc_buf_reset(out);
  noc_jw_init(w, out);
  noc_jw_obj(w);
  noc_jw_kbool(w, "success", true);
  noc_jw_key(w, "data");
}

void noc_http_envelope_end(noc_http_req *r, noc_jw *w) {
  char ts[40];
  noc_log_format_time(r->start_unix_ms, ts, sizeof ts);
  noc_jw_key(w, "error");
  noc_jw_null(w);
  noc_jw_key(w, "meta");
  noc_jw_obj(w);
  noc_jw_kstr(w, "request_id", r->request_id);
  noc_jw_kstr(w, "timestamp", ts);
  noc_jw_key(w, "engine");
  noc_jw_obj(w);
  noc_jw_kstr(w, "name", "nocturna");
  noc_jw_kstr(w, "version", noc_version());
  noc_jw_kstr(w, "swiss_ephemeris", r->srv->swe_version);
  noc_jw_obj_end(w);
  noc_jw_key(w, "warnings");
  noc_jw_arr(w);
  noc_jw_arr_end(w);
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
}
