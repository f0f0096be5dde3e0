/* The answers: service routes (index, health, ready, metrics), preflight, and the endpoint
 * table. Runs on the worker thread at the final access-handler call, once the whole request
 * has been received. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/events_stream.h"
#include "http/clock.h"
#include "http/docs_routes.h"
#include "http/http_internal.h"
#include "http/log.h"
#include "util/tz.h"

enum { CTX_RETRY_MS = 1000 };

static int64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void worker_open_ctx(noc_http_server *s, noc_worker *w) {
  int64_t now = noc_clock_mono_ms();
  if (w->ctx != NULL || now < w->ctx_retry_ms) return;
  const char *ephe = s->cfg.ephe_path[0] ? s->cfg.ephe_path : NULL;
  if (noc_ctx_open(&w->ctx, ephe, &w->ctx_err) != NOC_OK) {
    w->ctx = NULL;
    w->ctx_retry_ms = now + CTX_RETRY_MS;
    noc_logline l;
    noc_log_begin(&l, NOC_LOG_ERROR, "worker cannot open the ephemeris");
    noc_jw_kstr(&l.w, "error", w->ctx_err.message);
    noc_log_end(&l);
  }
}

noc_worker *noc_http_worker(noc_http_server *s) {
  noc_worker *w = pthread_getspecific(s->worker_key);
  if (w == NULL) {
    w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    noc_buf_init(&w->out, NOC_HTTP_OUT_MAX);
    if (pthread_setspecific(s->worker_key, w) != 0) {
      free(w);
      return NULL;
    }
  }
  worker_open_ctx(s, w);
  return w;
}

static void write_endpoint(noc_jw *w, const noc_endpoint *ep) {
  char path[256];
  noc_jw_obj(w);
  noc_jw_kstr(w, "method", ep->method);
  snprintf(path, sizeof path, "/api/v1/%s", ep->path);
  noc_jw_kstr(w, "path", path);
  snprintf(path, sizeof path, "/api/%s", ep->path);
  noc_jw_kstr(w, "legacy_path", path);
  noc_jw_kstr(w, "summary", ep->summary);
  noc_jw_kstr(w, "scope", ep->scope);
  noc_jw_obj_end(w);
}

static enum MHD_Result answer_index(noc_http_req *r, struct MHD_Connection *c, noc_worker *wk) {
  noc_jw w;
  noc_http_envelope_begin(r, &wk->out, &w);
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "name", "Nocturna Calculations API");
  noc_jw_kstr(&w, "version", noc_version());
  noc_jw_kstr(&w, "description", "Astrological calculations REST API");
  noc_jw_key(&w, "links");
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "health", "/health");
  noc_jw_kstr(&w, "ready", "/ready");
  noc_jw_kstr(&w, "metrics", "/metrics");
  noc_jw_kstr(&w, "api", "/api/v1");
  noc_jw_obj_end(&w);
  noc_jw_key(&w, "endpoints");
  noc_jw_arr(&w);
  for (int i = 0; noc_api_endpoint_at(i) != NULL; i++)
    write_endpoint(&w, noc_api_endpoint_at(i));
  noc_jw_arr_end(&w);
  noc_jw_obj_end(&w);
  noc_http_envelope_end(r, &w);
  return noc_http_reply(r, c, 200, "application/json", wk->out.data, wk->out.len);
}

static void write_token(noc_jw *w, const noc_jwt_claims *cl, int64_t now_s) {
  noc_jw_key(w, "token");
  noc_jw_obj(w);
  noc_jw_kbool(w, "valid", true);
  noc_jw_kstr(w, "type", cl->type[0] ? cl->type : NULL);
  noc_jw_kstr(w, "scope", cl->scope[0] ? cl->scope : NULL);
  noc_jw_kstr(w, "subject", cl->sub[0] ? cl->sub : NULL);
  noc_jw_kstr(w, "token_id", cl->token_id[0] ? cl->token_id : NULL);
  noc_jw_key(w, "expires_at");
  if (cl->has_exp) {
    char ts[40];
    noc_log_format_time(cl->exp * 1000, ts, sizeof ts);
    noc_jw_str(w, ts);
    noc_jw_key(w, "days_left");
    /* Whole days, rounded down like Python's timedelta.days. */
    int64_t left = cl->exp - now_s;
    noc_jw_int(w, left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
  } else {
    noc_jw_null(w);
    noc_jw_key(w, "days_left");
    noc_jw_null(w);
  }
  noc_jw_obj_end(w);
}

