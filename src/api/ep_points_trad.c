/* Endpoints: fixed stars, lots (Arabic parts), essential dignities, aspect patterns and chart
 * shape (issue 6). Listed in the table of ep_points.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/points_chart.h"
#include "nocturna/zodiac.h"

static const noc_body chart_bodies[] = {NOC_SUN,     NOC_MOON,    NOC_MERCURY,   NOC_VENUS,
                                        NOC_MARS,    NOC_JUPITER, NOC_SATURN,    NOC_URANUS,
                                        NOC_NEPTUNE, NOC_PLUTO,   NOC_MEAN_NODE, NOC_MEAN_LILITH};
enum { CHART_BODY_COUNT = sizeof chart_bodies / sizeof chart_bodies[0], PLANET_COUNT = 10 };

static void write_body_or_null(noc_jw *w, const char *key, noc_body b) {
  noc_jw_key(w, key);
  if (b >= 0 && b < NOC_BODY_COUNT)
    noc_jw_str(w, noc_body_name(b));
  else
    noc_jw_null(w);
}

/* ---- fixed-stars --------------------------------------------------------------------------- */

/* The whole catalogue has about 1,100 distinct entries. */
enum { STAR_FILTER_MAX = 1500 };

typedef struct star_request {
  bool by_name, by_magnitude;
  double magnitude_limit, orb;
  bool aspects[NOC_ASP_COUNT];
  json_t *list;          /* borrowed: the `stars` array when by_name */
  const char *list_path; /* "stars" or "options.stars" */
} star_request;

static noc_status read_star_request(noc_api_call *call, star_request *r, char *path, size_t cap) {
  memset(r, 0, sizeof *r);
  r->orb = 1.0;
  json_t *obj;
  const char *prefix;
  noc_status st;
  noc_popt(call, "magnitude_limit", &obj, &prefix);
  r->by_magnitude = obj != NULL;
  if ((st = noc_popt_number(call, "magnitude_limit", -2.0, 20.0, &r->magnitude_limit)) != NOC_OK ||
      (st = noc_popt_number(call, "orb", 0.0, 10.0, &r->orb)) != NOC_OK)
    return st;
  noc_popt(call, "aspects", &obj, &prefix);
  if (obj == NULL) {
    r->aspects[NOC_ASP_CONJUNCTION] = true;
  } else if ((st = noc_popt_aspects(call, r->aspects)) != NOC_OK) {
    return st;
  }
  noc_popt(call, "stars", &obj, &prefix);
  if (obj == NULL) return NOC_OK;
  r->list_path = noc_in_path(path, cap, prefix, "stars");
  r->list = json_object_get(obj, "stars");
  if (!json_is_array(r->list) || json_array_size(r->list) == 0 ||
      json_array_size(r->list) > NOC_MAX_LIST)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, r->list_path,
                    "must be a list of 1 to %d star names", NOC_MAX_LIST);
  r->by_name = true;
  return NOC_OK;
}

static noc_status stars_by_name(noc_api_call *call, const noc_pchart *pc, const star_request *r,
                                noc_star *out, int *n) {
  *n = 0;
  for (size_t i = 0; i < json_array_size(r->list); i++) {
    char ipath[NOC_ERR_FIELD_MAX];
    snprintf(ipath, sizeof ipath, "%s[%zu]", r->list_path, i);
    json_t *item = json_array_get(r->list, i);
    if (!json_is_string(item))
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "must be a star name string");
    noc_star *s = &out[*n];
    noc_status st = noc_star_calc(call->env->ctx, &pc->in.time, json_string_value(item),
                                  &pc->in.opt, s, &call->err, ipath);
    if (st != NOC_OK) return st;
    for (int k = 0; k < *n; k++)
      if (strcmp(out[k].designation, s->designation) == 0 && strcmp(out[k].name, s->name) == 0)
        return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "%s is listed twice",
                        s->name[0] ? s->name : s->designation);
    if (!r->by_magnitude || s->magnitude <= r->magnitude_limit) (*n)++;
  }
  return NOC_OK;
}

