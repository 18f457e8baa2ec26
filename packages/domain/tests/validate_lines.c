/* validate_lines.c — a filter for cross-checking the generated validators against a reference
 * JSON Schema implementation: each input line is "<TypeName>\t<json>"; each output line is
 * "ok\t<the value serialized again>" or "error\t<message>". Exits 2 on a malformed line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/domain/types.h"
#include "clipforge/json.h"

static int check_line(char *line) {
    char *tab = strchr(line, '\t');
    if (!tab) return -1;
    *tab = '\0';
    const cf_domain_type *t = cf_domain_type_find(line);
    if (!t) { /* a schema with no C type (a variant without fields) */
        printf("notype\t%s\n", line);
        return 0;
    }
    cf_error err;
    json_t *in = cf_json_parse(tab + 1, strlen(tab + 1), 64, &err);
    if (!in) {
        printf("error\tinvalid JSON: %s\n", err.msg);
        return 0;
    }
    void *value = calloc(1, t->size);
    if (!value) return -1;
    if (t->from_json_at(in, "", value, &err) != CF_OK) {
        printf("error\t%s\n", err.msg);
    } else {
        json_t *out = t->to_json(value);
        char *text = out ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        printf("ok\t%s\n", text ? text : "null");
        free(text);
        json_decref(out);
        t->free(value);
    }
    free(value);
    json_decref(in);
    return 0;
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n') line[n - 1] = '\0';
        if (check_line(line) != 0) {
            fprintf(stderr, "malformed line: %s\n", line);
            rc = 2;
        }
        fflush(stdout);
    }
    free(line);
    return rc;
}
