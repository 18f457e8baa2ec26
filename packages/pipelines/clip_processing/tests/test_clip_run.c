/* test_clip_run.c — cf_clip_run and the clip service through their public API: progress,
 * cancellation through the flag, temp files, the service's prepare/execute/cleanup. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "clipforge/clip.h"
#include "media_fixture.h"

static char *g_dir, *g_tmp, *g_src;

static int setup(void **state) {
    (void)state;
    cf_error err;
    if (cf_make_temp_dir(NULL, "cfcliprun-", &g_dir, &err)) return -1;
    g_tmp = cf_path_join(g_dir, "tmp");
    cf_mkdir_p(g_tmp, &err);
    g_src = fixture_make(g_dir, "src.mp4",
                         "-f lavfi -i testsrc2=s=320x240:r=25:d=4 -f lavfi -i sine=d=4 "
                         "-c:v libx264 -pix_fmt yuv420p -c:a aac -shortest");
    return g_src ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    free(g_tmp);
    free(g_src);
    return 0;
}

static bool dir_is_empty(const char *path) {
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n == 0;
}

static cf_clip_processing_request make_request(const char *ops_json) {
    char text[1024];
    snprintf(text, sizeof text, "{\"clip_id\":\"job/1\",\"source_uri\":\"file://%s\",\"operations\":%s}",
             g_src, ops_json);
    json_t *j = json_loads(text, 0, NULL);
    cf_clip_processing_request req;
    cf_error err;
    assert_int_equal(cf_clip_processing_request_from_json(j, &req, &err), CF_OK);
    json_decref(j);
    return req;
}

typedef struct seen {
    double last;
    int calls;
    bool monotonic;
    double cancel_at; /* set the cancel flag once progress reaches this; 0 = never */
    cf_progress *progress;
} seen;

static void on_progress(void *user, double f, const char *stage) {
    seen *s = user;
    (void)stage;
    if (f + 1e-9 < s->last) s->monotonic = false;
    s->last = f;
    s->calls++;
    if (s->cancel_at > 0 && f >= s->cancel_at) cf_progress_cancel(s->progress);
}

static void test_run_reports_progress_and_result(void **state) {
    (void)state;
    cf_clip_processing_request req =
        make_request("[{\"op\":\"trim\",\"start_ms\":500,\"end_ms\":3500},{\"op\":\"normalize_audio\"},"
                     "{\"op\":\"thumbnail\",\"at_ms\":1000,\"width\":64}]");
    char *out = cf_path_join(g_dir, "out.mp4");
    seen s = {.monotonic = true};
    cf_progress p;
    cf_progress_init(&p, on_progress, &s);
    cf_clip_options opts = {.output_path = out, .temp_dir = g_tmp, .threads = 2};
    cf_clip_processing_result res;
    cf_error err;
    cf_error_clear(&err);
    cf_err rc = cf_clip_run(&req, &opts, &p, &res, &err);
    if (rc) fail_msg("cf_clip_run: %s", err.msg);
    assert_true(s.monotonic);
    assert_true(s.calls > 3);
    assert_float_equal(s.last, 1.0, 1e-9);
    assert_string_equal(res.clip_id, "job/1");
    assert_string_equal(res.output_uri, out);
    assert_int_equal(res.n_artifacts, 2);
    assert_int_equal(res.artifacts[0].kind, CF_ARTIFACT_KIND_VIDEO);
    assert_true(res.artifacts[0].has_duration_ms);
    assert_in_range(res.artifacts[0].duration_ms, 2960, 3040);
    assert_int_equal(res.artifacts[0].bytes, cf_file_size(out));
    assert_int_equal(res.artifacts[1].kind, CF_ARTIFACT_KIND_THUMBNAIL);
    assert_int_equal(res.artifacts[1].width, 64);
    assert_non_null(strstr(res.artifacts[1].uri, "out.jpg"));
    assert_true(cf_file_size(res.artifacts[1].uri) > 0);
    assert_true(dir_is_empty(g_tmp));
    cf_clip_processing_result_free(&res);
    cf_clip_processing_request_free(&req);
    free(out);
}

