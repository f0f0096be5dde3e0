/* http_internal.h - state shared by the server's files (server.c: libmicrohttpd glue and life
 * cycle; handlers.c: the answers; respond.c: envelopes and headers). Not public. */
#ifndef NOC_HTTP_INTERNAL_H
#define NOC_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/auth.h"
#include "http/config.h"
#include "http/guard.h"
#include "http/identity.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/route.h"
#include "http/server.h"
#include "nocturna/api.h"
#include "nocturna/buf.h"
#include "nocturna/context.h"
#include "util/jsonw.h"

enum {
  NOC_HTTP_REQUEST_ID_MAX = 64,
  NOC_HTTP_MAX_ORIGINS = 32,
  NOC_HTTP_ORIGIN_MAX = 256,
  NOC_HTTP_MAX_READY = 8,
  NOC_HTTP_OUT_MAX = 8 * 1024 * 1024, /* bound of one response body */
  NOC_HTTP_CONN_MEMORY = 32 * 1024,   /* libmicrohttpd per-connection pool: also bounds headers */
  NOC_HTTP_DRAIN_EXTRA = 1024 * 1024  /* bytes of a refused body read (not stored) beyond
                                         max_body before the connection is closed instead */
};

typedef struct noc_ready_check {
  const char *name; /* static */
  noc_http_ready_fn fn;
  void *cls; /* borrowed */
} noc_ready_check;

struct noc_http_server {
  noc_http_config cfg;       /* copy */
  struct MHD_Daemon *daemon; /* owned */
  noc_auth *auth;            /* owned */
  noc_identity *identity;    /* borrowed (run.c owns it); NULL: identity routes answer 503 */
  noc_ratelimiter *limiter;  /* owned */
  noc_metrics *metrics;      /* owned */
  noc_tzdb *tzdb;            /* owned; shared by the workers */
  noc_guard guard;
  pthread_key_t worker_key; /* -> noc_worker, destroyed at worker thread exit */
  bool worker_key_ok;
  int64_t start_unix_ms, start_mono_ms;
  unsigned port;
  unsigned threads;
  int quiesced_fd;       /* the listening socket after quiesce, closed at stop */
  _Atomic bool draining; /* after quiesce: answers carry Connection: close */
  /* Requests whose answer is not yet queued: the overload (503) and /ready measure. Unlike the
   * in-flight gauge it drops when a buffered answer is queued, so a client that has read an
   * answer never finds its request still holding a slot (the send and the completion callback
   * come after the client may already have read the bytes). */
  _Atomic int64_t unanswered;
  _Atomic bool starting; /* libmicrohttpd messages are errors while starting */
  bool cors_any;
  int cors_count;
  char cors[NOC_HTTP_MAX_ORIGINS][NOC_HTTP_ORIGIN_MAX];
  int ready_count;
  noc_ready_check ready[NOC_HTTP_MAX_READY];
  char swe_version[64];
  char build_info[192]; /* label body of nocturna_build_info */
};

/* Per worker thread; created on the thread's first request. */
typedef struct noc_worker {
  noc_ctx *ctx;         /* owned; NULL while the ephemeris cannot be opened */
  int64_t ctx_retry_ms; /* monotonic time of the next open attempt after a failure */
  noc_error ctx_err;
  noc_buf out; /* response body under construction (copied into MHD) */
} noc_worker;

/* Why a request is refused before its body is used. */
typedef struct noc_reject {
  int status;          /* 0 = not refused */
  const char *code;    /* static error code */
  const char *message; /* static */
} noc_reject;

/* One request, from its request line to its completion notice. */
typedef struct noc_http_req {
  noc_http_server *srv; /* borrowed */
  noc_conn *conn;       /* borrowed; NULL when the connection is not guarded */
  int64_t t0_ns;        /* monotonic at the request line */
  int64_t start_unix_ms;
  bool headers_done;
  bool responded;
  bool holds_slot; /* counted in srv->unanswered */
  char method[12];
  char path[160]; /* printable copy for the log */
  noc_route route;
  char request_id[NOC_HTTP_REQUEST_ID_MAX + 1];
  char principal[96];
  char origin[NOC_HTTP_ORIGIN_MAX]; /* the allowed Origin to echo, "" for none */
  bool preflight;                   /* OPTIONS with Access-Control-Request-Method */
  bool ndjson;
  bool auth_checked;
  noc_auth_result auth;
  bool rl_set;
  noc_ratelimit_decision rl;
  noc_reject reject;
  bool want_body; /* store the body (a calculation endpoint) */
  noc_buf body;   /* owned */
  uint64_t bytes_in;
  /* Answer. */
  int status;
  const char *error_code; /* static, NULL on success */
  size_t bytes_out;
  int retry_after_s;                  /* > 0: Retry-After header */
  const char *www_authenticate_error; /* NULL, "invalid_token", "insufficient_scope", "" */
  char log_detail[448];               /* internal cause of a 5xx, for the log only */
} noc_http_req;

/* handlers.c */
noc_worker *noc_http_worker(noc_http_server *s);
enum MHD_Result noc_http_answer(noc_http_req *r, struct MHD_Connection *c);

/* respond.c */
enum MHD_Result noc_http_reply(noc_http_req *r, struct MHD_Connection *c, int status,
                               const char *content_type, const char *body, size_t len);
enum MHD_Result noc_http_reply_error(noc_http_req *r, struct MHD_Connection *c, int status,
                                     const char *code, const char *message);
/* Gives back the request's overload slot (once); a stream keeps it until it completes. */
void noc_http_release_slot(noc_http_req *r);
/* A 200 answer of unknown length (chunked) whose body read(cls, ...) produces as it is sent;
 * free_cls(cls) runs when libmicrohttpd is done with it (sent, failed or client gone), also
 * when this fails. */
enum MHD_Result noc_http_reply_stream(noc_http_req *r, struct MHD_Connection *c,
                                      const char *content_type, MHD_ContentReaderCallback read,
                                      MHD_ContentReaderFreeCallback free_cls, void *cls);
/* Success envelope around data written by fill(w, arg). */
void noc_http_envelope_begin(noc_http_req *r, noc_buf *out, noc_jw *w);
void noc_http_envelope_end(noc_http_req *r, noc_jw *w);
void noc_http_reject(noc_http_req *r, int status, const char *code, const char *message);

#endif
