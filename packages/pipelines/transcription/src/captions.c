/* captions.c — caption segmentation from transcript words, and SRT / WebVTT writing.
 * The rules are in captions.h; the code groups words greedily into cues, then wraps each cue
 * into balanced lines, then holds short cues longer where the next cue leaves room. */
#include "clipforge/captions.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clipforge/fs.h"
#include "clipforge/textbuf.h"
#include "clipforge/domain/words.h"

void cf_caption_style_default(cf_caption_style *s) {
    *s = (cf_caption_style){42, 2, 1000, 7000, 600};
}

cf_err cf_caption_format_parse(const char *name, cf_caption_format *out, cf_error *err) {
    if (name && !strcasecmp(name, "srt")) *out = CF_CAPTION_SRT;
    else if (name && !strcasecmp(name, "vtt")) *out = CF_CAPTION_VTT;
    else
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "unknown caption format '%s' (srt, vtt)",
                            name ? name : "");
    return CF_OK;
}

size_t cf_utf8_length(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

void cf_caption_track_free(cf_caption_track *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_cues; i++) free(t->cues[i].text);
    free(t->cues);
    memset(t, 0, sizeof *t);
}

/* A word of the transcript seen flat, with whether a segment boundary precedes it. */
typedef struct flat_word {
    const cf_transcript_word *w;
    size_t chars;
    bool new_segment;    /* a segment's first word, not the transcript's */
    bool sentence_start; /* a segment's first word */
} flat_word;

static char last_char(const char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '"' || s[n - 1] == '\'' || s[n - 1] == ')')) n--;
    return n ? s[n - 1] : '\0';
}

static bool ends_sentence(const char *s) {
    char c = last_char(s);
    return c == '.' || c == '?' || c == '!';
}

static bool ends_clause(const char *s) {
    char c = last_char(s);
    return c == ',' || c == ';' || c == ':';
}

/* Splits words [a, b) into lines: one when it fits, two balanced, else greedy. Returns how
 * many lines and writes the index where each line after the first starts into breaks. */
static int wrap(const flat_word *fw, size_t a, size_t b, int max_chars, int max_lines, size_t *breaks) {
    size_t total = 0;
    for (size_t i = a; i < b; i++) total += fw[i].chars + (i > a);
    if (total <= (size_t)max_chars || max_lines < 2 || b - a < 2) return 1;
    if (max_lines == 2) {
        size_t best = a + 1, best_cost = (size_t)-1, left = 0;
        for (size_t i = a + 1; i < b; i++) {
            left += fw[i - 1].chars + (i - 1 > a);
            size_t right = total - left - 1;
            size_t longest = left > right ? left : right;
            if (longest < best_cost) best_cost = longest, best = i;
        }
        breaks[0] = best;
        return 2;
    }
    int lines = 1;
    size_t len = 0;
    for (size_t i = a; i < b; i++) {
        size_t add = fw[i].chars + (len > 0);
        if (len && len + add > (size_t)max_chars && lines < max_lines) {
            breaks[lines - 1] = i;
            lines++;
            len = fw[i].chars;
        } else {
            len += add;
        }
    }
    return lines;
}

/* True when words [a, b) wrap into at most max_lines lines of at most max_chars each. */
static bool fits(const flat_word *fw, size_t a, size_t b, const cf_caption_style *st) {
    size_t breaks[64];
    int max_lines = st->max_lines > 64 ? 64 : st->max_lines;
    int lines = wrap(fw, a, b, st->max_chars_per_line, max_lines, breaks);
    for (int l = 0; l < lines; l++) {
        size_t s = l ? breaks[l - 1] : a, e = l + 1 < lines ? breaks[l] : b, len = 0;
        for (size_t i = s; i < e; i++) len += fw[i].chars + (i > s);
        /* a word longer than a line may stand alone in its cue, never with others */
        if (len > (size_t)st->max_chars_per_line && b - a > 1) return false;
    }
    return true;
}

