/* fmt.c — see clipforge/fmt.h. */
#include "clipforge/fmt.h"

#include <stdio.h>

bool cf_vfmt(char *buf, size_t cap, const char *fmt, va_list ap) {
    if (!buf || cap == 0) return false;
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n >= 0 && (size_t)n < cap) return true;
    buf[0] = '\0';
    return false;
}

bool cf_fmt(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = cf_vfmt(buf, cap, fmt, ap);
    va_end(ap);
    return ok;
}
