/* textbuf.h — a growable text for building output piece by piece (JSON, OTLP bodies, caption
 * files, filter graphs): appends double its room as needed and keep it NUL-terminated; a failed
 * allocation is remembered, later appends do nothing, and the caller checks once at the end. */
#ifndef CLIPFORGE_TEXTBUF_H
#define CLIPFORGE_TEXTBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Starts zeroed ({0}). s is NULL until the first append, then len bytes and a NUL. */
typedef struct cf_textbuf {
    char *s;
    size_t len, cap;
    bool failed; /* an allocation (or a format) failed: the text is incomplete */
} cf_textbuf;

/* Appends n bytes of p (which may hold NULs); false when this or an earlier append failed. */
bool cf_textbuf_put(cf_textbuf *b, const void *p, size_t n);
/* Appends the printf-style text; false when this or an earlier append failed. */
bool cf_textbuf_printf(cf_textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cf_textbuf_vprintf(cf_textbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The text, which the caller frees ("" when nothing was appended), or NULL when an append failed
 * or out of memory; b is empty again either way. */
char *cf_textbuf_take(cf_textbuf *b);
/* Frees the text; b is empty again. NULL-safe. */
void cf_textbuf_free(cf_textbuf *b);

#endif
