/* `nocturna worker [--threads N] [--queue KEY]`: calculation jobs from a Redis list until
 * SIGTERM/SIGINT (docs/worker.md).
 *
 * SIGTERM and SIGINT are blocked before any thread starts, so every worker thread inherits the
 * mask and the main thread takes them with sigtimedwait: no handler, no async-signal safety. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/worker_cli.h"
#include "http/log.h"
#include "worker/worker.h"

#define PROG "nocturna worker"

enum { RESULT_TTL_DEFAULT = 86400, RESULT_TTL_MAX = 365 * 86400 };

static void usage(FILE *out) {
  fprintf(out,
          "usage: " PROG " [--threads N] [--queue KEY]\n"
          "  Pops calculation jobs from a Redis list and stores the answers (docs/worker.md).\n"
          "  --threads N   worker threads, 1..%d (default: the number of CPUs)\n"
          "  --queue KEY   list to pop jobs from (default: " NOC_WORKER_QUEUE_DEFAULT ")\n"
          "environment: NOCTURNA_REDIS_URL (required), NOCTURNA_WORKER_RESULT_TTL (seconds,\n"
          "  default %d), NOCTURNA_EPHE_PATH, NOCTURNA_ZONEINFO, NOCTURNA_LOG_LEVEL\n",
          NOC_WORKER_THREADS_MAX, RESULT_TTL_DEFAULT);
}

/* A whole number in [min, max]; false after a message. */
static bool parse_long(const char *name, const char *s, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
    fprintf(stderr, PROG ": %s must be a whole number in %ld..%ld (got '%s')\n", name, min, max, s);
    return false;
  }
  *out = v;
  return true;
}

/* `--name VALUE` or `--name=VALUE`: 1 with *value set, 0 for another argument, -1 when the
 * value is missing. */
static int option(int argc, char **argv, int *i, const char *name, const char **value) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return 0;
  if (argv[*i][n] == '=') {
    *value = argv[*i] + n + 1;
    return 1;
  }
  if (argv[*i][n] != '\0') return 0;
  if (*i + 1 >= argc) {
    fprintf(stderr, PROG ": %s needs a value\n", name);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

static unsigned default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) return 1;
  return n > NOC_WORKER_THREADS_MAX ? NOC_WORKER_THREADS_MAX : (unsigned)n;
}

static int parse_args(int argc, char **argv, noc_worker_config *cfg) {
  const char *threads = NULL, *queue = NOC_WORKER_QUEUE_DEFAULT;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return -1;
    }
    int rc = option(argc, argv, &i, "--threads", &threads);
    if (rc == 0) rc = option(argc, argv, &i, "--queue", &queue);
    if (rc < 0) return NOC_EXIT_USAGE;
    if (rc == 0) {
      fprintf(stderr, PROG ": unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return NOC_EXIT_USAGE;
    }
  }
  long v = (long)default_threads();
  if (threads != NULL && !parse_long("--threads", threads, 1, NOC_WORKER_THREADS_MAX, &v))
    return NOC_EXIT_USAGE;
  cfg->threads = (unsigned)v;
  if (!noc_worker_token_ok(queue, strlen(queue), NOC_WORKER_KEY_MAX)) {
    fprintf(stderr, PROG ": --queue must be 1..%d printable ASCII characters without spaces\n",
            NOC_WORKER_KEY_MAX);
    return NOC_EXIT_USAGE;
  }
  snprintf(cfg->queue, sizeof cfg->queue, "%s", queue);
  return NOC_EXIT_OK;
}

