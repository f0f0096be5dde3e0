/* `nocturna migrate [--status]`: applies the schema migrations the database lacks (the server
 * does the same at start), or only reports the version. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/identity_cli.h"
#include "store/store.h"

int noc_cli_migrate(int argc, char **argv) {
  const char *prog = "nocturna migrate";
  const char *data_dir = NULL;
  bool status_only = false;
  for (int i = 1; i < argc; i++) {
    int r = noc_cli_opt(prog, argc, argv, &i, "--data-dir", &data_dir);
    if (r < 0) return NOC_EXIT_USAGE;
    if (r == 0 && strcmp(argv[i], "--status") == 0) {
      status_only = true;
    } else if (r == 0 && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
      printf("usage: nocturna migrate [--status] [--data-dir D]\n"
             "  applies pending schema migrations (forward only); --status only reports\n");
      return NOC_EXIT_OK;
    } else if (r == 0) {
      fprintf(stderr, "%s: unknown argument '%s'\n", prog, argv[i]);
      return NOC_EXIT_USAGE;
    }
  }
  noc_cli_env e;
  int rc = noc_cli_env_config(&e, prog, data_dir);
  if (rc != NOC_EXIT_OK) return rc;
  noc_store_config sc;
  memset(&sc, 0, sizeof sc);
  snprintf(sc.url, sizeof sc.url, "%s", e.idc.database_url);
  snprintf(sc.data_dir, sizeof sc.data_dir, "%s", e.http.data_dir);
  sc.pool_size = 1;
  noc_store *s = NULL;
  noc_error err;
  noc_error_clear(&err);
  if (noc_store_open(&s, &sc, &err) != NOC_OK) {
    fprintf(stderr, "%s: %s: %s\n", prog, err.field, err.message);
    return NOC_EXIT_USAGE;
  }
  int from = 0, to = 0;
  noc_store_rc src = status_only ? noc_store_schema_version(s, &from, &err)
                                 : noc_store_migrate(s, &from, &to, &err);
  if (src != NOC_STORE_OK) {
    fprintf(stderr, "%s: %s at %s: %s\n", prog, noc_store_backend(s), noc_store_location(s),
            err.message);
    rc = NOC_EXIT_FAILURE;
  } else if (status_only) {
    printf("Database: %s at %s\nSchema version %d of %d%s\n", noc_store_backend(s),
           noc_store_location(s), from, NOC_STORE_SCHEMA_VERSION,
           from == NOC_STORE_SCHEMA_VERSION ? " (up to date)" : " (run `nocturna migrate`)");
    rc = from == NOC_STORE_SCHEMA_VERSION ? NOC_EXIT_OK : NOC_EXIT_REQUEST;
  } else {
    printf("Database: %s at %s\nSchema version %d -> %d (%d migration%s applied)\n",
           noc_store_backend(s), noc_store_location(s), from, to, to - from,
           to - from == 1 ? "" : "s");
  }
  noc_store_close(s);
  return rc;
}
