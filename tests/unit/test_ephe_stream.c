/* Swiss Ephemeris' files read from memory (src/core/ephe_stream.c): the streams give the same
 * bytes as stdio over the file, the positions are bit for bit those of plain stdio, anything
 * but a read-only .se1 file passes through to the real fopen, and closing unmaps. */
/* NOLINTNEXTLINE(bugprone-reserved-identifier): fseeko64 and ftello64 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <swephexp.h>

#include "core/context_internal.h"
#include "ctx_fixture.h"
#include "nocturna/nocturna.h"

/* The real fopen, under the name ld's --wrap gives it. */
FILE *__real_fopen(const char *path, const char *mode); /* NOLINT(bugprone-reserved-identifier) */

static const char ephe_dir[] = "/usr/share/libswe/ephe";
static const char planet_file[] = "/usr/share/libswe/ephe/sepl_18.se1";

/* Lines of /proc/self/maps that map an ephemeris file. */
static int se1_mappings(void) {
  FILE *f = __real_fopen("/proc/self/maps", "r");
  assert_non_null(f);
  char line[1024];
  int n = 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (strstr(line, ".se1") != NULL) n++;
  fclose(f);
  return n;
}

/* Open descriptors of this process on ephemeris files. */
static int se1_descriptors(void) {
  DIR *d = opendir("/proc/self/fd");
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char link[64], target[512];
    snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len <= 0) continue;
    target[len] = '\0';
    if (strstr(target, ".se1") != NULL) n++;
  }
  closedir(d);
  return n;
}

static uint64_t next_random(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

/* One random stdio operation on both streams; they must agree on result, bytes and position. */
static void same_step(FILE *mem, FILE *file, long size, uint64_t *rnd) {
  unsigned char a[3000], b[3000];
  uint64_t r = next_random(rnd);
  switch (r % 5) {
  case 0: { /* seek from the start, sometimes past the end */
    long to = (long)(next_random(rnd) % (uint64_t)(size + 2000));
    assert_int_equal(fseek(mem, to, SEEK_SET), fseek(file, to, SEEK_SET));
    break;
  }
  case 1: { /* seek from the end */
    long back = -(long)(next_random(rnd) % (uint64_t)size);
    assert_int_equal(fseeko64(mem, back, SEEK_END), fseeko64(file, back, SEEK_END));
    break;
  }
  case 2: { /* seek relative, forward or back */
    long by = (long)(next_random(rnd) % 4000) - 2000;
    if (ftell(file) + by < 0) by = 0;
    assert_int_equal(fseek(mem, by, SEEK_CUR), fseek(file, by, SEEK_CUR));
    break;
  }
  case 3: { /* read elements of a few sizes, as Swiss Ephemeris does */
    size_t elem = (size_t[]){1, 2, 4, 8}[next_random(rnd) % 4];
    size_t count = (size_t)(next_random(rnd) % (sizeof a / elem)) + 1;
    memset(a, 0, sizeof a);
    memset(b, 0xff, sizeof b);
    size_t got = fread(a, elem, count, mem);
    assert_int_equal(got, fread(b, elem, count, file));
    assert_memory_equal(a, b, got * elem);
    assert_int_equal(feof(mem) != 0, feof(file) != 0);
    break;
  }
  default:
    rewind(mem);
    rewind(file);
  }
  assert_int_equal(ftell(mem), ftell(file));
  assert_int_equal(ftello64(mem), ftello64(file));
}

static void test_stream_matches_stdio(void **state) {
  (void)state; /* its context (setup) binds this thread's streams */
  FILE *mem = fopen(planet_file, "rb");
  FILE *file = __real_fopen(planet_file, "rb");
  assert_non_null(mem);
  assert_non_null(file);
  assert_int_equal(fileno(mem), -1); /* a memory stream holds no descriptor */
  assert_true(fileno(file) >= 0);
  assert_int_equal(fseek(file, 0, SEEK_END), 0);
  long size = ftell(file);
  assert_true(size > 100000);
  rewind(file);
  uint64_t rnd = 0x9e3779b97f4a7c15u;
  for (int i = 0; i < 20000; i++)
    same_step(mem, file, size, &rnd);
  fclose(mem);
  fclose(file);
}

typedef struct {
  double xx[200][6];
  int ret[200];
} positions;

static void compute(positions *p) {
  char serr[AS_MAXCH];
  for (int i = 0; i < 200; i++) {
    /* 200 dates from 1600 to 2400 (three planetary files), ten bodies in turn. */
    double jd = 2305447.5 + i * 1461.37;
    p->ret[i] = swe_calc_ut(jd, i % 10, SEFLG_SWIEPH | SEFLG_SPEED, p->xx[i], serr);
  }
}

typedef struct {
  positions p;
  int descriptors; /* open on .se1 files after the run */
} stdio_run;

/* A thread with no context: Swiss Ephemeris reads through plain stdio. */
static void *compute_with_stdio(void *arg) {
  stdio_run *run = arg;
  swe_set_ephe_path(ephe_dir);
  compute(&run->p);
  run->descriptors = se1_descriptors();
  swe_close();
  return NULL;
}

static void test_positions_bit_identical(void **state) {
  (void)state;
  stdio_run plain;
  positions *mem = malloc(sizeof *mem);
  assert_non_null(mem);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, compute_with_stdio, &plain), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_true(plain.descriptors >= 2); /* the stdio thread had its files open */

  noc_ctx *ctx;
  noc_error err;
  assert_int_equal(noc_ctx_open(&ctx, NULL, &err), NOC_OK);
  compute(mem);
  assert_int_equal(se1_descriptors(), 0);
  assert_true(ctx->map_count >= 2);
  assert_true(se1_mappings() >= 2);
  for (int i = 0; i < 200; i++) {
    assert_int_equal(mem->ret[i], plain.p.ret[i]);
    assert_true((mem->ret[i] & SEFLG_SWIEPH) != 0);
    assert_memory_equal(mem->xx[i], plain.p.xx[i], sizeof mem->xx[i]);
  }
  noc_ctx_close(ctx);
  assert_int_equal(se1_mappings(), 0); /* closing unmapped every file */
  free(mem);
}

