/* media.h — opening media files the same way in every pipeline (libcfmedia): clear errors for
 * missing, empty and non-media files, the one rule that chooses the video and audio streams, the
 * media timeline (seconds from the container's start time, which is 1.4 s in a typical MPEG-TS
 * file and may be anything after a PTS wrap), seeking, decoders, and the arguments of the filter
 * sources their frames go into. Clip, detection, transcription and rendering all read through
 * here, so a container or codec that works in one works in all. */
#ifndef CLIPFORGE_MEDIA_H
#define CLIPFORGE_MEDIA_H

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/bprint.h>
#include <stdbool.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/progress.h"

/* Which streams to use. Zero-initialised = the default choice: the stream the file marks as
 * default, else the one FFmpeg ranks best; never a cover picture, a stream without a decoder,
 * or one that carries no packets. A requested index (has_*) must name a stream of that type
 * (`clipforge probe` lists them), else cf_media_open fails naming it. progress: the run that
 * opens the file, whose cancel flag long work done at opening polls (the copy of recordings
 * joined end to end, continuous.c: CF_ERR_CANCELLED); NULL: none. */
typedef struct cf_media_select {
    bool has_video_stream, has_audio_stream;
    int video_stream, audio_stream;
    cf_progress *progress;
} cf_media_select;

typedef struct cf_media_input {
    AVFormatContext *fmt;      /* owned */
    int video_index;           /* chosen video stream, -1 when none */
    int audio_index;           /* chosen audio stream, -1 when none */
    int silent_audio;          /* the audio stream FFmpeg ranks first when it was passed over as
                                * silent where sampled for one with sound (heard.c), else -1 */
    int64_t start_us;          /* media time 0 (the container start time), 0 when unknown */
    int64_t duration_ms;       /* -1 when unknown */
    bool duration_measured;    /* the file states no length: duration_ms was measured by reading
                                * it to its end */
    int rotation;              /* clockwise degrees to show video upright: 0, 90, 180 or 270 */
    AVRational sar;            /* the video's pixel shape (cf_media_stream_sar), 1:1 without video */
    bool still;                /* one still picture (an image format: png, jpeg, webp, bmp...) */
    bool audio_empty;          /* the file has audio, but no audio stream carries packets */
    int unusable_video;        /* a video stream that cannot be decoded while none can, else -1 */
    int unusable_audio;        /* the same for audio */
    bool was_read;             /* packets were read: a new pass must seek back first */
    double read_to_s;          /* source seconds the audio and video packets read by cf_media_read
                                * since the last rewind reach (their end), 0 before any */
    char *path;                /* owned: what it was opened as */
    AVIOContext *io;           /* the caller's reader, or NULL */
    AVFormatContext **retired; /* owned: the contexts before cf_media_rewind opened the input
                                * again (callers may hold their streams) */
    size_t n_retired;
    int64_t *probe_deadline;            /* owned: when opening must stop (CLIPFORGE_PROBE_MS); FFmpeg's file
                                         * readers keep a pointer to it, so it lives until cf_media_close */
    char *continuous;                   /* owned: the copy read instead of an MPEG-TS/PS file of recordings
                                         * joined (continuous.c), given back on close */
    const AVInputFormat *source_format; /* the file's own format when a copy is read, else NULL */
    bool gif_unended;                   /* a GIF without the end marker every whole one has: cut short,
                                         * the pictures after its readable part lost (its length is
                                         * what FFmpeg found; cf_media_note_left_out says so) */
    int64_t second_file_at;             /* > 0: a second MP4/MOV file joined at this byte; read as one
                                         * recording through a copy, but for files of other streams,
                                         * read as players read them (cf_media_note_left_out names it) */
} cf_media_input;

/* Limits on the media opened (the CLIPFORGE_MAX_* / CLIPFORGE_PROBE_* settings); 0 = none (FFmpeg's
 * own bound for probe_bytes). An input over one fails to open with CF_ERR_INVALID_MEDIA naming the
 * limit, the value and the setting, e.g. "video stream 0: 16384x16384 is over the
 * 40000000-pixel limit (CLIPFORGE_MAX_PIXELS)"; decoders refuse frames over max_pixels. */
