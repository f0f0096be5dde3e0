/* clock.h - the three clocks of the server: wall (for timestamps), monotonic milliseconds
 * (deadlines, rate limits) and monotonic nanoseconds (durations). */
#ifndef NOC_HTTP_CLOCK_H
#define NOC_HTTP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t noc_clock_unix_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t noc_clock_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t noc_clock_mono_ms(void) {
  return noc_clock_mono_ns() / 1000000;
}

#endif
