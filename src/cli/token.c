/* `nocturna token create|list|revoke|inspect|renew`: service tokens from the command line,
 * with the server's keys and storage.
 *
 * renew is what a cron job runs: it renews only when the token in the file expires within
 * --days-before-expiry days (or with --force), replaces the file atomically with mode 0600,
 * and prints "Token renewal complete" exactly when it did. The file holds either the token
 * alone or KEY=VALUE lines (an env file) with NOCTURNA_SERVICE_TOKEN= (or SERVICE_TOKEN=), in
 * which case only that line changes. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/identity_cli.h"
#include "util/jsonw.h"

enum { FILE_MAX = 16 * 1024, LIST_MAX = 1000, DEFAULT_WINDOW_DAYS = 7 };

static int64_t now_s(void) {
  return (int64_t)time(NULL);
}

static void fmt_time(int64_t t, char *out, size_t cap) {
  if (t == 0)
    snprintf(out, cap, "never");
  else
    noc_identity_format_time(t, out, cap);
}

/* Days left rounded down (negative once past), like the guide's monitor computes them. */
static long days_left(int64_t exp, int64_t now) {
  int64_t left = exp - now;
  return (long)(left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
}

static void print_json(noc_buf *b) {
  printf("%s\n", b->data ? b->data : "{}");
  noc_buf_free(b);
}

/* ---------------------------------------------------------------- create ---- */

typedef struct create_opts {
  const char *data_dir, *scope, *description, *user, *output;
  long days;
  bool eternal, json, has_days;
} create_opts;

static int create_args(const char *prog, int argc, char **argv, create_opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int r;
    if ((r = noc_cli_opt(prog, argc, argv, &i, "--data-dir", &o->data_dir)) ||
        (r = noc_cli_opt(prog, argc, argv, &i, "--scope", &o->scope)) ||
        (r = noc_cli_opt(prog, argc, argv, &i, "--description", &o->description)) ||
        (r = noc_cli_opt(prog, argc, argv, &i, "--user", &o->user)) ||
        (r = noc_cli_opt(prog, argc, argv, &i, "--output", &o->output))) {
      if (r < 0) return NOC_EXIT_USAGE;
    } else if ((r = noc_cli_opt(prog, argc, argv, &i, "--days", &v)) != 0) {
      if (r < 0 || noc_cli_int(prog, "--days", v, 1, 3650, &o->days) < 0) return NOC_EXIT_USAGE;
      o->has_days = true;
    } else if (strcmp(argv[i], "--eternal") == 0) {
      o->eternal = true;
    } else if (strcmp(argv[i], "--json") == 0) {
      o->json = true;
    } else {
      fprintf(stderr, "%s: unknown argument '%s'\n", prog, argv[i]);
      return NOC_EXIT_USAGE;
    }
  }
  if (o->eternal && o->has_days) {
    fprintf(stderr, "%s: --days and --eternal exclude each other\n", prog);
    return NOC_EXIT_USAGE;
  }
  return NOC_EXIT_OK;
}

static int find_owner(noc_cli_env *e, const char *login, noc_user *owner) {
  noc_error err;
  noc_error_clear(&err);
  noc_store_rc rc = login ? noc_store_user_find(noc_identity_store(e->id), login, owner, &err)
                          : noc_identity_first_admin(e->id, owner, &err);
  if (rc == NOC_STORE_OK) return NOC_EXIT_OK;
  if (rc == NOC_STORE_NOT_FOUND && login)
    fprintf(stderr, "%s: no user '%s'\n", e->prog, login);
  else
    fprintf(stderr, "%s: %s\n", e->prog, err.message);
  return NOC_EXIT_FAILURE;
}

