/* Subcommands of the one `nocturna` binary. Each returns the process exit status. */
#ifndef NOC_CLI_H
#define NOC_CLI_H

/* Exit statuses shared by the subcommands. */
enum { NOC_EXIT_OK = 0, NOC_EXIT_REQUEST = 1, NOC_EXIT_USAGE = 2, NOC_EXIT_FAILURE = 3 };

int noc_cli_calc(int argc, char **argv);
int noc_cli_serve(int argc, char **argv);
int noc_cli_bench(int argc, char **argv);

#endif
