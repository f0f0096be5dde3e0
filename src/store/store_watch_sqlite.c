/* SQLite change watcher for noc_store_identity_version.
 *
 * Every commit in WAL mode ends by rewriting the WAL-index header at the start of the
 * database's shared memory (<db>-shm, mapped by every connection of every process): two copies
 * of a 48-byte header that hold a per-commit change counter, the last frame number, the WAL
 * salts and a checksum. Readers of any process decide what they see from that header, so a
 * commit is visible exactly when the header has changed. Reading it is a few loads from
 * memory; the documented alternative, PRAGMA data_version, has to open a read transaction,
 * which takes and drops a POSIX lock on the shm file (two fcntl system calls, ~2 us here: half
 * the cost of the whole token check it is meant to spare). The layout is the one described in
 * SQLite's "WAL-mode file format" document for the unix VFS (header version 3007000); when it
 * does not match, or the database is not in WAL mode, PRAGMA data_version is used instead.
 *
 * The watcher has its own connection (never in the pool, never in a transaction). The region
 * is asked of that connection's own VFS file (xShmMap without extending) on every call, under
 * the watcher's mutex: it stays mapped while the connection has its WAL open, and this
 * process's shared lock on the shm's "dead man switch" byte keeps other processes from
 * truncating the file meanwhile. No file descriptor of ours ever points at the shm file (closing
 * one would drop SQLite's POSIX locks for the whole process). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

enum {
  HDR_WORDS = 12,        /* 48 bytes: one copy of the WAL-index header */
  HDR_VERSION = 3007000, /* its first word, WALINDEX_MAX_VERSION */
  SHM_REGION = 32768,    /* the size SQLite maps regions with */
  MODE_NONE = 0,
  MODE_HEADER = 1,
  MODE_PRAGMA = 2
};

typedef struct sq_watch {
  pthread_mutex_t mu; /* guards everything below, and the connection */
  sqlite3 *db;        /* owned; NULL until opened */
  sqlite3_stmt *dv;   /* owned: PRAGMA data_version */
  sqlite3_file *file; /* borrowed from db: its main database file */
  bool wal;           /* db is in WAL mode (the header can be read) */
  bool force_pragma;  /* tests */
  int mode;           /* how the last observation was made (MODE_*) */
  uint32_t last_hdr[HDR_WORDS];
  int64_t last_dv;
  uint64_t seen;
} sq_watch;

static void close_db(sq_watch *w) {
  sqlite3_finalize(w->dv);
  sqlite3_close(w->db);
  w->dv = NULL;
  w->db = NULL;
  w->file = NULL;
  w->mode = MODE_NONE;
}

static noc_store_rc fail_db(sq_watch *w, noc_error *err, const char *what) {
  noc_store_rc rc = noc_store_fail(err, NOC_STORE_UNAVAILABLE, "", "SQLite change watcher: %s: %s",
                                   what, w->db ? sqlite3_errmsg(w->db) : "out of memory");
  close_db(w);
  return rc;
}

static bool wal_mode(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  bool wal = false;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char *m = sqlite3_column_text(st, 0);
    wal = m != NULL && strcmp((const char *)m, "wal") == 0;
  }
  sqlite3_finalize(st);
  return wal;
}

static noc_store_rc read_data_version(sq_watch *w, int64_t *dv, noc_error *err) {
  int rc = sqlite3_step(w->dv);
  if (rc == SQLITE_ROW) *dv = sqlite3_column_int64(w->dv, 0);
  sqlite3_reset(w->dv);
  if (rc != SQLITE_ROW)
    return noc_store_fail(err, NOC_STORE_UNAVAILABLE, "", "SQLite change watcher: %s",
                          sqlite3_errmsg(w->db));
  return NOC_STORE_OK;
}

