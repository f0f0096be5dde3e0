/* Streaming JSON writer. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/jsonw.h"

void noc_jw_init(noc_jw *w, noc_buf *buf) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
}

bool noc_jw_ok(const noc_jw *w) {
  return !w->failed && !w->buf->overflow;
}

/* Emits the separator an item needs at the current depth. */
static void jw_item(noc_jw *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->has_items[w->depth]) noc_buf_putc(w->buf, ',');
  w->has_items[w->depth] = true;
}

static void jw_open(noc_jw *w, char c) {
  jw_item(w);
  if (w->depth + 1 >= NOC_JW_MAX_DEPTH) {
    w->failed = true;
    return;
  }
  noc_buf_putc(w->buf, c);
  w->depth++;
  w->has_items[w->depth] = false;
}

static void jw_close(noc_jw *w, char c) {
  if (w->depth == 0) {
    w->failed = true;
    return;
  }
  noc_buf_putc(w->buf, c);
  w->depth--;
}

void noc_jw_obj(noc_jw *w) {
  jw_open(w, '{');
}
void noc_jw_obj_end(noc_jw *w) {
  jw_close(w, '}');
}
void noc_jw_arr(noc_jw *w) {
  jw_open(w, '[');
}
void noc_jw_arr_end(noc_jw *w) {
  jw_close(w, ']');
}

void noc_jw_key(noc_jw *w, const char *key) {
  /* One append for the separator, the quoted key and the colon: keys are the hot path. */
  char tmp[72];
  size_t n = 0, k = strlen(key);
  if (w->has_items[w->depth] && !w->after_key) tmp[n++] = ',';
  w->has_items[w->depth] = true;
  w->after_key = true;
  if (k > sizeof tmp - 4) {
    noc_buf_append(w->buf, tmp, n);
    noc_buf_putc(w->buf, '"');
    noc_buf_append(w->buf, key, k);
    noc_buf_append(w->buf, "\":", 2);
    return;
  }
  tmp[n++] = '"';
  /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): tmp is bytes with a length */
  memcpy(tmp + n, key, k);
  n += k;
  tmp[n++] = '"';
  tmp[n++] = ':';
  noc_buf_append(w->buf, tmp, n);
}

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 when it is not one (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (s[0] >= 0xC2 && s[0] <= 0xDF)
    len = 2;
  else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    len = 3;
    if (s[0] == 0xE0) lo = 0xA0;
    if (s[0] == 0xED) hi = 0x9F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    len = 4;
    if (s[0] == 0xF0) lo = 0x90;
    if (s[0] == 0xF4) hi = 0x8F;
  } else
    return 0;
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

/* 1 for the bytes a string copies verbatim: ASCII from the space up, but the quote and the
 * backslash. */
static const unsigned char plain_ascii[256] = {
    /* clang-format off */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* clang-format on */
};

/* Escapes quotes, backslashes and control characters, and replaces bytes that are not valid
 * UTF-8 with U+FFFD: a message may quote a client's broken input, and the response must stay
 * valid JSON whatever it quotes. */
void noc_jw_strn(noc_jw *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  jw_item(w);
  noc_buf_putc(w->buf, '"');
  size_t run = 0; /* start of the bytes still to be copied verbatim */
  for (size_t i = 0; i < n;) {
    while (i < n && plain_ascii[u[i]])
      i++;
    if (i == n) break;
    unsigned char c = u[i];
    if (c >= 0x80) {
      size_t len = utf8_sequence(u + i, n - i);
      if (len > 0) {
        i += len;
        continue;
      }
    }
    noc_buf_append(w->buf, s + run, i - run);
    if (c >= 0x80) {
      noc_buf_append(w->buf, "\\ufffd", 6);
    } else if (c == '"' || c == '\\') {
      char two[2] = {'\\', (char)c};
      noc_buf_append(w->buf, two, 2);
    } else if (c == '\n') {
      noc_buf_append(w->buf, "\\n", 2);
    } else {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      noc_buf_append(w->buf, esc, 6);
    }
    i++;
    run = i;
  }
  noc_buf_append(w->buf, s + run, n - run);
  noc_buf_putc(w->buf, '"');
}

void noc_jw_str(noc_jw *w, const char *s) {
  if (s == NULL)
    noc_jw_null(w);
  else
    noc_jw_strn(w, s, strlen(s));
}

