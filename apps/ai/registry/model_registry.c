/* model_registry.c — the model registry over a directory (see model_registry.h): scanning model
 * files by kind prefix, reading and validating registry.json, resolving the version that serves
 * a request, and locked read-modify-write changes with a history. */
#include "registry/model_registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/fmt.h"
#include "clipforge/fs.h"
#include "clipforge/json.h"
#include "clipforge/paths.h"

#define STATE_FILE "registry.json"
#define LOCK_FILE "registry.lock"
#define MODEL_MAX_BYTES (8 << 20)
#define HISTORY_MAX 1000
#define SHARE_EPS 1e-6

static const char *const highlight_builtins[] = {"heuristic", NULL};

/* Append only; the order is the order of listings. */
static const cf_model_kind kinds[] = {
    {"highlight", "highlight-", "highlight scorer (logistic regression run by the learned engine)",
     highlight_builtins, true},
    {"audio_events", "audio-events-", "audio event classifier (laughter, applause, cheering ...)", NULL,
     false},
};

const cf_model_kind *cf_model_kinds(size_t *n) {
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

const cf_model_kind *cf_model_kind_find(const char *name) {
    for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, name)) return &kinds[i];
    return NULL;
}

static bool version_valid(const char *v) {
    size_t n = strlen(v);
    if (n == 0 || n >= CF_MODEL_VERSION_MAX || v[0] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* The kind whose prefix starts name (the longest), with the version between it and ".json". */
static const cf_model_kind *kind_of_file(const char *name, char *version, size_t cap) {
    size_t n = strlen(name);
    if (n < 6 || strcmp(name + n - 5, ".json") != 0) return NULL;
    const cf_model_kind *best = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t p = strlen(kinds[i].file_prefix);
        if (!strncmp(name, kinds[i].file_prefix, p) && n > p + 5 && (!best || p > strlen(best->file_prefix)))
            best = &kinds[i];
    }
    if (!best) return NULL;
    size_t p = strlen(best->file_prefix);
    /* a version too long for the buffer is not a version of ours, rather than a cut one */
    if (!cf_fmt(version, cap, "%.*s", (int)(n - p - 5), name + p)) return NULL;
    return version_valid(version) ? best : NULL;
}

/* ---- state (registry.json) ----------------------------------------------------------------- */

static json_t *empty_kind(void) {
    return json_pack("{s:{}, s:{}, s:{}}", "defaults", "pins", "splits");
}

static json_t *empty_state(void) {
    json_t *k = json_object();
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        json_object_set_new(k, kinds[i].name, empty_kind());
    return json_pack("{s:i, s:o, s:[]}", "format", 1, "kinds", k, "history");
}

static cf_err bad(cf_error *err, const char *path, const char *what) {
    return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "registry.json: %s: %s", path, what);
}

/* Every value of obj a valid version string. */
static cf_err check_versions(const json_t *obj, const char *path, cf_error *err) {
    if (!json_is_object(obj)) return bad(err, path, "must be an object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (!json_is_string(v) || !version_valid(json_string_value(v))) {
            char p[160];
            snprintf(p, sizeof p, "%s.%s", path, key);
            return bad(err, p, "must be a model version");
        }
    }
    return CF_OK;
}

static cf_err check_split(const json_t *arms, const char *path, cf_error *err) {
    if (!json_is_object(arms) || json_object_size(arms) == 0)
        return bad(err, path, "must map versions to shares");
    double sum = 0;
    const char *version;
    const json_t *share;
    json_object_foreach((json_t *)arms, version, share) {
        double s = json_number_value(share);
        if (!json_is_number(share) || !(s > 0 && s <= 1) || !version_valid(version))
            return bad(err, path, "every share must be a number in (0, 1] keyed by a version");
        sum += s;
    }
    if (sum < 1 - SHARE_EPS || sum > 1 + SHARE_EPS) return bad(err, path, "shares must add up to 1");
    return CF_OK;
}

