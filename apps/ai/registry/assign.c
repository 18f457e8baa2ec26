/* assign.c — registry resolution for a detection request (see assign.h). */
#include "registry/assign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/model_registry.h"

cf_err cf_highlight_assign(const char *models_dir, cf_highlight_detection_request *req,
                           cf_media_key_fn key_fn, void *user, char *why, size_t why_len, cf_error *err) {
    if (why_len) why[0] = '\0';
    if (req->model_version) return CF_OK;
    cf_model_registry *r = NULL;
    cf_err rc = cf_model_registry_open(models_dir, &r, err);
    if (rc == CF_ERR_NOT_FOUND) return CF_OK;
    if (rc) return rc;
    const char *profile = cf_detection_profile_to_string(req->detection_profile);
    char key[160] = "";
    if (key_fn && cf_model_registry_needs_media_key(r, "highlight", profile))
        rc = key_fn(user, key, sizeof key, err);
    cf_model_choice c;
    if (!rc && cf_model_registry_resolve(r, "highlight", profile, key[0] ? key : NULL, &c)) {
        if (!(req->model_version = strdup(c.version)))
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
        else if (why_len) snprintf(why, why_len, "model %s (%s)", c.version, c.why);
    }
    cf_model_registry_free(r);
    return rc;
}
