/* test_haar.c — the Haar cascade detector on a real portrait, on images without faces, on
 * broken cascade files, and its speed on a 640x360 frame; the grey reader's sparse reading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gray_reader.h"
#include "haar_cascade.h"

static cf_haar_cascade *cascade;

static int setup(void **state) {
    (void)state;
    cf_error err;
    return cf_haar_load(CF_DEFAULT_FACE_CASCADE, &cascade, &err) == CF_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_haar_free(cascade);
    return 0;
}

static char *testdata(const char *name) {
    static char path[1024];
    const char *dir = getenv("CF_RENDER_TESTDATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", name);
    return path;
}

/* Loads a still image as grey (w x h, 0 = source size); caller frees *buf. */
static cf_gray_image load_gray(const char *path, int w, int h, uint8_t **buf) {
    cf_error err;
    cf_gray_reader *r = NULL;
    cf_gray_image img = {0};
    int64_t ms;
    bool eof;
    if (cf_gray_reader_open(path, 0, w, h, &r, &err) != CF_OK) fail_msg("%s", err.msg);
    assert_int_equal(cf_gray_reader_next(r, &img, &ms, &eof, &err), CF_OK);
    assert_false(eof);
    *buf = malloc((size_t)img.width * img.height);
    memcpy(*buf, img.data, (size_t)img.width * img.height);
    img.data = *buf;
    cf_gray_reader_close(r);
    return img;
}

static size_t detect(const cf_gray_image *img, cf_rect **faces) {
    cf_error err;
    size_t n = 0;
    cf_detect_params p;
    cf_detect_params_default(&p);
    p.min_size = 30;
    if (cf_haar_detect(cascade, img, &p, faces, &n, &err) != CF_OK) fail_msg("%s", err.msg);
    return n;
}

static void test_finds_the_face_in_a_portrait(void **state) {
    (void)state;
    uint8_t *buf;
    cf_gray_image img = load_gray(testdata("face.png"), 0, 0, &buf);
    assert_int_equal(img.width, 512);
    cf_rect *faces = NULL;
    size_t n = detect(&img, &faces);
    for (size_t i = 0; i < n; i++)
        printf("face %zu: %d,%d %dx%d\n", i, faces[i].x, faces[i].y, faces[i].w, faces[i].h);
    assert_int_equal(n, 1);
    /* the astronaut's face: eyes around y=105, mouth y=145, nose x=222 */
    assert_true(faces[0].x < 222 && faces[0].x + faces[0].w > 222);
    assert_true(faces[0].y < 110 && faces[0].y + faces[0].h > 145);
    assert_in_range(faces[0].w, 70, 160);
    free(faces);
    free(buf);
}

static void test_finds_the_face_when_shrunk(void **state) {
    (void)state;
    uint8_t *buf;
    cf_gray_image img = load_gray(testdata("face.png"), 256, 256, &buf);
    cf_rect *faces = NULL;
    size_t n = detect(&img, &faces);
    assert_int_equal(n, 1);
    assert_true(faces[0].x < 111 && faces[0].x + faces[0].w > 111);
    free(faces);
    free(buf);
}

static void test_no_face_in_a_test_pattern(void **state) {
    (void)state;
    uint8_t *buf;
    cf_gray_image img = load_gray(testdata("testsrc.png"), 0, 0, &buf);
    cf_rect *faces = NULL;
    assert_int_equal(detect(&img, &faces), 0);
    assert_null(faces);
    free(buf);
}

static void test_no_face_in_noise_or_flat_grey(void **state) {
    (void)state;
    enum { W = 320, H = 240 };
    uint8_t *px = malloc(W * H);
    uint32_t s = 12345;
    for (int i = 0; i < W * H; i++) px[i] = (uint8_t)((s = s * 1103515245u + 12345u) >> 24);
    cf_gray_image img = {px, W, H, W};
    cf_rect *faces = NULL;
    assert_int_equal(detect(&img, &faces), 0);
    memset(px, 128, W * H);
    assert_int_equal(detect(&img, &faces), 0);
    free(px);
}