static cf_err check_kind(const char *name, const json_t *k, cf_error *err) {
    char path[96];
    if (!json_is_object(k)) return bad(err, name, "must be an object");
    snprintf(path, sizeof path, "kinds.%s.defaults", name);
    cf_err rc = check_versions(json_object_get(k, "defaults"), path, err);
    snprintf(path, sizeof path, "kinds.%s.pins", name);
    if (!rc) rc = check_versions(json_object_get(k, "pins"), path, err);
    const json_t *splits = json_object_get(k, "splits");
    if (!rc && !json_is_object(splits)) rc = bad(err, name, "splits must be an object");
    const char *profile;
    const json_t *arms;
    json_object_foreach((json_t *)splits, profile, arms) {
        if (rc) break;
        snprintf(path, sizeof path, "kinds.%s.splits.%.40s", name, profile);
        rc = check_split(arms, path, err);
    }
    return rc;
}

/* Fills in missing kinds and checks the shape; err names the member at fault. */
static cf_err check_state(json_t *s, cf_error *err) {
    json_t *k = json_object_get(s, "kinds");
    if (!json_is_object(s) || !json_is_object(k)) return bad(err, "kinds", "must be an object");
    if (!json_is_array(json_object_get(s, "history"))) json_object_set_new(s, "history", json_array());
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!json_object_get(k, kinds[i].name)) json_object_set_new(k, kinds[i].name, empty_kind());
    const char *name;
    json_t *v;
    json_object_foreach(k, name, v) {
        if (!cf_model_kind_find(name)) return bad(err, name, "unknown kind of model");
        cf_err rc = check_kind(name, v, err);
        if (rc) return rc;
    }
    return CF_OK;
}

cf_err cf_model_registry_parse_state(const char *text, size_t len, json_t **out, cf_error *err) {
    cf_error jerr;
    json_t *s = cf_json_parse(text, len, 16, &jerr);
    if (!s) return cf_error_set(err, jerr.code, "registry.json: %s", jerr.msg);
    cf_err rc = check_state(s, err);
    if (rc) json_decref(s);
    else *out = s;
    return rc;
}

static cf_err load_state(const char *dir, json_t **out, cf_error *err) {
    char *file = cf_path_join(dir, STATE_FILE);
    if (!file) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_error jerr;
    json_t *s = cf_json_load_file(file, 4 << 20, 16, &jerr);
    free(file);
    if (!s && jerr.code != CF_ERR_NOT_FOUND)
        return cf_error_set(err, jerr.code, "registry.json: %s", jerr.msg);
    if (!s) s = empty_state();
    cf_err rc = s ? check_state(s, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc) json_decref(s);
    else *out = s;
    return rc;
}

/* ---- models -------------------------------------------------------------------------------- */

static cf_model_entry *add_entry(cf_model_registry *r, const cf_model_kind *k, const char *version) {
    cf_model_entry *grown = realloc(r->models, (r->n_models + 1) * sizeof *grown);
    if (!grown) return NULL;
    r->models = grown;
    cf_model_entry *e = &r->models[r->n_models++];
    memset(e, 0, sizeof *e);
    e->kind = k;
    snprintf(e->version, sizeof e->version, "%s", version);
    return e;
}

