/* test_spans.c — span selection on synthetic score curves and tracks: boundaries follow the
 * curve, length bounds hold, boundaries snap to cuts, sentences and pauses (and say so), a
 * target length is aimed for, words are never cut, NMS and top N keep spans apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spans.h"

#define N 6000 /* 10 minutes */

static cf_feature_track *make_track(void) {
    cf_feature_track *t = calloc(1, sizeof *t);
    t->n_hops = N;
    t->hop_ms = CF_HL_HOP_MS;
    t->duration_ms = N * CF_HL_HOP_MS;
    t->has_audio = t->has_video = true;
    t->v = calloc((size_t)N * CF_FEAT_COUNT, sizeof(float));
    return t;
}

static void set(cf_feature_track *t, size_t lo, size_t hi, int f, float v) {
    for (size_t i = lo; i < hi; i++) t->v[i * CF_FEAT_COUNT + f] = v;
}

static float *curve(void) {
    float *s = malloc(N * sizeof *s);
    for (size_t i = 0; i < N; i++) s[i] = 0.05f;
    return s;
}

static void plateau(float *s, size_t lo, size_t hi, float v) {
    for (size_t i = lo; i < hi; i++) s[i] = v;
}

static const hl_span_params P = {.min_score = 0.5,
                                 .smooth_ms = 2000,
                                 .min_len_ms = 10000,
                                 .max_len_ms = 60000,
                                 .min_gap_ms = 5000,
                                 .snap_ms = 2500,
                                 .top_n = 5};

static hl_span *select_(const float *s, const cf_feature_track *t, const cf_hl_word *w, size_t nw, size_t top,
                        size_t *n) {
    hl_span *out = NULL;
    hl_span_stats st;
    cf_error err;
    assert_int_equal(hl_select_spans(s, t, w, nw, NULL, &P, top, &out, n, &st, NULL, &err), CF_OK);
    return out;
}

static void test_plateau_becomes_one_span_with_its_bounds(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    float *s = curve();
    plateau(s, 3000, 3250, 0.9f);
    size_t n;
    hl_span *sp = select_(s, t, NULL, 0, 5, &n);
    assert_int_equal(n, 1);
    assert_in_range(sp[0].start, 2995, 3005);
    assert_in_range(sp[0].end, 3245, 3255);
    assert_true(sp[0].score > 0.8 && sp[0].score <= 1.0);
    free(sp), free(s), cf_feature_track_free(t);
}

static void test_length_bounds_hold(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    float *s = curve();
    plateau(s, 1000, 1030, 0.9f); /* 3 s: grows to 10 s */
    plateau(s, 3000, 4500, 0.8f); /* 150 s: cut to 60 s */
    size_t n;
    hl_span *sp = select_(s, t, NULL, 0, 5, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_in_range(sp[i].end - sp[i].start, 100, 600);
        if (sp[i].start < 2000) assert_true(sp[i].start <= 1000 && sp[i].end >= 1030);
        else assert_true(sp[i].start >= 3000 && sp[i].end <= 4500);
    }
    free(sp), free(s), cf_feature_track_free(t);
}

static void test_boundaries_snap_to_scene_cuts(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    set(t, 2985, 2986, CF_FEAT_CUT, 0.9f);
    set(t, 3262, 3263, CF_FEAT_CUT, 0.9f);
    set(t, 3100, 3101, CF_FEAT_CUT, 0.9f); /* inside: not a boundary */
    float *s = curve();
    plateau(s, 3000, 3250, 0.9f);
    size_t n;
    hl_span *sp = select_(s, t, NULL, 0, 5, &n);
    assert_int_equal(n, 1);
    assert_int_equal(sp[0].start, 2985);
    assert_int_equal(sp[0].end, 3262);
    free(sp), free(s), cf_feature_track_free(t);
}

