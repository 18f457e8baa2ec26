/* routes_labels.c — /v1/labels: reviewers' verdicts on highlight spans (accept or reject, with
 * the boundaries they settled on), stored through the job store as training data for highlight
 * detection. POST validates the body against the LabelCreate schema and the media's existence;
 * GET lists the labels of one media file, oldest first. A label without a model_version gets the
 * version of the detection job that proposed its span (job_id), and every stored label is
 * published on ai-labels for the inference services' online evaluation. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "application/ai_events.h"
#include "application/job_service.h"
#include "clipforge/log.h"
#include "clipforge/domain/types.h"

#define MAX_LABELS 1000

/* The stored label: the request's members plus id and created_at, checked by the Label schema. */
static json_t *label_json(cf_store *store, const json_t *body, const char *id, int64_t now, cf_error *err) {
    char at[40];
    cf_format_timestamp(now, at, sizeof at);
    json_t *o = json_deep_copy(body);
    if (!o) return NULL;
    cf_ai_label_join_version(store, o);
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "created_at", json_string(at));
    cf_label l;
    cf_label_init(&l);
    if (cf_label_from_json(o, &l, err)) {
        json_decref(o);
        return NULL;
    }
    json_decref(o);
    json_t *out = cf_label_to_json(&l);
    cf_label_free(&l);
    return out;
}

enum MHD_Result cf_api_labels_create(cf_http_request *req) {
    cf_error err;
    cf_label_create lc;
    cf_label_create_init(&lc);
    if (cf_label_create_from_json(req->json, &lc, &err))
        return cf_http_reply_problem(req, "validation", err.msg);
    cf_media_record m;
    cf_err rc = cf_owned_media(req->app->store, req->who.tenant, lc.media_id, &m, &err);
    cf_media_record_free(&m);
    cf_label_create_free(&lc);
    if (rc == CF_ERR_NOT_FOUND) return cf_http_reply_problem(req, "validation", "media_id: no such media");
    if (rc) return cf_http_reply_error(req, &err);
    char id[40];
    cf_new_id("l_", id, sizeof id);
    int64_t now = cf_now_ms();
    json_t *label = label_json(req->app->store, req->json, id, now, &err);
    if (!label) return cf_http_reply_problem(req, "internal", "cannot build the label");
    char *body = json_dumps(label, JSON_COMPACT);
    cf_label_record rec = {.id = id,
                           .media_id = (char *)json_string_value(json_object_get(label, "media_id")),
                           .body = body,
                           .created_at = now};
    rc = body ? cf_store_label_insert(req->app->store, &rec, &err)
              : cf_error_set(&err, CF_ERR_NO_MEMORY, "out of memory");
    free(body);
    if (rc) {
        json_decref(label);
        if (rc == CF_ERR_UNSUPPORTED) return cf_http_reply_problem(req, "unsupported", err.msg);
        return cf_http_reply_error(req, &err);
    }
    /* online evaluation hears of it; the label is stored either way */
    if (cf_ai_events_publish_label(req->app->bus, label, &err))
        cf_log_warn("labels", "label %s not announced: %s", id, err.msg);
    return cf_http_reply_json(req, 201, label);
}

enum MHD_Result cf_api_labels_list(cf_http_request *req) {
    const char *media_id = cf_http_query(req, "media_id");
    if (!media_id || !*media_id || strlen(media_id) > 64)
        return cf_http_reply_problem(req, "validation", "media_id: required, 1 to 64 characters");
    cf_error err;
    cf_media_record m;
    cf_err rc = cf_owned_media(req->app->store, req->who.tenant, media_id, &m, &err);
    cf_media_record_free(&m);
    if (rc) return cf_http_reply_error(req, &err);
    cf_label_record *rows = NULL;
    size_t n = 0;
    rc = cf_store_labels_list(req->app->store, media_id, MAX_LABELS, &rows, &n, &err);
    if (rc == CF_ERR_UNSUPPORTED) return cf_http_reply_problem(req, "unsupported", err.msg);
    if (rc) return cf_http_reply_error(req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_loads(rows[i].body, 0, NULL);
        if (l) json_array_append_new(items, l);
    }
    cf_label_records_free(rows, n);
    return cf_http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}
