/* test_subtitles.c — a media file's own text subtitles as cues: SubRip in Matroska, ASS with
 * styling, MP4 timed text, the stream chosen by language, a file without text subtitles; and the
 * ASS event text made plain. Media made by the ffmpeg CLI at run time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/fs.h"
#include "clipforge/subtitles.h"
#define TEMP_DIR_PREFIX "cfsubs-"
#include "temp_dir.h"

static char *write_file(const char *name, const char *text) {
    char *path = cf_path_join(g_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* ffmpeg -y ARGS 'dir/name'; the path (caller frees). */
static char *make(const char *name, const char *args) {
    char *path = cf_path_join(g_dir, name), cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && ffmpeg -nostdin -loglevel error -y %s '%s'", g_dir, args, path);
    assert_int_equal(system(cmd), 0);
    return path;
}

/* media time 0 is the container's start, which the sound's encoder delay may put a few tens of
 * milliseconds before the subtitles' zero */
#define assert_near_ms(a, b) assert_in_range((a), (b)-50, (b) + 50)

#define VIDEO "-f lavfi -i color=c=black:s=64x64:r=10:d=8 -f lavfi -i sine=d=8 "

static void test_srt_in_matroska(void **state) {
    (void)state;
    free(write_file("a.srt", "1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> there,\nfriend\n\n"
                             "2\n00:00:04,000 --> 00:00:05,000\nSecond line\n"));
    char *path = make("srt.mkv", VIDEO "-i a.srt -map 0 -map 1 -map 2 -c:v libx264 -c:a aac -c:s srt "
                                       "-metadata:s:s:0 language=eng");
    cf_subtitle_stream s;
    cf_error err;
    assert_int_equal(cf_subtitles_find(path, "en-us", &s, &err), CF_OK);
    assert_int_equal(s.index, 2);
    assert_string_equal(s.codec, "subrip");
    assert_string_equal(s.language, "eng");
    cf_caption_track t;
    assert_int_equal(cf_subtitles_read(path, &s, &t, &err), CF_OK);
    assert_int_equal(t.n_cues, 2);
    assert_near_ms(t.cues[0].start_ms, 1000);
    assert_near_ms(t.cues[0].end_ms, 2500);
    assert_string_equal(t.cues[0].text, "Hello there,\nfriend");
    assert_near_ms(t.cues[1].start_ms, 4000);
    assert_string_equal(t.cues[1].text, "Second line");
    cf_caption_track_free(&t);
    /* another language only: not the speech's words */
    assert_int_equal(cf_subtitles_find(path, "fr-fr", &s, &err), CF_ERR_NOT_FOUND);
    free(path);
}

static void test_ass_styling_removed(void **state) {
    (void)state;
    free(write_file("a.ass",
                    "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\n"
                    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
                    "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
                    "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
                    "Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,"
                    "100,0,0,1,2,0,2,10,10,10,1\n\n[Events]\n"
                    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
                    "Dialogue: 0,0:00:02.00,0:00:03.50,Default,Bob,0,0,0,,{\\i1}Well,{\\i0} "
                    "that's it\\Nfor today\n"));
    char *path = make("ass.mkv", VIDEO "-i a.ass -map 0 -map 1 -map 2 -c:v libx264 -c:a aac -c:s ass");
    cf_subtitle_stream s;
    cf_error err;
    assert_int_equal(cf_subtitles_find(path, "en-us", &s, &err), CF_OK); /* untagged: any language */
    cf_caption_track t;
    assert_int_equal(cf_subtitles_read(path, &s, &t, &err), CF_OK);
    assert_int_equal(t.n_cues, 1);
    assert_near_ms(t.cues[0].start_ms, 2000);
    assert_near_ms(t.cues[0].end_ms, 3500);
    assert_string_equal(t.cues[0].text, "Well, that's it\nfor today");
    cf_caption_track_free(&t);
    free(path);
}

static void test_mp4_timed_text_and_the_language_chosen(void **state) {
    (void)state;
    free(write_file("en.srt", "1\n00:00:01,000 --> 00:00:02,000\ngood morning\n"));
    free(write_file("de.srt", "1\n00:00:01,000 --> 00:00:02,000\nguten Morgen\n"));
    char *path =
        make("two.mp4", VIDEO "-i de.srt -i en.srt -map 0 -map 1 -map 2 -map 3 -c:v libx264 -c:a aac "
                              "-c:s mov_text -metadata:s:s:0 language=ger -metadata:s:s:1 language=eng");
    cf_subtitle_stream s;
    cf_error err;
    cf_caption_track t;
    assert_int_equal(cf_subtitles_find(path, "en-us", &s, &err), CF_OK);
    assert_int_equal(s.index, 3);
    assert_string_equal(s.codec, "mov_text");
    assert_int_equal(cf_subtitles_read(path, &s, &t, &err), CF_OK);
    assert_int_equal(t.n_cues, 1);
    assert_string_equal(t.cues[0].text, "good morning");
    cf_caption_track_free(&t);
    assert_int_equal(cf_subtitles_find(path, "de", &s, &err), CF_OK);
    assert_int_equal(s.index, 2);
    assert_int_equal(cf_subtitles_read(path, &s, &t, &err), CF_OK);
    assert_string_equal(t.cues[0].text, "guten Morgen");
    cf_caption_track_free(&t);
    free(path);
}

static void test_no_text_subtitles(void **state) {
    (void)state;
    char *path = make("plain.mp4", VIDEO "-c:v libx264 -c:a aac");
    cf_subtitle_stream s;
    cf_error err;
    assert_int_equal(cf_subtitles_find(path, "en-us", &s, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(s.index, -1);
    s.index = 0; /* the video: no text subtitle stream */
    cf_caption_track t;
    assert_int_equal(cf_subtitles_read(path, &s, &t, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(t.n_cues, 0);
    free(path);
}

static void test_plain_text_of_ass_events(void **state) {
    (void)state;
    char out[256];
    assert_int_equal(cf_subtitles_plain_text("0,0,Default,,0,0,0,,{\\an8}Top {\\b1}bold{\\b0}\\Nnext", out),
                     13);
    assert_string_equal(out, "Top bold\nnext");
    cf_subtitles_plain_text("3,0,Default,Name,0,0,0,,commas, in, text", out);
    assert_string_equal(out, "commas, in, text");
    cf_subtitles_plain_text("1,0,Default,,0,0,0,,  a\\h b  \\N\\N  c ", out);
    assert_string_equal(out, "a  b\nc");
    cf_subtitles_plain_text("1,0,Default,,0,0,0,,{unclosed", out);
    assert_string_equal(out, "");
    cf_subtitles_plain_text("no event fields", out);
    assert_string_equal(out, "no event fields");
    cf_subtitles_plain_text("", out);
    assert_string_equal(out, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srt_in_matroska),
        cmocka_unit_test(test_ass_styling_removed),
        cmocka_unit_test(test_mp4_timed_text_and_the_language_chosen),
        cmocka_unit_test(test_no_text_subtitles),
        cmocka_unit_test(test_plain_text_of_ass_events),
    };
    return cmocka_run_group_tests(tests, temp_dir_setup, temp_dir_teardown);
}