static void test_detection_speed_on_640x360(void **state) {
    (void)state;
    uint8_t *buf;
    cf_gray_image face = load_gray(testdata("face.png"), 360, 360, &buf);
    /* the portrait pillarboxed into a 16:9 frame, as a video frame would show it */
    uint8_t *frame = calloc(640 * 360, 1);
    for (int y = 0; y < 360; y++) memcpy(frame + y * 640 + 140, face.data + y * 360, 360);
    cf_gray_image img = {frame, 640, 360, 640};
    struct timespec a, b;
    cf_rect *faces = NULL;
    clock_gettime(CLOCK_MONOTONIC, &a);
    size_t n = detect(&img, &faces);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    printf("640x360 detection (min face 30 px): %.1f ms, %zu face(s)\n", ms, n);
    assert_int_equal(n, 1);
    assert_true(faces[0].x < 140 + 156 && faces[0].x + faces[0].w > 140 + 156);
    free(faces);
    free(frame);
    free(buf);
}

static void test_bad_cascade_files_are_refused(void **state) {
    (void)state;
    cf_error err;
    cf_haar_cascade *c = (cf_haar_cascade *)1;
    assert_int_not_equal(cf_haar_load("/nonexistent/cascade.xml", &c, &err), CF_OK);
    assert_null(c);
    char path[] = "/tmp/cf_bad_cascadeXXXXXX";
    int fd = mkstemp(path);
    const char *bad = "<?xml version=\"1.0\"?><opencv_storage><cascade><stageType>BOOST</stageType>"
                      "<featureType>HAAR</featureType><height>24</height><width>24</width><stages><_>"
                      "<maxWeakCount>1</maxWeakCount><stageThreshold>-1</stageThreshold><weakClassifiers><_>"
                      "<internalNodes>0 -1 7 0.5</internalNodes><leafValues>1 -1</leafValues></_>"
                      "</weakClassifiers></_></stages><features><_><rects><_>0 0 4 4 -1.</_><_>0 0 2 4 2.</_>"
                      "</rects></_></features></cascade></opencv_storage>";
    assert_true(write(fd, bad, strlen(bad)) > 0);
    close(fd);
    assert_int_equal(cf_haar_load(path, &c, &err), CF_ERR_INVALID_MEDIA);
    assert_non_null(strstr(err.msg, "weakClassifiers[0]"));
    unlink(path);
}

static void test_grouping_merges_neighbours_and_drops_lonely_hits(void **state) {
    (void)state;
    cf_rect r[] = {
        {100, 100, 50, 50}, {102, 101, 50, 50}, {99, 98, 52, 52}, {101, 100, 49, 49}, {300, 10, 40, 40}};
    size_t n = cf_group_rects(r, 5, 3, 0.2);
    assert_int_equal(n, 1);
    assert_in_range(r[0].x, 99, 102);
    assert_in_range(r[0].w, 49, 52);
}

/* The scales are scanned on several threads: the faces found are those one thread finds, in the
 * same order, on a frame with two faces at different sizes and on the test pattern. */
static void test_threads_find_what_one_thread_finds(void **state) {
    (void)state;
    uint8_t *buf, *big;
    cf_gray_image face = load_gray(testdata("face.png"), 300, 300, &buf);
    cf_gray_image small = load_gray(testdata("face.png"), 120, 120, &big);
    uint8_t *frame = calloc(640 * 360, 1);
    for (int y = 0; y < 300; y++) memcpy(frame + (y + 30) * 640 + 20, face.data + y * 300, 300);
    for (int y = 0; y < 120; y++) memcpy(frame + (y + 100) * 640 + 460, small.data + y * 120, 120);
    cf_gray_image img = {frame, 640, 360, 640};
    cf_detect_params p;
    cf_detect_params_default(&p);
    p.scale_factor = 1.15, p.min_size = 20;
    cf_rect *one = NULL, *many = NULL;
    size_t n_one = 0, n_many = 0;
    cf_error err;
    p.threads = 1;
    assert_int_equal(cf_haar_detect(cascade, &img, &p, &one, &n_one, &err), CF_OK);
    p.threads = 3;
    assert_int_equal(cf_haar_detect(cascade, &img, &p, &many, &n_many, &err), CF_OK);
    assert_int_equal(n_one, 2);
    assert_int_equal(n_many, n_one);
    assert_memory_equal(one, many, n_one * sizeof *one);
    free(one);
    free(many);
    p.min_neighbors = 0; /* the raw windows, before grouping: the same list in the same order */
    p.threads = 1;
    assert_int_equal(cf_haar_detect(cascade, &img, &p, &one, &n_one, &err), CF_OK);
    p.threads = 4;
    assert_int_equal(cf_haar_detect(cascade, &img, &p, &many, &n_many, &err), CF_OK);
    assert_true(n_one > 2);
    assert_int_equal(n_many, n_one);
    assert_memory_equal(one, many, n_one * sizeof *one);
    free(one);
    free(many);
    free(frame);
    free(buf);
    free(big);
}

