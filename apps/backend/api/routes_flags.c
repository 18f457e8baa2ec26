/* routes_flags.c — /v1/flags: every caller lists the feature flags with their values for its
 * tenant (GET, ?media_id= for the flags whose subject is a media); admins of the default tenant
 * set a flag at run time (PUT {"enabled": bool} or {"percent": 0..100}) or give it back to
 * CLIPFORGE_FLAGS and its default (DELETE). Flags are server-wide, so an admin of another
 * tenant may not change them. A change is in the store: every process sees it at its next read. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "application/auth.h"
#include "application/feature_flags.h"

/* {name, source, setting, subject, on, description?}: on is null when the flag's subject is a
 * media, none was named, and the answer depends on which. */
static json_t *flag_json(const cf_flag_value *v, const char *tenant, const char *media_id) {
    char setting[CF_FLAG_SETTING_MAX];
    cf_flag_setting_format(&v->setting, setting);
    bool depends = v->by_media && !media_id && v->setting.percent > 0 && v->setting.percent < 100;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", v->name, "source", cf_flag_source_name(v->source),
                  "setting", setting, "subject", v->by_media ? "media" : "tenant", "on",
                  depends ? json_null() : json_boolean(cf_flag_value_on(v, tenant, media_id)));
    if (o && v->description) json_object_set_new(o, "description", json_string(v->description));
    return o;
}

enum MHD_Result cf_api_flags_list(cf_http_request *req) {
    const char *media_id = cf_http_query(req, "media_id");
    cf_error err;
    if (media_id) {
        cf_media_record m;
        if (cf_owned_media(req->app->store, req->who.tenant, media_id, &m, &err))
            return cf_http_reply_error(req, &err);
        cf_media_record_free(&m);
    }
    cf_flag_value *all = NULL;
    size_t n = 0;
    if (cf_flags_list(req->app->flags, &all, &n, &err)) return cf_http_reply_error(req, &err);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, flag_json(&all[i], req->who.tenant, media_id));
    free(all);
    return cf_http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

/* The admin check beyond the route's: flags are the server's, not a tenant's. */
/* The setting a PUT body asks for: exactly one of "enabled" (boolean) or "percent" (0..100). */
static const char *body_setting(const json_t *body, cf_flag_setting *out) {
    if (!json_is_object(body)) return "the body is an object: {\"enabled\": true} or {\"percent\": 25}";
    const json_t *enabled = json_object_get(body, "enabled"), *percent = json_object_get(body, "percent");
    if (json_object_size(body) != 1 || (!enabled && !percent))
        return "give one of enabled (true or false) or percent (0..100)";
    if (enabled && !json_is_boolean(enabled)) return "enabled: true or false";
    if (enabled) {
        *out = (cf_flag_setting){.percent = json_is_true(enabled) ? 100 : 0, .rollout = false};
        return NULL;
    }
    json_int_t p = json_integer_value(percent);
    if (!json_is_integer(percent) || p < 0 || p > 100) return "percent: an integer from 0 to 100";
    *out = (cf_flag_setting){.percent = (int)p, .rollout = true};
    return NULL;
}

static enum MHD_Result reply_flag(cf_http_request *req, const char *name) {
    cf_flag_value v;
    cf_error err;
    if (cf_flags_get(req->app->flags, name, &v, &err)) return cf_http_reply_error(req, &err);
    return cf_http_reply_json(req, 200, flag_json(&v, req->who.tenant, NULL));
}

enum MHD_Result cf_api_flags_set(cf_http_request *req) {
    const char *name = req->path_param;
    if (!cf_flag_name_valid(name))
        return cf_http_reply_problem(req, "validation",
                                     "name: 1-64 of a-z, 0-9, '.', '_', '-', "
                                     "starting with a letter or digit");
    cf_flag_setting s;
    const char *why = body_setting(req->json, &s);
    if (why) return cf_http_reply_problem(req, "validation", why);
    cf_error err;
    if (cf_flags_set(req->app->flags, name, &s, &err)) return cf_http_reply_error(req, &err);
    return reply_flag(req, name);
}

enum MHD_Result cf_api_flags_unset(cf_http_request *req) {
    cf_error err;
    if (!cf_flag_name_valid(req->path_param))
        return cf_http_reply_problem(req, "validation", "name: not a flag name");
    if (cf_flags_unset(req->app->flags, req->path_param, &err)) return cf_http_reply_error(req, &err);
    return cf_http_reply_text(req, 204, "text/plain", "", 0);
}
