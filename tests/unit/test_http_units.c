/* Unit tests for the HTTP server's pure parts: routing and Allow, configuration parsing and
 * validation, scope grants, the per-thread verified-token cache (a cached token must still
 * expire on time and must not outlive its noc_auth), and the metrics exposition. The server
 * itself is tested end to end by tests/integration/test_http_*.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/auth.h"
#include "http/config.h"
#include "http/metrics.h"
#include "http/route.h"

#define NOW INT64_C(1700000000)

static void test_route_service(void **state) {
  (void)state;
  noc_route r;
  noc_route_resolve("/health", "GET", &r);
  assert_int_equal(r.id, NOC_ROUTE_HEALTH);
  assert_true(r.method_ok);
  noc_route_resolve("/api/v1/health/", "HEAD", &r);
  assert_int_equal(r.id, NOC_ROUTE_HEALTH);
  assert_true(r.method_ok);
  noc_route_resolve("/metrics", "POST", &r);
  assert_int_equal(r.id, NOC_ROUTE_METRICS);
  assert_false(r.method_ok);
  assert_string_equal(r.allow, "GET, HEAD, OPTIONS");
  noc_route_resolve("/nope", "GET", &r);
  assert_int_equal(r.id, NOC_ROUTE_UNMATCHED);
  assert_string_equal(r.allow, "");
  noc_route_resolve("", "GET", &r);
  assert_int_equal(r.id, NOC_ROUTE_UNMATCHED);
}

static void test_route_endpoints(void **state) {
  (void)state;
  noc_route a, b;
  noc_route_resolve("/api/v1/calculations/planetary-positions", "POST", &a);
  noc_route_resolve("/api/calculations/planetary-positions", "POST", &b);
  assert_true(a.id >= NOC_ROUTE_ENDPOINTS);
  assert_int_equal(a.id, b.id); /* both prefixes share one route */
  assert_non_null(a.ep);
  assert_string_equal(a.ep->path, "calculations/planetary-positions");
  assert_true(a.method_ok);
  assert_string_equal(a.allow, "POST, OPTIONS");
  noc_route_resolve("/api/v1/calculations/planetary-positions", "GET", &a);
  assert_false(a.method_ok);
  noc_route_resolve("/api/v1/calculations/planetary-positions", "OPTIONS", &a);
  assert_true(a.method_ok);
  /* "/api/v1/..." must not be taken for "/api/" + "v1/...". */
  noc_route_resolve("/api/v1/v1/calculations/houses", "POST", &a);
  assert_int_equal(a.id, NOC_ROUTE_UNMATCHED);
  noc_buf label;
  noc_buf_init(&label, 256);
  noc_route_write_label(b.id, &label);
  assert_string_equal(label.data, "/api/v1/calculations/planetary-positions");
  noc_buf_free(&label);
}

static void test_config(void **state) {
  (void)state;
  noc_http_config c;
  noc_error err;
  noc_http_config_defaults(&c);
  assert_int_equal(c.port, 8000);
  assert_string_equal(c.host, "127.0.0.1");
  assert_int_equal(c.max_body, 65536);
  assert_int_equal(noc_http_config_validate(&c, &err), NOC_OK);
  assert_int_equal(noc_http_config_set(&c, "port", "0", "--port", &err), NOC_OK);
  assert_int_equal(noc_http_config_set(&c, "port", "65536", "--port", &err), NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "--port");
  assert_int_equal(noc_http_config_set(&c, "port", "-1", "--port", &err), NOC_ERR_VALIDATION);
  assert_int_equal(noc_http_config_set(&c, "port", "8x", "--port", &err), NOC_ERR_VALIDATION);
  assert_int_equal(noc_http_config_set(&c, "max_body", "128k", "M", &err), NOC_OK);
  assert_int_equal(c.max_body, 128 * 1024);
  assert_int_equal(noc_http_config_set(&c, "rate_limit", "2.5", "R", &err), NOC_OK);
  assert_true(c.rate_limit == 2.5);
  assert_int_equal(noc_http_config_set(&c, "rate_limit", "nan", "R", &err), NOC_ERR_VALIDATION);
  assert_int_equal(noc_http_config_set(&c, "metrics_public", "yes", "P", &err), NOC_OK);
  assert_true(c.metrics_public);
  assert_int_equal(noc_http_config_set(&c, "log_level", "WARN", "L", &err), NOC_OK);
  assert_int_equal(c.log_level, NOC_LOG_WARN);
  assert_int_equal(noc_http_config_set(&c, "secret_key", "short", "S", &err), NOC_ERR_VALIDATION);
  assert_int_equal(noc_http_config_set(&c, "host", "a\nb", "H", &err), NOC_ERR_VALIDATION);
  assert_int_equal(noc_http_config_set(&c, "cors_origins", "https://a.example, *", "C", &err),
                   NOC_OK);
  assert_int_equal(noc_http_config_validate(&c, &err), NOC_OK);
  assert_int_equal(noc_http_config_set(&c, "cors_origins", "https://a.example/path", "C", &err),
                   NOC_OK);
  assert_int_equal(noc_http_config_validate(&c, &err), NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "NOCTURNA_CORS_ORIGINS");
}

