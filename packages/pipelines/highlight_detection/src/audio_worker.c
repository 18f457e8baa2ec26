/* audio_worker.c — the audio analyzer on its own thread behind a bounded queue.
 *
 * The decoding thread fills blocks of one second of samples and hands them over; the analysing
 * thread takes them in order. A block is filled outside the lock: the slot being filled is never
 * among the queued ones (slots [head, head + count) are queued, the writer fills head + count),
 * and the analyser releases a slot only when it is done with it. SLOTS blocks bound the memory
 * and keep the two threads at most that far apart. When no thread can be started, the samples are
 * analysed on the caller's thread: the same hops, only slower. */
#include "audio_worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK CF_AUDIO_RATE /* samples per queued block: one second */
#define SLOTS 8

struct audio_worker {
    audio_analyzer *aa;
    audio_hop *hops; /* written by whichever thread runs the analyzer */
    size_t n_hops, cap_hops;
    bool oom;
    float *slot[SLOTS];
    size_t len[SLOTS];
    int writing;          /* slot being filled by the decoding thread, -1 for none */
    pthread_mutex_t lock; /* guards head, count, closing */
    pthread_cond_t changed;
    size_t head, count;
    bool closing;
    pthread_t thread;
    bool threaded;
};

static void on_hop(void *user, const audio_hop *h) {
    audio_worker *w = user;
    if (w->n_hops == w->cap_hops) {
        size_t cap = w->cap_hops ? w->cap_hops * 2 : 1024;
        audio_hop *grown = realloc(w->hops, cap * sizeof *grown);
        if (!grown) {
            w->oom = true;
            return;
        }
        w->hops = grown;
        w->cap_hops = cap;
    }
    w->hops[w->n_hops++] = *h;
}

static void *analyse(void *arg) {
    audio_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->count == 0 && !w->closing) pthread_cond_wait(&w->changed, &w->lock);
        if (w->count == 0) break; /* closing, and everything queued is analysed */
        size_t i = w->head;
        pthread_mutex_unlock(&w->lock);
        hl_audio_analyzer_push(w->aa, w->slot[i], w->len[i]);
        pthread_mutex_lock(&w->lock);
        w->head = (w->head + 1) % SLOTS;
        w->count--;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

cf_err hl_audio_worker_new(audio_worker **out, cf_error *err) {
    audio_worker *w = calloc(1, sizeof *w);
    if (!w) return cf_error_set(err, CF_ERR_NO_MEMORY, "audio analysis: out of memory");
    w->writing = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    cf_err rc = hl_audio_analyzer_new(on_hop, w, &w->aa, err);
    for (int i = 0; rc == CF_OK && i < SLOTS; i++)
        if (!(w->slot[i] = malloc(BLOCK * sizeof(float))))
            rc = cf_error_set(err, CF_ERR_NO_MEMORY, "audio analysis: out of memory");
    if (rc) {
        hl_audio_worker_free(w);
        return rc;
    }
    w->threaded = pthread_create(&w->thread, NULL, analyse, w) == 0;
    *out = w;
    return CF_OK;
}

/* Hands the slot being filled to the analysing thread. */
static void commit(audio_worker *w) {
    pthread_mutex_lock(&w->lock);
    w->count++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    w->writing = -1;
}

/* The slot to fill, once the queue has room for it. */
static int slot_to_fill(audio_worker *w) {
    if (w->writing >= 0) return w->writing;
    pthread_mutex_lock(&w->lock);
    while (w->count == SLOTS) pthread_cond_wait(&w->changed, &w->lock);
    w->writing = (int)((w->head + w->count) % SLOTS);
    pthread_mutex_unlock(&w->lock);
    w->len[w->writing] = 0;
    return w->writing;
}

void hl_audio_worker_push(audio_worker *w, const float *samples, size_t n) {
    if (!w->threaded) {
        hl_audio_analyzer_push(w->aa, samples, n);
        return;
    }
    while (n > 0) {
        int s = slot_to_fill(w);
        size_t take = BLOCK - w->len[s];
        if (take > n) take = n;
        memcpy(w->slot[s] + w->len[s], samples, take * sizeof(float));
        w->len[s] += take;
        samples += take;
        n -= take;
        if (w->len[s] == BLOCK) commit(w);
    }
}

/* Lets the thread analyse what is queued and waits for it to end. */
static void stop(audio_worker *w) {
    if (!w->threaded) return;
    if (w->writing >= 0 && w->len[w->writing] > 0) commit(w);
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->threaded = false;
}

cf_err hl_audio_worker_finish(audio_worker *w, audio_hop **hops, size_t *n, cf_error *err) {
    stop(w);
    hl_audio_analyzer_flush(w->aa);
    if (w->oom) return cf_error_set(err, CF_ERR_NO_MEMORY, "audio analysis: out of memory");
    *hops = w->hops;
    *n = w->n_hops;
    w->hops = NULL;
    w->n_hops = w->cap_hops = 0;
    return CF_OK;
}

void hl_audio_worker_free(audio_worker *w) {
    if (!w) return;
    stop(w);
    hl_audio_analyzer_free(w->aa);
    for (int i = 0; i < SLOTS; i++) free(w->slot[i]);
    free(w->hops);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
    free(w);
}
