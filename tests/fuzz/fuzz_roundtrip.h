/* fuzz_roundtrip.h — the property every generated parser is fuzzed for: any byte string either
 * fails cleanly (a "<path>: <problem>" message, nothing leaked) or parses into a value whose
 * serialization parses again into the same value. A violation aborts, which libFuzzer and the
 * corpus driver report as a failure. */
#ifndef CLIPFORGE_FUZZ_ROUNDTRIP_H
#define CLIPFORGE_FUZZ_ROUNDTRIP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/domain/types.h"
#include "clipforge/json.h"

#define FUZZ_MAX_DEPTH 64

static void fuzz_check(int ok, const char *what) {
    if (ok) return;
    fprintf(stderr, "fuzz property violated: %s\n", what);
    abort();
}

#define FUZZ_ROUND_TRIP(type, data, size)                                                                    \
    do {                                                                                                     \
        cf_error err_;                                                                                       \
        cf_error_clear(&err_);                                                                               \
        json_t *in_ = cf_json_parse((const char *)(data), (size), FUZZ_MAX_DEPTH, &err_);                    \
        if (!in_) break;                                                                                     \
        cf_##type v_;                                                                                        \
        if (cf_##type##_from_json(in_, &v_, &err_) != CF_OK) {                                               \
            fuzz_check(err_.code == CF_ERR_INVALID_ARGUMENT || err_.code == CF_ERR_NO_MEMORY,                \
                       "unexpected error code");                                                             \
            fuzz_check(strstr(err_.msg, ": ") != NULL, "message without a field path");                      \
            json_decref(in_);                                                                                \
            break;                                                                                           \
        }                                                                                                    \
        json_t *out_ = cf_##type##_to_json(&v_);                                                             \
        fuzz_check(out_ != NULL, "valid value does not serialize");                                          \
        cf_##type again_;                                                                                    \
        fuzz_check(cf_##type##_from_json(out_, &again_, &err_) == CF_OK, "serialized value does not parse"); \
        json_t *out2_ = cf_##type##_to_json(&again_);                                                        \
        fuzz_check(json_equal(out_, out2_), "round trip changed the value");                                 \
        json_decref(out2_);                                                                                  \
        json_decref(out_);                                                                                   \
        cf_##type##_free(&again_);                                                                           \
        cf_##type##_free(&v_);                                                                               \
        json_decref(in_);                                                                                    \
    } while (0)

#endif
