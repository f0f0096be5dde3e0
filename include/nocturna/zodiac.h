/* Signs and degree/minute/second splitting of ecliptic longitudes. */
#ifndef NOCTURNA_ZODIAC_H
#define NOCTURNA_ZODIAC_H

typedef struct noc_dms {
  int sign;   /* 0 = ARIES .. 11 = PISCES */
  int degree; /* 0..29 within the sign */
  int minute; /* 0..59 */
  int second; /* 0..59, never 60: the split is done on whole arc-seconds */
} noc_dms;

/* Normalises to [0, 360). */
double noc_norm360(double deg);
/* Signed shortest difference a - b in (-180, 180]. */
double noc_angle_diff(double a, double b);
/* Splits a longitude into sign, degree, minute and second, truncating to whole arc-seconds
 * (so 29°59'59.9" stays in its sign, as printed ephemerides do). */
void noc_dms_split(double longitude, noc_dms *out);
const char *noc_sign_name(int sign);

#endif
