/* The identity object: opening (store, migrations, waiting for the database), users,
 * first-start bootstrap, readiness, and the small file and time helpers. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/identity_internal.h"
#include "http/log.h"

enum { DB_RETRY_MS = 250, GENERATED_PASSWORD_LEN = 20, MAX_LIST = 64 };

/* ---------------------------------------------------------------- open and close ---- */

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* Applies migrations, waiting up to db_wait_s while the database is unreachable (a container
 * that starts before its database). */
static noc_status migrate_waiting(noc_identity *id, noc_error *err) {
  int64_t deadline = noc_id_now() + id->cfg.db_wait_s;
  for (;;) {
    noc_store_rc rc = noc_store_migrate(id->store, NULL, NULL, err);
    if (rc == NOC_STORE_OK) return NOC_OK;
    if (rc != NOC_STORE_UNAVAILABLE || noc_id_now() >= deadline) {
      char msg[NOC_ERR_MESSAGE_MAX];
      snprintf(msg, sizeof msg, "%s", err->message);
      return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_DATABASE_URL", "storage (%s at %s): %s",
                      noc_store_backend(id->store), noc_store_location(id->store), msg);
    }
    sleep_ms(DB_RETRY_MS);
  }
}

static noc_status open_store(noc_identity *id, noc_error *err) {
  noc_store_config sc;
  memset(&sc, 0, sizeof sc);
  snprintf(sc.url, sizeof sc.url, "%s", id->cfg.database_url);
  snprintf(sc.data_dir, sizeof sc.data_dir, "%s", id->http.data_dir);
  unsigned pool = id->cfg.db_pool ? id->cfg.db_pool : noc_http_config_threads(&id->http) + 2;
  sc.pool_size = pool > NOC_STORE_POOL_MAX ? NOC_STORE_POOL_MAX : pool;
  noc_status st = noc_store_open(&id->store, &sc, err);
  return st == NOC_OK ? migrate_waiting(id, err) : st;
}

noc_status noc_identity_open(noc_identity **out, const noc_identity_config *cfg,
                             const noc_http_config *http, const noc_jwt_keyring *ring,
                             noc_error *err) {
  *out = NULL;
  if (cfg->production && http->secret_len == 0)
    return noc_fail(err, NOC_ERR_VALIDATION, "NOCTURNA_SECRET_KEY",
                    "is required when NOCTURNA_ENV=production (32 to 64 bytes; generate one "
                    "with `head -c 32 /dev/urandom | xxd -p -c 64`)");
  if (ring == NULL || ring->count < 1 || ring->keys[0].secret_len < NOC_JWT_MIN_SECRET)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "no signing key");
  if (sodium_init() < 0)
    return noc_fail(err, NOC_ERR_INTERNAL, "", "libsodium failed to initialise");
  noc_identity *id = calloc(1, sizeof *id);
  if (id == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  id->cfg = *cfg;
  id->http = *http;
  id->ring = ring;
  noc_status st = NOC_OK;
  if ((id->throttle = noc_throttle_new(cfg->login_window_s)) == NULL ||
      (id->policy_cache = noc_id_cache_new()) == NULL)
    st = noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  if (st == NOC_OK) st = noc_id_password_init(id, err);
  if (st == NOC_OK) st = open_store(id, err);
  if (st != NOC_OK) {
    noc_identity_close(id);
    return st;
  }
  *out = id;
  return NOC_OK;
}

void noc_identity_close(noc_identity *id) {
  if (id == NULL) return;
  noc_store_close(id->store);
  noc_throttle_free(id->throttle);
  noc_id_cache_free(id->policy_cache);
  noc_id_password_free(id);
  sodium_memzero(&id->http.secret_key, sizeof id->http.secret_key);
  free(id);
}

noc_store *noc_identity_store(noc_identity *id) {
  return id->store;
}
const noc_identity_config *noc_identity_cfg(const noc_identity *id) {
  return &id->cfg;
}

bool noc_identity_ready(void *cls, char *detail, size_t cap) {
  noc_identity *id = cls;
  noc_error err;
  noc_error_clear(&err);
  if (noc_store_ping(id->store, &err) == NOC_STORE_OK) return true;
  snprintf(detail, cap, "%s: %s", noc_store_backend(id->store), err.message);
  return false;
}

/* ---------------------------------------------------------------- users ---- */

static bool email_char(char c, bool domain) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-') return true;
  return !domain && c > 0x20 && c < 0x7f && strchr("\"(),:;<>@[\\]", c) == NULL;
}