typedef struct cf_media_limits {
    int64_t max_pixels;      /* width x height of a video stream */
    int64_t max_duration_ms; /* the container's stated length, else the measured one */
    int64_t max_streams;     /* streams in the container (FFmpeg's max_streams, 1000, stays above) */
    int64_t max_fps;         /* a video stream's declared frame rate */
    int64_t max_frames;      /* a video stream's declared frames, else duration x frame rate */
    int64_t probe_bytes;     /* bytes read to find the format and streams */
    int64_t probe_ms;        /* wall-clock time to open the input and read its stream information */
} cf_media_limits;

/* Sets the limits of every later cf_media_open (process-wide: call before opening media; the
 * caller maps its settings, the library reads no environment). NULL = no limits. */
void cf_media_configure(const cf_media_limits *limits);
/* Whether err is a refusal by one of those limits (and not a damaged or unreadable file). */
bool cf_media_is_limit_error(const cf_error *err);

/* A failed FFmpeg call (ret < 0) as an error: "WHERE: STEP: FFmpeg's reason" with code, except
 * that running out of memory is CF_ERR_NO_MEMORY whatever the step: it says nothing of the
 * input or the request. */
cf_err cf_av_fail(cf_error *err, cf_err code, const char *where, const char *step, int ret);
/* The cf_err of an FFmpeg failure ret: NO_MEMORY, NO_SPACE for a full disk (the machine's state,
 * not the media's or the step's), else code. */
cf_err cf_av_code(int ret, cf_err code);

/* Opens path, reads its stream information and chooses streams by sel (NULL = defaults).
 * Missing, empty, unreadable, non-media and truncated files fail with a one-line message naming
 * the file (CF_ERR_NOT_FOUND, CF_ERR_INVALID_MEDIA, ...); a bad sel is CF_ERR_INVALID_ARGUMENT.
 * On failure *m is closed. */
cf_err cf_media_open(const char *path, const cf_media_select *sel, cf_media_input *m, cf_error *err);
/* The file at path opened to its header only, under the same access rules: the streams its
 * header states (a Matroska or MP4 file's subtitle tracks, with codec and language), no stream
 * information read, no stream chosen, so a look at them costs little beside cf_media_open. The
 * caller closes it (avformat_close_input); NULL when it cannot be opened. */
AVFormatContext *cf_media_open_header(const char *path);
/* The same over a reader the caller owns and closes after cf_media_close (ranged HTTP, ...);
 * name only names the media in messages. */
cf_err cf_media_open_io(const char *name, AVIOContext *io, const cf_media_select *sel, cf_media_input *m,
                        cf_error *err);
/* Fails naming the stream when the file has video (audio) that cannot be decoded and the
 * caller needs it: a result without it would lose it silently. CF_ERR_UNSUPPORTED. A caller
 * that needs video also gets CF_ERR_INVALID_MEDIA for a still picture ("x.png is a still
 * picture (png), not a video or a recording"). */
cf_err cf_media_require(const cf_media_input *m, bool video, bool audio, const char *path, cf_error *err);
/* Appends to bp a note naming the streams of the file a result leaves out, "" when none: the
 * audio (video) streams other than the chosen one when the result carries audio (video), and
 * the subtitle streams when it carries video. A second language or a commentary track dropped
 * without a word is lost data. Cover pictures, streams without packets, data and attachments
 * are not named: they carry no sound or picture. */
void cf_media_note_left_out(const cf_media_input *m, bool video, bool audio, AVBPrint *bp);
/* The same for the file at path with the streams sel chooses, from its header alone (opened and
 * closed again), into buf: for a result whose pass has closed the file or never opened it (a
 * cached track). buf is "" when nothing is left out or the header cannot be read now: a note
 * is not worth failing a result that was made. */
