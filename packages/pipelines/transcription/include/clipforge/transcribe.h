/* transcribe.h — speech to text for clipforge.
 *
 * cf_transcribe_file() decodes a media file's audio in-process (libavformat/libavcodec), resamples
 * it to 16 kHz mono s16 (libswresample), splits it at pauses (energy-based voice activity
 * detection) into chunks, and decodes the chunks in parallel, one recogniser per thread, with a
 * transcriber backend. Word times are in ms of the whole media.
 *
 * Backends implement cf_transcriber (a versioned table of functions, like SQLite's VFS) and are
 * found by name; "pocketsphinx" (CMU PocketSphinx with Debian's en-us model) is built in and is
 * the default. Adding a stronger model later is one new file and one cf_transcriber_register(). */
#ifndef CLIPFORGE_TRANSCRIBE_H
#define CLIPFORGE_TRANSCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/caption_parse.h"
#include "clipforge/captions.h"
#include "clipforge/error.h"
#include "clipforge/media.h"
#include "clipforge/progress.h"
#include "clipforge/speech_features.h"
#include "clipforge/transcript.h"

#define CF_TRANSCRIBER_VERSION 2
#define CF_STT_SAMPLE_RATE 16000

/* What a backend needs to build a recogniser. */
typedef struct cf_transcriber_config {
    const char *language;   /* e.g. "en-us" */
    const char *model_dir;  /* backend-specific model directory; NULL = the backend's default */
    const char *adaptation; /* what the backend's adapt wrote for this recording; NULL = none */
    cf_progress
        *progress; /* the run's: decode and adapt poll cf_progress_cancelled() and stop; may be NULL */
} cf_transcriber_config;

/* A speech-to-text backend. Each decoding thread opens its own recogniser, so open/decode/close
 * need not be thread-safe across recognisers of the same backend beyond what open shares. */
typedef struct cf_transcriber {
    int version;               /* CF_TRANSCRIBER_VERSION the table was written for */
    const char *name;          /* registry key, e.g. "pocketsphinx" */
    const char *model_version; /* recorded in transcripts as "<name>/<model_version>" */
    /* True when the backend can recognise this language (BCP-47-ish, case-insensitive). */
    bool (*supports_language)(const char *language);
    /* Creates one recogniser in *out; fills err on failure. */
    cf_err (*open)(const cf_transcriber_config *cfg, void **out, cf_error *err);
    /* Recognises n 16 kHz mono samples; fills out->words with times in ms relative to pcm[0]
     * (the caller shifts them). out is zeroed by the caller; words are owned by out. Polls
     * cfg->progress of open at least every half second of work and returns CF_ERR_CANCELLED
     * when it is cancelled. */
    cf_err (*decode)(void *rec, const int16_t *pcm, size_t n, cf_transcript_segment *out, cf_error *err);
    /* Frees a recogniser; NULL-safe. */
    void (*close)(void *rec);
    /* Version 2, optional (NULL = one pass). adapts: whether a second, adapted pass will run.
     * adapt: from the first pass over the start of the recording (pcm, n: the whole recording;
     * segments with word times in ms from pcm[0], the first pass's chunks in order) writes an
     * adaptation into the empty directory dir and its path into path; recognisers opened with
     * cfg->adaptation = path then decode the whole recording. An error keeps the first pass's
     * words and decodes the rest unadapted; CF_ERR_CANCELLED (cfg->progress was cancelled while
     * it ran, and it stopped) ends the run. */
    bool (*adapts)(const cf_transcriber_config *cfg);
    cf_err (*adapt)(const cf_transcriber_config *cfg, const int16_t *pcm, size_t n,
                    const cf_transcript_segment *segments, size_t n_segments, const char *dir, char *path,
                    size_t size, cf_error *err);
} cf_transcriber;

/* Adds a backend (replacing one of the same name); CF_ERR_UNSUPPORTED for a newer table version,
 * CF_ERR_TOO_LARGE when the registry is full. The built-in backends are always present. */
cf_err cf_transcriber_register(const cf_transcriber *t, cf_error *err);
/* Finds a backend by name; NULL or "" gives the default. NULL when unknown. */
const cf_transcriber *cf_transcriber_find(const char *name);
/* Writes the names of the registered backends, comma separated, into buf. */
void cf_transcriber_list(char *buf, size_t size);

