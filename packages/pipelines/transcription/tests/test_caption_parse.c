/* SRT/WebVTT import: tolerant of BOM, CRLF, CR, missing final newline and cue numbers; clear
 * errors with line numbers for what cannot be read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/transcribe.h"

static cf_caption_track parse_ok(const char *text, size_t n_cues) {
    cf_caption_track tr;
    cf_error err = {0};
    if (cf_captions_parse(text, strlen(text), &tr, &err) != CF_OK) fail_msg("%s", err.msg);
    assert_int_equal(tr.n_cues, n_cues);
    return tr;
}

static void parse_fails(const char *text, const char *msg_part) {
    cf_caption_track tr;
    cf_error err = {0};
    assert_int_equal(cf_captions_parse(text, strlen(text), &tr, &err), CF_ERR_INVALID_ARGUMENT);
    if (!strstr(err.msg, msg_part)) fail_msg("'%s' does not contain '%s'", err.msg, msg_part);
    assert_int_equal(tr.n_cues, 0);
    assert_null(tr.cues);
}

static void test_srt_with_bom_crlf_and_no_final_newline(void **state) {
    (void)state;
    cf_caption_track tr = parse_ok("\xEF\xBB\xBF"
                                   "1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\n"
                                   "world\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\n<i>Bye</i>",
                                   2);
    assert_int_equal(tr.cues[0].start_ms, 1000);
    assert_int_equal(tr.cues[0].end_ms, 2500);
    assert_string_equal(tr.cues[0].text, "Hello\nworld");
    assert_string_equal(tr.cues[1].text, "Bye");
    cf_caption_track_free(&tr);
}

static void test_srt_with_cr_only_dots_and_no_numbers(void **state) {
    (void)state;
    cf_caption_track tr = parse_ok("00:00:01.000 --> 00:00:02.000 X1:10 X2:20\rOne\r\r"
                                   "00:01:00.500 --> 00:01:01.000\rTwo\r",
                                   2);
    assert_string_equal(tr.cues[0].text, "One");
    assert_int_equal(tr.cues[1].start_ms, 60500);
    cf_caption_track_free(&tr);
}

static void test_vtt_header_notes_identifiers_and_entities(void **state) {
    (void)state;
    cf_caption_track tr = parse_ok("WEBVTT - a title\nKind: captions\n\nNOTE a comment\nspanning\n\n"
                                   "STYLE\n::cue { color: red }\n\nintro\n01:02.250 --> 01:03.000 "
                                   "align:start\n<v Ann>Fish &amp; chips &lt;3</v>\n\n"
                                   "1:00:00.000 --> 1:00:01.000\nlate\n",
                                   2);
    assert_int_equal(tr.cues[0].start_ms, 62250);
    assert_string_equal(tr.cues[0].text, "Fish & chips <3");
    assert_int_equal(tr.cues[1].start_ms, 3600000);
    cf_caption_track_free(&tr);
}

static void test_malformed_timestamp_names_line(void **state) {
    (void)state;
    parse_fails("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:0x:04,000\nbad\n",
                "line 6: malformed timing");
    parse_fails("1\n00:00:01,000 -> 00:00:02,000\nx\n", "line 2: malformed timing");
    parse_fails("1\n00:61:01,000 --> 00:62:02,000\nx\n", "line 2");
    parse_fails("WEBVTT\n\n00:01.000 --> 00:02.0000\nx\n", "line 3");
}

static void test_end_before_start_and_missing_timing(void **state) {
    (void)state;
    parse_fails("1\n00:00:05,000 --> 00:00:02,000\nx\n", "line 2: cue ends before it starts");
    parse_fails("1\n\n00:00:01,000 --> 00:00:02,000\nx\n", "line 2: expected a timing line");
    parse_fails("just some text\nand more\n", "line 2: malformed timing");
}

static void test_bad_bytes_and_empty_files(void **state) {
    (void)state;
    parse_fails("1\n00:00:01,000 --> 00:00:02,000\nbad \xC3\x28 utf8\n", "line 3: invalid UTF-8");
    parse_fails("", "no captions");
    parse_fails("\n\n\r\n", "no captions");
    parse_fails("WEBVTTX\n", "header");
    cf_caption_track tr;
    const char nul[] = "1\n00:00:01,000 --> 00:00:02,000\na\0b\n";
    assert_int_equal(cf_captions_parse(nul, sizeof nul - 1, &tr, NULL), CF_ERR_INVALID_ARGUMENT);
    tr = parse_ok("WEBVTT\n", 0); /* a WebVTT file may hold no cues */
    cf_caption_track_free(&tr);
}

static void test_load_file_errors(void **state) {
    (void)state;
    cf_caption_track tr;
    cf_error err = {0};
    assert_int_equal(cf_captions_load_file("/nonexistent/x.srt", 0, &tr, &err), CF_ERR_NOT_FOUND);
    char path[] = "/tmp/cf_caption_parse_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("1\n00:00:01,000 --> 00:00:02,000\nhello\n", f);
    fclose(f);
    assert_int_equal(cf_captions_load_file(path, 10, &tr, &err), CF_ERR_TOO_LARGE);
    assert_int_equal(cf_captions_load_file(path, 0, &tr, &err), CF_OK);
    assert_int_equal(tr.n_cues, 1);
    cf_transcript t;
    assert_int_equal(cf_captions_to_transcript(&tr, &t, &err), CF_OK);
    assert_int_equal(t.n_segments, 1);
    assert_string_equal(t.segments[0].text, "hello");
    assert_int_equal(t.segments[0].words[0].start_ms, 1000);
    assert_int_equal(t.segments[0].words[0].end_ms, 2000);
    cf_transcript_free(&t);
    cf_caption_track_free(&tr);
    remove(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srt_with_bom_crlf_and_no_final_newline),
        cmocka_unit_test(test_srt_with_cr_only_dots_and_no_numbers),
        cmocka_unit_test(test_vtt_header_notes_identifiers_and_entities),
        cmocka_unit_test(test_malformed_timestamp_names_line),
        cmocka_unit_test(test_end_before_start_and_missing_timing),
        cmocka_unit_test(test_bad_bytes_and_empty_files),
        cmocka_unit_test(test_load_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
