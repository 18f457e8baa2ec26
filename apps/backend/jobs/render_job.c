/* render_job.c — render: parse the request with the generated domain parser, resolve every
 * media:// it names, compile the timeline (templates from CLIPFORGE_TEMPLATE_DIR), render into
 * the attempt's work dir with the job's progress (cancel reaches the frame loop), store every
 * file under jobs/<id>/<attempt>/ and deliver to the destinations. */
#include "jobs/render_job.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/domain/types.h"
#include "clipforge/fmt.h"
#include "clipforge/fs.h"
#include "clipforge/render.h"
#include "application/auth.h"
#include "clipforge/uri.h"

/* ---- validation ----------------------------------------------------------------------------- */

/* A URI a client may name: absent, media://<id> or storage://<key>. */
static cf_err check_uri(const char *uri, const char *field, cf_error *err) {
    if (!uri || cf_uri_rest(uri, "media") || cf_uri_rest(uri, "storage")) return CF_OK;
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: must be media://<id> (upload with POST /v1/media)",
                        field);
}

/* Fonts are family names here: a path would let a client point the server at its files. */
static cf_err check_font(const char *font, const char *field, cf_error *err) {
    if (!font || !strchr(font, '/')) return CF_OK;
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s: a font family name, not a path", field);
}

static cf_err check_timeline(const cf_timeline *tl, cf_error *err) {
    char field[64];
    cf_err e = CF_OK;
    for (size_t i = 0; !e && i < tl->n_scenes; i++) {
        snprintf(field, sizeof field, "timeline.scenes[%zu].source_uri", i);
        e = check_uri(tl->scenes[i].source_uri, field, err);
    }
    for (size_t i = 0; !e && i < tl->n_overlays; i++) {
        snprintf(field, sizeof field, "timeline.overlays[%zu].image_uri", i);
        e = check_uri(tl->overlays[i].image_uri, field, err);
        snprintf(field, sizeof field, "timeline.overlays[%zu].style.font", i);
        if (!e && tl->overlays[i].style) e = check_font(tl->overlays[i].style->font, field, err);
    }
    for (size_t i = 0; !e && i < tl->n_audio_tracks; i++) {
        snprintf(field, sizeof field, "timeline.audio_tracks[%zu].source_uri", i);
        e = check_uri(tl->audio_tracks[i].source_uri, field, err);
    }
    for (size_t i = 0; !e && i < tl->n_outputs; i++)
        if (tl->outputs[i].uri)
            e = cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                             "timeline.outputs[%zu].uri: the service chooses where outputs go; "
                             "use destinations",
                             i);
    if (!e && tl->captions) e = check_uri(tl->captions->source_uri, "timeline.captions.source_uri", err);
    if (!e && tl->captions) e = check_font(tl->captions->font, "timeline.captions.font", err);
    if (e) return e;
    /* the cross-field rules of the renderer (text present, colours, installed fonts...) */
    cf_render_request only = {.timeline = (cf_timeline *)tl};
    cf_timeline checked;
    if ((e = cf_render_compile_in(&only, NULL, &checked, err)) == CF_OK) cf_timeline_free(&checked);
    return e;
}

static cf_err check_template(const char *id, const cf_config *cfg, cf_error *err) {
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template_id: '%s' is not a template name", id);
    const char *dir = *cfg->template_dir ? cfg->template_dir : cf_render_template_dir();
    char path[4096];
    if (!cf_fmt(path, sizeof path, "%s/%s.json", dir, id))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template directory %.200s...: path too long", dir);
    if (access(path, R_OK) != 0)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "template_id: unknown template '%s'", id);
    return CF_OK;
}

/* storage://<prefix> where prefix is a valid key outside the server's own media/ and jobs/. */
static const char *destination_prefix(const char *uri) {
    const char *key = cf_uri_rest(uri, "storage");
    if (!key) return NULL;
    if (!cf_storage_key_valid(key) || !strncmp(key, "media/", 6) || !strcmp(key, "media") ||
        !strncmp(key, "jobs/", 5) || !strcmp(key, "jobs"))
        return NULL;
    return key;
}

static cf_err check_destinations(const cf_render_request *req, cf_error *err) {
    for (size_t i = 0; i < req->n_destinations; i++) {
        const cf_render_destination *d = &req->destinations[i];
        if (d->kind == CF_DESTINATION_KIND_STORAGE && !destination_prefix(d->uri))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "destinations[%zu].uri: must be storage://<prefix> outside media/ and jobs/",
                                i);
        if (d->kind == CF_DESTINATION_KIND_WEBHOOK && (!d->url || !cf_uri_is_http(d->url)))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                                "destinations[%zu].url: must be http:// or https://", i);
    }
    return CF_OK;
}

