/* The event engine against brute force: a dense scan of the same functions over a short range
 * must find no crossing the search missed, and the search must report no crossing twice and
 * none that is not a root. Stress cases sit right at stations (targets a few thousandths of a
 * degree inside and outside a retrograde loop) and on the Moon. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nocturna/events.h"
#include "nocturna/nocturna.h"

static noc_ctx *ctx;

static int setup(void **state) {
  (void)state;
  noc_error err;
  return noc_ctx_open(&ctx, NULL, &err) == NOC_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  noc_ctx_close(ctx);
  return 0;
}

static double jd_of(const char *iso) {
  noc_time t;
  noc_error err;
  assert_int_equal(noc_parse_iso8601(ctx, iso, &t, &err, "t"), NOC_OK);
  return t.jd_ut;
}

/* ---- Collecting events ------------------------------------------------------------------------
 */

typedef struct collected {
  noc_event *ev; /* owned */
  int n, cap;
} collected;

static bool collect(void *user, const noc_event *ev) {
  collected *c = user;
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 256;
    c->ev = realloc(c->ev, sizeof *c->ev * (size_t)c->cap);
    assert_non_null(c->ev);
  }
  c->ev[c->n++] = *ev;
  return true;
}

static void run_query(const noc_event_query *q, collected *out, noc_event_result *res) {
  noc_event_run run = {0};
  noc_error err;
  noc_error_clear(&err);
  noc_status st = noc_events_search(ctx, q, &run, collect, out, res, &err);
  if (st != NOC_OK) fprintf(stderr, "search failed: %s: %s\n", err.field, err.message);
  assert_int_equal(st, NOC_OK);
  assert_true(res->complete);
  for (int i = 1; i < out->n; i++)
    assert_true(out->ev[i].jd_ut >= out->ev[i - 1].jd_ut); /* time order */
}

static void query_init(noc_event_query *q, const char *start, const char *end) {
  memset(q, 0, sizeof *q);
  noc_calc_options_default(&q->opt);
  q->jd_start = jd_of(start);
  q->jd_end = jd_of(end);
}

/* ---- Brute force ---------------------------------------------------------------------------- */

static double lon_of(noc_body b, double jd, double *speed) {
  noc_calc_options opt;
  noc_calc_options_default(&opt);
  double lon = 0.0, sp = 0.0;
  noc_error err;
  assert_int_equal(noc_body_longitude(ctx, jd, b, &opt, &lon, &sp, &err), NOC_OK);
  if (speed) *speed = sp;
  return lon;
}

/* The signed distance of a body's longitude (or of body a minus body b) past a place. */
typedef struct probe {
  noc_body a, b; /* b < 0: a single body */
  double place;
} probe;

static double probe_at(const probe *p, double jd) {
  double v = lon_of(p->a, jd, NULL);
  if ((int)p->b >= 0) v -= lon_of(p->b, jd, NULL);
  return noc_angle_diff(v, p->place);
}

/* Roots of probe_at in (a, b] by a scan at step h and bisection; appends to roots. */
static int scan_roots(const probe *p, double a, double b, double h, double *roots, int cap) {
  int n = 0;
  double t0 = a, f0 = probe_at(p, a);
  for (int i = 1; t0 < b; i++) {
    double t1 = fmin(a + i * h, b);
    double f1 = probe_at(p, t1);
    if ((f0 < 0.0) != (f1 < 0.0) && fabs(f0) < 90.0 && fabs(f1) < 90.0) {
      double lo = t0, hi = t1, flo = f0;
      while (hi - lo > 1e-8) {
        double m = 0.5 * (lo + hi), fm = probe_at(p, m);
        if ((fm < 0.0) == (flo < 0.0)) {
          lo = m;
          flo = fm;
        } else {
          hi = m;
        }
      }
      assert_true(n < cap);
      roots[n++] = 0.5 * (lo + hi);
    }
    t0 = t1;
    f0 = f1;
  }
  return n;
}

/* Compares the scan's roots with the search's for one probe: every scan root is found within
 * tol_s seconds, no two search events of the probe lie within a second (a double), and a search
 * event the scan did not see is a true root (a pair too close for the scan's step). */
