/* routes_keys.c — /v1/keys: an admin lists, creates and revokes the API keys of its tenant;
 * /v1/whoami says who the caller is (the web UI shows it). */
#include <string.h>

#include "api/api.h"
#include "api/http_server.h"
#include "application/auth.h"
#include "clipforge/domain/types.h"

enum MHD_Result cf_api_keys_list(cf_http_request *req) {
    cf_key_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    if (cf_store_key_list(req->app->store, req->who.tenant, &rows, &n, &err))
        return cf_http_reply_error(req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(items, cf_key_record_json(&rows[i]));
    cf_key_records_free(rows, n);
    return cf_http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

/* The body is an ApiKeyCreate; the answer an ApiKey with the key, shown this once. */
enum MHD_Result cf_api_keys_create(cf_http_request *req) {
    cf_api_key_create body;
    cf_role role;
    cf_error err;
    if (cf_api_key_create_from_json(req->json, &body, &err))
        return cf_http_reply_problem(req, "validation", err.msg);
    if (!cf_role_parse(cf_caller_role_to_string(body.role), &role)) {
        cf_api_key_create_free(&body);
        return cf_http_reply_problem(req, "validation", "role: viewer, editor or admin");
    }
    char *key = NULL;
    cf_key_record k;
    cf_err rc = cf_auth_key_create(req->app->store, req->who.tenant, role, body.name, &key, &k, &err);
    cf_api_key_create_free(&body);
    if (rc) return cf_http_reply_error(req, &err);
    json_t *o = cf_key_record_json(&k);
    json_object_set_new(o, "key", json_string(key));
    memset(key, 0, strlen(key));
    free(key);
    cf_key_record_free(&k);
    return cf_http_reply_json(req, 201, o);
}

enum MHD_Result cf_api_keys_revoke(cf_http_request *req) {
    cf_error err;
    if (cf_store_key_revoke(req->app->store, req->path_param, req->who.tenant, cf_now_ms(), &err))
        return cf_http_reply_error(req, &err);
    cf_auth_forget(req->path_param); /* revoked here: refused at once, not after the cache's time */
    return cf_http_reply_text(req, 204, "text/plain", "", 0);
}

enum MHD_Result cf_api_whoami(cf_http_request *req) {
    cf_whoami w; /* the Whoami schema's document; its strings are borrowed from req */
    cf_whoami_init(&w);
    w.tenant = req->who.tenant;
    w.key_id = req->who.key_id[0] ? req->who.key_id : NULL;
    w.auth = req->server ? cf_http_auth_required(req->server) : false;
    if (!cf_caller_role_from_string(cf_role_name(req->who.role), &w.role))
        return cf_http_reply_problem(req, "forbidden", "no role");
    return cf_http_reply_json(req, 200, cf_whoami_to_json(&w));
}
