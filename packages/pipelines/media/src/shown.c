/* shown.c — pictures as a player shows them: HDR tone-mapped to SDR, pixels made square (DVD,
 * DV and HDV broadcast video store 720 or 1440 columns of wide or narrow pixels) and the picture
 * turned upright (phones store portrait video sideways with a display matrix). Every pipeline that lays out,
 * crops or analyses pictures works on this shape, so a crop, a face or a 9:16 frame means the same in all. */
#include "clipforge/media.h"

#include <libavutil/pixdesc.h>
#include <math.h>
#include <stdlib.h>

#include "media_limits.h"

/* Closer to square than this is square: a rounding of the encoder, not a shape. */
#define SQUARE_TOLERANCE 0.01
/* Real pixels are at most 2:1 wide (anamorphic 1440x1080 at 4:3) or narrow; beyond 4:1 the value
 * is damage, and stretching by it would make pictures four times larger for nothing. */
#define MAX_SHAPE 4.0

AVRational cf_media_stream_sar(const AVStream *st) {
    AVRational sar = st->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0) sar = st->codecpar->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0) return (AVRational){1, 1};
    double r = av_q2d(sar);
    if (r > MAX_SHAPE || r < 1.0 / MAX_SHAPE || fabs(r - 1.0) < SQUARE_TOLERANCE) return (AVRational){1, 1};
    return sar;
}

static int even_at_least_2(double v) {
    long n = lround(v / 2.0) * 2;
    return n < 2 ? 2 : (int)n;
}

/* Square pixels: the side the shape stretches grows, unless that passes the pixel limit; then the
 * other side shrinks (no detail is made up either way, and the picture keeps its shape). */
static void square(int w, int h, AVRational sar, int *sw, int *sh) {
    double r = av_q2d(sar);
    *sw = w, *sh = h;
    if (sar.num == sar.den) return;
    int64_t limit = cfmedia_limits_max_pixels();
    double grown = r > 1.0 ? (double)w * r * h : (double)w * h / r;
    bool grow = limit <= 0 || grown <= (double)limit;
    if (r > 1.0 && grow) *sw = even_at_least_2(w * r);
    else if (r > 1.0) *sh = even_at_least_2(h / r);
    else if (grow) *sh = even_at_least_2(h / r);
    else *sw = even_at_least_2(w * r);
}

void cf_media_shown_size(int w, int h, AVRational sar, int rotation, int *sw, int *sh) {
    int a, b;
    square(w, h, sar, &a, &b);
    bool turned = rotation == 90 || rotation == 270;
    *sw = turned ? b : a;
    *sh = turned ? a : b;
}

bool cf_media_is_hdr(const cf_media_input *in) {
    if (in->video_index < 0) return false;
    enum AVColorTransferCharacteristic trc = in->fmt->streams[in->video_index]->codecpar->color_trc;
    return trc == AVCOL_TRC_SMPTE2084 || trc == AVCOL_TRC_ARIB_STD_B67;
}

/* HDR pictures (PQ: HDR10, Dolby Vision's base; HLG: a phone's default) tone-mapped to the
 * BT.709 SDR pictures a phone shows when it shares them: to linear light (100 nits reference
 * white), BT.2020 colours into BT.709's, Mobius's curve (it keeps what SDR can show as it is
 * and compresses only the highlights above; Hable's darkened a mid grey by a third), then
 * BT.709 again. The source's colour description is named, not taken from the frames, so a
 * stream that says it only in its container converts the same. Without this the 10-bit
 * BT.2020 values were cut to 8 bits and shown as BT.709: grey, washed out. */
static void tone_map(const AVCodecParameters *par, AVBPrint *out) {
    const char *tin = par->color_trc == AVCOL_TRC_SMPTE2084 ? "smpte2084" : "arib-std-b67";
    const char *pin = par->color_primaries == AVCOL_PRI_BT709 ? "709" : "2020";
    const char *min = par->color_space == AVCOL_SPC_BT2020_CL ? "2020_cl"
                      : par->color_space == AVCOL_SPC_BT709   ? "709"
                                                              : "2020_ncl";
    const char *rin = par->color_range == AVCOL_RANGE_JPEG ? "full" : "limited";
    av_bprintf(out,
               ",zscale=tin=%s:pin=%s:min=%s:rin=%s:t=linear:npl=100,format=gbrpf32le,zscale=p=709,"
               "tonemap=tonemap=mobius:desat=0,zscale=t=709:m=709:r=limited,format=yuv420p",
               tin, pin, min, rin);
}