static void compare(const probe *p, const double *scan, int nscan, const double *found, int nfound,
                    double tol_s) {
  for (int i = 0; i < nscan; i++) {
    double best = 1e9;
    for (int k = 0; k < nfound; k++)
      best = fmin(best, fabs(found[k] - scan[i]) * 86400.0);
    if (best > tol_s)
      fprintf(stderr, "missed root of body %d place %.5f at JD %.6f (nearest %.1f s)\n", p->a,
              p->place, scan[i], best);
    assert_true(best <= tol_s);
  }
  for (int k = 0; k < nfound; k++) {
    for (int j = k + 1; j < nfound; j++)
      assert_true(fabs(found[j] - found[k]) * 86400.0 > 1.0);
    double best = 1e9;
    for (int i = 0; i < nscan; i++)
      best = fmin(best, fabs(found[k] - scan[i]) * 86400.0);
    if (best > tol_s) {
      double speed = 0.0;
      lon_of(p->a, found[k], &speed);
      double resid = fabs(probe_at(p, found[k]));
      if (resid > fabs(speed) * tol_s / 86400.0 + 1e-7)
        fprintf(stderr, "spurious event body %d place %.5f at JD %.6f resid %.3g\n", p->a, p->place,
                found[k], resid);
      assert_true(resid <= fabs(speed) * tol_s / 86400.0 + 1e-7);
    }
  }
}

/* ---- Transits, with targets at the stations -----------------------------------------------------
 */

static void test_transits_dense(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-03-01T00:00:00Z", "2024-06-01T00:00:00Z");
  noc_event_spec *s = &q.specs[0];
  noc_event_spec_default(s, NOC_EVK_TRANSIT);
  s->orb_events = false;
  /* Mercury stations retrograde at 27.2186 on 2024-04-01 and direct at 15.9812 on 04-25: places
   * just inside and outside both ends of the loop, and ordinary ones. */
  static const double places[] = {
      27.2186 - 0.002, 27.2186 + 0.002, 15.9812 + 0.003, 15.9812 - 0.003, 21.0,
      84.2290,         200.5,           310.25};
  s->npoints = 8;
  for (int i = 0; i < s->npoints; i++)
    s->points[i] = (noc_event_point){NOC_SUN, places[i]};
  q.nspecs = 1;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  assert_true(c.n > 250);
  double *scan = malloc(sizeof *scan * 4096), *found = malloc(sizeof *found * 4096);
  assert_non_null(scan);
  assert_non_null(found);
  int probes = 0, loop_roots = 0;
  for (int bi = 0; bi < s->nbodies; bi++) {
    noc_body b = s->bodies[bi];
    double h = b == NOC_MOON ? 0.05 : (b == NOC_MERCURY ? 0.01 : 0.25);
    for (int pi = 0; pi < s->npoints; pi++) {
      for (int a = 0; a < NOC_ASP_COUNT; a++) {
        if (!s->aspects[a]) continue;
        double angle = noc_aspect_def_get((noc_aspect_type)a)->angle;
        for (int side = 0; side < (angle == 0.0 || angle == 180.0 ? 1 : 2); side++) {
          probe p = {b, (noc_body)-1, noc_norm360(places[pi] + (side ? -angle : angle))};
          int nscan = scan_roots(&p, q.jd_start, q.jd_end, h, scan, 4096);
          int nfound = 0;
          for (int k = 0; k < c.n; k++) {
            const noc_event *ev = &c.ev[k];
            if (ev->body == (int)b && ev->aspect == a &&
                fabs(ev->target_longitude - places[pi]) < 1e-12 &&
                fabs(noc_angle_diff(ev->longitude, p.place)) < 1e-3)
              found[nfound++] = ev->jd_ut;
          }
          compare(&p, scan, nscan, found, nfound, 1.0);
          if (b == NOC_MERCURY && a == NOC_ASP_CONJUNCTION && pi < 4) loop_roots += nfound;
          probes++;
        }
      }
    }
  }
  /* Inside the loop three passes, outside one: 3 + 1 + 3 + 1. */
  assert_int_equal(loop_roots, 8);
  assert_true(probes > 500);
  free(scan);
  free(found);
  free(c.ev);
}