static void test_config_redacts_secret(void **state) {
  (void)state;
  noc_http_config c;
  noc_error err;
  noc_http_config_defaults(&c);
  const char *secret = "a-very-secret-value-of-forty-bytes-123456";
  assert_int_equal(noc_http_config_set(&c, "secret_key", secret, "S", &err), NOC_OK);
  noc_buf b;
  noc_buf_init(&b, 1 << 16);
  noc_jw w;
  noc_jw_init(&w, &b);
  noc_jw_obj(&w);
  noc_http_config_write_json(&c, &w);
  noc_jw_obj_end(&w);
  assert_true(noc_jw_ok(&w));
  assert_null(strstr(b.data, secret));
  assert_null(strstr(b.data, "a-very"));
  assert_non_null(strstr(b.data, "\"max_body\":65536"));
  noc_buf_free(&b);
}

static void test_scope(void **state) {
  (void)state;
  assert_true(noc_auth_scope_grants("calculations", "calculations"));
  assert_true(noc_auth_scope_grants("read calculations", "calculations"));
  assert_true(noc_auth_scope_grants("admin", "calculations"));
  assert_false(noc_auth_scope_grants("calculationsx", "calculations"));
  assert_false(noc_auth_scope_grants("calc", "calculations"));
  assert_false(noc_auth_scope_grants("", "calculations"));
  assert_false(noc_auth_scope_grants("administrator", "admin"));
}

static noc_auth *open_auth(const char *secret) {
  noc_http_config c;
  noc_error err;
  noc_http_config_defaults(&c);
  snprintf(c.data_dir, sizeof c.data_dir, "/tmp/noc-unit-http-%d", (int)getpid());
  assert_int_equal(noc_http_config_set(&c, "secret_key", secret, "S", &err), NOC_OK);
  assert_int_equal(noc_http_config_set(&c, "jwt_leeway_s", "0", "L", &err), NOC_OK);
  noc_auth *a = NULL;
  assert_int_equal(noc_auth_open(&a, &c, &err), NOC_OK);
  return a;
}

static void make_token(const noc_auth *a, int64_t exp, char *out, size_t cap) {
  noc_jwt_claims cl;
  memset(&cl, 0, sizeof cl);
  snprintf(cl.sub, sizeof cl.sub, "svc");
  snprintf(cl.scope, sizeof cl.scope, "calculations");
  snprintf(cl.token_id, sizeof cl.token_id, "t1");
  cl.exp = exp;
  cl.has_exp = true;
  assert_true(noc_jwt_sign(&noc_auth_keyring(a)->keys[0], &cl, out, cap) > 0);
}

static void test_token_cache(void **state) {
  (void)state;
  noc_auth *a = open_auth("0123456789abcdef0123456789abcdef-key-A");
  char tok[1024], hdr[1100];
  make_token(a, NOW + 100, tok, sizeof tok);
  snprintf(hdr, sizeof hdr, "Bearer %s", tok);
  noc_auth_result r;
  noc_auth_check(a, hdr, "calculations", NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_OK);
  noc_auth_check(a, hdr, "calculations", NOW + 99, &r); /* from the cache */
  assert_int_equal(r.status, NOC_AUTH_OK);
  assert_string_equal(r.claims.token_id, "t1");
  noc_auth_check(a, hdr, "calculations", NOW + 100, &r); /* exp <= now: expired */
  assert_int_equal(r.status, NOC_AUTH_EXPIRED);
  assert_string_equal(r.message, "Token has expired");
  noc_auth_check(a, hdr, "admin", NOW, &r); /* the policy runs on cached tokens too */
  assert_int_equal(r.status, NOC_AUTH_FORBIDDEN);
  /* A tampered copy differs by bytes: never a cache hit. */
  tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
  snprintf(hdr, sizeof hdr, "Bearer %s", tok);
  noc_auth_check(a, hdr, NULL, NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_INVALID);
  /* The same token under another instance with another key is not accepted from the cache. */
  make_token(a, NOW + 100, tok, sizeof tok);
  snprintf(hdr, sizeof hdr, "Bearer %s", tok);
  noc_auth_check(a, hdr, NULL, NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_OK);
  noc_auth *b = open_auth("0123456789abcdef0123456789abcdef-key-B");
  noc_auth_check(b, hdr, NULL, NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_INVALID);
  noc_auth_check(a, NULL, "calculations", NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_MISSING);
  noc_auth_check(a, "Token abc", "calculations", NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_INVALID);
  noc_auth_close(a);
  noc_auth_close(b);
}

