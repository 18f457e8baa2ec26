/* test_probe.c — cf_probe_file on generated media and on the bad inputs users give it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "clipforge/media.h"
#include "clipforge/probe.h"
#include "media_fixture.h"
#define TEMP_DIR_PREFIX "cfprobe-"
#include "temp_dir.h"

static json_t *stream_of(json_t *probe, const char *type) {
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(probe, "streams"), i, s) {
        if (!strcmp(json_string_value(json_object_get(s, "type")), type)) return s;
    }
    return NULL;
}

static void test_probe_reports_streams_and_duration(void **state) {
    (void)state;
    char *path = fixture_make(g_dir, "av.mp4",
                              "-f lavfi -i testsrc2=s=320x240:r=25:d=2 -f lavfi -i "
                              "sine=f=440:d=2:sample_rate=44100 -ac 2 -c:v libx264 -pix_fmt yuv420p "
                              "-c:a aac -shortest");
    assert_non_null(path);
    json_t *p = NULL;
    cf_error err;
    assert_int_equal(cf_probe_file(path, &p, &err), CF_OK);
    int64_t dur = json_integer_value(json_object_get(p, "duration_ms"));
    assert_in_range(dur, 1900, 2100);
    assert_non_null(strstr(json_string_value(json_object_get(p, "format")), "mp4"));
    json_t *v = stream_of(p, "video"), *a = stream_of(p, "audio");
    assert_non_null(v);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(v, "codec")), "h264");
    assert_int_equal(json_integer_value(json_object_get(v, "width")), 320);
    assert_int_equal(json_integer_value(json_object_get(v, "height")), 240);
    assert_float_equal(json_number_value(json_object_get(v, "frame_rate")), 25.0, 0.01);
    assert_int_equal(json_integer_value(json_object_get(v, "rotation")), 0);
    assert_string_equal(json_string_value(json_object_get(a, "codec")), "aac");
    assert_int_equal(json_integer_value(json_object_get(a, "sample_rate")), 44100);
    assert_int_equal(json_integer_value(json_object_get(a, "channels")), 2);
    assert_string_equal(json_string_value(json_object_get(a, "channel_layout")), "stereo");
    json_decref(p);
    free(path);
}

static void test_probe_reads_rotation_from_display_matrix(void **state) {
    (void)state;
    char *plain = fixture_make(g_dir, "plain.mp4",
                               "-f lavfi -i testsrc2=s=160x96:r=10:d=1 -c:v libx264 -pix_fmt yuv420p");
    assert_non_null(plain);
    char args[512];
    snprintf(args, sizeof args, "-i '%s' -c copy -metadata:s:v:0 rotate=90", plain);
    char *rot = fixture_make(g_dir, "rot.mp4", args);
    assert_non_null(rot);
    json_t *p = NULL;
    cf_error err;
    assert_int_equal(cf_probe_file(rot, &p, &err), CF_OK);
    json_t *v = stream_of(p, "video");
    /* ffprobe calls this "rotation of 90 degrees" (counter-clockwise); upright needs 270 cw. */
    assert_int_equal(json_integer_value(json_object_get(v, "rotation")), 270);
    assert_int_equal(json_integer_value(json_object_get(v, "display_width")), 96);
    assert_int_equal(json_integer_value(json_object_get(v, "display_height")), 160);
    json_decref(p);
    free(plain);
    free(rot);
}

/* A DVD's 720x480 of wide pixels (32:27) is shown at 16:9: square pixels widen it to 854x480,
 * and a quarter turn makes that 480x854. */