/* Orb events bracket each exact pass: enters before, leaves after, in the right order. */
static void test_transit_orbs(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
  noc_event_spec *s = &q.specs[0];
  noc_event_spec_default(s, NOC_EVK_TRANSIT);
  s->nbodies = 1;
  s->bodies[0] = NOC_MARS;
  s->npoints = 1;
  s->points[0] = (noc_event_point){NOC_VENUS, 123.0}; /* Mars retrogrades over it in 2024-25 */
  for (int a = 0; a < NOC_ASP_COUNT; a++)
    s->aspects[a] = a == NOC_ASP_CONJUNCTION;
  s->orb[NOC_ASP_CONJUNCTION] = 2.0;
  q.nspecs = 1;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  /* Mars enters 121, is exact at 123 on 2024-11-... and turns back on 12-06 at 126.17:
   * enters, exact (direct), then the retrograde pass comes back over 123 in 2025. */
  int inside = 0, exact = 0;
  for (int i = 0; i < c.n; i++) {
    const noc_event *ev = &c.ev[i];
    assert_int_equal(ev->target, NOC_VENUS);
    if (ev->stage == NOC_EVS_ENTERS_ORB) {
      assert_int_equal(inside, 0);
      inside = 1;
    } else if (ev->stage == NOC_EVS_LEAVES_ORB) {
      assert_int_equal(inside, 1);
      inside = 0;
    } else {
      assert_int_equal(ev->stage, NOC_EVS_EXACT);
      assert_int_equal(inside, 1);
      assert_true(fabs(noc_angle_diff(ev->longitude, 123.0)) < 1e-5);
      exact++;
    }
  }
  assert_true(exact >= 1);
  free(c.ev);
}

/* ---- The Moon
 * ------------------------------------------------------------------------------------ */

static void test_moon_dense(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-02-01T00:00:00Z", "2024-05-01T00:00:00Z");
  noc_event_spec *s = &q.specs[0];
  noc_event_spec_default(s, NOC_EVK_SIGN_INGRESS);
  s->nbodies = 1;
  s->bodies[0] = NOC_MOON;
  noc_event_spec_default(&q.specs[1], NOC_EVK_LUNAR_PHASE);
  q.specs[1].phase_angles[4] = 45.0;
  q.specs[1].nphases = 5;
  noc_event_spec_default(&q.specs[2], NOC_EVK_MUNDANE_ASPECT);
  q.specs[2].nbodies = 2;
  q.specs[2].bodies[0] = NOC_MOON;
  q.specs[2].bodies[1] = NOC_SATURN;
  q.specs[2].orb_events = false;
  q.nspecs = 3;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  double scan[256], found[256];
  /* Sign ingresses of the Moon: every multiple of 30. */
  int total = 0;
  for (int k = 0; k < 12; k++) {
    probe p = {NOC_MOON, (noc_body)-1, 30.0 * k};
    int nscan = scan_roots(&p, q.jd_start, q.jd_end, 0.05, scan, 256);
    int nfound = 0;
    for (int i = 0; i < c.n; i++)
      if (c.ev[i].kind == NOC_EVK_SIGN_INGRESS && c.ev[i].sign == k)
        found[nfound++] = c.ev[i].jd_ut;
    assert_int_equal(nfound, nscan);
    compare(&p, scan, nscan, found, nfound, 1.0);
    total += nfound;
  }
  assert_true(total >= 39 && total <= 41); /* 89 days / 2.27 */
  /* Phases: the elongation Moon - Sun. */
  static const double angles[] = {0.0, 90.0, 180.0, 270.0, 45.0};
  for (int k = 0; k < 5; k++) {
    probe p = {NOC_MOON, NOC_SUN, angles[k]};
    int nscan = scan_roots(&p, q.jd_start, q.jd_end, 0.05, scan, 256);
    int nfound = 0;
    for (int i = 0; i < c.n; i++)
      if (c.ev[i].kind == NOC_EVK_LUNAR_PHASE && c.ev[i].phase == k)
        found[nfound++] = c.ev[i].jd_ut;
    assert_int_equal(nfound, nscan);
    assert_true(nscan == 3 || nscan == 4);
    compare(&p, scan, nscan, found, nfound, 1.0);
  }
  /* Moon-Saturn aspects. */
  static const double places[] = {0, 180, 120, -120, 90, -90, 60, -60};
  for (int k = 0; k < 8; k++) {
    probe p = {NOC_MOON, NOC_SATURN, noc_norm360(places[k])};
    int nscan = scan_roots(&p, q.jd_start, q.jd_end, 0.05, scan, 256);
    int nfound = 0;
    for (int i = 0; i < c.n; i++) {
      const noc_event *ev = &c.ev[i];
      double d = noc_angle_diff(ev->longitude - ev->target_longitude, p.place);
      if (ev->kind == NOC_EVK_MUNDANE_ASPECT && fabs(d) < 1e-3) found[nfound++] = ev->jd_ut;
    }
    assert_int_equal(nfound, nscan);
    compare(&p, scan, nscan, found, nfound, 1.0);
  }
  free(c.ev);
}

