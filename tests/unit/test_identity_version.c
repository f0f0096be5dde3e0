/* noc_store_identity_version and the token policy cache built on it.
 *
 * SQLite (always, in a temporary directory): the version changes after a write through the same
 * store, through a second store on the same file (as another process would), through a plain
 * SQLite connection, and through a real child process - both with the WAL-index header and with
 * the PRAGMA data_version fallback - and never on reads. The policy sees a revocation,
 * deactivation, deletion or logout made through another store on the very next check, and
 * answers from its cache (without a pool connection) while nothing changed.
 * PostgreSQL (when NOCTURNA_TEST_DATABASE_URL is set; a fresh database per run): the listener
 * becomes reliable after open, another store's write is seen within 2 s, the store's own write
 * at once, reads change nothing, and a killed listener connection is noticed and replaced.
 * The cache itself: exact-version hits, bounded size, touch bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/identity.h"
#include "pg_scratch.h"
#include "http/identity_cache.h"
#include "store/store.h"
#include "store/store_internal.h"

#define OK(expr) assert_int_equal((expr), NOC_STORE_OK)

static const int64_t NOW = 1800000000; /* 2027-01-15 */

typedef struct fx {
  char tmpdir[256];
  noc_store_config cfg;
  noc_store *a, *b; /* two stores on the same database: b plays another process */
  char pg_admin_url[NOC_STORE_URL_MAX];
  char pg_db[64];
} fx;

/* ---------------------------------------------------------------- helpers ---- */

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static noc_store *open_store(const noc_store_config *cfg) {
  noc_store *s = NULL;
  noc_error err;
  noc_error_clear(&err);
  assert_int_equal(noc_store_open(&s, cfg, &err), NOC_OK);
  return s;
}

/* The version, which must be reliable. */
static uint64_t ver(noc_store *s) {
  uint64_t v = 0;
  bool reliable = false;
  noc_error err;
  OK(noc_store_identity_version(s, &v, &reliable, &err));
  assert_true(reliable);
  return v;
}

static noc_user make_user(const char *id, const char *name) {
  noc_user u;
  memset(&u, 0, sizeof u);
  snprintf(u.id, sizeof u.id, "%s", id);
  snprintf(u.email, sizeof u.email, "%s@example.com", name);
  snprintf(u.username, sizeof u.username, "%s", name);
  snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
  u.is_active = true;
  u.created_at = u.updated_at = NOW;
  return u;
}

static noc_svc_token make_token(const char *id, const char *subject) {
  noc_svc_token t;
  memset(&t, 0, sizeof t);
  snprintf(t.id, sizeof t.id, "%s", id);
  snprintf(t.subject, sizeof t.subject, "%s", subject);
  snprintf(t.scope, sizeof t.scope, "calculations");
  t.created_at = NOW;
  t.expires_at = NOW + 86400;
  t.last_used_at = NOW; /* recent: the policy's touch stays out of the way unless asked for */
  return t;
}

/* Every kind of read the policy and the routes do; none may change the version. */
static void read_everything(noc_store *s) {
  noc_error err;
  noc_user u, list[4];
  noc_svc_token t, toks[4];
  noc_user_state us;
  noc_session sess;
  noc_refresh r;
  int64_t n = 0;
  int got = 0;
  char value[64];
  (void)noc_store_user_get(s, "u-1", &u, &err);
  (void)noc_store_user_find(s, "alice", &u, &err);
  OK(noc_store_user_count(s, &n, &err));
  OK(noc_store_user_list(s, false, list, 4, &got, &err));
  (void)noc_store_svc_get(s, "t-1", &t, &err);
  (void)noc_store_svc_auth(s, "t-1", &t, &us, &err);
  OK(noc_store_svc_list(s, toks, 4, &got, &err));
  (void)noc_store_session_auth(s, "sess-1", &sess, &us, &err);
  (void)noc_store_refresh_find(s, "00", &r, &err);
  (void)noc_store_setting_get(s, "allow_registration", value, sizeof value, &err);
  OK(noc_store_ping(s, &err));
}

/* ---------------------------------------------------------------- SQLite ---- */

