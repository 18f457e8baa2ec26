/* test_features.c — feature extraction: calibrated loudness, spectral shape, one decode pass
 * over generated media, the on-disk cache, and clean failures on bad input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libavutil/log.h>

#include "audio_analysis.h"
#include "clipforge/fs.h"
#include "clipforge/highlight.h"

static char *g_dir, *g_media;

typedef struct collect {
    audio_hop hops[64];
    int n;
} collect;

static void on_hop(void *user, const audio_hop *h) {
    collect *c = user;
    if (c->n < 64) c->hops[c->n++] = *h;
}

static void push_signal(collect *c, float (*gen)(int), int n) {
    audio_analyzer *a = NULL;
    cf_error err;
    assert_int_equal(audio_analyzer_new(on_hop, c, &a, &err), CF_OK);
    float buf[CF_AUDIO_HOP];
    for (int i = 0; i < n; i += CF_AUDIO_HOP) {
        for (int k = 0; k < CF_AUDIO_HOP; k++) buf[k] = gen(i + k);
        audio_analyzer_push(a, buf, CF_AUDIO_HOP);
    }
    audio_analyzer_free(a);
}

static float sine_1k(int i) { return 0.1f * sinf(2.0f * (float)M_PI * 1000.0f * i / CF_AUDIO_RATE); }
static float noise(int i) {
    (void)i;
    return 0.2f * ((float)rand() / RAND_MAX - 0.5f);
}

/* A 1 kHz sine at -20 dBFS peak reads -23.0 LUFS (BS.1770: +0.69 dB K-gain at 1 kHz, -0.691). */
static void test_loudness_of_sine_is_calibrated(void **state) {
    (void)state;
    collect c = {0};
    push_signal(&c, sine_1k, CF_AUDIO_RATE * 3);
    assert_true(c.n >= 29);
    double lufs = cf_lufs_from_power(c.hops[20].kpower);
    assert_true(fabs(lufs - (-23.0)) < 0.3);
    assert_true(c.hops[20].flatness < 0.05); /* a tone is as far from flat as it gets */
    assert_true(c.hops[20].zcr > 0.12 && c.hops[20].zcr < 0.13); /* 2000 crossings / 16000 */
}

static void test_white_noise_is_flat_and_broadband(void **state) {
    (void)state;
    srand(7);
    collect c = {0};
    push_signal(&c, noise, CF_AUDIO_RATE * 2);
    assert_true(c.hops[10].flatness > 0.35); /* tilted +3 dB/octave, white reads a little less flat */
    assert_true(c.hops[10].high_ratio > 0.4);   /* 3.4-8 kHz holds ~58% of white noise */
    assert_true(c.hops[10].speech_ratio < 0.45);
}

static int run(const char *cmd) {
    int rc = system(cmd);
    return rc;
}

static int setup(void **state) {
    (void)state;
    cf_error err;
    if (cf_make_temp_dir(NULL, "cf-feat-", &g_dir, &err) != CF_OK) return -1;
    g_media = cf_path_join(g_dir, "burst.mp4");
    char cmd[2048];
    /* 20 s: a test pattern, then a hard cut to white at 10 s; a quiet tone with a 3 s loud
     * white-noise burst from 12 s (crowd-like). */
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=s=160x90:r=25:d=20 "
             "-f lavfi -i sine=f=440:d=20 -f lavfi -i anoisesrc=d=3:c=white:a=0.4 "
             "-filter_complex \"[0]drawbox=enable='gte(t,10)':c=white:t=fill[v];"
             "[1]volume=0.3[t];[2]adelay=12000:all=1[n];[t][n]amix=inputs=2:normalize=0[a]\" "
             "-map [v] -map [a] -c:v libx264 -preset ultrafast -c:a aac -ar 48000 %s",
             g_media);
    return run(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    free(g_media);
    return 0;
}

