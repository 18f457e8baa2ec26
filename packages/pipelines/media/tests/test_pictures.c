/* test_pictures.c — the media layer's rules for pictures as players show them: which matrix a
 * stream is read with, and a picture of another size fitted into a stream's first size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "clipforge/media.h"

/* Players read a stated matrix as stated, an unstated one by size, JPEG's formats as BT.601. */
static void test_matrix_is_the_stated_one_else_the_players_guess(void **state) {
    (void)state;
    assert_int_equal(cf_media_yuv_matrix(AVCOL_SPC_BT709, AV_PIX_FMT_YUV420P, 320, 180), AVCOL_SPC_BT709);
    assert_int_equal(cf_media_yuv_matrix(AVCOL_SPC_BT470BG, AV_PIX_FMT_YUV420P, 1920, 1080),
                     AVCOL_SPC_SMPTE170M);
    assert_int_equal(cf_media_yuv_matrix(AVCOL_SPC_UNSPECIFIED, AV_PIX_FMT_YUV420P, 1280, 720),
                     AVCOL_SPC_BT709);
    assert_int_equal(cf_media_yuv_matrix(AVCOL_SPC_UNSPECIFIED, AV_PIX_FMT_YUV420P, 720, 576),
                     AVCOL_SPC_SMPTE170M);
    assert_int_equal(cf_media_yuv_matrix(AVCOL_SPC_UNSPECIFIED, AV_PIX_FMT_YUV420P, 1024, 578),
                     AVCOL_SPC_BT709);
    assert_int_equal(cf_media_yuv_matrix(AVCOL_SPC_UNSPECIFIED, AV_PIX_FMT_YUVJ420P, 1920, 1080),
                     AVCOL_SPC_SMPTE170M);
    assert_true(cf_media_full_range(AVCOL_RANGE_UNSPECIFIED, AV_PIX_FMT_YUVJ420P));
    assert_false(cf_media_full_range(AVCOL_RANGE_UNSPECIFIED, AV_PIX_FMT_YUV420P));
    assert_true(cf_media_full_range(AVCOL_RANGE_JPEG, AV_PIX_FMT_YUV420P));
}

/* A w x h grey frame of a YUV format: luma value, chroma neutral. */
static AVFrame *flat(enum AVPixelFormat format, int w, int h, uint8_t value) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->width = w, f->height = h, f->format = format;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    for (int p = 0; p < 4 && f->data[p]; p++) {
        int rows = p ? -((-h) >> d->log2_chroma_h) : h;
        memset(f->data[p], p ? 128 : value, (size_t)f->linesize[p] * (size_t)rows);
    }
    return f;
}

/* A 16:9 white picture fitted into 4:3: whole (160x90 in 160x120), centred, black above and
 * below, in planar 4:2:0 and in NV12 (chroma interleaved); the size and format asked for. */
static void check_letterbox(enum AVPixelFormat format) {
    struct SwsContext *sws = NULL;
    AVFrame *f = flat(format, 320, 180, 235);
    assert_int_equal(cf_media_fit_picture(f, 160, 120, format, &sws), 0);
    assert_int_equal(f->width, 160);
    assert_int_equal(f->height, 120);
    assert_int_equal(f->format, format);
    const uint8_t *y = f->data[0];
    int ls = f->linesize[0];
    assert_int_equal(y[5 * ls + 80], 16);      /* the bar above: limited-range black */
    assert_int_equal(y[114 * ls + 80], 16);    /* the bar below */
    assert_in_range(y[16 * ls + 2], 225, 245); /* the picture, edge to edge across */
    assert_in_range(y[103 * ls + 157], 225, 245);
    assert_in_range(y[60 * ls + 80], 225, 245);
    sws_freeContext(sws);
    av_frame_free(&f);
}

static void test_a_wider_picture_is_letterboxed_not_stretched(void **state) {
    (void)state;
    check_letterbox(AV_PIX_FMT_YUV420P);
    check_letterbox(AV_PIX_FMT_NV12);
}

/* A 4:3 picture into 16:9 gets bars at the sides; the same size in another format is only
 * converted. */
static void test_a_narrower_picture_is_pillarboxed(void **state) {
    (void)state;
    struct SwsContext *sws = NULL;
    AVFrame *f = flat(AV_PIX_FMT_YUV420P, 240, 180, 200);
    assert_int_equal(cf_media_fit_picture(f, 320, 180, AV_PIX_FMT_YUV420P, &sws), 0);
    const uint8_t *y = f->data[0];
    int ls = f->linesize[0];
    assert_int_equal(y[90 * ls + 10], 16);
    assert_int_equal(y[90 * ls + 310], 16);
    assert_in_range(y[90 * ls + 160], 190, 210);
    assert_in_range(y[90 * ls + 42], 190, 210); /* 240 wide from x=40 */
    av_frame_free(&f);
    f = flat(AV_PIX_FMT_YUV444P, 320, 180, 200);
    assert_int_equal(cf_media_fit_picture(f, 320, 180, AV_PIX_FMT_YUV420P, &sws), 0);
    assert_int_equal(f->format, AV_PIX_FMT_YUV420P);
    assert_in_range(f->data[0][2], 190, 210);
    sws_freeContext(sws);
    av_frame_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_is_the_stated_one_else_the_players_guess),
        cmocka_unit_test(test_a_wider_picture_is_letterboxed_not_stretched),
        cmocka_unit_test(test_a_narrower_picture_is_pillarboxed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
