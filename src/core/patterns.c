/* Aspect patterns (grand trine, T-square, grand cross, yod, kite, mystic rectangle, stellium),
 * Jones' whole-chart shapes, and the elements and modalities of signs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nocturna/points.h"
#include "nocturna/zodiac.h"

static const char *const pattern_names[NOC_PAT_COUNT] = {
    "GRAND_TRINE", "T_SQUARE", "GRAND_CROSS", "YOD", "KITE", "MYSTIC_RECTANGLE", "STELLIUM",
};

const char *noc_pattern_name(noc_pattern_type type) {
  return type >= 0 && type < NOC_PAT_COUNT ? pattern_names[type] : "UNKNOWN";
}

void noc_pattern_config_default(noc_pattern_config *cfg) {
  for (int i = 0; i < NOC_ASP_COUNT; i++)
    cfg->orb[i] = 0.0;
  cfg->orb[NOC_ASP_CONJUNCTION] = 8.0;
  cfg->orb[NOC_ASP_OPPOSITION] = 8.0;
  cfg->orb[NOC_ASP_TRINE] = 8.0;
  cfg->orb[NOC_ASP_SQUARE] = 7.0;
  cfg->orb[NOC_ASP_SEXTILE] = 6.0;
  cfg->orb[NOC_ASP_QUINCUNX] = 3.0;
  cfg->orb_multiplier = 1.0;
  cfg->stellium_min = 3;
}

/* The aspects the patterns are made of, between every pair: orb, or -1 when out of orb. */
enum { P_OPP, P_TRI, P_SQR, P_SEX, P_QUI, P_KINDS };
static const noc_aspect_type kind_type[P_KINDS] = {
    NOC_ASP_OPPOSITION, NOC_ASP_TRINE, NOC_ASP_SQUARE, NOC_ASP_SEXTILE, NOC_ASP_QUINCUNX};

typedef struct grid {
  int n;
  float orb[P_KINDS][NOC_BODY_COUNT][NOC_BODY_COUNT];
} grid;

static void build_grid(const noc_pattern_point *p, int n, const noc_pattern_config *cfg, grid *g) {
  g->n = n;
  for (int k = 0; k < P_KINDS; k++) {
    const noc_aspect_def *def = noc_aspect_def_get(kind_type[k]);
    double limit = cfg->orb[kind_type[k]] * cfg->orb_multiplier;
    for (int i = 0; i < n; i++) {
      g->orb[k][i][i] = -1.0f;
      for (int j = i + 1; j < n; j++) {
        double sep = fabs(noc_angle_diff(p[i].longitude, p[j].longitude));
        double orb = fabs(sep - def->angle);
        float v = orb <= limit ? (float)orb : -1.0f;
        g->orb[k][i][j] = v;
        g->orb[k][j][i] = v;
      }
    }
  }
}

static bool in(const grid *g, int kind, int a, int b) {
  return g->orb[kind][a][b] >= 0.0f;
}

typedef struct sink {
  noc_pattern *out;
  int cap, count;
} sink;

/* Records a pattern; the orbs of its aspects are passed as (kind, a, b) triples. */
static void add(sink *s, noc_pattern_type type, const int *members, int n, int apex, const grid *g,
                const int (*aspects)[3], int naspects) {
  if (s->count < s->cap) {
    noc_pattern *p = &s->out[s->count];
    memset(p, 0, sizeof *p);
    p->type = type;
    memcpy(p->members, members, sizeof *members * (size_t)n);
    p->count = n;
    p->apex = apex;
    p->sign = -1;
    for (int i = 0; i < naspects; i++)
      p->max_orb = fmax(p->max_orb, g->orb[aspects[i][0]][aspects[i][1]][aspects[i][2]]);
  }
  s->count++;
}