static noc_auth_status deny_all(void *cls, const noc_jwt_claims *claims, const char *scope,
                                const char **message) {
  (void)scope;
  (*(int *)cls)++;
  *message = "Token was revoked by the test";
  return strcmp(claims->token_id, "t1") == 0 ? NOC_AUTH_REVOKED : NOC_AUTH_OK;
}

static void test_policy_hook(void **state) {
  (void)state;
  noc_auth *a = open_auth("0123456789abcdef0123456789abcdef-key-C");
  int calls = 0;
  noc_auth_set_policy(a, deny_all, &calls);
  char tok[1024], hdr[1100];
  make_token(a, NOW + 100, tok, sizeof tok);
  snprintf(hdr, sizeof hdr, "Bearer %s", tok);
  noc_auth_result r;
  noc_auth_check(a, hdr, "calculations", NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_REVOKED);
  assert_string_equal(r.message, "Token was revoked by the test");
  noc_auth_check(a, hdr, "calculations", NOW, &r);
  assert_int_equal(r.status, NOC_AUTH_REVOKED);
  assert_int_equal(calls, 2);
  noc_auth_close(a);
}

static void test_metrics_render(void **state) {
  (void)state;
  noc_metrics *m = noc_metrics_new(NOW * 1000);
  assert_non_null(m);
  noc_route r;
  noc_route_resolve("/api/v1/calculations/houses", "POST", &r);
  noc_metrics_request(m, r.id, "POST", 200, 300000);   /* 0.3 ms */
  noc_metrics_request(m, r.id, "POST", 200, 20000000); /* 20 ms */
  noc_metrics_request(m, NOC_ROUTE_UNMATCHED, "BREW", 404, 1000);
  noc_metrics_error(m, "NOT_FOUND");
  noc_metrics_error(m, "SOMETHING_NEW");
  noc_metrics_calculation(m, r.id, 2500000);
  noc_buf b;
  noc_buf_init(&b, 1 << 20);
  noc_metrics_render(m, "version=\"x\"", &b);
  assert_false(b.overflow);
  const char *want[] = {
      "nocturna_http_requests_total{route=\"/api/v1/calculations/houses\",method=\"POST\","
      "status=\"200\"} 2\n",
      "nocturna_http_requests_total{route=\"unmatched\",method=\"OTHER\",status=\"404\"} 1\n",
      "nocturna_http_request_duration_seconds_bucket{route=\"/api/v1/calculations/houses\","
      "le=\"0.0005\"} 1\n",
      "nocturna_http_request_duration_seconds_bucket{route=\"/api/v1/calculations/houses\","
      "le=\"0.025\"} 2\n",
      "nocturna_http_request_duration_seconds_count{route=\"/api/v1/calculations/houses\"} 2\n",
      "nocturna_errors_total{code=\"NOT_FOUND\"} 1\n",
      "nocturna_errors_total{code=\"OTHER\"} 1\n",
      "nocturna_calculations_total{endpoint=\"/api/v1/calculations/houses\"} 1\n",
      "nocturna_process_start_time_seconds 1700000000.000\n",
      "nocturna_calculation_cpu_seconds_total{endpoint=\"/api/v1/calculations/houses\"} "
      "0.002500\n",
      "# TYPE nocturna_http_request_duration_seconds histogram\n",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    if (strstr(b.data, want[i]) == NULL) fail_msg("missing: %s", want[i]);
  }
  noc_buf_free(&b);
  noc_metrics_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_route_service), cmocka_unit_test(test_route_endpoints),
      cmocka_unit_test(test_config),        cmocka_unit_test(test_config_redacts_secret),
      cmocka_unit_test(test_scope),         cmocka_unit_test(test_token_cache),
      cmocka_unit_test(test_policy_hook),   cmocka_unit_test(test_metrics_render),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "/tmp/noc-unit-http-%d", (int)getpid());
  rmdir(cmd);
  return rc;
}