static void print_created(const create_opts *o, const noc_svc_issued *is, const noc_user *owner,
                          int64_t now) {
  char exp[32];
  fmt_time(is->row.expires_at, exp, sizeof exp);
  if (o->json) {
    noc_buf b;
    noc_buf_init(&b, 16 * 1024);
    noc_jw w;
    noc_jw_init(&w, &b);
    noc_jw_obj(&w);
    noc_jw_kstr(&w, "service_token", o->output ? NULL : is->token);
    noc_jw_kstr(&w, "token_id", is->row.id);
    noc_jw_kstr(&w, "scope", is->row.scope);
    noc_jw_kstr(&w, "expires_at", is->row.expires_at ? exp : NULL);
    noc_jw_key(&w, "expires_in_days");
    if (is->row.expires_at)
      noc_jw_int(&w, days_left(is->row.expires_at, now));
    else
      noc_jw_null(&w);
    noc_jw_kstr(&w, "description", is->row.description);
    noc_jw_kstr(&w, "user_id", owner->id);
    noc_jw_kstr(&w, "token_file", o->output);
    noc_jw_obj_end(&w);
    print_json(&b);
    return;
  }
  printf("Service token created.\n"
         "  Token ID:    %s\n  Scope:       %s\n  User:        %s (%s)\n",
         is->row.id, is->row.scope, owner->username, owner->email);
  if (is->row.expires_at)
    printf("  Expires:     %s (%ld days)\n", exp, days_left(is->row.expires_at, now));
  else
    printf("  Expires:     never (eternal token)\n");
  if (o->output)
    printf("  Written to:  %s (mode 0600)\n", o->output);
  else
    printf("\n%s\n\nUse it:  export NOCTURNA_SERVICE_TOKEN=%s\n", is->token, is->token);
}

static int token_create(int argc, char **argv) {
  const char *prog = "nocturna token create";
  create_opts o = {.days = 0};
  int rc = create_args(prog, argc, argv, &o);
  noc_cli_env e;
  if (rc == NOC_EXIT_OK) rc = noc_cli_env_config(&e, prog, o.data_dir);
  if (rc == NOC_EXIT_OK) rc = noc_cli_env_identity(&e);
  if (rc != NOC_EXIT_OK) return rc;
  noc_user owner;
  rc = find_owner(&e, o.user, &owner);
  noc_svc_issue req = {.subject = owner.id,
                       .scope = o.scope ? o.scope : "calculations",
                       .description = o.description,
                       .created_by = "",
                       .days = o.has_days ? (int)o.days : e.idc.service_days,
                       .eternal = o.eternal};
  noc_svc_issued is;
  noc_error err;
  noc_error_clear(&err);
  int64_t now = now_s();
  if (rc == NOC_EXIT_OK && noc_identity_issue_service(e.id, &req, now, &is, NULL, &err) != NOC_OK) {
    fprintf(stderr, "%s: %s%s%s\n", prog, err.field, err.field[0] ? ": " : "", err.message);
    rc = NOC_EXIT_FAILURE;
  }
  if (rc == NOC_EXIT_OK && o.output) {
    char content[NOC_IDENTITY_TOKEN_MAX + 2];
    snprintf(content, sizeof content, "%s\n", is.token);
    if (noc_identity_write_secret_file(o.output, content, &err) != NOC_OK) {
      fprintf(stderr, "%s: %s\n", prog, err.message);
      rc = NOC_EXIT_FAILURE;
    }
    sodium_memzero(content, sizeof content);
  }
  if (rc == NOC_EXIT_OK) {
    if (o.eternal)
      fprintf(stderr,
              "%s: warning: this token never expires; revoke it when it is no longer "
              "needed (nocturna token revoke %s)\n",
              prog, is.row.id);
    print_created(&o, &is, &owner, now);
    sodium_memzero(is.token, sizeof is.token);
  }
  noc_cli_env_close(&e);
  return rc;
}

/* ---------------------------------------------------------------- list, revoke ---- */

static const char *status_of(const noc_svc_token *t, int64_t now) {
  if (t->revoked_at) return "revoked";
  if (t->expires_at == 0) return "eternal";
  if (t->expires_at <= now) return "expired";
  return t->expires_at - now <= DEFAULT_WINDOW_DAYS * 86400 ? "expiring" : "active";
}

