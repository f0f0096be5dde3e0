/* One job of the worker: its JSON in, a response envelope out. No Redis here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "worker/worker.h"

static const char *const job_keys[] = {"id", "endpoint", "request", "reply_to"};

bool noc_worker_token_ok(const char *s, size_t n, size_t max) {
  if (n == 0 || n > max) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x21 || s[i] > 0x7e) return false;
  return true;
}

static void copy_bounded(char *dst, size_t cap, const char *src, size_t n) {
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static void dead(noc_worker_job *job, const char *reason) {
  job->fate = NOC_WORKER_DEAD;
  job->dead_reason = reason;
}

/* An error envelope stored under the job's id, for a job that is malformed but identifiable. */
static void reject(noc_worker_job *job, noc_buf *out, int status, const char *code,
                   const char *field, const char *message, int64_t now_ms) {
  job->fate = NOC_WORKER_ANSWER;
  job->http_status = status;
  job->error_code = code;
  noc_api_write_error(out, code, message, field, job->id, now_ms);
}

static const char *unknown_key(json_t *root) {
  const char *key;
  json_t *val;
  json_object_foreach(root, key, val) {
    bool known = false;
    for (size_t i = 0; i < sizeof job_keys / sizeof job_keys[0]; i++)
      known = known || strcmp(key, job_keys[i]) == 0;
    if (!known) return key;
  }
  return NULL;
}

/* reply_to: absent or null = none; otherwise a key like the queue's. */
static bool take_reply_to(json_t *root, noc_worker_job *job) {
  json_t *r = json_object_get(root, "reply_to");
  if (r == NULL || json_is_null(r)) return true;
  if (!json_is_string(r)) return false;
  if (!noc_worker_token_ok(json_string_value(r), json_string_length(r), NOC_WORKER_KEY_MAX))
    return false;
  copy_bounded(job->reply_to, sizeof job->reply_to, json_string_value(r), json_string_length(r));
  return true;
}

/* The table path: "calculations/houses", also given as /api/v1/... or /api/... */
static const noc_endpoint *find_endpoint(const char *path) {
  if (strncmp(path, "/api/v1/", 8) == 0)
    path += 8;
  else if (strncmp(path, "/api/", 5) == 0)
    path += 5;
  return noc_api_find(path);
}

static void run_request(const noc_api_env *env, const noc_endpoint *ep, json_t *request,
                        int64_t now_ms, noc_buf *out, noc_worker_job *job) {
  /* The handlers take the body as bytes; re-serialising a parsed object keeps every value
   * (jansson prints doubles with 17 significant digits, which round-trips). */
  char *body = json_dumps(request, JSON_COMPACT);
  if (body == NULL) {
    reject(job, out, 500, "INTERNAL_ERROR", NULL, "the request could not be prepared", now_ms);
    snprintf(job->log_detail, sizeof job->log_detail, "json_dumps failed (out of memory)");
    return;
  }
  noc_request req = {body, strlen(body), job->id, now_ms, false};
  noc_response resp;
  noc_buf_reset(out);
  noc_api_run(env, ep, &req, out, &resp);
  free(body);
  job->fate = NOC_WORKER_ANSWER;
  job->http_status = resp.http_status;
  job->error_code = resp.error_code;
  snprintf(job->log_detail, sizeof job->log_detail, "%s", resp.log_detail);
}

/* With a usable id, every remaining problem becomes an envelope stored under it. */
static void run_identified(const noc_api_env *env, json_t *root, int64_t now_ms, noc_buf *out,
                           noc_worker_job *job) {
  char msg[NOC_ERR_MESSAGE_MAX];
  json_t *ep_json = json_object_get(root, "endpoint");
  if (json_is_string(ep_json))
    copy_bounded(job->endpoint, sizeof job->endpoint, json_string_value(ep_json),
                 json_string_length(ep_json));
  const char *extra = unknown_key(root);
  if (extra != NULL) {
    char field[64];
    snprintf(field, sizeof field, "%s", extra);
    snprintf(msg, sizeof msg, "unknown job field '%s' (allowed: id, endpoint, request, reply_to)",
             field);
    reject(job, out, 400, "VALIDATION_ERROR", field, msg, now_ms);
    return;
  }
  if (!take_reply_to(root, job)) {
    reject(job, out, 400, "VALIDATION_ERROR", "reply_to",
           "reply_to must be a list key of 1..256 "
           "printable ASCII characters without spaces",
           now_ms);
    return;
  }
  if (!json_is_string(ep_json) || json_string_length(ep_json) == 0) {
    reject(job, out, 400, "VALIDATION_ERROR", "endpoint",
           "endpoint is required, e.g. \"calculations/planetary-positions\"", now_ms);
    return;
  }
  /* The length check keeps an embedded NUL from matching a shorter path. */
  const noc_endpoint *ep = strlen(json_string_value(ep_json)) == json_string_length(ep_json)
                               ? find_endpoint(json_string_value(ep_json))
                               : NULL;
  if (ep == NULL) {
    snprintf(msg, sizeof msg, "unknown endpoint '%s'", job->endpoint);
    reject(job, out, 404, "NOT_FOUND", "endpoint", msg, now_ms);
    return;
  }
  json_t *request = json_object_get(root, "request");
  if (!json_is_object(request)) {
    reject(job, out, 400, "VALIDATION_ERROR", "request",
           "request is required: the JSON object the endpoint takes as its body", now_ms);
    return;
  }
  run_request(env, ep, request, now_ms, out, job);
}

void noc_worker_run_job(const noc_api_env *env, const char *raw, size_t len, int64_t now_unix_ms,
                        noc_buf *out, noc_worker_job *job) {
  memset(job, 0, sizeof *job);
  noc_buf_reset(out);
  if (len > NOC_WORKER_JOB_MAX) {
    dead(job, "job larger than 64 KiB");
    return;
  }
  json_error_t jerr;
  json_t *root = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    dead(job, "job is not valid JSON");
    return;
  }
  json_t *id = json_object_get(root, "id"); /* NULL when root is not an object */
  if (!json_is_object(root)) {
    dead(job, "job is not a JSON object");
  } else if (!json_is_string(id) ||
             !noc_worker_token_ok(json_string_value(id), json_string_length(id),
                                  NOC_WORKER_ID_MAX)) {
    dead(job, "job has no usable id (1..64 printable ASCII characters without spaces)");
  } else {
    copy_bounded(job->id, sizeof job->id, json_string_value(id), json_string_length(id));
    run_identified(env, root, now_unix_ms, out, job);
  }
  json_decref(root);
}
