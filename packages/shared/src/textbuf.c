/* textbuf.c — the growable text of textbuf.h: room doubles from TEXTBUF_FIRST bytes. */
#include "clipforge/textbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXTBUF_FIRST 256

static bool fail(cf_textbuf *b) {
    b->failed = true;
    return false;
}

/* Room for n more bytes and the NUL; false (and failed) when it cannot be had. */
static bool reserve(cf_textbuf *b, size_t n) {
    if (b->failed) return false;
    if (n >= (size_t)-1 - b->len) return fail(b);
    size_t need = b->len + n + 1;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : TEXTBUF_FIRST;
    while (cap < need) cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *s = realloc(b->s, cap);
    if (!s) return fail(b);
    b->s = s;
    b->cap = cap;
    return true;
}

bool cf_textbuf_put(cf_textbuf *b, const void *p, size_t n) {
    if (!reserve(b, n)) return false;
    if (n) memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

bool cf_textbuf_vprintf(cf_textbuf *b, const char *fmt, va_list ap) {
    if (b->failed) return false;
    va_list again;
    va_copy(again, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    bool ok = need >= 0 ? reserve(b, (size_t)need) : fail(b);
    if (ok) {
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, again);
        b->len += (size_t)need;
    }
    va_end(again);
    return ok;
}

bool cf_textbuf_printf(cf_textbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = cf_textbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

char *cf_textbuf_take(cf_textbuf *b) {
    char *s = b->failed ? NULL : b->s;
    if (b->failed) free(b->s);
    else if (!s) s = calloc(1, 1);
    *b = (cf_textbuf){0};
    return s;
}

void cf_textbuf_free(cf_textbuf *b) {
    if (!b) return;
    free(b->s);
    *b = (cf_textbuf){0};
}
