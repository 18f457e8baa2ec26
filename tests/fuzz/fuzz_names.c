/* Fuzzes the names a client gives the API (apps/backend/api/names.c): an upload's file name and a
 * zip entry's name built from a title (the list cursors are fuzz_cursor's). Properties: a kept
 * file name is valid UTF-8 without path separators or control characters, trimmed, never "." or
 * "..", at most 255 characters; a zip entry name is valid UTF-8 without reserved characters, at
 * most 120 bytes, not empty, without leading or trailing spaces or dots. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/names.h"
#include "fuzz_input.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_input_text(data, size, 4096);
    if (!text) return 0;
    check_upload_name(text);
    check_zip_name(text, size ? 2 + data[0] % 200 : 256); /* small buffers too, as the archive uses */
    check_zip_name(text, 256);
    free(text);
    return 0;
}
