/* test_reframe.c — the virtual camera: follows a moving subject, keeps it in the crop on every
 * frame, holds still when the subject stands still, ignores jitter inside the dead zone, moves
 * with bounded speed, and jumps only at a scene cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reframe.h"

static const char *media(const char *name) {
    static char path[1024];
    const char *dir = getenv("CF_RENDER_TESTDATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", name);
    return path;
}

/* The box of make_test_media.sh: left edge at time t (s). */
static double box_x(double t) {
    if (t < 1.5) return 10 + 120 * t;
    if (t < 3) return 190;
    return 190 - 120 * (t - 3);
}

static void test_moving_box_stays_inside_the_vertical_crop(void **state) {
    (void)state;
    cf_camera_path path;
    cf_error err;
    cf_reframe_params p;
    cf_reframe_params_default(&p);
    if (cf_reframe_analyze(media("moving_box.mp4"), 0, 0, &p, NULL, &path, &err) != CF_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(path.src_w, 320);
    assert_int_equal(path.crop_w, 100); /* 180 * 9/16 = 101.25, even */
    assert_int_equal(path.crop_h, 180);
    assert_in_range(path.n_samples, 110, 114);
    int outside = 0;
    for (size_t i = 0; i < path.n_samples; i++) {
        const cf_camera_sample *s = &path.samples[i];
        double bx = box_x(s->t_ms / 1000.0);
        if (bx < s->crop_x - 1 || bx + 24 > s->crop_x + path.crop_w + 1) {
            printf("t=%lld ms: box %.0f..%.0f, crop %d..%d\n", (long long)s->t_ms, bx, bx + 24, s->crop_x,
                   s->crop_x + path.crop_w);
            outside++;
        }
    }
    assert_int_equal(outside, 0);
    /* the camera did follow: it moved right, then back left */
    assert_true(cf_camera_path_at(&path, 2500)->crop_x > 120);
    assert_true(cf_camera_path_at(&path, 4400)->crop_x < 40);
    cf_camera_path_free(&path);
}

static void test_camera_holds_still_while_the_subject_stands(void **state) {
    (void)state;
    cf_camera_path path;
    cf_error err;
    if (cf_reframe_analyze(media("moving_box.mp4"), 0, 0, NULL, NULL, &path, &err) != CF_OK)
        fail_msg("%s", err.msg);
    int lo = 1 << 30, hi = -1;
    for (size_t i = 0; i < path.n_samples; i++) {
        const cf_camera_sample *s = &path.samples[i];
        if (s->t_ms < 2100 || s->t_ms > 2700) continue; /* box stands from 1.5 s to 3 s */
        lo = s->crop_x < lo ? s->crop_x : lo;
        hi = s->crop_x > hi ? s->crop_x : hi;
    }
    printf("crop x while the box stands: %d..%d\n", lo, hi);
    assert_true(hi >= lo);
    assert_int_equal(hi, lo);
    json_t *j = cf_camera_path_to_json(&path);
    assert_int_equal(json_array_size(json_object_get(j, "samples")), path.n_samples);
    json_decref(j);
    cf_camera_path_free(&path);
}

static void test_span_is_analysed_from_its_start(void **state) {
    (void)state;
    cf_camera_path path;
    cf_error err;
    if (cf_reframe_analyze(media("moving_box.mp4"), 2000, 3000, NULL, NULL, &path, &err) != CF_OK)
        fail_msg("%s", err.msg);
    assert_in_range(path.n_samples, 24, 26);
    assert_int_equal(path.samples[0].t_ms, 0);
    cf_camera_path_free(&path);
}

static void test_camera_centres_a_still_face(void **state) {
    (void)state;
    cf_camera_path path;
    cf_error err;
    if (cf_reframe_analyze(media("face_right.mp4"), 0, 0, NULL, NULL, &path, &err) != CF_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(path.crop_w, 202);
    int with_face = 0;
    for (size_t i = 0; i < path.n_samples; i++) with_face += path.samples[i].faces > 0;
    const cf_camera_sample *last = &path.samples[path.n_samples - 1];
    double centre = last->crop_x + path.crop_w / 2.0;
    printf("%d of %zu frames saw a face; crop centre %.0f (face near 450)\n", with_face, path.n_samples,
           centre);
    assert_true(with_face > (int)path.n_samples / 2);
    assert_true(centre > 420 && centre < 480);
    /* a still subject: the camera never moves */
    for (size_t i = 1; i < path.n_samples; i++)
        assert_int_equal(path.samples[i].crop_x, path.samples[0].crop_x);
    cf_camera_path_free(&path);
}

/* Two people (the portrait at x=60 y=10 and x=420 y=200, faces near x=125 and x=485): each
 * panel of a 1080x1920 split (1080x960 panels) is framed on one of them, the left one on top. */
static void test_split_frames_each_face(void **state) {
    (void)state;
    cf_rect r[2];
    cf_error err;
    if (cf_split_regions(media("two_faces.mp4"), 0, 2000, 1080.0 / 960.0, NULL, r, &err) != CF_OK)
        fail_msg("%s", err.msg);
    for (int k = 0; k < 2; k++)
        printf("panel %d: %dx%d at %d,%d (centre %d,%d)\n", k, r[k].w, r[k].h, r[k].x, r[k].y,
               r[k].x + r[k].w / 2, r[k].y + r[k].h / 2);
    double c0 = r[0].x + r[0].w / 2.0, c1 = r[1].x + r[1].w / 2.0;
    assert_true(fabs(c0 - 125) < 40 || r[0].x == 0); /* centred on the face unless held by the frame edge */
    assert_true(fabs(c1 - 485) < 40 || r[1].x + r[1].w >= 638);
    assert_true(r[0].x <= 125 - 30 && r[0].x + r[0].w >= 125 + 30); /* the whole face is inside */
    assert_true(r[1].x <= 485 - 30 && r[1].x + r[1].w >= 485 + 30);
    assert_true(r[0].y + r[0].h / 2 < r[1].y + r[1].h / 2); /* the upper person's region is higher */
    for (int k = 0; k < 2; k++) {
        assert_true(r[k].x >= 0 && r[k].y >= 0 && r[k].x + r[k].w <= 640 && r[k].y + r[k].h <= 360);
        assert_true(fabs((double)r[k].w / r[k].h - 1080.0 / 960.0) < 0.03);
        assert_true(r[k].w < 320); /* tighter than a half of the frame */
    }
}

static void test_split_without_two_people_is_not_found(void **state) {
    (void)state;
    cf_rect r[2];
    cf_error err;
    assert_int_equal(cf_split_regions(media("face_right.mp4"), 0, 2000, 1.125, NULL, r, &err),
                     CF_ERR_NOT_FOUND);
    assert_int_equal(cf_split_regions(media("moving_box.mp4"), 0, 2000, 1.125, NULL, r, &err),
                     CF_ERR_NOT_FOUND);
    /* a second face in one look of eight is a passer-by (or a detector's mistake), not a
     * second person to give half the picture to */
    assert_int_equal(cf_split_regions(media("guest_briefly.mp4"), 0, 4000, 1.125, NULL, r, &err),
                     CF_ERR_NOT_FOUND);
    printf("%s\n", err.msg);
}

/* Synthetic regions of interest, 25 fps, on a 1920x1080 source cropped to 9:16. */
static cf_camera_path synthetic(size_t n, double (*roi)(size_t i), size_t cut_at) {
    cf_camera_path path = {.src_w = 1920, .src_h = 1080, .crop_w = 606, .crop_h = 1080, .fps = 25};
    path.samples = calloc(n, sizeof *path.samples);
    path.n_samples = n;
    for (size_t i = 0; i < n; i++) {
        cf_camera_sample *s = &path.samples[i];
        s->t_ms = (int64_t)i * 40;
        s->seen = true;
        s->roi_x = roi(i), s->roi_y = 540;
        s->subj_x0 = s->roi_x - 30, s->subj_x1 = s->roi_x + 30;
        s->subj_y0 = 500, s->subj_y1 = 580;
        s->cut = i == 0 || i == cut_at;
    }
    return path;
}

static double jitter(size_t i) {
    return 900 + (i % 2 ? 20 : -20);
}
static double cut_scene(size_t i) {
    return i < 50 ? 400 : 1500;
}

static void test_jitter_inside_the_dead_zone_does_not_move_the_camera(void **state) {
    (void)state;
    cf_camera_path path = synthetic(100, jitter, 1000);
    cf_reframe_plan(&path, NULL);
    for (size_t i = 1; i < path.n_samples; i++)
        assert_int_equal(path.samples[i].crop_x, path.samples[0].crop_x);
    cf_camera_path_free(&path);
}

static void test_camera_jumps_only_at_the_cut_and_moves_with_bounded_speed(void **state) {
    (void)state;
    cf_camera_path path = synthetic(100, cut_scene, 50);
    cf_reframe_plan(&path, NULL);
    double max_step = 0.6 * 1920 / 25 + 1; /* max_speed per frame */
    for (size_t i = 1; i < path.n_samples; i++) {
        int step = abs(path.samples[i].crop_x - path.samples[i - 1].crop_x);
        if (i == 50) assert_true(step > 900);
        else if (step > max_step) fail_msg("frame %zu moved %d px", i, step);
    }
    /* after the cut the camera is on the new subject at once */
    assert_true(abs(path.samples[50].crop_x + 303 - 1500) < 80);
    cf_camera_path_free(&path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moving_box_stays_inside_the_vertical_crop),
        cmocka_unit_test(test_camera_holds_still_while_the_subject_stands),
        cmocka_unit_test(test_span_is_analysed_from_its_start),
        cmocka_unit_test(test_camera_centres_a_still_face),
        cmocka_unit_test(test_split_frames_each_face),
        cmocka_unit_test(test_split_without_two_people_is_not_found),
        cmocka_unit_test(test_jitter_inside_the_dead_zone_does_not_move_the_camera),
        cmocka_unit_test(test_camera_jumps_only_at_the_cut_and_moves_with_bounded_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
