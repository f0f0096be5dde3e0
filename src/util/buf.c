/* Bounded growable buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nocturna/buf.h"

void noc_buf_init(noc_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->overflow = false;
}

void noc_buf_free(noc_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void noc_buf_reset(noc_buf *b) {
  b->len = 0;
  b->overflow = false;
  if (b->data) b->data[0] = '\0';
}

size_t noc_strlcpy(char *dst, const char *src, size_t cap) {
  size_t len = strlen(src);
  if (cap == 0) return len;
  size_t n = len < cap ? len : cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
  return len;
}

/* Makes room for `extra` more bytes plus the terminating NUL. */
static bool buf_reserve(noc_buf *b, size_t extra) {
  if (b->overflow) return false;
  if (extra > b->max || b->len + extra > b->max) {
    b->overflow = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap < need)
    cap *= 2;
  if (cap > b->max + 1) cap = b->max + 1;
  char *p = realloc(b->data, cap);
  if (p == NULL) {
    b->overflow = true;
    return false;
  }
  b->data = p;
  b->cap = cap;
  return true;
}

bool noc_buf_append_grow(noc_buf *b, const char *data, size_t len) {
  if (!buf_reserve(b, len)) return false;
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return true;
}

bool noc_buf_printf(noc_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above; see .clang-tidy */
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->overflow = true;
    return false;
  }
  if ((size_t)n < sizeof small) return noc_buf_append(b, small, (size_t)n);
  if (!buf_reserve(b, (size_t)n)) return false;
  va_start(ap, fmt);
  /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above; see .clang-tidy */
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return true;
}
