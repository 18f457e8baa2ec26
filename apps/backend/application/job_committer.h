/* job_committer.h — group commit of job submissions. Callers hand a creation over and are told
 * when it is stored (or refused); one thread stores everything waiting at that moment in one
 * transaction (cf_store_job_create_many), so that concurrent submissions share a commit
 * instead of taking one each. Nothing is reported before its batch is committed, so an answer
 * built on it is as durable as one built on cf_store_job_create. The thread starts with the
 * first submission and waits for none: a submission that arrives alone is stored at once. */
#ifndef CLIPFORGE_JOB_COMMITTER_H
#define CLIPFORGE_JOB_COMMITTER_H

#include "clipforge/store.h"

/* Submissions stored in one transaction at most. */
#define CF_JOB_COMMIT_BATCH 128

typedef struct cf_job_pending cf_job_pending;
struct cf_job_pending {
    cf_job_submission sub; /* sub.in (and what it points to) stays the submitter's until done */
    /* Called once sub.rc, sub.out and sub.replayed are final: from the committer's thread, or
     * from the submitter's own inside cf_job_committer_submit once the committer is closed. */
    void (*done)(cf_job_pending *p);
    cf_job_pending *next; /* the committer's */
};

typedef struct cf_job_committer cf_job_committer;

cf_err cf_job_committer_new(cf_store *store, cf_job_committer **out, cf_error *err);
/* Queues p for the next batch; p->done reports the outcome. */
void cf_job_committer_submit(cf_job_committer *c, cf_job_pending *p);
/* Stores everything queued and reports it, then stops the thread: later submissions are stored
 * in the submitter's thread before cf_job_committer_submit returns. NULL-safe, idempotent. */
void cf_job_committer_close(cf_job_committer *c);
/* Closes c and frees it. NULL-safe. */
void cf_job_committer_free(cf_job_committer *c);

#endif
