/* clip_plan.c — defaults and source-independent checks of a clip plan. Limits come from the
 * plan (max_dimension is CLIPFORGE_MAX_DIMENSION) so every entry point enforces the same ones. */
#include "clip_plan.h"

#include <math.h>
#include <string.h>
#include <strings.h>

void cfclip_plan_init(cfclip_plan *plan, const char *input, cfclip_format format) {
    memset(plan, 0, sizeof *plan);
    plan->input = input;
    plan->format = format;
    plan->trim_mode = CFCLIP_TRIM_AUTO;
    plan->target_lufs = -14.0;
    plan->true_peak_db = -1.0;
    plan->speed = 1.0;
    plan->max_dimension = 8192;
}

static cf_err check_trim(const cfclip_plan *p, cf_error *err) {
    if (!p->trim) return CF_OK;
    if (p->start_ms < 0 || p->end_ms < 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "trim: times must not be negative");
    if (p->end_ms <= p->start_ms)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "trim: end (%lld ms) must be after start (%lld ms)",
                            (long long)p->end_ms, (long long)p->start_ms);
    return CF_OK;
}

static cf_err check_size(const char *what, int w, int h, bool allow_keep, int max, cf_error *err) {
    int lo = allow_keep ? -1 : 1;
    if (w < lo || h < lo || w == 0 || h == 0 || (w == -1 && h == -1))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: %dx%d is not a valid size%s", what, w, h,
                            allow_keep ? " (positive, or -1 on one side to keep the aspect)" : "");
    if (w > max || h > max)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "%s: %dx%d is larger than the limit of %d pixels per side", what, w, h, max);
    return CF_OK;
}

static cf_err check_ops(const cfclip_plan *p, cf_error *err) {
    cf_err rc;
    if (p->scale_w || p->scale_h) {
        if ((rc = check_size("scale", p->scale_w, p->scale_h, true, p->max_dimension, err))) return rc;
    }
    if (p->crop) {
        if ((rc = check_size("crop", p->crop_w, p->crop_h, false, p->max_dimension, err))) return rc;
        if (p->crop_x < 0 || p->crop_y < 0)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "crop: x and y must not be negative");
    }
    if (p->fps != 0 && !(p->fps >= 0.1 && p->fps <= 240))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "fps: %g is out of range [0.1, 240]", p->fps);
    if (!(p->speed >= CFCLIP_MIN_SPEED && p->speed <= CFCLIP_MAX_SPEED))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "speed: %g is out of range [%g, %g]", p->speed,
                            CFCLIP_MIN_SPEED, CFCLIP_MAX_SPEED);
    if (p->normalize && !(p->target_lufs >= -70 && p->target_lufs <= -5))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "normalize_audio: target %g LUFS is out of range [-70, -5]", p->target_lufs);
    if (p->normalize && !(p->true_peak_db >= -9 && p->true_peak_db <= 0))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "normalize_audio: true peak %g dBTP is out of range [-9, 0]", p->true_peak_db);
    if ((p->remove_silence || p->remove_fillers) && p->format == CFCLIP_GIF)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "remove_silence / remove_fillers: gif output has no sound to find pauses in");
    if (p->thumbnail && (p->thumb_ms < 0 || p->thumb_w < 0 || p->thumb_w > p->max_dimension))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "thumbnail: time must not be negative and width must be in [0, %d]",
                            p->max_dimension);
    return CF_OK;
}

cf_err cfclip_plan_check(const cfclip_plan *plan, cf_error *err) {
    if (!plan->input || !*plan->input)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no input file given");
    cf_err rc = check_trim(plan, err);
    return rc ? rc : check_ops(plan, err);
}

bool cfclip_plan_needs_pictures(const cfclip_plan *p) {
    return p->scale_w || p->scale_h || p->crop || p->fps > 0 || p->speed != 1.0 || p->format == CFCLIP_GIF ||
           p->remove_silence || p->remove_fillers;
}

bool cfclip_plan_needs_decoding(const cfclip_plan *p) {
    return p->normalize || cfclip_plan_needs_pictures(p);
}

static const struct {
    const char *name, *mime;
} formats[] = {{"mp4", "video/mp4"}, {"webm", "video/webm"}, {"gif", "image/gif"}};

const char *cfclip_format_name(cfclip_format f) {
    return formats[f].name;
}
const char *cfclip_format_mime(cfclip_format f) {
    return formats[f].mime;
}

int cfclip_format_parse(const char *name, cfclip_format *out) {
    for (int i = 0; i < 3; i++)
        if (name && !strcasecmp(name, formats[i].name)) {
            *out = (cfclip_format)i;
            return 0;
        }
    return -1;
}
