/* Caption segmentation and SRT/WebVTT writing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/transcribe.h"

/* Builds a one-segment transcript from words spaced `step` ms apart, each `len` ms long;
 * a word "|" is not added but inserts a pause of `gap` ms. */
static void make_transcript(cf_transcript *t, const char *const *words, size_t n, int64_t step, int64_t len,
                            int64_t gap) {
    memset(t, 0, sizeof *t);
    t->language = strdup("en-us");
    t->segments = calloc(1, sizeof *t->segments);
    t->n_segments = 1;
    cf_transcript_segment *s = &t->segments[0];
    s->words = calloc(n, sizeof *s->words);
    int64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(words[i], "|")) {
            at += gap;
            continue;
        }
        s->words[s->n_words++] = (cf_transcript_word){strdup(words[i]), at, at + len, 0.9};
        at += step;
    }
    s->end_ms = at;
    t->duration_ms = at + 1000;
    assert_int_equal(cf_transcript_segment_join_text(s, NULL), CF_OK);
}

static size_t longest_line(const char *text) {
    size_t best = 0, cur = 0;
    for (const char *p = text;; p++) {
        if (*p == '\n' || !*p) {
            if (cur > best) best = cur;
            cur = 0;
            if (!*p) break;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            cur++;
        }
    }
    return best;
}

static size_t count_lines(const char *text) {
    size_t n = 1;
    for (; *text; text++) n += *text == '\n';
    return n;
}

static void test_lines_respect_max_chars_and_two_lines(void **state) {
    (void)state;
    static const char *const words[] = {
        "this",        "is",    "a",     "fairly", "long", "stream", "of", "words", "without",   "any",
        "punctuation", "that",  "keeps", "going",  "and",  "going",  "so", "the",   "segmenter", "must",
        "wrap",        "lines", "and",   "open",   "new",  "cues",   "on", "its",   "own",       "accord"};
    cf_transcript t;
    make_transcript(&t, words, sizeof words / sizeof words[0], 300, 250, 0);
    cf_caption_style st;
    cf_caption_style_default(&st);
    st.max_chars_per_line = 20;
    cf_caption_track tr;
    assert_int_equal(cf_captions_from_transcript(&t, &st, &tr, NULL), CF_OK);
    assert_true(tr.n_cues >= 3);
    size_t words_seen = 0;
    for (size_t i = 0; i < tr.n_cues; i++) {
        assert_true(longest_line(tr.cues[i].text) <= 20);
        assert_true(count_lines(tr.cues[i].text) <= 2);
        assert_true(tr.cues[i].end_ms - tr.cues[i].start_ms <= 7000);
        if (i) assert_true(tr.cues[i].start_ms >= tr.cues[i - 1].end_ms);
        for (const char *p = tr.cues[i].text; *p; p++) words_seen += (*p == ' ' || *p == '\n');
        words_seen++;
    }
    assert_int_equal(words_seen, sizeof words / sizeof words[0]);
    cf_caption_track_free(&tr);
    cf_transcript_free(&t);
}

static void test_breaks_at_sentence_end_and_pause(void **state) {
    (void)state;
    static const char *const words[] = {"Hello", "there.", "How", "are", "you", "|", "fine", "thanks"};
    cf_transcript t;
    make_transcript(&t, words, 8, 300, 250, 1500);
    cf_caption_track tr;
    assert_int_equal(cf_captions_from_transcript(&t, NULL, &tr, NULL), CF_OK);
    assert_int_equal(tr.n_cues, 3);
    assert_string_equal(tr.cues[0].text, "Hello there.");
    assert_string_equal(tr.cues[1].text, "How are you");
    assert_string_equal(tr.cues[2].text, "fine thanks");
    cf_caption_track_free(&tr);
    cf_transcript_free(&t);
}

static void test_short_cue_is_held_to_minimum_but_not_into_next(void **state) {
    (void)state;
    static const char *const words[] = {"Yes.", "|", "No.", "Maybe."};
    cf_transcript t;
    make_transcript(&t, words, 4, 1200, 200, 700);
    cf_caption_track tr;
    assert_int_equal(cf_captions_from_transcript(&t, NULL, &tr, NULL), CF_OK);
    assert_int_equal(tr.n_cues, 3);
    /* "Yes." 0-200 -> held to 1000 (next starts at 1900) */
    assert_int_equal(tr.cues[0].end_ms, 1000);
    /* "No." 1900-2100 -> want 2900 but "Maybe." starts at 3100: 2900 */
    assert_int_equal(tr.cues[1].end_ms, 2900);
    assert_int_equal(tr.cues[2].end_ms, tr.cues[2].start_ms + 1000);
    cf_caption_track_free(&tr);
    cf_transcript_free(&t);
}

static void test_max_duration_splits_slow_speech(void **state) {
    (void)state;
    static const char *const words[] = {"one", "two", "three", "four", "five", "six"};
    cf_transcript t;
    make_transcript(&t, words, 6, 2000, 500, 0); /* one word every 2 s, no long pauses */
    cf_caption_style st;
    cf_caption_style_default(&st);
    st.pause_break_ms = 5000;
    st.max_duration_ms = 5000;
    cf_caption_track tr;
    assert_int_equal(cf_captions_from_transcript(&t, &st, &tr, NULL), CF_OK);
    for (size_t i = 0; i < tr.n_cues; i++) assert_true(tr.cues[i].end_ms - tr.cues[i].start_ms <= 5000);
    assert_int_equal(tr.n_cues, 2); /* 0-4.5 s and 6-10.5 s */
    cf_caption_track_free(&tr);
    cf_transcript_free(&t);
}