static void grand_trines(const grid *g, sink *s) {
  for (int a = 0; a < g->n; a++)
    for (int b = a + 1; b < g->n; b++)
      for (int c = b + 1; c < g->n && in(g, P_TRI, a, b); c++)
        if (in(g, P_TRI, a, c) && in(g, P_TRI, b, c)) {
          int m[3] = {a, b, c};
          int asp[3][3] = {{P_TRI, a, b}, {P_TRI, a, c}, {P_TRI, b, c}};
          add(s, NOC_PAT_GRAND_TRINE, m, 3, -1, g, asp, 3);
        }
}

/* Two disjoint oppositions a-c and b-d whose four cross pairs are all of kind x or y,
 * alternating around the figure (a-b x, b-c y, c-d x, d-a y). */
static bool alternating(const grid *g, int a, int b, int c, int d, int x, int y) {
  return in(g, x, a, b) && in(g, y, b, c) && in(g, x, c, d) && in(g, y, d, a);
}

static bool is_grand_cross(const grid *g, int a, int b, int c, int d) {
  return alternating(g, a, b, c, d, P_SQR, P_SQR);
}

static void crosses_and_rectangles(const grid *g, sink *s) {
  int n = g->n;
  for (int a = 0; a < n; a++)
    for (int c = a + 1; c < n; c++) {
      if (!in(g, P_OPP, a, c)) continue;
      for (int b = a + 1; b < n; b++)
        for (int d = b + 1; d < n; d++) {
          if (b == c || d == c || !in(g, P_OPP, b, d)) continue;
          int m[4] = {a, b, c, d};
          if (is_grand_cross(g, a, b, c, d)) {
            int asp[6][3] = {{P_OPP, a, c}, {P_OPP, b, d}, {P_SQR, a, b},
                             {P_SQR, b, c}, {P_SQR, c, d}, {P_SQR, d, a}};
            add(s, NOC_PAT_GRAND_CROSS, m, 4, -1, g, asp, 6);
          }
          bool sx = alternating(g, a, b, c, d, P_SEX, P_TRI);
          if (sx || alternating(g, a, b, c, d, P_TRI, P_SEX)) {
            int x = sx ? P_SEX : P_TRI, y = sx ? P_TRI : P_SEX;
            int asp[6][3] = {{P_OPP, a, c}, {P_OPP, b, d}, {x, a, b},
                             {y, b, c},     {x, c, d},     {y, d, a}};
            add(s, NOC_PAT_MYSTIC_RECTANGLE, m, 4, -1, g, asp, 6);
          }
        }
    }
}

/* Is {a, b, apex} part of a grand cross among the points? */
static bool inside_cross(const grid *g, int a, int b, int apex) {
  for (int d = 0; d < g->n; d++)
    if (d != a && d != b && d != apex && in(g, P_OPP, apex, d) && is_grand_cross(g, a, apex, b, d))
      return true;
  return false;
}

static void t_squares(const grid *g, sink *s) {
  for (int a = 0; a < g->n; a++)
    for (int b = a + 1; b < g->n; b++) {
      if (!in(g, P_OPP, a, b)) continue;
      for (int c = 0; c < g->n; c++)
        if (c != a && c != b && in(g, P_SQR, a, c) && in(g, P_SQR, b, c) &&
            !inside_cross(g, a, b, c)) {
          int m[3] = {a, b, c};
          int asp[3][3] = {{P_OPP, a, b}, {P_SQR, a, c}, {P_SQR, b, c}};
          add(s, NOC_PAT_T_SQUARE, m, 3, c, g, asp, 3);
        }
    }
}

static void yods(const grid *g, sink *s) {
  for (int a = 0; a < g->n; a++)
    for (int b = a + 1; b < g->n; b++) {
      if (!in(g, P_SEX, a, b)) continue;
      for (int c = 0; c < g->n; c++)
        if (c != a && c != b && in(g, P_QUI, a, c) && in(g, P_QUI, b, c)) {
          int m[3] = {a, b, c};
          int asp[3][3] = {{P_SEX, a, b}, {P_QUI, a, c}, {P_QUI, b, c}};
          add(s, NOC_PAT_YOD, m, 3, c, g, asp, 3);
        }
    }
}