/* Two digits per step from a table: a chart response prints a few hundred numbers. */
static const char digit_pairs[] = "0001020304050607080910111213141516171819"
                                  "2021222324252627282930313233343536373839"
                                  "4041424344454647484950515253545556575859"
                                  "6061626364656667686970717273747576777879"
                                  "8081828384858687888990919293949596979899";

static inline __attribute__((always_inline)) void put_pair(char *out, uint32_t v) {
  memcpy(out, digit_pairs + v * 2, 2);
}

/* v as exactly `width` (0..10) digits, zero-padded on the left. Four digits per step, split into
 * two independent pairs, keeps the chain of dependent divisions short; 32-bit divisions by
 * constants compile to multiplications. */
static inline __attribute__((always_inline)) void put_padded32(char *out, uint32_t v, int width) {
  int i = width;
  while (i >= 4) {
    uint32_t four = v % 10000;
    v /= 10000;
    put_pair(out + i - 4, four / 100);
    put_pair(out + i - 2, four % 100);
    i -= 4;
  }
  if (i >= 2) {
    put_pair(out + i - 2, v % 100);
    v /= 100;
    i -= 2;
  }
  if (i == 1) out[0] = (char)('0' + v % 10);
}

/* u as exactly `width` digits (u < 10^width, width <= 20). */
static void put_padded(char *out, uint64_t u, int width) {
  if (width <= 9) {
    put_padded32(out, (uint32_t)u, width);
    return;
  }
  put_padded(out, u / 1000000000u, width - 9);
  put_padded32(out + width - 9, (uint32_t)(u % 1000000000u), 9);
}

/* u in decimal at out; returns the length (at most 20). */
static size_t put_uint(char *out, uint64_t u) {
  int len = 1;
  for (uint64_t p = 10; len < 20 && u >= p; p *= 10)
    len++;
  put_padded(out, u, len);
  return (size_t)len;
}