static int sqlite_setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (f == NULL) return -1;
  snprintf(f->tmpdir, sizeof f->tmpdir, "/tmp/noc-idver-test-XXXXXX");
  if (mkdtemp(f->tmpdir) == NULL) {
    free(f);
    return -1;
  }
  snprintf(f->cfg.data_dir, sizeof f->cfg.data_dir, "%s/data", f->tmpdir);
  f->cfg.pool_size = 3;
  f->a = open_store(&f->cfg);
  f->b = open_store(&f->cfg);
  *state = f; /* the teardown frees it, also after a failed setup */
  noc_error err;
  noc_user u = make_user("u-1", "alice");
  noc_svc_token t = make_token("t-1", "u-1");
  bool ok = noc_store_migrate(f->a, NULL, NULL, &err) == NOC_STORE_OK &&
            noc_store_user_insert(f->b, &u, &err) == NOC_STORE_OK &&
            noc_store_svc_insert(f->b, &t, &err) == NOC_STORE_OK;
  return ok ? 0 : -1;
}

static int teardown(void **state) {
  fx *f = *state;
  noc_store_close(f->a);
  noc_store_close(f->b);
  if (f->pg_admin_url[0]) {
    pg_scratch_drop(f->pg_admin_url, f->pg_db);
  } else {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->tmpdir);
  }
  free(f);
  return 0;
}

static void test_own_write(void **state) {
  fx *f = *state;
  noc_error err;
  uint64_t v0 = ver(f->a);
  assert_int_equal(ver(f->a), v0);
  noc_user u = make_user("u-own", "own");
  OK(noc_store_user_insert(f->a, &u, &err));
  uint64_t v1 = ver(f->a);
  assert_true(v1 != v0);
  OK(noc_store_svc_revoke(f->a, "t-1", NOW, &err));
  assert_true(ver(f->a) != v1);
}

/* b's write, seen by a: by the header, and by PRAGMA data_version when forced. */
static void second_store_write(fx *f, bool pragma) {
  noc_error err;
  noc_store_sqlite_watch_force_pragma(f->a, pragma);
  uint64_t v0 = ver(f->a);
  OK(noc_store_user_set_flags(f->b, "u-1", 0, -1, NOW, &err));
  uint64_t v1 = ver(f->a);
  assert_true(v1 != v0);
  assert_int_equal(ver(f->a), v1);
  OK(noc_store_user_set_flags(f->b, "u-1", 1, -1, NOW, &err));
  assert_true(ver(f->a) != v1);
  noc_store_sqlite_watch_force_pragma(f->a, false);
}

static void test_second_store_write(void **state) {
  second_store_write(*state, false);
}

static void test_second_store_write_pragma(void **state) {
  second_store_write(*state, true);
}

/* A connection that is not a noc_store at all (a script, the sqlite3 shell). */
static void test_plain_sqlite_write(void **state) {
  fx *f = *state;
  char path[400];
  snprintf(path, sizeof path, "%s/nocturna.db", f->cfg.data_dir);
  uint64_t v0 = ver(f->a);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  assert_int_equal(
      sqlite3_exec(db, "UPDATE service_tokens SET revoked_at = 1 WHERE id = 't-1'", 0, 0, 0),
      SQLITE_OK);
  assert_true(ver(f->a) != v0);
  uint64_t v1 = ver(f->a);
  assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM users", 0, 0, 0), SQLITE_OK);
  assert_int_equal(ver(f->a), v1);
  sqlite3_close(db);
}

/* The child's part of test_other_process_write: a fresh process image (SQLite state must not
 * cross a fork) that opens its own store on data_dir and writes t-1's last_used_at. */
static int child_write(const char *data_dir, const char *when) {
  noc_store_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data_dir);
  noc_store *s = NULL;
  noc_error err;
  int code = noc_store_open(&s, &cfg, &err) == NOC_OK &&
                     noc_store_svc_touch(s, "t-1", strtoll(when, NULL, 10), 0, &err) == NOC_STORE_OK
                 ? 0
                 : 1;
  noc_store_close(s);
  return code;
}

