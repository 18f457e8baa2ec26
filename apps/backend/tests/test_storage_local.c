/* Unit tests of local storage: streamed writes, abort leaves nothing, signing and verification,
 * no way out of the root through a symbolic link, no empty directory left by a remove. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "clipforge/fs.h"
#include "clipforge/storage.h"
#include "infrastructure/backends.h"
#include "infrastructure/storage_local.h"
#include "sync_log.h"

typedef struct fixture {
    char *dir;
    cf_storage *s;
} fixture;

static int setup(void **state) {
    cf_backends_register();
    fixture *f = calloc(1, sizeof *f);
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cfstorage-", &f->dir, &err), CF_OK);
    char url[512];
    snprintf(url, sizeof url, "local:%s", f->dir);
    assert_int_equal(cf_storage_open(url, (const unsigned char *)"k3y", 3, &f->s, &err), CF_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_storage_close(f->s);
    cf_error err;
    cf_remove_tree(f->dir, &err);
    free(f->dir);
    free(f);
    return 0;
}

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static void test_streamed_put_then_read(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(f->s, "media/m1", &w, &err), CF_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(cf_storage_put_write(f->s, w, "abc", 3, &err), CF_OK);
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "media/m1", &st, &err), CF_ERR_NOT_FOUND); /* not yet */
    assert_int_equal(cf_storage_put_commit(f->s, w, &err), CF_OK);
    assert_int_equal(cf_storage_stat(f->s, "media/m1", &st, &err), CF_OK);
    assert_int_equal(st.size, 9);
    int fd = -1;
    assert_int_equal(cf_storage_open_read(f->s, "media/m1", &fd, &st, &err), CF_OK);
    char buf[16] = {0};
    assert_int_equal(read(fd, buf, sizeof buf), 9);
    assert_string_equal(buf, "abcabcabc");
    close(fd);
    assert_int_equal(cf_storage_remove(f->s, "media/m1", &err), CF_OK);
    assert_int_equal(cf_storage_remove(f->s, "media/m1", &err), CF_ERR_NOT_FOUND);
}

/* "fsync" or "rename" and the path under the store's root (resolved: the log has real paths). */
static const char *entry(const fixture *f, const char *what, const char *under_root, char *buf, size_t n) {
    char root[PATH_MAX];
    assert_non_null(realpath(f->dir, root));
    snprintf(buf, n, "%s %s/%s", what, root, under_root);
    return buf;
}

/* A committed object is on the disk, its name and the directories made for it too, before the
 * commit returns: a power cut after it cannot leave an empty or missing object under the key. */
static void test_commit_reaches_the_disk_before_it_returns(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    char a[PATH_MAX + 16], b[PATH_MAX + 16], c[PATH_MAX + 16], d[PATH_MAX + 16], e[PATH_MAX + 16];
    assert_int_equal(cf_storage_put_begin(f->s, "jobs/j1/out.mp4", &w, &err), CF_OK);
    assert_int_equal(cf_storage_put_write(f->s, w, "abc", 3, &err), CF_OK);
    sync_log_clear();
    assert_int_equal(cf_storage_put_commit(f->s, w, &err), CF_OK);
    int data = sync_log_find(entry(f, "fsync", "tmp/upload-", a, sizeof a), 0, true);
    int made_jobs = sync_log_find(entry(f, "fsync", "objects", b, sizeof b), data + 1, false);
    int made_j1 = sync_log_find(entry(f, "fsync", "objects/jobs", c, sizeof c), made_jobs + 1, false);
    int name = sync_log_find(entry(f, "rename", "objects/jobs/j1/out.mp4", d, sizeof d), made_j1 + 1, false);
    int dir = sync_log_find(entry(f, "fsync", "objects/jobs/j1", e, sizeof e), name + 1, false);
    if (data < 0 || made_jobs < 0 || made_j1 < 0 || name < 0 || dir < 0) sync_log_print();
    assert_true(data >= 0 && made_jobs > data && made_j1 > made_jobs && name > made_j1 && dir > name);
    /* into a directory that is there already: nothing made, the name still made durable */
    assert_int_equal(cf_storage_put_begin(f->s, "jobs/j1/poster.jpg", &w, &err), CF_OK);
    sync_log_clear();
    assert_int_equal(cf_storage_put_commit(f->s, w, &err), CF_OK);
    name = sync_log_find(entry(f, "rename", "objects/jobs/j1/poster.jpg", d, sizeof d), 0, false);
    assert_true(name > 0 && sync_log_find(e, name + 1, false) > name);
    assert_int_equal(sync_log_find(c, 0, false), -1);
}

