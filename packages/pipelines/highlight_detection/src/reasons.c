/* reasons.c — why a span was chosen, in words a user can check against the media. Each
 * signal's reason quotes the measured values inside the span against the media's baseline.
 * At log level debug (CLIPFORGE_LOG_LEVEL=debug) each span also logs what every signal added
 * to its score and the mean probability of each audio event inside it: where a wrong span's
 * score comes from. */
#include "reasons.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/log.h"
#include "feature_math.h"
#include "transcript_features.h"

#define MAX_REASONS 4

static double span_mean(const cf_feature_track *t, const hl_span *s, int f) {
    double sum = 0;
    for (size_t k = s->start; k < s->end; k++) sum += cf_feat(t, k, f);
    return s->end > s->start ? sum / (double)(s->end - s->start) : 0;
}

static double span_max(const cf_feature_track *t, const hl_span *s, int f) {
    double m = s->end > s->start ? cf_feat(t, s->start, f) : 0;
    for (size_t k = s->start; k < s->end; k++) m = fmax(m, cf_feat(t, k, f));
    return m;
}

/* Mean evidence of each signal inside the span (requires and support applied) into mean[n]. */
static void span_evidence(const cf_feature_track *t, const hl_span *s, const hl_signal *signals, size_t n,
                          double *mean) {
    double e[HL_MAX_SIGNALS];
    for (size_t i = 0; i < n; i++) mean[i] = 0;
    for (size_t k = s->start; k < s->end; k++) {
        hl_signals_evidence(signals, n, t, k, e);
        for (size_t i = 0; i < n; i++) mean[i] += e[i];
    }
    for (size_t i = 0; s->end > s->start && i < n; i++) mean[i] /= (double)(s->end - s->start);
}

/* Seconds of the span in which class c is the likeliest audio event. */
static double event_seconds(const cf_feature_track *t, const hl_span *s, int c) {
    size_t hops = 0;
    for (size_t k = s->start; k < s->end; k++) {
        int best = 0;
        for (int j = 1; j < CF_AUDIO_EVENT_CLASS_COUNT; j++)
            if (cf_feat(t, k, CF_FEAT_EV_SPEECH + j) > cf_feat(t, k, CF_FEAT_EV_SPEECH + best)) best = j;
        hops += best == c;
    }
    return (double)hops * CF_HL_HOP_MS / 1000.0;
}

/* The first hop of the span where class c is the likeliest event (s->end when none). */
static size_t event_onset(const cf_feature_track *t, const hl_span *s, int c) {
    for (size_t k = s->start; k < s->end; k++) {
        int best = 0;
        for (int j = 1; j < CF_AUDIO_EVENT_CLASS_COUNT; j++)
            if (cf_feat(t, k, CF_FEAT_EV_SPEECH + j) > cf_feat(t, k, CF_FEAT_EV_SPEECH + best)) best = j;
        if (best == c) return k;
    }
    return s->end;
}

/* "crowd cheering for 6 s", "laughter for 3 s after speech" (speech in the 5 s before it). */
static void describe_event(const cf_feature_track *t, const hl_span *s, int c, char *buf, size_t len) {
    static const char *const what[CF_AUDIO_EVENT_CLASS_COUNT] = {
        "speech", "music", "crowd cheering", "applause", "laughter", "silence", "noise"};
    double secs = event_seconds(t, s, c);
    if (c == CF_AUDIO_EVENT_CLASS_LAUGHTER) {
        size_t on = event_onset(t, s, c), from = on > 50 ? on - 50 : 0, speech = 0;
        for (size_t k = from; k < on && k < t->n_hops; k++) speech += cf_feat(t, k, CF_FEAT_EV_SPEECH) > 0.5f;
        if (speech >= 10) {
            snprintf(buf, len, "laughter for %.0f s after speech (a punchline?)", secs < 1 ? 1 : secs);
            return;
        }
    }
    if (secs >= 1) snprintf(buf, len, "%s for %.0f s", what[c], secs);
    else snprintf(buf, len, "%s heard (%.0f%% likely)", what[c], 100 * span_max(t, s, CF_FEAT_EV_SPEECH + c));
}

static int count_cuts(const cf_feature_track *t, const hl_span *s) {
    int n = 0;
    for (size_t k = s->start; k < s->end; k++) n += cf_feat(t, k, CF_FEAT_CUT) > 0;
    return n;
}

static double media_cuts_per_10s(const cf_feature_track *t) {
    size_t n = 0;
    for (size_t k = 0; k < t->n_hops; k++) n += cf_feat(t, k, CF_FEAT_CUT) > 0;
    return t->n_hops ? 100.0 * (double)n / (double)t->n_hops : 0;
}

