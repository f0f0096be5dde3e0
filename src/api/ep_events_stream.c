/* The event endpoints (events/search, stateless/eclipses, stateless/ingresses) streamed as NDJSON
 * (events_stream.h). Each slice is one call of the engine
 * resuming from the cursor where the previous one stopped. Slices end on a short time budget,
 * which the engine honours at window boundaries: the next slice then starts a fresh window and
 * recomputes nothing. A cap on the events of a slice bounds its buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/events_api.h"
#include "api/events_stream.h"

enum {
  SLICE_EVENTS_MAX = 256,      /* events of one slice: bounds the buffer below */
  SLICE_BUF_MAX = 1024 * 1024, /* bytes of one slice's lines (a few KB per event at most) */
  REQUEST_ID_CAP = 72
};
#define SLICE_BUDGET_S 0.025 /* a slice ends at the first window boundary after this */

struct noc_ev_stream {
  const char *path; /* the endpoint's (static): its request shape and cursor fingerprint */
  noc_api_env env;  /* ctx: the worker thread's, refreshed by each read */
  noc_request req;  /* copy; its body is dropped once read */
  char request_id[REQUEST_ID_CAP];
  noc_api_call call;    /* w points to .w; body is NULL after open */
  noc_jw w;             /* writes into .out */
  noc_buf out;          /* owned: lines of the current slice */
  size_t sent;          /* bytes of out already handed out */
  noc_event_query *q;   /* owned */
  uint64_t fp;          /* cursor fingerprint of the request */
  int64_t limit;        /* of the whole stream */
  double deadline;      /* CLOCK_MONOTONIC seconds: end of the whole stream's budget */
  noc_event_result sum; /* the stream so far: delivered, next, searched_until, stop reason */
  bool finished;        /* the last line is in out */
};

static double monotonic_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool noc_ev_stream_endpoint(const noc_endpoint *ep) {
  return ep != NULL && noc_ev_is_event_endpoint(ep->path);
}

void noc_ev_stream_free(noc_ev_stream *s) {
  if (s == NULL) return;
  json_decref(s->call.body);
  noc_buf_free(&s->out);
  free(s->q);
  free(s);
}

static bool stream_sink(void *user, const noc_event *ev) {
  noc_ev_stream *s = user;
  noc_jw_init(&s->w, &s->out);
  noc_ev_write_event(&s->w, s->q, ev, &s->call);
  noc_buf_putc(&s->out, '\n');
  return noc_jw_ok(&s->w) && !s->out.overflow;
}

/* The final line when a slice after the first fails: the status line (200) is gone, so the
 * error travels in the body, with where a new request can resume. */
static void write_error_line(noc_ev_stream *s, noc_status st) {
  noc_api_call *call = &s->call;
  bool internal = st != NOC_ERR_VALIDATION && st != NOC_ERR_RANGE && st != NOC_ERR_EPHEMERIS &&
                  st != NOC_ERR_NOT_FOUND;
  char cursor[96] = "";
  if (noc_event_cursor_format(&s->sum.next, s->fp, cursor, sizeof cursor) < 0) cursor[0] = '\0';
  noc_jw *w = &s->w;
  noc_jw_init(w, &s->out);
  noc_jw_obj(w);
  noc_jw_key(w, "error");
  noc_jw_obj(w);
  noc_jw_kstr(w, "code", noc_status_code(st));
  noc_jw_kstr(w, "message", internal ? "internal error" : call->err.message);
  noc_jw_kstr(w, "field", internal || call->err.field[0] == '\0' ? NULL : call->err.field);
  noc_jw_kint(w, "count", s->sum.delivered);
  noc_jw_kstr(w, "cursor", cursor[0] ? cursor : NULL);
  noc_jw_kstr(w, "request_id", s->request_id);
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
  noc_buf_putc(&s->out, '\n');
  s->finished = true;
}

static noc_status write_summary_line(noc_ev_stream *s) {
  char cursor[96] = "";
  if (!s->sum.complete && noc_event_cursor_format(&s->sum.next, s->fp, cursor, sizeof cursor) < 0)
    return noc_fail(&s->call.err, NOC_ERR_INTERNAL, "", "cursor does not fit");
  noc_ev_write_ndjson_tail(&s->call, s->q, &s->sum, cursor, false);
  if (!noc_jw_ok(&s->w) || s->out.overflow)
    return noc_fail(&s->call.err, NOC_ERR_NOMEM, "", "the summary exceeds the slice buffer");
  s->finished = true;
  return NOC_OK;
}

/* Whether the stream is over after a slice that returned res, and why. */
static bool stream_over(noc_ev_stream *s, const noc_event_result *res) {
  if (res->complete) {
    s->sum.complete = true;
    return true;
  }
  if (s->sum.delivered >= s->limit) {
    s->sum.by_limit = true;
    return true;
  }
  if (monotonic_now() >= s->deadline) {
    s->sum.by_deadline = true;
    return true;
  }
  return false;
}