static void list_text(const noc_svc_token *list, int n, int64_t now) {
  if (n == 0) {
    printf("No service tokens.\n");
    return;
  }
  printf("%-36s  %-8s  %-19s  %-20s  %-9s  %-20s  %s\n", "TOKEN ID", "STATUS", "SCOPE", "EXPIRES",
         "DAYS LEFT", "LAST USED", "DESCRIPTION");
  for (int i = 0; i < n; i++) {
    const noc_svc_token *t = &list[i];
    char exp[32], used[32], left[16];
    fmt_time(t->expires_at, exp, sizeof exp);
    fmt_time(t->last_used_at, used, sizeof used);
    if (t->expires_at)
      snprintf(left, sizeof left, "%ld", days_left(t->expires_at, now));
    else
      snprintf(left, sizeof left, "-");
    printf("%-36s  %-8s  %-19s  %-20s  %-9s  %-20s  %s\n", t->id, status_of(t, now), t->scope, exp,
           left, t->last_used_at ? used : "never", t->description);
  }
}

static void list_json(const noc_svc_token *list, int n, int64_t now) {
  noc_buf b;
  noc_buf_init(&b, 4 * 1024 * 1024);
  noc_jw w;
  noc_jw_init(&w, &b);
  noc_jw_arr(&w);
  for (int i = 0; i < n; i++) {
    const noc_svc_token *t = &list[i];
    char tm[32];
    noc_jw_obj(&w);
    noc_jw_kstr(&w, "token_id", t->id);
    noc_jw_kstr(&w, "status", status_of(t, now));
    noc_jw_kstr(&w, "scope", t->scope);
    noc_jw_kstr(&w, "user_id", t->subject);
    noc_jw_kstr(&w, "description", t->description);
    fmt_time(t->created_at, tm, sizeof tm);
    noc_jw_kstr(&w, "created_at", tm);
    fmt_time(t->expires_at, tm, sizeof tm);
    noc_jw_kstr(&w, "expires_at", t->expires_at ? tm : NULL);
    fmt_time(t->last_used_at, tm, sizeof tm);
    noc_jw_kstr(&w, "last_used_at", t->last_used_at ? tm : NULL);
    fmt_time(t->revoked_at, tm, sizeof tm);
    noc_jw_kstr(&w, "revoked_at", t->revoked_at ? tm : NULL);
    noc_jw_kstr(&w, "renewed_from", t->renewed_from[0] ? t->renewed_from : NULL);
    noc_jw_obj_end(&w);
  }
  noc_jw_arr_end(&w);
  print_json(&b);
}

static int token_list(int argc, char **argv) {
  const char *prog = "nocturna token list";
  bool json;
  noc_cli_env e;
  int rc = noc_cli_list_env(prog, argc, argv, &json, NULL, &e);
  if (rc != NOC_EXIT_OK) return rc;
  noc_svc_token *list = calloc(LIST_MAX, sizeof *list);
  int n = 0;
  noc_error err;
  noc_error_clear(&err);
  if (list == NULL ||
      noc_store_svc_list(noc_identity_store(e.id), list, LIST_MAX, &n, &err) != NOC_STORE_OK) {
    fprintf(stderr, "%s: %s\n", prog, list ? err.message : "out of memory");
    rc = NOC_EXIT_FAILURE;
  } else if (json) {
    list_json(list, n, now_s());
  } else {
    list_text(list, n, now_s());
  }
  free(list);
  noc_cli_env_close(&e);
  return rc;
}

static int token_revoke(int argc, char **argv) {
  const char *prog = "nocturna token revoke";
  const char *id;
  noc_cli_env e;
  int rc = noc_cli_one_arg_env(prog, "TOKEN_ID", argc, argv, &id, &e);
  if (rc != NOC_EXIT_OK) return rc;
  noc_error err;
  noc_error_clear(&err);
  noc_store_rc src = noc_store_svc_revoke(noc_identity_store(e.id), id, now_s(), &err);
  if (src == NOC_STORE_OK) {
    printf("Service token %s revoked\n", id);
  } else {
    fprintf(stderr, "%s: %s\n", prog,
            src == NOC_STORE_NOT_FOUND ? "no service token with that id" : err.message);
    rc = NOC_EXIT_REQUEST;
  }
  noc_cli_env_close(&e);
  return rc;
}

