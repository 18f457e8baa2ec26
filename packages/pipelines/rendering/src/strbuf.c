/* strbuf.c — printf-style appends into a doubling buffer. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cf_strbuf_addf(strbuf *b, const char *fmt, ...) {
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        b->failed = true;
        return;
    }
    if (b->len + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)need + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = true;
            return;
        }
        b->s = s, b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

char *cf_strbuf_take(strbuf *b) {
    char *s = b->failed ? NULL : b->s;
    if (b->failed) free(b->s);
    if (s == NULL && !b->failed) s = calloc(1, 1);
    *b = (strbuf){0};
    return s;
}

void cf_strbuf_free(strbuf *b) {
    free(b->s);
    *b = (strbuf){0};
}