static noc_status stars_by_magnitude(noc_api_call *call, const noc_pchart *pc,
                                     const star_request *r, noc_star *out, int *n) {
  char(*names)[NOC_STAR_SEARCH_MAX] = malloc(sizeof *names * STAR_FILTER_MAX);
  if (names == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  int count = 0, total = 0;
  noc_status st = noc_stars_brighter(call->env->ctx, r->magnitude_limit, names, STAR_FILTER_MAX,
                                     &count, &total, &call->err);
  *n = 0;
  for (int i = 0; st == NOC_OK && i < count; i++) {
    noc_star *s = &out[*n];
    st = noc_star_calc(call->env->ctx, &pc->in.time, names[i], &pc->in.opt, s, &call->err,
                       "magnitude_limit");
    /* Swiss Ephemeris finds zePsc for ",zePscA", a second record of the same star. */
    bool seen = false;
    for (int k = 0; k < *n && st == NOC_OK && !seen; k++)
      seen = strcmp(out[k].designation, s->designation) == 0 && strcmp(out[k].name, s->name) == 0;
    if (st == NOC_OK && !seen) (*n)++;
  }
  free(names);
  return st;
}

static noc_status stars_default(noc_api_call *call, const noc_pchart *pc, noc_star *out, int *n) {
  *n = 0;
  for (int i = 0; i < NOC_STAR_DEFAULT_COUNT; i++) {
    noc_status st = noc_star_calc(call->env->ctx, &pc->in.time, noc_star_default_name(i),
                                  &pc->in.opt, &out[i], &call->err, "stars");
    if (st != NOC_OK) return st;
    (*n)++;
  }
  return NOC_OK;
}

static void write_star_contacts(noc_jw *w, const noc_pchart *pc, const noc_star *s,
                                const star_request *r) {
  noc_jw_key(w, "aspects");
  noc_jw_arr(w);
  for (int i = 0; i < pc->count; i++) {
    double sep = fabs(noc_angle_diff(s->pos.longitude, pc->points[i].pos.longitude));
    for (int t = 0; t < NOC_ASP_COUNT; t++) {
      const noc_aspect_def *def = noc_aspect_def_get((noc_aspect_type)t);
      double orb = fabs(sep - def->angle);
      if (!r->aspects[t] || orb > r->orb) continue;
      noc_jw_obj(w);
      noc_jw_kstr(w, "point", noc_body_name(pc->points[i].body));
      noc_jw_kstr(w, "aspect_type", def->name);
      noc_jw_knum(w, "orb", orb, 7);
      noc_jw_obj_end(w);
    }
  }
  noc_jw_arr_end(w);
}

/* Keyed by the traditional name; a name the catalogue gives to two stars (Algedi is al-1Cap and
 * al-2Cap) gets its designation added, "Algedi (al-1Cap)", so that keys stay unique. */
static void star_key(const noc_star *all, int n, int i, char *key, size_t cap) {
  const noc_star *s = &all[i];
  bool shared = false;
  for (int k = 0; k < n && s->name[0] && !shared; k++)
    shared = k != i && strcmp(all[k].name, s->name) == 0;
  if (!s->name[0])
    snprintf(key, cap, "%s", s->designation);
  else if (shared)
    snprintf(key, cap, "%s (%s)", s->name, s->designation);
  else
    snprintf(key, cap, "%s", s->name);
}

static void write_star(noc_jw *w, const noc_pchart *pc, const noc_star *all, int n, int i,
                       const star_request *r) {
  const noc_star *s = &all[i];
  char key[NOC_STAR_NAME_MAX + NOC_STAR_DESIG_MAX + 4];
  star_key(all, n, i, key, sizeof key);
  noc_jw_key(w, key);
  noc_jw_obj(w);
  noc_jw_kstr(w, "name", s->name);
  noc_jw_kstr(w, "designation", s->designation);
  noc_jw_key(w, "magnitude");
  if (isfinite(s->magnitude) && s->magnitude < 99.0)
    noc_jw_num(w, s->magnitude, 2);
  else
    noc_jw_null(w); /* the catalogue's 999.99: a reference point without a magnitude */
  noc_pout_lon(w, s->pos.longitude);
  noc_jw_knum(w, "latitude", s->pos.latitude, 7);
  noc_jw_knum(w, "speed", s->pos.speed_longitude, 9);
  noc_jw_knum(w, "right_ascension", s->pos.right_ascension, 7);
  noc_jw_knum(w, "declination", s->pos.declination, 7);
  if (pc->has_houses) noc_jw_kint(w, "house", noc_house_of(&pc->houses, s->pos.longitude));
  write_star_contacts(w, pc, s, r);
  noc_jw_obj_end(w);
}

static int fixed_stars(noc_api_call *call, bool flat) {
  static const char *const own[] = {"stars", "magnitude_limit", "orb", "aspects", "planets", NULL};
  static const noc_pchart_spec spec = {chart_bodies, CHART_BODY_COUNT, true, false, NULL, false};
  noc_pchart pc;
  star_request r;
  char list_path[NOC_ERR_FIELD_MAX];
  noc_status st;
  if ((st = noc_pchart_read(call, flat, own, &pc)) != NOC_OK ||
      (st = read_star_request(call, &r, list_path, sizeof list_path)) != NOC_OK ||
      (st = noc_pchart_compute(call, &pc, &spec)) != NOC_OK)
    return st;
  noc_star *stars = malloc(sizeof *stars * STAR_FILTER_MAX);
  if (stars == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  int n = 0;
  if (r.by_name)
    st = stars_by_name(call, &pc, &r, stars, &n);
  else if (r.by_magnitude)
    st = stars_by_magnitude(call, &pc, &r, stars, &n);
  else
    st = stars_default(call, &pc, stars, &n);
  if (st == NOC_OK) {
    noc_jw *w = call->w;
    noc_jw_obj(w);
    noc_jw_kstr(w, "selection", r.by_name ? "names" : (r.by_magnitude ? "magnitude" : "default"));
    noc_jw_key(w, "magnitude_limit");
    if (r.by_magnitude)
      noc_jw_num(w, r.magnitude_limit, 2);
    else
      noc_jw_null(w);
    noc_jw_knum(w, "orb", r.orb, 4);
    noc_jw_kint(w, "count", n);
    noc_jw_key(w, "stars");
    noc_jw_obj(w);
    for (int i = 0; i < n; i++)
      write_star(w, &pc, stars, n, i, &r);
    noc_jw_obj_end(w);
    noc_jw_obj_end(w);
  }
  free(stars);
  return st;
}

int noc_ep_fixed_stars(noc_api_call *call) {
  return fixed_stars(call, false);
}
int noc_ep_fixed_stars_flat(noc_api_call *call) {
  return fixed_stars(call, true);
}

/* ---- arabic-parts -------------------------------------------------------------------------- */

static const noc_body seven[] = {NOC_SUN,  NOC_MOON,    NOC_MERCURY, NOC_VENUS,
                                 NOC_MARS, NOC_JUPITER, NOC_SATURN};
enum { SEVEN = sizeof seven / sizeof seven[0] };

static noc_status read_parts(noc_api_call *call, const noc_part_def **defs, int *n) {
  json_t *obj;
  const char *prefix;
  noc_popt(call, "parts", &obj, &prefix);
  if (obj == NULL) {
    *n = noc_part_count();
    for (int i = 0; i < *n; i++)
      defs[i] = noc_part_at(i);
    return NOC_OK;
  }
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "parts");
  json_t *list = json_object_get(obj, "parts");
  if (!json_is_array(list) || json_array_size(list) == 0 ||
      json_array_size(list) > (size_t)noc_part_count())
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be a list of 1 to %d part names",
                    noc_part_count());
  *n = (int)json_array_size(list);
  for (int i = 0; i < *n; i++) {
    char ipath[NOC_ERR_FIELD_MAX];
    snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
    json_t *item = json_array_get(list, (size_t)i);
    defs[i] = json_is_string(item) ? noc_part_find(json_string_value(item)) : NULL;
    if (defs[i] == NULL)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath,
                      "unknown part '%.40s' (e.g. FORTUNA, SPIRIT, EROS, MARRIAGE; the list is in "
                      "docs/api.md)",
                      json_is_string(item) ? json_string_value(item) : "");
    for (int k = 0; k < i; k++)
      if (defs[k] == defs[i])
        return noc_fail(&call->err, NOC_ERR_VALIDATION, ipath, "%s is listed twice",
                        noc_part_name(defs[i]));
  }
  return NOC_OK;
}

