/* progress.c — progress reporting and cooperative cancellation. */
#include "clipforge/progress.h"

#include <stddef.h>

void cf_progress_init(cf_progress *p, void (*on_progress)(void *, double, const char *), void *user) {
    p->on_progress = on_progress;
    p->user = user;
    atomic_init(&p->cancel, false);
    p->parent = NULL;
    p->lo = 0, p->hi = 1;
}

void cf_progress_part(cf_progress *p, cf_progress *parent, double lo, double hi) {
    cf_progress_init(p, NULL, NULL);
    p->parent = parent;
    p->lo = lo, p->hi = hi;
}

void cf_progress_report(cf_progress *p, double fraction, const char *stage) {
    if (!p) return;
    if (!(fraction >= 0)) fraction = 0; /* also catches NaN */
    if (fraction > 1) fraction = 1;
    if (p->parent) cf_progress_report(p->parent, p->lo + (p->hi - p->lo) * fraction, stage);
    else if (p->on_progress) p->on_progress(p->user, fraction, stage);
}

void cf_progress_cancel(cf_progress *p) {
    if (p) atomic_store(&p->cancel, true);
}

bool cf_progress_cancelled(cf_progress *p) {
    return p && (atomic_load(&p->cancel) || cf_progress_cancelled(p->parent));
}
