/* Fuzzes the SRT/WebVTT reader (cf_captions_parse) from raw bytes, and checks what it accepts:
 * every cue ends at or after its start, SRT and WebVTT written from the cues read back to the
 * same cue times, and the cues go through transcript conversion and caption segmentation. The
 * same bytes as an ASS event's text (a media file's subtitles, cf_subtitles_plain_text) come out
 * no longer than they went in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/caption_parse.h"
#include "clipforge/captions.h"
#include "clipforge/subtitles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reread_same_times(const cf_caption_track *a, cf_caption_format fmt) {
    char *text = NULL;
    size_t len = 0;
    if (cf_captions_format(a, fmt, &text, &len, NULL) != CF_OK) return;
    cf_caption_track b;
    cf_err e = cf_captions_parse(text, len, &b, NULL);
    if (e != CF_OK || b.n_cues != a->n_cues) abort(); /* what we write, we must read */
    for (size_t i = 0; i < a->n_cues; i++)
        if (a->cues[i].start_ms != b.cues[i].start_ms || a->cues[i].end_ms != b.cues[i].end_ms) abort();
    cf_caption_track_free(&b);
    free(text);
}

static void resegment(const cf_caption_track *tr) {
    cf_transcript t;
    if (cf_captions_to_transcript(tr, &t, NULL) != CF_OK) return;
    cf_caption_track out;
    if (cf_captions_from_transcript(&t, NULL, &out, NULL) == CF_OK) {
        for (size_t i = 0; i < out.n_cues; i++)
            if (out.cues[i].end_ms < out.cues[i].start_ms) abort();
        cf_caption_track_free(&out);
    }
    cf_transcript_free(&t);
}

static void plain_text(const uint8_t *data, size_t size) {
    char *in = malloc(size + 1), *out = malloc(size + 1);
    if (in && out) {
        memcpy(in, data, size);
        in[size] = '\0';
        size_t n = cf_subtitles_plain_text(in, out);
        if (n > strlen(in) || n != strlen(out)) abort();
    }
    free(in);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    plain_text(data, size);
    cf_caption_track tr;
    if (cf_captions_parse((const char *)data, size, &tr, NULL) != CF_OK) return 0;
    for (size_t i = 0; i < tr.n_cues; i++)
        if (tr.cues[i].end_ms < tr.cues[i].start_ms || !tr.cues[i].text) abort();
    if (tr.n_cues) reread_same_times(&tr, CF_CAPTION_SRT);
    reread_same_times(&tr, CF_CAPTION_VTT);
    resegment(&tr);
    cf_caption_track_free(&tr);
    return 0;
}