static void part_chart(const noc_pchart *pc, noc_part_chart *c) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < pc->count; i++)
    c->lon[pc->points[i].body] = pc->points[i].pos.longitude;
  c->asc = pc->houses.asc;
  c->mc = pc->houses.mc;
  c->has_cusps = pc->houses.cusp_count == 12;
  for (int i = 0; i < 12 && c->has_cusps; i++)
    c->cusps[i] = pc->houses.cusps[i];
  c->day = pc->day;
}

static int arabic_parts(noc_api_call *call, bool flat) {
  static const char *const own[] = {"parts", NULL};
  static const noc_pchart_spec spec = {
      seven, SEVEN, false, true, "lots are measured from the ascendant", true};
  noc_pchart pc;
  const noc_part_def *defs[64] = {NULL};
  int n = 0;
  noc_status st;
  if ((st = noc_pchart_read(call, flat, own, &pc)) != NOC_OK ||
      (st = read_parts(call, defs, &n)) != NOC_OK ||
      (st = noc_pchart_compute(call, &pc, &spec)) != NOC_OK)
    return st;
  noc_part_chart c;
  part_chart(&pc, &c);
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_kstr(w, "sect", pc.day ? "day" : "night");
  noc_jw_kbool(w, "is_day_chart", pc.day);
  noc_jw_key(w, "parts");
  noc_jw_obj(w);
  for (int i = 0; i < n; i++) {
    noc_part_value v;
    noc_part_calc(defs[i], &c, &v);
    noc_jw_key(w, noc_part_name(defs[i]));
    noc_jw_obj(w);
    noc_pout_lon(w, v.longitude);
    noc_jw_kint(w, "house", noc_house_of(&pc.houses, v.longitude));
    noc_jw_kstr(w, "formula", v.formula);
    noc_jw_kstr(w, "day_formula", v.day_formula);
    noc_jw_kstr(w, "night_formula", v.night_formula_text);
    noc_jw_kbool(w, "reverses_at_night", noc_part_reverses(defs[i]));
    noc_jw_kbool(w, "night_formula_used", v.night_formula);
    noc_jw_kstr(w, "source", noc_part_source(defs[i]));
    noc_jw_obj_end(w);
  }
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
  return NOC_OK;
}

