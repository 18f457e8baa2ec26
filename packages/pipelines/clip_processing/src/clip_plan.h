/* clip_plan.h — what one clip job does, with every value resolved: the engine's own form of a
 * ClipProcessingRequest (which cf_clip_run converts into it). Internal to libcfclip. */
#ifndef CFCLIP_CLIP_PLAN_H
#define CFCLIP_CLIP_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/media.h"

typedef enum { CFCLIP_MP4, CFCLIP_WEBM, CFCLIP_GIF } cfclip_format;
typedef enum { CFCLIP_TRIM_AUTO, CFCLIP_TRIM_COPY, CFCLIP_TRIM_ACCURATE, CFCLIP_TRIM_SMART } cfclip_trim_mode;

/* GIF output is bounded so a long span cannot make a huge file. */
#define CFCLIP_GIF_MAX_FPS 15.0
#define CFCLIP_GIF_DEFAULT_FPS 12.0
#define CFCLIP_GIF_MAX_WIDTH 480
#define CFCLIP_MIN_SPEED 0.25
#define CFCLIP_MAX_SPEED 4.0

typedef struct cfclip_plan {
    const char *input;      /* local path; borrowed */
    cf_media_select select; /* which streams of the input (zero: the file's default ones) */
    cfclip_format format;
    bool trim;
    int64_t start_ms, end_ms; /* source timeline, from the container start */
    cfclip_trim_mode trim_mode;
    int scale_w, scale_h; /* 0 = no scaling; -1 = keep aspect from the other side */
    bool crop;
    int crop_w, crop_h, crop_x, crop_y; /* on the upright picture */
    double fps;                         /* 0 = keep the source rate */
    bool normalize;
    double target_lufs, true_peak_db;
    bool mute;    /* drops the audio track */
    double speed; /* 1 = unchanged */
    bool thumbnail;
    int64_t thumb_ms;       /* on the output timeline */
    int thumb_w;            /* 0 = width of the output picture */
    const char *thumb_path; /* where the JPEG goes (NULL = beside the output); borrowed */
    /* Jump cuts (clip_cuts.h): pauses of min_pause_ms or more less margin_ms at their edges;
     * filler words (fillers NULL = the default list). transcript: the source's words, borrowed,
     * NULL = transcribe the span when fillers need words. */
    bool remove_silence, remove_fillers;
    int64_t min_pause_ms, margin_ms;
    char *const *fillers;
    size_t n_fillers;
    const cf_transcript *transcript;
    int threads;             /* codec threads, 0 = auto */
    int max_dimension;       /* largest accepted width/height */
    int64_t max_duration_ms; /* longest accepted input, 0 = no limit */
} cfclip_plan;

/* A plan with nothing to do but re-encode input into format. */
void cfclip_plan_init(cfclip_plan *plan, const char *input, cfclip_format format);
/* Checks values that do not depend on the source: ranges, sizes, speed. */
cf_err cfclip_plan_check(const cfclip_plan *plan, cf_error *err);
/* True when an operation other than trim, mute and thumbnail needs decoded pictures or samples
 * (a thumbnail is one picture: a copy's is the source's, decoded apart). */
bool cfclip_plan_needs_decoding(const cfclip_plan *plan);
/* True when one re-encodes every picture: all of them but normalize_audio, which only the sound
 * needs (a smart cut re-encodes the sound anyway), and thumbnail, one picture of the output. */
bool cfclip_plan_needs_pictures(const cfclip_plan *plan);

/* "mp4", "webm", "gif"; file extension without the dot and MIME type of a format. */
const char *cfclip_format_name(cfclip_format f);
const char *cfclip_format_mime(cfclip_format f);
/* Parses "mp4"/"webm"/"gif"; -1 when unknown. */
int cfclip_format_parse(const char *name, cfclip_format *out);

#endif
