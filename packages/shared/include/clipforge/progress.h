/* progress.h — how long work reports progress and learns it should stop. The caller owns the
 * struct; pipelines call cf_progress_report() from their worker thread and poll
 * cf_progress_cancelled() at least every few hundred milliseconds. */
#ifndef CLIPFORGE_PROGRESS_H
#define CLIPFORGE_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>

typedef struct cf_progress {
    /* Called with fraction in [0,1] (monotonic) and a short stage name; may be NULL. */
    void (*on_progress)(void *user, double fraction, const char *stage);
    void *user;
    atomic_bool cancel;         /* set by any thread to ask the work to stop */
    struct cf_progress *parent; /* a part of longer work (cf_progress_part), else NULL */
    double lo, hi;              /* the part's share of the parent's progress */
} cf_progress;

/* Initialises p with an optional callback. */
void cf_progress_init(cf_progress *p, void (*on_progress)(void *, double, const char *), void *user);
/* p as a part of parent's work: what is reported to p (0..1) reaches parent as lo..hi, and p
 * is cancelled when parent is. So a pass that reports its own 0..1 (an analysis before an
 * encode) moves a bar by its share only. parent may be NULL (p then reports nowhere); p must
 * not outlive it. */
void cf_progress_part(cf_progress *p, cf_progress *parent, double lo, double hi);
/* Reports progress; NULL-safe, clamps to [0,1]. */
void cf_progress_report(cf_progress *p, double fraction, const char *stage);
/* Asks the work to stop; safe from any thread or a signal handler. */
void cf_progress_cancel(cf_progress *p);
/* True once cancellation was asked; NULL-safe (false). */
bool cf_progress_cancelled(cf_progress *p);

#endif