static void test_probe_shows_wide_pixels_square(void **state) {
    (void)state;
    char *dvd = fixture_make(g_dir, "dvd.mpg",
                             "-f lavfi -i testsrc2=s=720x480:r=25:d=1,setsar=32/27 -c:v mpeg2video -f vob");
    assert_non_null(dvd);
    char *wide =
        fixture_make(g_dir, "dvd.mp4",
                     "-f lavfi -i testsrc2=s=720x480:r=25:d=1,setsar=32/27 -c:v libx264 -pix_fmt yuv420p");
    assert_non_null(wide);
    char args[512];
    snprintf(args, sizeof args, "-i '%s' -c copy -metadata:s:v:0 rotate=90", wide);
    char *turned = fixture_make(g_dir, "dvd_turned.mp4", args);
    assert_non_null(turned);
    const char *paths[] = {dvd, turned};
    const int want_w[] = {854, 480}, want_h[] = {480, 854};
    for (int i = 0; i < 2; i++) {
        json_t *p = NULL;
        cf_error err;
        assert_int_equal(cf_probe_file(paths[i], &p, &err), CF_OK);
        json_t *v = stream_of(p, "video");
        assert_int_equal(json_integer_value(json_object_get(v, "width")), 720);
        assert_string_equal(json_string_value(json_object_get(v, "pixel_aspect")), "32:27");
        assert_int_equal(json_integer_value(json_object_get(v, "display_width")), want_w[i]);
        assert_int_equal(json_integer_value(json_object_get(v, "display_height")), want_h[i]);
        json_decref(p);
    }
    free(dvd);
    free(wide);
    free(turned);
}

static void expect_failure(const char *path, cf_err code, const char *needle) {
    json_t *p = NULL;
    cf_error err;
    cf_error_clear(&err);
    assert_int_equal(cf_probe_file(path, &p, &err), code);
    assert_null(p);
    assert_non_null(strstr(err.msg, needle));
    assert_null(strchr(err.msg, '\n'));
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_probe_bad_inputs_fail_clearly(void **state) {
    (void)state;
    char *missing = cf_path_join(g_dir, "missing.mp4");
    expect_failure(missing, CF_ERR_NOT_FOUND, "No such file");
    char *empty = cf_path_join(g_dir, "empty.mp4");
    write_file(empty, "");
    expect_failure(empty, CF_ERR_INVALID_MEDIA, "empty (0 bytes)");
    char *text = cf_path_join(g_dir, "notes.mp4");
    write_file(text, "these are some notes, not a video at all\nline two\n");
    expect_failure(text, CF_ERR_INVALID_MEDIA, "not a readable media file");
    expect_failure(g_dir, CF_ERR_INVALID_ARGUMENT, "directory");
    free(missing);
    free(empty);
    free(text);
}

/* An FFmpeg failure names where and what failed; out of memory is its own code, not the caller's
 * (an API answers it with 503, not a 4xx about the input). */
static void test_av_fail_names_the_step_and_keeps_memory_apart(void **state) {
    (void)state;
    cf_error err;
    assert_int_equal(cf_av_fail(&err, CF_ERR_INVALID_MEDIA, "in.mp4", "decoding", AVERROR_INVALIDDATA),
                     CF_ERR_INVALID_MEDIA);
    assert_non_null(strstr(err.msg, "in.mp4: decoding: "));
    assert_int_equal(cf_av_fail(&err, CF_ERR_INVALID_MEDIA, "in.mp4", "decoding", AVERROR(ENOMEM)),
                     CF_ERR_NO_MEMORY);
}

static void test_probe_truncated_mp4_fails(void **state) {
    (void)state;
    /* Without faststart the index (moov) is at the end: cutting the file loses it. */
    char *full = fixture_make(g_dir, "full.mp4",
                              "-f lavfi -i testsrc2=s=160x96:r=10:d=2 -c:v libx264 -pix_fmt yuv420p");
    assert_non_null(full);
    char *cut = cf_path_join(g_dir, "cut.mp4");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "head -c %lld '%s' > '%s'", (long long)(cf_file_size(full) / 2), full, cut);
    assert_int_equal(system(cmd), 0);
    expect_failure(cut, CF_ERR_INVALID_MEDIA, "cut.mp4");
    free(full);
    free(cut);
}