/* `nocturna token revoke` is another process: a child opens its own store, writes, closes. */
static void test_other_process_write(void **state) {
  fx *f = *state;
  for (int pragma = 0; pragma < 2; pragma++) {
    noc_store_sqlite_watch_force_pragma(f->a, pragma == 1);
    uint64_t v0 = ver(f->a);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      char when[32];
      snprintf(when, sizeof when, "%lld", (long long)NOW + 1000 + pragma);
      char *const argv[] = {"test_identity_version", "--write-in-child", f->cfg.data_dir, when,
                            NULL};
      execv("/proc/self/exe", argv);
      _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (ver(f->a) == v0) fail_msg("not seen by the %s", pragma ? "pragma" : "header");
    /* and this process reads what the child wrote: its closing did not take the WAL away */
    noc_svc_token t;
    noc_error err;
    OK(noc_store_svc_get(f->a, "t-1", &t, &err));
    assert_int_equal(t.last_used_at, NOW + 1000 + pragma);
  }
  noc_store_sqlite_watch_force_pragma(f->a, false);
}

static void test_reads_do_not_change(void **state) {
  fx *f = *state;
  for (int pragma = 0; pragma < 2; pragma++) {
    noc_store_sqlite_watch_force_pragma(f->a, pragma == 1);
    uint64_t v0 = ver(f->a);
    read_everything(f->a);
    read_everything(f->b);
    assert_int_equal(ver(f->a), v0);
  }
  noc_store_sqlite_watch_force_pragma(f->a, false);
}

typedef struct reader {
  noc_store *s;
  const atomic_bool *done;
  int errors, backwards, reads;
  uint64_t last;
} reader;

static void *read_versions(void *p) {
  reader *r = p;
  for (; r->reads < 500 || !atomic_load(r->done); r->reads++) {
    uint64_t v = 0;
    bool reliable = false;
    noc_error err;
    if (noc_store_identity_version(r->s, &v, &reliable, &err) != NOC_STORE_OK || !reliable)
      r->errors++;
    if (v < r->last) r->backwards++;
    r->last = v;
  }
  return NULL;
}

/* Threads read the version while writes go on; each thread's versions never go backwards. */
static void test_concurrent_readers(void **state) {
  fx *f = *state;
  noc_error err;
  uint64_t v0 = ver(f->a);
  reader r[4];
  pthread_t th[4];
  atomic_bool done;
  atomic_init(&done, false);
  for (int i = 0; i < 4; i++) {
    r[i] = (reader){.s = f->a, .done = &done};
    assert_int_equal(pthread_create(&th[i], NULL, read_versions, &r[i]), 0);
  }
  /* Past every time an earlier test wrote (the child-process test leaves NOW + 1000), so that
   * each of the 20 touches changes the row. */
  for (int i = 0; i < 20; i++)
    OK(noc_store_svc_touch(i % 2 ? f->a : f->b, "t-1", NOW + 100000 + 100 * (i + 1), 60, &err));
  atomic_store(&done, true);
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(r[i].errors, 0);
    assert_int_equal(r[i].backwards, 0);
  }
  /* a's own 10 writes count one each; b's 10 at least once (several between two looks at the
   * header are one change) */
  assert_true(ver(f->a) >= v0 + 11);
}

/* ---------------------------------------------------------------- policy ---- */

typedef struct pfx {
  fx base;
  noc_identity *id;
  noc_jwt_keyring ring;
} pfx;

static int policy_setup(void **state) {
  pfx *p = calloc(1, sizeof *p);
  if (p == NULL) return -1;
  snprintf(p->base.tmpdir, sizeof p->base.tmpdir, "/tmp/noc-idpol-test-XXXXXX");
  if (mkdtemp(p->base.tmpdir) == NULL) {
    free(p);
    return -1;
  }
  noc_http_config http;
  noc_http_config_defaults(&http);
  snprintf(http.data_dir, sizeof http.data_dir, "%s/data", p->base.tmpdir);
  p->ring.count = 1;
  memset(p->ring.keys[0].secret, 7, 32);
  p->ring.keys[0].secret_len = 32;
  noc_identity_config cfg;
  noc_identity_config_defaults(&cfg);
  cfg.bootstrap = false;
  cfg.db_pool = 2;
  noc_error err;
  if (noc_identity_open(&p->id, &cfg, &http, &p->ring, &err) != NOC_OK) {
    free(p);
    return -1;
  }
  snprintf(p->base.cfg.data_dir, sizeof p->base.cfg.data_dir, "%s", http.data_dir);
  p->base.b = open_store(&p->base.cfg);
  *state = p;
  return 0;
}

