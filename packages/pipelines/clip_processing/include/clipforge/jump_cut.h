/* jump_cut.h — jump cuts: a span of a source played without its pauses (and fillers). The plan
 * is made from the stretches that sound (a transcript's words, voice activity, or the hops a
 * feature track finds loud): every gap of min_pause_ms or more loses all but margin_ms at each
 * edge, so word onsets and trailing consonants stay; a stretch to drop (a filler word) goes with
 * the gap it stands in, whatever that gap's length. It then turns a template's one-scene
 * timeline into one scene per kept piece and moves caption words onto the shortened timeline.
 * The one place this rule lives: `clipforge clip`, renders and autoclip use it. */
#ifndef CLIPFORGE_JUMP_CUT_H
#define CLIPFORGE_JUMP_CUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"
#include "clipforge/media.h"
#include "clipforge/progress.h"

#define CF_JUMP_CUT_MIN_PAUSE_MS 600
#define CF_JUMP_CUT_MARGIN_MS 120
#define CF_JUMP_CUT_MAX_PIECES 64   /* a timeline's scenes */
#define CF_JUMP_CUT_MIN_SOUND_MS 80 /* shorter sound left beside a drop is the drop's own edge */

typedef struct cf_jump_cut_options {
    int64_t min_pause_ms; /* 0 = CF_JUMP_CUT_MIN_PAUSE_MS */
    int64_t margin_ms;    /* 0 = CF_JUMP_CUT_MARGIN_MS */
    double fps;           /* pieces other than the last last whole frames of this rate; 0 = as cut */
    /* Stretches to leave out whatever their length (filler words); they do not count as sound
     * even where a sound stretch covers them, and the gap around each is cut less its margins
     * (never keeping part of the stretch itself). Borrowed; may be NULL. */
    const cf_time_range *drop;
    size_t n_drop;
    bool keep_pauses;  /* only the gaps holding a drop are cut (fillers without silence) */
    size_t max_pieces; /* 0 = CF_JUMP_CUT_MAX_PIECES */
} cf_jump_cut_options;

typedef struct cf_jump_cut {
    cf_time_range *keep; /* the pieces played, source times, in order */
    size_t n_keep;
    cf_time_range *removed; /* what lies between (and before / after) them */
    size_t n_removed;
    int64_t duration_ms; /* sum of the pieces: the short's length */
} cf_jump_cut;

/* Plans the cut of [start_ms, end_ms) given the stretches that sound (source times, any order,
 * may overlap). With nothing sounding in the span (and no drops), the span is kept whole; a span
 * with nothing left (all drops) is CF_ERR_INVALID_ARGUMENT. out is owned by the caller
 * (cf_jump_cut_free). */
cf_err cf_jump_cut_plan(const cf_time_range *sound, size_t n_sound, int64_t start_ms, int64_t end_ms,
                        const cf_jump_cut_options *opts, cf_jump_cut *out, cf_error *err);

/* The time on the short's timeline of source time t (a time in a removed range maps to the
 * joint where it was). */
int64_t cf_jump_cut_map(const cf_jump_cut *c, int64_t t);

/* Splits tl's one scene (the span) into one scene per kept piece, the first keeping the scene's
 * transition; overlays ending past the new end end there; captions become timeline times
 * (offset 0: their file must hold times made by cf_jump_cut_transcript). */
cf_err cf_jump_cut_timeline(const cf_jump_cut *c, cf_timeline *tl, cf_error *err);

/* The words of src inside the kept pieces, on the short's timeline, one segment per segment of
 * src that keeps a word. out is owned by the caller (cf_transcript_free). */
cf_err cf_jump_cut_transcript(const cf_jump_cut *c, const cf_transcript *src, cf_transcript *out,
                              cf_error *err);

/* Writes the words of t moved onto the cut timeline (cf_jump_cut_transcript) as transcript
 * JSON at path and points tl's captions at it (after cf_jump_cut_timeline). */
cf_err cf_jump_cut_captions(const cf_jump_cut *c, const cf_transcript *t, const char *path, cf_timeline *tl,
                            cf_error *err);

void cf_jump_cut_free(cf_jump_cut *c);
/* Copies the n removed ranges into *out (malloc'd, the caller's; NULL when n is 0) and sets
 * *n_out: how a result (clip, render, autoclip clip) lists what a jump cut left out. */
cf_err cf_jump_cut_copy_removed(const cf_time_range *removed, size_t n, cf_time_range **out, size_t *n_out,
                                cf_error *err);

/* Where [start_ms, end_ms) of the media file at path speaks, by the clip pipeline's voice
 * activity (speech-band and fricative energy of 10 ms frames against the span's own levels;
 * see clip_cuts.h): the voiced stretches in ms from the container start, in order, for
 * cf_jump_cut_plan. *out is malloc'd (the caller frees it); NULL with *n = 0 when nothing
 * speaks. select (NULL = the file's default audio) picks the stream; progress may be NULL and
 * its cancel flag is honoured. */
cf_err cf_jump_cut_voice(const char *path, const cf_media_select *select, int64_t start_ms, int64_t end_ms,
                         int threads, cf_progress *progress, cf_time_range **out, size_t *n, cf_error *err);

#endif
