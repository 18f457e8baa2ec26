#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/json.h"

static void test_depth_limit_rejects_deep_nesting(void **state) {
    (void)state;
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    cf_error err;
    assert_null(cf_json_parse(deep, 2 * n, 32, &err));
    assert_int_equal(err.code, CF_ERR_TOO_LARGE);
    free(deep);
    json_t *ok = cf_json_parse("{\"a\":\"[[[[\"}", 12, 2, &err);
    assert_non_null(ok); /* brackets inside strings do not count */
    json_decref(ok);
}

static void test_stored_text_reads_as_a_value_or_null(void **state) {
    (void)state;
    json_t *v = cf_json_or_null("{\"a\":[1,2]}");
    assert_int_equal(json_array_size(json_object_get(v, "a")), 2);
    json_decref(v);
    assert_true(json_is_null(cf_json_or_null(NULL)));
    assert_true(json_is_null(cf_json_or_null("not json")));
    assert_true(json_is_null(cf_json_or_null("")));
}

static void test_syntax_error_has_position(void **state) {
    (void)state;
    cf_error err;
    assert_null(cf_json_parse("{\"a\": }", 7, 8, &err));
    assert_int_equal(err.code, CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "line 1"));
}

static void test_typed_getters_name_the_path(void **state) {
    (void)state;
    cf_error err;
    json_t *o = cf_json_parse("{\"end_ms\": \"x\", \"n\": 4}", 23, 8, &err);
    assert_non_null(o);
    int64_t v = 0;
    assert_int_equal(cf_json_get_int(o, "n", false, &v, "", &err), CF_OK);
    assert_int_equal(v, 4);
    assert_int_equal(cf_json_get_int(o, "end_ms", false, &v, "operations[2]", &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "operations[2].end_ms: must be an integer");
    assert_int_equal(cf_json_get_int(o, "missing", true, &v, "", &err), CF_ERR_NOT_FOUND);
    assert_int_equal(cf_json_get_int(o, "missing", false, &v, "", &err), CF_ERR_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "missing: is required");
    json_decref(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_limit_rejects_deep_nesting),
        cmocka_unit_test(test_syntax_error_has_position),
        cmocka_unit_test(test_stored_text_reads_as_a_value_or_null),
        cmocka_unit_test(test_typed_getters_name_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
