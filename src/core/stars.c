/* Fixed stars of Swiss Ephemeris' catalogue (sefstars.txt) through swe_fixstar2, whose star
 * table is loaded once per thread (thread-local in the TLS build). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <swephexp.h>

#include "core/bodies_internal.h"
#include "core/context_internal.h"
#include "nocturna/points.h"
#include "nocturna/zodiac.h"

/* The older service's list, by Swiss Ephemeris name (its ALPHA_CENTAURI is Rigil Kentaurus). */
static const char *const default_stars[NOC_STAR_DEFAULT_COUNT] = {
    "Aldebaran", "Algol",   "Rigil Kentaurus", "Antares",   "Arcturus", "Betelgeuse",
    "Canopus",   "Capella", "Deneb",           "Fomalhaut", "Pollux",   "Procyon",
    "Regulus",   "Sirius",  "Spica",           "Vega",
};

const char *noc_star_default_name(int index) {
  return index >= 0 && index < NOC_STAR_DEFAULT_COUNT ? default_stars[index] : NULL;
}

/* Bayer letters as the catalogue abbreviates them. */
static const struct {
  const char *name, *utf8, *abbr;
} greek[] = {
    {"alpha", "\xce\xb1", "al"}, {"beta", "\xce\xb2", "be"},    {"gamma", "\xce\xb3", "ga"},
    {"delta", "\xce\xb4", "de"}, {"epsilon", "\xce\xb5", "ep"}, {"zeta", "\xce\xb6", "ze"},
    {"eta", "\xce\xb7", "et"},   {"theta", "\xce\xb8", "th"},   {"iota", "\xce\xb9", "io"},
    {"kappa", "\xce\xba", "ka"}, {"lambda", "\xce\xbb", "la"},  {"mu", "\xce\xbc", "mu"},
    {"nu", "\xce\xbd", "nu"},    {"xi", "\xce\xbe", "xi"},      {"omicron", "\xce\xbf", "omi"},
    {"pi", "\xcf\x80", "pi"},    {"rho", "\xcf\x81", "rh"},     {"sigma", "\xcf\x83", "si"},
    {"tau", "\xcf\x84", "ta"},   {"upsilon", "\xcf\x85", "up"}, {"phi", "\xcf\x86", "ph"},
    {"chi", "\xcf\x87", "ch"},   {"psi", "\xcf\x88", "ps"},     {"omega", "\xcf\x89", "ome"},
};