static int policy_teardown(void **state) {
  pfx *p = *state;
  noc_identity_close(p->id);
  noc_store_close(p->base.b);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->base.tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", p->base.tmpdir);
  free(p);
  return 0;
}

static noc_jwt_claims service_claims(const char *token_id, const char *sub) {
  noc_jwt_claims c;
  memset(&c, 0, sizeof c);
  snprintf(c.sub, sizeof c.sub, "%s", sub);
  snprintf(c.type, sizeof c.type, "service");
  snprintf(c.scope, sizeof c.scope, "calculations");
  snprintf(c.token_id, sizeof c.token_id, "%s", token_id);
  c.exp = NOW + 86400;
  c.has_exp = true;
  return c;
}

static noc_auth_status check(pfx *p, const noc_jwt_claims *c) {
  const char *msg = NULL;
  return noc_identity_policy(p->id, c, "calculations", &msg);
}

/* Every change made through the other store is refused on the very next check. */
static void test_policy_sees_other_store_at_once(void **state) {
  pfx *p = *state;
  noc_store *other = p->base.b;
  noc_error err;
  noc_user u = make_user("u-p", "paula");
  noc_svc_token t1 = make_token("tok-1", "u-p"), t2 = make_token("tok-2", "u-p");
  OK(noc_store_user_insert(other, &u, &err));
  OK(noc_store_svc_insert(other, &t1, &err));
  OK(noc_store_svc_insert(other, &t2, &err));
  noc_jwt_claims c1 = service_claims("tok-1", "u-p"), c2 = service_claims("tok-2", "u-p");
  noc_jwt_claims unknown = service_claims("tok-404", "u-p");
  for (int i = 0; i < 50; i++) {
    assert_int_equal(check(p, &c1), NOC_AUTH_OK);
    assert_int_equal(check(p, &unknown), NOC_AUTH_REVOKED); /* cached "not found" too */
  }
  OK(noc_store_svc_revoke(other, "tok-1", NOW, &err));
  assert_int_equal(check(p, &c1), NOC_AUTH_REVOKED);
  assert_int_equal(check(p, &c2), NOC_AUTH_OK);
  /* a token that did not exist a moment ago (cached as unknown) is accepted once stored */
  noc_svc_token t3 = make_token("tok-404", "u-p");
  OK(noc_store_svc_insert(other, &t3, &err));
  assert_int_equal(check(p, &unknown), NOC_AUTH_OK);

  OK(noc_store_user_set_flags(other, "u-p", 0, -1, NOW, &err));
  assert_int_equal(check(p, &c2), NOC_AUTH_INVALID);
  OK(noc_store_user_set_flags(other, "u-p", 1, -1, NOW, &err));
  assert_int_equal(check(p, &c2), NOC_AUTH_OK);

  /* an access token: its session ends by logout elsewhere */
  noc_session sess = {.id = "sess-p", .user_id = "u-p", .created_at = NOW, .expires_at = NOW + 60};
  noc_refresh r = {.id = "r-p",
                   .session_id = "sess-p",
                   .token_hash = "ab",
                   .created_at = NOW,
                   .expires_at = NOW + 60};
  OK(noc_store_session_create(other, &sess, &r, &err));
  noc_jwt_claims ac = service_claims("sess-p", "u-p");
  snprintf(ac.type, sizeof ac.type, "access");
  for (int i = 0; i < 20; i++)
    assert_int_equal(check(p, &ac), NOC_AUTH_OK);
  OK(noc_store_session_revoke(other, "sess-p", NOW, "logout", &err));
  assert_int_equal(check(p, &ac), NOC_AUTH_REVOKED);

  OK(noc_store_user_delete(other, "u-p", &err));
  assert_int_equal(check(p, &c2), NOC_AUTH_INVALID);
}

