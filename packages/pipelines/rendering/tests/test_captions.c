/* test_captions.c — caption reading (SRT, VTT, transcript JSON), re-timing to a span, line
 * grouping in SRT/VTT/ASS output, refusal of broken files; and compile(request) -> timeline
 * from the templates (variables, dropped overlays, scaled fonts, errors naming the field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "captions.h"
#include "clipforge/render.h"
#include "timeline_check.h"

static char dir[] = "/tmp/cf_captions_testXXXXXX";

static const char *write_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static char *slurp(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_srt_words_are_timed_across_their_cue(void **state) {
    (void)state;
    const char *p = write_file("a.srt", "1\r\n00:00:01,000 --> 00:00:02,000\r\n<i>ab</i> cd\r\n\r\n"
                                        "2\n00:00:03,000 --> 00:00:04,000\nlast\n");
    cf_captions c;
    cf_error err;
    assert_int_equal(cf_captions_load(p, 0, 10000, &c, &err), CF_OK);
    assert_int_equal(c.n_words, 3);
    assert_string_equal(c.words[0].text, "ab");
    assert_int_equal(c.words[0].start_ms, 1000);
    assert_int_equal(c.words[0].end_ms, 1500);
    assert_int_equal(c.words[1].start_ms, 1500);
    assert_string_equal(c.words[2].text, "last");
    cf_captions_free(&c);
}

static void test_vtt_and_span_offset(void **state) {
    (void)state;
    const char *p = write_file("a.vtt", "WEBVTT\n\n00:05.000 --> 00:06.000 align:start\nin span\n\n"
                                        "00:00.500 --> 00:01.000\nbefore\n");
    cf_captions c;
    cf_error err;
    assert_int_equal(cf_captions_load(p, 4000, 3000, &c, &err), CF_OK);
    assert_int_equal(c.n_words, 2); /* "before" is outside the span */
    assert_int_equal(c.words[0].start_ms, 1000);
    cf_captions_free(&c);
}

static void test_transcript_json_and_outputs(void **state) {
    (void)state;
    const char *p = write_file("t.json", "{\"segments\":[{\"start_ms\":0,\"end_ms\":900,\"text\":\"x\","
                                         "\"words\":[{\"start_ms\":0,\"end_ms\":400,\"word\":\"one\"},"
                                         "{\"start_ms\":400,\"end_ms\":900,\"word\":\"two\"}]},"
                                         "{\"start_ms\":3000,\"end_ms\":3500,\"text\":\"three\"}]}");
    cf_captions c;
    cf_error err;
    assert_int_equal(cf_captions_load(p, 0, 10000, &c, &err), CF_OK);
    assert_int_equal(c.n_words, 3);
    char path[256];
    snprintf(path, sizeof path, "%s/o.srt", dir);
    assert_int_equal(cf_captions_write_srt(&c, 4, path, &err), CF_OK);
    char *srt = slurp("o.srt");
    /* the pause before "three" starts a new line; a segment's first word starts a sentence */
    assert_non_null(strstr(srt, "1\n00:00:00,000 --> 00:00:00,900\nOne two\n"));
    assert_non_null(strstr(srt, "2\n00:00:03,000 --> 00:00:03,500\nThree\n"));
    free(srt);
    cf_timeline_captions style;
    cf_timeline_captions_init(&style);
    style.font = "DejaVu Sans", style.color = "white", style.outline_color = "black";
    style.highlight_color = "#FF0000";
    snprintf(path, sizeof path, "%s/o.ass", dir);
    assert_int_equal(cf_captions_write_ass(&c, &style, 320, 180, path, &err), CF_OK);
    char *ass = slurp("o.ass");
    assert_non_null(
        strstr(ass, "Dialogue: 0,0:00:00.00,0:00:00.40,Default,,0,0,0,,{\\1c&H0200E9&}One{\\r} two"));
    assert_non_null(
        strstr(ass, "Dialogue: 0,0:00:00.40,0:00:00.90,Default,,0,0,0,,One {\\1c&H0200E9&}two{\\r}"));
    free(ass);
    cf_captions_free(&c);
}

