/* Fuzzes cf_job_create_from_json from raw bytes, then the kind-specific request inside it the way
 * the API does (clip_processing, highlight_detection and transcription requests). */
#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_request(const cf_job_create *jc) {
    cf_error err;
    union {
        cf_clip_processing_request clip;
        cf_highlight_detection_request detect;
        cf_transcription_request transcribe;
    } r;
    switch (jc->kind) {
    case CF_JOB_KIND_CLIP_PROCESSING:
        if (cf_clip_processing_request_from_json_at(jc->request, "request", &r.clip, &err) == CF_OK)
            cf_clip_processing_request_free(&r.clip);
        else fuzz_check(strncmp(err.msg, "request", 7) == 0, "nested path not prefixed");
        break;
    case CF_JOB_KIND_HIGHLIGHT_DETECTION:
        if (cf_highlight_detection_request_from_json_at(jc->request, "request", &r.detect, &err) == CF_OK)
            cf_highlight_detection_request_free(&r.detect);
        break;
    case CF_JOB_KIND_TRANSCRIPTION:
        if (cf_transcription_request_from_json_at(jc->request, "request", &r.transcribe, &err) == CF_OK)
            cf_transcription_request_free(&r.transcribe);
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FUZZ_ROUND_TRIP(job_create, data, size);
    cf_error err;
    json_t *in = cf_json_parse((const char *)data, size, FUZZ_MAX_DEPTH, &err);
    cf_job_create jc;
    if (in && cf_job_create_from_json(in, &jc, &err) == CF_OK) {
        fuzz_request(&jc);
        cf_job_create_free(&jc);
    }
    json_decref(in);
    return 0;
}
