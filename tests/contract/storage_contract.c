/* The object storage contract: every cf_storage backend must pass these tests. The backend
 * comes from CF_CONTRACT_STORAGE_URL, a URL with one "%s" replaced per test by a fresh name (a
 * directory for local, a key prefix for s3). Signed URLs are checked the way a client uses
 * them: an API path is verified with cf_storage_verify, an absolute URL is downloaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clipforge/storage.h"
#include "infrastructure/backends.h"

static int serial;

typedef struct fixture {
    char url[1024];
    cf_storage *s;
} fixture;

static int setup(void **state) {
    cf_backends_register();
    const char *tmpl = getenv("CF_CONTRACT_STORAGE_URL");
    const char *hole = strstr(tmpl, "%s");
    if (!hole) return -1;
    fixture *f = calloc(1, sizeof *f);
    char name[64];
    snprintf(name, sizeof name, "t%d_%d", (int)getpid(), ++serial);
    snprintf(f->url, sizeof f->url, "%.*s%s%s", (int)(hole - tmpl), tmpl, name, hole + 2);
    cf_error err;
    if (cf_storage_open(f->url, (const unsigned char *)"k3y", 3, &f->s, &err)) {
        fprintf(stderr, "cannot open %s: %s\n", f->url, err.msg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_storage_close(f->s);
    free(f);
    return 0;
}

static void put(cf_storage *s, const char *key, const void *data, size_t len, size_t chunk) {
    cf_error err;
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(s, key, &w, &err), CF_OK);
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        if (cf_storage_put_write(s, w, (const char *)data + off, n, &err))
            fail_msg("write %s: %s", key, err.msg);
    }
    if (cf_storage_put_commit(s, w, &err)) fail_msg("commit %s: %s", key, err.msg);
}

/* Reads the whole object through open_read; *len = its size (malloc'd). */
static unsigned char *read_all(cf_storage *s, const char *key, size_t *len) {
    cf_error err;
    int fd = -1;
    cf_storage_info st;
    if (cf_storage_open_read(s, key, &fd, &st, &err)) fail_msg("read %s: %s", key, err.msg);
    unsigned char *buf = malloc((size_t)st.size + 1);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, buf + got, (size_t)st.size + 1 - got)) > 0) got += (size_t)n;
    close(fd);
    assert_int_equal(got, st.size);
    *len = got;
    return buf;
}

static void test_streamed_put_then_read(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(f->s, "media/m1", &w, &err), CF_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(cf_storage_put_write(f->s, w, "abc", 3, &err), CF_OK);
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "media/m1", &st, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_storage_put_commit(f->s, w, &err), CF_OK);
    assert_int_equal(cf_storage_stat(f->s, "media/m1", &st, &err), CF_OK);
    assert_int_equal(st.size, 9);
    assert_true(st.mtime > time(NULL) - 3600 && st.mtime < time(NULL) + 3600);
    size_t len;
    unsigned char *data = read_all(f->s, "media/m1", &len);
    assert_memory_equal(data, "abcabcabc", 9);
    free(data);
    assert_int_equal(cf_storage_remove(f->s, "media/m1", &err), CF_OK);
    assert_int_equal(cf_storage_remove(f->s, "media/m1", &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_storage_stat(f->s, "media/m1", &st, &err), CF_ERR_NOT_FOUND);
    int fd = -1;
    assert_int_equal(cf_storage_open_read(f->s, "media/m1", &fd, &st, &err), CF_ERR_NOT_FOUND);
}

static void test_empty_object_and_overwrite(void **state) {
    fixture *f = *state;
    cf_error err;
    put(f->s, "a/empty", "", 0, 1);
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "a/empty", &st, &err), CF_OK);
    assert_int_equal(st.size, 0);
    put(f->s, "a/x", "first", 5, 5);
    put(f->s, "a/x", "second!", 7, 3);
    size_t len;
    unsigned char *data = read_all(f->s, "a/x", &len);
    assert_int_equal(len, 7);
    assert_memory_equal(data, "second!", 7);
    free(data);
}

static void test_abort_leaves_nothing(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(f->s, "media/m2", &w, &err), CF_OK);
    assert_int_equal(cf_storage_put_write(f->s, w, "abc", 3, &err), CF_OK);
    cf_storage_put_abort(f->s, w);
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "media/m2", &st, &err), CF_ERR_NOT_FOUND);
    cf_storage_put_abort(f->s, NULL);
}

#define BIG (12 * 1024 * 1024 + 12345)

static unsigned char *pattern(size_t n, unsigned seed) {
    unsigned char *p = malloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
    return p;
}

