/* cmd_keys.c — `clipforge keys`: create, list and revoke API keys in the job store of the data
 * dir (or CLIPFORGE_STORE_URL), the operator's way in before any admin key exists. The new key is
 * printed once, on the last line of stdout; only its salted hash is stored. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "application/app.h"
#include "application/auth.h"
#include "application/job_service.h"
#include "cli/cli.h"
#include "clipforge/config.h"

static void usage(FILE *out) {
    fprintf(out, "Usage: clipforge keys create --tenant T --role viewer|editor|admin [--name TEXT]\n"
                 "       clipforge keys list [--tenant T]\n"
                 "       clipforge keys revoke ID [--tenant T]\n"
                 "Options: [--data-dir DIR] [--json]\n\n"
                 "API keys for the HTTP API (CLIPFORGE_AUTH). A key belongs to one tenant: it sees\n"
                 "that tenant's media and jobs only. Roles: viewer (read), editor (upload, submit,\n"
                 "label, delete), admin (also keys). `create` prints the key on its last line: it\n"
                 "is shown this once, and stored only as a salted hash.\n\n"
                 "  --data-dir DIR  where the store is (CLIPFORGE_DATA_DIR; or CLIPFORGE_STORE_URL)\n"
                 "  --tenant T      1-64 of a-z 0-9 - _ (create: required)\n"
                 "  --role R        viewer, editor or admin\n"
                 "  --name TEXT     a note to recognise the key by\n"
                 "  --json          machine-readable output\n"
                 "  -h, --help      this help\n");
}

typedef struct keys_args {
    const char *action, *tenant, *role, *name, *id;
    bool json;
} keys_args;

static int parse_args(int argc, char **argv, cf_config *cfg, keys_args *a) {
    static const struct option longs[] = {{"data-dir", required_argument, NULL, 'd'},
                                          {"tenant", required_argument, NULL, 't'},
                                          {"role", required_argument, NULL, 'r'},
                                          {"name", required_argument, NULL, 'n'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    cf_error err;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (cf_config_set(cfg, "CLIPFORGE_DATA_DIR", optarg, &err))
                return cf_cli_usage_error("keys", "%s", err.msg);
            break;
        case 't': a->tenant = optarg; break;
        case 'r': a->role = optarg; break;
        case 'n': a->name = optarg; break;
        case 'j': a->json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return CF_CLI_USAGE_EXIT;
        }
    }
    if (optind >= argc) return cf_cli_usage_error("keys", "say what to do: create, list or revoke");
    a->action = argv[optind++];
    if (!strcmp(a->action, "revoke")) {
        if (optind >= argc)
            return cf_cli_usage_error("keys", "revoke: which key (its id, from `keys list`)?");
        a->id = argv[optind++];
    } else if (strcmp(a->action, "create") && strcmp(a->action, "list")) {
        return cf_cli_usage_error("keys", "unknown action '%s' (create, list or revoke)", a->action);
    }
    if (optind < argc) return cf_cli_usage_error("keys", "unexpected argument '%s'", argv[optind]);
    if (a->tenant && !cf_tenant_valid(a->tenant))
        return cf_cli_usage_error("keys", "--tenant: 1-64 of a-z, 0-9, '-' and '_'");
    return -1;
}

static int create(cf_store *store, const keys_args *a) {
    cf_role role;
    if (!a->tenant) return cf_cli_usage_error("keys", "create: --tenant is required");
    if (!cf_role_parse(a->role, &role))
        return cf_cli_usage_error("keys", "create: --role viewer, editor or admin");
    char *key = NULL;
    cf_key_record k;
    cf_error err;
    if (cf_auth_key_create(store, a->tenant, role, a->name, &key, &k, &err)) return cf_cli_fail("keys", &err);
    if (a->json) {
        json_t *o = cf_key_record_json(&k);
        json_object_set_new(o, "key", json_string(key));
        json_dumpf(o, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
    } else {
        printf("key %s for tenant %s, role %s (shown once; store it now):\n%s\n", k.id, k.tenant, k.role,
               key);
    }
    memset(key, 0, strlen(key));
    free(key);
    cf_key_record_free(&k);
    return 0;
}

static int list(cf_store *store, const keys_args *a) {
    cf_key_record *rows = NULL;
    size_t n = 0;
    cf_error err;
    if (cf_store_key_list(store, a->tenant, &rows, &n, &err)) return cf_cli_fail("keys", &err);
    json_t *items = json_array();
    if (!a->json) printf("%-12s  %-20s  %-6s  %-24s  %s\n", "ID", "TENANT", "ROLE", "CREATED", "STATE");
    for (size_t i = 0; i < n; i++) {
        if (a->json) {
            json_array_append_new(items, cf_key_record_json(&rows[i]));
            continue;
        }
        char created[40];
        cf_format_timestamp(rows[i].created_at, created, sizeof created);
        printf("%-12s  %-20s  %-6s  %-24s  %s%s%s\n", rows[i].id, rows[i].tenant, rows[i].role, created,
               rows[i].revoked_at ? "revoked" : "valid", rows[i].name ? "  " : "",
               rows[i].name ? rows[i].name : "");
    }
    json_t *doc = json_pack("{s:o}", "items", items);
    if (a->json) {
        json_dumpf(doc, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    }
    json_decref(doc);
    cf_key_records_free(rows, n);
    return 0;
}

int cf_cmd_keys(int argc, char **argv) {
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("keys", &err);
    keys_args a = {0};
    int code = parse_args(argc, argv, &cfg, &a);
    cf_store *store = NULL;
    if (code < 0 && cf_app_open_store(&cfg, &store, &err)) code = cf_cli_fail("keys", &err);
    if (code < 0 && !strcmp(a.action, "create")) code = create(store, &a);
    else if (code < 0 && !strcmp(a.action, "list")) code = list(store, &a);
    else if (code < 0 && cf_store_key_revoke(store, a.id, a.tenant, cf_now_ms(), &err))
        code = cf_cli_fail("keys", &err);
    else if (code < 0) code = (printf("key %s revoked\n", a.id), 0);
    cf_store_close(store);
    cf_config_free(&cfg);
    return code;
}