void cf_media_tone_map_filters(const cf_media_input *in, AVBPrint *out) {
    if (cf_media_is_hdr(in)) tone_map(in->fmt->streams[in->video_index]->codecpar, out);
}

/* The full-range formats of JPEG pictures (MJPEG video, cover art). */
static bool jpeg_format(enum AVPixelFormat f) {
    return f == AV_PIX_FMT_YUVJ420P || f == AV_PIX_FMT_YUVJ422P || f == AV_PIX_FMT_YUVJ444P ||
           f == AV_PIX_FMT_YUVJ440P || f == AV_PIX_FMT_YUVJ411P;
}

/* Players read YUV pictures with the matrix their stream states; unstated, they guess by size
 * (mpv and VLC: BT.709 from 1280 wide or 577 high, BT.601 below), and full-range JPEG-style
 * formats are BT.601. FFmpeg's own conversions assume BT.601 whatever the size, so a converter
 * that follows them shows an HD source's colours shifted. */
enum AVColorSpace cf_media_yuv_matrix(enum AVColorSpace stated, enum AVPixelFormat format, int w, int h) {
    switch (stated) {
    case AVCOL_SPC_BT709:
    case AVCOL_SPC_FCC:
    case AVCOL_SPC_SMPTE240M:
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return stated;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return AVCOL_SPC_SMPTE170M;
    default: break;
    }
    return !jpeg_format(format) && (w >= 1280 || h > 576) ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
}

bool cf_media_full_range(enum AVColorRange stated, enum AVPixelFormat format) {
    if (stated == AVCOL_RANGE_JPEG) return true;
    if (stated == AVCOL_RANGE_MPEG) return false;
    return jpeg_format(format);
}

const char *cf_media_matrix_name(enum AVColorSpace m) {
    switch (m) {
    case AVCOL_SPC_BT709: return "bt709";
    case AVCOL_SPC_FCC: return "fcc";
    case AVCOL_SPC_SMPTE240M: return "smpte240m";
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return "bt2020";
    default: return "bt601";
    }
}

static bool is_rgb(enum AVPixelFormat format) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

/* The names FFmpeg's colorspace filter gives the matrices. */
static const char *colorspace_name(enum AVColorSpace m) {
    switch (m) {
    case AVCOL_SPC_BT709: return "bt709";
    case AVCOL_SPC_FCC: return "fcc";
    case AVCOL_SPC_SMPTE240M: return "smpte240m";
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return "bt2020ncl";
    default: return "bt470bg";
    }
}

/* The colorspace filter, not scale: swscale takes 0.7 s to convert 300 1080p frames, colorspace
 * 0.1 s. Primaries and transfer are named the same on both sides (fast=1): the matrix alone
 * changes, as players that read the stated matrix show it. */
void cf_media_matrix_filter(enum AVColorSpace from, enum AVColorSpace to, int w, int h, AVBPrint *out) {
    if (from != to && (w % 2 || h % 2)) /* a window's screen recording: "Invalid odd size" */
        av_bprintf(out, ",scale=in_color_matrix=%s:in_range=tv:out_color_matrix=%s:out_range=tv",
                   cf_media_matrix_name(from), cf_media_matrix_name(to));
    else if (from != to)
        av_bprintf(out,
                   ",colorspace=ispace=%s:space=%s:irange=tv:range=tv:iprimaries=bt709:primaries=bt709:"
                   "itrc=bt709:trc=bt709:fast=1",
                   colorspace_name(from), colorspace_name(to));
}

void cf_media_color_filters(enum AVPixelFormat format, enum AVColorSpace space, enum AVColorRange range,
                            int w, int h, enum AVColorSpace to, AVBPrint *out) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    if (!d || d->nb_components < 3) return; /* grey has no colour to shift */
    if (is_rgb(format)) {
        av_bprintf(out, ",scale=out_color_matrix=%s:out_range=tv,format=yuv420p", cf_media_matrix_name(to));
        return;
    }
    enum AVColorSpace m = cf_media_yuv_matrix(space, format, w, h);
    bool full = cf_media_full_range(range, format);
    if (m == to && !full) return;
    av_bprintf(out, ",scale=in_color_matrix=%s:in_range=%s:out_color_matrix=%s:out_range=tv,format=yuv420p",
               cf_media_matrix_name(m), full ? "pc" : "tv", cf_media_matrix_name(to));
}