/* Larger than a multipart part (the s3 contract URL sets part_size to 5 MiB). */
static void test_large_object_round_trips(void **state) {
    fixture *f = *state;
    unsigned char *src = pattern(BIG, 7);
    put(f->s, "big/object.bin", src, BIG, 1 << 20);
    cf_error err;
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "big/object.bin", &st, &err), CF_OK);
    assert_int_equal(st.size, BIG);
    size_t len;
    unsigned char *back = read_all(f->s, "big/object.bin", &len);
    assert_int_equal(len, BIG);
    assert_memory_equal(back, src, BIG);
    free(back);
    /* An aborted large upload leaves the old object as it was. */
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(f->s, "big/object.bin", &w, &err), CF_OK);
    unsigned char *other = pattern(BIG, 9);
    assert_int_equal(cf_storage_put_write(f->s, w, other, BIG, &err), CF_OK);
    cf_storage_put_abort(f->s, w);
    assert_int_equal(cf_storage_stat(f->s, "big/object.bin", &st, &err), CF_OK);
    assert_int_equal(st.size, BIG);
    free(other);
    free(src);
}

static void test_local_path_holds_the_object(void **state) {
    fixture *f = *state;
    cf_error err;
    put(f->s, "jobs/j1/1/out.txt", "hello", 5, 5);
    char *path = NULL;
    assert_int_equal(cf_storage_local_path(f->s, "jobs/j1/1/out.txt", &path, &err), CF_OK);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char buf[16] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf, fp), 5);
    fclose(fp);
    assert_string_equal(buf, "hello");
    free(path);
    put(f->s, "jobs/j1/1/out.txt", "changed!", 8, 8);
    assert_int_equal(cf_storage_local_path(f->s, "jobs/j1/1/out.txt", &path, &err), CF_OK);
    fp = fopen(path, "rb");
    assert_int_equal(fread(buf, 1, sizeof buf, fp), 8);
    fclose(fp);
    free(path);
    assert_int_equal(cf_storage_local_path(f->s, "jobs/none", &path, &err), CF_ERR_NOT_FOUND);
}

static void test_bad_keys_are_refused(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    cf_storage_info st;
    const char *bad[] = {"../etc/passwd", "/abs", "a//b", "a/../b", "", "a b", "a/.", "x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cf_storage_put_begin(f->s, bad[i], &w, &err), CF_ERR_INVALID_ARGUMENT);
        assert_int_equal(cf_storage_stat(f->s, bad[i], &st, &err), CF_ERR_INVALID_ARGUMENT);
    }
}

typedef struct fetched {
    long status;
    char body[64];
    size_t len;
} fetched;

static size_t collect(char *p, size_t size, size_t n, void *user) {
    fetched *f = user;
    size_t len = size * n;
    size_t room = sizeof f->body - 1 - f->len;
    memcpy(f->body + f->len, p, len < room ? len : room);
    f->len += len < room ? len : room;
    return len;
}

static fetched fetch(const char *url) {
    fetched f = {0};
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f.status);
    curl_easy_cleanup(h);
    return f;
}

/* Checks an API-served URL "/v1/files/KEY?tenant=acme&exp=E&sig=S" with verify: bound to the
 * tenant, the key and the expiry. */
