/* caption_parse.c — SRT and WebVTT reading (rules in caption_parse.h). The text is walked line by
 * line over explicit lengths, so NUL bytes, overlong lines and truncated files are handled like
 * any other malformed input: an error naming the line, never a read past the buffer. */
#include "clipforge/caption_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/log.h"

#define MAX_TIMESTAMP_HOURS 100000 /* bounds the arithmetic, far past any real media */

typedef struct reader {
    const char *s;
    size_t len, pos;
    size_t line_no; /* of the line last returned */
} reader;

typedef struct line {
    const char *s;
    size_t len;
} line;

/* Next line without its end (\n, \r\n or \r); false at the end of the text. */
static bool next_line(reader *r, line *out) {
    if (r->pos >= r->len) return false;
    size_t a = r->pos, b = a;
    while (b < r->len && r->s[b] != '\n' && r->s[b] != '\r') b++;
    out->s = r->s + a;
    out->len = b - a;
    if (b < r->len && r->s[b] == '\r') {
        b++;
        if (b < r->len && r->s[b] == '\n') b++;
    } else if (b < r->len) {
        b++;
    }
    r->pos = b;
    r->line_no++;
    return true;
}

static bool is_blank(line l) {
    for (size_t i = 0; i < l.len; i++)
        if (l.s[i] != ' ' && l.s[i] != '\t') return false;
    return true;
}

static bool has_arrow(line l) {
    for (size_t i = 0; i + 3 <= l.len; i++)
        if (!memcmp(l.s + i, "-->", 3)) return true;
    return false;
}

/* Reads exactly n digits at *p (n = 0: one or more); -1 when there are none. */
static long long digits(const char *s, size_t len, size_t *p, int n) {
    long long v = 0;
    int got = 0;
    while (*p < len && isdigit((unsigned char)s[*p]) && (n == 0 || got < n)) {
        if (v > 1000000000LL) return -1;
        v = v * 10 + (s[(*p)++] - '0');
        got++;
    }
    return got == 0 || (n && got != n) ? -1 : v;
}

/* Parses [hh:]mm:ss(,|.)mmm at *p; srt requires the hours. */
static bool parse_time(const char *s, size_t len, size_t *p, bool srt, int64_t *ms) {
    long long a = digits(s, len, p, 0), b, c, frac;
    if (a < 0 || *p >= len || s[*p] != ':') return false;
    (*p)++;
    if ((b = digits(s, len, p, 2)) < 0) return false;
    long long h = 0, m = a, sec = b;
    if (*p < len && s[*p] == ':') {
        (*p)++;
        if ((c = digits(s, len, p, 2)) < 0) return false;
        h = a, m = b, sec = c;
    } else if (srt) {
        return false;
    }
    if (*p >= len || (s[*p] != ',' && s[*p] != '.')) return false;
    (*p)++;
    if ((frac = digits(s, len, p, 3)) < 0) return false;
    if (m > 59 || sec > 59 || h > MAX_TIMESTAMP_HOURS) return false;
    *ms = ((h * 60 + m) * 60 + sec) * 1000 + frac;
    return true;
}

static void skip_spaces(const char *s, size_t len, size_t *p) {
    while (*p < len && (s[*p] == ' ' || s[*p] == '\t')) (*p)++;
}