/* RGB pictures (screen captures) are made BT.709 YUV; YUV pictures keep their matrix (a clip of
 * them states it: converting a 1080p BT.601 recording costs a fifth of its re-encoding). */
cf_media_colors cf_media_shown_colors(const cf_media_input *in) {
    const cf_media_colors bt709 = {AVCOL_SPC_BT709, AVCOL_PRI_BT709, AVCOL_TRC_BT709};
    if (in->video_index < 0) return bt709;
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    if (cf_media_is_hdr(in) || is_rgb((enum AVPixelFormat)par->format)) return bt709;
    return (cf_media_colors){
        cf_media_yuv_matrix(par->color_space, (enum AVPixelFormat)par->format, par->width, par->height),
        par->color_primaries, par->color_trc};
}

bool cf_media_is_interlaced(const cf_media_input *in) {
    if (in->video_index < 0) return false;
    enum AVFieldOrder f = in->fmt->streams[in->video_index]->codecpar->field_order;
    return f == AV_FIELD_TT || f == AV_FIELD_BB || f == AV_FIELD_TB || f == AV_FIELD_BT;
}

/* Broadcast video (a match recorded from TV, a DVD) holds two fields per frame, taken 1/50 s
 * apart: shown as frames, every movement is combed, and scaling smears the comb. Each frame is
 * rebuilt whole from its fields (bwdif, only frames flagged interlaced), before any scaling: one
 * picture per frame when the caller shows them at the frame rate or less, one per field when
 * more (a 30 fps short of a 25-frame broadcast: from frames, every fifth picture was shown twice,
 * and a pan stuttered; from fields, each of the 30 is a moment of its own), then only the
 * pictures the caller shows go on (the rest would be scaled and laid out to be dropped). */
static void deinterlace(const cf_media_input *in, double out_fps, double speed, AVBPrint *out) {
    double fps = cf_media_stream_fps(in->fmt->streams[in->video_index]);
    double want = out_fps > 0 ? out_fps : fps;
    bool fields = fps > 0 && speed > 0 && want > fps * speed * 1.01;
    av_bprintf(out, ",bwdif=mode=%s:parity=auto:deint=interlaced", fields ? "send_field" : "send_frame");
    if (fields && out_fps > 0) av_bprintf(out, ",fps=%.6f", out_fps);
}

void cf_media_upright_filters(const cf_media_input *in, double out_fps, double speed, AVBPrint *out) {
    if (in->video_index < 0) return;
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    if (cf_media_is_interlaced(in)) deinterlace(in, out_fps, speed, out);
    if (!cf_media_is_hdr(in))
        cf_media_color_filters((enum AVPixelFormat)par->format, par->color_space, par->color_range,
                               par->width, par->height, cf_media_shown_colors(in).matrix, out);
    cf_media_shape_filters(in, out);
}

void cf_media_shape_filters(const cf_media_input *in, AVBPrint *out) {
    if (in->video_index < 0) return;
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    if (in->sar.num != in->sar.den && in->sar.num > 0) {
        int w, h;
        square(par->width, par->height, in->sar, &w, &h);
        av_bprintf(out, ",scale=%d:%d,setsar=1", w, h);
    }
    if (in->rotation == 90) av_bprintf(out, ",transpose=clock");
    if (in->rotation == 180) av_bprintf(out, ",hflip,vflip");
    if (in->rotation == 270) av_bprintf(out, ",transpose=cclock");
}

void cf_media_turn_plane(const uint8_t *src, int sls, int w, int h, uint8_t *dst, int dls, int rotation) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t v = src[y * sls + x];
            if (rotation == 90) dst[x * dls + (h - 1 - y)] = v;
            else if (rotation == 180) dst[(h - 1 - y) * dls + (w - 1 - x)] = v;
            else if (rotation == 270) dst[(w - 1 - x) * dls + y] = v;
            else dst[y * dls + x] = v;
        }
}