static void test_boundaries_move_to_pauses_when_speech_runs_across(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    set(t, 0, N, CF_FEAT_SPEECH, 0.9f);
    set(t, 2980, 2984, CF_FEAT_SPEECH, 0.0f); /* a pause 2 s before the start */
    set(t, 3270, 3273, CF_FEAT_SILENCE, 1.0f);
    set(t, 3270, 3273, CF_FEAT_SPEECH, 0.0f); /* and one 2 s after the end */
    float *s = curve();
    plateau(s, 3000, 3250, 0.9f);
    size_t n;
    hl_span *sp = select_(s, t, NULL, 0, 5, &n);
    assert_int_equal(n, 1);
    assert_in_range(sp[0].start, 2980, 2983);
    assert_in_range(sp[0].end, 3271, 3273);
    free(sp), free(s), cf_feature_track_free(t);
}

static void test_words_are_never_cut(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    float *s = curve();
    plateau(s, 3000, 3250, 0.9f);
    cf_hl_word words[] = {{299500, 300600}, {324700, 325400}};
    size_t n;
    hl_span *sp = select_(s, t, words, 2, 5, &n);
    assert_int_equal(n, 1);
    assert_true(sp[0].start * 100 <= 299500);
    assert_true(sp[0].end * 100 >= 325400);
    free(sp), free(s), cf_feature_track_free(t);
}

/* Sentences of 2.4 s (six words of 400 ms) every 3 s from 1 s, one segment each: the last word
 * of every third sentence ends in '.', the segments split at every sentence. */
#define SENTENCES 190
static cf_transcript *sentences(cf_hl_word **words, size_t *n_words) {
    cf_transcript *tr = calloc(1, sizeof *tr);
    tr->segments = calloc(SENTENCES, sizeof *tr->segments);
    tr->n_segments = SENTENCES;
    *words = calloc(SENTENCES * 6, sizeof **words);
    *n_words = 0;
    for (size_t g = 0; g < SENTENCES; g++) {
        cf_transcript_segment *seg = &tr->segments[g];
        seg->words = calloc(6, sizeof *seg->words);
        seg->n_words = 6;
        for (size_t i = 0; i < 6; i++) {
            int64_t a = 1000 + (int64_t)g * 3000 + (int64_t)i * 400;
            seg->words[i] = (cf_transcript_word){
                .word = strdup(i == 5 ? "word." : "word"), .start_ms = a, .end_ms = a + 400};
            (*words)[(*n_words)++] = (cf_hl_word){a, a + 400};
        }
        seg->start_ms = seg->words[0].start_ms, seg->end_ms = seg->words[5].end_ms;
    }
    return tr;
}

static hl_span *select_with(const float *s, const cf_feature_track *t, const cf_hl_word *w, size_t nw,
                            const cf_transcript *tr, const hl_span_params *p, size_t *n) {
    hl_span *out = NULL;
    hl_span_stats st;
    cf_error err;
    assert_int_equal(hl_select_spans(s, t, w, nw, tr, p, 5, &out, n, &st, NULL, &err), CF_OK);
    return out;
}