/* Mean speech rate over the hops where words are said. */
static double media_rate(const cf_feature_track *t) {
    double sum = 0;
    size_t n = 0;
    for (size_t k = 0; k < t->n_hops; k++)
        if (cf_feat(t, k, CF_FEAT_SPEECH_RATE) > 0) sum += cf_feat(t, k, CF_FEAT_SPEECH_RATE), n++;
    return n ? sum / (double)n : 0;
}

/* "said "goal", "amazing"": the profile's keywords said inside the span, each once, at most 3. */
static void keywords_said(const cf_transcript *tr, const hl_profile *p, const hl_span *s, char *buf,
                          size_t len) {
    int64_t a = (int64_t)s->start * CF_HL_HOP_MS, b = (int64_t)s->end * CF_HL_HOP_MS;
    char said[3][32];
    size_t n = 0, used = (size_t)snprintf(buf, len, "said");
    for (size_t g = 0; tr && p && g < tr->n_segments && n < 3; g++)
        for (size_t i = 0; i < tr->segments[g].n_words && n < 3; i++) {
            const cf_transcript_word *w = &tr->segments[g].words[i];
            if (w->start_ms < a || w->end_ms > b || !hl_keyword_match(p, w->word)) continue;
            char word[32];
            hl_word_normalise(w->word, word, sizeof word);
            bool dup = false;
            for (size_t k = 0; k < n; k++) dup |= strcmp(said[k], word) == 0;
            if (dup) continue;
            memcpy(said[n++], word, sizeof word);
            if (used < len)
                used += (size_t)snprintf(buf + used, len - used, "%s \"%s\"", n > 1 ? "," : "", word);
        }
    if (n == 0) snprintf(buf, len, "keywords of the profile said");
}

static void describe(const cf_feature_track *t, const hl_span *s, int f, const cf_transcript *tr,
                     const hl_profile *p, char *buf, size_t len) {
    double v = span_mean(t, s, f), loud = span_mean(t, s, CF_FEAT_LOUD_REL_LOCAL);
    double secs = (double)(s->end - s->start) * CF_HL_HOP_MS / 1000.0;
    switch (f) {
    case CF_FEAT_EV_SPEECH:
    case CF_FEAT_EV_MUSIC:
    case CF_FEAT_EV_CROWD:
    case CF_FEAT_EV_APPLAUSE:
    case CF_FEAT_EV_LAUGHTER:
    case CF_FEAT_EV_SILENCE:
    case CF_FEAT_EV_NOISE: describe_event(t, s, f - CF_FEAT_EV_SPEECH, buf, len); break;
    case CF_FEAT_CROWD:
        snprintf(buf, len, "crowd noise %+.0f dB over baseline (%.0f%% of the span)", loud, v * 100);
        break;
    case CF_FEAT_EXCITED:
        snprintf(buf, len, "excited speech %+.0f dB over the calm speech around it", loud);
        break;
    case CF_FEAT_EXCITED_VOICE:
    case CF_FEAT_AROUSAL:
        snprintf(buf, len,
                 "excited voice %+.0f dB, pitch %+.0f semitones over the media's speech, %.1f syllables per "
                 "second",
                 loud, span_mean(t, s, CF_FEAT_PITCH_REL), span_mean(t, s, CF_FEAT_SYLLABLE_RATE));
        break;
    case CF_FEAT_PITCH_REL:
        snprintf(buf, len, "voice pitch %+.0f semitones over the media's speech", v);
        break;
    case CF_FEAT_PITCH_RANGE: snprintf(buf, len, "lively intonation: pitch spread %.1f semitones", v); break;
    case CF_FEAT_SYLLABLE_RATE: snprintf(buf, len, "fast speech: %.1f syllables per second", v); break;
    case CF_FEAT_LOUD_REL_LOCAL:
        /* a low-confidence fill may be no louder at all ("-0 dB louder" read as nonsense) */
        if (v < 0.5) snprintf(buf, len, "no louder than the surrounding two minutes");
        else snprintf(buf, len, "%.0f dB louder than the surrounding two minutes", v);
        break;
    case CF_FEAT_LOUD_REL_GLOBAL:
        snprintf(buf, len, "%+.0f dB over the media's loudness (%.0f LUFS)", v, cf_track_own_lufs(t));
        break;
    case CF_FEAT_CUT_RATE:
    case CF_FEAT_CUT:
        snprintf(buf, len, "%d scene cuts in %.0f s (media average %.1f per 10 s)", count_cuts(t, s), secs,
                 media_cuts_per_10s(t));
        break;
    case CF_FEAT_MOTION_REL:
    case CF_FEAT_MOTION:
        snprintf(buf, len, "motion %.1fx the media's median", exp2(span_mean(t, s, CF_FEAT_MOTION_REL)));
        break;
    case CF_FEAT_ONSET_RATE: snprintf(buf, len, "busy sound: %.1f onsets per second", v); break;
    case CF_FEAT_FLUX: snprintf(buf, len, "rapid sound changes (spectral flux %.1f dB)", v); break;
    case CF_FEAT_SPEECH: snprintf(buf, len, "speech %.0f%% of the span", v * 100); break;
    case CF_FEAT_SPEECH_RATE:
        snprintf(buf, len, "fast talk: %.0f words per minute (media average %.0f)", v, media_rate(t));
        break;
    case CF_FEAT_EMPHASIS:
        snprintf(buf, len, "emphatic words, up to %+.0f dB over the speaker's average",
                 span_max(t, s, CF_FEAT_EMPHASIS));
        break;
    case CF_FEAT_KEYWORDS: keywords_said(tr, p, s, buf, len); break;
    default: snprintf(buf, len, "%s %.2f", cf_feature_name(f), v); break;
    }
}

