/* compile.c — compile(request) -> timeline. A request names either a hand-written timeline
 * (timeline_uri) or a template (templates/<id>.json, versioned data files) to apply to a source
 * span. Template strings "${title}", "${brand_color}", "${logo}", "${font}" take the request's
 * values or the template's defaults; an overlay whose variable has no value is left out, a style
 * member without a value falls back to the schema default. Font sizes are authored for the
 * template's reference_height and scaled to the canvas. Settings: the caller's template_dir, else
 * cf_render_settings.template_dir (CLIPFORGE_TEMPLATE_DIR, given by the app). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fmt.h"
#include "clipforge/json.h"
#include "clipforge/probe.h"
#include "clipforge/render.h"
#include "clipforge/uri.h"
#include "timeline_check.h"

#define MAX_DOC_BYTES (4 * 1024 * 1024)
#define MAX_DOC_DEPTH 32

cf_err cf_render_timeline_from_json(const json_t *j, cf_timeline *out, cf_error *err) {
    cf_err e = cf_timeline_from_json(j, out, err);
    if (e) return e;
    if ((e = cf_timeline_check(out, err))) cf_timeline_free(out);
    return e;
}

cf_err cf_render_timeline_load(const char *path, cf_timeline *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    json_t *j = cf_json_load_file(path, MAX_DOC_BYTES, MAX_DOC_DEPTH, err);
    if (!j) return err->code;
    cf_err e = cf_render_timeline_from_json(j, out, err);
    json_decref(j);
    if (e) cf_error_prefix(err, "%s", path);
    return e;
}

/* ---- variables ------------------------------------------------------------------------------ */

typedef struct vars {
    const cf_render_request *req;
    const json_t *defaults;
} vars;

static const char *var_value(const vars *v, const char *name) {
    const char *given = NULL;
    if (!strcmp(name, "title")) given = v->req->title;
    else if (!strcmp(name, "brand_color")) given = v->req->brand_color;
    else if (!strcmp(name, "logo")) given = v->req->logo_uri;
    else if (!strcmp(name, "font")) given = v->req->font;
    return given ? given : json_string_value(json_object_get(v->defaults, name));
}

/* Replaces "${name}" strings in place; returns false when one has no value (it is removed from
 * its object, or makes the caller drop the containing array item). */
static bool substitute(json_t *node, const vars *v) {
    bool complete = true;
    if (json_is_object(node)) {
        const char *key;
        json_t *val;
        void *tmp;
        json_object_foreach_safe(node, tmp, key, val) {
            if (json_is_string(val)) {
                const char *s = json_string_value(val);
                size_t n = strlen(s);
                if (n < 4 || strncmp(s, "${", 2) || s[n - 1] != '}') continue;
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)(n - 3 < 63 ? n - 3 : 63), s + 2);
                const char *value = var_value(v, name);
                if (value) json_object_set_new(node, key, json_string(value));
                else {
                    /* an overlay without its text or image has nothing to show */
                    if (!strcmp(key, "text") || !strcmp(key, "image_uri")) complete = false;
                    json_object_del(node, key); /* frees key */
                }
            } else if (!substitute(val, v)) {
                complete = false;
            }
        }
    } else if (json_is_array(node)) {
        for (size_t i = 0; i < json_array_size(node);) {
            if (!substitute(json_array_get(node, i), v)) json_array_remove(node, i);
            else i++;
        }
    }
    return complete;
}

/* ---- template to timeline ------------------------------------------------------------------- */

static json_t *load_template(const char *id, const char *dir, cf_error *err) {
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
            cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template_id: '%s' is not a template name", id);
            return NULL;
        }
    char path[4096];
    if (!cf_fmt(path, sizeof path, "%s/%s.json", dir, id)) {
        cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template directory %.200s...: path too long", dir);
        return NULL;
    }
    json_t *t = cf_json_load_file(path, MAX_DOC_BYTES, MAX_DOC_DEPTH, err);
    if (!t && err->code == CF_ERR_NOT_FOUND)
        cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template_id: unknown template '%s' (none in %s)", id,
                     dir);
    return t;
}

