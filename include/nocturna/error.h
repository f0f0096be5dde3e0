/* Error reporting shared by every libnocturna function.
 * A function returns a noc_status and, on failure, fills the caller's noc_error with the
 * request field at fault (JSON path, e.g. "planets[2]") and a message a user can act on. */
#ifndef NOCTURNA_ERROR_H
#define NOCTURNA_ERROR_H

#include <stddef.h>

typedef enum noc_status {
  NOC_OK = 0,
  NOC_ERR_VALIDATION, /* bad value in the request: 400 VALIDATION_ERROR */
  NOC_ERR_JSON,       /* malformed JSON: 400 INVALID_JSON */
  NOC_ERR_RANGE,      /* valid value outside what the ephemeris covers: 400 VALIDATION_ERROR */
  NOC_ERR_EPHEMERIS,  /* ephemeris files unusable: 503 SERVICE_UNAVAILABLE */
  NOC_ERR_NOMEM,      /* allocation failed or an output bound was hit: 500 */
  NOC_ERR_INTERNAL,   /* a bug or an unexpected library answer: 500 INTERNAL_ERROR */
  NOC_ERR_NOT_FOUND,  /* unknown endpoint or entity: 404 */
  NOC_ERR_BUDGET      /* the request ran past its time budget: partial result */
} noc_status;

enum { NOC_ERR_FIELD_MAX = 96, NOC_ERR_MESSAGE_MAX = 320 };

typedef struct noc_error {
  noc_status code;
  char field[NOC_ERR_FIELD_MAX];     /* "" when no single field is at fault */
  char message[NOC_ERR_MESSAGE_MAX]; /* human readable, never contains internals */
} noc_error;

/* Sets *err (when not NULL) and returns code, so callers can `return noc_fail(...)`. */
noc_status noc_fail(noc_error *err, noc_status code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void noc_error_clear(noc_error *err);

/* Stable name of a status ("VALIDATION_ERROR", ...) as used in API error codes. */
const char *noc_status_code(noc_status status);

#endif