/* The 88 IAU constellations: abbreviation and genitive. */
/* clang-format off */
static const struct {
  const char *abbr, *genitive;
} constellations[] = {
    {"And", "Andromedae"},      {"Ant", "Antliae"},         {"Aps", "Apodis"},
    {"Aqr", "Aquarii"},         {"Aql", "Aquilae"},         {"Ara", "Arae"},
    {"Ari", "Arietis"},         {"Aur", "Aurigae"},         {"Boo", "Bootis"},
    {"Cae", "Caeli"},           {"Cam", "Camelopardalis"},  {"Cnc", "Cancri"},
    {"CVn", "Canum Venaticorum"}, {"CMa", "Canis Majoris"}, {"CMi", "Canis Minoris"},
    {"Cap", "Capricorni"},      {"Car", "Carinae"},         {"Cas", "Cassiopeiae"},
    {"Cen", "Centauri"},        {"Cep", "Cephei"},          {"Cet", "Ceti"},
    {"Cha", "Chamaeleontis"},   {"Cir", "Circini"},         {"Col", "Columbae"},
    {"Com", "Comae Berenices"}, {"CrA", "Coronae Australis"}, {"CrB", "Coronae Borealis"},
    {"Crv", "Corvi"},           {"Crt", "Crateris"},        {"Cru", "Crucis"},
    {"Cyg", "Cygni"},           {"Del", "Delphini"},        {"Dor", "Doradus"},
    {"Dra", "Draconis"},        {"Equ", "Equulei"},         {"Eri", "Eridani"},
    {"For", "Fornacis"},        {"Gem", "Geminorum"},       {"Gru", "Gruis"},
    {"Her", "Herculis"},        {"Hor", "Horologii"},       {"Hya", "Hydrae"},
    {"Hyi", "Hydri"},           {"Ind", "Indi"},            {"Lac", "Lacertae"},
    {"Leo", "Leonis"},          {"LMi", "Leonis Minoris"},  {"Lep", "Leporis"},
    {"Lib", "Librae"},          {"Lup", "Lupi"},            {"Lyn", "Lyncis"},
    {"Lyr", "Lyrae"},           {"Men", "Mensae"},          {"Mic", "Microscopii"},
    {"Mon", "Monocerotis"},     {"Mus", "Muscae"},          {"Nor", "Normae"},
    {"Oct", "Octantis"},        {"Oph", "Ophiuchi"},        {"Ori", "Orionis"},
    {"Pav", "Pavonis"},         {"Peg", "Pegasi"},          {"Per", "Persei"},
    {"Phe", "Phoenicis"},       {"Pic", "Pictoris"},        {"Psc", "Piscium"},
    {"PsA", "Piscis Austrini"}, {"Pup", "Puppis"},          {"Pyx", "Pyxidis"},
    {"Ret", "Reticuli"},        {"Sge", "Sagittae"},        {"Sgr", "Sagittarii"},
    {"Sco", "Scorpii"},         {"Scl", "Sculptoris"},      {"Sct", "Scuti"},
    {"Ser", "Serpentis"},       {"Sex", "Sextantis"},       {"Tau", "Tauri"},
    {"Tel", "Telescopii"},      {"Tri", "Trianguli"},       {"TrA", "Trianguli Australis"},
    {"Tuc", "Tucanae"},         {"UMa", "Ursae Majoris"},   {"UMi", "Ursae Minoris"},
    {"Vel", "Velorum"},         {"Vir", "Virginis"},        {"Vol", "Volantis"},
    {"Vul", "Vulpeculae"},
};
/* clang-format on */
enum { CONSTELLATION_COUNT = sizeof constellations / sizeof constellations[0] };

static const char *constellation_abbr(const char *s) {
  for (int i = 0; i < CONSTELLATION_COUNT; i++)
    if (strcasecmp(s, constellations[i].abbr) == 0 ||
        strcasecmp(s, constellations[i].genitive) == 0)
      return constellations[i].abbr;
  return NULL;
}

/* "theta", "theta1", "theta-1", "θ": the catalogue's letter and component ("th", "-1"). */
static bool greek_letter(const char *tok, size_t len, char *out, size_t cap) {
  size_t letters = len;
  while (letters > 0 && (isdigit((unsigned char)tok[letters - 1]) || tok[letters - 1] == '-'))
    letters--;
  const char *suffix = tok + letters;
  if (suffix[0] == '-') suffix++;
  size_t digits = len - (size_t)(suffix - tok);
  if (digits > 1 || (digits == 0 && letters != len && tok[letters] == '-')) return false;
  for (size_t i = 0; i < sizeof greek / sizeof greek[0]; i++) {
    bool latin = strlen(greek[i].name) == letters && strncasecmp(tok, greek[i].name, letters) == 0;
    bool utf8 = strlen(greek[i].utf8) == letters && strncmp(tok, greek[i].utf8, letters) == 0;
    if (latin || utf8) {
      snprintf(out, cap, "%s%s%.*s", greek[i].abbr, digits ? "-" : "", (int)digits, suffix);
      return true;
    }
  }
  return false;
}

/* "theta Persei" -> ",thPer"; "109 Virginis" -> ",109Vir". false when it is not such a name. */
static bool bayer_search_name(const char *name, char *out, size_t cap) {
  const char *space = strchr(name, ' ');
  if (space == NULL) return false;
  size_t len = (size_t)(space - name);
  const char *con = space;
  while (*con == ' ')
    con++;
  const char *abbr = constellation_abbr(con);
  if (abbr == NULL || len == 0 || len > 12) return false;
  char letter[16];
  bool flamsteed = true;
  for (size_t i = 0; i < len; i++)
    flamsteed = flamsteed && isdigit((unsigned char)name[i]);
  if (flamsteed) {
    snprintf(out, cap, ",%.*s%s", (int)len, name, abbr);
    return true;
  }
  if (!greek_letter(name, len, letter, sizeof letter)) return false;
  snprintf(out, cap, ",%s%s", letter, abbr);
  return true;
}

