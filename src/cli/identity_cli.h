/* identity_cli.h - `nocturna token`, `nocturna admin`, `nocturna migrate`, and the set-up they
 * share: the server's configuration (defaults, NOCTURNA_* variables, --data-dir), its keys and
 * its storage, so that what the command line does is exactly what the server would do. */
#ifndef NOC_CLI_IDENTITY_CLI_H
#define NOC_CLI_IDENTITY_CLI_H

#include <stdbool.h>

#include "http/auth.h"
#include "http/config.h"
#include "http/identity.h"

int noc_cli_token(int argc, char **argv);
int noc_cli_admin(int argc, char **argv);
int noc_cli_migrate(int argc, char **argv);

/* ---- shared by token.c, admin.c, migrate.c (identity_cli.c) ---- */

typedef struct noc_cli_env {
  const char *prog; /* "nocturna token", for messages */
  noc_http_config http;
  noc_identity_config idc;
  noc_auth *auth;   /* owned; NULL until noc_cli_env_identity */
  noc_identity *id; /* owned; NULL until noc_cli_env_identity */
} noc_cli_env;

/* Reads the configuration; --data-dir (when given) wins. Returns an exit status. */
int noc_cli_env_config(noc_cli_env *e, const char *prog, const char *data_dir);
/* Loads the keys (creating the key file like the server would) and opens storage (applying
 * migrations). Returns an exit status; prints the reason on failure. */
int noc_cli_env_identity(noc_cli_env *e);
void noc_cli_env_close(noc_cli_env *e);

/* Option parsing: when argv[*i] is `name VALUE` or `name=VALUE`, stores VALUE, advances *i
 * past it and returns 1; 0 when argv[*i] is another argument; -1 (after a message) when the
 * value is missing. */
int noc_cli_opt(const char *prog, int argc, char **argv, int *i, const char *name,
                const char **value);
/* For commands taking one positional argument and --data-dir (`token revoke ID`,
 * `admin promote LOGIN`): parses argv, reads the configuration and opens identity into *e.
 * what names the argument in the usage line. Returns an exit status; on success the caller
 * owns *e and must close it. */
int noc_cli_one_arg_env(const char *prog, const char *what, int argc, char **argv, const char **arg,
                        noc_cli_env *e);
/* For the list commands (`token list`, `admin list`): parses --data-dir, --json and, when all is
 * not NULL, --all; reads the configuration and opens identity into *e. Returns an exit status;
 * on success the caller owns *e and must close it. */
int noc_cli_list_env(const char *prog, int argc, char **argv, bool *json, bool *all,
                     noc_cli_env *e);
/* A whole number in [min, max] or -1 after a message. */
int noc_cli_int(const char *prog, const char *name, const char *value, long min, long max,
                long *out);

#endif
