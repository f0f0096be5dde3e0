/* The endpoint table: request JSON -> response JSON, one code path shared by the HTTP server,
 * the `nocturna calc` command and the tests. */
#ifndef NOCTURNA_API_H
#define NOCTURNA_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nocturna/buf.h"
#include "nocturna/context.h"

typedef struct noc_tzdb noc_tzdb;

/* What a handler runs with. One per worker thread; tzdb is shared and thread-safe. */
typedef struct noc_api_env {
  noc_ctx *ctx;   /* borrowed; bound to the calling thread */
  noc_tzdb *tzdb; /* borrowed; shared by all threads */
} noc_api_env;

typedef struct noc_request {
  const char *body; /* borrowed; need not be NUL-terminated */
  size_t body_len;
  const char *request_id; /* borrowed; printable, <= 64 chars */
  int64_t now_unix_ms;    /* wall clock of the request, for meta.timestamp and "now" */
  bool ndjson;            /* the client accepts application/x-ndjson streaming */
} noc_request;

typedef struct noc_response {
  int http_status;          /* 200, 400, ... */
  const char *error_code;   /* NULL on success, else "VALIDATION_ERROR" etc. (static) */
  const char *content_type; /* static string */
  char log_detail[448];     /* for the server log only: the internal cause of a 5xx */
} noc_response;

struct noc_api_call;
typedef struct noc_api_call noc_api_call;

typedef struct noc_endpoint {
  const char *path;                   /* after "/api/v1/" or "/api/": "calculations/houses" */
  const char *method;                 /* "POST" */
  const char *scope;                  /* token scope required; NULL = public */
  const char *summary;                /* one line for docs and the API index */
  int (*handler)(noc_api_call *call); /* internal: see src/api/api_internal.h */
} noc_endpoint;

/* NULL when unknown. */
const noc_endpoint *noc_api_find(const char *path);
/* Iteration over the table: NULL past the end. */
const noc_endpoint *noc_api_endpoint_at(int index);
/* How many entries the table has. */
int noc_api_endpoint_count(void);
/* The entries whose path is `path` (one per method), with their indexes, in table order: at
 * most cap stored, all counted. One pass over the table: the router calls it per request. */
int noc_api_find_all(const char *path, const noc_endpoint **eps, int *indexes, int cap);

/* Runs one endpoint and writes the whole envelope {"success","data","error","meta"} into out
 * (which the caller owns, bounded by its max). Never fails silently: any failure becomes an
 * error envelope with the right status. */
void noc_api_run(const noc_api_env *env, const noc_endpoint *ep, const noc_request *req,
                 noc_buf *out, noc_response *resp);

/* An error envelope for failures outside an endpoint (404, 413, 401, ...).
 * field may be NULL. */
void noc_api_write_error(noc_buf *out, const char *code, const char *message, const char *field,
                         const char *request_id, int64_t now_unix_ms);

/* Time zone database over a zoneinfo directory (NULL: /usr/share/zoneinfo). Zones are loaded on
 * first use and kept, immutable, until noc_tzdb_close. Thread-safe. */
noc_tzdb *noc_tzdb_open(const char *zoneinfo_dir);
void noc_tzdb_close(noc_tzdb *db);

#endif
