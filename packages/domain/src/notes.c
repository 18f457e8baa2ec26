/* notes.c — see clipforge/domain/notes.h. */
#include "clipforge/domain/notes.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of text to keep: all of it when it fits, else up to the last UTF-8 character start
 * that leaves the text within the limit. */
static size_t kept_bytes(const char *text) {
    size_t len = strlen(text);
    if (len <= CF_NOTE_MAX_BYTES) return len;
    size_t k = CF_NOTE_MAX_BYTES;
    while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80) k--;
    return k;
}

static int listed(char *const *notes, size_t n, const char *text, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(notes[i]) == len && !memcmp(notes[i], text, len)) return 1;
    return 0;
}

cf_err cf_notes_add(char ***notes, size_t *n, const char *text, cf_error *err) {
    if (!text || !*text || *n >= CF_NOTES_MAX) return CF_OK;
    size_t len = kept_bytes(text);
    if (listed(*notes, *n, text, len)) return CF_OK;
    char *copy = strndup(text, len);
    char **grown = copy ? realloc(*notes, (*n + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(copy);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    grown[*n] = copy;
    *notes = grown;
    (*n)++;
    return CF_OK;
}