/* Where the cue starting at word a ends (exclusive). Always takes at least one word. */
static size_t cue_end(const flat_word *fw, size_t n, size_t a, const cf_caption_style *st) {
    size_t capacity = (size_t)st->max_chars_per_line * (size_t)st->max_lines, used = fw[a].chars;
    size_t b = a + 1;
    for (; b < n; b++) {
        const cf_transcript_word *prev = fw[b - 1].w, *w = fw[b].w;
        if (ends_sentence(prev->word)) break;
        if (ends_clause(prev->word) && used * 2 >= capacity) break;
        if (fw[b].new_segment || w->start_ms - prev->end_ms >= st->pause_break_ms) break;
        if (w->end_ms - fw[a].w->start_ms > st->max_duration_ms) break;
        if (!fits(fw, a, b + 1, st)) break;
        used += fw[b].chars + 1;
    }
    return b;
}

static char *cue_text(const flat_word *fw, size_t a, size_t b, const cf_caption_style *st) {
    size_t breaks[64], len = 1;
    int max_lines = st->max_lines > 64 ? 64 : st->max_lines;
    int lines = wrap(fw, a, b, st->max_chars_per_line, max_lines, breaks);
    for (size_t i = a; i < b; i++) len += strlen(fw[i].w->word) + 1;
    char *text = malloc(len), *at = text;
    if (!text) return NULL;
    int line = 1;
    for (size_t i = a; i < b; i++) {
        if (i > a) *at++ = (line < lines && breaks[line - 1] == i) ? (line++, '\n') : ' ';
        size_t n = strlen(fw[i].w->word);
        cf_word_display(fw[i].w->word, fw[i].sentence_start, at, n + 1);
        at += n;
    }
    *at = '\0';
    return text;
}

static flat_word *flatten(const cf_transcript *t, size_t *n_out) {
    size_t n = cf_transcript_word_count(t), k = 0;
    flat_word *fw = calloc(n ? n : 1, sizeof *fw);
    if (!fw) return NULL;
    for (size_t s = 0; s < t->n_segments; s++) {
        bool first = true;
        for (size_t i = 0; i < t->segments[s].n_words; i++) {
            const cf_transcript_word *w = &t->segments[s].words[i];
            if (!w->word || !w->word[0]) continue;
            bool first_of_segment = i == 0 && k > 0;
            fw[k++] = (flat_word){w, cf_utf8_length(w->word, strlen(w->word)), first_of_segment, first};
            first = false;
        }
    }
    *n_out = k;
    return fw;
}

/* Holds cues shorter than the minimum on screen longer, never into the next cue. */
static void hold_short_cues(cf_caption_track *tr, const cf_caption_style *st) {
    for (size_t i = 0; i < tr->n_cues; i++) {
        cf_caption_cue *c = &tr->cues[i];
        if (c->end_ms - c->start_ms >= st->min_duration_ms) continue;
        int64_t want = c->start_ms + st->min_duration_ms;
        if (i + 1 < tr->n_cues && want > tr->cues[i + 1].start_ms) want = tr->cues[i + 1].start_ms;
        if (want > c->end_ms) c->end_ms = want;
    }
}

static void sanitize_style(cf_caption_style *st, const cf_caption_style *in) {
    cf_caption_style_default(st);
    if (!in) return;
    if (in->max_chars_per_line > 0) st->max_chars_per_line = in->max_chars_per_line;
    if (in->max_lines > 0) st->max_lines = in->max_lines > 64 ? 64 : in->max_lines;
    if (in->min_duration_ms > 0) st->min_duration_ms = in->min_duration_ms;
    if (in->max_duration_ms > 0) st->max_duration_ms = in->max_duration_ms;
    if (in->pause_break_ms > 0) st->pause_break_ms = in->pause_break_ms;
}