static cf_err add_file(cf_model_registry *r, const cf_model_kind *k, const char *version, const char *name,
                       cf_error *err) {
    cf_model_entry *e = add_entry(r, k, version);
    if (!e || !(e->path = cf_path_join(r->dir, name)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    struct stat st;
    if (stat(e->path, &st) == 0) e->mtime = (long long)st.st_mtime;
    cf_error jerr;
    e->doc = cf_json_load_file(e->path, MODEL_MAX_BYTES, 32, &jerr);
    if (!e->doc) e->problem = strdup(jerr.msg);
    else if (!json_is_object(e->doc)) e->problem = strdup("not a JSON object");
    return CF_OK;
}

static int entry_order(const void *a, const void *b) {
    const cf_model_entry *x = a, *y = b;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    if (!x->path != !y->path) return x->path ? 1 : -1; /* built-in versions first */
    return strverscmp(x->version, y->version);
}

static cf_err scan(cf_model_registry *r, cf_error *err) {
    DIR *d = opendir(r->dir);
    if (!d)
        return cf_error_set(err, errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO, "models directory %s: %s",
                            r->dir, strerror(errno));
    cf_err rc = CF_OK;
    struct dirent *de;
    while (rc == CF_OK && (de = readdir(d))) {
        char version[CF_MODEL_VERSION_MAX];
        const cf_model_kind *k = kind_of_file(de->d_name, version, sizeof version);
        if (k) rc = add_file(r, k, version, de->d_name, err);
    }
    closedir(d);
    for (size_t i = 0; rc == CF_OK && i < sizeof kinds / sizeof kinds[0]; i++)
        for (const char *const *b = kinds[i].builtin_versions; b && *b; b++)
            if (!add_entry(r, &kinds[i], *b)) rc = cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    if (rc == CF_OK && r->n_models) qsort(r->models, r->n_models, sizeof *r->models, entry_order);
    return rc;
}

cf_err cf_model_registry_open(const char *dir, cf_model_registry **out, cf_error *err) {
    *out = NULL;
    cf_model_registry *r = calloc(1, sizeof *r);
    if (!r || !(r->dir = strdup(dir))) {
        free(r);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    }
    cf_err rc = scan(r, err);
    if (!rc) rc = load_state(dir, &r->state, err);
    if (rc) {
        cf_model_registry_free(r);
        return rc;
    }
    *out = r;
    return CF_OK;
}

void cf_model_registry_free(cf_model_registry *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_models; i++) {
        free(r->models[i].path);
        free(r->models[i].problem);
        json_decref(r->models[i].doc);
    }
    free(r->models);
    json_decref(r->state);
    free(r->dir);
    free(r);
}

const cf_model_entry *cf_model_registry_find(const cf_model_registry *r, const char *kind,
                                             const char *version) {
    for (size_t i = 0; version && i < r->n_models; i++)
        if (!strcmp(r->models[i].kind->name, kind) && !strcmp(r->models[i].version, version))
            return &r->models[i];
    return NULL;
}

bool cf_model_entry_supports(const cf_model_entry *e, const char *profile) {
    if (!e->path) return true;
    if (e->problem) return false;
    if (!e->kind->per_profile || !strcmp(profile, "*")) return true;
    const json_t *profiles = json_object_get(e->doc, "profiles");
    size_t i;
    const json_t *p;
    json_array_foreach(profiles, i, p) {
        if (json_is_string(p) && !strcmp(json_string_value(p), profile)) return true;
    }
    return false;
}

/* The distinct features a model's inputs read, in order of first use. */
static json_t *input_features(const json_t *doc) {
    json_t *out = json_array();
    size_t i, k;
    const json_t *in, *seen;
    json_array_foreach(json_object_get(doc, "inputs"), i, in) {
        const json_t *f = json_object_get(in, "feature");
        bool dup = !json_is_string(f);
        json_array_foreach(out, k, seen) dup |= json_equal(seen, f);
        if (!dup) json_array_append(out, (json_t *)f);
    }
    return out;
}

json_t *cf_model_metadata(const cf_model_entry *e) {
    static const char *const members[] = {"trained_at", "parent_version", "training_data",
                                          "features",   "metrics",        "profiles"};
    json_t *o = json_object();
    for (size_t i = 0; e->doc && i < sizeof members / sizeof members[0]; i++) {
        json_t *v = json_object_get(e->doc, members[i]);
        if (v && !json_is_null(v)) json_object_set(o, members[i], v);
    }
    if (e->doc && !json_object_get(o, "features") && json_object_get(e->doc, "inputs"))
        json_object_set_new(o, "features", input_features(e->doc));
    return o;
}

/* ---- resolution ---------------------------------------------------------------------------- */

const json_t *cf_model_registry_assignment(const cf_model_registry *r, const char *kind) {
    return json_object_get(json_object_get(r->state, "kinds"), kind);
}

double cf_model_split_point(const char *media_key) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)media_key; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
    h ^= h >> 33; /* FNV's low bits mix poorly; fold the high ones in */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (double)(h >> 11) / 9007199254740992.0;
}

