/* test_feature_store.c — the feature store: tracks round-trip bit for bit with their
 * description, damaged, truncated and other-version objects are refused (a miss, never fatal),
 * get/put/list over a real local storage, the catalogue skips stray objects and marks older
 * extractor versions, content hashes match sha256sum's and are remembered per file identity, and
 * extraction reports its hash as the first share of its progress and stops it when cancelled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "clipforge/fs.h"
#include "features/feature_store.h"
#include "infrastructure/backends.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char *g_dir;
static cf_storage *g_storage;

static int setup(void **state) {
    (void)state;
    cf_error err;
    cf_backends_register();
    if (cf_make_temp_dir(NULL, "cf-fs-", &g_dir, &err)) return -1;
    char url[4200];
    snprintf(url, sizeof url, "local:%s/storage", g_dir);
    return cf_storage_open(url, (const unsigned char *)"k", 1, &g_storage, &err) == CF_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    cf_error err;
    cf_storage_close(g_storage);
    cf_remove_tree(g_dir, &err);
    free(g_dir);
    return 0;
}

static cf_feature_track *track(size_t n) {
    cf_feature_track *t = calloc(1, sizeof *t);
    t->n_hops = n;
    t->hop_ms = CF_HL_HOP_MS;
    t->duration_ms = (int64_t)n * CF_HL_HOP_MS - 37;
    t->integrated_lufs = -19.25;
    t->gain_db = 31.5; /* a quiet recording's, analysed louder */
    t->has_audio = true;
    t->v = malloc(n * CF_FEAT_COUNT * sizeof *t->v);
    for (size_t i = 0; i < n * CF_FEAT_COUNT; i++) t->v[i] = (float)i * 0.37f - 100.0f;
    return t;
}

static void test_round_trip_and_refusals(void **state) {
    (void)state;
    cf_feature_track *t = track(50), *back = NULL;
    json_t *meta = json_pack("{s:s}", "media_name", "talk.mp4"), *got = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    cf_error err;
    assert_int_equal(cf_feature_track_encode(t, meta, &buf, &len, &err), CF_OK);
    assert_int_equal(cf_feature_track_decode(buf, len, &back, &got, &err), CF_OK);
    assert_int_equal(back->n_hops, 50);
    assert_int_equal(back->duration_ms, t->duration_ms);
    assert_true(back->integrated_lufs == -19.25 && back->has_audio && !back->has_video && back->from_cache);
    assert_true(back->gain_db == 31.5);
    assert_memory_equal(back->v, t->v, 50 * CF_FEAT_COUNT * sizeof *t->v);
    assert_string_equal(json_string_value(json_object_get(got, "media_name")), "talk.mp4");
    assert_int_equal(json_integer_value(json_object_get(got, "extractor")), cf_features_version());
    cf_feature_track_free(back);
    json_decref(got);
    assert_int_equal(cf_feature_track_decode(buf, len - 1, &back, NULL, &err), CF_ERR_INVALID_ARGUMENT);
    buf[8]++; /* another extractor version */
    assert_int_equal(cf_feature_track_decode(buf, len, &back, NULL, &err), CF_ERR_INVALID_ARGUMENT);
    buf[0] = 'X';
    assert_int_equal(cf_feature_track_decode(buf, len, &back, NULL, &err), CF_ERR_INVALID_ARGUMENT);
    free(buf);
    json_decref(meta);
    cf_feature_track_free(t);
}

static void put_raw(const char *key, const char *data) {
    cf_storage_writer *w = NULL;
    cf_error err;
    assert_int_equal(cf_storage_put_begin(g_storage, key, &w, &err), CF_OK);
    assert_int_equal(cf_storage_put_write(g_storage, w, data, strlen(data), &err), CF_OK);
    assert_int_equal(cf_storage_put_commit(g_storage, w, &err), CF_OK);
}

