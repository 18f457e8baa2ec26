/* Fuzzes the list cursors a client sends back (apps/backend/api/names.c): the media list's
 * "<created_at>.<id>" and the job list's "<seq>". Properties: each is accepted exactly in the form
 * its format function writes (formatting what was read gives the text back, so two texts never
 * name one cursor); a media cursor has a time >= 0 and an id of 1 to CF_CURSOR_ID_MAX bytes inside
 * the text; a job cursor is 1 or more. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/names.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok) {
    if (!ok) abort();
}

static void check_media_cursor(const char *text) {
    int64_t at;
    const char *id;
    if (!cf_media_cursor_parse(text, &at, &id)) return;
    must(at >= 0 && *id && strlen(id) <= CF_CURSOR_ID_MAX);
    must(id > text && id <= text + strlen(text));
    char again[128];
    cf_media_cursor_format(at, id, again, sizeof again);
    must(!strcmp(again, text)); /* one text per cursor */
    int64_t at2;
    const char *id2;
    must(cf_media_cursor_parse(again, &at2, &id2) && at2 == at && !strcmp(id2, id));
}

static void check_job_cursor(const char *text) {
    int64_t seq = -7;
    if (!cf_job_cursor_parse(text, &seq)) {
        must(seq == -7);
        return;
    }
    must(seq >= 1);
    char again[32];
    cf_job_cursor_format(seq, again, sizeof again);
    must(!strcmp(again, text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_input_text(data, size, 1024);
    if (!text) return 0;
    check_media_cursor(text);
    check_job_cursor(text);
    /* every seq formats to a cursor that reads back */
    if (size >= 8) {
        int64_t seq;
        memcpy(&seq, data, sizeof seq);
        if (seq > 0) {
            char c[32];
            int64_t back = 0;
            cf_job_cursor_format(seq, c, sizeof c);
            must(cf_job_cursor_parse(c, &back) && back == seq);
        }
    }
    free(text);
    return 0;
}