typedef struct arm {
    const char *version;
    double share;
} arm;

static int arm_order(const void *a, const void *b) {
    return strverscmp(((const arm *)a)->version, ((const arm *)b)->version);
}

/* The arm of arms (a split) for point u in [0, 1): arms in version order, cumulative shares. */
static const char *split_arm(const json_t *arms, double u, double *share) {
    arm a[64];
    size_t n = 0;
    const char *version;
    const json_t *s;
    json_object_foreach((json_t *)arms, version, s) {
        if (n < 64) a[n++] = (arm){version, json_number_value(s)};
    }
    if (!n) return NULL;
    qsort(a, n, sizeof *a, arm_order);
    double cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += a[i].share;
        if (u < cum || i + 1 == n) return *share = a[i].share, a[i].version;
    }
    return NULL;
}

static bool take(const json_t *v, cf_model_choice *out, const char *fmt, const char *arg) {
    if (!json_is_string(v)) return false;
    snprintf(out->version, sizeof out->version, "%s", json_string_value(v));
    snprintf(out->why, sizeof out->why, fmt, arg); /* a note for people: cut if it must be */
    return true;
}

bool cf_model_registry_resolve(const cf_model_registry *r, const char *kind, const char *profile,
                               const char *media_key, cf_model_choice *out) {
    memset(out, 0, sizeof *out);
    const json_t *k = cf_model_registry_assignment(r, kind);
    const json_t *pins = json_object_get(k, "pins"), *defaults = json_object_get(k, "defaults");
    char scope[160];
    /* a cut scope would name another media or profile: no pin can be looked up for it */
    if (media_key && cf_fmt(scope, sizeof scope, "media:%s", media_key) &&
        take(json_object_get(pins, scope), out, "pin %.150s", scope))
        return true;
    if (cf_fmt(scope, sizeof scope, "profile:%s", profile) &&
        take(json_object_get(pins, scope), out, "pin %.150s", scope))
        return true;
    const json_t *arms = json_object_get(json_object_get(k, "splits"), profile);
    if (arms && media_key) {
        double u = cf_model_split_point(media_key), share = 0;
        const char *v = split_arm(arms, u, &share);
        if (v) {
            snprintf(out->version, sizeof out->version, "%s", v);
            snprintf(out->why, sizeof out->why, "split %s: arm %s (share %.3g, hash %.3f)", profile, v, share,
                     u);
            return true;
        }
    }
    if (take(json_object_get(defaults, profile), out, "default %s", profile)) return true;
    return take(json_object_get(defaults, "*"), out, "default %s", "*");
}

bool cf_model_registry_needs_media_key(const cf_model_registry *r, const char *kind, const char *profile) {
    const json_t *k = cf_model_registry_assignment(r, kind);
    if (json_object_get(json_object_get(k, "splits"), profile)) return true;
    const char *scope;
    const json_t *v;
    json_object_foreach(json_object_get(k, "pins"), scope, v) {
        if (!strncmp(scope, "media:", 6)) return true;
    }
    return false;
}

json_t *cf_model_registry_roles(const cf_model_registry *r, const char *kind, const char *version) {
    const json_t *k = cf_model_registry_assignment(r, kind);
    json_t *defaults = json_array(), *pinned = json_array(), *splits = json_object();
    const char *key;
    const json_t *v;
    json_object_foreach(json_object_get(k, "defaults"), key, v) {
        if (!strcmp(json_string_value(v), version)) json_array_append_new(defaults, json_string(key));
    }
    json_object_foreach(json_object_get(k, "pins"), key, v) {
        if (!strcmp(json_string_value(v), version)) json_array_append_new(pinned, json_string(key));
    }
    json_object_foreach(json_object_get(k, "splits"), key, v) {
        const json_t *share = json_object_get(v, version);
        if (share) json_object_set_new(splits, key, json_real(json_number_value(share)));
    }
    return json_pack("{s:o, s:o, s:o}", "default_for", defaults, "pinned", pinned, "splits", splits);
}

