/* Swiss Ephemeris reads its coefficient files from memory instead of through system calls.
 *
 * Swiss Ephemeris reads the .se1 files with stdio: each body at each new date costs an fseek and
 * an fread, which glibc turns into an lseek and a read system call (43 per chart of 10 bodies).
 * The linker hands its fopen to __wrap_fopen (-Wl,--wrap=fopen,--wrap=fopen64, with Swiss
 * Ephemeris linked statically). For a .se1 file opened for reading on a thread with an open
 * context, we map the file read-only once and give Swiss Ephemeris a stdio stream over the
 * mapping. Same bytes, same stdio calls on Swiss Ephemeris' side, no system call per read.
 *
 * The mappings belong to the context (one per thread, like Swiss Ephemeris' own state);
 * noc_ctx_close runs swe_close, which closes every stream, before it unmaps them. */
/* NOLINTNEXTLINE(bugprone-reserved-identifier): fopencookie is a GNU extension */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/context_internal.h"
#include "nocturna/buf.h"

/* The names ld's --wrap gives the real and the redirected functions. */
/* NOLINTBEGIN(bugprone-reserved-identifier) */
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode);
/* NOLINTEND(bugprone-reserved-identifier) */

/* The context whose thread this is: where this thread's streams find their mappings. */
static _Thread_local noc_ctx *thread_ctx;

enum { STREAM_BUFFER_BYTES = 1024 };

/* One open stream: a read position over a mapping it borrows from the context. */
typedef struct {
  const unsigned char *base; /* borrowed from noc_ephe_map */
  size_t len;
  off64_t pos;
  /* stdio's buffer for the stream. Never _IONBF: glibc then takes stdout's lock on every read
   * (to flush it if line-buffered), and the worker threads queue on that one lock. */
  char buffer[STREAM_BUFFER_BYTES];
} ephe_stream;

static ssize_t stream_read(void *cookie, char *buf, size_t size) {
  ephe_stream *s = cookie;
  if (s->pos >= (off64_t)s->len) return 0;
  size_t left = s->len - (size_t)s->pos;
  size_t n = size < left ? size : left;
  memcpy(buf, s->base + s->pos, n);
  s->pos += (off64_t)n;
  return (ssize_t)n;
}

static int stream_seek(void *cookie, off64_t *offset, int whence) {
  ephe_stream *s = cookie;
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) {
    errno = EINVAL;
    return -1;
  }
  off64_t from = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : (off64_t)s->len;
  /* Past the end is allowed, as with a file: reads there return end-of-file. */
  if (*offset < -from || *offset > INT64_MAX - from) {
    errno = EINVAL;
    return -1;
  }
  s->pos = from + *offset;
  *offset = s->pos;
  return 0;
}

/* Frees the stream with the stdio buffer inside it: fclose calls this last and, the buffer being
 * the caller's (setvbuf), neither reads nor frees it afterwards. */
static int stream_close(void *cookie) {
  free(cookie);
  return 0;
}

static bool is_read_only_ephemeris(const char *path, const char *mode) {
  size_t n = strlen(path);
  return mode[0] == 'r' && strchr(mode, '+') == NULL && n > 4 && strcmp(path + n - 4, ".se1") == 0;
}

/* The context's mapping of path, made on first use; NULL when it cannot be made. */
static const noc_ephe_map *map_for(noc_ctx *ctx, const char *path) {
  for (size_t i = 0; i < ctx->map_count; i++)
    if (strcmp(ctx->maps[i].path, path) == 0) return &ctx->maps[i];
  if (ctx->map_count == NOC_EPHE_MAPS_MAX || strlen(path) >= sizeof ctx->maps[0].path) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  void *base = MAP_FAILED;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (base == MAP_FAILED) return NULL;
  noc_ephe_map *m = &ctx->maps[ctx->map_count++];
  noc_strlcpy(m->path, path, sizeof m->path);
  m->base = base;
  m->len = (size_t)st.st_size;
  return m;
}

/* A stream over the context's mapping of path; NULL when the caller should use plain stdio. */
static FILE *memory_stream(const char *path, const char *mode) {
  noc_ctx *ctx = thread_ctx;
  if (ctx == NULL || path == NULL || mode == NULL || !is_read_only_ephemeris(path, mode))
    return NULL;
  /* Anything unusual (missing file, no memory): plain stdio, with its own errno. */
  const noc_ephe_map *m = map_for(ctx, path);
  ephe_stream *s = m != NULL ? malloc(sizeof *s) : NULL;
  if (s == NULL) return NULL;
  s->base = m->base;
  s->len = m->len;
  s->pos = 0;
  cookie_io_functions_t io = {.read = stream_read, .seek = stream_seek, .close = stream_close};
  FILE *f = fopencookie(s, "r", io);
  if (f == NULL) {
    free(s);
    return NULL;
  }
  /* A small buffer: Swiss Ephemeris reads a few hundred bytes after each seek, and the default
   * (8 KiB) would copy far more than it uses. */
  setvbuf(f, s->buffer, _IOFBF, sizeof s->buffer);
  return f;
}

FILE *__wrap_fopen(const char *path, const char *mode) {
  FILE *f = memory_stream(path, mode);
  return f != NULL ? f : __real_fopen(path, mode);
}

/* The same for callers built with 64-bit file offsets, where fopen is spelt fopen64. */
FILE *__wrap_fopen64(const char *path, const char *mode) {
  FILE *f = memory_stream(path, mode);
  return f != NULL ? f : __real_fopen64(path, mode);
}

void noc_ephe_streams_bind(noc_ctx *ctx) {
  thread_ctx = ctx;
}

void noc_ephe_streams_release(noc_ctx *ctx) {
  if (thread_ctx == ctx) thread_ctx = NULL;
  for (size_t i = 0; i < ctx->map_count; i++)
    munmap((void *)ctx->maps[i].base, ctx->maps[i].len);
  ctx->map_count = 0;
}
