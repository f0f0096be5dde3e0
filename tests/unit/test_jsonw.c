/* The JSON writer and the bounded buffer. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/jsonw.h"

static void test_fixed(void **state) {
  (void)state;
  char b[48];
  noc_fmt_fixed(0.0, 3, b);
  assert_string_equal(b, "0.000");
  noc_fmt_fixed(-0.0000001, 3, b);
  assert_string_equal(b, "0.000");
  noc_fmt_fixed(359.99999999, 7, b);
  assert_string_equal(b, "360.0000000");
  noc_fmt_fixed(-12.5, 0, b);
  assert_string_equal(b, "-13");
  noc_fmt_fixed(2451545.123456789, 9, b);
  assert_string_equal(b, "2451545.123456789");
  /* Agreement with printf over many values. */
  for (int i = -20000; i < 20000; i += 7) {
    double v = i * 0.0137;
    char ref[48];
    snprintf(ref, sizeof ref, "%.4f", v);
    noc_fmt_fixed(v, 4, b);
    if (strcmp(ref, "-0.0000") != 0) assert_string_equal(b, ref);
  }
  noc_fmt_fixed(2460000.99999999999, 10, b); /* past 2^53 when scaled: the split keeps it exact */
  assert_string_equal(b, "2460001.0000000000");
  noc_fmt_fixed(123456789012.5, 1, b);
  assert_string_equal(b, "123456789012.5");
  noc_fmt_fixed(18446744073709551615.0, 2, b);
  assert_string_equal(b, "1.8446744073709552e+19");
}

/* Against printf over many magnitudes and every width a response uses: printf rounds the exact
 * binary value to nearest-even, we round the split fraction half up, so the two may differ by one
 * unit in the last digit only when the value sits on a tie to within double precision. */
static void test_fixed_vs_printf(void **state) {
  (void)state;
  unsigned seed = 7;
  int differ = 0, total = 0;
  for (int i = 0; i < 200000; i++) {
    seed = seed * 1103515245u + 12345u;
    double mag = pow(10.0, (double)(seed % 15) - 6.0);
    seed = seed * 1103515245u + 12345u;
    double v = ((double)seed / 4294967296.0 - 0.3) * mag;
    int dec = (int)(seed % 13);
    char ours[48], ref[64];
    noc_fmt_fixed(v, dec, ours);
    snprintf(ref, sizeof ref, "%.*f", dec, v);
    const char *r = (ref[0] == '-' && strspn(ref + 1, "0.") == strlen(ref + 1)) ? ref + 1 : ref;
    total++;
    if (strcmp(ours, r) == 0) continue;
    differ++;
    assert_true(fabs(strtod(ours, NULL) - strtod(r, NULL)) <= 1.0001 * pow(10.0, -dec) + 1e-9);
  }
  assert_true(differ * 1000 < total); /* ties are rare */
}

static void test_document(void **state) {
  (void)state;
  noc_buf buf;
  noc_buf_init(&buf, 4096);
  noc_jw w;
  noc_jw_init(&w, &buf);
  noc_jw_obj(&w);
  noc_jw_kstr(&w, "s", "quote\" back\\ nl\n ctl\x01 é");
  noc_jw_knum(&w, "n", 1.5, 2);
  noc_jw_key(&w, "a");
  noc_jw_arr(&w);
  noc_jw_int(&w, -9223372036854775807LL - 1);
  noc_jw_bool(&w, true);
  noc_jw_null(&w);
  noc_jw_num(&w, NAN, 3);
  noc_jw_arr_end(&w);
  noc_jw_obj_end(&w);
  assert_true(noc_jw_ok(&w));
  json_error_t err;
  json_t *doc = json_loads(buf.data, 0, &err);
  assert_non_null(doc);
  assert_string_equal(json_string_value(json_object_get(doc, "s")),
                      "quote\" back\\ nl\n ctl\x01 é");
  json_t *a = json_object_get(doc, "a");
  assert_int_equal(json_array_size(a), 4);
  assert_true(json_is_null(json_array_get(a, 3)));
  json_decref(doc);
  noc_buf_free(&buf);
}

