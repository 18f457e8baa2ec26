/* event_feed.c — the event stream both transports serve: the store's event table read after a
 * cursor, so a reconnect that names the last id it saw continues exactly after it (no gap, no
 * duplicate) whichever transport it uses. */
#include "api/event_feed.h"

#include <stdlib.h>
#include <string.h>

#include "application/auth.h"
#include "application/job_service.h"
#include "clipforge/domain/types.h"

cf_err cf_event_cursor_init(cf_event_cursor *c, cf_http_request *req, cf_error *err) {
    memset(c, 0, sizeof *c);
    c->store = req->app->store;
    memcpy(c->tenant, req->who.tenant, sizeof c->tenant);
    const char *job_id = cf_http_query(req, "job_id");
    cf_job_record owned;
    if (job_id && cf_owned_job(c->store, c->tenant, job_id, &owned, err)) return err->code;
    if (job_id) cf_job_record_free(&owned);
    const char *v = cf_http_header(req, "Last-Event-ID");
    if (!v) v = cf_http_query(req, "last_event_id");
    if (v) {
        char *end = NULL;
        long long id = strtoll(v, &end, 10);
        if (end == v || *end || id < 0)
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "Last-Event-ID: must be an event id");
        c->last_id = id;
    } else if (!job_id) {
        cf_job_stats st;
        cf_error ignored;
        c->last_id = cf_store_stats(c->store, &st, &ignored) == CF_OK ? st.last_event_id : 0;
    }
    if (job_id && !(c->job_id = strdup(job_id))) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

void cf_event_cursor_free(cf_event_cursor *c) {
    if (!c) return;
    free(c->job_id);
    c->job_id = NULL;
}

/* The event as the generated Event type's JSON: {id, type, job_id, at, data}. */
static char *event_json(const cf_event_record *r) {
    cf_event e;
    cf_event_init(&e);
    e.id = r->id;
    cf_event_type_from_string(r->type, &e.type);
    e.job_id = strdup(r->job_id);
    char at[40];
    cf_format_timestamp(r->at, at, sizeof at);
    e.at = strdup(at);
    e.data = json_loads(r->data, 0, NULL);
    json_t *j = cf_event_to_json(&e);
    cf_event_free(&e);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

cf_err cf_event_cursor_next(cf_event_cursor *c, size_t max, cf_event_sink sink, void *ctx, bool *more,
                            cf_error *err) {
    cf_event_record *ev = NULL;
    size_t n = 0;
    *more = false;
    cf_err rc = cf_store_events_after(c->store, c->last_id, c->job_id, c->tenant, max, &ev, &n, err);
    if (rc) return rc;
    size_t taken = 0;
    for (; taken < n; taken++) {
        char *json = event_json(&ev[taken]);
        bool ok = json && sink(ctx, ev[taken].id, ev[taken].type, json, strlen(json));
        free(json);
        if (!ok) break;
        c->last_id = ev[taken].id;
    }
    *more = taken == n && n == max;
    cf_event_records_free(ev, n);
    return CF_OK;
}