int noc_ep_arabic_parts(noc_api_call *call) {
  return arabic_parts(call, false);
}
int noc_ep_arabic_parts_flat(noc_api_call *call) {
  return arabic_parts(call, true);
}

/* ---- dignities ----------------------------------------------------------------------------- */

static const noc_body ten[] = {NOC_SUN,     NOC_MOON,   NOC_MERCURY, NOC_VENUS,   NOC_MARS,
                               NOC_JUPITER, NOC_SATURN, NOC_URANUS,  NOC_NEPTUNE, NOC_PLUTO};

static const char *const rulers_names[] = {"traditional", "modern", NULL};
static const char *const trip_names[] = {"dorothean", "ptolemaic", "lilly", NULL};
static const char *const terms_names[] = {"egyptian", "ptolemaic", NULL};

static void write_scores(noc_jw *w, const noc_dignity *d) {
  noc_jw_kint(w, "rulership", d->rulership);
  noc_jw_kint(w, "exaltation", d->exaltation);
  noc_jw_kint(w, "triplicity", d->triplicity);
  noc_jw_kint(w, "term", d->term);
  noc_jw_kint(w, "face", d->face);
  noc_jw_kint(w, "detriment", d->detriment);
  noc_jw_kint(w, "fall", d->fall);
  noc_jw_kint(w, "peregrine", d->peregrine);
  noc_jw_kint(w, "total", d->total);
  const struct {
    int v;
    const char *name;
  } all[] = {{d->rulership, "RULERSHIP"},
             {d->exaltation, "EXALTATION"},
             {d->triplicity, "TRIPLICITY"},
             {d->term, "TERM"},
             {d->face, "FACE"},
             {d->detriment, "DETRIMENT"},
             {d->fall, "FALL"},
             {d->peregrine, "PEREGRINE"}};
  for (int neg = 0; neg < 2; neg++) {
    noc_jw_key(w, neg ? "debilities" : "dignities");
    noc_jw_arr(w);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
      if (neg ? all[i].v < 0 : all[i].v > 0) noc_jw_str(w, all[i].name);
    noc_jw_arr_end(w);
  }
}

static void write_dignity(noc_jw *w, const noc_dignity *d, double lon) {
  noc_jw_key(w, noc_body_name(d->planet));
  noc_jw_obj(w);
  noc_pout_lon(w, lon);
  write_scores(w, d);
  write_body_or_null(w, "ruler", d->ruler);
  write_body_or_null(w, "exaltation_ruler", d->exaltation_ruler);
  write_body_or_null(w, "term_ruler", d->term_ruler);
  write_body_or_null(w, "face_ruler", d->face_ruler);
  noc_jw_key(w, "triplicity_rulers");
  noc_jw_obj(w);
  write_body_or_null(w, "day", d->triplicity_rulers[0]);
  write_body_or_null(w, "night", d->triplicity_rulers[1]);
  write_body_or_null(w, "participating", d->triplicity_rulers[2]);
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
}

static void write_receptions(noc_jw *w, const noc_pchart *pc, noc_rulers rulers) {
  static const char *const kinds[] = {"DOMICILE", "EXALTATION", "MIXED"};
  noc_jw_arr(w);
  for (int i = 0; i < pc->count; i++)
    for (int j = i + 1; j < pc->count; j++) {
      noc_reception_kind k;
      if (!noc_mutual_reception(pc->points[i].body, pc->points[i].pos.longitude, pc->points[j].body,
                                pc->points[j].pos.longitude, rulers, &k))
        continue;
      noc_jw_obj(w);
      noc_jw_kstr(w, "planet1", noc_body_name(pc->points[i].body));
      noc_jw_kstr(w, "planet2", noc_body_name(pc->points[j].body));
      noc_jw_kstr(w, "type", kinds[k]);
      noc_jw_obj_end(w);
    }
  noc_jw_arr_end(w);
}

