/* Our own TZif reader (RFC 8536, versions 1 to 4).
 * A zone is parsed once into one immutable allocation: the 64-bit transition table, the local
 * time types and the POSIX TZ footer rule. Lookups are a binary search over the transitions.
 * Instants after the last transition use the footer rule. The Gregorian calendar and its
 * weekdays repeat every 400 years (146097 days), so at load the rule's changes are computed once
 * by date arithmetic for one such cycle (7 KiB per zone with DST); a lookup reduces the instant
 * into that cycle and binary-searches it. Any int64 instant is answered, without overflow. */
#include "util/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
  TZ_FILE_MAX = 1 << 20, /* real TZif files are < 4 KiB; anything larger is refused */
  TZ_CACHE_MAX = 4096,   /* more than the names of a full zoneinfo tree (posix/ and right/ too) */
  TZ_BUCKETS = 512,
  TZ_DIR_MAX = 1024,
  TZ_FOOTER_MAX = 256,
  TZ_SCAN_MAX = 64,   /* segments examined around one local time; real zones need <= 4 */
  TZ_TYPES_MAX = 256, /* transition type indices are one byte */
  /* Footer changes of the years 1968..2371: a margin of two years around the reduced cycle
   * 1970..2369, more than the 167h + 26h a change can move from its date. */
  TZ_EV_YEAR0 = 1968,
  TZ_EV_YEARS = 404,
  TZ_EV_COUNT = 2 * TZ_EV_YEARS,
};

/* RFC 8536 3.2: utoff should lie in -24:59:59 .. 25:59:59. */
#define TZ_UTOFF_MIN    (-89999)
#define TZ_UTOFF_MAX    93599
#define TZ_SECS_PER_DAY 86400
#define TZ_CYCLE_DAYS   146097
#define TZ_CYCLE_SECS   ((int64_t)TZ_CYCLE_DAYS * TZ_SECS_PER_DAY)

typedef enum tz_rule_kind {
  TZ_RULE_JULIAN,  /* Jn: 1..365, February 29 never counted */
  TZ_RULE_ORDINAL, /* n: 0..365, February 29 counted */
  TZ_RULE_MWD      /* Mm.w.d: day d (0 = Sunday) of week w (5 = last) of month m */
} tz_rule_kind;

typedef struct tz_rule {
  tz_rule_kind kind;
  int day;
  int month, week, wday;
  int32_t secs; /* local time of day of the change, -167h..167h (RFC 8536 3.3.1) */
} tz_rule;

typedef struct tz_footer {
  bool present; /* false: the type of the last transition holds forever */
  bool has_dst;
  noc_tz_info std, dst;
  tz_rule start, end; /* start: std -> dst, in std wall time; end: dst -> std, in dst wall time */
} tz_footer;

struct noc_tz {
  noc_tz *next; /* hash chain, owned by the noc_tzdb */
  char name[NOC_TZ_NAME_MAX];
  uint32_t ntrans, ntypes;
  const noc_tz_info *types;  /* points into this allocation */
  const uint8_t *trans_type; /* points into this allocation */
  tz_footer footer;
  const int64_t *ev_at;  /* footer changes in the reduced cycle, ascending; NULL without DST */
  const uint8_t *ev_dst; /* 1: change to DST; points into this allocation */
  int64_t trans[];       /* UTC seconds, strictly ascending */
};

struct noc_tzdb {
  pthread_mutex_t lock; /* guards buckets and count; zones themselves are immutable */
  char dir[TZ_DIR_MAX];
  size_t count;
  noc_tz *buckets[TZ_BUCKETS]; /* owned */
};

/* ---- arithmetic ---------------------------------------------------------------------------- */

static int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

static int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int month_days(int64_t y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return days[m - 1] + (m == 2 && is_leap(y));
}

/* Days since 1970-01-01 of a proleptic Gregorian date, counting years from March so that
 * the leap day falls at the end of the counted year. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  if (m <= 2) y--;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t mar = (m + 9) % 12;
  int64_t doy = (153 * mar + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * TZ_CYCLE_DAYS + doe - 719468;
}

/* ---- POSIX TZ footer rule ------------------------------------------------------------------ */

