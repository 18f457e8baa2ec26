/* continuous.h — MPEG-TS files whose timestamps start again or jump ahead, and MP4 files joined
 * end to end, read through a copy made as one recording (continuous.c), inside libcfmedia. */
#ifndef CLIPFORGE_MEDIA_CONTINUOUS_H
#define CLIPFORGE_MEDIA_CONTINUOUS_H

#include <stdbool.h>
#include <sys/stat.h>

#include "clipforge/media.h"

/* True when in (an MPEG-TS file that can seek) may hold a second timeline: its chosen stream's
 * timestamps, read at evenly spaced bytes, step back by more than a second or jump far ahead;
 * *at_s is about where (media time). Reads in->fmt, then seeks it back to its first byte. */
bool cfmedia_restarts(cf_media_input *in, double *at_s);
/* The copy of in's file made as one recording (continuous.c): each part's timestamps follow on
 * where the part before ended, streams that carry on a chosen one in its place, the others in
 * their order. The copy this process made of the same file (device, inode, size, modification
 * time) with the same stream choice when it still has it, else a new one in a temp dir. *copy:
 * its path (malloc'd), to be given back with cfmedia_continuous_release; chosen: the copy's
 * streams of in's chosen video and audio (-1: none). path and at_s are for the messages; the
 * copy stops with CF_ERR_CANCELLED when progress (may be NULL) is cancelled. */
cf_err cfmedia_continuous_get(cf_media_input *in, const char *path, double at_s, cf_progress *progress,
                              char **copy, int chosen[2], cf_error *err);
/* Done reading copy: the last one done with stays for the next opening, the others are removed. */
void cfmedia_continuous_release(const char *copy);
/* Whether a and b (stat results) are one file as it was: device, inode, size and modification
 * time; never for st_ino 0 (a reader's input). */
bool cfmedia_same_file(const struct stat *a, const struct stat *b);

#endif