static cf_err check_request(const cf_render_request *req, const cf_config *cfg, cf_error *err) {
    if (req->timeline_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "timeline_uri: send the timeline inline as \"timeline\"");
    if (req->output_uri)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "output_uri: the service chooses where outputs go; use destinations");
    if (req->timeline && req->template_id)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "template_id: give a timeline or a template, not both");
    if (!req->timeline && !req->template_id)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "template_id: a template or a timeline is required");
    cf_err e = CF_OK;
    if (req->template_id) {
        if (!req->source_uri)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "source_uri: required with template_id");
        e = check_uri(req->source_uri, "source_uri", err);
        if (!e) e = check_template(req->template_id, cfg, err);
    }
    if (!e) e = check_uri(req->captions_uri, "captions_uri", err);
    if (!e) e = check_uri(req->music_uri, "music_uri", err);
    if (!e) e = check_uri(req->logo_uri, "logo_uri", err);
    if (!e) e = check_font(req->font, "font", err);
    if (!e && req->timeline) e = check_timeline(req->timeline, err);
    if (!e && req->transcript && !req->template_id)
        e = cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                         "transcript: goes with template_id (a timeline names its captions)");
    if (!e) e = check_destinations(req, err);
    return e;
}

cf_err cf_render_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                              cf_error *err) {
    cf_render_request req;
    memset(&req, 0, sizeof req);
    cf_err rc = cf_render_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = check_request(&req, cfg, err);
    if (rc == CF_OK && !(*normalized = cf_render_request_to_json(&req)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_render_request_free(&req);
    return rc;
}

/* ---- the run -------------------------------------------------------------------------------- */

/* Replaces *uri (media:// or storage://) by the local path of its object. */
static cf_err resolve(cf_job_context *ctx, char **uri, const char *field, cf_error *err) {
    if (!*uri) return CF_OK;
    char *path = NULL;
    cf_err rc = cf_job_resolve_source(ctx, *uri, &path, err);
    if (rc) {
        cf_error_prefix(err, "%s", field);
        return rc;
    }
    free(*uri);
    *uri = path;
    return CF_OK;
}

static cf_err resolve_timeline(cf_job_context *ctx, cf_timeline *tl, cf_error *err) {
    cf_err rc = CF_OK;
    char field[48];
    for (size_t i = 0; !rc && i < tl->n_scenes; i++) {
        snprintf(field, sizeof field, "timeline.scenes[%zu]", i);
        rc = resolve(ctx, &tl->scenes[i].source_uri, field, err);
    }
    for (size_t i = 0; !rc && i < tl->n_overlays; i++) {
        snprintf(field, sizeof field, "timeline.overlays[%zu]", i);
        rc = resolve(ctx, &tl->overlays[i].image_uri, field, err);
    }
    for (size_t i = 0; !rc && i < tl->n_audio_tracks; i++) {
        snprintf(field, sizeof field, "timeline.audio_tracks[%zu]", i);
        rc = resolve(ctx, &tl->audio_tracks[i].source_uri, field, err);
    }
    if (!rc && tl->captions) rc = resolve(ctx, &tl->captions->source_uri, "timeline.captions", err);
    return rc;
}

/* An inline transcript (captions as the editor left them) becomes the captions file. */
static cf_err inline_captions(cf_job_context *ctx, cf_render_request *req, cf_error *err) {
    json_t *j = cf_transcript_to_json(req->transcript);
    char *path = cf_path_join(ctx->work_dir, "captions.json");
    cf_err rc = j && path && json_dump_file(j, path, JSON_COMPACT) == 0
                    ? CF_OK
                    : cf_error_set(err, CF_ERR_IO, "transcript: cannot write it for the renderer");
    json_decref(j);
    if (rc) return free(path), rc;
    free(req->captions_uri);
    req->captions_uri = path;
    return CF_OK;
}

static cf_err resolve_request(cf_job_context *ctx, cf_render_request *req, cf_error *err) {
    cf_err rc = resolve(ctx, &req->source_uri, "source_uri", err);
    if (!rc && req->transcript) rc = inline_captions(ctx, req, err);
    else if (!rc) rc = resolve(ctx, &req->captions_uri, "captions_uri", err);
    if (!rc) rc = resolve(ctx, &req->music_uri, "music_uri", err);
    if (!rc) rc = resolve(ctx, &req->logo_uri, "logo_uri", err);
    if (!rc && req->timeline) rc = resolve_timeline(ctx, req->timeline, err);
    return rc;
}

/* Stores every file of the result under the attempt's prefix and rewrites its uri (and
 * render_uri, the first output) to storage://. */
static cf_err store_outputs(cf_job_context *ctx, cf_render_result *res, cf_error *err) {
    for (size_t i = 0; i < res->n_outputs; i++) {
        cf_artifact *a = &res->outputs[i];
        const char *base = strrchr(a->uri, '/');
        char *uri = NULL;
        cf_err rc = cf_job_store_output(ctx, a->uri, base ? base + 1 : a->uri, &uri, err);
        if (rc) return rc;
        if (!strcmp(res->render_uri, a->uri)) {
            free(res->render_uri);
            res->render_uri = strdup(uri);
        }
        free(a->uri);
        a->uri = uri;
        if (!res->render_uri) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    return CF_OK;
}

/* Copies every stored output to <prefix>/<name> through the storage backend. */
static cf_err to_storage(cf_job_context *ctx, const cf_render_result *res, const char *prefix,
                         const char *work_dir, cf_error *err) {
    for (size_t i = 0; i < res->n_outputs; i++) {
        const char *slash = strrchr(res->outputs[i].uri, '/');
        const char *name = slash ? slash + 1 : res->outputs[i].uri;
        char *src = cf_path_join(work_dir, name), *key = cf_path_join(prefix, name);
        cf_err rc = src && key ? cf_storage_put_file(ctx->storage, key, src, err)
                               : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        free(src);
        free(key);
        if (rc) return rc;
    }
    return CF_OK;
}

/* The webhook receives signed download links beside the storage:// URIs. */
static void sign_outputs(cf_job_context *ctx, cf_render_result *res) {
    int64_t now_s = (int64_t)time(NULL);
    for (size_t i = 0; i < res->n_outputs; i++) {
        cf_error ignored;
        free(res->outputs[i].url);
        res->outputs[i].url = NULL;
        const char *key = cf_uri_rest(res->outputs[i].uri, "storage");
        if (key)
            cf_storage_sign(ctx->storage, ctx->tenant, key, ctx->cfg->url_ttl_s, now_s, &res->outputs[i].url,
                            &ignored);
    }
}

static cf_err deliver(cf_job_context *ctx, const cf_render_request *req, cf_render_result *res,
                      cf_error *err) {
    for (size_t i = 0; i < req->n_destinations; i++) {
        const cf_render_destination *d = &req->destinations[i];
        cf_err rc;
        const char *prefix = d->kind == CF_DESTINATION_KIND_STORAGE ? destination_prefix(d->uri) : NULL;
        if (prefix && !cf_tenant_key_allowed(ctx->store, ctx->tenant, prefix)) {
            rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "uri: outside the tenant's storage (tenants/%s/)",
                              ctx->tenant);
        } else if (prefix) {
            rc = to_storage(ctx, res, prefix, ctx->work_dir, err);
        } else {
            sign_outputs(ctx, res);
            rc = cf_render_deliver(res, d, err);
        }
        if (rc) return cf_error_prefix(err, "destinations[%zu]", i), rc;
    }
    for (size_t i = 0; i < res->n_outputs; i++) {
        free(res->outputs[i].url); /* the API signs afresh whenever the job is read */
        res->outputs[i].url = NULL;
    }
    return CF_OK;
}

static cf_err render(cf_job_context *ctx, cf_render_request *req, cf_render_result *res, cf_error *err) {
    cf_timeline tl;
    cf_err rc = cf_render_compile_in(req, ctx->cfg->template_dir, &tl, err);
    if (rc) return rc;
    char *output = cf_path_join(ctx->work_dir, "render"); /* the render adds its format's extension */
    if (!output) {
        cf_timeline_free(&tl);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    cf_render_options opts = {.output_path = output,
                              .temp_dir = ctx->work_dir,
                              .threads = (int)ctx->cfg->threads,
                              .template_dir = ctx->cfg->template_dir};
    rc = cf_render_timeline(&tl, req->clip_id, &opts, ctx->progress, res, err);
    free(output);
    cf_timeline_free(&tl);
    return rc;
}

cf_err cf_render_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {
    cf_render_request req;
    cf_render_result res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    cf_err rc = cf_render_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = check_request(&req, ctx->cfg, err);
    if (rc == CF_OK) rc = resolve_request(ctx, &req, err);
    if (rc == CF_OK) rc = render(ctx, &req, &res, err);
    if (rc == CF_OK) rc = store_outputs(ctx, &res, err);
    if (rc == CF_OK) rc = deliver(ctx, &req, &res, err);
    if (rc == CF_OK && !(*result = cf_render_result_to_json(&res)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_render_request_free(&req);
    cf_render_result_free(&res);
    return rc;
}
