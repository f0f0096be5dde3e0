/* A small streaming JSON writer over a bounded noc_buf.
 * It tracks commas, escapes strings, and prints numbers with a fixed number of decimals
 * without going through the locale-aware printf (the hot path of every chart response). */
#ifndef NOC_UTIL_JSONW_H
#define NOC_UTIL_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nocturna/buf.h"

enum { NOC_JW_MAX_DEPTH = 32 };

typedef struct noc_jw {
  noc_buf *buf; /* borrowed */
  int depth;
  bool has_items[NOC_JW_MAX_DEPTH]; /* a comma is due before the next item at this depth */
  bool after_key;
  bool failed; /* depth overflow or buffer overflow */
} noc_jw;

void noc_jw_init(noc_jw *w, noc_buf *buf);
void noc_jw_obj(noc_jw *w);
void noc_jw_obj_end(noc_jw *w);
void noc_jw_arr(noc_jw *w);
void noc_jw_arr_end(noc_jw *w);
void noc_jw_key(noc_jw *w, const char *key); /* key is trusted ASCII */
void noc_jw_str(noc_jw *w, const char *s);   /* escaped; NULL writes null */
void noc_jw_strn(noc_jw *w, const char *s, size_t n);
void noc_jw_num(noc_jw *w, double v, int decimals); /* non-finite writes null */
void noc_jw_int(noc_jw *w, int64_t v);
void noc_jw_bool(noc_jw *w, bool v);
void noc_jw_null(noc_jw *w);
void noc_jw_raw(noc_jw *w, const char *json); /* a complete trusted JSON value */
bool noc_jw_ok(const noc_jw *w);

/* Shorthands for "key": value. */
void noc_jw_kstr(noc_jw *w, const char *key, const char *s);
void noc_jw_knum(noc_jw *w, const char *key, double v, int decimals);
void noc_jw_kint(noc_jw *w, const char *key, int64_t v);
void noc_jw_kbool(noc_jw *w, const char *key, bool v);

/* Raw pieces for hot writers that lay out an object themselves: a trusted literal such as
 * ",\"latitude\":" (the caller writes its own commas), a bare number, a bare escaped string.
 * After writing members this way, call noc_jw_mark so the writer knows the object is not empty. */
#define NOC_JW_LIT(w, lit) noc_buf_append((w)->buf, (lit), sizeof(lit) - 1)
void noc_jw_raw_num(noc_jw *w, double v, int decimals);
void noc_jw_raw_int(noc_jw *w, int64_t v);
static inline void noc_jw_mark(noc_jw *w) {
  w->has_items[w->depth] = true;
}

/* Formats v with exactly `decimals` (0..12) decimals into buf (>= 32 bytes). Returns length. */
size_t noc_fmt_fixed(double v, int decimals, char *buf);

#endif