static void check_api_url(cf_storage *s, char *url, const char *key, int64_t now) {
    cf_error err;
    char *q = strchr(url, '?');
    *q = 0;
    assert_string_equal(url + strlen("/v1/files/"), key);
    assert_true(!strncmp(q + 1, "tenant=acme&", 12));
    char *exp = strstr(q + 1, "exp=") + 4, *amp = strchr(exp, '&');
    *amp = 0;
    char *sig = strstr(amp + 1, "sig=") + 4;
    assert_int_equal(cf_storage_verify(s, "acme", key, exp, sig, now, &err), CF_OK);
    assert_int_equal(cf_storage_verify(s, "beta", key, exp, sig, now, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_verify(s, "acme", key, exp, sig, now + 61, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_verify(s, "acme", "share/other.txt", exp, sig, now, &err), CF_ERR_PERMISSION);
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    assert_int_equal(cf_storage_verify(s, "acme", key, exp, sig, now, &err), CF_ERR_PERMISSION);
}

/* Checks a presigned absolute URL by downloading it, tampered and expired. */
static void check_presigned(cf_storage *s, char *url, const char *key, int64_t now) {
    fetched ok = fetch(url);
    assert_int_equal(ok.status, 200);
    assert_int_equal(ok.len, 7);
    assert_memory_equal(ok.body, "shared!", 7);
    char *sig = strstr(url, "X-Amz-Signature=") + 16, was = sig[0];
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    assert_int_equal(fetch(url).status, 403);
    sig[0] = was;
    /* the link is the tenant's: passed off as another tenant's, the object store refuses it */
    char *tenant = strstr(url, "x-clipforge-tenant=acme");
    assert_non_null(tenant);
    memcpy(tenant + 19, "acmf", 4);
    assert_int_equal(fetch(url).status, 403);
    memcpy(tenant + 19, "acme", 4);
    assert_int_equal(fetch(url).status, 200);
    char *old = NULL;
    cf_error err;
    assert_int_equal(cf_storage_sign(s, "acme", key, 60, now - 3600, &old, &err), CF_OK);
    assert_int_equal(fetch(old).status, 403);
    free(old);
}

static void test_signed_urls_give_access_until_expiry(void **state) {
    fixture *f = *state;
    cf_error err;
    put(f->s, "share/file.txt", "shared!", 7, 7);
    int64_t now = (int64_t)time(NULL);
    char *url = NULL;
    assert_int_equal(cf_storage_sign(f->s, "acme", "share/file.txt", 60, now, &url, &err), CF_OK);
    if (!strncmp(url, "/v1/files/", 10)) check_api_url(f->s, url, "share/file.txt", now);
    else if (!strncmp(url, "http", 4)) check_presigned(f->s, url, "share/file.txt", now);
    else fail_msg("unexpected signed URL %s", url);
    free(url);
}

/* The server checks signatures: a wrong secret is refused (s3 only). */
static void test_wrong_secret_is_refused(void **state) {
    fixture *f = *state;
    if (strncmp(f->url, "s3:", 3)) skip();
    const char *name =
        getenv("CLIPFORGE_S3_SECRET_KEY") ? "CLIPFORGE_S3_SECRET_KEY" : "AWS_SECRET_ACCESS_KEY";
    char *saved = strdup(getenv(name));
    setenv(name, "not-the-secret", 1);
    cf_storage *bad = NULL;
    cf_error err;
    assert_int_equal(cf_storage_open(f->url, (const unsigned char *)"k", 1, &bad, &err), CF_OK);
    setenv(name, saved, 1);
    free(saved);
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(bad, "x/y", &w, &err), CF_OK);
    assert_int_equal(cf_storage_put_write(bad, w, "z", 1, &err), CF_OK);
    assert_int_equal(cf_storage_put_commit(bad, w, &err), CF_ERR_PERMISSION);
    cf_storage_close(bad);
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "x/y", &st, &err), CF_ERR_NOT_FOUND);
}

typedef struct listed {
    char keys[16][64];
    int64_t sizes[16];
    size_t n, stop_after;
} listed;

static bool collect_key(void *user, const char *key, const cf_storage_info *st) {
    listed *l = user;
    if (l->n < 16) {
        snprintf(l->keys[l->n], sizeof l->keys[l->n], "%s", key);
        l->sizes[l->n++] = st->size;
    }
    return !l->stop_after || l->n < l->stop_after;
}

static void test_list_names_objects_under_a_prefix_in_order(void **state) {
    fixture *f = *state;
    put(f->s, "feat/v2/bb.cft", "12345", 5, 5);
    put(f->s, "feat/v2/aa.cft", "123", 3, 3);
    put(f->s, "feat/v1/cc.cft", "1", 1, 1);
    put(f->s, "featx/dd", "1", 1, 1);
    put(f->s, "other/ee", "1", 1, 1);
    cf_storage_writer *w = NULL;
    cf_error err;
    assert_int_equal(cf_storage_put_begin(f->s, "feat/v2/zz.cft", &w, &err), CF_OK);
    assert_int_equal(cf_storage_put_write(f->s, w, "half", 4, &err), CF_OK); /* never committed */
    listed l = {0};
    assert_int_equal(cf_storage_list(f->s, "feat/", collect_key, &l, &err), CF_OK);
    cf_storage_put_abort(f->s, w);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.keys[0], "feat/v1/cc.cft");
    assert_string_equal(l.keys[1], "feat/v2/aa.cft");
    assert_string_equal(l.keys[2], "feat/v2/bb.cft");
    assert_int_equal(l.sizes[2], 5);
    listed none = {0};
    assert_int_equal(cf_storage_list(f->s, "nothing/", collect_key, &none, &err), CF_OK);
    assert_int_equal(none.n, 0);
    listed first = {.stop_after = 1};
    assert_int_equal(cf_storage_list(f->s, "feat", collect_key, &first, &err), CF_OK);
    assert_int_equal(first.n, 1);
}

int main(void) {
    if (!getenv("CF_CONTRACT_STORAGE_URL")) {
        fprintf(stderr, "CF_CONTRACT_STORAGE_URL is not set\n");
        return 2;
    }
    fprintf(stderr, "storage contract on %s\n", getenv("CF_CONTRACT_STORAGE_URL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_streamed_put_then_read),
        T(test_empty_object_and_overwrite),
        T(test_abort_leaves_nothing),
        T(test_large_object_round_trips),
        T(test_local_path_holds_the_object),
        T(test_bad_keys_are_refused),
        T(test_signed_urls_give_access_until_expiry),
        T(test_wrong_secret_is_refused),
        T(test_list_names_objects_under_a_prefix_in_order),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
