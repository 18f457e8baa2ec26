/* fmt.h — formatting into a fixed buffer that says whether the whole text fit. A name, key, path,
 * URL or password cut short is a different value, not a shorter one: callers that build one check
 * the result and refuse, instead of going on with what snprintf left. */
#ifndef CLIPFORGE_FMT_H
#define CLIPFORGE_FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Like snprintf; false when the text did not fit in cap bytes (buf then holds "", not a
 * prefix, so a cut value cannot be used by mistake) or on an encoding error. */
bool cf_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool cf_vfmt(char *buf, size_t cap, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#endif