/* While nothing changes the checks need no storage connection: with every pool connection
 * taken, a cached token still passes at once. After a change they read storage again. */
static void test_policy_answers_from_cache(void **state) {
  pfx *p = *state;
  noc_store *s = noc_identity_store(p->id);
  noc_error err;
  noc_user u = make_user("u-c", "carl");
  noc_svc_token t = make_token("tok-c", "u-c");
  OK(noc_store_user_insert(p->base.b, &u, &err));
  OK(noc_store_svc_insert(p->base.b, &t, &err));
  noc_jwt_claims c = service_claims("tok-c", "u-c");
  assert_int_equal(check(p, &c), NOC_AUTH_OK);
  noc_store_conn held[2];
  OK(noc_store_acquire(s, &held[0], &err));
  OK(noc_store_acquire(s, &held[1], &err));
  double t0 = mono_s();
  for (int i = 0; i < 1000; i++)
    assert_int_equal(check(p, &c), NOC_AUTH_OK);
  assert_true(mono_s() - t0 < 2.0);
  noc_store_release(&held[0]);
  noc_store_release(&held[1]);
  /* mismatching claims are still refused from the cached row */
  noc_jwt_claims wrong = c;
  snprintf(wrong.scope, sizeof wrong.scope, "admin");
  assert_int_equal(check(p, &wrong), NOC_AUTH_INVALID);
}

/* The once-a-minute touch still writes last_used_at, and only once a minute. */
static void test_policy_touch(void **state) {
  pfx *p = *state;
  noc_error err;
  noc_user u = make_user("u-t", "tina");
  noc_svc_token t = make_token("tok-t", "u-t");
  t.last_used_at = 0;
  OK(noc_store_user_insert(p->base.b, &u, &err));
  OK(noc_store_svc_insert(p->base.b, &t, &err));
  noc_jwt_claims c = service_claims("tok-t", "u-t");
  assert_int_equal(check(p, &c), NOC_AUTH_OK);
  noc_svc_token got;
  OK(noc_store_svc_get(p->base.b, "tok-t", &got, &err));
  int64_t first = got.last_used_at;
  assert_true(first > 0);
  uint64_t v = ver(noc_identity_store(p->id));
  for (int i = 0; i < 100; i++)
    assert_int_equal(check(p, &c), NOC_AUTH_OK);
  assert_int_equal(ver(noc_identity_store(p->id)), v); /* no further write within the minute */
  OK(noc_store_svc_get(p->base.b, "tok-t", &got, &err));
  assert_int_equal(got.last_used_at, first);
}

/* ---------------------------------------------------------------- PostgreSQL ---- */

static int pg_setup(void **state) {
  const char *url = getenv("NOCTURNA_TEST_DATABASE_URL");
  if (url == NULL) return -1;
  fx *f = calloc(1, sizeof *f);
  if (f == NULL) return -1;
  snprintf(f->pg_admin_url, sizeof f->pg_admin_url, "%s", url);
  if (!pg_scratch_create(url, "noc_idver", f->pg_db, sizeof f->pg_db, f->cfg.url,
                         sizeof f->cfg.url)) {
    free(f);
    return -1;
  }
  f->cfg.pool_size = 3;
  f->a = open_store(&f->cfg);
  f->b = open_store(&f->cfg);
  noc_error err;
  *state = f;
  return noc_store_migrate(f->a, NULL, NULL, &err) == NOC_STORE_OK ? 0 : -1;
}

/* Polls a's version every 10 ms for up to `seconds` until it is reliable (and != not_v when
 * not_v is given); returns the seconds it took, or -1. */
static double wait_version(noc_store *s, const uint64_t *not_v, double seconds, uint64_t *out) {
  double t0 = mono_s();
  while (mono_s() - t0 < seconds) {
    uint64_t v = 0;
    bool reliable = false;
    noc_error err;
    if (noc_store_identity_version(s, &v, &reliable, &err) == NOC_STORE_OK && reliable &&
        (not_v == NULL || v != *not_v)) {
      if (out) *out = v;
      return mono_s() - t0;
    }
    sleep_ms(10);
  }
  return -1;
}