static const double pow10_f[13] = {1,   1e1, 1e2, 1e3,  1e4,  1e5, 1e6,
                                   1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
static const uint64_t pow10_u[13] = {1,           10,           100,          1000,      10000,
                                     100000,      1000000,      10000000,     100000000, 1000000000,
                                     10000000000, 100000000000, 1000000000000};

/* Numbers are written by splitting v into its integer part and fraction - both exact in binary -
 * and scaling only the fraction, so the digits are right even where v * 10^decimals would pass
 * 2^53 (a Julian day with 10 decimals), without printf. Rounds half up. */

/* The fraction's digits: constant widths for the precisions charts use most (angles 7,
 * distances 9, strengths 4), so that the digit loop unrolls. */
static inline __attribute__((always_inline)) void put_fraction(char *out, uint64_t fp,
                                                               int decimals) {
  if (decimals == 7)
    put_padded32(out, (uint32_t)fp, 7);
  else if (decimals == 4)
    put_padded32(out, (uint32_t)fp, 4);
  else if (decimals == 9)
    put_padded32(out, (uint32_t)fp, 9);
  else
    put_padded(out, fp, decimals);
}

/* Ends the number at buf[0..n) with its point and fraction, if any, and a NUL; returns the
 * length. */
static inline __attribute__((always_inline)) size_t finish_fraction(char *buf, size_t n,
                                                                    uint64_t fp, int decimals) {
  if (decimals > 0) {
    buf[n++] = '.';
    put_fraction(buf + n, fp, decimals);
    n += (size_t)decimals;
  }
  buf[n] = '\0';
  return n;
}

/* Any v >= 0 after the sign at buf[0..n): the general case, kept out of line so that the common
 * one needs few registers. */
static __attribute__((noinline)) size_t fmt_general(double v, int decimals, char *buf, size_t n) {
  if (!(v < 9007199254740992.0)) { /* 2^53 and above: whole numbers; 17 significant digits */
    int k = snprintf(buf + n, 32 - n, "%.17g", v);
    return k > 0 && (size_t)k < 32 - n ? n + (size_t)k : 0;
  }
  uint64_t ip = (uint64_t)v;
  uint64_t fp = (uint64_t)((v - (double)ip) * pow10_f[decimals] + 0.5);
  if (fp >= pow10_u[decimals]) { /* the fraction rounded up to a whole unit */
    ip++;
    fp -= pow10_u[decimals];
  }
  if (n == 1 && ip == 0 && fp == 0) n = 0; /* no "-0" */
  n += put_uint(buf + n, ip);
  return finish_fraction(buf, n, fp, decimals);
}

/* Inlined into noc_jw_raw_num: a chart writes about 280 numbers. The common case - below 1000
 * with at most 9 decimals: angles, speeds, orbs - in signed conversions, which need no range
 * checks, and the same arithmetic as fmt_general. */
static inline __attribute__((always_inline)) size_t fmt_fixed(double v, int decimals, char *buf) {
  if (decimals < 0) decimals = 0;
  if (decimals > 12) decimals = 12;
  size_t n = 0;
  if (v < 0) {
    v = -v;
    buf[n++] = '-';
  }
  if (!(v < 1000.0) || decimals > 9) return fmt_general(v, decimals, buf, n);
  uint32_t ip = (uint32_t)(int32_t)v;
  uint32_t fp = (uint32_t)(int64_t)((v - (double)ip) * pow10_f[decimals] + 0.5);
  if (fp >= (uint32_t)pow10_u[decimals]) {
    ip++;
    fp -= (uint32_t)pow10_u[decimals];
  }
  if (n == 1 && ip == 0 && fp == 0) n = 0;
  if (ip < 10) {
    buf[n++] = (char)('0' + ip);
  } else if (ip < 100) {
    put_pair(buf + n, ip);
    n += 2;
  } else if (ip < 1000) {
    put_padded32(buf + n, ip, 3);
    n += 3;
  } else { /* 999.9... rounded up */
    put_padded32(buf + n, ip, 4);
    n += 4;
  }
  return finish_fraction(buf, n, fp, decimals);
}

size_t noc_fmt_fixed(double v, int decimals, char *buf) {
  return fmt_fixed(v, decimals, buf);
}

/* Formats straight into the buffer when it has room (the common case): no copy. */
void noc_jw_raw_num(noc_jw *w, double v, int decimals) {
  noc_buf *b = w->buf;
  if (isfinite(v) && !b->overflow && b->cap - b->len > 48) {
    size_t n = fmt_fixed(v, decimals, b->data + b->len);
    if (n > 0) {
      b->len += n; /* noc_fmt_fixed wrote the terminating NUL */
      return;
    }
    b->data[b->len] = '\0';
  }
  char tmp[48];
  size_t n = isfinite(v) ? noc_fmt_fixed(v, decimals, tmp) : 0;
  if (n == 0)
    noc_buf_append(b, "null", 4);
  else
    noc_buf_append(b, tmp, n);
}

void noc_jw_num(noc_jw *w, double v, int decimals) {
  jw_item(w);
  noc_jw_raw_num(w, v, decimals);
}

void noc_jw_raw_int(noc_jw *w, int64_t v) {
  noc_buf *b = w->buf;
  char tmp[24];
  /* Straight into the buffer when it has room (the common case): no copy. */
  bool direct = !b->overflow && b->cap - b->len > sizeof tmp;
  char *out = direct ? b->data + b->len : tmp;
  size_t n = 0;
  if (v < 0) out[n++] = '-';
  n += put_uint(out + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
  if (direct) {
    b->len += n;
    b->data[b->len] = '\0';
  } else {
    noc_buf_append(b, out, n);
  }
}

void noc_jw_int(noc_jw *w, int64_t v) {
  jw_item(w);
  noc_jw_raw_int(w, v);
}

void noc_jw_bool(noc_jw *w, bool v) {
  jw_item(w);
  noc_buf_puts(w->buf, v ? "true" : "false");
}

void noc_jw_null(noc_jw *w) {
  jw_item(w);
  noc_buf_append(w->buf, "null", 4);
}

void noc_jw_raw(noc_jw *w, const char *json) {
  jw_item(w);
  noc_buf_puts(w->buf, json);
}

void noc_jw_kstr(noc_jw *w, const char *key, const char *s) {
  noc_jw_key(w, key);
  noc_jw_str(w, s);
}
void noc_jw_knum(noc_jw *w, const char *key, double v, int decimals) {
  noc_jw_key(w, key);
  noc_jw_num(w, v, decimals);
}
void noc_jw_kint(noc_jw *w, const char *key, int64_t v) {
  noc_jw_key(w, key);
  noc_jw_int(w, v);
}
void noc_jw_kbool(noc_jw *w, const char *key, bool v) {
  noc_jw_key(w, key);
  noc_jw_bool(w, v);
}
