/* render_service.c — the render pipeline behind the service vtable: compile, render (with a
 * registry of running renders by clip id, one lock, so cancel can reach them) and cancel.
 * Settings (cf_render_configure): the data dir (where outputs go when the request names none) and
 * the encoder threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/fs.h"
#include "clipforge/render.h"
#include "render_settings.h"

typedef struct running {
    const char *clip_id;
    cf_progress *progress;
    struct running *next;
} running;

static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER; /* guards running_list */
static running *running_list;

static void track(running *r) {
    pthread_mutex_lock(&running_lock);
    r->next = running_list;
    running_list = r;
    pthread_mutex_unlock(&running_lock);
}

static void untrack(running *r) {
    pthread_mutex_lock(&running_lock);
    for (running **p = &running_list; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    pthread_mutex_unlock(&running_lock);
}

static cf_err svc_cancel(void *self, const char *clip_id, cf_error *err) {
    (void)self;
    bool found = false;
    pthread_mutex_lock(&running_lock);
    for (running *r = running_list; r; r = r->next)
        if (!strcmp(r->clip_id, clip_id)) cf_progress_cancel(r->progress), found = true;
    pthread_mutex_unlock(&running_lock);
    return found ? CF_OK : cf_error_set(err, CF_ERR_NOT_FOUND, "no render of %s is running", clip_id);
}

static cf_err svc_compile(void *self, const cf_render_request *req, cf_timeline *out, cf_error *err) {
    (void)self;
    return cf_render_compile(req, out, err);
}

static bool safe_id(const char *id) {
    if (!id || !*id || id[0] == '.') return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return false;
    return true;
}

/* <data_dir>/renders/<clip_id>/render (malloc'd; the render adds its format's extension). */
static char *default_output(const char *data_dir, const char *clip_id, cf_error *err) {
    size_t n = strlen(data_dir) + strlen(clip_id) + 32;
    char *dir = malloc(n), *path = malloc(n + 16);
    if (!dir || !path) {
        free(dir);
        free(path);
        cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    snprintf(dir, n, "%s/renders/%s", data_dir, clip_id);
    snprintf(path, n + 16, "%s/render", dir);
    cf_err e = cf_mkdir_p(dir, err);
    free(dir);
    if (e) {
        free(path);
        return NULL;
    }
    return path;
}

static cf_err svc_render(void *self, const cf_render_request *req, cf_progress *progress,
                         cf_render_result *out, cf_error *err) {
    (void)self;
    memset(out, 0, sizeof *out);
    if (!safe_id(req->clip_id))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "clip_id: letters, digits, '-', '_' and '.' only");
    const char *data_dir = cf_render_setting_data_dir();
    if (!req->output_uri && !data_dir)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no output_uri, and no data directory configured");
    char *output = req->output_uri ? NULL : default_output(data_dir, req->clip_id, err);
    if (!req->output_uri && !output) return err->code;
    cf_progress own;
    if (!progress) cf_progress_init(&own, NULL, NULL), progress = &own;
    running r = {.clip_id = req->clip_id, .progress = progress};
    track(&r);
    cf_render_options opts = {.output_path = output, .threads = cf_render_setting_threads()};
    cf_err e = cf_render_run(req, &opts, progress, out, err);
    untrack(&r);
    free(output);
    return e;
}

static const cf_render_service default_service = {
    .version = 1,
    .name = "local",
    .self = NULL,
    .compile = svc_compile,
    .render = svc_render,
    .cancel = svc_cancel,
};

const cf_render_service *cf_render_service_default(void) {
    return &default_service;
}
