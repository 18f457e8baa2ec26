/* cmd_detect.c — `clipforge detect`: the best moments of a media file, as a table or the
 * HighlightDetectionResult JSON. Settings: CLIPFORGE_THREADS, CLIPFORGE_FEATURE_CACHE_DIR,
 * CLIPFORGE_HIGHLIGHT_PROFILES_DIR, CLIPFORGE_HIGHLIGHT_MODELS_DIR, CLIPFORGE_DATA_DIR. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clipforge/config.h"
#include "clipforge/highlight.h"
#include "clipforge/json.h"
#include "clipforge/timefmt.h"
#include "application/app.h"
#include "features/content_hash.h"
#include "features/feature_store.h"
#include "registry/assign.h"

static const char *detect_help =
    "Usage: clipforge detect --input FILE [--profile NAME] [--model-version V] [--top N] [--json]\n"
    "                        [--engine heuristic|learned] [--threads N] [--no-cache]\n"
    "                        [--features-out FILE.json [--event-inputs]] [--transcript FILE]\n"
    "                        [--no-subtitles]\n"
    "                        [--audio-stream N] [--min-length T] [--max-length T] [--target-length T]\n"
    "                        [--min-score S]\n"
    "Finds the moments of FILE worth a short clip: one decode pass extracts loudness, speech,\n"
    "crowd noise, scene cuts and motion per 100 ms (kept in the feature store under the file's\n"
    "content hash, so another profile, or the same bytes elsewhere, is instant), an\n"
    "engine scores them, and the best spans come back with a score (0..1) and reasons.\n"
    "  --profile NAME        generic (default), podcast, sports, gaming, lecture, music\n"
    "  --model-version V     learned model version (apps/ai/models/highlight-V.json); when it\n"
    "                        cannot be used, the next engine supporting the profile answers;\n"
    "                        default: the registry's choice (`clipforge models`), if any\n"
    "  --engine NAME         try this engine first (default: heuristic, then learned)\n"
    "  --top N               at most N spans (1..100; default: the profile's)\n"
    "  --min-score S         spans must score at least S (0..1; default the engine's threshold;\n"
    "                        0 lists the best candidates whatever their score)\n"
    "  --threads N           decoder threads (default CLIPFORGE_THREADS, 0 = auto)\n"
    "  --no-cache            decode even when features are stored, and store nothing\n"
    "  --features-out FILE   also write the feature track as JSON (for training and debugging)\n"
    "  --event-inputs        with --features-out: also the audio-event classifier's inputs per\n"
    "                        100 ms (always decodes; apps/ai/training/train_audio_events.py)\n"
    "  --transcript FILE     what is said (transcript .json from `clipforge transcribe`, or\n"
    "                        .srt/.vtt captions): speech rate, pauses, emphasis and the profile's\n"
    "                        keywords weigh in, and no span starts or ends inside a word\n"
    "                        (without it, a text subtitle stream of FILE in English or untagged\n"
    "                        is read as one, said in the notes)\n"
    "  --no-subtitles        do not read FILE's subtitles\n"
    "  --audio-stream N      analyse audio stream N (as `clipforge probe` lists it) instead of\n"
    "                        the file's default one\n"
    "  --min-length T        shortest span (seconds or [hh:]mm:ss; default the profile's)\n"
    "  --max-length T        longest span (default the profile's)\n"
    "  --target-length T     the length spans aim for within those bounds (default: each\n"
    "                        moment's own); edges then move to a sentence end, pause, silence\n"
    "                        or scene cut nearby, never inside a word\n"
    "  --json                print the HighlightDetectionResult JSON instead of a table (each\n"
    "                        span's boundary_reasons say why it starts and ends there)\n"
    "Exit codes: 0 success, 1 processing error, 2 usage or input error.\n";

typedef struct detect_args {
    const char *input, *profile, *model_version, *engine, *features_out, *transcript, *audio_stream;
    const char *lengths[3]; /* --min-length, --max-length, --target-length */
    const char *min_score;
    int64_t top, threads;
    bool json, no_cache, event_inputs, no_subtitles;
} detect_args;

