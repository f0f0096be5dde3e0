/* log.h - one JSON object per line on stderr.
 *
 * A line is built with the JSON writer and leaves in a single write(2), so lines from worker
 * threads never interleave. Every line starts with "time" (UTC, ms), "level" and "msg".
 */
#ifndef NOC_HTTP_LOG_H
#define NOC_HTTP_LOG_H

#include <stdbool.h>

#include "nocturna/buf.h"
#include "util/jsonw.h"

typedef enum { NOC_LOG_DEBUG, NOC_LOG_INFO, NOC_LOG_WARN, NOC_LOG_ERROR } noc_log_level;

/* Process-wide threshold (default INFO). Safe to call from any thread. */
void noc_log_set_level(noc_log_level level);
bool noc_log_enabled(noc_log_level level);
/* "debug", "info", "warn"/"warning", "error" -> level; false when unknown. */
bool noc_log_level_parse(const char *s, noc_log_level *out);
const char *noc_log_level_name(noc_log_level level);

/* A line under construction. Add fields with noc_jw_k*(&line.w, ...) between begin and end. */
typedef struct noc_logline {
  noc_buf buf; /* owned; released by noc_log_end */
  noc_jw w;
  bool on; /* false when the level is filtered out: fields are then cheap no-ops */
} noc_logline;

/* Returns false (and leaves nothing to free) when the level is below the threshold; callers
 * may still call the field writers and noc_log_end. */
bool noc_log_begin(noc_logline *l, noc_log_level level, const char *msg);
/* Like noc_log_begin at INFO, but never filtered: start-up and shutdown lines, which operators
 * and scripts rely on whatever NOCTURNA_LOG_LEVEL says. */
void noc_log_begin_always(noc_logline *l, const char *msg);
/* Closes the object, writes the line and frees the buffer. */
void noc_log_end(noc_logline *l);

/* A message without fields. */
void noc_log_msg(noc_log_level level, const char *msg);

/* ISO 8601 UTC with milliseconds, "2024-05-01T12:00:00.123Z", into buf (>= 32 bytes). */
void noc_log_format_time(int64_t unix_ms, char *buf, size_t cap);

#endif