/* A grand trine a-b-c and a fourth point opposite a and sextile b and c; a is the apex. */
static void kites(const grid *g, sink *s) {
  int n = g->n;
  for (int x = 0; x < n; x++)
    for (int y = x + 1; y < n; y++)
      for (int z = y + 1; z < n; z++) {
        if (!in(g, P_TRI, x, y) || !in(g, P_TRI, x, z) || !in(g, P_TRI, y, z)) continue;
        int tri[3] = {x, y, z};
        for (int k = 0; k < 3; k++) {
          int a = tri[k], b = tri[(k + 1) % 3], c = tri[(k + 2) % 3];
          for (int d = 0; d < n; d++)
            if (d != a && d != b && d != c && in(g, P_OPP, a, d) && in(g, P_SEX, b, d) &&
                in(g, P_SEX, c, d)) {
              int m[4] = {a, b, c, d};
              int asp[6][3] = {{P_TRI, a, b}, {P_TRI, a, c}, {P_TRI, b, c},
                               {P_OPP, a, d}, {P_SEX, b, d}, {P_SEX, c, d}};
              add(s, NOC_PAT_KITE, m, 4, a, g, asp, 6);
            }
        }
      }
}

static void stelliums(const noc_pattern_point *p, int n, int min, bool by_house, sink *s) {
  int groups = by_house ? 36 : 12;
  for (int k = 0; k < groups; k++) {
    int m[NOC_PATTERN_MAX_MEMBERS], count = 0;
    for (int i = 0; i < n; i++) {
      noc_dms d;
      noc_dms_split(p[i].longitude, &d);
      int key = by_house ? p[i].house - 1 : d.sign;
      if (key == k && (!by_house || p[i].house > 0)) m[count++] = i;
    }
    if (count < min) continue;
    if (s->count < s->cap) {
      noc_pattern *pat = &s->out[s->count];
      memset(pat, 0, sizeof *pat);
      pat->type = NOC_PAT_STELLIUM;
      memcpy(pat->members, m, sizeof m[0] * (size_t)count);
      pat->count = count;
      pat->apex = -1;
      pat->sign = by_house ? -1 : k;
      pat->house = by_house ? k + 1 : 0;
    }
    s->count++;
  }
}

