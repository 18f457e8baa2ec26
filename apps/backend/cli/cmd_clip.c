/* cmd_clip.c — `clipforge clip`: one clip from one input, from flags or a request file.
 * Flags are turned into a ClipProcessingRequest JSON document and parsed by the generated
 * domain code, so flags and --request are validated by the same rules. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clipforge/clip.h"
#include "clipforge/config.h"
#include "clipforge/encode.h"
#include "clipforge/json.h"
#include "clipforge/timefmt.h"

static const char *clip_help =
    "Usage: clipforge clip --input FILE --output FILE [options]\n"
    "Makes one clip from FILE. Options:\n"
    "  --format mp4|webm|gif      output format (default: from the output's extension)\n"
    "  --trim START:END           keep START to END (seconds or [hh:]mm:ss[.mmm]; also START-END)\n"
    "  --trim-mode auto|copy|accurate|smart\n"
    "                             copy = no re-encode, from the keyframe before START (in\n"
    "                             mp4 hidden by an edit list: shown from START's picture);\n"
    "                             accurate = re-encode the range;\n"
    "                             smart = copy the picture groups inside the range, re-encode\n"
    "                             only the edges (H.264 into mp4; else re-encodes, saying why);\n"
    "                             auto = copy when both cuts are on keyframes, else smart when\n"
    "                             nothing else re-encodes, else accurate\n"
    "  --normalize-audio[=LUFS]   EBU R128 loudness normalization (default -14 LUFS, -1 dBTP)\n"
    "  --scale WxH                resize; -1 on one side keeps the aspect (1280x-1)\n"
    "  --crop W:H:X:Y             keep a W x H rectangle at X,Y of the picture as shown\n"
    "                             (upright, square pixels: `clipforge probe` gives its size)\n"
    "  --fps N                    frame rate\n"
    "  --speed X                  0.25 to 4; audio keeps its pitch\n"
    "  --mute                     drop the audio\n"
    "  --remove-silence[=MIN_MS]  jump cuts: leave out the pauses of MIN_MS or more (default 600)\n"
    "                             where the voice activity of the sound finds no speech, keeping\n"
    "                             120 ms at each edge; crossfaded joints, pictures cut on frames\n"
    "  --remove-fillers[=WORDS]   leave out filler words (comma-separated list; default um, umm,\n"
    "                             uh, uhm, er, erm, ah, hmm, mm) with the pause around each; the\n"
    "                             words come from --transcript, else the clip is transcribed\n"
    "  --transcript FILE          the source's transcript (Transcript JSON, source times)\n"
    "  --audio-stream N           use audio stream N (as `clipforge probe` lists it) instead of\n"
    "                             the file's default one\n"
    "  --thumbnail FILE[@TIME]    JPEG of the clip's picture at TIME (clip time, default 0)\n"
    "  --request REQUEST.json     a ClipProcessingRequest (instead of operation flags)\n"
    "  --json                     print the ClipProcessingResult as JSON (with removed_ranges)\n"
    "Exit codes: 0 success, 1 processing error, 2 usage or input error. Ctrl-C cancels cleanly.\n";

typedef struct clip_args {
    const char *input, *output, *format, *request, *trim, *trim_mode, *scale, *crop, *fps, *speed, *thumbnail,
        *lufs, *audio_stream, *min_pause, *fillers, *transcript;
    bool normalize, mute, json, silence, remove_fillers;
} clip_args;

/* 0 to go on, -1 once the help is printed (exit 0), else the usage error's exit code. */
static int parse_args(int argc, char **argv, clip_args *a) {
    static const struct option opts[] = {{"input", required_argument, 0, 'i'},
                                         {"output", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'f'},
                                         {"request", required_argument, 0, 'q'},
                                         {"trim", required_argument, 0, 't'},
                                         {"trim-mode", required_argument, 0, 'm'},
                                         {"scale", required_argument, 0, 's'},
                                         {"crop", required_argument, 0, 'c'},
                                         {"fps", required_argument, 0, 'r'},
                                         {"speed", required_argument, 0, 'S'},
                                         {"thumbnail", required_argument, 0, 'T'},
                                         {"audio-stream", required_argument, 0, 'a'},
                                         {"transcript", required_argument, 0, 'x'},
                                         {"mute", no_argument, 0, 'M'},
                                         {"json", no_argument, 0, 'j'},
                                         {"normalize-audio", optional_argument, 0, 'N'},
                                         {"remove-silence", optional_argument, 0, 'R'},
                                         {"remove-fillers", optional_argument, 0, 'F'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a->input = optarg; break;
        case 'o': a->output = optarg; break;
        case 'f': a->format = optarg; break;
        case 'q': a->request = optarg; break;
        case 't': a->trim = optarg; break;
        case 'm': a->trim_mode = optarg; break;
        case 's': a->scale = optarg; break;
        case 'c': a->crop = optarg; break;
        case 'r': a->fps = optarg; break;
        case 'S': a->speed = optarg; break;
        case 'T': a->thumbnail = optarg; break;
        case 'a': a->audio_stream = optarg; break;
        case 'x': a->transcript = optarg; break;
        case 'M': a->mute = true; break;
        case 'j': a->json = true; break;
        case 'N': a->normalize = true, a->lufs = optarg; break;
        case 'R': a->silence = true, a->min_pause = optarg; break;
        case 'F': a->remove_fillers = true, a->fillers = optarg; break;
        case 'h': fputs(clip_help, stdout); return -1;
        default: return cf_cli_usage_error("clip", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cf_cli_usage_error("clip", "unexpected argument '%s'", argv[optind]);
    return 0;
}

static int parse_number(const char *text, double *out) {
    char *end = NULL;
    *out = strtod(text, &end);
    return end != text && *end == '\0' ? 0 : -1;
}

static json_t *op(const char *name) {
    return json_pack("{s:s}", "op", name);
}

static int add_trim(const clip_args *a, json_t *ops) {
    int64_t s = 0, e = 0;
    cf_error err;
    if (cf_parse_range_ms(a->trim, &s, &e, &err)) return cf_cli_usage_error("clip", "--trim: %s", err.msg);
    json_t *o = op("trim");
    json_object_set_new(o, "start_ms", json_integer(s));
    json_object_set_new(o, "end_ms", json_integer(e));
    if (a->trim_mode) json_object_set_new(o, "mode", json_string(a->trim_mode));
    json_array_append_new(ops, o);
    return 0;
}

static int add_sizes(const clip_args *a, json_t *ops) {
    if (a->scale) {
        long long w, h;
        char tail;
        if (sscanf(a->scale, "%lldx%lld%c", &w, &h, &tail) != 2)
            return cf_cli_usage_error("clip", "--scale: '%s' is not WxH (e.g. 1280x720, 1280x-1)", a->scale);
        json_array_append_new(ops, json_pack("{s:s,s:I,s:I}", "op", "scale", "width", w, "height", h));
    }
    if (a->crop) {
        long long w, h, x, y;
        char tail;
        if (sscanf(a->crop, "%lld:%lld:%lld:%lld%c", &w, &h, &x, &y, &tail) != 4)
            return cf_cli_usage_error("clip", "--crop: '%s' is not W:H:X:Y", a->crop);
        json_array_append_new(
            ops, json_pack("{s:s,s:I,s:I,s:I,s:I}", "op", "crop", "width", w, "height", h, "x", x, "y", y));
    }
    return 0;
}

static int add_numbers(const clip_args *a, json_t *ops) {
    double v;
    if (a->fps) {
        if (parse_number(a->fps, &v))
            return cf_cli_usage_error("clip", "--fps: '%s' is not a number", a->fps);
        json_array_append_new(ops, json_pack("{s:s,s:f}", "op", "fps", "fps", v));
    }
    if (a->speed) {
        if (parse_number(a->speed, &v))
            return cf_cli_usage_error("clip", "--speed: '%s' is not a number", a->speed);
        json_array_append_new(ops, json_pack("{s:s,s:f}", "op", "speed", "factor", v));
    }
    if (a->normalize) {
        json_t *o = op("normalize_audio");
        if (a->lufs) {
            if (parse_number(a->lufs, &v))
                return cf_cli_usage_error("clip", "--normalize-audio: '%s' is not a number", a->lufs);
            json_object_set_new(o, "target_lufs", json_real(v));
        }
        json_array_append_new(ops, o);
    }
    if (a->mute) json_array_append_new(ops, op("mute"));
    return 0;
}

/* --remove-silence[=MIN_MS] and --remove-fillers[=WORD,WORD...] */
static int add_cuts(const clip_args *a, json_t *ops) {
    if (a->silence) {
        json_t *o = op("remove_silence");
        double v;
        if (a->min_pause) {
            if (parse_number(a->min_pause, &v) || v != (double)(json_int_t)v)
                return json_decref(o),
                       cf_cli_usage_error("clip", "--remove-silence: '%s' is not a whole number of ms",
                                          a->min_pause);
            json_object_set_new(o, "min_pause_ms", json_integer((json_int_t)v));
        }
        json_array_append_new(ops, o);
    }
    if (!a->remove_fillers) return 0;
    json_t *o = op("remove_fillers"), *words = json_array();
    char *list = strdup(a->fillers ? a->fillers : ""), *save = NULL;
    for (char *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
        json_array_append_new(words, json_string(w));
    free(list);
    json_object_set_new(o, "words", words);
    json_array_append_new(ops, o);
    return 0;
}

static int add_thumbnail(const clip_args *a, json_t *ops) {
    if (!a->thumbnail) return 0;
    char *file = strdup(a->thumbnail);
    char *at = strrchr(file, '@');
    int64_t ms = 0;
    cf_error err;
    if (at) {
        *at = '\0';
        if (cf_parse_time_ms(at + 1, &ms, &err)) {
            free(file);
            return cf_cli_usage_error("clip", "--thumbnail: %s", err.msg);
        }
    }
    json_array_append_new(
        ops, json_pack("{s:s,s:I,s:s}", "op", "thumbnail", "at_ms", (json_int_t)ms, "output_uri", file));
    free(file);
    return 0;
}

static bool has_op_flags(const clip_args *a) {
    return a->trim || a->scale || a->crop || a->fps || a->speed || a->thumbnail || a->normalize || a->mute ||
           a->trim_mode || a->silence || a->remove_fillers;
}

/* Puts the transcript file into the request; 0, or the exit code after printing the error. */
static int set_transcript(json_t *doc, const char *path) {
    cf_error err;
    json_t *t = cf_json_load_file(path, 64 << 20, 32, &err);
    if (!t) return cf_cli_fail("clip", &err);
    json_object_set_new(doc, "transcript", t);
    return 0;
}

/* The request document, from --request or from the flags; NULL after printing the error. */
static json_t *request_json(const clip_args *a, const char *format, int *code) {
    cf_error err;
    json_t *doc;
    *code = 2;
    if (a->request) {
        if (has_op_flags(a)) {
            cf_cli_usage_error("clip", "give operations either as flags or in --request, not both");
            return NULL;
        }
        if (!(doc = cf_json_load_file(a->request, 1 << 20, 32, &err))) {
            *code = cf_cli_fail("clip", &err);
            return NULL;
        }
    } else {
        doc = json_pack("{s:s,s:[]}", "clip_id", "cli", "operations");
        json_t *ops = json_object_get(doc, "operations");
        if ((a->trim && add_trim(a, ops)) || add_sizes(a, ops) || add_numbers(a, ops) ||
            add_thumbnail(a, ops) || add_cuts(a, ops)) {
            json_decref(doc);
            return NULL;
        }
    }
    if (a->input) json_object_set_new(doc, "source_uri", json_string(a->input));
    if (format) json_object_set_new(doc, "target_format", json_string(format));
    if (a->transcript && (*code = set_transcript(doc, a->transcript))) {
        json_decref(doc);
        return NULL;
    }
    *code = 2;
    if (a->audio_stream && cf_cli_set_stream(doc, "audio_stream", a->audio_stream, "clip")) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static const char *format_of(const clip_args *a, int *code) {
    *code = 0;
    if (a->format) return a->format;
    cf_target_format f;
    if (cf_encoder_format_of_name(a->output, &f)) return cf_target_format_to_string(f);
    if (a->request) return NULL; /* the request's own target_format */
    *code =
        cf_cli_usage_error("clip", "cannot tell the format from '%s'; use --format mp4|webm|gif", a->output);
    return NULL;
}

static void print_summary(const cf_clip_processing_result *r) {
    for (size_t i = 0; i < r->n_artifacts; i++) {
        const cf_artifact *x = &r->artifacts[i];
        /* an MP4 or WebM of sound alone is a video artifact (video/mp4) all the same */
        bool sound_alone = x->kind == CF_ARTIFACT_KIND_VIDEO && !x->video_codec && x->audio_codec;
        printf("%s %s: %lld bytes", sound_alone ? "audio" : cf_artifact_kind_to_string(x->kind), x->uri,
               (long long)x->bytes);
        if (x->has_duration_ms) printf(", %.3f s", x->duration_ms / 1000.0);
        if (x->has_width && x->has_height) printf(", %lldx%lld", (long long)x->width, (long long)x->height);
        if (x->video_codec || x->audio_codec)
            printf(", %s%s%s", x->video_codec ? x->video_codec : "",
                   x->video_codec && x->audio_codec ? "+" : "", x->audio_codec ? x->audio_codec : "");
        printf("\n");
    }
    int64_t removed = 0;
    for (size_t i = 0; i < r->n_removed_ranges; i++)
        removed += r->removed_ranges[i].end_ms - r->removed_ranges[i].start_ms;
    if (r->n_removed_ranges) printf("removed %zu ranges, %.3f s\n", r->n_removed_ranges, removed / 1000.0);
    for (size_t i = 0; i < r->n_notes; i++) printf("note: %s\n", r->notes[i]);
    printf("done in %lld ms\n", (long long)r->processing_time_ms);
}

static int run(const clip_args *a, const cf_clip_processing_request *req) {
    cf_clip_processing_result result;
    cf_error err;
    cf_error_clear(&err);
    cf_cli_bar bar;
    cf_cli_bar_init(&bar, "clip", a->json);
    cf_progress progress;
    cf_progress_init(&progress, cf_cli_bar_update, &bar);
    cf_cli_cancel_on_signal(&progress);
    cf_clip_options opts = {.output_path = a->output, .temp_dir = NULL, .threads = 0};
    cf_err rc = cf_clip_run(req, &opts, &progress, &result, &err);
    cf_cli_cancel_on_signal(NULL);
    cf_cli_bar_finish(&bar);
    if (rc) return cf_cli_fail("clip", &err);
    if (a->json) {
        json_t *j = cf_clip_processing_result_to_json(&result);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
    } else {
        print_summary(&result);
    }
    cf_clip_processing_result_free(&result);
    return 0;
}

int cf_cmd_clip(int argc, char **argv) {
    clip_args a = {0};
    int code = parse_args(argc, argv, &a);
    if (code) return code < 0 ? 0 : code; /* -1: help was asked for */
    if (!a.input && !a.request) return cf_cli_usage_error("clip", "missing --input FILE");
    if (!a.output) return cf_cli_usage_error("clip", "missing --output FILE");
    const char *format = format_of(&a, &code);
    if (code) return code;
    json_t *doc = request_json(&a, format, &code);
    if (!doc) return code;
    cf_clip_processing_request req;
    cf_error err;
    cf_error_clear(&err);
    cf_err rc = cf_clip_processing_request_from_json(doc, &req, &err);
    json_decref(doc);
    if (rc) return cf_cli_fail("clip", &err);
    code = run(&a, &req);
    cf_clip_processing_request_free(&req);
    return code;
}