/* Invalid UTF-8 (a client's broken bytes quoted in a message) becomes U+FFFD; valid text stays. */
static void test_invalid_utf8(void **state) {
  (void)state;
  /* clang-format off */
  static const char *const inputs[] = {"\xc7\xab ok", "bad \xc7", "\xff\xfe", "\xed\xa0\x80",
                                       "\xf4\x90\x80\x80", "\xc0\xaf", "é€😀"};
  static const char *const expect[] = {"ǫ ok", "bad \xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd",
                                       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
                                       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
                                       "\xef\xbf\xbd\xef\xbf\xbd", "é€😀"};
  /* clang-format on */
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    noc_buf buf;
    noc_buf_init(&buf, 4096);
    noc_jw w;
    noc_jw_init(&w, &buf);
    noc_jw_str(&w, inputs[i]);
    json_error_t err;
    json_t *doc = json_loads(buf.data, JSON_DECODE_ANY, &err);
    assert_non_null(doc);
    assert_string_equal(json_string_value(doc), expect[i]);
    json_decref(doc);
    noc_buf_free(&buf);
  }
}

/* Numbers and integers are written straight into the buffer when it has room: near its bound
 * they still either fit whole or set overflow, and what was written is the unbounded text's
 * prefix that ends after the last whole item. */
static void test_numbers_at_bound(void **state) {
  (void)state;
  noc_buf full;
  noc_buf_init(&full, 4096);
  noc_jw fw;
  noc_jw_init(&fw, &full);
  for (int i = 0; i < 40; i++) {
    noc_jw_raw_int(&fw, (int64_t)i * -123456789);
    noc_jw_raw_num(&fw, 359.1234567 - i * 7.5, 7);
  }
  for (size_t max = 1; max < 1200; max += 7) {
    noc_buf buf;
    noc_buf_init(&buf, max);
    noc_jw w;
    noc_jw_init(&w, &buf);
    size_t last_whole = 0;
    for (int i = 0; i < 40 && !buf.overflow; i++) {
      noc_jw_raw_int(&w, (int64_t)i * -123456789);
      if (!buf.overflow) last_whole = buf.len;
      noc_jw_raw_num(&w, 359.1234567 - i * 7.5, 7);
      if (!buf.overflow) last_whole = buf.len;
    }
    assert_true(buf.len <= max);
    assert_int_equal(buf.len, last_whole);
    if (buf.len > 0) {
      assert_int_equal(buf.data[buf.len], '\0');
      assert_memory_equal(buf.data, full.data, buf.len);
    }
    assert_true(buf.overflow || buf.len == full.len);
    noc_buf_free(&buf);
  }
  noc_buf_free(&full);
}

static void test_bounds(void **state) {
  (void)state;
  noc_buf buf;
  noc_buf_init(&buf, 16);
  assert_true(noc_buf_puts(&buf, "0123456789"));
  assert_false(noc_buf_puts(&buf, "0123456789"));
  assert_true(buf.overflow);
  assert_int_equal(buf.len, 10);
  noc_buf_reset(&buf);
  assert_false(buf.overflow);
  assert_true(noc_buf_printf(&buf, "%d", 12345));
  assert_false(noc_buf_printf(&buf, "%0100d", 1));
  noc_buf_free(&buf);
  /* Nesting past the bound fails instead of writing garbage. */
  noc_buf_init(&buf, 1 << 16);
  noc_jw w;
  noc_jw_init(&w, &buf);
  for (int i = 0; i < NOC_JW_MAX_DEPTH + 4; i++)
    noc_jw_arr(&w);
  assert_false(noc_jw_ok(&w));
  noc_buf_free(&buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixed),    cmocka_unit_test(test_fixed_vs_printf),
      cmocka_unit_test(test_document), cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_bounds),   cmocka_unit_test(test_numbers_at_bound)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
