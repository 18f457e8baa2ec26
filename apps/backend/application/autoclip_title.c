/* autoclip_title.c — titles from transcripts. A window of consecutive confident words inside one
 * segment (a stretch of speech between pauses) is scored by the salience of its words: long
 * words that are rare over the whole transcript weigh most, filler words almost nothing. A word
 * under the confidence bar ends the window: a title with one misheard word reads as gibberish.
 * The best window that fits the title limits and holds enough content words wins; when none
 * does, the title says what was heard instead (the highlight's label or sound event). */
#include "application/autoclip_title.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clipforge/domain/words.h"

#define WORD_MAX 64

static const char *const stopwords[] = {
    "a",    "an",   "and",   "are",   "as",   "at",   "be",    "but",   "by",    "do",    "for",
    "from", "had",  "has",   "have",  "he",   "her",  "his",   "i",     "if",    "in",    "is",
    "it",   "its",  "me",    "my",    "no",   "not",  "of",    "oh",    "on",    "or",    "our",
    "so",   "that", "the",   "their", "them", "then", "there", "these", "they",  "this",  "to",
    "uh",   "um",   "up",    "us",    "was",  "we",   "were",  "what",  "when",  "which", "who",
    "will", "with", "would", "you",   "your", "all",  "can",   "just",  "about", "out",   "let",
};

/* The spoken form of a recogniser token: "hello(2)" -> "hello"; fillers ("<sil>", "[noise]",
 * "+breath+") give "". */
static void clean_word(const char *w, char out[WORD_MAX]) {
    out[0] = 0;
    if (!w || !*w || strchr("<[+(", w[0])) return;
    size_t n = 0;
    for (; w[n] && w[n] != '(' && n + 1 < WORD_MAX; n++) out[n] = w[n];
    out[n] = 0;
}

static bool is_stopword(const char *w) {
    for (size_t i = 0; i < sizeof stopwords / sizeof stopwords[0]; i++)
        if (!strcasecmp(w, stopwords[i])) return true;
    return false;
}

static size_t total_words(const cf_transcript *t) {
    size_t n = 0;
    for (size_t s = 0; s < t->n_segments; s++) n += t->segments[s].n_words;
    return n;
}

static size_t occurrences(const cf_transcript *t, const char *w) {
    size_t n = 0;
    char c[WORD_MAX];
    for (size_t s = 0; s < t->n_segments; s++)
        for (size_t k = 0; k < t->segments[s].n_words; k++) {
            clean_word(t->segments[s].words[k].word, c);
            n += !strcasecmp(c, w);
        }
    return n ? n : 1;
}

static double salience(const cf_transcript *t, const cf_transcript_word *w, size_t total) {
    char c[WORD_MAX];
    clean_word(w->word, c);
    size_t len = strlen(c);
    if (!len) return 0;
    if (is_stopword(c)) return 0.05;
    double rarity = log(1.0 + (double)total / (double)occurrences(t, c));
    return (len < 8 ? (double)len / 8.0 : 1.0) * rarity * w->confidence;
}

static bool confident(const cf_transcript_word *w) {
    return w->confidence >= CF_AUTOCLIP_TITLE_MIN_CONFIDENCE;
}

static bool in_span(const cf_transcript_word *w, int64_t start_ms, int64_t end_ms) {
    int64_t mid = (w->start_ms + w->end_ms) / 2;
    return mid >= start_ms && mid < end_ms;
}

size_t cf_autoclip_words_in(const cf_transcript *t, int64_t start_ms, int64_t end_ms) {
    size_t n = 0;
    char c[WORD_MAX];
    for (size_t s = 0; t && s < t->n_segments; s++)
        for (size_t k = 0; k < t->segments[s].n_words; k++) {
            clean_word(t->segments[s].words[k].word, c);
            n += c[0] && in_span(&t->segments[s].words[k], start_ms, end_ms);
        }
    return n;
}

typedef struct window {
    size_t seg, first, count;
    size_t content; /* content words (not stopwords) among the first count */
    double score;
} window;

