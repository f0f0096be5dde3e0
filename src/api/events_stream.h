/* The event endpoints (events/search, stateless/eclipses, stateless/ingresses) as a stream of
 * NDJSON lines (issue 5): the search runs in short slices, each resuming from the previous one's
 * cursor, so a server can send the lines as they are found instead of after the whole search. The
 * limit and time budget of the request apply to the whole stream. Not public: used by the HTTP
 * server (src/http/handlers.c). */
#ifndef NOC_API_EVENTS_STREAM_H
#define NOC_API_EVENTS_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "nocturna/api.h"

typedef struct noc_ev_stream noc_ev_stream;

/* Whether ep answers with a stream when the client accepts NDJSON. */
bool noc_ev_stream_endpoint(const noc_endpoint *ep);

/* Reads and validates the request to ep (an endpoint noc_ev_stream_endpoint accepts) and runs
 * the first slice, so that every input error is known before a status line is sent. On success
 * *out (owned by the caller, freed with noc_ev_stream_free) holds the first lines. On failure
 * *out is NULL: the caller answers through noc_api_run, which finds the same error and writes
 * the usual error envelope. env->ctx must stay usable on this thread for every later
 * noc_ev_stream_read. */
noc_status noc_ev_stream_open(const noc_api_env *env, const noc_endpoint *ep,
                              const noc_request *req, noc_ev_stream **out);

/* Copies the next bytes of the body (at most cap) into dst, running further slices when the
 * pending lines are used up. Returns the count, 0 once the last line (the summary, or an
 * {"error": ...} line when a later slice fails) has been handed out. ctx: the calling
 * thread's context (the one of noc_ev_stream_open). */
size_t noc_ev_stream_read(noc_ev_stream *s, noc_ctx *ctx, char *dst, size_t cap);

/* Safe at any point of the stream (a client that went away); NULL is a no-op. */
void noc_ev_stream_free(noc_ev_stream *s);

#endif
