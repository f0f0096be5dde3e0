/* Reading request fields with errors that name the field. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"

void noc_warn(noc_api_call *call, const char *code, const char *fmt, ...) {
  if (call->meta.warning_count >= NOC_MAX_WARNINGS) return;
  noc_warning *w = &call->meta.warnings[call->meta.warning_count++];
  w->code = code;
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above; see .clang-tidy */
  vsnprintf(w->message, sizeof w->message, fmt, ap);
  va_end(ap);
}

/* On the hot path (a chart's date and time name theirs before parsing): no printf. */
const char *noc_in_path(char *buf, size_t cap, const char *prefix, const char *key) {
  size_t n = 0;
  if (prefix && prefix[0]) {
    n = noc_strlcpy(buf, prefix, cap);
    if (n + 1 < cap) buf[n++] = '.';
  }
  if (n < cap) noc_strlcpy(buf + n, key, cap - n);
  return buf;
}

static const char *json_type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "a value";
}

noc_status noc_in_string(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         bool required, const char **out) {
  char path[NOC_ERR_FIELD_MAX];
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v)) {
    if (required)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                      "is required");
    return NOC_OK;
  }
  if (!json_is_string(v))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                    "must be a string, not %s", json_type_name(v));
  if (json_string_length(v) > 256 || strlen(json_string_value(v)) != json_string_length(v))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                    "must be a string of at most 256 characters without NUL");
  *out = json_string_value(v);
  return NOC_OK;
}

noc_status noc_in_number(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         bool required, double min, double max, double *out, bool *present) {
  char path[NOC_ERR_FIELD_MAX];
  json_t *v = json_object_get(obj, key);
  if (present) *present = false;
  if (v == NULL || json_is_null(v)) {
    if (required)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                      "is required");
    return NOC_OK;
  }
  if (!json_is_number(v))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                    "must be a number, not %s", json_type_name(v));
  double d = json_number_value(v);
  if (!isfinite(d) || d < min || d > max)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                    "must be between %g and %g", min, max);
  *out = d;
  if (present) *present = true;
  return NOC_OK;
}

noc_status noc_in_bool(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                       bool *out) {
  char path[NOC_ERR_FIELD_MAX];
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v)) return NOC_OK;
  if (!json_is_boolean(v))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, noc_in_path(path, sizeof path, prefix, key),
                    "must be true or false, not %s", json_type_name(v));
  *out = json_is_true(v);
  return NOC_OK;
}

void noc_in_warn_unknown(noc_api_call *call, json_t *obj, const char *prefix,
                         const char *const *known) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool found = false;
    for (const char *const *k = known; *k && !found; k++)
      found = strcmp(*k, key) == 0;
    if (!found) {
      char path[NOC_ERR_FIELD_MAX];
      noc_warn(call, "UNKNOWN_FIELD", "field '%.80s' is not used by this endpoint and was ignored",
               noc_in_path(path, sizeof path, prefix, key));
    }
  }
}

noc_status noc_in_bodies(noc_api_call *call, json_t *obj, const char *prefix, const char *key,
                         const noc_body *defaults, int ndefaults, noc_body *bodies, int *count) {
  char path[NOC_ERR_FIELD_MAX];
  json_t *list = json_object_get(obj, key);
  if (list == NULL || json_is_null(list)) {
    memcpy(bodies, defaults, sizeof *bodies * (size_t)ndefaults);
    *count = ndefaults;
    return NOC_OK;
  }
  noc_in_path(path, sizeof path, prefix, key);
  if (!json_is_array(list))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be a list of body names");
  size_t n = json_array_size(list);
  if (n == 0 || n > NOC_BODY_COUNT)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must name between 1 and %d bodies",
                    NOC_BODY_COUNT);
  bool seen[NOC_BODY_COUNT] = {false};
  for (size_t i = 0; i < n; i++) {
    json_t *item = json_array_get(list, i);
    char ipath[NOC_ERR_FIELD_MAX];
    snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
    noc_body b;
    if (!json_is_string(item))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "must be a body name string");
    if (!noc_body_from_name(json_string_value(item), &b))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath,
                      "unknown body '%.40s' (see docs/api.md for the list)",
                      json_string_value(item));
    if (seen[b])
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "%s is listed twice",
                      noc_body_name(b));
    seen[b] = true;
    bodies[i] = b;
  }
  *count = (int)n;
  return NOC_OK;
}