static cf_err timing_line(line l, size_t line_no, bool srt, cf_caption_cue *c, cf_error *err) {
    size_t p = 0;
    const char *expect = srt ? "hh:mm:ss,mmm --> hh:mm:ss,mmm" : "[hh:]mm:ss.mmm --> [hh:]mm:ss.mmm";
    skip_spaces(l.s, l.len, &p);
    bool ok = parse_time(l.s, l.len, &p, srt, &c->start_ms);
    skip_spaces(l.s, l.len, &p);
    ok = ok && p + 3 <= l.len && !memcmp(l.s + p, "-->", 3);
    if (ok) p += 3;
    skip_spaces(l.s, l.len, &p);
    ok = ok && parse_time(l.s, l.len, &p, srt, &c->end_ms);
    /* after the end time only settings (VTT) or coordinates (SRT) may follow, after a space */
    ok = ok && (p == l.len || l.s[p] == ' ' || l.s[p] == '\t');
    if (!ok) {
        int shown = l.len > 60 ? 60 : (int)l.len;
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "line %zu: malformed timing '%.*s' (expected %s)",
                            line_no, shown, l.s, expect);
    }
    if (c->end_ms < c->start_ms)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "line %zu: cue ends before it starts", line_no);
    return CF_OK;
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    if (s[0] < 0x80) return 1;
    size_t k = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || k > n || (k == 2 && s[0] < 0xC2)) return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (k == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0;
    if (k == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0; /* surrogates */
    if (k == 4 && (s[0] > 0xF4 || (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return k;
}

/* ---- text that is not UTF-8 ---------------------------------------------------------------- */

/* Appends code point c as UTF-8 at o; its length. */
static size_t put_utf8(unsigned c, char *o) {
    if (c < 0x80) return o[0] = (char)c, 1;
    if (c < 0x800) return o[0] = (char)(0xC0 | c >> 6), o[1] = (char)(0x80 | (c & 63)), 2;
    if (c < 0x10000)
        return o[0] = (char)(0xE0 | c >> 12), o[1] = (char)(0x80 | ((c >> 6) & 63)),
               o[2] = (char)(0x80 | (c & 63)), 3;
    o[0] = (char)(0xF0 | c >> 18), o[1] = (char)(0x80 | ((c >> 12) & 63));
    o[2] = (char)(0x80 | ((c >> 6) & 63)), o[3] = (char)(0x80 | (c & 63));
    return 4;
}

/* UTF-16 after its byte order mark (little-endian when le) as UTF-8 in o (3 bytes a unit at
 * most); its length, or 0 when a surrogate is unpaired. */
static size_t utf16_to_utf8(const unsigned char *s, size_t n, bool le, char *o) {
    size_t k = 0;
    for (size_t i = 2; i + 1 < n; i += 2) {
        unsigned u = le ? s[i] | s[i + 1] << 8 : s[i] << 8 | s[i + 1];
        if (u >= 0xD800 && u < 0xDC00 && i + 3 < n) {
            unsigned v = le ? s[i + 2] | s[i + 3] << 8 : s[i + 2] << 8 | s[i + 3];
            if (v < 0xDC00 || v > 0xDFFF) return 0;
            u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
            i += 2;
        } else if (u >= 0xD800 && u < 0xE000) {
            return 0;
        }
        k += put_utf8(u, o + k);
    }
    return k;
}

/* A single-byte code page of Windows: the code points of bytes 0x80-0xFF (0: not a character). */
typedef struct {
    const char *name;
    unsigned short high[128];
} code_page;

static const code_page cp1252 = {
    "Windows-1252",
    {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152,
     0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122,
     0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178, 0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6,
     0x00A7, 0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF, 0x00B0, 0x00B1, 0x00B2, 0x00B3,
     0x00B4, 0x00B5, 0x00B6, 0x00B7, 0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF, 0x00C0,
     0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00C7, 0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD,
     0x00CE, 0x00CF, 0x00D0, 0x00D1, 0x00D2, 0x00D3, 0x00D4, 0x00D5, 0x00D6, 0x00D7, 0x00D8, 0x00D9, 0x00DA,
     0x00DB, 0x00DC, 0x00DD, 0x00DE, 0x00DF, 0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7,
     0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF, 0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4,
     0x00F5, 0x00F6, 0x00F7, 0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00FF}};

static const code_page cp1250 = {
    "Windows-1250",
    {0x20AC, 0,      0x201A, 0,      0x201E, 0x2026, 0x2020, 0x2021, 0,      0x2030, 0x0160, 0x2039, 0x015A,
     0x0164, 0x017D, 0x0179, 0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0,      0x2122,
     0x0161, 0x203A, 0x015B, 0x0165, 0x017E, 0x017A, 0x00A0, 0x02C7, 0x02D8, 0x0141, 0x00A4, 0x0104, 0x00A6,
     0x00A7, 0x00A8, 0x00A9, 0x015E, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x017B, 0x00B0, 0x00B1, 0x02DB, 0x0142,
     0x00B4, 0x00B5, 0x00B6, 0x00B7, 0x00B8, 0x0105, 0x015F, 0x00BB, 0x013D, 0x02DD, 0x013E, 0x017C, 0x0154,
     0x00C1, 0x00C2, 0x0102, 0x00C4, 0x0139, 0x0106, 0x00C7, 0x010C, 0x00C9, 0x0118, 0x00CB, 0x011A, 0x00CD,
     0x00CE, 0x010E, 0x0110, 0x0143, 0x0147, 0x00D3, 0x00D4, 0x0150, 0x00D6, 0x00D7, 0x0158, 0x016E, 0x00DA,
     0x0170, 0x00DC, 0x00DD, 0x0162, 0x00DF, 0x0155, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x013A, 0x0107, 0x00E7,
     0x010D, 0x00E9, 0x0119, 0x00EB, 0x011B, 0x00ED, 0x00EE, 0x010F, 0x0111, 0x0144, 0x0148, 0x00F3, 0x00F4,
     0x0151, 0x00F6, 0x00F7, 0x0159, 0x016F, 0x00FA, 0x0171, 0x00FC, 0x00FD, 0x0163, 0x02D9}};

static bool letter(unsigned char c) {
    return isalpha(c) || (c >= 0xC0 && c != 0xD7 && c != 0xF7) || c == 0x8A || c == 0x8C || c == 0x8E ||
           c == 0x9A || c == 0x9C || c == 0x9E || c == 0x9F;
}

/* A byte that is a letter in Windows-1250 (Ť Ź ť Ł Ą Ż ł ą Ľ ľ ż) but a sign in Windows-1252
 * (£ ¥ ¯ ³ ¹ ¼ ¾ ¿) or no character there. After a letter, inside or at the end of a word, it
 * is Central European text; where a sign may follow a letter it rarely does (a "m³"), and a
 * Spanish "¿" comes before its word, not after one. */
static bool central_letter(const unsigned char *s, size_t i) {
    static const unsigned char set[] = {0x8D, 0x8F, 0x9D, 0xA3, 0xA5, 0xAF, 0xB3, 0xB9, 0xBC, 0xBE, 0xBF};
    return i > 0 && letter(s[i - 1]) && memchr(set, s[i], sizeof set);
}

static bool defines_all(const code_page *cp, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80 && !cp->high[s[i] - 0x80]) return false;
    return true;
}

/* The code page bytes that are not UTF-8 read as: Central European Windows-1250 when two or more
 * of its own letters follow letters, else Western European Windows-1252, else the other one when
 * a byte is no character of that one (Czech's ť is none in Windows-1252); NULL when neither
 * reads every byte, or when the letters are not mostly ASCII with accents among them (Cyrillic,
 * Greek, Hebrew or Arabic in their own code pages are letters of 0xC0-0xFF throughout, and
 * would come out as accented Latin nonsense). */
static const code_page *code_page_of(const unsigned char *s, size_t n) {
    size_t ascii = 0, high = 0, central = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 0xC0) high++;
        else if (isalpha(s[i])) ascii++;
        central += central_letter(s, i);
    }
    if (high * 3 > ascii + high) return NULL;
    const code_page *first = central >= 2 ? &cp1250 : &cp1252, *other = central >= 2 ? &cp1252 : &cp1250;
    return defines_all(first, s, n) ? first : defines_all(other, s, n) ? other : NULL;
}

/* The text of a file that is not UTF-8 in UTF-8 (*out, malloc'd; NULL when it is UTF-8 already,
 * a byte order mark kept): UTF-16 with its byte order mark, or Windows-1252 / Windows-1250
 * (code_page_of) when no byte of it is UTF-8's (a UTF-8 file with a damaged sequence stays UTF-8, and its
 * error names the line). *read_as names what it was read as. */
static cf_err to_utf8(const char *text, size_t len, char **out, size_t *out_len, const char **read_as,
                      cf_error *err) {
    const unsigned char *s = (const unsigned char *)text;
    *out = NULL, *read_as = NULL;
    bool le = len >= 2 && s[0] == 0xFF && s[1] == 0xFE, be = len >= 2 && s[0] == 0xFE && s[1] == 0xFF;
    size_t multi = 0, bad = 0;
    for (size_t i = 0; !le && !be && i < len;) {
        size_t q = utf8_seq(s + i, len - i);
        multi += q > 1, bad += !q;
        i += q ? q : 1;
    }
    if (!le && !be && (!bad || multi)) return CF_OK;
    const code_page *cp = le || be ? NULL : code_page_of(s, len);
    if (!le && !be && !cp)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "the text is neither UTF-8 nor Western or Central European (Windows-1252, "
                            "Windows-1250): save the file as UTF-8");
    /* a UTF-16 unit makes 3 bytes at most, a Windows code page's byte 3 (the euro sign) */
    if (!(*out = malloc(len * 3 + 1))) return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
    size_t k = 0;
    if (le || be) {
        if (!(k = utf16_to_utf8(s, len, le, *out)) && len > 3) {
            free(*out), *out = NULL;
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "the UTF-16 text has an unpaired surrogate");
        }
        *read_as = le ? "UTF-16LE" : "UTF-16BE";
    } else {
        for (size_t i = 0; i < len; i++) k += put_utf8(s[i] >= 0x80 ? cp->high[s[i] - 0x80] : s[i], *out + k);
        *read_as = cp->name;
    }
    *out_len = k;
    return CF_OK;
}