static void test_one_pass_finds_cut_and_crowd_burst(void **state) {
    (void)state;
    cf_feature_track *t = NULL;
    cf_error err;
    cf_feature_options o = {.threads = 2};
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &t, &err), CF_OK);
    assert_true(t->has_audio && t->has_video);
    assert_true(t->n_hops >= 199 && t->n_hops <= 201);
    assert_true(t->duration_ms >= 19900 && t->duration_ms <= 20100);
    /* exactly one cut, at 10 s */
    int cuts = 0;
    size_t cut_hop = 0;
    for (size_t i = 0; i < t->n_hops; i++)
        if (cf_feat(t, i, CF_FEAT_CUT) > 0) cuts++, cut_hop = i;
    assert_int_equal(cuts, 1);
    assert_true(cut_hop >= 99 && cut_hop <= 101);
    assert_true(cf_feat(t, 100, CF_FEAT_CUT_RATE) >= 0.99f);
    assert_true(cf_feat(t, 30, CF_FEAT_CUT_RATE) < 0.01f);
    /* the burst: crowd-like, far over the local baseline; the tone before it is neither */
    assert_true(cf_feat(t, 135, CF_FEAT_CROWD) > 0.8f);
    assert_true(cf_feat(t, 135, CF_FEAT_LOUD_REL_LOCAL) > 10.0f);
    assert_true(cf_feat(t, 50, CF_FEAT_CROWD) < 0.1f);
    assert_true(fabsf(cf_feat(t, 50, CF_FEAT_LOUD_REL_LOCAL)) < 2.0f);
    assert_true(cf_feat(t, 50, CF_FEAT_SILENCE) == 0.0f);
    assert_true(cf_feat(t, 50, CF_FEAT_MOTION) > 0.5f);  /* testsrc2 moves */
    assert_true(cf_feat(t, 150, CF_FEAT_MOTION) < 0.1f); /* white does not */
    assert_true(cf_feat(t, 150, CF_FEAT_BRIGHTNESS) > 230.0f);
    assert_false(t->from_cache);
    cf_feature_track_free(t);
}

static void test_cache_hit_skips_decode(void **state) {
    (void)state;
    char *cache = cf_path_join(g_dir, "cache");
    cf_feature_options o = {.threads = 1, .cache_dir = cache};
    cf_feature_track *a = NULL, *b = NULL;
    cf_error err;
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &a, &err), CF_OK);
    assert_false(a->from_cache);
    char *file = cf_feature_cache_path(cache, g_media);
    assert_non_null(file);
    assert_int_equal(access(file, R_OK), 0);
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &b, &err), CF_OK);
    assert_true(b->from_cache);
    assert_true(b->decode_ms == 0);
    assert_int_equal(a->n_hops, b->n_hops);
    assert_memory_equal(a->v, b->v, a->n_hops * CF_FEAT_COUNT * sizeof(float));
    /* a truncated cache file is a miss, not an error */
    truncate(file, 40);
    cf_feature_track_free(b);
    assert_int_equal(cf_features_extract(g_media, &o, NULL, &b, &err), CF_OK);
    assert_false(b->from_cache);
    cf_feature_track_free(a);
    cf_feature_track_free(b);
    free(file);
    free(cache);
}

static void test_bad_media_fails_cleanly(void **state) {
    (void)state;
    cf_feature_track *t = NULL;
    cf_error err;
    char *junk = cf_path_join(g_dir, "junk.mp4");
    FILE *f = fopen(junk, "w");
    fputs("this is not a video file at all, just text\n", f);
    fclose(f);
    assert_int_equal(cf_features_extract(junk, NULL, NULL, &t, &err), CF_ERR_INVALID_MEDIA);
    assert_null(t);
    assert_non_null(strstr(err.msg, "junk.mp4"));
    char *missing = cf_path_join(g_dir, "missing.mp4");
    assert_int_equal(cf_features_extract(missing, NULL, NULL, &t, &err), CF_ERR_NOT_FOUND);
    free(junk);
    free(missing);
}

static void test_cancel_stops_the_pass(void **state) {
    (void)state;
    cf_progress p;
    cf_progress_init(&p, NULL, NULL);
    cf_progress_cancel(&p);
    cf_feature_track *t = NULL;
    cf_error err;
    assert_int_equal(cf_features_extract(g_media, NULL, &p, &t, &err), CF_ERR_CANCELLED);
    assert_null(t);
}

int main(void) {
    av_log_set_level(AV_LOG_QUIET);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loudness_of_sine_is_calibrated),
        cmocka_unit_test(test_white_noise_is_flat_and_broadband),
        cmocka_unit_test(test_one_pass_finds_cut_and_crowd_burst),
        cmocka_unit_test(test_cache_hit_skips_decode),
        cmocka_unit_test(test_bad_media_fails_cleanly),
        cmocka_unit_test(test_cancel_stops_the_pass),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
