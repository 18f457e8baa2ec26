/* cmd_autoclip.c — `clipforge autoclip`: the best N shorts of a long video, captioned and titled,
 * with thumbnails, SRT/VTT caption files and manifest.json in one output directory. On a
 * terminal every stage has its own progress bar; otherwise stage changes are logged as lines.
 * Settings: CLIPFORGE_THREADS, CLIPFORGE_FEATURE_CACHE_DIR, CLIPFORGE_DATA_DIR,
 * CLIPFORGE_HIGHLIGHT_PROFILES_DIR, CLIPFORGE_HIGHLIGHT_MODELS_DIR, CLIPFORGE_TEMPLATE_DIR;
 * CLIPFORGE_AUTOCLIP_FAIL_RENDERS (clip numbers, "2,3") makes those renders fail, for tests. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "application/autoclip_service.h"
#include "cli.h"
#include "clipforge/clock.h"
#include "clipforge/config.h"
#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "clipforge/timefmt.h"

static const char *autoclip_help =
    "Usage: clipforge autoclip --input FILE --output-dir DIR [--count N] [--template ID]\n"
    "                          [--profile NAME] [--format vertical|horizontal] [--size WxH]\n"
    "                          [--no-captions] [--no-subtitles] [--transcript FILE]\n"
    "                          [--brand-color COLOR]\n"
    "                          [--model-version V]\n"
    "                          [--min-length T] [--max-length T] [--target-length T] [--min-score S]\n"
    "                          [--remove-silence] [--threads N] [--audio-stream N] [--json]\n"
    "Turns a long video into its best N shorts: transcription and feature extraction run in\n"
    "parallel, highlight detection picks the spans (never cutting a word), and each span is\n"
    "rendered with the template, its spoken words as captions and a title drawn from them.\n"
    "DIR receives clip-01.mp4 (.webm or .gif for a template of that format), clip-01.jpg\n"
    "(thumbnail), clip-01.srt, clip-01.vtt, ...,\n"
    "transcript.json and manifest.json (spans, scores, reasons, outputs, per-stage timings).\n"
    "  --count N          shorts to make, 1..20 (default 3)\n"
    "  --template ID      shorts-blur (default), shorts-smartcrop, landscape-clean, podcast-split\n"
    "  --profile NAME     generic (default), podcast, sports, gaming, lecture, music\n"
    "  --format F         vertical 9:16 (default) or horizontal 16:9\n"
    "  --size WxH         canvas size (default the template's, 1080x1920 vertical)\n"
    "  --no-captions      skip transcription: no captions, titles from the highlight labels\n"
    "  --no-subtitles     recognise the speech even when the file has text subtitles (by\n"
    "                     default a subtitle stream in the language, or untagged, makes the\n"
    "                     captions and titles: what is said, read instead of recognised)\n"
    "  --transcript FILE  the media's transcript (Transcript JSON, SRT or WebVTT, in the\n"
    "                     media's time): its words make the captions and titles and weigh\n"
    "                     in detection, instead of the subtitles or speech recognition\n"
    "  --brand-color C    colour of the title bar, the spoken word and the progress bar\n"
    "  --model-version V  learned highlight model version (falls back to the heuristic)\n"
    "  --min-length T     shortest short (seconds or [hh:]mm:ss; default the profile's)\n"
    "  --max-length T     longest short (default the profile's)\n"
    "  --target-length T  the length the shorts aim for within those bounds (default: each\n"
    "                     moment's own); their edges then move to a sentence end, pause,\n"
    "                     silence or scene cut nearby, never inside a word (boundary_reasons)\n"
    "  --min-score S      strict: only moments scoring S (0..1) or more, failing when there\n"
    "                     is none; without it, when fewer moments pass the engine's threshold\n"
    "                     than --count, the best others fill up, marked low-confidence\n"
    "  --remove-silence   jump cuts: each short skips the pauses of 0.6 s or more inside its\n"
    "                     span (no word said and the audio silent), keeping 0.12 s at\n"
    "                     each edge; the manifest lists the removed ranges per clip\n"
    "  --threads N        codec threads per stage (default CLIPFORGE_THREADS, 0 = auto)\n"
    "  --audio-stream N   use audio stream N (as `clipforge probe` lists it) instead of the\n"
    "                     file's default one, for every stage\n"
    "  --json             print manifest.json instead of a table\n"
    "Exit codes: 0 success (failed clips are listed in the manifest), 1 processing error or no\n"
    "clip made, 2 usage or input error.\n";

typedef struct autoclip_args {
    const char *input, *output_dir, *template_id, *profile, *format, *size, *brand_color, *model_version;
    const char *min_length, *max_length, *target_length, *min_score, *transcript;
    const char *audio_stream;
    int64_t count, threads;
    bool json, no_captions, no_subtitles, remove_silence;
} autoclip_args;

static int parse_args(int argc, char **argv, autoclip_args *a) {
    static const struct option opts[] = {{"input", required_argument, 0, 'i'},
                                         {"output-dir", required_argument, 0, 'o'},
                                         {"count", required_argument, 0, 'n'},
                                         {"template", required_argument, 0, 't'},
                                         {"profile", required_argument, 0, 'p'},
                                         {"format", required_argument, 0, 'f'},
                                         {"size", required_argument, 0, 'S'},
                                         {"brand-color", required_argument, 0, 'b'},
                                         {"model-version", required_argument, 0, 'm'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"no-captions", no_argument, 0, 'C'},
                                         {"no-subtitles", no_argument, 0, 'U'},
                                         {"transcript", required_argument, 0, 'X'},
                                         {"json", no_argument, 0, 'J'},
                                         {"min-length", required_argument, 0, 'L'},
                                         {"max-length", required_argument, 0, 'M'},
                                         {"min-score", required_argument, 0, 's'},
                                         {"target-length", required_argument, 0, 'T'},
                                         {"audio-stream", required_argument, 0, 'A'},
                                         {"remove-silence", no_argument, 0, 'R'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    opterr = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a->input = optarg; break;
        case 'o': a->output_dir = optarg; break;
        case 'n': rc = cf_cli_int("autoclip", "--count", optarg, 1, 20, &a->count); break;
        case 't': a->template_id = optarg; break;
        case 'p': a->profile = optarg; break;
        case 'f': a->format = optarg; break;
        case 'S': a->size = optarg; break;
        case 'b': a->brand_color = optarg; break;
        case 'm': a->model_version = optarg; break;
        case 'j': rc = cf_cli_int("autoclip", "--threads", optarg, 0, 64, &a->threads); break;
        case 'C': a->no_captions = true; break;
        case 'U': a->no_subtitles = true; break;
        case 'X': a->transcript = optarg; break;
        case 'R': a->remove_silence = true; break;
        case 'L': a->min_length = optarg; break;
        case 'M': a->max_length = optarg; break;
        case 'T': a->target_length = optarg; break;
        case 's': a->min_score = optarg; break;
        case 'A': a->audio_stream = optarg; break;
        case 'J': a->json = true; break;
        case 'h': fputs(autoclip_help, stdout); return 0;
        default: return cf_cli_usage_error("autoclip", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (rc) return rc;
    if (optind < argc) return cf_cli_usage_error("autoclip", "unexpected argument '%s'", argv[optind]);
    if (!a->input) return cf_cli_usage_error("autoclip", "--input FILE is required");
    if (!a->output_dir) return cf_cli_usage_error("autoclip", "--output-dir DIR is required");
    if (a->transcript && a->no_captions)
        return cf_cli_usage_error("autoclip",
                                  "--transcript: its words make the captions, which --no-captions turns off");
    return -1;
}

/* Builds the AutoclipRequest JSON; the generated parser then checks it and applies defaults. */
static int build_request(const autoclip_args *a, cf_autoclip_request *req) {
    json_t *j = json_pack("{ss sb sb sb}", "media_uri", a->input, "captions", !a->no_captions, "subtitles",
                          !a->no_subtitles, "remove_silence", a->remove_silence);
    const char *base = strrchr(a->input, '/');
    json_object_set_new(j, "clip_id", json_string(base && base[1] ? base + 1 : a->input));
    if (a->count) json_object_set_new(j, "count", json_integer(a->count));
    const struct {
        const char *key, *value;
    } opt[] = {{"template_id", a->template_id},
               {"profile", a->profile},
               {"format", a->format},
               {"brand_color", a->brand_color},
               {"model_version", a->model_version},
               {"transcript_uri", a->transcript}};
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if (opt[i].value) json_object_set_new(j, opt[i].key, json_string(opt[i].value));
    const struct {
        const char *flag, *key, *value;
    } lengths[] = {{"--min-length", "min_length_ms", a->min_length},
                   {"--max-length", "max_length_ms", a->max_length},
                   {"--target-length", "target_length_ms", a->target_length}};
    for (size_t i = 0; i < 3; i++) {
        int64_t ms;
        cf_error terr;
        if (!lengths[i].value) continue;
        if (cf_parse_time_ms(lengths[i].value, &ms, &terr)) {
            json_decref(j);
            return cf_cli_usage_error("autoclip", "%s: %s", lengths[i].flag, terr.msg);
        }
        json_object_set_new(j, lengths[i].key, json_integer(ms));
    }
    if (a->min_score) {
        char *end = NULL;
        double v = strtod(a->min_score, &end);
        if (end == a->min_score || *end) {
            json_decref(j);
            return cf_cli_usage_error("autoclip", "--min-score: expected a number in [0, 1], got '%s'",
                                      a->min_score);
        }
        json_object_set_new(j, "min_score", json_real(v));
    }
    if (a->size) {
        int w, h;
        char extra;
        if (sscanf(a->size, "%dx%d%c", &w, &h, &extra) != 2) {
            json_decref(j);
            return cf_cli_usage_error("autoclip", "--size must be WxH, got '%s'", a->size);
        }
        json_object_set_new(j, "width", json_integer(w));
        json_object_set_new(j, "height", json_integer(h));
    }
    if (a->audio_stream && cf_cli_set_stream(j, "audio_stream", a->audio_stream, "autoclip")) {
        json_decref(j);
        return 2;
    }
    cf_error err;
    cf_err rc = cf_autoclip_request_from_json(j, req, &err);
    json_decref(j);
    if (rc) return cf_cli_usage_error("autoclip", "%s", err.msg);
    if (access(a->input, R_OK) != 0)
        return cf_cli_usage_error("autoclip", "--input %s: %s", a->input, strerror(errno));
    return -1;
}