/* Reads every frame of path from 0 (or, sparse, the first at or after each multiple of every_ms)
 * into frames[] (w x h grey each) and times[]; returns the count. */
static int read_frames(const char *path, bool sparse, int64_t every_ms, int w, int h, uint8_t *frames,
                       int64_t *times, int max) {
    cf_error err;
    cf_gray_reader *r = NULL;
    cf_err e = sparse ? cf_gray_reader_open_sparse(path, 0, w, h, &r, &err)
                      : cf_gray_reader_open(path, 0, w, h, &r, &err);
    if (e != CF_OK) fail_msg("%s", err.msg);
    int n = 0;
    for (int64_t next = 0; n < max; next = times[n - 1] + every_ms) {
        cf_gray_image img;
        bool eof;
        if (sparse) cf_gray_reader_skip_to(r, next);
        assert_int_equal(cf_gray_reader_next(r, &img, &times[n], &eof, &err), CF_OK);
        if (eof) break;
        assert_int_equal(img.width, w);
        for (int y = 0; y < h; y++)
            memcpy(frames + ((size_t)n * h + y) * w, img.data + (size_t)y * img.stride, w);
        n++;
    }
    cf_gray_reader_close(r);
    return n;
}

/* True when every frame of some[0..n) is, to the pixel, the frame of all[0..n_all) at its time. */
static bool frames_of(const uint8_t *some, const int64_t *t_some, int n, const uint8_t *all,
                      const int64_t *t_all, int n_all, size_t size) {
    for (int i = 0, j = 0; i < n; i++) {
        while (j < n_all && t_all[j] != t_some[i]) j++;
        if (j == n_all || memcmp(some + (size_t)i * size, all + (size_t)j * size, size)) return false;
    }
    return true;
}

/* An analysis that looks at a frame every 500 ms (the split layout's faces) skips the pictures
 * no other refers to and scales only what it looks at: what it gets is, frame for frame, what
 * the full reading gives at those times, never earlier than asked. */
static void test_sparse_reading_gives_the_frames_of_the_full_one(void **state) {
    (void)state;
    enum { W = 80, H = 45, MAX = 200 };
    uint8_t *all = malloc((size_t)MAX * W * H), *ref = malloc((size_t)MAX * W * H),
            *some = malloc((size_t)MAX * W * H);
    int64_t t_all[MAX], t_ref[MAX], t_some[MAX];
    const char *path = testdata("moving_box.mp4"); /* 25 fps, 4.5 s, with B-frames */
    int n_all = read_frames(path, false, 0, W, H, all, t_all, MAX);
    int n_ref = read_frames(path, true, 0, W, H, ref, t_ref, MAX);
    int n_some = read_frames(path, true, 500, W, H, some, t_some, MAX);
    printf("frames: %d, reference frames: %d, one every 500 ms: %d\n", n_all, n_ref, n_some);
    assert_int_equal(n_all, 113);
    assert_in_range(n_ref, 10, n_all * 3 / 4); /* the B-frames no other refers to are not decoded */
    assert_in_range(n_some, 7, 10);
    for (int i = 1; i < n_some; i++) assert_true(t_some[i] >= t_some[i - 1] + 500);
    assert_true(frames_of(ref, t_ref, n_ref, all, t_all, n_all, (size_t)W * H));
    assert_true(frames_of(some, t_some, n_some, all, t_all, n_all, (size_t)W * H));
    free(all);
    free(ref);
    free(some);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_the_face_in_a_portrait),
        cmocka_unit_test(test_finds_the_face_when_shrunk),
        cmocka_unit_test(test_no_face_in_a_test_pattern),
        cmocka_unit_test(test_no_face_in_noise_or_flat_grey),
        cmocka_unit_test(test_detection_speed_on_640x360),
        cmocka_unit_test(test_bad_cascade_files_are_refused),
        cmocka_unit_test(test_grouping_merges_neighbours_and_drops_lonely_hits),
        cmocka_unit_test(test_sparse_reading_gives_the_frames_of_the_full_one),
        cmocka_unit_test(test_threads_find_what_one_thread_finds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
