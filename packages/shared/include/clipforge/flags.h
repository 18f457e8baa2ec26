/* flags.h — feature flags read through one interface (cf_flags). A flag is on, off, or on for a
 * percentage of its subjects (a rollout). Where a flag's setting comes from is a source: a
 * versioned method table like the bus's and the store's ("config": CLIPFORGE_FLAGS, "store": set
 * at run time through the API; apps/backend/infrastructure/flags_*.c). A cf_flags stacks sources,
 * the last added winning, over the documented defaults of the known flags.
 *
 * Rollouts: a subject (a tenant, or "tenant/media id" where a media is the subject) is in when
 * cf_flag_bucket(name, subject) < percent. The bucket is a stable hash, the same in every process
 * and every release, so a tenant keeps its answer, raising the percentage only adds subjects, and
 * each flag splits the tenants differently (the name is hashed with the subject). */
#ifndef CLIPFORGE_FLAGS_H
#define CLIPFORGE_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "clipforge/error.h"

#define CF_FLAG_NAME_MAX 64
#define CF_FLAG_SETTING_MAX 8 /* "off", "on", "100%" and a NUL */

typedef struct cf_flag_setting {
    int percent;  /* 0..100: the share of subjects it is on for (off = 0, on = 100) */
    bool rollout; /* written as a percentage ("25%") rather than on/off */
} cf_flag_setting;

typedef enum cf_flag_source {
    CF_FLAG_SOURCE_DEFAULT, /* the known flag's documented default, or off */
    CF_FLAG_SOURCE_CONFIG,  /* CLIPFORGE_FLAGS (environment or config file) */
    CF_FLAG_SOURCE_STORE,   /* PUT /v1/flags/{name}, shared by every process of the store */
} cf_flag_source;

/* A flag as one source sets it. */
typedef struct cf_flag_entry {
    char name[CF_FLAG_NAME_MAX + 1];
    cf_flag_setting setting;
} cf_flag_entry;

/* A known flag: what it gates (documented in docs/architecture.md) and its default. */
typedef struct cf_flag_def {
    const char *name;
    const char *default_setting; /* "on", "off" or "N%" */
    bool by_media;               /* its subject is the media (tenant/media id), else the tenant */
    const char *description;
} cf_flag_def;

/* 1-64 of [a-z0-9._-], starting with a letter or digit. */
bool cf_flag_name_valid(const char *name);
/* "on" / "true" / "off" / "false", or "N%" with N in 0..100. CF_ERR_INVALID_ARGUMENT otherwise. */
cf_err cf_flag_setting_parse(const char *text, cf_flag_setting *out, cf_error *err);
/* The setting's canonical text into out: "on", "off" or "N%". */
void cf_flag_setting_format(const cf_flag_setting *s, char out[CF_FLAG_SETTING_MAX]);
/* Parses "name=setting,name=setting" (blanks around items ignored, "" = none; a later item of a
 * name replaces an earlier one). *out is malloc'd (free()); CF_ERR_INVALID_ARGUMENT names the
 * bad item. */
cf_err cf_flags_parse_list(const char *text, cf_flag_entry **out, size_t *n, cf_error *err);
/* The subject's stable bucket 0..99 for flag name. */
int cf_flag_bucket(const char *name, const char *subject);
/* Whether s is on for subject (a rollout needs a subject: NULL is never in one). */
bool cf_flag_setting_on(const cf_flag_setting *s, const char *name, const char *subject);
const char *cf_flag_source_name(cf_flag_source s);

/* A source of settings. */
typedef struct cf_flags_methods {
    int version; /* 1 */
    const char *name;
    cf_flag_source source;
    void (*close)(void *self);
    /* The setting of name here; *found = false when this source does not set it. */
    cf_err (*get)(void *self, const char *name, cf_flag_setting *out, bool *found, cf_error *err);
    /* Every flag this source sets; *out is malloc'd (free()). */
    cf_err (*list)(void *self, cf_flag_entry **out, size_t *n, cf_error *err);
    /* Optional (NULL: read-only). unset: CF_ERR_NOT_FOUND when this source does not set it. */
    cf_err (*set)(void *self, const char *name, const cf_flag_setting *s, cf_error *err);
    cf_err (*unset)(void *self, const char *name, cf_error *err);
} cf_flags_methods;

/* A flag as the stack resolves it. description is the known flag's (static) or NULL. */
typedef struct cf_flag_value {
    char name[CF_FLAG_NAME_MAX + 1];
    cf_flag_setting setting;
    cf_flag_source source;
    bool by_media;
    const char *description;
} cf_flag_value;

typedef struct cf_flags cf_flags;

/* A stack with no source: every flag at its default. defs (static storage, may be NULL) are the
 * known flags; a default that does not parse is CF_ERR_INVALID_ARGUMENT. Free with cf_flags_free. */
cf_err cf_flags_new(const cf_flag_def *defs, size_t n_defs, cf_flags **out, cf_error *err);
/* Adds a source over those added before. Takes self: closed by cf_flags_free, or at once when
 * this fails. */
cf_err cf_flags_add(cf_flags *f, const cf_flags_methods *m, void *self, cf_error *err);
void cf_flags_free(cf_flags *f); /* NULL-safe */
/* The resolved flag. CF_ERR_NOT_FOUND when no source sets it and it is not known. */
cf_err cf_flags_get(cf_flags *f, const char *name, cf_flag_value *out, cf_error *err);
/* Whether name is on for the tenant (and media, for a flag whose subject is the media; NULL
 * otherwise). An unknown flag nobody set is off; a source that fails leaves the flag at its
 * default (logged). */
bool cf_flags_on(cf_flags *f, const char *name, const char *tenant, const char *media_id);
/* Whether v is on for the tenant (and media_id when v's subject is the media). */
bool cf_flag_value_on(const cf_flag_value *v, const char *tenant, const char *media_id);
/* Every known flag and every flag a source sets, by name; *out is malloc'd (free()). */
cf_err cf_flags_list(cf_flags *f, cf_flag_value **out, size_t *n, cf_error *err);
/* Sets name in the top writable source; CF_ERR_UNSUPPORTED when there is none. */
cf_err cf_flags_set(cf_flags *f, const char *name, const cf_flag_setting *s, cf_error *err);
/* Removes name from the top writable source, so lower sources apply again; CF_ERR_NOT_FOUND when
 * it does not set it. */
cf_err cf_flags_unset(cf_flags *f, const char *name, cf_error *err);

#endif
