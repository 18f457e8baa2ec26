/* joined_files.h — MP4 and MOV files joined end to end (joined_files.c), inside libcfmedia; no
 * FFmpeg here, so the box reader builds alone for its fuzzer. */
#ifndef CLIPFORGE_MEDIA_JOINED_FILES_H
#define CLIPFORGE_MEDIA_JOINED_FILES_H

#include <stdint.h>
#include <stdio.h>

/* The byte at which a second file begins in path, an MP4/MOV file (format_name FFmpeg's, "mov,...")
 * of files joined end to end (its reader reads the first alone); -1 when none, or when it is not
 * MP4/MOV. */
int64_t cfmedia_second_file_at(const char *path, const char *format_name);
/* The same from f, size bytes long: walks its top-level boxes to the offset of one that starts
 * another file (an `ftyp` past the first box, or a second `moov`); -1 when none, or at a box that
 * is damaged or runs past the end. */
int64_t cfmedia_mp4_second_file(FILE *f, int64_t size);

#endif