static int64_t rule_day(const tz_rule *r, int64_t y) {
  switch (r->kind) {
  case TZ_RULE_JULIAN:
    return days_from_civil(y, 1, 1) + r->day - 1 + (is_leap(y) && r->day >= 60);
  case TZ_RULE_ORDINAL:
    return days_from_civil(y, 1, 1) + r->day;
  case TZ_RULE_MWD:
    break;
  }
  int64_t first = days_from_civil(y, r->month, 1);
  int wday_first = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
  int d = (r->wday - wday_first + 7) % 7 + 7 * (r->week - 1);
  if (d >= month_days(y, r->month)) d -= 7;
  return first + d;
}

/* The changes of years TZ_EV_YEAR0.. in time order, for r in [0, TZ_CYCLE_SECS). A change of a
 * later year stays after an equal instant of an earlier one (stable insertion sort, O(n) on
 * the nearly sorted input), so a permanent-DST rule (end of year == start of next) stays DST. */
static void footer_build(const tz_footer *f, int64_t *at, uint8_t *dst) {
  int n = 0;
  for (int64_t y = TZ_EV_YEAR0; y < TZ_EV_YEAR0 + TZ_EV_YEARS; y++) {
    at[n] = rule_day(&f->start, y) * TZ_SECS_PER_DAY + f->start.secs - f->std.utoff;
    dst[n++] = 1;
    at[n] = rule_day(&f->end, y) * TZ_SECS_PER_DAY + f->end.secs - f->dst.utoff;
    dst[n++] = 0;
  }
  for (int i = 1; i < n; i++) {
    int64_t t = at[i];
    uint8_t d = dst[i];
    int j = i;
    for (; j > 0 && at[j - 1] > t; j--) {
      at[j] = at[j - 1];
      dst[j] = dst[j - 1];
    }
    at[j] = t;
    dst[j] = d;
  }
}

static const noc_tz_info *footer_seg(const noc_tz *tz, int64_t u, int64_t *a, int64_t *b) {
  const tz_footer *f = &tz->footer;
  if (tz->ev_at == NULL) {
    *a = INT64_MIN;
    *b = INT64_MAX;
    return &f->std;
  }
  int64_t r = u % TZ_CYCLE_SECS;
  if (r < 0) r += TZ_CYCLE_SECS;
  /* Last change <= r; the year margins guarantee one before r and one after it. */
  int lo = 0, hi = TZ_EV_COUNT;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (tz->ev_at[mid] <= r)
      lo = mid + 1;
    else
      hi = mid;
  }
  int i = lo - 1;
  if (i < 0) i = 0;
  if (i > TZ_EV_COUNT - 2) i = TZ_EV_COUNT - 2;
  *a = sat_sub(u, r - tz->ev_at[i]);
  *b = sat_add(u, tz->ev_at[i + 1] - r);
  return tz->ev_dst[i] ? &f->dst : &f->std;
}

/* ---- lookups -------------------------------------------------------------------------------- */

/* The type in force at u and the maximal stretch [a, b) of the table or rule around u. */
static const noc_tz_info *tz_segment(const noc_tz *tz, int64_t u, int64_t *a, int64_t *b) {
  uint32_t lo = 0, hi = tz->ntrans;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (tz->trans[mid] <= u)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == tz->ntrans && tz->footer.present) {
    const noc_tz_info *info = footer_seg(tz, u, a, b);
    if (tz->ntrans > 0 && *a < tz->trans[lo - 1]) *a = tz->trans[lo - 1];
    return info;
  }
  *a = lo == 0 ? INT64_MIN : tz->trans[lo - 1];
  *b = lo == tz->ntrans ? INT64_MAX : tz->trans[lo];
  return lo == 0 ? &tz->types[0] : &tz->types[tz->trans_type[lo - 1]];
}

void noc_tz_at_utc(const noc_tz *tz, int64_t utc, noc_tz_info *out) {
  int64_t a, b;
  *out = *tz_segment(tz, utc, &a, &b);
}

const char *noc_tz_name(const noc_tz *tz) {
  return tz->name;
}