/* ---------------------------------------------------------------- files ---- */

/* Reads up to FILE_MAX bytes into a NUL-terminated heap buffer. */
static char *read_file(const char *prog, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
    return NULL;
  }
  char *buf = malloc(FILE_MAX + 1);
  size_t len = 0;
  ssize_t n = 0;
  while (buf && len < FILE_MAX && (n = read(fd, buf + len, FILE_MAX - len)) > 0)
    len += (size_t)n;
  close(fd);
  if (buf == NULL || n < 0) {
    fprintf(stderr, "%s: cannot read %s\n", prog, path);
    free(buf);
    return NULL;
  }
  buf[len] = '\0';
  return buf;
}

/* Where the token is in the file's text: [*start, *start + *len). is_env: inside a
 * KEY=VALUE line. False when no token can be found. */
static bool locate_token(const char *text, size_t *start, size_t *len, bool *is_env) {
  static const char *const keys[] = {"NOCTURNA_SERVICE_TOKEN=", "SERVICE_TOKEN="};
  for (const char *line = text; *line; line += strcspn(line, "\n"), line += *line == '\n') {
    const char *p = line + strspn(line, " \t");
    if (strncmp(p, "export ", 7) == 0) p += 7;
    for (size_t k = 0; k < 2; k++) {
      if (strncmp(p, keys[k], strlen(keys[k])) != 0) continue;
      p += strlen(keys[k]);
      bool quoted = *p == '"' || *p == '\'';
      p += quoted;
      *start = (size_t)(p - text);
      *len = strcspn(p, quoted ? "\"'\n" : " \t\r\n#");
      *is_env = true;
      return *len > 0;
    }
  }
  size_t s = strspn(text, " \t\r\n");
  *start = s;
  *len = strcspn(text + s, " \t\r\n");
  *is_env = false;
  return *len > 0 && text[s + *len + strspn(text + s + *len, " \t\r\n")] == '\0';
}

/* ---------------------------------------------------------------- inspect ---- */

typedef struct inspect_result {
  noc_jwt_claims cl;
  const char *structure; /* NULL when decodable */
  const char *signature; /* "valid", "invalid: ...", "not checked: ..." */
  const char *record;    /* "active", "revoked", "not found", "not checked: ..." */
  char revoked_at[32];
  bool sig_bad, record_bad;
} inspect_result;

