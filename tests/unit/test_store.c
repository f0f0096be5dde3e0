/* Unit tests for src/store: one suite run against SQLite (always, in a temporary directory) and
 * against PostgreSQL when NOCTURNA_TEST_DATABASE_URL is set (a fresh database is created for
 * the run and dropped afterwards). Also: the PostgreSQL backend against a closed port (always),
 * pool exhaustion, URL handling, concurrent writers and a refresh-token race. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_internal.h"
#include "pg_scratch.h"

typedef struct suite {
  noc_store_config cfg;
  noc_store *s;
  char tmpdir[256];
  char pg_admin_url[NOC_STORE_URL_MAX]; /* "" for SQLite */
  char pg_db[64];
} suite;

static const int64_t NOW = 1800000000; /* 2027-01-15 */

/* ---------------------------------------------------------------- set-up ---- */

static noc_store *open_store(const noc_store_config *cfg) {
  noc_store *s = NULL;
  noc_error err;
  noc_error_clear(&err);
  assert_int_equal(noc_store_open(&s, cfg, &err), NOC_OK);
  return s;
}

static int sqlite_setup(void **state) {
  suite *st = calloc(1, sizeof *st);
  if (st == NULL) return -1;
  snprintf(st->tmpdir, sizeof st->tmpdir, "/tmp/noc-store-test-XXXXXX");
  if (mkdtemp(st->tmpdir) == NULL) {
    free(st);
    return -1;
  }
  snprintf(st->cfg.data_dir, sizeof st->cfg.data_dir, "%s/data", st->tmpdir);
  st->cfg.pool_size = 4;
  st->s = open_store(&st->cfg);
  *state = st;
  return 0;
}

static int pg_setup(void **state) {
  const char *url = getenv("NOCTURNA_TEST_DATABASE_URL");
  if (url == NULL) return -1;
  suite *st = calloc(1, sizeof *st);
  if (st == NULL) return -1;
  snprintf(st->pg_admin_url, sizeof st->pg_admin_url, "%s", url);
  if (!pg_scratch_create(url, "noc_store_test", st->pg_db, sizeof st->pg_db, st->cfg.url,
                         sizeof st->cfg.url)) {
    free(st);
    return -1;
  }
  st->cfg.pool_size = 4;
  st->s = open_store(&st->cfg);
  *state = st;
  return 0;
}

static int teardown(void **state) {
  suite *st = *state;
  noc_store_close(st->s);
  if (st->pg_admin_url[0]) {
    pg_scratch_drop(st->pg_admin_url, st->pg_db);
  } else {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", st->tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", st->tmpdir);
  }
  free(st);
  return 0;
}

/* ---------------------------------------------------------------- helpers ---- */