/* Best window starting at word `first` of segment seg: as many words as the limits allow. */
static window window_at(const cf_transcript *t, size_t seg, size_t first, int64_t start_ms, int64_t end_ms,
                        size_t total) {
    const cf_transcript_segment *s = &t->segments[seg];
    window w = {seg, first, 0, 0, 0};
    size_t chars = 0, content = 0;
    char c[WORD_MAX];
    for (size_t k = first; k < s->n_words && w.count < CF_AUTOCLIP_TITLE_MAX_WORDS; k++) {
        if (!in_span(&s->words[k], start_ms, end_ms)) break;
        clean_word(s->words[k].word, c);
        if (!c[0]) continue;
        if (!confident(&s->words[k])) break;
        size_t len = strlen(c) + (chars ? 1 : 0);
        if (chars + len > CF_AUTOCLIP_TITLE_MAX_CHARS) break;
        chars += len;
        w.score += salience(t, &s->words[k], total);
        /* a title does not end on "to the" */
        if (!is_stopword(c)) w.count = k - first + 1, w.content = ++content;
    }
    if (w.content < CF_AUTOCLIP_TITLE_MIN_CONTENT) w.count = 0;
    /* a window that opens its stretch of speech reads like the start of a sentence */
    if (w.count && (first == 0 || !in_span(&s->words[first - 1], start_ms, end_ms))) w.score += 0.25;
    return w;
}

/* Writes window w's words into buf, first letter upper case; returns how many. */
static size_t window_text(const cf_transcript *t, window w, char *buf, size_t size) {
    size_t used = 0, n = 0;
    for (size_t k = w.first; k < w.first + w.count; k++) {
        char c[WORD_MAX], shown[WORD_MAX];
        clean_word(t->segments[w.seg].words[k].word, c);
        if (!c[0]) continue;
        cf_word_display(c, false, shown, sizeof shown); /* "i" as "I"; the title's first letter below */
        int wrote = snprintf(buf + n, size - n, "%s%s", n ? " " : "", shown);
        if (wrote < 0 || (size_t)wrote >= size - n) break;
        n += (size_t)wrote;
        used++;
    }
    buf[n] = 0;
    if (n) buf[0] = (char)toupper((unsigned char)buf[0]);
    return used;
}

static bool taken(const char *title, const char *const *titles, size_t n_titles) {
    for (size_t i = 0; i < n_titles; i++)
        if (titles[i] && !strcasecmp(titles[i], title)) return true;
    return false;
}

size_t cf_autoclip_title(const cf_transcript *t, int64_t start_ms, int64_t end_ms, const char *const *titles,
                         size_t n_titles, char *buf, size_t size) {
    buf[0] = 0;
    if (!t) return 0;
    size_t total = total_words(t), used = 0;
    double best = 0;
    char text[CF_AUTOCLIP_TITLE_MAX_CHARS + 8];
    for (size_t s = 0; s < t->n_segments; s++)
        for (size_t k = 0; k < t->segments[s].n_words; k++) {
            char c[WORD_MAX];
            clean_word(t->segments[s].words[k].word, c);
            const cf_transcript_word *w0 = &t->segments[s].words[k];
            if (!c[0] || is_stopword(c) || !confident(w0) || !in_span(w0, start_ms, end_ms)) continue;
            window w = window_at(t, s, k, start_ms, end_ms, total);
            if (!w.count || w.score <= best) continue;
            size_t n = window_text(t, w, text, sizeof text);
            if (taken(text, titles, n_titles)) continue; /* a line said again in another clip */
            best = w.score, used = n;
            snprintf(buf, size, "%s", text);
        }
    return used;
}

/* What a highlight's label or sound event says as the start of a title; matched by substring. */
static const struct {
    const char *key, *phrase;
} event_phrases[] = {
    {"crowd", "Crowd erupts"},
    {"cheer", "Crowd erupts"},
    {"laugh", "Big laugh"},
    {"applause", "Applause breaks out"},
    {"excited", "Excitement builds"},
    {"streamer", "Big reaction"},
    {"chorus", "The music kicks in"},
    {"music", "The music kicks in"},
    {"action", "Action"},
    {"fast_play", "Action"},
    {"emphasis", "A point made"},
    {"keyword", "The key moment"},
    {"loud", "A loud moment"},
};

void cf_autoclip_event_title(const char *label, int64_t start_ms, char *buf, size_t size) {
    char what[64] = "Highlight";
    for (size_t i = 0; label && i < sizeof event_phrases / sizeof event_phrases[0]; i++)
        if (strstr(label, event_phrases[i].key)) {
            snprintf(what, sizeof what, "%s", event_phrases[i].phrase);
            break;
        }
    if (label && *label && !strcmp(what, "Highlight")) {
        snprintf(what, sizeof what, "%s", label);
        for (char *p = what; *p; p++)
            if (*p == '_' || *p == '-') *p = ' ';
        what[0] = (char)toupper((unsigned char)what[0]);
    }
    long long s = start_ms > 0 ? start_ms / 1000 : 0;
    if (s >= 3600) snprintf(buf, size, "%s at %lld:%02lld:%02lld", what, s / 3600, s / 60 % 60, s % 60);
    else snprintf(buf, size, "%s at %lld:%02lld", what, s / 60, s % 60);
}
