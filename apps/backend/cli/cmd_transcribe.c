/* cmd_transcribe.c — `clipforge transcribe`: speech to text of a media file, written as a
 * transcript (JSON) or captions (SRT, WebVTT). An .srt or .vtt input is read as captions and a
 * .json input as a transcript instead of recognised, so a user's own captions or an earlier
 * transcript convert to the other forms; --from-subtitles reads a media file's own text subtitles. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "clipforge/clock.h"
#include "clipforge/config.h"
#include "clipforge/domain/notes.h"
#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "clipforge/media.h"
#include "clipforge/timefmt.h"
#include "clipforge/subtitles.h"
#include "clipforge/transcribe.h"

#define CMD "transcribe"

typedef enum { OUT_JSON, OUT_SRT, OUT_VTT } out_format;

typedef struct tx_args {
    const char *input, *output, *engine, *language, *model_dir;
    out_format format;
    bool format_set, json, from_subtitles;
    int threads;
    int64_t chunk_ms, adapt_from_ms, item_ms;
    cf_caption_style style;
    cf_media_select select;
} tx_args;

static void usage(FILE *out) {
    fprintf(out, "Usage: clipforge transcribe --input FILE [--format json|srt|vtt] [--output FILE] [--json]\n"
                 "\n"
                 "Transcribes the speech of a media file (pocketsphinx, en-us) into a transcript with\n"
                 "word times and confidences (json) or captions (srt, vtt). An .srt/.vtt input is read\n"
                 "as captions and a .json input as a transcript (no recognition), to convert them.\n"
                 "\n"
                 "Options:\n"
                 "  --input FILE        media file (or .srt/.vtt captions, or a .json transcript)\n"
                 "  --format F          json (default, or from the --output extension), srt or vtt\n"
                 "  --output FILE       write there instead of standard output\n"
                 "  --json              print a JSON summary on standard output\n"
                 "  --engine NAME       transcription backend (default pocketsphinx)\n"
                 "  --language L        language (default en-us)\n"
                 "  --model-dir DIR     backend model directory (default: the installed model)\n"
                 "  --threads N         decoding threads (default: CLIPFORGE_THREADS, 0 = all cores)\n"
                 "  --chunk TIME        longest piece of audio given to one recogniser (default 20)\n"
                 "  --item TIME         speech shorter than this between pauses of 0.5 s or more (a word\n"
                 "                      said alone) is recognised on its own (default 0 = never)\n"
                 "  --adapt-from TIME   adapt to the words of this much of the start, decoded twice\n"
                 "                      (default 120; CLIPFORGE_POCKETSPHINX_MLLR=off: one pass)\n"
                 "  --from-subtitles    read the file's own text subtitle stream (SubRip, ASS, WebVTT,\n"
                 "                      MP4 timed text) in --language, or untagged, instead of\n"
                 "                      recognising the speech\n"
                 "  --audio-stream N    transcribe audio stream N (as `clipforge probe` lists it)\n"
                 "                      instead of the file's default one\n"
                 "  --max-chars N       caption characters per line (default 42)\n"
                 "  --max-lines N       caption lines per cue (default 2)\n"
                 "  -h, --help          this help\n"
                 "\n"
                 "Exit codes: 0 success, 1 processing error, 2 usage or input error.\n");
}

static bool has_ext(const char *path, const char *ext) {
    size_t n = strlen(path), e = strlen(ext);
    return n > e && !strcasecmp(path + n - e, ext);
}

/* Captions (.srt, .vtt) or a transcript (.json) given as input: read, not recognised. */
static bool is_transcript_file(const char *path) {
    return has_ext(path, ".srt") || has_ext(path, ".vtt") || has_ext(path, ".json");
}

