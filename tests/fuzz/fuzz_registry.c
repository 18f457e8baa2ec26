/* Fuzzes the model registry's registry.json reader (cf_model_registry_parse_state) and what
 * runs on what it accepts: resolution by profile and media key must name a version the file
 * assigns (a pin, a split arm or a default), and roles must be computable for it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/model_registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when version is one of the values of obj (a pins or defaults object) or a key of any
 * split. */
static bool assigned(const json_t *kind, const char *version) {
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(kind, "pins"), k,
                        v) if (!strcmp(json_string_value(v), version)) return true;
    json_object_foreach((json_t *)json_object_get(kind, "defaults"), k,
                        v) if (!strcmp(json_string_value(v), version)) return true;
    json_object_foreach((json_t *)json_object_get(kind, "splits"), k,
                        v) if (json_object_get(v, version)) return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *state = NULL;
    if (cf_model_registry_parse_state((const char *)data, size, &state, NULL) != CF_OK) return 0;
    cf_model_registry r = {.dir = "", .state = state};
    static const char *const profiles[] = {"generic", "sports", "*", "music"};
    static const char *const keys[] = {"m_1", "m_2", "sha256:ab", "x"};
    for (size_t p = 0; p < 4; p++)
        for (size_t k = 0; k < 5; k++) {
            cf_model_choice c;
            if (!cf_model_registry_resolve(&r, "highlight", profiles[p], k < 4 ? keys[k] : NULL, &c))
                continue;
            if (!assigned(cf_model_registry_assignment(&r, "highlight"), c.version)) abort();
            json_decref(cf_model_registry_roles(&r, "highlight", c.version));
        }
    json_decref(state);
    return 0;
}