static void test_store_get_put_list(void **state) {
    (void)state;
    cf_feature_store *fs = NULL;
    cf_error err;
    assert_int_equal(cf_feature_store_open(g_storage, NULL, &fs, &err), CF_OK);
    cf_feature_track *t = track(20), *back = NULL;
    assert_int_equal(cf_feature_store_get(fs, HASH_A, "", &back, NULL, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_feature_store_put(fs, HASH_A, t, NULL, &err), CF_OK);
    assert_int_equal(cf_feature_store_get(fs, HASH_A, "", &back, NULL, &err), CF_OK);
    assert_memory_equal(back->v, t->v, 20 * CF_FEAT_COUNT * sizeof *t->v);
    cf_feature_track_free(back);
    assert_int_equal(cf_feature_store_get(fs, "../etc", "", &back, NULL, &err), CF_ERR_INVALID_ARGUMENT);
    /* a damaged object is a miss, not an error */
    char key[200];
    snprintf(key, sizeof key, "features/v%d/%s.none.cft", cf_features_version(), HASH_B);
    put_raw(key, "CFFSgarbage");
    assert_int_equal(cf_feature_store_get(fs, HASH_B, "", &back, NULL, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(atomic_load(&fs->hits), 1);
    assert_int_equal(atomic_load(&fs->misses), 2);
    /* a track whose event columns another audio-events model filled is another object */
    snprintf(t->events_model, sizeof t->events_model, "audio-events-v9");
    assert_int_equal(cf_feature_store_put(fs, HASH_B, t, NULL, &err), CF_OK);
    assert_int_equal(cf_feature_store_get(fs, HASH_B, "audio-events-v8", &back, NULL, &err),
                     CF_ERR_NOT_FOUND);
    assert_int_equal(cf_feature_store_get(fs, HASH_B, "audio-events-v9", &back, NULL, &err), CF_OK);
    assert_string_equal(back->events_model, "audio-events-v9");
    cf_feature_track_free(back);
    snprintf(key, sizeof key, "features/v%d/%s.none.cft", cf_features_version() - 1, HASH_A);
    put_raw(key, "old");
    put_raw("features/readme.txt", "stray");
    cf_feature_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(cf_feature_store_list(fs, &e, &n, &err), CF_OK);
    assert_int_equal(n, 4);
    assert_false(e[0].current); /* the older version first, by number (v9 before v10) */
    assert_true(e[1].current && !strcmp(e[1].sha256, HASH_A) && e[1].bytes > 20 * CF_FEAT_COUNT * 4);
    assert_string_equal(e[1].events, "none");
    assert_true(e[2].current && !strcmp(e[2].sha256, HASH_B) && !strcmp(e[2].events, "audio-events-v9"));
    assert_true(e[3].current && !strcmp(e[3].sha256, HASH_B) && !strcmp(e[3].events, "none"));
    free(e);
    cf_feature_track_free(t);
    cf_feature_store_free(fs);
}

static void test_content_hash_matches_sha256_and_is_remembered(void **state) {
    (void)state;
    char *file = cf_path_join(g_dir, "x.bin"), *memo = cf_path_join(g_dir, "memo");
    FILE *f = fopen(file, "w");
    fputs("abc", f);
    fclose(f);
    char hex[CF_SHA256_HEX];
    cf_error err;
    assert_int_equal(cf_content_hash_file(file, memo, NULL, hex, &err), CF_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* the memo answers for the same identity: rewrite the remembered hash and get it back */
    char *hashes = cf_path_join(memo, "hashes");
    DIR *d = opendir(hashes);
    assert_non_null(d);
    struct dirent *de;
    char *entry = NULL;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') entry = cf_path_join(hashes, de->d_name);
    closedir(d);
    assert_non_null(entry);
    char line[4200];
    f = fopen(entry, "r");
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    f = fopen(entry, "w");
    fprintf(f, "%s" HASH_B "\n", line);
    fclose(f);
    assert_int_equal(cf_content_hash_file(file, memo, NULL, hex, &err), CF_OK);
    assert_string_equal(hex, HASH_B);
    free(entry);
    free(hashes);
    f = fopen(file, "w"); /* new content, new mtime: hashed again */
    fputs("abcd", f);
    fclose(f);
    assert_int_equal(cf_content_hash_file(file, memo, NULL, hex, &err), CF_OK);
    assert_string_equal(hex, "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");
    assert_int_equal(cf_content_hash_file("/nonexistent/x", memo, NULL, hex, &err), CF_ERR_NOT_FOUND);
    assert_false(cf_sha256_valid("ABC"));
    free(file);
    free(memo);
}

typedef struct hash_seen {
    cf_progress progress;
    int reports;
    double first, last;
    bool cancel;
} hash_seen;

static void on_hash_progress(void *user, double fraction, const char *stage) {
    hash_seen *s = user;
    if (strcmp(stage, "hashing")) return;
    if (!s->reports++) s->first = fraction;
    s->last = fraction;
    if (s->cancel) cf_progress_cancel(&s->progress);
}

static size_t memo_entries(const char *memo) {
    char *hashes = cf_path_join(memo, "hashes");
    DIR *d = opendir(hashes);
    size_t n = 0;
    for (struct dirent *de; d && (de = readdir(d));) n += de->d_name[0] != '.';
    if (d) closedir(d);
    free(hashes);
    return n;
}

/* A large upload's hash takes seconds: the first share of the bar, and a cancel stops it. */
static void test_extract_reports_and_cancels_the_hash(void **state) {
    (void)state;
    char *file = cf_path_join(g_dir, "big.bin"), *memo = cf_path_join(g_dir, "memo-x");
    FILE *f = fopen(file, "w");
    for (int i = 0; i < 3 * (1 << 20) + 5; i++) fputc(i * 7 % 251, f);
    fclose(f);
    cf_feature_store *fs = NULL;
    cf_feature_track *t = NULL;
    cf_error err;
    assert_int_equal(cf_feature_store_open(g_storage, memo, &fs, &err), CF_OK);
    hash_seen s = {.cancel = true};
    cf_progress_init(&s.progress, on_hash_progress, &s);
    assert_int_equal(cf_feature_store_extract(fs, file, NULL, NULL, &s.progress, &t, NULL, &err),
                     CF_ERR_CANCELLED);
    assert_null(t);
    assert_int_equal(s.reports, 1);
    assert_true(s.first > 0 && s.first <= CF_HASH_SHARE);
    assert_int_equal(memo_entries(memo), 0); /* a hash not finished is not remembered */
    hash_seen whole = {0};
    cf_progress_init(&whole.progress, on_hash_progress, &whole);
    cf_err rc = cf_feature_store_extract(fs, file, NULL, NULL, &whole.progress, &t, NULL, &err);
    assert_true(rc != CF_OK && rc != CF_ERR_CANCELLED); /* hashed, then not media */
    assert_int_equal(whole.reports, 4);
    assert_true(whole.first < whole.last && whole.last > CF_HASH_SHARE * 0.99 && whole.last <= CF_HASH_SHARE);
    assert_int_equal(memo_entries(memo), 1);
    cf_feature_store_free(fs);
    free(file);
    free(memo);
}

/* A hash known from the upload is the key: the file is not read for it (here a file whose own
 * hash is another and which is no media: the track stored under the known hash comes back, with
 * no "hashing" report), and the caller gets it back. */
static void test_extract_with_a_known_hash_reads_no_file(void **state) {
    (void)state;
    char *file = cf_path_join(g_dir, "not-media.bin");
    FILE *f = fopen(file, "w");
    fputs("not media", f);
    fclose(f);
    cf_feature_store *fs = NULL;
    cf_error err;
    assert_int_equal(cf_feature_store_open(g_storage, NULL, &fs, &err), CF_OK);
    cf_feature_track *stored = track(7), *t = NULL;
    cf_audio_events_model_current(NULL, stored->events_model, sizeof stored->events_model);
    assert_int_equal(cf_feature_store_put(fs, HASH_B, stored, NULL, &err), CF_OK);
    hash_seen s = {0};
    cf_progress_init(&s.progress, on_hash_progress, &s);
    char sha[CF_SHA256_HEX] = HASH_B;
    assert_int_equal(cf_feature_store_extract(fs, file, NULL, NULL, &s.progress, &t, sha, &err), CF_OK);
    assert_non_null(t);
    assert_int_equal(t->n_hops, 7);
    assert_int_equal(s.reports, 0);
    assert_string_equal(sha, HASH_B);
    cf_feature_track_free(t);
    cf_feature_track_free(stored);
    cf_feature_store_free(fs);
    free(file);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_refusals),
        cmocka_unit_test(test_store_get_put_list),
        cmocka_unit_test(test_content_hash_matches_sha256_and_is_remembered),
        cmocka_unit_test(test_extract_reports_and_cancels_the_hash),
        cmocka_unit_test(test_extract_with_a_known_hash_reads_no_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