static int parse_format(const char *s, out_format *f) {
    if (!strcasecmp(s, "json")) *f = OUT_JSON;
    else if (!strcasecmp(s, "srt")) *f = OUT_SRT;
    else if (!strcasecmp(s, "vtt")) *f = OUT_VTT;
    else return -1;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* Returns -1 to go on, else the exit code (help or usage error). */
static int parse_args(int argc, char **argv, tx_args *a) {
    static const struct option opts[] = {{"input", required_argument, 0, 'i'},
                                         {"output", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'f'},
                                         {"json", no_argument, 0, 'j'},
                                         {"from-subtitles", no_argument, 0, 'S'},
                                         {"engine", required_argument, 0, 'e'},
                                         {"language", required_argument, 0, 'l'},
                                         {"model-dir", required_argument, 0, 'm'},
                                         {"threads", required_argument, 0, 't'},
                                         {"chunk", required_argument, 0, 'k'},
                                         {"adapt-from", required_argument, 0, 'A'},
                                         {"item", required_argument, 0, 'I'},
                                         {"max-chars", required_argument, 0, 'c'},
                                         {"max-lines", required_argument, 0, 'n'},
                                         {"audio-stream", required_argument, 0, 'a'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a->input = optarg; break;
        case 'o': a->output = optarg; break;
        case 'j': a->json = true; break;
        case 'S': a->from_subtitles = true; break;
        case 'e': a->engine = optarg; break;
        case 'l': a->language = optarg; break;
        case 'm': a->model_dir = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'a':
            if (cf_cli_audio_select(optarg, CMD, &a->select)) return 2;
            break;
        case 'f':
            if (parse_format(optarg, &a->format))
                return cf_cli_usage_error(CMD, "unknown format '%s' (json, srt, vtt)", optarg);
            a->format_set = true;
            break;
        case 't':
            if (parse_int(optarg, 0, 64, &a->threads))
                return cf_cli_usage_error(CMD, "--threads: expected 0..64, got '%s'", optarg);
            break;
        case 'k':
            if (cf_parse_time_ms(optarg, &a->chunk_ms, NULL) != CF_OK || a->chunk_ms < 2000 ||
                a->chunk_ms > 600000)
                return cf_cli_usage_error(CMD, "--chunk: expected 2 to 600 seconds, got '%s'", optarg);
            break;
        case 'I':
            if (cf_parse_time_ms(optarg, &a->item_ms, NULL) != CF_OK || a->item_ms < 0 || a->item_ms > 10000)
                return cf_cli_usage_error(CMD, "--item: expected 0 to 10 seconds, got '%s'", optarg);
            if (a->item_ms == 0) a->item_ms = -1; /* 0 asks for no such chunks */
            break;
        case 'A':
            if (cf_parse_time_ms(optarg, &a->adapt_from_ms, NULL) != CF_OK || a->adapt_from_ms < 1000 ||
                a->adapt_from_ms > 86400000)
                return cf_cli_usage_error(CMD, "--adapt-from: expected 1 s to 24 h, got '%s'", optarg);
            break;
        case 'c':
            if (parse_int(optarg, 8, 200, &a->style.max_chars_per_line))
                return cf_cli_usage_error(CMD, "--max-chars: expected 8..200, got '%s'", optarg);
            break;
        case 'n':
            if (parse_int(optarg, 1, 10, &a->style.max_lines))
                return cf_cli_usage_error(CMD, "--max-lines: expected 1..10, got '%s'", optarg);
            break;
        default: return cf_cli_usage_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cf_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->input) return cf_cli_usage_error(CMD, "--input FILE is required");
    if (!a->format_set && a->output)
        a->format = has_ext(a->output, ".srt") ? OUT_SRT : has_ext(a->output, ".vtt") ? OUT_VTT : OUT_JSON;
    return -1;
}

/* The words of the input's own text subtitles, said on stderr. */
static cf_err read_subtitles(const tx_args *a, cf_transcript *t, cf_error *err) {
    cf_subtitle_stream s;
    cf_err e = cf_subtitles_find(a->input, a->language ? a->language : "en-us", &s, err);
    if (!e) e = cf_subtitles_transcript(a->input, &s, NULL, t, err);
    char name[96];
    cf_subtitle_stream_name(&s, name, sizeof name);
    if (!e) fprintf(stderr, "clipforge %s: note: read %s\n", CMD, name);
    return e == CF_ERR_NOT_FOUND ? (err->code = CF_ERR_INVALID_ARGUMENT) : e;
}

static cf_err read_input(const tx_args *a, const cf_config *cfg, cf_progress *p, cf_transcript *t,
                         cf_error *err) {
    if (is_transcript_file(a->input)) return cf_transcript_load_file(a->input, 0, t, NULL, err);
    if (a->from_subtitles) return read_subtitles(a, t, err);
    cf_transcribe_options o = {.engine = a->engine,
                               .language = a->language,
                               .model_dir = a->model_dir,
                               .threads = a->threads ? a->threads : (int)cfg->threads,
                               .max_duration_ms = cfg->max_duration_ms,
                               .max_chunk_ms = a->chunk_ms,
                               .item_ms = a->item_ms,
                               .select = a->select,
                               .adapt_from_ms = a->adapt_from_ms};
    return cf_transcribe_file(a->input, &o, p, t, err);
}

/* Renders the transcript in the chosen format: *json_out for json, *text_out otherwise. */
static cf_err render(const tx_args *a, const cf_transcript *t, json_t **json_out, char **text_out,
                     cf_error *err) {
    if (a->format == OUT_JSON) {
        if (!(*json_out = cf_transcript_to_json(t)))
            return cf_error_set(err, CF_ERR_NO_MEMORY, "transcript: cannot build JSON");
        return CF_OK;
    }
    cf_caption_track track;
    cf_err e = cf_captions_from_transcript(t, &a->style, &track, err);
    if (!e)
        e = cf_captions_format(&track, a->format == OUT_SRT ? CF_CAPTION_SRT : CF_CAPTION_VTT, text_out, NULL,
                               err);
    cf_caption_track_free(&track);
    return e;
}

/* To path whole or not at all (a failed write leaves no partial file), else to stdout. */
static cf_err write_text(const char *path, const char *text, cf_error *err) {
    size_t n = strlen(text);
    if (path) return cf_write_file(path, text, n, err);
    bool ok = fwrite(text, 1, n, stdout) == n;
    ok = (fflush(stdout) == 0) && ok;
    return ok ? CF_OK : cf_error_set(err, CF_ERR_IO, "stdout: write failed");
}

static const char *format_name(out_format f) {
    return f == OUT_SRT ? "srt" : f == OUT_VTT ? "vtt" : "json";
}

static void print_summary(const tx_args *a, const cf_transcript *t, const char *text, int64_t elapsed_ms) {
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "input", a->input, "format", format_name(a->format),
                  "model", t->model ? t->model : "", "duration_ms", (json_int_t)t->duration_ms, "segments",
                  (json_int_t)t->n_segments, "words", (json_int_t)cf_transcript_word_count(t),
                  "processing_time_ms", (json_int_t)elapsed_ms);
    if (!j) return;
    if (a->output) json_object_set_new(j, "output", json_string(a->output));
    else if (text) json_object_set_new(j, "captions", json_string(text));
    char *s = json_dumps(j, JSON_COMPACT);
    if (s) puts(s);
    free(s);
    json_decref(j);
}

/* Says on stderr which audio streams of a media input were not transcribed (stdout stays the
 * transcript or the summary). */
static void note_left_out(const tx_args *a) {
    if (is_transcript_file(a->input)) return;
    char left_out[CF_NOTE_MAX_BYTES];
    cf_media_left_out_of(a->input, &a->select, false, true, left_out, sizeof left_out);
    if (left_out[0]) fprintf(stderr, "clipforge %s: note: %s\n", CMD, left_out);
}

static cf_err emit(const tx_args *a, const cf_transcript *t, int64_t started, cf_error *err) {
    json_t *doc = NULL;
    char *text = NULL;
    cf_err e = render(a, t, &doc, &text, err);
    if (!e && doc && a->output) e = cf_json_write_file(doc, a->output, err);
    if (!e && doc && !a->output) {
        char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(4));
        e = s ? write_text(NULL, s, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        if (!e) e = write_text(NULL, "\n", err);
        free(s);
    }
    if (!e && text && (a->output || !a->json)) e = write_text(a->output, text, err);
    if (!e && a->json && (a->output || text))
        print_summary(a, t, a->output ? NULL : text, cf_clock_ms() - started);
    if (!e) note_left_out(a);
    json_decref(doc);
    free(text);
    return e;
}

int cf_cmd_transcribe(int argc, char **argv) {
    tx_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    cf_error err = {0};
    cf_config cfg = {0};
    if (cf_config_load(&cfg, &err) != CF_OK) return cf_cli_fail(CMD, &err);
    cf_cli_bar bar;
    cf_cli_bar_init(&bar, "transcribe", a.json);
    cf_progress progress;
    cf_progress_init(&progress, cf_cli_bar_update, &bar);
    cf_cli_cancel_on_signal(&progress);
    int64_t started = cf_clock_ms();
    cf_transcript t = {0};
    cf_err e = read_input(&a, &cfg, &progress, &t, &err);
    cf_cli_bar_finish(&bar);
    cf_cli_cancel_on_signal(NULL);
    if (!e) e = emit(&a, &t, started, &err);
    cf_transcript_free(&t);
    cf_config_free(&cfg);
    return e ? cf_cli_fail(CMD, &err) : 0;
}