noc_status noc_patterns_find(const noc_pattern_point *points, int n, const noc_pattern_config *cfg,
                             noc_pattern *out, int cap, int *count, noc_error *err) {
  *count = 0;
  if (n < 0 || n > NOC_BODY_COUNT || (n > 0 && points == NULL) || cap < 0 ||
      (cap > 0 && out == NULL))
    return noc_fail(err, NOC_ERR_INTERNAL, "", "pattern search with bad arguments");
  noc_pattern_config defaults;
  if (cfg == NULL) {
    noc_pattern_config_default(&defaults);
    cfg = &defaults;
  }
  grid *g = malloc(sizeof *g);
  if (g == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  build_grid(points, n, cfg, g);
  sink s = {out, cap, 0};
  grand_trines(g, &s);
  t_squares(g, &s);
  crosses_and_rectangles(g, &s);
  yods(g, &s);
  kites(g, &s);
  int min = cfg->stellium_min < 2 ? 2 : cfg->stellium_min;
  stelliums(points, n, min, false, &s);
  stelliums(points, n, min, true, &s);
  free(g);
  *count = s.count;
  if (s.count > cap)
    return noc_fail(err, NOC_ERR_NOMEM, "", "%d patterns found, more than the %d allowed", s.count,
                    cap);
  return NOC_OK;
}

/* ---- Jones shapes -------------------------------------------------------------------------- */

static const char *const shape_names[] = {"BUNDLE", "BOWL",   "BUCKET", "LOCOMOTIVE",
                                          "SEESAW", "SPLASH", "SPLAY"};

const char *noc_jones_shape_name(noc_jones_shape shape) {
  return shape >= NOC_SHAPE_BUNDLE && shape <= NOC_SHAPE_SPLAY ? shape_names[shape] : "UNKNOWN";
}

typedef struct ordered {
  double lon;
  int index;
} ordered;

static int cmp_ordered(const void *a, const void *b) {
  const ordered *x = a, *y = b;
  return x->lon < y->lon ? -1 : x->lon > y->lon;
}

/* A single point alone in the otherwise empty half: the rest within 180, 60 clear each side. */
static int bucket_handle(const ordered *o, const double *gap, int n) {
  for (int h = 0; h < n; h++) {
    double before = gap[(h + n - 1) % n], after = gap[h];
    if (before >= 60.0 && after >= 60.0 && 360.0 - before - after <= 180.0) return o[h].index;
  }
  return -1;
}

void noc_jones_shape_of(const double *lon, int n, noc_shape_info *out) {
  memset(out, 0, sizeof *out);
  out->handle = -1;
  out->leading = -1;
  out->shape = NOC_SHAPE_SPLASH;
  if (n < 3 || n > NOC_BODY_COUNT) return;
  ordered o[NOC_BODY_COUNT];
  double gap[NOC_BODY_COUNT];
  for (int i = 0; i < n; i++)
    o[i] = (ordered){noc_norm360(lon[i]), i};
  qsort(o, (size_t)n, sizeof o[0], cmp_ordered);
  int widest = 0, wide60 = 0;
  for (int i = 0; i < n; i++) {
    gap[i] = noc_norm360(o[(i + 1) % n].lon - o[i].lon);    /* after point i */
    if (i == n - 1 && o[0].lon == o[i].lon) gap[i] = 360.0; /* all points at one longitude */
    widest = gap[i] > gap[widest] ? i : widest;
    wide60 += gap[i] >= 60.0;
  }
  out->largest_gap = gap[widest];
  for (int i = 0; i < n; i++)
    if (i != widest && gap[i] > out->second_gap) out->second_gap = gap[i];
  out->occupied_arc = 360.0 - out->largest_gap;
  out->leading = o[(widest + 1) % n].index;
  if (out->largest_gap >= 240.0)
    out->shape = NOC_SHAPE_BUNDLE;
  else if (out->largest_gap >= 180.0)
    out->shape = NOC_SHAPE_BOWL;
  else if ((out->handle = bucket_handle(o, gap, n)) >= 0)
    out->shape = NOC_SHAPE_BUCKET;
  else if (wide60 == 2)
    out->shape = NOC_SHAPE_SEESAW;
  else if (out->largest_gap >= 120.0)
    out->shape = NOC_SHAPE_LOCOMOTIVE;
  else if (wide60 >= 3)
    out->shape = NOC_SHAPE_SPLAY;
  else
    out->shape = NOC_SHAPE_SPLASH;
  if (out->shape != NOC_SHAPE_BOWL && out->shape != NOC_SHAPE_LOCOMOTIVE &&
      out->shape != NOC_SHAPE_BUNDLE)
    out->leading = out->shape == NOC_SHAPE_BUCKET ? out->handle : -1;
}

/* ---- Elements and modalities --------------------------------------------------------------- */

int noc_sign_element(int sign) {
  return ((sign % 12) + 12) % 12 % 4;
}
int noc_sign_modality(int sign) {
  return ((sign % 12) + 12) % 12 % 3;
}

const char *noc_element_name(int element) {
  static const char *const names[4] = {"FIRE", "EARTH", "AIR", "WATER"};
  return element >= 0 && element < 4 ? names[element] : "UNKNOWN";
}

const char *noc_modality_name(int modality) {
  static const char *const names[3] = {"CARDINAL", "FIXED", "MUTABLE"};
  return modality >= 0 && modality < 3 ? names[modality] : "UNKNOWN";
}
