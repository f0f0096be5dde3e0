/* worker_cli.h - `nocturna worker`: the asynchronous worker over a Redis queue
 * (docs/worker.md). */
#ifndef NOC_CLI_WORKER_CLI_H
#define NOC_CLI_WORKER_CLI_H

/* argv[0] is "worker". Returns the process exit status (cli.h). */
int noc_cli_worker(int argc, char **argv);

#endif
