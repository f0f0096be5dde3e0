/* A growable byte buffer with a hard upper bound. Every response is written into one. */
#ifndef NOCTURNA_BUF_H
#define NOCTURNA_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct noc_buf {
  char *data; /* owned by the buffer; always NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
  size_t max;    /* hard bound: appends past it fail and set overflow */
  bool overflow; /* sticky: an append failed (bound or allocation) */
} noc_buf;

void noc_buf_init(noc_buf *b, size_t max);
void noc_buf_free(noc_buf *b);
void noc_buf_reset(noc_buf *b); /* len = 0, overflow = false; keeps memory */
/* Grows the buffer (within max) and appends; the slow path of noc_buf_append. */
bool noc_buf_append_grow(noc_buf *b, const char *data, size_t len);

/* Inline because a response is written a few bytes at a time: the common case is a copy. */
static inline bool noc_buf_append(noc_buf *b, const char *data, size_t len) {
  if (!b->overflow && len < b->cap - b->len) { /* room for the bytes and the NUL */
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
  }
  return noc_buf_append_grow(b, data, len);
}

static inline bool noc_buf_puts(noc_buf *b, const char *s) {
  return noc_buf_append(b, s, strlen(s));
}

/* Copies src into dst[cap] (cap > 0), truncating; dst always ends in a NUL. Returns strlen(src):
 * the copy was whole when that is below cap. The bounded copy of fixed fields, without printf. */
size_t noc_strlcpy(char *dst, const char *src, size_t cap);

static inline bool noc_buf_putc(noc_buf *b, char c) {
  return noc_buf_append(b, &c, 1);
}
bool noc_buf_printf(noc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
