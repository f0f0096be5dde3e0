/* A growable byte buffer with a hard upper bound. Every response is written into one. */
#ifndef NOCTURNA_BUF_H
#define NOCTURNA_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct noc_buf {
  char *data;        /* owned by the buffer; always NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
  size_t max;        /* hard bound: appends past it fail and set overflow */
  bool overflow;     /* sticky: an append failed (bound or allocation) */
} noc_buf;

void noc_buf_init(noc_buf *b, size_t max);
void noc_buf_free(noc_buf *b);
void noc_buf_reset(noc_buf *b);          /* len = 0, overflow = false; keeps memory */
bool noc_buf_append(noc_buf *b, const char *data, size_t len);
bool noc_buf_puts(noc_buf *b, const char *s);
bool noc_buf_putc(noc_buf *b, char c);
bool noc_buf_printf(noc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
