/* Essential dignities: domiciles, exaltations, triplicities (Dorotheus, Ptolemy, Lilly),
 * terms (Egyptian, Ptolemaic) and faces, with Lilly's scores, and mutual receptions. */
#include <math.h>

#include "nocturna/points.h"
#include "nocturna/zodiac.h"

#define NONE ((noc_body)-1)

static const noc_body domicile[12] = {
    NOC_MARS,  NOC_VENUS, NOC_MERCURY, NOC_MOON,   NOC_SUN,    NOC_MERCURY,
    NOC_VENUS, NOC_MARS,  NOC_JUPITER, NOC_SATURN, NOC_SATURN, NOC_JUPITER,
};

/* Modern rulers of Scorpio, Aquarius and Pisces. */
static noc_body modern_ruler(int sign) {
  switch (sign) {
  case 7:
    return NOC_PLUTO;
  case 10:
    return NOC_URANUS;
  case 11:
    return NOC_NEPTUNE;
  default:
    return domicile[sign];
  }
}

noc_body noc_sign_ruler(int sign, noc_rulers rulers) {
  if (sign < 0 || sign > 11) return NONE;
  return rulers == NOC_RULERS_MODERN ? modern_ruler(sign) : domicile[sign];
}

/* With modern rulers the traditional ruler keeps the sign as co-ruler. */
static bool rules_sign(noc_body planet, int sign, noc_rulers rulers) {
  return planet == domicile[sign] || (rulers == NOC_RULERS_MODERN && planet == modern_ruler(sign));
}

static const struct {
  noc_body planet;
  int sign, degree;
} exaltations[] = {
    {NOC_SUN, 0, 19},  {NOC_MOON, 1, 3},     {NOC_MERCURY, 5, 15}, {NOC_VENUS, 11, 27},
    {NOC_MARS, 9, 28}, {NOC_JUPITER, 3, 15}, {NOC_SATURN, 6, 21},
};
enum { EXALTATION_COUNT = sizeof exaltations / sizeof exaltations[0] };

noc_body noc_exaltation_ruler(int sign) {
  for (int i = 0; i < EXALTATION_COUNT; i++)
    if (exaltations[i].sign == sign) return exaltations[i].planet;
  return NONE;
}

int noc_exaltation_degree(noc_body planet, int *sign) {
  for (int i = 0; i < EXALTATION_COUNT; i++) {
    if (exaltations[i].planet == planet) {
      if (sign) *sign = exaltations[i].sign;
      return exaltations[i].degree;
    }
  }
  return -1;
}

/* By element (fire, earth, air, water): day, night, participating. */
static const noc_body triplicities[3][4][3] = {
    [NOC_TRIP_DOROTHEAN] = {{NOC_SUN, NOC_JUPITER, NOC_SATURN},
                            {NOC_VENUS, NOC_MOON, NOC_MARS},
                            {NOC_SATURN, NOC_MERCURY, NOC_JUPITER},
                            {NOC_VENUS, NOC_MARS, NOC_MOON}},
    /* Tetrabiblos I.18; Mars governs the watery triangle with Venus by day, the Moon by night. */
    [NOC_TRIP_PTOLEMAIC] = {{NOC_SUN, NOC_JUPITER, NOC_MARS},
                            {NOC_VENUS, NOC_MOON, NOC_SATURN},
                            {NOC_SATURN, NOC_MERCURY, NOC_JUPITER},
                            {NOC_VENUS, NOC_MOON, NOC_MARS}},
    /* Lilly (Christian Astrology): Mars alone, by day and by night, in water. */
    [NOC_TRIP_LILLY] = {{NOC_SUN, NOC_JUPITER, NONE},
                        {NOC_VENUS, NOC_MOON, NONE},
                        {NOC_SATURN, NOC_MERCURY, NONE},
                        {NOC_MARS, NOC_MARS, NONE}},
};

void noc_triplicity_rulers(int sign, noc_triplicity system, noc_body out[3]) {
  int element = ((sign % 12) + 12) % 12 % 4;
  int s = system >= NOC_TRIP_DOROTHEAN && system <= NOC_TRIP_LILLY ? (int)system : 0;
  for (int i = 0; i < 3; i++)
    out[i] = triplicities[s][element][i];
}

/* Terms: five rulers per sign and the degree where each one's term ends. */
typedef struct term_row {
  noc_body ruler[5];
  unsigned char end[5];
} term_row;

