/* cmd_render.c — `clipforge render`: a finished video from a render request, a hand-written
 * timeline, or a template applied to a span of a source. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clipforge/json.h"
#include "clipforge/render.h"
#include "clipforge/timefmt.h"

static const char *render_help =
    "Usage: clipforge render --request RENDER.json [--output FILE]\n"
    "       clipforge render --timeline TIMELINE.json --output FILE\n"
    "       clipforge render --template ID --input FILE --span START:END --format vertical|horizontal\n"
    "                        --output FILE [--title TEXT] [--captions FILE] [--music FILE]\n"
    "                        [--brand-color COLOR] [--logo FILE] [--font FONT] [--size WxH]\n"
    "                        [--audio-stream N] [--remove-silence]\n"
    "Options for all: [--json] [--debug-path FILE] [--debug-video FILE] [--threads N]\n\n"
    "Renders a finished video: scenes laid out on a canvas (fit, fill, blur_fill, smart_crop,\n"
    "split), overlays, captions with the spoken word highlighted, music ducked under speech,\n"
    "loudness normalised to -14 LUFS. Writes every output, a thumbnail (.jpg beside the output)\n"
    "and, with captions, .srt and .vtt files. Templates: shorts-blur, shorts-smartcrop,\n"
    "landscape-clean, podcast-split (in $CLIPFORGE_TEMPLATE_DIR or the installed directory).\n"
    "Captions: .srt, .vtt, or a transcript .json with timed words (times of the source file).\n"
    "--debug-path writes the smart-crop camera path as JSON, --debug-video the source with the\n"
    "crop drawn as a moving red frame. --json prints the RenderResult. --audio-stream takes the\n"
    "source's audio stream N (as `clipforge probe` lists it) instead of its default one.\n"
    "--remove-silence makes jump cuts: the span skips its pauses of 0.6 s or more (voice activity\n"
    "of the sound and the captions' words), keeping 120 ms at each edge; captions follow.\n"
    "--output names the first output; without an extension it gets its format's (.mp4, .webm,\n"
    ".gif), and an extension of another format is refused. A source without pictures (a\n"
    "podcast's audio) is drawn as its waveform on the canvas's background.\n"
    "Times are seconds (12.5) or [hh:]mm:ss[.mmm]. Exit: 0 ok, 1 processing error, 2 usage.\n";

typedef struct render_args {
    const char *request, *timeline, *template_id, *input, *span, *format, *output, *title;
    const char *captions, *music, *brand_color, *logo, *font, *size, *debug_path, *debug_video;
    const char *audio_stream;
    int threads;
    bool json, remove_silence;
} render_args;

static int parse_args(int argc, char **argv, render_args *a) {
    static const struct option opts[] = {{"request", required_argument, 0, 'r'},
                                         {"timeline", required_argument, 0, 'L'},
                                         {"template", required_argument, 0, 't'},
                                         {"input", required_argument, 0, 'i'},
                                         {"span", required_argument, 0, 's'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"title", required_argument, 0, 'T'},
                                         {"captions", required_argument, 0, 'c'},
                                         {"music", required_argument, 0, 'm'},
                                         {"brand-color", required_argument, 0, 'b'},
                                         {"logo", required_argument, 0, 'l'},
                                         {"font", required_argument, 0, 'F'},
                                         {"size", required_argument, 0, 'S'},
                                         {"debug-path", required_argument, 0, 'd'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"debug-video", required_argument, 0, 'V'},
                                         {"audio-stream", required_argument, 0, 'A'},
                                         {"json", no_argument, 0, 'J'},
                                         {"help", no_argument, 0, 'h'},
                                         {"remove-silence", no_argument, 0, 'R'},
                                         {0, 0, 0, 0}};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': a->request = optarg; break;
        case 'L': a->timeline = optarg; break;
        case 't': a->template_id = optarg; break;
        case 'i': a->input = optarg; break;
        case 's': a->span = optarg; break;
        case 'f': a->format = optarg; break;
        case 'o': a->output = optarg; break;
        case 'T': a->title = optarg; break;
        case 'c': a->captions = optarg; break;
        case 'm': a->music = optarg; break;
        case 'b': a->brand_color = optarg; break;
        case 'l': a->logo = optarg; break;
        case 'F': a->font = optarg; break;
        case 'S': a->size = optarg; break;
        case 'd': a->debug_path = optarg; break;
        case 'V': a->debug_video = optarg; break;
        case 'A': a->audio_stream = optarg; break;
        case 'j': a->threads = atoi(optarg); break;
        case 'J': a->json = true; break;
        case 'R': a->remove_silence = true; break;
        case 'h': fputs(render_help, stdout); return 0;
        default: return cf_cli_usage_error("render", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cf_cli_usage_error("render", "unexpected argument '%s'", argv[optind]);
    if (!!a->request + !!a->timeline + !!a->template_id != 1)
        return cf_cli_usage_error("render", "give exactly one of --request, --timeline, --template");
    if (a->threads < 0 || a->threads > 64) return cf_cli_usage_error("render", "--threads must be 0..64");
    if (a->remove_silence && !a->template_id)
        return cf_cli_usage_error("render",
                                  "--remove-silence goes with --template (in a request: remove_silence)");
    return -1;
}

/* Builds the request JSON of the --template form. */
static int template_request(const render_args *a, json_t **out) {
    if (!a->input || !a->span || !a->format || !a->output)
        return cf_cli_usage_error("render", "--template needs --input, --span, --format and --output");
    if (strcmp(a->format, "vertical") && strcmp(a->format, "horizontal"))
        return cf_cli_usage_error("render", "--format must be vertical or horizontal");
    int64_t s, e;
    cf_error err;
    if (cf_parse_range_ms(a->span, &s, &e, &err)) return cf_cli_usage_error("render", "--span: %s", err.msg);
    json_t *r = json_pack("{ss ss ss sI sI ss ss}", "clip_id", "render", "template_id", a->template_id,
                          "source_uri", a->input, "start_ms", (json_int_t)s, "end_ms", (json_int_t)e,
                          "format", a->format, "output_uri", a->output);
    const struct {
        const char *key, *value;
    } opt[] = {{"title", a->title},     {"captions_uri", a->captions},
               {"music_uri", a->music}, {"brand_color", a->brand_color},
               {"logo_uri", a->logo},   {"font", a->font}};
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if (opt[i].value) json_object_set_new(r, opt[i].key, json_string(opt[i].value));
    if (a->remove_silence) json_object_set_new(r, "remove_silence", json_true());
    if (a->audio_stream && cf_cli_set_stream(r, "audio_stream", a->audio_stream, "render")) {
        json_decref(r);
        return 2;
    }
    if (a->size) {
        int w, h;
        char extra;
        if (sscanf(a->size, "%dx%d%c", &w, &h, &extra) != 2 || w < 16 || h < 16 || w > 8192 || h > 8192) {
            json_decref(r);
            return cf_cli_usage_error("render", "--size must be WxH (16..8192)");
        }
        json_object_set_new(r, "width", json_integer(w));
        json_object_set_new(r, "height", json_integer(h));
    }
    *out = r;
    return -1;
}

