/* Unit tests of web_root: the mapping of request paths to the web UI's files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/web_root.h"

static char root[256], outside[256];

static void put(const char *dir, const char *rel, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/cf-web-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(outside, sizeof outside, "/tmp/cf-web-out-XXXXXX");
    assert_non_null(mkdtemp(outside));
    char sub[300];
    snprintf(sub, sizeof sub, "%s/assets", root);
    mkdir(sub, 0755);
    put(root, "index.html", "<!doctype html>");
    put(root, "assets/index-abc123.js", "console.log(1)");
    put(root, "assets/index-abc123.css", "body{}");
    put(root, "favicon.ico", "x");
    put(outside, "secret.txt", "secret");
    char link[600], target[300];
    snprintf(link, sizeof link, "%s/assets/leak.txt", root);
    snprintf(target, sizeof target, "%s/secret.txt", outside);
    assert_int_equal(symlink(target, link), 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, outside);
    return system(cmd) == 0 ? 0 : -1;
}

static cf_err resolve(const char *path, cf_web_file *f) {
    cf_error err;
    return cf_web_resolve(root, path, f, &err);
}

static void test_root_serves_index_revalidated(void **state) {
    (void)state;
    cf_web_file f;
    assert_int_equal(resolve("/", &f), CF_OK);
    assert_non_null(strstr(f.path, "/index.html"));
    assert_string_equal(f.content_type, "text/html; charset=utf-8");
    assert_string_equal(f.cache_control, "no-cache");
    assert_false(f.fallback);
    cf_web_file_free(&f);
}

static void test_hashed_assets_are_immutable_with_their_type(void **state) {
    (void)state;
    cf_web_file f;
    assert_int_equal(resolve("/assets/index-abc123.js", &f), CF_OK);
    assert_string_equal(f.content_type, "text/javascript; charset=utf-8");
    assert_string_equal(f.cache_control, "public, max-age=31536000, immutable");
    cf_web_file_free(&f);
    assert_int_equal(resolve("/assets/index-abc123.css", &f), CF_OK);
    assert_string_equal(f.content_type, "text/css; charset=utf-8");
    cf_web_file_free(&f);
    assert_int_equal(resolve("/favicon.ico", &f), CF_OK);
    assert_string_equal(f.cache_control, "no-cache");
    cf_web_file_free(&f);
}

static void test_client_routes_fall_back_to_index(void **state) {
    (void)state;
    const char *routes[] = {"/jobs", "/jobs/j_123", "/review/j_9", "/upload/", "/clips", "/media"};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        cf_web_file f;
        assert_int_equal(resolve(routes[i], &f), CF_OK);
        assert_true(f.fallback);
        assert_non_null(strstr(f.path, "/index.html"));
        assert_string_equal(f.cache_control, "no-cache");
        cf_web_file_free(&f);
    }
}

static void test_missing_files_and_api_paths_do_not_fall_back(void **state) {
    (void)state;
    cf_web_file f;
    assert_int_equal(resolve("/assets/gone-123.js", &f), CF_ERR_NOT_FOUND);
    assert_int_equal(resolve("/v1/nothing", &f), CF_ERR_NOT_FOUND);
    assert_int_equal(resolve("/v1", &f), CF_ERR_NOT_FOUND);
    assert_int_equal(resolve("/no/such/route", &f), CF_ERR_NOT_FOUND);
    assert_int_equal(resolve("/jobs/j_1/more", &f), CF_ERR_NOT_FOUND);
    assert_int_equal(resolve("/review/x.js", &f), CF_ERR_NOT_FOUND);
    assert_null(f.path);
}

static void test_traversal_is_refused(void **state) {
    (void)state;
    const char *bad[] = {"/../etc/passwd",
                         "/assets/../../etc/passwd",
                         "/..",
                         "/./index.html",
                         "/assets\\..\\x",
                         "//etc/passwd",
                         "relative",
                         "/a\x01b",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cf_web_file f;
        cf_error err;
        assert_int_equal(cf_web_resolve(root, bad[i], &f, &err), CF_ERR_INVALID_ARGUMENT);
        assert_null(f.path);
    }
}

static void test_symlink_out_of_the_root_is_not_served(void **state) {
    (void)state;
    cf_web_file f;
    assert_int_equal(resolve("/assets/leak.txt", &f), CF_ERR_NOT_FOUND);
}

static void test_no_build_is_not_found(void **state) {
    (void)state;
    cf_web_file f;
    cf_error err;
    assert_int_equal(cf_web_resolve("/nonexistent/cf-web", "/", &f, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "not built"));
}

static void test_content_types_by_extension(void **state) {
    (void)state;
    assert_string_equal(cf_web_content_type("a/b.SVG"), "image/svg+xml");
    assert_string_equal(cf_web_content_type("x.woff2"), "font/woff2");
    assert_string_equal(cf_web_content_type("dir.v1/noext"), "application/octet-stream");
    assert_string_equal(cf_web_content_type("x.unknown"), "application/octet-stream");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_serves_index_revalidated),
        cmocka_unit_test(test_hashed_assets_are_immutable_with_their_type),
        cmocka_unit_test(test_client_routes_fall_back_to_index),
        cmocka_unit_test(test_missing_files_and_api_paths_do_not_fall_back),
        cmocka_unit_test(test_traversal_is_refused),
        cmocka_unit_test(test_symlink_out_of_the_root_is_not_served),
        cmocka_unit_test(test_no_build_is_not_found),
        cmocka_unit_test(test_content_types_by_extension),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
