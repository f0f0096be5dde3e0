/* Prometheus metrics with atomic counters in preallocated arrays. */
#include "http/metrics.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/route.h"

static const char *const methods[] = {"GET", "HEAD",   "POST",  "OPTIONS",
                                      "PUT", "DELETE", "PATCH", "OTHER"};
enum { METHOD_COUNT = sizeof methods / sizeof methods[0] };

/* Status 0 is "aborted" (no response). The last slot collects codes not listed. */
static const int statuses[] = {0,   200, 201, 204, 400, 401, 403, 404, 405,
                               408, 413, 415, 422, 429, 431, 500, 503, -1};
enum { STATUS_COUNT = sizeof statuses / sizeof statuses[0] };

static const char *const error_codes[] = {
    "VALIDATION_ERROR",       "INVALID_JSON",      "NOT_FOUND",
    "METHOD_NOT_ALLOWED",     "PAYLOAD_TOO_LARGE", "HEADERS_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE", "AUTH_REQUIRED",     "INVALID_TOKEN",
    "TOKEN_EXPIRED",          "FORBIDDEN",         "RATE_LIMITED",
    "SERVICE_UNAVAILABLE",    "INTERNAL_ERROR",    "OTHER"};
enum { ERROR_COUNT = sizeof error_codes / sizeof error_codes[0] };

/* Upper bounds in microseconds; +Inf is implicit. */
static const int64_t bucket_us[] = {250,   500,    1000,   2500,   5000,    10000,  25000,
                                    50000, 100000, 250000, 500000, 1000000, 2500000};
enum { BUCKET_COUNT = sizeof bucket_us / sizeof bucket_us[0] };

typedef _Atomic uint64_t counter;

typedef struct route_hist {
  counter buckets[BUCKET_COUNT + 1]; /* not cumulative; the last is +Inf */
  counter sum_us;
  counter count;
} route_hist;

struct noc_metrics {
  int routes;
  int64_t start_unix_ms;
  counter *requests;     /* [routes][METHOD_COUNT][STATUS_COUNT] */
  route_hist *latency;   /* [routes] */
  counter *calculations; /* [routes] */
  counter *calc_cpu_ns;  /* [routes] */
  counter errors[ERROR_COUNT];
  counter rate_limited;
  counter connections_cut;
  _Atomic int64_t inflight;
  _Atomic int64_t connections;
};

noc_metrics *noc_metrics_new(int64_t start_unix_ms) {
  noc_metrics *m = calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  m->routes = noc_route_count();
  m->start_unix_ms = start_unix_ms;
  size_t r = (size_t)m->routes;
  /* calloc'ed zero bytes are valid zero atomics on every platform we build on. */
  m->requests = calloc(r * METHOD_COUNT * STATUS_COUNT, sizeof *m->requests);
  m->latency = calloc(r, sizeof *m->latency);
  m->calculations = calloc(r, sizeof *m->calculations);
  m->calc_cpu_ns = calloc(r, sizeof *m->calc_cpu_ns);
  if (m->requests == NULL || m->latency == NULL || m->calculations == NULL ||
      m->calc_cpu_ns == NULL) {
    noc_metrics_free(m);
    return NULL;
  }
  return m;
}

void noc_metrics_free(noc_metrics *m) {
  if (m == NULL) return;
  free(m->requests);
  free(m->latency);
  free(m->calculations);
  free(m->calc_cpu_ns);
  free(m);
}

static int method_index(const char *method) {
  for (int i = 0; i < METHOD_COUNT - 1; i++)
    if (strcmp(methods[i], method) == 0) return i;
  return METHOD_COUNT - 1;
}

static int status_index(int status) {
  for (int i = 0; i < STATUS_COUNT - 1; i++)
    if (statuses[i] == status) return i;
  return STATUS_COUNT - 1;
}