/* Recognised words carry a confidence: the unsure are marked, the very unsure left out. */
static void test_low_confidence_words_are_marked_or_left_out(void **state) {
    (void)state;
    const char *p = write_file(
        "c.json", "{\"segments\":[{\"start_ms\":0,\"end_ms\":1500,\"text\":\"x\","
                  "\"words\":[{\"start_ms\":0,\"end_ms\":400,\"word\":\"sure\",\"confidence\":0.9},"
                  "{\"start_ms\":400,\"end_ms\":900,\"word\":\"maybe\",\"confidence\":0.45},"
                  "{\"start_ms\":900,\"end_ms\":1500,\"word\":\"noise\",\"confidence\":0.1}]}]}");
    cf_captions c;
    cf_error err;
    assert_int_equal(cf_captions_load(p, 0, 10000, &c, &err), CF_OK);
    assert_int_equal(c.n_words, 2);
    assert_false(c.words[0].doubtful);
    assert_true(c.words[1].doubtful);
    cf_timeline_captions style;
    cf_timeline_captions_init(&style);
    style.font = "DejaVu Sans", style.color = "white", style.outline_color = "black";
    style.highlight_color = "#FF0000";
    char path[256];
    snprintf(path, sizeof path, "%s/c.ass", dir);
    assert_int_equal(cf_captions_write_ass(&c, &style, 320, 180, path, &err), CF_OK);
    char *ass = slurp("c.ass");
    assert_non_null(strstr(ass, ",,{\\1c&H0200E9&}Sure{\\r} {\\i1\\1a&H60&}maybe{\\r}\n"));
    assert_null(strstr(ass, "noise"));
    free(ass);
    cf_captions_free(&c);
}

/* FFmpeg draws an RGB colour in BT.601 on the BT.709 canvas: the colour given is the one whose
 * BT.601 YUV is the wanted colour's BT.709 YUV (a red #C02020 was shown 206 48 30). Greys are
 * the same in both; the most saturated red is out of BT.601's reach and clipped; the captions'
 * highlight colour is drawn so too. */
static void test_drawn_colours_are_given_for_bt709(void **state) {
    (void)state;
    assert_int_equal(cf_color_for_drawing(0xFFFFFF), 0xFFFFFF);
    assert_int_equal(cf_color_for_drawing(0x000000), 0x000000);
    assert_int_equal(cf_color_for_drawing(0x808080), 0x808080);
    assert_int_equal(cf_color_for_drawing(0xC02020), 0xB20F22);
    assert_int_equal(cf_color_for_drawing(0x20A040), 0x2AB443);
    assert_int_equal(cf_color_for_drawing(0xFF0000), 0xE90002);
}

static void test_broken_caption_files_are_refused(void **state) {
    (void)state;
    cf_captions c;
    cf_error err;
    const char *p = write_file("b.srt", "1\n00:00:0x,000 --> 00:00:02,000\nhi\n");
    assert_int_equal(cf_captions_load(p, 0, 1000, &c, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "line 2"));
    p = write_file("b.json", "{\"words\":[{\"start_ms\":5,\"word\":\"x\"}]}");
    assert_int_equal(cf_captions_load(p, 0, 1000, &c, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "words[0].end_ms"));
    p = write_file("b.txt", "hello");
    assert_int_equal(cf_captions_load(p, 0, 1000, &c, &err), CF_ERR_UNSUPPORTED);
}

static cf_render_request request(const char *template_id) {
    cf_render_request r;
    cf_render_request_init(&r);
    r.clip_id = "c", r.template_id = (char *)template_id, r.source_uri = "/nonexistent.mp4";
    r.start_ms = 1000, r.has_end_ms = true, r.end_ms = 4000;
    r.has_width = true, r.width = 540, r.has_height = true, r.height = 960;
    return r;
}

static void test_compile_applies_template_variables(void **state) {
    (void)state;
    cf_render_request r = request("shorts-blur");
    r.title = "Big moment";
    cf_timeline tl;
    cf_error err;
    assert_int_equal(cf_render_compile(&r, &tl, &err), CF_OK);
    assert_int_equal(tl.canvas.width, 540);
    assert_int_equal(tl.scenes[0].in_ms, 1000);
    assert_int_equal(tl.scenes[0].layout, CF_SCENE_LAYOUT_BLUR_FILL);
    /* no logo given: only the title and the progress bar remain; the title's font is scaled */
    assert_int_equal(tl.n_overlays, 2);
    assert_string_equal(tl.overlays[0].text, "Big moment");
    assert_int_equal(tl.overlays[0].style->font_size, 36); /* 72 at 1920 high -> 960 high */
    assert_string_equal(tl.overlays[0].style->background_color, "#FFCC00");
    assert_int_equal(tl.overlays[0].end_ms, 3000); /* clipped to the span */
    assert_int_equal(tl.overlays[1].kind, CF_OVERLAY_KIND_PROGRESS_BAR);
    cf_timeline_free(&tl);
    r.title = NULL;
    r.brand_color = "#123456";
    assert_int_equal(cf_render_compile(&r, &tl, &err), CF_OK);
    assert_int_equal(tl.n_overlays, 1); /* no title: the title overlay is left out */
    assert_string_equal(tl.overlays[0].style->color, "#123456");
    cf_timeline_free(&tl);
}

