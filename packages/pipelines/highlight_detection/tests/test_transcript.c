/* test_transcript.c — what a transcript changes in detection, on a synthetic feature track of
 * five minutes of speech with two excited passages: the profile's keywords said in the weaker
 * passage lift it above the stronger one (and the reasons quote them), span boundaries fall in
 * pauses between words and never inside a word, detection without a transcript is unchanged,
 * and a malformed keywords list in a profile names the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clipforge/fs.h"
#include "clipforge/highlight.h"

#define N 3000 /* 5 minutes */
#define WORD_MS 320
#define GAP_MS 80
#define PAUSE_MS 700
#define WORDS_PER_PHRASE 12

static void set(cf_feature_track *t, size_t lo, size_t hi, int f, float v) {
    for (size_t i = lo; i < hi; i++) t->v[i * CF_FEAT_COUNT + f] = v;
}

/* Calm speech; excited passages (louder, in a raised voice) at 60-80 s (stronger) and 180-200 s
 * (weaker). */
static cf_feature_track *make_track(void) {
    cf_feature_track *t = calloc(1, sizeof *t);
    t->n_hops = N;
    t->hop_ms = CF_HL_HOP_MS;
    t->duration_ms = N * CF_HL_HOP_MS;
    t->has_audio = true;
    t->v = calloc((size_t)N * CF_FEAT_COUNT, sizeof(float));
    set(t, 0, N, CF_FEAT_SPEECH, 0.8f);
    set(t, 0, N, CF_FEAT_LOUD_M, -24.0f);
    set(t, 600, 800, CF_FEAT_EXCITED, 0.5f);
    set(t, 600, 800, CF_FEAT_LOUD_REL_LOCAL, 7.0f);
    set(t, 1800, 2000, CF_FEAT_EXCITED, 0.45f);
    set(t, 1800, 2000, CF_FEAT_LOUD_REL_LOCAL, 6.5f);
    set(t, 600, 800, CF_FEAT_AROUSAL, 0.7f);
    set(t, 600, 800, CF_FEAT_EXCITED_VOICE, 0.35f);
    set(t, 1800, 2000, CF_FEAT_AROUSAL, 0.67f);
    set(t, 1800, 2000, CF_FEAT_EXCITED_VOICE, 0.3f);
    return t;
}

/* Phrases of 12 words (320 ms, 80 ms apart) with 700 ms pauses between them, 150 words per
 * minute; words starting inside [kw_from, kw_to) ms are "amazing" / "incredible". */
static void make_transcript(cf_transcript *tr, int64_t kw_from, int64_t kw_to) {
    json_t *words = json_array();
    int64_t t = 500;
    for (int i = 0; t + WORD_MS < N * CF_HL_HOP_MS; i++) {
        const char *w = t >= kw_from && t < kw_to ? (i % 2 ? "Amazing!" : "incredible,") : "and";
        json_array_append_new(words, json_pack("{s:s, s:I, s:I, s:f}", "word", w, "start_ms", (json_int_t)t,
                                               "end_ms", (json_int_t)(t + WORD_MS), "confidence", 0.9));
        t += WORD_MS + ((i + 1) % WORDS_PER_PHRASE ? GAP_MS : PAUSE_MS);
    }
    json_t *j = json_pack("{s:s, s:s, s:I, s:[{s:I, s:I, s:s, s:o}]}", "language", "en-us", "model", "test",
                          "duration_ms", (json_int_t)N * CF_HL_HOP_MS, "segments", "start_ms", (json_int_t)0,
                          "end_ms", (json_int_t)N * CF_HL_HOP_MS, "text", "", "words", words);
    cf_error err;
    assert_int_equal(cf_transcript_from_json(j, tr, &err), CF_OK);
    json_decref(j);
}

/* Detection over the synthetic track with the podcast profile, with tr when given. */
static void detect(const cf_transcript *tr, const char *profiles_dir, cf_highlight_detection_result *r,
                   cf_err want) {
    cf_feature_track *t = make_track();
    cf_speech_features sf = {0};
    cf_error err;
    if (tr) {
        cf_speech_features_options o = {.hop_ms = CF_HL_HOP_MS};
        assert_int_equal(cf_speech_features_compute(tr, NULL, 0, &o, &sf, &err), CF_OK);
    }
    cf_hl_options opts = {.paths = {.profiles_dir = profiles_dir},
                          .engine = "heuristic",
                          .transcript = tr,
                          .speech = tr ? &sf : NULL};
    cf_highlight_detection_request req = {
        .clip_id = "c", .media_uri = "synthetic.mp4", .detection_profile = CF_DETECTION_PROFILE_PODCAST};
    assert_int_equal(cf_highlight_detect_track(&req, &opts, t, r, &err), want);
    cf_speech_features_free(&sf);
    cf_feature_track_free(t);
}

static bool near(int64_t ms, int64_t target) {
    return ms > target - 5000 && ms < target + 5000;
}

