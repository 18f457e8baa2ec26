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
    /* a UTF-8 file (it has a good sequence) with a damaged one: the line is named */
    parse_fails(
        "1\n00:00:01,000 --> 00:00:02,000\ncaf\xC3\xA9\n\n2\n00:00:03,000 --> 00:00:04,000\nbad \xC3\x28\n",
        "line 7: invalid UTF-8");
    parse_fails("", "no captions");
    parse_fails("\n\n\r\n", "no captions");
    parse_fails("WEBVTTX\n", "header");
    cf_caption_track tr;
    const char nul[] = "1\n00:00:01,000 --> 00:00:02,000\na\0b\n";
    assert_int_equal(cf_captions_parse(nul, sizeof nul - 1, &tr, NULL), CF_ERR_INVALID_ARGUMENT);
    tr = parse_ok("WEBVTT\n", 0); /* a WebVTT file may hold no cues */
    cf_caption_track_free(&tr);
}

/* Windows programs save SRT files in Windows-1252 or UTF-16: read, and said (read_as). */
static void test_windows_1252_and_utf16_are_read(void **state) {
    (void)state;
    cf_caption_track tr =
        parse_ok("1\r\n00:00:01,000 --> 00:00:02,000\r\nCaf\xE9 cr\xE8me \x96 l\x92\xE9t\xE9 \x80\r\n", 1);
    assert_string_equal(tr.cues[0].text,
                        "Caf\xC3\xA9 cr\xC3\xA8me \xE2\x80\x93 l\xE2\x80\x99\xC3\xA9t\xC3\xA9 \xE2\x82\xAC");
    assert_string_equal(tr.read_as, "Windows-1252");
    cf_caption_track_free(&tr);
    tr = parse_ok("1\n00:00:01,000 --> 00:00:02,000\ncaf\xC3\xA9\n", 1);
    assert_null(tr.read_as); /* UTF-8 as it is */
    cf_caption_track_free(&tr);
    /* "1\n00:00:01,000 --> 00:00:02,000\né😀\n" in UTF-16, little- and big-endian */
    unsigned short units[64];
    size_t n = 0;
    units[n++] = 0xFEFF;
    for (const char *p = "1\n00:00:01,000 --> 00:00:02,000\n"; *p; p++) units[n++] = (unsigned char)*p;
    units[n++] = 0xE9, units[n++] = 0xD83D, units[n++] = 0xDE00, units[n++] = '\n';
    for (int be = 0; be < 2; be++) {
        char bytes[128];
        for (size_t i = 0; i < n; i++) {
            bytes[2 * i + be] = (char)(units[i] & 0xFF);
            bytes[2 * i + !be] = (char)(units[i] >> 8);
        }
        cf_error err = {0};
        if (cf_captions_parse(bytes, 2 * n, &tr, &err) != CF_OK) fail_msg("%s", err.msg);
        assert_int_equal(tr.n_cues, 1);
        assert_string_equal(tr.cues[0].text, "\xC3\xA9\xF0\x9F\x98\x80");
        assert_string_equal(tr.read_as, be ? "UTF-16BE" : "UTF-16LE");
        cf_caption_track_free(&tr);
    }
}

/* Central European text saved by Windows (Windows-1250) is told from Western European: Polish by
 * its letters that are signs in Windows-1252 (ł, ż after letters), Czech by its ť, which
 * Windows-1252 lacks; Spanish signs (¿ before a word, º, a lone m³) stay Windows-1252. */
static void test_windows_1250_is_told_from_1252(void **state) {
    (void)state;
    static const struct {
        const char *text, *utf8, *read_as;
    } cases[] = {
        {"To by\xB3o naprawd\xEA dobre, ju\xBF wiesz.",
         "To by\xC5\x82o naprawd\xC4\x99 dobre, ju\xC5\xBC wiesz.", "Windows-1250"},
        {"D\xECkuji, a\x9D se da\xF8\xED.", "D\xC4\x9Bkuji, a\xC5\xA5 se da\xC5\x99\xC3\xAD.",
         "Windows-1250"},
        {"\xBFQu\xE9? n\xBA 5, 10 m\xB3", "\xC2\xBFQu\xC3\xA9? n\xC2\xBA 5, 10 m\xC2\xB3", "Windows-1252"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char srt[160];
        snprintf(srt, sizeof srt, "1\r\n00:00:01,000 --> 00:00:02,000\r\n%s\r\n", cases[i].text);
        cf_caption_track tr = parse_ok(srt, 1);
        assert_string_equal(tr.cues[0].text, cases[i].utf8);
        assert_string_equal(tr.read_as, cases[i].read_as);
        cf_caption_track_free(&tr);
    }
}

/* Text of another code page would come out as accented Latin nonsense: refused, not guessed. */
static void test_other_code_pages_are_refused(void **state) {
    (void)state;
    /* "Привет мир" in Windows-1251 */
    parse_fails("1\n00:00:01,000 --> 00:00:02,000\n\xCF\xF0\xE8\xE2\xE5\xF2 \xEC\xE8\xF0\n",
                "save the file as UTF-8");
    /* 0x81 is no character in Windows-1252 or Windows-1250 */
    parse_fails("1\n00:00:01,000 --> 00:00:02,000\nab\x81 cd\n", "neither UTF-8 nor");
    /* an unpaired surrogate in UTF-16 */
    const char bad16[] = "\xFF\xFE"
                         "1\0\n\0\x00\xD8"
                         "a\0";
    cf_caption_track tr;
    cf_error err = {0};
    assert_int_equal(cf_captions_parse(bad16, sizeof bad16 - 1, &tr, &err), CF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(err.msg, "surrogate"));
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
        cmocka_unit_test(test_windows_1252_and_utf16_are_read),
        cmocka_unit_test(test_windows_1250_is_told_from_1252),
        cmocka_unit_test(test_other_code_pages_are_refused),
        cmocka_unit_test(test_load_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