/* ---- per-stage progress on the terminal ------------------------------------------------------ */

typedef struct stage_view {
    bool tty, quiet;
    int n, drawn;
    char name[CF_AUTOCLIP_MAX_STAGES][24];
    double fraction[CF_AUTOCLIP_MAX_STAGES];
    cf_autoclip_stage_state state[CF_AUTOCLIP_MAX_STAGES];
    double last; /* cf_clock_s() of the last drawing */
} stage_view;

static const char *state_word(cf_autoclip_stage_state s) {
    static const char *const words[] = {"waiting", "running", "done", "FAILED", "skipped"};
    return words[s];
}

static void draw(stage_view *v) {
    if (v->drawn) fprintf(stderr, "\033[%dA", v->drawn);
    for (int i = 0; i < v->n; i++) {
        int filled = (int)(v->fraction[i] * 30 + 0.5);
        char cells[31];
        for (int k = 0; k < 30; k++) cells[k] = k < filled ? '#' : '.';
        cells[30] = 0;
        fprintf(stderr, "\r\033[K%-11s [%s] %5.1f%% %s\n", v->name[i], cells, v->fraction[i] * 100,
                state_word(v->state[i]));
    }
    v->drawn = v->n;
    fflush(stderr);
}

static void on_stage(void *user, int index, int n, const char *name, double fraction,
                     cf_autoclip_stage_state state) {
    stage_view *v = user;
    if (v->quiet || index < 0 || index >= CF_AUTOCLIP_MAX_STAGES) return;
    bool changed = v->state[index] != state || !v->name[index][0];
    v->n = n;
    snprintf(v->name[index], sizeof v->name[index], "%s", name);
    v->fraction[index] = fraction;
    v->state[index] = state;
    double now = cf_clock_s(), since = now - v->last;
    if (v->tty && (changed || since > 0.1)) {
        for (int i = 0; i < n; i++)
            if (!v->name[i][0]) snprintf(v->name[i], sizeof v->name[i], "...");
        draw(v);
        v->last = now;
    } else if (!v->tty && changed && state != CF_AUTOCLIP_PENDING) {
        fprintf(stderr, "autoclip: %-11s %s\n", name, state_word(state));
    }
}

