/* Signs and arc splitting. */
#include <math.h>
#include <stdint.h>

#include "nocturna/zodiac.h"

double noc_norm360(double deg) {
  /* Nearly every caller passes an angle within one turn of the range: exact without fmod. */
  if (deg >= 0.0 && deg < 360.0) return deg;
  if (deg >= -360.0 && deg < 0.0) {
    double up = deg + 360.0;
    return up >= 360.0 ? 0.0 : up;
  }
  if (deg >= 360.0 && deg < 720.0) return deg - 360.0;
  double r = fmod(deg, 360.0);
  if (r < 0) r += 360.0;
  if (r >= 360.0) /* fmod of a tiny negative number plus 360 can round up to 360 */
    r = 0.0;
  return r;
}

double noc_angle_diff(double a, double b) {
  double d = noc_norm360(a - b);
  return d > 180.0 ? d - 360.0 : d;
}

void noc_dms_split(double longitude, noc_dms *out) {
  /* Whole arc-seconds, truncated: the second can never round up to 60. */
  int64_t total = (int64_t)floor(noc_norm360(longitude) * 3600.0);
  if (total >= 360 * 3600) total = 360 * 3600 - 1;
  out->sign = (int)(total / 108000);
  int64_t in_sign = total % 108000;
  out->degree = (int)(in_sign / 3600);
  out->minute = (int)(in_sign / 60 % 60);
  out->second = (int)(in_sign % 60);
}

const char *noc_sign_name(int sign) {
  static const char *const names[12] = {"ARIES",       "TAURUS",    "GEMINI",   "CANCER",
                                        "LEO",         "VIRGO",     "LIBRA",    "SCORPIO",
                                        "SAGITTARIUS", "CAPRICORN", "AQUARIUS", "PISCES"};
  return sign >= 0 && sign < 12 ? names[sign] : "UNKNOWN";
}
