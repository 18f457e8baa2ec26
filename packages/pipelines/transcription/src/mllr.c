/* mllr.c — per-recording unsupervised MLLR (see mllr.h).
 *
 * The first pass's words are the transcript of their stretch of audio (each segment's words,
 * 150 ms either side); sphinx_fe makes the stretches' cepstra with the model's feat.params,
 * sphinxtrain's bw accumulates the Gaussians' statistics against that transcript and
 * mllr_solve fits one global transform of the means. bw reads mixture weights as a float32
 * mixture_weights file and the model definition as text, while Debian's en-us model has a
 * sendump and a binary mdef: the first is converted here, the second by pocketsphinx_mdef_convert.
 * Measured on the development speech reels of apps/ai/experiments/speech (mllr_eval.py). */
#include "mllr.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clipforge/fmt.h"

extern char **environ;

#define SPHINXTRAIN_DIR "/usr/lib/sphinxtrain"
#define PAD_MS 150
#define MIN_WORDS 5
#define MIN_STRETCH_MS 300
/* Runs of words at this confidence or more make the transcript. On the development reels all
 * words (0) gave 303 errors, 0.5 gave 309 and 0.7 gave 310 (mllr_eval.py, 825 words). */
#define MIN_CONFIDENCE 0.0
#define SENDUMP_LOG_BASE 1.0001
#define SENDUMP_SHIFT 10
#define MIXW_FLOOR 1e-7

enum { TOOL_BW, TOOL_SOLVE, TOOL_FE, TOOL_MDEF, N_TOOLS };

/* The path of tool t into buf (bw and mllr_solve under sphinxtrain_dir). */
static bool tool_path(const char *sphinxtrain_dir, int t, char *buf, size_t size) {
    static const char *const names[N_TOOLS] = {"bw", "mllr_solve", "/usr/bin/sphinx_fe",
                                               "/usr/bin/pocketsphinx_mdef_convert"};
    if (t < 0 || t >= N_TOOLS) return false;
    if (t >= TOOL_FE) return cf_fmt(buf, size, "%s", names[t]);
    const char *dir = sphinxtrain_dir && *sphinxtrain_dir ? sphinxtrain_dir : SPHINXTRAIN_DIR;
    return cf_fmt(buf, size, "%s/%s", dir, names[t]);
}

bool cf__mllr_tools_present(const char *sphinxtrain_dir, char *missing, size_t size) {
    char path[4096];
    for (int t = 0; t < N_TOOLS; t++) {
        if (!tool_path(sphinxtrain_dir, t, path, sizeof path) || access(path, X_OK) != 0) {
            if (size) cf_fmt(missing, size, "%s", path);
            return false;
        }
    }
    if (size) missing[0] = '\0';
    return true;
}

/* ---- sendump -> mixture_weights ------------------------------------------------------------- */

static bool read_i32(FILE *f, bool swap, int32_t *v) {
    uint32_t u;
    if (fread(&u, 4, 1, f) != 1) return false;
    if (swap) u = __builtin_bswap32(u);
    memcpy(v, &u, 4);
    return true;
}

/* Reads the header strings; leaves f at the weights. */
static bool sendump_header(FILE *f, int *n_feat, int32_t *rows, int32_t *cols) {
    int32_t len;
    if (!read_i32(f, false, &len)) return false;
    bool swap = len < 1 || len > 999;
    if (swap) len = (int32_t)__builtin_bswap32((uint32_t)len);
    int clusters = 0;
    *n_feat = 0;
    char line[1024];
    while (len != 0) {
        if (len < 0 || len >= (int32_t)sizeof line || fread(line, 1, (size_t)len, f) != (size_t)len)
            return false;
        line[len] = '\0';
        if (!strncmp(line, "feature_count ", 14)) *n_feat = atoi(line + 14);
        if (!strncmp(line, "cluster_count ", 14)) clusters = atoi(line + 14);
        if (!read_i32(f, swap, &len)) return false;
    }
    return clusters == 0 && *n_feat > 0 && read_i32(f, swap, rows) && read_i32(f, swap, cols) && *rows > 0 &&
           *cols > 0;
}

/* s3 checksum: each 32-bit word w of the data after the byte-order magic, sum = rotl(sum, 20) + w. */
static uint32_t chksum_add(uint32_t sum, const void *words, size_t n) {
    const unsigned char *p = words;
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        memcpy(&w, p + 4 * i, 4);
        sum = ((sum << 20) | (sum >> 12)) + w;
    }
    return sum;
}