static void test_edges_on_sentences_within_the_limits(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    set(t, 0, N, CF_FEAT_SPEECH, 0.9f);
    float *s = curve();
    plateau(s, 3000, 3250, 0.9f); /* a 25 s moment; asked for 12..20 s, 15 s preferred */
    plateau(s, 1000, 1030, 0.9f); /* a 3 s one */
    size_t nw, n;
    cf_hl_word *w;
    cf_transcript *tr = sentences(&w, &nw);
    hl_span_params p = P;
    p.min_len_ms = 12000, p.max_len_ms = 20000, p.target_len_ms = 15000;
    hl_span *sp = select_with(s, t, w, nw, tr, &p, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        int64_t len = sp[i].end_ms - sp[i].start_ms;
        assert_in_range(len, 12000, 20000);
        assert_in_range(len, 15000 - 3000, 15000 + 3000); /* within a sentence of the target */
        assert_int_equal(sp[i].start_why, CF_SPAN_BOUNDARY_REASON_SENTENCE_START);
        assert_int_equal(sp[i].end_why, CF_SPAN_BOUNDARY_REASON_SENTENCE_END);
        /* in the 600 ms gaps between sentences: 150 ms before a first word, after a last */
        assert_int_equal((sp[i].start_ms - 1000 + 150) % 3000, 0);
        assert_int_equal((sp[i].end_ms - 3400 - 150) % 3000, 0);
    }
    free(sp);
    /* without a transcript's sentences, the words' pauses; without words, the silences */
    sp = select_with(s, t, w, nw, NULL, &p, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sp[i].start_why, CF_SPAN_BOUNDARY_REASON_PAUSE);
        assert_int_equal(sp[i].end_why, CF_SPAN_BOUNDARY_REASON_PAUSE);
        assert_in_range(sp[i].end_ms - sp[i].start_ms, 12000, 20000);
    }
    free(sp);
    cf_transcript_free(tr), free(tr), free(w);
    free(s), cf_feature_track_free(t);
}

static void test_limits_hold_when_no_place_fits(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    set(t, 0, N, CF_FEAT_SPEECH, 0.9f); /* speech without a pause anywhere */
    float *s = curve();
    plateau(s, 3000, 3250, 0.9f);
    cf_hl_word w[] = {{299000, 299900}, {299900, 300800}, {309900, 310700}, {310700, 311500}};
    hl_span_params p = P;
    p.min_len_ms = 10000, p.max_len_ms = 10500, p.snap_ms = 500;
    size_t n;
    hl_span *sp = select_with(s, t, w, 4, NULL, &p, &n);
    assert_int_equal(n, 1);
    assert_in_range(sp[0].end_ms - sp[0].start_ms, 10000, 10500);
    for (size_t i = 0; i < 4; i++) { /* never inside a word */
        assert_false(sp[0].start_ms > w[i].start_ms && sp[0].start_ms < w[i].end_ms);
        assert_false(sp[0].end_ms > w[i].start_ms && sp[0].end_ms < w[i].end_ms);
    }
    free(sp), free(s), cf_feature_track_free(t);
}

static void test_top_n_is_diverse_and_ranked(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    float *s = curve();
    plateau(s, 1000, 1200, 0.95f);
    plateau(s, 1230, 1300, 0.6f); /* overlaps the first once grown: suppressed */
    plateau(s, 3000, 3200, 0.85f);
    plateau(s, 5000, 5200, 0.7f);
    size_t n;
    hl_span *sp = select_(s, t, NULL, 0, 2, &n);
    assert_int_equal(n, 2);
    assert_true(sp[0].score >= sp[1].score);
    assert_in_range(sp[0].start, 990, 1010);
    assert_in_range(sp[1].start, 2990, 3010);
    free(sp), free(s), cf_feature_track_free(t);
}

static void test_calm_media_has_no_span(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    float *s = curve();
    plateau(s, 2000, 2300, 0.4f); /* under min_score */
    size_t n;
    hl_span *sp = select_(s, t, NULL, 0, 5, &n);
    assert_int_equal(n, 0);
    free(sp), free(s), cf_feature_track_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plateau_becomes_one_span_with_its_bounds),
        cmocka_unit_test(test_length_bounds_hold),
        cmocka_unit_test(test_boundaries_snap_to_scene_cuts),
        cmocka_unit_test(test_boundaries_move_to_pauses_when_speech_runs_across),
        cmocka_unit_test(test_words_are_never_cut),
        cmocka_unit_test(test_top_n_is_diverse_and_ranked),
        cmocka_unit_test(test_calm_media_has_no_span),
        cmocka_unit_test(test_edges_on_sentences_within_the_limits),
        cmocka_unit_test(test_limits_hold_when_no_place_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