static void test_abort_leaves_no_file(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(f->s, "media/m2", &w, &err), CF_OK);
    assert_int_equal(cf_storage_put_write(f->s, w, "abc", 3, &err), CF_OK);
    char *tmp = cf_path_join(f->dir, "tmp");
    assert_int_equal(count_files(tmp), 1);
    cf_storage_put_abort(f->s, w);
    assert_int_equal(count_files(tmp), 0);
    free(tmp);
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "media/m2", &st, &err), CF_ERR_NOT_FOUND);
}

static void test_bad_keys_are_refused(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    const char *bad[] = {"../etc/passwd", "/abs", "a//b", "a/../b", "", "a b", "a/.", "x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(cf_storage_key_valid(bad[i]));
        assert_int_equal(cf_storage_put_begin(f->s, bad[i], &w, &err), CF_ERR_INVALID_ARGUMENT);
    }
    assert_true(cf_storage_key_valid("jobs/j_1/1/out.mp4"));
}

/* Splits "/v1/files/KEY?tenant=T&exp=E&sig=S" into key, exp and sig (in place). */
static void split_url(char *url, char **key, char **exp, char **sig) {
    *key = url + strlen("/v1/files/");
    char *q = strchr(url, '?');
    *q = '\0';
    *exp = strstr(q + 1, "exp=") + 4;
    char *amp = strchr(*exp, '&');
    *amp = '\0';
    *sig = strstr(amp + 1, "sig=") + 4;
}