static const struct {
    const char *name;
    const char *text;
} entities[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},    {"&nbsp;", " "},
                {"&lrm;", ""},  {"&rlm;", ""}, {"&quot;", "\""}, {"&apos;", "'"}};

/* Appends line l to text at *n as plain text: tags dropped, references decoded. */
static cf_err append_text(char *text, size_t *n, line l, size_t line_no, cf_error *err) {
    for (size_t i = 0; i < l.len;) {
        unsigned char ch = (unsigned char)l.s[i];
        if (ch == 0 || (ch < 0x20 && ch != '\t'))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "line %zu: control character", line_no);
        if (ch == '<') {
            const char *close = memchr(l.s + i, '>', l.len - i);
            if (close) {
                i = (size_t)(close - l.s) + 1;
                continue;
            }
        }
        if (ch == '&') {
            size_t k = 0;
            for (; k < sizeof entities / sizeof entities[0]; k++) {
                size_t en = strlen(entities[k].name);
                if (en <= l.len - i && !memcmp(l.s + i, entities[k].name, en)) break;
            }
            if (k < sizeof entities / sizeof entities[0]) {
                size_t tn = strlen(entities[k].text);
                memcpy(text + *n, entities[k].text, tn);
                *n += tn;
                i += strlen(entities[k].name);
                continue;
            }
        }
        size_t q = utf8_seq((const unsigned char *)l.s + i, l.len - i);
        if (!q) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "line %zu: invalid UTF-8", line_no);
        memcpy(text + *n, l.s + i, q);
        *n += q;
        i += q;
    }
    return CF_OK;
}

