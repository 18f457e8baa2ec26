/* test_engines.c — engines and routing on a synthetic feature track: the heuristic engine finds
 * and explains a crowd eruption, the learned engine loads a model file and names its version,
 * routing falls back when a version is missing or a profile unsupported, malformed data files
 * fail with the field named. */
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

static char *g_dir;

static void set(cf_feature_track *t, size_t lo, size_t hi, int f, float v) {
    for (size_t i = lo; i < hi; i++) t->v[i * CF_FEAT_COUNT + f] = v;
}

/* Calm speech, with a 20 s crowd eruption (+12 dB) at 100 s. */
static cf_feature_track *make_track(void) {
    cf_feature_track *t = calloc(1, sizeof *t);
    t->n_hops = N;
    t->hop_ms = CF_HL_HOP_MS;
    t->duration_ms = N * CF_HL_HOP_MS;
    t->has_audio = t->has_video = true;
    t->integrated_lufs = -23;
    t->v = calloc((size_t)N * CF_FEAT_COUNT, sizeof(float));
    set(t, 0, N, CF_FEAT_SPEECH, 0.8f);
    set(t, 0, N, CF_FEAT_LOUD_M, -24.0f);
    set(t, 1000, 1200, CF_FEAT_CROWD, 0.95f);
    set(t, 1000, 1200, CF_FEAT_SPEECH, 0.05f);
    set(t, 1000, 1200, CF_FEAT_LOUD_REL_LOCAL, 12.0f);
    return t;
}

