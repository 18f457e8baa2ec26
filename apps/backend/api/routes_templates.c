/* routes_templates.c — GET /v1/templates and GET /v1/templates/{template_id}: the rendering
 * templates in the template directory (the configured template_dir, else the installed one) that
 * the caller's tenant may use, summarised for clients that offer a choice of template: name,
 * layout, the canvas of each format, where title and captions sit, and the ${variables} with the
 * RenderRequest member that fills each and the template's default. A template file whose
 * "tenant" member names a tenant is that tenant's alone: to every other tenant it is not listed
 * and answers 404, as an unknown one does (cf_template_owned_by); so is a template whose
 * "template.<id>" feature flag is off for the caller's tenant. Each summary is checked by the
 * generated RenderTemplate parser; a file that does not make one is left out of the list with a
 * warning (a render naming it reports the exact problem). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "application/feature_flags.h"
#include "clipforge/domain/types.h"
#include "clipforge/fmt.h"
#include "clipforge/json.h"
#include "clipforge/log.h"
#include "clipforge/paths.h"

#define MAX_TEMPLATE_BYTES (4 * 1024 * 1024)
#define MAX_TEMPLATE_DEPTH 32
#define MAX_TEMPLATES 1000 /* the TemplateList schema's maxItems */

/* The RenderRequest member the rendering pipeline reads for each template variable (see
 * var_value in packages/pipelines/rendering/src/compile.c); others keep their template value. */
static const struct {
    const char *variable, *request_field;
} request_fields[] = {
    {"title", "title"}, {"brand_color", "brand_color"}, {"logo", "logo_uri"}, {"font", "font"}};

static const char *request_field(const char *variable) {
    for (size_t i = 0; i < sizeof request_fields / sizeof request_fields[0]; i++)
        if (!strcmp(request_fields[i].variable, variable)) return request_fields[i].request_field;
    return NULL;
}

/* The variable named by a whole-string "${name}" placeholder, copied into name; false if s is not
 * one. */
static bool placeholder(const char *s, char *name, size_t cap) {
    size_t n = strlen(s);
    if (n < 4 || strncmp(s, "${", 2) || s[n - 1] != '}' || n - 3 >= cap) return false;
    memcpy(name, s + 2, n - 3);
    name[n - 3] = '\0';
    return true;
}

static bool listed(const json_t *vars, const char *name) {
    size_t i;
    json_t *v;
    json_array_foreach(vars, i, v) {
        if (!strcmp(json_string_value(json_object_get(v, "name")), name)) return true;
    }
    return false;
}

/* Appends every variable used under node to vars (once each, in order of appearance). */
static void collect_variables(const json_t *node, const json_t *defaults, json_t *vars) {
    if (json_is_string(node)) {
        char name[65];
        const char *field =
            placeholder(json_string_value(node), name, sizeof name) ? request_field(name) : NULL;
        if (!field) return;
        if (listed(vars, name)) return;
        json_t *def = json_object_get(defaults, name);
        json_array_append_new(vars, json_pack("{s:s, s:s, s:O*}", "name", name, "request_field", field,
                                              "default_value", json_is_string(def) ? def : NULL));
    } else if (json_is_object(node)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)node, key, v) collect_variables(v, defaults, vars);
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) collect_variables(v, defaults, vars);
    }
}

/* Where the overlay showing ${title} sits, or NULL. */
static json_t *title_position(const json_t *t) {
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(t, "overlays"), i, o) {
        const char *text = json_string_value(json_object_get(o, "text"));
        if (text && !strcmp(text, "${title}")) return json_object_get(o, "position");
    }
    return NULL;
}

/* The template's canvas for one format: {width, height, fps, background}. */
static json_t *canvas(const json_t *c, const char *format) {
    json_t *size = json_object_get(c, format);
    return json_pack("{s:O*, s:O*, s:O*, s:O*}", "width", json_object_get(size, "width"), "height",
                     json_object_get(size, "height"), "fps", json_object_get(c, "fps"), "background",
                     json_object_get(c, "background"));
}