static int load_request(const render_args *a, cf_render_request *req, cf_error *err) {
    json_t *j = NULL;
    int rc = -1;
    if (a->request) {
        if (!(j = cf_json_load_file(a->request, 1 << 20, 32, err))) return cf_cli_fail("render", err);
        if (a->output) json_object_set_new(j, "output_uri", json_string(a->output));
    } else if (a->timeline) {
        if (!a->output) return cf_cli_usage_error("render", "--timeline needs --output");
        j = json_pack("{ss ss ss}", "clip_id", "render", "timeline_uri", a->timeline, "output_uri",
                      a->output);
    } else if ((rc = template_request(a, &j)) >= 0) {
        return rc;
    }
    if (cf_render_request_from_json(j, req, err)) rc = cf_cli_fail("render", err);
    else if (!req->output_uri) rc = cf_cli_usage_error("render", "no output: give --output or output_uri");
    json_decref(j);
    return rc;
}

static void print_result(const cf_render_result *r, bool as_json) {
    if (as_json) {
        json_t *j = cf_render_result_to_json(r);
        char *s = json_dumps(j, JSON_INDENT(2));
        if (s) puts(s);
        free(s);
        json_decref(j);
        return;
    }
    char dur[32];
    cf_format_time_ms(r->duration_ms, dur, sizeof dur);
    printf("Rendered %s (%s) in %.1f s\n", r->render_uri, dur, r->processing_time_ms / 1000.0);
    for (size_t i = 0; i < r->n_outputs; i++)
        printf("  %-9s %s (%lld bytes)\n", cf_artifact_kind_to_string(r->outputs[i].kind), r->outputs[i].uri,
               (long long)r->outputs[i].bytes);
    for (size_t i = 0; i < r->n_notes; i++) printf("note: %s\n", r->notes[i]);
}

int cf_cmd_render(int argc, char **argv) {
    render_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    cf_error err;
    cf_render_request req;
    memset(&req, 0, sizeof req);
    if ((rc = load_request(&a, &req, &err)) >= 0) return rc;
    cf_cli_bar bar;
    cf_cli_bar_init(&bar, "render", a.json);
    cf_progress progress;
    cf_progress_init(&progress, cf_cli_bar_update, &bar);
    cf_cli_cancel_on_signal(&progress);
    cf_render_options opts = {.output_path = req.output_uri,
                              .debug_path = a.debug_path,
                              .debug_video_path = a.debug_video,
                              .threads = a.threads};
    cf_render_result res;
    cf_err e = cf_render_run(&req, &opts, &progress, &res, &err);
    cf_cli_cancel_on_signal(NULL);
    cf_cli_bar_finish(&bar);
    if (e) rc = cf_cli_fail("render", &err);
    else {
        print_result(&res, a.json);
        cf_render_result_free(&res);
        rc = 0;
    }
    cf_render_request_free(&req);
    return rc;
}
