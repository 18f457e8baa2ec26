/* clip_service.c — the DESIGN §2 clip service over cf_clip_run, for the job runner. Outputs go
 * to <data dir>/clips/<clip id>/ (cf_clip_settings); cleanup removes temp dirs a crashed job of
 * that clip left in the temp directory (cf_temp_parent). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "clip_engine.h"
#include "clip_request.h"
#include "clip_run_internal.h"
#include "clipforge/clip.h"
#include "clipforge/fs.h"

/* data_dir/clips/<safe id>; malloc'd. */
static char *clip_dir(const char *clip_id, cf_error *err) {
    const char *data_dir = cfclip_data_dir();
    if (!data_dir) {
        cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "clip service: no data directory configured");
        return NULL;
    }
    char safe[96];
    cfclip_temp_prefix(clip_id, safe, sizeof safe);
    safe[strlen(safe) - 1] = '\0'; /* drop the trailing '-' */
    char *clips = cf_path_join(data_dir, "clips");
    char *dir = clips ? cf_path_join(clips, safe + strlen("cfclip-")) : NULL;
    free(clips);
    if (!dir) cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return dir;
}

static cf_err service_prepare(void *self, const cf_clip_processing_request *req, cf_error *err) {
    (void)self;
    cfclip_plan plan;
    cf_err rc = cfclip_plan_from_request(req, &plan, err);
    if (!rc) rc = cfclip_validate(&plan, err);
    if (rc) return rc;
    char *dir = clip_dir(req->clip_id, err);
    if (!dir) return err->code;
    rc = cf_mkdir_p(dir, err);
    free(dir);
    return rc;
}

static cf_err service_execute(void *self, const cf_clip_processing_request *req, cf_progress *progress,
                              cf_clip_processing_result *out, cf_error *err) {
    (void)self;
    char *dir = clip_dir(req->clip_id, err);
    if (!dir) return err->code;
    char name[16];
    snprintf(name, sizeof name, "clip.%s", cf_target_format_to_string(req->target_format));
    char *output = cf_path_join(dir, name);
    cf_err rc = output ? cf_mkdir_p(dir, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (!rc) {
        cf_clip_options opts = {.output_path = output, .temp_dir = NULL, .threads = 0};
        rc = cf_clip_run(req, &opts, progress, out, err);
    }
    free(output);
    free(dir);
    return rc;
}

static cf_err service_cleanup(void *self, const char *clip_id, cf_error *err) {
    (void)self;
    const char *tmp = cf_temp_parent(NULL);
    char prefix[96];
    cfclip_temp_prefix(clip_id, prefix, sizeof prefix);
    DIR *d = opendir(tmp);
    if (!d) return CF_OK;
    cf_err rc = CF_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!cf_is_temp_dir_name(e->d_name, prefix)) continue;
        char *path = cf_path_join(tmp, e->d_name);
        rc = path ? cf_remove_tree(path, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        free(path);
    }
    closedir(d);
    return rc;
}

static const cf_clip_service default_service = {
    .version = 1,
    .name = "local",
    .self = NULL,
    .prepare = service_prepare,
    .execute = service_execute,
    .cleanup = service_cleanup,
};

const cf_clip_service *cf_clip_service_default(void) {
    return &default_service;
}