static enum MHD_Result answer_health(noc_http_req *r, struct MHD_Connection *c, noc_worker *wk) {
  noc_jw w;
  noc_http_envelope_begin(r, &wk->out, &w);
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "status", wk->ctx ? "healthy" : "degraded");
  noc_jw_kstr(&w, "version", noc_version());
  int64_t up_ms = noc_clock_mono_ms() - r->srv->start_mono_ms;
  noc_jw_knum(&w, "uptime", (double)up_ms / 1000.0, 3);
  noc_jw_key(&w, "ephemeris");
  noc_jw_obj(&w);
  noc_jw_kbool(&w, "available", wk->ctx != NULL);
  if (wk->ctx) {
    noc_jw_kstr(&w, "path", noc_ctx_ephe_path(wk->ctx));
    noc_jw_kstr(&w, "swiss_ephemeris", noc_swe_version(wk->ctx));
  } else {
    noc_jw_kstr(&w, "error", wk->ctx_err.message);
  }
  noc_jw_obj_end(&w);
  if (r->auth_checked && r->auth.status == NOC_AUTH_OK)
    write_token(&w, &r->auth.claims, r->start_unix_ms / 1000);
  noc_jw_obj_end(&w);
  noc_http_envelope_end(r, &w);
  return noc_http_reply(r, c, 200, "application/json", wk->out.data, wk->out.len);
}

typedef struct ready_item {
  const char *name;
  bool ok;
  char detail[160];
} ready_item;

static int collect_ready(noc_http_server *s, noc_worker *wk, ready_item *items) {
  int n = 0;
  items[n] = (ready_item){.name = "ephemeris", .ok = wk->ctx != NULL};
  if (!wk->ctx) snprintf(items[n].detail, sizeof items[n].detail, "%s", wk->ctx_err.message);
  n++;
  noc_error err;
  items[n] = (ready_item){.name = "timezones", .ok = noc_tzdb_get(s->tzdb, "UTC", &err) != NULL};
  if (!items[n].ok) snprintf(items[n].detail, sizeof items[n].detail, "%s", err.message);
  n++;
  items[n] = (ready_item){.name = "data_dir", .ok = access(s->cfg.data_dir, W_OK) == 0};
  if (!items[n].ok)
    snprintf(items[n].detail, sizeof items[n].detail, "%s is not writable", s->cfg.data_dir);
  n++;
  items[n] = (ready_item){.name = "capacity",
                          .ok = atomic_load(&s->unanswered) <= (int64_t)s->cfg.max_inflight &&
                                !atomic_load(&s->draining)};
  if (!items[n].ok)
    snprintf(items[n].detail, sizeof items[n].detail, "overloaded or shutting down");
  n++;
  for (int i = 0; i < s->ready_count; i++, n++) {
    items[n] = (ready_item){.name = s->ready[i].name};
    items[n].ok = s->ready[i].fn(s->ready[i].cls, items[n].detail, sizeof items[n].detail);
  }
  return n;
}

static enum MHD_Result answer_ready(noc_http_req *r, struct MHD_Connection *c, noc_worker *wk) {
  ready_item items[4 + NOC_HTTP_MAX_READY];
  int n = collect_ready(r->srv, wk, items);
  bool all = true;
  noc_jw w;
  noc_http_envelope_begin(r, &wk->out, &w);
  noc_jw_obj(&w);
  noc_jw_key(&w, "checks");
  noc_jw_obj(&w);
  for (int i = 0; i < n; i++) {
    all = all && items[i].ok;
    noc_jw_key(&w, items[i].name);
    noc_jw_obj(&w);
    noc_jw_kbool(&w, "ok", items[i].ok);
    if (!items[i].ok) noc_jw_kstr(&w, "detail", items[i].detail);
    noc_jw_obj_end(&w);
  }
  noc_jw_obj_end(&w);
  noc_jw_kstr(&w, "status", all ? "ready" : "not_ready");
  noc_jw_obj_end(&w);
  noc_http_envelope_end(r, &w);
  if (all) return noc_http_reply(r, c, 200, "application/json", wk->out.data, wk->out.len);
  /* The error envelope names the failed checks; the details are in the log. */
  noc_logline l;
  noc_log_begin(&l, NOC_LOG_WARN, "not ready");
  noc_jw_key(&l.w, "readiness");
  noc_jw_raw(&l.w, wk->out.data);
  noc_log_end(&l);
  char msg[256] = "Service not ready:";
  for (int i = 0; i < n; i++)
    if (!items[i].ok) snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " %s", items[i].name);
  r->retry_after_s = 5;
  return noc_http_reply_error(r, c, 503, "SERVICE_UNAVAILABLE", msg);
}