/* A local time L is valid in a segment [a, b) with offset o when a <= L - o < b. Every such
 * L - o lies within [L - max offset, L - min offset], so scanning the segments covering that
 * window finds all candidates, in UTC order. Between two segments whose wall-clock ranges
 * leave a hole (t + o_prev <= L < t + o_next) the local time is in a gap. */
void noc_tz_local_to_utc(const noc_tz *tz, int64_t local, noc_tz_local *out) {
  memset(out, 0, sizeof *out);
  int64_t u = sat_sub(local, TZ_UTOFF_MAX);
  int64_t hi = sat_sub(local, TZ_UTOFF_MIN);
  const noc_tz_info *prev = NULL;
  const noc_tz_info *gap_before = NULL, *gap_after = NULL;
  for (int i = 0; i < TZ_SCAN_MAX; i++) {
    int64_t a, b, c;
    const noc_tz_info *info = tz_segment(tz, u, &a, &b);
    bool ok = !__builtin_sub_overflow(local, (int64_t)info->utoff, &c);
    if (ok && c >= a && c < b) {
      if (out->count < 2) {
        out->utc[out->count] = c;
        out->info[out->count] = *info;
        out->count++;
      }
    } else if (prev != NULL && gap_before == NULL && local >= sat_add(a, prev->utoff) &&
               local < sat_add(a, info->utoff)) {
      gap_before = prev;
      gap_after = info;
    }
    prev = info;
    if (b > hi || b == INT64_MAX) break;
    u = b;
  }
  if (out->count == 0) {
    if (gap_before == NULL) /* only if the scan bound was hit on a pathological file */
      gap_before = gap_after = prev;
    out->before = *gap_before;
    out->after = *gap_after;
  } else {
    out->before = out->info[0];
    out->after = out->info[out->count - 1];
  }
}

/* ---- POSIX TZ string parsing (footer) -------------------------------------------------------- */

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* std/dst designation: three or more letters, or <...> of letters, digits, '+', '-'. */
static bool parse_abbr(const char **sp, char out[NOC_TZ_ABBR_MAX]) {
  const char *s = *sp;
  size_t n = 0;
  bool quoted = *s == '<';
  if (quoted) s++;
  for (; *s != '\0'; s++) {
    bool ok = is_alpha(*s) || (quoted && (is_digit(*s) || *s == '+' || *s == '-'));
    if (!ok) break;
    if (n < NOC_TZ_ABBR_MAX - 1) out[n] = *s;
    n++;
  }
  if (quoted && *s++ != '>') return false;
  if (n < 3) return false;
  out[n < NOC_TZ_ABBR_MAX - 1 ? n : NOC_TZ_ABBR_MAX - 1] = '\0';
  *sp = s;
  return true;
}

static bool parse_uint(const char **sp, int max_digits, int max_value, int *out) {
  const char *s = *sp;
  int v = 0, n = 0;
  while (is_digit(*s) && n < max_digits) {
    v = v * 10 + (*s - '0');
    s++;
    n++;
  }
  if (n == 0 || is_digit(*s) || v > max_value) return false;
  *out = v;
  *sp = s;
  return true;
}

/* [+|-]h[hh][:mm[:ss]] -> signed seconds. */
static bool parse_hms(const char **sp, int max_hours, int32_t *out) {
  const char *s = *sp;
  int sign = 1, h = 0, m = 0, sec = 0;
  if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
  if (!parse_uint(&s, 3, max_hours, &h)) return false;
  if (*s == ':') {
    s++;
    if (!parse_uint(&s, 2, 59, &m)) return false;
    if (*s == ':') {
      s++;
      if (!parse_uint(&s, 2, 59, &sec)) return false;
    }
  }
  *out = sign * (h * 3600 + m * 60 + sec);
  *sp = s;
  return true;
}

