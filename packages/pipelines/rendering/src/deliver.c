/* deliver.c — render destinations: a storage directory (every artifact copied in) and a webhook
 * (the RenderResult JSON handed to the app's cf_render_webhook adapter, which does the HTTP).
 * Also cf_render_run, the compile -> render -> deliver sequence a job runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fs.h"
#include "clipforge/render.h"
#include "clipforge/uri.h"
#include "render_cut.h"
#include "render_settings.h"

static cf_err to_storage(const cf_render_result *res, const char *uri, cf_error *err) {
    const char *dir = cf_uri_local_path(uri);
    cf_err e = cf_mkdir_p(dir, err);
    for (size_t i = 0; !e && i < res->n_outputs; i++) {
        const char *base = strrchr(res->outputs[i].uri, '/');
        char *dst = cf_path_join(dir, base ? base + 1 : res->outputs[i].uri);
        e = dst ? cf_copy_file(res->outputs[i].uri, dst, err)
                : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        free(dst);
    }
    return e;
}

static cf_err to_webhook(const cf_render_result *res, const cf_render_destination *d, cf_error *err) {
    if (!d->url)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "destinations.url: required for a webhook");
    if (!cf_uri_is_http(d->url))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "destinations.url: must be http:// or https://");
    const cf_render_webhook *hook = cf_render_setting_webhook();
    if (!hook) return cf_error_set(err, CF_ERR_UNSUPPORTED, "webhook destinations: none in this program");
    json_t *j = cf_render_result_to_json(res);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_err e = hook->post(hook->self, d, body, err);
    free(body);
    return e;
}

cf_err cf_render_deliver(const cf_render_result *res, const cf_render_destination *d, cf_error *err) {
    if (d->kind == CF_DESTINATION_KIND_WEBHOOK) return to_webhook(res, d, err);
    if (!d->uri) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "destinations.uri: required for storage");
    return to_storage(res, d->uri, err);
}

/* remove_silence: tl cut into the pieces that speak, moved captions in a temp dir (*dir, the
 * caller removes it). */
static cf_err cut_silence(const cf_render_request *req, const cf_render_options *opts, cf_progress *progress,
                          cf_timeline *tl, cf_jump_cut *cut, char **dir, cf_error *err) {
    cf_err e = cf_make_temp_dir(opts->temp_dir, "cfrender-cut-", dir, err);
    return e ? e : cf_render_cut(req, *dir, opts->threads, progress, tl, cut, err);
}

static cf_err record_removed(cf_render_result *out, const cf_jump_cut *cut, cf_error *err) {
    return cf_jump_cut_copy_removed(cut->removed, cut->n_removed, &out->removed_ranges,
                                    &out->n_removed_ranges, err);
}

cf_err cf_render_run(const cf_render_request *req, const cf_render_options *opts, cf_progress *progress,
                     cf_render_result *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_timeline tl;
    cf_jump_cut cut = {0};
    char *cut_dir = NULL;
    cf_err e = cf_render_compile_in(req, opts->template_dir, &tl, err);
    if (e) return e;
    if (req->remove_silence) e = cut_silence(req, opts, progress, &tl, &cut, &cut_dir, err);
    cf_render_options o = *opts;
    if (req->output_uri) o.output_path = cf_uri_local_path(req->output_uri);
    if (!e) e = cf_render_timeline(&tl, req->clip_id, &o, progress, out, err);
    if (!e) e = record_removed(out, &cut, err);
    cf_timeline_free(&tl);
    cf_jump_cut_free(&cut);
    if (cut_dir) {
        cf_error ignored;
        cf_remove_tree(cut_dir, &ignored);
        free(cut_dir);
    }
    for (size_t i = 0; !e && i < req->n_destinations; i++) {
        e = cf_render_deliver(out, &req->destinations[i], err);
        if (e) cf_error_prefix(err, "destinations[%zu]", i);
    }
    if (e) cf_render_result_free(out);
    return e;
}
