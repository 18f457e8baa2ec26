/* Fuzzes every generated type through the registry. An input is "<TypeName>\n<JSON>"; a name
 * that is no type picks one from its bytes, so mutations of the name still reach every parser. */
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const cf_domain_type *pick_type(const uint8_t *name, size_t len) {
    size_t count;
    const cf_domain_type *types = cf_domain_types(&count);
    for (size_t i = 0; i < count; i++)
        if (strlen(types[i].name) == len && memcmp(types[i].name, name, len) == 0) return &types[i];
    size_t h = 0;
    for (size_t i = 0; i < len; i++) h = h * 31 + name[i];
    return &types[h % count];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size);
    size_t name_len = nl ? (size_t)(nl - data) : 0;
    const cf_domain_type *t = pick_type(data, name_len);
    const uint8_t *json = nl ? nl + 1 : data;
    size_t json_len = size - (size_t)(json - data);

    cf_error err;
    json_t *in = cf_json_parse((const char *)json, json_len, FUZZ_MAX_DEPTH, &err);
    if (!in) return 0;
    void *v = calloc(1, t->size), *again = calloc(1, t->size);
    fuzz_check(v && again, "out of memory");
    if (t->from_json_at(in, "", v, &err) != CF_OK) {
        fuzz_check(strstr(err.msg, ": ") != NULL, "message without a field path");
    } else {
        json_t *out = t->to_json(v);
        fuzz_check(out != NULL, "valid value does not serialize");
        fuzz_check(t->from_json_at(out, "", again, &err) == CF_OK, "serialized value does not parse");
        json_t *out2 = t->to_json(again);
        fuzz_check(json_equal(out, out2), "round trip changed the value");
        json_decref(out2);
        json_decref(out);
        t->free(again);
        t->free(v);
    }
    free(again);
    free(v);
    json_decref(in);
    return 0;
}