/* Almutens weigh the seven planets by their points at a degree, with traditional rulers. */
static int almuten_of(double lon, bool day, const noc_dignity_options *opt, int *score) {
  noc_dignity_options trad = *opt;
  trad.rulers = NOC_RULERS_TRADITIONAL;
  int best = 0;
  for (int p = 0; p < SEVEN; p++) {
    score[p] = noc_dignity_points_at(seven[p], lon, day, &trad);
    best = score[p] > best ? score[p] : best;
  }
  return best;
}

static void write_winners(noc_jw *w, const int *score, int best) {
  noc_jw_key(w, "planets");
  noc_jw_arr(w);
  for (int p = 0; p < SEVEN && best > 0; p++)
    if (score[p] == best) noc_jw_str(w, noc_body_name(seven[p]));
  noc_jw_arr_end(w);
  noc_jw_kint(w, "points", best);
}

typedef struct almuten_point {
  const char *name;
  double lon;
} almuten_point;

static void write_almutens(noc_jw *w, const almuten_point *pts, int n, bool day,
                           const noc_dignity_options *opt) {
  noc_jw_obj(w);
  for (int i = 0; i < n; i++) {
    int score[SEVEN];
    int best = almuten_of(pts[i].lon, day, opt, score);
    noc_jw_key(w, pts[i].name);
    noc_jw_obj(w);
    noc_jw_knum(w, "longitude", pts[i].lon, 7);
    write_winners(w, score, best);
    noc_jw_obj_end(w);
  }
  noc_jw_obj_end(w);
}

/* Ibn Ezra's almuten of the chart: the sum over Sun, Moon, ASC, Fortune and the prenatal
 * syzygy. */
static void write_figuris(noc_api_call *call, const almuten_point *pts, bool day,
                          const noc_dignity_options *opt, const noc_syzygy *syz) {
  noc_jw *w = call->w;
  int total[SEVEN] = {0}, best = 0;
  for (int i = 0; i < 5; i++) {
    int score[SEVEN];
    almuten_of(pts[i].lon, day, opt, score);
    for (int p = 0; p < SEVEN; p++)
      total[p] += score[p];
  }
  for (int p = 0; p < SEVEN; p++)
    best = total[p] > best ? total[p] : best;
  noc_jw_obj(w);
  write_winners(w, total, best);
  noc_jw_key(w, "scores");
  noc_jw_obj(w);
  for (int p = 0; p < SEVEN; p++)
    noc_jw_kint(w, noc_body_name(seven[p]), total[p]);
  noc_jw_obj_end(w);
  noc_jw_key(w, "based_on");
  noc_jw_arr(w);
  for (int i = 0; i < 5; i++)
    noc_jw_str(w, pts[i].name);
  noc_jw_arr_end(w);
  noc_jw_key(w, "prenatal_syzygy");
  noc_jw_obj(w);
  noc_jw_kstr(w, "type", syz->new_moon ? "new_moon" : "full_moon");
  noc_jw_key(w, "time");
  noc_out_time(w, syz->jd_ut, call);
  noc_jw_knum(w, "longitude", syz->moon_lon, 7);
  noc_jw_obj_end(w);
  noc_jw_obj_end(w);
}

static noc_status read_dignity_options(noc_api_call *call, noc_dignity_options *o) {
  int rulers = 0, trip = 0, terms = 0;
  noc_status st;
  if ((st = noc_popt_enum(call, "dignity_system", rulers_names, &rulers)) != NOC_OK ||
      (st = noc_popt_enum(call, "triplicity", trip_names, &trip)) != NOC_OK ||
      (st = noc_popt_enum(call, "terms", terms_names, &terms)) != NOC_OK)
    return st;
  *o = (noc_dignity_options){(noc_rulers)rulers, (noc_triplicity)trip, (noc_terms)terms};
  return NOC_OK;
}

static void write_dignity_tables(noc_jw *w, const noc_pchart *pc, const noc_dignity_options *o) {
  noc_jw_key(w, "dignities");
  noc_jw_obj(w);
  for (int i = 0; i < pc->count; i++) {
    noc_dignity d;
    noc_dignity_of(pc->points[i].body, pc->points[i].pos.longitude, pc->day, o, &d);
    write_dignity(w, &d, pc->points[i].pos.longitude);
  }
  noc_jw_obj_end(w);
  noc_jw_key(w, "mutual_receptions");
  write_receptions(w, pc, o->rulers);
}