/* Far above any size the timeline schema allows (it refuses what is over), and far below where a
 * double stops converting to json_int_t. */
#define FONT_SIZE_CAP 1e9

static void scale_font(json_t *obj, double k) {
    json_t *fs = json_object_get(obj, "font_size");
    if (!json_is_integer(fs)) return;
    /* in double: a template's size times the scale may be beyond json_int_t */
    double v = (double)json_integer_value(fs) * k + 0.5;
    json_object_set_new(obj, "font_size",
                        json_integer(v < 8               ? 8
                                     : v > FONT_SIZE_CAP ? (json_int_t)FONT_SIZE_CAP
                                                         : (json_int_t)v));
}

/* Overlays: end_ms -1 means the end; clipped to the span; font sizes scaled. */
static void fit_overlays(json_t *overlays, int64_t dur, double k) {
    for (size_t i = 0; i < json_array_size(overlays);) {
        json_t *o = json_array_get(overlays, i);
        json_int_t s = json_integer_value(json_object_get(o, "start_ms"));
        json_int_t e = json_integer_value(json_object_get(o, "end_ms"));
        if (e < 0 || e > dur) json_object_set_new(o, "end_ms", json_integer(dur));
        if (s >= dur) {
            json_array_remove(overlays, i);
            continue;
        }
        json_t *style = json_object_get(o, "style");
        if (style) scale_font(style, k);
        i++;
    }
}

static cf_err span_end(const cf_render_request *req, int64_t *end, cf_error *err) {
    if (req->has_end_ms) {
        *end = req->end_ms;
        return CF_OK;
    }
    json_t *probe = NULL;
    const char *path = cf_uri_local_path(req->source_uri);
    cf_err e = cf_probe_file(path, &probe, err);
    if (e) return cf_error_prefix(err, "source_uri"), e;
    *end = json_integer_value(json_object_get(probe, "duration_ms"));
    json_decref(probe);
    if (*end <= req->start_ms)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "start_ms: after the end of the source (%lld ms)",
                            (long long)*end);
    return CF_OK;
}

static json_t *canvas_of(const json_t *t, const cf_render_request *req, double *k) {
    const json_t *c = json_object_get(t, "canvas");
    const json_t *dims =
        json_object_get(c, req->format == CF_RENDER_FORMAT_HORIZONTAL ? "horizontal" : "vertical");
    json_int_t w = req->has_width ? req->width : json_integer_value(json_object_get(dims, "width"));
    json_int_t h = req->has_height ? req->height : json_integer_value(json_object_get(dims, "height"));
    json_int_t ref = json_integer_value(json_object_get(c, "reference_height"));
    *k = ref > 0 ? (double)h / (double)ref : 1.0;
    json_t *fps = json_object_get(c, "fps"), *bg = json_object_get(c, "background");
    json_t *out = json_pack("{sI sI}", "width", w, "height", h);
    if (fps) json_object_set(out, "fps", fps);
    if (bg) json_object_set(out, "background", bg);
    return out;
}

static json_t *music_track(const json_t *t, const char *uri) {
    json_t *m = json_deep_copy(json_object_get(t, "music"));
    if (!m) m = json_object();
    json_object_set_new(m, "source_uri", json_string(uri));
    return m;
}

