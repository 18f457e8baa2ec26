/* routes_clips.c — what the clip editor needs beyond jobs:
 *   POST /v1/jobs/{job_id}/versions  a RenderRequest rendered as a new version of the clip that
 *        render job id made: a render job whose parent is the clip's first render (versions
 *        of a version are versions of the first); Idempotency-Key honoured
 *   GET  /v1/jobs/{job_id}/versions  the clip's renders, first one first: {items: [Job]}
 *   POST /v1/timelines           a RenderRequest (template over a span) compiled into the
 *        Timeline the renderer would render — what the browser's preview draws
 * Versions are kept: each is a job with its own outputs; nothing is overwritten. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "application/feature_flags.h"
#include "application/job_service.h"
#include "clipforge/domain/types.h"
#include "clipforge/render.h"
#include "application/pipelines.h"
#include "jobs/job_kinds.h"

#define MAX_KEY_LEN 200
#define MAX_VERSIONS 200

/* The first render of the clip job id belongs to (id itself, or its parent when that is a
 * render: a version). Fills root (cap bytes). */
static cf_err version_root(cf_app *app, const char *tenant, const char *id, char *root, size_t cap,
                           cf_error *err) {
    cf_job_record j;
    cf_err rc = cf_owned_job(app->store, tenant, id, &j, err);
    if (rc) return rc;
    if (strcmp(j.kind, "render")) {
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "job %s is a %s job: versions are of renders (clips)",
                          id, j.kind);
    } else {
        snprintf(root, cap, "%s", j.id);
        cf_job_record p;
        cf_error ignored;
        if (j.parent_id && cf_store_job_get(app->store, j.parent_id, &p, &ignored) == CF_OK) {
            if (!strcmp(p.kind, "render")) snprintf(root, cap, "%s", p.id);
            cf_job_record_free(&p);
        }
    }
    cf_job_record_free(&j);
    return rc;
}

enum MHD_Result cf_api_versions_create(cf_http_request *req) {
    const char *key = cf_http_header(req, "Idempotency-Key");
    if (key && (!*key || strlen(key) > MAX_KEY_LEN))
        return cf_http_reply_problem(req, "validation", "Idempotency-Key: 1 to 200 characters");
    char root[72];
    cf_error err;
    if (version_root(req->app, req->who.tenant, req->path_param, root, sizeof root, &err))
        return cf_http_reply_error(req, &err);
    cf_job_record j;
    bool replayed = false;
    if (cf_jobs_create(req->app->store, &req->app->cfg, "render", req->json, key, root, NULL, &j, &replayed,
                       &err)) {
        if (err.code == CF_ERR_UNSUPPORTED)
            return cf_http_reply_problem(req, "unsupported-job-kind", err.msg);
        return cf_http_reply_error(req, &err);
    }
    json_t *o = cf_job_record_to_json(req->app, &j);
    cf_job_record_free(&j);
    return cf_http_reply_json(req, replayed ? 200 : 202, o);
}

enum MHD_Result cf_api_versions_list(cf_http_request *req) {
    char root[72];
    cf_error err;
    if (version_root(req->app, req->who.tenant, req->path_param, root, sizeof root, &err))
        return cf_http_reply_error(req, &err);
    cf_job_record first;
    if (cf_store_job_get(req->app->store, root, &first, &err)) return cf_http_reply_error(req, &err);
    cf_job_filter f = {.status = -1, .kind = "render", .parent_id = root, .limit = MAX_VERSIONS};
    cf_job_record *rows = NULL;
    size_t n = 0;
    if (cf_store_job_list(req->app->store, &f, &rows, &n, &err)) {
        cf_job_record_free(&first);
        return cf_http_reply_error(req, &err);
    }
    json_t *items = json_array();
    json_array_append_new(items, cf_job_record_to_json(req->app, &first));
    for (size_t i = n; i-- > 0;)
        json_array_append_new(items, cf_job_record_to_json(req->app, &rows[i])); /* oldest first */
    cf_job_record_free(&first);
    cf_job_records_free(rows, n);
    return cf_http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

enum MHD_Result cf_api_timelines_compile(cf_http_request *req) {
    json_t *normal = NULL;
    cf_error err;
    const cf_pipelines *pl = cf_pipelines_get(&err);
    if (!pl || cf_job_handler_find("render")->validate(req->json, &req->app->cfg, &normal, &err))
        return cf_http_reply_error(req, &err);
    cf_render_request rq;
    memset(&rq, 0, sizeof rq);
    cf_err rc = cf_render_request_from_json(normal, &rq, &err);
    json_decref(normal);
    if (!rc && (!rq.template_id || !rq.has_end_ms))
        rc = cf_error_set(&err, CF_ERR_INVALID_ARGUMENT,
                          "%s: a template over a span (template_id, source_uri, start_ms, end_ms)",
                          rq.template_id ? "end_ms" : "template_id");
    if (!rc && !cf_template_allowed(&req->app->cfg, req->app->flags, req->who.tenant, rq.template_id))
        rc =
            cf_error_set(&err, CF_ERR_INVALID_ARGUMENT, "template_id: unknown template '%s'", rq.template_id);
    /* the preview has the words itself: an inline transcript stands for the captions file */
    if (!rc && rq.transcript && !rq.captions_uri && !(rq.captions_uri = strdup("transcript")))
        rc = cf_error_set(&err, CF_ERR_NO_MEMORY, "out of memory");
    cf_timeline tl;
    if (!rc) rc = pl->render_compile_in(&rq, req->app->cfg.template_dir, &tl, &err);
    cf_render_request_free(&rq);
    if (rc) return cf_http_reply_error(req, &err);
    json_t *o = cf_timeline_to_json(&tl);
    cf_timeline_free(&tl);
    return cf_http_reply_json(req, 200, o);
}