/* ---- Sign ingresses of all bodies over two years --------------------------------------------- */

static void test_ingress_dense(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_SIGN_INGRESS);
  q.specs[0].nbodies = 0;
  for (int b = NOC_SUN; b <= NOC_PLUTO; b++)
    if (b != NOC_MOON) q.specs[0].bodies[q.specs[0].nbodies++] = (noc_body)b;
  q.specs[0].bodies[q.specs[0].nbodies++] = NOC_TRUE_NODE;
  q.nspecs = 1;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  double scan[128], found[128];
  int total = 0;
  for (int bi = 0; bi < q.specs[0].nbodies; bi++) {
    noc_body b = q.specs[0].bodies[bi];
    for (int k = 0; k < 12; k++) {
      probe p = {b, (noc_body)-1, 30.0 * k};
      int nscan = scan_roots(&p, q.jd_start, q.jd_end, b == NOC_TRUE_NODE ? 0.05 : 0.2, scan, 128);
      int nfound = 0;
      for (int i = 0; i < c.n; i++) {
        const noc_event *ev = &c.ev[i];
        int boundary = ev->direction == NOC_EVD_DIRECT ? ev->sign : ev->previous_sign;
        if (ev->body == (int)b && boundary == k) found[nfound++] = ev->jd_ut;
      }
      compare(&p, scan, nscan, found, nfound, 1.0);
      total += nfound;
    }
  }
  assert_int_equal(total, c.n);
  assert_true(total > 40);
  free(c.ev);
}

/* ---- Stations
 * ---------------------------------------------------------------------------------------- */

/* The station between a and z: the root of the longitude's central difference over +-0.05 day
 * (wide enough that the ephemeris' last digits do not matter), by bisection. */
static double numeric_speed(noc_body b, double t) {
  return noc_angle_diff(lon_of(b, t + 0.05, NULL), lon_of(b, t - 0.05, NULL)) / 0.1;
}

static double station_between(noc_body b, double a, double z) {
  double fa = numeric_speed(b, a);
  while (z - a > 1e-7) {
    double m = 0.5 * (a + z), fm = numeric_speed(b, m);
    if ((fm > 0.0) == (fa > 0.0)) {
      a = m;
      fa = fm;
    } else {
      z = m;
    }
  }
  return 0.5 * (a + z);
}

static void test_stations(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_STATION);
  q.nspecs = 1;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  int stations = 0;
  for (int bi = 0; bi < q.specs[0].nbodies; bi++) {
    noc_body b = q.specs[0].bodies[bi];
    /* Scan the speed's sign once a day; refine each change on the longitude itself. */
    double prev = 0.0;
    lon_of(b, q.jd_start, &prev);
    for (int day = 1; q.jd_start + day <= q.jd_end; day++) {
      double t = q.jd_start + day, sp = 0.0;
      lon_of(b, t, &sp);
      if ((sp > 0.0) != (prev > 0.0)) {
        double ts = station_between(b, t - 2.0, t + 1.0);
        int matches = 0;
        for (int i = 0; i < c.n; i++) {
          const noc_event *ev = &c.ev[i];
          if (ev->body != (int)b) continue;
          double ds = fabs(ev->jd_ut - ts) * 86400.0;
          if (ds < 3600.0) {
            matches++;
            /* The flatter the turn, the looser the instant: a few seconds for Mercury, a
             * minute for Pluto, whose longitude moves 1e-6" in the minute around it. */
            if (ds >= (b <= NOC_MARS ? 5.0 : 60.0))
              fprintf(stderr, "station of %s at JD %.6f is %.1f s from the extremum %.6f\n",
                      noc_body_name(b), ev->jd_ut, ds, ts);
            assert_true(ds < (b <= NOC_MARS ? 5.0 : 60.0));
            assert_int_equal(ev->direction, sp > 0.0 ? NOC_EVD_DIRECT : NOC_EVD_RETROGRADE);
          }
        }
        assert_int_equal(matches, 1);
        stations++;
      }
      prev = sp;
    }
  }
  assert_int_equal(stations, c.n);
  assert_true(stations >= 25);
  free(c.ev);
}