static bool parse_rule(const char **sp, tz_rule *r) {
  const char *s = *sp;
  memset(r, 0, sizeof *r);
  if (*s == 'J') {
    s++;
    r->kind = TZ_RULE_JULIAN;
    if (!parse_uint(&s, 3, 365, &r->day) || r->day < 1) return false;
  } else if (*s == 'M') {
    s++;
    r->kind = TZ_RULE_MWD;
    if (!parse_uint(&s, 2, 12, &r->month) || r->month < 1 || *s++ != '.' ||
        !parse_uint(&s, 1, 5, &r->week) || r->week < 1 || *s++ != '.' ||
        !parse_uint(&s, 1, 6, &r->wday))
      return false;
  } else {
    r->kind = TZ_RULE_ORDINAL;
    if (!parse_uint(&s, 3, 365, &r->day)) return false;
  }
  r->secs = 2 * 3600;
  if (*s == '/') {
    s++;
    if (!parse_hms(&s, 167, &r->secs)) return false;
  }
  *sp = s;
  return true;
}

static bool utoff_ok(int64_t v) {
  return v >= TZ_UTOFF_MIN && v <= TZ_UTOFF_MAX;
}

/* POSIX offsets count hours west of Greenwich; ours count seconds east. */
static bool parse_utoff(const char **sp, int32_t *utoff) {
  int32_t west;
  if (!parse_hms(sp, 24, &west)) return false;
  *utoff = -west;
  return true;
}

static bool parse_footer(const char *s, tz_footer *f) {
  memset(f, 0, sizeof *f);
  if (*s == '\0') return true; /* empty: no rule beyond the table */
  f->present = true;
  if (!parse_abbr(&s, f->std.abbr) || !parse_utoff(&s, &f->std.utoff)) return false;
  if (*s == '\0') return true;
  f->has_dst = true;
  f->dst.is_dst = true;
  if (!parse_abbr(&s, f->dst.abbr)) return false;
  f->dst.utoff = f->std.utoff + 3600;
  if (*s != ',' && *s != '\0' && !parse_utoff(&s, &f->dst.utoff)) return false;
  if (!utoff_ok(f->dst.utoff)) return false;
  if (*s == '\0') {
    /* No rule given: POSIX leaves it to the implementation; glibc uses the US rule. */
    f->start = (tz_rule){TZ_RULE_MWD, 0, 3, 2, 0, 7200};
    f->end = (tz_rule){TZ_RULE_MWD, 0, 11, 1, 0, 7200};
    return true;
  }
  if (*s++ != ',' || !parse_rule(&s, &f->start) || *s++ != ',' || !parse_rule(&s, &f->end))
    return false;
  return *s == '\0';
}

/* ---- TZif parsing ---------------------------------------------------------------------------- */

typedef struct tz_reader {
  const uint8_t *p; /* borrowed file contents */
  size_t len, pos;
} tz_reader;