static noc_user make_user(const char *id, const char *email, const char *username, bool super) {
  noc_user u;
  memset(&u, 0, sizeof u);
  snprintf(u.id, sizeof u.id, "%s", id);
  snprintf(u.email, sizeof u.email, "%s", email);
  snprintf(u.username, sizeof u.username, "%s", username);
  snprintf(u.password_hash, sizeof u.password_hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
  u.is_active = true;
  u.is_superuser = super;
  u.created_at = u.updated_at = NOW;
  return u;
}

static noc_svc_token make_token(const char *id, const char *subject, int64_t created,
                                int64_t expires) {
  noc_svc_token t;
  memset(&t, 0, sizeof t);
  snprintf(t.id, sizeof t.id, "%s", id);
  snprintf(t.subject, sizeof t.subject, "%s", subject);
  snprintf(t.scope, sizeof t.scope, "calculations");
  snprintf(t.description, sizeof t.description, "backend");
  snprintf(t.created_by, sizeof t.created_by, "%s", subject);
  t.created_at = created;
  t.expires_at = expires;
  return t;
}

#define OK(expr) assert_int_equal((expr), NOC_STORE_OK)

/* ---------------------------------------------------------------- tests ---- */

static void test_migrations(void **state) {
  suite *st = *state;
  noc_error err;
  int from = -1, to = -1, v = -1;
  OK(noc_store_migrate(st->s, &from, &to, &err));
  assert_int_equal(from, 0);
  assert_int_equal(to, NOC_STORE_SCHEMA_VERSION);
  OK(noc_store_migrate(st->s, &from, &to, &err)); /* idempotent */
  assert_int_equal(from, NOC_STORE_SCHEMA_VERSION);
  OK(noc_store_schema_version(st->s, &v, &err));
  assert_int_equal(v, NOC_STORE_SCHEMA_VERSION);
  /* A database from the future is refused, not downgraded. */
  noc_store_conn c;
  OK(noc_store_acquire(st->s, &c, &err));
  OK(noc_store_exec(&c,
                    "INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES (99, 'future', 0)",
                    NULL, 0, NULL, NULL, NULL, &err));
  noc_store_release(&c);
  assert_int_equal(noc_store_migrate(st->s, NULL, NULL, &err), NOC_STORE_ERROR);
  assert_non_null(strstr(err.message, "version 99"));
  OK(noc_store_acquire(st->s, &c, &err));
  OK(noc_store_exec(&c, "DELETE FROM schema_migrations WHERE version = 99", NULL, 0, NULL, NULL,
                    NULL, &err));
  noc_store_release(&c);
  OK(noc_store_migrate(st->s, NULL, NULL, &err));
}

static void test_users(void **state) {
  suite *st = *state;
  noc_error err;
  noc_user a = make_user("u-1", "alice@example.com", "Alice", true);
  snprintf(a.first_name, sizeof a.first_name, "Alice");
  OK(noc_store_user_insert(st->s, &a, &err));
  noc_user b = make_user("u-2", "bob@example.com", "bob", false);
  OK(noc_store_user_insert(st->s, &b, &err));

  noc_user dup = make_user("u-3", "alice@example.com", "other", false);
  assert_int_equal(noc_store_user_insert(st->s, &dup, &err), NOC_STORE_CONFLICT);
  assert_string_equal(err.field, "email");
  dup = make_user("u-3", "carol@example.com", "ALICE", false);
  assert_int_equal(noc_store_user_insert(st->s, &dup, &err), NOC_STORE_CONFLICT);
  assert_string_equal(err.field, "username");
  dup = make_user("u-1", "carol@example.com", "carol", false);
  assert_int_equal(noc_store_user_insert(st->s, &dup, &err), NOC_STORE_CONFLICT);
  assert_string_equal(err.field, "id");

  noc_user got;
  OK(noc_store_user_get(st->s, "u-1", &got, &err));
  assert_string_equal(got.email, "alice@example.com");
  assert_string_equal(got.first_name, "Alice");
  assert_string_equal(got.last_name, "");
  assert_true(got.is_superuser);
  assert_true(got.is_active);
  assert_int_equal(got.created_at, NOW);
  OK(noc_store_user_find(st->s, "ALICE@Example.com", &got, &err));
  assert_string_equal(got.id, "u-1");
  OK(noc_store_user_find(st->s, "aLiCe", &got, &err));
  assert_string_equal(got.id, "u-1");
  assert_int_equal(noc_store_user_find(st->s, "nobody", &got, &err), NOC_STORE_NOT_FOUND);
  assert_int_equal(noc_store_user_get(st->s, "u-404", &got, &err), NOC_STORE_NOT_FOUND);

  int64_t n = 0;
  OK(noc_store_user_count(st->s, &n, &err));
  assert_int_equal(n, 2);
  noc_user list[4];
  int count = 0;
  OK(noc_store_user_list(st->s, true, list, 4, &count, &err));
  assert_int_equal(count, 1);
  assert_string_equal(list[0].id, "u-1");
  OK(noc_store_user_list(st->s, false, list, 4, &count, &err));
  assert_int_equal(count, 2);

  OK(noc_store_user_set_flags(st->s, "u-2", 0, 1, NOW + 5, &err));
  OK(noc_store_user_get(st->s, "u-2", &got, &err));
  assert_false(got.is_active);
  assert_true(got.is_superuser);
  assert_int_equal(got.updated_at, NOW + 5);
  OK(noc_store_user_set_flags(st->s, "u-2", 1, -1, NOW + 6, &err));
  OK(noc_store_user_get(st->s, "u-2", &got, &err));
  assert_true(got.is_active);
  assert_true(got.is_superuser);
  assert_int_equal(noc_store_user_set_flags(st->s, "u-404", 1, 1, NOW, &err), NOC_STORE_NOT_FOUND);
  OK(noc_store_user_set_password(st->s, "u-2", "$argon2id$new", NOW + 7, &err));
  OK(noc_store_user_get(st->s, "u-2", &got, &err));
  assert_string_equal(got.password_hash, "$argon2id$new");
  OK(noc_store_user_delete(st->s, "u-2", &err));
  assert_int_equal(noc_store_user_delete(st->s, "u-2", &err), NOC_STORE_NOT_FOUND);
  assert_int_equal(noc_store_user_get(st->s, "u-2", &got, &err), NOC_STORE_NOT_FOUND);
}

static void test_injection_strings_are_data(void **state) {
  suite *st = *state;
  noc_error err;
  static const char *const evil[] = {"x'; DROP TABLE users; --", "\" OR 1=1 --",
                                     "'); DELETE FROM service_tokens; --", "$1 $2 ?1 %s \\"};
  for (int i = 0; i < 4; i++) {
    char id[40], email[80];
    snprintf(id, sizeof id, "evil-%d", i);
    snprintf(email, sizeof email, "evil%d@example.com", i);
    noc_user u = make_user(id, email, evil[i], false);
    snprintf(u.last_name, sizeof u.last_name, "%s", evil[i]);
    OK(noc_store_user_insert(st->s, &u, &err));
    noc_user got;
    OK(noc_store_user_get(st->s, id, &got, &err));
    assert_string_equal(got.username, evil[i]);
    assert_string_equal(got.last_name, evil[i]);
    noc_svc_token t = make_token(evil[i], id, NOW, NOW + 86400);
    snprintf(t.description, sizeof t.description, "%s", evil[i]);
    OK(noc_store_svc_insert(st->s, &t, &err));
    noc_svc_token tg;
    OK(noc_store_svc_get(st->s, evil[i], &tg, &err));
    assert_string_equal(tg.description, evil[i]);
    OK(noc_store_user_find(st->s, evil[i], &got, &err));
    assert_string_equal(got.id, id);
  }
  int64_t n = 0;
  OK(noc_store_user_count(st->s, &n, &err));
  assert_true(n >= 4);
}

static void test_service_tokens(void **state) {
  suite *st = *state;
  noc_error err;
  noc_user owner = make_user("owner-1", "owner@example.com", "owner", true);
  OK(noc_store_user_insert(st->s, &owner, &err));
  noc_svc_token t1 = make_token("t-1", "owner-1", NOW, NOW + 30 * 86400);
  noc_svc_token t2 = make_token("t-2", "owner-1", NOW + 10, 0); /* eternal */
  snprintf(t2.renewed_from, sizeof t2.renewed_from, "t-1");
  snprintf(t2.scope, sizeof t2.scope, "admin calculations");
  OK(noc_store_svc_insert(st->s, &t1, &err));
  OK(noc_store_svc_insert(st->s, &t2, &err));
  assert_int_equal(noc_store_svc_insert(st->s, &t1, &err), NOC_STORE_CONFLICT);

  noc_svc_token got;
  OK(noc_store_svc_get(st->s, "t-2", &got, &err));
  assert_int_equal(got.expires_at, 0);
  assert_int_equal(got.last_used_at, 0);
  assert_int_equal(got.revoked_at, 0);
  assert_string_equal(got.renewed_from, "t-1");
  assert_string_equal(got.scope, "admin calculations");
  assert_int_equal(noc_store_svc_get(st->s, "t-404", &got, &err), NOC_STORE_NOT_FOUND);

  noc_svc_token list[8];
  int n = 0;
  OK(noc_store_svc_list(st->s, list, 8, &n, &err));
  assert_true(n >= 2);
  int i1 = -1, i2 = -1;
  for (int i = 0; i < n; i++) {
    if (strcmp(list[i].id, "t-1") == 0) i1 = i;
    if (strcmp(list[i].id, "t-2") == 0) i2 = i;
  }
  assert_true(i2 >= 0 && i1 > i2); /* newest first */

  /* last_used_at: written at most once per interval. */
  OK(noc_store_svc_touch(st->s, "t-1", NOW + 100, 60, &err));
  OK(noc_store_svc_touch(st->s, "t-1", NOW + 130, 60, &err));
  OK(noc_store_svc_get(st->s, "t-1", &got, &err));
  assert_int_equal(got.last_used_at, NOW + 100);
  OK(noc_store_svc_touch(st->s, "t-1", NOW + 160, 60, &err));
  OK(noc_store_svc_get(st->s, "t-1", &got, &err));
  assert_int_equal(got.last_used_at, NOW + 160);

  noc_user_state us;
  OK(noc_store_svc_auth(st->s, "t-1", &got, &us, &err));
  assert_true(us.found && us.is_active && us.is_superuser);
  assert_string_equal(got.subject, "owner-1");

  OK(noc_store_svc_revoke(st->s, "t-1", NOW + 200, &err));
  OK(noc_store_svc_revoke(st->s, "t-1", NOW + 300, &err)); /* first time kept */
  OK(noc_store_svc_get(st->s, "t-1", &got, &err));
  assert_int_equal(got.revoked_at, NOW + 200);
  assert_int_equal(noc_store_svc_revoke(st->s, "t-404", NOW, &err), NOC_STORE_NOT_FOUND);

  OK(noc_store_user_set_flags(st->s, "owner-1", 0, 0, NOW, &err));
  OK(noc_store_svc_auth(st->s, "t-2", &got, &us, &err));
  assert_true(us.found);
  assert_false(us.is_active);
  assert_false(us.is_superuser);
  OK(noc_store_user_delete(st->s, "owner-1", &err));
  OK(noc_store_svc_auth(st->s, "t-2", &got, &us, &err));
  assert_false(us.found);
  assert_int_equal(noc_store_svc_auth(st->s, "t-404", &got, &us, &err), NOC_STORE_NOT_FOUND);
}

static noc_refresh make_refresh(const char *id, const char *hash, int64_t exp) {
  noc_refresh r;
  memset(&r, 0, sizeof r);
  snprintf(r.id, sizeof r.id, "%s", id);
  snprintf(r.token_hash, sizeof r.token_hash, "%s", hash);
  r.created_at = NOW;
  r.expires_at = exp;
  return r;
}

static void test_sessions_and_rotation(void **state) {
  suite *st = *state;
  noc_error err;
  noc_user u = make_user("s-user", "sess@example.com", "sess", false);
  OK(noc_store_user_insert(st->s, &u, &err));
  noc_session sess = {.created_at = NOW, .expires_at = NOW + 7 * 86400};
  snprintf(sess.id, sizeof sess.id, "sess-1");
  snprintf(sess.user_id, sizeof sess.user_id, "s-user");
  noc_refresh r1 = make_refresh("r-1", "hash-1", NOW + 7 * 86400);
  snprintf(r1.session_id, sizeof r1.session_id, "sess-1");
  OK(noc_store_session_create(st->s, &sess, &r1, &err));

  noc_session got;
  noc_user_state us;
  OK(noc_store_session_auth(st->s, "sess-1", &got, &us, &err));
  assert_string_equal(got.user_id, "s-user");
  assert_int_equal(got.revoked_at, 0);
  assert_true(us.found && us.is_active && !us.is_superuser);

  noc_rotate_outcome out;
  noc_refresh r2 = make_refresh("r-2", "hash-2", NOW + 8 * 86400);
  OK(noc_store_refresh_rotate(st->s, "hash-1", NOW + 60, &r2, &got, &out, &err));
  assert_int_equal(out, NOC_ROTATE_OK);
  assert_string_equal(r2.session_id, "sess-1");
  assert_int_equal(got.expires_at, NOW + 8 * 86400);

  noc_refresh found;
  OK(noc_store_refresh_find(st->s, "hash-1", &found, &err));
  assert_int_equal(found.used_at, NOW + 60);
  assert_int_equal(noc_store_refresh_find(st->s, "hash-x", &found, &err), NOC_STORE_NOT_FOUND);

  noc_refresh r3 = make_refresh("r-3", "hash-3", NOW + 9 * 86400);
  OK(noc_store_refresh_rotate(st->s, "hash-nope", NOW + 61, &r3, &got, &out, &err));
  assert_int_equal(out, NOC_ROTATE_UNKNOWN);
  /* Replaying the rotated token revokes the family; the newer token dies with it. */
  OK(noc_store_refresh_rotate(st->s, "hash-1", NOW + 62, &r3, &got, &out, &err));
  assert_int_equal(out, NOC_ROTATE_REUSED);
  OK(noc_store_session_auth(st->s, "sess-1", &got, &us, &err));
  assert_int_equal(got.revoked_at, NOW + 62);
  assert_string_equal(got.revoke_reason, "reuse");
  OK(noc_store_refresh_rotate(st->s, "hash-2", NOW + 63, &r3, &got, &out, &err));
  assert_int_equal(out, NOC_ROTATE_REVOKED);
  assert_int_equal(noc_store_refresh_find(st->s, "hash-3", &found, &err), NOC_STORE_NOT_FOUND);

  /* Expiry of the refresh token. */
  noc_session s2 = {.created_at = NOW, .expires_at = NOW + 100};
  snprintf(s2.id, sizeof s2.id, "sess-2");
  snprintf(s2.user_id, sizeof s2.user_id, "s-user");
  noc_refresh r4 = make_refresh("r-4", "hash-4", NOW + 100);
  snprintf(r4.session_id, sizeof r4.session_id, "sess-2");
  OK(noc_store_session_create(st->s, &s2, &r4, &err));
  noc_refresh r5 = make_refresh("r-5", "hash-5", NOW + 1000);
  OK(noc_store_refresh_rotate(st->s, "hash-4", NOW + 100, &r5, &got, &out, &err));
  assert_int_equal(out, NOC_ROTATE_EXPIRED);
  OK(noc_store_session_revoke(st->s, "sess-2", NOW + 5, "logout", &err));
  OK(noc_store_session_auth(st->s, "sess-2", &got, &us, &err));
  assert_string_equal(got.revoke_reason, "logout");
  assert_int_equal(noc_store_session_revoke(st->s, "sess-404", NOW, "logout", &err),
                   NOC_STORE_NOT_FOUND);
}

static void test_settings(void **state) {
  suite *st = *state;
  noc_error err;
  char v[64];
  assert_int_equal(noc_store_setting_get(st->s, "allow_user_registration", v, sizeof v, &err),
                   NOC_STORE_NOT_FOUND);
  OK(noc_store_setting_set(st->s, "allow_user_registration", "true", NOW, &err));
  OK(noc_store_setting_get(st->s, "allow_user_registration", v, sizeof v, &err));
  assert_string_equal(v, "true");
  OK(noc_store_setting_set(st->s, "allow_user_registration", "false", NOW + 1, &err));
  OK(noc_store_setting_get(st->s, "allow_user_registration", v, sizeof v, &err));
  assert_string_equal(v, "false");
  OK(noc_store_ping(st->s, &err));
}

/* 8 threads each insert 25 tokens and revoke every other one, through a pool of 4. */
typedef struct writer_arg {
  noc_store *s;
  int index;
  int failures;
} writer_arg;

static void *writer(void *p) {
  writer_arg *a = p;
  noc_error err;
  for (int i = 0; i < 25; i++) {
    char id[40];
    snprintf(id, sizeof id, "conc-%d-%d", a->index, i);
    noc_svc_token t = make_token(id, "nobody", NOW + a->index * 100 + i, NOW + 86400);
    if (noc_store_svc_insert(a->s, &t, &err) != NOC_STORE_OK) a->failures++;
    if (i % 2 == 1 && noc_store_svc_revoke(a->s, id, NOW + 1, &err) != NOC_STORE_OK) a->failures++;
  }
  return NULL;
}

static void test_concurrent_writers(void **state) {
  suite *st = *state;
  pthread_t th[8];
  writer_arg args[8];
  for (int i = 0; i < 8; i++) {
    args[i] = (writer_arg){st->s, i, 0};
    assert_int_equal(pthread_create(&th[i], NULL, writer, &args[i]), 0);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].failures, 0);
  }
  static noc_svc_token list[512];
  int n = 0;
  noc_error err;
  OK(noc_store_svc_list(st->s, list, 512, &n, &err));
  int conc = 0, revoked = 0;
  for (int i = 0; i < n; i++) {
    if (strncmp(list[i].id, "conc-", 5) != 0) continue;
    conc++;
    revoked += list[i].revoked_at != 0;
  }
  assert_int_equal(conc, 200);
  assert_int_equal(revoked, 96); /* 12 odd i in 0..24, for 8 threads */
}

