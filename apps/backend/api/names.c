/* names.c — see names.h. */
#include "api/names.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t cf_utf8_seq(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4  ? 4
               : s[0] >= 0xE0 && s[0] < 0xF0 ? 3
               : s[0] >= 0xC2 && s[0] < 0xE0 ? 2
                                             : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if ((n == 3 && s[0] == 0xE0 && s[1] < 0xA0) || (n == 3 && s[0] == 0xED && s[1] >= 0xA0) ||
        (n == 4 && s[0] == 0xF0 && s[1] < 0x90) || (n == 4 && s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

static bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

char *cf_upload_filename(const char *raw) {
    const char *base = raw;
    for (const char *p = raw; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    char *out = malloc(strlen(base) + 1);
    if (!out) return NULL;
    size_t o = 0, chars = 0;
    for (const unsigned char *p = (const unsigned char *)base; *p && chars < CF_FILENAME_MAX_CHARS;) {
        size_t n = cf_utf8_seq(p);
        if (n == 0 || (n == 1 && is_control(*p))) {
            p++;
            continue;
        }
        memcpy(out + o, p, n);
        o += n;
        p += n;
        chars++;
    }
    while (o > 0 && out[o - 1] == ' ') o--;
    out[o] = '\0';
    size_t lead = strspn(out, " ");
    memmove(out, out + lead, o - lead + 1);
    if (!*out || !strcmp(out, ".") || !strcmp(out, "..")) {
        free(out);
        return NULL;
    }
    return out;
}

void cf_zip_entry_name(const char *in, char *out, size_t cap) {
    size_t o = 0, limit = cap - 1 < CF_ZIP_NAME_MAX_BYTES ? cap - 1 : CF_ZIP_NAME_MAX_BYTES;
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p;) {
        size_t n = cf_utf8_seq(p);
        if (n == 0) { /* not UTF-8: a byte of it is not a character either */
            p++;
            continue;
        }
        if (o + n > limit) break;
        if (n == 1 && (is_control(*p) || strchr("/\\:*?\"<>|", *p))) out[o] = '_';
        else memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.')) o--;
    out[o] = '\0';
    size_t lead = strspn(out, " .");
    memmove(out, out + lead, o - lead + 1);
    if (!*out) snprintf(out, cap, "clip");
}

void cf_media_cursor_format(int64_t created_at, const char *id, char *out, size_t cap) {
    snprintf(out, cap, "%" PRId64 ".%s", created_at, id);
}

/* A decimal as the cursors write it: digits, no sign, space or leading zero, within int64_t; *end
 * is what follows. strtoll would also take " +5" and cap an overflow, so two texts would name
 * one cursor. */
static bool read_decimal(const char *text, const char **end, int64_t *out) {
    const char *p = text;
    int64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - (*p - '0')) / 10) return false;
        v = v * 10 + (*p - '0');
    }
    if (p == text || (*text == '0' && p - text > 1)) return false;
    *end = p;
    *out = v;
    return true;
}

bool cf_media_cursor_parse(const char *text, int64_t *created_at, const char **id) {
    const char *end;
    int64_t at;
    if (!read_decimal(text, &end, &at) || *end != '.' || !end[1] || strlen(end + 1) > CF_CURSOR_ID_MAX)
        return false;
    *created_at = at;
    *id = end + 1;
    return true;
}

void cf_job_cursor_format(int64_t seq, char *out, size_t cap) {
    snprintf(out, cap, "%" PRId64, seq);
}

bool cf_job_cursor_parse(const char *text, int64_t *seq) {
    const char *end;
    int64_t v;
    if (!read_decimal(text, &end, &v) || *end || v < 1) return false;
    *seq = v;
    return true;
}