static void test_other_files_pass_through(void **state) {
  noc_ctx *ctx = *state;
  size_t maps = ctx->map_count;

  char dir[] = "/tmp/noc-ephe-stream-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/written.se1", dir);
  /* Writing, even to a .se1 name, is plain stdio. */
  FILE *w = fopen(path, "w+");
  assert_non_null(w);
  assert_true(fileno(w) >= 0);
  assert_int_equal(fputs("abc", w), 1);
  fclose(w);
  FILE *r = fopen(path, "r+");
  assert_non_null(r);
  assert_true(fileno(r) >= 0);
  fclose(r);
  /* A missing file fails as fopen fails. */
  snprintf(path, sizeof path, "%s/missing.se1", dir);
  errno = 0;
  assert_null(fopen(path, "rb"));
  assert_int_equal(errno, ENOENT);
  /* Other files are plain stdio. */
  FILE *t = fopen("/usr/share/libswe/ephe/seleapsec.txt", "r");
  assert_non_null(t);
  assert_true(fileno(t) >= 0);
  fclose(t);
  assert_int_equal(ctx->map_count, maps);

  snprintf(path, sizeof path, "%s/written.se1", dir);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(dir), 0);
}

/* One mapping per file, reused by every stream over it; past NOC_EPHE_MAPS_MAX files, plain
 * stdio. */
static void test_mapping_reuse_and_limit(void **state) {
  noc_ctx *ctx = *state;
  size_t before = ctx->map_count;
  FILE *again = fopen(planet_file, "rb");
  assert_non_null(again);
  assert_int_equal(fileno(again), -1);
  assert_int_equal(ctx->map_count, before); /* the probe's mapping, reused */
  fclose(again);
  /* The asteroid files of 17 different centuries: more files than a context maps. */
  static const char *const centuries[] = {"00",  "06",  "12",  "18",  "24",  "30",
                                          "36",  "42",  "48",  "m06", "m12", "m18",
                                          "m24", "m30", "m36", "m42", "m48"};
  size_t mapped = 0, plain = 0;
  for (size_t i = 0; i < sizeof centuries / sizeof centuries[0]; i++) {
    char path[128];
    snprintf(path, sizeof path, "%s/seas%s%s.se1", ephe_dir, centuries[i][0] == 'm' ? "" : "_",
             centuries[i]);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    if (fileno(f) == -1)
      mapped++;
    else
      plain++;
    char head[16], ref[16];
    FILE *g = __real_fopen(path, "rb");
    assert_non_null(g);
    assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
    assert_int_equal(fread(ref, 1, sizeof ref, g), sizeof ref);
    assert_memory_equal(head, ref, sizeof head);
    fclose(g);
    fclose(f);
  }
  assert_int_equal(ctx->map_count, NOC_EPHE_MAPS_MAX);
  assert_int_equal(mapped, NOC_EPHE_MAPS_MAX - before);
  assert_int_equal(plain, 17 - mapped);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_stream_matches_stdio, ctx_setup, ctx_teardown),
      cmocka_unit_test(test_positions_bit_identical),
      cmocka_unit_test_setup_teardown(test_other_files_pass_through, ctx_setup, ctx_teardown),
      cmocka_unit_test_setup_teardown(test_mapping_reuse_and_limit, ctx_setup, ctx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
