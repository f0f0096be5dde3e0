/* Lots (Arabic parts): base + plus - minus, with the night formula where the tradition reverses
 * the lot. The 20 names of the older service come first (it always answered null); where a name
 * has a traditional lot, the traditional formula is used, otherwise the older service's. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nocturna/points.h"
#include "nocturna/zodiac.h"

typedef enum op_kind {
  OP_BODY,
  OP_ASC,
  OP_MC,
  OP_CUSP,
  OP_RULER_OF_CUSP,
  OP_LOT,
  OP_FIXED
} op_kind;

typedef struct operand {
  op_kind kind;
  int arg; /* body, cusp number 1..12, lot index, or fixed degrees */
} operand;

typedef struct formula {
  operand base, plus, minus;
} formula;

enum { LOT_FORTUNA = 0, LOT_SPIRIT = 1 };

struct noc_part_def {
  const char *name;
  const char *aliases[3];
  formula day, night;
  bool reverses;
  bool shorter_arc; /* base + the shorter arc between plus and minus (Valens' Basis) */
  const char *source;
};

/* Kept by hand: clang-format splits brace-initialiser macros and one-lot-a-line rows. */
/* clang-format off */
#define B(x) {OP_BODY, NOC_##x}
#define ASC {OP_ASC, 0}
#define MC {OP_MC, 0}
#define CUSP(n) {OP_CUSP, n}
#define RULER(n) {OP_RULER_OF_CUSP, n}
#define LOT(n) {OP_LOT, n}
#define FIXED(d) {OP_FIXED, d}
#define SAME(b, p, m) {b, p, m}, {b, p, m}, false, false
#define REV(b, p, m) {b, p, m}, {b, m, p}, true, false

static const char biruni[] =
    "al-Biruni, Book of Instruction in the Elements of the Art of Astrology (1029)";
static const char paulus[] = "Paulus Alexandrinus, Introduction (the Hermetic lots)";
static const char hellenistic[] = "Hellenistic (Valens, Paulus); reversed by night";
static const char older[] = "the older service's formula (no traditional lot of this name)";

static const noc_part_def parts[] = {
    {"FORTUNA", {"FORTUNE", "PART_OF_FORTUNE", NULL}, REV(ASC, B(MOON), B(SUN)), hellenistic},
    {"SPIRIT", {"DAIMON", "PART_OF_SPIRIT", NULL}, REV(ASC, B(SUN), B(MOON)), hellenistic},
    {"NECESSITY", {NULL}, REV(ASC, LOT(LOT_FORTUNA), B(MERCURY)), paulus},
    {"VALOR", {"COURAGE", NULL}, REV(ASC, LOT(LOT_FORTUNA), B(MARS)), paulus},
    {"VICTORY", {NULL}, REV(ASC, B(JUPITER), LOT(LOT_SPIRIT)), paulus},
    {"BASIS", {NULL}, {ASC, LOT(LOT_FORTUNA), LOT(LOT_SPIRIT)},
     {ASC, LOT(LOT_FORTUNA), LOT(LOT_SPIRIT)}, false, true,
     "Vettius Valens, Anthology: the shorter arc between Fortune and Spirit, from the ASC"},
    {"MARRIAGE", {NULL}, SAME(ASC, B(VENUS), B(SATURN)), biruni},
    {"CHILDREN", {NULL}, REV(ASC, B(SATURN), B(JUPITER)), biruni},
    {"FATHER", {NULL}, REV(ASC, B(SATURN), B(SUN)), biruni},
    {"MOTHER", {NULL}, REV(ASC, B(MOON), B(VENUS)), biruni},
    {"BROTHERS", {NULL}, SAME(ASC, B(JUPITER), B(SATURN)), biruni},
    {"SISTERS", {NULL}, SAME(ASC, B(VENUS), B(MERCURY)), older},
    {"HEALTH", {"SICKNESS", NULL}, REV(ASC, B(MARS), B(SATURN)), biruni},
    {"DEATH", {NULL}, SAME(B(SATURN), CUSP(8), B(MOON)), biruni},
    {"TRAVEL", {"JOURNEYS", NULL}, SAME(ASC, CUSP(9), RULER(9)), biruni},
    {"WEALTH", {"SUBSTANCE", NULL}, SAME(ASC, CUSP(2), RULER(2)), biruni},
    {"CAREER", {NULL}, SAME(ASC, MC, B(SUN)), older},
    {"HONOR", {"EXALTATION", NULL}, {ASC, FIXED(19), B(SUN)}, {ASC, FIXED(33), B(MOON)}, true,
     false, biruni},
    {"RELIGION", {"FAITH", NULL}, REV(ASC, B(MERCURY), B(MOON)), biruni},
    {"HAPPINESS", {NULL}, SAME(ASC, B(JUPITER), B(VENUS)), older},
    {"EROS", {"LOVE", NULL}, REV(ASC, B(VENUS), LOT(LOT_SPIRIT)), paulus},
    {"NEMESIS", {NULL}, REV(ASC, LOT(LOT_FORTUNA), B(SATURN)), paulus},
    {"FRIENDS", {NULL}, SAME(ASC, B(MERCURY), B(MOON)), biruni},
    {"ENEMIES", {NULL}, SAME(ASC, CUSP(12), RULER(12)), biruni},
};
enum { PART_COUNT = sizeof parts / sizeof parts[0] };
/* clang-format on */

