/* captions.c — caption words for a render: SRT/VTT (parsed and written by the transcription
 * package) or transcript JSON in, line grouping, and the ASS script with the spoken word
 * highlighted. */
#include "captions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/caption_parse.h"
#include "clipforge/domain/words.h"
#include "clipforge/json.h"
#include "clipforge/textbuf.h"
#include "timeline_check.h"

#define MAX_CAPTION_BYTES (16 * 1024 * 1024)
#define MAX_WORDS 200000
#define LINE_BREAK_GAP_MS 700

typedef struct words {
    cf_caption_word *v;
    size_t n, cap;
} words;

static bool add_word(words *w, int64_t s, int64_t e, const char *text, size_t len) {
    if (w->n >= MAX_WORDS) return false;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        cf_caption_word *v = realloc(w->v, cap * sizeof *v);
        if (!v) return false;
        w->v = v, w->cap = cap;
    }
    char *t = strndup(text, len);
    if (!t) return false;
    w->v[w->n++] = (cf_caption_word){s, e, t, false};
    return true;
}

static void free_words(words *w) {
    for (size_t i = 0; i < w->n; i++) free(w->v[i].text);
    free(w->v);
    *w = (words){0};
}

static bool add_transcript_words(words *w, const cf_transcript *t) {
    for (size_t i = 0; i < t->n_segments; i++)
        for (size_t k = 0; k < t->segments[i].n_words; k++) {
            const cf_transcript_word *x = &t->segments[i].words[k];
            if (!add_word(w, x->start_ms, x->end_ms, x->word, strlen(x->word))) return false;
        }
    return true;
}

/* The words of cues, timed across each cue by their length (the transcription package's rule). */
static cf_err add_track(words *w, const cf_caption_track *track, cf_error *err) {
    cf_transcript t;
    cf_err e = cf_captions_to_transcript(track, &t, err);
    if (e) return e;
    if (!add_transcript_words(w, &t))
        e = cf_error_set(err, CF_ERR_NO_MEMORY, "captions: too many words or out of memory");
    cf_transcript_free(&t);
    return e;
}

/* Text said over [s, e) without word times: one cue. */
static cf_err add_cue(words *w, int64_t s, int64_t e, const char *text, cf_error *err) {
    cf_caption_cue cue = {s, e, (char *)text};
    cf_caption_track track = {.cues = &cue, .n_cues = 1};
    return add_track(w, &track, err);
}

/* SRT or WebVTT through the transcription package's parser (errors carry the line); *read_as
 * names the encoding of a file that was not UTF-8. */
static cf_err parse_cues(const char *text, size_t len, const char *path, words *w, const char **read_as,
                         cf_error *err) {
    cf_caption_track track = {0};
    cf_err e = cf_captions_parse(text, len, &track, err);
    *read_as = track.read_as;
    if (!e) e = add_track(w, &track, err);
    cf_caption_track_free(&track);
    if (e) cf_error_prefix(err, "%s", path);
    return e;
}

/* A word of a transcript (recognised, so lower case: cf_word_display shows it; a segment's first
 * word starts a sentence). */
static cf_err json_word(const json_t *o, const char *field, bool sentence_start, words *w, cf_error *err) {
    int64_t s, e;
    const char *t = NULL;
    cf_err r;
    if ((r = cf_json_get_int(o, "start_ms", false, &s, field, err)) ||
        (r = cf_json_get_int(o, "end_ms", false, &e, field, err)))
        return r;
    if (cf_json_get_string(o, "word", true, &t, field, err) &&
        (r = cf_json_get_string(o, "text", false, &t, field, err)))
        return r;
    if (e < s) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s.end_ms: before start_ms", field);
    const json_t *c = json_object_get(o, "confidence");
    cf_caption_mark mark =
        json_is_number(c) ? cf_caption_mark_of(json_number_value(c)) : CF_CAPTION_MARK_PLAIN;
    if (mark == CF_CAPTION_MARK_OMIT) return CF_OK;
    size_t first = w->n;
    char *shown = strdup(t);
    if (!shown) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_word_display(t, sentence_start, shown, strlen(t) + 1);
    r = add_cue(w, s, e, shown, err);
    free(shown);
    if (r) return r;
    for (size_t i = first; i < w->n; i++) w->v[i].doubtful = mark == CF_CAPTION_MARK_DOUBTFUL;
    return CF_OK;
}