/* One slice: appends its lines to out, or the closing line when the stream ends. The lines of
 * a failed slice are dropped so that the error line's cursor resumes right after the last
 * line sent. */
static noc_status run_slice(noc_ev_stream *s) {
  size_t mark = s->out.len;
  int64_t left = s->limit - s->sum.delivered;
  double now = monotonic_now();
  double slice_end = now + SLICE_BUDGET_S < s->deadline ? now + SLICE_BUDGET_S : s->deadline;
  noc_event_run run = {left < SLICE_EVENTS_MAX ? left : SLICE_EVENTS_MAX, slice_end, s->sum.next};
  noc_event_result res;
  noc_status st = noc_events_search(s->env.ctx, s->q, &run, stream_sink, s, &res, &s->call.err);
  if (st == NOC_OK && res.by_sink)
    st = noc_fail(&s->call.err, NOC_ERR_NOMEM, "", "a slice exceeds the stream buffer");
  if (st != NOC_OK) {
    noc_ev_search_error_field(&s->call);
    s->out.len = mark;
    if (s->out.data) s->out.data[mark] = '\0';
    s->out.overflow = false;
    return st;
  }
  s->sum.delivered += res.delivered;
  s->sum.next = res.next;
  s->sum.searched_until = res.searched_until;
  s->sum.evaluations += res.evaluations;
  return stream_over(s, &res) ? write_summary_line(s) : NOC_OK;
}

static noc_status parse_body(noc_ev_stream *s) {
  json_error_t jerr;
  s->call.body = json_loadb(s->req.body, s->req.body_len, JSON_REJECT_DUPLICATES, &jerr);
  if (s->call.body == NULL || !json_is_object(s->call.body))
    return noc_fail(&s->call.err, NOC_ERR_VALIDATION, "", "the body must be a JSON object");
  return NOC_OK;
}

static noc_status start(noc_ev_stream *s, const noc_api_env *env, const noc_request *req) {
  s->env = *env;
  s->req = *req;
  snprintf(s->request_id, sizeof s->request_id, "%s", req->request_id ? req->request_id : "");
  s->req.request_id = s->request_id;
  s->call.env = &s->env;
  s->call.req = &s->req;
  s->call.w = &s->w;
  s->call.content_type = "application/x-ndjson";
  noc_buf_init(&s->out, SLICE_BUF_MAX);
  noc_jw_init(&s->w, &s->out);
  if ((s->q = calloc(1, sizeof *s->q)) == NULL)
    return noc_fail(&s->call.err, NOC_ERR_NOMEM, "", "out of memory");
  noc_ev_paging paging = {0};
  noc_status st = parse_body(s);
  if (st == NOC_OK) st = noc_ev_endpoint_input(&s->call, s->path, s->q, &paging);
  if (st != NOC_OK) return st;
  s->fp = noc_ev_fingerprint(&s->call, s->path);
  s->limit = paging.limit;
  s->deadline = monotonic_now() + paging.budget_s;
  if (paging.cursor && !noc_event_cursor_parse(paging.cursor, s->fp, &s->sum.next))
    return noc_fail(&s->call.err, NOC_ERR_VALIDATION, "cursor", "is not a cursor of this request");
  /* The body text belongs to the caller and is not needed past this point. */
  json_decref(s->call.body);
  s->call.body = NULL;
  s->req.body = NULL;
  s->req.body_len = 0;
  return run_slice(s);
}

noc_status noc_ev_stream_open(const noc_api_env *env, const noc_endpoint *ep,
                              const noc_request *req, noc_ev_stream **out) {
  *out = NULL;
  if (!noc_ev_stream_endpoint(ep)) return NOC_ERR_INTERNAL;
  noc_ev_stream *s = calloc(1, sizeof *s);
  if (s == NULL) return NOC_ERR_NOMEM;
  s->path = ep->path;
  noc_status st = start(s, env, req);
  if (st != NOC_OK) {
    noc_ev_stream_free(s);
    return st;
  }
  *out = s;
  return NOC_OK;
}

size_t noc_ev_stream_read(noc_ev_stream *s, noc_ctx *ctx, char *dst, size_t cap) {
  s->env.ctx = ctx;
  while (s->sent == s->out.len) {
    if (s->finished) return 0;
    noc_buf_reset(&s->out); /* everything handed out: the buffer starts over */
    s->sent = 0;
    noc_status st = run_slice(s);
    if (st != NOC_OK) write_error_line(s, st);
  }
  size_t n = s->out.len - s->sent;
  if (n > cap) n = cap;
  memcpy(dst, s->out.data + s->sent, n);
  s->sent += n;
  return n;
}