/* Names are plain text: Swiss Ephemeris reads a number as "the n-th star" and '%' as a
 * wildcard, neither of which a caller naming a star means. */
static bool acceptable_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= NOC_STAR_NAME_MAX) return false;
  bool any_alpha = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c == 0x7f || c == '%') return false;
    any_alpha = any_alpha || isalpha(c) || c >= 0x80;
  }
  return any_alpha;
}

typedef enum lookup { FOUND, NOT_FOUND, FAILED } lookup;

/* One swe_fixstar2_ut call. star is updated to "name,designation" when found. */
static lookup fixstar(char star[SE_MAX_STNAME + 1], double jd_ut, int flags,
                      const noc_calc_options *opt, double xx[6], noc_error *err) {
  char serr[AS_MAXCH] = "";
  int32 ret = swe_fixstar2_ut(star, jd_ut, flags, xx, serr);
  if (ret < 0) {
    if (strstr(serr, "could not find star") != NULL || strstr(serr, "not available") != NULL)
      return NOT_FOUND;
    noc_fail(err, NOC_ERR_EPHEMERIS, "", "the fixed star catalogue (sefstars.txt) is not usable");
    return FAILED;
  }
  if (opt->ephemeris == NOC_EPHE_SWISS && (ret & SEFLG_SWIEPH) == 0) {
    noc_fail(err, NOC_ERR_EPHEMERIS, "",
             "Swiss Ephemeris files are missing at this date; refusing the Moshier fallback");
    return FAILED;
  }
  return FOUND;
}

/* Tries the name as given, then as a designation or a spelled-out Bayer/Flamsteed name. */
/* The name itself, then the designation or spelled-out Bayer name it may be. */
static int add_tries(const char *name, char (*alt)[64], const char **tries, int n) {
  tries[n++] = name;
  if (bayer_search_name(name, alt[n], sizeof alt[n]))
    tries[n] = alt[n], n++;
  else if (name[0] != ',' && strchr(name, ' ') == NULL &&
           snprintf(alt[n], sizeof alt[n], ",%s", name) < (int)sizeof alt[n])
    tries[n] = alt[n], n++;
  return n;
}

static lookup find_star(const char *name, double jd_ut, int flags, const noc_calc_options *opt,
                        char star[SE_MAX_STNAME + 1], double xx[6], noc_error *err) {
  char alt[4][64], spaced[NOC_STAR_NAME_MAX];
  const char *tries[4];
  int n = add_tries(name, alt, tries, 0);
  if (strchr(name, '_') != NULL) {
    /* The older service's enum names (ALPHA_CENTAURI); catalogue designations like P_Pup
     * keep their underscore and were tried first. */
    snprintf(spaced, sizeof spaced, "%s", name);
    for (char *c = spaced; *c; c++)
      if (*c == '_') *c = ' ';
    n = add_tries(spaced, alt, tries, n);
  }
  for (int i = 0; i < n; i++) {
    snprintf(star, SE_MAX_STNAME + 1, "%s", tries[i]);
    /* Swiss Ephemeris reads a leading digit as "the n-th star of the file"; only a
     * designation (after the comma) may start with one. */
    if (isdigit((unsigned char)star[0]) || isspace((unsigned char)star[0])) continue;
    lookup r = fixstar(star, jd_ut, flags, opt, xx, err);
    if (r != NOT_FOUND) return r;
  }
  return NOT_FOUND;
}

static void split_name(const char *se, noc_star *out) {
  const char *comma = strchr(se, ',');
  size_t n = comma ? (size_t)(comma - se) : strlen(se);
  while (n > 0 && se[n - 1] == ' ')
    n--;
  snprintf(out->name, sizeof out->name, "%.*s", (int)n, se);
  snprintf(out->designation, sizeof out->designation, "%s", comma ? comma + 1 : "");
}

