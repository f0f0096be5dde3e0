/* noc_error helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nocturna/error.h"

noc_status noc_fail(noc_error *err, noc_status code, const char *field, const char *fmt, ...) {
  if (err == NULL) return code;
  err->code = code;
  snprintf(err->field, sizeof err->field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above; see .clang-tidy */
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

void noc_error_clear(noc_error *err) {
  if (err == NULL) return;
  err->code = NOC_OK;
  err->field[0] = '\0';
  err->message[0] = '\0';
}

const char *noc_status_code(noc_status status) {
  switch (status) {
  case NOC_OK:
    return "OK";
  case NOC_ERR_VALIDATION:
    return "VALIDATION_ERROR";
  case NOC_ERR_JSON:
    return "INVALID_JSON";
  case NOC_ERR_RANGE:
    return "VALIDATION_ERROR";
  case NOC_ERR_EPHEMERIS:
    return "SERVICE_UNAVAILABLE";
  case NOC_ERR_NOMEM:
    return "INTERNAL_ERROR";
  case NOC_ERR_INTERNAL:
    return "INTERNAL_ERROR";
  case NOC_ERR_NOT_FOUND:
    return "NOT_FOUND";
  case NOC_ERR_BUDGET:
    return "TIME_BUDGET_EXCEEDED";
  }
  return "INTERNAL_ERROR";
}