static int read_env(noc_worker_config *cfg) {
  const char *url = getenv("NOCTURNA_REDIS_URL");
  if (url == NULL || url[0] == '\0') {
    fprintf(stderr, PROG ": NOCTURNA_REDIS_URL is required (the Redis holding the job queue), "
                         "e.g. redis://127.0.0.1:6379/0\n");
    return NOC_EXIT_USAGE;
  }
  noc_error err;
  if (noc_cache_redis_parse_url(url, &cfg->redis, "NOCTURNA_REDIS_URL", &err) != NOC_OK) {
    fprintf(stderr, PROG ": NOCTURNA_REDIS_URL: %s\n", err.message);
    return NOC_EXIT_USAGE;
  }
  noc_cache_redact_url(url, cfg->redis_redacted, sizeof cfg->redis_redacted);
  long ttl = RESULT_TTL_DEFAULT;
  const char *s = getenv("NOCTURNA_WORKER_RESULT_TTL");
  if (s != NULL && s[0] != '\0' &&
      !parse_long("NOCTURNA_WORKER_RESULT_TTL", s, 1, RESULT_TTL_MAX, &ttl))
    return NOC_EXIT_USAGE;
  cfg->result_ttl_s = ttl;
  s = getenv("NOCTURNA_LOG_LEVEL");
  noc_log_level level;
  if (s != NULL && s[0] != '\0') {
    if (!noc_log_level_parse(s, &level)) {
      fprintf(stderr, PROG ": NOCTURNA_LOG_LEVEL must be debug, info, warn or error\n");
      return NOC_EXIT_USAGE;
    }
    noc_log_set_level(level);
  }
  s = getenv("NOCTURNA_EPHE_PATH");
  cfg->ephe_path = s != NULL && s[0] != '\0' ? s : NULL;
  return NOC_EXIT_OK;
}

/* Fails early, with a message, when the ephemeris is unusable: every thread would fail too. */
static bool probe_ephemeris(const noc_worker_config *cfg) {
  noc_ctx *ctx = NULL;
  noc_error err;
  if (noc_ctx_open(&ctx, cfg->ephe_path, &err) != NOC_OK) {
    fprintf(stderr, PROG ": %s\n", err.message);
    return false;
  }
  noc_ctx_close(ctx);
  return true;
}

static void ignore_sigpipe(void) {
  /* hiredis writes with write(2): a peer that went away must be an error, not a signal. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}

static void log_started(const noc_worker_config *cfg) {
  noc_logline l;
  noc_log_begin_always(&l, "worker started");
  noc_jw_kstr(&l.w, "version", noc_version());
  noc_jw_kstr(&l.w, "redis", cfg->redis_redacted);
  noc_jw_kstr(&l.w, "queue", cfg->queue);
  noc_jw_kint(&l.w, "threads", cfg->threads);
  noc_jw_kint(&l.w, "result_ttl_s", cfg->result_ttl_s);
  noc_log_end(&l);
}

/* Waits for SIGTERM/SIGINT; 0 when every worker thread ended by itself instead. */
static int wait_signal(noc_worker_pool *pool, const sigset_t *set) {
  const struct timespec step = {0, 500 * 1000000L};
  while (noc_worker_pool_alive(pool) > 0) {
    int signo = sigtimedwait(set, NULL, &step);
    if (signo > 0) return signo;
  }
  return 0;
}

static int run(const noc_worker_config *cfg, noc_tzdb *tzdb) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  ignore_sigpipe();
  noc_worker_pool *pool = NULL;
  noc_error err;
  if (noc_worker_pool_start(&pool, cfg, tzdb, &err) != NOC_OK) {
    fprintf(stderr, PROG ": %s\n", err.message);
    return NOC_EXIT_FAILURE;
  }
  log_started(cfg);
  int signo = wait_signal(pool, &set);
  noc_logline l;
  noc_log_begin_always(&l, signo ? "worker stopping" : "every worker thread failed");
  if (signo) noc_jw_kstr(&l.w, "signal", signo == SIGINT ? "SIGINT" : "SIGTERM");
  noc_log_end(&l);
  noc_worker_pool_stop(pool);
  noc_log_begin_always(&l, "worker stopped");
  noc_log_end(&l);
  return signo ? NOC_EXIT_OK : NOC_EXIT_FAILURE;
}

int noc_cli_worker(int argc, char **argv) {
  noc_worker_config cfg;
  memset(&cfg, 0, sizeof cfg);
  int rc = parse_args(argc, argv, &cfg);
  if (rc < 0) return NOC_EXIT_OK; /* --help */
  if (rc != NOC_EXIT_OK) return rc;
  rc = read_env(&cfg);
  if (rc != NOC_EXIT_OK) return rc;
  if (!probe_ephemeris(&cfg)) return NOC_EXIT_FAILURE;
  const char *zoneinfo = getenv("NOCTURNA_ZONEINFO");
  noc_tzdb *tzdb = noc_tzdb_open(zoneinfo != NULL && zoneinfo[0] != '\0' ? zoneinfo : NULL);
  if (tzdb == NULL) {
    fprintf(stderr, PROG ": cannot open the time zone database\n");
    return NOC_EXIT_FAILURE;
  }
  rc = run(&cfg, tzdb);
  noc_tzdb_close(tzdb);
  return rc;
}