/* ---- Node passages ------------------------------------------------------------------------------
 */

static void test_node_passages(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-01-01T00:00:00Z", "2024-07-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_NODE_PASSAGE);
  q.specs[0].nbodies = 2;
  q.specs[0].bodies[1] = NOC_MERCURY;
  q.nspecs = 1;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  int moon = 0;
  for (int i = 0; i < c.n; i++) {
    const noc_event *ev = &c.ev[i];
    noc_time t;
    noc_error err;
    assert_int_equal(noc_time_from_jd_ut(ctx, ev->jd_ut, &t, &err), NOC_OK);
    noc_position pos;
    assert_int_equal(noc_body_position(ctx, &t, (noc_body)ev->body, &q.opt, &pos, &err), NOC_OK);
    /* A root of the latitude, to a second of its motion. */
    assert_true(fabs(pos.latitude) <= fabs(pos.speed_latitude) / 86400.0 + 1e-9);
    assert_int_equal(ev->direction,
                     pos.speed_latitude > 0 ? NOC_EVD_ASCENDING : NOC_EVD_DESCENDING);
    moon += ev->body == NOC_MOON;
  }
  assert_true(moon >= 12 && moon <= 14); /* two a draconic month of 27.2 days */
  /* Ascending and descending alternate for the Moon. */
  int last = -1;
  for (int i = 0; i < c.n; i++) {
    if (c.ev[i].body != NOC_MOON) continue;
    assert_int_not_equal(c.ev[i].direction, last);
    last = c.ev[i].direction;
  }
  free(c.ev);
}

/* ---- Void of course -----------------------------------------------------------------------------
 */

static void test_void_of_course(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-03-01T00:00:00Z", "2024-04-15T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_VOID_OF_COURSE);
  noc_event_spec_default(&q.specs[1], NOC_EVK_SIGN_INGRESS);
  q.specs[1].nbodies = 1;
  q.specs[1].bodies[0] = NOC_MOON;
  noc_event_spec_default(&q.specs[2], NOC_EVK_MUNDANE_ASPECT);
  q.specs[2].orb_events = false;
  q.nspecs = 3;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  int begins = 0, ends = 0;
  bool open = false;
  for (int i = 0; i < c.n; i++) {
    const noc_event *ev = &c.ev[i];
    if (ev->kind != NOC_EVK_VOID_OF_COURSE) continue;
    if (ev->stage == NOC_EVS_BEGINS) {
      /* The last Moon aspect before the ingress that ends it, or the previous ingress when the
       * Moon made none in its sign (times from separate searches agree within a second). */
      double ingress = -1.0, last = -1.0;
      for (int k = 0; k < c.n; k++) {
        const noc_event *o = &c.ev[k];
        if (o->kind == NOC_EVK_SIGN_INGRESS && o->jd_ut < ev->other_jd - 1e-4) ingress = o->jd_ut;
      }
      for (int k = 0; k < c.n; k++) {
        const noc_event *o = &c.ev[k];
        bool moon =
            o->kind == NOC_EVK_MUNDANE_ASPECT && (o->body == NOC_MOON || o->target == NOC_MOON);
        if (moon && o->jd_ut > ingress && o->jd_ut < ev->other_jd) last = o->jd_ut;
      }
      double expect = last > 0.0 ? last : ingress;
      if (ingress > 0.0) {
        if (fabs(ev->jd_ut - expect) * 86400.0 > 1.0)
          fprintf(stderr, "VOC begins %.6f, expected %.6f\n", ev->jd_ut, expect);
        assert_true(fabs(ev->jd_ut - expect) * 86400.0 <= 1.0);
        assert_int_equal(ev->last_body >= 0, last > 0.0);
      }
      assert_true(ev->other_jd > ev->jd_ut);
      open = true;
      begins++;
    } else {
      assert_int_equal(ev->stage, NOC_EVS_ENDS);
      /* Ends exactly at an ingress (found by the same track in this search). */
      bool at_ingress = false;
      for (int k = 0; k < c.n; k++)
        if (c.ev[k].kind == NOC_EVK_SIGN_INGRESS && fabs(c.ev[k].jd_ut - ev->jd_ut) * 86400.0 < 1.0)
          at_ingress = true;
      assert_true(at_ingress);
      if (begins > 0) assert_true(open);
      open = false;
      ends++;
    }
  }
  assert_true(begins >= 18 && ends >= 18);
  assert_true(abs(begins - ends) <= 1);
  free(c.ev);
}

