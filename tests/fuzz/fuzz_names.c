/* Fuzzes the names a client gives the API (apps/backend/api/names.c): an upload's file name, a zip
 * entry's name built from a title, and the media list's cursor. Properties: a kept file name is
 * valid UTF-8 without path separators or control characters, trimmed, never "." or "..", at most
 * 255 characters; a zip entry name is valid UTF-8 without reserved characters, at most 120 bytes,
 * not empty, without leading or trailing spaces or dots; a cursor reads back what it was made of. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok) {
    if (!ok) abort();
}

/* Valid UTF-8 throughout; returns the number of characters. */
static size_t utf8_chars(const char *s) {
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; chars++) {
        size_t n = cf_utf8_seq(p);
        must(n > 0);
        p += n;
    }
    return chars;
}

static void check_upload_name(const char *text) {
    char *name = cf_upload_filename(text);
    if (!name) return;
    size_t len = strlen(name);
    must(len > 0 && strcmp(name, ".") && strcmp(name, ".."));
    must(!strpbrk(name, "/\\") && name[0] != ' ' && name[len - 1] != ' ');
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) must(*p >= 0x20 && *p != 0x7F);
    must(utf8_chars(name) <= CF_FILENAME_MAX_CHARS);
    free(name);
}

static void check_zip_name(const char *text, size_t cap) {
    char out[256];
    cf_zip_entry_name(text, out, cap);
    size_t len = strlen(out);
    must(len > 0 && len < cap && len <= CF_ZIP_NAME_MAX_BYTES);
    must(!strpbrk(out, "/\\:*?\"<>|"));
    for (const unsigned char *p = (const unsigned char *)out; *p; p++) must(*p >= 0x20 && *p != 0x7F);
    must(out[0] != ' ' && out[0] != '.' && out[len - 1] != ' ' && out[len - 1] != '.');
    utf8_chars(out);
}

static void check_cursor(const char *text) {
    int64_t at;
    const char *id;
    if (!cf_media_cursor_parse(text, &at, &id)) return;
    must(at >= 0 && *id && strlen(id) <= CF_CURSOR_ID_MAX);
    char again[128];
    cf_media_cursor_format(at, id, again, sizeof again);
    int64_t at2;
    const char *id2;
    must(cf_media_cursor_parse(again, &at2, &id2) && at2 == at && !strcmp(id2, id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_upload_name(text);
    check_zip_name(text, size ? 2 + data[0] % 200 : 256); /* small buffers too, as the archive uses */
    check_zip_name(text, 256);
    check_cursor(text);
    free(text);
    return 0;
}