/* 6 threads present the same refresh token at once: exactly one rotation wins. */
typedef struct racer_arg {
  noc_store *s;
  int index;
  noc_rotate_outcome out;
  noc_store_rc rc;
} racer_arg;

static void *racer(void *p) {
  racer_arg *a = p;
  noc_error err;
  char id[40], hash[40];
  snprintf(id, sizeof id, "race-next-%d", a->index);
  snprintf(hash, sizeof hash, "race-hash-next-%d", a->index);
  noc_refresh next = make_refresh(id, hash, NOW + 86400);
  noc_session sess;
  a->rc = noc_store_refresh_rotate(a->s, "race-hash-0", NOW + 10, &next, &sess, &a->out, &err);
  return NULL;
}

static void test_rotation_race(void **state) {
  suite *st = *state;
  noc_error err;
  noc_user u = make_user("race-user", "race@example.com", "race", false);
  OK(noc_store_user_insert(st->s, &u, &err));
  noc_session sess = {.created_at = NOW, .expires_at = NOW + 86400};
  snprintf(sess.id, sizeof sess.id, "race-sess");
  snprintf(sess.user_id, sizeof sess.user_id, "race-user");
  noc_refresh r0 = make_refresh("race-0", "race-hash-0", NOW + 86400);
  snprintf(r0.session_id, sizeof r0.session_id, "race-sess");
  OK(noc_store_session_create(st->s, &sess, &r0, &err));
  pthread_t th[6];
  racer_arg args[6];
  for (int i = 0; i < 6; i++) {
    args[i] = (racer_arg){.s = st->s, .index = i};
    assert_int_equal(pthread_create(&th[i], NULL, racer, &args[i]), 0);
  }
  int ok = 0, reused = 0;
  for (int i = 0; i < 6; i++) {
    pthread_join(th[i], NULL);
    OK(args[i].rc);
    ok += args[i].out == NOC_ROTATE_OK;
    reused += args[i].out == NOC_ROTATE_REUSED;
  }
  assert_int_equal(ok, 1);
  assert_int_equal(reused, 5);
  noc_user_state us;
  OK(noc_store_session_auth(st->s, "race-sess", &sess, &us, &err));
  assert_true(sess.revoked_at != 0);
}

