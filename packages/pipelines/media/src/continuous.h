/* continuous.h — MPEG-TS files whose timestamps start again or jump ahead (continuous.c), inside
 * libcfmedia. */
#ifndef CLIPFORGE_MEDIA_CONTINUOUS_H
#define CLIPFORGE_MEDIA_CONTINUOUS_H

#include <stdbool.h>

#include "clipforge/media.h"

/* True when in (an MPEG-TS file that can seek) may hold a second timeline: its chosen stream's
 * timestamps, read at evenly spaced bytes, step back by more than a second or jump far ahead;
 * *at_s is about where (media time). Reads in->fmt, then seeks it back to its first byte. */
bool cfmedia_restarts(cf_media_input *in, double *at_s);
/* Copies in's packets to "<new temp dir>/continuous.ts" (*dir, *copy: malloc'd, the caller
 * removes and frees them), each part's timestamps following on where the part before ended; the
 * same streams in the same order. path and at_s are for the messages. */
cf_err cfmedia_continuous_copy(cf_media_input *in, const char *path, double at_s, char **dir, char **copy,
                               cf_error *err);

#endif