static bool key_available(const noc_http_config *http) {
  char path[NOC_CFG_PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/jwt-secret", http->data_dir);
  return http->secret_len > 0 || access(path, R_OK) == 0;
}

static bool storage_exists(const noc_cli_env *e) {
  if (noc_store_url_kind(e->idc.database_url) == 1) return true;
  char path[NOC_CFG_PATH_MAX + 32];
  if (strncmp(e->idc.database_url, "sqlite:", 7) == 0)
    snprintf(path, sizeof path, "%s", e->idc.database_url + 7);
  else
    snprintf(path, sizeof path, "%s/nocturna.db", e->http.data_dir);
  return access(path, R_OK) == 0;
}

static void check_record(noc_cli_env *e, inspect_result *r) {
  if (strcmp(r->cl.type, "service") != 0 || r->cl.token_id[0] == '\0') {
    r->record = "not applicable (not a service token)";
    return;
  }
  noc_svc_token t;
  noc_error err;
  noc_store_rc rc = noc_store_svc_get(noc_identity_store(e->id), r->cl.token_id, &t, &err);
  if (rc == NOC_STORE_OK && t.revoked_at) {
    r->record = "REVOKED";
    r->record_bad = true;
    noc_identity_format_time(t.revoked_at, r->revoked_at, sizeof r->revoked_at);
  } else if (rc == NOC_STORE_OK) {
    r->record = "active";
  } else if (rc == NOC_STORE_NOT_FOUND) {
    r->record = "NOT FOUND (revoked or from another installation)";
    r->record_bad = true;
  } else {
    r->record = "not checked: storage unavailable";
  }
}

/* Signature and record, when this machine has the key and the storage (never created here). */
static void check_authenticity(noc_cli_env *e, const char *tok, inspect_result *r) {
  if (!key_available(&e->http)) {
    r->signature = "not checked: no key here (NOCTURNA_SECRET_KEY or <data dir>/jwt-secret)";
    r->record = "not checked";
    return;
  }
  noc_error err;
  if (noc_auth_open(&e->auth, &e->http, &err) != NOC_OK) {
    r->signature = "not checked: the key cannot be loaded";
    r->record = "not checked";
    return;
  }
  noc_jwt_claims cl;
  noc_jwt_result v = noc_jwt_verify(noc_auth_keyring(e->auth), tok, strlen(tok), now_s(),
                                    INT64_C(1) << 40, &cl); /* times are judged separately */
  r->sig_bad = v != NOC_JWT_OK;
  r->signature = v == NOC_JWT_OK ? "valid" : "INVALID (not signed by this installation's key)";
  if (r->sig_bad || !storage_exists(e) ||
      noc_identity_open(&e->id, &e->idc, &e->http, noc_auth_keyring(e->auth), &err) != NOC_OK) {
    r->record = r->sig_bad ? "not checked" : "not checked: storage unavailable";
    return;
  }
  check_record(e, r);
}

static void inspect_print(const inspect_result *r, int64_t now, bool json) {
  const noc_jwt_claims *cl = &r->cl;
  bool expired = cl->has_exp && cl->exp <= now;
  const char *validity = !cl->has_exp ? "ETERNAL" : expired ? "EXPIRED" : "VALID";
  char iat[32], exp[32];
  fmt_time(cl->has_iat ? cl->iat : 0, iat, sizeof iat);
  fmt_time(cl->has_exp ? cl->exp : 0, exp, sizeof exp);
  if (json) {
    noc_buf b;
    noc_buf_init(&b, 16 * 1024);
    noc_jw w;
    noc_jw_init(&w, &b);
    noc_jw_obj(&w);
    noc_jw_kstr(&w, "status", validity);
    noc_jw_kstr(&w, "type", cl->type);
    noc_jw_kstr(&w, "subject", cl->sub);
    noc_jw_kstr(&w, "scope", cl->scope);
    noc_jw_kstr(&w, "token_id", cl->token_id[0] ? cl->token_id : NULL);
    noc_jw_kstr(&w, "issued_at", cl->has_iat ? iat : NULL);
    noc_jw_kstr(&w, "expires_at", cl->has_exp ? exp : NULL);
    noc_jw_key(&w, "days_left");
    if (cl->has_exp)
      noc_jw_int(&w, days_left(cl->exp, now));
    else
      noc_jw_null(&w);
    noc_jw_kstr(&w, "signature", r->signature);
    noc_jw_kstr(&w, "record", r->record);
    noc_jw_obj_end(&w);
    print_json(&b);
    return;
  }
  printf("Status:     %s", validity);
  if (cl->has_exp) printf(" (%ld days left)", days_left(cl->exp, now));
  printf("\nType:       %s\nSubject:    %s\nScope:      %s\nToken ID:   %s\n", cl->type, cl->sub,
         cl->scope, cl->token_id[0] ? cl->token_id : "-");
  printf("Issued:     %s\nExpires:    %s\nSignature:  %s\nRecord:     %s%s%s\n",
         cl->has_iat ? iat : "-", cl->has_exp ? exp : "never (eternal token)", r->signature,
         r->record, r->revoked_at[0] ? " at " : "", r->revoked_at);
}

static int token_inspect(int argc, char **argv) {
  const char *prog = "nocturna token inspect";
  const char *data_dir = NULL, *tok = NULL, *file = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    int r1 = 0, r2 = 0;
    if ((r1 = noc_cli_opt(prog, argc, argv, &i, "--data-dir", &data_dir)) ||
        (r2 = noc_cli_opt(prog, argc, argv, &i, "--token-file", &file))) {
      if (r1 < 0 || r2 < 0) return NOC_EXIT_USAGE;
    } else if (strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (tok == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
      tok = argv[i];
    } else {
      fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[i]);
      return NOC_EXIT_USAGE;
    }
  }
  char *text = NULL;
  if (file != NULL || (tok != NULL && strcmp(tok, "-") == 0))
    text = read_file(prog, file ? file : "/dev/stdin");
  size_t start = 0, len = 0;
  bool is_env;
  if (text != NULL && locate_token(text, &start, &len, &is_env)) {
    text[start + len] = '\0';
    tok = text + start;
  } else if (text != NULL || file != NULL) {
    fprintf(stderr, "%s: no token found in %s\n", prog, file ? file : "standard input");
    free(text);
    return NOC_EXIT_REQUEST;
  }
  if (tok == NULL) {
    fprintf(stderr, "usage: %s TOKEN|-|--token-file FILE [--json] [--data-dir D]\n", prog);
    return NOC_EXIT_USAGE;
  }
  inspect_result r;
  memset(&r, 0, sizeof r);
  noc_jwt_result d = noc_jwt_decode_unverified(tok, strlen(tok), &r.cl);
  if (d != NOC_JWT_OK) {
    fprintf(stderr, "%s: not a token this service issues: %s\n", prog, noc_jwt_result_message(d));
    free(text);
    return NOC_EXIT_REQUEST;
  }
  noc_cli_env e;
  int rc = noc_cli_env_config(&e, prog, data_dir);
  if (rc == NOC_EXIT_OK) {
    check_authenticity(&e, tok, &r);
    int64_t now = now_s();
    inspect_print(&r, now, json);
    bool expired = r.cl.has_exp && r.cl.exp <= now;
    rc = (expired || r.sig_bad || r.record_bad) ? NOC_EXIT_REQUEST : NOC_EXIT_OK;
    noc_cli_env_close(&e);
  }
  free(text);
  return rc;
}