static cf_err parse_transcript(const json_t *root, const char *path, words *w, cf_error *err) {
    char field[64];
    const json_t *list = json_object_get(root, "words");
    if (json_is_array(list)) {
        for (size_t i = 0; i < json_array_size(list); i++) {
            snprintf(field, sizeof field, "words[%zu]", i);
            cf_err e = json_word(json_array_get(list, i), field, w->n == 0, w, err);
            if (e) return cf_error_prefix(err, "%s", path), e;
        }
        return CF_OK;
    }
    list = json_object_get(root, "segments");
    if (!json_is_array(list))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: a transcript needs \"words\" or \"segments\"",
                            path);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *seg = json_array_get(list, i);
        const json_t *sw = json_object_get(seg, "words");
        cf_err e = CF_OK;
        size_t seg_first = w->n; /* its first word shown (one under the confidence floor is not) */
        if (json_is_array(sw) && json_array_size(sw)) {
            for (size_t k = 0; k < json_array_size(sw) && !e; k++) {
                snprintf(field, sizeof field, "segments[%zu].words[%zu]", i, k);
                e = json_word(json_array_get(sw, k), field, w->n == seg_first, w, err);
            }
        } else {
            snprintf(field, sizeof field, "segments[%zu]", i);
            e = json_word(seg, field, true, w, err);
        }
        if (e) return cf_error_prefix(err, "%s", path), e;
    }
    return CF_OK;
}

