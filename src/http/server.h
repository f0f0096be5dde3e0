/* server.h - the HTTP service over libmicrohttpd.
 *
 * Threads: libmicrohttpd's internal epoll with a fixed pool of worker threads; each worker
 * opens its own calculation context (noc_ctx, Swiss Ephemeris state is thread-local) on its
 * first request and closes it when the thread exits. One extra thread reaps slow clients.
 *
 * Life cycle:
 *   noc_http_server_new       config checked, key loaded, nothing listening yet
 *   (hooks: noc_http_server_auth + noc_auth_set_policy, noc_http_server_add_ready_check)
 *   noc_http_server_listen    accepting
 *   noc_http_server_quiesce   stop accepting; in-flight requests go on (answers say close)
 *   noc_http_server_stop      close every connection, join the threads
 *   noc_http_server_free
 * noc_http_serve runs all of it for `nocturna serve`, with SIGTERM/SIGINT handling.
 */
#ifndef NOC_HTTP_SERVER_H
#define NOC_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/auth.h"
#include "http/config.h"
#include "nocturna/error.h"

typedef struct noc_http_server noc_http_server;

/* A readiness check for /ready: true when usable; on false, detail says why (NUL-terminated,
 * at most cap bytes). Called on worker threads, possibly concurrently. */
typedef bool (*noc_http_ready_fn)(void *cls, char *detail, size_t cap);

noc_status noc_http_server_new(noc_http_server **out, const noc_http_config *cfg, noc_error *err);
/* Borrowed; for installing the identity policy before listening. */
noc_auth *noc_http_server_auth(noc_http_server *s);
/* name: static string, e.g. "storage". At most 8 checks. Before listening. */
noc_status noc_http_server_add_ready_check(noc_http_server *s, const char *name,
                                           noc_http_ready_fn fn, void *cls, noc_error *err);
noc_status noc_http_server_listen(noc_http_server *s, noc_error *err);
/* The port actually bound (useful with port 0). */
unsigned noc_http_server_port(const noc_http_server *s);
/* Requests whose request line has arrived and whose response is not yet complete. */
int64_t noc_http_server_inflight(const noc_http_server *s);
void noc_http_server_quiesce(noc_http_server *s);
void noc_http_server_stop(noc_http_server *s);
void noc_http_server_free(noc_http_server *s);

/* Runs the service until SIGTERM or SIGINT, then drains for up to cfg->shutdown_timeout_s.
 * Returns a process exit status (0 after a clean shutdown). */
int noc_http_serve(const noc_http_config *cfg);

#endif
