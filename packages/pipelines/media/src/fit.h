/* fit.h — keeping a stream's frames to what its filter graph was built for: the sound's half
 * (fit_sound.c); cf_media_fitter_apply (fit_picture.c) chooses by the stream's kind. Internal to
 * libcfmedia. */
#ifndef CFMEDIA_FIT_H
#define CFMEDIA_FIT_H

#include <math.h>

#include "clipforge/media.h"

/* cf_media_fit_sound to the sound of buffer source link l. */
int cfmedia_fit_sound_to_link(cf_media_fitter *ft, AVFrame *frame, const AVFilterLink *l,
                              const char *component, int index, double t_s);
void cfmedia_fit_sound_free(cf_media_fitter *ft);

/* A time as the logs print it (%.3f): to the millisecond, a rounding just under zero as 0.000,
 * not -0.000 (-0.0 + 0.0 is +0.0). */
static inline double cfmedia_log_time(double t_s) {
    return round(t_s * 1000) / 1000 + 0.0;
}

#endif
