/* `nocturna admin create|list|promote|activate|deactivate`: users with administrator rights,
 * and switching accounts on and off (registration with approval, leavers). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/identity_cli.h"
#include "util/jsonw.h"

enum { LIST_MAX = 1000, GENERATED_LEN = 20 };

/* One line from stdin without its newline; false when there is none. */
static bool read_password_line(char *out, size_t cap) {
  if (fgets(out, (int)cap, stdin) == NULL) return false;
  out[strcspn(out, "\r\n")] = '\0';
  return true;
}

static void generate_password(char *out, size_t n) {
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  out[n] = '\0';
}

static int admin_create(int argc, char **argv) {
  const char *prog = "nocturna admin create";
  const char *data_dir = NULL, *email = NULL, *username = NULL;
  bool from_stdin = false;
  for (int i = 1; i < argc; i++) {
    int r = 0;
    if ((r = noc_cli_opt(prog, argc, argv, &i, "--data-dir", &data_dir)) ||
        (r = noc_cli_opt(prog, argc, argv, &i, "--email", &email)) ||
        (r = noc_cli_opt(prog, argc, argv, &i, "--username", &username))) {
      if (r < 0) return NOC_EXIT_USAGE;
    } else if (strcmp(argv[i], "--password-stdin") == 0) {
      from_stdin = true;
    } else {
      fprintf(stderr, "%s: unknown argument '%s'\n", prog, argv[i]);
      return NOC_EXIT_USAGE;
    }
  }
  noc_cli_env e;
  int rc = noc_cli_env_config(&e, prog, data_dir);
  if (rc == NOC_EXIT_OK) rc = noc_cli_env_identity(&e);
  if (rc != NOC_EXIT_OK) return rc;
  char password[1100];
  const char *env_pw = getenv("NOCTURNA_ADMIN_PASSWORD");
  bool generated = false;
  if (from_stdin) {
    if (!read_password_line(password, sizeof password)) {
      fprintf(stderr, "%s: no password on standard input\n", prog);
      noc_cli_env_close(&e);
      return NOC_EXIT_USAGE;
    }
  } else if (env_pw != NULL && env_pw[0] != '\0') {
    snprintf(password, sizeof password, "%s", env_pw);
  } else {
    generate_password(password, GENERATED_LEN);
    generated = true;
  }
  noc_new_user nu = {.email = email ? email : e.idc.admin_email,
                     .username = username ? username : e.idc.admin_username,
                     .password = password,
                     .superuser = true,
                     .active = true};
  noc_user u;
  noc_store_rc src;
  noc_error err;
  noc_error_clear(&err);
  if (noc_identity_create_user(e.id, &nu, (int64_t)time(NULL), &u, &src, &err) != NOC_OK) {
    fprintf(stderr, "%s: %s%s%s\n", prog, err.field, err.field[0] ? ": " : "", err.message);
    rc = src == NOC_STORE_CONFLICT ? NOC_EXIT_REQUEST : NOC_EXIT_FAILURE;
  } else {
    printf("Created administrator %s (%s), id %s\n", u.username, u.email, u.id);
    if (generated) printf("Password (shown only now): %s\n", password);
  }
  sodium_memzero(password, sizeof password);
  noc_cli_env_close(&e);
  return rc;
}

static void list_print(const noc_user *list, int n, bool json) {
  if (json) {
    noc_buf b;
    noc_buf_init(&b, 4 * 1024 * 1024);
    noc_jw w;
    noc_jw_init(&w, &b);
    noc_jw_arr(&w);
    for (int i = 0; i < n; i++) {
      char tm[32];
      noc_identity_format_time(list[i].created_at, tm, sizeof tm);
      noc_jw_obj(&w);
      noc_jw_kstr(&w, "id", list[i].id);
      noc_jw_kstr(&w, "username", list[i].username);
      noc_jw_kstr(&w, "email", list[i].email);
      noc_jw_kbool(&w, "is_active", list[i].is_active);
      noc_jw_kbool(&w, "is_superuser", list[i].is_superuser);
      noc_jw_kstr(&w, "created_at", tm);
      noc_jw_obj_end(&w);
    }
    noc_jw_arr_end(&w);
    printf("%s\n", b.data ? b.data : "[]");
    noc_buf_free(&b);
    return;
  }
  if (n == 0) {
    printf("No users.\n");
    return;
  }
  printf("%-36s  %-20s  %-32s  %-6s  %-5s  %s\n", "ID", "USERNAME", "EMAIL", "ACTIVE", "ADMIN",
         "CREATED");
  for (int i = 0; i < n; i++) {
    char tm[32];
    noc_identity_format_time(list[i].created_at, tm, sizeof tm);
    printf("%-36s  %-20s  %-32s  %-6s  %-5s  %s\n", list[i].id, list[i].username, list[i].email,
           list[i].is_active ? "yes" : "no", list[i].is_superuser ? "yes" : "no", tm);
  }
}