void cf_media_left_out_of(const char *path, const cf_media_select *sel, bool video, bool audio, char *buf,
                          size_t size);
/* Closes the file; NULL-safe and idempotent. */
void cf_media_close(cf_media_input *m);
/* The container's short name for messages: "MP4" (MP4, MOV, M4A, 3GP), "FLV", else FFmpeg's. */
const char *cf_media_container_name(const cf_media_input *m);
/* Tells the demuxer to drop the packets of every stream but the chosen ones. */
void cf_media_discard_others(cf_media_input *m);

/* Positions the input for a pass that starts at source time at_s (seconds on the stream
 * timestamps' scale, i.e. start_us / 1e6 + media time; <= 0 = the beginning): on the keyframe
 * at or before it; formats that seek by bisecting timestamps (MPEG-PS/TS) start 3 s earlier,
 * and a file that cannot seek is opened again at its start (m->fmt changes: read it anew);
 * the caller drops what comes before at_s. Returns an AVERROR on failure. */
int cf_media_rewind(cf_media_input *in, double at_s);
/* cf_media_rewind for a pass that decodes the sound from at_s: earlier by what its decoder needs
 * to warm up (Opus's pre-roll, MP3's bit reservoir, the overlap of AAC's and Vorbis's frames),
 * since a decoder started on the first packet at at_s gets its first 20-80 ms wrong. */
int cf_media_rewind_to_decode(cf_media_input *in, double at_s);
/* Whether the chosen streams have data at media time media_s or later, by reading there: a
 * header may understate the length (an ASF file with a hole). Leaves the input positioned
 * anywhere (the next pass rewinds). */
bool cf_media_reaches(cf_media_input *m, double media_s);
/* Media time in seconds (0 = the container start) of timestamp ts of stream index. */
double cf_media_time(const cf_media_input *m, int index, int64_t ts);

/* A file whose packets stop (at media time last_s) well before the length its header states is
 * cut short or damaged: CF_ERR_INVALID_MEDIA naming both times, else CF_OK. For passes that read
 * a whole file (analysis, transcription); last_s is the latest packet time of any stream read. */
cf_err cf_media_check_complete(const cf_media_input *m, double last_s, const char *path, cf_error *err);

/* Clockwise rotation (0/90/180/270) from a stream's display matrix, 0 when it has none. */
int cf_media_stream_rotation(const AVStream *st);
/* The shape of the stream's pixels (the container's word, else the codec's); 1:1 when unknown,
 * within 1 % of square, or past 4:1 either way (damage, not a shape). */
AVRational cf_media_stream_sar(const AVStream *st);
/* The size at which a player shows w x h pictures of pixel shape sar turned by rotation:
 * square pixels (the side the shape stretches grows, to even numbers, unless that passes the
 * CLIPFORGE_MAX_PIXELS limit, when the other side shrinks instead), then upright. Everything
 * that crops, lays out or analyses pictures works in this size. */
void cf_media_shown_size(int w, int h, AVRational sar, int rotation, int *sw, int *sh);
/* Appends the filters that make the decoded pictures of in's video stream what
 * cf_media_shown_size describes, in limited-range YUV of cf_media_shown_colors: interlaced
 * video deinterlaced (cf_media_is_interlaced; bwdif: a picture per frame, or a picture per
 * field, then out_fps of them a second, when the caller shows more pictures a second than the
 * frame rate: out_fps, or without it (0) the frame rate, in the time of its chain, which runs at
 * speed times the source's), RGB made BT.709 YUV,
 * full range made limited (cf_media_color_filters),
 * ",scale=W:H,setsar=1" for pixels that are not square, then the turn (",transpose=clock" ...);
 * nothing for limited-range SDR YUV pictures shown as stored. HDR pictures (cf_media_is_hdr)
 * stay HDR: the caller appends cf_media_tone_map_filters where the pictures are smallest (after
 * its crop, and after its scale when that shrinks them), as the tone map works in float RGB: on
 * a 4K phone video it cost 2.7 times the rest of a clip scaled to 1080p. */