static void test_keywords_lift_the_passage_where_they_are_said(void **state) {
    (void)state;
    cf_highlight_detection_result plain, with;
    detect(NULL, NULL, &plain, CF_OK);
    assert_true(plain.n_highlights >= 2);
    assert_true(near(plain.highlights[0].start_ms, 60000)); /* the stronger passage first */
    assert_true(near(plain.highlights[1].start_ms, 180000));
    cf_transcript tr;
    make_transcript(&tr, 182000, 198000);
    detect(&tr, NULL, &with, CF_OK);
    assert_true(with.n_highlights >= 2);
    assert_true(near(with.highlights[0].start_ms, 180000)); /* keywords said: now it leads */
    assert_true(with.highlights[0].score > plain.highlights[1].score + 0.1);
    bool quoted = false;
    for (size_t i = 0; i < with.highlights[0].n_reasons; i++) /* each keyword once, as a word */
        quoted |= !strncmp(with.highlights[0].reasons[i], "said \"", 6) &&
                  strstr(with.highlights[0].reasons[i], "\"amazing\"") &&
                  strstr(with.highlights[0].reasons[i], "\"incredible\"") &&
                  strlen(with.highlights[0].reasons[i]) == strlen("said \"amazing\", \"incredible\"");
    assert_true(quoted);
    /* the other passage scores about as before (its edges move to pauses, which moves its mean a
     * little): the transcript adds, it does not take away */
    assert_true(with.highlights[1].score >= plain.highlights[0].score - 0.05);
    cf_transcript_free(&tr);
    cf_highlight_detection_result_free(&plain);
    cf_highlight_detection_result_free(&with);
}

static void test_boundaries_fall_in_pauses_never_inside_words(void **state) {
    (void)state;
    cf_transcript tr;
    make_transcript(&tr, 0, 0);
    cf_highlight_detection_result r;
    detect(&tr, NULL, &r, CF_OK);
    assert_true(r.n_highlights >= 2);
    const cf_transcript_segment *s = &tr.segments[0];
    for (size_t h = 0; h < r.n_highlights; h++) {
        int64_t edges[2] = {r.highlights[h].start_ms, r.highlights[h].end_ms};
        for (int e = 0; e < 2; e++) {
            bool in_pause = false;
            for (size_t i = 0; i < s->n_words; i++) {
                const cf_transcript_word *w = &s->words[i];
                if (edges[e] > w->start_ms && edges[e] < w->end_ms)
                    fail_msg("span %zu edge %lld ms inside word %zu [%lld, %lld]", h, (long long)edges[e], i,
                             (long long)w->start_ms, (long long)w->end_ms);
                int64_t next = i + 1 < s->n_words ? s->words[i + 1].start_ms : INT64_MAX;
                in_pause |= next - w->end_ms >= 300 && edges[e] >= w->end_ms && edges[e] <= next;
            }
            if (!in_pause) fail_msg("span %zu edge %lld ms is not in a pause", h, (long long)edges[e]);
        }
    }
    cf_transcript_free(&tr);
    cf_highlight_detection_result_free(&r);
}

static void test_malformed_keywords_name_the_field(void **state) {
    (void)state;
    char *dir = NULL;
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cf-kw-", &dir, &err), CF_OK);
    char *file = cf_path_join(dir, "podcast.json");
    FILE *f = fopen(file, "w");
    fputs("{\"signals\": [{\"feature\": \"keywords\", \"weight\": 0.5, \"lo\": 0, \"hi\": 2}],"
          " \"keywords\": [\"fine\", \"Two Words\"], \"min_score\": 0.5, \"smooth_ms\": 1000,"
          " \"min_len_ms\": 5000, \"max_len_ms\": 9000, \"min_gap_ms\": 0, \"snap_ms\": 0, \"top_n\": 3}",
          f);
    fclose(f);
    cf_highlight_detection_result r;
    cf_feature_track *t = make_track();
    cf_hl_options opts = {.paths = {.profiles_dir = dir}, .engine = "heuristic"};
    cf_highlight_detection_request req = {
        .clip_id = "c", .media_uri = "synthetic.mp4", .detection_profile = CF_DETECTION_PROFILE_PODCAST};
    assert_int_equal(cf_highlight_detect_track(&req, &opts, t, &r, &err), CF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "keywords[1]"));
    cf_feature_track_free(t);
    cf_remove_tree(dir, &err);
    free(file);
    free(dir);
}

static void test_unreadable_transcript_fails_naming_it(void **state) {
    (void)state;
    cf_feature_track *t = make_track();
    cf_highlight_detection_result r;
    cf_error err;
    cf_highlight_detection_request req = {
        .clip_id = "c", .media_uri = "synthetic.mp4", .transcript_uri = "/nonexistent/t.srt"};
    assert_int_equal(cf_highlight_detect_track(&req, NULL, t, &r, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "transcript_uri"));
    req.transcript_uri = "s3://bucket/t.json";
    assert_int_equal(cf_highlight_detect_track(&req, NULL, t, &r, &err), CF_ERR_INVALID_ARGUMENT);
    cf_feature_track_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keywords_lift_the_passage_where_they_are_said),
        cmocka_unit_test(test_boundaries_fall_in_pauses_never_inside_words),
        cmocka_unit_test(test_malformed_keywords_name_the_field),
        cmocka_unit_test(test_unreadable_transcript_fails_naming_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