/* ---------------------------------------------------------------- renew ---- */

typedef struct renew_opts {
  const char *data_dir, *file;
  long window, days;
  bool force, revoke_old, has_days;
} renew_opts;

static int renew_args(const char *prog, int argc, char **argv, renew_opts *o) {
  o->window = DEFAULT_WINDOW_DAYS;
  for (int i = 1; i < argc; i++) {
    const char *v = NULL;
    int r;
    if ((r = noc_cli_opt(prog, argc, argv, &i, "--data-dir", &o->data_dir)) ||
        (r = noc_cli_opt(prog, argc, argv, &i, "--token-file", &o->file))) {
      if (r < 0) return NOC_EXIT_USAGE;
    } else if ((r = noc_cli_opt(prog, argc, argv, &i, "--days-before-expiry", &v)) != 0) {
      if (r < 0 || noc_cli_int(prog, "--days-before-expiry", v, 0, 3650, &o->window) < 0)
        return NOC_EXIT_USAGE;
    } else if ((r = noc_cli_opt(prog, argc, argv, &i, "--days", &v)) != 0) {
      if (r < 0 || noc_cli_int(prog, "--days", v, 1, 3650, &o->days) < 0) return NOC_EXIT_USAGE;
      o->has_days = true;
    } else if (strcmp(argv[i], "--force") == 0) {
      o->force = true;
    } else if (strcmp(argv[i], "--revoke-old") == 0) {
      o->revoke_old = true;
    } else {
      fprintf(stderr, "%s: unknown argument '%s'\n", prog, argv[i]);
      return NOC_EXIT_USAGE;
    }
  }
  if (o->file == NULL) {
    fprintf(stderr,
            "usage: %s --token-file FILE [--days-before-expiry 7] [--force] "
            "[--days N] [--revoke-old] [--data-dir D]\n",
            prog);
    return NOC_EXIT_USAGE;
  }
  return NOC_EXIT_OK;
}

/* The stored record behind the old token, which must verify with this installation's key
 * (an expired one is fine: renewing it is the point) and must not be revoked. */
