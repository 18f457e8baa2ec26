/* cmd_features.c — `clipforge features ls`: the catalogue of the feature store (features by
 * media content hash and extractor version in the configured storage). Settings:
 * CLIPFORGE_STORAGE_URL, CLIPFORGE_DATA_DIR. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "application/app.h"
#include "cli/ai_cli.h"
#include "cli/cli.h"
#include "features/feature_store.h"

static const char *features_help =
    "Usage: clipforge features ls [--all] [--long] [--json]\n"
    "The feature store: feature tracks kept in the configured storage (CLIPFORGE_STORAGE_URL)\n"
    "under the content hash (SHA-256) of the media they describe and the extractor version,\n"
    "shared by detection, the inference service, training and evaluation.\n"
    "  ls      one line per stored track: hash, extractor version, audio-events model, size,\n"
    "          when it was stored\n"
    "  --all   also tracks of older extractor versions (never read by this one)\n"
    "  --long  also what each track describes (duration, media, streams), read from the track\n"
    "  --json  machine-readable output\n"
    "Exit codes: 0 success, 1 processing error, 2 usage or input error.\n";

typedef struct features_args {
    bool all, lng, json;
} features_args;

static int parse_args(int argc, char **argv, features_args *a) {
    static const struct option longs[] = {{"all", no_argument, NULL, 'a'},
                                          {"long", no_argument, NULL, 'l'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'a': a->all = true; break;
        case 'l': a->lng = true; break;
        case 'j': a->json = true; break;
        case 'h': fputs(features_help, stdout); return 0;
        default: fputs(features_help, stderr); return 2;
        }
    }
    if (optind >= argc || strcmp(argv[optind], "ls"))
        return cf_cli_usage_error("features", "expected the action 'ls'");
    if (optind + 1 < argc)
        return cf_cli_usage_error("features", "unexpected argument '%s'", argv[optind + 1]);
    return -1;
}

/* The entry as JSON; with details, what its track says (duration, streams, description). */
static json_t *entry_json(cf_feature_store *fs, const cf_feature_entry *e, bool details) {
    char at[32];
    time_t t = (time_t)e->stored_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *o = json_pack("{s:s, s:i, s:s, s:b, s:I, s:s}", "sha256", e->sha256, "extractor", e->extractor,
                          "events_model", e->events, "current", e->current, "bytes", (json_int_t)e->bytes,
                          "stored_at", at);
    cf_feature_track *track = NULL;
    json_t *meta = NULL;
    cf_error err;
    if (details && e->current &&
        cf_feature_store_get(fs, e->sha256, strcmp(e->events, "none") ? e->events : "", &track, &meta,
                             &err) == CF_OK) {
        json_object_set_new(o, "duration_ms", json_integer(track->duration_ms));
        json_object_set_new(o, "hops", json_integer((json_int_t)track->n_hops));
        json_object_set_new(o, "has_audio", json_boolean(track->has_audio));
        json_object_set_new(o, "has_video", json_boolean(track->has_video));
        if (meta) json_object_set(o, "description", meta);
    }
    json_decref(meta);
    cf_feature_track_free(track);
    return o;
}

static void print_line(const json_t *o, bool lng) {
    printf("%s  v%-3lld %-16s %10lld  %s", json_string_value(json_object_get(o, "sha256")),
           (long long)json_integer_value(json_object_get(o, "extractor")),
           json_string_value(json_object_get(o, "events_model")),
           (long long)json_integer_value(json_object_get(o, "bytes")),
           json_string_value(json_object_get(o, "stored_at")));
    const json_t *d = json_object_get(o, "description");
    if (lng && json_object_get(o, "duration_ms")) {
        const char *name = json_string_value(json_object_get(d, "media_name"));
        const char *id = json_string_value(json_object_get(d, "media_id"));
        printf("  %9.1f s  %s%s  %s", json_integer_value(json_object_get(o, "duration_ms")) / 1000.0,
               json_is_true(json_object_get(o, "has_audio")) ? "A" : "-",
               json_is_true(json_object_get(o, "has_video")) ? "V" : "-",
               name ? name
               : id ? id
                    : "");
    }
    printf("\n");
}

static int run(const features_args *a, const cf_config *cfg) {
    cf_error err;
    cf_storage *storage = NULL;
    cf_feature_store *fs = NULL;
    cf_feature_entry *e = NULL;
    size_t n = 0;
    cf_err rc = cf_app_open_storage(cfg, &storage, &err);
    if (!rc) rc = cf_feature_store_open(storage, NULL, &fs, &err);
    if (!rc) rc = cf_feature_store_list(fs, &e, &n, &err);
    json_t *items = json_array();
    for (size_t i = 0; !rc && i < n; i++)
        if (a->all || e[i].current) json_array_append_new(items, entry_json(fs, &e[i], a->lng || a->json));
    if (!rc && a->json) {
        json_t *doc = json_pack("{s:i, s:O}", "extractor", cf_features_version(), "items", items);
        char *text = json_dumps(doc, JSON_INDENT(2));
        puts(text ? text : "{}");
        free(text);
        json_decref(doc);
    } else if (!rc) {
        size_t i;
        json_t *o;
        json_array_foreach(items, i, o) print_line(o, a->lng);
        fprintf(stderr, "%zu tracks (extractor v%d)\n", json_array_size(items), cf_features_version());
    }
    json_decref(items);
    free(e);
    cf_feature_store_free(fs);
    cf_storage_close(storage);
    return rc ? cf_cli_fail("features", &err) : 0;
}

int cf_cmd_features(int argc, char **argv) {
    features_args a = {0};
    int code = parse_args(argc, argv, &a);
    if (code >= 0) return code;
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("features", &err);
    code = run(&a, &cfg);
    cf_config_free(&cfg);
    return code;
}
