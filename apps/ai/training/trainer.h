/* trainer.h — `clipforge train`: a new highlight model version from reviewers' labels.
 *
 * 1. Targets per 100 ms hop of each labelled media: 1 inside an accepted span (as the reviewer
 *    left it), 0 inside a rejected span and inside the part of a proposed span the reviewer cut
 *    off, and elsewhere the base version's own score (soft): where nobody looked, the new version
 *    keeps to what the base said. The three groups weigh the same in total.
 * 2. Fit: the base's inputs (or, for a base without weights such as `heuristic`, the newest
 *    learned version's), Newton's method with an L2 pull towards them (fit.h); then the decision
 *    threshold that gives the best span F1 on the training media.
 * 3. Cross-validation by media (k folds, every media held out once): the fitted candidate and
 *    the base detect the held-out media with each profile the model serves; F1 and AP at
 *    IoU >= 0.5 against the accepted spans (evaluate.h) are recorded as metrics.cv, the
 *    comparison `models publish` accepts when the base is the current default.
 * 4. The final fit on every media is written as <out_dir>/highlight-<version>.json with its
 *    metadata (trained_at, parent_version, training_data, features, metrics) and a report
 *    <out_dir>/highlight-<version>.report.md. */
#ifndef CLIPFORGE_AI_TRAINER_H
#define CLIPFORGE_AI_TRAINER_H

#include <jansson.h>
#include <stdbool.h>

#include "training/dataset.h"

typedef struct cf_train_options {
    const char *models_dir; /* the registry the base comes from (when not in out_dir) */
    const char *out_dir;    /* the registry the new version goes to */
    const char *base;       /* NULL = the current default of profile in out_dir */
    const char *profile;    /* whose span bounds shape training and publishing; "generic" */
    const char *version;    /* NULL = v<N+1> */
    int folds;              /* 0 = min(5, media) */
    double l2;              /* 0 = 1.0 */
} cf_train_options;

/* Trains on set and writes the version (not published: `models publish`, or the train command's
 * --publish, decides); *summary = {model_version, file, report, metrics, published: false}. */
cf_err cf_train(const cf_train_set *set, const cf_train_options *o, json_t **summary, cf_error *err);

#endif