/* The timeline of template t (taken) over req's span [start_ms, end). */
static cf_err apply_template(json_t *t, const cf_render_request *req, int64_t end, cf_timeline *out,
                             cf_error *err) {
    vars v = {req, json_object_get(t, "defaults")};
    substitute(t, &v);
    double k;
    int64_t dur = end - req->start_ms;
    json_t *tl = json_object();
    json_object_set_new(tl, "canvas", canvas_of(t, req, &k));
    json_t *scene = json_deep_copy(json_object_get(t, "scene"));
    if (!scene) scene = json_object();
    json_object_set_new(scene, "source_uri", json_string(req->source_uri));
    json_object_set_new(scene, "in_ms", json_integer(req->start_ms));
    json_object_set_new(scene, "out_ms", json_integer(end));
    if (req->has_audio_stream) json_object_set_new(scene, "audio_stream", json_integer(req->audio_stream));
    json_object_set_new(tl, "scenes", json_pack("[o]", scene));
    json_t *overlays = json_deep_copy(json_object_get(t, "overlays"));
    fit_overlays(overlays, dur, k);
    json_object_set_new(tl, "overlays", overlays ? overlays : json_array());
    if (req->captions_uri) {
        json_t *cap = json_deep_copy(json_object_get(t, "captions"));
        if (!cap) cap = json_object();
        scale_font(cap, k);
        json_object_set_new(cap, "source_uri", json_string(req->captions_uri));
        json_object_set_new(cap, "offset_ms", json_integer(req->start_ms));
        json_object_set_new(tl, "captions", cap);
    }
    if (req->music_uri)
        json_object_set_new(tl, "audio_tracks", json_pack("[o]", music_track(t, req->music_uri)));
    json_t *outputs = json_deep_copy(json_object_get(t, "outputs"));
    json_object_set_new(tl, "outputs", outputs ? outputs : json_pack("[{ss}]", "format", "mp4"));
    json_decref(t);
    cf_err e = cf_render_timeline_from_json(tl, out, err);
    json_decref(tl);
    if (e) cf_error_prefix(err, "template %s", req->template_id ? req->template_id : "");
    return e;
}

static cf_err from_template(const cf_render_request *req, const char *dir, cf_timeline *out, cf_error *err) {
    if (!req->source_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "source_uri: required with template_id");
    int64_t end;
    cf_err e = span_end(req, &end, err);
    if (e) return e;
    json_t *t = load_template(req->template_id, dir, err);
    if (!t) return err->code;
    return apply_template(t, req, end, out, err);
}

cf_err cf_render_template_apply(const char *text, size_t len, const cf_render_request *req, int64_t end_ms,
                                cf_timeline *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    if (!req->source_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "source_uri: required with template_id");
    if (len > MAX_DOC_BYTES)
        return cf_error_set(err, CF_ERR_TOO_LARGE, "template: more than %d bytes", MAX_DOC_BYTES);
    json_t *t = cf_json_parse(text, len, MAX_DOC_DEPTH, err);
    if (!t) return err->code;
    return apply_template(t, req, end_ms, out, err);
}

/* The inline timeline, copied through its JSON form and validated like a file's. */
static cf_err inline_timeline(const cf_timeline *tl, cf_timeline *out, cf_error *err) {
    json_t *j = cf_timeline_to_json(tl);
    if (!j) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err e = cf_render_timeline_from_json(j, out, err);
    json_decref(j);
    if (e) cf_error_prefix(err, "timeline");
    return e;
}

cf_err cf_render_compile_in(const cf_render_request *req, const char *template_dir, cf_timeline *out,
                            cf_error *err) {
    memset(out, 0, sizeof *out);
    if ((req->timeline_uri != NULL) + (req->timeline != NULL) + (req->template_id != NULL) > 1)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "%s: give one of timeline, timeline_uri or template_id",
                            req->template_id ? "template_id" : "timeline_uri");
    if (req->timeline) return inline_timeline(req->timeline, out, err);
    if (req->timeline_uri) {
        const char *p = cf_uri_local_path(req->timeline_uri);
        return cf_render_timeline_load(p, out, err);
    }
    if (!req->template_id)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "template_id: a template, a timeline or a timeline_uri is required");
    return from_template(req, template_dir && *template_dir ? template_dir : cf_render_template_dir(), out,
                         err);
}

cf_err cf_render_compile(const cf_render_request *req, cf_timeline *out, cf_error *err) {
    return cf_render_compile_in(req, NULL, out, err);
}