/* Under w->mu. The database exists (the store made it and migrated it). */
static noc_store_rc open_db(noc_store *s, sq_watch *w, noc_error *err) {
  if (sqlite3_open_v2(s->target, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK)
    return fail_db(w, err, "open");
  sqlite3_busy_timeout(w->db, (int)s->cfg.busy_timeout_ms);
  int64_t dv = 0;
  if (sqlite3_prepare_v2(w->db, "PRAGMA data_version", -1, &w->dv, NULL) != SQLITE_OK ||
      read_data_version(w, &dv, err) != NOC_STORE_OK)
    return fail_db(w, err, "first read");
  w->wal = wal_mode(w->db); /* after a read: the WAL and its shared memory are open now */
  if (sqlite3_file_control(w->db, "main", SQLITE_FCNTL_FILE_POINTER, &w->file) != SQLITE_OK)
    w->file = NULL;
  return NOC_STORE_OK;
}

/* The current header (copy 0, the one written last) into out; false when it cannot be read. */
static bool read_header(sq_watch *w, uint32_t out[HDR_WORDS]) {
  if (!w->wal || w->force_pragma || w->file == NULL || w->file->pMethods == NULL ||
      w->file->pMethods->iVersion < 2 || w->file->pMethods->xShmMap == NULL)
    return false;
  void volatile *region = NULL;
  if (w->file->pMethods->xShmMap(w->file, 0, SHM_REGION, 0, &region) != SQLITE_OK || region == NULL)
    return false;
  /* Written by other processes without our knowledge: word by word, atomically. A copy read
   * while a writer rewrites it is a mix that differs from the previous one, which only counts
   * as one more change. */
  volatile _Atomic uint32_t *words = (volatile _Atomic uint32_t *)region;
  for (int i = 0; i < HDR_WORDS; i++)
    out[i] = atomic_load_explicit(&words[i], memory_order_acquire);
  return out[0] == HDR_VERSION;
}

/* Under w->mu: one observation; w->seen grows when it differs from the previous one (or was
 * made another way: the two cannot be compared). */
static noc_store_rc observe(sq_watch *w, noc_error *err) {
  uint32_t hdr[HDR_WORDS];
  if (read_header(w, hdr)) {
    if (w->mode != MODE_HEADER || memcmp(hdr, w->last_hdr, sizeof hdr) != 0) {
      memcpy(w->last_hdr, hdr, sizeof hdr);
      w->mode = MODE_HEADER;
      w->seen++;
    }
    return NOC_STORE_OK;
  }
  int64_t dv = 0;
  noc_store_rc rc = read_data_version(w, &dv, err);
  if (rc != NOC_STORE_OK) return rc;
  if (w->mode != MODE_PRAGMA || dv != w->last_dv) {
    w->last_dv = dv;
    w->mode = MODE_PRAGMA;
    w->seen++;
  }
  return NOC_STORE_OK;
}

/* s->watch, made on first use (the pool's mutex only then). */
static sq_watch *get_watch(noc_store *s) {
  sq_watch *w = atomic_load_explicit(&s->watch, memory_order_acquire);
  if (w != NULL) return w;
  pthread_mutex_lock(&s->mu);
  w = atomic_load_explicit(&s->watch, memory_order_relaxed);
  if (w == NULL && (w = calloc(1, sizeof *w)) != NULL) {
    pthread_mutex_init(&w->mu, NULL);
    atomic_store_explicit(&s->watch, w, memory_order_release);
  }
  pthread_mutex_unlock(&s->mu);
  return w;
}

noc_store_rc noc_store_sqlite_watch(noc_store *s, uint64_t *seen, bool *reliable, noc_error *err) {
  *seen = 0;
  *reliable = false;
  sq_watch *w = get_watch(s);
  if (w == NULL) return noc_store_fail(err, NOC_STORE_ERROR, "", "out of memory");
  pthread_mutex_lock(&w->mu);
  noc_store_rc rc = NOC_STORE_OK;
  if (w->db == NULL) rc = open_db(s, w, err);
  if (rc == NOC_STORE_OK) rc = observe(w, err);
  *seen = w->seen;
  pthread_mutex_unlock(&w->mu);
  *reliable = rc == NOC_STORE_OK;
  return rc;
}

void noc_store_sqlite_watch_force_pragma(noc_store *s, bool on) {
  sq_watch *w = get_watch(s);
  if (w == NULL) return;
  pthread_mutex_lock(&w->mu);
  w->force_pragma = on;
  pthread_mutex_unlock(&w->mu);
}

void noc_store_sqlite_watch_close(noc_store *s) {
  sq_watch *w = atomic_exchange(&s->watch, NULL);
  if (w == NULL) return;
  close_db(w);
  pthread_mutex_destroy(&w->mu);
  free(w);
}