static int admin_list(int argc, char **argv) {
  const char *prog = "nocturna admin list";
  bool json, all;
  noc_cli_env e;
  int rc = noc_cli_list_env(prog, argc, argv, &json, &all, &e);
  if (rc != NOC_EXIT_OK) return rc;
  noc_user *list = calloc(LIST_MAX, sizeof *list);
  int n = 0;
  noc_error err;
  noc_error_clear(&err);
  if (list == NULL || noc_store_user_list(noc_identity_store(e.id), !all, list, LIST_MAX, &n,
                                          &err) != NOC_STORE_OK) {
    fprintf(stderr, "%s: %s\n", prog, list ? err.message : "out of memory");
    rc = NOC_EXIT_FAILURE;
  } else {
    list_print(list, n, json);
  }
  free(list);
  noc_cli_env_close(&e);
  return rc;
}

/* promote / activate / deactivate LOGIN */
static int admin_flag(int argc, char **argv, const char *what, int active, int superuser) {
  char prog[64];
  snprintf(prog, sizeof prog, "nocturna admin %s", what);
  const char *login;
  noc_cli_env e;
  int rc = noc_cli_one_arg_env(prog, "EMAIL|USERNAME", argc, argv, &login, &e);
  if (rc != NOC_EXIT_OK) return rc;
  noc_user u;
  noc_error err;
  noc_error_clear(&err);
  noc_store *s = noc_identity_store(e.id);
  noc_store_rc src = noc_store_user_find(s, login, &u, &err);
  if (src == NOC_STORE_OK)
    src = noc_store_user_set_flags(s, u.id, active, superuser, (int64_t)time(NULL), &err);
  if (src == NOC_STORE_OK) {
    printf("User %s (%s): %s\n", u.username, u.email, what);
  } else {
    fprintf(stderr, "%s: %s\n", prog, src == NOC_STORE_NOT_FOUND ? "no such user" : err.message);
    rc = src == NOC_STORE_NOT_FOUND ? NOC_EXIT_REQUEST : NOC_EXIT_FAILURE;
  }
  noc_cli_env_close(&e);
  return rc;
}

static void usage(FILE *out) {
  fprintf(out, "usage: nocturna admin <command> [--data-dir D]\n"
               "  create [--email E] [--username U] [--password-stdin]\n"
               "         an administrator; the password comes from standard input, else\n"
               "         NOCTURNA_ADMIN_PASSWORD, else is generated and printed once\n"
               "  list [--all] [--json]     administrators (--all: every user)\n"
               "  promote LOGIN             give a user administrator rights\n"
               "  activate LOGIN            allow a user to log in (approval)\n"
               "  deactivate LOGIN          refuse the user's logins and tokens from now on\n");
}

int noc_cli_admin(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? NOC_EXIT_USAGE : NOC_EXIT_OK;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "create") == 0) return admin_create(argc - 1, argv + 1);
  if (strcmp(sub, "list") == 0) return admin_list(argc - 1, argv + 1);
  if (strcmp(sub, "promote") == 0) return admin_flag(argc - 1, argv + 1, "promote", -1, 1);
  if (strcmp(sub, "activate") == 0) return admin_flag(argc - 1, argv + 1, "activate", 1, -1);
  if (strcmp(sub, "deactivate") == 0) return admin_flag(argc - 1, argv + 1, "deactivate", 0, -1);
  fprintf(stderr, "nocturna admin: unknown command '%s'\n", sub);
  usage(stderr);
  return NOC_EXIT_USAGE;
}