static void write_file(const char *dir, const char *name, const char *text) {
    char *p = cf_path_join(dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    free(p);
}

static const char *MODEL =
    "{\"model_version\": \"t1\", \"kind\": \"logistic_regression\", \"profiles\": [\"generic\", \"sports\"],"
    " \"inputs\": [{\"feature\": \"crowd\", \"half_hops\": 5, \"mean\": 0.1, \"std\": 0.2},"
    "              {\"feature\": \"loudness_rel_local\", \"half_hops\": 10, \"mean\": 0.5, \"std\": 3.0}],"
    " \"weights\": [3.0, 1.5], \"bias\": -4.0, \"threshold\": 0.5}";

static int setup(void **state) {
    (void)state;
    cf_error err;
    if (cf_make_temp_dir(NULL, "cf-eng-", &g_dir, &err) != CF_OK) return -1;
    write_file(g_dir, "highlight-t1.json", MODEL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    return 0;
}

typedef struct req_ {
    const char *clip_id, *model_version, *detection_profile, *engine;
    int64_t top_n;
} req_;

static char g_note[512];

static cf_err route(const cf_hl_paths *paths, const req_ *r, cf_highlight_detection_result *out,
                    cf_error *err) {
    cf_highlight_detection_request req = {.clip_id = (char *)r->clip_id,
                                          .model_version = (char *)r->model_version};
    cf_feature_track *t = make_track();
    cf_hl_registry *reg = NULL;
    cf_err rc = cf_hl_registry_new(paths, &reg, err);
    assert_int_equal(rc, CF_OK);
    cf_hl_detect_input in = {.track = t, .profile = r->detection_profile, .top_n = r->top_n};
    rc = cf_hl_route(reg, &req, r->engine, &in, out, g_note, sizeof g_note, err);
    cf_hl_registry_free(reg);
    cf_feature_track_free(t);
    return rc;
}

/* Runs the heuristic engine with a profile on a track the caller owns. */
static cf_err detect_with(const cf_hl_detect_input *in, cf_highlight_detection_result *out, cf_error *err) {
    cf_hl_paths paths = {.models_dir = g_dir};
    cf_highlight_detection_request req = {.clip_id = "c"};
    cf_hl_registry *reg = NULL;
    assert_int_equal(cf_hl_registry_new(&paths, &reg, err), CF_OK);
    cf_err rc = cf_hl_route(reg, &req, "heuristic", in, out, NULL, 0, err);
    cf_hl_registry_free(reg);
    return rc;
}

static cf_err detect_on(cf_feature_track *t, const char *profile, cf_highlight_detection_result *out,
                        cf_error *err) {
    cf_hl_detect_input in = {.track = t, .profile = profile, .top_n = 5};
    return detect_with(&in, out, err);
}

/* Speech everywhere (as the classifier says), a still shot: no motion, no cuts. */
/* Whether one of the span's reasons contains text. */
static bool has_reason(const cf_highlight_span *h, const char *text) {
    for (size_t i = 0; i < h->n_reasons; i++)
        if (strstr(h->reasons[i], text)) return true;
    return false;
}

static cf_feature_track *events_track(void) {
    cf_feature_track *t = calloc(1, sizeof *t);
    t->n_hops = N, t->hop_ms = CF_HL_HOP_MS, t->duration_ms = N * CF_HL_HOP_MS;
    t->has_audio = t->has_video = true;
    t->integrated_lufs = -23;
    snprintf(t->events_model, sizeof t->events_model, "audio-events-test");
    t->v = calloc((size_t)N * CF_FEAT_COUNT, sizeof(float));
    set(t, 0, N, CF_FEAT_LOUD_M, -24.0f);
    set(t, 0, N, CF_FEAT_EV_SPEECH, 1.0f);
    return t;
}

/* The same +10 dB stretch: music alone is not a moment, a cheering crowd is, and the reason
 * names the event and how long it lasts. */
static void test_loud_music_alone_is_not_excitement(void **state) {
    (void)state;
    cf_feature_track *t = events_track();
    for (size_t i = 600; i < 800; i++) { /* 60-80 s: loud music with a flat, broadband sound */
        t->v[i * CF_FEAT_COUNT + CF_FEAT_EV_SPEECH] = 0.0f;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_EV_MUSIC] = 1.0f;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_LOUD_REL_LOCAL] = 10.0f;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_CROWD] = 0.6f;
    }
    for (size_t i = 2000; i < 2060; i++) { /* 200-206 s: the crowd cheers */
        t->v[i * CF_FEAT_COUNT + CF_FEAT_EV_SPEECH] = 0.0f;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_EV_CROWD] = 0.95f;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_LOUD_REL_LOCAL] = 10.0f;
        t->v[i * CF_FEAT_COUNT + CF_FEAT_CROWD] = 0.6f;
    }
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(detect_on(t, "generic", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 1);
    assert_true(r.highlights[0].start_ms < 206000 && r.highlights[0].end_ms > 200000);
    assert_string_equal(r.highlights[0].label, "crowd_cheering");
    assert_true(has_reason(&r.highlights[0], "crowd cheering for 6 s"));
    /* the result lists what is heard: speech, music, speech, crowd, speech */
    assert_int_equal(r.n_audio_events, 5);
    assert_int_equal(r.audio_events[1].class, CF_AUDIO_EVENT_CLASS_MUSIC);
    assert_int_equal(r.audio_events[1].start_ms, 60000);
    assert_int_equal(r.audio_events[1].end_ms, 80000);
    assert_int_equal(r.audio_events[3].class, CF_AUDIO_EVENT_CLASS_CROWD);
    cf_highlight_detection_result_free(&r);
    /* without an audio-events model the old rules hold: the loud music is a moment too */
    t->events_model[0] = '\0';
    assert_int_equal(detect_on(t, "generic", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 2);
    assert_int_equal(r.n_audio_events, 0);
    cf_highlight_detection_result_free(&r);
    cf_feature_track_free(t);
}

/* Engine noise the classifier hears as a crowd 60 % and as noise 40 % of the time, 10 dB over the
 * talk, against a crowd heard at only 50 % but with no noise: what is heard as noise that often is
 * in doubt (neither the crowd nor the loudness counts), so only the clean crowd is a moment. */
static void test_crowd_heard_as_noise_too_is_in_doubt(void **state) {
    (void)state;
    cf_feature_track *t = events_track();
    set(t, 500, 700, CF_FEAT_EV_SPEECH, 0.0f); /* 50-70 s: engines */
    set(t, 500, 700, CF_FEAT_EV_CROWD, 0.6f);
    set(t, 500, 700, CF_FEAT_EV_NOISE, 0.4f);
    set(t, 500, 700, CF_FEAT_LOUD_REL_LOCAL, 10.0f);
    set(t, 2000, 2200, CF_FEAT_EV_SPEECH, 0.0f); /* 200-220 s: a crowd */
    set(t, 2000, 2200, CF_FEAT_EV_CROWD, 0.5f);
    set(t, 2000, 2200, CF_FEAT_LOUD_REL_LOCAL, 10.0f);
    cf_highlight_detection_result r;
    cf_error err;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(detect_on(t, k ? "sports" : "generic", &r, &err), CF_OK);
        assert_int_equal(r.n_highlights, 1);
        assert_true(r.highlights[0].start_ms < 220000 && r.highlights[0].end_ms > 200000);
        assert_true(has_reason(&r.highlights[0], "crowd cheering for 20 s"));
        cf_highlight_detection_result_free(&r);
    }
    cf_feature_track_free(t);
}