/* ---- changes ------------------------------------------------------------------------------- */

typedef cf_err (*change_fn)(cf_model_registry *r, json_t *kind_state, void *arg, json_t *event,
                            cf_error *err);

static void iso_now(char *buf, size_t cap) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cf_err write_state(cf_model_registry *r, json_t *event, cf_error *err) {
    char at[32];
    iso_now(at, sizeof at);
    json_object_set_new(event, "at", json_string(at));
    json_t *history = json_object_get(r->state, "history");
    json_array_append(history, event);
    while (json_array_size(history) > HISTORY_MAX) json_array_remove(history, 0);
    char *file = cf_path_join(r->dir, STATE_FILE);
    cf_err rc =
        file ? cf_json_write_file(r->state, file, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    free(file);
    return rc;
}

#define WRITABLE_HINT "set --models-dir or CLIPFORGE_HIGHLIGHT_MODELS_DIR to a writable copy of it"

cf_err cf_model_registry_require_writable(const char *dir, cf_error *err) {
    char mine[PATH_MAX], shipped[PATH_MAX];
    if (realpath(dir, mine) && realpath(cf_share_path("models"), shipped) && !strcmp(mine, shipped))
        return cf_error_set(
            err, CF_ERR_INVALID_ARGUMENT,
            "models directory %s holds the models shipped with clipforge, which are read-only: " WRITABLE_HINT
            " (cp -r %s DIR)",
            dir, dir);
    return CF_OK;
}

/* Runs fn on a fresh copy of the registry while holding registry.lock; writes when it passes. */
static cf_err change(const char *dir, const char *kind, const char *action, change_fn fn, void *arg,
                     cf_error *err) {
    if (!cf_model_kind_find(kind))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "unknown kind of model '%s'", kind);
    cf_err rc = cf_model_registry_require_writable(dir, err);
    if (rc) return rc;
    char *lock = cf_path_join(dir, LOCK_FILE);
    int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    free(lock);
    if (fd < 0 && (errno == EROFS || errno == EACCES || errno == EPERM))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "models directory %s is not writable (%s): " WRITABLE_HINT, dir, strerror(errno));
    if (fd < 0)
        return cf_error_set(err, CF_ERR_IO, "models directory %s: cannot lock: %s", dir, strerror(errno));
    cf_model_registry *r = NULL;
    rc = flock(fd, LOCK_EX) == 0 ? CF_OK : cf_error_set(err, CF_ERR_IO, "lock: %s", strerror(errno));
    if (!rc) rc = cf_model_registry_open(dir, &r, err);
    json_t *event = json_pack("{s:s, s:s}", "action", action, "kind", kind);
    if (!rc) rc = fn(r, json_object_get(json_object_get(r->state, "kinds"), kind), arg, event, err);
    if (!rc) rc = check_state(r->state, err);
    if (!rc) rc = write_state(r, event, err);
    json_decref(event);
    cf_model_registry_free(r);
    close(fd); /* releases the lock */
    return rc;
}

/* The version exists for kind, its file is usable and it serves profile ("*" = any). */
static cf_err require_version(const cf_model_registry *r, const char *kind, const char *version,
                              const char *profile, cf_error *err) {
    const cf_model_entry *e = cf_model_registry_find(r, kind, version);
    if (!e)
        return cf_error_set(err, CF_ERR_NOT_FOUND, "no %s model version '%s' in %s", kind, version, r->dir);
    if (e->problem)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s model %s cannot be used: %s", kind, version,
                            e->problem);
    if (!cf_model_entry_supports(e, profile))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s model %s does not support profile '%s'", kind,
                            version, profile);
    return CF_OK;
}

typedef struct default_args {
    const char *kind, *version, *note;
    const char *const *profiles;
    size_t n;
} default_args;

