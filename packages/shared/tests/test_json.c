#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* A value of every kind, nested up to depth, from the generator state *seed. */
static json_t *random_value(unsigned *seed, int depth) {
    static const char *const pieces[] = {"a",
                                         "\"",
                                         "\\",
                                         "/",
                                         "\n",
                                         "\r",
                                         "\t",
                                         "\b",
                                         "\f",
                                         "\x01",
                                         "\x1f",
                                         "\x7f",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         " ",
                                         "Z",
                                         "0"};
    static const double reals[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -3.0,
                                   0.1,
                                   0.5,
                                   1e-7,
                                   123456789.125,
                                   1e15,
                                   1e16,
                                   1e17,
                                   1e21,
                                   1e300,
                                   1e-300,
                                   5e-324,
                                   9007199254740992.0,
                                   -9007199254740991.0,
                                   2.5e-5,
                                   1.7976931348623157e308,
                                   33.333333333333336};
    static const json_int_t ints[] = {0, 1, -1, 42, 1000000007, INT64_MAX, INT64_MIN, -9007199254740993LL};
    int kind = (int)(rand_r(seed) % (depth > 0 ? 8u : 6u));
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(rand_r(seed) % 2);
    case 2: return json_integer(ints[rand_r(seed) % (sizeof ints / sizeof ints[0])]);
    case 3: return json_real(reals[rand_r(seed) % (sizeof reals / sizeof reals[0])]);
    case 4:
    case 5: {
        char s[256] = "";
        for (unsigned n = rand_r(seed) % 12; n--;)
            strcat(s, pieces[rand_r(seed) % (sizeof pieces / sizeof pieces[0])]);
        return json_string(s);
    }
    case 6: {
        json_t *a = json_array();
        for (unsigned n = rand_r(seed) % 5; n--;) json_array_append_new(a, random_value(seed, depth - 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (unsigned n = rand_r(seed) % 7; n--;) {
            char key[8] = {(char)('a' + rand_r(seed) % 3), (char)('a' + rand_r(seed) % 3), 0};
            size_t len = rand_r(seed) % 3; /* "", a prefix of another key, or with a NUL inside */
            if (len == 2 && rand_r(seed) % 4 == 0) key[1] = '\0';
            json_object_setn_new(o, key, len, random_value(seed, depth - 1));
        }
        return o;
    }
    }
}

static void assert_dumps_alike(const json_t *v) {
    for (int sort = 0; sort < 2; sort++) {
        char *ours = cf_json_dump(v, sort);
        char *theirs = json_dumps(v, JSON_COMPACT | (sort ? JSON_SORT_KEYS : 0));
        if (theirs) assert_string_equal(ours, theirs);
        else assert_null(ours);
        free(ours);
        free(theirs);
    }
}

static void test_dump_writes_what_jansson_writes(void **state) {
    (void)state;
    unsigned seed = 21;
    for (int i = 0; i < 3000; i++) {
        json_t *v = json_array();
        json_array_append_new(v, random_value(&seed, 4));
        json_t *o = json_object();
        json_object_set(o, "v", json_array_get(v, 0));
        assert_dumps_alike(v);
        assert_dumps_alike(json_array_get(v, 0));
        assert_dumps_alike(o);
        json_decref(o);
        json_decref(v);
    }
    json_t *o = json_pack("{s:f,s:[]}", "p", 0.0, "e");
    char *text = cf_json_dump(o, false);
    assert_string_equal(text, "{\"p\":0.0,\"e\":[]}");
    free(text);
    json_decref(o);
}

/* An object written member by member is what cf_json_dump (and so jansson) writes of the same
 * object built first: every kind of member, in the order written. */
static void test_object_writer_writes_what_dump_writes(void **state) {
    (void)state;
    unsigned seed = 7;
    static const char *const strings[] = {"",          "plain",    "q\"uote",     "back\\slash",
                                          "tab\tnl\n", "\x01\x1f", "caf\xc3\xa9", "\xe2\x82\xac/"};
    static const double reals[] = {0.0, -0.0, 1.0, 0.5, 0.1, 33.333333333333336, 1e21, 2.5e-5, -3.0};
    for (int i = 0; i < 500; i++) {
        json_t *o = json_object();
        cf_json_obj w;
        cf_json_obj_begin(&w);
        for (int m = 0, members = (int)(rand_r(&seed) % 9); m < members; m++) {
            char key[16];
            snprintf(key, sizeof key, m % 3 ? "k%d" : "key \"%d", m);
            switch (rand_r(&seed) % 6) {
            case 0: {
                const char *v = rand_r(&seed) % 5 ? strings[rand_r(&seed) % 8] : NULL;
                cf_json_obj_string(&w, key, v);
                json_object_set_new(o, key, v ? json_string(v) : json_null());
                break;
            }
            case 1: {
                int64_t v = (int64_t)rand_r(&seed) - RAND_MAX / 2;
                cf_json_obj_int(&w, key, v);
                json_object_set_new(o, key, json_integer(v));
                break;
            }
            case 2: {
                double v = reals[rand_r(&seed) % (sizeof reals / sizeof reals[0])];
                cf_json_obj_real(&w, key, v);
                json_object_set_new(o, key, json_real(v));
                break;
            }
            case 3: {
                bool v = rand_r(&seed) % 2;
                cf_json_obj_bool(&w, key, v);
                json_object_set_new(o, key, json_boolean(v));
                break;
            }
            default: {
                json_t *v = random_value(&seed, 3);
                cf_json_obj_value(&w, key, v);
                json_object_set_new(o, key, v);
            }
            }
        }
        char *ours = cf_json_obj_end(&w), *want = cf_json_dump(o, false),
             *theirs = json_dumps(o, JSON_COMPACT);
        assert_non_null(ours);
        assert_string_equal(ours, want);
        assert_string_equal(ours, theirs);
        free(ours);
        free(want);
        free(theirs);
        json_decref(o);
    }
    cf_json_obj w; /* what jansson cannot hold is refused */
    cf_json_obj_begin(&w);
    cf_json_obj_real(&w, "p", NAN);
    assert_null(cf_json_obj_end(&w));
}

static void test_dump_refuses_cycles_and_bare_values(void **state) {
    (void)state;
    json_t *a = json_array(), *o = json_object();
    json_array_append(a, o);
    json_object_set(o, "back", a);
    assert_null(cf_json_dump(a, false));
    assert_null(json_dumps(a, JSON_COMPACT));
    json_object_del(o, "back");
    json_object_set_new(o, "twice", json_integer(1));
    json_array_append(a, o); /* the same object twice, no cycle: written twice */
    char *text = cf_json_dump(a, true);
    assert_string_equal(text, "[{\"twice\":1},{\"twice\":1}]");
    free(text);
    json_decref(o);
    json_decref(a);
    json_t *s = json_string("x");
    assert_null(cf_json_dump(s, false));
    assert_null(cf_json_dump(NULL, false));
    json_decref(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_limit_rejects_deep_nesting),
        cmocka_unit_test(test_syntax_error_has_position),
        cmocka_unit_test(test_stored_text_reads_as_a_value_or_null),
        cmocka_unit_test(test_typed_getters_name_the_path),
        cmocka_unit_test(test_dump_writes_what_jansson_writes),
        cmocka_unit_test(test_object_writer_writes_what_dump_writes),
        cmocka_unit_test(test_dump_refuses_cycles_and_bare_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
