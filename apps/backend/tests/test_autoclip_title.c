/* Unit tests of autoclip titles: drawn from confident, salient words of the span only; made from
 * the highlight's label and time when the speech there is not confident. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "application/autoclip_title.h"

/* One segment of words 500 ms apart, each with its confidence. */
static cf_transcript make(const char *const *words, const double *conf, size_t n, cf_transcript_word *store,
                          cf_transcript_segment *seg) {
    for (size_t i = 0; i < n; i++)
        store[i] = (cf_transcript_word){(char *)words[i], (int64_t)i * 500, (int64_t)i * 500 + 400, conf[i]};
    *seg = (cf_transcript_segment){.start_ms = 0, .end_ms = (int64_t)n * 500, .words = store, .n_words = n};
    return (cf_transcript){.segments = seg, .n_segments = 1};
}

static void test_title_uses_confident_content_words(void **state) {
    (void)state;
    const char *w[] = {"the", "striker", "scores", "a", "wonderful", "goal", "see", "all"};
    const double c[] = {0.9, 0.95, 0.9, 0.9, 0.85, 0.9, 0.2, 0.1};
    cf_transcript_word store[8];
    cf_transcript_segment seg;
    cf_transcript t = make(w, c, 8, store, &seg);
    char title[64];
    assert_true(cf_autoclip_title(&t, 0, 10000, NULL, 0, title, sizeof title) >= 2);
    assert_string_equal(title, "Striker scores a wonderful goal");
}

static void test_unsure_speech_gives_no_title(void **state) {
    (void)state;
    /* the gibberish of a misheard stretch: every word under the bar but one */
    const char *w[] = {"see", "all", "the", "critical", "caught", "illegally", "cloth"};
    const double c[] = {0.4, 0.3, 0.5, 0.6, 0.9, 0.35, 0.5};
    cf_transcript_word store[7];
    cf_transcript_segment seg;
    cf_transcript t = make(w, c, 7, store, &seg);
    char title[64];
    assert_int_equal(cf_autoclip_title(&t, 0, 10000, NULL, 0, title, sizeof title), 0);
    assert_string_equal(title, "");
}

static void test_unsure_word_breaks_the_window(void **state) {
    (void)state;
    const char *w[] = {"amazing", "save", "cloth", "keeper", "dives"};
    const double c[] = {0.9, 0.9, 0.2, 0.9, 0.9};
    cf_transcript_word store[5];
    cf_transcript_segment seg;
    cf_transcript t = make(w, c, 5, store, &seg);
    char title[64];
    assert_int_equal(cf_autoclip_title(&t, 0, 10000, NULL, 0, title, sizeof title), 2);
    assert_null(strstr(title, "cloth"));
}

/* A line said again (a catchphrase, a chorus) in two clips: the second takes its span's next
 * best stretch, else no title from the words (and one from the event and time instead). */
static void test_titles_of_a_run_differ(void **state) {
    (void)state;
    const char *w[] = {"great", "save", "big", "hit", "cloth", "great", "save"};
    const double c[] = {0.9, 0.9, 0.76, 0.76, 0.2, 0.9, 0.9};
    cf_transcript_word store[7];
    cf_transcript_segment seg;
    cf_transcript t = make(w, c, 7, store, &seg);
    char first[64], title[64];
    assert_int_equal(cf_autoclip_title(&t, 0, 1000, NULL, 0, first, sizeof first), 2);
    assert_string_equal(first, "Great save");
    /* the second span's best stretch is the same line said again */
    assert_int_equal(cf_autoclip_title(&t, 1000, 3500, NULL, 0, title, sizeof title), 2);
    assert_string_equal(title, "Great save");
    const char *before[] = {first};
    assert_int_equal(cf_autoclip_title(&t, 1000, 3500, before, 1, title, sizeof title), 2);
    assert_string_equal(title, "Big hit");
    const char *upper[] = {"GREAT SAVE"}; /* compared without case */
    assert_int_equal(cf_autoclip_title(&t, 1000, 3500, upper, 1, title, sizeof title), 2);
    assert_string_equal(title, "Big hit");
    const char *both[] = {first, "Big hit"};
    assert_int_equal(cf_autoclip_title(&t, 1000, 3500, both, 2, title, sizeof title), 0);
    assert_string_equal(title, "");
}

static void test_event_titles(void **state) {
    (void)state;
    char title[64];
    cf_autoclip_event_title("crowd_reaction", 760000, title, sizeof title);
    assert_string_equal(title, "Crowd erupts at 12:40");
    cf_autoclip_event_title("laughter", 185000, title, sizeof title);
    assert_string_equal(title, "Big laugh at 3:05");
    cf_autoclip_event_title("slide_changes", 40000, title, sizeof title);
    assert_string_equal(title, "Slide changes at 0:40");
    cf_autoclip_event_title("applause", 3725000, title, sizeof title);
    assert_string_equal(title, "Applause breaks out at 1:02:05");
    cf_autoclip_event_title(NULL, 0, title, sizeof title);
    assert_string_equal(title, "Highlight at 0:00");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_title_uses_confident_content_words),
        cmocka_unit_test(test_unsure_speech_gives_no_title),
        cmocka_unit_test(test_unsure_word_breaks_the_window),
        cmocka_unit_test(test_titles_of_a_run_differ),
        cmocka_unit_test(test_event_titles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
