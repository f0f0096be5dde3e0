/* nocturna: one binary, many subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/identity_cli.h"
#include "cli/worker_cli.h"
#include "nocturna/context.h"

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: nocturna <command> [options]\n"
      "\n"
      "commands:\n"
      "  serve     run the HTTP service\n"
      "  calc      answer one API request from a file or stdin: calc [--ndjson] ENDPOINT [FILE|-]\n"
      "  token     service tokens: create, list, revoke, inspect, renew\n"
      "  admin     administrators: create, list, promote, activate, deactivate\n"
      "  migrate   apply the storage schema migrations (--status to list them)\n"
      "  worker    run calculation jobs from a Redis queue: worker [--threads N] [--queue KEY]\n"
      "  bench     requests per second in process: bench [--threads N] [--seconds S]\n"
      "  version   print versions\n"
      "\n"
      "See README.md and docs/ for configuration.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return NOC_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "calc") == 0) return noc_cli_calc(argc - 1, argv + 1);
  if (strcmp(cmd, "serve") == 0) return noc_cli_serve(argc - 1, argv + 1);
  if (strcmp(cmd, "token") == 0) return noc_cli_token(argc - 1, argv + 1);
  if (strcmp(cmd, "admin") == 0) return noc_cli_admin(argc - 1, argv + 1);
  if (strcmp(cmd, "migrate") == 0) return noc_cli_migrate(argc - 1, argv + 1);
  if (strcmp(cmd, "bench") == 0) return noc_cli_bench(argc - 1, argv + 1);
  if (strcmp(cmd, "worker") == 0) return noc_cli_worker(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("nocturna %s\n", noc_version());
    return NOC_EXIT_OK;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return NOC_EXIT_OK;
  }
  fprintf(stderr, "nocturna: unknown command '%s'\n", cmd);
  usage(stderr);
  return NOC_EXIT_USAGE;
}