/* ---- Eclipses of 2024 and of a century
 * ---------------------------------------------------------------- */

static void test_eclipses(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_ECLIPSE);
  q.specs[0].has_location = true; /* Dallas: the total eclipse of 2024-04-08 */
  q.specs[0].latitude = 32.78;
  q.specs[0].longitude = -96.80;
  q.nspecs = 1;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  assert_int_equal(c.n, 4);
  /* 03-25 penumbral lunar, 04-08 total solar, 09-18 partial lunar, 10-02 annular solar. */
  static const unsigned types[] = {NOC_ECL_PENUMBRAL, NOC_ECL_TOTAL, NOC_ECL_PARTIAL,
                                   NOC_ECL_ANNULAR};
  static const bool solar[] = {false, true, false, true};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(c.ev[i].eclipse.type, types[i]);
    assert_int_equal(c.ev[i].eclipse.solar, solar[i]);
    assert_true(c.ev[i].eclipse.has_local);
  }
  const noc_eclipse_info *apr = &c.ev[1].eclipse;
  assert_true(apr->local_visible);
  assert_int_equal(apr->local_type, NOC_ECL_TOTAL);
  assert_true(apr->local_total_end > apr->local_total_begin);
  assert_true(apr->local_magnitude > 1.0);
  assert_true(apr->magnitude > 1.0 && apr->magnitude < 1.1); /* 1.0566 */
  assert_false(c.ev[3].eclipse.local_visible);               /* South America and the Pacific */
  /* Obscuration is the fraction of the Sun's disc area covered: all of it in totality (Swiss
   * Ephemeris' own figure is the diameter ratio squared there, 1.118), less than all for the
   * annular eclipse (the Moon's disc inside the Sun's). */
  assert_true(apr->obscuration == 1.0);
  assert_true(apr->local_obscuration == 1.0);
  const noc_eclipse_info *oct = &c.ev[3].eclipse;
  assert_true(oct->obscuration > 0.8 && oct->obscuration < 1.0);
  free(c.ev);
  /* A century: 224 to 252 solar and 228 to 232 lunar eclipses per century. */
  query_init(&q, "1950-01-01T00:00:00Z", "2050-01-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_ECLIPSE);
  q.nspecs = 1;
  collected d = {0};
  run_query(&q, &d, &res);
  int ns = 0, nl = 0;
  for (int i = 0; i < d.n; i++) {
    const noc_eclipse_info *e = &d.ev[i].eclipse;
    if (e->solar) {
      ns++;
      assert_true(e->obscuration > 0.0 && e->obscuration <= 1.0);
      if (e->type == NOC_ECL_TOTAL) assert_true(e->obscuration == 1.0);
    } else {
      nl++;
    }
  }
  assert_true(ns >= 220 && ns <= 255);
  assert_true(nl >= 220 && nl <= 240);
  free(d.ev);
}

/* ---- Cursor, limit and budget
 * ------------------------------------------------------------------------ */

