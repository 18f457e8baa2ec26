/* cmd_train.c — `clipforge train`: a new highlight model version from the labels reviewers saved
 * through the API (the store and storage of --data-dir, or CLIPFORGE_STORE_URL /
 * CLIPFORGE_STORAGE_URL) and from label files (--labels DIR), with features from the feature
 * store; see apps/ai/training/trainer.h. Prints {model_version, metrics, published}. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "application/app.h"
#include "cli/ai_cli.h"
#include "cli/ai_common.h"
#include "cli/cli.h"
#include "clipforge/highlight.h"
#include "clipforge/store.h"
#include "registry/model_registry.h"
#include "registry/publish.h"
#include "training/trainer.h"

static const char *train_help =
    "Usage: clipforge train --data-dir DIR --out-dir DIR [--base VERSION] [--profile P]\n"
    "                       [--labels DIR] [--version NAME] [--folds K] [--l2 X] [--publish] [--json]\n"
    "Fits a new highlight model version on reviewers' labels: accepted spans are highlights,\n"
    "rejected ones (and the parts of proposed spans a reviewer cut off) are not, and where nobody\n"
    "looked the version keeps to its base. Cross-validates by media against the base and writes\n"
    "OUT/highlight-<version>.json with its metadata and metrics, and a report beside it.\n"
    "  --data-dir DIR   the labels saved through the API: the store and storage of this data dir\n"
    "                   (or CLIPFORGE_STORE_URL / CLIPFORGE_STORAGE_URL)\n"
    "  --labels DIR     also media with label files (<media>.labels.json, see `clipforge eval`)\n"
    "  --out-dir DIR    the registry the version goes to (usually the models dir)\n"
    "  --base VERSION   what it starts from and is compared with (default: what serves --profile\n"
    "                   in OUT now, e.g. heuristic or the current default)\n"
    "  --profile P      span bounds used to pick the threshold and to publish (default generic)\n"
    "  --version NAME   default: v<N+1>\n"
    "  --folds K        cross-validation folds (default min(5, media))\n"
    "  --l2 X           pull towards the base's weights (default 1.0)\n"
    "  --publish        make it the default of --profile when it beats the current default\n"
    "  --json           print the summary as JSON\n"
    "Exit codes: 0 success, 1 processing error (or a refused publish), 2 usage or input error.\n";

typedef struct train_args {
    const char *data_dir, *out_dir, *labels, *models_dir;
    cf_train_options o;
    bool json, have_data, publish;
} train_args;

static int parse_args(int argc, char **argv, cf_config *cfg, train_args *a) {
    static const struct option longs[] = {{"data-dir", required_argument, NULL, 'd'},
                                          {"out-dir", required_argument, NULL, 'o'},
                                          {"base", required_argument, NULL, 'b'},
                                          {"profile", required_argument, NULL, 'p'},
                                          {"labels", required_argument, NULL, 'L'},
                                          {"version", required_argument, NULL, 'v'},
                                          {"folds", required_argument, NULL, 'f'},
                                          {"l2", required_argument, NULL, 'l'},
                                          {"models-dir", required_argument, NULL, 'm'},
                                          {"publish", no_argument, NULL, 'P'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    cf_error err;
    char *end = NULL;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (cf_config_set(cfg, "CLIPFORGE_DATA_DIR", optarg, &err))
                return cf_cli_usage_error("train", "%s", err.msg);
            a->have_data = true;
            break;
        case 'o': a->o.out_dir = optarg; break;
        case 'b': a->o.base = optarg; break;
        case 'p': a->o.profile = optarg; break;
        case 'L': a->labels = optarg; break;
        case 'v': a->o.version = optarg; break;
        case 'm': a->models_dir = optarg; break;
        case 'P': a->publish = true; break;
        case 'j': a->json = true; break;
        case 'f':
            a->o.folds = (int)strtol(optarg, &end, 10);
            if (*end || a->o.folds < 2 || a->o.folds > 50)
                return cf_cli_usage_error("train", "--folds: 2..50");
            break;
        case 'l':
            a->o.l2 = strtod(optarg, &end);
            if (*end || !(a->o.l2 > 0 && a->o.l2 <= 1e6))
                return cf_cli_usage_error("train", "--l2: a number > 0");
            break;
        case 'h': fputs(train_help, stdout); return 0;
        default: fputs(train_help, stderr); return 2;
        }
    }
    if (optind < argc) return cf_cli_usage_error("train", "unexpected argument '%s'", argv[optind]);
    if (!a->o.out_dir) return cf_cli_usage_error("train", "--out-dir DIR is required");
    if (!a->have_data && !a->labels)
        return cf_cli_usage_error("train", "--data-dir DIR (or --labels DIR) is required");
    if (a->o.version && strlen(a->o.version) >= 48) return cf_cli_usage_error("train", "--version: too long");
    if (!cf_hl_profile_known(a->o.profile))
        return cf_cli_usage_error("train", "unknown profile '%s'", a->o.profile);
    return -1;
}

/* Loads the labelled media of the data dir's store and of --labels. */
static cf_err load(const train_args *a, const cf_config *cfg, cf_ai_tracks *tracks, cf_train_set *set,
                   cf_error *err) {
    cf_err rc = CF_OK;
    if (a->have_data) {
        cf_store *store = NULL;
        char *url = NULL;
        if (cfg->store_url && *cfg->store_url) url = strdup(cfg->store_url);
        else if (asprintf(&url, "sqlite:%s/clipforge.db", cfg->data_dir) < 0) url = NULL;
        rc = url ? cf_store_open(url, &store, err) : cf_error_set(err, CF_ERR_NO_MEMORY, "oom");
        if (!rc) rc = cf_train_set_add_store(set, store, tracks->storage, &tracks->source, err);
        cf_store_close(store);
        free(url);
    }
    if (!rc && a->labels) rc = cf_train_set_add_files(set, a->labels, &tracks->source, err);
    return rc;
}

