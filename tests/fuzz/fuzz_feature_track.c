/* Fuzzes the feature store's track reader (cf_feature_track_decode) on raw bytes, as any node
 * reads objects of a shared storage: what it accepts must encode again and decode to the same
 * rows, bit for bit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features/feature_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cf_feature_track *t = NULL, *back = NULL;
    json_t *meta = NULL;
    if (cf_feature_track_decode(data, size, &t, &meta, NULL) != CF_OK) return 0;
    unsigned char *buf = NULL;
    size_t len = 0;
    if (cf_feature_track_encode(t, meta, &buf, &len, NULL) != CF_OK) abort();
    if (cf_feature_track_decode(buf, len, &back, NULL, NULL) != CF_OK) abort();
    if (back->n_hops != t->n_hops || back->duration_ms != t->duration_ms ||
        memcmp(back->v, t->v, t->n_hops * CF_FEAT_COUNT * sizeof *t->v) != 0)
        abort();
    cf_feature_track_free(back);
    cf_feature_track_free(t);
    json_decref(meta);
    free(buf);
    return 0;
}