void cf_media_upright_filters(const cf_media_input *in, double out_fps, double speed, AVBPrint *out);
/* The shape part of those: ",scale=W:H,setsar=1" for pixels that are not square, then the turn;
 * the pixels' format is kept (an overlay's alpha with it). */
void cf_media_shape_filters(const cf_media_input *in, AVBPrint *out);
/* The matrix players read YUV pictures with: the stated one (BT.470BG and SMPTE 170M, the same
 * matrix, as AVCOL_SPC_SMPTE170M), else their guess: BT.709 from 1280 wide or 577 high, BT.601
 * (AVCOL_SPC_SMPTE170M) below and for JPEG's full-range formats. */
enum AVColorSpace cf_media_yuv_matrix(enum AVColorSpace stated, enum AVPixelFormat format, int w, int h);
/* Whether YUV pictures are full range: as stated, else for JPEG's formats (yuvj*). */
bool cf_media_full_range(enum AVColorRange stated, enum AVPixelFormat format);
/* The name FFmpeg's scale filter gives matrix m ("bt709", "bt601", ...). */
const char *cf_media_matrix_name(enum AVColorSpace m);
/* Appends the filter that turns limited-range w x h YUV pictures of matrix from into matrix to
 * (",colorspace=...", or for an odd size, which colorspace refuses, ",scale=..."), nothing when
 * they are the same. */
void cf_media_matrix_filter(enum AVColorSpace from, enum AVColorSpace to, int w, int h, AVBPrint *out);
/* Appends the filters that make pictures of this description limited-range YUV 4:2:0 in matrix
 * to (",scale=in_color_matrix=...,format=yuv420p"): nothing when they are already, a conversion
 * for another matrix (cf_media_yuv_matrix), full range or RGB. */
void cf_media_color_filters(enum AVPixelFormat format, enum AVColorSpace space, enum AVColorRange range,
                            int w, int h, enum AVColorSpace to, AVBPrint *out);
/* The colours of pictures: their matrix (never unspecified) and the primaries and transfer
 * their stream states (or unspecified); always limited range. */
typedef struct cf_media_colors {
    enum AVColorSpace matrix;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic transfer;
} cf_media_colors;
/* The colours in's pictures are shown in: BT.709 for HDR (once tone-mapped) and RGB sources, else the
 * source's matrix (cf_media_yuv_matrix) with its stated primaries and transfer. */
cf_media_colors cf_media_shown_colors(const cf_media_input *in);
/* Appends the tone mapping (",zscale=..."): HDR pictures made BT.709 SDR, limited range, 8 bits;
 * nothing for SDR. */
void cf_media_tone_map_filters(const cf_media_input *in, AVBPrint *out);

/* Loudness (loudness.c). The ebur128 filter (metadata=1, peak=true) measures silence as its floor. */
#define CF_MEDIA_R128_FLOOR_LUFS (-70.0)
/* The cumulative figures a frame out of ebur128 carries: integrated loudness (LUFS), loudness
 * range (LU; range may be NULL) and true peak (dBTP); false when it carries none (a short frame
 * at the end). The last frame that carries them has the whole sound's. */
bool cf_media_r128_read(const AVFrame *f, double *lufs, double *range, double *peak_db);
/* True when lufs is ebur128's floor: the sound is silent, there is no loudness to normalize. */
bool cf_media_r128_silent(double lufs);
/* Loudness normalization's second pass, appended to a chain (",volume=..."): one gain for the
 * whole sound (what loudnorm calls linear mode) and, when limit, a true-peak limiter at limit_db
 * dBTP running at 4x rate (capped at 192 kHz) so it catches inter-sample peaks, back at rate. */