/* The version once nothing has arrived for 300 ms (earlier notifications delivered). */
static uint64_t settled(noc_store *s) {
  uint64_t v = 0;
  assert_true(wait_version(s, NULL, 5, &v) >= 0);
  for (int quiet = 0; quiet < 30;) {
    sleep_ms(10);
    uint64_t now = ver(s);
    quiet = now == v ? quiet + 1 : 0;
    v = now;
  }
  return v;
}

static void test_pg_reliable_after_open(void **state) {
  fx *f = *state;
  double took = wait_version(f->a, NULL, 5, NULL);
  printf("identity-version-pg: listener reliable %.0f ms after the first call\n", took * 1000);
  assert_true(took >= 0);
}

static void test_pg_other_store_write(void **state) {
  fx *f = *state;
  noc_error err;
  uint64_t v0 = settled(f->a);
  noc_user u = make_user("u-pg", "pgsql");
  OK(noc_store_user_insert(f->b, &u, &err));
  uint64_t v1 = 0;
  double took = wait_version(f->a, &v0, 2, &v1);
  printf("identity-version-pg: another store's insert seen after %.1f ms\n", took * 1000);
  assert_true(took >= 0);
  v1 = settled(f->a);
  OK(noc_store_user_set_flags(f->b, "u-pg", 0, -1, NOW, &err));
  took = wait_version(f->a, &v1, 2, NULL);
  printf("identity-version-pg: another store's deactivation seen after %.1f ms\n", took * 1000);
  assert_true(took >= 0);
}

static void test_pg_own_write_at_once(void **state) {
  fx *f = *state;
  noc_error err;
  uint64_t v0 = settled(f->a);
  noc_svc_token t = make_token("t-pg", "u-pg");
  OK(noc_store_svc_insert(f->a, &t, &err));
  assert_true(ver(f->a) != v0);
}

static void test_pg_reads_do_not_change(void **state) {
  fx *f = *state;
  uint64_t v0 = settled(f->a);
  read_everything(f->a);
  read_everything(f->b);
  sleep_ms(300); /* a notification, had a read sent one, would be here by now */
  assert_int_equal(ver(f->a), v0);
}

/* The listener's connection is killed: counted as a change, and a new one listens again. */
static void test_pg_listener_replaced(void **state) {
  fx *f = *state;
  uint64_t v0 = settled(f->a);
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
           "WHERE application_name = 'nocturna-listener' AND datname = '%s'",
           f->pg_db);
  assert_true(pg_scratch_exec(f->pg_admin_url, sql));
  double took = wait_version(f->a, &v0, 5, NULL);
  printf("identity-version-pg: listener replaced after %.0f ms\n", took * 1000);
  assert_true(took >= 0);
  noc_error err;
  noc_user u = make_user("u-pg2", "pgsql2");
  uint64_t v1 = settled(f->a);
  OK(noc_store_user_insert(f->b, &u, &err));
  assert_true(wait_version(f->a, &v1, 2, NULL) >= 0); /* the new listener hears writes */
}

/* ---------------------------------------------------------------- the cache ---- */

static noc_idc_entry entry(int kind, const char *id, uint64_t version) {
  noc_idc_entry e;
  memset(&e, 0, sizeof e);
  e.kind = kind;
  snprintf(e.token_id, sizeof e.token_id, "%s", id);
  e.version = version;
  e.rc = NOC_STORE_OK;
  snprintf(e.subject, sizeof e.subject, "user-of-%s", id);
  return e;
}

