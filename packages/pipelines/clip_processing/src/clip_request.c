/* clip_request.c — request → plan. The schema already bounds every field; this adds what a
 * schema cannot say: one operation of each kind, local sources only. */
#include "clip_request.h"

#include <string.h>

#include "clipforge/uri.h"

const char *cfclip_local_path(const char *uri) {
    if (!uri) return NULL;
    if (cf_uri_rest(uri, "file")) return cf_uri_local_path(uri);
    const char *colon = strchr(uri, ':'), *slash = strchr(uri, '/');
    /* "scheme:..." before any '/' is a URI we cannot open here (media://, s3://, http://). */
    if (colon && (!slash || colon < slash) && colon[1] == '/' && colon[2] == '/') return NULL;
    return uri;
}

static cfclip_format format_of(cf_target_format f) {
    return f == CF_TARGET_FORMAT_WEBM ? CFCLIP_WEBM : f == CF_TARGET_FORMAT_GIF ? CFCLIP_GIF : CFCLIP_MP4;
}

static cfclip_trim_mode trim_mode_of(cf_trim_mode m) {
    return m == CF_TRIM_MODE_COPY       ? CFCLIP_TRIM_COPY
           : m == CF_TRIM_MODE_ACCURATE ? CFCLIP_TRIM_ACCURATE
           : m == CF_TRIM_MODE_SMART    ? CFCLIP_TRIM_SMART
                                        : CFCLIP_TRIM_AUTO;
}

static cf_err apply_op(const cf_clip_operation *op, cfclip_plan *p, size_t i, cf_error *err) {
    switch (op->op) {
    case CF_CLIP_OP_TRIM:
        p->trim = true;
        p->start_ms = op->as.trim.start_ms;
        p->end_ms = op->as.trim.end_ms;
        p->trim_mode = trim_mode_of(op->as.trim.mode);
        break;
    case CF_CLIP_OP_SCALE:
        p->scale_w = (int)op->as.scale.width;
        p->scale_h = (int)op->as.scale.height;
        break;
    case CF_CLIP_OP_CROP:
        p->crop = true;
        p->crop_w = (int)op->as.crop.width;
        p->crop_h = (int)op->as.crop.height;
        p->crop_x = (int)op->as.crop.x;
        p->crop_y = (int)op->as.crop.y;
        break;
    case CF_CLIP_OP_FPS: p->fps = op->as.fps.fps; break;
    case CF_CLIP_OP_NORMALIZE_AUDIO:
        p->normalize = true;
        p->target_lufs = op->as.normalize_audio.target_lufs;
        p->true_peak_db = op->as.normalize_audio.true_peak_db;
        break;
    case CF_CLIP_OP_MUTE: p->mute = true; break;
    case CF_CLIP_OP_SPEED: p->speed = op->as.speed.factor; break;
    case CF_CLIP_OP_THUMBNAIL:
        p->thumbnail = true;
        p->thumb_ms = op->as.thumbnail.at_ms;
        p->thumb_w = (int)op->as.thumbnail.width;
        p->thumb_path = op->as.thumbnail.output_uri ? cfclip_local_path(op->as.thumbnail.output_uri) : NULL;
        if (op->as.thumbnail.output_uri && !p->thumb_path)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "operations[%zu].output_uri: only local paths and file:// URIs "
                                "can be written here",
                                i);
        break;
    case CF_CLIP_OP_REMOVE_SILENCE:
        p->remove_silence = true;
        p->min_pause_ms = op->as.remove_silence.min_pause_ms;
        p->margin_ms = op->as.remove_silence.margin_ms;
        break;
    case CF_CLIP_OP_REMOVE_FILLERS:
        p->remove_fillers = true;
        p->fillers = op->as.remove_fillers.n_words ? op->as.remove_fillers.words : NULL;
        p->n_fillers = op->as.remove_fillers.n_words;
        break;
    default: return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "operations[%zu]: unknown operation", i);
    }
    return CF_OK;
}

cf_err cfclip_plan_from_request(const cf_clip_processing_request *req, cfclip_plan *plan, cf_error *err) {
    const char *input = cfclip_local_path(req->source_uri);
    if (!req->source_uri || !*req->source_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "source_uri: missing");
    if (!input)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "source_uri: '%s' is not a local path or file:// URI", req->source_uri);
    cfclip_plan_init(plan, input, format_of(req->target_format));
    plan->select.has_audio_stream = req->has_audio_stream;
    plan->select.audio_stream = (int)req->audio_stream;
    plan->transcript = req->transcript;
    unsigned seen = 0;
    for (size_t i = 0; i < req->n_operations; i++) {
        const cf_clip_operation *op = &req->operations[i];
        unsigned bit = op->op < CF_CLIP_OP_KIND_COUNT ? 1u << (unsigned)op->op : 0;
        if (seen & bit)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "operations[%zu]: %s given twice", i,
                                cf_clip_op_kind_to_string(op->op));
        seen |= bit;
        cf_err rc = apply_op(op, plan, i, err);
        if (rc) return rc;
    }
    return CF_OK;
}
