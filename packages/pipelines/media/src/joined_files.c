/* joined_files.c — MP4 and MOV files joined end to end (`cat a.mp4 b.mp4`, a phone's or an
 * action camera's chapters put together by hand). An MP4 file is one recording: its index (the
 * moov box) describes the media of that file, so FFmpeg's reader, as every player, reads the
 * first file and nothing of the second ("Found duplicated MOOV Atom. Skipped it", at a log
 * level nobody sees): the second half was lost without a word. Found here, it is said. */
#include "joined_files.h"

#include <stdio.h>
#include <string.h>

#define MAX_BOXES 1000000 /* a fragmented recording of hours holds two boxes per fragment */

static uint64_t be(const unsigned char *b, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | b[i];
    return v;
}

int64_t cfmedia_mp4_second_file(FILE *f, int64_t size) {
    unsigned char h[16];
    int64_t pos = 0;
    int moov = 0;
    for (int n = 0; n < MAX_BOXES && pos + 8 <= size; n++) {
        if (fseeko(f, pos, SEEK_SET) != 0 || fread(h, 1, 8, f) != 8) return -1;
        uint64_t len = be(h, 4);
        if (len == 1 && fread(h + 8, 1, 8, f) == 8) len = be(h + 8, 8);
        if (len < 8 || len > (uint64_t)(size - pos)) return -1;
        if ((!memcmp(h + 4, "ftyp", 4) && pos > 0) || (!memcmp(h + 4, "moov", 4) && moov++)) return pos;
        pos += (int64_t)len;
    }
    return -1;
}

int64_t cfmedia_second_file_at(const char *path, const char *format_name) {
    if (!format_name || strncmp(format_name, "mov,", 4) != 0) return -1;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    int64_t at = -1;
    if (fseeko(f, 0, SEEK_END) == 0) {
        int64_t size = ftello(f);
        at = size > 0 ? cfmedia_mp4_second_file(f, size) : -1;
    }
    fclose(f);
    return at;
}
