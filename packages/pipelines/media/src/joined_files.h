/* joined_files.h — MP4, MOV and FLV files joined end to end (joined_files.c), inside libcfmedia; no
 * FFmpeg here, so the box reader builds alone for its fuzzer. */
#ifndef CLIPFORGE_MEDIA_JOINED_FILES_H
#define CLIPFORGE_MEDIA_JOINED_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Where each file of path, of files joined end to end (MP4/MOV or FLV: format_name FFmpeg's,
 * "mov,..." or "flv"; their readers read the first alone), begins: up to max offsets in starts,
 * the first 0; how many (1: one file). 0 when it is of another format or cannot be read. */
int cfmedia_joined_files(const char *path, const char *format_name, int64_t *starts, int max);
/* From f, size bytes long: walks its top-level boxes from the one at from to the offset of one
 * that starts another file (an `ftyp` past from; at a second `moov`, the box after the one with
 * which the file had both its `moov` and an `mdat`); -1 when none, or at a box that is damaged or
 * runs past the end. */
int64_t cfmedia_mp4_next_file(FILE *f, int64_t from, int64_t size);
/* True when f (size bytes) is an MP4 or QuickTime recording that was never finished: its media
 * (mdat) without the index (moov) a camera or phone writes when it stops (its battery ran out,
 * the app was killed), which nothing can read it without. */
bool cfmedia_mp4_unfinished(FILE *f, int64_t size);
/* The same for the FLV file at from: the offset of the next FLV header where a tag should be. */
int64_t cfmedia_flv_next_file(FILE *f, int64_t from, int64_t size);

#endif