/* Settings the app takes from its configuration (the pipeline reads no environment); NULL or ""
 * fields keep the built-in default. */
typedef struct cf_transcribe_settings {
    const char *pocketsphinx_args;       /* CLIPFORGE_POCKETSPHINX_ARGS: "-name value" pairs */
    const char *pocketsphinx_confidence; /* CLIPFORGE_POCKETSPHINX_CONFIDENCE: "posterior" = raw */
    const char *pocketsphinx_fold_db;    /* CLIPFORGE_POCKETSPHINX_FOLD_DB: dB, or "off" */
    const char *pocketsphinx_mllr;       /* CLIPFORGE_POCKETSPHINX_MLLR: "off" = one pass, no adapting */
    const char *sphinxtrain_dir;         /* CLIPFORGE_SPHINXTRAIN_DIR: bw, mllr_solve ("" = Debian's) */
} cf_transcribe_settings;
/* Copies s (NULL = built-in defaults) as the settings of later transcriptions. Call it at
 * startup, before any transcription runs: they read the settings without a lock. */
cf_err cf_transcribe_configure(const cf_transcribe_settings *s, cf_error *err);

typedef struct cf_transcribe_options {
    const char *engine;      /* backend name; NULL = default */
    const char *language;    /* NULL = "en-us" */
    const char *model_dir;   /* NULL = backend default */
    int threads;             /* decoding threads; 0 = number of cores */
    int64_t max_duration_ms; /* refuse longer media; 0 = no limit */
    int64_t max_chunk_ms;    /* longest chunk handed to one recogniser; 0 = 20000 */
    /* Speech shorter than this alone between pauses of 500 ms or more (a word or name said on its
     * own) is recognised as a chunk of its own; 0 or negative = never (the default: held out
     * it did not help, and beeps or short sounds before speech become words). */
    int64_t item_ms;
    cf_media_select select; /* which audio stream (zero: the file's default one) */
    /* Recognise only the chunks (cut at pauses) that overlap one of these ranges; NULL = all.
     * A chunk is recognised whole; its words can still differ a little from a full run's, since a
     * recogniser's running cepstral mean carries over from the chunks it decoded before. */
    const cf_time_range *ranges;
    size_t n_ranges;
    /* For a backend that adapts to the recording: its first pass covers the chunks that start in
     * the first adapt_from_ms of audio, the adaptation is made from their words, and the second
     * pass decodes every chunk, so a long recording is decoded about once. 0 = 120000;
     * negative = no adaptation, one pass. */
    int64_t adapt_from_ms;
} cf_transcribe_options;

/* Transcribes the chosen audio stream (opts->select) of a local media file into out (caller frees with
 * cf_transcript_free). Reports progress ("decoding audio", "recognising") and stops with
 * CF_ERR_CANCELLED when asked. Errors: CF_ERR_NOT_FOUND (no file), CF_ERR_INVALID_MEDIA (not
 * media or no audio), CF_ERR_UNSUPPORTED (unknown engine or language), CF_ERR_TOO_LARGE. */
cf_err cf_transcribe_file(const char *path, const cf_transcribe_options *opts, cf_progress *progress,
                          cf_transcript *out, cf_error *err);

/* Runs a TranscriptionRequest (the `transcription` job kind): media_uri is a local path or a
 * file:// URI (the service resolves media:// ids before calling), language defaults to en-us,
 * model names a backend ("pocketsphinx") optionally with the version it must have
 * ("pocketsphinx/5prealpha-en-us-ptm"); opts may add threads and limits (its engine and language
 * are ignored). CF_ERR_UNSUPPORTED when the model is not available. */
cf_err cf_transcribe_request(const cf_transcription_request *req, const cf_transcribe_options *opts,
                             cf_progress *progress, cf_transcript *out, cf_error *err);

/* Same on 16 kHz mono samples already in memory (the caller keeps pcm). */
cf_err cf_transcribe_pcm(const int16_t *pcm, size_t n, const cf_transcribe_options *opts,
                         cf_progress *progress, cf_transcript *out, cf_error *err);

/* Decodes the first audio stream of a file to 16 kHz mono s16. *out is malloc'd (caller frees);
 * max_duration_ms 0 = no limit. Progress covers [0,1] of the decoding. */
cf_err cf_stt_load_audio(const char *path, int64_t max_duration_ms, cf_progress *progress, int16_t **out,
                         size_t *n_out, cf_error *err);

#endif