static int dignities(noc_api_call *call, bool flat) {
  static const char *const own[] = {"dignity_system", "triplicity", "terms", NULL};
  noc_pchart_spec spec = {
      ten, SEVEN, false, true, "dignities depend on the sect (a day or night chart)", true};
  noc_pchart pc;
  noc_dignity_options o;
  noc_syzygy syz;
  noc_status st;
  if ((st = noc_pchart_read(call, flat, own, &pc)) != NOC_OK ||
      (st = read_dignity_options(call, &o)) != NOC_OK)
    return st;
  spec.ndefaults = o.rulers == NOC_RULERS_MODERN ? 10 : SEVEN;
  if ((st = noc_pchart_compute(call, &pc, &spec)) != NOC_OK ||
      (st = noc_prenatal_syzygy(call->env->ctx, &pc.in.time, &pc.in.opt, &syz, &call->err)) !=
          NOC_OK)
    return st;
  double sun = pc.points[0].pos.longitude, moon = pc.points[1].pos.longitude;
  double fortune = noc_norm360(pc.day ? pc.houses.asc + moon - sun : pc.houses.asc + sun - moon);
  almuten_point pts[] = {{"SUN", sun},
                         {"MOON", moon},
                         {"ASC", pc.houses.asc},
                         {"PART_OF_FORTUNE", fortune},
                         {"PRENATAL_SYZYGY", syz.moon_lon},
                         {"MC", pc.houses.mc}};
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_kstr(w, "rulers", rulers_names[o.rulers]);
  noc_jw_kstr(w, "triplicity", trip_names[o.triplicity]);
  noc_jw_kstr(w, "terms", terms_names[o.terms]);
  noc_jw_kstr(w, "sect", pc.day ? "day" : "night");
  write_dignity_tables(w, &pc, &o);
  noc_jw_key(w, "almutens");
  write_almutens(w, pts, (int)(sizeof pts / sizeof pts[0]), pc.day, &o);
  noc_jw_key(w, "almuten_figuris");
  write_figuris(call, pts, pc.day, &o, &syz);
  noc_jw_obj_end(w);
  return NOC_OK;
}

int noc_ep_dignities(noc_api_call *call) {
  return dignities(call, false);
}
int noc_ep_dignities_flat(noc_api_call *call) {
  return dignities(call, true);
}

/* ---- aspect-patterns ----------------------------------------------------------------------- */

static noc_status read_pattern_orbs(noc_api_call *call, noc_pattern_config *cfg) {
  json_t *obj;
  const char *prefix;
  noc_popt(call, "orbs", &obj, &prefix);
  if (obj == NULL) return NOC_OK;
  char path[NOC_ERR_FIELD_MAX];
  noc_in_path(path, sizeof path, prefix, "orbs");
  json_t *map = json_object_get(obj, "orbs");
  if (!json_is_object(map) || json_object_size(map) > NOC_ASP_COUNT)
    return noc_fail(&call->err, NOC_ERR_VALIDATION, path, "must be an object of aspect: degrees");
  const char *name;
  json_t *v;
  json_object_foreach(map, name, v) {
    noc_aspect_type t;
    char kpath[NOC_ERR_FIELD_MAX];
    snprintf(kpath, sizeof kpath, "%s.%.40s", path, name);
    if (!noc_aspect_from_name(name, &t) || cfg->orb[t] == 0.0)
      return noc_fail(&call->err, NOC_ERR_VALIDATION, kpath,
                      "patterns use CONJUNCTION, OPPOSITION, TRINE, SQUARE, SEXTILE and QUINCUNX");
    noc_status st = noc_in_number(call, map, path, name, true, 0.0, 15.0, &cfg->orb[t], NULL);
    if (st != NOC_OK) return st;
  }
  return NOC_OK;
}