static int renewable(noc_cli_env *e, const char *tok, noc_svc_token *old) {
  noc_jwt_claims cl;
  noc_jwt_result v =
      noc_jwt_verify(noc_auth_keyring(e->auth), tok, strlen(tok), now_s(), INT64_C(1) << 40, &cl);
  if (v != NOC_JWT_OK || strcmp(cl.type, "service") != 0 || cl.token_id[0] == '\0') {
    fprintf(stderr, "%s: the file does not hold a service token of this installation (%s)\n",
            e->prog, v != NOC_JWT_OK ? noc_jwt_result_message(v) : "wrong type");
    return NOC_EXIT_REQUEST;
  }
  noc_error err;
  noc_error_clear(&err);
  noc_store_rc rc = noc_store_svc_get(noc_identity_store(e->id), cl.token_id, old, &err);
  if (rc == NOC_STORE_OK && old->revoked_at == 0) return NOC_EXIT_OK;
  if (rc == NOC_STORE_OK || rc == NOC_STORE_NOT_FOUND)
    fprintf(stderr, "%s: token %s was revoked; create a new one with `nocturna token create`\n",
            e->prog, cl.token_id);
  else
    fprintf(stderr, "%s: %s\n", e->prog, err.message);
  return rc == NOC_STORE_UNAVAILABLE ? NOC_EXIT_FAILURE : NOC_EXIT_REQUEST;
}

/* The file's text with the token span replaced by the new token. */
static int write_renewed(const char *prog, const char *path, const char *text, size_t start,
                         size_t len, bool is_env, const char *token) {
  size_t total = strlen(text) + NOC_IDENTITY_TOKEN_MAX + 2;
  char *out = malloc(total);
  if (out == NULL) return NOC_EXIT_FAILURE;
  if (is_env)
    snprintf(out, total, "%.*s%s%s", (int)start, text, token, text + start + len);
  else
    snprintf(out, total, "%s\n", token);
  noc_error err;
  noc_status st = noc_identity_write_secret_file(path, out, &err);
  sodium_memzero(out, total);
  free(out);
  if (st != NOC_OK) {
    fprintf(stderr, "%s: %s\n", prog, err.message);
    return NOC_EXIT_FAILURE;
  }
  return NOC_EXIT_OK;
}

static int renew_with(noc_cli_env *e, const renew_opts *o, const char *text, size_t start,
                      size_t len, bool is_env, const char *tok) {
  noc_svc_token old;
  int rc = renewable(e, tok, &old);
  if (rc != NOC_EXIT_OK) return rc;
  int64_t now = now_s();
  long life = old.expires_at ? (long)((old.expires_at - old.created_at + 43200) / 86400) : 30;
  noc_svc_issue req = {.subject = old.subject,
                       .scope = old.scope,
                       .description = old.description,
                       .created_by = old.created_by,
                       .renewed_from = old.id,
                       .days = (int)(o->has_days ? o->days
                                     : life < 1  ? 1
                                                 : life)};
  noc_svc_issued is;
  noc_error err;
  noc_error_clear(&err);
  if (noc_identity_issue_service(e->id, &req, now, &is, NULL, &err) != NOC_OK) {
    fprintf(stderr, "%s: cannot renew: %s\n", e->prog, err.message);
    return NOC_EXIT_FAILURE;
  }
  rc = write_renewed(e->prog, o->file, text, start, len, is_env, is.token);
  sodium_memzero(is.token, sizeof is.token);
  if (rc != NOC_EXIT_OK) {
    (void)noc_store_svc_revoke(noc_identity_store(e->id), is.row.id, now, &err);
    return rc;
  }
  if (o->revoke_old) (void)noc_store_svc_revoke(noc_identity_store(e->id), old.id, now, &err);
  char exp[32];
  fmt_time(is.row.expires_at, exp, sizeof exp);
  printf("Renewed service token %s -> %s (scope %s, expires %s, %ld days).\n", old.id, is.row.id,
         is.row.scope, exp, days_left(is.row.expires_at, now));
  printf("Wrote %s (mode 0600).%s\n", o->file,
         o->revoke_old ? " The old token is revoked."
                       : " The old token stays valid until it expires.");
  printf("Token renewal complete\n");
  return NOC_EXIT_OK;
}