/* ---- delivery into the output directory ------------------------------------------------------- */

/* Moves a finished file into the output directory; the manifest names it relative to itself. */
static cf_err deliver_to_dir(void *user, const char *path, const char *name, char **uri, cf_error *err) {
    char *dst = cf_path_join(user, name);
    if (!dst) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err rc = cf_move_file(path, dst, err);
    free(dst);
    if (!rc && !(*uri = strdup(name))) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return rc;
}

/* ---- output ----------------------------------------------------------------------------------- */

static void print_table(const cf_autoclip_result *r, const char *dir) {
    printf("%-3s %-11s %-11s %6s  %-40s %s\n", "#", "start", "end", "score", "title", "video");
    for (size_t i = 0; i < r->n_clips; i++) {
        const cf_autoclip_clip *c = &r->clips[i];
        char s[32], e[32];
        cf_format_time_ms(c->start_ms, s, sizeof s);
        cf_format_time_ms(c->end_ms, e, sizeof e);
        printf("%-3lld %-11s %-11s %6.2f  %-40.40s %s\n", (long long)c->index, s, e, c->score, c->title,
               c->status == CF_AUTOCLIP_STATUS_SUCCEEDED ? c->video_uri
                                                         : cf_autoclip_status_to_string(c->status));
        if (c->error) printf("    error after %lld attempts: %s\n", (long long)c->attempts, c->error);
        else if (c->n_reasons) printf("    why: %s\n", c->reasons[0]);
        if (c->low_confidence)
            printf("    low confidence: %s\n", c->confidence_note ? c->confidence_note : "");
        if (c->n_removed_ranges)
            printf("    silences removed: %zu, %.1f s of %.1f s\n", c->n_removed_ranges,
                   (double)(c->end_ms - c->start_ms - c->duration_ms) / 1000.0,
                   (double)(c->end_ms - c->start_ms) / 1000.0);
    }
    for (size_t i = 0; i < r->n_notes; i++) printf("note: %s\n", r->notes[i]);
    printf("\n%lld of %zu clips in %s (manifest.json), %s captions, engine %s, %.1f s in all\n",
           (long long)r->succeeded, r->n_clips, dir, r->captions ? "with" : "without",
           r->engine ? r->engine : "-", r->total_ms / 1000.0);
    for (size_t i = 0; i < r->n_stages; i++)
        printf("  %-11s %-9s %7.1f s%s%s\n", r->stages[i].name,
               cf_autoclip_status_to_string(r->stages[i].status), r->stages[i].elapsed_ms / 1000.0,
               r->stages[i].note ? "  " : "", r->stages[i].note ? r->stages[i].note : "");
}