/* A file that starts late and states its length from zero (as FFmpeg's muxers write it with
 * -copyts) is complete when it reaches that length; one that stops short of it is not. */
static void test_complete_counts_a_late_start(void **state) {
    (void)state;
    cf_error err;
    cf_media_input late = {.start_us = 1446000, .duration_ms = 21633};
    assert_int_equal(cf_media_check_complete(&late, 20.154, "late.mkv", &err), CF_OK);
    assert_int_equal(cf_media_check_complete(&late, 15.0, "late.mkv", &err), CF_ERR_INVALID_MEDIA);
    assert_non_null(strstr(err.msg, "late.mkv stops at 15.000 s"));
    cf_media_input early = {.start_us = 0, .duration_ms = 21633};
    assert_int_equal(cf_media_check_complete(&early, 20.154, "early.mkv", &err), CF_ERR_INVALID_MEDIA);
    assert_int_equal(cf_media_check_complete(&early, 20.7, "early.mkv", &err), CF_OK);
}

/* A configured limit refuses the file naming the limit, the value and the setting; at the limit
 * it passes, and its decoders are bounded the same way. */
static void test_limits_refuse_naming_the_setting(void **state) {
    (void)state;
    char *path = fixture_make(g_dir, "limits.mp4", "-f lavfi -i testsrc2=s=160x96:r=10:d=2 -c:v libx264");
    assert_non_null(path);
    cf_media_input in;
    cf_error err;
    cf_media_configure(&(cf_media_limits){.max_pixels = 160 * 96 - 1});
    assert_int_equal(cf_media_open(path, NULL, &in, &err), CF_ERR_INVALID_MEDIA);
    assert_true(cf_media_is_limit_error(&err));
    assert_string_equal(err.msg,
                        "video stream 0: 160x96 is over the 15359-pixel limit (CLIPFORGE_MAX_PIXELS)");
    cf_media_configure(&(cf_media_limits){.max_frames = 19});
    assert_int_equal(cf_media_open(path, NULL, &in, &err), CF_ERR_INVALID_MEDIA);
    assert_string_equal(err.msg,
                        "video stream 0: 20 frames is over the 19-frame limit (CLIPFORGE_MAX_FRAMES)");
    cf_media_configure(&(cf_media_limits){.max_pixels = 160 * 96,
                                          .max_frames = 20,
                                          .max_fps = 10,
                                          .max_streams = 1,
                                          .max_duration_ms = 2000,
                                          .probe_ms = 60000});
    assert_int_equal(cf_media_open(path, NULL, &in, &err), CF_OK);
    AVCodecContext *dec = NULL;
    assert_int_equal(cf_media_open_decoder(&in, in.video_index, NULL, &dec, &err), CF_OK);
    assert_int_equal(dec->max_pixels, 160 * 96);
    avcodec_free_context(&dec);
    cf_media_close(&in);
    cf_media_configure(NULL);
    char *text = cf_path_join(g_dir, "limits.txt");
    write_file(text, "not media\n");
    assert_int_equal(cf_media_open(text, NULL, &in, &err), CF_ERR_INVALID_MEDIA);
    assert_false(cf_media_is_limit_error(&err)); /* damaged or unreadable is not over a limit */
    free(text);
    free(path);
}

/* Decoders that can decode at a reduced size halve the picture while it stays over the minimum;
 * the others decode it whole. */