static void resume_all(const noc_event_query *q, int64_t limit, double deadline, collected *out,
                       int *calls) {
  noc_event_run run = {limit, deadline, {0, 0}};
  *calls = 0;
  for (;;) {
    noc_event_result res;
    noc_error err;
    assert_int_equal(noc_events_search(ctx, q, &run, collect, out, &res, &err), NOC_OK);
    (*calls)++;
    assert_true(*calls < 10000);
    if (res.complete) break;
    /* Through the cursor text, as a client would. */
    char text[96];
    assert_true(noc_event_cursor_format(&res.next, 42, text, sizeof text) > 0);
    assert_true(noc_event_cursor_parse(text, 42, &run.resume));
    assert_false(noc_event_cursor_parse(text, 43, &run.resume));
    assert_true(noc_event_cursor_parse(text, 42, &run.resume));
  }
}

static void test_cursor(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_TRANSIT);
  q.specs[0].npoints = 3;
  q.specs[0].points[0] = (noc_event_point){NOC_SUN, 84.229};
  q.specs[0].points[1] = (noc_event_point){NOC_MOON, 223.3};
  q.specs[0].points[2] = (noc_event_point){NOC_ASC, 10.0};
  noc_event_spec_default(&q.specs[1], NOC_EVK_LUNAR_PHASE);
  q.nspecs = 2;
  collected all = {0};
  noc_event_result res;
  run_query(&q, &all, &res);
  assert_true(all.n > 100);
  collected part = {0};
  int calls = 0;
  resume_all(&q, 7, 0.0, &part, &calls);
  assert_int_equal(part.n, all.n);
  assert_true(calls >= all.n / 7);
  for (int i = 0; i < all.n; i++) {
    assert_true(fabs(part.ev[i].jd_ut - all.ev[i].jd_ut) < 1e-9);
    assert_int_equal(part.ev[i].kind, all.ev[i].kind);
    assert_int_equal(part.ev[i].target, all.ev[i].target);
  }
  free(part.ev);
  /* A deadline already past: one window per call, and nothing lost. */
  collected slow = {0};
  resume_all(&q, 0, 1e-9, &slow, &calls);
  assert_int_equal(slow.n, all.n);
  assert_int_equal(calls, 3); /* 91 days = three 32-day windows */
  free(slow.ev);
  free(all.ev);
  /* Foreign cursors are refused. */
  noc_event_cursor cur;
  assert_false(noc_event_cursor_parse("ev1.1.2.zz", 42, &cur));
  assert_false(noc_event_cursor_parse("", 42, &cur));
  assert_false(noc_event_cursor_parse(NULL, 42, &cur));
}

/* ---- Returns ------------------------------------------------------------------------------------
 */

