/* Computing and writing the shapes every chart-like response shares. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"

noc_status noc_chart_houses(noc_api_call *call, const noc_chart_in *in, noc_houses *h) {
  noc_status st = noc_houses_calc(call->env->ctx, &in->time, in->latitude, in->longitude,
                                  in->house_system, &in->opt, in->strict_houses, h, &call->err);
  if (st != NOC_OK) return st;
  if (call->meta.house_requested == NULL) {
    call->meta.house_requested = h->requested;
    call->meta.house_used = h->used;
  }
  if (h->fell_back)
    noc_warn(call, "HOUSE_SYSTEM_FALLBACK",
             "%s houses are undefined at latitude %.4f (inside the polar circle); %s cusps were "
             "used instead",
             h->requested->name, in->latitude, h->used->name);
  return NOC_OK;
}

noc_status noc_chart_points(noc_api_call *call, const noc_chart_in *in, const noc_houses *h,
                            const noc_body *bodies, int n, noc_chart_point *out) {
  for (int i = 0; i < n; i++) {
    noc_chart_point *p = &out[i];
    memset(p, 0, sizeof *p);
    p->body = bodies[i];
    if (noc_body_is_angle(bodies[i])) {
      if (h == NULL)
        return noc_fail(&call->err, NOC_ERR_VALIDATION, "planets",
                        "%s needs latitude and longitude", noc_body_name(bodies[i]));
      p->pos.longitude = noc_houses_angle(h, bodies[i]);
      p->has_speed = false;
    } else {
      noc_status st =
          noc_body_position(call->env->ctx, &in->time, bodies[i], &in->opt, &p->pos, &call->err);
      if (st != NOC_OK) return st;
      p->has_speed = true;
    }
    if (h) p->house = noc_house_of(h, p->pos.longitude);
  }
  return NOC_OK;
}

/* The writers below lay out their objects with literal fragments: a chart response has hundreds
 * of keys, and writing each through the generic key path cost a tenth of a chart. */
static void out_dms(noc_jw *w, double lon) {
  noc_dms d;
  noc_dms_split(lon, &d);
  NOC_JW_LIT(w, ",\"sign\":\"");
  noc_buf_puts(w->buf, noc_sign_name(d.sign));
  NOC_JW_LIT(w, "\",\"degree\":");
  noc_jw_raw_int(w, d.degree);
  NOC_JW_LIT(w, ",\"minute\":");
  noc_jw_raw_int(w, d.minute);
  NOC_JW_LIT(w, ",\"second\":");
  noc_jw_raw_int(w, d.second);
}

static void out_position(noc_jw *w, const noc_chart_point *p, bool speed, bool retrograde) {
  noc_jw_obj(w);
  NOC_JW_LIT(w, "\"planet\":\"");
  noc_buf_puts(w->buf, noc_body_name(p->body));
  NOC_JW_LIT(w, "\",\"longitude\":");
  noc_jw_raw_num(w, p->pos.longitude, 7);
  NOC_JW_LIT(w, ",\"latitude\":");
  noc_jw_raw_num(w, p->pos.latitude, 7);
  NOC_JW_LIT(w, ",\"distance\":");
  noc_jw_raw_num(w, p->pos.distance, 9);
  if (speed && p->has_speed) {
    NOC_JW_LIT(w, ",\"speed\":");
    noc_jw_raw_num(w, p->pos.speed_longitude, 7);
    NOC_JW_LIT(w, ",\"speed_latitude\":");
    noc_jw_raw_num(w, p->pos.speed_latitude, 7);
    NOC_JW_LIT(w, ",\"speed_distance\":");
    noc_jw_raw_num(w, p->pos.speed_distance, 9);
  } else if (speed) {
    NOC_JW_LIT(w, ",\"speed\":null");
  }
  if (p->has_speed) {
    NOC_JW_LIT(w, ",\"right_ascension\":");
    noc_jw_raw_num(w, p->pos.right_ascension, 7);
    NOC_JW_LIT(w, ",\"declination\":");
    noc_jw_raw_num(w, p->pos.declination, 7);
  }
  if (retrograde) {
    if (p->has_speed && p->pos.speed_longitude < 0)
      NOC_JW_LIT(w, ",\"is_retrograde\":true");
    else
      NOC_JW_LIT(w, ",\"is_retrograde\":false");
  }
  out_dms(w, p->pos.longitude);
  if (p->house > 0) {
    NOC_JW_LIT(w, ",\"house\":");
    noc_jw_raw_int(w, p->house);
  }
  noc_jw_mark(w);
  noc_jw_obj_end(w);
}

