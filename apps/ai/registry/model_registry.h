/* model_registry.h — the model registry: a directory of versioned model files and registry.json.
 *
 * A model file is <prefix><version>.json, its prefix naming its kind (highlight-v3.json is
 * version v3 of the highlight scorer the `learned` engine runs; audio-events-v1.json an audio
 * event classifier). Its metadata travels inside it: trained_at, parent_version,
 * training_data (the manifest of what it was fitted on), features, metrics, profiles.
 * Kinds may also have built-in versions that need no file (`heuristic` for highlights).
 *
 * registry.json says which version serves what, per kind:
 *   defaults {profile: version}         ("*" = every profile without its own)
 *   pins     {"profile:P" | "media:M": version}   hold a profile or one media to a version
 *   splits   {profile: {version: share}} an A/B split; the arm is chosen by a stable hash of
 *                                        the media's id, so a media always gets the same arm
 *   history  [{at, action, ...}]        every change, newest last
 * Resolution for (kind, profile, media): media pin, profile pin, split, default, "*" default;
 * none = the engine's own default. Changes take an exclusive lock on registry.lock, re-read the
 * file, validate and write it atomically, so concurrent CLI runs never lose an update. */
#ifndef CLIPFORGE_AI_MODEL_REGISTRY_H
#define CLIPFORGE_AI_MODEL_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "clipforge/error.h"

#define CF_MODEL_VERSION_MAX 48

/* A kind of model: what it is for and how its files are named. */
typedef struct cf_model_kind {
    const char *name;        /* "highlight" */
    const char *file_prefix; /* "highlight-" */
    const char *summary;
    const char *const *builtin_versions; /* NULL-terminated; may be NULL */
    bool per_profile;                    /* versions serve detection profiles (else only "*") */
} cf_model_kind;

/* The kinds table; *n = count. */
const cf_model_kind *cf_model_kinds(size_t *n);
/* The kind named name, or NULL. */
const cf_model_kind *cf_model_kind_find(const char *name);

/* One version found in the directory (or built in). */
typedef struct cf_model_entry {
    const cf_model_kind *kind;
    char version[CF_MODEL_VERSION_MAX];
    char *path;    /* the model file; NULL for a built-in version */
    json_t *doc;   /* the parsed file; NULL for a built-in version or a file that did not parse */
    char *problem; /* why the file cannot be used, or NULL */
    long long mtime;
} cf_model_entry;

typedef struct cf_model_registry {
    char *dir;
    json_t *state; /* registry.json: {format, kinds: {kind: {defaults, pins, splits}}, history} */
    cf_model_entry *models;
    size_t n_models;
} cf_model_registry;

/* Scans dir and reads registry.json (absent = nothing assigned). *out is freed with
 * cf_model_registry_free. CF_ERR_NOT_FOUND when dir does not exist, CF_ERR_INVALID_ARGUMENT
 * naming the member when registry.json is malformed. */
cf_err cf_model_registry_open(const char *dir, cf_model_registry **out, cf_error *err);
void cf_model_registry_free(cf_model_registry *r);

/* Parses and checks registry.json text (as open does); *out is a new reference. Exposed for the
 * fuzz harness. */
cf_err cf_model_registry_parse_state(const char *text, size_t len, json_t **out, cf_error *err);

/* The entry of kind and version, or NULL. */
const cf_model_entry *cf_model_registry_find(const cf_model_registry *r, const char *kind,
                                             const char *version);
/* True when the entry can serve profile (its file lists it, or it is built in). */
bool cf_model_entry_supports(const cf_model_entry *e, const char *profile);

/* The version that serves (kind, profile, media_key), and why ("pin media:m_1", "split generic
 * 0.9 of 1 (hash 0.42)", "default generic", "default *"). media_key may be NULL (no pin or
 * split by media then applies). False when nothing is assigned: the engine's default answers. */
typedef struct cf_model_choice {
    char version[CF_MODEL_VERSION_MAX];
    char why[160];
} cf_model_choice;
bool cf_model_registry_resolve(const cf_model_registry *r, const char *kind, const char *profile,
                               const char *media_key, cf_model_choice *out);
/* True when the choice for (kind, profile) depends on the media (a split, or media pins):
 * callers compute a media key only then. */
bool cf_model_registry_needs_media_key(const cf_model_registry *r, const char *kind, const char *profile);
/* The stable split point of a media key in [0, 1): FNV-1a 64 of the key. */
double cf_model_split_point(const char *media_key);

/* Roles of a version in the registry as JSON: {"default_for": [...], "pinned": [...],
 * "splits": {profile: share}}. New reference. */
json_t *cf_model_registry_roles(const cf_model_registry *r, const char *kind, const char *version);
/* The assignment of a kind as stored: {defaults, pins, splits} (borrowed; NULL for an unknown kind). */
const json_t *cf_model_registry_assignment(const cf_model_registry *r, const char *kind);

/* The metadata of a version as JSON (new reference): trained_at, parent_version, training_data,
 * features (named by the file, or the features its inputs read), metrics, profiles — each only
 * when known. */
json_t *cf_model_metadata(const cf_model_entry *e);

/* ---- Changes (each locks, re-reads, validates, writes, appends to history) ---------------- */

/* CF_ERR_INVALID_ARGUMENT, saying what to do, when dir holds the models shipped with clipforge
 * (the share directory's: installed read-only; in a build tree, the source tree's). They are
 * never changed in place, even by a user who could write there: changes and trained versions go
 * to a registry of the deployment's own (a copy). Every change checks it; so does training. */
cf_err cf_model_registry_require_writable(const char *dir, cf_error *err);

/* Makes version the default of kind for each profile in profiles (n of them; "*" = all). */
cf_err cf_model_registry_set_default(const char *dir, const char *kind, const char *version,
                                     const char *const *profiles, size_t n, const char *note, cf_error *err);
/* Pins scope ("profile:P" or "media:M") of kind to version; version NULL removes the pin. */
cf_err cf_model_registry_pin(const char *dir, const char *kind, const char *scope, const char *version,
                             cf_error *err);
/* Sets the A/B split of kind for profile: n versions with shares summing to 1; n = 0 removes
 * it. Every version must exist and support the profile. */
cf_err cf_model_registry_split(const char *dir, const char *kind, const char *profile,
                               const char *const *versions, const double *shares, size_t n, cf_error *err);

#endif
