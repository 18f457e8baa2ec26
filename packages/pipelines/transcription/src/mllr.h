/* mllr.h — per-recording unsupervised MLLR for the pocketsphinx backend: one global transform of
 * the model's Gaussian means, estimated by sphinxtrain's bw + mllr_solve from the first pass's
 * words, applied to the second pass (the decoder's -mllr). */
#ifndef CLIPFORGE_STT_MLLR_H
#define CLIPFORGE_STT_MLLR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clipforge/error.h"
#include "clipforge/progress.h"
#include "clipforge/transcript.h"

/* The external tools it runs: bw and mllr_solve in sphinxtrain_dir (NULL or "" = Debian's
 * /usr/lib/sphinxtrain), sphinx_fe and pocketsphinx_mdef_convert in /usr/bin. False when one is
 * not there, naming it in missing. */
bool cf__mllr_tools_present(const char *sphinxtrain_dir, char *missing, size_t size);

/* Writes the s3 mixture_weights file (float32, what bw reads) holding the weights of a
 * pocketsphinx sendump (8-bit quantised negative logs, in log base 1.0001 shifted by 10 bits). */
cf_err cf__mllr_sendump_to_mixw(const char *sendump, const char *out, cf_error *err);

/* Audio handed to bw is first passed through this (the backend's own preparation, e.g. the
 * high-band fill), so the transform is estimated on what the decoder sees. Returns pcm or a
 * malloc'd copy in *copy. */
typedef const int16_t *(*cf__mllr_prepare_fn)(const int16_t *pcm, size_t n, int16_t **copy);

typedef struct cf__mllr_job {
    const char *hmm;    /* the acoustic model directory (with sendump, means, variances, ...) */
    const char *dict;   /* the pronunciation dictionary */
    const int16_t *pcm; /* the whole recording, 16 kHz mono */
    size_t n;
    const cf_transcript_segment *segments; /* the first pass, word times in ms from pcm[0] */
    size_t n_segments;
    cf__mllr_prepare_fn prepare;
    const char *dir;             /* an empty scratch directory */
    const char *sphinxtrain_dir; /* where bw and mllr_solve are; NULL or "" = Debian's */
    cf_progress *progress;       /* polled while the tools run: cancelled stops them; NULL = never */
} cf__mllr_job;

/* Estimates the transform into <dir>/mllr_matrix (its path in path). CF_ERR_UNAVAILABLE when
 * there are too few words or a tool fails (its output is in <dir>/log); CF_ERR_CANCELLED when
 * job->progress is cancelled before it ends (a running tool is killed and waited for). */
cf_err cf__mllr_estimate(const cf__mllr_job *job, char *path, size_t size, cf_error *err);

#endif