void noc_out_positions(noc_api_call *call, const noc_chart_point *pts, int n, bool speed,
                       bool retrograde) {
  noc_jw_arr(call->w);
  for (int i = 0; i < n; i++)
    out_position(call->w, &pts[i], speed, retrograde);
  noc_jw_arr_end(call->w);
}

void noc_out_houses(noc_api_call *call, const noc_houses *h) {
  noc_jw *w = call->w;
  noc_jw_arr(w);
  for (int i = 0; i < h->cusp_count; i++) {
    noc_jw_obj(w);
    NOC_JW_LIT(w, "\"number\":");
    noc_jw_raw_int(w, i + 1);
    NOC_JW_LIT(w, ",\"longitude\":");
    noc_jw_raw_num(w, h->cusps[i], 7);
    out_dms(w, h->cusps[i]);
    noc_jw_mark(w);
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
}

void noc_out_angles(noc_api_call *call, const noc_houses *h) {
  noc_jw *w = call->w;
  noc_jw_obj(w);
  noc_jw_knum(w, "ASC", h->asc, 7);
  noc_jw_knum(w, "MC", h->mc, 7);
  noc_jw_knum(w, "DESC", noc_norm360(h->asc + 180.0), 7);
  noc_jw_knum(w, "IC", noc_norm360(h->mc + 180.0), 7);
  noc_jw_knum(w, "ARMC", h->armc, 7);
  noc_jw_knum(w, "VERTEX", h->vertex, 7);
  noc_jw_knum(w, "EQUATORIAL_ASC", h->equatorial_asc, 7);
  noc_jw_knum(w, "CO_ASC_KOCH", h->co_asc_koch, 7);
  noc_jw_knum(w, "CO_ASC_MUNKASEY", h->co_asc_munkasey, 7);
  noc_jw_knum(w, "POLAR_ASC", h->polar_asc, 7);
  noc_jw_obj_end(w);
}

void noc_out_time(noc_jw *w, double jd_ut, noc_api_call *call) {
  noc_time t;
  char buf[40];
  noc_error err;
  if (noc_time_from_jd_ut(call->env->ctx, jd_ut, &t, &err) != NOC_OK ||
      noc_format_utc(&t.utc, 0, buf, sizeof buf) < 0) {
    noc_jw_null(w);
    return;
  }
  noc_jw_str(w, buf);
}

void noc_out_aspects(noc_api_call *call, const noc_chart_point *pts, const noc_aspect *asp, int n,
                     bool exact_times) {
  noc_jw *w = call->w;
  noc_jw_arr(w);
  for (int i = 0; i < n; i++) {
    const noc_aspect *a = &asp[i];
    const noc_aspect_def *def = noc_aspect_def_get(a->type);
    noc_jw_obj(w);
    NOC_JW_LIT(w, "\"planet1\":\"");
    noc_buf_puts(w->buf, noc_body_name(pts[a->a].body));
    NOC_JW_LIT(w, "\",\"planet2\":\"");
    noc_buf_puts(w->buf, noc_body_name(pts[a->b].body));
    NOC_JW_LIT(w, "\",\"aspect_type\":\"");
    noc_buf_puts(w->buf, def->name);
    NOC_JW_LIT(w, "\",\"aspect_angle\":");
    noc_jw_raw_num(w, def->angle, 4);
    NOC_JW_LIT(w, ",\"angle\":");
    noc_jw_raw_num(w, a->separation, 7);
    NOC_JW_LIT(w, ",\"orb\":");
    noc_jw_raw_num(w, a->orb, 7);
    if (a->applying)
      NOC_JW_LIT(w, ",\"applying\":true,\"strength\":");
    else
      NOC_JW_LIT(w, ",\"applying\":false,\"strength\":");
    noc_jw_raw_num(w, a->strength, 4);
    noc_jw_mark(w);
    if (exact_times) {
      noc_jw_key(w, "exact_time");
      if (a->has_exact_time)
        noc_out_time(w, a->exact_jd_ut, call);
      else
        noc_jw_null(w);
    }
    noc_jw_obj_end(w);
  }
  noc_jw_arr_end(w);
}