static void test_decoder_reduces_size_where_the_codec_can(void **state) {
    (void)state;
    const char *src = "-f lavfi -i testsrc2=s=1024x576:r=10:d=1";
    char args[256];
    snprintf(args, sizeof args, "%s -c:v mpeg4", src);
    char *mpeg4 = fixture_make(g_dir, "lowres.avi", args);
    snprintf(args, sizeof args, "%s -c:v libx264", src);
    char *h264 = fixture_make(g_dir, "lowres.mp4", args);
    assert_non_null(mpeg4);
    assert_non_null(h264);
    cf_media_decode_opts o = {.threads = 1, .min_width = 256, .min_height = 144};
    const char *paths[] = {mpeg4, h264};
    const int widths[] = {256, 1024}, heights[] = {144, 576};
    for (int i = 0; i < 2; i++) {
        cf_media_input in;
        cf_error err;
        AVCodecContext *dec = NULL;
        assert_int_equal(cf_media_open(paths[i], NULL, &in, &err), CF_OK);
        assert_int_equal(cf_media_open_decoder(&in, in.video_index, &o, &dec, &err), CF_OK);
        assert_int_equal(dec->width, widths[i]);
        assert_int_equal(dec->height, heights[i]);
        avcodec_free_context(&dec);
        cf_media_close(&in);
    }
    free(mpeg4);
    free(h264);
}

/* A decoder that skips the pictures no other refers to runs twice the frame threads asked for
 * when the stream has B-frames (half of the threads would hold a picture being dropped), the
 * threads asked for without B-frames or without skipping. */
static void test_decoder_threads_cover_skipped_pictures(void **state) {
    (void)state;
    char *with_b =
        fixture_make(g_dir, "bframes.mp4", "-f lavfi -i testsrc2=s=320x180:r=10:d=2 -c:v libx264 -bf 3");
    char *no_b =
        fixture_make(g_dir, "nobframes.mp4", "-f lavfi -i testsrc2=s=320x180:r=10:d=2 -c:v libx264 -bf 0");
    assert_non_null(with_b);
    assert_non_null(no_b);
    const char *paths[] = {with_b, with_b, no_b};
    const bool skip[] = {true, false, true};
    const int threads[] = {4, 2, 2};
    for (int i = 0; i < 3; i++) {
        cf_media_input in;
        cf_error err;
        AVCodecContext *dec = NULL;
        cf_media_decode_opts o = {.threads = 2, .skip_nonref = skip[i]};
        assert_int_equal(cf_media_open(paths[i], NULL, &in, &err), CF_OK);
        assert_int_equal(cf_media_open_decoder(&in, in.video_index, &o, &dec, &err), CF_OK);
        assert_int_equal(dec->thread_count, threads[i]);
        avcodec_free_context(&dec);
        cf_media_close(&in);
    }
    free(with_b);
    free(no_b);
}

/* A reader that gives a file slowly, as a stalled network source would. */
typedef struct slow_reader {
    FILE *f;
} slow_reader;

static int slow_read(void *opaque, uint8_t *buf, int size) {
    slow_reader *r = opaque;
    usleep(20000);
    size_t n = fread(buf, 1, (size_t)(size < 512 ? size : 512), r->f);
    return n ? (int)n : AVERROR_EOF;
}

/* The duration probe gives path, -1 on failure; *noted: its last note says the length was
 * measured. */
static int64_t probe_ms(const char *path, bool *noted) {
    json_t *p = NULL;
    cf_error err;
    if (cf_probe_file(path, &p, &err) != CF_OK) return -1;
    int64_t ms = json_integer_value(json_object_get(p, "duration_ms"));
    json_t *notes = json_object_get(p, "notes");
    *noted = notes && json_array_size(notes) &&
             strstr(json_string_value(json_array_get(notes, json_array_size(notes) - 1)), "states no length");
    json_decref(p);
    return ms;
}

/* The file made by ffmpeg with args, probed: its length measured in [lo, hi] ms, and noted so. */
static char *measured(const char *name, const char *args, int64_t lo, int64_t hi) {
    char *path = fixture_make(g_dir, name, args);
    assert_non_null(path);
    bool noted = false;
    assert_in_range(probe_ms(path, &noted), lo, hi);
    assert_true(noted);
    return path;
}

/* A live WebM (a browser's recording: no length, no index) is measured by reading it, once per
 * file as it is: a second opening of the file unchanged (device, inode, size, modification time)
 * takes the length measured before, a changed one is read again. Shown with a file whose second
 * half is overwritten with zeros in place: the same size and, put back, the same time. */
