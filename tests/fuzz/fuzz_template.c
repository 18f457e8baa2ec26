/* Fuzzes the render template loader (packages/pipelines/rendering compile.c): a template's JSON
 * text, as templates/<id>.json holds it, applied to a request's span with
 * cf_render_template_apply (variables, canvas scaling, overlays fitted to the span, the checks of
 * a timeline). The first byte chooses the request: format, size, title, captions, music. What is
 * accepted must be one scene of the request's source over its span, and a timeline whose JSON
 * form is accepted again unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok) {
    if (!ok) abort();
}

static void check_timeline(const cf_timeline *tl, int64_t start, int64_t end) {
    must(tl->n_scenes == 1 && !strcmp(tl->scenes[0].source_uri, "in.mp4"));
    must(tl->scenes[0].in_ms == start && tl->scenes[0].out_ms == end);
    json_t *j = cf_timeline_to_json(tl);
    must(j != NULL);
    cf_timeline again;
    cf_error err;
    must(cf_render_timeline_from_json(j, &again, &err) == CF_OK);
    json_t *j2 = cf_timeline_to_json(&again);
    must(json_equal(j, j2));
    json_decref(j2);
    json_decref(j);
    cf_timeline_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 65536) return 0;
    uint8_t pick = data[0];
    cf_render_request req = {.source_uri = "in.mp4", .template_id = "fuzz", .start_ms = 1000};
    req.format = pick & 1 ? CF_RENDER_FORMAT_HORIZONTAL : CF_RENDER_FORMAT_VERTICAL;
    if (pick & 2) req.title = "A title with ${title} in it";
    if (pick & 4) req.captions_uri = "in.srt";
    if (pick & 8) req.music_uri = "music.mp3";
    if (pick & 16) req.has_width = req.has_height = true, req.width = 640, req.height = 360;
    if (pick & 32) req.brand_color = "#ff0000";
    int64_t end = pick & 64 ? 1001 : 61000;
    cf_timeline tl;
    cf_error err;
    if (cf_render_template_apply((const char *)data + 1, size - 1, &req, end, &tl, &err) == CF_OK) {
        check_timeline(&tl, req.start_ms, end);
        cf_timeline_free(&tl);
    } else {
        must(err.msg[0] != '\0');
    }
    return 0;
}
