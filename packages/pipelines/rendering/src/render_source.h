/* render_source.h — the frames of one scene's source, read and decoded by libcfmedia (its stream
 * choice, media timeline and seeking rule) and pushed into the render graph's buffer / abuffer
 * sources ("buffer@sv<i>", "abuffer@sa<i>"). The renderer feeds whichever source the graph is
 * waiting for, so several scenes of one or many files are read side by side. */
#ifndef CF_RENDER_SOURCE_H
#define CF_RENDER_SOURCE_H

#include <libavfilter/avfilter.h>
#include <libavutil/bprint.h>
#include <stdbool.h>

#include "clipforge/media.h"

typedef struct render_lane {
    int index;            /* input stream, -1 when unused */
    AVCodecContext *dec;  /* owned */
    AVFilterContext *src; /* the graph's buffer/abuffer, borrowed */
    double last_s;        /* source time of the last frame pushed */
    double prev_s;        /* and of the one before it */
    AVFrame *before;      /* video: the latest picture before the scene's start, until one comes */
    bool reached;         /* audio: a frame pushed reaches into the scene */
    int64_t samples;      /* audio of a counted source: the samples pushed */
    AVFrame *shown;       /* video: the latest picture pushed, and its source time */
    double shown_s;
    double frame_s;      /* video of a looped source: the latest picture's own duration (0 = unknown) */
    bool done;           /* end of stream pushed */
    bool went_on;        /* the stream goes on past the scene (not cut short) */
    bool went_back;      /* its timestamps went back from last_s (a damaged file) */
    cf_media_fitter fit; /* pictures of another size, sound of another layout or rate: fitted */
} render_lane;

typedef struct render_source {
    cf_media_input in;
    render_lane video, audio;
    double start_s, end_s; /* source times (stream timestamps) the scene shows */
    bool counted;          /* RENDER_SOURCE_MUSIC: timed by its samples, no window */
    bool looped;           /* RENDER_SOURCE_IMAGE: start_s and end_s are the render's times */
    double first_s;        /* looped: the file's first picture's own time (-1e9 until seen) */
    double loop_s;         /* looped: how long the passes played before this one lasted */
    int pass_pictures;     /* looped: pictures of this pass */
    int plays;             /* looped: the passes the file asks for (cf_media_plays; 0 = no end) */
    int passes;            /* looped: the passes played through */
    double cut_s;          /* looped: where its first pass stopped, when well before the file's stated
                              end (a truncated file; media time), else negative */
    AVPacket *pkt;
    AVFrame *frame;
    AVFrame *cover;             /* a source without video: its cover picture, if it has one (owned) */
    int cover_index;            /* the cover's stream */
    AVFilterContext *cover_src; /* the graph's buffer for it, borrowed */
} render_source;

/* What a source decodes: the scene's pictures (or, without, its cover), and its sound. */
typedef enum {
    RENDER_SOURCE_PICTURES = 1,
    RENDER_SOURCE_SOUND = 2,
    RENDER_SOURCE_BOTH = 3,
    /* the sound of a music track: the whole file from its start, each frame timed by the
       samples before it (its own times, which may start late or jump, are not its timeline) */
    RENDER_SOURCE_MUSIC = 4 | RENDER_SOURCE_SOUND,
    /* the pictures of an image overlay shown over [start_s, end_s) of the render: from the
       file's start, each timed by its own time from the first; when the file ends before the
       overlay does it is played again (a video loops, an animation as often as it asks:
       cf_media_plays), else its last picture is held (a still) */
    RENDER_SOURCE_IMAGE = 8 | RENDER_SOURCE_PICTURES,
} render_source_streams;

/* Opens path for a scene showing source times [start_s, end_s) (media time + the file's start
 * time), choosing streams by sel, decoding those of streams. Positions it for the first frame.
 * RENDER_SOURCE_MUSIC ignores start_s and end_s: the file is read from its start to its end;
 * RENDER_SOURCE_IMAGE reads it from its start too, start_s and end_s being times of the render. */
cf_err cf_render_source_open(render_source *s, const char *path, const cf_media_select *sel,
                             render_source_streams streams, double start_s, double end_s, int threads,
                             cf_error *err);
/* The arguments of the scene's buffer (video) and abuffer (audio) sources, and of the cover's
 * buffer (nothing without a cover). */
void cf_render_source_args(const render_source *s, AVBPrint *video, AVBPrint *audio, AVBPrint *cover);
/* Finds the scene's sources in a configured graph by their instance names; the cover, a still,
 * is pushed at once (one frame at time 0, then its end). */
cf_err cf_render_source_bind(render_source *s, AVFilterGraph *g, const char *vname, const char *aname,
                             const char *cname, cf_error *err);
/* Failed requests on the source's filters: how much the graph is waiting for it (0 = not). */
unsigned cf_render_source_wanted(const render_source *s);
/* True when everything has been pushed, end of stream included. */
bool cf_render_source_done(const render_source *s);
/* Reads and decodes until at least one frame went into the graph or the scene's streams ended.
 * Returns 0 or a negative AVERROR. */
int cf_render_source_feed(render_source *s);
/* CF_ERR_INVALID_MEDIA (set in err, naming what) when a stream's timestamps went back (the file
 * is damaged), else CF_OK. */
cf_err cf_render_source_went_back(const render_source *s, const char *what, cf_error *err);
/* The time a stream stopped at when it ended well before the scene's end (a truncated file),
 * else a negative number. A looped source (an image overlay): where its file stopped, when well
 * before the end the file states. */
double cf_render_source_short(const render_source *s);
/* Says (into bp) which of the source's streams end, as the file states, half a second or more
 * before the scene does: the render holds the last picture or plays silence there, and the
 * result's notes say so rather than pass the scene for whole. Nothing when none does. */
void cf_render_source_ended(const render_source *s, AVBPrint *bp);
void cf_render_source_close(render_source *s);

#endif
