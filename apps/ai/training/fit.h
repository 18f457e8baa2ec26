/* fit.h — the learned highlight scorer and its fitting, in C: logistic regression over centred
 * window means of feature-track columns (exactly what the `learned` engine computes), fitted by
 * Newton's method on a weighted log loss with L2 pull towards a prior model (the base: a version
 * trained on new labels stays close to it where the labels say nothing). Targets may be soft (a
 * base's score where no reviewer looked). */
#ifndef CLIPFORGE_AI_FIT_H
#define CLIPFORGE_AI_FIT_H

#include <jansson.h>
#include <stddef.h>

#include "clipforge/error.h"
#include "clipforge/highlight.h"

#define CF_LR_MAX_INPUTS 64

typedef struct cf_lr_input {
    int feature; /* cf_feature_id */
    size_t half; /* the window is [hop - half, hop + half], truncated at the ends */
    double mean, std;
} cf_lr_input;

typedef struct cf_lr_model {
    cf_lr_input in[CF_LR_MAX_INPUTS];
    double w[CF_LR_MAX_INPUTS];
    size_t n;
    double bias, threshold;
} cf_lr_model;

/* Reads inputs, weights, bias and threshold of a model file's JSON (the learned engine's format).
 * CF_ERR_INVALID_ARGUMENT naming the member when it is not one. */
cf_err cf_lr_from_json(const json_t *doc, cf_lr_model *m, cf_error *err);
/* Writes inputs, weights, bias and threshold into doc (other members are left alone). */
void cf_lr_to_json(const cf_lr_model *m, json_t *doc);

/* Training rows: n hops of d = m->n standardised inputs, a target in [0, 1] and a weight. */
typedef struct cf_lr_data {
    size_t n, d, cap;
    double *x; /* n * d */
    double *t, *c;
} cf_lr_data;

/* The model's input rows of every hop of track into *x (malloc'd, n_hops * m->n), as the engine
 * computes them. */
cf_err cf_lr_inputs(const cf_lr_model *m, const cf_feature_track *track, double **x, cf_error *err);
/* Appends one row (d values of x) with target t and weight c. */
cf_err cf_lr_data_add(cf_lr_data *data, const double *x, size_t d, double t, double c, cf_error *err);
void cf_lr_data_free(cf_lr_data *data);

/* Fits m's weights and bias on data, starting from and pulled towards prior (same inputs) by
 * l2 * |theta - prior|^2 / 2. Deterministic. */
cf_err cf_lr_fit(cf_lr_model *m, const cf_lr_model *prior, const cf_lr_data *data, double l2, cf_error *err);
/* The probability the model gives a row. */
double cf_lr_predict(const cf_lr_model *m, const double *x);

#endif
