/* clip_job.c — clip_processing: parse the request with the generated domain parser, resolve
 * media:// sources, run the pipeline into the attempt's temp dir, store the outputs under
 * jobs/<id>/<attempt>/ and answer the pipeline's result with storage:// URIs. */
#include "jobs/clip_job.h"

#include <stdlib.h>
#include <string.h>

#include "clipforge/clip.h"
#include "clipforge/domain/types.h"
#include "clipforge/uri.h"

cf_err cf_clip_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized, cf_error *err) {
    (void)cfg;
    cf_clip_processing_request req;
    memset(&req, 0, sizeof req);
    cf_err rc = cf_clip_processing_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_require_media("source_uri", req.source_uri, err);
    if (rc == CF_OK && !(*normalized = cf_clip_processing_request_to_json(&req)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_clip_processing_request_free(&req);
    return rc;
}

static const char *extension(cf_target_format f) {
    return f == CF_TARGET_FORMAT_WEBM ? "webm" : f == CF_TARGET_FORMAT_GIF ? "gif" : "mp4";
}

/* Moves every artifact file the pipeline wrote into storage, rewriting its uri. */
static cf_err store_artifacts(cf_job_context *ctx, cf_clip_processing_result *res, cf_error *err) {
    for (size_t i = 0; i < res->n_artifacts; i++) {
        cf_artifact *a = &res->artifacts[i];
        if (!a->uri) continue;
        const char *path = cf_uri_local_path(a->uri);
        const char *base = strrchr(path, '/');
        char name[64];
        snprintf(name, sizeof name, "%zu-%s", i, base ? base + 1 : path);
        char *uri = NULL;
        cf_err rc = cf_job_store_output(ctx, path, name, &uri, err);
        if (rc) return rc;
        if (res->output_uri && !strcmp(res->output_uri, a->uri)) {
            free(res->output_uri);
            res->output_uri = strdup(uri);
        }
        free(a->uri);
        a->uri = uri;
    }
    return CF_OK;
}

/* Thumbnails go to the attempt's temp dir whatever path the request names: a client never
 * chooses where the server writes. */
static cf_err place_thumbnails(cf_job_context *ctx, cf_clip_processing_request *req, cf_error *err) {
    for (size_t i = 0; i < req->n_operations; i++) {
        cf_clip_operation *op = &req->operations[i];
        if (op->op != CF_CLIP_OP_THUMBNAIL) continue;
        size_t n = strlen(ctx->work_dir) + 32;
        char *path = malloc(n);
        if (!path) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        snprintf(path, n, "%s/thumbnail-%zu.jpg", ctx->work_dir, i);
        free(op->as.thumbnail.output_uri);
        op->as.thumbnail.output_uri = path;
    }
    return CF_OK;
}

cf_err cf_clip_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {
    cf_clip_processing_request req;
    cf_clip_processing_result res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    char *source = NULL, output[4096];
    cf_err rc = cf_clip_processing_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = place_thumbnails(ctx, &req, err);
    if (rc == CF_OK) rc = cf_job_resolve_source(ctx, req.source_uri, &source, err);
    if (rc == CF_OK) {
        free(req.source_uri);
        req.source_uri = source;
        source = NULL;
        snprintf(output, sizeof output, "%s/output.%s", ctx->work_dir, extension(req.target_format));
        cf_clip_options opts = {
            .output_path = output, .temp_dir = ctx->work_dir, .threads = (int)ctx->cfg->threads};
        rc = cf_clip_run(&req, &opts, ctx->progress, &res, err);
    }
    if (rc == CF_OK) rc = store_artifacts(ctx, &res, err);
    if (rc == CF_OK && !(*result = cf_clip_processing_result_to_json(&res)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    free(source);
    cf_clip_processing_request_free(&req);
    cf_clip_processing_result_free(&res);
    return rc;
}