static void test_srt_and_vtt_text(void **state) {
    (void)state;
    cf_caption_cue cues[2] = {{0, 1500, "a <b> & c"}, {3723004, 3725000, "line one\nline two"}};
    cf_caption_track tr = {.cues = cues, .n_cues = 2};
    char *srt = NULL, *vtt = NULL;
    assert_int_equal(cf_captions_format(&tr, CF_CAPTION_SRT, &srt, NULL, NULL), CF_OK);
    assert_string_equal(srt, "1\n00:00:00,000 --> 00:00:01,500\na <b> & c\n\n"
                             "2\n01:02:03,004 --> 01:02:05,000\nline one\nline two\n\n");
    assert_int_equal(cf_captions_format(&tr, CF_CAPTION_VTT, &vtt, NULL, NULL), CF_OK);
    assert_string_equal(vtt, "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\na &lt;b&gt; &amp; c\n\n"
                             "01:02:03.004 --> 01:02:05.000\nline one\nline two\n\n");
    free(srt);
    free(vtt);
}

/* Found by fuzzing: a line left blank after its tags were removed ended the cue early on
 * reading it back. */
static void test_blank_text_lines_are_not_written(void **state) {
    (void)state;
    cf_caption_cue cue = {1000, 2000, " \nword\n\t\nmore"};
    cf_caption_track tr = {.cues = &cue, .n_cues = 1}, back;
    char *srt = NULL;
    assert_int_equal(cf_captions_format(&tr, CF_CAPTION_SRT, &srt, NULL, NULL), CF_OK);
    assert_string_equal(srt, "1\n00:00:01,000 --> 00:00:02,000\nword\nmore\n\n");
    assert_int_equal(cf_captions_parse(srt, strlen(srt), &back, NULL), CF_OK);
    assert_int_equal(back.n_cues, 1);
    cf_caption_track_free(&back);
    free(srt);
}

static void round_trip(cf_caption_format fmt) {
    static const char *const words[] = {
        "Caf\xc3\xa9", "<tags>", "&",    "more,",  "words", "here.", "Then", "a",   "second", "sentence",
        "that",        "runs",   "long", "enough", "to",    "wrap",  "onto", "two", "lines."};
    cf_transcript t;
    make_transcript(&t, words, sizeof words / sizeof words[0], 350, 300, 0);
    cf_caption_track a, b;
    char *text = NULL;
    assert_int_equal(cf_captions_from_transcript(&t, NULL, &a, NULL), CF_OK);
    assert_int_equal(cf_captions_format(&a, fmt, &text, NULL, NULL), CF_OK);
    cf_error err = {0};
    cf_err e = cf_captions_parse(text, strlen(text), &b, &err);
    if (e) fail_msg("%s", err.msg);
    assert_int_equal(a.n_cues, b.n_cues);
    for (size_t i = 0; i < a.n_cues; i++) {
        assert_int_equal(a.cues[i].start_ms, b.cues[i].start_ms);
        assert_int_equal(a.cues[i].end_ms, b.cues[i].end_ms);
        /* SRT has no escaping, so the markup-looking word is dropped as a tag there */
        if (fmt == CF_CAPTION_VTT || !strstr(a.cues[i].text, "<tags>"))
            assert_string_equal(a.cues[i].text, b.cues[i].text);
    }
    free(text);
    cf_caption_track_free(&a);
    cf_caption_track_free(&b);
    cf_transcript_free(&t);
}

static void test_srt_round_trip(void **state) {
    (void)state;
    round_trip(CF_CAPTION_SRT);
}

static void test_vtt_round_trip(void **state) {
    (void)state;
    round_trip(CF_CAPTION_VTT);
}

static void test_empty_transcript_gives_empty_track(void **state) {
    (void)state;
    cf_transcript t = {0};
    cf_caption_track tr;
    char *vtt = NULL;
    assert_int_equal(cf_captions_from_transcript(&t, NULL, &tr, NULL), CF_OK);
    assert_int_equal(tr.n_cues, 0);
    assert_int_equal(cf_captions_format(&tr, CF_CAPTION_VTT, &vtt, NULL, NULL), CF_OK);
    assert_string_equal(vtt, "WEBVTT\n\n");
    free(vtt);
    cf_caption_track_free(&tr);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_respect_max_chars_and_two_lines),
        cmocka_unit_test(test_breaks_at_sentence_end_and_pause),
        cmocka_unit_test(test_short_cue_is_held_to_minimum_but_not_into_next),
        cmocka_unit_test(test_max_duration_splits_slow_speech),
        cmocka_unit_test(test_srt_and_vtt_text),
        cmocka_unit_test(test_blank_text_lines_are_not_written),
        cmocka_unit_test(test_srt_round_trip),
        cmocka_unit_test(test_vtt_round_trip),
        cmocka_unit_test(test_empty_transcript_gives_empty_track),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
