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
#include "clipforge/domain/types.h"

/* The Flag schema's document: on is null when the flag's subject is a media, none was named,
 * and the answer depends on which. */
static json_t *flag_json(const cf_flag_value *v, const char *tenant, const char *media_id) {
    char setting[CF_FLAG_SETTING_MAX];
    cf_flag_setting_format(&v->setting, setting);
    cf_flag f;
    cf_flag_init(&f);
    /* borrowed strings: f is only serialized, never freed */
    f.name = (char *)v->name;
    f.setting = setting;
    f.description = (char *)v->description;
    if (!cf_flag_value_source_from_string(cf_flag_source_name(v->source), &f.source)) return NULL;
    f.subject = v->by_media ? CF_FLAG_SUBJECT_MEDIA : CF_FLAG_SUBJECT_TENANT;
    f.null_on = v->by_media && !media_id && v->setting.percent > 0 && v->setting.percent < 100;
    f.on = !f.null_on && cf_flag_value_on(v, tenant, media_id);
    return cf_flag_to_json(&f);
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

/* The setting a PUT body (the FlagUpdate schema) asks for: exactly one of "enabled" (boolean)
 * or "percent" (0..100). */
static cf_err body_setting(const json_t *body, cf_flag_setting *out, cf_error *err) {
    cf_flag_update u;
    cf_err rc = cf_flag_update_from_json(body, &u, err);
    if (rc) return rc;
    *out = u.has_enabled ? (cf_flag_setting){.percent = u.enabled ? 100 : 0, .rollout = false}
                         : (cf_flag_setting){.percent = (int)u.percent, .rollout = true};
    cf_flag_update_free(&u);
    return CF_OK;
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
    cf_error err;
    if (body_setting(req->json, &s, &err)) return cf_http_reply_problem(req, "validation", err.msg);
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