#undef B
#undef ASC
#undef MC
#undef CUSP
#undef RULER
#undef LOT
#undef FIXED
#undef SAME
#undef REV

int noc_part_count(void) {
  return PART_COUNT;
}

const noc_part_def *noc_part_at(int index) {
  return index >= 0 && index < PART_COUNT ? &parts[index] : NULL;
}

const noc_part_def *noc_part_find(const char *name) {
  if (name == NULL) return NULL;
  for (int i = 0; i < PART_COUNT; i++) {
    if (strcasecmp(name, parts[i].name) == 0) return &parts[i];
    for (int k = 0; k < 3 && parts[i].aliases[k]; k++)
      if (strcasecmp(name, parts[i].aliases[k]) == 0) return &parts[i];
  }
  return NULL;
}

const char *noc_part_name(const noc_part_def *def) {
  return def->name;
}
const char *noc_part_source(const noc_part_def *def) {
  return def->source;
}
bool noc_part_reverses(const noc_part_def *def) {
  return def->reverses;
}

static bool operand_needs_houses(const operand *o) {
  return o->kind == OP_CUSP || o->kind == OP_RULER_OF_CUSP;
}

bool noc_part_needs_houses(const noc_part_def *def) {
  const formula *f[2] = {&def->day, &def->night};
  for (int i = 0; i < 2; i++)
    if (operand_needs_houses(&f[i]->base) || operand_needs_houses(&f[i]->plus) ||
        operand_needs_houses(&f[i]->minus))
      return true;
  return false;
}

static double lot_value(const noc_part_def *def, const noc_part_chart *c);

static double cusp_of(const noc_part_chart *c, int n) {
  if (c->has_cusps) return c->cusps[n - 1];
  return noc_norm360(c->asc + 30.0 * (n - 1)); /* equal houses when no cusps were given */
}

static noc_body ruler_of_cusp(const noc_part_chart *c, int n) {
  noc_dms d;
  noc_dms_split(cusp_of(c, n), &d);
  return noc_sign_ruler(d.sign, NOC_RULERS_TRADITIONAL);
}

static double operand_value(const operand *o, const noc_part_chart *c) {
  switch (o->kind) {
  case OP_BODY:
    return c->lon[o->arg];
  case OP_ASC:
    return c->asc;
  case OP_MC:
    return c->mc;
  case OP_CUSP:
    return cusp_of(c, o->arg);
  case OP_RULER_OF_CUSP:
    return c->lon[ruler_of_cusp(c, o->arg)];
  case OP_LOT:
    return lot_value(&parts[o->arg], c);
  case OP_FIXED:
    return (double)o->arg;
  }
  return 0.0;
}

static void operand_text(const operand *o, const noc_part_chart *c, char *buf, size_t cap) {
  switch (o->kind) {
  case OP_BODY:
    snprintf(buf, cap, "%s", noc_body_name((noc_body)o->arg));
    return;
  case OP_ASC:
    snprintf(buf, cap, "ASC");
    return;
  case OP_MC:
    snprintf(buf, cap, "MC");
    return;
  case OP_CUSP:
    snprintf(buf, cap, "CUSP_%d", o->arg);
    return;
  case OP_RULER_OF_CUSP:
    snprintf(buf, cap, "RULER_OF_CUSP_%d (%s)", o->arg, noc_body_name(ruler_of_cusp(c, o->arg)));
    return;
  case OP_LOT:
    snprintf(buf, cap, "%s", parts[o->arg].name);
    return;
  case OP_FIXED:
    snprintf(buf, cap, "%d %s", o->arg % 30, noc_sign_name(o->arg / 30));
    return;
  }
  buf[0] = '\0';
}

static double formula_value(const noc_part_def *def, const formula *f, const noc_part_chart *c) {
  double base = operand_value(&f->base, c), plus = operand_value(&f->plus, c),
         minus = operand_value(&f->minus, c);
  if (def->shorter_arc) {
    double arc = noc_norm360(plus - minus);
    return noc_norm360(base + (arc > 180.0 ? 360.0 - arc : arc));
  }
  return noc_norm360(base + plus - minus);
}

static void formula_text(const noc_part_def *def, const formula *f, const noc_part_chart *c,
                         char *buf, size_t cap) {
  char b[48], p[48], m[48];
  operand_text(&f->base, c, b, sizeof b);
  operand_text(&f->plus, c, p, sizeof p);
  operand_text(&f->minus, c, m, sizeof m);
  if (def->shorter_arc)
    snprintf(buf, cap, "%s + shorter arc between %s and %s", b, p, m);
  else
    snprintf(buf, cap, "%s + %s - %s", b, p, m);
}

static double lot_value(const noc_part_def *def, const noc_part_chart *c) {
  return formula_value(def, c->day ? &def->day : &def->night, c);
}

void noc_part_calc(const noc_part_def *def, const noc_part_chart *chart, noc_part_value *out) {
  const formula *used = chart->day ? &def->day : &def->night;
  out->longitude = formula_value(def, used, chart);
  out->night_formula = !chart->day && def->reverses;
  formula_text(def, used, chart, out->formula, sizeof out->formula);
  formula_text(def, &def->day, chart, out->day_formula, sizeof out->day_formula);
  formula_text(def, &def->night, chart, out->night_formula_text, sizeof out->night_formula_text);
}
