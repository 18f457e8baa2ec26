/* test_plays.c — an animation's own play count: the GIF and APNG block readers on hand-made bytes
 * (where the loop block sits, other blocks around it, files cut short), and cf_media_plays on
 * files the ffmpeg CLI writes with each count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/media.h"
#include "media_fixture.h"
#include "plays.h"

#define HEAD "GIF89a\x01\x00\x01\x00\x00\x00\x00"                              /* 1x1, no colour table */
#define PICTURE "\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x4c\x01\x00" /* one, with its data */
#define LOOP(lo, hi) "\x21\xff\x0bNETSCAPE2.0\x03\x01" lo hi "\x00"
#define XMP "\x21\xff\x0bXMP DataXMP\x04<x/>\x00" /* another application's block */
#define COMMENT "\x21\xfe\x05hello\x00"

static int plays_of(const char *bytes, size_t n, int apng) {
    FILE *f = fmemopen((void *)bytes, n, "rb");
    assert_non_null(f);
    int plays = cfmedia_plays(f, apng);
    fclose(f);
    return plays;
}
#define GIF_PLAYS(lit) plays_of(lit, sizeof lit - 1, 0)

static void test_gif_loop_block_wherever_it_sits(void **state) {
    (void)state;
    assert_int_equal(GIF_PLAYS(HEAD PICTURE PICTURE ";"), 1); /* no block: once */
    assert_int_equal(GIF_PLAYS(HEAD LOOP("\x00", "\x00") PICTURE PICTURE ";"), 0);
    assert_int_equal(GIF_PLAYS(HEAD LOOP("\x02", "\x00") PICTURE PICTURE ";"), 3);
    assert_int_equal(GIF_PLAYS(HEAD LOOP("\xff", "\xff") PICTURE ";"), 65536);
    assert_int_equal(GIF_PLAYS(HEAD XMP COMMENT LOOP("\x01", "\x00") PICTURE ";"), 2);
    assert_int_equal(GIF_PLAYS(HEAD PICTURE LOOP("\x01", "\x00") PICTURE ";"), 2);
    /* a colour table of 2 colours, global and local, skipped */
    assert_int_equal(GIF_PLAYS("GIF89a\x01\x00\x01\x00\x80\x00\x00"
                               "\x00\x00\x00\xff\xff\xff" LOOP("\x04", "\x00") PICTURE ";"),
                     5);
    assert_int_equal(
        GIF_PLAYS(HEAD "\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x80\x01\x02\x03\x04\x05\x06\x02\x02\x4c\x01"
                       "\x00;"),
        1);
    assert_int_equal(GIF_PLAYS("GIF87a\x01\x00\x01\x00\x00\x00\x00" PICTURE ";"), 1);
}

static void test_gif_that_cannot_tell(void **state) {
    (void)state;
    assert_int_equal(GIF_PLAYS(HEAD PICTURE PICTURE), -1);            /* cut short before it says */
    assert_int_equal(GIF_PLAYS(HEAD "\x2c\x00\x00\x00\x00\x01"), -1); /* inside a descriptor */
    assert_int_equal(GIF_PLAYS(HEAD "\x21\xff\x0bNETSCAPE2"), -1);
    assert_int_equal(GIF_PLAYS(HEAD "\x99" PICTURE ";"), -1); /* not a GIF block */
    assert_int_equal(GIF_PLAYS("GIF8"), -1);
    assert_int_equal(GIF_PLAYS("\x89PNG\r\n\x1a\n"), -1);
    assert_int_equal(GIF_PLAYS(""), -1);
}

#define PNG_SIG "\x89PNG\r\n\x1a\n"
#define IHDR                                                                                                 \
    "\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"                               \
    "CRC!"
#define ACTL(plays)                                                                                          \
    "\x00\x00\x00\x08"                                                                                       \
    "acTL\x00\x00\x00\x02\x00\x00\x00" plays "CRC!"
#define IDAT                                                                                                 \
    "\x00\x00\x00\x01IDAT\x00"                                                                               \
    "CRC!"
#define APNG_PLAYS(lit) plays_of(lit, sizeof lit - 1, 1)

static void test_apng_num_plays(void **state) {
    (void)state;
    assert_int_equal(APNG_PLAYS(PNG_SIG IHDR ACTL("\x03") IDAT), 3);
    assert_int_equal(APNG_PLAYS(PNG_SIG IHDR ACTL("\x00") IDAT), 0);
    assert_int_equal(APNG_PLAYS(PNG_SIG IHDR IDAT ACTL("\x03")), -1); /* a still: acTL comes first */
    assert_int_equal(APNG_PLAYS(PNG_SIG IHDR), -1);
    assert_int_equal(APNG_PLAYS(PNG_SIG "\x7f\xff\xff\xff"
                                        "tEXt"),
                     -1);
    assert_int_equal(APNG_PLAYS(HEAD PICTURE ";"), -1);
}

static void test_files_as_the_ffmpeg_cli_writes_them(void **state) {
    (void)state;
    char *dir;
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cfplays-", &dir, &err), CF_OK);
    const struct {
        const char *name, *args;
        int plays;
    } cases[] = {
        {"once.gif", "-f lavfi -i testsrc2=s=32x32:r=4:d=1 -loop -1", 1},
        {"thrice.gif", "-f lavfi -i testsrc2=s=32x32:r=4:d=1 -loop 2", 3},
        {"always.gif", "-f lavfi -i testsrc2=s=32x32:r=4:d=1", 0},
        {"twice.png", "-f lavfi -i testsrc2=s=32x32:r=4:d=1 -plays 2 -f apng", 2},
        {"video.mp4", "-f lavfi -i testsrc2=s=32x32:r=4:d=1 -pix_fmt yuv420p", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = fixture_make(dir, cases[i].name, cases[i].args);
        assert_non_null(path);
        cf_media_input in;
        assert_int_equal(cf_media_open(path, NULL, &in, &err), CF_OK);
        assert_int_equal(cf_media_plays(&in), cases[i].plays);
        cf_media_close(&in);
        free(path);
    }
    cf_remove_tree(dir, &err);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gif_loop_block_wherever_it_sits),
        cmocka_unit_test(test_gif_that_cannot_tell),
        cmocka_unit_test(test_apng_num_plays),
        cmocka_unit_test(test_files_as_the_ffmpeg_cli_writes_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
