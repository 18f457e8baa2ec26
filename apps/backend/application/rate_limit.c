/* rate_limit.c — token buckets in an open-addressed table of fixed size. When the table is full
 * the least recently used of the probed slots is taken over: a bucket that has been idle a full
 * period is full again anyway, so forgetting it changes nothing, and a flood of new names can
 * only evict, never grow memory. */
#include "application/rate_limit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8192
#define PROBES 8
#define NAME_MAX_LEN 72

typedef struct bucket {
    char name[NAME_MAX_LEN];
    double tokens;
    int64_t last_ms;
} bucket;

struct cf_rate_limit {
    double capacity; /* N */
    double per_ms;   /* N / period */
    pthread_mutex_t lock;
    bucket slots[SLOTS];
};

cf_err cf_rate_limit_new(const char *spec, cf_rate_limit **out, cf_error *err) {
    *out = NULL;
    if (!spec || !*spec) return CF_OK;
    char *end = NULL;
    long long n = strtoll(spec, &end, 10);
    int64_t period_ms = !strcmp(end, "/s") ? 1000 : !strcmp(end, "/m") ? 60000 : 0;
    if (end == spec || n < 1 || n > 1000000 || !period_ms)
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "CLIPFORGE_RATE_LIMIT: '%s' is not N/s or N/m",
                            spec);
    cf_rate_limit *rl = calloc(1, sizeof *rl);
    if (!rl) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    rl->capacity = (double)n;
    rl->per_ms = (double)n / (double)period_ms;
    pthread_mutex_init(&rl->lock, NULL);
    *out = rl;
    return CF_OK;
}

void cf_rate_limit_free(cf_rate_limit *rl) {
    if (!rl) return;
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The bucket of name: its slot, a free one, or the least recently used of the probed ones. */
static bucket *find(cf_rate_limit *rl, const char *name, bool *fresh) {
    uint64_t h = hash(name);
    bucket *oldest = NULL;
    for (int i = 0; i < PROBES; i++) {
        bucket *b = &rl->slots[(h + (uint64_t)i) % SLOTS];
        if (!strcmp(b->name, name)) {
            *fresh = false;
            return b;
        }
        if (!b->name[0]) {
            oldest = b;
            break;
        }
        if (!oldest || b->last_ms < oldest->last_ms) oldest = b;
    }
    *fresh = true;
    return oldest;
}

bool cf_rate_limit_take(cf_rate_limit *rl, const char *name, int64_t now_ms, int64_t *retry_after_s) {
    *retry_after_s = 0;
    if (!rl || !name || !*name) return true;
    char key[NAME_MAX_LEN];
    snprintf(key, sizeof key, "%s", name); /* a longer name shares its prefix's bucket */
    pthread_mutex_lock(&rl->lock);
    bool fresh;
    bucket *b = find(rl, key, &fresh);
    if (fresh) {
        memcpy(b->name, key, sizeof b->name);
        b->tokens = rl->capacity;
        b->last_ms = now_ms;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rl->per_ms;
        if (b->tokens > rl->capacity) b->tokens = rl->capacity;
        b->last_ms = now_ms;
    }
    bool ok = b->tokens >= 1.0;
    if (ok) b->tokens -= 1.0;
    else *retry_after_s = (int64_t)((1.0 - b->tokens) / rl->per_ms / 1000.0) + 1;
    pthread_mutex_unlock(&rl->lock);
    return ok;
}
