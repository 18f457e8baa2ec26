/* The labels of the sqlite store: saved whole, listed per media oldest first, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/fs.h"
#include "clipforge/store.h"
#include "infrastructure/backends.h"

typedef struct fixture {
    char *dir, *url;
    cf_store *store;
} fixture;

static int setup(void **state) {
    cf_backends_register();
    fixture *f = calloc(1, sizeof *f);
    cf_error err;
    assert_int_equal(cf_make_temp_dir(NULL, "cflabels-", &f->dir, &err), CF_OK);
    f->url = malloc(strlen(f->dir) + 32);
    sprintf(f->url, "sqlite:%s/db.sqlite", f->dir);
    assert_int_equal(cf_store_open(f->url, &f->store, &err), CF_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cf_store_close(f->store);
    cf_error err;
    cf_remove_tree(f->dir, &err);
    free(f->dir);
    free(f->url);
    free(f);
    return 0;
}

static void put(cf_store *s, const char *id, const char *media, int64_t at, const char *body) {
    cf_error err;
    cf_label_record l = {.id = (char *)id, .media_id = (char *)media, .body = (char *)body,
                         .created_at = at};
    assert_int_equal(cf_store_label_insert(s, &l, &err), CF_OK);
}

static void test_labels_listed_per_media_oldest_first(void **state) {
    fixture *f = *state;
    put(f->store, "l_2", "m_a", 2000, "{\"verdict\":\"reject\"}");
    put(f->store, "l_1", "m_a", 1000, "{\"verdict\":\"accept\"}");
    put(f->store, "l_3", "m_b", 1500, "{}");
    cf_label_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_store_labels_list(f->store, "m_a", 100, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "l_1");
    assert_string_equal(rows[0].body, "{\"verdict\":\"accept\"}");
    assert_int_equal(rows[0].created_at, 1000);
    assert_string_equal(rows[1].id, "l_2");
    assert_string_equal(rows[1].media_id, "m_a");
    cf_label_records_free(rows, n);
    assert_int_equal(cf_store_labels_list(f->store, "m_a", 1, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    cf_label_records_free(rows, n);
    assert_int_equal(cf_store_labels_list(f->store, "m_none", 10, &rows, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    assert_null(rows);
}

static void test_label_ids_are_unique(void **state) {
    fixture *f = *state;
    put(f->store, "l_x", "m_a", 1, "{}");
    cf_error err;
    cf_label_record l = {.id = "l_x", .media_id = "m_a", .body = "{}", .created_at = 2};
    assert_int_equal(cf_store_label_insert(f->store, &l, &err), CF_ERR_CONFLICT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_labels_listed_per_media_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_ids_are_unique, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