static cf_err write_manifest(const cf_autoclip_result *r, const char *dir, bool print, cf_error *err) {
    json_t *j = cf_autoclip_result_to_json(r);
    char *path = cf_path_join(dir, "manifest.json");
    cf_err rc =
        j && path ? cf_json_write_file(j, path, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc && print) {
        char *text = json_dumps(j, JSON_INDENT(2));
        if (text) puts(text);
        free(text);
    }
    free(path);
    json_decref(j);
    return rc;
}

#ifdef CF_TEST_HOOKS
/* CLIPFORGE_AUTOCLIP_FAIL_RENDERS ("1,2", test builds only) as a bit set of clips. */
static uint32_t fail_hook(const cf_config *cfg) {
    const char *s = cfg->autoclip_fail_renders;
    uint32_t mask = 0;
    for (char *end; s && *s; s = *end ? end + 1 : end) {
        long v = strtol(s, &end, 10);
        if (v >= 1 && v <= 20) mask |= 1u << (v - 1);
        if (end == s) break;
    }
    return mask;
}
#endif

static char *cache_dir(const cf_config *cfg) {
    if (!strcmp(cfg->feature_cache_dir, "off")) return NULL;
    if (*cfg->feature_cache_dir) return strdup(cfg->feature_cache_dir);
    return cf_path_join(cfg->data_dir, "features");
}