static cf_err do_default(cf_model_registry *r, json_t *k, void *arg, json_t *event, cf_error *err) {
    default_args *a = arg;
    json_t *defaults = json_object_get(k, "defaults"), *list = json_array();
    json_object_set_new(event, "version", json_string(a->version));
    json_object_set_new(event, "profiles", list);
    if (a->note) json_object_set_new(event, "note", json_string(a->note));
    for (size_t i = 0; i < a->n; i++) {
        if (!cf_model_kind_find(a->kind)->per_profile && strcmp(a->profiles[i], "*"))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "%s models serve every profile (*), not '%s'",
                                a->kind, a->profiles[i]);
        cf_err rc = require_version(r, a->kind, a->version, a->profiles[i], err);
        if (rc) return rc;
        json_object_set_new(defaults, a->profiles[i], json_string(a->version));
        json_array_append_new(list, json_string(a->profiles[i]));
    }
    return CF_OK;
}

cf_err cf_model_registry_set_default(const char *dir, const char *kind, const char *version,
                                     const char *const *profiles, size_t n, const char *note, cf_error *err) {
    if (!n) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no profile to publish for");
    default_args a = {kind, version, note, profiles, n};
    return change(dir, kind, "publish", do_default, &a, err);
}

typedef struct pin_args {
    const char *kind, *scope, *version;
} pin_args;

static cf_err do_pin(cf_model_registry *r, json_t *k, void *arg, json_t *event, cf_error *err) {
    pin_args *a = arg;
    json_t *pins = json_object_get(k, "pins");
    json_object_set_new(event, "scope", json_string(a->scope));
    if (!a->version) {
        if (json_object_del(pins, a->scope) != 0)
            return cf_error_set(err, CF_ERR_NOT_FOUND, "no %s pin on %s", a->kind, a->scope);
        return CF_OK;
    }
    const char *profile = !strncmp(a->scope, "profile:", 8) ? a->scope + 8 : "*";
    cf_err rc = require_version(r, a->kind, a->version, profile, err);
    if (rc) return rc;
    json_object_set_new(event, "version", json_string(a->version));
    json_object_set_new(pins, a->scope, json_string(a->version));
    return CF_OK;
}

cf_err cf_model_registry_pin(const char *dir, const char *kind, const char *scope, const char *version,
                             cf_error *err) {
    bool media = !strncmp(scope, "media:", 6), profile = !strncmp(scope, "profile:", 8);
    const char *rest = media ? scope + 6 : profile ? scope + 8 : "";
    if (!*rest || strlen(rest) > 128)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "pin scope '%s': expected profile:NAME or media:ID",
                            scope);
    pin_args a = {kind, scope, version};
    return change(dir, kind, version ? "pin" : "unpin", do_pin, &a, err);
}

typedef struct split_args {
    const char *kind, *profile;
    const char *const *versions;
    const double *shares;
    size_t n;
} split_args;

static cf_err do_split(cf_model_registry *r, json_t *k, void *arg, json_t *event, cf_error *err) {
    split_args *a = arg;
    json_t *splits = json_object_get(k, "splits"), *arms = json_object();
    json_object_set_new(event, "profile", json_string(a->profile));
    json_object_set_new(event, "arms", arms);
    if (!a->n) {
        if (json_object_del(splits, a->profile) != 0)
            return cf_error_set(err, CF_ERR_NOT_FOUND, "no %s split on profile %s", a->kind, a->profile);
        return CF_OK;
    }
    for (size_t i = 0; i < a->n; i++) {
        cf_err rc = require_version(r, a->kind, a->versions[i], a->profile, err);
        if (rc) return rc;
        if (json_object_get(arms, a->versions[i]))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "version %s named twice", a->versions[i]);
        json_object_set_new(arms, a->versions[i], json_real(a->shares[i]));
    }
    json_object_set(splits, a->profile, arms);
    return CF_OK;
}

cf_err cf_model_registry_split(const char *dir, const char *kind, const char *profile,
                               const char *const *versions, const double *shares, size_t n, cf_error *err) {
    split_args a = {kind, profile, versions, shares, n};
    return change(dir, kind, n ? "split" : "unsplit", do_split, &a, err);
}
