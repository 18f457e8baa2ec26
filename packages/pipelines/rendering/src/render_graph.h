/* render_graph.h — the libavfilter graph description of a timeline: scene sources (buffer /
 * abuffer fed by render_source.c, or movie in the form the ffmpeg CLI can run), music (amovie),
 * layouts, transitions (concat, xfade, acrossfade), overlays (drawtext, drawbox, overlay),
 * captions (ass), the audio mix (volume, afade, sidechaincompress, amix, the loudness gain) and one
 * labelled video and audio output per timeline output ("outv<i>", "outa<i>"; gif has no audio).
 * Every file the graph reads is a link with a plain name in the job's temp directory, so no
 * user path needs escaping inside the description. */
#ifndef CF_RENDER_GRAPH_H
#define CF_RENDER_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "clipforge/domain/notes.h"
#include "clipforge/domain/types.h"
#include "haar_cascade.h"

typedef struct plan_scene {
    char *link;      /* source file link */
    int video_index; /* the source's chosen streams (libcfmedia's rule); audio -1 = none */
    int audio_index;
    char *video_args, *audio_args; /* arguments of the scene's buffer / abuffer sources */
    char *cover_args;              /* a source without video: its cover picture's buffer ("" = none) */
    int cover_index;               /* the cover's stream */
    char cover_colors[160];        /* filters making the cover BT.709 (cf_media_color_filters) */
    char upright[512];  /* filters showing the source's pictures as players do (cf_media_upright_filters),
                           then in BT.709 */
    char tone_map[512]; /* an HDR source's tone map (cf_media_tone_map_filters), "" for SDR: the
                           layout applies it where the pictures are smallest */
    double start_s;     /* the file's start time (timestamps of its first frame) */
    char *cmd_file;     /* smart_crop: sendcmd file moving the crop, else NULL */
    int crop_w, crop_h;
    bool split_faces; /* split: the panels show split[0] (top) and split[1], framed on faces */
    cf_rect split[2];
    char left_out[CF_NOTE_MAX_BYTES]; /* the source's streams the render does not carry ("" = none) */
} plan_scene;

/* The sound's normalization, decided from a measure of the mix (render.c): one gain for the
 * whole render and, when it pushes the true peak over the ceiling, a limiter. */
typedef struct render_loudness {
    bool decided; /* false: the mix is silent, or not measured yet: left as it is */
    double gain_db;
    bool limit; /* a true-peak limiter at limit_db dBTP follows the gain */
    double limit_db;
    bool trial; /* the sound form's outputs are for the outputs' encoders (cf_render_sound_formats) */
} render_loudness;

/* The formats of tl's outputs that carry sound, each once, in the outputs' order (at most 2:
 * mp4's AAC and webm's Opus); their count. */
size_t cf_render_sound_formats(const cf_timeline *tl, cf_target_format out[2]);

/* The true-peak ceiling of a render's sound as it ships (the clips' default). */
#define RENDER_CEILING_DBTP (-1.0)

typedef struct render_plan {
    const cf_timeline *tl;
    plan_scene *scenes; /* one per timeline scene */
    char **text_files;  /* per overlay: the text of a text overlay, else NULL */
    char **image_links; /* per overlay: the image of an image overlay, else NULL */
    char **image_args;  /* per overlay: an image overlay's buffer ("buffer@si<k>") arguments, then
                           the filters that show its pictures upright (cf_media_shape_filters) */
    char **music_links; /* per audio track */
    int *music_streams; /* per audio track: the stream of its file it is read from */
    char **music_args;  /* per audio track: its abuffer's ("abuffer@sm<m>") arguments */
    char *ass_path;     /* captions script, NULL when none */
    int64_t duration_ms;
    render_loudness loud;
} render_plan;

typedef enum {
    RENDER_GRAPH_RUN,  /* scenes from buffer sources "buffer@sv<i>" / "abuffer@sa<i>", music
                          tracks from "abuffer@sm<m>", images from "buffer@si<k>" (their
                          pictures timed from the overlay's start, looped: RENDER_SOURCE_IMAGE) */
    RENDER_GRAPH_CLI,  /* the same graph with movie sources, for the ffmpeg CLI (an animated
                          image plays once there, from the render's start) */
    RENDER_GRAPH_SOUND /* its sound alone, from the abuffer sources "abuffer@sa<i>", with loud's
                          gain when decided, for the meter: for a trial one output per sound
                          format ("outa<k>": 48 kHz stereo in its encoder's sample format), else
                          "outa0" in planar float */
} render_graph_form;

/* The graph description (malloc'd, caller frees), NULL when out of memory. */
char *cf_render_graph_describe(const render_plan *p, render_graph_form form);

#endif