static enum MHD_Result answer_metrics(noc_http_req *r, struct MHD_Connection *c, noc_worker *wk) {
  noc_buf_reset(&wk->out);
  noc_metrics_render(r->srv->metrics, r->srv->build_info, &wk->out);
  if (wk->out.overflow) return noc_http_reply_error(r, c, 500, "INTERNAL_ERROR", "internal error");
  return noc_http_reply(r, c, 200, "text/plain; version=0.0.4; charset=utf-8", wk->out.data,
                        wk->out.len);
}

/* A streamed NDJSON answer (events/search). The reader runs on the connection's worker thread
 * (libmicrohttpd's thread pool keeps a connection on the thread that accepted it), so the
 * worker's context, bound to that thread, is the one the stream was opened with; the check of
 * the thread id makes a broken assumption an aborted answer rather than a shared context. */
typedef struct stream_cls {
  noc_ev_stream *st;    /* owned */
  noc_http_server *srv; /* borrowed */
  pthread_t thread;     /* the worker thread of the connection */
  int route;
  int64_t cpu_ns; /* spent producing the body, for the calculation metric */
  /* borrowed: the request's byte count for its log line. Valid while the reader runs: the
   * request is freed at completion, after the last read (stream_free may run later). */
  size_t *bytes_out;
} stream_cls;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  stream_cls *sc = cls;
  if (!pthread_equal(sc->thread, pthread_self())) {
    noc_log_msg(NOC_LOG_ERROR, "stream reader called on another thread; answer aborted");
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  noc_worker *wk = noc_http_worker(sc->srv);
  if (wk == NULL || wk->ctx == NULL) return MHD_CONTENT_READER_END_WITH_ERROR;
  int64_t cpu0 = thread_cpu_ns();
  size_t n = noc_ev_stream_read(sc->st, wk->ctx, buf, max);
  sc->cpu_ns += thread_cpu_ns() - cpu0;
  *sc->bytes_out += n;
  return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls) {
  stream_cls *sc = cls;
  noc_metrics_calculation(sc->srv->metrics, sc->route, sc->cpu_ns);
  noc_ev_stream_free(sc->st);
  free(sc);
}

/* Opens the stream (the request's errors surface here) and answers with it; false: answer as
 * usual, which reproduces any error with its envelope and status. */
static bool try_stream(noc_http_req *r, struct MHD_Connection *c, const noc_api_env *env,
                       const noc_request *req, enum MHD_Result *ret) {
  if (!r->ndjson || !noc_ev_stream_endpoint(r->route.ep)) return false;
  stream_cls *sc = calloc(1, sizeof *sc);
  if (sc == NULL) return false;
  int64_t cpu0 = thread_cpu_ns();
  if (noc_ev_stream_open(env, r->route.ep, req, &sc->st) != NOC_OK) {
    free(sc);
    return false;
  }
  sc->srv = r->srv;
  sc->thread = pthread_self();
  sc->route = r->route.id;
  sc->bytes_out = &r->bytes_out;
  sc->cpu_ns = thread_cpu_ns() - cpu0;
  *ret = noc_http_reply_stream(r, c, "application/x-ndjson", stream_read, stream_free, sc);
  return true;
}