typedef struct parser {
    reader r;
    bool vtt;
    cf_caption_track *out;
    size_t cap;
} parser;

static cf_err push_cue(parser *ps, cf_caption_cue *c, cf_error *err) {
    if (ps->out->n_cues == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        cf_caption_cue *p = realloc(ps->out->cues, cap * sizeof *p);
        if (!p) return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
        ps->out->cues = p;
        ps->cap = cap;
    }
    ps->out->cues[ps->out->n_cues++] = *c;
    return CF_OK;
}

/* Reads text lines up to a blank line or the end; the text can only shrink, so the remaining
 * input length bounds its size. */
static cf_err cue_body(parser *ps, cf_caption_cue *c, cf_error *err) {
    char *text = malloc(ps->r.len - ps->r.pos + 1);
    size_t n = 0;
    line l;
    if (!text) return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
    while (next_line(&ps->r, &l) && !is_blank(l)) {
        if (n) text[n++] = '\n';
        cf_err e = append_text(text, &n, l, ps->r.line_no, err);
        if (e) {
            free(text);
            return e;
        }
    }
    text[n] = '\0';
    c->text = text;
    return CF_OK;
}

static bool starts_word(line l, const char *w) {
    size_t n = strlen(w);
    return l.len >= n && !memcmp(l.s, w, n) && (l.len == n || l.s[n] == ' ' || l.s[n] == '\t');
}

/* Skips the rest of a block (VTT NOTE/STYLE/REGION, or the header). */
static void skip_block(parser *ps) {
    line l;
    while (next_line(&ps->r, &l) && !is_blank(l)) {
    }
}

/* One block that starts with line first (not blank). */
static cf_err block(parser *ps, line first, cf_error *err) {
    if (ps->vtt &&
        (starts_word(first, "NOTE") || starts_word(first, "STYLE") || starts_word(first, "REGION"))) {
        skip_block(ps);
        return CF_OK;
    }
    line timing = first;
    if (!has_arrow(first)) { /* a cue number (SRT) or identifier (VTT) comes first */
        if (!next_line(&ps->r, &timing) || is_blank(timing))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "line %zu: expected a timing line 'start --> end'", ps->r.line_no);
    }
    cf_caption_cue c = {0};
    cf_err e = timing_line(timing, ps->r.line_no, !ps->vtt, &c, err);
    if (!e) e = cue_body(ps, &c, err);
    if (!e) e = push_cue(ps, &c, err);
    if (e) free(c.text);
    return e;
}