static void test_returns(void **state) {
  (void)state;
  static noc_event_query q;
  query_init(&q, "2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
  noc_event_spec_default(&q.specs[0], NOC_EVK_RETURN);
  q.specs[0].nbodies = 3;
  q.specs[0].bodies[1] = NOC_MOON;
  q.specs[0].bodies[2] = NOC_MERCURY;
  q.specs[0].npoints = 3;
  q.specs[0].points[0] = (noc_event_point){NOC_SUN, 84.2290454};
  q.specs[0].points[1] = (noc_event_point){NOC_MOON, 223.3237993};
  q.specs[0].points[2] = (noc_event_point){NOC_MERCURY, 20.0}; /* inside the 2024 loop */
  q.nspecs = 1;
  collected c = {0};
  noc_event_result res;
  run_query(&q, &c, &res);
  int sun = 0, moon = 0, mercury = 0;
  for (int i = 0; i < c.n; i++) {
    const noc_event *ev = &c.ev[i];
    assert_true(fabs(noc_angle_diff(ev->longitude, ev->target_longitude)) < 1e-5);
    sun += ev->body == NOC_SUN;
    moon += ev->body == NOC_MOON;
    mercury += ev->body == NOC_MERCURY;
  }
  assert_int_equal(sun, 2);
  assert_true(moon >= 26 && moon <= 28);
  assert_true(mercury >= 4); /* three passes in the 2024 loop, more later */
  free(c.ev);
}

/* ---- Validation and ISO 8601
 * --------------------------------------------------------------------- */

static void test_validation(void **state) {
  (void)state;
  static noc_event_query q;
  noc_error err;
  query_init(&q, "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  q.nspecs = 0;
  assert_int_equal(noc_events_validate(&q, &err), NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "events");
  noc_event_spec_default(&q.specs[0], NOC_EVK_TRANSIT);
  q.nspecs = 1;
  assert_int_equal(noc_events_validate(&q, &err), NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "events[0].targets");
  noc_event_spec_default(&q.specs[0], NOC_EVK_SIGN_INGRESS);
  q.specs[0].bodies[0] = NOC_ASC;
  assert_int_equal(noc_events_validate(&q, &err), NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "events[0].bodies");
  noc_event_spec_default(&q.specs[0], NOC_EVK_NODE_PASSAGE);
  q.specs[0].bodies[0] = NOC_MEAN_NODE;
  assert_int_equal(noc_events_validate(&q, &err), NOC_ERR_VALIDATION);
  noc_event_spec_default(&q.specs[0], NOC_EVK_SIGN_INGRESS);
  q.specs[0].bodies[0] = NOC_CHIRON;
  q.jd_start = jd_of("0500-01-01T00:00:00Z");
  assert_int_equal(noc_events_validate(&q, &err), NOC_ERR_RANGE);
  q.jd_start = q.jd_end + 1.0;
  assert_int_equal(noc_events_validate(&q, &err), NOC_ERR_VALIDATION);
  assert_string_equal(err.field, "end");
  /* Heliocentric phases and eclipses: the kind is refused, not the bodies it does not read. */
  query_init(&q, "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  q.opt.center = NOC_HELIOCENTRIC;
  static const noc_event_kind geocentric[] = {NOC_EVK_LUNAR_PHASE, NOC_EVK_ECLIPSE,
                                              NOC_EVK_VOID_OF_COURSE};
  for (size_t i = 0; i < sizeof geocentric / sizeof geocentric[0]; i++) {
    noc_event_spec_default(&q.specs[0], geocentric[i]);
    q.nspecs = 1;
    assert_int_equal(noc_events_validate(&q, &err), NOC_ERR_VALIDATION);
    assert_string_equal(err.field, "events[0].kind");
    assert_non_null(strstr(err.message, "geocentric"));
  }
}

static void test_iso8601(void **state) {
  (void)state;
  noc_time t, u;
  noc_error err;
  assert_int_equal(noc_parse_iso8601(ctx, "2024-03-20T03:06:00Z", &t, &err, "s"), NOC_OK);
  assert_int_equal(noc_parse_iso8601(ctx, "2024-03-20T05:36:00+02:30", &u, &err, "s"), NOC_OK);
  assert_true(fabs(t.jd_ut - u.jd_ut) < 1e-9);
  assert_int_equal(noc_parse_iso8601(ctx, "2024-03-19T22:06-0500", &u, &err, "s"), NOC_OK);
  assert_true(fabs(t.jd_ut - u.jd_ut) < 1e-9);
  assert_int_equal(noc_parse_iso8601(ctx, "2024-03-20", &u, &err, "s"), NOC_OK);
  assert_int_equal(u.utc.hour, 0);
  assert_int_equal(noc_parse_iso8601(ctx, "2016-12-31T23:59:60Z", &u, &err, "s"), NOC_OK);
  assert_int_equal(noc_parse_iso8601(ctx, "-0500-03-01T12:00:00Z", &u, &err, "s"), NOC_OK);
  assert_int_equal(u.utc.year, -500);
  static const char *const bad[] = {
      "",          "2024-03-20T03:06:00",      "2024-13-01T00:00Z",   "2024-03-20T03:06:00+25:00",
      "yesterday", "2024-03-20T03:06:00Zjunk", "9999-01-01T00:00:00Z"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    noc_error_clear(&err);
    assert_int_not_equal(noc_parse_iso8601(ctx, bad[i], &u, &err, "start"), NOC_OK);
    assert_string_equal(err.field, "start");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_iso8601),        cmocka_unit_test(test_validation),
      cmocka_unit_test(test_transits_dense), cmocka_unit_test(test_transit_orbs),
      cmocka_unit_test(test_moon_dense),     cmocka_unit_test(test_ingress_dense),
      cmocka_unit_test(test_stations),       cmocka_unit_test(test_node_passages),
      cmocka_unit_test(test_void_of_course), cmocka_unit_test(test_eclipses),
      cmocka_unit_test(test_cursor),         cmocka_unit_test(test_returns),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
