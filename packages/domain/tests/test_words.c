/* How a recognised word is shown: "i" and its contractions as "I", a sentence's first word
 * capitalised, everything else as recognised; the copy is cut to the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clipforge/domain/words.h"

static const char *shown(const char *word, bool sentence_start) {
    static char out[32];
    cf_word_display(word, sentence_start, out, sizeof out);
    return out;
}

static void test_the_pronoun_i_is_a_capital(void **state) {
    (void)state;
    assert_string_equal(shown("i", false), "I");
    assert_string_equal(shown("i'm", false), "I'm");
    assert_string_equal(shown("i'll", false), "I'll");
    assert_string_equal(shown("i'd", true), "I'd");
    /* words that only start with an i stay as they are */
    assert_string_equal(shown("it", false), "it");
    assert_string_equal(shown("island", false), "island");
    assert_string_equal(shown("in", false), "in");
}

static void test_a_sentence_starts_with_a_capital(void **state) {
    (void)state;
    assert_string_equal(shown("the", true), "The");
    assert_string_equal(shown("the", false), "the");
    assert_string_equal(shown("we're", true), "We're");
    /* not a lower-case ASCII letter: left alone */
    assert_string_equal(shown("Paris", false), "Paris");
    assert_string_equal(shown("42", true), "42");
    assert_string_equal(shown("\xc3\xa9t\xc3\xa9", true), "\xc3\xa9t\xc3\xa9");
    assert_string_equal(shown("", true), "");
}

static void test_the_copy_is_cut_to_the_buffer(void **state) {
    (void)state;
    char out[4] = "xyz";
    cf_word_display("wonderful", true, out, sizeof out);
    assert_string_equal(out, "Won");
    cf_word_display("wonderful", true, out, 0); /* no room: nothing written */
    assert_string_equal(out, "Won");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_pronoun_i_is_a_capital),
        cmocka_unit_test(test_a_sentence_starts_with_a_capital),
        cmocka_unit_test(test_the_copy_is_cut_to_the_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