static cf_err parse_all(parser *ps, cf_error *err) {
    line l;
    if (ps->r.len >= 3 && !memcmp(ps->r.s, "\xEF\xBB\xBF", 3)) ps->r.pos = 3;
    if (ps->r.len - ps->r.pos >= 6 && !memcmp(ps->r.s + ps->r.pos, "WEBVTT", 6)) {
        ps->vtt = true;
        next_line(&ps->r, &l);
        if (l.len > 6 && l.s[6] != ' ' && l.s[6] != '\t')
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "line 1: malformed WEBVTT header");
        if (!is_blank(l) && ps->r.pos < ps->r.len) skip_block(ps);
    }
    while (next_line(&ps->r, &l)) {
        if (is_blank(l)) continue;
        cf_err e = block(ps, l, err);
        if (e) return e;
    }
    if (!ps->vtt && ps->out->n_cues == 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no captions found (empty file?)");
    return CF_OK;
}

cf_err cf_captions_parse(const char *text, size_t len, cf_caption_track *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    char *utf8 = NULL;
    size_t utf8_len = 0;
    const char *read_as = NULL;
    cf_err e = to_utf8(text, text ? len : 0, &utf8, &utf8_len, &read_as, err);
    if (e) return e;
    parser ps = {.r = {utf8 ? utf8 : text, utf8 ? utf8_len : text ? len : 0, 0, 0}, .out = out};
    e = parse_all(&ps, err);
    free(utf8);
    if (e) cf_caption_track_free(out);
    else out->read_as = read_as;
    return e;
}

cf_err cf_captions_load_file(const char *path, size_t max_bytes, cf_caption_track *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!max_bytes) max_bytes = 64u << 20;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cf_error_set(err, errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO, "%s: %s", path,
                            strerror(errno));
    char *buf = malloc(max_bytes + 1);
    size_t n = buf ? fread(buf, 1, max_bytes + 1, f) : 0;
    bool read_err = ferror(f);
    fclose(f);
    cf_err e = CF_OK;
    if (!buf) e = cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    else if (read_err) e = cf_error_set(err, CF_ERR_IO, "%s: read error", path);
    else if (n > max_bytes)
        e = cf_error_set(err, CF_ERR_TOO_LARGE, "%s: larger than %zu bytes", path, max_bytes);
    else if ((e = cf_captions_parse(buf, n, out, err))) cf_error_prefix(err, "%s", path);
    free(buf);
    if (!e && out->read_as) cf_log_warn("captions", "%s is not UTF-8: read as %s", path, out->read_as);
    return e;
}

static cf_err cue_words(const cf_caption_cue *c, cf_transcript_segment *s, cf_error *err) {
    size_t n = 0, chars = 0;
    const char *t = c->text;
    for (size_t i = 0; t[i];) {
        while (t[i] && isspace((unsigned char)t[i])) i++;
        if (!t[i]) break;
        n++;
        while (t[i] && !isspace((unsigned char)t[i])) i++, chars++;
    }
    if (n && !(s->words = calloc(n, sizeof *s->words)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
    int64_t span = c->end_ms - c->start_ms;
    size_t before = 0;
    for (size_t i = 0; t[i];) {
        while (t[i] && isspace((unsigned char)t[i])) i++;
        if (!t[i]) break;
        size_t a = i;
        while (t[i] && !isspace((unsigned char)t[i])) i++;
        cf_transcript_word *w = &s->words[s->n_words];
        if (!(w->word = strndup(t + a, i - a)))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
        s->n_words++;
        w->start_ms = c->start_ms + (int64_t)((double)span * (double)before / (double)chars);
        before += i - a;
        w->end_ms = c->start_ms + (int64_t)((double)span * (double)before / (double)chars);
        w->confidence = 1.0;
    }
    return cf_transcript_segment_join_text(s, err);
}

cf_err cf_captions_to_transcript(const cf_caption_track *track, cf_transcript *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_err e = CF_OK;
    if (!(out->language = strdup("en-us")) || !(out->model = strdup("captions/imported")) ||
        (track->n_cues && !(out->segments = calloc(track->n_cues, sizeof *out->segments))))
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
    for (size_t i = 0; !e && i < track->n_cues; i++) {
        const cf_caption_cue *c = &track->cues[i];
        cf_transcript_segment *s = &out->segments[out->n_segments++];
        s->start_ms = c->start_ms;
        s->end_ms = c->end_ms;
        e = cue_words(c, s, err);
        if (c->end_ms > out->duration_ms) out->duration_ms = c->end_ms;
    }
    if (e) cf_transcript_free(out);
    return e;
}
