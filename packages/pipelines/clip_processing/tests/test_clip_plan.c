/* test_clip_plan.c — request → plan conversion, plan checks, and the filter chains they give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "clip_plan.h"
#include "clipforge/encode.h"
#include "clip_request.h"
#include "filter_graph.h"

static cf_clip_processing_request parse(const char *text, cf_err want, const char *needle) {
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    cf_clip_processing_request req;
    cf_error err;
    cf_error_clear(&err);
    assert_int_equal(cf_clip_processing_request_from_json(j, &req, &err), CF_OK);
    json_decref(j);
    cfclip_plan plan;
    cf_err rc = cfclip_plan_from_request(&req, &plan, &err);
    assert_int_equal(rc, want);
    if (needle) assert_non_null(strstr(err.msg, needle));
    return req;
}

static void test_request_becomes_plan(void **state) {
    (void)state;
    cf_clip_processing_request req =
        parse("{\"clip_id\":\"c\",\"source_uri\":\"file:///data/in.mp4\",\"target_format\":\"webm\","
              "\"operations\":[{\"op\":\"trim\",\"start_ms\":5000,\"end_ms\":15000,\"mode\":\"copy\"},"
              "{\"op\":\"scale\",\"width\":1280},{\"op\":\"normalize_audio\"},{\"op\":\"speed\","
              "\"factor\":2},{\"op\":\"thumbnail\",\"at_ms\":1000,\"output_uri\":\"/tmp/t.jpg\"}]}",
              CF_OK, NULL);
    cfclip_plan plan;
    cf_error err;
    assert_int_equal(cfclip_plan_from_request(&req, &plan, &err), CF_OK);
    assert_string_equal(plan.input, "/data/in.mp4");
    assert_int_equal(plan.format, CFCLIP_WEBM);
    assert_true(plan.trim);
    assert_int_equal(plan.start_ms, 5000);
    assert_int_equal(plan.end_ms, 15000);
    assert_int_equal(plan.trim_mode, CFCLIP_TRIM_COPY);
    assert_int_equal(plan.scale_w, 1280);
    assert_int_equal(plan.scale_h, -1);
    assert_true(plan.normalize);
    assert_float_equal(plan.target_lufs, -14.0, 1e-9);
    assert_float_equal(plan.true_peak_db, -1.0, 1e-9);
    assert_float_equal(plan.speed, 2.0, 1e-9);
    assert_string_equal(plan.thumb_path, "/tmp/t.jpg");
    assert_true(cfclip_plan_needs_decoding(&plan));
    assert_true(cfclip_plan_needs_pictures(&plan));
    assert_int_equal(cfclip_plan_check(&plan, &err), CF_OK);
    /* normalized sound alone decodes the sound, not the pictures */
    cfclip_plan sound;
    cfclip_plan_init(&sound, "in.mp4", CFCLIP_MP4);
    sound.normalize = true;
    assert_true(cfclip_plan_needs_decoding(&sound));
    assert_false(cfclip_plan_needs_pictures(&sound));
    cf_clip_processing_request_free(&req);
}

static void test_request_rejects_twice_and_remote(void **state) {
    (void)state;
    cf_clip_processing_request a =
        parse("{\"clip_id\":\"c\",\"source_uri\":\"in.mp4\",\"operations\":[{\"op\":\"mute\"},"
              "{\"op\":\"fps\",\"fps\":10},{\"op\":\"mute\"}]}",
              CF_ERR_INVALID_ARGUMENT, "operations[2]: mute given twice");
    cf_clip_processing_request_free(&a);
    cf_clip_processing_request b =
        parse("{\"clip_id\":\"c\",\"source_uri\":\"s3://bucket/in.mp4\",\"operations\":[]}",
              CF_ERR_INVALID_ARGUMENT, "source_uri");
    cf_clip_processing_request_free(&b);
}