void cf_media_loudness_filters(double gain_db, bool limit, double limit_db, int rate, AVBPrint *out);
/* Normalization measured as it ships, which clips and renders share. One gain for the whole
 * sound is exact while no peak passes the ceiling. Past it a limiter holds the peaks, and two
 * effects make the first guess miss: the limiter takes loudness away with the peaks (2.9 LU of a
 * quiet recording with clicks raised by 16 dB), and the encoder puts peak back (FFmpeg's AAC by
 * 0.3 to 5 dB on hard-limited sounds, Opus less; not monotonically in the limiter's ceiling). So
 * near the ceiling the caller makes trials (the sound encoded as it ships, measured), and the
 * search corrects the gain and the limiter's ceiling after each and keeps the best. */
typedef struct cf_loudness_setting {
    double gain_db; /* for the whole sound */
    bool limit;     /* a true-peak limiter follows the gain (cf_media_loudness_filters) */
    double limit_db;
} cf_loudness_setting;
#define CF_LOUDNESS_MAX_TRIALS 8
typedef struct cf_loudness_search {
    double target_lufs, ceiling_db; /* the goal: integrated loudness, true-peak ceiling (dBTP) */
    double peak_in, max_gain;       /* the source's true peak; the gain's cap */
    double drive[CF_LOUDNESS_MAX_TRIALS + 1], h[CF_LOUDNESS_MAX_TRIALS + 1]; /* the source, the trials */
    int trials, max_trials;
    cf_loudness_setting next; /* the setting to try next; once the search is over, to ship */
    cf_loudness_setting best;
    double best_lufs, best_peak; /* the best trial's sound as shipped */
    bool best_is_last;           /* the best trial is the last one made */
} cf_loudness_search;
/* How close to the target a trial's loudness must come to end the search. */
#define CF_LOUDNESS_TOLERANCE_LU 0.3
/* Starts a search from the source's loudness and true peak: next is one gain to the target, with
 * the limiter when the peaks come near the ceiling. True when trials are wanted (the peaks come
 * within 1 dB of the ceiling, where the encoder may pass it); false: next is exact, and final.
 * max_trials: at most CF_LOUDNESS_MAX_TRIALS. */
bool cf_loudness_search_start(cf_loudness_search *s, double target_lufs, double ceiling_db, double lufs,
                              double peak_db, int max_trials);
/* Records the trial of next (its sound as shipped) and moves next to the setting to try after it.
 * False when the search is over (the trial fits, the gain reached its cap, or max_trials): next is
 * then the best trial's setting (its peak under the ceiling first, then the nearest loudness),
 * best_lufs and best_peak its figures. */
bool cf_loudness_search_record(cf_loudness_search *s, double lufs, double peak_db);
/* True when in's video stores two fields per frame (broadcast, DVD, camcorders). */
bool cf_media_is_interlaced(const cf_media_input *in);
/* True when in's video is HDR: a PQ (SMPTE 2084) or HLG (ARIB STD-B67) transfer. */
bool cf_media_is_hdr(const cf_media_input *in);
/* Replaces frame's picture by it fitted into w x h of format as a player shows a stream that
 * changed its size: whole, its shape kept, centred, black bars where the shapes differ; *sws is
 * the caller's cached context (sws_freeContext). 0, or an AVERROR. */
struct SwsContext;
int cf_media_fit_picture(AVFrame *frame, int w, int h, enum AVPixelFormat format, struct SwsContext **sws);
/* A stream's frames kept to what its filter graph was built for: a video stream that changes
 * its size midway (a recording that switched quality, joined broadcasts) has the later pictures
 * fitted (cf_media_fit_picture); an audio stream that changes its layout, rate or sample format
 * (a broadcast going from stereo to 5.1) has the later sound converted (mixed, resampled). The
 * first change is logged by component with its time. Zero-initialised; cf_media_fitter_free
 * ends it. */
struct SwrContext;
typedef struct cf_media_fitter {
    struct SwsContext *sws;
    struct SwrContext *swr;
    AVChannelLayout sound_in, sound_out; /* what swr converts from and to */
    int in_rate, in_format, out_rate, out_format;
    bool changed; /* the stream changed (logged once) */
} cf_media_fitter;
/* Fits frame (stream index, media time t_s) to the first link of buffer source src, if it
 * differs. 0, or an AVERROR. */
