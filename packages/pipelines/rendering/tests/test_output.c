/* test_output.c — a render output: the pictures a graph gives are encoded and the file finished;
 * a graph that gives none fails the output (the muxer would write a file with no stream). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libavfilter/buffersink.h>

#include "clipforge/fs.h"
#include "output_file.h"

static char dir[] = "/tmp/cf_render_outputXXXXXX";

/* Renders `pictures` frames of a 64x64 test pattern into an mp4 in dir; the finish's result. */
static cf_err render_pictures(int pictures, output_file *o, cf_error *err) {
    char desc[128], path[256];
    snprintf(desc, sizeof desc, "testsrc=s=64x64:r=25,trim=end_frame=%d,format=yuv420p[outv0]", pictures);
    snprintf(path, sizeof path, "%s/out%d.mp4", dir, pictures);
    AVFilterGraph *g = avfilter_graph_alloc();
    AVFilterInOut *ins = NULL, *outs = NULL;
    assert_true(avfilter_graph_parse2(g, desc, &ins, &outs) >= 0);
    assert_true(avfilter_graph_create_filter(&o->vsink, avfilter_get_by_name("buffersink"), "outv0", NULL,
                                             NULL, g) >= 0);
    assert_true(avfilter_link(outs->filter_ctx, outs->pad_idx, o->vsink, 0) >= 0);
    assert_true(avfilter_graph_config(g, NULL) >= 0);
    avfilter_inout_free(&ins);
    avfilter_inout_free(&outs);
    o->path = o->work_path = path;
    o->format = CF_TARGET_FORMAT_MP4;
    cf_err e = cf_render_output_open(o, 0, 1, err);
    for (int ret = 0; !e && ret != AVERROR_EOF;) {
        ret = avfilter_graph_request_oldest(g);
        e = cf_render_output_drain(o, NULL, NULL, err);
    }
    if (!e) e = cf_render_output_finish(o, err);
    cf_render_output_close(o);
    avfilter_graph_free(&g);
    o->path = o->work_path = NULL;
    return e;
}

static void test_pictures_are_encoded(void **state) {
    (void)state;
    output_file o = {0};
    cf_error err = {0};
    assert_int_equal(render_pictures(3, &o, &err), CF_OK);
    assert_int_equal(o.frames, 3);
}

static void test_no_picture_fails_the_output(void **state) {
    (void)state;
    output_file o = {0};
    cf_error err = {0};
    assert_int_equal(render_pictures(0, &o, &err), CF_ERR_PROCESSING);
    assert_non_null(strstr(err.msg, "the render gave no picture"));
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    return cf_remove_tree(dir, &err) == CF_OK ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pictures_are_encoded),
        cmocka_unit_test(test_no_picture_fails_the_output),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