static void test_compile_refuses_with_the_field_named(void **state) {
    (void)state;
    cf_timeline tl;
    cf_error err;
    cf_render_request r = request("no-such-template");
    assert_int_equal(cf_render_compile(&r, &tl, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "template_id"));
    r = request("../etc");
    assert_int_equal(cf_render_compile(&r, &tl, &err), CF_ERR_INVALID_ARGUMENT);
    r = request("shorts-blur");
    r.brand_color = "not-a-colour";
    r.title = "t";
    assert_int_equal(cf_render_compile(&r, &tl, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "overlays[0].style.background_color"));
    r = request(NULL);
    assert_int_equal(cf_render_compile(&r, &tl, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "template_id"));
}

static void test_every_template_compiles_in_both_formats(void **state) {
    (void)state;
    const char *ids[] = {"shorts-blur", "shorts-smartcrop", "landscape-clean", "podcast-split"};
    for (size_t i = 0; i < 4; i++)
        for (int f = 0; f < 2; f++) {
            cf_render_request r = request(ids[i]);
            r.has_width = r.has_height = false;
            r.format = f ? CF_RENDER_FORMAT_HORIZONTAL : CF_RENDER_FORMAT_VERTICAL;
            r.title = "T", r.captions_uri = "/x.srt", r.music_uri = "/m.mp3";
            cf_timeline tl;
            cf_error err;
            if (cf_render_compile(&r, &tl, &err) != CF_OK) fail_msg("%s: %s", ids[i], err.msg);
            assert_int_equal(tl.canvas.width, f ? 1920 : 1080);
            assert_non_null(tl.captions);
            assert_int_equal(tl.captions->offset_ms, 1000);
            assert_int_equal(tl.n_audio_tracks, 1);
            cf_timeline_free(&tl);
        }
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Recognised words are lower case: "i" is shown as "I", and a segment's first word shown (not
 * one left out for its confidence) starts a sentence; a caption file's own text is as written. */
static void test_recognised_words_are_cased_for_reading(void **state) {
    (void)state;
    const char *p =
        write_file("i.json", "{\"segments\":[{\"start_ms\":0,\"end_ms\":1500,\"text\":\"x\","
                             "\"words\":[{\"start_ms\":0,\"end_ms\":300,\"word\":\"uh\",\"confidence\":0.1},"
                             "{\"start_ms\":300,\"end_ms\":600,\"word\":\"well\"},"
                             "{\"start_ms\":600,\"end_ms\":900,\"word\":\"i'm\"},"
                             "{\"start_ms\":900,\"end_ms\":1200,\"word\":\"sure\"},"
                             "{\"start_ms\":1200,\"end_ms\":1500,\"word\":\"i\"}]}]}");
    cf_captions c;
    cf_error err;
    assert_int_equal(cf_captions_load(p, 0, 10000, &c, &err), CF_OK);
    assert_int_equal(c.n_words, 4);
    assert_string_equal(c.words[0].text, "Well");
    assert_string_equal(c.words[1].text, "I'm");
    assert_string_equal(c.words[2].text, "sure");
    assert_string_equal(c.words[3].text, "I");
    cf_captions_free(&c);
    p = write_file("own.srt", "1\n00:00:00,000 --> 00:00:01,000\nwell i think so\n");
    assert_int_equal(cf_captions_load(p, 0, 10000, &c, &err), CF_OK);
    assert_string_equal(c.words[0].text, "well");
    assert_string_equal(c.words[1].text, "i");
    cf_captions_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srt_words_are_timed_across_their_cue),
        cmocka_unit_test(test_vtt_and_span_offset),
        cmocka_unit_test(test_transcript_json_and_outputs),
        cmocka_unit_test(test_low_confidence_words_are_marked_or_left_out),
        cmocka_unit_test(test_recognised_words_are_cased_for_reading),
        cmocka_unit_test(test_drawn_colours_are_given_for_bt709),
        cmocka_unit_test(test_broken_caption_files_are_refused),
        cmocka_unit_test(test_compile_applies_template_variables),
        cmocka_unit_test(test_compile_refuses_with_the_field_named),
        cmocka_unit_test(test_every_template_compiles_in_both_formats),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