static cf_err write_mixw(const char *out, const float *w, int32_t n_sen, int32_t n_feat, int32_t n_dens,
                         cf_error *err) {
    FILE *f = fopen(out, "wb");
    if (!f) return cf_error_set(err, CF_ERR_IO, "mllr: cannot write %s", out);
    static const char head[] = "s3\nversion 1.0\nchksum0 yes\n";
    const size_t used = sizeof head - 1 + strlen("endhdr\n");
    const int32_t dims[4] = {n_sen, n_feat, n_dens, n_sen * n_feat * n_dens};
    const uint32_t magic = 0x11223344;
    size_t count = (size_t)dims[3];
    uint32_t sum = chksum_add(chksum_add(0, dims, 4), w, count);
    bool ok = fputs(head, f) >= 0;
    for (size_t i = used; ok && i % 4; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputs("endhdr\n", f) >= 0 && fwrite(&magic, 4, 1, f) == 1 && fwrite(dims, 4, 4, f) == 4 &&
         fwrite(w, sizeof *w, count, f) == count && fwrite(&sum, 4, 1, f) == 1;
    if (fclose(f) != 0) ok = false;
    return ok ? CF_OK : cf_error_set(err, CF_ERR_IO, "mllr: cannot write %s", out);
}

cf_err cf__mllr_sendump_to_mixw(const char *sendump, const char *out, cf_error *err) {
    FILE *f = fopen(sendump, "rb");
    if (!f) return cf_error_set(err, CF_ERR_IO, "mllr: cannot read %s", sendump);
    int n_feat = 0;
    int32_t rows = 0, cols = 0;
    if (!sendump_header(f, &n_feat, &rows, &cols) || n_feat > 16 || rows > 4096 || cols > 1000000) {
        fclose(f);
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT,
                            "mllr: %s is not a sendump this reads (clustered or damaged)", sendump);
    }
    size_t count = (size_t)n_feat * (size_t)rows * (size_t)cols;
    unsigned char *q = malloc(count);
    float *w = malloc(count * sizeof *w);
    double *total = calloc((size_t)n_feat * (size_t)cols, sizeof *total);
    cf_err e = CF_OK;
    if (!q || !w || !total) e = cf_error_set(err, CF_ERR_NO_MEMORY, "mllr: out of memory");
    else if (fread(q, 1, count, f) != count)
        e = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "mllr: sendump %s is shorter than its header says",
                         sendump);
    fclose(f);
    if (!e) {
        /* q[feat][density][senone] -> w[senone][feat][density], each senone's weights summing to 1 */
        const double step = (double)(1 << SENDUMP_SHIFT) * log(SENDUMP_LOG_BASE);
        for (int32_t ft = 0; ft < n_feat; ft++)
            for (int32_t d = 0; d < rows; d++)
                for (int32_t s = 0; s < cols; s++) {
                    double v =
                        exp(-step * q[((size_t)ft * (size_t)rows + (size_t)d) * (size_t)cols + (size_t)s]);
                    if (v < MIXW_FLOOR) v = MIXW_FLOOR;
                    w[((size_t)s * (size_t)n_feat + (size_t)ft) * (size_t)rows + (size_t)d] = (float)v;
                    total[(size_t)s * (size_t)n_feat + (size_t)ft] += v;
                }
        for (size_t i = 0; i < count; i++) w[i] = (float)(w[i] / total[i / (size_t)rows]);
        e = write_mixw(out, w, cols, n_feat, rows, err);
    }
    free(q);
    free(w);
    free(total);
    return e;
}

/* ---- running the tools ---------------------------------------------------------------------- */

/* How often a running tool's end and the cancel flag are looked at. */
#define POLL_NS (20 * 1000 * 1000)

/* Waits for pid; when progress is cancelled first, kills it (bw and mllr_solve only write into
 * the scratch directory, which the caller removes) and reaps it. True when it exited 0. */
static bool wait_tool(pid_t pid, cf_progress *progress) {
    const struct timespec tick = {0, POLL_NS};
    int status = 0;
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (got < 0 && errno != EINTR) return false;
        if (cf_progress_cancelled(progress)) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return false;
        }
        nanosleep(&tick, NULL);
    }
}

/* Runs argv with stdout and stderr appended to log; true when it exits 0, false when it fails,
 * cannot start or was stopped because progress was cancelled. */
static bool run_tool(char *const argv[], const char *log, cf_progress *progress) {
    if (cf_progress_cancelled(progress)) return false;
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return false;
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 && wait_tool(pid, progress);
}

/* The error for a step that did not succeed: cancellation when that is why, else its failure. */
static cf_err step_failed(const cf__mllr_job *job, cf_error *err, const char *what, const char *log) {
    if (cf_progress_cancelled(job->progress))
        return cf_error_set(err, CF_ERR_CANCELLED, "mllr: cancelled during %s", what);
    return cf_error_set(err, CF_ERR_UNAVAILABLE, "mllr: %s failed (see %s)", what, log);
}

