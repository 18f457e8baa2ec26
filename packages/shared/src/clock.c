/* clock.c — the monotonic clock (see clock.h). */
#include "clipforge/clock.h"

int64_t cf_clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t cf_clock_ms(void) {
    return cf_clock_ns() / 1000000;
}

double cf_clock_s(void) {
    return (double)cf_clock_ns() / 1e9;
}

struct timespec cf_clock_deadline(int64_t ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + ms * 1000000;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}