/* The --*-length flags into the request; -1 after printing the error (usage), else 0. */
static int set_lengths(const detect_args *a, cf_highlight_detection_request *req) {
    static const char *const flag[] = {"--min-length", "--max-length", "--target-length"};
    bool *has[] = {&req->has_min_length_ms, &req->has_max_length_ms, &req->has_target_length_ms};
    int64_t *v[] = {&req->min_length_ms, &req->max_length_ms, &req->target_length_ms};
    for (size_t i = 0; i < 3; i++) {
        cf_error terr;
        if (!a->lengths[i]) continue;
        if (cf_parse_time_ms(a->lengths[i], v[i], &terr))
            return cf_cli_usage_error("detect", "%s: %s", flag[i], terr.msg), -1;
        if (*v[i] < 1000 || *v[i] > 600000)
            return cf_cli_usage_error("detect", "%s: must be between 1 s and 10 min", flag[i]), -1;
        *has[i] = true;
    }
    if (req->has_min_length_ms && req->has_max_length_ms && req->max_length_ms < req->min_length_ms)
        return cf_cli_usage_error("detect", "--max-length is shorter than --min-length"), -1;
    return 0;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, detect_args *a) {
    static const struct option opts[] = {{"input", required_argument, 0, 'i'},
                                         {"profile", required_argument, 0, 'p'},
                                         {"model-version", required_argument, 0, 'v'},
                                         {"engine", required_argument, 0, 'e'},
                                         {"top", required_argument, 0, 'n'},
                                         {"threads", required_argument, 0, 't'},
                                         {"features-out", required_argument, 0, 'f'},
                                         {"transcript", required_argument, 0, 'T'},
                                         {"audio-stream", required_argument, 0, 'a'},
                                         {"min-length", required_argument, 0, '1'},
                                         {"max-length", required_argument, 0, '2'},
                                         {"target-length", required_argument, 0, '3'},
                                         {"min-score", required_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},
                                         {"no-cache", no_argument, 0, 'C'},
                                         {"event-inputs", no_argument, 0, 'E'},
                                         {"no-subtitles", no_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c, rc = 0;
    optind = 1;
    opterr = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a->input = optarg; break;
        case 'p': a->profile = optarg; break;
        case 'v': a->model_version = optarg; break;
        case 'e': a->engine = optarg; break;
        case 'f': a->features_out = optarg; break;
        case 'T': a->transcript = optarg; break;
        case 'a': a->audio_stream = optarg; break;
        case '1':
        case '2':
        case '3': a->lengths[c - '1'] = optarg; break;
        case 's': a->min_score = optarg; break;
        case 'n': rc = cf_cli_int("detect", "--top", optarg, 1, 100, &a->top); break;
        case 't': rc = cf_cli_int("detect", "--threads", optarg, 0, 256, &a->threads); break;
        case 'j': a->json = true; break;
        case 'C': a->no_cache = true; break;
        case 'S': a->no_subtitles = true; break;
        case 'E': a->event_inputs = true; break;
        case 'h': return fputs(detect_help, stdout), 0;
        default: return cf_cli_usage_error("detect", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (rc) return rc;
    if (optind < argc) return cf_cli_usage_error("detect", "unexpected argument '%s'", argv[optind]);
    if (!a->input) return cf_cli_usage_error("detect", "--input FILE is required");
    if (a->event_inputs && !a->features_out)
        return cf_cli_usage_error("detect", "--event-inputs needs --features-out FILE");
    cf_media_select sel = {0};
    if (cf_cli_audio_select(a->audio_stream, "detect", &sel)) return 2;
    if (a->profile && !cf_hl_profile_known(a->profile))
        return cf_cli_usage_error("detect",
                                  "unknown profile '%s' (generic, podcast, sports, gaming, "
                                  "lecture, music)",
                                  a->profile);
    if (a->engine && !cf_hl_engine_builtin(a->engine))
        return cf_cli_usage_error("detect", "unknown engine '%s' (heuristic, learned)", a->engine);
    cf_highlight_detection_request probe = {0};
    if (set_lengths(a, &probe)) return 2;
    if (a->min_score) {
        char *end = NULL;
        double v = strtod(a->min_score, &end);
        if (end == a->min_score || *end || !(v >= 0 && v <= 1))
            return cf_cli_usage_error("detect", "--min-score: expected a number in [0, 1], got '%s'",
                                      a->min_score);
    }
    return -1;
}

static void print_table(const cf_highlight_detection_result *r, const cf_feature_track *t,
                        const char *profile, const char *note) {
    printf("%-3s %-12s %-12s %7s %6s  %-18s %s\n", "#", "start", "end", "length", "score", "label",
           "reasons");
    for (size_t i = 0; i < r->n_highlights; i++) {
        const cf_highlight_span *h = &r->highlights[i];
        char s[32], e[32];
        cf_format_time_ms(h->start_ms, s, sizeof s);
        cf_format_time_ms(h->end_ms, e, sizeof e);
        printf("%-3zu %-12s %-12s %6.1fs %6.2f  %-18s ", i + 1, s, e, (h->end_ms - h->start_ms) / 1000.0,
               h->score, h->label);
        for (size_t k = 0; k < h->n_reasons; k++) printf("%s%s", k ? "; " : "", h->reasons[k]);
        if (h->boundary_reasons)
            printf("%sedges: %s, %s", h->n_reasons ? "; " : "",
                   cf_span_boundary_reason_to_string(h->boundary_reasons->start),
                   cf_span_boundary_reason_to_string(h->boundary_reasons->end));
        printf("\n");
    }
    if (r->n_highlights == 0) printf("(no moment scored over the profile's threshold)\n");
    char dur[32];
    cf_format_time_ms(t->duration_ms, dur, sizeof dur);
    printf("\nengine %s, model %s, profile %s; media %s, %s\n", r->engine, r->model_version, profile, dur,
           t->from_cache ? "features from cache" : "features decoded");
    if (!t->from_cache) printf("decode pass %.0f ms, ", t->decode_ms);
    printf("inference %lld ms\n", (long long)r->inference_ms);
    if (note && *note) printf("routing: %s\n", note);
    for (size_t i = 0; i < r->n_notes; i++) printf("note: %s\n", r->notes[i]);
}

typedef struct file_key {
    const char *path, *memo_dir;
    cf_progress *progress;
} file_key;

/* The A/B key of a file: its content hash (the same bytes get the same arm anywhere). Hashed
 * before the detection, as its first share of the bar. */
static cf_err content_key(void *user, char *key, size_t cap, cf_error *err) {
    file_key *k = user;
    char hex[CF_SHA256_HEX];
    cf_progress hashing;
    cf_progress_part(&hashing, k->progress, 0, CF_HASH_SHARE);
    cf_err rc = cf_content_hash_file(k->path, k->memo_dir, &hashing, hex, err);
    if (rc == CF_OK) snprintf(key, cap, "sha256:%s", hex);
    return rc;
}

static cf_err run(const detect_args *a, const cf_config *cfg, int *exit_code, cf_error *err) {
    cf_feature_track *track = NULL;
    cf_highlight_detection_result res = {0};
    char *cache = a->no_cache ? NULL : cf_feature_cache_dir(cfg->feature_cache_dir, cfg->data_dir);
    char note[512] = "";
    cf_hl_options o = {
        .features = {.threads = (int)(a->threads >= 0 ? a->threads : cfg->threads),
                     .cache_dir = cache,
                     .skip_loop_filter = true,
                     .models_dir = cfg->highlight_models_dir,
                     .keep_event_inputs = a->event_inputs},
        .paths = {.profiles_dir = cfg->highlight_profiles_dir, .models_dir = cfg->highlight_models_dir},
        .engine = a->engine,
        .note = note,
        .note_len = sizeof note};
    cf_cli_audio_select(a->audio_stream, "detect", &o.features.select); /* checked by parse_args */
    const char *base = strrchr(a->input, '/');
    cf_highlight_detection_request req = {.clip_id = (char *)(base ? base + 1 : a->input),
                                          .media_uri = (char *)a->input,
                                          .model_version = (char *)a->model_version,
                                          .transcript_uri = (char *)a->transcript,
                                          .subtitles = !a->no_subtitles,
                                          .has_top_n = a->top > 0,
                                          .top_n = a->top,
                                          .has_audio_stream = o.features.select.has_audio_stream,
                                          .audio_stream = o.features.select.audio_stream};
    cf_detection_profile_from_string(a->profile ? a->profile : "generic", &req.detection_profile);
    set_lengths(a, &req); /* checked by parse_args */
    if (a->min_score) req.has_min_score = true, req.min_score = strtod(a->min_score, NULL);
    char why[256] = "";
    cf_cli_bar bar;
    cf_progress progress;
    cf_cli_bar_init(&bar, "detect", a->json);
    cf_progress_init(&progress, cf_cli_bar_update, &bar);
    cf_cli_cancel_on_signal(&progress);
    file_key key = {a->input, cache, &progress};
    cf_err rc =
        cf_highlight_assign(cf_hl_models_dir(&o.paths), &req, content_key, &key, why, sizeof why, err);
    char *assigned = req.model_version != a->model_version ? req.model_version : NULL;
    if (rc) {
        cf_cli_cancel_on_signal(NULL);
        cf_cli_bar_finish(&bar);
        return free(cache), rc;
    }
    if (why[0]) {
        cf_cli_bar_finish(&bar); /* the hash's bar, if drawn, ends its line first */
        fprintf(stderr, "clipforge detect: registry: %s\n", why);
    }
    cf_storage *storage = NULL;
    cf_feature_store *fs = NULL;
    if (cache && !(rc = cf_app_open_storage(cfg, &storage, err)))
        rc = cf_feature_store_open(storage, cache, &fs, err);
    if (!rc) rc = cf_feature_store_extract(fs, a->input, &o.features, NULL, &progress, &track, NULL, err);
    cf_feature_store_free(fs);
    cf_storage_close(storage);
    if (!rc && a->features_out) {
        json_t *j = cf_feature_track_to_json(track);
        rc = j ? cf_json_write_file(j, a->features_out, err)
               : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        json_decref(j);
    }
    o.subtitles = req.subtitles;
    if (!rc) rc = cf_highlight_detect_track(&req, &o, track, &res, err);
    cf_cli_cancel_on_signal(NULL);
    cf_cli_bar_finish(&bar);
    if (!rc && a->json) {
        json_t *j = cf_highlight_detection_result_to_json(&res);
        char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        if (text) puts(text);
        else rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        free(text);
        json_decref(j);
        if (!rc && note[0]) fprintf(stderr, "clipforge detect: routing: %s\n", note);
    } else if (!rc) {
        print_table(&res, track, a->profile ? a->profile : "generic", note);
    }
    *exit_code = 0;
    cf_highlight_detection_result_free(&res);
    cf_feature_track_free(track);
    free(cache);
    free(assigned);
    return rc;
}

int cf_cmd_detect(int argc, char **argv) {
    detect_args a = {.threads = -1};
    int code = parse_args(argc, argv, &a);
    if (code >= 0) return code;
    cf_config cfg;
    cf_error err;
    cf_error_clear(&err);
    if (cf_config_load(&cfg, &err) != CF_OK) return cf_cli_fail("detect", &err);
    cf_err rc = run(&a, &cfg, &code, &err);
    cf_config_free(&cfg);
    return rc ? cf_cli_fail("detect", &err) : code;
}