/* Whether renewal is due; prints why not when it is not. */
static bool renewal_due(const renew_opts *o, const noc_jwt_claims *cl) {
  int64_t now = now_s();
  if (!cl->has_exp) {
    printf("Token is eternal (no expiry); renewal not needed.\n");
    return false;
  }
  if (o->force || cl->exp - now <= (int64_t)o->window * 86400) return true;
  char exp[32];
  fmt_time(cl->exp, exp, sizeof exp);
  printf("Token still valid for %ld days (expires %s).\nRenewal not needed (threshold: %ld "
         "days).\n",
         days_left(cl->exp, now), exp, o->window);
  return false;
}

static int token_renew(int argc, char **argv) {
  const char *prog = "nocturna token renew";
  renew_opts o = {0};
  int rc = renew_args(prog, argc, argv, &o);
  if (rc != NOC_EXIT_OK) return rc;
  char *text = read_file(prog, o.file);
  if (text == NULL) return NOC_EXIT_FAILURE;
  size_t start, len;
  bool is_env;
  char tok[NOC_JWT_MAX_TOKEN + 1];
  noc_jwt_claims cl;
  memset(&cl, 0, sizeof cl);
  if (!locate_token(text, &start, &len, &is_env) || len > NOC_JWT_MAX_TOKEN) {
    fprintf(stderr, "%s: no token found in %s\n", prog, o.file);
    rc = NOC_EXIT_REQUEST;
  } else {
    snprintf(tok, sizeof tok, "%.*s", (int)len, text + start);
    if (noc_jwt_decode_unverified(tok, strlen(tok), &cl) != NOC_JWT_OK) {
      fprintf(stderr, "%s: %s does not hold a token\n", prog, o.file);
      rc = NOC_EXIT_REQUEST;
    }
  }
  noc_cli_env e;
  if (rc == NOC_EXIT_OK && renewal_due(&o, &cl)) {
    rc = noc_cli_env_config(&e, prog, o.data_dir);
    if (rc == NOC_EXIT_OK) rc = noc_cli_env_identity(&e);
    if (rc == NOC_EXIT_OK) {
      rc = renew_with(&e, &o, text, start, len, is_env, tok);
      noc_cli_env_close(&e);
    }
  }
  sodium_memzero(text, strlen(text));
  free(text);
  return rc;
}

/* ---------------------------------------------------------------- dispatch ---- */

static void usage(FILE *out) {
  fprintf(out, "usage: nocturna token <command> [--data-dir D]\n"
               "  create [--days N | --eternal] [--scope S] [--description D] [--user LOGIN]\n"
               "         [--output FILE] [--json]     make a service token (default 30 days,\n"
               "                                      scope calculations, owner the first admin)\n"
               "  list [--json]                       every service token and its state\n"
               "  revoke TOKEN_ID                     refuse the token from now on\n"
               "  inspect TOKEN|-|--token-file F [--json]\n"
               "                                      expiry and days left (no key needed);\n"
               "                                      signature and revocation when available\n"
               "  renew --token-file FILE [--days-before-expiry 7] [--force] [--days N]\n"
               "        [--revoke-old]                renew when due; prints\n"
               "                                      \"Token renewal complete\" when it did\n");
}

int noc_cli_token(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? NOC_EXIT_USAGE : NOC_EXIT_OK;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "create") == 0) return token_create(argc - 1, argv + 1);
  if (strcmp(sub, "list") == 0) return token_list(argc - 1, argv + 1);
  if (strcmp(sub, "revoke") == 0) return token_revoke(argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0) return token_inspect(argc - 1, argv + 1);
  if (strcmp(sub, "renew") == 0) return token_renew(argc - 1, argv + 1);
  fprintf(stderr, "nocturna token: unknown command '%s'\n", sub);
  usage(stderr);
  return NOC_EXIT_USAGE;
}
