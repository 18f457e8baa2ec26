/* job_committer.c — the group commit of job submissions (job_committer.h): a FIFO of pending
 * submissions guarded by one lock, and one thread that takes up to CF_JOB_COMMIT_BATCH of them
 * at a time into one cf_store_job_create_many. While a batch commits, the next one gathers. */
#include "application/job_committer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/log.h"

struct cf_job_committer {
    cf_store *store;
    pthread_mutex_t lock; /* guards head, tail, started, closed */
    pthread_cond_t wake;
    cf_job_pending *head, *tail;
    bool started, closed;
    pthread_t thread;
    cf_job_submission batch[CF_JOB_COMMIT_BATCH]; /* the thread's */
};

/* Stores ps[0..n) in one transaction and reports each. */
static void commit(cf_store *store, cf_job_submission *batch, cf_job_pending **ps, size_t n) {
    for (size_t i = 0; i < n; i++) batch[i] = ps[i]->sub;
    cf_error err;
    if (cf_store_job_create_many(store, batch, n, &err))
        cf_log_warn("jobs", "storing %zu submissions: %s", n, err.msg);
    for (size_t i = 0; i < n; i++) {
        ps[i]->sub = batch[i];
        ps[i]->done(ps[i]); /* may free ps[i] */
    }
}

static void *committer_main(void *arg) {
    cf_job_committer *c = arg;
    cf_job_pending *ps[CF_JOB_COMMIT_BATCH];
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->head && !c->closed) pthread_cond_wait(&c->wake, &c->lock);
        if (!c->head) break; /* closed and drained */
        size_t n = 0;
        while (c->head && n < CF_JOB_COMMIT_BATCH) {
            ps[n++] = c->head;
            c->head = c->head->next;
        }
        if (!c->head) c->tail = NULL;
        pthread_mutex_unlock(&c->lock);
        commit(c->store, c->batch, ps, n);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

cf_err cf_job_committer_new(cf_store *store, cf_job_committer **out, cf_error *err) {
    cf_job_committer *c = calloc(1, sizeof *c);
    if (!c) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    c->store = store;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    *out = c;
    return CF_OK;
}

void cf_job_committer_submit(cf_job_committer *c, cf_job_pending *p) {
    p->next = NULL;
    pthread_mutex_lock(&c->lock);
    if (!c->started && !c->closed) {
        c->started = pthread_create(&c->thread, NULL, committer_main, c) == 0;
        if (!c->started) cf_log_warn("jobs", "no group commit thread: storing submissions one by one");
    }
    bool queued = c->started && !c->closed;
    if (queued) {
        if (c->tail) c->tail->next = p;
        else c->head = p;
        c->tail = p;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    if (queued) return;
    cf_job_submission *sub = &p->sub;
    cf_error err;
    if (cf_store_job_create_many(c->store, sub, 1, &err))
        cf_log_warn("jobs", "storing a submission: %s", err.msg);
    p->done(p);
}

void cf_job_committer_close(cf_job_committer *c) {
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    bool join = c->started && !c->closed;
    c->closed = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    if (join) pthread_join(c->thread, NULL);
}

void cf_job_committer_free(cf_job_committer *c) {
    if (!c) return;
    cf_job_committer_close(c);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