static bool write_pcm(const char *path, const int16_t *pcm, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(pcm, sizeof *pcm, n, f) == n; /* sphinx_fe -input_endian little: x86/arm hosts */
    return fclose(f) == 0 && ok;
}

/* Appends "word" in the dictionary's spelling (lower case, as the decoder wrote it). */
static void put_word(FILE *f, const char *w) {
    fputc(' ', f);
    for (; *w; w++) fputc(tolower((unsigned char)*w), f);
}

/* Writes one stretch of audio: <dir>/uNNNN.raw, its line in ids and in lsn. */
static bool write_stretch(const cf__mllr_job *job, const cf_transcript_word *w, size_t n_words, size_t id,
                          FILE *ids, FILE *lsn, char *path, size_t size) {
    int64_t a = (w[0].start_ms - PAD_MS) * 16, b = (w[n_words - 1].end_ms + PAD_MS) * 16;
    size_t s = a < 0 ? 0 : (size_t)a, e = b < 0 ? 0 : (size_t)b > job->n ? job->n : (size_t)b;
    if (e <= s || w[n_words - 1].end_ms - w[0].start_ms < MIN_STRETCH_MS) return false;
    int16_t *copy = NULL;
    const int16_t *audio = job->prepare ? job->prepare(job->pcm + s, e - s, &copy) : job->pcm + s;
    bool ok = cf_fmt(path, size, "%s/u%04zu.raw", job->dir, id) && write_pcm(path, audio, e - s);
    free(copy);
    if (!ok) return false;
    fprintf(ids, "u%04zu\n", id);
    fputs("<s>", lsn);
    for (size_t k = 0; k < n_words; k++) put_word(lsn, w[k].word);
    fprintf(lsn, " </s> (u%04zu)\n", id);
    return true;
}

/* The transcript bw aligns to: each run of consecutive words at MIN_CONFIDENCE or more within a
 * segment. Returns the number of words written. */
static size_t write_stretches(const cf__mllr_job *job, FILE *ids, FILE *lsn, char *path, size_t size) {
    size_t words = 0, id = 0;
    for (size_t i = 0; i < job->n_segments && !cf_progress_cancelled(job->progress); i++) {
        const cf_transcript_segment *seg = &job->segments[i];
        size_t k = 0;
        while (k < seg->n_words) {
            if (seg->words[k].confidence < MIN_CONFIDENCE) {
                k++;
                continue;
            }
            size_t run = k;
            while (run < seg->n_words && seg->words[run].confidence >= MIN_CONFIDENCE) run++;
            if (write_stretch(job, seg->words + k, run - k, id, ids, lsn, path, size)) {
                words += run - k;
                id++;
            }
            k = run;
        }
    }
    return words;
}

/* <dir>/hmm: the model's files bw reads, the weights converted, the definition as text. */
static cf_err make_model(const cf__mllr_job *job, const char *log, char *mdef_convert, cf_error *err) {
    static const char *const same[] = {"feat.params", "means", "variances", "transition_matrices",
                                       "noisedict"};
    char from[4096], to[4096], mdef[4096];
    if (!cf_fmt(to, sizeof to, "%s/hmm", job->dir) || mkdir(to, 0755) != 0)
        return cf_error_set(err, CF_ERR_IO, "mllr: cannot create %s", to);
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        if (!cf_fmt(from, sizeof from, "%s/%s", job->hmm, same[i]) ||
            !cf_fmt(to, sizeof to, "%s/hmm/%s", job->dir, same[i]) || symlink(from, to) != 0)
            return cf_error_set(err, CF_ERR_IO, "mllr: cannot link %s", from);
    }
    if (!cf_fmt(from, sizeof from, "%s/sendump", job->hmm) ||
        !cf_fmt(to, sizeof to, "%s/hmm/mixture_weights", job->dir))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "mllr: path too long");
    cf_err e = cf__mllr_sendump_to_mixw(from, to, err);
    if (e) return e;
    if (!cf_fmt(from, sizeof from, "%s/mdef", job->hmm) ||
        !cf_fmt(mdef, sizeof mdef, "%s/hmm/mdef.txt", job->dir))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "mllr: path too long");
    char *conv[] = {mdef_convert, "-text", from, mdef, NULL};
    return run_tool(conv, log, job->progress) ? CF_OK
                                              : step_failed(job, err, "pocketsphinx_mdef_convert", log);
}

