/* Video measurements when the decoder returns only some of the pictures: motion per frame
 * interval, cuts at their time, and the whole pass over a file with non-reference B-frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <math.h>

#include "clipforge/fs.h"
#include "clipforge/highlight.h"
#include "video_analysis.h"

#define FRAME_MS 40.0 /* 25 fps */

static char *g_dir;

/* A 256x144 gray picture whose luma rises by one level per frame from a horizontal ramp, with a
 * flat white picture from frame `cut_at` on (cut_at < 0: never). */
static AVFrame *picture(int frame, int cut_at) {
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->format = AV_PIX_FMT_GRAY8;
    f->width = 256;
    f->height = 144;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++)
            f->data[0][y * f->linesize[0] + x] =
                (uint8_t)(cut_at >= 0 && frame >= cut_at ? 250 : 40 + x / 4 + frame);
    return f;
}

/* Mean motion over frames 0..n-1 analysed every `step`-th frame, and the frame of the one cut. */
static float motion_every(int step, int n, int cut_at, int *cut_frame) {
    video_analyzer *v = NULL;
    cf_error err;
    assert_int_equal(hl_video_analyzer_new(&v, FRAME_MS, &err), CF_OK);
    double sum = 0;
    int counted = 0;
    *cut_frame = -1;
    for (int i = 0; i < n; i += step) {
        AVFrame *f = picture(i, cut_at);
        video_frame_stats s;
        assert_int_equal(hl_video_analyzer_push(v, f, i * FRAME_MS, &s, &err), CF_OK);
        if (s.is_cut) *cut_frame = i;
        else if (i > 0) sum += s.motion, counted++;
        av_frame_free(&f);
    }
    hl_video_analyzer_free(v);
    return counted ? (float)(sum / counted) : 0;
}

static void test_motion_counts_per_frame_interval(void **state) {
    (void)state;
    int cut;
    float every = motion_every(1, 60, -1, &cut);
    assert_true(fabsf(every - 1.0f) < 0.05f); /* one level per frame */
    assert_true(fabsf(motion_every(2, 60, -1, &cut) - every) < 0.05f);
    assert_true(fabsf(motion_every(3, 60, -1, &cut) - every) < 0.05f);
    assert_int_equal(cut, -1);
}

static void test_cut_is_found_between_skipped_frames(void **state) {
    (void)state;
    int cut;
    motion_every(1, 60, 31, &cut);
    assert_int_equal(cut, 31);
    motion_every(2, 60, 31, &cut);
    assert_int_equal(cut, 32); /* the first frame analysed after it */
}

/* Unknown frame rate: every step counts as one interval, as before skipping existed. */
static void test_unknown_rate_counts_steps(void **state) {
    (void)state;
    video_analyzer *v = NULL;
    cf_error err;
    assert_int_equal(hl_video_analyzer_new(&v, 0, &err), CF_OK);
    video_frame_stats s;
    AVFrame *a = picture(0, -1), *b = picture(2, -1);
    assert_int_equal(hl_video_analyzer_push(v, a, 0, &s, &err), CF_OK);
    assert_int_equal(hl_video_analyzer_push(v, b, 2 * FRAME_MS, &s, &err), CF_OK);
    assert_true(fabsf(s.motion - 2.0f) < 0.05f);
    av_frame_free(&a), av_frame_free(&b);
    hl_video_analyzer_free(v);
}

static char *encode(const char *name, const char *size, const char *codec) {
    char *path = cf_path_join(g_dir, name);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=s=%s:r=25:d=12 "
             "-f lavfi -i sine=f=440:d=12 -vf \"drawbox=enable='gte(t,6)':c=white:t=fill\" "
             "%s -c:a aac %s",
             size, codec, path);
    assert_int_equal(system(cmd), 0);
    return path;
}

static cf_feature_track *extract(const char *path) {
    cf_feature_track *t = NULL;
    cf_error err;
    cf_feature_options o = {.threads = 2};
    assert_int_equal(cf_features_extract(path, &o, NULL, &t, &err), CF_OK);
    return t;
}

static float mean_motion(const cf_feature_track *t, size_t from, size_t to) {
    double s = 0;
    for (size_t i = from; i < to; i++) s += cf_feat(t, i, CF_FEAT_MOTION);
    return (float)(s / (double)(to - from));
}

static size_t cut_hop(const cf_feature_track *t) {
    for (size_t i = 0; i < t->n_hops; i++)
        if (cf_feat(t, i, CF_FEAT_CUT) > 0) return i;
    return 0;
}

/* The same pictures with and without non-reference B-frames (which the pass skips) give the
 * same motion and the same cut. */
static void test_pass_over_b_frames_keeps_motion_and_cuts(void **state) {
    (void)state;
    char *all = encode("p.mp4", "320x180", "-c:v libx264 -preset ultrafast");
    char *bfr = encode("b.mp4", "320x180", "-c:v libx264 -preset medium -bf 1 -b_strategy 0");
    cf_feature_track *a = extract(all), *b = extract(bfr);
    assert_int_equal(a->n_hops, b->n_hops);
    float ma = mean_motion(a, 10, 55), mb = mean_motion(b, 10, 55);
    assert_true(ma > 0.5f);
    assert_true(fabsf(mb - ma) < 0.15f * ma);
    assert_true(cut_hop(a) >= 59 && cut_hop(a) <= 61);
    assert_int_equal(cut_hop(b), cut_hop(a));
    assert_true(mean_motion(b, 70, 115) < 0.1f); /* white does not move */
    cf_feature_track_free(a);
    cf_feature_track_free(b);
    free(all), free(bfr);
}

/* MPEG-4 part 2 decodes at half the width here (lowres): the same cut, and motion near that of
 * the whole picture. */
static void test_pass_at_reduced_size_keeps_motion_and_cuts(void **state) {
    (void)state;
    char *whole = encode("w.mp4", "1024x576", "-c:v libx264 -preset ultrafast");
    char *part2 = encode("m.avi", "1024x576", "-c:v mpeg4 -q:v 3");
    cf_feature_track *a = extract(whole), *b = extract(part2);
    float ma = mean_motion(a, 10, 55), mb = mean_motion(b, 10, 55);
    assert_true(ma > 0.5f);
    assert_true(fabsf(mb - ma) < 0.15f * ma);
    assert_true(cut_hop(a) >= 59 && cut_hop(a) <= 61);
    assert_int_equal(cut_hop(b), cut_hop(a));
    cf_feature_track_free(a);
    cf_feature_track_free(b);
    free(whole), free(part2);
}

static int setup(void **state) {
    (void)state;
    cf_error err;
    return cf_make_temp_dir(NULL, "cf-video-", &g_dir, &err) == CF_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    return 0;
}

int main(void) {
    av_log_set_level(AV_LOG_QUIET);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_motion_counts_per_frame_interval),
        cmocka_unit_test(test_cut_is_found_between_skipped_frames),
        cmocka_unit_test(test_unknown_rate_counts_steps),
        cmocka_unit_test(test_pass_over_b_frames_keeps_motion_and_cuts),
        cmocka_unit_test(test_pass_at_reduced_size_keeps_motion_and_cuts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
