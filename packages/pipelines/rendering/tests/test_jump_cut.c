/* test_jump_cut.c — the jump-cut rule: pauses of 600 ms or more lose all but 120 ms at each edge
 * that touches speech, shorter ones stay, silence at the span's ends goes whole, pieces last
 * whole frames, at most 64 pieces (the longest pauses go), words move onto the cut timeline and
 * a one-scene timeline becomes one scene per piece. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clipforge/jump_cut.h"

static cf_jump_cut plan(const cf_time_range *snd, size_t n, int64_t s, int64_t e, double fps) {
    cf_jump_cut c;
    cf_error err;
    cf_jump_cut_options o = {.fps = fps};
    assert_int_equal(cf_jump_cut_plan(snd, n, s, e, &o, &c, &err), CF_OK);
    return c;
}

static void test_pause_loses_all_but_its_margins(void **state) {
    (void)state;
    cf_time_range snd[] = {{2500, 3500}, {0, 1000}, {3600, 4000}}; /* any order; 100 ms gap stays */
    cf_jump_cut c = plan(snd, 3, 0, 4000, 0);
    assert_int_equal(c.n_removed, 1);
    assert_int_equal(c.removed[0].start_ms, 1120);
    assert_int_equal(c.removed[0].end_ms, 2380);
    assert_int_equal(c.n_keep, 2);
    assert_int_equal(c.duration_ms, 4000 - 1260);
    assert_int_equal(cf_jump_cut_map(&c, 500), 500);
    assert_int_equal(cf_jump_cut_map(&c, 2000), 1120); /* removed: the joint */
    assert_int_equal(cf_jump_cut_map(&c, 2500), 1240);
    cf_jump_cut_free(&c);
}

static void test_short_pause_and_silent_span_stay(void **state) {
    (void)state;
    cf_time_range snd[] = {{0, 1000}, {1599, 2000}};
    cf_jump_cut c = plan(snd, 2, 0, 2000, 30);
    assert_int_equal(c.n_removed, 0);
    assert_int_equal(c.duration_ms, 2000);
    cf_jump_cut_free(&c);
    c = plan(NULL, 0, 1000, 5000, 30); /* nothing sounds: nothing to tighten */
    assert_int_equal(c.n_keep, 1);
    assert_int_equal(c.duration_ms, 4000);
    cf_jump_cut_free(&c);
}

static void test_silence_at_the_span_ends_goes_whole(void **state) {
    (void)state;
    cf_time_range snd[] = {{1000, 2000}};
    cf_jump_cut c = plan(snd, 1, 0, 5000, 0);
    assert_int_equal(c.n_keep, 1);
    assert_int_equal(c.keep[0].start_ms, 880);
    assert_int_equal(c.keep[0].end_ms, 2120);
    assert_int_equal(c.n_removed, 2);
    cf_jump_cut_free(&c);
}

static void test_pieces_last_whole_frames(void **state) {
    (void)state;
    cf_time_range snd[] = {{0, 1011}, {2000, 3017}, {4000, 4501}};
    cf_jump_cut c = plan(snd, 3, 0, 4501, 30);
    assert_int_equal(c.n_keep, 3);
    for (size_t i = 0; i + 1 < c.n_keep; i++) {
        double frames = (double)(c.keep[i].end_ms - c.keep[i].start_ms) * 30 / 1000.0;
        assert_true(frames - (double)(int64_t)frames > 0.95 || frames - (double)(int64_t)frames < 0.05);
        assert_true(c.keep[i].end_ms >= snd[i].end_ms + 100); /* the margin stays, give or take a frame */
    }
    assert_int_equal(c.keep[2].end_ms, 4501);
    cf_jump_cut_free(&c);
}

static void test_at_most_64_pieces_keeping_the_longest_pauses(void **state) {
    (void)state;
    cf_time_range snd[100];
    int64_t t = 0;
    for (int i = 0; i < 100; i++) { /* pauses of 700 ms, every tenth 2 s */
        snd[i] = (cf_time_range){t, t + 300};
        t += 300 + (i % 10 == 9 ? 2000 : 700);
    }
    cf_jump_cut c = plan(snd, 100, 0, snd[99].end_ms, 0);
    assert_int_equal(c.n_keep, CF_JUMP_CUT_MAX_PIECES);
    size_t long_ones = 0;
    for (size_t i = 0; i < c.n_removed; i++) long_ones += c.removed[i].end_ms - c.removed[i].start_ms == 2000 - 240;
    assert_int_equal(long_ones, 9);
    cf_jump_cut_free(&c);
}

static void test_words_and_timeline_follow_the_cut(void **state) {
    (void)state;
    cf_time_range snd[] = {{1000, 1500}, {3000, 3400}};
    cf_jump_cut c = plan(snd, 2, 1000, 3400, 0);
    cf_transcript_word w[] = {{"one", 1000, 1500, 0.9}, {"noise", 2000, 2100, 0.9}, {"two", 3000, 3400, 0.9},
                              {"after", 3500, 3600, 0.9}};
    cf_transcript_segment seg = {.start_ms = 1000, .end_ms = 3600, .text = "one two", .words = w, .n_words = 4};
    cf_transcript src = {.language = "en-us", .model = "m", .segments = &seg, .n_segments = 1};
    cf_transcript out;
    cf_error err;
    assert_int_equal(cf_jump_cut_transcript(&c, &src, &out, &err), CF_OK);
    assert_int_equal(out.n_segments, 1);
    assert_int_equal(out.segments[0].n_words, 2);
    assert_string_equal(out.segments[0].words[1].word, "two");
    assert_int_equal(out.segments[0].words[1].start_ms, 500 + 120 + 120);
    assert_int_equal(out.segments[0].words[1].end_ms, c.duration_ms);
    cf_transcript_free(&out);

    cf_timeline tl;
    cf_timeline_init(&tl);
    tl.scenes = calloc(1, sizeof *tl.scenes);
    cf_timeline_scene_init(&tl.scenes[0]);
    tl.scenes[0].source_uri = strdup("a.mp4"), tl.scenes[0].in_ms = 1000, tl.scenes[0].out_ms = 3400;
    tl.n_scenes = 1;
    tl.overlays = calloc(2, sizeof *tl.overlays);
    tl.overlays[0] = (cf_timeline_overlay){.start_ms = 0, .end_ms = 2400, .text = strdup("bar")};
    tl.overlays[1] = (cf_timeline_overlay){.start_ms = 1500, .end_ms = 2400, .text = strdup("late")};
    tl.n_overlays = 2;
    assert_int_equal(cf_jump_cut_timeline(&c, &tl, &err), CF_OK);
    assert_int_equal(tl.n_scenes, 2);
    assert_string_equal(tl.scenes[1].source_uri, "a.mp4");
    assert_int_equal(tl.scenes[1].in_ms, c.keep[1].start_ms);
    assert_int_equal(tl.n_overlays, 1); /* starts after the new end */
    assert_int_equal(tl.overlays[0].end_ms, c.duration_ms);
    cf_timeline_free(&tl);
    cf_jump_cut_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pause_loses_all_but_its_margins),
        cmocka_unit_test(test_short_pause_and_silent_span_stay),
        cmocka_unit_test(test_silence_at_the_span_ends_goes_whole),
        cmocka_unit_test(test_pieces_last_whole_frames),
        cmocka_unit_test(test_at_most_64_pieces_keeping_the_longest_pauses),
        cmocka_unit_test(test_words_and_timeline_follow_the_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