static enum MHD_Result answer_endpoint(noc_http_req *r, struct MHD_Connection *c, noc_worker *wk) {
  if (wk->ctx == NULL) {
    snprintf(r->log_detail, sizeof r->log_detail, "%s", wk->ctx_err.message);
    r->retry_after_s = 5;
    return noc_http_reply_error(r, c, 503, "SERVICE_UNAVAILABLE",
                                "The ephemeris is not available; retry later");
  }
  noc_api_env env = {.ctx = wk->ctx, .tzdb = r->srv->tzdb};
  noc_request req = {.body = r->body.data ? r->body.data : "",
                     .body_len = r->body.len,
                     .request_id = r->request_id,
                     .now_unix_ms = r->start_unix_ms,
                     .ndjson = r->ndjson};
  enum MHD_Result streamed;
  if (try_stream(r, c, &env, &req, &streamed)) return streamed;
  noc_response resp;
  memset(&resp, 0, sizeof resp);
  int64_t cpu0 = thread_cpu_ns();
  noc_api_run(&env, r->route.ep, &req, &wk->out, &resp);
  noc_metrics_calculation(r->srv->metrics, r->route.id, thread_cpu_ns() - cpu0);
  if (resp.error_code != NULL) {
    r->error_code = resp.error_code;
    noc_metrics_error(r->srv->metrics, resp.error_code);
    snprintf(r->log_detail, sizeof r->log_detail, "%s", resp.log_detail);
  }
  if (resp.http_status == 503) r->retry_after_s = 5;
  return noc_http_reply(r, c, resp.http_status,
                        resp.content_type ? resp.content_type : "application/json", wk->out.data,
                        wk->out.len);
}

static enum MHD_Result answer_options(noc_http_req *r, struct MHD_Connection *c) {
  return noc_http_reply(r, c, 204, NULL, "", 0);
}

/* /api/auth and /api/v1/auth: the identity module writes the whole answer. */
static enum MHD_Result answer_identity(noc_http_req *r, struct MHD_Connection *c, noc_worker *wk) {
  noc_identity *id = r->srv->identity;
  if (id == NULL)
    return noc_http_reply_error(r, c, 503, "SERVICE_UNAVAILABLE", "Identity is not available");
  noc_id_request req = {
      .route = r->route.identity,
      .method = r->method,
      .arg = r->route.identity_arg[0] ? r->route.identity_arg : NULL,
      .body = r->body.data,
      .body_len = r->body.len,
      .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
      .query_refresh_token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "refresh_token"),
      .client_addr = r->conn ? r->conn->addr : NULL,
      .auth = r->auth_checked ? &r->auth : NULL,
      .request_id = r->request_id,
      .swe_version = r->srv->swe_version,
      .now_ms = r->start_unix_ms};
  noc_id_response resp;
  noc_identity_handle(id, &req, &wk->out, &resp);
  if (resp.error_code != NULL) {
    r->error_code = resp.error_code;
    noc_metrics_error(r->srv->metrics, resp.error_code);
  }
  if (resp.log_detail[0]) snprintf(r->log_detail, sizeof r->log_detail, "%s", resp.log_detail);
  if (resp.retry_after_s > 0) r->retry_after_s = resp.retry_after_s;
  if (resp.www_authenticate && r->www_authenticate_error == NULL) r->www_authenticate_error = "";
  return noc_http_reply(r, c, resp.status, "application/json", wk->out.data, wk->out.len);
}

enum MHD_Result noc_http_answer(noc_http_req *r, struct MHD_Connection *c) {
  noc_worker *wk = noc_http_worker(r->srv);
  if (wk == NULL) return MHD_NO; /* no memory: drop the connection rather than answer wrongly */
  if (r->reject.status != 0)
    return noc_http_reply_error(r, c, r->reject.status, r->reject.code, r->reject.message);
  if (strcmp(r->method, "OPTIONS") == 0) return answer_options(r, c);
  if (r->route.identity >= 0) return answer_identity(r, c, wk);
  switch (r->route.id) {
  case NOC_ROUTE_ROOT:
  case NOC_ROUTE_API_INDEX:
    return answer_index(r, c, wk);
  case NOC_ROUTE_HEALTH:
    return answer_health(r, c, wk);
  case NOC_ROUTE_READY:
    return answer_ready(r, c, wk);
  case NOC_ROUTE_METRICS:
    return answer_metrics(r, c, wk);
  case NOC_ROUTE_OPENAPI:
    return noc_docs_answer_openapi(r, c);
  case NOC_ROUTE_DOCS:
    return noc_docs_answer_ui(r, c);
  default:
    return answer_endpoint(r, c, wk);
  }
}