/* A plain address: local@domain.tld in ASCII, lower-cased into out. */
static bool valid_email(const char *in, char *out, size_t cap) {
  size_t n = strlen(in);
  if (n < 3 || n > 254 || n >= cap) return false;
  const char *at = strchr(in, '@');
  if (at == NULL || at == in || strchr(at + 1, '@') != NULL || at - in > 64) return false;
  for (size_t i = 0; i <= n; i++)
    out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
  const char *domain = out + (at - in) + 1;
  size_t dn = strlen(domain);
  if (dn < 3 || strchr(domain, '.') == NULL || domain[0] == '.' || domain[0] == '-' ||
      domain[dn - 1] == '.' || domain[dn - 1] == '-' || strstr(domain, "..") != NULL)
    return false;
  for (const char *p = out; *p; p++)
    if (p != out + (at - in) && !email_char(*p, p > out + (at - in))) return false;
  return true;
}

static bool valid_username(const char *u) {
  size_t n = strlen(u);
  if (n < 3 || n > 64) return false;
  for (size_t i = 0; i < n; i++) {
    char c = u[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

static bool valid_name(const char *s) {
  size_t n = strlen(s);
  if (n > 100) return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
  return true;
}

static noc_status check_new_user(noc_identity *id, const noc_new_user *nu, noc_user *out,
                                 noc_error *err) {
  if (nu->email == NULL || !valid_email(nu->email, out->email, sizeof out->email))
    return noc_fail(err, NOC_ERR_VALIDATION, "email", "is not a valid email address");
  if (nu->username == NULL || !valid_username(nu->username))
    return noc_fail(err, NOC_ERR_VALIDATION, "username",
                    "must be 3 to 64 characters: letters, digits, '.', '_' or '-'");
  if (nu->first_name && !valid_name(nu->first_name))
    return noc_fail(err, NOC_ERR_VALIDATION, "first_name",
                    "must be at most 100 bytes without control characters");
  if (nu->last_name && !valid_name(nu->last_name))
    return noc_fail(err, NOC_ERR_VALIDATION, "last_name",
                    "must be at most 100 bytes without control characters");
  if (nu->password == NULL) return noc_fail(err, NOC_ERR_VALIDATION, "password", "is required");
  if (!noc_id_password_acceptable(id, nu->password, err)) return NOC_ERR_VALIDATION;
  return NOC_OK;
}

noc_status noc_identity_create_user(noc_identity *id, const noc_new_user *nu, int64_t now,
                                    noc_user *out, noc_store_rc *store_rc, noc_error *err) {
  *store_rc = NOC_STORE_OK;
  memset(out, 0, sizeof *out);
  noc_status st = check_new_user(id, nu, out, err);
  if (st != NOC_OK) return st;
  snprintf(out->username, sizeof out->username, "%s", nu->username);
  snprintf(out->first_name, sizeof out->first_name, "%s", nu->first_name ? nu->first_name : "");
  snprintf(out->last_name, sizeof out->last_name, "%s", nu->last_name ? nu->last_name : "");
  noc_id_uuid(out->id);
  out->is_active = nu->active;
  out->is_superuser = nu->superuser;
  out->created_at = out->updated_at = now;
  if (!noc_id_password_hash(id, nu->password, out->password_hash, err)) return err->code;
  *store_rc = noc_store_user_insert(id->store, out, err);
  if (*store_rc == NOC_STORE_CONFLICT) {
    bool email_taken = strcmp(err->field, "email") == 0 || strcmp(err->field, "id") == 0;
    return noc_fail(err, NOC_ERR_VALIDATION, email_taken ? "email" : "username",
                    email_taken ? "Email already registered" : "Username already taken");
  }
  return *store_rc == NOC_STORE_OK ? NOC_OK : NOC_ERR_INTERNAL;
}

noc_store_rc noc_identity_first_admin(noc_identity *id, noc_user *out, noc_error *err) {
  noc_user list[MAX_LIST];
  int n = 0;
  noc_store_rc rc = noc_store_user_list(id->store, true, list, MAX_LIST, &n, err);
  if (rc != NOC_STORE_OK) return rc;
  for (int i = 0; i < n; i++)
    if (list[i].is_active) {
      *out = list[i];
      return NOC_STORE_OK;
    }
  noc_fail(err, NOC_ERR_NOT_FOUND, "",
           "no active admin user; create one with `nocturna admin create`");
  return NOC_STORE_NOT_FOUND;
}

/* ---------------------------------------------------------------- files and time ---- */

noc_status noc_identity_write_secret_file(const char *path, const char *content, noc_error *err) {
  char tmp[NOC_CFG_PATH_MAX + 32];
  int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
  if (n <= 0 || (size_t)n >= sizeof tmp)
    return noc_fail(err, NOC_ERR_VALIDATION, "token-file", "path too long");
  int fd = mkstemp(tmp); /* mode 0600 */
  if (fd < 0)
    return noc_fail(err, NOC_ERR_VALIDATION, "token-file", "cannot create a file next to %s: %s",
                    path, strerror(errno));
  size_t len = strlen(content);
  bool ok = fchmod(fd, 0600) == 0 && write(fd, content, len) == (ssize_t)len && fsync(fd) == 0;
  int saved = errno;
  close(fd);
  if (!ok || rename(tmp, path) != 0) {
    if (ok) saved = errno;
    unlink(tmp);
    return noc_fail(err, NOC_ERR_VALIDATION, "token-file", "cannot write %s: %s", path,
                    strerror(saved));
  }
  char dir[NOC_CFG_PATH_MAX + 32];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash == dir)
    slash[1] = '\0';
  else if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd); /* the rename itself survives a crash */
    close(dfd);
  }
  return NOC_OK;
}

