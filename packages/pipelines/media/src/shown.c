/* shown.c — pictures as a player shows them: HDR tone-mapped to SDR, pixels made square (DVD,
 * DV and HDV broadcast video store 720 or 1440 columns of wide or narrow pixels) and the picture
 * turned upright (phones store portrait video sideways with a display matrix). Every pipeline that lays out,
 * crops or analyses pictures works on this shape, so a crop, a face or a 9:16 frame means the same in all. */
#include "clipforge/media.h"

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

void cf_media_upright_filters(const cf_media_input *in, AVBPrint *out) {
    if (in->video_index < 0) return;
    const AVCodecParameters *par = in->fmt->streams[in->video_index]->codecpar;
    if (cf_media_is_hdr(in)) tone_map(par, out);
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