int cf_media_fitter_apply(cf_media_fitter *ft, AVFrame *frame, const AVFilterContext *src,
                          const char *component, int index, double t_s);
void cf_media_fitter_free(cf_media_fitter *ft);
/* For an audio stream read without a filter graph: the sound its frames are kept to (the layout,
 * rate and sample format the reader's resampler was made for). 0, or an AVERROR. */
int cf_media_fitter_sound(cf_media_fitter *ft, const AVChannelLayout *layout, int rate, int format);
/* Converts frame (audio stream index, media time t_s) to the fitter's sound, if it differs. 0,
 * or an AVERROR. */
int cf_media_fit_sound(cf_media_fitter *ft, AVFrame *frame, const char *component, int index, double t_s);
/* Copies an 8-bit plane src (w x h) into dst turned clockwise by rotation (0, 90, 180, 270). */
void cf_media_turn_plane(const uint8_t *src, int sls, int w, int h, uint8_t *dst, int dls, int rotation);
/* The stream's frame rate (avg_frame_rate, else r_frame_rate), 0 when unknown. */
double cf_media_stream_fps(const AVStream *st);

/* How a decoder runs: threads (0 = auto; one that skips pictures in a stream with B-frames runs
 * twice as many: media_decode.c's decoder_threads) and, for analysis that never shows the
 * pictures, skipping the H.264/HEVC loop filter, skipping the pictures no other picture refers to
 * (the decoder then returns fewer frames, each at its own time: the caller measures change per
 * time, not per frame) and decoding at a reduced size where the codec can (lowres: MPEG-1/2,
 * MPEG-4 part 2, H.263, MJPEG, DV; not H.264, HEVC, VP9 or AV1), halved as often as the picture
 * stays at least min_width x min_height (the decoder's width and height then say the reduced
 * size). */
typedef struct cf_media_decode_opts {
    int threads;
    bool skip_loop_filter;
    bool skip_nonref;
    int min_width, min_height; /* 0 x 0: full size */
} cf_media_decode_opts;

/* Opens a decoder for stream index of in (opts NULL = defaults); the decoded frames carry the
 * stream's timestamps (pkt_timebase). *out is the caller's (avcodec_free_context). */
cf_err cf_media_open_decoder(const cf_media_input *in, int index, const cf_media_decode_opts *opts,
                             AVCodecContext **out, cf_error *err);

/* What an output made from the source keeps of its description (kept_tags.c): the file's
 * creation time, title and date; a stream's language and title; and, for a stream copied as it
 * is stored, the display matrix (0 or AVERROR(ENOMEM)). Never a location. */
void cf_media_keep_tags(AVFormatContext *oc, const AVFormatContext *ic);
void cf_media_keep_stream_tags(AVStream *out, const AVStream *in);
int cf_media_keep_display_matrix(AVStream *out, const AVStream *in);

/* The file's cover picture (the attached picture of an mp3, m4a or mkv: album art, a podcast's
 * artwork) decoded into a new frame the caller frees, with its stream in *index; NULL when it
 * has none that decodes. */
AVFrame *cf_media_cover_picture(const cf_media_input *in, int *index);
/* How many times an animation asks to be played through: 0 for again and again (every other file,
 * and a GIF or APNG whose count cannot be read), N >= 1 for N passes. A GIF without a loop count
 * plays once, one with count N plays N + 1 times (as Firefox and Chromium play them); an APNG
 * plays its num_plays. */
int cf_media_plays(const cf_media_input *in);

/* Audio on the media timeline: the number of samples (at rate) to insert as silence before a
 * frame that starts at media time t_s, when `emitted` samples have been produced from media
 * time 0; negative when the frame overlaps what was produced (drop that many of its first
 * samples). Differences under 40 ms are timestamp jitter and give 0. So audio that starts late
 * or has holes keeps every later sample at its true time. */