static void test_probe_measures_a_file_without_a_length(void **state) {
    (void)state;
    char *path = measured("live.webm",
                          "-f lavfi -i testsrc2=s=160x96:r=25:d=4 -c:v libvpx -deadline realtime -b:v 200k "
                          "-f webm -live 1",
                          3900, 4100);
    bool noted = false;
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    static char zeros[4096];
    assert_int_equal(fseeko(f, before.st_size / 2, SEEK_SET), 0);
    for (off_t at = before.st_size / 2; at < before.st_size; at += (off_t)sizeof zeros)
        fwrite(
            zeros, 1,
            (size_t)(before.st_size - at < (off_t)sizeof zeros ? before.st_size - at : (off_t)sizeof zeros),
            f);
    fclose(f);
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    assert_in_range(probe_ms(path, &noted), 3900, 4100); /* kept: not read again */
    times[1].tv_sec -= 10;
    assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
    int64_t now = probe_ms(path, &noted); /* changed: read again, to where its data stops */
    assert_in_range(now, 500, 3000);
    free(path);
}

/* An MP3 of varying bit rate without a Xing header: FFmpeg guesses its length from its first
 * frames (silence, a low rate: 46 s); it is measured instead. */
static void test_probe_measures_a_guessed_length(void **state) {
    (void)state;
    free(measured("vbr.mp3",
                  "-f lavfi -i anullsrc=r=44100:cl=stereo:d=6 -f lavfi -i anoisesrc=d=12:a=0.5:r=44100 "
                  "-filter_complex '[0:a][1:a]concat=n=2:v=0:a=1' -c:a libmp3lame -q:a 2 -write_xing 0",
                  17900, 18200));
}

/* Reading the stream information stops at the probe time limit and says so. */
static void test_probe_time_limit_stops_a_slow_input(void **state) {
    (void)state;
    char *path = fixture_make(g_dir, "slow.ts", "-f lavfi -i testsrc2=s=160x96:r=25:d=4 -c:v mpeg2video");
    assert_non_null(path);
    slow_reader r = {fopen(path, "rb")};
    assert_non_null(r.f);
    unsigned char *buf = av_malloc(512);
    AVIOContext *io = avio_alloc_context(buf, 512, 0, &r, slow_read, NULL, NULL);
    assert_non_null(io);
    cf_media_configure(&(cf_media_limits){.probe_ms = 100});
    cf_media_input in;
    cf_error err;
    assert_int_equal(cf_media_open_io("slow.ts", io, NULL, &in, &err), CF_ERR_INVALID_MEDIA);
    assert_true(cf_media_is_limit_error(&err));
    assert_non_null(strstr(err.msg, "over the 100-ms limit (CLIPFORGE_PROBE_MS)"));
    cf_media_configure(NULL);
    av_freep(&io->buffer);
    avio_context_free(&io);
    fclose(r.f);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_reports_streams_and_duration),
        cmocka_unit_test(test_probe_reads_rotation_from_display_matrix),
        cmocka_unit_test(test_probe_shows_wide_pixels_square),
        cmocka_unit_test(test_probe_bad_inputs_fail_clearly),
        cmocka_unit_test(test_probe_truncated_mp4_fails),
        cmocka_unit_test(test_complete_counts_a_late_start),
        cmocka_unit_test(test_av_fail_names_the_step_and_keeps_memory_apart),
        cmocka_unit_test(test_limits_refuse_naming_the_setting),
        cmocka_unit_test(test_decoder_reduces_size_where_the_codec_can),
        cmocka_unit_test(test_decoder_threads_cover_skipped_pictures),
        cmocka_unit_test(test_probe_time_limit_stops_a_slow_input),
        cmocka_unit_test(test_probe_measures_a_file_without_a_length),
        cmocka_unit_test(test_probe_measures_a_guessed_length),
    };
    return cmocka_run_group_tests(tests, temp_dir_setup, temp_dir_teardown);
}
