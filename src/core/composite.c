/* Houses from a sidereal angle, for charts that have no instant of their own (the midpoint
 * composite) or whose angles move by a rule (progressions, directions). */
#include <math.h>
#include <string.h>

#include <swephexp.h>

#include "core/houses_internal.h"
#include "nocturna/techniques.h"
#include "nocturna/zodiac.h"

#define RAD_PER_DEG (M_PI / 180.0)

void noc_ecl_to_equ(double lon, double lat, double eps, double *ra, double *dec) {
  double in[3] = {lon, lat, 1.0}, out[3];
  swe_cotrans(in, out, -eps);
  *ra = noc_norm360(out[0]);
  *dec = out[1];
}

double noc_armc_of_mc(double mc, double eps) {
  /* The MC is on the meridian and on the ecliptic: tan(armc) = tan(mc) cos(eps), same quadrant. */
  return noc_norm360(atan2(sin(mc * RAD_PER_DEG) * cos(eps * RAD_PER_DEG), cos(mc * RAD_PER_DEG)) /
                     RAD_PER_DEG);
}

/* Sidereal cusps of the systems tied to sign boundaries cannot be shifted from tropical ones. */
static void sign_based_cusps(noc_houses *h) {
  if (h->used->letter == 'W') {
    double first = floor(h->asc / 30.0) * 30.0;
    for (int i = 0; i < 12; i++)
      h->cusps[i] = noc_norm360(first + 30.0 * i);
  } else if (h->used->letter == 'N') {
    for (int i = 0; i < 12; i++)
      h->cusps[i] = 30.0 * i;
  }
}

noc_status noc_houses_from_armc(double armc, double latitude, double eps, double ayanamsa,
                                double sun_dec, const noc_house_system *system, bool strict,
                                noc_houses *out, noc_error *err) {
  memset(out, 0, sizeof *out);
  double cusps[37 + 1], ascmc[10] = {0};
  /* Sunshine houses read the Sun's declination from ascmc[9]; left at 99 they would fall back
   * on a value Swiss Ephemeris keeps in a process-wide static. */
  ascmc[9] = sun_dec;
  char serr[AS_MAXCH] = "";
  int ret = swe_houses_armc_ex2(noc_norm360(armc), latitude, eps, system->letter, cusps, ascmc,
                                NULL, NULL, serr);
  noc_status st = noc_houses_fill(ret, system, strict, latitude, cusps, ascmc, ayanamsa, out, err);
  if (st != NOC_OK) return st;
  if (ayanamsa != 0.0) sign_based_cusps(out);
  return NOC_OK;
}

bool noc_house_system_uses_sun(const noc_house_system *system) {
  return system->letter == 'I' || system->letter == 'i';
}