int64_t cf_media_audio_gap(double t_s, int64_t emitted, int rate);
/* True when a frame at t_s after one at prev_s (seconds, same stream) puts the stream's clock
 * back by more than a second in a format whose timestamps should not do that (MPEG-TS/PS
 * may wrap or restart and are left to their demuxers): two stretches of the file would
 * claim the same media time, so the file cannot be cut or placed by time. */
bool cf_media_went_back(const cf_media_input *m, double prev_s, double t_s);
/* True when a stream whose last frame is at last_s (the one before it at prev_s; seconds) stopped
 * well before want_s, where the file says it goes on: a truncated or damaged file. The last frame
 * shows for a frame interval (a slideshow's pictures are seconds apart), plus half a second. */
bool cf_media_stopped_short(double last_s, double prev_s, double want_s);
/* Where stream index's data ends by the file's own account (source seconds): the stream's stated
 * duration, else the container's (then *own, when given, is false: Matroska and WebM state no end
 * per stream); -1 when neither is known. */
double cf_media_stated_end(const cf_media_input *in, int index, bool *own);
/* True when a stream that stopped well before want_s (cf_media_stopped_short) was cut short by a
 * truncated or damaged file: its own stated end says it goes on (own), or the file's packets
 * stopped there too (in->read_to_s). A stream without an end of its own that stops while the
 * file's other streams go on simply ended: a soundtrack shorter than its pictures. */
bool cf_media_cut_short(const cf_media_input *in, bool own, double last_s, double prev_s, double want_s);
/* How far a pass reading the input through is, 0..1: media time at_s (seconds from media time 0)
 * of the length (stated, or measured when the file is opened), else the bytes read of the file's
 * size (a reader that cannot seek, packets without times: no length to measure); -1 when neither
 * is known. */
double cf_media_progress(const cf_media_input *in, double at_s);
/* av_read_frame on the input, keeping in->read_to_s. */
int cf_media_read(cf_media_input *in, AVPacket *pkt);
/* A span whose first picture comes more than this (seconds) after its start is given the picture
 * on screen at its start (the one before) at the start: a slideshow or a screen recording holds
 * one picture for seconds, and a span starting inside it began without a picture. */
#define CF_MEDIA_START_GAP_S 0.1
/* Whether a stream at frame rate fr shows its pictures more than CF_MEDIA_START_GAP_S apart (a
 * slideshow, a video of one image a second); false when the rate is unknown. */
bool cf_media_rate_is_slideshow(AVRational fr);
/* The error for that: CF_ERR_INVALID_MEDIA, "<what>: the timestamps of stream <index> go back
 * from <media time at_s> ...". */
cf_err cf_media_went_back_error(const char *what, int index, double at_s, cf_error *err);
/* aresample's options that play each sample at its time, as a player does: silence where the
 * sound has a hole (a broadcast's lost packets, recordings joined with a gap) or starts after the
 * span, overlaps dropped. aresample's own threshold for that is 100 ms: shorter holes were closed
 * up, and the sound after them came that much before its picture (60 ms after a join, more with
 * every hole). 20 ms keeps sound and picture within a frame; timestamps rounded to a millisecond
 * stay under it, and a sound clock that drifts is caught up 20 ms at a time. */
#define CF_MEDIA_SOUND_AT_ITS_TIME "async=1:min_hard_comp=0.020:first_pts=0"
/* Arguments of a "buffer" / "abuffer" filter source that takes the frames of dec (stream st):
 * size, pixel or sample format, the stream's time base, aspect, frame rate or channel layout. */
void cf_media_video_src_args(const AVCodecContext *dec, const AVStream *st, AVBPrint *out);
void cf_media_audio_src_args(const AVCodecContext *dec, AVBPrint *out);
/* The layout as FFmpeg's filters and resamplers read it into *out: one of unknown order (or no
 * channels) is the default layout of its count of channels (mono for none). 0, or an AVERROR. */
int cf_media_known_layout(const AVChannelLayout *layout, AVChannelLayout *out);

#endif
