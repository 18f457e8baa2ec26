/* loudness.c — the two ends of EBU R128 normalization that clips and renders share: reading
 * the ebur128 filter's figures, and the chain that applies the decided gain. */
#include <math.h>
#include <stdlib.h>

#include "clipforge/media.h"

static double meta_number(const AVFrame *f, const char *key, double def) {
    const AVDictionaryEntry *e = av_dict_get(f->metadata, key, NULL, 0);
    return e ? strtod(e->value, NULL) : def;
}

bool cf_media_r128_read(const AVFrame *f, double *lufs, double *range, double *peak_db) {
    if (!av_dict_get(f->metadata, "lavfi.r128.I", NULL, 0)) return false;
    double peak = meta_number(f, "lavfi.r128.true_peak", 0.0);
    *lufs = meta_number(f, "lavfi.r128.I", CF_MEDIA_R128_FLOOR_LUFS);
    if (range) *range = meta_number(f, "lavfi.r128.LRA", 0.0);
    *peak_db = peak > 0 ? 20.0 * log10(peak) : -99.0;
    return true;
}

bool cf_media_r128_silent(double lufs) {
    return lufs <= CF_MEDIA_R128_FLOOR_LUFS + 0.5;
}

void cf_media_loudness_filters(double gain_db, bool limit, double limit_db, int rate, AVBPrint *out) {
    av_bprintf(out, ",volume=%.3fdB:precision=double", gain_db);
    if (!limit) return;
    av_bprintf(out, ",aresample=%d,alimiter=limit=%.6f:level=0:attack=1:release=20:asc=1,aresample=%d",
               rate * 4 > 192000 ? 192000 : rate * 4, pow(10.0, limit_db / 20.0), rate);
}
