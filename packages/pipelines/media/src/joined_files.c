/* joined_files.c — MP4, MOV and FLV files joined end to end (`cat a.mp4 b.mp4`, a phone's or an
 * action camera's chapters put together by hand, a stream recorder's FLV pieces). An MP4 file is
 * one recording: its index (the moov box) describes the media of that file, so FFmpeg's reader,
 * as every player, reads the first file and nothing of the second ("Found duplicated MOOV Atom.
 * Skipped it", at a log level nobody sees); FFmpeg's FLV reader stops at the second file's
 * header. The second half was lost without a word. Found here, the files are read as one
 * recording through a copy (continuous.c). */
#include "joined_files.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_BOXES 1000000  /* a fragmented recording of hours holds two boxes per fragment */
#define MAX_TAGS 100000000 /* an FLV recording holds about 80 tags a second */

static uint64_t be(const unsigned char *b, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | b[i];
    return v;
}

int64_t cfmedia_mp4_next_file(FILE *f, int64_t from, int64_t size) {
    unsigned char h[16];
    int64_t pos = from, whole = -1; /* whole: where the file had its index and its media */
    bool moov = false, mdat = false;
    for (int n = 0; n < MAX_BOXES && pos >= 0 && pos + 8 <= size; n++) {
        if (fseeko(f, pos, SEEK_SET) != 0 || fread(h, 1, 8, f) != 8) return -1;
        uint64_t len = be(h, 4);
        if (len == 1 && fread(h + 8, 1, 8, f) == 8) len = be(h + 8, 8);
        if (len < 8 || len > (uint64_t)(size - pos)) return -1;
        if (!memcmp(h + 4, "ftyp", 4) && pos > from) return pos;
        /* a second index: the next file began after this one was whole (a QuickTime file has no
         * ftyp; its media may come before its index or after) */
        if (!memcmp(h + 4, "moov", 4) && moov) return whole > from ? whole : pos;
        moov |= !memcmp(h + 4, "moov", 4), mdat |= !memcmp(h + 4, "mdat", 4);
        pos += (int64_t)len;
        if (moov && mdat && whole < 0) whole = pos;
    }
    return -1;
}

static bool box_is(const unsigned char *h, const char *type) {
    return !memcmp(h + 4, type, 4);
}

bool cfmedia_mp4_unfinished(FILE *f, int64_t size) {
    unsigned char h[16];
    int64_t pos = 0;
    bool mdat = false;
    for (int n = 0; n < MAX_BOXES && pos + 8 <= size; n++) {
        if (fseeko(f, pos, SEEK_SET) != 0 || fread(h, 1, 8, f) != 8) break;
        uint64_t len = be(h, 4);
        if (len == 1) len = fread(h + 8, 1, 8, f) == 8 ? be(h + 8, 8) : 0;
        if (box_is(h, "moov") || box_is(h, "moof")) return false;
        if (n == 0 && !box_is(h, "ftyp") && !box_is(h, "wide") && !box_is(h, "free") && !box_is(h, "skip") &&
            !box_is(h, "mdat"))
            return false; /* not the shape of an MP4 or QuickTime file */
        mdat |= box_is(h, "mdat");
        /* 0: up to the end of the file, as a recorder writes it before it knows the length */
        if (len == 0 || len > (uint64_t)(size - pos)) break;
        if (len < 8) return false;
        pos += (int64_t)len;
    }
    return mdat;
}

/* FLV: a 9-byte header ("FLV", version 1), then tags, each after the size of the one before (4
 * bytes): type, 24-bit size of its data, timestamp, stream id (11 bytes), its data. */
int64_t cfmedia_flv_next_file(FILE *f, int64_t from, int64_t size) {
    unsigned char h[16];
    if (fseeko(f, from, SEEK_SET) != 0 || fread(h, 1, 9, f) != 9 || memcmp(h, "FLV\x01", 4) != 0) return -1;
    int64_t pos = from + (int64_t)be(h + 5, 4); /* the first tag's "size before" */
    for (int n = 0; n < MAX_TAGS && pos > from && pos + 4 + 11 <= size; n++) {
        if (fseeko(f, pos + 4, SEEK_SET) != 0 || fread(h, 1, 11, f) != 11) return -1;
        if (!memcmp(h, "FLV\x01", 4)) return pos + 4;
        pos += 4 + 11 + (int64_t)be(h + 1, 3);
    }
    return -1;
}

int cfmedia_joined_files(const char *path, const char *format_name, int64_t *starts, int max) {
    int64_t (*next)(FILE *, int64_t, int64_t) = !format_name                       ? NULL
                                                : !strncmp(format_name, "mov,", 4) ? cfmedia_mp4_next_file
                                                : !strcmp(format_name, "flv")      ? cfmedia_flv_next_file
                                                                                   : NULL;
    FILE *f = next && max > 0 ? fopen(path, "rb") : NULL;
    if (!f) return 0;
    setvbuf(f, NULL, _IOFBF, 1 << 16); /* FLV tags are small: most steps stay in the buffer */
    int n = 0;
    if (fseeko(f, 0, SEEK_END) == 0) {
        int64_t size = ftello(f);
        for (int64_t at = size > 0 ? 0 : -1; at >= 0 && n < max; at = next(f, at, size)) starts[n++] = at;
    }
    fclose(f);
    return n;
}