static const uint8_t *rd_take(tz_reader *r, size_t n) {
  if (n > r->len - r->pos) return NULL;
  const uint8_t *q = r->p + r->pos;
  r->pos += n;
  return q;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p) {
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_header {
  uint8_t version;
  uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_header;

typedef enum tzif_status {
  TZIF_OK,
  TZIF_NOT_TZIF,
  TZIF_CORRUPT,
  TZIF_LEAP,
  TZIF_NOMEM
} tzif_status;

static tzif_status read_header(tz_reader *r, tzif_header *h) {
  const uint8_t *p = rd_take(r, 44);
  if (p == NULL || memcmp(p, "TZif", 4) != 0) return TZIF_NOT_TZIF;
  h->version = p[4];
  h->isutcnt = be32(p + 20);
  h->isstdcnt = be32(p + 24);
  h->leapcnt = be32(p + 28);
  h->timecnt = be32(p + 32);
  h->typecnt = be32(p + 36);
  h->charcnt = be32(p + 40);
  if (h->version != 0 && h->version < '2') return TZIF_CORRUPT;
  if (h->typecnt == 0 || h->typecnt > TZ_TYPES_MAX || h->charcnt == 0 ||
      (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
      (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
    return TZIF_CORRUPT;
  /* Leap-second ("right/") files count TAI-like seconds, not the POSIX time we work in. */
  if (h->leapcnt != 0) return TZIF_LEAP;
  return TZIF_OK;
}

static uint64_t block_size(const tzif_header *h, unsigned tsize) {
  return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
         (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* One allocation: struct, then the int64 arrays, the types, then the byte arrays. */
static noc_tz *zone_alloc(uint32_t ntrans, uint32_t ntypes, const tz_footer *footer) {
  size_t nev = footer->has_dst ? TZ_EV_COUNT : 0;
  size_t size = sizeof(noc_tz) + ((size_t)ntrans + nev) * sizeof(int64_t) +
                (size_t)ntypes * sizeof(noc_tz_info) + ntrans + nev;
  noc_tz *tz = calloc(1, size);
  if (tz == NULL) return NULL;
  tz->ntrans = ntrans;
  tz->ntypes = ntypes;
  tz->footer = *footer;
  int64_t *ev_at = tz->trans + ntrans;
  tz->types = (const noc_tz_info *)(ev_at + nev);
  tz->trans_type = (const uint8_t *)(tz->types + ntypes);
  uint8_t *ev_dst = (uint8_t *)tz->trans_type + ntrans;
  if (nev > 0) {
    footer_build(footer, ev_at, ev_dst);
    tz->ev_at = ev_at;
    tz->ev_dst = ev_dst;
  }
  return tz;
}

/* Fills the zone from a data block whose size was checked against the file. */
static tzif_status read_block(tz_reader *r, const tzif_header *h, unsigned tsize, noc_tz *tz) {
  const uint8_t *times = rd_take(r, (size_t)h->timecnt * tsize);
  const uint8_t *idx = rd_take(r, h->timecnt);
  const uint8_t *types = rd_take(r, (size_t)h->typecnt * 6);
  const uint8_t *chars = rd_take(r, h->charcnt);
  if (times == NULL || idx == NULL || types == NULL || chars == NULL ||
      rd_take(r, (size_t)h->isstdcnt + h->isutcnt) == NULL)
    return TZIF_CORRUPT;
  for (uint32_t i = 0; i < h->timecnt; i++) {
    const uint8_t *p = times + (size_t)i * tsize;
    tz->trans[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
    if ((i > 0 && tz->trans[i] <= tz->trans[i - 1]) || idx[i] >= h->typecnt) return TZIF_CORRUPT;
  }
  memcpy((uint8_t *)tz->trans_type, idx, h->timecnt);
  noc_tz_info *out = (noc_tz_info *)tz->types;
  for (uint32_t i = 0; i < h->typecnt; i++) {
    const uint8_t *p = types + (size_t)i * 6;
    int32_t utoff = (int32_t)be32(p);
    uint8_t ai = p[5];
    if (!utoff_ok(utoff) || p[4] > 1 || ai >= h->charcnt ||
        memchr(chars + ai, '\0', h->charcnt - ai) == NULL)
      return TZIF_CORRUPT;
    out[i].utoff = utoff;
    out[i].is_dst = p[4] == 1;
    snprintf(out[i].abbr, sizeof out[i].abbr, "%s", (const char *)chars + ai);
  }
  return TZIF_OK;
}

/* "\n<POSIX TZ>\n" after the v2+ block. */
static tzif_status read_footer(tz_reader *r, tz_footer *f) {
  const uint8_t *nl = rd_take(r, 1);
  if (nl == NULL || *nl != '\n') return TZIF_CORRUPT;
  const uint8_t *start = r->p + r->pos;
  const uint8_t *end = memchr(start, '\n', r->len - r->pos);
  if (end == NULL || (size_t)(end - start) >= TZ_FOOTER_MAX) return TZIF_CORRUPT;
  char text[TZ_FOOTER_MAX];
  size_t n = (size_t)(end - start);
  memcpy(text, start, n);
  text[n] = '\0';
  if (memchr(text, '\0', n) != NULL || !parse_footer(text, f)) return TZIF_CORRUPT;
  return TZIF_OK;
}

static tzif_status tzif_parse(const uint8_t *data, size_t len, noc_tz **out) {
  tz_reader r = {data, len, 0};
  tzif_header h;
  tzif_status st = read_header(&r, &h);
  if (st != TZIF_OK) return st;
  unsigned tsize = 4;
  if (h.version != 0) { /* skip the 32-bit block for the 64-bit one that follows it */
    if (block_size(&h, 4) > r.len - r.pos) return TZIF_CORRUPT;
    r.pos += (size_t)block_size(&h, 4);
    if ((st = read_header(&r, &h)) != TZIF_OK) return st == TZIF_NOT_TZIF ? TZIF_CORRUPT : st;
    tsize = 8;
  }
  if (block_size(&h, tsize) > r.len - r.pos) return TZIF_CORRUPT;
  /* The footer follows the block but is needed first, to size the zone. */
  size_t block_at = r.pos;
  tz_footer footer;
  memset(&footer, 0, sizeof footer);
  if (tsize == 8) {
    r.pos += (size_t)block_size(&h, tsize);
    if ((st = read_footer(&r, &footer)) != TZIF_OK) return st;
    r.pos = block_at;
  }
  noc_tz *tz = zone_alloc(h.timecnt, h.typecnt, &footer);
  if (tz == NULL) return TZIF_NOMEM;
  st = read_block(&r, &h, tsize, tz);
  if (st != TZIF_OK) {
    free(tz);
    return st;
  }
  *out = tz;
  return TZIF_OK;
}

/* ---- files and names ------------------------------------------------------------------------- */

/* Plain relative paths of [A-Za-z0-9_+-] segments: no '.', so no "..", no absolute path. */
static bool tz_name_valid(const char *name) {
  size_t len = strnlen(name, NOC_TZ_NAME_MAX);
  if (len == 0 || len >= NOC_TZ_NAME_MAX) return false;
  size_t seg = 0;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (c == '/') {
      if (seg == 0) return false;
      seg = 0;
      continue;
    }
    if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '+' || c == '-')) return false;
    seg++;
  }
  return seg > 0;
}

/* A printable, bounded copy of a user-supplied name for error messages. */
static void echo_name(const char *name, char *buf, size_t cap) {
  size_t n = 0;
  for (; name[n] != '\0' && n + 4 < cap && n < 40; n++) {
    unsigned char c = (unsigned char)name[n];
    buf[n] = (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') ? (char)c : '?';
  }
  if (name[n] != '\0' && n + 4 <= cap) {
    memcpy(buf + n, "...", 3);
    n += 3;
  }
  buf[n] = '\0';
}

static noc_status fail_unknown(noc_error *err, const char *name) {
  return noc_fail(err, NOC_ERR_VALIDATION, "timezone",
                  "unknown time zone '%s' (expected an IANA name such as 'Europe/Berlin' or 'UTC')",
                  name);
}

/* The whole file in a new buffer (caller frees), or NULL with err set; ENOENT-like failures
 * mean an unknown zone. */
static uint8_t *read_zone_file(const char *path, const char *name, size_t *len, noc_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR || errno == ELOOP ||
        errno == ENAMETOOLONG)
      fail_unknown(err, name);
    else
      noc_fail(err, NOC_ERR_INTERNAL, "timezone", "time zone '%s' could not be read", name);
    return NULL;
  }
  struct stat st;
  uint8_t *buf = NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    fail_unknown(err, name);
  else if (st.st_size > TZ_FILE_MAX)
    noc_fail(err, NOC_ERR_INTERNAL, "timezone", "time zone data for '%s' is corrupt", name);
  else if ((buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL)
    noc_fail(err, NOC_ERR_NOMEM, "timezone", "out of memory loading time zone '%s'", name);
  size_t got = 0, cap = buf != NULL ? (size_t)st.st_size : 0;
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      free(buf);
      buf = NULL;
      noc_fail(err, NOC_ERR_INTERNAL, "timezone", "time zone '%s' could not be read", name);
      break;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  close(fd);
  *len = got;
  return buf;
}

/* A new zone (caller owns it), or NULL with err set. */
static noc_tz *tz_load(const noc_tzdb *db, const char *name, noc_error *err) {
  char path[TZ_DIR_MAX + NOC_TZ_NAME_MAX + 2];
  int n = snprintf(path, sizeof path, "%s/%s", db->dir, name);
  if (n < 0 || (size_t)n >= sizeof path) {
    fail_unknown(err, name);
    return NULL;
  }
  size_t len = 0;
  uint8_t *data = read_zone_file(path, name, &len, err); /* owned here */
  if (data == NULL) return NULL;
  noc_tz *tz = NULL;
  tzif_status st = tzif_parse(data, len, &tz);
  free(data);
  switch (st) {
  case TZIF_OK:
    snprintf(tz->name, sizeof tz->name, "%s", name);
    return tz;
  case TZIF_NOT_TZIF:
    fail_unknown(err, name);
    break;
  case TZIF_LEAP:
    noc_fail(err, NOC_ERR_VALIDATION, "timezone",
             "time zone '%s' counts leap seconds ('right/' zones are not supported)", name);
    break;
  case TZIF_NOMEM:
    noc_fail(err, NOC_ERR_NOMEM, "timezone", "out of memory loading time zone '%s'", name);
    break;
  case TZIF_CORRUPT:
    noc_fail(err, NOC_ERR_INTERNAL, "timezone", "time zone data for '%s' is corrupt", name);
    break;
  }
  return NULL;
}

/* ---- the database ---------------------------------------------------------------------------- */

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s != '\0'; s++)
    h = (h ^ (uint8_t)*s) * 16777619u;
  return h % TZ_BUCKETS;
}

static noc_tz *cache_find(const noc_tzdb *db, uint32_t bucket, const char *name) {
  for (noc_tz *tz = db->buckets[bucket]; tz != NULL; tz = tz->next)
    if (strcmp(tz->name, name) == 0) return tz;
  return NULL;
}

noc_tzdb *noc_tzdb_open(const char *zoneinfo_dir) {
  const char *dir = zoneinfo_dir != NULL ? zoneinfo_dir : "/usr/share/zoneinfo";
  size_t len = strlen(dir);
  struct stat st;
  if (len == 0 || len >= TZ_DIR_MAX || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
  noc_tzdb *db = calloc(1, sizeof *db);
  if (db == NULL) return NULL;
  if (pthread_mutex_init(&db->lock, NULL) != 0) {
    free(db);
    return NULL;
  }
  memcpy(db->dir, dir, len + 1);
  return db;
}

void noc_tzdb_close(noc_tzdb *db) {
  if (db == NULL) return;
  for (size_t i = 0; i < TZ_BUCKETS; i++) {
    noc_tz *tz = db->buckets[i];
    while (tz != NULL) {
      noc_tz *next = tz->next;
      free(tz);
      tz = next;
    }
  }
  pthread_mutex_destroy(&db->lock);
  free(db);
}

/* Files are read outside the lock so that one slow load does not stall other lookups; a zone
 * loaded twice by racing threads is resolved by keeping the first one inserted. Only zones
 * that loaded are cached, so the cache is bounded by the files in the directory. */
const noc_tz *noc_tzdb_get(noc_tzdb *db, const char *name, noc_error *err) {
  if (db == NULL || name == NULL) {
    noc_fail(err, NOC_ERR_VALIDATION, "timezone", "time zone is missing");
    return NULL;
  }
  if (!tz_name_valid(name)) {
    char shown[48];
    echo_name(name, shown, sizeof shown);
    noc_fail(err, NOC_ERR_VALIDATION, "timezone",
             "invalid time zone name '%s' (expected an IANA name such as 'Europe/Berlin': "
             "letters, digits, '_', '+', '-' and '/', at most %d characters)",
             shown, NOC_TZ_NAME_MAX - 1);
    return NULL;
  }
  uint32_t bucket = name_hash(name);
  pthread_mutex_lock(&db->lock);
  noc_tz *found = cache_find(db, bucket, name);
  pthread_mutex_unlock(&db->lock);
  if (found != NULL) return found;

  noc_tz *tz = tz_load(db, name, err); /* owned until inserted */
  if (tz == NULL) return NULL;
  pthread_mutex_lock(&db->lock);
  found = cache_find(db, bucket, name);
  bool full = found == NULL && db->count >= TZ_CACHE_MAX;
  if (found == NULL && !full) {
    tz->next = db->buckets[bucket];
    db->buckets[bucket] = tz;
    db->count++;
    found = tz;
    tz = NULL;
  }
  pthread_mutex_unlock(&db->lock);
  free(tz);
  if (full)
    noc_fail(err, NOC_ERR_NOMEM, "timezone", "too many distinct time zones in use (limit %d)",
             TZ_CACHE_MAX);
  return found;
}
