/* media_access.c — what FFmpeg may open on behalf of an input or an output (media_access.h,
 * cf_output_alloc and cf_output_open_file in clipforge/encode.h). */
#include "media_access.h"

#include <libavutil/bprint.h>
#include <pthread.h>
#include <string.h>

#include "clipforge/encode.h"

/* Demuxers that read what their file names: playlists and manifests (HLS, DASH, IMF, concat),
 * session descriptions (SDP, RTSP, RTP: the network) and scripts (AviSynth, VapourSynth). A
 * media file is never one of them; an upload that is one reads files or addresses of its
 * choosing. */
static const struct {
    const char *demuxer, *what;
} refused[] = {{"hls", "an HLS playlist"},
               {"dash", "a DASH manifest"},
               {"imf", "an IMF composition playlist"},
               {"concat", "a concat list"},
               {"sdp", "a stream description (SDP)"},
               {"rtsp", "a stream description (RTSP)"},
               {"rtp", "a stream description (RTP)"},
               {"avisynth", "an AviSynth script"},
               {"vapoursynth", "a VapourSynth script"}};

/* What the refused demuxer reads, or NULL when it is not refused. */
static const char *refused_as(const char *demuxer) {
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        if (av_match_name(refused[i].demuxer, demuxer)) return refused[i].what;
    return NULL;
}

static char *g_allowed; /* every other demuxer's names, comma-separated; NULL: out of memory */
static pthread_once_t g_allowed_once = PTHREAD_ONCE_INIT;

static void list_allowed(void) {
    AVBPrint b;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    void *it = NULL;
    const AVInputFormat *f;
    while ((f = av_demuxer_iterate(&it)))
        if (!refused_as(f->name)) av_bprintf(&b, "%s%s", b.len ? "," : "", f->name);
    if (!av_bprint_is_complete(&b) || av_bprint_finalize(&b, &g_allowed) < 0) g_allowed = NULL;
}

char *cfmedia_file_url(const char *path) {
    size_t n = strlen(path) + sizeof "file:";
    char *url = av_malloc(n);
    if (url) snprintf(url, n, "file:%s", path);
    return url;
}

int cfmedia_access_options(AVDictionary **opts, const char *protocols) {
    pthread_once(&g_allowed_once, list_allowed);
    if (!g_allowed) return AVERROR(ENOMEM);
    int ret = av_dict_set(opts, "protocol_whitelist", protocols, 0);
    return ret < 0 ? ret : av_dict_set(opts, "format_whitelist", g_allowed, 0);
}

const char *cfmedia_refused_format(const char *path) {
    char *url = cfmedia_file_url(path);
    AVDictionary *opts = NULL;
    AVIOContext *pb = NULL;
    const AVInputFormat *f = NULL;
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    if (url && avio_open2(&pb, url, AVIO_FLAG_READ, NULL, &opts) >= 0)
        av_probe_input_buffer2(pb, &f, url, NULL, 0, 0);
    avio_closep(&pb);
    av_dict_free(&opts);
    av_free(url);
    return f ? refused_as(f->name) : NULL;
}

int cf_output_alloc(AVFormatContext **oc, const char *format, const char *path) {
    char *url = cfmedia_file_url(path);
    int ret = url ? avformat_alloc_output_context2(oc, NULL, format, url) : AVERROR(ENOMEM);
    av_free(url);
    /* the muxer's own openings (faststart reads the file again) may open this file alone */
    if (ret >= 0 && !((*oc)->protocol_whitelist = av_strdup("file"))) ret = AVERROR(ENOMEM);
    if (ret < 0) {
        avformat_free_context(*oc);
        *oc = NULL;
    }
    return ret;
}

int cf_output_open_file(AVFormatContext *oc) {
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    int ret = avio_open2(&oc->pb, oc->url, AVIO_FLAG_WRITE, NULL, &opts);
    av_dict_free(&opts);
    return ret;
}