static void test_pool_exhaustion(void **state) {
  suite *st = *state;
  noc_store_config cfg = st->cfg;
  cfg.pool_size = 1;
  cfg.acquire_timeout_ms = 100;
  noc_store *s = open_store(&cfg);
  noc_error err;
  noc_store_conn c;
  OK(noc_store_acquire(s, &c, &err));
  assert_int_equal(noc_store_ping(s, &err), NOC_STORE_UNAVAILABLE);
  assert_non_null(strstr(err.message, "busy"));
  noc_store_release(&c);
  OK(noc_store_ping(s, &err));
  noc_store_close(s);
}

/* ---------------------------------------------------------------- backend-free tests ---- */

static void test_pg_down_is_unavailable(void **state) {
  (void)state;
  noc_store_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.url, sizeof cfg.url, "postgresql://nobody:sekret@127.0.0.1:1/none");
  cfg.connect_timeout_s = 2;
  noc_store *s = open_store(&cfg);
  assert_string_equal(noc_store_backend(s), "postgresql");
  assert_null(strstr(noc_store_location(s), "sekret"));
  assert_non_null(strstr(noc_store_location(s), "nobody:***@127.0.0.1:1"));
  noc_error err;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 20; i++)
    assert_int_equal(noc_store_ping(s, &err), NOC_STORE_UNAVAILABLE);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_true(t1.tv_sec - t0.tv_sec < 3); /* refused connections fail fast */
  assert_non_null(strstr(err.message, "PostgreSQL"));
  noc_store_close(s);
}

