/* kept_tags.c — what a clip keeps of its source's description, as the ffmpeg CLI does: when the
 * recording was made, its title, each stream's language and title (a film's "Commentary" track
 * in French stays one) and the picture's turn for copied video. A place (GPS location of a
 * phone's recording) is left out: clips are made to be shared. */
#include <string.h>

#include "clipforge/media.h"

static const char *const FILE_TAGS[] = {"creation_time", "title", "date"};
static const char *const STREAM_TAGS[] = {"language", "title"};

static void copy_tags(AVDictionary **out, const AVDictionary *in, const char *const *keys, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const AVDictionaryEntry *e = av_dict_get(in, keys[i], NULL, 0);
        /* "und" is what a muxer writes when nobody said: not worth carrying */
        if (e && *e->value && strcmp(e->value, "und")) av_dict_set(out, keys[i], e->value, 0);
    }
}

void cf_media_keep_tags(AVFormatContext *oc, const AVFormatContext *ic) {
    copy_tags(&oc->metadata, ic->metadata, FILE_TAGS, sizeof FILE_TAGS / sizeof FILE_TAGS[0]);
}

void cf_media_keep_stream_tags(AVStream *out, const AVStream *in) {
    copy_tags(&out->metadata, in->metadata, STREAM_TAGS, sizeof STREAM_TAGS / sizeof STREAM_TAGS[0]);
}

int cf_media_keep_display_matrix(AVStream *out, const AVStream *in) {
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(in, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix) return 0;
    uint8_t *dst = av_stream_new_side_data(out, AV_PKT_DATA_DISPLAYMATRIX, size);
    if (!dst) return AVERROR(ENOMEM);
    memcpy(dst, matrix, size);
    return 0;
}