static noc_status read_pattern_config(noc_api_call *call, noc_pattern_config *cfg, bool *angles) {
  noc_pattern_config_default(cfg);
  double smin = cfg->stellium_min;
  noc_status st;
  if ((st = noc_popt_number(call, "orb_multiplier", 0.1, 3.0, &cfg->orb_multiplier)) != NOC_OK ||
      (st = noc_popt_number(call, "stellium_min", 2, 12, &smin)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_angles", angles)) != NOC_OK ||
      (st = read_pattern_orbs(call, cfg)) != NOC_OK)
    return st;
  if (smin != floor(smin))
    return noc_fail(&call->err, NOC_ERR_VALIDATION, "stellium_min", "must be a whole number");
  cfg->stellium_min = (int)smin;
  return NOC_OK;
}

/* The element (or modality) the members share, -1 when they do not. */
static int shared_quality(const noc_pchart *pc, const noc_pattern *p, bool element) {
  int q = -1;
  for (int i = 0; i < p->count; i++) {
    noc_dms d;
    noc_dms_split(pc->points[p->members[i]].pos.longitude, &d);
    int v = element ? noc_sign_element(d.sign) : noc_sign_modality(d.sign);
    if (i > 0 && v != q) return -1;
    q = v;
  }
  return q;
}

static void write_pattern(noc_jw *w, const noc_pchart *pc, const noc_pattern *p) {
  noc_jw_obj(w);
  noc_jw_kstr(w, "type", noc_pattern_name(p->type));
  noc_jw_key(w, "members");
  noc_jw_arr(w);
  for (int i = 0; i < p->count; i++)
    noc_jw_str(w, noc_body_name(pc->points[p->members[i]].body));
  noc_jw_arr_end(w);
  noc_jw_key(w, "apex");
  if (p->apex >= 0)
    noc_jw_str(w, noc_body_name(pc->points[p->apex].body));
  else
    noc_jw_null(w);
  noc_jw_key(w, "max_orb");
  if (p->type == NOC_PAT_STELLIUM)
    noc_jw_null(w);
  else
    noc_jw_num(w, p->max_orb, 4);
  if (p->type == NOC_PAT_STELLIUM) {
    noc_jw_key(w, "sign");
    if (p->sign >= 0)
      noc_jw_str(w, noc_sign_name(p->sign));
    else
      noc_jw_null(w);
    noc_jw_key(w, "house");
    if (p->house > 0)
      noc_jw_int(w, p->house);
    else
      noc_jw_null(w);
  }
  int el = shared_quality(pc, p, true), mod = shared_quality(pc, p, false);
  if (p->type == NOC_PAT_GRAND_TRINE || p->type == NOC_PAT_KITE)
    noc_jw_kstr(w, "element", el >= 0 ? noc_element_name(el) : "MIXED");
  if (p->type == NOC_PAT_T_SQUARE || p->type == NOC_PAT_GRAND_CROSS)
    noc_jw_kstr(w, "modality", mod >= 0 ? noc_modality_name(mod) : "MIXED");
  noc_jw_obj_end(w);
}

int noc_ep_aspect_patterns(noc_api_call *call) {
  static const char *const own[] = {"planets",      "orb_multiplier", "orbs",
                                    "stellium_min", "include_angles", NULL};
  noc_pchart pc;
  noc_pattern_config cfg;
  bool angles = false;
  noc_status st;
  if ((st = noc_pchart_read(call, false, own, &pc)) != NOC_OK ||
      (st = read_pattern_config(call, &cfg, &angles)) != NOC_OK)
    return st;
  noc_pchart_spec spec = {chart_bodies, PLANET_COUNT, angles, false, NULL, false};
  if ((st = noc_pchart_compute(call, &pc, &spec)) != NOC_OK) return st;
  noc_pattern_point pts[NOC_BODY_COUNT];
  for (int i = 0; i < pc.count; i++)
    pts[i] = (noc_pattern_point){.body = pc.points[i].body,
                                 .house = pc.points[i].house,
                                 .longitude = pc.points[i].pos.longitude};
  enum { PATTERN_CAP = 512 };
  noc_pattern *found = malloc(sizeof *found * PATTERN_CAP);
  if (found == NULL) return noc_fail(&call->err, NOC_ERR_NOMEM, "", "out of memory");
  int n = 0;
  st = noc_patterns_find(pts, pc.count, &cfg, found, PATTERN_CAP, &n, &call->err);
  if (st == NOC_OK) {
    noc_jw *w = call->w;
    noc_jw_obj(w);
    noc_jw_kint(w, "count", n);
    noc_jw_key(w, "patterns");
    noc_jw_arr(w);
    for (int i = 0; i < n; i++)
      write_pattern(w, &pc, &found[i]);
    noc_jw_arr_end(w);
    noc_jw_obj_end(w);
  }
  free(found);
  return st;
}

/* ---- chart-shape --------------------------------------------------------------------------- */

typedef struct bucket {
  const char *name;
  int count;
  int members[NOC_BODY_COUNT];
} bucket;

static void bucket_add(bucket *b, int index) {
  b->members[b->count++] = index;
}

static void write_buckets(noc_jw *w, const noc_pchart *pc, const char *key, const bucket *b,
                          int n) {
  noc_jw_key(w, key);
  noc_jw_obj(w);
  for (int i = 0; i < n; i++) {
    noc_jw_key(w, b[i].name);
    noc_jw_obj(w);
    noc_jw_kint(w, "count", b[i].count);
    noc_jw_key(w, "planets");
    noc_jw_arr(w);
    for (int k = 0; k < b[i].count; k++)
      noc_jw_str(w, noc_body_name(pc->points[b[i].members[k]].body));
    noc_jw_arr_end(w);
    noc_jw_obj_end(w);
  }
  noc_jw_obj_end(w);
}

static void write_dominant(noc_jw *w, const char *key, const bucket *b, int n) {
  int best = 0;
  for (int i = 0; i < n; i++)
    best = b[i].count > best ? b[i].count : best;
  noc_jw_key(w, key);
  noc_jw_arr(w);
  for (int i = 0; i < n && best > 0; i++)
    if (b[i].count == best) noc_jw_str(w, b[i].name);
  noc_jw_arr_end(w);
}

static void write_signs(noc_jw *w, const noc_pchart *pc) {
  bucket el[4] = {{"FIRE", 0, {0}}, {"EARTH", 0, {0}}, {"AIR", 0, {0}}, {"WATER", 0, {0}}};
  bucket mo[3] = {{"CARDINAL", 0, {0}}, {"FIXED", 0, {0}}, {"MUTABLE", 0, {0}}};
  bucket po[2] = {{"POSITIVE", 0, {0}}, {"NEGATIVE", 0, {0}}};
  for (int i = 0; i < pc->count; i++) {
    noc_dms d;
    noc_dms_split(pc->points[i].pos.longitude, &d);
    bucket_add(&el[noc_sign_element(d.sign)], i);
    bucket_add(&mo[noc_sign_modality(d.sign)], i);
    bucket_add(&po[d.sign % 2], i); /* fire and air signs are the odd (positive) ones */
  }
  write_buckets(w, pc, "elements", el, 4);
  write_buckets(w, pc, "modalities", mo, 3);
  write_buckets(w, pc, "polarities", po, 2);
  write_dominant(w, "dominant_element", el, 4);
  write_dominant(w, "dominant_modality", mo, 3);
}

/* By the angles, so that any house system gives the same halves: above the horizon is from the
 * DESC through the MC to the ASC, east is from the MC through the ASC to the IC. */
static void write_hemispheres(noc_jw *w, const noc_pchart *pc) {
  bucket hs[4] = {{"NORTH", 0, {0}}, {"SOUTH", 0, {0}}, {"EAST", 0, {0}}, {"WEST", 0, {0}}};
  bucket qs[4] = {{"1", 0, {0}}, {"2", 0, {0}}, {"3", 0, {0}}, {"4", 0, {0}}};
  const noc_houses *h = &pc->houses;
  double asc = h->asc, ic = noc_norm360(h->mc + 180), desc = noc_norm360(h->asc + 180);
  for (int i = 0; i < pc->count; i++) {
    double lon = pc->points[i].pos.longitude;
    bool above = noc_norm360(lon - desc) < 180.0, east = noc_norm360(lon - h->mc) < 180.0;
    bucket_add(&hs[above ? 1 : 0], i);
    bucket_add(&hs[east ? 2 : 3], i);
    double from_asc = noc_norm360(lon - asc);
    int q = from_asc < noc_norm360(ic - asc)      ? 0
            : from_asc < noc_norm360(desc - asc)  ? 1
            : from_asc < noc_norm360(h->mc - asc) ? 2
                                                  : 3;
    bucket_add(&qs[q], i);
  }
  write_buckets(w, pc, "hemispheres", hs, 4);
  write_buckets(w, pc, "quadrants", qs, 4);
}

static void write_jones(noc_jw *w, const noc_pchart *pc) {
  double lon[NOC_BODY_COUNT];
  for (int i = 0; i < pc->count; i++)
    lon[i] = pc->points[i].pos.longitude;
  noc_shape_info s;
  noc_jones_shape_of(lon, pc->count, &s);
  noc_jw_key(w, "shape");
  noc_jw_obj(w);
  noc_jw_kstr(w, "type", pc->count >= 3 ? noc_jones_shape_name(s.shape) : "UNDEFINED");
  noc_jw_knum(w, "occupied_arc", s.occupied_arc, 4);
  noc_jw_knum(w, "largest_gap", s.largest_gap, 4);
  write_body_or_null(w, "leading_planet",
                     s.leading >= 0 ? pc->points[s.leading].body : (noc_body)-1);
  write_body_or_null(w, "handle", s.handle >= 0 ? pc->points[s.handle].body : (noc_body)-1);
  noc_jw_obj_end(w);
}

int noc_ep_chart_shape(noc_api_call *call) {
  static const char *const own[] = {"planets", "include_angles", NULL};
  noc_pchart pc;
  bool angles = false;
  noc_status st;
  if ((st = noc_pchart_read(call, false, own, &pc)) != NOC_OK ||
      (st = noc_popt_bool(call, "include_angles", &angles)) != NOC_OK)
    return st;
  noc_pchart_spec spec = {chart_bodies, PLANET_COUNT, angles, false, NULL, false};
  if ((st = noc_pchart_compute(call, &pc, &spec)) != NOC_OK) return st;
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_kint(w, "count", pc.count);
  write_signs(w, &pc);
  if (pc.has_houses)
    write_hemispheres(w, &pc);
  else
    noc_warn(call, "LOCATION_NEEDED",
             "hemispheres and quadrants need latitude and longitude; they were left out");
  write_jones(w, &pc);
  noc_jw_obj_end(w);
  return NOC_OK;
}