cf_err cf__mllr_estimate(const cf__mllr_job *job, char *path, size_t size, cf_error *err) {
    char log[4096], ctl[4096], lsn[4096], acc[4096], hmm[4096], mdef[4096], params[4096], out[4096];
    char fdict[4096], means[4096], vars[4096], scratch[4096], tool[N_TOOLS][4096];
    if (!cf__mllr_tools_present(job->sphinxtrain_dir, scratch, sizeof scratch))
        return cf_error_set(err, CF_ERR_UNAVAILABLE, "mllr: %s is not installed", scratch);
    for (int t = 0; t < N_TOOLS; t++)
        if (!tool_path(job->sphinxtrain_dir, t, tool[t], sizeof tool[t]))
            return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "mllr: tool path too long");
    if (!cf_fmt(log, sizeof log, "%s/log", job->dir) || !cf_fmt(ctl, sizeof ctl, "%s/ids", job->dir) ||
        !cf_fmt(lsn, sizeof lsn, "%s/lsn", job->dir) || !cf_fmt(acc, sizeof acc, "%s/acc", job->dir) ||
        !cf_fmt(hmm, sizeof hmm, "%s/hmm", job->dir) ||
        !cf_fmt(mdef, sizeof mdef, "%s/hmm/mdef.txt", job->dir) ||
        !cf_fmt(params, sizeof params, "%s/hmm/feat.params", job->dir) ||
        !cf_fmt(fdict, sizeof fdict, "%s/hmm/noisedict", job->dir) ||
        !cf_fmt(means, sizeof means, "%s/hmm/means", job->dir) ||
        !cf_fmt(vars, sizeof vars, "%s/hmm/variances", job->dir) ||
        !cf_fmt(out, sizeof out, "%s/mllr_matrix", job->dir))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "mllr: scratch path too long");
    if (cf_progress_cancelled(job->progress)) return cf_error_set(err, CF_ERR_CANCELLED, "mllr: cancelled");
    cf_err e = make_model(job, log, tool[TOOL_MDEF], err);
    if (e) return e;
    FILE *ids = fopen(ctl, "w"), *tr = fopen(lsn, "w");
    size_t words = ids && tr ? write_stretches(job, ids, tr, scratch, sizeof scratch) : 0;
    bool closed = (!ids || fclose(ids) == 0) & (!tr || fclose(tr) == 0);
    if (!ids || !tr || !closed) return cf_error_set(err, CF_ERR_IO, "mllr: cannot write %s", ctl);
    if (cf_progress_cancelled(job->progress)) return cf_error_set(err, CF_ERR_CANCELLED, "mllr: cancelled");
    if (words < MIN_WORDS)
        return cf_error_set(err, CF_ERR_UNAVAILABLE, "mllr: %zu words recognised, too few to adapt to",
                            words);
    char *fe[] = {tool[TOOL_FE], "-argfile",       params, "-samprate",      "16000",  "-c",  ctl,
                  "-di",         (char *)job->dir, "-do",  (char *)job->dir, "-ei",    "raw", "-eo",
                  "mfc",         "-raw",           "yes",  "-input_endian",  "little", NULL};
    char *bw[] = {tool[TOOL_BW],
                  "-hmmdir",
                  hmm,
                  "-moddeffn",
                  mdef,
                  "-ts2cbfn",
                  ".ptm.",
                  "-feat",
                  "1s_c_d_dd",
                  "-svspec",
                  "0-12/13-25/26-38",
                  "-cmn",
                  "current",
                  "-agc",
                  "none",
                  "-dictfn",
                  (char *)job->dict,
                  "-fdictfn",
                  fdict,
                  "-ctlfn",
                  ctl,
                  "-lsnfn",
                  lsn,
                  "-cepdir",
                  (char *)job->dir,
                  "-cepext",
                  "mfc",
                  "-accumdir",
                  acc,
                  NULL};
    char *solve[] = {tool[TOOL_SOLVE], "-meanfn", means,       "-varfn", vars,
                     "-outmllrfn",     out,       "-accumdir", acc,      NULL};
    if (!run_tool(fe, log, job->progress)) return step_failed(job, err, "sphinx_fe", log);
    if (mkdir(acc, 0755) != 0) return cf_error_set(err, CF_ERR_IO, "mllr: cannot create %s", acc);
    if (!run_tool(bw, log, job->progress)) return step_failed(job, err, "bw", log);
    if (!run_tool(solve, log, job->progress) || access(out, R_OK) != 0)
        return step_failed(job, err, "mllr_solve", log);
    if (!cf_fmt(path, size, "%s", out))
        return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "mllr: path too long");
    return CF_OK;
}
