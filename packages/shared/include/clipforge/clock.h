/* clock.h — the monotonic clock, for measuring how long things take and for timeouts: it never
 * jumps when the wall clock is set. Wall-clock times (timestamps people read) are not here. */
#ifndef CLIPFORGE_CLOCK_H
#define CLIPFORGE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic time in milliseconds / nanoseconds / seconds, from an arbitrary origin. */
int64_t cf_clock_ms(void);
int64_t cf_clock_ns(void);
double cf_clock_s(void);
/* The monotonic time ms milliseconds from now, for pthread_cond_timedwait on a condition
 * variable whose clock is CLOCK_MONOTONIC (pthread_condattr_setclock). */
struct timespec cf_clock_deadline(int64_t ms);

#endif