static void test_signed_urls_verify_and_expire(void **state) {
    fixture *f = *state;
    cf_error err;
    char *url = NULL;
    assert_int_equal(cf_storage_sign(f->s, "acme", "jobs/j1/out.mp4", 60, 1000, &url, &err), CF_OK);
    char *key, *exp, *sig;
    split_url(url, &key, &exp, &sig);
    assert_string_equal(key, "jobs/j1/out.mp4");
    assert_string_equal(exp, "1060");
    assert_int_equal(cf_storage_verify(f->s, "acme", key, exp, sig, 1000, &err), CF_OK);
    /* bound to the tenant it was made for */
    assert_int_equal(cf_storage_verify(f->s, "beta", key, exp, sig, 1000, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_verify(f->s, NULL, key, exp, sig, 1000, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_verify(f->s, "acme", key, exp, sig, 1061, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_verify(f->s, "acme", "jobs/j1/other.mp4", exp, sig, 1000, &err),
                     CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_verify(f->s, "acme", key, "9999", sig, 1000, &err), CF_ERR_PERMISSION);
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    assert_int_equal(cf_storage_verify(f->s, "acme", key, exp, sig, 1000, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_verify(f->s, "acme", key, exp, "short", 1000, &err), CF_ERR_PERMISSION);
    char *bad = NULL;
    assert_int_equal(cf_storage_sign(f->s, "a/b", "jobs/j1/out.mp4", 60, 1000, &bad, &err),
                     CF_ERR_INVALID_ARGUMENT);
    assert_null(bad);
    free(url);
}

static void test_signing_key_is_generated_once_per_data_dir(void **state) {
    fixture *f = *state;
    cf_error err;
    unsigned char k1[64], k2[64];
    size_t l1 = 0, l2 = 0;
    assert_int_equal(cf_signing_key_load("", f->dir, k1, sizeof k1, &l1, &err), CF_OK);
    assert_int_equal(l1, 32);
    assert_int_equal(cf_signing_key_load(NULL, f->dir, k2, sizeof k2, &l2, &err), CF_OK);
    assert_int_equal(l2, 32);
    assert_memory_equal(k1, k2, 32);
    assert_int_equal(cf_signing_key_load("given", f->dir, k2, sizeof k2, &l2, &err), CF_OK);
    assert_int_equal(l2, 5);
    assert_memory_equal(k2, "given", 5);
}

static void test_stale_temp_files_are_swept_at_open(void **state) {
    fixture *f = *state;
    cf_error err;
    cf_storage_writer *w = NULL;
    assert_int_equal(cf_storage_put_begin(f->s, "media/m3", &w, &err), CF_OK);
    cf_storage_put_write(f->s, w, "abc", 3, &err);
    /* A crash: the writer is never committed or aborted; a restart opens the storage again. */
    char url[512];
    snprintf(url, sizeof url, "local:%s", f->dir);
    cf_storage *again = NULL;
    assert_int_equal(cf_storage_open(url, (const unsigned char *)"k", 1, &again, &err), CF_OK);
    char *tmp = cf_path_join(f->dir, "tmp");
    assert_int_equal(count_files(tmp), 0);
    free(tmp);
    cf_storage_close(again);
    cf_storage_put_abort(f->s, w);
}

/* A file and a directory outside the storage root, and links to them planted under it. */
static bool count_listed(void *user, const char *key, const cf_storage_info *st) {
    (void)key, (void)st;
    (*(int *)user)++;
    return true;
}

static char *plant_links(fixture *f) {
    cf_error err;
    char *outside = NULL;
    assert_int_equal(cf_make_temp_dir(NULL, "cfoutside-", &outside, &err), CF_OK);
    char path[1024], target[1024];
    snprintf(path, sizeof path, "%s/secret", outside);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("secret", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/objects/media", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(target, sizeof target, "%s/secret", outside);
    snprintf(path, sizeof path, "%s/objects/media/evil", f->dir);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/objects/jobs", f->dir);
    assert_int_equal(symlink(outside, path), 0);
    return outside;
}

static void test_symlinks_never_lead_out_of_the_root(void **state) {
    fixture *f = *state;
    cf_error err;
    char *outside = plant_links(f);
    cf_storage_info st;
    int fd = -1;
    char *path = NULL;
    /* a linked object, and an object under a linked directory: refused, not followed */
    const char *keys[] = {"media/evil", "jobs/secret"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(cf_storage_stat(f->s, keys[i], &st, &err), CF_ERR_PERMISSION);
        assert_non_null(strstr(err.msg, "symbolic link"));
        assert_int_equal(cf_storage_open_read(f->s, keys[i], &fd, &st, &err), CF_ERR_PERMISSION);
        assert_int_equal(fd, -1);
        assert_int_equal(cf_storage_local_path(f->s, keys[i], &path, &err), CF_ERR_PERMISSION);
        assert_null(path);
    }
    /* writing or removing under the linked directory touches nothing outside */
    assert_int_equal(cf_storage_put_buffer(f->s, "jobs/new", "x", 1, &err), CF_ERR_PERMISSION);
    assert_int_equal(cf_storage_remove(f->s, "jobs/secret", &err), CF_ERR_PERMISSION);
    assert_int_equal(count_files(outside), 1);
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s/tmp", f->dir);
    assert_int_equal(count_files(tmp), 0);
    /* a listing skips the links */
    int listed = 0;
    assert_int_equal(cf_storage_put_buffer(f->s, "media/ok", "y", 1, &err), CF_OK);
    assert_int_equal(cf_storage_list(f->s, "", count_listed, &listed, &err), CF_OK);
    assert_int_equal(listed, 1);
    /* committing over a link replaces the link, not its target */
    assert_int_equal(cf_storage_put_buffer(f->s, "media/evil", "new", 3, &err), CF_OK);
    assert_int_equal(cf_storage_stat(f->s, "media/evil", &st, &err), CF_OK);
    assert_int_equal(st.size, 3);
    char secret[1024];
    snprintf(secret, sizeof secret, "%s/secret", outside);
    struct stat sb;
    assert_int_equal(stat(secret, &sb), 0);
    assert_int_equal(sb.st_size, 6);
    cf_remove_tree(outside, &err);
    free(outside);
}

static void put_text(fixture *f, const char *key) {
    cf_error err;
    assert_int_equal(cf_storage_put_buffer(f->s, key, "x", 1, &err), CF_OK);
}

static int entries_at(fixture *f, const char *rel) {
    char *p = cf_path_join(f->dir, rel);
    struct stat sb;
    int n = p && stat(p, &sb) == 0 ? count_files(p) : -1;
    free(p);
    return n;
}

/* A run's outputs removed one by one leave no empty directory behind (jobs/<id>/<attempt>/);
 * directories still holding something stay, and so does the first segment's. */
static void test_remove_leaves_no_empty_directories(void **state) {
    fixture *f = *state;
    cf_error err;
    put_text(f, "jobs/j1/1/clip.mp4");
    put_text(f, "jobs/j1/1/thumbs/t1.jpg");
    put_text(f, "jobs/j1/2/clip.mp4");
    assert_int_equal(cf_storage_remove(f->s, "jobs/j1/1/thumbs/t1.jpg", &err), CF_OK);
    assert_int_equal(entries_at(f, "objects/jobs/j1/1"), 1); /* clip.mp4 is left */
    assert_int_equal(cf_storage_remove(f->s, "jobs/j1/1/clip.mp4", &err), CF_OK);
    assert_int_equal(entries_at(f, "objects/jobs/j1/1"), -1);
    assert_int_equal(entries_at(f, "objects/jobs/j1"), 1); /* 2 */
    assert_int_equal(cf_storage_remove(f->s, "jobs/j1/2/clip.mp4", &err), CF_OK);
    assert_int_equal(entries_at(f, "objects/jobs"), 0); /* the first segment's stays */
    put_text(f, "jobs/j1/3/clip.mp4");                  /* made again */
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "jobs/j1/3/clip.mp4", &st, &err), CF_OK);
}

/* Everything under a prefix goes, in rounds of 64, but what is under the kept prefix. */
static void test_remove_under_keeps_what_it_is_told(void **state) {
    fixture *f = *state;
    cf_error err;
    char key[64];
    for (int i = 0; i < 150; i++) {
        snprintf(key, sizeof key, "jobs/j3/1/part-%03d", i);
        put_text(f, key);
    }
    put_text(f, "jobs/j3/2/clip.mp4");
    put_text(f, "jobs/j30/1/clip.mp4"); /* another job whose id starts the same */
    size_t removed = 0;
    assert_int_equal(cf_storage_remove_under(f->s, "jobs/j3/", "jobs/j3/2/", &removed, &err), CF_OK);
    assert_int_equal(removed, 150);
    assert_int_equal(entries_at(f, "objects/jobs/j3"), 1); /* 2 */
    cf_storage_info st;
    assert_int_equal(cf_storage_stat(f->s, "jobs/j3/2/clip.mp4", &st, &err), CF_OK);
    assert_int_equal(cf_storage_stat(f->s, "jobs/j30/1/clip.mp4", &st, &err), CF_OK);
}

typedef struct churn {
    fixture *f;
    int failures;
} churn;

static void *put_and_remove(void *arg) {
    churn *c = arg;
    cf_error err;
    for (int i = 0; i < 300; i++) {
        c->failures += cf_storage_put_buffer(c->f->s, "jobs/j2/1/a", "x", 1, &err) != CF_OK;
        c->failures += cf_storage_remove(c->f->s, "jobs/j2/1/a", &err) != CF_OK;
    }
    return NULL;
}

/* A put into a directory another thread's remove empties and takes away meanwhile still lands. */
static void test_put_survives_a_concurrent_prune(void **state) {
    fixture *f = *state;
    churn other = {f, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, put_and_remove, &other), 0);
    int failures = 0;
    cf_error err;
    for (int i = 0; i < 300; i++) {
        failures += cf_storage_put_buffer(f->s, "jobs/j2/1/b", "y", 1, &err) != CF_OK;
        failures += cf_storage_remove(f->s, "jobs/j2/1/b", &err) != CF_OK;
    }
    pthread_join(t, NULL);
    assert_int_equal(failures + other.failures, 0);
    assert_int_equal(entries_at(f, "objects/jobs"), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_streamed_put_then_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_reaches_the_disk_before_it_returns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_urls_verify_and_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signing_key_is_generated_once_per_data_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temp_files_are_swept_at_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinks_never_lead_out_of_the_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_leaves_no_empty_directories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_survives_a_concurrent_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_under_keeps_what_it_is_told, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