static void test_cancel_flag_stops_and_cleans_up(void **state) {
    (void)state;
    cf_clip_processing_request req = make_request("[{\"op\":\"scale\",\"width\":640}]");
    char *out = cf_path_join(g_dir, "cancelled.mp4");
    cf_progress p;
    seen s = {.monotonic = true, .cancel_at = 0.3, .progress = &p};
    cf_progress_init(&p, on_progress, &s);
    cf_clip_options opts = {.output_path = out, .temp_dir = g_tmp, .threads = 0};
    cf_clip_processing_result res;
    cf_error err;
    assert_int_equal(cf_clip_run(&req, &opts, &p, &res, &err), CF_ERR_CANCELLED);
    assert_true(s.last < 0.6); /* stopped early, not at the end */
    assert_int_equal(cf_file_size(out), -1);
    assert_true(dir_is_empty(g_tmp));
    assert_int_equal(res.n_artifacts, 0);
    cf_clip_processing_request_free(&req);
    free(out);
}

static void test_service_prepare_execute_cleanup(void **state) {
    (void)state;
    const cf_clip_service *svc = cf_clip_service_default();
    assert_int_equal(svc->version, 1);
    char *data = cf_path_join(g_dir, "data");
    setenv("TMPDIR", g_tmp, 1);
    cf_error err;
    cf_clip_settings settings = {.data_dir = data};
    assert_int_equal(cf_clip_configure(&settings, &err), CF_OK);
    cf_clip_processing_request bad = make_request("[{\"op\":\"trim\",\"start_ms\":9000,\"end_ms\":9500}]");
    assert_int_equal(svc->prepare(svc->self, &bad, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "past the end"));
    cf_clip_processing_request req = make_request("[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":1000}]");
    assert_int_equal(svc->prepare(svc->self, &req, &err), CF_OK);
    cf_clip_processing_result res;
    cf_err rc = svc->execute(svc->self, &req, NULL, &res, &err);
    if (rc) fail_msg("execute: %s", err.msg);
    assert_non_null(strstr(res.output_uri, "/clips/job_1/clip.mp4"));
    assert_true(cf_file_size(res.output_uri) > 0);
    /* A crashed job's temp dirs are found by the clip's prefix and removed (with an owner's token
     * in the name, and without: made by a version before owners); another clip's are kept. */
    char *left = cf_path_join(g_tmp, "cfclip-job_1-abc123"), *named = NULL, *other = NULL;
    assert_int_equal(cf_mkdir_p(left, &err), CF_OK);
    assert_int_equal(cf_make_temp_dir(NULL, "cfclip-job_1-", &named, &err), CF_OK); /* in TMPDIR */
    assert_int_equal(cf_make_temp_dir(NULL, "cfclip-job_12-", &other, &err), CF_OK);
    assert_true(strlen(named) == strlen(g_tmp) + strlen("/cfclip-job_1-") + 13); /* an owner's token */
    assert_int_equal(svc->cleanup(svc->self, "job/1", &err), CF_OK);
    struct stat st;
    assert_int_not_equal(stat(left, &st), 0);
    assert_int_not_equal(stat(named, &st), 0);
    assert_int_equal(stat(other, &st), 0);
    assert_int_equal(cf_remove_tree(other, &err), CF_OK);
    free(named);
    free(other);
    cf_clip_processing_result_free(&res);
    cf_clip_processing_request_free(&req);
    cf_clip_processing_request_free(&bad);
    unsetenv("TMPDIR");
    assert_int_equal(cf_clip_configure(NULL, &err), CF_OK);
    free(left);
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_reports_progress_and_result),
        cmocka_unit_test(test_cancel_flag_stops_and_cleans_up),
        cmocka_unit_test(test_service_prepare_execute_cleanup),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
