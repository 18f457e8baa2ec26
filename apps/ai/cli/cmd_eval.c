/* cmd_eval.c — `clipforge eval`: model versions compared on a held-out evaluation set (media
 * with label files; see apps/ai/training/evaluate.h), features from the feature store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ai_cli.h"
#include "cli/ai_common.h"
#include "cli/cli.h"
#include "clipforge/highlight.h"
#include "registry/model_registry.h"
#include "registry/publish.h"

#define MAX_VERSIONS 8

static const char *eval_help =
    "Usage: clipforge eval --model V [--model V2 ...] --set DIR [--profile P] [--models-dir DIR] [--json]\n"
    "Detects every media of the evaluation set DIR (media files with <media>.labels.json:\n"
    "{\"spans\": [{\"start_ms\", \"end_ms\", \"verdict\": \"accept\"|\"reject\"}]}) with each version and\n"
    "reports precision, recall, F1 and AP at temporal IoU >= 0.5 against the accepted spans, the\n"
    "mean IoU and boundary error of the matches and detections on rejected spans. One --model is\n"
    "compared with the version that serves the profile now. A version that cannot serve the\n"
    "profile is an error, not a silent fallback.\n"
    "  --model V        a highlight model version of the registry, or heuristic (repeatable)\n"
    "  --set DIR        the held-out media and their labels\n"
    "  --profile P      default generic\n"
    "  --models-dir DIR the registry (CLIPFORGE_HIGHLIGHT_MODELS_DIR)\n"
    "  --json           {set, profile, versions: {V: metrics}}\n"
    "Exit codes: 0 success, 1 processing error, 2 usage or input error.\n";

typedef struct eval_args {
    const char *versions[MAX_VERSIONS];
    size_t n;
    const char *set, *profile, *models_dir;
    bool json;
    char current[CF_MODEL_VERSION_MAX]; /* the current default, when it joins versions */
} eval_args;

static int parse_args(int argc, char **argv, eval_args *a) {
    static const struct option longs[] = {{"model", required_argument, NULL, 'm'},
                                          {"set", required_argument, NULL, 's'},
                                          {"profile", required_argument, NULL, 'p'},
                                          {"models-dir", required_argument, NULL, 'd'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (a->n == MAX_VERSIONS) return cf_cli_usage_error("eval", "at most %d --model", MAX_VERSIONS);
            a->versions[a->n++] = optarg;
            break;
        case 's': a->set = optarg; break;
        case 'p': a->profile = optarg; break;
        case 'd': a->models_dir = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(eval_help, stdout); return 0;
        default: fputs(eval_help, stderr); return 2;
        }
    }
    if (optind < argc) return cf_cli_usage_error("eval", "unexpected argument '%s'", argv[optind]);
    if (!a->n || !a->set) return cf_cli_usage_error("eval", "--model V and --set DIR are required");
    if (!cf_hl_profile_known(a->profile))
        return cf_cli_usage_error("eval", "unknown profile '%s'", a->profile);
    return -1;
}

static void print_table(const json_t *doc) {
    printf("%-12s %6s %6s %6s %6s %8s %10s %12s\n", "VERSION", "P", "R", "F1", "AP", "IoU", "edge ms",
           "on rejected");
    const char *v;
    json_t *m;
    json_object_foreach((json_t *)json_object_get(doc, "versions"), v, m)
        printf("%-12s %6.3f %6.3f %6.3f %6.3f %8.3f %10.0f %12lld\n", v,
               json_number_value(json_object_get(m, "precision")),
               json_number_value(json_object_get(m, "recall")), json_number_value(json_object_get(m, "f1")),
               json_number_value(json_object_get(m, "ap")), json_number_value(json_object_get(m, "mean_iou")),
               json_number_value(json_object_get(m, "boundary_ms")),
               (long long)json_integer_value(json_object_get(m, "on_rejected")));
    printf("%lld media, %lld wanted spans, profile %s\n",
           (long long)json_integer_value(json_object_get(doc, "media")),
           (long long)json_integer_value(json_object_get(doc, "truth")),
           json_string_value(json_object_get(doc, "profile")));
}

/* The current default joins a lone --model. */
static void add_current(eval_args *a, const char *dir) {
    cf_model_registry *r = NULL;
    cf_error err;
    if (a->n != 1 || cf_model_registry_open(dir, &r, &err)) return;
    snprintf(a->current, sizeof a->current, "%s", cf_publish_current_default(r, "highlight", a->profile));
    cf_model_registry_free(r);
    if (*a->current && strcmp(a->current, a->versions[0])) a->versions[a->n++] = a->current;
}

static int run(eval_args *a, const cf_config *cfg) {
    cf_error err;
    cf_ai_tracks tracks;
    cf_eval_set *set = NULL;
    const char *dir = cf_ai_models_dir(cfg, a->models_dir);
    add_current(a, dir);
    cf_err rc = cf_ai_tracks_open(&tracks, cfg, &err);
    if (!rc) rc = cf_eval_set_load(a->set, &set, &err);
    json_t *versions = json_object(), *doc = NULL;
    for (size_t i = 0; !rc && i < a->n; i++) {
        json_t *m = NULL;
        rc = cf_eval_version(set, &tracks.source, dir, a->versions[i], a->profile, &m, &err);
        if (!rc) json_object_set_new(versions, a->versions[i], m);
    }
    if (!rc) {
        json_t *first = json_object_iter_value(json_object_iter(versions));
        doc = json_pack("{s:s, s:s, s:O, s:O, s:O}", "set", a->set, "profile", a->profile, "media",
                        json_object_get(first, "media"), "truth", json_object_get(first, "truth"), "versions",
                        versions);
        if (a->json) {
            char *text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
            puts(text ? text : "{}");
            free(text);
        } else {
            print_table(doc);
        }
    }
    json_decref(doc);
    json_decref(versions);
    cf_eval_set_free(set);
    cf_ai_tracks_close(&tracks);
    return rc ? cf_cli_fail("eval", &err) : 0;
}

int cf_cmd_eval(int argc, char **argv) {
    eval_args a = {.profile = "generic"};
    int code = parse_args(argc, argv, &a);
    if (code >= 0) return code;
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("eval", &err);
    code = run(&a, &cfg);
    cf_config_free(&cfg);
    return code;
}
