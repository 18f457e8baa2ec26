/* measure.c — artifacts measured on the written file (clipforge/measure.h). */
#include "clipforge/measure.h"

#include <stdlib.h>
#include <string.h>

#include "clipforge/fs.h"
#include "clipforge/probe.h"

static char *dup_or_null(const char *s) {
    return s && *s ? strdup(s) : NULL;
}

static int64_t get_int(const json_t *o, const char *key, bool *has) {
    const json_t *v = json_object_get(o, key);
    *has = json_is_integer(v);
    return *has ? json_integer_value(v) : 0;
}

/* Copies an integer member into *dst / *has_dst when the probe states it (and it is > min). */
static void take(const json_t *o, const char *key, int64_t min, int64_t *dst, bool *has_dst) {
    bool has;
    int64_t v = get_int(o, key, &has);
    *has_dst = has && v > min;
    if (*has_dst) *dst = v;
}

static int fill_stream(const json_t *s, cf_stream_kind kind, cf_artifact_stream *o) {
    bool has;
    cf_artifact_stream_init(o);
    o->index = get_int(s, "index", &has);
    o->kind = kind;
    o->codec = dup_or_null(json_string_value(json_object_get(s, "codec")));
    if (!o->codec) o->codec = strdup("unknown");
    take(s, "duration_ms", -1, &o->duration_ms, &o->has_duration_ms);
    take(s, "start_ms", INT64_MIN, &o->start_ms, &o->has_start_ms);
    if (kind == CF_STREAM_KIND_VIDEO) {
        take(s, "display_width", 0, &o->width, &o->has_width);
        take(s, "display_height", 0, &o->height, &o->has_height);
    } else {
        take(s, "sample_rate", 0, &o->sample_rate, &o->has_sample_rate);
        take(s, "channels", 0, &o->channels, &o->has_channels);
    }
    return o->codec ? 0 : -1;
}

static int fill_streams(const json_t *probe, cf_artifact *a) {
    const json_t *list = json_object_get(probe, "streams");
    size_t i, n = 0;
    json_t *s;
    a->streams = calloc(json_array_size(list) + 1, sizeof *a->streams);
    if (!a->streams) return -1;
    json_array_foreach(list, i, s) {
        const char *type = json_string_value(json_object_get(s, "type"));
        bool video = type && !strcmp(type, "video"), audio = type && !strcmp(type, "audio");
        if (!video && !audio) continue;
        if (fill_stream(s, video ? CF_STREAM_KIND_VIDEO : CF_STREAM_KIND_AUDIO, &a->streams[n]) < 0)
            return -1;
        n++;
        if (video && !a->video_codec) {
            a->video_codec = dup_or_null(a->streams[n - 1].codec);
            a->width = a->streams[n - 1].width, a->has_width = a->streams[n - 1].has_width;
            a->height = a->streams[n - 1].height, a->has_height = a->streams[n - 1].has_height;
        } else if (audio && !a->audio_codec) {
            a->audio_codec = dup_or_null(a->streams[n - 1].codec);
        }
        a->n_streams = n;
    }
    return 0;
}

cf_err cf_media_measure(const char *path, cf_artifact_kind kind, const char *mime, cf_artifact *a,
                        cf_error *err) {
    json_t *probe = NULL;
    cf_artifact_init(a);
    cf_err rc = cf_probe_file(path, &probe, err);
    if (rc) {
        cf_error_prefix(err, "measuring the output");
        return rc;
    }
    bool has;
    a->kind = kind;
    a->uri = strdup(path);
    a->mime = strdup(mime);
    a->bytes = cf_file_size(path);
    a->duration_ms = get_int(probe, "duration_ms", &has);
    a->has_duration_ms = has && kind != CF_ARTIFACT_KIND_THUMBNAIL;
    int bad = fill_streams(probe, a);
    json_decref(probe);
    if (!a->uri || !a->mime || bad) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

void cf_media_note_sources(cf_artifact *a, int video_source, int audio_source) {
    for (size_t i = 0; i < a->n_streams; i++) {
        int src = a->streams[i].kind == CF_STREAM_KIND_VIDEO ? video_source : audio_source;
        a->streams[i].has_source_index = src >= 0;
        a->streams[i].source_index = src >= 0 ? src : 0;
    }
}

static bool has_kind(const cf_artifact *a, cf_stream_kind kind) {
    for (size_t i = 0; i < a->n_streams; i++)
        if (a->streams[i].kind == kind) return true;
    return false;
}

cf_err cf_media_expect_streams(const cf_artifact *a, bool want_video, bool want_audio, cf_error *err) {
    const char *missing = want_video && !has_kind(a, CF_STREAM_KIND_VIDEO)   ? "video"
                          : want_audio && !has_kind(a, CF_STREAM_KIND_AUDIO) ? "audio"
                                                                             : NULL;
    if (!missing) return CF_OK;
    return cf_error_set(err, CF_ERR_PROCESSING,
                        "%s has no %s stream although its source has one: refusing a result that "
                        "lost it",
                        a->uri, missing);
}
