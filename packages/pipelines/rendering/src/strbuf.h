/* strbuf.h — a growable string for building filter-graph descriptions and caption files.
 * An allocation failure is remembered and reported once by cf_strbuf_take(). */
#ifndef CF_RENDER_STRBUF_H
#define CF_RENDER_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
    char *s;
    size_t len, cap;
    bool failed;
} strbuf;

void cf_strbuf_addf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string (caller frees) or NULL when an allocation failed; resets b. */
char *cf_strbuf_take(strbuf *b);
void cf_strbuf_free(strbuf *b);

#endif
