/* Set-up shared by the identity subcommands: configuration, keys and storage as the server
 * would have them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/identity_cli.h"

int noc_cli_opt(const char *prog, int argc, char **argv, int *i, const char *name,
                const char **value) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '=')) return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (*i + 1 >= argc) {
    fprintf(stderr, "%s: %s needs a value\n", prog, name);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

int noc_cli_one_arg_env(const char *prog, const char *what, int argc, char **argv, const char **arg,
                        noc_cli_env *e) {
  const char *data_dir = NULL;
  *arg = NULL;
  for (int i = 1; i < argc; i++) {
    int r = noc_cli_opt(prog, argc, argv, &i, "--data-dir", &data_dir);
    if (r < 0) return NOC_EXIT_USAGE;
    if (r == 0 && *arg == NULL && argv[i][0] != '-') {
      *arg = argv[i];
    } else if (r == 0) {
      fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[i]);
      return NOC_EXIT_USAGE;
    }
  }
  if (*arg == NULL) {
    fprintf(stderr, "usage: %s %s [--data-dir D]\n", prog, what);
    return NOC_EXIT_USAGE;
  }
  int rc = noc_cli_env_config(e, prog, data_dir);
  if (rc == NOC_EXIT_OK) rc = noc_cli_env_identity(e);
  return rc;
}

int noc_cli_list_env(const char *prog, int argc, char **argv, bool *json, bool *all,
                     noc_cli_env *e) {
  const char *data_dir = NULL;
  *json = false;
  if (all) *all = false;
  for (int i = 1; i < argc; i++) {
    int r = noc_cli_opt(prog, argc, argv, &i, "--data-dir", &data_dir);
    if (r < 0) return NOC_EXIT_USAGE;
    if (r == 0 && strcmp(argv[i], "--json") == 0) {
      *json = true;
    } else if (r == 0 && all != NULL && strcmp(argv[i], "--all") == 0) {
      *all = true;
    } else if (r == 0) {
      fprintf(stderr, "%s: unknown argument '%s'\n", prog, argv[i]);
      return NOC_EXIT_USAGE;
    }
  }
  int rc = noc_cli_env_config(e, prog, data_dir);
  if (rc == NOC_EXIT_OK) rc = noc_cli_env_identity(e);
  return rc;
}

int noc_cli_int(const char *prog, const char *name, const char *value, long min, long max,
                long *out) {
  errno = 0;
  char *end = NULL;
  long v = strtol(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
    fprintf(stderr, "%s: %s must be a whole number from %ld to %ld\n", prog, name, min, max);
    return -1;
  }
  *out = v;
  return 0;
}

int noc_cli_env_config(noc_cli_env *e, const char *prog, const char *data_dir) {
  memset(e, 0, sizeof *e);
  e->prog = prog;
  noc_error err;
  noc_error_clear(&err);
  noc_http_config_defaults(&e->http);
  noc_identity_config_defaults(&e->idc);
  noc_status st = noc_http_config_from_env(&e->http, &err);
  if (st == NOC_OK && data_dir != NULL)
    st = noc_http_config_set(&e->http, "data_dir", data_dir, "--data-dir", &err);
  if (st == NOC_OK) st = noc_identity_config_from_env(&e->idc, &err);
  if (st != NOC_OK) {
    fprintf(stderr, "%s: %s: %s\n", prog, err.field, err.message);
    return NOC_EXIT_USAGE;
  }
  return NOC_EXIT_OK;
}

int noc_cli_env_identity(noc_cli_env *e) {
  noc_error err;
  noc_error_clear(&err);
  noc_status st = noc_auth_open(&e->auth, &e->http, &err);
  if (st == NOC_OK)
    st = noc_identity_open(&e->id, &e->idc, &e->http, noc_auth_keyring(e->auth), &err);
  if (st != NOC_OK) {
    fprintf(stderr, "%s: %s%s%s\n", e->prog, err.field, err.field[0] ? ": " : "", err.message);
    noc_cli_env_close(e);
    return st == NOC_ERR_VALIDATION ? NOC_EXIT_USAGE : NOC_EXIT_FAILURE;
  }
  return NOC_EXIT_OK;
}

void noc_cli_env_close(noc_cli_env *e) {
  noc_identity_close(e->id);
  noc_auth_close(e->auth);
  e->id = NULL;
  e->auth = NULL;
}
