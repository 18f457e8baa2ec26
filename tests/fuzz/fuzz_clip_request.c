/* Fuzzes cf_clip_processing_request_from_json (and its serializer) from raw bytes. */
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FUZZ_ROUND_TRIP(clip_processing_request, data, size);
    return 0;
}
