/* flags_config.c — the "config" feature flag source (flags_config.h). The text is parsed when
 * the source opens, so a malformed CLIPFORGE_FLAGS stops the program at start rather than
 * leaving a flag silently at its default. */
#include "infrastructure/flags_config.h"

#include <stdlib.h>
#include <string.h>

typedef struct config_flags {
    cf_flag_entry *e;
    size_t n;
} config_flags;

static void config_close(void *self) {
    config_flags *c = self;
    if (!c) return;
    free(c->e);
    free(c);
}

static cf_err config_get(void *self, const char *name, cf_flag_setting *out, bool *found, cf_error *err) {
    (void)err;
    const config_flags *c = self;
    *found = false;
    for (size_t i = 0; i < c->n && !*found; i++)
        if (!strcmp(c->e[i].name, name)) {
            *out = c->e[i].setting;
            *found = true;
        }
    return CF_OK;
}

static cf_err config_list(void *self, cf_flag_entry **out, size_t *n, cf_error *err) {
    const config_flags *c = self;
    *out = NULL;
    *n = 0;
    if (!c->n) return CF_OK;
    if (!(*out = malloc(c->n * sizeof **out)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
    memcpy(*out, c->e, c->n * sizeof **out);
    *n = c->n;
    return CF_OK;
}

static const cf_flags_methods methods = {
    .version = 1,
    .name = "config",
    .source = CF_FLAG_SOURCE_CONFIG,
    .close = config_close,
    .get = config_get,
    .list = config_list,
};

const cf_flags_methods *cf_flags_config_methods(void) {
    return &methods;
}

cf_err cf_flags_config_open(const char *text, void **self, cf_error *err) {
    config_flags *c = calloc(1, sizeof *c);
    if (!c) return cf_error_set(err, CF_ERR_NO_MEMORY, "flags: out of memory");
    cf_err rc = cf_flags_parse_list(text, &c->e, &c->n, err);
    if (rc) {
        cf_error_prefix(err, "CLIPFORGE_FLAGS");
        config_close(c);
        return rc;
    }
    *self = c;
    return CF_OK;
}