/* The summary of template file id.json (JSON in the RenderTemplate shape, not yet checked). */
static json_t *summarise(const char *id, const json_t *t) {
    const json_t *c = json_object_get(t, "canvas");
    json_int_t ref = json_integer_value(json_object_get(c, "reference_height"));
    json_int_t hh = json_integer_value(json_object_get(json_object_get(c, "horizontal"), "height"));
    json_t *vars = json_array();
    collect_variables(t, json_object_get(t, "defaults"), vars);
    json_t *version = json_incref(json_object_get(t, "version"));
    if (!version) version = json_integer(1);
    return json_pack(
        "{s:s, s:o, s:O*, s:O*, s:s, s:o, s:o, s:O*, s:O*, s:o}", "id", id, "version", version, "description",
        json_object_get(t, "description"), "layout", json_object_get(json_object_get(t, "scene"), "layout"),
        "format", ref && ref == hh ? "horizontal" : "vertical", "vertical", canvas(c, "vertical"),
        "horizontal", canvas(c, "horizontal"), "title_position", title_position(t), "captions_position",
        json_object_get(json_object_get(t, "captions"), "position"), "variables", vars);
}

/* The id of a template file name ("<id>.json" with an id compile.c accepts), or false. */
static bool template_id(const char *file, char *id, size_t cap) {
    size_t n = strlen(file);
    if (n <= 5 || strcmp(file + n - 5, ".json") || n - 5 >= cap) return false;
    for (size_t i = 0; i < n - 5; i++) {
        char ch = file[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) return false;
    }
    memcpy(id, file, n - 5);
    id[n - 5] = '\0';
    return true;
}

/* The checked summary of one file for tenant, or NULL: when it is another tenant's (silently), or
 * not a usable template (logged). */
static json_t *load_summary(const char *dir, const char *id, const char *tenant) {
    char path[4096];
    if (!cf_fmt(path, sizeof path, "%s/%s.json", dir, id)) return NULL;
    cf_error err;
    json_t *t = cf_json_load_file(path, MAX_TEMPLATE_BYTES, MAX_TEMPLATE_DEPTH, &err);
    if (t && !cf_template_owned_by(t, tenant)) {
        json_decref(t);
        return NULL;
    }
    json_t *s = t ? summarise(id, t) : NULL;
    json_decref(t);
    cf_render_template rt;
    cf_render_template_init(&rt);
    if (s && cf_render_template_from_json(s, &rt, &err) == CF_OK) {
        json_decref(s);
        s = cf_render_template_to_json(&rt); /* schema defaults applied */
    } else {
        cf_log_warn("api", "template %s left out of /v1/templates: %s", path, s ? err.msg : "cannot read it");
        json_decref(s);
        s = NULL;
    }
    cf_render_template_free(&rt);
    return s;
}

static int by_id(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether the template's flag offers it to the caller (ownership is load_summary's check). */
static bool flag_allows(cf_http_request *req, const char *id) {
    return cf_template_flag_on(req->app->flags, req->who.tenant, id);
}

enum MHD_Result cf_api_templates_get(cf_http_request *req) {
    char id[65], file[80];
    json_t *s = NULL;
    if (cf_fmt(file, sizeof file, "%s.json", req->path_param) && template_id(file, id, sizeof id) &&
        flag_allows(req, id))
        s = load_summary(cf_template_dir(&req->app->cfg), id, req->who.tenant);
    if (!s) return cf_http_reply_problem(req, "not-found", "no such template");
    return cf_http_reply_json(req, 200, s);
}

enum MHD_Result cf_api_templates_list(cf_http_request *req) {
    /* the same directory render jobs compile from, which the config file may set */
    const char *dir = cf_template_dir(&req->app->cfg); /* as cf_render_template_dir() */
    json_t *items = json_array();
    DIR *d = opendir(dir);
    char **ids = NULL;
    size_t n = 0;
    for (struct dirent *e; d && n < MAX_TEMPLATES && (e = readdir(d));) {
        char id[65];
        char **grown = template_id(e->d_name, id, sizeof id) ? realloc(ids, (n + 1) * sizeof *ids) : NULL;
        if (!grown) continue;
        ids = grown;
        if ((ids[n] = strdup(id))) n++;
    }
    if (d) closedir(d);
    else cf_log_warn("api", "template directory %s cannot be read", dir);
    if (n) qsort(ids, n, sizeof *ids, by_id); /* readdir order is the file system's */
    for (size_t i = 0; i < n; i++) {
        /* a template its flag keeps from the caller's tenant is not offered */
        json_t *s = flag_allows(req, ids[i]) ? load_summary(dir, ids[i], req->who.tenant) : NULL;
        if (s) json_array_append_new(items, s);
        free(ids[i]);
    }
    free(ids);
    return cf_http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}
