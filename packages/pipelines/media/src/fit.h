/* fit.h — keeping a stream's frames to what its filter graph was built for: the sound's half
 * (fit_sound.c); cf_media_fitter_apply (fit_picture.c) chooses by the stream's kind. Internal to
 * libcfmedia. */
#ifndef CFMEDIA_FIT_H
#define CFMEDIA_FIT_H

#include "clipforge/media.h"

/* cf_media_fit_sound to the sound of buffer source link l. */
int cfmedia_fit_sound_to_link(cf_media_fitter *ft, AVFrame *frame, const AVFilterLink *l,
                              const char *component, int index, double t_s);
void cfmedia_fit_sound_free(cf_media_fitter *ft);

#endif