/* The classifier's belief flickers on engine noise: 1 s heard as a crowd (and no noise), 0.5 s as
 * noise, over and over, 10 dB over the talk. Judged hop by hop the crowd hops would carry a
 * moment; judged over the second around each hop, noise is heard a third of the time and the
 * crowd is in doubt, so only the clean crowd at 200-220 s is a moment. */
static void test_noise_heard_around_a_crowd_puts_it_in_doubt(void **state) {
    (void)state;
    cf_feature_track *t = events_track();
    set(t, 500, 800, CF_FEAT_EV_SPEECH, 0.0f); /* 50-80 s: engines */
    set(t, 500, 800, CF_FEAT_LOUD_REL_LOCAL, 10.0f);
    for (size_t i = 500; i < 800; i += 15) {
        set(t, i, i + 10, CF_FEAT_EV_CROWD, 0.9f);
        set(t, i + 10, i + 15, CF_FEAT_EV_NOISE, 0.9f);
        set(t, i + 10, i + 15, CF_FEAT_EV_CROWD, 0.1f);
    }
    set(t, 2000, 2200, CF_FEAT_EV_SPEECH, 0.0f); /* 200-220 s: a crowd */
    set(t, 2000, 2200, CF_FEAT_EV_CROWD, 0.6f);
    set(t, 2000, 2200, CF_FEAT_LOUD_REL_LOCAL, 10.0f);
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(detect_on(t, "generic", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 1);
    assert_true(r.highlights[0].start_ms < 220000 && r.highlights[0].end_ms > 200000);
    cf_highlight_detection_result_free(&r);
    cf_feature_track_free(t);
}

/* The lecture profile: speech 9 dB louder than the talk around it, in the speaker's own pace, is
 * no emphasis (a microphone moved closer); louder and slower, it is, and the reason says so. */
static void test_lecture_emphasis_is_louder_and_slower(void **state) {
    (void)state;
    cf_feature_track *t = events_track();
    set(t, 1000, 1250, CF_FEAT_LOUD_REL_LOCAL, 9.0f);
    set(t, 1000, 1250, CF_FEAT_EXCITED, 0.6f);
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(detect_on(t, "lecture", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 0);
    cf_highlight_detection_result_free(&r);
    set(t, 1000, 1250, CF_FEAT_SLOWED, 1.0f);
    assert_int_equal(detect_on(t, "lecture", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 1);
    assert_true(r.highlights[0].start_ms <= 103000 && r.highlights[0].end_ms >= 122000);
    assert_string_equal(r.highlights[0].label, "emphasis");
    cf_highlight_detection_result_free(&r);
    cf_feature_track_free(t);
}

/* Speech 9 dB louder than the speech around it, over fast motion: in the speaker's calm voice it
 * is no moment for the generic profile; in a raised voice (arousal) it is, and the reason says
 * how the voice changed. */
static void test_louder_speech_needs_a_raised_voice(void **state) {
    (void)state;
    cf_feature_track *t = events_track();
    set(t, 1000, 1200, CF_FEAT_LOUD_REL_LOCAL, 9.0f);
    set(t, 1000, 1200, CF_FEAT_EXCITED, 0.6f);
    set(t, 1000, 1200, CF_FEAT_MOTION_REL, 3.0f);
    set(t, 1000, 1200, CF_FEAT_AROUSAL, 0.1f);
    set(t, 1000, 1200, CF_FEAT_EXCITED_VOICE, 0.06f);
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(detect_on(t, "generic", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 0);
    cf_highlight_detection_result_free(&r);
    set(t, 1000, 1200, CF_FEAT_AROUSAL, 0.9f);
    set(t, 1000, 1200, CF_FEAT_EXCITED_VOICE, 0.54f);
    set(t, 1000, 1200, CF_FEAT_PITCH_REL, 5.0f);
    assert_int_equal(detect_on(t, "generic", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 1);
    assert_true(r.highlights[0].start_ms <= 102000 && r.highlights[0].end_ms >= 118000);
    assert_true(has_reason(&r.highlights[0], "pitch +5 semitones"));
    cf_highlight_detection_result_free(&r);
    cf_feature_track_free(t);
}

/* Motion alone does not make a moment; motion while the crowd cheers adds to it. */
static void test_motion_counts_when_something_else_agrees(void **state) {
    (void)state;
    cf_feature_track *t = events_track();
    set(t, 500, 700, CF_FEAT_MOTION_REL, 3.0f); /* 50-70 s: fast motion, nothing else */
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(detect_on(t, "sports", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 0);
    cf_highlight_detection_result_free(&r);
    set(t, 500, 700, CF_FEAT_EV_SPEECH, 0.0f);
    set(t, 500, 700, CF_FEAT_EV_CROWD, 0.6f); /* a crowd half-heard: alone under the threshold */
    assert_int_equal(detect_on(t, "sports", &r, &err), CF_OK);
    assert_int_equal(r.n_highlights, 1);
    double with_motion = r.highlights[0].score;
    cf_highlight_detection_result_free(&r);
    set(t, 500, 700, CF_FEAT_MOTION_REL, 0.0f);
    assert_int_equal(detect_on(t, "sports", &r, &err), CF_OK);
    assert_true(r.n_highlights == 0 || r.highlights[0].score < with_motion - 0.1);
    cf_highlight_detection_result_free(&r);
    cf_feature_track_free(t);
}

/* With the threshold at 0 every candidate comes back, the weak ones too: each still says what
 * was measured there (a span without reasons leaves a title and the review with nothing). */
static void test_weak_spans_have_reasons_too(void **state) {
    (void)state;
    cf_feature_track *t = events_track();
    set(t, 500, 700, CF_FEAT_MOTION_REL, 0.3f); /* a little more motion: next to nothing */
    cf_error err;
    cf_hl_detect_input in = {.track = t, .profile = "generic", .top_n = 5, .has_min_score = true};
    cf_highlight_detection_result r;
    assert_int_equal(detect_with(&in, &r, &err), CF_OK);
    assert_true(r.n_highlights >= 1);
    for (size_t i = 0; i < r.n_highlights; i++) {
        assert_true(r.highlights[i].n_reasons >= 1);
        assert_true(strlen(r.highlights[i].reasons[0]) > 0);
        /* nothing measured as "-0 dB louder": a weak span says it is no louder */
        for (size_t k = 0; k < r.highlights[i].n_reasons; k++)
            if (strstr(r.highlights[i].reasons[k], "-0 dB"))
                fail_msg("reason: %s", r.highlights[i].reasons[k]);
    }
    cf_highlight_detection_result_free(&r);
    cf_feature_track_free(t);
}

static void test_heuristic_finds_and_explains_crowd_eruption(void **state) {
    (void)state;
    cf_hl_paths paths = {.models_dir = g_dir};
    req_ req = {.clip_id = "c1", .detection_profile = "sports"};
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(route(&paths, &req, &r, &err), CF_OK);
    assert_string_equal(r.engine, "heuristic");
    assert_string_equal(r.model_version, "heuristic-6");
    assert_string_equal(r.clip_id, "c1");
    assert_int_equal(r.n_highlights, 1);
    assert_in_range(r.highlights[0].start_ms, 99000, 101000);
    assert_in_range(r.highlights[0].end_ms, 119000, 121000);
    assert_string_equal(r.highlights[0].label, "crowd_reaction");
    assert_true(r.n_highlights && r.highlights[0].n_reasons >= 1);
    assert_non_null(strstr(r.highlights[0].reasons[0], "crowd noise +12 dB over baseline"));
    json_t *j = cf_highlight_detection_result_to_json(&r);
    assert_true(json_number_value(json_object_get(json_object_get(j, "confidence_summary"), "candidates")) ==
                1.0);
    assert_string_equal(json_string_value(json_object_get(j, "engine")), "heuristic");
    json_decref(j);
    cf_highlight_detection_result_free(&r);
}

static void test_score_curve_is_per_second_and_follows_the_eruption(void **state) {
    (void)state;
    cf_hl_paths paths = {.models_dir = g_dir};
    req_ req = {.clip_id = "c1", .detection_profile = "sports"};
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(route(&paths, &req, &r, &err), CF_OK);
    const cf_score_curve *c = r.score_curve;
    assert_non_null(c);
    assert_int_equal(c->step_ms, 1000);
    assert_int_equal(c->n_values, N / 10);
    assert_true(c->threshold == 0.5);
    for (size_t i = 0; i < c->n_values; i++) {
        assert_true(c->values[i] * 256 == (double)(int)(c->values[i] * 256)); /* 1/256 steps */
        if (i >= 103 && i < 117) assert_true(c->values[i] > c->threshold);
        if (i < 95 || i >= 125) assert_true(c->values[i] < 0.1);
    }
    json_t *j = cf_highlight_detection_result_to_json(&r);
    cf_highlight_detection_result back;
    assert_int_equal(cf_highlight_detection_result_from_json(j, &back, &err), CF_OK); /* schema-valid */
    assert_int_equal(back.score_curve->n_values, N / 10);
    cf_highlight_detection_result_free(&back);
    json_decref(j);
    cf_highlight_detection_result_free(&r);
}

static void test_learned_loads_model_and_names_version(void **state) {
    (void)state;
    cf_hl_paths paths = {.models_dir = g_dir};
    req_ req = {.detection_profile = "generic", .model_version = "t1"};
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(route(&paths, &req, &r, &err), CF_OK);
    assert_string_equal(r.engine, "learned");
    assert_string_equal(r.model_version, "t1");
    assert_string_equal(g_note, ""); /* heuristic was not asked: learned answered first for t1 */
    assert_int_equal(r.n_highlights, 1);
    assert_in_range(r.highlights[0].start_ms, 98000, 102000);
    cf_highlight_detection_result_free(&r);
}

static void test_routing_falls_back_on_missing_version(void **state) {
    (void)state;
    cf_hl_paths paths = {.models_dir = g_dir};
    req_ req = {.detection_profile = "generic", .model_version = "v999"};
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(route(&paths, &req, &r, &err), CF_OK);
    assert_string_equal(r.engine, "heuristic");
    assert_non_null(g_note);
    assert_non_null(strstr(g_note, "v999"));
    cf_highlight_detection_result_free(&r);
}

static void test_routing_falls_back_on_unsupported_profile(void **state) {
    (void)state;
    cf_hl_paths paths = {.models_dir = g_dir};
    req_ req = {.detection_profile = "music", .engine = "learned"};
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(route(&paths, &req, &r, &err), CF_OK);
    assert_string_equal(r.engine, "heuristic");
    assert_non_null(strstr(g_note, "does not support profile 'music'"));
    cf_highlight_detection_result_free(&r);
}

static void test_unknown_engine_is_a_usage_error(void **state) {
    (void)state;
    cf_hl_paths paths = {.models_dir = g_dir};
    req_ req = {.detection_profile = "generic", .engine = "remote9"};
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(route(&paths, &req, &r, &err), CF_ERR_INVALID_ARGUMENT);
}

static void test_malformed_profile_names_the_field(void **state) {
    (void)state;
    char *pdir = cf_path_join(g_dir, "profiles");
    cf_error err;
    assert_int_equal(cf_mkdir_p(pdir, &err), CF_OK);
    write_file(pdir, "generic.json",
               "{\"signals\": [{\"feature\": \"crowd\", \"weight\": 0.5, \"lo\": 1, \"hi\": 0}],"
               " \"min_score\": 0.5, \"smooth_ms\": 1000, \"min_len_ms\": 5000, \"max_len_ms\": 9000,"
               " \"min_gap_ms\": 0, \"snap_ms\": 0, \"top_n\": 3}");
    cf_hl_paths paths = {.profiles_dir = pdir, .models_dir = pdir};
    req_ req = {.detection_profile = "generic", .engine = "heuristic"};
    cf_highlight_detection_result r;
    assert_int_equal(route(&paths, &req, &r, &err), CF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "signals[0].hi: must be > lo"));
    write_file(pdir, "generic.json",
               "{\"signals\": [{\"feature\": \"crowd\", \"weight\": 0.5, \"lo\": 0, \"hi\": 1,"
               " \"requires\": [\"crowd\"], \"speech_when\": \"voice_arousal\"}],"
               " \"min_score\": 0.5, \"smooth_ms\": 1000, \"min_len_ms\": 5000, \"max_len_ms\": 9000,"
               " \"min_gap_ms\": 0, \"snap_ms\": 0, \"top_n\": 3}");
    assert_int_equal(route(&paths, &req, &r, &err), CF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "signals[0].speech_when: requires must name speech"));
    write_file(pdir, "generic.json",
               "{\"signals\": [{\"feature\": \"crowd\", \"weight\": 0.5, \"lo\": 0, \"hi\": 1,"
               " \"requires\": [\"crowd\", \"noise\"], \"unless\": [\"noise\"]}],"
               " \"min_score\": 0.5, \"smooth_ms\": 1000, \"min_len_ms\": 5000, \"max_len_ms\": 9000,"
               " \"min_gap_ms\": 0, \"snap_ms\": 0, \"top_n\": 3}");
    assert_int_equal(route(&paths, &req, &r, &err), CF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "signals[0].unless: names a class requires names"));
    free(pdir);
}

static void test_malformed_model_is_skipped_with_reason(void **state) {
    (void)state;
    write_file(g_dir, "highlight-bad.json", "{\"inputs\": [], \"weights\": []}");
    cf_hl_paths paths = {.models_dir = g_dir};
    req_ req = {.detection_profile = "generic", .model_version = "bad"};
    cf_highlight_detection_result r;
    cf_error err;
    assert_int_equal(route(&paths, &req, &r, &err), CF_OK);
    assert_string_equal(r.engine, "heuristic");
    assert_non_null(strstr(g_note, "inputs/weights"));
    cf_highlight_detection_result_free(&r);
}

static int g_custom_calls;
static cf_err c_create(const cf_hl_paths *p, void **self, cf_error *e) {
    (void)p, (void)e;
    *self = &g_custom_calls;
    return CF_OK;
}
static void c_destroy(void *self) {
    (void)self;
}
static cf_err c_detect(void *self, const cf_hl_detect_input *in, cf_highlight_detection_result *out,
                       cf_error *err) {
    (void)in, (void)out;
    (*(int *)self)++;
    return cf_error_set(err, CF_ERR_UNAVAILABLE, "remote service down");
}

static void test_registered_engine_is_reached_and_failure_falls_back(void **state) {
    (void)state;
    static const cf_hl_engine_methods custom = {.version = CF_HL_ENGINE_VERSION,
                                                .name = "remote",
                                                .create = c_create,
                                                .destroy = c_destroy,
                                                .detect = c_detect};
    cf_hl_paths paths = {.models_dir = g_dir};
    cf_feature_track *t = make_track();
    cf_hl_registry *reg = NULL;
    cf_error err;
    assert_int_equal(cf_hl_registry_new(&paths, &reg, &err), CF_OK);
    assert_int_equal(cf_hl_registry_add(reg, &custom, &err), CF_OK);
    cf_highlight_detection_request req = {.clip_id = "c2"};
    cf_hl_detect_input in = {.track = t, .profile = "generic"};
    cf_highlight_detection_result r;
    assert_int_equal(cf_hl_route(reg, &req, "remote", &in, &r, g_note, sizeof g_note, &err), CF_OK);
    assert_int_equal(g_custom_calls, 1);
    assert_string_equal(r.engine, "heuristic");
    assert_non_null(strstr(g_note, "remote: remote service down"));
    cf_highlight_detection_result_free(&r);
    cf_hl_registry_free(reg);
    cf_feature_track_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heuristic_finds_and_explains_crowd_eruption),
        cmocka_unit_test(test_weak_spans_have_reasons_too),
        cmocka_unit_test(test_loud_music_alone_is_not_excitement),
        cmocka_unit_test(test_crowd_heard_as_noise_too_is_in_doubt),
        cmocka_unit_test(test_noise_heard_around_a_crowd_puts_it_in_doubt),
        cmocka_unit_test(test_lecture_emphasis_is_louder_and_slower),
        cmocka_unit_test(test_motion_counts_when_something_else_agrees),
        cmocka_unit_test(test_score_curve_is_per_second_and_follows_the_eruption),
        cmocka_unit_test(test_learned_loads_model_and_names_version),
        cmocka_unit_test(test_routing_falls_back_on_missing_version),
        cmocka_unit_test(test_routing_falls_back_on_unsupported_profile),
        cmocka_unit_test(test_unknown_engine_is_a_usage_error),
        cmocka_unit_test(test_louder_speech_needs_a_raised_voice),
        cmocka_unit_test(test_malformed_profile_names_the_field),
        cmocka_unit_test(test_malformed_model_is_skipped_with_reason),
        cmocka_unit_test(test_registered_engine_is_reached_and_failure_falls_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
