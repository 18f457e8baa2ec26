/* Fuzzes what a render timeline from a client goes through before any media is touched: the
 * generated parser (cf_timeline_from_json, with the round trip of fuzz_roundtrip.h), then the
 * rules beyond the schema (cf_timeline_check) and the length computed from the scenes. A timeline
 * the checks accept must have a length of at least 1 ms, reached without overflow (UBSan). */
#include "../../packages/pipelines/rendering/src/timeline_check.h"
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FUZZ_ROUND_TRIP(timeline, data, size);
    cf_error err;
    cf_error_clear(&err);
    json_t *in = cf_json_parse((const char *)data, size, FUZZ_MAX_DEPTH, &err);
    cf_timeline tl;
    if (!in || cf_timeline_from_json(in, &tl, &err) != CF_OK) {
        json_decref(in);
        return 0;
    }
    if (cf_timeline_check(&tl, &err) == CF_OK)
        fuzz_check(cf_timeline_duration_ms(&tl) >= 1, "empty timeline");
    else
        fuzz_check(err.code == CF_ERR_INVALID_ARGUMENT && strstr(err.msg, ": "),
                   "check failed without a field");
    cf_timeline_free(&tl);
    json_decref(in);
    return 0;
}
