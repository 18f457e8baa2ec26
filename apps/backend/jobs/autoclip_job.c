/* autoclip_job.c — autoclip: parse the request, resolve media://, run AutoclipService into the
 * attempt's work dir and deliver each file into storage (jobs/<id>/<attempt>/clip-01.mp4...). */
#include "jobs/autoclip_job.h"

#include <stdlib.h>
#include <string.h>

#include "application/autoclip_service.h"
#include "clipforge/domain/types.h"
#include "clipforge/fs.h"

cf_err cf_autoclip_job_validate(const json_t *request, const cf_config *cfg, json_t **normalized,
                                cf_error *err) {
    (void)cfg;
    cf_autoclip_request req;
    memset(&req, 0, sizeof req);
    cf_err rc = cf_autoclip_request_from_json(request, &req, err);
    if (rc == CF_OK && strncmp(req.media_uri, "media://", 8))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                          "media_uri: must be media://<id> (upload with POST /v1/media)");
    if (rc == CF_OK && !(*normalized = cf_autoclip_request_to_json(&req)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_autoclip_request_free(&req);
    return rc;
}

static cf_err deliver_to_storage(void *user, const char *path, const char *name, char **uri,
                                 cf_error *err) {
    return cf_job_store_output(user, path, name, uri, err);
}

cf_err cf_autoclip_job_run(cf_job_context *ctx, const json_t *request, json_t **result, cf_error *err) {
    cf_autoclip_request req;
    cf_autoclip_result res;
    memset(&req, 0, sizeof req);
    cf_autoclip_result_init(&res);
    char *source = NULL, *cache = NULL;
    cf_err rc = cf_autoclip_request_from_json(request, &req, err);
    if (rc == CF_OK) rc = cf_job_resolve_source(ctx, req.media_uri, &source, err);
    if (rc == CF_OK) {
        char *media_id = req.media_uri; /* the result names the media as the client did */
        req.media_uri = source;
        const cf_config *cfg = ctx->cfg;
        if (strcmp(cfg->feature_cache_dir, "off"))
            cache = *cfg->feature_cache_dir ? strdup(cfg->feature_cache_dir) : cf_path_join(cfg->data_dir, "features");
        cf_autoclip_options o = {.work_dir = ctx->work_dir, .feature_cache_dir = cache,
                                 .paths = {cfg->highlight_profiles_dir, cfg->highlight_models_dir},
                                 .threads = (int)cfg->threads, .deliver = deliver_to_storage,
                                 .deliver_user = ctx};
        rc = cf_autoclip_run(&req, &o, ctx->progress, &res, err);
        req.media_uri = media_id;
        free(res.media_uri);
        res.media_uri = strdup(media_id);
        if (rc == CF_OK && !res.media_uri) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    if (rc == CF_OK && !(*result = cf_autoclip_result_to_json(&res)))
        rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    free(source);
    free(cache);
    cf_autoclip_request_free(&req);
    cf_autoclip_result_free(&res);
    return rc;
}
