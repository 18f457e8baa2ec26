/* cmd_models.c — `clipforge models list|show|publish|pin|split`: the model registry from the
 * command line (apps/ai/registry). Settings: CLIPFORGE_HIGHLIGHT_MODELS_DIR (--models-dir). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "application/ai_events.h"
#include "cli/ai_cli.h"
#include "cli/ai_common.h"
#include "cli/cli.h"
#include "clipforge/config.h"
#include "clipforge/bus.h"
#include "clipforge/highlight.h"
#include "infrastructure/backends.h"
#include "registry/model_registry.h"
#include "registry/publish.h"

#define MAX_PROFILES 16
#define MAX_ARMS 16

static const char *models_help =
    "Usage: clipforge models list [--kind K] [--models-dir DIR] [--json]\n"
    "       clipforge models show VERSION [--kind K] [--models-dir DIR] [--json]\n"
    "       clipforge models publish VERSION [--profile P]... [--set DIR] [--force] [--kind K]\n"
    "       clipforge models pin VERSION (--profile P | --media ID) [--kind K]\n"
    "       clipforge models pin --clear (--profile P | --media ID) [--kind K]\n"
    "       clipforge models split --profile P VERSION=SHARE... | --clear [--kind K]\n"
    "The model registry: versioned model files and which version serves what.\n"
    "  list      every version with its metadata and its roles (default, pins, A/B shares)\n"
    "  show      one version: metadata, training data, metrics, roles, online evaluation\n"
    "  publish   make VERSION the default for its profiles (or each --profile); refused unless\n"
    "            it beats the current default: on --set DIR (evaluated now), else on the\n"
    "            comparison `clipforge train` recorded against the same default; --force skips\n"
    "  pin       hold a profile, or one media id, to VERSION (over splits and defaults)\n"
    "  split     an A/B split of a profile between versions (shares add up to 1), the arm\n"
    "            chosen by a stable hash of the media id: v1=0.9 v2=0.1\n"
    "  --kind K         highlight (default) or audio_events\n"
    "  --models-dir DIR the registry (CLIPFORGE_HIGHLIGHT_MODELS_DIR, default apps/ai/models)\n"
    "  --json           machine-readable output\n"
    "Exit codes: 0 success, 1 processing error, 2 usage or input error (a refused publish is 1).\n";

typedef struct models_args {
    const char *action, *version, *kind, *dir, *media, *set;
    const char *profiles[MAX_PROFILES];
    size_t n_profiles;
    const char *arms[MAX_ARMS];
    size_t n_arms;
    bool json, force, clear;
} models_args;

static int parse_args(int argc, char **argv, models_args *a) {
    static const struct option longs[] = {
        {"kind", required_argument, NULL, 'k'},    {"models-dir", required_argument, NULL, 'd'},
        {"profile", required_argument, NULL, 'p'}, {"media", required_argument, NULL, 'm'},
        {"set", required_argument, NULL, 's'},     {"json", no_argument, NULL, 'j'},
        {"force", no_argument, NULL, 'f'},         {"clear", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'k': a->kind = optarg; break;
        case 'd': a->dir = optarg; break;
        case 'm': a->media = optarg; break;
        case 's': a->set = optarg; break;
        case 'j': a->json = true; break;
        case 'f': a->force = true; break;
        case 'c': a->clear = true; break;
        case 'p':
            if (a->n_profiles == MAX_PROFILES) return cf_cli_usage_error("models", "too many --profile");
            a->profiles[a->n_profiles++] = optarg;
            break;
        case 'h': fputs(models_help, stdout); return 0;
        default: fputs(models_help, stderr); return 2;
        }
    }
    if (optind >= argc)
        return cf_cli_usage_error("models", "which action? list, show, publish, pin or split");
    a->action = argv[optind++];
    for (; optind < argc; optind++) {
        if (strchr(argv[optind], '=') && a->n_arms < MAX_ARMS) a->arms[a->n_arms++] = argv[optind];
        else if (!a->version) a->version = argv[optind];
        else return cf_cli_usage_error("models", "unexpected argument '%s'", argv[optind]);
    }
    if (!cf_model_kind_find(a->kind))
        return cf_cli_usage_error("models", "unknown kind '%s' (highlight, audio_events)", a->kind);
    for (size_t i = 0; i < a->n_profiles; i++)
        if (strcmp(a->profiles[i], "*") && !cf_hl_profile_known(a->profiles[i]))
            return cf_cli_usage_error("models", "unknown profile '%s'", a->profiles[i]);
    return -1;
}

static int print_json(json_t *j) {
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(j);
    if (!text) return fprintf(stderr, "clipforge models: out of memory\n"), 1;
    puts(text);
    free(text);
    return 0;
}

/* A version as JSON: what list and show print. */
static json_t *entry_json(const cf_model_registry *r, const cf_model_entry *e, bool full) {
    json_t *o = json_pack("{s:s, s:s, s:b}", "kind", e->kind->name, "version", e->version, "builtin",
                          e->path == NULL);
    if (e->path) json_object_set_new(o, "file", json_string(e->path));
    if (e->problem) json_object_set_new(o, "problem", json_string(e->problem));
    json_t *meta = cf_model_metadata(e);
    json_object_update(o, meta);
    json_decref(meta);
    if (full && e->doc) json_object_set(o, "model", e->doc);
    json_object_set_new(o, "roles", cf_model_registry_roles(r, e->kind->name, e->version));
    return o;
}

