/* House systems over Swiss Ephemeris, with the polar fallback made visible. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <swephexp.h>

#include "core/context_internal.h"
#include "core/houses_internal.h"
#include "nocturna/houses.h"
#include "nocturna/zodiac.h"

/* One table for names and letters. Q is Pullen sinusoidal ratio and S is Sripati, as Swiss
 * Ephemeris defines them (some peers swap the two). */
static const noc_house_system systems[] = {
    {'P', "PLACIDUS", 12},   {'K', "KOCH", 12},
    {'O', "PORPHYRY", 12},   {'R', "REGIOMONTANUS", 12},
    {'C', "CAMPANUS", 12},   {'A', "EQUAL", 12},
    {'D', "EQUAL_MC", 12},   {'N', "EQUAL_ARIES", 12},
    {'W', "WHOLE_SIGN", 12}, {'V', "VEHLOW", 12},
    {'X', "MERIDIAN", 12},   {'M', "MORINUS", 12},
    {'B', "ALCABITIUS", 12}, {'T', "TOPOCENTRIC", 12},
    {'U', "KRUSINSKI", 12},  {'S', "SRIPATI", 12},
    {'L', "PULLEN_SD", 12},  {'Q', "PULLEN_SR", 12},
    {'F', "CARTER", 12},     {'H', "HORIZONTAL", 12},
    {'I', "SUNSHINE", 12},   {'i', "SUNSHINE_MAKRANSKY", 12},
    {'Y', "APC", 12},        {'G', "GAUQUELIN", 36},
};
enum { SYSTEM_COUNT = sizeof systems / sizeof systems[0] };

/* Other spellings users send. */
/* clang-format off */
static const struct {
  const char *alias;
  char letter;
} aliases[] = {
    {"WHOLE", 'W'},       {"WHOLESIGN", 'W'},     {"EQUAL_ASC", 'A'},  {"E", 'A'},
    {"AXIAL", 'X'},       {"AXIAL_ROTATION", 'X'}, {"POLICH_PAGE", 'T'}, {"AZIMUTHAL", 'H'},
    {"CARTER_POLI_EQUATORIAL", 'F'}, {"GAUQUELIN_SECTORS", 'G'}, {"EQUAL_MIDHEAVEN", 'D'},
};
/* clang-format on */

const noc_house_system *noc_house_system_by_letter(char letter) {
  for (int i = 0; i < SYSTEM_COUNT; i++)
    if (systems[i].letter == letter) return &systems[i];
  return NULL;
}

const noc_house_system *noc_house_system_at(int index) {
  return index >= 0 && index < SYSTEM_COUNT ? &systems[index] : NULL;
}

const noc_house_system *noc_house_system_find(const char *name) {
  size_t n = strlen(name);
  if (n == 1) {
    /* Letters are case-sensitive only where Swiss Ephemeris makes them so ('i' vs 'I'). */
    const noc_house_system *s = noc_house_system_by_letter(name[0]);
    if (s == NULL && name[0] != 'i')
      s = noc_house_system_by_letter((char)toupper((unsigned char)name[0]));
    if (s == NULL && (name[0] == 'e' || name[0] == 'E'))
      s = noc_house_system_by_letter('A'); /* Swiss Ephemeris' other letter for Equal */
    return s;
  }
  char norm[48];
  if (n == 0 || n >= sizeof norm) return NULL;
  for (size_t i = 0; i <= n; i++) {
    char c = name[i];
    norm[i] = (c == '-' || c == ' ') ? '_' : (char)toupper((unsigned char)c);
  }
  for (int i = 0; i < SYSTEM_COUNT; i++)
    if (strcmp(norm, systems[i].name) == 0) return &systems[i];
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(norm, aliases[i].alias) == 0) return noc_house_system_by_letter(aliases[i].letter);
  return NULL;
}

noc_status noc_houses_calc(noc_ctx *ctx, const noc_time *t, double latitude, double longitude,
                           const noc_house_system *system, const noc_calc_options *opt, bool strict,
                           noc_houses *out, noc_error *err) {
  memset(out, 0, sizeof *out);
  int flags = noc_ctx_prepare_flags(ctx, opt, true) & SEFLG_SIDEREAL;
  double cusps[37 + 1], ascmc[10];
  char serr[AS_MAXCH] = "";
  int ret = swe_houses_ex2(t->jd_ut, flags, latitude, longitude, system->letter, cusps, ascmc, NULL,
                           NULL, serr);
  return noc_houses_fill(ret, system, strict, latitude, cusps, ascmc, 0.0, out, err);
}

noc_status noc_houses_fill(int ret, const noc_house_system *system, bool strict, double latitude,
                           const double *cusps, const double *ascmc, double shift, noc_houses *out,
                           noc_error *err) {
  out->requested = system;
  out->used = system;
  if (ret < 0) {
    if (strict)
      return noc_fail(err, NOC_ERR_VALIDATION, "house_system",
                      "%s houses are undefined at latitude %.4f (inside the polar circle); "
                      "choose another system or drop strict_houses to accept Porphyry",
                      system->name, latitude);
    out->used = noc_house_system_by_letter('O');
    out->fell_back = true;
  }
  out->cusp_count = out->used->cusp_count;
  for (int i = 0; i < out->cusp_count; i++)
    out->cusps[i] = noc_norm360(cusps[i + 1] - shift);
  out->asc = noc_norm360(ascmc[SE_ASC] - shift);
  out->mc = noc_norm360(ascmc[SE_MC] - shift);
  out->armc = noc_norm360(ascmc[SE_ARMC]);
  out->vertex = noc_norm360(ascmc[SE_VERTEX] - shift);
  out->equatorial_asc = noc_norm360(ascmc[SE_EQUASC] - shift);
  out->co_asc_koch = noc_norm360(ascmc[SE_COASC1] - shift);
  out->co_asc_munkasey = noc_norm360(ascmc[SE_COASC2] - shift);
  out->polar_asc = noc_norm360(ascmc[SE_POLASC] - shift);
  return NOC_OK;
}

int noc_house_of(const noc_houses *h, double longitude) {
  int n = h->cusp_count;
  double lon = noc_norm360(longitude);
  /* Gauquelin sectors are numbered clockwise, against the zodiac. */
  bool reversed = n == 36;
  for (int i = 0; i < n; i++) {
    double a = h->cusps[i], b = h->cusps[(i + 1) % n];
    double span = reversed ? noc_norm360(a - b) : noc_norm360(b - a);
    double off = reversed ? noc_norm360(a - lon) : noc_norm360(lon - a);
    if (off < span) return i + 1;
  }
  return 1;
}

double noc_houses_angle(const noc_houses *h, noc_body angle) {
  switch (angle) {
  case NOC_ASC:
    return h->asc;
  case NOC_MC:
    return h->mc;
  case NOC_DESC:
    return noc_norm360(h->asc + 180.0);
  case NOC_IC:
    return noc_norm360(h->mc + 180.0);
  default:
    return h->vertex;
  }
}