static int run(const autoclip_args *a, const cf_autoclip_request *req, const cf_config *cfg) {
    cf_error err;
    cf_error_clear(&err);
    char *work = NULL, *cache = cache_dir(cfg);
    if (cf_mkdir_p(a->output_dir, &err) || cf_make_owned_temp_dir(a->output_dir, ".autoclip-", &work, &err)) {
        free(cache);
        return cf_cli_fail("autoclip", &err);
    }
    stage_view view = {.tty = isatty(STDERR_FILENO), .quiet = a->json};
    cf_autoclip_options o = {.work_dir = work,
                             .feature_cache_dir = cache,
                             .paths = {cfg->highlight_profiles_dir, cfg->highlight_models_dir},
                             .threads = (int)(a->threads >= 0 ? a->threads : cfg->threads),
                             .transcribe_all = cfg->autoclip_transcribe_all != 0,
                             .deliver = deliver_to_dir,
                             .deliver_user = (void *)a->output_dir,
                             .on_stage = on_stage,
                             .stage_user = &view};
#ifdef CF_TEST_HOOKS
    o.fail_renders = fail_hook(cfg);
#endif
    cf_progress progress;
    cf_progress_init(&progress, NULL, NULL);
    cf_cli_cancel_on_signal(&progress);
    cf_autoclip_result res;
    cf_err rc = cf_autoclip_run(req, &o, &progress, &res, &err);
    cf_cli_cancel_on_signal(NULL);
    cf_error werr;
    cf_error_clear(&werr);
    if (rc != CF_ERR_CANCELLED && res.n_clips && write_manifest(&res, a->output_dir, a->json && !rc, &werr) &&
        !rc)
        rc = werr.code, err = werr;
    if (!rc && !a->json) print_table(&res, a->output_dir);
    if (!rc && res.failed)
        fprintf(stderr, "clipforge autoclip: warning: %lld clip(s) failed, see manifest.json\n",
                (long long)res.failed);
    int code = rc ? cf_cli_fail("autoclip", &err) : 0;
    cf_remove_tree(work, &werr);
    cf_autoclip_result_free(&res);
    free(work);
    free(cache);
    return code;
}

int cf_cmd_autoclip(int argc, char **argv) {
    autoclip_args a = {.threads = -1};
    int code = parse_args(argc, argv, &a);
    if (code >= 0) return code;
    cf_autoclip_request req;
    memset(&req, 0, sizeof req);
    if ((code = build_request(&a, &req)) >= 0) {
        cf_autoclip_request_free(&req);
        return code;
    }
    cf_config cfg;
    cf_error err;
    cf_error_clear(&err);
    if (cf_config_load(&cfg, &err) != CF_OK) code = cf_cli_fail("autoclip", &err);
    else code = run(&a, &req, &cfg);
    cf_config_free(&cfg);
    cf_autoclip_request_free(&req);
    return code;
}