#define J  NOC_JUPITER
#define V  NOC_VENUS
#define ME NOC_MERCURY
#define MA NOC_MARS
#define S  NOC_SATURN
static const term_row egyptian[12] = {
    {{J, V, ME, MA, S}, {6, 12, 20, 25, 30}},  {{V, ME, J, S, MA}, {8, 14, 22, 27, 30}},
    {{ME, J, V, MA, S}, {6, 12, 17, 24, 30}},  {{MA, V, ME, J, S}, {7, 13, 19, 26, 30}},
    {{J, V, S, ME, MA}, {6, 11, 18, 24, 30}},  {{ME, V, J, MA, S}, {7, 17, 21, 28, 30}},
    {{S, ME, J, V, MA}, {6, 14, 21, 28, 30}},  {{MA, V, ME, J, S}, {7, 11, 19, 24, 30}},
    {{J, V, ME, S, MA}, {12, 17, 21, 26, 30}}, {{ME, J, V, S, MA}, {7, 14, 22, 26, 30}},
    {{ME, V, J, MA, S}, {7, 13, 20, 25, 30}},  {{V, J, ME, MA, S}, {12, 16, 19, 28, 30}},
};
static const term_row ptolemaic[12] = {
    {{J, V, ME, MA, S}, {6, 14, 21, 26, 30}}, {{V, ME, J, S, MA}, {8, 15, 22, 26, 30}},
    {{ME, J, V, S, MA}, {7, 14, 21, 25, 30}}, {{MA, J, ME, V, S}, {6, 13, 20, 27, 30}},
    {{S, ME, V, J, MA}, {6, 13, 19, 25, 30}}, {{ME, V, J, S, MA}, {7, 13, 18, 24, 30}},
    {{S, V, J, ME, MA}, {6, 11, 19, 24, 30}}, {{MA, J, V, ME, S}, {6, 14, 21, 27, 30}},
    {{J, V, ME, S, MA}, {8, 14, 19, 25, 30}}, {{V, ME, J, MA, S}, {6, 12, 19, 25, 30}},
    {{S, ME, V, J, MA}, {6, 12, 20, 25, 30}}, {{V, J, ME, MA, S}, {8, 14, 20, 26, 30}},
};
#undef J
#undef V
#undef ME
#undef MA
#undef S

noc_body noc_term_ruler(double lon, noc_terms terms) {
  noc_dms d;
  noc_dms_split(lon, &d);
  const term_row *row = terms == NOC_TERMS_PTOLEMAIC ? &ptolemaic[d.sign] : &egyptian[d.sign];
  for (int i = 0; i < 5; i++)
    if (d.degree < row->end[i]) return row->ruler[i];
  return row->ruler[4];
}

noc_body noc_face_ruler(double lon) {
  /* The Chaldean order, starting with Mars at 0 Aries and running on through the 36 decans. */
  static const noc_body chaldean[7] = {NOC_SATURN, NOC_JUPITER, NOC_MARS, NOC_SUN,
                                       NOC_VENUS,  NOC_MERCURY, NOC_MOON};
  noc_dms d;
  noc_dms_split(lon, &d);
  int decan = d.sign * 3 + d.degree / 10;
  return chaldean[(2 + decan) % 7];
}

static bool classical(noc_body p) {
  return p >= NOC_SUN && p <= NOC_SATURN;
}

void noc_dignity_of(noc_body planet, double lon, bool day, const noc_dignity_options *opt,
                    noc_dignity *out) {
  noc_dms d;
  noc_dms_split(lon, &d);
  int sign = d.sign, opposite = (sign + 6) % 12;
  *out = (noc_dignity){.planet = planet, .sign = sign};
  out->ruler = noc_sign_ruler(sign, opt->rulers);
  out->exaltation_ruler = noc_exaltation_ruler(sign);
  out->term_ruler = noc_term_ruler(lon, opt->terms);
  out->face_ruler = noc_face_ruler(lon);
  noc_triplicity_rulers(sign, opt->triplicity, out->triplicity_rulers);
  if (rules_sign(planet, sign, opt->rulers)) out->rulership = NOC_SCORE_RULERSHIP;
  if (rules_sign(planet, opposite, opt->rulers)) out->detriment = NOC_SCORE_DETRIMENT;
  if (out->exaltation_ruler == planet) out->exaltation = NOC_SCORE_EXALTATION;
  if (noc_exaltation_ruler(opposite) == planet) out->fall = NOC_SCORE_FALL;
  if (out->triplicity_rulers[day ? 0 : 1] == planet) out->triplicity = NOC_SCORE_TRIPLICITY;
  if (out->term_ruler == planet) out->term = NOC_SCORE_TERM;
  if (out->face_ruler == planet) out->face = NOC_SCORE_FACE;
  int dignity = out->rulership + out->exaltation + out->triplicity + out->term + out->face;
  if (classical(planet) && dignity == 0) out->peregrine = NOC_SCORE_PEREGRINE;
  out->total = dignity + out->detriment + out->fall + out->peregrine;
}

int noc_dignity_points_at(noc_body planet, double lon, bool day, const noc_dignity_options *opt) {
  noc_dignity d;
  noc_dignity_of(planet, lon, day, opt, &d);
  return d.rulership + d.exaltation + d.triplicity + d.term + d.face;
}

bool noc_mutual_reception(noc_body a, double lon_a, noc_body b, double lon_b, noc_rulers rulers,
                          noc_reception_kind *kind) {
  if (a == b) return false;
  noc_dms da, db;
  noc_dms_split(lon_a, &da);
  noc_dms_split(lon_b, &db);
  bool a_in_b_dom = rules_sign(b, da.sign, rulers), b_in_a_dom = rules_sign(a, db.sign, rulers);
  bool a_in_b_exa = noc_exaltation_ruler(da.sign) == b;
  bool b_in_a_exa = noc_exaltation_ruler(db.sign) == a;
  noc_reception_kind k;
  if (a_in_b_dom && b_in_a_dom)
    k = NOC_RECEPTION_DOMICILE;
  else if (a_in_b_exa && b_in_a_exa)
    k = NOC_RECEPTION_EXALTATION;
  else if ((a_in_b_dom && b_in_a_exa) || (a_in_b_exa && b_in_a_dom))
    k = NOC_RECEPTION_MIXED;
  else
    return false;
  if (kind) *kind = k;
  return true;
}