static void inc(counter *c, uint64_t v) {
  atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static uint64_t get(const counter *c) {
  return atomic_load_explicit((counter *)c, memory_order_relaxed);
}

void noc_metrics_request(noc_metrics *m, int route, const char *method, int status,
                         int64_t duration_ns) {
  if (route < 0 || route >= m->routes) route = NOC_ROUTE_UNMATCHED;
  size_t idx = ((size_t)route * METHOD_COUNT + (size_t)method_index(method)) * STATUS_COUNT +
               (size_t)status_index(status);
  inc(&m->requests[idx], 1);
  int64_t us = duration_ns < 0 ? 0 : duration_ns / 1000;
  route_hist *h = &m->latency[route];
  int b = 0;
  while (b < BUCKET_COUNT && us > bucket_us[b])
    b++;
  inc(&h->buckets[b], 1);
  inc(&h->sum_us, (uint64_t)us);
  inc(&h->count, 1);
}

void noc_metrics_calculation(noc_metrics *m, int route, int64_t cpu_ns) {
  if (route < 0 || route >= m->routes) return;
  inc(&m->calculations[route], 1);
  inc(&m->calc_cpu_ns[route], cpu_ns > 0 ? (uint64_t)cpu_ns : 0);
}

void noc_metrics_error(noc_metrics *m, const char *code) {
  int i = 0;
  while (i < ERROR_COUNT - 1 && strcmp(error_codes[i], code) != 0)
    i++;
  inc(&m->errors[i], 1);
}

void noc_metrics_rate_limited(noc_metrics *m) {
  inc(&m->rate_limited, 1);
}
void noc_metrics_connection_cut(noc_metrics *m) {
  inc(&m->connections_cut, 1);
}

void noc_metrics_inflight_add(noc_metrics *m, int delta) {
  atomic_fetch_add_explicit(&m->inflight, delta, memory_order_relaxed);
}

void noc_metrics_connections_add(noc_metrics *m, int delta) {
  atomic_fetch_add_explicit(&m->connections, delta, memory_order_relaxed);
}

int64_t noc_metrics_inflight(const noc_metrics *m) {
  return atomic_load_explicit((_Atomic int64_t *)&m->inflight, memory_order_relaxed);
}

static void header(noc_buf *out, const char *name, const char *type, const char *help) {
  noc_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(const noc_metrics *m, noc_buf *out) {
  header(out, "nocturna_http_requests_total", "counter",
         "HTTP requests by route, method and status (status 0: no response was sent).");
  for (int r = 0; r < m->routes; r++)
    for (int mi = 0; mi < METHOD_COUNT; mi++)
      for (int s = 0; s < STATUS_COUNT; s++) {
        uint64_t v = get(&m->requests[((size_t)r * METHOD_COUNT + mi) * STATUS_COUNT + s]);
        if (v == 0) continue;
        noc_buf_puts(out, "nocturna_http_requests_total{route=\"");
        noc_route_write_label(r, out);
        if (statuses[s] >= 0)
          noc_buf_printf(out, "\",method=\"%s\",status=\"%d\"} %llu\n", methods[mi], statuses[s],
                         (unsigned long long)v);
        else
          noc_buf_printf(out, "\",method=\"%s\",status=\"other\"} %llu\n", methods[mi],
                         (unsigned long long)v);
      }
}

static void render_latency(const noc_metrics *m, noc_buf *out) {
  header(out, "nocturna_http_request_duration_seconds", "histogram",
         "Time from the request line to the last response byte, by route.");
  for (int r = 0; r < m->routes; r++) {
    const route_hist *h = &m->latency[r];
    uint64_t count = get(&h->count);
    if (count == 0) continue;
    uint64_t cum = 0;
    for (int b = 0; b <= BUCKET_COUNT; b++) {
      cum += get(&h->buckets[b]);
      noc_buf_puts(out, "nocturna_http_request_duration_seconds_bucket{route=\"");
      noc_route_write_label(r, out);
      if (b < BUCKET_COUNT)
        noc_buf_printf(out, "\",le=\"%g\"} %llu\n", (double)bucket_us[b] / 1e6,
                       (unsigned long long)cum);
      else
        noc_buf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    noc_buf_puts(out, "nocturna_http_request_duration_seconds_sum{route=\"");
    noc_route_write_label(r, out);
    noc_buf_printf(out, "\"} %.6f\n", (double)get(&h->sum_us) / 1e6);
    noc_buf_puts(out, "nocturna_http_request_duration_seconds_count{route=\"");
    noc_route_write_label(r, out);
    noc_buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
  }
}

static void render_calculations(const noc_metrics *m, noc_buf *out) {
  header(out, "nocturna_calculations_total", "counter",
         "Endpoint runs (successful or not) by endpoint.");
  for (int r = NOC_ROUTE_ENDPOINTS; r < m->routes; r++) {
    noc_buf_puts(out, "nocturna_calculations_total{endpoint=\"");
    noc_route_write_label(r, out);
    noc_buf_printf(out, "\"} %llu\n", (unsigned long long)get(&m->calculations[r]));
  }
  header(out, "nocturna_calculation_cpu_seconds_total", "counter",
         "Worker CPU time spent in endpoint runs (JSON in, calculation, JSON out).");
  for (int r = NOC_ROUTE_ENDPOINTS; r < m->routes; r++) {
    noc_buf_puts(out, "nocturna_calculation_cpu_seconds_total{endpoint=\"");
    noc_route_write_label(r, out);
    noc_buf_printf(out, "\"} %.6f\n", (double)get(&m->calc_cpu_ns[r]) / 1e9);
  }
}

static void render_errors(const noc_metrics *m, noc_buf *out) {
  header(out, "nocturna_errors_total", "counter", "Error responses by error code.");
  for (int i = 0; i < ERROR_COUNT; i++)
    noc_buf_printf(out, "nocturna_errors_total{code=\"%s\"} %llu\n", error_codes[i],
                   (unsigned long long)get(&m->errors[i]));
}

/* Resident set size from /proc/self/statm (second field, in pages), 0 if unreadable. */
static uint64_t rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL) return 0;
  char line[128];
  char *ok = fgets(line, sizeof line, f);
  fclose(f);
  if (ok == NULL) return 0;
  char *end = NULL;
  errno = 0;
  (void)strtoull(line, &end, 10); /* total size */
  unsigned long long resident = strtoull(end, &end, 10);
  long page = sysconf(_SC_PAGESIZE);
  return errno == 0 && page > 0 ? resident * (uint64_t)page : 0;
}

static void render_process(const noc_metrics *m, noc_buf *out) {
  struct timespec cpu;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  header(out, "nocturna_process_start_time_seconds", "gauge",
         "Start time of the process since the Unix epoch in seconds.");
  noc_buf_printf(out, "nocturna_process_start_time_seconds %.3f\n",
                 (double)m->start_unix_ms / 1000.0);
  header(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
  noc_buf_printf(out, "process_cpu_seconds_total %.6f\n",
                 (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9);
  header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  noc_buf_printf(out, "process_resident_memory_bytes %llu\n", (unsigned long long)rss_bytes());
}

void noc_metrics_render(const noc_metrics *m, const char *build_info, noc_buf *out) {
  header(out, "nocturna_build_info", "gauge", "Versions of the running server.");
  noc_buf_printf(out, "nocturna_build_info{%s} 1\n", build_info);
  render_requests(m, out);
  render_latency(m, out);
  header(out, "nocturna_http_requests_in_flight", "gauge",
         "Requests received (request line seen) and not yet answered.");
  noc_buf_printf(out, "nocturna_http_requests_in_flight %lld\n",
                 (long long)noc_metrics_inflight(m));
  header(out, "nocturna_http_connections_open", "gauge", "Open client connections.");
  noc_buf_printf(out, "nocturna_http_connections_open %lld\n",
                 (long long)atomic_load((_Atomic int64_t *)&m->connections));
  header(out, "nocturna_http_connections_cut_total", "counter",
         "Connections closed because the request was not received in time (slow clients).");
  noc_buf_printf(out, "nocturna_http_connections_cut_total %llu\n",
                 (unsigned long long)get(&m->connections_cut));
  render_calculations(m, out);
  header(out, "nocturna_rate_limited_total", "counter", "Requests refused with 429.");
  noc_buf_printf(out, "nocturna_rate_limited_total %llu\n",
                 (unsigned long long)get(&m->rate_limited));
  render_errors(m, out);
  render_process(m, out);
}