void noc_identity_format_time(int64_t unix_s, char *out, size_t cap) {
  time_t t = (time_t)unix_s;
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, cap, "%lld", (long long)unix_s);
}

/* ---------------------------------------------------------------- first start ---- */

static noc_status bootstrap_token(noc_identity *id, const noc_user *admin, int64_t now,
                                  noc_svc_issued *issued, char *path, size_t cap, noc_error *err) {
  noc_svc_issue req = {.subject = admin->id,
                       .scope = "calculations",
                       .description = "first-start token",
                       .created_by = "",
                       .days = id->cfg.service_days};
  noc_status st = noc_identity_issue_service(id, &req, now, issued, NULL, err);
  if (st != NOC_OK) return st;
  snprintf(path, cap, "%s/service-token", id->http.data_dir);
  char content[NOC_IDENTITY_TOKEN_MAX + 2];
  snprintf(content, sizeof content, "%s\n", issued->token);
  st = noc_identity_write_secret_file(path, content, err);
  sodium_memzero(content, sizeof content);
  return st;
}

static void print_bootstrap(FILE *out, const noc_user *admin, const char *generated_pw,
                            const noc_svc_issued *issued, const char *path) {
  char exp[32];
  noc_identity_format_time(issued->row.expires_at, exp, sizeof exp);
  fprintf(out, "First start: created the administrator '%s' (%s).\n", admin->username,
          admin->email);
  if (generated_pw)
    fprintf(out, "  Password (shown only now): %s\n", generated_pw);
  else
    fprintf(out, "  Password: from NOCTURNA_ADMIN_PASSWORD.\n");
  fprintf(out,
          "Service token (scope %s, expires %s) written to %s:\n"
          "  export NOCTURNA_SERVICE_TOKEN=%s\n"
          "Renew it before it expires: nocturna token renew --token-file %s\n",
          issued->row.scope, exp, path, issued->token, path);
  fflush(out);
}

noc_status noc_identity_bootstrap(noc_identity *id, FILE *out, noc_error *err) {
  int64_t users = 0;
  if (noc_store_user_count(id->store, &users, err) != NOC_STORE_OK) return NOC_ERR_INTERNAL;
  if (users > 0) return NOC_OK;
  char password[NOC_ID_PASSWORD_MAX + 1];
  const char *given = getenv("NOCTURNA_ADMIN_PASSWORD");
  bool generated = given == NULL || given[0] == '\0';
  if (generated)
    noc_id_password_generate(password, GENERATED_PASSWORD_LEN);
  else
    snprintf(password, sizeof password, "%s", given);
  int64_t now = noc_id_now();
  noc_user admin;
  noc_store_rc rc;
  noc_new_user nu = {.email = id->cfg.admin_email,
                     .username = id->cfg.admin_username,
                     .password = password,
                     .superuser = true,
                     .active = true};
  noc_status st = noc_identity_create_user(id, &nu, now, &admin, &rc, err);
  if (st != NOC_OK) {
    sodium_memzero(password, sizeof password);
    if (rc == NOC_STORE_CONFLICT)
      return NOC_OK; /* another process bootstrapped at the same moment */
    if (st == NOC_ERR_VALIDATION && strcmp(err->field, "password") == 0)
      snprintf(err->field, sizeof err->field, "NOCTURNA_ADMIN_PASSWORD");
    return st;
  }
  noc_svc_issued issued;
  char path[NOC_CFG_PATH_MAX + 32];
  st = bootstrap_token(id, &admin, now, &issued, path, sizeof path, err);
  if (st == NOC_OK) print_bootstrap(out, &admin, generated ? password : NULL, &issued, path);
  sodium_memzero(password, sizeof password);
  sodium_memzero(issued.token, sizeof issued.token);
  noc_logline l;
  noc_log_begin_always(&l, st == NOC_OK ? "first start: administrator and service token created"
                                        : "first start: administrator created, token failed");
  noc_jw_kstr(&l.w, "admin", admin.username);
  noc_jw_kstr(&l.w, "token_id", st == NOC_OK ? issued.row.id : NULL);
  noc_jw_kstr(&l.w, "token_file", st == NOC_OK ? path : NULL);
  noc_log_end(&l);
  return st;
}
