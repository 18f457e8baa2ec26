/* test_jump_cut.c — the jump-cut rule: pauses of 600 ms or more lose all but 120 ms at each edge
 * that touches speech, shorter ones stay, silence at the span's ends goes whole, pieces last
 * whole frames, at most 64 pieces (the longest pauses go), words move onto the cut timeline and
 * a one-scene timeline becomes one scene per piece; fillers go with the gap they stand in. */
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
    for (size_t i = 0; i < c.n_removed; i++)
        long_ones += c.removed[i].end_ms - c.removed[i].start_ms == 2000 - 240;
    assert_int_equal(long_ones, 9);
    cf_jump_cut_free(&c);
}

static void test_words_and_timeline_follow_the_cut(void **state) {
    (void)state;
    cf_time_range snd[] = {{1000, 1500}, {3000, 3400}};
    cf_jump_cut c = plan(snd, 2, 1000, 3400, 0);
    cf_transcript_word w[] = {{"one", 1000, 1500, 0.9},
                              {"noise", 2000, 2100, 0.9},
                              {"two", 3000, 3400, 0.9},
                              {"after", 3500, 3600, 0.9}};
    cf_transcript_segment seg = {
        .start_ms = 1000, .end_ms = 3600, .text = "one two", .words = w, .n_words = 4};
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

static cf_jump_cut plan_drops(const cf_time_range *snd, size_t n, const cf_time_range *drop, size_t nd,
                              bool keep) {
    cf_jump_cut c;
    cf_error err;
    cf_jump_cut_options o = {.drop = drop, .n_drop = nd, .keep_pauses = keep};
    assert_int_equal(cf_jump_cut_plan(snd, n, 0, 5000, &o, &c, &err), CF_OK);
    return c;
}

static void test_filler_goes_with_its_gap_whatever_its_length(void **state) {
    (void)state;
    /* voice activity hears "one um two" as one stretch; the filler 1300-1500 is not sound */
    cf_time_range snd[] = {{500, 2500}, {4000, 4500}}, um[] = {{1300, 1500}};
    cf_jump_cut c = plan_drops(snd, 2, um, 1, false);
    assert_int_equal(c.n_removed, 2);
    assert_int_equal(c.removed[0].start_ms, 1300); /* 100 ms gaps: the margins give way to the filler */
    assert_int_equal(c.removed[0].end_ms, 1500);
    assert_int_equal(c.removed[1].start_ms, 2620); /* the long pause goes as ever */
    assert_int_equal(c.removed[1].end_ms, 3880);
    cf_jump_cut_free(&c);
    /* fillers alone: the long pause stays, and so do the span's quiet ends */
    c = plan_drops(snd, 2, um, 1, true);
    assert_int_equal(c.n_removed, 1);
    assert_int_equal(c.removed[0].start_ms, 1300);
    assert_int_equal(c.duration_ms, 5000 - 200);
    cf_jump_cut_free(&c);
}

static void test_filler_in_a_wide_gap_keeps_the_margins(void **state) {
    (void)state;
    /* "one ... uh ... two" with 400 ms each side: the gap less 120 ms margins */
    cf_time_range snd[] = {{500, 1000}, {1400, 1600}, {2000, 2500}}, uh[] = {{1400, 1600}};
    cf_jump_cut c = plan_drops(snd, 3, uh, 1, true);
    assert_int_equal(c.n_removed, 1);
    assert_int_equal(c.removed[0].start_ms, 1120);
    assert_int_equal(c.removed[0].end_ms, 1880);
    cf_jump_cut_free(&c);
    /* a sliver of the filler's sound left beside it (shorter than a syllable) goes too */
    cf_time_range heard[] = {{500, 1000}, {1400, 1650}, {2000, 2500}};
    c = plan_drops(heard, 3, uh, 1, true);
    assert_int_equal(c.n_removed, 1);
    assert_int_equal(c.removed[0].end_ms, 1880);
    cf_jump_cut_free(&c);
}

static void test_nothing_left_is_an_error(void **state) {
    (void)state;
    cf_time_range um[] = {{0, 5000}};
    cf_jump_cut c;
    cf_error err;
    cf_jump_cut_options o = {.drop = um, .n_drop = 1};
    assert_int_equal(cf_jump_cut_plan(NULL, 0, 0, 5000, &o, &c, &err), CF_ERR_INVALID_ARGUMENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pause_loses_all_but_its_margins),
        cmocka_unit_test(test_short_pause_and_silent_span_stay),
        cmocka_unit_test(test_silence_at_the_span_ends_goes_whole),
        cmocka_unit_test(test_pieces_last_whole_frames),
        cmocka_unit_test(test_at_most_64_pieces_keeping_the_longest_pauses),
        cmocka_unit_test(test_words_and_timeline_follow_the_cut),
        cmocka_unit_test(test_filler_goes_with_its_gap_whatever_its_length),
        cmocka_unit_test(test_filler_in_a_wide_gap_keeps_the_margins),
        cmocka_unit_test(test_nothing_left_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