static void test_plan_check_limits(void **state) {
    (void)state;
    cfclip_plan p;
    cf_error err;
    cfclip_plan_init(&p, "in.mp4", CFCLIP_MP4);
    p.max_dimension = 4096;
    p.scale_w = 5000;
    p.scale_h = -1;
    assert_int_equal(cfclip_plan_check(&p, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "limit of 4096"));
    p.scale_w = -1;
    assert_int_equal(cfclip_plan_check(&p, &err), CF_ERR_INVALID_ARGUMENT); /* -1x-1 */
    p.scale_w = 640;
    assert_int_equal(cfclip_plan_check(&p, &err), CF_OK);
    p.trim = true;
    p.start_ms = 3000;
    p.end_ms = 3000;
    assert_int_equal(cfclip_plan_check(&p, &err), CF_ERR_INVALID_ARGUMENT);
    p.end_ms = 4000;
    p.speed = 4.5;
    assert_int_equal(cfclip_plan_check(&p, &err), CF_ERR_INVALID_ARGUMENT);
}

/* Fails unless each of the n parts appears in s, in this order. */
static void expect_in_order(const char *s, const char *const *parts, size_t n) {
    const char *at = s;
    for (size_t i = 0; i < n; i++) {
        const char *hit = strstr(at, parts[i]);
        if (!hit) fail_msg("'%s' missing or out of order in %s", parts[i], s);
        at = hit;
    }
}

/* The chain for a 30 fps source of w x h pixels of shape sar, turned by rotation. */
static char *chain_of(cfclip_plan *p, int w, int h, AVRational sar, int rotation, cfclip_gif_pass gif) {
    cfclip_span span = {.origin_s = 1.5, .end_s = 4.0, .trim = true};
    AVFormatContext *fmt = avformat_alloc_context();
    AVStream *st = fmt ? avformat_new_stream(fmt, NULL) : NULL;
    assert_non_null(st);
    st->avg_frame_rate = (AVRational){30, 1};
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->width = w;
    st->codecpar->height = h;
    st->sample_aspect_ratio = sar;
    cf_media_input in = {.fmt = fmt,
                         .video_index = 0,
                         .audio_index = -1,
                         .rotation = rotation,
                         .sar = cf_media_stream_sar(st)};
    AVBPrint b;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    cfclip_video_chain(p, &span, &in, gif, &b);
    char *s = NULL;
    av_bprint_finalize(&b, &s);
    avformat_free_context(fmt);
    return s;
}

static char *video_chain(cfclip_plan *p, int rotation, cfclip_gif_pass gif) {
    return chain_of(p, 640, 360, (AVRational){1, 1}, rotation, gif);
}

/* A DVD's 720x480 of wide pixels (32:27, 16:9 shown) turned a quarter: made square first (the
 * width grows to 854), then turned, then cropped in the picture as shown. */
static void test_video_chain_makes_pixels_square_before_turning(void **state) {
    (void)state;
    cfclip_plan p;
    cfclip_plan_init(&p, "in.mpg", CFCLIP_MP4);
    p.crop = true;
    p.crop_w = 480;
    p.crop_h = 854;
    char *s = chain_of(&p, 720, 480, (AVRational){32, 27}, 90, CFCLIP_GIF_NONE);
    const char *order[] = {"trim=", "scale=854:480,setsar=1", "transpose=clock", "crop=480:854"};
    expect_in_order(s, order, sizeof order / sizeof order[0]);
    av_free(s);
    /* square pixels, a shape within 1 % of square, and a damaged 100:1 are left as stored */
    AVRational as_stored[] = {{1, 1}, {200, 199}, {100, 1}, {0, 1}};
    for (size_t i = 0; i < sizeof as_stored / sizeof as_stored[0]; i++) {
        s = chain_of(&p, 720, 480, as_stored[i], 0, CFCLIP_GIF_NONE);
        const char *first = strstr(s, "setsar");
        if (!first || strstr(first + 1, "setsar") || strstr(s, "scale=854"))
            fail_msg("%d:%d scaled: %s", as_stored[i].num, as_stored[i].den, s);
        av_free(s);
    }
    /* narrow pixels (NTSC 4:3 at 720x480, 8:9) grow the height */
    s = chain_of(&p, 720, 480, (AVRational){8, 9}, 0, CFCLIP_GIF_NONE);
    if (!strstr(s, "scale=720:540,setsar=1")) fail_msg("narrow pixels: %s", s);
    av_free(s);
}