static void print_roles(const json_t *roles) {
    const char *sep = "";
    size_t i;
    const json_t *v;
    const char *key;
    json_array_foreach(json_object_get(roles, "default_for"), i, v) {
        printf("%sdefault %s", sep, json_string_value(v)), sep = "; ";
    }
    json_array_foreach(json_object_get(roles, "pinned"), i, v) {
        printf("%spin %s", sep, json_string_value(v)), sep = "; ";
    }
    json_object_foreach((json_t *)json_object_get(roles, "splits"), key, v) {
        printf("%ssplit %s %.0f%%", sep, key, json_number_value(v) * 100), sep = "; ";
    }
    if (!*sep) printf("-");
}

static int do_list(const cf_model_registry *r, const models_args *a) {
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_models; i++)
        if (!strcmp(r->models[i].kind->name, a->kind))
            json_array_append_new(list, entry_json(r, &r->models[i], false));
    if (a->json)
        return print_json(json_pack("{s:s, s:s, s:o, s:O}", "models_dir", r->dir, "kind", a->kind, "models",
                                    list, "assignment", cf_model_registry_assignment(r, a->kind)));
    printf("%-12s %-10s %-20s %-8s %-30s %s\n", "KIND", "VERSION", "TRAINED", "PARENT", "PROFILES", "SERVES");
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        const char *trained = json_string_value(json_object_get(m, "trained_at"));
        const char *parent = json_string_value(json_object_get(m, "parent_version"));
        char profiles[256] = "";
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(m, "profiles"), k, p) {
            size_t used = strlen(profiles);
            snprintf(profiles + used, sizeof profiles - used, "%s%s", k ? "," : "", json_string_value(p));
        }
        printf("%-12s %-10s %-20.20s %-8s %-30s ", a->kind, json_string_value(json_object_get(m, "version")),
               json_object_get(m, "builtin") == json_true() ? "(built in)"
               : trained                                    ? trained
                                                            : "?",
               parent ? parent : "-", profiles[0] ? profiles : "all");
        print_roles(json_object_get(m, "roles"));
        const char *problem = json_string_value(json_object_get(m, "problem"));
        printf("%s%s\n", problem ? "  UNUSABLE: " : "", problem ? problem : "");
    }
    json_decref(list);
    return 0;
}

static int do_show(const cf_model_registry *r, const models_args *a) {
    if (!a->version) return cf_cli_usage_error("models", "show needs a VERSION");
    const cf_model_entry *e = cf_model_registry_find(r, a->kind, a->version);
    if (!e) {
        fprintf(stderr, "clipforge models: error: no %s model version '%s' in %s\n", a->kind, a->version,
                r->dir);
        return 2;
    }
    json_t *o = entry_json(r, e, a->json);
    if (a->json) return print_json(o);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
        printf("%-16s %s\n", key, text ? text : "?");
        free(text);
    }
    json_decref(o);
    return 0;
}

/* "v1=0.9" into versions/shares. */
static int parse_arms(const models_args *a, char versions[][CF_MODEL_VERSION_MAX], const char **names,
                      double *shares) {
    for (size_t i = 0; i < a->n_arms; i++) {
        const char *eq = strchr(a->arms[i], '=');
        char *end = NULL;
        shares[i] = strtod(eq + 1, &end);
        if ((size_t)(eq - a->arms[i]) >= CF_MODEL_VERSION_MAX || eq == a->arms[i] || end == eq + 1 || *end)
            return cf_cli_usage_error("models", "split arm '%s': expected VERSION=SHARE", a->arms[i]);
        snprintf(versions[i], CF_MODEL_VERSION_MAX, "%.*s", (int)(eq - a->arms[i]), a->arms[i]);
        names[i] = versions[i];
    }
    return -1;
}

/* What pin and split print with --json: the kind's assignment after the change. */
static int print_assignment(const models_args *a, const char *dir, cf_error *err) {
    cf_model_registry *r = NULL;
    if (cf_model_registry_open(dir, &r, err)) return cf_cli_fail("models", err);
    int code = print_json(json_pack("{s:s, s:s, s:O}", "models_dir", r->dir, "kind", a->kind, "assignment",
                                    cf_model_registry_assignment(r, a->kind)));
    cf_model_registry_free(r);
    return code;
}

