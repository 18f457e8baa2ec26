/* cmd_openapi.c — `clipforge openapi`: prints the OpenAPI document the server serves at
 * /openapi.json for the settings in the environment, without starting a server, so the
 * TypeScript client (packages/shared/api-client) can be generated from it at build time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "clipforge/config.h"

static const char *openapi_help =
    "Usage: clipforge openapi\n"
    "Prints the HTTP API's OpenAPI 3.1 document (what GET /openapi.json serves),\n"
    "indented, with sorted keys.\n";

int cf_cmd_openapi(int argc, char **argv) {
    (void)argv;
    if (argc > 1) {
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
            fputs(openapi_help, stdout);
            return 0;
        }
        return cf_cli_usage_error("openapi", "takes no arguments");
    }
    cf_config cfg;
    cf_error err;
    if (cf_config_load(&cfg, &err)) return cf_cli_fail("openapi", &err);
    json_t *doc = cf_api_openapi_document(&cfg);
    cf_config_free(&cfg);
    int rc = doc && json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 ? 0 : 1;
    json_decref(doc);
    if (rc) {
        fputs("clipforge openapi: error: cannot build the document\n", stderr);
        return 1;
    }
    fputc('\n', stdout);
    return 0;
}