static void test_cache_exact_version(void **state) {
  (void)state;
  noc_id_cache *c = noc_id_cache_new();
  assert_non_null(c);
  noc_idc_entry e = entry(NOC_IDC_SERVICE, "t-1", 7), got;
  noc_id_cache_put(c, &e);
  assert_true(noc_id_cache_get(c, NOC_IDC_SERVICE, "t-1", 7, &got));
  assert_string_equal(got.subject, "user-of-t-1");
  assert_false(noc_id_cache_get(c, NOC_IDC_SERVICE, "t-1", 8, &got));
  assert_false(noc_id_cache_get(c, NOC_IDC_ACCESS, "t-1", 7, &got)); /* kinds are apart */
  noc_idc_entry older = entry(NOC_IDC_SERVICE, "t-1", 6);
  noc_id_cache_put(c, &older); /* a slower reader's rows do not replace newer ones */
  assert_true(noc_id_cache_get(c, NOC_IDC_SERVICE, "t-1", 7, &got));
  noc_idc_entry newer = entry(NOC_IDC_SERVICE, "t-1", 9);
  noc_id_cache_put(c, &newer);
  assert_true(noc_id_cache_get(c, NOC_IDC_SERVICE, "t-1", 9, &got));
  noc_id_cache_touched(c, NOC_IDC_SERVICE, "t-1", NOW);
  assert_true(noc_id_cache_get(c, NOC_IDC_SERVICE, "t-1", 9, &got));
  assert_int_equal(got.last_used_at, NOW);
  char longid[100];
  memset(longid, 'x', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  assert_false(noc_id_cache_get(c, NOC_IDC_SERVICE, longid, 9, &got));
  noc_id_cache_free(c);
}

static void test_cache_bounded(void **state) {
  (void)state;
  noc_id_cache *c = noc_id_cache_new();
  assert_non_null(c);
  enum { N = 3 * NOC_IDC_SIZE };
  char id[32];
  for (int i = 0; i < N; i++) {
    snprintf(id, sizeof id, "tok-%d", i);
    noc_idc_entry e = entry(NOC_IDC_SERVICE, id, 1);
    noc_id_cache_put(c, &e);
  }
  int hits = 0, recent = 0;
  noc_idc_entry got;
  for (int i = 0; i < N; i++) {
    snprintf(id, sizeof id, "tok-%d", i);
    if (noc_id_cache_get(c, NOC_IDC_SERVICE, id, 1, &got)) {
      hits++;
      if (i >= N - 64) recent++;
    }
  }
  assert_true(hits <= NOC_IDC_SIZE);
  assert_true(hits > NOC_IDC_SIZE / 2);
  assert_int_equal(recent, 64); /* the newest entries are the ones kept */
  noc_id_cache_free(c);
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--write-in-child") == 0) return child_write(argv[2], argv[3]);
  const struct CMUnitTest cache_tests[] = {cmocka_unit_test(test_cache_exact_version),
                                           cmocka_unit_test(test_cache_bounded)};
  const struct CMUnitTest sqlite_tests[] = {cmocka_unit_test(test_own_write),
                                            cmocka_unit_test(test_second_store_write),
                                            cmocka_unit_test(test_second_store_write_pragma),
                                            cmocka_unit_test(test_plain_sqlite_write),
                                            cmocka_unit_test(test_other_process_write),
                                            cmocka_unit_test(test_reads_do_not_change),
                                            cmocka_unit_test(test_concurrent_readers)};
  const struct CMUnitTest policy_tests[] = {cmocka_unit_test(test_policy_sees_other_store_at_once),
                                            cmocka_unit_test(test_policy_answers_from_cache),
                                            cmocka_unit_test(test_policy_touch)};
  const struct CMUnitTest pg_tests[] = {
      cmocka_unit_test(test_pg_reliable_after_open), cmocka_unit_test(test_pg_other_store_write),
      cmocka_unit_test(test_pg_own_write_at_once), cmocka_unit_test(test_pg_reads_do_not_change),
      cmocka_unit_test(test_pg_listener_replaced)};
  int failed = cmocka_run_group_tests_name("idcache", cache_tests, NULL, NULL);
  failed +=
      cmocka_run_group_tests_name("identity-version-sqlite", sqlite_tests, sqlite_setup, teardown);
  failed += cmocka_run_group_tests_name("identity-policy-sqlite", policy_tests, policy_setup,
                                        policy_teardown);
  const char *pg = getenv("NOCTURNA_TEST_DATABASE_URL");
  if (pg != NULL && pg[0] != '\0') {
    printf("identity-version-pg: running against NOCTURNA_TEST_DATABASE_URL\n");
    fflush(stdout);
    failed += cmocka_run_group_tests_name("identity-version-pg", pg_tests, pg_setup, teardown);
  } else {
    printf("identity-version-pg: skipped (NOCTURNA_TEST_DATABASE_URL is not set)\n");
  }
  return failed;
}