static cf_err add_reason(const cf_feature_track *t, const hl_span *s, int f, const cf_transcript *tr,
                         const hl_profile *p, cf_highlight_span *out, cf_error *err) {
    char buf[160];
    describe(t, s, f, tr, p, buf, sizeof buf);
    if (!(out->reasons[out->n_reasons] = strdup(buf)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "reasons: out of memory");
    out->n_reasons++;
    return CF_OK;
}

/* The debug line: "span 37.7-53.0 s score 0.873: event_laughter 0.42 (laughter), ...; heard: speech
 * 0.00 music 0.02 ...". contrib: each signal's mean evidence times its weight. */
static void log_components(const cf_feature_track *t, const hl_span *s, const hl_signal *signals, size_t n,
                           const double *contrib, const size_t *order) {
    char buf[1024];
    size_t used =
        (size_t)snprintf(buf, sizeof buf, "span %.1f-%.1f s score %.3f:", (double)s->start_ms / 1000,
                         (double)s->end_ms / 1000, s->score);
    for (size_t i = 0; i < n && used < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, " %s %.2f (%s),",
                                 cf_feature_name(signals[order[i]].feature), contrib[order[i]],
                                 signals[order[i]].label);
    for (int c = 0; c < CF_AUDIO_EVENT_CLASS_COUNT && used < sizeof buf; c++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s %s %.2f",
                                 c ? "" : " heard:", cf_audio_event_class_to_string((cf_audio_event_class)c),
                                 span_mean(t, s, CF_FEAT_EV_SPEECH + c));
    cf_log_debug("highlight", "%s", buf);
}

cf_err hl_explain(const cf_feature_track *t, const hl_span *s, const hl_signal *signals, size_t n_signals,
                  const cf_transcript *tr, const hl_profile *p, cf_highlight_span *out, cf_error *err) {
    double contrib[HL_MAX_SIGNALS];
    size_t order[HL_MAX_SIGNALS] = {0}, n = n_signals < HL_MAX_SIGNALS ? n_signals : HL_MAX_SIGNALS;
    span_evidence(t, s, signals, n, contrib);
    for (size_t i = 0; i < n; i++) {
        contrib[i] *= signals[i].weight;
        order[i] = i;
    }
    for (size_t i = 1; i < n; i++) /* insertion sort, at most 16 */
        for (size_t k = i; k > 0 && contrib[order[k]] > contrib[order[k - 1]]; k--) {
            size_t tmp = order[k];
            order[k] = order[k - 1], order[k - 1] = tmp;
        }
    if (cf_log_get_level() == CF_LOG_DEBUG) log_components(t, s, signals, n, contrib, order);
    out->label = strdup(n && contrib[order[0]] > 0 ? signals[order[0]].label : "highlight");
    out->reasons = calloc(MAX_REASONS, sizeof *out->reasons);
    if (!out->label || !out->reasons) return cf_error_set(err, CF_ERR_NO_MEMORY, "reasons: out of memory");
    int seen[CF_FEAT_COUNT] = {0};
    for (size_t i = 0; i < n && out->n_reasons < MAX_REASONS; i++) {
        const hl_signal *g = &signals[order[i]];
        if (contrib[order[i]] < 0.1 || seen[g->feature]++) continue;
        if (add_reason(t, s, g->feature, tr, p, out, err)) return CF_ERR_NO_MEMORY;
    }
    /* a span chosen on weak evidence (a fallback to fill the count) still says what was measured
     * there: its strongest signal, or its loudness against its surroundings */
    if (out->n_reasons == 0)
        return add_reason(t, s,
                          n && contrib[order[0]] > 0 ? signals[order[0]].feature : CF_FEAT_LOUD_REL_LOCAL, tr,
                          p, out, err);
    return CF_OK;
}
