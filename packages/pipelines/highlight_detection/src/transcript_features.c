/* transcript_features.c — what a transcript adds to a feature track: speech rate, pauses and
 * emphasis (cf_speech_features of the transcription pipeline, per 100 ms) and the profile's
 * keywords said around each hop. The columns are 0 in a track without a transcript, so a profile
 * weighing them still scores media that has none; they are filled per detection (keywords
 * depend on the profile), never cached. */
#include "transcript_features.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Keywords said within this distance of a hop count for it: a punch line is a few words. */
#define KEYWORD_REACH_MS 2500

void hl_word_normalise(const char *word, char *out, size_t len) {
    size_t n = 0;
    while (*word && !isalnum((unsigned char)*word)) word++;
    for (; *word && n + 1 < len; word++) out[n++] = (char)tolower((unsigned char)*word);
    while (n > 0 && !isalnum((unsigned char)out[n - 1])) n--;
    out[n] = '\0';
}

bool hl_keyword_match(const hl_profile *p, const char *word) {
    char w[64];
    hl_word_normalise(word, w, sizeof w);
    for (size_t i = 0; *w && i < p->n_keywords; i++) {
        const char *k = p->keywords[i];
        size_t kn = strlen(k);
        if (kn && k[kn - 1] == '*' ? strncmp(w, k, kn - 1) == 0 : strcmp(w, k) == 0) return true;
    }
    return false;
}

cf_hl_word *hl_transcript_words(const cf_transcript *tr, size_t *n) {
    size_t total = 0, k = 0;
    for (size_t s = 0; s < tr->n_segments; s++) total += tr->segments[s].n_words;
    cf_hl_word *w = calloc(total ? total : 1, sizeof *w);
    for (size_t s = 0; w && s < tr->n_segments; s++)
        for (size_t i = 0; i < tr->segments[s].n_words; i++)
            w[k++] = (cf_hl_word){tr->segments[s].words[i].start_ms, tr->segments[s].words[i].end_ms};
    *n = w ? total : 0;
    return w;
}

static void add_keywords(cf_feature_track *t, const cf_transcript *tr, const hl_profile *p) {
    for (size_t s = 0; s < tr->n_segments; s++)
        for (size_t i = 0; i < tr->segments[s].n_words; i++) {
            const cf_transcript_word *w = &tr->segments[s].words[i];
            if (!hl_keyword_match(p, w->word)) continue;
            int64_t mid = (w->start_ms + w->end_ms) / 2;
            int64_t a = (mid - KEYWORD_REACH_MS) / CF_HL_HOP_MS, b = (mid + KEYWORD_REACH_MS) / CF_HL_HOP_MS;
            for (int64_t h = a < 0 ? 0 : a; h <= b && h < (int64_t)t->n_hops; h++)
                t->v[(size_t)h * CF_FEAT_COUNT + CF_FEAT_KEYWORDS] += 1.0f;
        }
}

cf_err hl_track_with_transcript(const cf_feature_track *t, const cf_transcript *tr,
                                const cf_speech_features *sf, const hl_profile *p, cf_feature_track **out,
                                cf_error *err) {
    cf_feature_track *c = malloc(sizeof *c);
    float *v = calloc((t->n_hops ? t->n_hops : 1) * CF_FEAT_COUNT, sizeof *v);
    if (!c || !v) {
        free(c), free(v);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "transcript features: out of memory");
    }
    *c = *t;
    c->v = memcpy(v, t->v, t->n_hops * CF_FEAT_COUNT * sizeof *v);
    c->has_transcript = true;
    size_t n = sf && sf->hop_ms == CF_HL_HOP_MS ? (sf->n_steps < t->n_hops ? sf->n_steps : t->n_hops) : 0;
    for (size_t i = 0; i < n; i++) {
        float *row = &c->v[i * CF_FEAT_COUNT];
        row[CF_FEAT_SPEECH_RATE] = sf->speech_rate_wpm[i];
        row[CF_FEAT_PAUSE] = sf->pause_ms[i];
        row[CF_FEAT_EMPHASIS] = sf->emphasis_db[i];
    }
    /* past the transcript's end nothing is said: one pause to the end of the media */
    for (size_t i = n; i < t->n_hops; i++)
        c->v[i * CF_FEAT_COUNT + CF_FEAT_PAUSE] = (float)((t->n_hops - n) * CF_HL_HOP_MS);
    if (p) add_keywords(c, tr, p);
    *out = c;
    return CF_OK;
}
