/* circuit_breaker.h — a circuit breaker for one remote service. Closed: requests go; after
 * `threshold` consecutive failures it opens: requests are refused at once for `cooldown_ms`;
 * then it is half-open: one trial request goes (others are still refused), whose success closes
 * it and whose failure opens it for another cooldown. Thread-safe. */
#ifndef CLIPFORGE_CIRCUIT_BREAKER_H
#define CLIPFORGE_CIRCUIT_BREAKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum cf_breaker_state { CF_BREAKER_CLOSED, CF_BREAKER_OPEN, CF_BREAKER_HALF_OPEN } cf_breaker_state;

typedef struct cf_breaker {
    pthread_mutex_t lock; /* guards the rest */
    int threshold;
    int64_t cooldown_ms;
    int failures;     /* consecutive */
    bool open, trial; /* open since opened_at; a half-open trial is out */
    int64_t opened_at;
    long opened_total; /* how many times it opened */
} cf_breaker;

void cf_breaker_init(cf_breaker *b, int threshold, int64_t cooldown_ms);
void cf_breaker_destroy(cf_breaker *b);
/* May a request go at now? *trial = it is the half-open trial (report its outcome with it). */
bool cf_breaker_allow(cf_breaker *b, int64_t now_ms, bool *trial);
void cf_breaker_success(cf_breaker *b, bool trial);
void cf_breaker_failure(cf_breaker *b, int64_t now_ms, bool trial);
/* The state at now (open turns half-open once the cooldown is over). */
cf_breaker_state cf_breaker_state_at(cf_breaker *b, int64_t now_ms);
const char *cf_breaker_state_name(cf_breaker_state s);

#endif
