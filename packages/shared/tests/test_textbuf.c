/* The growable text (clipforge/textbuf.h): appends of bytes and of printf-style text keep it
 * whole and NUL-terminated across many doublings; an empty text is taken as "" (not NULL); a
 * failed format marks the text failed, later appends do nothing and taking it gives NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "clipforge/textbuf.h"

static void test_appends_keep_the_text_whole_across_growth(void **state) {
    (void)state;
    cf_textbuf b = {0};
    char want[20000];
    size_t n = 0;
    for (int i = 0; i < 2000; i++) {
        char piece[16];
        int len = snprintf(piece, sizeof piece, "%d,", i);
        if (i % 2) assert_true(cf_textbuf_put(&b, piece, (size_t)len));
        else assert_true(cf_textbuf_printf(&b, "%d,", i));
        memcpy(want + n, piece, (size_t)len);
        n += (size_t)len;
        assert_int_equal(b.len, n);
        assert_int_equal(b.s[b.len], '\0');
        assert_true(b.cap > b.len);
    }
    assert_true(cf_textbuf_put(&b, "a\0b", 3)); /* bytes, NULs included */
    memcpy(want + n, "a\0b", 3);
    n += 3;
    assert_int_equal(b.len, n);
    assert_memory_equal(b.s, want, n);
    char *text = cf_textbuf_take(&b);
    assert_non_null(text);
    assert_memory_equal(text, want, n);
    assert_null(b.s);
    assert_int_equal(b.len, 0);
    free(text);
}

static void test_an_empty_text_is_taken_as_empty_not_null(void **state) {
    (void)state;
    cf_textbuf b = {0};
    assert_true(cf_textbuf_put(&b, NULL, 0));
    char *text = cf_textbuf_take(&b);
    assert_non_null(text);
    assert_string_equal(text, "");
    free(text);
    cf_textbuf_free(NULL);
}

static void test_a_failure_is_remembered_and_taking_gives_null(void **state) {
    (void)state;
    cf_textbuf b = {0};
    assert_true(cf_textbuf_put(&b, "kept", 4));
    /* An encoding error of the format (%ls with a wide character that is not one in the C
     * locale) fails like an allocation. */
    static const wchar_t bad[] = {(wchar_t)0xD800, 0};
    assert_false(cf_textbuf_printf(&b, "%ls", bad));
    assert_true(b.failed);
    assert_false(cf_textbuf_put(&b, "more", 4));
    assert_false(cf_textbuf_printf(&b, "%d", 1));
    assert_null(cf_textbuf_take(&b));
    assert_false(b.failed); /* empty again: usable */
    assert_true(cf_textbuf_printf(&b, "%s", "again"));
    cf_textbuf_free(&b);
    assert_null(b.s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appends_keep_the_text_whole_across_growth),
        cmocka_unit_test(test_an_empty_text_is_taken_as_empty_not_null),
        cmocka_unit_test(test_a_failure_is_remembered_and_taking_gives_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
