/* Fuzzes the check of a remote source URL against the allow-list (cf_source_check and
 * cf_source_host_allowed, apps/backend/infrastructure/source_fetch.c) before any network. The
 * input is "allow-list\nURL". Properties: an accepted URL starts with https:// in any case and
 * holds no space, control character or backslash; nothing is accepted with an empty allow-list;
 * a refusal says why; "*" admits every non-empty host and an empty allow-list none. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_input.h"
#include "infrastructure/source_fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int ok) {
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_input_text(data, size, 4096);
    if (!text) return 0;
    char *nl = strchr(text, '\n');
    const char *allow = nl ? text : "";
    const char *url = nl ? nl + 1 : text;
    if (nl) *nl = '\0';
    cf_error err = {0};
    cf_err rc = cf_source_check(allow, url, &err);
    if (rc == CF_OK) {
        must(!strncasecmp(url, "https://", 8) && *allow);
        for (const char *c = url; *c; c++) must((unsigned char)*c > ' ' && *c != '\\' && *c != 0x7f);
    } else {
        must(rc == CF_ERR_INVALID_ARGUMENT || rc == CF_ERR_PERMISSION || rc == CF_ERR_NO_MEMORY);
        must(err.msg[0] != '\0');
    }
    must(!cf_source_host_allowed("", url));
    must(cf_source_host_allowed("*", url) == (*url != '\0' && strlen(url) < 256));
    cf_source_host_allowed(allow, url);
    free(text);
    return 0;
}