cf_err cf_captions_from_transcript(const cf_transcript *t, const cf_caption_style *style,
                                   cf_caption_track *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_caption_style st;
    sanitize_style(&st, style);
    size_t n = 0;
    flat_word *fw = flatten(t, &n);
    if (!fw || (n && !(out->cues = calloc(n, sizeof *out->cues)))) {
        free(fw);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
    }
    for (size_t a = 0; a < n;) {
        size_t b = cue_end(fw, n, a, &st);
        cf_caption_cue *c = &out->cues[out->n_cues];
        c->start_ms = fw[a].w->start_ms;
        c->end_ms = fw[b - 1].w->end_ms;
        if (!(c->text = cue_text(fw, a, b, &st))) {
            free(fw);
            cf_caption_track_free(out);
            return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
        }
        out->n_cues++;
        a = b;
    }
    free(fw);
    hold_short_cues(out, &st);
    return CF_OK;
}

static void put_time(cf_textbuf *b, int64_t ms, char sep) {
    char t[48];
    if (ms < 0) ms = 0;
    int n = snprintf(t, sizeof t, "%02lld:%02lld:%02lld%c%03lld", (long long)(ms / 3600000),
                     (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60), sep, (long long)(ms % 1000));
    cf_textbuf_put(b, t, (size_t)n);
}

/* WebVTT cue text may not hold '<', '&' or "-->" literally. */
static void put_vtt_text(cf_textbuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '&') cf_textbuf_put(b, "&amp;", 5);
        else if (*s == '<') cf_textbuf_put(b, "&lt;", 4);
        else if (*s == '>') cf_textbuf_put(b, "&gt;", 4);
        else cf_textbuf_put(b, s, 1);
    }
}

static bool blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    return true;
}

/* Blank lines would end a cue early in both formats: drop them from the text. */
static void put_cue_text(cf_textbuf *b, const char *text, cf_caption_format fmt) {
    const char *line = text;
    bool any = false;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (!blank(line, len)) {
            char *copy = strndup(line, len);
            if (!copy) {
                b->failed = true;
                return;
            }
            if (fmt == CF_CAPTION_VTT) put_vtt_text(b, copy);
            else cf_textbuf_put(b, copy, len);
            free(copy);
            cf_textbuf_put(b, "\n", 1);
            any = true;
        }
        line = nl ? nl + 1 : line + len;
    }
    if (!any) cf_textbuf_put(b, " \n", 2);
}

cf_err cf_captions_format(const cf_caption_track *track, cf_caption_format fmt, char **out, size_t *len,
                          cf_error *err) {
    cf_textbuf b = {0};
    if (fmt == CF_CAPTION_VTT) cf_textbuf_put(&b, "WEBVTT\n\n", 8);
    for (size_t i = 0; i < track->n_cues; i++) {
        const cf_caption_cue *c = &track->cues[i];
        char num[32];
        if (fmt == CF_CAPTION_SRT) cf_textbuf_put(&b, num, (size_t)snprintf(num, sizeof num, "%zu\n", i + 1));
        put_time(&b, c->start_ms, fmt == CF_CAPTION_SRT ? ',' : '.');
        cf_textbuf_put(&b, " --> ", 5);
        put_time(&b, c->end_ms, fmt == CF_CAPTION_SRT ? ',' : '.');
        cf_textbuf_put(&b, "\n", 1);
        put_cue_text(&b, c->text ? c->text : "", fmt);
        cf_textbuf_put(&b, "\n", 1);
    }
    size_t n = b.len;
    if (!(*out = cf_textbuf_take(&b))) return cf_error_set(err, CF_ERR_NO_MEMORY, "captions: out of memory");
    if (len) *len = n;
    return CF_OK;
}

cf_err cf_captions_write_file(const cf_caption_track *track, cf_caption_format fmt, const char *path,
                              cf_error *err) {
    char *text = NULL;
    size_t len = 0;
    cf_err e = cf_captions_format(track, fmt, &text, &len, err);
    if (e) return e;
    e = cf_write_file(path, text, len, err); /* whole or not at all */
    free(text);
    return e;
}

cf_caption_mark cf_caption_mark_of(double confidence) {
    if (confidence < CF_CAPTION_OMIT_BELOW) return CF_CAPTION_MARK_OMIT;
    if (confidence < CF_CAPTION_DOUBT_BELOW) return CF_CAPTION_MARK_DOUBTFUL;
    return CF_CAPTION_MARK_PLAIN;
}