static void print_text(const json_t *s, const char *profile) {
    printf("model %s written to %s\n", json_string_value(json_object_get(s, "model_version")),
           json_string_value(json_object_get(s, "file")));
    const json_t *cv = json_object_get(json_object_get(s, "metrics"), "cv");
    const json_t *row = json_object_get(json_object_get(cv, "profiles"), profile);
    const json_t *c = json_object_get(row, "candidate"), *b = json_object_get(row, "base");
    printf("cross-validation (%lld folds, %s): F1 %.3f vs %.3f for %s, AP %.3f vs %.3f\n",
           (long long)json_integer_value(json_object_get(cv, "folds")), profile,
           json_number_value(json_object_get(c, "f1")), json_number_value(json_object_get(b, "f1")),
           json_string_value(json_object_get(cv, "base_version")),
           json_number_value(json_object_get(c, "ap")), json_number_value(json_object_get(b, "ap")));
    const char *report = json_string_value(json_object_get(s, "report"));
    if (report) printf("report: %s\n", report);
}

/* --publish: for the training profile, through the same gate as `models publish`. */
static cf_err publish(const train_args *a, json_t *summary, cf_error *err) {
    const char *profiles[] = {a->o.profile};
    cf_publish_options po = {.kind = "highlight",
                             .version = json_string_value(json_object_get(summary, "model_version")),
                             .profiles = profiles,
                             .n_profiles = 1};
    json_t *report = NULL;
    cf_err rc = cf_model_publish(a->o.out_dir, &po, &report, err);
    json_object_set_new(summary, "publish", report ? report : json_null());
    json_object_set_new(summary, "published", json_boolean(rc == CF_OK));
    return rc;
}

static int run(train_args *a, cf_config *cfg) {
    cf_error err;
    cf_ai_tracks tracks;
    memset(&tracks, 0, sizeof tracks);
    cf_train_set set = {0};
    json_t *summary = NULL;
    a->o.models_dir = cf_ai_models_dir(cfg, a->models_dir);
    /* before the features of every labelled media are computed, which may take minutes */
    cf_err rc = cf_model_registry_require_writable(a->o.out_dir, &err);
    if (!rc) rc = cf_ai_tracks_open(&tracks, cfg, &err);
    if (!rc && !tracks.storage) rc = cf_app_open_storage(cfg, &tracks.storage, &err);
    if (!rc) rc = load(a, cfg, &tracks, &set, &err);
    if (!rc) rc = cf_train(&set, &a->o, &summary, &err);
    cf_error perr;
    cf_err prc = !rc && a->publish ? publish(a, summary, &perr) : CF_OK;
    if (summary && a->json) {
        char *text = json_dumps(summary, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
        puts(text ? text : "{}");
        free(text);
    } else if (summary) {
        print_text(summary, a->o.profile);
        if (a->publish) printf("%s\n", prc ? perr.msg : "published");
    }
    json_decref(summary);
    cf_train_set_free(&set);
    cf_ai_tracks_close(&tracks);
    if (rc) return cf_cli_fail("train", &err);
    return prc ? cf_cli_fail("train", &perr) : 0;
}

int cf_cmd_train(int argc, char **argv) {
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("train", &err);
    train_args a = {.o = {.profile = "generic"}};
    int code = parse_args(argc, argv, &cfg, &a);
    if (code < 0) code = run(&a, &cfg);
    cf_config_free(&cfg);
    return code;
}