static void test_urls(void **state) {
  (void)state;
  assert_int_equal(noc_store_url_kind(""), 0);
  assert_int_equal(noc_store_url_kind("sqlite:/tmp/x.db"), 0);
  assert_int_equal(noc_store_url_kind("postgresql://u@h/db"), 1);
  assert_int_equal(noc_store_url_kind("postgres://u@h/db"), 1);
  assert_int_equal(noc_store_url_kind("mysql://u@h/db"), -1);
  noc_store_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.url, sizeof cfg.url, "mysql://x");
  noc_store *s = NULL;
  noc_error err;
  assert_int_equal(noc_store_open(&s, &cfg, &err), NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "NOCTURNA_DATABASE_URL");
  snprintf(cfg.url, sizeof cfg.url, "postgresql://h/db?password=abc&sslmode=disable");
  s = open_store(&cfg);
  assert_string_equal(noc_store_location(s), "postgresql://h/db?password=***&sslmode=disable");
  noc_store_close(s);
}

static void test_sqlite_file_mode(void **state) {
  suite *st = *state;
  char path[512];
  snprintf(path, sizeof path, "%s/nocturna.db", st->cfg.data_dir);
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_string_equal(noc_store_backend(st->s), "sqlite");
}

#define SUITE_TESTS                                                                                \
  cmocka_unit_test(test_migrations), cmocka_unit_test(test_users),                                 \
      cmocka_unit_test(test_injection_strings_are_data), cmocka_unit_test(test_service_tokens),    \
      cmocka_unit_test(test_sessions_and_rotation), cmocka_unit_test(test_settings),               \
      cmocka_unit_test(test_concurrent_writers), cmocka_unit_test(test_rotation_race),             \
      cmocka_unit_test(test_pool_exhaustion)

int main(void) {
  const struct CMUnitTest sqlite_tests[] = {SUITE_TESTS, cmocka_unit_test(test_sqlite_file_mode)};
  const struct CMUnitTest pg_tests[] = {SUITE_TESTS};
  const struct CMUnitTest free_tests[] = {cmocka_unit_test(test_pg_down_is_unavailable),
                                          cmocka_unit_test(test_urls)};
  int failed = cmocka_run_group_tests_name("store-free", free_tests, NULL, NULL);
  failed += cmocka_run_group_tests_name("store-sqlite", sqlite_tests, sqlite_setup, teardown);
  const char *pg = getenv("NOCTURNA_TEST_DATABASE_URL");
  if (pg != NULL && pg[0] != '\0') {
    printf("store-postgresql: running against NOCTURNA_TEST_DATABASE_URL\n");
    fflush(stdout);
    failed += cmocka_run_group_tests_name("store-postgresql", pg_tests, pg_setup, teardown);
  } else
    printf("store-postgresql: skipped (NOCTURNA_TEST_DATABASE_URL is not set)\n");
  return failed;
}