static void test_video_chain_orders_operations(void **state) {
    (void)state;
    cfclip_plan p;
    cfclip_plan_init(&p, "in.mp4", CFCLIP_MP4);
    p.crop = true;
    p.crop_w = 101;
    p.crop_h = 50;
    p.scale_w = 641;
    p.scale_h = -1;
    p.speed = 2.0;
    char *s = video_chain(&p, 90, CFCLIP_GIF_NONE);
    const char *order[] = {"trim=start=1.500000:end=4.000000",
                           "setpts=round((PTS-1.500000/TB)/2.000000)",
                           "transpose=clock",
                           "crop=101:50",
                           "scale=640:-2",
                           "format=yuv420p"};
    expect_in_order(s, order, sizeof order / sizeof order[0]);
    av_free(s);
    cfclip_plan_init(&p, "in.mp4", CFCLIP_GIF);
    p.fps = 50;
    s = video_chain(&p, 0, CFCLIP_GIF_APPLY);
    assert_non_null(strstr(s, "fps=15.000000"));
    assert_non_null(strstr(s, "min(iw,480)"));
    assert_non_null(strstr(s, "paletteuse"));
    assert_null(strstr(s, "yuv420p"));
    av_free(s);
}

static void test_audio_chain_keeps_pitch_with_tempo_steps(void **state) {
    (void)state;
    cfclip_plan p;
    cfclip_plan_init(&p, "in.mp4", CFCLIP_MP4);
    p.speed = 0.25;
    cfclip_span span = {.origin_s = 0, .end_s = -1, .trim = false};
    cfclip_loudness loud = {
        .integrated = -30, .true_peak = -10, .gain_db = 16, .limit = true, .limit_db = -1.3};
    AVBPrint b;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    cfclip_audio_chain(&p, &span, &loud, "fltp", 48000, "stereo", &b);
    assert_non_null(strstr(b.str, "atempo=0.5,atempo=0.5"));
    assert_null(strstr(b.str, "atrim"));
    assert_non_null(strstr(b.str, "volume=16.000dB"));
    assert_non_null(strstr(b.str, "alimiter=limit=0.860994:"));
    assert_non_null(strstr(b.str, "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"));
    av_bprint_finalize(&b, NULL);
}

/* The rule the CLI and the render use for an output's format (clipforge/encode.h). */
static void test_format_from_path(void **state) {
    (void)state;
    cf_target_format f;
    assert_true(cf_encoder_format_of_name("/a/b.WEBM", &f));
    assert_int_equal(f, CF_TARGET_FORMAT_WEBM);
    assert_true(cf_encoder_format_of_name("clip.gif", &f));
    assert_int_equal(f, CF_TARGET_FORMAT_GIF);
    assert_true(cf_encoder_format_of_name("podcast.m4a", &f));
    assert_int_equal(f, CF_TARGET_FORMAT_MP4);
    assert_false(cf_encoder_format_of_name("dir.v2/clip", &f));
    assert_false(cf_encoder_format_of_name("clip.avi", &f));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_becomes_plan),
        cmocka_unit_test(test_request_rejects_twice_and_remote),
        cmocka_unit_test(test_plan_check_limits),
        cmocka_unit_test(test_video_chain_orders_operations),
        cmocka_unit_test(test_video_chain_makes_pixels_square_before_turning),
        cmocka_unit_test(test_audio_chain_keeps_pitch_with_tempo_steps),
        cmocka_unit_test(test_format_from_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
