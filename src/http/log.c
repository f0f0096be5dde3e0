/* JSON log lines on stderr. */
#include "http/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http/clock.h"

enum { LOG_LINE_MAX = 16 * 1024 };

static _Atomic int log_threshold = NOC_LOG_INFO;

void noc_log_set_level(noc_log_level level) {
  atomic_store(&log_threshold, (int)level);
}

bool noc_log_enabled(noc_log_level level) {
  return (int)level >= atomic_load_explicit(&log_threshold, memory_order_relaxed);
}

bool noc_log_level_parse(const char *s, noc_log_level *out) {
  static const struct {
    const char *name;
    noc_log_level level;
  } names[] = {{"debug", NOC_LOG_DEBUG},
               {"info", NOC_LOG_INFO},
               {"warn", NOC_LOG_WARN},
               {"warning", NOC_LOG_WARN},
               {"error", NOC_LOG_ERROR}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcasecmp(s, names[i].name) == 0) {
      *out = names[i].level;
      return true;
    }
  }
  return false;
}

const char *noc_log_level_name(noc_log_level level) {
  switch (level) {
  case NOC_LOG_DEBUG:
    return "debug";
  case NOC_LOG_INFO:
    return "info";
  case NOC_LOG_WARN:
    return "warn";
  default:
    return "error";
  }
}

void noc_log_format_time(int64_t unix_ms, char *buf, size_t cap) {
  time_t secs = (time_t)(unix_ms / 1000);
  struct tm tm;
  if (gmtime_r(&secs, &tm) == NULL) {
    snprintf(buf, cap, "1970-01-01T00:00:00.000Z");
    return;
  }
  snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000));
}

static bool log_begin(noc_logline *l, noc_log_level level, bool on, const char *msg) {
  l->on = on;
  /* A filtered line gets a zero-sized buffer: every append fails at once without allocating,
   * so callers need no branches. */
  noc_buf_init(&l->buf, l->on ? LOG_LINE_MAX : 0);
  noc_jw_init(&l->w, &l->buf);
  if (!l->on) return false;
  char ts[40];
  noc_log_format_time(noc_clock_unix_ms(), ts, sizeof ts);
  noc_jw_obj(&l->w);
  noc_jw_kstr(&l->w, "time", ts);
  noc_jw_kstr(&l->w, "level", noc_log_level_name(level));
  noc_jw_kstr(&l->w, "msg", msg);
  return true;
}

bool noc_log_begin(noc_logline *l, noc_log_level level, const char *msg) {
  return log_begin(l, level, noc_log_enabled(level), msg);
}

void noc_log_begin_always(noc_logline *l, const char *msg) {
  log_begin(l, NOC_LOG_INFO, true, msg);
}

/* One write(2) per line; a short write (pipe full, signal) continues where it stopped. */
static void write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

void noc_log_end(noc_logline *l) {
  if (l->on) {
    noc_jw_obj_end(&l->w);
    if (noc_jw_ok(&l->w) && noc_buf_putc(&l->buf, '\n'))
      write_all(l->buf.data, l->buf.len);
    else
      write_all("{\"level\":\"error\",\"msg\":\"log line too long\"}\n", 45);
  }
  noc_buf_free(&l->buf);
  l->on = false;
}

void noc_log_msg(noc_log_level level, const char *msg) {
  noc_logline l;
  noc_log_begin(&l, level, msg);
  noc_log_end(&l);
}