noc_status noc_star_calc(noc_ctx *ctx, const noc_time *t, const char *name,
                         const noc_calc_options *opt, noc_star *out, noc_error *err,
                         const char *field) {
  memset(out, 0, sizeof *out);
  char trimmed[NOC_STAR_NAME_MAX];
  if (name == NULL) name = "";
  while (*name == ' ')
    name++;
  size_t len = strlen(name);
  while (len > 0 && name[len - 1] == ' ')
    len--;
  if (len >= sizeof trimmed ||
      (snprintf(trimmed, sizeof trimmed, "%.*s", (int)len, name), !acceptable_name(trimmed)))
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "'%.40s' is not a star name (a name like Regulus, a designation like alLeo, "
                    "or a Bayer name like alpha Leonis)",
                    name);
  name = trimmed;
  bool sidereal = opt->zodiac == NOC_SIDEREAL;
  int flags = noc_ctx_prepare_flags(ctx, opt, sidereal);
  char star[SE_MAX_STNAME + 1];
  double ecl[6], trop[6];
  lookup r = find_star(name, t->jd_ut, flags, opt, star, ecl, err);
  if (r == FAILED) return err ? err->code : NOC_ERR_EPHEMERIS;
  if (r == NOT_FOUND)
    return noc_fail(err, NOC_ERR_VALIDATION, field,
                    "unknown star '%.40s': not in Swiss Ephemeris' catalogue sefstars.txt", name);
  split_name(star, out);
  memcpy(trop, ecl, sizeof trop);
  char again[SE_MAX_STNAME + 1];
  snprintf(again, sizeof again, "%s", star);
  if (sidereal && fixstar(again, t->jd_ut, flags & ~SEFLG_SIDEREAL, opt, trop, err) != FOUND)
    return noc_fail(err, NOC_ERR_INTERNAL, field, "star lookup changed between two calls");
  noc_status st = noc_position_from_ecliptic(ctx, t, ecl, trop, &out->pos, err);
  if (st != NOC_OK) return st;
  char serr[AS_MAXCH] = "";
  snprintf(again, sizeof again, "%s", star);
  if (swe_fixstar2_mag(again, &out->magnitude, serr) < 0) out->magnitude = NAN;
  return NOC_OK;
}

/* ---- The magnitude filter ------------------------------------------------------------------ */

typedef struct bright {
  double mag;
  char search[NOC_STAR_SEARCH_MAX];
} bright;

static int cmp_bright(const void *a, const void *b) {
  const bright *x = a, *y = b;
  if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
  return strcmp(x->search, y->search);
}

/* The catalogue holds about 1,100 distinct entries; this bounds the walk. */
enum { CATALOGUE_MAX = 4096 };

noc_status noc_stars_brighter(noc_ctx *ctx, double max_mag, char (*names)[NOC_STAR_SEARCH_MAX],
                              int cap, int *count, int *total, noc_error *err) {
  (void)ctx; /* the star table is per thread, like the context */
  *count = 0;
  *total = 0;
  bright *all = malloc(sizeof *all * CATALOGUE_MAX);
  if (all == NULL) return noc_fail(err, NOC_ERR_NOMEM, "", "out of memory");
  int n = 0;
  for (int i = 1; i <= CATALOGUE_MAX; i++) {
    char star[SE_MAX_STNAME + 1], serr[AS_MAXCH] = "";
    double mag;
    snprintf(star, sizeof star, "%d", i);
    if (swe_fixstar2_mag(star, &mag, serr) < 0) {
      if (i == 1) {
        free(all);
        return noc_fail(err, NOC_ERR_EPHEMERIS, "",
                        "the fixed star catalogue (sefstars.txt) is not usable");
      }
      break;
    }
    const char *comma = strchr(star, ',');
    if (comma == NULL || comma[1] == '\0' || mag == 0.0 || mag >= 99.0 || mag > max_mag) continue;
    char search[NOC_STAR_SEARCH_MAX];
    if (snprintf(search, sizeof search, "%s", comma) >= (int)sizeof search) continue;
    bool dup = false;
    for (int k = 0; k < n && !dup; k++)
      dup = strcmp(all[k].search, search) == 0;
    if (dup) continue;
    all[n].mag = mag;
    memcpy(all[n].search, search, sizeof search);
    n++;
  }
  qsort(all, (size_t)n, sizeof all[0], cmp_bright);
  for (int i = 0; i < n && i < cap; i++)
    memcpy(names[i], all[i].search, sizeof names[i]);
  *count = n < cap ? n : cap;
  *total = n;
  free(all);
  return NOC_OK;
}
