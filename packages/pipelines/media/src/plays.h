/* plays.h — how many times an animation asks to be played (plays.c), inside libcfmedia; no FFmpeg
 * here, so the reader builds alone for its fuzzer. */
#ifndef CLIPFORGE_MEDIA_PLAYS_H
#define CLIPFORGE_MEDIA_PLAYS_H

#include <stdio.h>

/* The passes an animated GIF (apng false) or APNG (apng true) file asks for, read from f: 0 for
 * "again and again", N >= 1 for N passes, -1 when it cannot be told (not such a file, damaged, or
 * its blocks run past the end before they say). GIF: its NETSCAPE2.0 (or ANIMEXTS1.0) block's
 * count N asks for N + 1 passes (the first, then N more: as Firefox and Chromium play it); a GIF
 * without the block plays once. APNG: acTL's num_plays as it is. */
int cfmedia_plays(FILE *f, int apng);

#endif
