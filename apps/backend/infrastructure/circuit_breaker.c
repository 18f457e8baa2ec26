/* circuit_breaker.c — closed / open / half-open (see circuit_breaker.h). */
#include "infrastructure/circuit_breaker.h"

void cf_breaker_init(cf_breaker *b, int threshold, int64_t cooldown_ms) {
    *b = (cf_breaker){.threshold = threshold > 0 ? threshold : 1, .cooldown_ms = cooldown_ms};
    pthread_mutex_init(&b->lock, NULL);
}

void cf_breaker_destroy(cf_breaker *b) {
    pthread_mutex_destroy(&b->lock);
}

bool cf_breaker_allow(cf_breaker *b, int64_t now_ms, bool *trial) {
    pthread_mutex_lock(&b->lock);
    *trial = false;
    bool ok = !b->open;
    if (b->open && !b->trial && now_ms - b->opened_at >= b->cooldown_ms) ok = *trial = b->trial = true;
    pthread_mutex_unlock(&b->lock);
    return ok;
}

void cf_breaker_success(cf_breaker *b, bool trial) {
    pthread_mutex_lock(&b->lock);
    b->failures = 0;
    if (trial || !b->open) b->open = b->trial = false;
    pthread_mutex_unlock(&b->lock);
}

void cf_breaker_failure(cf_breaker *b, int64_t now_ms, bool trial) {
    pthread_mutex_lock(&b->lock);
    if (trial) b->trial = false;
    if (trial || (!b->open && ++b->failures >= b->threshold)) {
        if (!b->open) b->opened_total++;
        b->open = true;
        b->opened_at = now_ms;
    }
    pthread_mutex_unlock(&b->lock);
}

cf_breaker_state cf_breaker_state_at(cf_breaker *b, int64_t now_ms) {
    pthread_mutex_lock(&b->lock);
    cf_breaker_state s = !b->open                                              ? CF_BREAKER_CLOSED
                         : b->trial || now_ms - b->opened_at >= b->cooldown_ms ? CF_BREAKER_HALF_OPEN
                                                                               : CF_BREAKER_OPEN;
    pthread_mutex_unlock(&b->lock);
    return s;
}

const char *cf_breaker_state_name(cf_breaker_state s) {
    return s == CF_BREAKER_CLOSED ? "closed" : s == CF_BREAKER_OPEN ? "open" : "half_open";
}