/* The file's bytes, NUL-terminated (*len without the NUL: UTF-16 text holds NULs). */
static char *read_all(const char *path, size_t *len, cf_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        cf_error_set(err, errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_CAPTION_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_CAPTION_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf) cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    else if (n > MAX_CAPTION_BYTES) cf_error_set(err, CF_ERR_TOO_LARGE, "%s: larger than 16 MiB", path);
    if (!buf || n > MAX_CAPTION_BYTES) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

/* Stored objects (media/<id>) have no extension: their text says what they are. */
static bool no_extension(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return !dot || (slash && dot < slash);
}

static bool looks_like_json(const char *text) {
    while (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t') text++;
    return *text == '{';
}

cf_err cf_captions_load(const char *path, int64_t offset_ms, int64_t limit_ms, cf_captions *out,
                        cf_error *err) {
    memset(out, 0, sizeof *out);
    size_t len = 0;
    char *text = read_all(path, &len, err);
    if (!text) return err->code;
    words w = {0};
    cf_err e;
    if (ends_with(path, ".json") || (no_extension(path) && looks_like_json(text))) {
        json_t *root = cf_json_parse(text, strlen(text), 64, err);
        e = root ? parse_transcript(root, path, &w, err) : err->code;
        json_decref(root);
    } else if (ends_with(path, ".srt") || ends_with(path, ".vtt") || no_extension(path)) {
        e = parse_cues(text, len, path, &w, &out->read_as, err);
    } else {
        e = cf_error_set(err, CF_ERR_UNSUPPORTED, "%s: captions must be .srt, .vtt or a .json transcript",
                         path);
    }
    free(text);
    if (e) {
        free_words(&w);
        return e;
    }
    size_t kept = 0;
    for (size_t i = 0; i < w.n; i++) {
        cf_caption_word x = w.v[i];
        x.start_ms -= offset_ms, x.end_ms -= offset_ms;
        if (x.end_ms <= 0 || x.start_ms >= limit_ms) {
            free(x.text);
            continue;
        }
        if (x.start_ms < 0) x.start_ms = 0;
        if (x.end_ms > limit_ms) x.end_ms = limit_ms;
        w.v[kept++] = x;
    }
    out->words = w.v, out->n_words = kept;
    return CF_OK;
}

void cf_captions_free(cf_captions *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_words; i++) free(c->words[i].text);
    free(c->words);
    memset(c, 0, sizeof *c);
}

/* The end (exclusive) of the line that starts at word i. */
static size_t line_end(const cf_captions *c, size_t i, int per_line) {
    size_t j = i + 1;
    while (j < c->n_words && (int)(j - i) < per_line &&
           c->words[j].start_ms - c->words[j - 1].end_ms < LINE_BREAK_GAP_MS)
        j++;
    return j;
}

/* ASS time: h:mm:ss.cc */
static void fmt_time(cf_textbuf *b, int64_t ms) {
    if (ms < 0) ms = 0;
    cf_textbuf_printf(b, "%lld:%02lld:%02lld.%02lld", (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                      (long long)(ms / 1000 % 60), (long long)(ms % 1000 / 10));
}

static cf_err write_file(cf_textbuf *b, const char *path, cf_error *err) {
    char *s = cf_textbuf_take(b);
    if (!s) return cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    FILE *f = fopen(path, "wb");
    bool ok = f && fputs(s, f) >= 0;
    if (f && fclose(f) != 0) ok = false;
    free(s);
    return ok ? CF_OK : cf_error_set(err, CF_ERR_IO, "%s: cannot write", path);
}

/* The lines as cues, written by the transcription package's SRT / WebVTT writer. */
static cf_err write_text_cues(const cf_captions *c, int per_line, const char *path, cf_caption_format fmt,
                              cf_error *err) {
    cf_caption_track track = {.cues = calloc(c->n_words + 1, sizeof(cf_caption_cue))};
    cf_err e = track.cues ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; !e && i < c->n_words;) {
        size_t j = line_end(c, i, per_line);
        cf_textbuf line = {0};
        for (size_t k = i; k < j; k++) cf_textbuf_printf(&line, "%s%s", k > i ? " " : "", c->words[k].text);
        cf_caption_cue *cue = &track.cues[track.n_cues++];
        *cue = (cf_caption_cue){c->words[i].start_ms, c->words[j - 1].end_ms, cf_textbuf_take(&line)};
        if (!cue->text) e = cf_error_set(err, CF_ERR_NO_MEMORY, "%s: out of memory", path);
        i = j;
    }
    if (!e) e = cf_captions_write_file(&track, fmt, path, err);
    cf_caption_track_free(&track);
    return e;
}

cf_err cf_captions_write_srt(const cf_captions *c, int per_line, const char *path, cf_error *err) {
    return write_text_cues(c, per_line, path, CF_CAPTION_SRT, err);
}

cf_err cf_captions_write_vtt(const cf_captions *c, int per_line, const char *path, cf_error *err) {
    return write_text_cues(c, per_line, path, CF_CAPTION_VTT, err);
}

/* ASS colours are &HBBGGRR; the script is burned in by FFmpeg's drawing (cf_color_for_drawing). */
static unsigned ass_color(const char *name, unsigned fallback) {
    uint32_t rgb;
    if (!cf_color_parse(name, &rgb)) rgb = fallback;
    rgb = cf_color_for_drawing(rgb);
    return ((rgb & 0xFF) << 16) | (rgb & 0xFF00) | ((rgb >> 16) & 0xFF);
}

/* Word text for ASS: braces and backslashes would start override tags. */
static void add_ass_word(cf_textbuf *b, const char *w) {
    for (const char *p = w; *p; p++)
        if (*p != '{' && *p != '}' && *p != '\\') cf_textbuf_printf(b, "%c", *p);
}

static void ass_header(cf_textbuf *b, const cf_timeline_captions *st, int width, int height) {
    int align = 2, margin = height * 6 / 100;
    if (st->position == CF_CAPTION_POSITION_LOWER_THIRD) margin = height * 25 / 100;
    else if (st->position == CF_CAPTION_POSITION_CENTER) align = 5, margin = 0;
    else if (st->position == CF_CAPTION_POSITION_TOP) align = 8, margin = height * 8 / 100;
    cf_textbuf_printf(b,
                      "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\nWrapStyle: 0\n"
                      "ScaledBorderAndShadow: yes\n\n[V4+ Styles]\n"
                      "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
                      "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
                      "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n",
                      width, height);
    cf_textbuf_printf(
        b,
        "Style: "
        "Default,%s,%lld,&H00%06X,&H00%06X,&H00%06X,&H80000000,1,0,0,0,100,100,0,0,1,%d,0,%d,%d,%d,%d,1\n\n",
        st->font, (long long)st->font_size, ass_color(st->color, 0xFFFFFF),
        ass_color(st->highlight_color, 0xFFFF00), ass_color(st->outline_color, 0),
        (int)(st->font_size / 16 + 1), align, width / 20, width / 20, margin);
    cf_textbuf_printf(
        b, "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n");
}

cf_err cf_captions_write_ass(const cf_captions *c, const cf_timeline_captions *st, int width, int height,
                             const char *path, cf_error *err) {
    cf_textbuf b = {0};
    ass_header(&b, st, width, height);
    unsigned hl = ass_color(st->highlight_color, 0xFFFF00);
    int per_line = (int)st->words_per_line;
    /* one event per word: the whole line, with that word in the highlight colour */
    for (size_t i = 0; i < c->n_words;) {
        size_t j = line_end(c, i, per_line);
        for (size_t k = i; k < j; k++) {
            int64_t s = k == i ? c->words[i].start_ms : c->words[k].start_ms;
            int64_t e = k + 1 < j ? c->words[k + 1].start_ms : c->words[j - 1].end_ms;
            if (e <= s) continue;
            cf_textbuf_printf(&b, "Dialogue: 0,");
            fmt_time(&b, s);
            cf_textbuf_printf(&b, ",");
            fmt_time(&b, e);
            cf_textbuf_printf(&b, ",Default,,0,0,0,,");
            for (size_t m = i; m < j; m++) {
                if (m > i) cf_textbuf_printf(&b, " ");
                if (m == k) cf_textbuf_printf(&b, "{\\1c&H%06X&}", hl);
                if (c->words[m].doubtful) cf_textbuf_printf(&b, "{\\i1\\1a&H60&}");
                add_ass_word(&b, c->words[m].text);
                if (m == k || c->words[m].doubtful) cf_textbuf_printf(&b, "{\\r}");
            }
            cf_textbuf_printf(&b, "\n");
        }
        i = j;
    }
    return write_file(&b, path, err);
}