static int do_split(const models_args *a, const char *dir, cf_error *err) {
    if (a->n_profiles != 1) return cf_cli_usage_error("models", "split needs exactly one --profile");
    if (a->clear == (a->n_arms > 0))
        return cf_cli_usage_error("models", "split needs VERSION=SHARE arms, or --clear");
    char versions[MAX_ARMS][CF_MODEL_VERSION_MAX];
    const char *names[MAX_ARMS];
    double shares[MAX_ARMS];
    int code = parse_arms(a, versions, names, shares);
    if (code >= 0) return code;
    if (cf_model_registry_split(dir, a->kind, a->profiles[0], names, shares, a->n_arms, err))
        return cf_cli_fail("models", err);
    if (a->json) return print_assignment(a, dir, err);
    printf("%s split of %s: %s\n", a->kind, a->profiles[0], a->n_arms ? "set" : "removed");
    return 0;
}

static int do_pin(const models_args *a, const char *dir, cf_error *err) {
    if ((a->n_profiles == 1) == (a->media != NULL) || a->n_profiles > 1)
        return cf_cli_usage_error("models", "pin needs one --profile P or one --media ID");
    if (a->clear == (a->version != NULL))
        return cf_cli_usage_error("models", "pin needs a VERSION, or --clear");
    char scope[192];
    snprintf(scope, sizeof scope, "%s:%s", a->media ? "media" : "profile",
             a->media ? a->media : a->profiles[0]);
    if (cf_model_registry_pin(dir, a->kind, scope, a->version, err)) return cf_cli_fail("models", err);
    if (a->json) return print_assignment(a, dir, err);
    printf("%s %s: %s%s\n", a->kind, scope, a->version ? "pinned to " : "unpinned",
           a->version ? a->version : "");
    return 0;
}

/* Tells inference services on a shared bus (not the in-process memory bus) that version now
 * serves, so they load it before it gets traffic. */
static void announce(const cf_config *cfg, const json_t *report) {
    if (!cfg->bus_url || !strncmp(cfg->bus_url, "memory:", 7)) return;
    cf_backends_register();
    cf_bus *bus = NULL;
    cf_error err;
    cf_error_clear(&err);
    json_t *profiles = json_array();
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(report, "profiles"), i, row)
        json_array_append(profiles, json_object_get(row, "profile"));
    json_t *e =
        json_pack("{s:s, s:O, s:O, s:o}", "type", "ModelPublished", "kind", json_object_get(report, "kind"),
                  "version", json_object_get(report, "version"), "profiles", profiles);
    char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
    if (!text || cf_bus_open(cfg->bus_url, &bus, &err) || cf_bus_publish(bus, CF_TOPIC_AI_MODELS, text, &err))
        fprintf(stderr, "clipforge models: warning: published, but not announced on the bus: %s\n", err.msg);
    cf_bus_close(bus);
    free(text);
    json_decref(e);
}

static int do_publish(const models_args *a, const cf_config *cfg, const char *dir, cf_error *err) {
    if (!a->version) return cf_cli_usage_error("models", "publish needs a VERSION");
    cf_ai_tracks tracks;
    if (a->set && cf_ai_tracks_open(&tracks, cfg, err)) return cf_cli_fail("models", err);
    if (!a->set) memset(&tracks, 0, sizeof tracks);
    cf_publish_options o = {.kind = a->kind,
                            .version = a->version,
                            .profiles = a->profiles,
                            .n_profiles = a->n_profiles,
                            .eval_set = a->set,
                            .tracks = &tracks.source,
                            .force = a->force};
    json_t *report = NULL;
    cf_err rc = cf_model_publish(dir, &o, &report, err);
    cf_ai_tracks_close(&tracks);
    if (rc == CF_OK) announce(cfg, report);
    if (report && a->json) print_json(json_incref(report));
    else if (report) cf_publish_report_print(report, stdout);
    json_decref(report);
    if (rc) return cf_cli_fail("models", err);
    return 0;
}

static int run(const models_args *a, const cf_config *cfg, const char *dir) {
    cf_error err;
    if (!strcmp(a->action, "pin")) return do_pin(a, dir, &err);
    if (!strcmp(a->action, "split")) return do_split(a, dir, &err);
    if (!strcmp(a->action, "publish")) return do_publish(a, cfg, dir, &err);
    if (strcmp(a->action, "list") && strcmp(a->action, "show"))
        return cf_cli_usage_error("models", "unknown action '%s' (list, show, publish, pin, split)",
                                  a->action);
    cf_model_registry *r = NULL;
    if (cf_model_registry_open(dir, &r, &err)) return cf_cli_fail("models", &err);
    int code = !strcmp(a->action, "list") ? do_list(r, a) : do_show(r, a);
    cf_model_registry_free(r);
    return code;
}

int cf_cmd_models(int argc, char **argv) {
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("models", &err);
    models_args a = {.kind = "highlight"};
    int code = parse_args(argc, argv, &a);
    if (code < 0) code = run(&a, &cfg, cf_ai_models_dir(&cfg, a.dir));
    cf_config_free(&cfg);
    return code;
}
