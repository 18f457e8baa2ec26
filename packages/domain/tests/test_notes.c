/* A result's notes: empty texts and repeats skipped, at most CF_NOTES_MAX kept, a long text cut
 * at a UTF-8 character boundary within CF_NOTE_MAX_BYTES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clipforge/domain/notes.h"

static void free_notes(char **notes, size_t n) {
    for (size_t i = 0; i < n; i++) free(notes[i]);
    free(notes);
}

static void test_skips_empty_and_repeated_texts(void **state) {
    (void)state;
    char **notes = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_notes_add(&notes, &n, NULL, &err), CF_OK);
    assert_int_equal(cf_notes_add(&notes, &n, "", &err), CF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cf_notes_add(&notes, &n, "left out: audio stream 2 (opus)", &err), CF_OK);
    assert_int_equal(cf_notes_add(&notes, &n, "re-encoded: the cut is not on a keyframe", &err), CF_OK);
    assert_int_equal(cf_notes_add(&notes, &n, "left out: audio stream 2 (opus)", &err), CF_OK);
    assert_int_equal(n, 2);
    assert_string_equal(notes[0], "left out: audio stream 2 (opus)");
    assert_string_equal(notes[1], "re-encoded: the cut is not on a keyframe");
    free_notes(notes, n);
}

static void test_keeps_at_most_the_schema_count(void **state) {
    (void)state;
    char **notes = NULL;
    size_t n = 0;
    cf_error err;
    char text[32];
    for (int i = 0; i < CF_NOTES_MAX + 5; i++) {
        snprintf(text, sizeof text, "note %d", i);
        assert_int_equal(cf_notes_add(&notes, &n, text, &err), CF_OK);
    }
    assert_int_equal(n, CF_NOTES_MAX);
    assert_string_equal(notes[CF_NOTES_MAX - 1], "note 31");
    free_notes(notes, n);
}

/* "é" is two bytes: a text of them cut at an odd byte limit keeps whole characters only. */
static void test_cuts_a_long_text_on_a_character_boundary(void **state) {
    (void)state;
    char long_text[2 * CF_NOTE_MAX_BYTES + 2] = "x";
    for (size_t i = 1; i + 2 < sizeof long_text; i += 2) memcpy(long_text + i, "\xc3\xa9", 2);
    char **notes = NULL;
    size_t n = 0;
    cf_error err;
    assert_int_equal(cf_notes_add(&notes, &n, long_text, &err), CF_OK);
    assert_int_equal(n, 1);
    size_t len = strlen(notes[0]);
    assert_true(len <= CF_NOTE_MAX_BYTES && len >= CF_NOTE_MAX_BYTES - 1);
    assert_int_equal((unsigned char)notes[0][len - 1], 0xa9); /* ends on a whole "é" */
    assert_memory_equal(notes[0], long_text, len);
    /* the same long text again is a repeat of what was kept */
    assert_int_equal(cf_notes_add(&notes, &n, long_text, &err), CF_OK);
    assert_int_equal(n, 1);
    free_notes(notes, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skips_empty_and_repeated_texts),
        cmocka_unit_test(test_keeps_at_most_the_schema_count),
        cmocka_unit_test(test_cuts_a_long_text_on_a_character_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
